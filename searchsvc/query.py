"""Translate a query text into a whoosh query over the per-language fields (pure code).

Each word is analysed with each language's analyzer and matched in that language's fields,
so ``omaishoitajien tuki`` finds Finnish records and ``anhörigstöd`` Swedish ones without the
user naming a language. Within a language all words must match; a word matches by its key in
the title or body, by being a part of an indexed compound, or, when the word is itself a
compound, by all of its parts standing in the text (``omaishoidontuki`` finds
``omaishoidon tuki``).

``parse_query`` adds the query language of the public API on top (grammar below). The whole
expression is compiled once per language and the languages are joined with Or, as for plain
words; an excluded clause excludes a record when it matches in any language.

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := ("-" | "NOT") primary | primary
    primary := "(" or_expr ")" | ["title:"] term
    term    := '"' phrase '"' | word | word "*" | word "~"

Keywords are uppercase only (``or`` is a word). ``word*`` needs two letters and matches the
start of the index keys (stems), ``word~`` allows 1 edit up to 5 letters, else 2. A text that
does not parse is read as its plain words; ``BadQuery`` is raised over the limits below.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from whoosh import query
from whoosh.query.spans import SpanNear
from whoosh.reading import IndexReader

from indexer.analysis import normalize_text, query_words, text_analyzer
from indexer.lexicon import COMPOUND_LANGUAGES, WordKeys, lexicon
from indexer.records import LANGUAGES
from indexer.schema import body_field, parts_field, title_field

MAX_QUERY_LENGTH = 500
# Leaves of a query: each word, each word of a phrase, each prefix or fuzzy word.
MAX_CLAUSES = 50
# Index terms one prefix or fuzzy word may expand to, per field.
MAX_EXPANSIONS = 200
# Prefix and fuzzy words in one query: each expands in every language's fields, and whoosh
# finds a fuzzy word's terms by comparing it with every term sharing its first letter.
MAX_EXPANDING = 5
# Parentheses nested deeper than this do not parse (the query falls back to plain words).
MAX_DEPTH = 8
MIN_PREFIX = 2


class BadQuery(ValueError):
    """A query over the service's limits (the HTTP layer answers 400)."""


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


# --- syntax tree ------------------------------------------------------------------------------


class _ParseError(Exception):
    pass


@dataclass(frozen=True)
class Word:
    text: str
    kind: str = "word"  # word | prefix | fuzzy | phrase
    title: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    children: tuple[Node, ...]


Node = Word | Not | All | Any

_KEYWORDS = {"OR", "AND", "NOT"}
_WORD_END = re.compile(r'[\s()"]')
_SYNTAX = re.compile(r'["()*~]|(?<!\S)-|(?<!\S)(?i:title):|(?<!\S)(?:OR|AND|NOT)(?!\S)')


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value): ( ) OR AND NOT - title: phrase word."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append((char, char))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _ParseError("unbalanced quote")
            tokens.append(("phrase", text[i + 1 : end]))
            i = end + 1
        elif char == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == "-":
                raise _ParseError("dangling -")
            tokens.append(("-", char))
            i += 1
        elif text[i : i + 6].lower() == "title:":
            if i + 6 >= n or not (text[i + 6] == '"' or _WORD_END.match(text[i + 6]) is None):
                raise _ParseError("title: without a term")
            tokens.append(("title", "title:"))
            i += 6
        else:
            match = _WORD_END.search(text, i)
            end = match.start() if match else n
            word = text[i:end]
            tokens.append((word, word) if word in _KEYWORDS else ("word", word))
            i = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.or_expr()
        if self.peek() is not None:
            raise _ParseError(f"unexpected {self.peek()}")
        return node

    def or_expr(self) -> Node:
        alternatives = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            alternatives.append(self.and_expr())
        return alternatives[0] if len(alternatives) == 1 else Any(tuple(alternatives))

    def and_expr(self) -> Node:
        items: list[Node] = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                if not items:
                    raise _ParseError("dangling AND")
                self.take()
            items.append(self.unary())
        if not items:
            raise _ParseError("empty clause")
        return All(tuple(items))

    def unary(self) -> Node:
        if self.peek() in ("-", "NOT"):
            self.take()
            if self.peek() in ("-", "NOT"):
                raise _ParseError("double negation")
            return Not(self.primary())
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take() if self.peek() is not None else (None, "")
        if kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _ParseError("too deep")
            node = self.or_expr()
            if self.peek() != ")":
                raise _ParseError("unbalanced parenthesis")
            self.take()
            self.depth -= 1
            return node
        if kind == "title":
            if self.peek() not in ("word", "phrase"):
                raise _ParseError("title: without a term")
            return self.term(*self.take(), title=True)
        if kind in ("word", "phrase"):
            return self.term(kind, value)
        raise _ParseError(f"unexpected {kind}")

    @staticmethod
    def term(kind: str, value: str, title: bool = False) -> Word:
        if kind == "phrase":
            return Word(value, "phrase", title)
        prefix = normalize_text(value[:-1]).strip(".,;:!?'")
        if value.endswith("*") and len(_letters(prefix)) >= MIN_PREFIX:
            return Word(prefix, "prefix", title)
        if value.endswith("~") and value.rstrip("~"):
            return Word(value.rstrip("~"), "fuzzy", title)
        return Word(value.replace("*", " ").replace("~", " "), "word", title)


def _letters(text: str) -> str:
    return "".join(re.findall(r"\w+", normalize_text(text)))


def _plain_text(text: str) -> str:
    """The words of a query that did not parse, without its syntax."""
    return _SYNTAX.sub(" ", text)


def _clauses(node: Node | None, expanding: bool = False) -> int:
    """Words in the tree (a phrase counts its words), or its prefix and fuzzy words only."""
    if node is None:
        return 0
    if isinstance(node, Word):
        if node.kind in ("prefix", "fuzzy"):
            return 1
        return 0 if expanding else max(1, len(node.text.split()))
    if isinstance(node, Not):
        return _clauses(node.child, expanding)
    return sum(_clauses(child, expanding) for child in node.children)


def parse(text: str) -> Node | None:
    """The syntax tree of a query text; plain words if it does not parse; None if empty.

    Raises ``BadQuery`` for a text over ``MAX_QUERY_LENGTH`` or ``MAX_CLAUSES``.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(f"query longer than {MAX_QUERY_LENGTH} characters")
    try:
        node = _Parser(_tokens(text)).parse()
    except _ParseError:
        words = _plain_text(text).split()
        node = All(tuple(Word(w) for w in words)) if words else None
    if _clauses(node) > MAX_CLAUSES:
        raise BadQuery(f"query has more than {MAX_CLAUSES} clauses")
    if _clauses(node, expanding=True) > MAX_EXPANDING:
        raise BadQuery(f"query has more than {MAX_EXPANDING} prefix or fuzzy words")
    return node


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
    positions = query_words(language, word.text)
    if not positions:
        return None
    maxdist = 1 if len(_letters(word.text)) <= 5 else 2
    per_position = []
    for entries in positions:
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
        compiled = [_compile(child, language, languages) for child in node.children]
        return _one_or([q for q in compiled if q is not None])
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


def parse_query(text: str, languages: Sequence[str] = LANGUAGES) -> query.Query:
    """The whoosh query for a text in the query language (see the module docstring).

    A text that does not parse is read as plain words; an empty one, or one of stop words
    only, matches every document. Raises ``BadQuery`` over the limits.
    """
    node = parse(text)
    if node is None:
        return query.Every()
    per_language = _one_or(
        [q for lang in languages if (q := _compile(node, lang, languages)) is not None]
    )
    return query.Every() if per_language is None else per_language


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
    """Index terms per title/body field that the query matches positively, for highlighting.

    Prefix and fuzzy words are expanded (capped) when an index ``reader`` is given; without
    one a fuzzy word gives its own keys and a prefix nothing.
    """
    terms: dict[str, set[str]] = {}
    highlighted = {f(lang) for lang in languages for f in (title_field, body_field)}
    for leaf in _positive_leaves(parse_query(text, languages)):
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
