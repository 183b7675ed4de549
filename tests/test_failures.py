"""What breaks around a live index: kills while publishing, full and read-only disks, and a
corrupted or missing index under the running service."""

from __future__ import annotations

import os
import resource
import shutil
import signal
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
from searchsvc.engine import Engine, SearchRequest
from searchsvc.settings import Settings
from tests.conftest import ROOT, write_small_corpus

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


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_small_corpus(tmp_path / "corpus", per_file=8)
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    return corpus, index_dir


def _answers(index_dir: Path) -> tuple[str, int]:
    engine = Engine(index_dir)
    try:
        snapshot = engine.snapshot()
        return snapshot.generation, snapshot.search(SearchRequest(q="päätös"))["total"]
    finally:
        engine.close()


def _cli(*args: str, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args, "--progress", "none"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=preexec,
    )


@pytest.mark.parametrize("command", ["rebuild", "update"])
def test_killed_while_publishing(published: tuple[Path, Path], command: str) -> None:
    corpus, index_dir = published
    before = _answers(index_dir)
    (corpus / "records" / "extra.jsonl").write_text(
        '{"id": "x:1", "title": "Uusi", "body": "Uusi päätös tehtiin.", "language": "fi"}\n',
        encoding="utf-8",
    )
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_PUBLISH, command, "--corpus", str(corpus),
         "--index-dir", str(index_dir), "--jobs", "1", "--progress", "none"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL
    assert _answers(index_dir) == before  # still the old generation, answering as before
    done = _cli(command, "--corpus", str(corpus), "--index-dir", str(index_dir), "--jobs", "1")
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


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_fails_the_rebuild_cleanly(published: tuple[Path, Path], jobs: str) -> None:
    corpus, index_dir = published
    before = _answers(index_dir)
    failed = _cli("rebuild", "--corpus", str(corpus), "--index-dir", str(index_dir),
                  "--jobs", jobs, preexec=_limit_file_size(64 * 1024))
    assert failed.returncode == 1, failed.stderr
    assert "published index was left as it was" in failed.stderr
    assert "Traceback" not in failed.stderr.split("ERROR")[-1]
    assert _answers(index_dir) == before
    assert not list((index_dir / "generations").glob(".building-*"))
    assert _cli("rebuild", "--corpus", str(corpus), "--index-dir", str(index_dir),
                "--jobs", jobs).returncode == 0


def test_a_read_only_index_directory_fails_the_rebuild_cleanly(
    published: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, index_dir = published
    mount = tmp_path / "ro"
    mount.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs a tmpfs mount to make a read-only filesystem: {exc}")
    try:
        shutil.copytree(index_dir, mount / "index")
        remount = subprocess.run(["mount", "-o", "remount,ro", str(mount)], capture_output=True)
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remount.stderr!r}")
        before = _answers(mount / "index")
        failed = _cli("rebuild", "--corpus", str(corpus), "--index-dir", str(mount / "index"))
        assert failed.returncode == 1, failed.stderr
        assert "Read-only file system" in failed.stderr
        assert "published index was left as it was" in failed.stderr
        assert _answers(mount / "index") == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _corrupt_toc(generation: Path) -> None:
    for toc in generation.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage" * 16)


def _lose_a_segment(generation: Path) -> None:
    next(generation.glob("*.seg")).unlink()


def _lose_the_generation(generation: Path) -> None:
    shutil.rmtree(generation)


@pytest.mark.parametrize("damage", [_corrupt_toc, _lose_a_segment, _lose_the_generation])
def test_a_damaged_index_is_a_503_until_a_good_one_is_published(
    published: tuple[Path, Path], damage
) -> None:
    corpus, index_dir = published
    damage(generations.current_generation(index_dir) if damage is not _lose_the_generation
           else index_dir / "generations" / generations.published_name(index_dir))
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


def test_the_rebuild_lock_is_released_by_a_killed_update(published: tuple[Path, Path]) -> None:
    corpus, index_dir = published
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "update", "--corpus", str(corpus),
         "--index-dir", str(index_dir), "--progress", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    lock = index_dir / generations.LOCK_FILE
    try:
        deadline = time.monotonic() + 60
        while lock.read_text().strip() != str(process.pid):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGSTOP)
        # While it holds the lock, a rebuild fails at once and clearly.
        busy = _cli("rebuild", "--corpus", str(corpus), "--index-dir", str(index_dir))
        assert busy.returncode == 4
        assert f"another rebuild is running on {index_dir} (pid {process.pid})" in busy.stderr
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert _cli("update", "--corpus", str(corpus), "--index-dir", str(index_dir)).returncode == 0
