"""Searching a snapshot: a page of hits with snippets, facet counts, did-you-mean.

``search`` answers ``GET /search``: the request's query (compiled once, in the request) is
scored over arrays (``searchsvc.scoring``), filtered by facet masks (``searchsvc.facets``),
counted per facet with each facet's own filter left out (disjunctive, for multi-select), and
the page's hits get a snippet of the passage that matched best (``searchsvc.snippets``).
``select``, ``ordered`` and ``hit`` are what a page shares with an export
(``searchsvc.export``); ``histogram`` counts the hits over time. ``facet_counts`` answers
``GET /facets``; one record (``GET /documents/{id}``) is ``searchsvc.record``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.query import Query

from indexer.contract import (
    LANGUAGES,
    StoredDocument,
    stored_text_in,
)
from searchsvc import histogram
from searchsvc.crosslang import Widened, across_languages
from searchsvc.folding import restore
from searchsvc.limits import FACETS
from searchsvc.marks import Marks
from searchsvc.parsed_query import HighlightTerms, ParsedQuery
from searchsvc.query import compile_query
from searchsvc.ranking import top_documents
from searchsvc.request import SearchRequest
from searchsvc.scoring import Scored
from searchsvc.snapshot import Snapshot
from searchsvc.snippets import snippet, spans_at
from searchsvc.syntax import BadQuery
from searchsvc.words import respell

# A spelling suggestion is looked for when a query has fewer hits than this.
FEW_HITS = 3
# Why a query found nothing whatever the index holds (``warning`` of an answer).
NO_WORDS = {
    "code": "no_searchable_words",
    "message": "The query has no word to search for, only syntax, symbols or stop words, "
    "so it finds nothing. An empty q lists every record.",
}


def search(snapshot: Snapshot, request: SearchRequest) -> dict[str, Any]:
    """One page of hits, the total, disjunctive facet counts and a spelling suggestion."""
    with snapshot.reading():
        return _search(snapshot, request)


@dataclass(frozen=True)
class Selection:
    """Every record a request matches under its filters (``docs``, a mask over doc numbers),
    and what orders and marks them: a page of hits (``search``) and an export
    (``searchsvc.export``) are read from the same selection."""

    query: ParsedQuery
    scored: Scored
    widened: Widened | None
    filters: dict[str, np.ndarray]
    docs: np.ndarray
    total: int
    listed: Query  # what the total counts: the ranked query, or every word of it


def select(snapshot: Snapshot, request: SearchRequest) -> Selection:
    """The records the request's query and filters match (read inside ``reading()``)."""
    query = restore(request.query, snapshot)
    ranked = request.sort == "relevance" and not query.matches_everything
    listed = query.whoosh if ranked else query.every_word
    scored = snapshot.scored(listed, query.tiers if ranked else ())
    widened = None
    if request.cross_lang:
        widened = across_languages(snapshot, query, scored, every_word=not ranked)
    if widened is not None:
        scored = widened.scored
    filters = _filters(snapshot, request)
    docs = _intersect(scored.matches, filters.values())
    return Selection(query, scored, widened, filters, docs, int(np.count_nonzero(docs)), listed)


def ordered(
    snapshot: Snapshot, selection: Selection, request: SearchRequest, first: int, count: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Doc numbers of the hits ``first`` to ``first + count`` in the order of ``sort``, and
    their scores under ``sort=relevance`` (None otherwise)."""
    docs = selection.docs
    if request.sort in ("newest", "oldest"):
        by_date = _by_date(snapshot, docs, newest=request.sort == "newest")
        return by_date[first : first + count], None
    if selection.query.matches_everything:
        return np.flatnonzero(docs)[first : first + count], None
    top = top_documents(selection.scored.scores, docs, first + count, selection.scored.tiers)
    chosen = top[first:]
    return (np.array([d for d, _ in chosen], dtype=np.int64),
            np.array([score for _, score in chosen], dtype=np.float64))


def highlight_terms(
    snapshot: Snapshot, selection: Selection, request: SearchRequest
) -> HighlightTerms:
    """The index terms to mark in hits' snippets (those the query and ``cross_lang`` found)."""
    terms = selection.query.highlight_terms(snapshot.scorer.expanding) if request.q.strip() else {}
    widened = selection.widened
    if widened is not None:
        terms = {f: terms.get(f, set()) | widened.terms.get(f, set())
                 for f in terms.keys() | widened.terms.keys()}
    return terms


def _search(snapshot: Snapshot, request: SearchRequest) -> dict[str, Any]:
    selection = select(snapshot, request)
    query, scored, filters, docs, total = (
        selection.query, selection.scored, selection.filters, selection.docs, selection.total)
    all_words = total
    if selection.listed is not query.every_word:
        all_words = int(
            np.count_nonzero(_intersect(snapshot.matches(query.every_word), filters.values()))
        )

    first = request.first
    hits: list[dict[str, Any]] = []
    if first < total:
        docnums, scores = ordered(snapshot, selection, request, first, request.size)
        chosen = [(int(d), None if scores is None else float(scores[i]))
                  for i, d in enumerate(docnums)]
        terms = highlight_terms(snapshot, selection, request)
        marks = Marks(snapshot, terms, [d for d, _ in chosen], query=query)
        hits = [hit(snapshot, d, s, marks, request.ui) for d, s in chosen]

    columns = snapshot.columns
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in request.facets:
        column = FACETS[name]
        others = [mask for f, mask in filters.items() if f != column]
        base = docs if column not in filters else _intersect(scored.matches, others)
        facets[name] = columns.counts_list(column, columns.count(column, base), request.ui)

    did_you_mean = None
    if all_words < FEW_HITS and request.q.strip() and not query.has_no_words:
        did_you_mean = _did_you_mean(snapshot, request, all_words, filters)
    return {
        "total": total,
        "total_all_words": all_words,
        "page": request.page,
        "size": request.size,
        "hits": hits,
        "facets": facets,
        "did_you_mean": did_you_mean,
        "warning": NO_WORDS if query.has_no_words else None,
        **({"histogram": histogram.counts(snapshot, docs, request.histogram)}
           if request.histogram else {}),
    }


def matching(snapshot: Snapshot, request: SearchRequest) -> np.ndarray:
    """The mask of the records ``/search`` finds for a request sorted by date (every word of
    the query, widened by ``cross_lang``, under the filters): what ``/feed`` lists."""
    with snapshot.reading():
        query = restore(request.query, snapshot)
        scored = snapshot.scored(query.every_word)
        if request.cross_lang:
            scored = across_languages(snapshot, query, scored, every_word=True).scored
        return _intersect(scored.matches, _filters(snapshot, request).values())


def _filters(snapshot: Snapshot, request: SearchRequest) -> dict[str, np.ndarray]:
    """Masks per facet column of the request's filters (cached per generation)."""
    c = snapshot.columns
    found: dict[str, np.ndarray] = {}
    if request.languages:
        found["language"] = c.filter("language", request.languages)
    if request.divisions:
        found["division"] = c.filter("division", request.divisions)
    if request.types:
        found["doc_type"] = c.filter("doc_type", request.types)
    if request.orgs:
        found["organization"] = c.filter("organization", request.orgs)
    years: np.ndarray | None = None
    if request.years:
        years = c.filter("year", [int(y) for y in request.years])
    if request.year_from is not None or request.year_to is not None:
        span = c.year_range(request.year_from, request.year_to)
        years = span if years is None else years & span
    if years is not None:
        found["year"] = years
    return found


def _intersect(base: np.ndarray, masks: Iterable[np.ndarray]) -> np.ndarray:
    result = base.copy()
    for mask in masks:
        result &= mask
    return result


def _by_date(snapshot: Snapshot, docs: np.ndarray, newest: bool) -> np.ndarray:
    """Doc numbers of the mask oldest (or newest) first; the undated always last."""
    order = snapshot.columns.date_order
    ordered = order[docs[order]]
    if not newest:
        return ordered
    known = int(np.count_nonzero(docs & snapshot.columns.dated))
    return np.concatenate([ordered[:known][::-1], ordered[known:]])


def _did_you_mean(
    snapshot: Snapshot, request: SearchRequest, total: int, filters: dict[str, np.ndarray]
) -> str | None:
    """The query respelled, if that finds more records with every word under the same
    filters than the ``total`` the query finds."""
    suggestion = respell(request.query, snapshot.word_lists(), request.languages or LANGUAGES)
    if suggestion is None:
        return None
    try:
        matches = snapshot.matches(compile_query(suggestion).every_word)
    except BadQuery:  # a longer word can push the query over its limits
        return None
    found = _intersect(matches, filters.values())
    return suggestion if int(np.count_nonzero(found)) > total else None


# --- hits -------------------------------------------------------------------------------------


def _keyed(snapshot: Snapshot, name: str, key: str | None, ui: str) -> dict[str, str] | None:
    if not key:
        return None
    return {"key": key, "label": snapshot.columns.label(FACETS[name], key, ui)}


def described(snapshot: Snapshot, docnum: int, ui: str) -> dict[str, Any]:
    """What a hit tells of its record (``/search``, exports, related records): id, title,
    address, language, date and the facet keys with their labels in ``ui``."""
    stored = snapshot.stored(docnum)
    return {
        "id": stored.get("id"),
        "title": stored.get("title") or "",
        "url": stored.get("url"),
        "lang": stored.get("language"),
        "date": stored.get("date"),
        "date_source": stored.get("date_source"),
        "year": stored.get("year"),
        "type": _keyed(snapshot, "type", stored.get("doc_type"), ui),
        "division": _keyed(snapshot, "division", stored.get("division"), ui),
        "org": _keyed(snapshot, "org", stored.get("organization"), ui),
    }


def hit(
    snapshot: Snapshot, docnum: int, score: float | None, marks: Marks, ui: str
) -> dict[str, Any]:
    return {**described(snapshot, docnum, ui), "score": score,
            "snippet": _snippet(docnum, snapshot.stored(docnum), marks)}


def _snippet(docnum: int, stored: StoredDocument, marks: Marks) -> str:
    """HTML: the best passage, from the body text in the language the query matched best (the
    record's main language on a tie)."""
    sections = stored.get("sections") or []
    language = stored.get("language")
    main = language if language in LANGUAGES else "en"
    present = [lang for lang, _, _ in sections if lang in LANGUAGES]
    best: tuple[int, str, dict[int, str]] = (-1, main, {})
    for candidate in dict.fromkeys([main, *present]):
        positions = marks.positions(candidate, docnum) if marks else {}
        found = len(set(positions.values()))
        if found > best[0]:
            best = (found, candidate, positions)
    _, language, positions = best
    text = stored_text_in(stored, language)
    return snippet(text, spans_at(text, positions), parts=marks.part_keys(language))


# --- the whole index -------------------------------------------------------------------------


def facet_counts(snapshot: Snapshot, ui: str) -> dict[str, list[dict[str, Any]]]:
    """Every facet over the whole index."""
    columns = snapshot.columns
    return {
        name: columns.counts_list(column, columns.count(column, columns.live), ui)
        for name, column in FACETS.items()
    }
