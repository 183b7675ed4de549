"""Index generations on disk: build beside the live one, publish atomically, keep one back.

Layout of an index directory::

    CURRENT                    name of the published generation (replaced atomically)
    PREVIOUS                   name of the generation published before it (for rollback)
    rebuild.lock               flock'ed by the one rebuild allowed at a time; holds one JSON
                               line naming its holder: {"pid", "host", "command", "since"}
    removals.txt               ids withheld from every generation built here (``indexer.withheld``)
    generations/<name>/        a complete, self-contained generation (``indexer.contract``)
    generations/.building-*/   a build in progress (or killed); never read by the service

The lock is flock(2) on ``rebuild.lock``: the kernel releases it when its process dies, so the
file's contents only name a holder while the lock is held (``lock_holder`` checks both).

A reader resolves ``CURRENT`` once and then only touches that generation's directory, which
is never modified after publishing, so a rebuild can neither damage nor half-replace it.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from indexer import writer_processes
from indexer.contract import MANIFEST_FILE, read_manifest
from indexer.mapped import open_index

CURRENT_FILE = "CURRENT"
PREVIOUS_FILE = "PREVIOUS"
LOCK_FILE = "rebuild.lock"
GENERATIONS_DIR = "generations"
BUILDING_PREFIX = ".building-"
KEEP_GENERATIONS = 2  # the published one and one to roll back to


class IndexMissing(Exception):
    """No published generation can be read from the index directory."""


class RebuildLocked(Exception):
    """Another rebuild holds the lock of this index directory."""


def new_generation_name(now: dt.datetime | None = None) -> str:
    """A name that sorts by build time, to the microsecond (rebuilds can follow within one
    second), with a random tail so two machines never pick the same name."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


@contextmanager
def rebuild_lock(index_dir: Path, command: str = "rebuild") -> Iterator[None]:
    """Hold the index directory's rebuild lock, or fail at once naming who holds it.
    ``command`` (rebuild, update, rollback ...) is written into the lock file for ``status``.

    flock is released by the kernel when the process dies, so a killed rebuild never leaves
    a stale lock behind (nor do its writer processes: ``indexer.writer_processes``).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not _try_flock(fd, fcntl.LOCK_EX):
            raise RebuildLocked(
                f"another rebuild is running on {index_dir} ({describe_holder(_read_holder(fd))})"
                "; try again when it has finished"
            )
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                  "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        with writer_processes.holding_lock(fd):
            yield
    finally:
        os.close(fd)


def _try_flock(fd: int, operation: int) -> bool:
    """flock without waiting: False if another process holds a conflicting lock."""
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        return False
    return True


def _read_holder(fd: int) -> dict[str, Any]:
    text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    try:
        holder = json.loads(text)
    except ValueError:
        holder = None
    if isinstance(holder, dict):
        return holder
    return {"pid": text} if text else {}


def describe_holder(holder: dict[str, Any]) -> str:
    """"pid 1234, update on host, since 2026-11-29T02:30:00+00:00" from a lock's contents."""
    if not holder.get("pid"):
        return "pid unknown"
    described = f"pid {holder['pid']}"
    if holder.get("command"):
        described += f", {holder['command']}"
        if holder.get("host"):
            described += f" on {holder['host']}"
    if holder.get("since"):
        described += f", since {holder['since']}"
    return described


def lock_holder(index_dir: Path) -> dict[str, Any] | None:
    """What the lock file says of its holder if the lock is held now, else None. Never
    creates the index directory or the lock file.

    A shared flock succeeds only while no rebuild holds the exclusive one; it is let go at
    once (a rebuild starting in that instant fails with ``RebuildLocked``, as it would if
    this process were one)."""
    try:
        fd = os.open(index_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        if not _try_flock(fd, fcntl.LOCK_SH):
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def generations_dir(index_dir: Path) -> Path:
    return index_dir / GENERATIONS_DIR


def start_building(index_dir: Path) -> Path:
    """A fresh directory to build a generation in; leftovers of killed builds are removed."""
    root = generations_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(BUILDING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    path = root / (BUILDING_PREFIX + uuid.uuid4().hex[:8])
    path.mkdir()
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_manifest(generation: Path, manifest: dict[str, Any]) -> None:
    """``manifest.json`` of a generation being built."""
    _write_atomically(generation / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))


def publish(index_dir: Path, building: Path, name: str, keep: int = KEEP_GENERATIONS) -> Path:
    """Move a finished build into place and make it the published generation.

    The generation published until now is remembered in ``PREVIOUS`` (``rollback`` goes back
    to it) and kept when ``keep`` is 2; all others are deleted.
    """
    final = generations_dir(index_dir) / name
    for path in building.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    os.rename(building, final)
    _fsync_dir(final.parent)
    _switch(index_dir, name)
    prune(index_dir, keep)
    return final


def _switch(index_dir: Path, name: str) -> None:
    """Make ``name`` the published generation, remembering the one it replaces."""
    previous = published_name(index_dir)
    if previous and previous != name:
        _write_atomically(index_dir / PREVIOUS_FILE, previous + "\n")
    _write_atomically(index_dir / CURRENT_FILE, name + "\n")


def previous_name(index_dir: Path) -> str | None:
    return _read_name(index_dir / PREVIOUS_FILE)


def rollback(index_dir: Path) -> str:
    """Publish again the generation published before the current one; returns its name.

    Rolling back twice returns to where it started.
    """
    target = previous_name(index_dir)
    if target is None or not (generations_dir(index_dir) / target / MANIFEST_FILE).is_file():
        raise IndexMissing(f"there is no previous generation to roll back to in {index_dir}")
    _switch(index_dir, target)
    return target


def adopt(index_dir: Path, source: Path) -> str:
    """Publish a generation built elsewhere (copied here with rsync, say) under its own name.

    The copy is checked first: its manifest names it, and whoosh must open it and find the
    number of documents the manifest gives. Already published: nothing to do.
    """

    try:
        manifest = read_manifest(source)
        name = str(manifest["generation"])
        expected = int(manifest["documents"])
        with open_index(source).reader() as reader:
            found = reader.doc_count()
    except Exception as exc:  # any unreadable copy is refused the same way
        raise IndexMissing(f"{source} is not a complete index generation: {exc}") from exc
    if found != expected:
        raise IndexMissing(
            f"{source} holds {found} documents but its manifest says {expected}: an "
            "incomplete copy? Nothing was published"
        )
    if published_name(index_dir) == name:
        return name
    with rebuild_lock(index_dir, "publish"):
        final = generations_dir(index_dir) / name
        if not final.is_dir():
            building = start_building(index_dir)
            try:
                shutil.copytree(source, building, dirs_exist_ok=True)
                publish(index_dir, building, name)
            finally:
                shutil.rmtree(building, ignore_errors=True)
        else:
            _switch(index_dir, name)
            prune(index_dir)
    return name


def _read_name(path: Path) -> str | None:
    """The generation name a ``CURRENT`` or ``PREVIOUS`` file holds, if any."""
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def published_name(index_dir: Path) -> str | None:
    return _read_name(index_dir / CURRENT_FILE)


def current_generation(index_dir: Path) -> Path:
    """The published generation's directory, or IndexMissing saying what is wrong."""
    name = published_name(index_dir)
    if name is None:
        raise IndexMissing(
            f"no index has been published in {index_dir}; build one with "
            f"`searchsvc-index rebuild --index-dir {index_dir}`"
        )
    path = generations_dir(index_dir) / name
    if not (path / MANIFEST_FILE).is_file():
        raise IndexMissing(f"the published generation {name} is missing from {path.parent}")
    return path


def published_generations(index_dir: Path) -> list[str]:
    """Names of complete generations, oldest first (names sort by build time)."""
    root = generations_dir(index_dir)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
    )


def prune(index_dir: Path, keep: int = KEEP_GENERATIONS) -> list[str]:
    """Delete every generation but the published one and, with ``keep`` 2, the previous one.

    A worker still serving a deleted generation keeps reading its open files (POSIX keeps an
    unlinked file until its last descriptor closes) until it switches, within a second.
    """
    kept = {published_name(index_dir)}
    if keep >= 2:
        kept.add(previous_name(index_dir))
    else:
        (index_dir / PREVIOUS_FILE).unlink(missing_ok=True)
    removed = []
    for name in published_generations(index_dir):
        if name not in kept:
            shutil.rmtree(generations_dir(index_dir) / name, ignore_errors=True)
            removed.append(name)
    return removed
