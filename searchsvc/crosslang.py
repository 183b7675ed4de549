"""Searching across the official languages (``cross_lang=1``): a Finnish query also finds
Swedish records, and a Swedish query Finnish ones.

Both ways are learned from the twin records (a Swedish court decision and its Finnish twin,
``parallel_id``) and read once per worker and generation (``Bridge``):

- **translations**: each plain word is also looked up by its keys' translations
  (``translations.tsv`` of the generation, ``indexer.contract``: those at least
  ``CLOSE_TO_BEST`` as strong as a key's best; a compound without a translation of its own
  by the translations of all its parts) in the other language's title, body and
  compound-part fields, weighted ``TRANSLATION_WEIGHT`` × the translation's weight, below
  the word itself;
- **twins**: a record also scores ``TWIN_SHARE`` of its twin's score, and holds the words its
  twin holds: a Swedish abstract is found through the full text of its Finnish twin.

A record matches if it matches the query, if it holds (itself or through translations) at
least ``REQUIRED_SHARE`` of the query's content words (all of one or two, and all of them in
a list in date order; stop words of either official language do not count), or if its twin
does. Under ``sort=relevance`` the
records holding more of the words in any language (itself, through translations or through
its twin) come first; among those, the query's own matches, in the query's own order
(``searchsvc.ranking``), before what translations and twins add; then the score.

Only queries of plain words are widened: with phrases, operators (``AND`` too), prefixes,
fuzzy words, field restrictions or excluded words a query means exactly what it says, and
``cross_lang`` leaves it as it is. Per query the work is a lexicon lookup per word and key
and sums over the generation's term arrays (``searchsvc.scoring``); no scan of the index.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as whoosh_query

from indexer.analysis import query_words
from indexer.contract import (
    TWIN_LANGUAGES,
    TWINS_DTYPE,
    Translations,
    body_field,
    parts_field,
    read_translations,
    read_twins,
    title_field,
    title_parts_field,
    twin_pairs,
)
from indexer.lexicon import WordKeys
from searchsvc.parsed_query import HighlightTerms, ParsedQuery
from searchsvc.query import compile_query
from searchsvc.scoring import Scored
from searchsvc.syntax import All, Node, Word

if TYPE_CHECKING:
    from searchsvc.snapshot import Snapshot

TRANSLATION_WEIGHT = 0.5
TWIN_SHARE = 0.5
CLOSE_TO_BEST = 0.5
REQUIRED_SHARE = 1 / 2


class Bridge:
    """What one generation knows across its languages: the term translations and the twin of
    each record (doc number -> its twin's doc number, -1 for none)."""

    def __init__(self, translations: Translations, twins: np.ndarray) -> None:
        self.translations = translations
        self.twins = twins

    @classmethod
    def read(cls, generation: Path, reader: Any) -> Bridge:
        """A generation's translations and twin map; the map from the index if the
        generation has none (written before it had)."""
        documents = reader.doc_count_all()
        written = read_twins(generation, documents)
        if written is not None:
            twins = np.frombuffer(written, dtype=TWINS_DTYPE).astype(np.int32)
        else:
            twins = np.full(documents, -1, dtype=np.int32)
            for finnish, swedish in twin_pairs(reader):
                twins[finnish], twins[swedish] = swedish, finnish
        return cls(read_translations(generation), twins)


class Bridges:
    """A generation's ``Bridge``, read on first use, once (``Snapshot.bridge``)."""

    def __init__(self, generation: Path, reader: Any) -> None:
        self._generation, self._reader = generation, reader
        self._bridge: Bridge | None = None
        self._lock = threading.Lock()

    def get(self) -> Bridge:
        if self._bridge is None:
            with self._lock:
                if self._bridge is None:
                    self._bridge = Bridge.read(self._generation, self._reader)
        return self._bridge


def plain_words(tree: Node | None) -> list[Word] | None:
    """The words of a query made of plain words only; None for any other query."""
    if isinstance(tree, All) and tree.explicit:
        return None  # words joined by AND: every one required, as typed
    children = tree.children if isinstance(tree, All) else (tree,)
    if not children or not all(
        isinstance(c, Word) and c.kind == "word" and not c.title for c in children
    ):
        return None
    return [c for c in children if isinstance(c, Word)]


def _fields(language: str) -> list[str]:
    return [title_field(language), body_field(language), title_parts_field(language),
            parts_field(language)]


def _translated_terms(
    choices: list[tuple[str, float]], target: str
) -> list[whoosh_query.Query]:
    best = max((weight for _, weight in choices), default=0.0)
    return [
        whoosh_query.Term(field, key, boost=TRANSLATION_WEIGHT * weight)
        for key, weight in choices
        if weight >= CLOSE_TO_BEST * best
        for field in _fields(target)
    ]


def _entry_query(
    entry: WordKeys, lexicon: dict[str, list[tuple[str, float]]], target: str
) -> whoosh_query.Query | None:
    """A word's keys' translations; without any, all its parts' translations, if each part
    has one."""
    terms = [t for key in entry.keys for t in _translated_terms(lexicon.get(key, []), target)]
    if terms:
        return whoosh_query.Or(terms)
    parts = [_translated_terms(lexicon.get(part, []), target) for part in entry.parts]
    if len(parts) > 1 and all(parts):
        return whoosh_query.And([whoosh_query.Or(terms) for terms in parts])
    return None


def translated(word: Word, translations: Translations) -> whoosh_query.Query | None:
    """A word in the other official language: the translations of its keys as Finnish and as
    Swedish (the query does not say its language), every position of it translated."""
    per_language = []
    for source in TWIN_LANGUAGES:
        target = next(lang for lang in TWIN_LANGUAGES if lang != source)
        lexicon = translations.get(source, {})
        positions = []
        for entries in query_words(source, word.text):
            found = [q for e in entries if (q := _entry_query(e, lexicon, target)) is not None]
            if not found:
                break
            positions.append(found[0] if len(found) == 1 else whoosh_query.Or(found))
        else:
            if positions:
                per_language.append(
                    positions[0] if len(positions) == 1 else whoosh_query.And(positions))
    if not per_language:
        return None
    return per_language[0] if len(per_language) == 1 else whoosh_query.Or(per_language)


def _has_keys(word: Word) -> bool:
    """Whether the query kept the word (it has a tier): a key in some language."""
    return any(query_words(language, word.text) for language in ("fi", "sv", "en"))


def _content_word(word: Word) -> bool:
    """Not a stop word of either official language (``på``, ``oli``): a word a record is
    expected to hold in both."""
    return all(query_words(language, word.text) for language in TWIN_LANGUAGES)


def required_words(count: int, every_word: bool = False) -> int:
    """How many of a query's words a record must hold to be found through translations (all
    of them for a list in date order, which holds only records with every word)."""
    return count if count <= 2 or every_word else math.ceil(REQUIRED_SHARE * count)


@dataclass(frozen=True)
class Widened:
    scored: Scored
    # The translations' terms per field, for snippets and marking.
    terms: HighlightTerms


def across_languages(
    snapshot: Snapshot, query: ParsedQuery, scored: Scored, every_word: bool = False
) -> Widened:
    """The query's scores, matches and tiers widened through translations and twins; with
    ``every_word`` (a list in date order) a record must hold every word."""
    words = plain_words(query.tree)
    if words is None:
        return Widened(scored, {})
    # One tier per word with a key in some language (``searchsvc.query``).
    words = [word for word in words if _has_keys(word)]
    content = [_content_word(word) for word in words]
    if len(words) != len(query.tiers) or not any(content):
        return Widened(scored, {})
    bridge = snapshot.bridge()
    scorer = snapshot.scorer
    memo: dict[whoosh_query.Query, Scored] = {}
    held = np.zeros(scorer.size, dtype=np.int32)
    scores = scored.scores.copy()
    terms: HighlightTerms = {}
    through_translation = np.zeros(scorer.size, dtype=bool)
    for word, tier, counted in zip(words, query.tiers, content, strict=True):
        if not counted:
            continue
        # The word alone or in a compound; in a record the query matches, also its parts
        # standing apart.
        holds = scorer.matches(tier.held, memo) | (
            scored.matches & scorer.matches(compile_query(word.text).whoosh, memo))
        other = translated(word, bridge.translations)
        if other is not None:
            found = scorer.score(other, memo)
            through_translation |= found.matches & ~holds
            holds = holds | found.matches
            scores += found.scores
            _collect_terms(other, terms)
        held += holds
    live = snapshot.columns.live
    enough = through_translation & (held >= required_words(sum(content), every_word))
    matches = (scored.matches | enough) & live
    twins = bridge.twins
    paired = np.flatnonzero(twins >= 0)
    partner = twins[paired]
    with_twin = scores.copy()
    with_twin[paired] += TWIN_SHARE * np.where(matches[partner], scores[partner], 0.0)
    held[paired] = np.maximum(held[paired], np.where(matches[partner], held[partner], 0))
    matches[paired] |= matches[partner] & live[paired]
    with_twin[~matches] = 0.0
    tiers = None
    if scored.tiers is not None:
        own = int(scored.tiers.max(initial=0)) + 1
        tiers = (held.astype(np.int64) * 2 + scored.matches) * own + scored.tiers
    return Widened(Scored(with_twin, matches, tiers), terms)


def _collect_terms(q: whoosh_query.Query, terms: HighlightTerms) -> None:
    highlighted = {f(lang) for lang in TWIN_LANGUAGES for f in (title_field, body_field)}
    for leaf in q.leaves():
        if isinstance(leaf, whoosh_query.Term) and leaf.fieldname in highlighted:
            terms.setdefault(leaf.fieldname, set()).add(str(leaf.text))
