"""The order of hits under ``sort=relevance``: tiers first, then the BM25F score.

A record holding more of the query's words itself (any inflection, alone or as a part of a
longer compound) comes first, then one holding more of them alone, and only then the score
(``searchsvc.scoring``) decides. No boost can promise that: a record where a compound's parts
stand apart, many times, would outscore one holding the compound once. ``searchsvc.query``
says how a record may hold each word (``WordTier``); ``ranked`` gives every document its tier
with the query's scores, and ``top_documents`` takes the best of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from whoosh import query as whoosh_query

from searchsvc.scoring import QueryScorer, Scored


class WordTier(NamedTuple):
    """How a record may hold one word of a query (``searchsvc.query`` builds these)."""

    alone: whoosh_query.Query  # the word itself (any inflection) in a title or body
    held: whoosh_query.Query  # the same, or the word as a part of a longer compound
    # The word as typed, where ``alone`` also holds its restored spellings (``searchsvc.folding``).
    exact: whoosh_query.Query | None = None


def tiers(
    scorer: QueryScorer, words: Sequence[WordTier],
    memo: dict[whoosh_query.Query, Scored] | None = None,
) -> np.ndarray:
    """Each document's relevance tier: first the number of ``words`` it holds (alone or in a
    compound), then the number it holds alone, then the number it holds spelled as typed.
    Words and phrases scored for the query itself are taken from ``memo``."""
    if memo is None:
        memo = {}
    held = np.zeros(scorer.size, dtype=np.int32)
    alone = np.zeros(scorer.size, dtype=np.int32)
    exact = np.zeros(scorer.size, dtype=np.int32)
    for word in words:
        alone += scorer.matches(word.alone, memo)
        held += scorer.matches(word.held, memo)
        if word.exact is not None:
            exact += scorer.matches(word.exact, memo)
    return (held * (len(words) + 1) + alone) * (len(words) + 1) + exact


def ranked(scorer: QueryScorer, q: whoosh_query.Query, words: Sequence[WordTier]) -> Scored:
    """``scorer.score(q)`` with the relevance tiers of ``words``."""
    memo: dict[whoosh_query.Query, Scored] = {}
    scored = scorer.score(q, memo)
    return scored._replace(tiers=tiers(scorer, words, memo) if words else None)


def top_documents(
    scores: np.ndarray, docs: np.ndarray, limit: int, tiers: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """The ``limit`` best documents of the mask ``docs``, best first: by tier (higher first)
    when ``tiers`` are given, then by score, ties by doc number (as whoosh orders them)."""
    candidates = np.flatnonzero(docs)
    if limit <= 0 or not len(candidates):
        return []
    if tiers is None:
        return _top(scores, candidates, limit)
    found: list[tuple[int, float]] = []
    in_tier = tiers[candidates]
    for tier in np.unique(in_tier)[::-1]:
        found.extend(_top(scores, candidates[in_tier == tier], limit - len(found)))
        if len(found) >= limit:
            break
    return found


def _top(scores: np.ndarray, candidates: np.ndarray, limit: int) -> list[tuple[int, float]]:
    chosen = scores[candidates]
    if len(candidates) > limit:
        keep = np.argpartition(-chosen, limit - 1)[:limit]
        # Everything tied with the last kept score competes on doc number.
        keep = np.flatnonzero(chosen >= chosen[keep].min())
        candidates, chosen = candidates[keep], chosen[keep]
    order = np.lexsort((candidates, -chosen))[:limit]
    return [(int(candidates[i]), float(chosen[i])) for i in order]
