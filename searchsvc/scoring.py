"""BM25F scores of a whole query at once, over arrays, with whoosh's own formula and statistics.

whoosh scores one document at a time through a tree of matcher objects in Python: about
15–20 µs per matching document, so a query matching 5,000 records spends ~90 ms ranking them.
Here each term's posting list becomes two arrays (doc numbers, BM25F score) once per
generation (its postings sliced from the segments' term arrays where they hold it,
``indexer.term_arrays``, else read from whoosh's blocks), and a query's scores are sums,
maxima and masks over dense arrays in numpy: the same numbers as whoosh
(``tests/test_scoring.py`` compares them), in a few milliseconds.

Query nodes without a rule here are scored by walking whoosh's own matcher, so every query
gets whoosh's score; only the common ones get it fast.

The order of hits, relevance tiers before scores, is ``searchsvc.ranking``'s. The scoring
rules stay one class of over 400 lines because every rule reads the same per-generation term
cache and memo; split by node type they would pass that state between modules.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from whoosh import query as whoosh_query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.query.spans import SpanNear
from whoosh.scoring import BM25FScorer
from whoosh.util.numeric import byte_to_length

from indexer.term_arrays import TermArrays
from searchsvc.limits import MAX_EXPANSIONS
from searchsvc.nodes import AtLeast
from searchsvc.phrases import phrase_docs, word_keys

# Bytes of term score arrays kept per generation and worker (a term in every document of
# 32,793 takes 390 kB); when full, the cache starts again.
TERM_CACHE_BYTES = 192 * 1024 * 1024
_BYTE_LENGTHS = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


class Scored(NamedTuple):
    scores: np.ndarray  # float64 per doc number, 0 where the query does not match
    matches: np.ndarray  # bool per doc number
    # Relevance tier per doc number (higher first; ``searchsvc.ranking.tiers``), or None.
    tiers: np.ndarray | None = None


class TermScores(NamedTuple):
    docs: np.ndarray  # int32 doc numbers, ascending
    scores: np.ndarray  # float64 BM25F score of the term in each doc


class ExpandingReader:
    """A reader whose fuzzy and prefix expansions are remembered for its generation.

    whoosh finds the terms within an edit distance by comparing the word with every term of
    the field sharing its first letter (tens of milliseconds per field, nine fields per
    word); the scorer and the highlighter each need the same expansions.
    """

    CACHE_SIZE = 5_000

    def __init__(self, reader) -> None:
        self._reader = reader
        self._cache: dict[tuple, list] = {}

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def __contains__(self, term) -> bool:
        return term in self._reader

    def _remember(self, key: tuple, compute) -> list:
        found = self._cache.get(key)
        if found is None:
            found = list(compute())
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def terms_within(self, fieldname, text, maxdist, prefix=0):
        key = ("within", fieldname, text, maxdist, prefix)
        return self._remember(
            key, lambda: self._reader.terms_within(fieldname, text, maxdist, prefix)
        )

    def expand_prefix(self, fieldname, prefix):
        """The first ``MAX_EXPANSIONS + 1`` terms only: a query over the limit is refused
        (``searchsvc.nodes.CompletePrefix``) and ``a`` need not hold every term of "a*"."""
        key = ("prefix", fieldname, prefix)
        return self._remember(
            key,
            lambda: itertools.islice(
                self._reader.expand_prefix(fieldname, prefix), MAX_EXPANSIONS + 1
            ),
        )


class QueryScorer:
    """Scores queries over one open searcher (one generation); safe to share between threads."""

    def __init__(self, searcher, arrays: TermArrays | None = None) -> None:
        self._searcher = searcher
        self._reader = searcher.reader()
        self._arrays = arrays or TermArrays(self._reader)
        self.expanding = ExpandingReader(self._reader)
        self.size = self._reader.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        self._terms: dict[tuple[str, bytes], TermScores] = {}
        self._terms_bytes = 0
        self._lock = threading.Lock()

    # -- per generation, cached ---------------------------------------------------------

    def field_lengths(self, field_name: str) -> np.ndarray:
        """The length of ``field_name`` in every document, as whoosh's scorer sees it."""
        found = self._lengths.get(field_name)
        if found is None:
            parts = []
            for leaf, _base in self._reader.leaf_readers():
                # The per-document length bytes whoosh's own doc_field_length decodes.
                column = leaf._perdoc._cached_reader(_lenfield(field_name), LENGTHS_COLUMN)
                if column is None:
                    parts.append(np.zeros(leaf.doc_count_all(), dtype=np.float64))
                else:
                    parts.append(_BYTE_LENGTHS[np.fromiter(column, dtype=np.uint8)])
            found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
            with self._lock:
                self._lengths[field_name] = found
        return found

    def term(self, field_name: str, text: str | bytes) -> TermScores:
        """The docs a term occurs in and its BM25F score in each (no query boost)."""
        schema = self._searcher.schema
        if field_name not in schema:
            return TermScores(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))
        btext = text if isinstance(text, bytes) else schema[field_name].to_bytes(text)
        key = (field_name, btext)
        found = self._terms.get(key)
        if found is not None:
            return found
        docs, weights = self._arrays.postings(field_name, btext)
        if not len(docs):
            found = TermScores(docs, weights)
        else:
            found = self._term_scores(field_name, text, btext, docs, weights)
        with self._lock:
            size = found.docs.nbytes + found.scores.nbytes + 200
            if self._terms_bytes + size > TERM_CACHE_BYTES:
                self._terms.clear()
                self._terms_bytes = 0
            self._terms[key] = found
            self._terms_bytes += size
        return found

    def _term_scores(
        self,
        field_name: str,
        text: str | bytes,
        btext: bytes,
        docs: np.ndarray,
        weights: np.ndarray,
    ) -> TermScores:
        scorer = self._searcher.weighting.scorer(self._searcher, field_name, btext)
        if isinstance(scorer, BM25FScorer):
            lengths = self.field_lengths(field_name)[docs]
            k1, b = scorer.K1, scorer.B
            scores = scorer.idf * (
                (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / scorer.avgfl))
            )
        else:
            scores = self._walk(whoosh_query.Term(field_name, text)).scores[docs]
        return TermScores(docs, scores)

    # -- queries ------------------------------------------------------------------------

    def score(
        self, q: whoosh_query.Query, memo: dict[whoosh_query.Query, Scored] | None = None
    ) -> Scored:
        """Scores and matches of every document for ``q``, as whoosh would compute them.

        Query boosts apply where whoosh applies them: on terms, and on And/Or of two or more
        subqueries; nodes walked through whoosh's matcher carry their own. ``memo`` keeps the
        costly nodes (phrases, prefixes, fuzzy words) for other queries scored with it.
        """
        if memo is None:
            memo = {}
        costly = isinstance(q, SpanNear | whoosh_query.MultiTerm)
        if costly and q in memo:
            return memo[q]
        scored = self._score(q, memo)
        if costly:
            memo[q] = scored
        return scored

    def _score(self, q: whoosh_query.Query, memo: dict[whoosh_query.Query, Scored]) -> Scored:
        if q is whoosh_query.NullQuery:
            return Scored(np.zeros(self.size), np.zeros(self.size, dtype=bool))
        if isinstance(q, whoosh_query.Term):
            found = self.term(q.fieldname, q.text)
            scores = np.zeros(self.size, dtype=np.float64)
            matches = np.zeros(self.size, dtype=bool)
            scores[found.docs] = found.scores * q.boost
            matches[found.docs] = True
            return Scored(scores, matches)
        if type(q) is AtLeast:
            return self._at_least(q, memo)
        if isinstance(q, whoosh_query.And | whoosh_query.Or) and (
            type(q) in (whoosh_query.And, whoosh_query.Or)
            and not getattr(q, "minmatch", 0)
            and not getattr(q, "scale", None)
        ):
            return self._compound(q, memo)
        if type(q) is whoosh_query.AndNot:
            a, b = self.score(q.a, memo), self.score(q.b, memo)
            matches = a.matches & ~b.matches
            return Scored(np.where(matches, a.scores, 0.0), matches)
        if type(q) is whoosh_query.Require:
            a, b = self.score(q.a, memo), self.score(q.b, memo)
            matches = a.matches & b.matches
            return Scored(np.where(matches, a.scores, 0.0), matches)
        if type(q) is whoosh_query.AndMaybe:
            a, b = self.score(q.a, memo), self.score(q.b, memo)
            return Scored(np.where(a.matches, a.scores + b.scores, 0.0), a.matches)
        if isinstance(q, SpanNear):
            chain = _phrase_chain(q)
            if chain is not None and len({t.fieldname for _, terms in chain for t in terms}) == 1:
                return self._phrase(chain)
        if isinstance(q, whoosh_query.MultiTerm) and not isinstance(q, whoosh_query.Every):
            return self._expanded(q)
        if isinstance(q, whoosh_query.Every):
            return Scored(np.ones(self.size), np.ones(self.size, dtype=bool))
        if type(q) is whoosh_query.Not:
            # whoosh's InverseMatcher gives every match the weight 1.
            matches = ~self.score(q.query, memo).matches
            return Scored(matches.astype(np.float64), matches)
        return self._walk(q)

    def _phrase(self, chain: list[tuple[int, list[whoosh_query.Term]]]) -> Scored:
        """An exact phrase: whoosh scores it as the sum of its words' scores (the intersection
        under its span matcher) in the documents where the words stand at the right
        distances. Those are checked against the positions the index stores, only in the
        documents holding every word (``searchsvc.phrases``)."""
        words = [
            self.score(terms[0] if len(terms) == 1 else whoosh_query.Or(terms))
            for _, terms in chain
        ]
        matches = words[0].matches.copy()
        for word in words[1:]:
            matches &= word.matches
        candidates = np.flatnonzero(matches)
        if len(candidates):
            schema = self._searcher.schema
            chain_keys = [
                [word_keys(self._reader, schema, t.fieldname,
                           schema[t.fieldname].to_bytes(t.text), candidates, offset,
                           self.positions, self._arrays)
                 for t in terms]
                for offset, terms in chain
            ]
            matches[:] = False
            matches[phrase_docs(chain_keys)] = True
        scores = np.zeros(self.size, dtype=np.float64)
        for word in words:
            scores += word.scores
        scores[~matches] = 0.0
        return Scored(scores, matches)

    def positions(
        self, field_name: str, text: str, candidates: np.ndarray
    ) -> Iterator[tuple[int, list[int]]]:
        """(doc, the token positions the index stores for a term) for those of
        ``candidates`` (ascending doc numbers) that hold it."""
        held = self.term(field_name, text).docs
        if len(candidates) == 1:  # one hit's snippet, for each of the query's terms
            at = int(np.searchsorted(held, candidates[0]))
            docs = candidates if at < len(held) and held[at] == candidates[0] else held[:0]
        else:  # both ascending, without repeats
            docs = np.intersect1d(held, candidates, assume_unique=True)
        if not len(docs):
            return
        btext = self._searcher.schema[field_name].to_bytes(text)
        for segment, (leaf, base) in enumerate(self._reader.leaf_readers()):
            local = docs[(docs >= base) & (docs < base + leaf.doc_count_all())] - base
            if not len(local) or (field_name, btext) not in leaf:
                continue
            arrays = self._arrays.positions(segment, field_name, btext, local)
            if arrays is not None:  # gathered from the term arrays
                held, counts, positions = arrays
                for doc, end, count in zip(held.tolist(), np.cumsum(counts).tolist(),
                                           counts.tolist(), strict=True):
                    yield doc + base, positions[end - count : end].tolist()
                continue
            # A segment with deleted documents hands out a filtering matcher, which has no
            # format of its own: the field's is the same.
            m = leaf.postings(field_name, btext)
            decode = self._searcher.schema[field_name].format.decode_positions
            for doc in local.tolist():
                m.skip_to(doc)
                if m.is_active() and m.id() == doc:
                    yield doc + base, decode(m.value())

    def _expanded(self, q: whoosh_query.MultiTerm) -> Scored:
        """A prefix, wildcard or fuzzy word as whoosh scores it: the Or of the terms it
        expands to (one term alone keeps its own score, without the query's boost)."""
        texts = [text for text in q._btexts(self.expanding) if text]
        scores = np.zeros(self.size, dtype=np.float64)
        matches = np.zeros(self.size, dtype=bool)
        # Term by term into one array (a term's doc numbers are distinct): the sum an Or of
        # the terms gives, without a dense array per term.
        for text in texts:
            found = self.term(q.fieldname, text)
            scores[found.docs] += found.scores
            matches[found.docs] = True
        if len(texts) > 1 and q.boost != 1.0:
            scores *= q.boost
        return Scored(scores, matches)

    def _compound(
        self, q: whoosh_query.CompoundQuery, memo: dict[whoosh_query.Query, Scored]
    ) -> Scored:
        if isinstance(q, whoosh_query.Or):
            return self._any(q, memo)
        subs = [self.score(sub, memo) for sub in q.subqueries]
        if not subs:
            return Scored(np.zeros(self.size), np.zeros(self.size, dtype=bool))
        scores = subs[0].scores.copy()
        matches = subs[0].matches.copy()
        for sub in subs[1:]:
            scores += sub.scores
            if isinstance(q, whoosh_query.And):
                matches &= sub.matches
            else:
                matches |= sub.matches
        if isinstance(q, whoosh_query.And):
            scores[~matches] = 0.0
        if q.boost != 1.0 and len(subs) > 1:
            scores *= q.boost
        return Scored(scores, matches)

    def _any(self, q: whoosh_query.Or, memo: dict[whoosh_query.Query, Scored]) -> Scored:
        """An Or: its subqueries' scores summed in order (the same sums as whoosh's), a term
        added at its own documents only, without a dense array of its own."""
        scores = np.zeros(self.size, dtype=np.float64)
        matches = np.zeros(self.size, dtype=bool)
        for sub in q.subqueries:
            if type(sub) is whoosh_query.Term:
                found = self.term(sub.fieldname, sub.text)
                scores[found.docs] += found.scores * sub.boost
                matches[found.docs] = True
            else:
                scored = self.score(sub, memo)
                scores += scored.scores
                matches |= scored.matches
        if q.boost != 1.0 and len(q.subqueries) > 1:
            scores *= q.boost
        return Scored(scores, matches)

    def _at_least(self, q: AtLeast, memo: dict[whoosh_query.Query, Scored]) -> Scored:
        """Documents holding ``q.minimum`` of the subqueries, with the sum of their scores."""
        scores = np.zeros(self.size, dtype=np.float64)
        held = np.zeros(self.size, dtype=np.int32)
        for sub in q.subqueries:
            scored = self.score(sub, memo)
            scores += scored.scores
            held += scored.matches
        matches = held >= q.minimum
        scores[~matches] = 0.0
        if q.boost != 1.0 and len(q.subqueries) > 1:
            scores *= q.boost
        return Scored(scores, matches)

    def matches(
        self, q: whoosh_query.Query, memo: dict[whoosh_query.Query, Scored] | None = None
    ) -> np.ndarray:
        """The documents ``q`` matches, without scores where terms, Or and And suffice
        (``memo`` as for ``score``)."""
        if memo is None:
            memo = {}
        if type(q) is whoosh_query.Term:
            matches = np.zeros(self.size, dtype=bool)
            matches[self.term(q.fieldname, q.text).docs] = True
            return matches
        if type(q) in (whoosh_query.And, whoosh_query.Or) and q.subqueries:
            subs = [self.matches(sub, memo) for sub in q.subqueries]
            combined = subs[0].copy()
            for sub in subs[1:]:
                if type(q) is whoosh_query.And:
                    combined &= sub
                else:
                    combined |= sub
            return combined
        return self.score(q, memo).matches

    def _walk(self, q: whoosh_query.Query) -> Scored:
        """Any other query node: whoosh's own matcher, one document at a time."""
        scores = np.zeros(self.size, dtype=np.float64)
        matches = np.zeros(self.size, dtype=bool)
        searcher = self._searcher
        # needs_current: whoosh's array-backed Or matchers (used on small segments otherwise)
        # have no spans, which a phrase over a hyphenated word's alternatives needs.
        context = searcher.context(needs_current=True)
        for leaf_searcher, base in searcher.leaf_searchers():
            m = q.matcher(leaf_searcher, context)
            while m.is_active():
                doc = m.id() + base
                scores[doc] = m.score()
                matches[doc] = True
                m.next()
        return Scored(scores, matches)


def _phrase_words(q: whoosh_query.Query) -> list[whoosh_query.Term] | None:
    """The alternatives at one position of a phrase: a term, or an Or of plain terms."""
    if type(q) is whoosh_query.Term and q.boost == 1.0:
        return [q]
    if type(q) is whoosh_query.Or and q.boost == 1.0 and not q.minmatch and not q.scale:
        if all(type(sub) is whoosh_query.Term and sub.boost == 1.0 for sub in q.subqueries):
            return list(q.subqueries)
    return None


def _phrase_chain(q: whoosh_query.Query) -> list[tuple[int, list[whoosh_query.Term]]] | None:
    """(offset from the first word, alternatives) of each word of an exact phrase, as
    ``query.parse_query`` builds it: spans nested to the left, each next word exactly ``slop``
    positions after the last (``mindist == slop``, in order). None for anything else."""
    if isinstance(q, SpanNear):
        if not (q.ordered and q.slop == q.mindist and q.slop >= 1):
            return None
        left = _phrase_chain(q.a)
        right = _phrase_words(q.b)
        if left is None or right is None:
            return None
        return [*left, (left[-1][0] + q.slop, right)]
    words = _phrase_words(q)
    return None if words is None else [(0, words)]
