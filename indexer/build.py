"""Building a generation: the skeleton every rebuild and update runs, and the rebuild itself.

    lock -> fresh building directory -> vocabulary -> [write] -> count check
         -> labels.json and manifest.json -> publish

``building()`` owns every step but the writing: ``rebuild`` (here) writes a new index from
the corpus, ``indexer.update.update`` a copy of the published one plus what changed. Whatever
fails, the building directory is removed, the lock released and the published generation left
as it was; a killed build leaves a directory that the next one removes, and the kernel
releases its lock.
"""

from __future__ import annotations

import datetime as dt
import json
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
from whoosh.writing import IndexWriter

from indexer import generations, spelling, writer_processes
from indexer.contract import LABELS_FILE, LANGUAGES, SCHEMA_VERSION
from indexer.documents import document_fields
from indexer.lexicon import lexicon
from indexer.normalize import iter_records
from indexer.records import BadRecord, Record
from indexer.schema import build_schema
from indexer.vocabulary import Vocabulary
from indexer.withheld import Withholding

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

    def records(self) -> Iterator[Record]:
        """The corpus's good records, withheld ones included; bad ones go to the report.
        ``on_record`` sees each record, good or bad, once it has been dealt with."""
        for item in iter_records(self.corpus, self.vocabulary):
            if isinstance(item, BadRecord):
                self.report.problems.append(str(item))
            else:
                yield item
            if self.on_record is not None:
                self.on_record(item)

    def kept_records(self) -> Iterator[Record]:
        """The good records that are not withheld (on the removal list, or expired)."""
        return (record for record in self.records() if not self.withholding.withheld(record))


@contextmanager
def building(
    mode: str,
    corpus: Sequence[str | Path],
    index_dir: Path,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_record: OnRecord | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> Iterator[Build]:
    """Hold the rebuild lock, hand the block a fresh directory to write a generation into,
    then check what it wrote and publish it.

    A generation is refused (``BuildFailed``) when the index holds another number of
    documents than records were counted into it (whoosh's multiprocess writer drops a failed
    worker's documents and only prints the error), when more records were skipped than
    ``max_errors``, or when there were none. The generation published until now is kept for
    rollback unless it holds a record withheld this time.
    """
    started = time.monotonic()
    report = BuildReport(mode=mode)
    withholding = Withholding(removals, today or dt.date.today())
    with generations.rebuild_lock(index_dir), _fresh_directory(index_dir) as path:
        build = Build(path, [str(p) for p in corpus], report, Vocabulary.load(), withholding,
                      on_record)
        yield build
        _check(build, max_errors)
        report.withheld = {"removed": withholding.removed, "expired": withholding.expired}
        report.generation = generations.new_generation_name()
        report.seconds = time.monotonic() - started
        with open(path / LABELS_FILE, "w", encoding="utf-8") as handle:
            json.dump(build.vocabulary.labels(), handle, ensure_ascii=False, sort_keys=True)
        generations.write_manifest(path, report.manifest(build.corpus))
        keep = 1 if _published_holds(index_dir, withholding.ids) else generations.KEEP_GENERATIONS
        with report.phase("publishing"):
            report.path = generations.publish(index_dir, path, report.generation, keep=keep)
        report.published = True


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
    with index.open_dir(str(build.path)).reader() as reader:
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
        with index.open_dir(str(current)).searcher() as searcher:
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
) -> BuildReport:
    """Read the corpus, write a new generation beside the live one and publish it; withheld
    records (``removals``, past ``expires``) are left out."""
    with building("rebuild", corpus, index_dir, max_errors, on_record, removals, today) as build:
        write_generation(build.path, build.kept_records(), build.report,
                         jobs or os.cpu_count() or 1)
    return build.report
