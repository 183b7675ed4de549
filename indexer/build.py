"""Building a generation: the skeleton every rebuild and update runs, and the rebuild itself.

    corpus check -> lock -> fresh building directory -> vocabulary -> [write] -> count check
         -> removal limit -> remember removals -> update changed nothing? stop : term arrays,
         first-published times, translations, labels.json and manifest.json -> publish

``building()`` owns every step but the writing: ``rebuild`` (here) writes a new index from
the corpus, ``indexer.update.update`` a copy of the published one plus what changed. Whatever
fails, the building directory is removed, the lock released and the published generation left
as it was; a killed build leaves a directory that the next one removes, and the kernel
releases its lock.

A run refuses to shrink the index by mistake (``indexer.guards``: an unusable corpus path, more
published records missing from the corpus than allowed), and an update whose generation would
hold exactly what the published one holds publishes nothing (``BuildReport.unchanged``), so
clients' ETags and the rollback target stay. A rebuild always publishes.

It is a little over 400 lines because ``building()``'s steps share one ``Build`` and one
failure path; what stands alone lives beside it (``indexer.writer_processes``,
``indexer.published``, ``indexer.translations``, ``indexer.dask_build``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.fields import Schema
from whoosh.reading import IndexReader
from whoosh.writing import IndexWriter

from indexer import generations, spelling, writer_processes
from indexer.contract import LABELS_FILE, LANGUAGES, SCHEMA_VERSION
from indexer.documents import document_fields
from indexer.guards import CorpusUnusable, RemovalLimit, check_corpus
from indexer.lexicon import lexicon
from indexer.mapped import open_index, open_streamed
from indexer.normalize import iter_records
from indexer.published import write_first_published
from indexer.records import BadRecord, Record
from indexer.schema import build_schema
from indexer.term_arrays import write_term_arrays
from indexer.translations import write_translations
from indexer.vocabulary import Vocabulary
from indexer.withheld import Withholding, remembered_removals, write_remembered_removals

log = logging.getLogger("searchsvc.index")

WRITER_MEMORY_MB = 256
DEFAULT_MAX_ERRORS = 10


class BuildFailed(Exception):
    """The build did not produce a complete generation; nothing was published."""


class TooManyBadRecords(BuildFailed):
    """More records were skipped than ``--max-errors`` allows; nothing was published."""


@dataclass
class BuildReport:
    generation: str = ""
    path: Path | None = None
    documents: int = 0
    text_bytes: int = 0
    seconds: float = 0.0
    by_language: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    published: bool = False
    # Nothing to publish: the published generation (``generation``) holds exactly this.
    unchanged: bool = False
    mode: str = "rebuild"  # or "update"
    base: str | None = None  # the generation an update started from
    # update: records added, changed, removed (gone from the corpus), withheld, unchanged
    changes: Counter[str] = field(default_factory=Counter)
    # records left out: on the removal list, past their expiry
    withheld: dict[str, int] = field(default_factory=dict)
    # Seconds spent in each step, for the summary and the benchmark.
    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.monotonic() - started

    def count(self, record: Record) -> None:
        """A record that is in the generation being made."""
        self.documents += 1
        self.text_bytes += len(record.title.encode()) + len(record.body.encode())
        self.by_language.update(record.languages() or [record.language or "en"])
        self.by_type[record.doc_type or "unknown"] += 1

    def manifest(self, corpus: Sequence[str]) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "mode": self.mode,
            "base": self.base,
            "changes": dict(sorted(self.changes.items())),
            "withheld": self.withheld,
            "schema_version": SCHEMA_VERSION,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 2),
            "documents": self.documents,
            "text_bytes": self.text_bytes,
            "by_language": dict(sorted(self.by_language.items())),
            "by_type": dict(sorted(self.by_type.items())),
            "skipped": len(self.problems),
            "corpus": list(corpus),
        }


OnRecord = Callable[[Record | BadRecord], None]


@dataclass
class Build:
    """A rebuild or update under way: what ``building`` hands the step that writes."""

    path: Path  # the new generation's directory, published when the step has written it
    corpus: list[str]
    report: BuildReport
    vocabulary: Vocabulary
    withholding: Withholding
    on_record: OnRecord | None = None
    seen: set[str] = field(default_factory=set)  # ids of the corpus's good records

    def records(self) -> Iterator[Record]:
        """The corpus's good records, withheld ones included; bad ones go to the report.
        ``on_record`` sees each record, good or bad, once it has been dealt with."""
        for item in iter_records(self.corpus, self.vocabulary):
            if isinstance(item, BadRecord):
                self.report.problems.append(str(item))
            else:
                self.seen.add(item.id)
                yield item
            if self.on_record is not None:
                self.on_record(item)

    def kept_records(self) -> Iterator[Record]:
        """The good records that are not withheld (on the removal list, or expired)."""
        return (record for record in self.records() if not self.withholding.withheld(record))


@dataclass
class Published:
    """What the published generation holds, as a run starts (under the lock)."""

    name: str
    records: dict[str, str]  # id -> content hash
    schema_version: Any
    labels: Any


def indexed_records(reader: IndexReader) -> dict[str, tuple[int, str]]:
    """id -> (doc number, content hash) of every live document, from the id/hash columns."""
    ids = list(reader.column_reader("id"))
    hashes = list(reader.column_reader("content_hash"))
    return {
        (doc_id.decode() if isinstance(doc_id, bytes) else doc_id): (
            docnum,
            hashes[docnum].decode() if isinstance(hashes[docnum], bytes) else hashes[docnum],
        )
        for docnum, doc_id in enumerate(ids)
        if doc_id and not reader.is_deleted(docnum)
    }


def _published(index_dir: Path) -> Published | None:
    """The published generation's contents; None if there is none, or it cannot be read
    (a damaged index is replaced without a removal limit: there is nothing to protect)."""
    try:
        generation = generations.current_generation(index_dir)
    except generations.IndexMissing:
        return None
    try:
        manifest = generations.read_manifest(generation)
        labels_path = generation / LABELS_FILE
        labels = json.loads(labels_path.read_text("utf-8")) if labels_path.is_file() else None
        with open_index(generation).reader() as reader:
            records = {key: digest for key, (_, digest) in indexed_records(reader).items()}
    except Exception as exc:  # any unreadable generation is treated alike
        log.warning("the published generation %s cannot be read (%s): no removal limit",
                    generation.name, exc)
        return None
    return Published(generation.name, records, manifest.get("schema_version"), labels)


@contextmanager
def building(
    mode: str,
    corpus: Sequence[str | Path],
    index_dir: Path,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_record: OnRecord | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
    removal_limit: RemovalLimit | None = None,
) -> Iterator[Build]:
    """Hold the rebuild lock, hand the block a fresh directory to write a generation into,
    then check what it wrote and publish it.

    Refused before anything is written (``CorpusUnusable``): a corpus path that is missing,
    unreadable or holds no records. Refused after writing (``BuildFailed``): an index
    holding another number of documents than records were counted into it (whoosh's
    multiprocess writer drops a failed worker's documents and only prints the error), more
    records skipped than ``max_errors``, none at all, or more published records missing from
    the corpus than ``removal_limit`` allows (``TooManyRemovals``; the command line's default
    is ``guards.DEFAULT_REMOVAL_LIMIT``, None here means no limit). Not published
    (``report.unchanged``): an update's generation holding what the published one holds.

    ``removals`` are added to those remembered in the index directory, and all of them are
    withheld. The generation published until now is kept for rollback unless it holds a
    record withheld this time.
    """
    started = time.monotonic()
    try:
        check_corpus(corpus)
    except CorpusUnusable as exc:
        raise CorpusUnusable(f"{exc}; nothing was published, the live index was left as it was"
                             ) from None
    report = BuildReport(mode=mode)
    with generations.rebuild_lock(index_dir, mode), _fresh_directory(index_dir) as path:
        remembered = remembered_removals(index_dir)
        withholding = Withholding(removals | remembered, today or dt.date.today())
        published = _published(index_dir)
        build = Build(path, [str(p) for p in corpus], report, Vocabulary.load(), withholding,
                      on_record)
        yield build
        _check(build, max_errors)
        labels = build.vocabulary.labels()
        if published is not None:
            gone = published.records.keys() - build.seen
            intended = gone & withholding.removals
            withholding.removed += len(intended)
            withholding.ids.update(intended)
            if removal_limit is not None:
                removal_limit.check(mode, len(gone - intended), len(published.records))
        if removals - remembered:
            write_remembered_removals(index_dir, removals | remembered)
        report.withheld = {"removed": withholding.removed, "expired": withholding.expired}
        report.seconds = time.monotonic() - started
        if published is not None and _holds_the_same(build, published, labels):
            report.generation, report.unchanged = published.name, True
            return
        report.generation = generations.new_generation_name()
        with report.phase("term arrays"), open_streamed(path).reader() as reader:
            write_term_arrays(path, reader)
        _write_first_published(build, index_dir, published)
        base = generations.generations_dir(index_dir) / report.base if report.base else None
        with report.phase("translations"):
            write_translations(path, base)
        with open(path / LABELS_FILE, "w", encoding="utf-8") as handle:
            json.dump(labels, handle, ensure_ascii=False, sort_keys=True)
        generations.write_manifest(path, report.manifest(build.corpus))
        keep = 1 if _published_holds(index_dir, withholding.ids) else generations.KEEP_GENERATIONS
        with report.phase("publishing"):
            report.path = generations.publish(index_dir, path, report.generation, keep=keep)
        report.published = True


def _holds_the_same(build: Build, published: Published, labels: Any) -> bool:
    """Whether an update's generation holds what the published one does: the same schema, the
    same records with the same content hashes, the same facet labels. A rebuild always
    publishes: it is what an operator runs after upgrading searchsvc (analysis may change
    without a new schema version) and what takes updates' deleted documents off the disk."""
    if build.report.mode == "rebuild" or published.schema_version != SCHEMA_VERSION:
        return False
    if json.loads(json.dumps(labels)) != published.labels:
        return False
    if any(build.report.changes[kind] for kind in ("added", "changed", "removed", "withheld")):
        return False  # without reading every record again
    with open_index(build.path).reader() as reader:
        built = {key: digest for key, (_, digest) in indexed_records(reader).items()}
    return built == published.records


def _write_first_published(build: Build, index_dir: Path, published: Published | None) -> None:
    """``published.i64``, the times carried over from the published generation
    (``indexer.published``), and a time for every record counted in."""
    base = generations.generations_dir(index_dir) / published.name if published else None
    with build.report.phase("first published"):
        dated = write_first_published(build.path, base)
    if dated != build.report.documents:
        raise BuildFailed(
            f"first-published times were written for {dated} records but {build.report.documents}"
            " were read; nothing was published"
        )


@contextmanager
def _fresh_directory(index_dir: Path) -> Iterator[Path]:
    """A fresh directory beside the published generations, removed unless published."""
    path = generations.start_building(index_dir)
    try:
        yield path
    finally:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


def _check(build: Build, max_errors: int) -> None:
    report = build.report
    with open_index(build.path).reader() as reader:
        written = reader.doc_count()
    if written != report.documents:
        raise BuildFailed(
            f"the index holds {written} documents but {report.documents} records were read: "
            "a writer process failed (its error is above); nothing was published"
        )
    if len(report.problems) > max_errors:
        raise TooManyBadRecords(
            f"{len(report.problems)} records were skipped, more than --max-errors "
            f"{max_errors}; the published index was left as it was"
        )
    if report.documents == 0:
        raise BuildFailed("the corpus held no records; the published index was kept")


def _published_holds(index_dir: Path, ids: set[str]) -> bool:
    """Whether the published generation (about to become the one kept for rollback) serves
    any of these records."""
    if not ids:
        return False
    try:
        current = generations.current_generation(index_dir)
        with open_index(current).searcher() as searcher:
            return any(searcher.document_number(id=record_id) is not None for record_id in ids)
    except Exception:  # unreadable: nothing worth keeping for rollback either
        return True


@contextmanager
def index_writer(ix: index.Index, report: BuildReport, jobs: int = 1) -> Iterator[IndexWriter]:
    """A writer on ``ix``: committed (the phase "writing segments") when the block ends,
    cancelled if it fails.

    With ``jobs`` > 1, whoosh forks that many writer processes as documents come: the
    dictionaries are loaded before, so the writers share one copy of them, and the writers
    die with this process (``indexer.writer_processes``).
    """
    with ExitStack() as stack:
        if jobs > 1:
            with report.phase("dictionaries"):
                for language in LANGUAGES:
                    lexicon(language)
            stack.enter_context(writer_processes.writers_die_with_builder())
            writer = ix.writer(procs=jobs, multisegment=True, limitmb=WRITER_MEMORY_MB)
        else:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            yield writer
            with report.phase("writing segments"):
                writer.commit()
        except BaseException:
            writer.cancel()
            raise


def write_generation(
    path: Path,
    records: Iterable[Record],
    report: BuildReport,
    jobs: int = 1,
    schema: Schema | None = None,
) -> None:
    """Index ``records`` into a new whoosh index at ``path`` and write its spelling words
    beside it. Nothing is checked or published here (``building`` does that); tests and
    benchmarks call this alone for a bare index."""
    schema = schema or build_schema()
    ix = index.create_in(str(path), schema)
    with spelling.collecting(path) as words:
        with index_writer(ix, report, jobs) as writer, report.phase("reading and indexing"):
            for record in records:
                writer.add_document(**document_fields(record, schema))
                report.count(record)
    words.write(path)


def rebuild(
    corpus: Sequence[str | Path],
    index_dir: Path,
    jobs: int | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_record: OnRecord | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
    removal_limit: RemovalLimit | None = None,
) -> BuildReport:
    """Read the corpus, write a new generation beside the live one and publish it (always,
    even when it holds what the published one does); withheld records (``removals`` and those
    remembered, past ``expires``) are left out."""
    with building("rebuild", corpus, index_dir, max_errors, on_record, removals, today,
                  removal_limit) as build:
        write_generation(build.path, build.kept_records(), build.report,
                         jobs or os.cpu_count() or 1)
    return build.report
