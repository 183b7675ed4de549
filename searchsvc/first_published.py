"""When each record of a snapshot was first published, and the order of a feed by it.

A generation's ``published.i64`` (``indexer.contract``; written by ``indexer.published``)
gives, per doc number, when its record first appeared in a published generation. A
generation built before the file existed is still served: a record's time is then its date
(midnight UTC, no later than the generation's ``built_at``), else ``built_at``; such a
feed is ordered by record date, which is the best guess there is.

``FirstPublished.of(snapshot)`` reads the arrays once per snapshot (held as long as the
snapshot is), so ordering a feed is a few numpy operations: newest first-published first,
ties by record date (newest first, the undated after the dated), then by id.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref

import numpy as np

from indexer.contract import (
    DATE_COLUMN,
    FIRST_PUBLISHED_DTYPE,
    epoch_seconds,
    read_first_published,
)
from searchsvc.snapshot import Snapshot


def atom_time(seconds: int) -> str:
    """RFC 3339 in UTC, as Atom dates are written: ``2026-11-29T23:53:09Z``."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


class FirstPublished:
    """Per doc number of one snapshot: ``times`` (epoch seconds), and ranks that break ties."""

    _cache: weakref.WeakKeyDictionary[Snapshot, FirstPublished] = weakref.WeakKeyDictionary()
    _lock = threading.Lock()

    @classmethod
    def of(cls, snapshot: Snapshot) -> FirstPublished:
        with cls._lock:
            found = cls._cache.get(snapshot)
            if found is None:
                found = cls._cache[snapshot] = cls(snapshot)
            return found

    def __init__(self, snapshot: Snapshot) -> None:
        columns = snapshot.columns
        size = columns.size
        with snapshot.reading():
            reader = snapshot.searcher.reader()
            ids = [_text(v) for v in reader.column_reader("id")]
            written = read_first_published(snapshot.path, size)
            dates = ([_text(v) for v in reader.column_reader(DATE_COLUMN)]
                     if written is None and reader.has_column(DATE_COLUMN) else [])
        ids += [""] * (size - len(ids))
        self.built = epoch_seconds(snapshot.manifest.get("built_at"))
        # Whether the times are the generation's own, not guessed (an older generation).
        self.recorded = written is not None
        if written is not None:
            self.times = np.frombuffer(written, dtype=FIRST_PUBLISHED_DTYPE).astype(np.int64)
        else:
            dates += [""] * (size - len(dates))
            dated = np.array([epoch_seconds(d) for d in dates], dtype=np.int64)
            self.times = np.where(dated > 0, np.minimum(dated, self.built), self.built)
        self.date_rank = np.full(size, -1, dtype=np.int64)
        dated = columns.date_order[columns.dated[columns.date_order]]
        self.date_rank[dated] = np.arange(len(dated))
        self.id_rank = np.empty(size, dtype=np.int64)
        self.id_rank[np.array(sorted(range(size), key=ids.__getitem__), dtype=np.int64)] = (
            np.arange(size))

    def newest(self, docs: np.ndarray, count: int) -> list[int]:
        """The ``count`` doc numbers of the mask ``docs`` first published last."""
        chosen = np.flatnonzero(docs)
        order = np.lexsort((self.id_rank[chosen], -self.date_rank[chosen], -self.times[chosen]))
        return [int(d) for d in chosen[order[:count]]]
