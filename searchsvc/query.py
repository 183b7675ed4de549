"""A query text compiled into a whoosh query over the per-language fields (pure code).

Each word is analysed with each language's analyzer and matched in that language's fields,
so ``omaishoitajien tuki`` finds Finnish records and ``anhörigstöd`` Swedish ones without the
user naming a language. Within a language all words must match; a word matches by its key in
the title or body, by being a part of an indexed compound, or, when the word is itself a
compound, by all of its parts standing in the text (``omaishoidontuki`` finds
``omaishoidon tuki``).

``compile_query`` reads the query language of the public API (``searchsvc.syntax``) once:
the whole expression is compiled once per language and the languages are joined with Or, as
for plain words; an excluded clause excludes a record when it matches in any language. The
``ParsedQuery`` it gives is what scoring, highlighting and spelling suggestions all use.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from whoosh import query
from whoosh.query.spans import SpanNear
from whoosh.reading import IndexReader

from indexer.analysis import query_words, text_analyzer
from indexer.contract import (
    LANGUAGES,
    TOKEN_PATTERN,
    body_field,
    parts_field,
    title_field,
)
from indexer.lexicon import COMPOUND_LANGUAGES, WordKeys, lexicon
from searchsvc.limits import MAX_EXPANSIONS, MIN_PREFIX
from searchsvc.syntax import All, Any, Node, Not, Word, letters, parse, words


def _word_query(
    language: str, word: WordKeys, compounds: bool, title_only: bool = False
) -> query.Query:
    title, body = title_field(language), body_field(language)
    fields = [title] if title_only else [title, body]
    if compounds and language in COMPOUND_LANGUAGES and not title_only:
        fields.append(parts_field(language))
    alternatives: list[query.Query] = [
        query.Term(field, key) for key in word.keys for field in fields
    ]
    if compounds and word.parts:
        alternatives.append(
            query.And([query.Or([query.Term(f, p) for f in fields]) for p in word.parts])
        )
    return query.Or(alternatives)


def language_query(
    language: str, text: str, stem_only: bool = False, title_only: bool = False
) -> query.Query | None:
    """All words of the text, as one language's analyzer sees them; None if none is left."""
    words = []
    for tokens in query_words(language, text, stem_only):
        alternatives = [_word_query(language, word, not stem_only, title_only) for word in tokens]
        words.append(alternatives[0] if len(alternatives) == 1 else query.Or(alternatives))
    if not words:
        return None
    return words[0] if len(words) == 1 else query.And(words)


def build_query(
    text: str, languages: Sequence[str] = LANGUAGES, stem_only: bool = False
) -> query.Query:
    """The query for a text in any of the given languages; every document for an empty one.

    ``stem_only`` queries an index built with ``build_schema(stem_only=True)``.
    """
    queries = (language_query(lang, text, stem_only) for lang in languages)
    per_language = [q for q in queries if q is not None]
    if not per_language:
        return query.Every()
    return per_language[0] if len(per_language) == 1 else query.Or(per_language)


# --- bounded expansion ------------------------------------------------------------------------


class CappedPrefix(query.Prefix):
    """A prefix that expands to at most ``MAX_EXPANSIONS`` index terms (the first in order)."""

    def _btexts(self, ixreader):
        return itertools.islice(super()._btexts(ixreader), MAX_EXPANSIONS)


class CappedFuzzyTerm(query.FuzzyTerm):
    """A fuzzy term that expands to at most ``MAX_EXPANSIONS`` index terms."""

    def _btexts(self, ixreader):
        return itertools.islice(super()._btexts(ixreader), MAX_EXPANSIONS)


class Near(SpanNear):
    """``SpanNear`` with the size estimates whoosh's And asks of its parts."""

    def children(self):
        return [self.a, self.b]

    def estimate_size(self, ixreader) -> int:
        return min(self.a.estimate_size(ixreader), self.b.estimate_size(ixreader))

    def estimate_min_size(self, ixreader) -> int:
        return 0


# --- compiling --------------------------------------------------------------------------------


def _positions(language: str, text: str) -> list[tuple[int, list[WordKeys]]]:
    """Like ``query_words``, with each word's position (stop words leave gaps)."""
    tokenize = text_analyzer(language).items[0]
    words = lexicon(language)
    positions: dict[int, list[WordKeys]] = {}
    for token in tokenize(text, positions=True, mode="query"):
        positions.setdefault(token.pos, []).append(words.analyze(token.text))
    return sorted(positions.items())


def _fields(language: str, title: bool) -> list[str]:
    return [title_field(language)] if title else [title_field(language), body_field(language)]


def _one_or(queries: list[query.Query]) -> query.Query | None:
    unique = list(dict.fromkeys(queries))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else query.Or(unique)


def _phrase(field: str, positions: list[tuple[int, list[WordKeys]]]) -> query.Query:
    """Consecutive positions in one field, with a stop word's gap in the text too.

    Stop words are not indexed, so any word fills the gap: "lapset ja nuoret" also finds
    "lapset pelaavat; nuoret".
    """

    def at(entries: list[WordKeys]) -> query.Query:
        keys = dict.fromkeys(key for entry in entries for key in entry.keys)
        terms = [query.Term(field, key) for key in keys]
        return terms[0] if len(terms) == 1 else query.Or(terms)

    (last, entries), *rest = positions
    phrase = at(entries)
    for pos, entries in rest:
        gap = pos - last
        phrase = Near(phrase, at(entries), slop=gap, ordered=True, mindist=gap)
        last = pos
    return phrase


def _leaf(language: str, word: Word) -> query.Query | None:
    fields = _fields(language, word.title)
    if word.kind == "word":
        return language_query(language, word.text, title_only=word.title)
    if word.kind == "phrase":
        positions = _positions(language, word.text)
        if not positions:
            return None
        return _one_or([_phrase(field, positions) for field in fields])
    if word.kind == "prefix":
        prefixes = {word.text}
        stem = lexicon(language).stem(word.text)
        if len(stem) >= MIN_PREFIX and word.text.startswith(stem):
            prefixes.add(stem)
        return _one_or([CappedPrefix(f, p) for p in sorted(prefixes) for f in fields])
    # fuzzy
    typed = query_words(language, word.text)
    if not typed:
        return None
    maxdist = 1 if len(letters(word.text)) <= 5 else 2
    per_position = []
    for entries in typed:
        keys = dict.fromkeys(key for entry in entries for key in entry.keys)
        per_position.append(
            _one_or(
                [
                    CappedFuzzyTerm(f, k, maxdist=maxdist, prefixlength=1)
                    for k in keys
                    for f in fields
                ]
            )
        )
    return per_position[0] if len(per_position) == 1 else query.And(per_position)


def _compile(node: Node, language: str, languages: Sequence[str]) -> query.Query | None:
    if isinstance(node, Word):
        return _leaf(language, node)
    if isinstance(node, Any):
        alternatives = [_compile(child, language, languages) for child in node.children]
        return _one_or([q for q in alternatives if q is not None])
    if isinstance(node, Not):
        node = All((node,))
    positive = [child for child in node.children if not isinstance(child, Not)]
    plain = [c for c in positive if isinstance(c, Word) and c.kind == "word" and not c.title]
    others = [c for c in positive if c not in plain]
    parts: list[query.Query] = []
    if plain:
        # Analysed as one text, so plain words give exactly what ``build_query`` gives.
        run = language_query(language, " ".join(word.text for word in plain))
        if run is not None:
            parts.extend(run.subqueries if isinstance(run, query.And) else [run])
    for child in others:
        compiled = _compile(child, language, languages)
        if compiled is not None:
            parts.append(compiled)
    excluded = _one_or(
        [
            q
            for child in node.children
            if isinstance(child, Not)
            for lang in languages
            if (q := _compile(child.child, lang, languages)) is not None
        ]
    )
    if positive and not parts:
        return None  # only stop words of this language
    matched = query.Every() if not parts else parts[0] if len(parts) == 1 else query.And(parts)
    return matched if excluded is None else query.AndNot(matched, excluded)


def _compile_tree(node: Node | None, languages: Sequence[str]) -> query.Query:
    if node is None:
        return query.Every()
    per_language = _one_or(
        [q for lang in languages if (q := _compile(node, lang, languages)) is not None]
    )
    return query.Every() if per_language is None else per_language


# Characters after a word that make it part of the syntax, not a word to respell.
_SYNTAX_AFTER = ("*", "~", ":")


@dataclass(frozen=True)
class ParsedQuery:
    """A query text read once: its syntax tree and its whoosh query."""

    text: str
    tree: Node | None
    whoosh: query.Query

    @property
    def matches_everything(self) -> bool:
        """An empty query, or one of stop words only: every record, unranked."""
        return isinstance(self.whoosh, query.Every)

    def typed_words(self) -> Iterator[tuple[int, int]]:
        """(start, end) in the text of each word as typed in the plain words and phrases, the
        excluded ones too: the words a spelling suggestion may replace. Not a prefix or fuzzy
        word, nor a token that runs into syntax (``foo*bar``: ``foo``; ``title:word``)."""
        spans = [w.span for w in words(self.tree) if w.kind in ("word", "phrase")]
        for match in TOKEN_PATTERN.finditer(self.text):
            start, end = match.span()
            if self.text[end : end + 1] in _SYNTAX_AFTER:
                continue
            if any(low <= start and end <= high for low, high in spans):
                yield start, end

    def highlight_terms(self, reader: IndexReader | None = None) -> dict[str, set[str]]:
        """Index terms per title/body field that the query matches positively.

        Prefix and fuzzy words are expanded (capped) when an index ``reader`` is given;
        without one a fuzzy word gives its own keys and a prefix nothing.
        """
        terms: dict[str, set[str]] = {}
        highlighted = {f(lang) for lang in LANGUAGES for f in (title_field, body_field)}
        for leaf in _positive_leaves(self.whoosh):
            field = getattr(leaf, "fieldname", None)
            if field not in highlighted:
                continue
            if isinstance(leaf, query.MultiTerm):
                if reader is not None:
                    found = {
                        b.decode("utf-8") if isinstance(b, bytes) else b
                        for _, b in leaf.expanded_terms(reader)
                    }
                elif isinstance(leaf, query.FuzzyTerm):
                    found = {leaf.text}
                else:
                    found = set()
            else:
                found = {leaf.text}
            if found:
                terms.setdefault(field, set()).update(found)
        return terms


def compile_query(text: str, languages: Sequence[str] = LANGUAGES) -> ParsedQuery:
    """A query text in the query language, read and compiled once.

    A text that does not parse is read as plain words; an empty one, or one of stop words
    only, matches every document. Raises ``BadQuery`` over the limits.
    """
    tree = parse(text)
    return ParsedQuery(text, tree, _compile_tree(tree, languages))


def parse_query(text: str, languages: Sequence[str] = LANGUAGES) -> query.Query:
    """The whoosh query of a text in the query language (``compile_query``)."""
    return compile_query(text, languages).whoosh


def _positive_leaves(q: query.Query) -> Iterable[query.Query]:
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        yield from _positive_leaves(q.a)
        return
    children = list(q.children())
    if not children:
        yield q
    for child in children:
        yield from _positive_leaves(child)


def query_terms(
    text: str, languages: Sequence[str] = LANGUAGES, reader: IndexReader | None = None
) -> dict[str, set[str]]:
    """``ParsedQuery.highlight_terms`` of a text compiled for ``languages``."""
    return compile_query(text, languages).highlight_terms(reader)
