"""A rebuild whose writing runs as tasks on a ``dask.distributed`` cluster.

    builder: building() as for a plain rebuild -> walk the corpus's files -> P partition
             tasks -> gather -> assemble
    task i:  its own files (or its chunks of the record stream)
             -> normalise, withhold, index into its own whoosh index + spelling words

The builder walks the corpus (folders listed, nothing read) and deals the record files out
to ``partitions`` tasks by size; each task reads only its own files, or where the files cannot
be shared fairly, its chunks of ``CHUNK_RECORDS`` records of the whole record stream
(``indexer.partitions``, which also says how records keep corpus order). Each task normalises and
analyses its records into one whoosh segment and its ``words-<lang>.tsv`` in
``<building dir>/.partitions/<i>-<random>/``. The building directory must therefore be on
storage every worker and the builder share, at the same path.

Assembly (in the builder, under ``building()``'s lock): each partition's segment files move
into the building directory and its segment objects join one TOC, as whoosh's multisegment
multiprocess writer does with its sub-writers' segments; postings are not rewritten. One
reader over all segments gives the same global statistics as a plain build. Records are then
replayed in ordinal order to give the same report as a plain build: counts, bad records (in
corpus order), withheld records and duplicate ids across partitions (the later copy is
deleted from its segment; its words stay in the spelling counts, a small over-count).

Failure: a task that raises, or whose worker dies (``KilledWorker`` once the cluster's
``distributed.scheduler.allowed-failures`` is spent; the local cluster made here allows none),
fails the gather: ``BuildFailed``, and ``building()`` removes the building directory, so
nothing is published. A task's result counts the documents it wrote; ``building()`` checks
the assembled index holds as many documents as were counted.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.index import TOC

from indexer import spelling
from indexer.build import (
    WRITER_MEMORY_MB,
    Build,
    BuildFailed,
    BuildReport,
    building,
    indexed_records,
)
from indexer.documents import content_hash, document_fields
from indexer.guards import RemovalLimit
from indexer.mapped import open_index
from indexer.normalize import normalize
from indexer.partitions import deal_files, own_records
from indexer.readers import CorpusFile
from indexer.records import BadRecord, Record
from indexer.schema import build_schema
from indexer.vocabulary import Vocabulary
from indexer.withheld import Withholding, is_expired

log = logging.getLogger("searchsvc.index")

CHUNK_RECORDS = 500
PARTITIONS_DIR = ".partitions"
TASKS_PER_WORKER = 2  # partitions per worker, so a slow partition does not hold up the rest


@dataclass
class Entry:
    """One good record a partition read: where it stands in the corpus and what it counts."""

    ordinal: tuple[int, int]  # (file's place in the corpus walk, record's place in it)
    id: str
    origin: str
    path: str
    line: int | None
    docnum: int | None  # in the partition's segment; None when withheld
    withheld: str | None  # "removed" or "expired"
    text_bytes: int
    languages: list[str]
    doc_type: str
    content_hash: str = ""


@dataclass
class PartitionResult:
    folder: str
    written: int
    entries: list[Entry] = field(default_factory=list)
    problems: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # (ordinal, why)
    unknown: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # facet labels


def _withheld(record: Record, removals: frozenset[str], today: dt.date) -> str | None:
    if record.id in removals:
        return "removed"
    if is_expired(record.expires, today):
        return "expired"
    return None


def write_partition(
    corpus: list[str],
    number: int,
    partitions: int,
    staging: str,
    removals: frozenset[str],
    today: dt.date,
    chunk: int = CHUNK_RECORDS,
    after_first_document: Callable[[], None] | None = None,
    files: Sequence[tuple[int, CorpusFile]] | None = None,
    base: str | None = None,
) -> PartitionResult:
    """The Dask task: index partition ``number`` of ``partitions`` into a fresh folder under
    ``staging``: the records of ``files`` (their places in the corpus walk), or without them
    its chunks of the whole stream. With ``base`` (an update's published generation), only
    the records that are new or whose content hash differs from base's are written.
    ``after_first_document`` is for tests (a worker that dies mid-write)."""
    folder = Path(staging) / f"{number}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    vocabulary = Vocabulary.load()
    schema = build_schema()
    known: dict[str, str] = {}
    if base is not None:
        with open_index(base).reader() as reader:
            known = {doc_id: digest for doc_id, (_, digest) in indexed_records(reader).items()}
    ix = index.create_in(str(folder), schema)
    result = PartitionResult(str(folder), 0)
    with spelling.collecting(folder) as words:
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for ordinal, raw in own_records(corpus, number, partitions, chunk, files):
                if isinstance(raw, BadRecord):
                    result.problems.append((ordinal, str(raw)))
                    continue
                try:
                    record = normalize(raw, vocabulary)
                except BadRecord as bad:
                    result.problems.append((ordinal, str(bad)))
                    continue
                reason = _withheld(record, removals, today)
                docnum = None
                digest = content_hash(record) if base is not None else ""
                if reason is None and known.get(record.id) != digest:
                    writer.add_document(**document_fields(record, schema))
                    docnum, result.written = result.written, result.written + 1
                    if after_first_document is not None:
                        after_first_document()
                result.entries.append(Entry(
                    ordinal, record.id, raw.origin, raw.path, raw.line, docnum, reason,
                    len(record.title.encode()) + len(record.body.encode()),
                    list(record.languages() or [record.language or "en"]),
                    record.doc_type or "unknown", digest,
                ))
            writer.commit(merge=False)
        except BaseException:
            writer.cancel()
            raise
    words.write(folder)
    result.unknown = {name: state.unknown for name, state in vocabulary._facets.items()}
    return result


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[object]:
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers``
    processes (one thread each, no dashboard) that gives up a task whose worker dies."""
    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=workers or 1, processes=True, threads_per_worker=1,
        host="127.0.0.1", dashboard_address=None,
        # No dashboard; the scheduler's health routes on a free loopback port, not 0.0.0.0:8787.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster, Client(cluster) as client:
        yield client


def run_partitions(
    client: object, build: Build, partitions: int | None, chunk: int,
    after_first_document: Callable[[], None] | None = None, base: Path | None = None,
) -> list[PartitionResult]:
    """The partition tasks of a build (with ``base``, an update's) on the cluster:
    ``partitions`` of them, by default ``TASKS_PER_WORKER`` per worker."""
    from distributed import Client

    assert isinstance(client, Client)
    if partitions is None:
        partitions = TASKS_PER_WORKER * max(1, len(client.scheduler_info()["workers"]))
    staging = build.path / PARTITIONS_DIR
    dealt, walk_problems = deal_files(build.corpus, partitions)
    log.info("%d Dask partitions, %s", partitions,
             "each reading its own files" if dealt is not None else
             "each reading its chunks of the whole record stream")
    futures = [
        client.submit(write_partition, build.corpus, number, partitions, str(staging),
                      frozenset(build.withholding.removals), build.withholding.today,
                      chunk, after_first_document, None if dealt is None else dealt[number],
                      None if base is None else str(base), pure=False)
        for number in range(partitions)
    ]
    try:
        results: list[PartitionResult] = client.gather(futures)
    except Exception as exc:
        client.cancel(futures)
        raise BuildFailed(
            f"a Dask partition task failed ({type(exc).__name__}: {exc}); "
            "nothing was published, the live index was left as it was"
        ) from exc
    if len(results) != partitions:
        raise BuildFailed(f"{len(results)} of {partitions} partitions came back; "
                          "nothing was published")
    if dealt is not None and walk_problems:
        # Reported once, where the walk met them (streams report them in their chunks).
        results[0].problems.extend(((rank, -1), message) for rank, message in walk_problems)
    return results


def take_segments(build: Build, results: Sequence[PartitionResult]
                  ) -> tuple[list[Any], spelling.WordCounts]:
    """Move the partitions' segment files into the building directory: their segment
    objects (in order) and their spelling word counts summed; their facet labels go to the
    build's vocabulary."""
    segments = []
    counts = spelling.WordCounts()
    for result in results:
        folder = Path(result.folder)
        part = open_index(folder)
        toc = TOC.read(part.storage, part.indexname)
        written = sum(segment.doc_count_all() for segment in toc.segments)
        if written != result.written:
            raise BuildFailed(f"partition {folder.name} holds {written} documents but "
                              f"{result.written} were written; nothing was published")
        for segment in toc.segments:
            for name in segment.list_files(part.storage):
                os.replace(folder / name, build.path / name)
            segments.append(segment)
        counts.merge(spelling.WordCounts.read(folder))
        for name, unknown in result.unknown.items():
            for key, labels in unknown.items():
                build.vocabulary._facets[name].unknown.setdefault(key, labels)
    return segments, counts


def partition_bases(results: Sequence[PartitionResult], first: int = 0) -> list[int]:
    """The global doc number of each partition's first document, its segments put after
    ``first`` documents."""
    bases = []
    for result in results:
        bases.append(first)
        first += result.written
    return bases


def _assemble(build: Build, results: Sequence[PartitionResult]) -> None:
    """The partitions' segments under one TOC in the building directory."""
    ix = index.create_in(str(build.path), build_schema())
    segments, counts = take_segments(build, results)
    counts.write(build.path)
    writer = ix.writer()
    writer.segments.extend(segments)
    writer._setup_doc_offsets()
    for _ in replayed(build, results, partition_bases(results), writer):
        pass
    writer.commit(merge=False)
    shutil.rmtree(build.path / PARTITIONS_DIR, ignore_errors=True)


def replayed(build: Build, results: Sequence[PartitionResult], bases: list[int],
             writer: Any) -> Iterator[Entry]:
    """The plain build's bookkeeping, in corpus order: problems, seen ids, duplicates (the
    later copy deleted from the index), withheld counts and the report's counts of the records
    kept; yields the entry of each record's first copy, withheld or not, for an update's own
    rules."""
    report: BuildReport = build.report
    withholding: Withholding = build.withholding
    items: list[tuple[tuple[int, int], int, Entry | str]] = []
    for number, result in enumerate(results):
        items.extend((entry.ordinal, number, entry) for entry in result.entries)
        items.extend((ordinal, number, message) for ordinal, message in result.problems)
    items.sort(key=lambda item: item[0])
    first_seen: dict[str, str] = {}
    for _, number, item in items:
        if isinstance(item, str):
            report.problems.append(item)
            continue
        origin = first_seen.get(item.id)
        if origin is not None:
            report.problems.append(str(BadRecord(
                item.path, item.line, f"duplicate id {item.id!r}, first seen at {origin}")))
            if item.docnum is not None:
                writer.delete_document(bases[number] + item.docnum)
            continue
        first_seen[item.id] = item.origin
        build.seen.add(item.id)
        if item.withheld is not None:
            if item.withheld == "removed":
                withholding.removed += 1
            else:
                withholding.expired += 1
            withholding.ids.add(item.id)
        else:
            report.documents += 1
            report.text_bytes += item.text_bytes
            report.by_language.update(item.languages)
            report.by_type[item.doc_type] += 1
        yield item


def dask_rebuild(
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
    after_first_document: Callable[[], None] | None = None,
) -> BuildReport:
    """``indexer.build.rebuild`` with the writing done by Dask tasks: the same checks, the
    same report, the same published generation (but for the order of equal-ranked hits).

    ``partitions`` defaults to ``TASKS_PER_WORKER`` per worker; ``chunk`` is how many
    consecutive raw records go to one partition before the next one's turn."""
    with building("rebuild", corpus, index_dir, max_errors, None, removals, today,
                  removal_limit) as build:
        with dask_client(workers, scheduler) as client:
            with build.report.phase("dask partitions"):
                results = run_partitions(client, build, partitions, chunk,
                                         after_first_document)
        with build.report.phase("assembling segments"):
            _assemble(build, results)
    return build.report
