"""Following the published generation: which snapshot a request gets.

``Engine`` watches an index directory's ``CURRENT`` (``indexer.generations``) and hands out
``Snapshot`` objects (``searchsvc.snapshot``), one per generation. A request keeps the
snapshot it started with, so it never mixes generations. In the service a watcher thread
opens and warms a newly published generation before requests are handed it, so no request
waits for one to open; a generation that cannot be read leaves the current one serving.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer import generations
from indexer.generations import IndexMissing
from searchsvc.snapshot import Snapshot

__all__ = ["Engine", "IndexMissing", "Snapshot"]

log = logging.getLogger(__name__)


@dataclass
class _State:
    name: str | None = None
    snapshot: Snapshot | None = None
    checked: float = field(default=-1e18)


class Engine:
    """Follows an index directory's published generation; thread-safe.

    With ``background=True`` (the service), a thread of its own checks ``CURRENT`` every
    ``check_interval`` seconds and opens and warms a newly published generation before
    requests are handed it, so no request waits for a generation to open. Otherwise the
    request that finds the check due opens it.
    """

    def __init__(
        self, index_dir: Path, check_interval: float = 1.0, background: bool = False
    ) -> None:
        self.index_dir = Path(index_dir)
        self.check_interval = check_interval
        self._state = _State()
        self._lock = threading.Lock()
        self._opening = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._unreadable: str | None = None  # a published generation that did not open
        self._watcher: threading.Thread | None = None
        if background:
            self._watcher = threading.Thread(
                target=self._watch, name="generation-watcher", daemon=True
            )
            self._watcher.start()

    def snapshot(self) -> Snapshot:
        """The published generation's snapshot (re-checked at most every check_interval)."""
        state = self._state
        if state.snapshot is not None and (
            self._watcher is not None or time.monotonic() - state.checked < self.check_interval
        ):
            return state.snapshot
        if self._closed:
            raise IndexMissing(f"the engine for {self.index_dir} is closed")
        if state.snapshot is not None:
            # Another thread is opening a new generation: keep serving the current one.
            if not self._opening.acquire(blocking=False):
                return state.snapshot
        else:
            self._opening.acquire()
        try:
            return self._refresh()
        finally:
            self._opening.release()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval):
            try:
                with self._opening:
                    if not self._closed:
                        self._refresh(due=True, warm=True)
            except IndexMissing:
                pass  # requests get the message; the next check tries again
            except Exception:  # the watcher must outlive any one failure
                log.exception("checking for a new index generation failed")

    def _refresh(self, due: bool = False, warm: bool = False) -> Snapshot:
        state = self._state
        current = state.snapshot
        if (
            not due
            and current is not None
            and time.monotonic() - state.checked < self.check_interval
        ):
            return current
        name = generations.published_name(self.index_dir)
        if current is not None and name == state.name:
            self._state = _State(name, current, time.monotonic())
            return current
        try:
            path = generations.current_generation(self.index_dir)
            fresh = Snapshot(path)
            if warm:
                fresh.warm()
        except IndexMissing as exc:
            if current is not None:
                if name != self._unreadable:
                    self._unreadable = name
                    log.warning("keeping generation %s: %s", state.name, exc)
                self._state = _State(state.name, current, time.monotonic())
                return current
            raise
        with self._lock:
            # The old snapshot is closed when the last request holding it lets it go.
            self._state = _State(name, fresh, time.monotonic())
        log.info("serving index generation %s (%d documents)", fresh.generation, fresh.documents)
        return fresh

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            snapshot = self._state.snapshot
            self._state = _State()
        if snapshot is not None:
            snapshot.close()
