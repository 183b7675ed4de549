"""Counts over time (``/search?histogram=year|month``): how many hits fall in each year or month.

Wire contract (``"histogram"`` of a ``/search`` answer, only when asked for)::

    {"interval": "year", "buckets": [{"key": "2020", "count": 3}, {"key": "2021", "count": 0},
     {"key": "2022", "count": 5}], "undated": 2}

- ``buckets`` run without a gap from the first key with a hit to the last (a key with none
  counts 0, so a chart's axis is the list), oldest first; none when no hit is dated.
- ``interval=year`` places a record by its ``year``: that of its date, or the only date it
  has (a record may know its year and not its day). ``interval=month`` places it by its
  ``date`` (``YYYY-MM``); a record with a year and no date has no month and is counted in
  ``undated`` there.
- The buckets' counts and ``undated`` add up to the answer's ``total``, under the same
  query and filters.

Each generation's years and months are numpy arrays over doc numbers, made once per
``Snapshot`` (the years from its facet columns, the months from its ``date`` column), so a
histogram is one ``bincount`` over the hits' mask, never a loop over records.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from indexer.contract import DATE_COLUMN
from searchsvc.snapshot import Snapshot

MONTHS = 12


class Timeline:
    """Per doc number, its year and its month as numbers (``year * 12 + month - 1``); -1
    where it has none, or is deleted."""

    def __init__(self, snapshot: Snapshot) -> None:
        columns = snapshot.columns
        year_keys = np.array(columns.keys["year"] or [0], dtype=np.int32)
        codes = columns.codes["year"]
        self.years = np.where(codes >= 0, year_keys[np.maximum(codes, 0)], -1).astype(np.int32)
        with snapshot.reading():
            reader = snapshot.searcher.reader()
            dates = list(reader.column_reader(DATE_COLUMN)) if reader.has_column(
                DATE_COLUMN) else []
        dates += [""] * (columns.size - len(dates))
        self.months = np.fromiter((_month(date) for date in dates), np.int32, columns.size)
        self.months[~columns.live] = -1

    def counts(self, docs: np.ndarray, interval: str) -> dict[str, Any]:
        """The histogram of the records of the mask ``docs`` (the wire contract above)."""
        values = (self.years if interval == "year" else self.months)[docs]
        dated = values[values >= 0]
        buckets: list[dict[str, Any]] = []
        if dated.size:
            low = int(dated.min())
            counts = np.bincount(dated - low)
            label = _year_key if interval == "year" else _month_key
            buckets = [{"key": label(low + i), "count": int(n)} for i, n in enumerate(counts)]
        return {"interval": interval, "buckets": buckets,
                "undated": int(values.size - dated.size)}


def _month(date: str | None) -> int:
    """``YYYY-MM-DD`` (the index's dates) as a month number; -1 without one."""
    if not date or len(date) < 7:
        return -1
    try:
        return int(date[:4]) * MONTHS + int(date[5:7]) - 1
    except ValueError:
        return -1


def _year_key(value: int) -> str:
    return f"{value:04d}"


def _month_key(value: int) -> str:
    return f"{value // MONTHS:04d}-{value % MONTHS + 1:02d}"


_timelines: weakref.WeakKeyDictionary[Snapshot, Timeline] = weakref.WeakKeyDictionary()


def timeline(snapshot: Snapshot) -> Timeline:
    """The snapshot's timeline, made on first use and kept as long as the snapshot is. Two
    threads may both make it once (no lock: the making reads inside ``reading()``, which a
    search already holds, and a lock taken inside it could deadlock with one taken outside)."""
    found = _timelines.get(snapshot)
    if found is None:
        found = _timelines.setdefault(snapshot, Timeline(snapshot))
    return found


def counts(snapshot: Snapshot, docs: np.ndarray, interval: str) -> dict[str, Any]:
    """The histogram of the hits ``docs`` (a mask over the snapshot's doc numbers)."""
    return timeline(snapshot).counts(docs, interval)
