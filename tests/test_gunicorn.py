"""Real gunicorn with gunicorn.conf.py on a free loopback port, over a real index."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

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


def test_gunicorn_serves_search(tmp_path: Path):
    corpus = write_small_corpus(tmp_path / "corpus", per_file=10)
    rebuild([corpus], tmp_path / "index", jobs=1)
    port = free_port()
    env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(tmp_path / "index"),
           "SEARCHSVC_WORKERS": "2", "SEARCHSVC_BIND": "127.0.0.1:1"}  # --bind overrides it
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, health = get(f"{base}/health")
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("gunicorn did not start") from None
                time.sleep(0.2)
        assert status == 200 and health["status"] == "ok"
        status, body = get(f"{base}/search?q=" + urllib.parse.quote("anhörigstöd"))
        assert status == 200
        assert body["hits"][0]["id"] == "seed:socialstyrelsen:anhorigstod-2007"
        status, error = get(f"{base}/search?size=500")
        assert status == 400 and set(error) == {"title", "description"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output
    assert '"GET /search?q=' in output  # access log with request time
