"""Words people type: completion and spelling correction from a generation's word lists.

A ``WordList`` is one language's ``words-<lang>.tsv`` (``indexer.contract``): the words as
written, with the number of titles and bodies each occurs in. Nothing here needs an index;
``searchsvc.search`` and ``searchsvc.suggest`` hand these functions the lists of the
generation they serve.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Mapping, Sequence

from indexer.analysis import stop_words
from indexer.contract import LANGUAGES, normalize_text
from searchsvc.query import ParsedQuery

# Uppercase keywords of the query language: never words to respell.
OPERATORS = frozenset({"AND", "OR", "NOT"})


def _edits1(word: str, alphabet: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in alphabet}
    inserts = {a + c + b for a, b in splits for c in alphabet}
    return deletes | transposes | replaces | inserts


def _within_two(a: str, b: str) -> bool:
    """Levenshtein distance of a and b is at most 2 (banded)."""
    if abs(len(a) - len(b)) > 2:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        low = i
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            low = min(low, current[j])
        if low > 2:
            return False
        previous = current
    return previous[-1] <= 2


class WordList:
    """One language's words-<lang>.tsv: sorted words, counts, a lookup dict."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        self.words = [w for w, _ in pairs]
        self.counts = [c for _, c in pairs]
        self.lookup = dict(pairs)
        self.alphabet = "".join(sorted({ch for w in self.words[:200000] for ch in w}))
        self._completions: dict[str, list[tuple[int, str]]] = {}
        self._buckets: dict[tuple[str, int], list[int]] | None = None

    def completions(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """(count, word) of the words starting with prefix, by count desc (cached for short
        prefixes, whose ranges are long)."""
        cached = self._completions.get(prefix)
        if cached is not None and len(cached) >= limit:
            return cached[:limit]
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\U0010ffff", lo)
        best = heapq.nlargest(
            max(limit, 10),
            ((self.counts[i], self.words[i]) for i in range(lo, hi)),
            key=lambda cw: (cw[0], [-ord(ch) for ch in cw[1]]),
        )
        if len(prefix) <= 3 and len(self._completions) < 20000:
            self._completions[prefix] = best
        return best[:limit]

    def correction(self, word: str) -> tuple[int, int, str] | None:
        """(distance, -count, word) of the best known word within edit distance 2."""
        ones = [w for w in _edits1(word, self.alphabet) if w in self.lookup]
        if ones:
            best = max(ones, key=lambda w: (self.lookup[w], w))
            return (1, -self.lookup[best], best)
        if len(word) < 5:
            return None
        # Distance 2: words with the same first letter (a first-letter typo is rare) and a
        # length within two, checked with a banded edit distance.
        found: tuple[int, int, str] | None = None
        for length in range(len(word) - 2, len(word) + 3):
            for i in self._bucket(word[0], length):
                candidate = self.words[i]
                if _within_two(word, candidate):
                    entry = (2, -self.counts[i], candidate)
                    if found is None or entry < found:
                        found = entry
        return found

    def _bucket(self, first: str, length: int) -> list[int]:
        """Indexes of the words with this first letter and length (built on first use)."""
        if self._buckets is None:
            buckets: dict[tuple[str, int], list[int]] = {}
            for i, candidate in enumerate(self.words):
                buckets.setdefault((candidate[0], len(candidate)), []).append(i)
            self._buckets = buckets
        return self._buckets.get((first, length), [])


def complete(lists: Mapping[str, WordList], typed: str, limit: int) -> list[dict]:
    """Completions of the last word of ``typed`` from the lists (language -> list), the most
    frequent first: ``{text, word, lang, count}``, ``text`` being all that was typed with the
    last word completed."""
    if not typed or typed[-1].isspace() or limit <= 0:
        return []
    head, _, last = typed.rpartition(" ")
    word = normalize_text(last).strip()
    if not word:
        return []
    best: dict[str, tuple[int, str]] = {}
    for language, words in lists.items():
        for count, completed in words.completions(word, limit):
            if completed not in best or best[completed][0] < count:
                best[completed] = (count, language)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    lead = head + " " if head else ""
    return [
        {"text": lead + completed, "word": completed, "lang": lang, "count": count}
        for completed, (count, lang) in ranked
    ]


def respell(
    query: ParsedQuery, lists: Mapping[str, WordList], languages: Sequence[str] = LANGUAGES
) -> str | None:
    """The query's text with each word as typed that is no word of any language (``lists``
    holds every language's) replaced by the closest known word of ``languages``; None when no
    word changes. Short words, codes, keywords and stop words stay as typed."""
    text = query.text
    candidates = [lists[language] for language in languages if language in lists]
    out: list[str] = []
    cursor = 0
    for start, end in query.typed_words():
        typed = text[start:end]
        word = normalize_text(typed)
        if (
            len(word) < 3
            or not word.isalpha()
            or typed in OPERATORS
            or any(word in stop_words(language) for language in LANGUAGES)
            or any(word in known.lookup for known in lists.values())
        ):
            continue
        found = [c for words in candidates if (c := words.correction(word)) is not None]
        if found:
            out.append(text[cursor:start])
            out.append(min(found)[2])
            cursor = end
    if not out:
        return None
    out.append(text[cursor:])
    return "".join(out)
