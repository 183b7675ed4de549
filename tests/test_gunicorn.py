"""Real gunicorn with gunicorn.conf.py on a free loopback port, over a real index."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from indexer.build import rebuild
from tests.conftest import ROOT, write_small_corpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8")


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)  # stdout and stderr, as they come

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, count: int, text: str, timeout: float = 60) -> None:
        """Until ``count`` output lines contain ``text``."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in list(self.lines)) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"no {count} lines with {text!r}:\n{self.output}")
            time.sleep(0.1)


@contextmanager
def gunicorn(index_dir: Path, **settings: str) -> Iterator[Server]:
    """gunicorn -c gunicorn.conf.py with SEARCHSVC_* ``settings``, once /health answers."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SEARCHSVC_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"SEARCHSVC_INDEX_DIR": str(index_dir), "SEARCHSVC_WORKERS": "2",
                "SEARCHSVC_BIND": "127.0.0.1:1"})  # --bind overrides it
    env.update({f"SEARCHSVC_{name.upper()}": value for name, value in settings.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    reader = threading.Thread(
        target=lambda: server.lines.extend(
            line.decode("utf-8", "replace").rstrip("\n") for line in process.stdout
        ),
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{server.base}/health")
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("gunicorn did not start:\n" + server.output) from None
                time.sleep(0.2)
        server.wait_for(2, "serving index generation")  # both workers have warmed up
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gunicorn")
    rebuild([write_small_corpus(root / "corpus", per_file=10)], root / "index", jobs=1)
    return root / "index"


def test_gunicorn_serves_search(index_dir: Path):
    with gunicorn(index_dir, log_format="text") as server:
        status, health = get(f"{server.base}/health")
        assert status == 200 and health["status"] == "ok"
        status, body = get(f"{server.base}/search?q=" + urllib.parse.quote("anhörigstöd"))
        assert status == 200
        assert body["hits"][0]["id"] == "seed:socialstyrelsen:anhorigstod-2007"
        status, error = get(f"{server.base}/search?size=500")
        assert status == 400 and set(error) == {"title", "description"}
    assert "Traceback" not in server.output
    assert '"GET /search?q=' in server.output  # text access log with request time
    assert "serving index generation" in server.output  # the app's own lines come out too


def test_metrics_sum_the_requests_of_every_worker(index_dir: Path, tmp_path: Path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: wiped at start
    with gunicorn(index_dir, metrics_dir=str(metrics_dir)) as server:
        url = f"{server.base}/search?q=tuki"
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:  # keep both workers busy
            while True:
                assert set(pool.map(lambda _: get(url)[0], range(20))) == {200}
                sent += 20
                server.wait_for(sent, '"path": "/search"', timeout=10)
                served = {json.loads(line)["pid"] for line in list(server.lines)
                          if '"path": "/search"' in line}
                if len(served) == 2 or sent >= 200:
                    break
        assert len(served) == 2, "both workers should have answered some requests"
        counts = {}
        for family in text_string_to_metric_families(get_text(f"{server.base}/metrics")):
            for sample in family.samples:
                if sample.name == "searchsvc_requests_total":
                    counts[sample.labels["route"], sample.labels["status"]] = sample.value
        assert counts[("/search", "200")] == sent
        assert counts[("/health", "200")] >= 1  # the start-up checks
        assert not (metrics_dir / "counter_1.db").exists()
        status, ready = get(f"{server.base}/health/ready")
        assert status == 200 and ready["status"] == "ready"


def test_json_log_lines_even_for_quotes_and_backslashes(index_dir: Path):
    path = '/nowhere/"quoted"\\back'
    agent = 'Mozilla/5.0 "quoted" \\ agent'
    with gunicorn(index_dir) as server:
        connection = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=10)
        connection.request("GET", path + "?q=%22a%22", headers={"User-Agent": agent})
        assert connection.getresponse().status == 404
        connection.close()
        get(f"{server.base}/search?q=tuki")
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
