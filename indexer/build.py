"""Build a complete index generation from records and publish it."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index
from whoosh.fields import Schema

from indexer import generations, spelling
from indexer.lexicon import COMPOUND_LANGUAGES, lexicon
from indexer.records import LANGUAGES, BadRecord, Record
from indexer.schema import (
    body_field,
    build_schema,
    parts_field,
    title_field,
    title_phrase,
    titles_field,
)
from indexer.withheld import Withholding

if TYPE_CHECKING:
    from indexer.vocabulary import Vocabulary

SCHEMA_VERSION = 3
LABELS_FILE = "labels.json"
WRITER_MEMORY_MB = 256


_PR_SET_PDEATHSIG = 1
_writing = False


def _die_with_parent() -> None:
    """Forked writer processes are killed with the rebuild that started them.

    Otherwise a killed rebuild leaves them waiting on their job queue for ever.
    """
    if _writing and sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


os.register_at_fork(after_in_child=_die_with_parent)


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
    by_language: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    published: bool = False
    mode: str = "rebuild"  # or "update"
    base: str | None = None  # the generation an update started from
    # update: records added, changed, removed (gone from the corpus), withheld, unchanged
    changes: Counter = field(default_factory=Counter)
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


def content_hash(record: Record) -> str:
    """A digest of everything indexed from a record, to tell changed records apart."""
    digest = hashlib.sha1()
    # The texts go in as they are (JSON-escaping a long body costs more than hashing it);
    # their lengths first, so no two different records run together alike.
    digest.update(f"{len(record.title)}:{len(record.body)}:".encode())
    digest.update(record.title.encode("utf-8", "surrogatepass"))
    digest.update(record.body.encode("utf-8", "surrogatepass"))
    metadata = [record.id, record.url, record.language, record.date, record.year,
                record.organization, record.division, record.doc_type, record.extra,
                record.expires]
    digest.update(json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _section_offsets(record: Record) -> list[tuple[str, int, int]]:
    offsets = []
    position = 0
    for section in record.sections:
        start = record.body.find(section.text, position)
        if start < 0:
            continue
        end = start + len(section.text)
        offsets.append((section.language, start, end))
        position = end
    return offsets


def stored_text_in(stored: dict[str, Any], language: str) -> str:
    """A stored document's body text in one language, as the indexer analysed it
    (``Record.text_in``: its sections of that language, joined); without a section in that
    language, the whole body."""
    body = stored.get("body") or ""
    spans = [(s, e) for lang, s, e in stored.get("sections") or [] if lang == language]
    return "\n\n".join(body[s:e] for s, e in spans) if spans else body


def record_to_document(record: Record) -> dict[str, Any]:
    """The whoosh fields of a record: its text per language, stored fields and facets."""
    languages = record.languages() or [record.language or "en"]
    main = record.language if record.language in languages else languages[0]
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "body": record.body,
        "language": main,
        "languages": ",".join(languages),
        "sections": _section_offsets(record),
        "extra": record.extra,
        "content_hash": content_hash(record),
        title_field(main): record.title,
    }
    if record.title.strip():
        doc[titles_field(main)] = title_phrase(record.title)
    parallel = record.extra.get("parallel_id")
    if isinstance(parallel, str) and parallel:
        doc["parallel_id"] = parallel
    for name in ("url", "date", "division", "doc_type", "organization", "source", "expires"):
        value = getattr(record, name)
        if value:
            doc[name] = value
    if record.year is not None:
        doc["year"] = record.year
    for language in languages:
        body = record.text_in(language)
        doc[body_field(language)] = body
        if language in COMPOUND_LANGUAGES:
            # The same string object as the body: the analyzer reuses its tokens.
            doc[parts_field(language)] = body
    return doc


def write_generation(
    path: Path,
    records: Iterable[Record | BadRecord],
    report: BuildReport,
    jobs: int = 1,
    on_record: Callable[[Record | BadRecord], None] | None = None,
    schema: Schema | None = None,
) -> None:
    """Index every good record into a new whoosh index at ``path``.

    whoosh's multiprocess writer drops a worker's documents when the worker fails (it only
    prints to stderr and commits the rest), so the documents in the committed index are
    counted against the records handed over, and any difference fails the build.
    """
    global _writing
    schema = schema or build_schema()
    ix = index.create_in(str(path), schema)
    if jobs > 1:
        # Loaded before whoosh forks its writers, the dictionaries are shared copy-on-write
        # and loaded once, not once per writer.
        with report.phase("dictionaries"):
            for language in LANGUAGES:
                lexicon(language)
        _writing = True
        writer = ix.writer(procs=jobs, multisegment=True, limitmb=WRITER_MEMORY_MB)
    else:
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    with spelling.collecting(path) as words:
        try:
            with report.phase("reading and indexing"):
                for item in records:
                    if isinstance(item, BadRecord):
                        report.problems.append(str(item))
                    else:
                        document = record_to_document(item)
                        writer.add_document(**{k: v for k, v in document.items() if k in schema})
                        report.count(item)
                    if on_record is not None:
                        on_record(item)
            with report.phase("writing segments"):
                writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            _writing = False
    with report.phase("verifying"):
        words.write(path)
        with ix.reader() as reader:
            written = reader.doc_count_all()
    if written != report.documents:
        raise BuildFailed(
            f"the index holds {written} documents but {report.documents} records were read: "
            "a writer process failed (its error is above); nothing was published"
        )


@contextmanager
def building_generation(index_dir: Path) -> Iterator[Path]:
    """A fresh directory beside the published generations, removed unless published."""
    building = generations.start_building(index_dir)
    try:
        yield building
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


def finish_generation(  # noqa: PLR0913 - the one place a built generation is published
    building: Path,
    index_dir: Path,
    report: BuildReport,
    corpus: Sequence[str | Path],
    vocabulary: Vocabulary,
    max_errors: int,
    started: float,
    keep: int = generations.KEEP_GENERATIONS,
) -> None:
    """Check a built generation, write its labels and manifest, and publish it."""
    if len(report.problems) > max_errors:
        raise TooManyBadRecords(
            f"{len(report.problems)} records were skipped, more than --max-errors "
            f"{max_errors}; the published index was left as it was"
        )
    if report.documents == 0:
        raise BuildFailed("the corpus held no records; the published index was kept")
    report.generation = generations.new_generation_name()
    report.seconds = time.monotonic() - started
    with open(building / LABELS_FILE, "w", encoding="utf-8") as handle:
        json.dump(vocabulary.labels(), handle, ensure_ascii=False, sort_keys=True)
    generations.write_manifest(building, report.manifest([str(p) for p in corpus]))
    with report.phase("publishing"):
        report.path = generations.publish(index_dir, building, report.generation, keep=keep)
    report.published = True


def rebuild(  # noqa: PLR0913
    corpus: Sequence[str | Path],
    index_dir: Path,
    jobs: int | None = None,
    max_errors: int = 10,
    on_record: Callable[[Record | BadRecord], None] | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> BuildReport:
    """Read the corpus, build a new generation beside the live one and publish it.

    Holds the index directory's rebuild lock throughout. Whatever fails, the published
    generation is left as it was. Withheld records (``removals``, past ``expires``) are left
    out; if the previous generation held any of them it is not kept for rollback.
    """
    from indexer.normalize import iter_records
    from indexer.vocabulary import Vocabulary

    jobs = jobs or os.cpu_count() or 1
    started = time.monotonic()
    report = BuildReport()
    withholding = Withholding(removals, today or dt.date.today())
    with generations.rebuild_lock(index_dir), building_generation(index_dir) as building:
        vocabulary = Vocabulary.load()
        records = withholding.filter(iter_records(corpus, vocabulary))
        write_generation(building, records, report, jobs, on_record)
        report.withheld = {"removed": withholding.removed, "expired": withholding.expired}
        finish_generation(
            building, index_dir, report, corpus, vocabulary, max_errors, started,
            keep=1 if _published_holds(index_dir, withholding.ids)
            else generations.KEEP_GENERATIONS,
        )
    return report


def _published_holds(index_dir: Path, ids: set[str]) -> bool:
    """Whether the published generation (about to become the one kept for rollback) has
    any of these records."""
    if not ids:
        return False
    try:
        current = generations.current_generation(index_dir)
        with index.open_dir(str(current)).reader() as reader:
            return any(("id", record_id) in reader for record_id in ids)
    except Exception:  # noqa: BLE001 - unreadable: nothing worth keeping for rollback either
        return True
