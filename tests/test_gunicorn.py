"""Real gunicorn with gunicorn.conf.py on a free loopback port, over the small index."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow


def test_gunicorn_serves_search(small_index: Path, gunicorn):
    with gunicorn(small_index, log_format="text") as server:
        status, health = server.get("/health")
        assert status == 200 and health["status"] == "ok"
        status, body = server.get("/search?q=" + urllib.parse.quote("anhörigstöd"))
        assert status == 200
        assert body["hits"][0]["id"] == "seed:socialstyrelsen:anhorigstod-2007"
        status, error = server.get("/search?size=500")
        assert status == 400 and set(error) == {"title", "description"}
    assert "Traceback" not in server.output
    assert '"GET /search?q=' in server.output  # text access log with request time
    assert "serving index generation" in server.output  # the app's own lines come out too


def test_metrics_sum_the_requests_of_every_worker(small_index: Path, tmp_path: Path, gunicorn):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: wiped at start
    with gunicorn(small_index, metrics_dir=str(metrics_dir)) as server:
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:  # keep both workers busy
            while True:
                assert set(pool.map(lambda _: server.get("/search?q=tuki")[0], range(20))) == {200}
                sent += 20
                server.wait_for(sent, '"path": "/search"', timeout=10)
                served = {json.loads(line)["pid"] for line in list(server.lines)
                          if '"path": "/search"' in line}
                if len(served) == 2 or sent >= 200:
                    break
        assert len(served) == 2, "both workers should have answered some requests"
        counts = {}
        for family in text_string_to_metric_families(server.text("/metrics")):
            for sample in family.samples:
                if sample.name == "searchsvc_requests_total":
                    counts[sample.labels["route"], sample.labels["status"]] = sample.value
        assert counts[("/search", "200")] == sent
        assert counts[("/health", "200")] >= 1  # the start-up checks
        assert not (metrics_dir / "counter_1.db").exists()
        status, ready = server.get("/health/ready")
        assert status == 200 and ready["status"] == "ready"


def test_json_log_lines_even_for_quotes_and_backslashes(small_index: Path, gunicorn):
    path = '/nowhere/"quoted"\\back'
    agent = 'Mozilla/5.0 "quoted" \\ agent'
    with gunicorn(small_index) as server:
        connection = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=10)
        connection.request("GET", path + "?q=%22a%22", headers={"User-Agent": agent})
        assert connection.getresponse().status == 404
        connection.close()
        server.get("/search?q=tuki")
        server.wait_for(1, '"path": "/search"', timeout=10)
    records = [json.loads(line) for line in server.lines if line.strip()]  # every line is JSON
    (access,) = [r for r in records if r["logger"] == "gunicorn.access" and r["status"] == 404]
    assert access["path"] == path and access["user_agent"] == agent
    assert access["method"] == "GET" and access["query"] == "q=%22a%22"
    assert access["remote_addr"] == "127.0.0.1" and access["bytes"] > 0
    assert access["duration_ms"] >= 0
    assert {"time", "level", "message", "pid"} <= set(access)
    app = [r for r in records if r["logger"] == "searchsvc.engine"]
    assert app and "serving index generation" in app[0]["message"]
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"]
               for r in records)


def metrics_dirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("searchsvc-metrics-*"))


def booted_workers(server) -> list[int]:
    return [int(line.rsplit(" ", 1)[1]) for line in list(server.lines)
            if "Booting worker with pid" in line]


def test_a_busy_port_leaves_no_metrics_folder_behind(small_index: Path, tmp_path: Path,
                                                     gunicorn_process):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = gunicorn_process(small_index, busy.getsockname()[1], {"TMPDIR": str(tmp)})
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode != 0
    assert b"Can't connect" in output or b"in use" in output, output
    assert metrics_dirs(tmp) == []


def test_a_bad_setting_is_one_line_and_exit_2(small_index: Path, tmp_path: Path,
                                              gunicorn_process):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = gunicorn_process(small_index, 1, {"TMPDIR": str(tmp)}, workers="two")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert output.decode().splitlines() == [
        "searchsvc: error: SEARCHSVC_WORKERS must be a whole number, not 'two'"
    ]
    assert metrics_dirs(tmp) == []


def test_the_metrics_folder_lives_as_long_as_the_master(small_index: Path, tmp_path: Path,
                                                        gunicorn):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with gunicorn(small_index, {"TMPDIR": str(tmp)}, log_format="text") as server:
        (folder,) = metrics_dirs(tmp)
        first, _ = booted_workers(server)
        os.kill(first, signal.SIGTERM)  # a worker exits; the master starts another
        server.wait_for(3, "Booting worker with pid")
        new = booted_workers(server)[2]
        server.wait_for(1, f"[{new}] [INFO] serving index generation")
        assert folder.is_dir() and metrics_dirs(tmp) == [folder]
        assert "searchsvc_requests_total" in server.text("/metrics")
    assert metrics_dirs(tmp) == []

