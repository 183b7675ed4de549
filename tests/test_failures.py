"""What breaks around a live index: kills while publishing, full and read-only disks, and a
corrupted or missing index under the running service."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from falcon import testing

from indexer import generations
from indexer.build import rebuild
from searchsvc.app import create_app
from searchsvc.engine import Engine
from searchsvc.request import SearchRequest
from searchsvc.search import search
from searchsvc.settings import Settings

KILL_AT_PUBLISH = textwrap.dedent(
    """
    import os, signal, sys
    from indexer import generations
    from indexer.cli import main

    write = generations._write_atomically

    def killed_before_current(path, text):
        # The new generation is complete and renamed into place; CURRENT still names the old.
        if path.name == "CURRENT":
            os.kill(os.getpid(), signal.SIGKILL)
        write(path, text)

    generations._write_atomically = killed_before_current
    sys.exit(main(sys.argv[1:]))
    """
)

# Run as root in a mount namespace of its own (unshare): a read-only filesystem under the
# index directory, a rebuild into it, and what the index answers before and after.
READ_ONLY = textwrap.dedent(
    """
    import json, shutil, subprocess, sys
    from pathlib import Path
    from searchsvc.engine import Engine
    from searchsvc.request import SearchRequest
    from searchsvc.search import search

    corpus, index, mount = sys.argv[1:4]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount], check=True)
    shutil.copytree(index, Path(mount) / "index")
    subprocess.run(["mount", "-o", "remount,ro", mount], check=True)

    def answers():
        engine = Engine(Path(mount) / "index")
        snapshot = engine.snapshot()
        found = search(snapshot, SearchRequest(q="päätös"))["total"]
        engine.close()
        return [snapshot.generation, found]

    before = answers()
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "rebuild", "--corpus", corpus, "--index-dir",
         str(Path(mount) / "index"), "--progress", "none"], capture_output=True, text=True)
    print(json.dumps({"before": before, "after": answers(), "returncode": done.returncode,
                      "stderr": done.stderr}))
    """
)


def _answers(index_dir: Path) -> tuple[str, int]:
    engine = Engine(index_dir)
    try:
        snapshot = engine.snapshot()
        return snapshot.generation, search(snapshot, SearchRequest(q="päätös"))["total"]
    finally:
        engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["rebuild", "update"])
def test_killed_while_publishing(published_copy, command, cli, indexer_process) -> None:
    corpus, index_dir = published_copy
    before = _answers(index_dir)
    (corpus / "records" / "extra.jsonl").write_text(
        '{"id": "x:1", "title": "Uusi", "body": "Uusi päätös tehtiin.", "language": "fi"}\n',
        encoding="utf-8",
    )
    killed = indexer_process(command, "--corpus", corpus, "--index-dir", index_dir, "--jobs",
                             "1", "--progress", "none", script=KILL_AT_PUBLISH)
    assert killed.returncode == -signal.SIGKILL
    assert _answers(index_dir) == before  # still the old generation, answering as before
    done = cli(command, "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    generation, total = _answers(index_dir)
    assert generation != before[0] and total == before[1] + 1
    # The generation the killed run renamed into place but never published is cleaned up.
    assert set(generations.published_generations(index_dir)) == {before[0], generation}


def _limit_file_size(size: int):
    def limit() -> None:
        # Writes past the limit fail with EFBIG, as on a full disk, instead of killing.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_fails_the_rebuild_cleanly(published_copy, jobs, cli, indexer_process):
    corpus, index_dir = published_copy
    before = _answers(index_dir)
    failed = indexer_process("rebuild", "--corpus", corpus, "--index-dir", index_dir,
                             "--jobs", jobs, "--progress", "none",
                             preexec=_limit_file_size(64 * 1024))
    assert failed.returncode == 1, failed.stderr
    assert "published index was left as it was" in failed.stderr
    assert "Traceback" not in failed.stderr.split("ERROR")[-1]
    assert _answers(index_dir) == before
    assert not list((index_dir / "generations").glob(".building-*"))
    done = cli("rebuild", "--corpus", corpus, "--index-dir", index_dir, "--jobs", jobs)
    assert done.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a read-only tmpfs: needs root (as CI)")
def test_a_read_only_index_directory_fails_the_rebuild_cleanly(
    published_copy, tmp_path: Path, root: Path
) -> None:
    corpus, index_dir = published_copy
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", READ_ONLY,
         str(corpus), str(index_dir), str(mount)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["returncode"] == 1, result["stderr"]
    assert "Read-only file system" in result["stderr"]
    assert "published index was left as it was" in result["stderr"]
    assert result["after"] == result["before"] == list(_answers(index_dir))
    assert not any(mount.iterdir())  # the mount stayed in its namespace


def _corrupt_toc(generation: Path) -> None:
    for toc in generation.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage" * 16)


def _lose_a_segment(generation: Path) -> None:
    next(generation.glob("*.seg")).unlink()


def _lose_the_generation(generation: Path) -> None:
    shutil.rmtree(generation)


@pytest.mark.parametrize("damage", [_corrupt_toc, _lose_a_segment, _lose_the_generation])
def test_a_damaged_index_is_a_503_until_a_good_one_is_published(published_copy, damage):
    corpus, index_dir = published_copy
    damage(generations.generations_dir(index_dir) / str(generations.published_name(index_dir)))
    client = testing.TestClient(
        create_app(Settings(index_dir=index_dir, reload_seconds=0.01))  # starts regardless
    )
    for path in ("/health", "/health/ready", "/search?q=päätös", "/facets"):
        answer = client.simulate_get(path)
        assert answer.status_code == 503, (path, answer.text)
        assert "index" in answer.json["description"]
        assert "Traceback" not in answer.text
    assert client.simulate_get("/health/live").status_code == 200

    rebuild([corpus], index_dir, jobs=1)
    assert client.simulate_get("/health").status_code == 200
    assert client.simulate_get("/search", params={"q": "päätös"}).json["total"] > 0


@pytest.mark.slow
def test_the_rebuild_lock_is_released_by_a_killed_update(
    published_copy, cli, indexer_process
) -> None:
    corpus, index_dir = published_copy
    process = indexer_process.start("update", "--corpus", corpus, "--index-dir", index_dir,
                                    "--progress", "none")
    lock = index_dir / generations.LOCK_FILE
    try:
        deadline = time.monotonic() + 60
        while f'"pid": {process.pid},' not in lock.read_text():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGSTOP)
        # While it holds the lock, a rebuild fails at once and clearly, and status names it.
        busy = cli("rebuild", "--corpus", corpus, "--index-dir", index_dir)
        assert busy.returncode == 4
        holder = f"pid {process.pid}, update on {socket.gethostname()}, since 20"
        assert f"another rebuild is running on {index_dir} ({holder}" in busy.stderr
        status = cli("status", "--index-dir", index_dir)
        assert f"lock:            held by {holder}" in status.stdout, status.stdout
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    # The lock file still names the killed process, but the lock died with it.
    assert f'"pid": {process.pid},' in lock.read_text()
    assert "lock:            free" in cli("status", "--index-dir", index_dir).stdout
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir).returncode == 0
