"""Words people type: completion and spelling correction from a generation's word lists.

A ``WordList`` is one language's ``words-<lang>.tsv`` (``indexer.contract``): the words as
written, with the number of titles and bodies each occurs in. Nothing here needs an index;
``searchsvc.search`` and ``searchsvc.suggest`` hand these functions the lists of the
generation they serve.
"""

from __future__ import annotations

import bisect
import functools
import heapq
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from indexer.analysis import stop_words
from indexer.contract import LANGUAGES, normalize_text
from indexer.lexicon import LEMMA_LANGUAGES, lexicon
from searchsvc.folding import restorations
from searchsvc.parsed_query import ParsedQuery

# Uppercase keywords of the query language: never words to respell.
OPERATORS = frozenset({"AND", "OR", "NOT"})
# Sorts after every character a word holds: prefix + LAST bounds the words starting with prefix.
LAST = "\U0010ffff"
VOWELS = frozenset("aeiouyäöå")
# Words this short that a language's dictionary does not know are codes and abbreviations
# ("kko", "hel", "mom"), not words to offer.
SHORT_UNKNOWN = 3


@functools.lru_cache(maxsize=65536)
def abbreviation(word: str, language: str) -> bool:
    """Whether a word of the lists (lowercase, as the records write it) is an abbreviation or
    an acronym rather than a word to offer.

    The lists hold words without their case or a following dot, so what marks one is the
    word itself: no vowel ("kpl", "jfr", "nhs", "https"); in Finnish and Swedish, a
    dictionary that lists it with a dot and not as a word of its own ("esim.", "resp.") or
    spells it out ("klo" -> "kello", "nro" -> "numero"), or three letters no dictionary
    entry knows ("kko", "hel").
    """
    if not VOWELS.intersection(word):
        return True
    if language not in LEMMA_LANGUAGES or not word.isalpha():
        return False
    words = lexicon(language)
    lemma, dotted = words.lemma(word), words.listed(word + ".")
    if lemma is None:
        return dotted is not None or len(word) <= SHORT_UNKNOWN
    # A word the dictionary knows as a word too ("auto", besides "auto." for automatic).
    return lemma in (word + ".", dotted) or _spells_out(word, lemma)


def _spells_out(word: str, lemma: str) -> bool:
    """A lemma that spells out the word's letters (``klo`` -> ``kello``): longer by two
    letters or more, the same first letter, then a different second one (an inflected or
    shortened form of a word keeps its start: ``ota`` -> ``ottaa``), the word's letters in
    order."""
    if len(lemma) < len(word) + 2 or lemma[0] != word[0] or lemma[1] == word[1]:
        return False
    rest = iter(lemma)
    return all(letter in rest for letter in word)


def typed_languages(words: Iterable[str], lists: Mapping[str, WordList]) -> list[str]:
    """The languages whose lists hold the most of ``words`` (typed; as written or typed
    without ä, ö and å): what the text is written in, as far as its words tell. [] when no
    list holds any of them."""
    known = dict.fromkeys(lists, 0)
    for typed in words:
        word = normalize_text(typed)
        holding = [language for language, listed in lists.items() if word in listed.lookup]
        for language in holding or {language for _, language in restorations(word, lists)}:
            known[language] += 1
    most = max(known.values(), default=0)
    return [language for language, count in known.items() if most and count == most]


class _Spelling:
    """The words ordered for correction, built once per word list on first use.

    ``by_length`` holds the words by length, then alphabetically, so the words of one length
    that start with a prefix are one slice; ``by_suffix`` holds positions in ``by_length``,
    each length's block ordered by the reversed word, so the words of one length that end with
    a suffix are one range. Both share the word list's strings: 8 bytes a word for the list of
    references (rapidfuzz reads a list of strings, so a slice of it is handed over as it is)
    and 4 for the position array (suffix ranges are short, so their strings are looked up):
    about 6 MiB for the 514,000 words of the Finnish list.
    """

    def __init__(self, words: list[str]) -> None:
        self.by_length = sorted(words, key=len)
        longest = len(self.by_length[-1]) if self.by_length else 0
        # starts[n]: the position of the first word of length n or more.
        self.starts = [bisect.bisect_left(self.by_length, n, key=len) for n in range(longest + 2)]
        self.by_suffix = array("i")
        for n in range(longest + 1):
            block = range(self.starts[n], self.starts[n + 1])
            self.by_suffix.extend(sorted(block, key=self._reversed))

    def _reversed(self, position: int) -> str:
        return self.by_length[position][::-1]

    def _block(self, length: int) -> tuple[int, int]:
        if not 0 <= length < len(self.starts) - 1:
            return 0, 0
        return self.starts[length], self.starts[length + 1]

    def starting_with(self, prefix: str, lengths: range) -> list[str]:
        found: list[str] = []
        for length in lengths:
            start, end = self._block(length)
            lo = bisect.bisect_left(self.by_length, prefix, start, end)
            hi = bisect.bisect_left(self.by_length, prefix + LAST, lo, end)
            found += self.by_length[lo:hi]
        return found

    def ending_with(self, suffix: str, lengths: range) -> list[str]:
        reversed_suffix = suffix[::-1]
        found: list[str] = []
        for length in lengths:
            start, end = self._block(length)
            lo = bisect.bisect_left(self.by_suffix, reversed_suffix, start, end, key=self._reversed)
            hi = bisect.bisect_left(
                self.by_suffix, reversed_suffix + LAST, lo, end, key=self._reversed
            )
            found += [self.by_length[position] for position in self.by_suffix[lo:hi]]
        return found

    def one_edit_candidates(self, word: str) -> list[str]:
        """A superset of the words one edit away: an edit at position ``split`` or later keeps
        ``word[:split]`` as the start, one before it keeps ``word[split + 1:]`` as the end (a
        transposition touches ``split`` too). Splitting near the middle keeps both ranges short.
        """
        split = max(0, (len(word) - 1) // 2)
        lengths = range(len(word) - 1, len(word) + 2)
        return self.starting_with(word[:split], lengths) + self.ending_with(
            word[split + 1 :], lengths
        )


class WordList:
    """One language's words-<lang>.tsv: sorted words, counts, a lookup dict."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        self.words = [w for w, _ in pairs]
        self.counts = [c for _, c in pairs]
        self.lookup = dict(pairs)
        self._completions: dict[str, list[tuple[int, str]]] = {}
        self._spelling_index: _Spelling | None = None

    def completions(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """(count, word) of the words starting with prefix, by count desc (cached for short
        prefixes, whose ranges are long)."""
        cached = self._completions.get(prefix)
        if cached is not None and len(cached) >= limit:
            return cached[:limit]
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + LAST, lo)
        best = heapq.nlargest(
            max(limit, 10),
            ((self.counts[i], self.words[i]) for i in range(lo, hi)),
            key=lambda cw: (cw[0], [-ord(ch) for ch in cw[1]]),
        )
        if len(prefix) <= 3 and len(self._completions) < 20000:
            self._completions[prefix] = best
        return best[:limit]

    def correction(
        self, word: str, exclude: Callable[[str], bool] | None = None
    ) -> tuple[int, int, str] | None:
        """(distance, -count, word) of the best known word within edit distance 2.

        Distance 1 is one delete, insert, replace or adjacent transposition (optimal string
        alignment), any first letter; the most frequent such word wins, ties to the greatest.
        Only without one, and for words of five letters or more, distance 2 is plain
        Levenshtein among the words with the same first letter (a first-letter typo is rare);
        the most frequent wins, ties to the least. A known word may answer itself (the
        engine asks only about unknown ones). Words ``exclude`` names are never an answer.
        """
        spelling = self._spelling()
        close = process.extract(
            word, spelling.one_edit_candidates(word), scorer=OSA.distance, score_cutoff=1,
            limit=None,
        )
        ones = {c for c, _, _ in close if exclude is None or not exclude(c)}
        if ones:
            best = max(ones, key=lambda w: (self.lookup[w], w))
            return (1, -self.lookup[best], best)
        if len(word) < 5:
            return None
        lengths = range(len(word) - 2, len(word) + 3)
        twos = process.extract(
            word, spelling.starting_with(word[0], lengths), scorer=Levenshtein.distance,
            score_cutoff=2, limit=None,
        )
        return min(
            ((2, -self.lookup[w], w) for w, _, _ in twos if exclude is None or not exclude(w)),
            default=None,
        )

    def warm(self) -> None:
        """Build what correction needs now (0.35 s for the Finnish list of all records)."""
        self._spelling()

    def _spelling(self) -> _Spelling:
        if self._spelling_index is None:
            self._spelling_index = _Spelling(self.words)
        return self._spelling_index


def complete(lists: Mapping[str, WordList], typed: str, limit: int) -> list[dict]:
    """Completions of the last word of ``typed`` from the lists (language -> list): first
    those of the language the earlier words are written in (``typed_languages``), then the
    others; the most frequent first within each. ``{text, word, lang, count}``, ``text``
    being all that was typed with the last word completed. No abbreviations."""
    if not typed or typed[-1].isspace() or limit <= 0:
        return []
    head, _, last = typed.rpartition(" ")
    word = normalize_text(last).strip()
    if not word:
        return []
    preferred = typed_languages(head.split(), lists)
    entries = sorted(
        (language not in preferred if preferred else False, -count, completed, language)
        # Room for the abbreviations left out.
        for language, words in lists.items()
        for count, completed in words.completions(word, 2 * limit)
    )
    best: dict[str, tuple[bool, int, str]] = {}
    for other, negative, completed, language in entries:
        if len(best) == limit:
            break
        if completed not in best and not abbreviation(completed, language):
            best[completed] = (other, negative, language)
    ranked = list(best.items())
    lead = head + " " if head else ""
    return [
        {"text": lead + completed, "word": completed, "lang": lang, "count": -negative}
        for completed, (_, negative, lang) in ranked
    ]


def respell(
    query: ParsedQuery, lists: Mapping[str, WordList], languages: Sequence[str] = LANGUAGES
) -> str | None:
    """The query's text with each word as typed that is no word of any language (``lists``
    holds every language's) replaced by the closest known word of ``languages``; None when no
    word changes. Short words, codes, keywords and stop words stay as typed.

    A word typed without ä, ö and å becomes its restored spelling (``paatos`` -> "päätös").
    Otherwise the closest word comes from the language the query's known words are written
    in (``typed_languages``), where they tell one; never an abbreviation."""
    text = query.text
    spans = list(query.typed_words())
    typed_words = [text[start:end] for start, end in spans]
    preferred = [
        language for language in typed_languages(typed_words, lists) if language in languages
    ]
    candidates = {
        language: lists[language]
        for language in preferred or languages
        if language in lists
    }
    out: list[str] = []
    cursor = 0
    for (start, end), typed in zip(spans, typed_words, strict=True):
        word = normalize_text(typed)
        if (
            len(word) < 3
            or not word.isalpha()
            or typed in OPERATORS
            or any(word in stop_words(language) for language in LANGUAGES)
            or any(word in known.lookup for known in lists.values())
        ):
            continue
        restored = [s for s, language in restorations(word, candidates)]
        if restored:
            replacement: str | None = restored[0]
        else:
            found = [
                c
                for language, words in candidates.items()
                if (c := words.correction(word, functools.partial(_abbreviated, language)))
                is not None
            ]
            replacement = min(found)[2] if found else None
        if replacement is not None:
            out.append(text[cursor:start])
            out.append(replacement)
            cursor = end
    if not out:
        return None
    out.append(text[cursor:])
    return "".join(out)


def _abbreviated(language: str, word: str) -> bool:
    return abbreviation(word, language)
