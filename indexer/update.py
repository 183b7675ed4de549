"""Incremental update: the published generation plus the corpus's changes, as a new generation.

A daily cron changes a few records of tens of thousands. Instead of analysing everything
again, the new generation starts as hard links to the published one's files (whoosh never
rewrites a segment file; deletions live in its table of contents), then only records that are
new, changed (their content hash differs) or gone are written or deleted. The spelling word
counts are adjusted by the words of the texts taken out and put in. Locking, checking and
publishing are the build skeleton's (``indexer.build.building``).

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
from collections.abc import Sequence
from pathlib import Path

from whoosh.reading import IndexReader
from whoosh.writing import IndexWriter

from indexer import generations
from indexer.build import (
    DEFAULT_MAX_ERRORS,
    Build,
    BuildReport,
    OnRecord,
    building,
    index_writer,
    indexed_records,
    rebuild,
)
from indexer.contract import LANGUAGES, SCHEMA_VERSION, StoredDocument, stored_text_in
from indexer.documents import content_hash, document_fields
from indexer.guards import RemovalLimit
from indexer.mapped import open_index
from indexer.records import Record
from indexer.spelling import WordCounts, collecting

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


def words_of(stored_documents: list[StoredDocument]) -> WordCounts:
    """The spelling words of documents as they were indexed: the title in the record's main
    language and the body per language (see ``indexer.documents.record_to_document``)."""
    counts = WordCounts()
    for stored in stored_documents:
        main = stored.get("language")
        if main in LANGUAGES and stored.get("title"):
            counts.add_text(main, stored.get("title") or "")
        for language in dict.fromkeys(lang for lang, _, _ in stored.get("sections") or []):
            text = stored_text_in(stored, language) if language in LANGUAGES else ""
            if text:
                counts.add_text(language, text)
    return counts


class _Changes:
    """Applies the corpus, record by record, to a writer on a copy of the published index."""

    def __init__(self, reader: IndexReader, build: Build) -> None:
        self.indexed = indexed_records(reader)
        self.build = build
        self.taken_out: list[int] = []  # doc numbers deleted, for their words

    def _delete(self, writer: IndexWriter, docnum: int, change: str) -> None:
        self.build.report.changes[change] += 1
        self.taken_out.append(docnum)
        writer.delete_document(docnum)

    def apply(self, writer: IndexWriter, record: Record) -> None:
        report = self.build.report
        old = self.indexed.get(record.id)
        if self.build.withholding.withheld(record):
            if old is not None:
                self._delete(writer, old[0], "withheld")
            return
        report.count(record)
        if old is not None and old[1] == content_hash(record):
            report.changes["unchanged"] += 1
            return
        if old is not None:
            self._delete(writer, old[0], "changed")
        else:
            report.changes["added"] += 1
        writer.add_document(**document_fields(record, writer.schema))

    def remove_the_rest(self, writer: IndexWriter) -> None:
        """Records no longer in the corpus: withheld if on the removal list, else removed
        (what the removal limit counts)."""
        removals = self.build.withholding.removals
        for doc_id, (docnum, _) in self.indexed.items():
            if doc_id not in self.build.seen:  # every good record of the corpus
                self._delete(writer, docnum, "withheld" if doc_id in removals else "removed")


def updatable(index_dir: Path) -> bool:
    """Whether a generation of this schema is published (else an update rebuilds)."""
    try:
        base = generations.current_generation(index_dir)
    except generations.IndexMissing:
        return False
    return bool(generations.read_manifest(base).get("schema_version") == SCHEMA_VERSION)


def update(
    corpus: Sequence[str | Path],
    index_dir: Path,
    jobs: int | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_record: OnRecord | None = None,
    removals: frozenset[str] = frozenset(),
    today: dt.date | None = None,
    removal_limit: RemovalLimit | None = None,
) -> BuildReport:
    """Publish the published generation updated to the corpus: new and changed records in,
    records gone from the corpus or withheld out; nothing if nothing changed. Without a
    published generation of this schema, a full rebuild (``jobs`` is for that; an update
    writes in this process)."""
    if not updatable(index_dir):
        log.info(
            "no published generation of schema %s to update in %s: rebuilding",
            SCHEMA_VERSION, index_dir,
        )
        return rebuild(corpus, index_dir, jobs, max_errors, on_record, removals, today,
                       removal_limit)

    with building("update", corpus, index_dir, max_errors, on_record, removals, today,
                  removal_limit) as build:
        report = build.report
        base = generations.current_generation(index_dir)  # as of holding the lock
        report.base = base.name
        with report.phase("linking"):
            link_generation(base, build.path)
        ix = open_index(build.path)
        with ix.reader() as reader:
            changes = _Changes(reader, build)
            with collecting(build.path) as added_words:
                with index_writer(ix, report) as writer, report.phase("reading and indexing"):
                    for record in build.records():
                        changes.apply(writer, record)
                    changes.remove_the_rest(writer)
            with report.phase("spelling words"):
                removed_words = words_of([reader.stored_fields(d) for d in changes.taken_out])
        words = WordCounts.read(base)
        words.subtract(removed_words)
        words.merge(added_words)
        words.write(build.path)
    return build.report
