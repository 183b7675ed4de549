"""First-published times: when each record first appeared in a published generation.

An alert feed (``GET /feed``) shows a record as new once, when it first appears. Doc numbers
and generation names change with every build, so each generation carries, per doc number,
the time its record was first published in this index directory (``published.i64`` of the
generation contract, ``indexer.contract``), and each build carries those times over:

- a record whose id is live in the generation published until now (the *base*) keeps its
  time, whatever changed in its text (``update`` rewrites a changed record under a new doc
  number; ``rebuild`` renumbers everything);
- a record that is not there gets the build's time, made later than every time carried
  over (one second past the newest, should the clock be behind or two builds fall within one
  second), so a record an update adds is always the newest;
- a base without the file (built before it existed) gave its records no times: they get the
  time the base was built (its manifest's ``built_at``), so upgrading does not make every
  record new; an unreadable base (or none: a first build) gives none, and every record is
  new.

A record removed from the index (gone from the corpus, withheld, expired) and added again
later is new again: only the base is looked at, not older generations, so its time is when
it came back. For a reader of the feed it is newly available again; a rollback publishes an
older generation with the times it was built with.

``write_first_published`` counts what it wrote against what it reads back: the file must
hold one time for every doc number of the new generation, and a time for each of its live
records (``BuildFailed`` otherwise, raised by ``indexer.build``).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader

from indexer.contract import (
    FIRST_PUBLISHED_DTYPE,
    FIRST_PUBLISHED_FILE,
    epoch_seconds,
    read_first_published,
    read_manifest,
)
from indexer.mapped import open_index

log = logging.getLogger("searchsvc.index")


def _live_ids(reader: IndexReader) -> list[tuple[int, str]]:
    """(doc number, id) of each live document."""
    found = []
    for docnum, doc_id in enumerate(reader.column_reader("id")):
        if doc_id and not reader.is_deleted(docnum):
            found.append((docnum, doc_id.decode() if isinstance(doc_id, bytes) else doc_id))
    return found


def first_published_by_id(generation: Path) -> dict[str, int]:
    """id -> first-published time (epoch seconds) of each live record of a published
    generation; its build time for every record if it has no ``published.i64``; nothing if
    it cannot be read."""
    try:
        with open_index(generation).reader() as reader:
            live = _live_ids(reader)
            written = read_first_published(generation, reader.doc_count_all())
        built = epoch_seconds(read_manifest(generation).get("built_at"))
    except Exception as exc:  # any unreadable generation is treated alike
        log.warning("the first-published times of %s cannot be read (%s): every record "
                    "counts as new", generation.name, exc)
        return {}
    if written is None:
        return {doc_id: built for _, doc_id in live if built > 0}
    times = np.frombuffer(written, dtype=FIRST_PUBLISHED_DTYPE)
    return {doc_id: int(times[docnum]) for docnum, doc_id in live if times[docnum] > 0}


def write_first_published(generation: Path, base: Path | None,
                          now: dt.datetime | None = None) -> int:
    """Write ``published.i64`` of a generation being built, its times carried over from the
    ``base`` (the published generation) and ``now`` for the rest; returns how many live
    records have a time, as read back from the file (the caller compares that with the
    records it counted in)."""
    known = first_published_by_id(base) if base is not None else {}
    stamp = int((now or dt.datetime.now(dt.UTC)).timestamp())
    stamp = max(stamp, max(known.values(), default=0) + 1)
    with open_index(generation).reader() as reader:
        size = reader.doc_count_all()
        times = np.zeros(size, dtype=FIRST_PUBLISHED_DTYPE)
        live = _live_ids(reader)
    for docnum, doc_id in live:
        times[docnum] = known.get(doc_id, stamp)
    (generation / FIRST_PUBLISHED_FILE).write_bytes(times.tobytes())
    written = read_first_published(generation, size)
    if written is None:
        return 0
    read_back = np.frombuffer(written, dtype=FIRST_PUBLISHED_DTYPE)
    return int(np.count_nonzero(read_back[[docnum for docnum, _ in live]] > 0)) if live else 0
