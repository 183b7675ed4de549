"""The query language of the public API, read into a syntax tree (pure code, no index).

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := ("-" | "NOT") primary | primary
    primary := ["title:"] "(" or_expr ")" | ["title:"] term
    term    := '"' phrase '"' | word | word "*" | word "~"

Keywords are uppercase only (``or`` is a word). ``word*`` needs two letters and matches the
start of the index keys (stems), ``word~`` allows 1 edit up to 5 letters, else 2.
``title:`` before a group applies to every term in it. A text that
does not parse is read as its plain words; ``BadQuery`` is raised over the limits of
``searchsvc.limits``. ``searchsvc.query`` compiles the tree into a whoosh query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from indexer.contract import normalize_text
from searchsvc.limits import (
    MAX_CLAUSES,
    MAX_DEPTH,
    MAX_EXPANDING,
    MAX_QUERY_LENGTH,
    MIN_PREFIX,
)


class BadQuery(ValueError):
    """A query over the service's limits (the HTTP layer answers 400)."""


@dataclass(frozen=True)
class Word:
    text: str
    kind: str = "word"  # word | prefix | fuzzy | phrase
    title: bool = False
    # Where the term stands in the query text (for a phrase, inside its quotes).
    span: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]
    # Joined by an explicit AND somewhere: every plain word is required, not most of them.
    explicit: bool = False


@dataclass(frozen=True)
class Any:
    children: tuple[Node, ...]


Node = Word | Not | All | Any

_KEYWORDS = {"OR", "AND", "NOT"}
_WORD_END = re.compile(r'[\s()"]')
_SYNTAX = re.compile(r'["()*~]|(?<!\S)-|(?<!\S)(?i:title):|(?<!\S)(?:OR|AND|NOT)(?!\S)')


class _ParseError(Exception):
    pass


@dataclass(frozen=True)
class _Token:
    kind: str  # ( ) OR AND NOT - title phrase word
    value: str
    span: tuple[int, int]


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, char, (i, i + 1)))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _ParseError("unbalanced quote")
            tokens.append(_Token("phrase", text[i + 1 : end], (i + 1, end)))
            i = end + 1
        elif char == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == "-":
                raise _ParseError("dangling -")
            tokens.append(_Token("-", char, (i, i + 1)))
            i += 1
        elif text[i : i + 6].lower() == "title:":
            if i + 6 >= n or not (text[i + 6] in '"(' or _WORD_END.match(text[i + 6]) is None):
                raise _ParseError("title: without a term")
            tokens.append(_Token("title", "title:", (i, i + 6)))
            i += 6
        else:
            match = _WORD_END.search(text, i)
            end = match.start() if match else n
            word = text[i:end]
            tokens.append(_Token(word if word in _KEYWORDS else "word", word, (i, end)))
            i = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.at].kind if self.at < len(self.tokens) else None

    def take(self) -> _Token:
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
        explicit = False
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                if not items:
                    raise _ParseError("dangling AND")
                self.take()
                explicit = True
            items.append(self.unary())
        if not items:
            raise _ParseError("empty clause")
        return All(tuple(items), explicit)

    def unary(self) -> Node:
        if self.peek() in ("-", "NOT"):
            self.take()
            if self.peek() in ("-", "NOT"):
                raise _ParseError("double negation")
            return Not(self.primary())
        return self.primary()

    def primary(self) -> Node:
        if self.peek() is None:
            raise _ParseError("unexpected end")
        token = self.take()
        if token.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _ParseError("too deep")
            node = self.or_expr()
            if self.peek() != ")":
                raise _ParseError("unbalanced parenthesis")
            self.take()
            self.depth -= 1
            return node
        if token.kind == "title":
            if self.peek() == "(":
                return _in_title(self.primary())
            if self.peek() not in ("word", "phrase"):
                raise _ParseError("title: without a term")
            return _term(self.take(), title=True)
        if token.kind in ("word", "phrase"):
            return _term(token)
        raise _ParseError(f"unexpected {token.kind}")


def _term(token: _Token, title: bool = False) -> Word:
    value, span = token.value, token.span
    if token.kind == "phrase":
        return Word(value, "phrase", title, span)
    prefix = normalize_text(value[:-1]).strip(".,;:!?'")
    if value.endswith("*") and letters(prefix):
        if len(letters(prefix)) < MIN_PREFIX:
            raise BadQuery(f"a prefix needs at least {MIN_PREFIX} letters before the *")
        return Word(prefix, "prefix", title, span)
    if value.endswith("~") and value.rstrip("~"):
        return Word(value.rstrip("~"), "fuzzy", title, span)
    return Word(value.replace("*", " ").replace("~", " "), "word", title, span)


def _in_title(node: Node) -> Node:
    """A group after ``title:``: each of its terms looked for in titles only."""
    if isinstance(node, Word):
        return replace(node, title=True)
    if isinstance(node, Not):
        return Not(_in_title(node.child))
    return replace(node, children=tuple(_in_title(child) for child in node.children))


def letters(text: str) -> str:
    """The word characters of a text, normalised."""
    return "".join(re.findall(r"\w+", normalize_text(text)))


def _plain_words(text: str) -> Node | None:
    """The words of a query that did not parse, without its syntax."""
    blanked = _SYNTAX.sub(lambda match: " " * len(match.group()), text)
    words = [Word(m.group(), span=m.span()) for m in re.finditer(r"\S+", blanked)]
    return All(tuple(words)) if words else None


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

    Raises ``BadQuery`` for a text over ``MAX_QUERY_LENGTH`` or ``MAX_CLAUSES``, or with more
    than ``MAX_EXPANDING`` prefix or fuzzy words.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(f"query longer than {MAX_QUERY_LENGTH} characters")
    try:
        node = _Parser(_tokens(text)).parse()
    except _ParseError:
        node = _plain_words(text)
    if _clauses(node) > MAX_CLAUSES:
        raise BadQuery(f"query has more than {MAX_CLAUSES} clauses")
    if _clauses(node, expanding=True) > MAX_EXPANDING:
        raise BadQuery(f"query has more than {MAX_EXPANDING} prefix or fuzzy words")
    return node


def words(node: Node | None) -> list[Word]:
    """Every term of the tree, excluded ones too, in the order they were typed."""
    if node is None:
        return []
    if isinstance(node, Word):
        return [node]
    if isinstance(node, Not):
        return words(node.child)
    return [word for child in node.children for word in words(child)]


def positive_words(node: Node | None) -> list[Word]:
    """The terms of the tree a record is searched for, not the excluded ones."""
    if node is None or isinstance(node, Not):
        return []
    if isinstance(node, Word):
        return [node]
    return [word for child in node.children for word in positive_words(child)]
