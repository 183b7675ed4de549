"""An update whose reading and writing run as tasks on a ``dask.distributed`` cluster.

    builder: building("update") -> link the published generation -> P partition tasks
             -> gather -> the partitions' segments join the linked ones -> replay
    task i:  its own files (``indexer.dask_build``) -> normalise, hash -> write only the
             records new or changed against the published generation's content hashes

A daily update reads every record to find the few that changed: on one machine that
reading, not the writing, is most of its time. Here the partitions of ``indexer.dask_build``
read and hash their share of the corpus on the cluster's workers; each opens the published
generation (on the shared storage the build already needs) for its ids and content hashes and
writes only what is new or changed into its own segment. The builder links the published
generation's files into the building directory as ``indexer.update`` does, adds the
partitions' segments to its table of contents, and replays the records in corpus order
with the plain update's rules: a changed record's old document and the documents of records
gone from the corpus or withheld are deleted, the spelling counts lose their words and gain
the partitions', and ``building()`` checks, counts and publishes as for any update.
Without a published generation of this schema it is a Dask rebuild.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexer import generations, spelling
from indexer.build import BuildReport, building, indexed_records
from indexer.dask_build import (
    CHUNK_RECORDS,
    PARTITIONS_DIR,
    PartitionResult,
    dask_client,
    dask_rebuild,
    partition_bases,
    replayed,
    run_partitions,
    take_segments,
)
from indexer.guards import RemovalLimit
from indexer.mapped import open_index
from indexer.update import link_generation, updatable, words_of

log = logging.getLogger("searchsvc.index")


def dask_update(
    corpus: Sequence[str | Path],
    index_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    max_errors: int = 10,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
    removal_limit: RemovalLimit | None = None,
    partitions: int | None = None,
    chunk: int = CHUNK_RECORDS,
) -> BuildReport:
    """``indexer.update.update`` with the reading and writing done by Dask tasks: the same
    checks, changes, report and published generation."""
    if not updatable(index_dir):
        log.info("no published generation of this schema to update in %s: rebuilding",
                 index_dir)
        return dask_rebuild(corpus, index_dir, workers, scheduler, max_errors, removals, today,
                            removal_limit, partitions, chunk)
    with building("update", corpus, index_dir, max_errors, None, removals, today,
                  removal_limit) as build:
        report = build.report
        base = generations.current_generation(index_dir)
        report.base = base.name
        with report.phase("linking"):
            link_generation(base, build.path)
        with dask_client(workers, scheduler) as client, report.phase("dask partitions"):
            results = run_partitions(client, build, partitions, chunk, base=base)
        with report.phase("assembling segments"):
            _assemble(build, base, results)
    return build.report


def _assemble(build: Any, base: Path, results: Sequence[PartitionResult]) -> None:
    ix = open_index(build.path)
    with ix.reader() as reader:
        indexed = indexed_records(reader)
        segments, added = take_segments(build, results)  # added: the words written
        writer = ix.writer()
        first = sum(segment.doc_count_all() for segment in writer.segments)
        writer.segments.extend(segments)
        writer._setup_doc_offsets()
        taken_out = _replay(build, results, partition_bases(results, first), indexed, writer)
        removed = words_of([reader.stored_fields(docnum) for docnum in taken_out])
        writer.commit(merge=False)
    words = spelling.WordCounts.read(base)
    words.subtract(removed)
    words.merge(added)
    words.write(build.path)
    shutil.rmtree(build.path / PARTITIONS_DIR, ignore_errors=True)


def _replay(build: Any, results: Sequence[PartitionResult], bases: list[int],
            indexed: dict[str, tuple[int, str]], writer: Any) -> list[int]:
    """The plain update's rules in corpus order; the doc numbers it deleted."""
    report: BuildReport = build.report
    taken_out: list[int] = []

    def delete(docnum: int, change: str) -> None:
        report.changes[change] += 1
        taken_out.append(docnum)
        writer.delete_document(docnum)

    for item in replayed(build, results, bases, writer):
        old = indexed.get(item.id)
        if item.withheld is not None:
            if old is not None:
                delete(old[0], "withheld")
        elif old is not None and old[1] == item.content_hash:
            report.changes["unchanged"] += 1
        elif old is not None:
            delete(old[0], "changed")
        else:
            report.changes["added"] += 1
    for doc_id, (docnum, _) in indexed.items():
        if doc_id not in build.seen:
            delete(docnum, "withheld" if doc_id in build.withholding.removals else "removed")
    return taken_out
