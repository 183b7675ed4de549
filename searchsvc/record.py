"""One record of a snapshot: its answer (``GET /documents/{id}``) and where a query's words
stand in it (the marks of its page, ``searchsvc.document_page``).

``document`` is every stored field with its facet labels and links to its translations, the
answer the JSON gives and the page, the citations (``searchsvc.citations``) and related
records (``searchsvc.related``) are made from. ``marked`` finds a query's words in the whole
title and body as a hit's snippet finds them in a passage (``searchsvc.marks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer.contract import (
    LANGUAGES,
    PARALLEL_ID_FIELD,
    StoredDocument,
    stored_text_in,
    title_field,
)
from searchsvc.folding import restore
from searchsvc.limits import FACETS
from searchsvc.marks import Marks
from searchsvc.parsed_query import HighlightTerms, ParsedQuery
from searchsvc.snapshot import Snapshot
from searchsvc.snippets import Span, spans_at
from searchsvc.syntax import BadQuery

# Fields a record's answer always has, null where the record has no value: what a reader
# links to and when the record is from.
DOCUMENT_NULLABLE = ("url", "source_ref", "date", "date_source", "year")


def _twin_ids(snapshot: Snapshot, doc_id: str, stored: StoredDocument) -> list[str]:
    """The record's translations: the one it names as ``parallel_id`` and those naming it
    (the ``parallel_id`` field indexes who names whom)."""
    own = (stored.get("extra") or {}).get("parallel_id")
    found: list[str | None] = [own] if isinstance(own, str) else []
    if PARALLEL_ID_FIELD in snapshot.searcher.schema:
        with snapshot.reading():
            for docnum in snapshot.searcher.document_numbers(**{PARALLEL_ID_FIELD: doc_id}):
                found.append(snapshot.stored(docnum).get("id"))
    return [t for t in dict.fromkeys(found) if t and t != doc_id]


def document(snapshot: Snapshot, doc_id: str, ui: str) -> dict[str, Any] | None:
    """All stored fields of a record, facet labels and links to its translations."""
    with snapshot.reading():
        docnum = snapshot.docnum(doc_id)
        if docnum is None:
            return None
        stored = snapshot.stored(docnum)
    labels = {}
    for name, column in FACETS.items():
        value = stored.get(column)
        if value is not None and value != "":
            labels[name] = {"key": value, "label": snapshot.columns.label(column, value, ui)}
    translations = []
    for twin_id in _twin_ids(snapshot, doc_id, stored):
        with snapshot.reading():
            twin = snapshot.docnum(twin_id)
            if twin is None:
                continue
            fields = snapshot.stored(twin)
        translations.append(
            {
                "id": twin_id,
                "lang": fields.get("language"),
                "title": fields.get("title"),
                "url": fields.get("url"),
            }
        )
    answer: dict[str, Any] = dict(stored)
    for name in DOCUMENT_NULLABLE:
        answer.setdefault(name, None)
    answer["sections"] = [list(s) for s in stored.get("sections") or []]
    answer["labels"] = labels
    answer["translations"] = translations
    return answer


@dataclass(frozen=True)
class Marked:
    """Where a query's words stand in a record: (start, end) offsets into its stored title
    and body, in order."""

    title: list[Span] = field(default_factory=list)
    body: list[Span] = field(default_factory=list)


def marked(snapshot: Snapshot, doc_id: str, query: ParsedQuery | None) -> Marked:
    """The query's words in a record's title and whole body, found as a hit's snippet finds
    them (the positions the index stores for the terms the query matches, in each language's
    text). A query whose prefix or fuzzy word expands too far marks nothing."""
    if query is None:
        return Marked()
    with snapshot.reading():
        docnum = snapshot.docnum(doc_id)
        if docnum is None:
            return Marked()
        try:
            terms = restore(query, snapshot).highlight_terms(snapshot.scorer.expanding)
        except BadQuery:
            return Marked()
        if not terms:
            return Marked()
        stored = snapshot.stored(docnum)
        return Marked(
            _title_spans(snapshot, terms, docnum, stored),
            _body_spans(snapshot, terms, docnum, stored),
        )


def _title_spans(
    snapshot: Snapshot, terms: HighlightTerms, docnum: int, stored: StoredDocument
) -> list[Span]:
    """The title is indexed in the record's main language only."""
    title, language = stored.get("title") or "", stored.get("language")
    if language not in LANGUAGES:
        return []
    positions = Marks(snapshot, terms, [docnum], title_field).positions(language, docnum)
    return [(start, end) for start, end, _ in spans_at(title, positions, reach=None)]


def _body_spans(
    snapshot: Snapshot, terms: HighlightTerms, docnum: int, stored: StoredDocument
) -> list[Span]:
    """Each language's text is indexed on its own (``stored_text_in``: its sections joined
    by a blank line); offsets into that text are mapped back into the body."""
    marks = Marks(snapshot, terms, [docnum])
    sections = stored.get("sections") or []
    languages = list(dict.fromkeys(str(s[0]) for s in sections if s[0] in LANGUAGES))
    if not languages:
        main = stored.get("language") or ""
        languages = [main if main in LANGUAGES else "en"]
    found: list[Span] = []
    for language in languages:
        positions = marks.positions(language, docnum)
        if not positions:
            continue
        text = stored_text_in(stored, language)
        pieces = _pieces_in_body(stored, language)
        for start, end, _ in spans_at(text, positions, reach=None):
            for joined, in_body, length in pieces:
                if joined <= start and end <= joined + length:
                    found.append((in_body + start - joined, in_body + end - joined))
                    break
    return sorted(set(found))


def _pieces_in_body(stored: StoredDocument, language: str) -> list[tuple[int, int, int]]:
    """(offset in ``stored_text_in``, offset in the body, length) of each piece of a
    language's text."""
    spans = [(s, e) for lang, s, e in stored.get("sections") or [] if lang == language]
    if not spans:
        return [(0, 0, len(stored.get("body") or ""))]
    pieces, joined = [], 0
    for start, end in spans:
        pieces.append((joined, start, end - start))
        joined += end - start + len("\n\n")
    return pieces
