"""Incremental update: the published generation plus the corpus's changes, as a new generation.

A daily cron changes a few records of tens of thousands. Instead of analysing everything
again, the new generation starts as hard links to the published one's files (whoosh never
rewrites a segment file; deletions live in its table of contents), then only records that are
new, changed (their content hash differs) or gone are written or deleted. The spelling word
counts are adjusted by the words of the texts taken out and put in.

Records withheld (on the removal list, or past ``expires``) are deleted like any other: from
then on nothing of them is searchable, shown or suggested, and the previous generation, where
they still are, is not kept for rollback. Their bytes stay, unreachable, inside the segment
files until whoosh merges those segments or the next rebuild writes everything anew: rewriting
a segment through whoosh costs about as much as a rebuild (110 s for all records here).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from whoosh import index

from indexer import analysis, generations, spelling
from indexer.analysis import text_analyzer
from indexer.build import (
    SCHEMA_VERSION,
    WRITER_MEMORY_MB,
    BuildFailed,
    BuildReport,
    building_generation,
    content_hash,
    finish_generation,
    rebuild,
    record_to_document,
    stored_text_in,
)
from indexer.records import LANGUAGES, BadRecord, Record
from indexer.withheld import Withholding

log = logging.getLogger("searchsvc.index")

def link_generation(source: Path, target: Path) -> None:
    """Hard links in ``target`` to the whoosh index files of ``source`` (copies across
    filesystems). whoosh writes a segment or table-of-contents file once and never opens it
    for writing again, so sharing them cannot change ``source``; our own files (manifest,
    labels, word counts) are written anew, and whoosh's lock file is made fresh."""
    for path in source.iterdir():
        if not path.is_file() or not path.name.startswith(("MAIN_", "_MAIN_")):
            continue
        if path.name == "MAIN_WRITELOCK":
            continue
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


def _indexed(reader) -> dict[str, tuple[int, str]]:
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


def _texts(stored: dict) -> list[tuple[str, str]]:
    """(language, text) of each text the indexer analysed for a stored document: its title in
    its main language and its body per language (see ``build.record_to_document``)."""
    main = stored.get("language")
    texts = [(main, stored.get("title") or "")] if main in LANGUAGES else []
    for language in dict.fromkeys(lang for lang, _, _ in stored.get("sections") or []):
        if language in LANGUAGES:
            texts.append((language, stored_text_in(stored, language)))
    return texts


def _words_of(stored_documents: list[dict]) -> spelling.WordCounts:
    counts = spelling.WordCounts()
    previous = analysis.word_sink
    analysis.word_sink = counts.add_words
    try:
        for stored in stored_documents:
            for language, text in _texts(stored):
                if text:
                    text_analyzer(language)[0].words(text)
    finally:
        analysis.word_sink = previous
    return counts


class _Changes:
    """Applies the corpus, record by record, to a writer on a copy of the published index."""

    def __init__(self, writer, reader, report: BuildReport, withholding: Withholding) -> None:
        self.writer = writer
        self.schema = writer.schema
        self.indexed = _indexed(reader)
        self.report = report
        self.withholding = withholding
        self.seen: set[str] = set()
        self.taken_out: list[int] = []  # doc numbers deleted, for their words

    def _delete(self, docnum: int, change: str) -> None:
        self.report.changes[change] += 1
        self.taken_out.append(docnum)
        self.writer.delete_document(docnum)

    def apply(self, item: Record | BadRecord) -> None:
        if isinstance(item, BadRecord):
            self.report.problems.append(str(item))
            return
        old = self.indexed.get(item.id)
        self.seen.add(item.id)
        if self.withholding.withheld(item):
            if old is not None:
                self._delete(old[0], "withheld")
            return
        self.report.count(item)
        if old is not None and old[1] == content_hash(item):
            self.report.changes["unchanged"] += 1
            return
        if old is not None:
            self._delete(old[0], "changed")
        else:
            self.report.changes["added"] += 1
        document = record_to_document(item)
        self.writer.add_document(**{k: v for k, v in document.items() if k in self.schema})

    def remove_the_rest(self) -> None:
        """Records no longer in the corpus."""
        for doc_id, (docnum, _) in self.indexed.items():
            if doc_id not in self.seen:
                self._delete(docnum, "removed")


def update(
    corpus: Sequence[str | Path],
    index_dir: Path,
    jobs: int | None = None,
    max_errors: int = 10,
    on_record: Callable[[Record | BadRecord], None] | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> BuildReport:
    """Publish the published generation updated to the corpus: new and changed records in,
    records gone from the corpus or withheld out. Without a published generation of this
    schema, a full rebuild."""
    from indexer.normalize import iter_records
    from indexer.vocabulary import Vocabulary

    try:
        base = generations.current_generation(index_dir)
        base_schema = generations.read_manifest(base).get("schema_version")
    except generations.IndexMissing:
        base, base_schema = None, None
    if base is None or base_schema != SCHEMA_VERSION:
        log.info(
            "no published generation of schema %s to update in %s: rebuilding",
            SCHEMA_VERSION, index_dir,
        )
        report = rebuild(corpus, index_dir, jobs, max_errors, on_record, removals, today)
        report.mode = "rebuild"
        return report

    started = time.monotonic()
    report = BuildReport(mode="update")
    withholding = Withholding(removals, today or dt.date.today())
    with generations.rebuild_lock(index_dir), building_generation(index_dir) as building:
        base = generations.current_generation(index_dir)  # as of holding the lock
        report.base = base.name
        with report.phase("linking"):
            link_generation(base, building)
        ix = index.open_dir(str(building))
        vocabulary = Vocabulary.load()
        with ix.reader() as reader:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
            changes = _Changes(writer, reader, report, withholding)
            try:
                with spelling.collecting(building) as added_words:
                    with report.phase("reading and indexing"):
                        for item in iter_records(corpus, vocabulary):
                            changes.apply(item)
                            if on_record is not None:
                                on_record(item)
                        changes.remove_the_rest()
                    with report.phase("writing segments"):
                        writer.commit()
            except BaseException:
                writer.cancel()
                raise
            with report.phase("spelling words"):
                removed_words = _words_of([reader.stored_fields(d) for d in changes.taken_out])
        words = spelling.WordCounts.read(base)
        words.subtract(removed_words)
        words.merge(added_words)
        words.write(building)
        with index.open_dir(str(building)).reader() as fresh:
            written = fresh.doc_count()
        if written != report.documents:
            raise BuildFailed(
                f"the updated index holds {written} documents but the corpus has "
                f"{report.documents}; nothing was published"
            )
        report.withheld = {"removed": withholding.removed, "expired": withholding.expired}
        finish_generation(
            building, index_dir, report, corpus, vocabulary, max_errors, started,
            keep=1 if report.changes["withheld"] else generations.KEEP_GENERATIONS,
        )
    return report
