"""The process-wide state of a build, and what happens to it when whoosh forks writers.

A rebuild with ``--jobs N`` > 1 writes through whoosh's multiprocess writer, which forks N
writer processes from the builder (``multiprocessing``, fork start method). A fork copies the
whole process, this module's state included. All of that state lives here:

- **Held lock descriptors** (``holding_lock``): the index directory's rebuild lock is a flock,
  which lives as long as any copy of its descriptor. In every forked child the copies are
  closed at once, so a writer process that outlives a killed builder cannot keep the lock and
  block every later rebuild.
- **Writers die with their builder** (``writers_die_with_builder``): while the builder opens
  its multiprocess writer, each child asks the kernel to kill it when its parent dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``). Otherwise a killed rebuild leaves its writers
  waiting on their job queue for ever.
- **Word collection** (``collecting_words``): while a build collects the spelling words, the
  index writer's title and body postings (``indexer.formats.TermPositions``) hand each text's
  words to ``count_words``, which adds them to the collector. A writer process forked
  meanwhile starts an empty collector of its own and, when its ``run()`` has returned, leaves
  it pickled in the spill folder, which the builder merges (``indexer.spelling.collecting``).

The first two are ``os.register_at_fork`` hooks (every fork). The third is a
``multiprocessing`` after-fork hook: multiprocessing clears its finalizers when a child starts,
so the one that spills the counts at exit must be registered after that.

Outside a build nothing is held, no collector is set, and the hooks do nothing.
"""

from __future__ import annotations

import ctypes
import multiprocessing.util
import os
import pickle
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

_PR_SET_PDEATHSIG = 1


class WordCollector(Protocol):
    """What collects words (``indexer.spelling.WordCounts``); a forked writer makes an empty
    one of the same class."""

    def __init__(self) -> None: ...

    def add_words(self, language: str, words: list[tuple[int, str]]) -> None: ...


_held_lock_fds: set[int] = set()
_writers_die_with_builder = False
_collector: WordCollector | None = None
_spill_folder: Path | None = None


@contextmanager
def holding_lock(fd: int) -> Iterator[None]:
    """While the block runs, forked children close their copy of ``fd``."""
    _held_lock_fds.add(fd)
    try:
        yield
    finally:
        _held_lock_fds.discard(fd)


@contextmanager
def writers_die_with_builder() -> Iterator[None]:
    """Processes forked while the block runs are killed when this process dies."""
    global _writers_die_with_builder
    _writers_die_with_builder = True
    try:
        yield
    finally:
        _writers_die_with_builder = False


@contextmanager
def collecting_words(collector: WordCollector, spill_folder: Path) -> Iterator[None]:
    """Words indexed while the block runs go to ``collector``; those indexed in writer
    processes forked meanwhile are left in ``spill_folder`` (one pickle per process)."""
    global _collector, _spill_folder
    _collector, _spill_folder = collector, spill_folder
    try:
        yield
    finally:
        _collector, _spill_folder = None, None


def count_words(language: str, words: list[tuple[int, str]]) -> None:
    """The (position, word) pairs of one indexed title or body, if words are being collected."""
    if _collector is not None:
        _collector.add_words(language, words)


def _after_fork_in_child() -> None:
    global _writers_die_with_builder
    for fd in _held_lock_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    _held_lock_fds.clear()
    if _writers_die_with_builder and sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _writers_die_with_builder = False


def _spill(collector: WordCollector, folder: Path) -> None:
    with open(folder / f"{os.getpid()}.pickle", "wb") as handle:
        pickle.dump(collector, handle, protocol=pickle.HIGHEST_PROTOCOL)


class _CollectInChild:
    """multiprocessing keeps its after-fork hooks in a weak dictionary: they need a live
    object to hang on."""

    def __call__(self) -> None:
        global _collector
        if _collector is None or _spill_folder is None:
            return
        _collector = type(_collector)()
        # Run by multiprocessing when the Process's run() has returned.
        multiprocessing.util.Finalize(None, _spill, args=(_collector, _spill_folder),
                                      exitpriority=10)


_collect_in_child = _CollectInChild()
os.register_at_fork(after_in_child=_after_fork_in_child)
multiprocessing.util.register_after_fork(_collect_in_child, _CollectInChild.__call__)
