"""One published generation, opened: its searcher and everything computed once for it.

A ``Snapshot`` opens a generation directory through the index contract (``indexer.contract``)
and holds, for as long as requests use it, one whoosh searcher, the facet columns and filter
masks (``searchsvc.facets``), the term score arrays (``searchsvc.scoring``), the word
lists (``searchsvc.words``) and what ``cross_lang`` searches through (translations and twins,
``searchsvc.crosslang``). The engine (``searchsvc.engine``) opens and warms a snapshot before
requests get one; a superseded snapshot's searcher is closed as soon as the last
request holding it lets it go (``weakref.finalize``), or at ``Engine.close``.

What a request does with a snapshot lives in ``searchsvc.search`` and ``searchsvc.suggest``.
whoosh readers keep file positions, so those read the index inside ``reading()``, one
request at a time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as whoosh_query

from indexer.contract import (
    LANGUAGES,
    StoredDocument,
    body_field,
    read_labels,
    read_manifest,
    read_words,
    title_field,
)
from indexer.generations import IndexMissing
from indexer.mapped import open_index
from indexer.term_arrays import TermArrays
from searchsvc.crosslang import Bridge, Bridges
from searchsvc.facets import FacetColumns
from searchsvc.ranking import WordTier, ranked
from searchsvc.scoring import QueryScorer, Scored
from searchsvc.words import WordList


class Snapshot:
    """One published generation: an open searcher and everything precomputed for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = path.name
        try:
            self.manifest: dict[str, Any] = read_manifest(path)
            labels = read_labels(path)
            self._index = open_index(path)
            self.searcher = self._index.searcher()
        except Exception as exc:  # any unreadable generation is "missing"
            raise IndexMissing(f"the index generation {path} cannot be read: {exc}") from exc
        self._closer = weakref.finalize(self, self.searcher.close)
        reader = self.searcher.reader()
        try:
            self.documents: int = reader.doc_count()
            self.columns = FacetColumns(reader, labels)
        except Exception as exc:
            self._closer()
            raise IndexMissing(f"the index generation {path} cannot be read: {exc}") from exc
        self.scorer = QueryScorer(self.searcher, TermArrays.open(path, reader))
        self._bridges = Bridges(path, reader)
        self._words: dict[str, WordList] = {}
        self._lock = threading.Lock()
        self._io = threading.RLock()

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        self._closer()

    @property
    def closed(self) -> bool:
        return not self._closer.alive

    def warm(self) -> None:
        """Read now what the first requests would otherwise wait for."""
        for language in LANGUAGES:
            self.words(language).warm()
            for field_name in (title_field(language), body_field(language)):
                self.scorer.field_lengths(field_name)
        with self.reading():
            self.bridge()

    # -- reading ------------------------------------------------------------------------

    def reading(self) -> AbstractContextManager[Any]:
        """Hold while reading through the index's files (re-entrant)."""
        return self._io

    def words(self, language: str) -> WordList:
        """The word list of a language (read on first use)."""
        words = self._words.get(language)
        if words is None:
            with self._lock:
                words = self._words.get(language)
                if words is None:
                    try:
                        pairs = read_words(self.path, language)
                    except FileNotFoundError:
                        pairs = []
                    words = self._words[language] = WordList(pairs)
        return words

    def bridge(self) -> Bridge:
        """The translations and twins of ``cross_lang`` (read on first use)."""
        return self._bridges.get()

    def word_lists(self, languages: tuple[str, ...] = LANGUAGES) -> dict[str, WordList]:
        return {language: self.words(language) for language in languages}

    def scored(self, q: whoosh_query.Query, tiers: Sequence[WordTier] = ()) -> Scored:
        """Scores of every document and the mask of live documents the query matches; with
        ``tiers``, the relevance tier of every document too (``searchsvc.ranking``)."""
        scored = ranked(self.scorer, q, tiers)
        return scored._replace(matches=scored.matches & self.columns.live)

    def matches(self, q: whoosh_query.Query) -> np.ndarray:
        """The mask of live documents the query matches."""
        return self.scorer.matches(q) & self.columns.live

    def stored(self, docnum: int) -> StoredDocument:
        stored: StoredDocument = self.searcher.stored_fields(docnum)
        return stored

    def docnum(self, doc_id: str) -> int | None:
        docnum: int | None = self.searcher.document_number(id=doc_id)
        return docnum
