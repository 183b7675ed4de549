"""Real gunicorn answering a steady stream of searches while a rebuild, then an update, are
published: nothing fails, every answer comes from one generation, the new records appear."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from indexer import generations

# Runs in a process of its own: requests one after another until the stop file appears, one
# JSON line per answer. Each answer's ETag names the generation that made it.
CLIENT = textwrap.dedent(
    """
    import json, sys, time, urllib.error, urllib.parse, urllib.request
    base, out, stop = sys.argv[1:4]
    queries = ["päätös", "kirjastoautojen", "lautakunta"]
    with open(out, "w", encoding="utf-8") as log:
        n = 0
        while True:
            try:
                open(stop).close()
                break
            except FileNotFoundError:
                pass
            q = queries[n % len(queries)]
            n += 1
            url = base + "/search?size=3&q=" + urllib.parse.quote(q)
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    body = json.loads(answer.read())
                    line = {"q": q, "status": answer.status, "etag": answer.headers["ETag"],
                            "total": body["total"]}
            except urllib.error.HTTPError as error:
                line = {"q": q, "status": error.code, "error": error.read().decode()}
            except Exception as error:
                line = {"q": q, "status": 0, "error": repr(error)}
            log.write(json.dumps(line) + "\\n")
            log.flush()
    """
)

LIBRARY_BUS = {
    "id": "test:library-bus",
    "title": "Kirjastoautojen reitit",
    "body": "Kirjastoautojen reitit uudistetaan. Lautakunta päätti asiasta.",
    "language": "fi",
    "date": "2026-11-23",
}


def _answers(log: Path) -> list[dict]:
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.endswith("}")]


def _wait_for(log: Path, etag: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(a.get("etag") == f'"{etag}"' for a in _answers(log)):
        assert time.monotonic() < deadline, f"no answer from generation {etag}"
        time.sleep(0.1)


@pytest.mark.slow
def test_rebuild_and_update_under_load(tmp_path: Path, published_copy, gunicorn, cli, root):
    corpus, index_dir = published_copy
    first = generations.published_name(index_dir)

    def publish(command: str) -> None:
        done = cli(command, "--corpus", corpus, "--index-dir", index_dir, "--progress", "none")
        assert done.returncode == 0, done.stderr

    log, stop = tmp_path / "answers.jsonl", tmp_path / "stop"

    with gunicorn(index_dir, reload_seconds="0.2") as server:
        client = subprocess.Popen(
            [sys.executable, "-c", CLIENT, server.base, str(log), str(stop)], cwd=root
        )
        try:
            _wait_for(log, first)
            (corpus / "records" / "library.jsonl").write_text(
                json.dumps(LIBRARY_BUS) + "\n", encoding="utf-8"
            )
            during = len(_answers(log))
            publish("rebuild")
            assert len(_answers(log)) > during  # it kept answering while the rebuild ran
            second = generations.published_name(index_dir)
            _wait_for(log, second)

            second_bus = {**LIBRARY_BUS, "id": "test:library-bus-2", "date": "2026-11-24"}
            with open(corpus / "records" / "library.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(second_bus) + "\n")
            publish("update")
            third = generations.published_name(index_dir)
            _wait_for(log, third)
            # Both workers switch within moments: then every answer comes from the last one.
            deadline = time.monotonic() + 30
            while {a.get("etag") for a in _answers(log)[-30:]} != {f'"{third}"'}:
                assert time.monotonic() < deadline, "the workers never all served the update"
                time.sleep(0.1)
        finally:
            stop.touch()
            client.wait(timeout=60)
    assert "Traceback" not in server.output

    answers = _answers(log)
    assert len(answers) > 50
    failed = [a for a in answers if a["status"] != 200]
    assert failed == []
    names = {f'"{name}"': name for name in (first, second, third)}
    assert {a["etag"] for a in answers} <= set(names)
    # One generation per answer: every answer of a generation agrees with the others.
    totals: dict[tuple[str, str], set[int]] = {}
    for a in answers:
        totals.setdefault((names[a["etag"]], a["q"]), set()).add(a["total"])
    assert all(len(found) == 1 for found in totals.values()), totals
    assert totals[(first, "kirjastoautojen")] == {0}
    assert totals[(second, "kirjastoautojen")] == {1}
    assert totals[(third, "kirjastoautojen")] == {2}
    # Answers after the last publish settled all come from it.
    tail = answers[-10:]
    assert {a["etag"] for a in tail} == {f'"{third}"'}
