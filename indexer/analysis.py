"""The analyzers, one set per language, used identically to index and to query.

A chain is ``normalise + tokenize -> stop words -> lexicon``. Its classes are importable and
pickle without their caches, because whoosh pickles the schema, analyzers included, into
the index (and into its writer processes).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from whoosh.analysis import CompositeAnalyzer, Filter, Token, Tokenizer

from indexer.contract import LANGUAGES, TOKEN_PATTERN, normalize_text
from indexer.lexicon import WordKeys, lexicon


class _PerLanguage:
    """An analysis step of one language, equal by value (whoosh compares schemas field by
    field) and pickled as its settings only (whoosh pickles the schema into the index)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def _identity(self) -> tuple:
        return (type(self), self.language)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PerLanguage) and other._identity() == self._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


class CodeAwareTokenizer(_PerLanguage, Tokenizer):
    """Normalises the text, yields words and codes, and drops the language's stop words.

    A hyphenated word with letters ("3d-tulostus") is yielded whole and then as its parts
    at the same position, so both ``3d-tulostus`` and ``tulostus`` find it and phrases
    still line up. Stop words keep their positions, so phrases across them still match.

    The fields of one language (body and compound parts) analyse the same text one after the
    other, so the words of the last text are kept for the next (``_Recent``).
    """

    def __getstate__(self) -> dict:
        return {"language": self.language}

    def __call__(  # whoosh's tokenizer protocol
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        if not tokenize:
            token.original = token.text = normalize_text(value)
            token.pos = start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        words = self.words(value)
        if chars:
            # Character offsets are needed for highlighting only: found again on demand.
            spans = [m.span() for m in TOKEN_PATTERN.finditer(normalize_text(value))]
        for pos, word in words:
            token.text = word
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + pos
            if chars:
                start, end = spans[pos]
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    def words(self, value: str) -> list[tuple[int, str]]:
        """(position, word) of each token that is not a stop word."""
        found = _recent_words.get(self.language, value)
        if found is not None:
            return found
        stops = stop_words(self.language)
        words: list[tuple[int, str]] = []
        append = words.append
        for pos, word in enumerate(TOKEN_PATTERN.findall(normalize_text(value))):
            if word in stops:
                continue
            if word[0] == "§":
                word = "§" + word[1:].strip()
            append((pos, word))
            if "-" in word and not word.replace("-", "").isdigit():
                words.extend((pos, piece) for piece in word.split("-") if len(piece) > 1)
        _recent_words.keep(self.language, value, words)
        return words


class _Recent:
    """The result of the last call for one input: whoosh analyses a record's body for the body
    field and again for the compound-parts field, one field after the other.

    An input matches by equality (an identical object first, which is instant), so nothing
    depends on two fields being handed the same object. The entry is one tuple, replaced
    whole, so a thread never sees half of another's. Each process has its own."""

    def __init__(self) -> None:
        self._last: tuple[str, object, Any] = ("", None, None)

    def get(self, language: str, key: object) -> Any:
        last_language, last_key, value = self._last
        if language == last_language and key == last_key:
            return value
        return None

    def keep(self, language: str, key: object, value: object) -> None:
        self._last = (language, key, value)


_recent_words = _Recent()  # text -> the tokenizer's words
_recent_terms = _Recent()  # the tokenizer's words -> (keys, parts)


class LexiconFilter(_PerLanguage, Filter):
    """Replaces each word by its key: the Snowball stem of its lemma (see ``indexer.lexicon``).

    With ``parts=True`` it yields the keys of compound parts instead, and drops simple words.
    """

    def __init__(self, language: str, parts: bool = False) -> None:
        super().__init__(language)
        self.parts = parts

    def _identity(self) -> tuple:
        return (*super()._identity(), self.parts)

    def terms(self, words: list[tuple[int, str]]) -> list[tuple[str, int]]:
        """(term, position) for the tokenizer's words: what ``__call__`` yields, as a list.

        Keys and parts are made in one pass and kept for the tokenizer's last word list, which
        the body and the parts field of a language share.
        """
        found = _recent_terms.get(self.language, words)
        if found is None:
            found = self._keys_and_parts(words)
            _recent_terms.keep(self.language, words, found)
        keys, parts = found
        return parts if self.parts else keys

    def _keys_and_parts(self, words):
        words_lexicon = lexicon(self.language)
        cached, analyze = words_lexicon.cache.get, words_lexicon.analyze
        keys: list[tuple[str, int]] = []
        parts: list[tuple[str, int]] = []
        for pos, word in words:
            analysis = cached(word) or analyze(word)
            for key in analysis.keys:
                keys.append((key, pos))
            for part in analysis.parts:
                parts.append((part, pos))
        return keys, parts

    def __call__(self, tokens):
        analyze = lexicon(self.language).analyze
        if self.parts:
            for token in tokens:
                if token.stopped:
                    continue
                for part in analyze(token.text).parts:
                    token.text = part
                    yield token
            return
        for token in tokens:
            if token.stopped:
                yield token
                continue
            for key in analyze(token.text).keys:
                token.text = key
                yield token


class StemFilter(_PerLanguage, Filter):
    """Snowball alone, without lemmas or compounds: the baseline the relevance figures beat."""

    def terms(self, words: list[tuple[int, str]]) -> list[tuple[str, int]]:
        stem = lexicon(self.language).stem
        return [(stem(word), pos) for pos, word in words]

    def __call__(self, tokens):
        stem = lexicon(self.language).stem
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The Snowball stop word list of a language (``indexer/stopwords/<lang>.txt``)."""
    text = resources.files("indexer").joinpath("stopwords", f"{language}.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


class LanguageAnalyzer(CompositeAnalyzer):
    """``CodeAwareTokenizer | <filter>``, with a fast path for the index writer.

    whoosh drives an analyzer token by token through generators; ``terms`` gives the same
    (term, position) pairs as one list, from the same tokenizer and filter code, and the
    formats in ``indexer.formats`` use it. Queries go through ``__call__``.
    """

    @property
    def language(self) -> str:
        return self.items[0].language

    def words(self, value: str) -> list[tuple[int, str]]:
        """(position, word) of the words of a text, as written (normalised), stop words out."""
        return self.items[0].words(value)

    def terms(self, value: str) -> list[tuple[str, int]]:
        tokenizer, term_filter = self.items
        return term_filter.terms(tokenizer.words(value))


@functools.cache
def text_analyzer(language: str) -> LanguageAnalyzer:
    """Title and body fields: stemmed lemmas, with positions for phrases."""
    _check(language)
    return LanguageAnalyzer(CodeAwareTokenizer(language), LexiconFilter(language))


@functools.cache
def stem_analyzer(language: str) -> LanguageAnalyzer:
    """Title and body fields of the stemming-only baseline."""
    _check(language)
    return LanguageAnalyzer(CodeAwareTokenizer(language), StemFilter(language))


@functools.cache
def parts_analyzer(language: str) -> LanguageAnalyzer:
    """Compound parts field (fi, sv): ``tarkastuslautakunnan`` -> tarkastus, lautakunta."""
    _check(language)
    return LanguageAnalyzer(CodeAwareTokenizer(language), LexiconFilter(language, parts=True))


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")


def analyze(language: str, text: str, kind: str = "text") -> list[str]:
    """The terms an analyzer makes of a text, in order (``kind``: text or parts)."""
    builders = {"text": text_analyzer, "parts": parts_analyzer}
    if kind not in builders:
        raise ValueError(f"unknown analyzer kind {kind!r}")
    return [token.text for token in builders[kind](language)(text, mode="query")]


def query_words(language: str, text: str, stem_only: bool = False) -> list[list[WordKeys]]:
    """The words of a query as the index knows them: per position, the keys of each token
    there (a hyphenated word stands with its pieces at one position)."""
    tokenize = text_analyzer(language).items[0]
    words = lexicon(language)
    positions: dict[int, list[WordKeys]] = {}
    for token in tokenize(text, positions=True, mode="query"):
        if stem_only:
            entry = WordKeys((words.stem(token.text),), ())
        else:
            entry = words.analyze(token.text)
        positions.setdefault(token.pos, []).append(entry)
    return [positions[pos] for pos in sorted(positions)]
