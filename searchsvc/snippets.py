"""Tokens with character offsets into the raw text, and highlighted snippets (pure code).

``normalize_text`` (NFKC, invisible characters removed, lowercase) can change the length of a
text, so offsets found in the normalised text do not point into the stored body. Here the text
is normalised one character at a time, keeping for each normalised character the raw
character it came from; tokens are found with the indexer's own pattern and stop words and
mapped back, so every offset points into the raw text.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from indexer.analysis import query_words, text_analyzer
from indexer.contract import APOSTROPHES, INVISIBLE, TOKEN_PATTERN, normalize_text
from indexer.lexicon import lexicon
from searchsvc.syntax import Node, positive_words

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
SNIPPET_CHARS = 240
# Tokens after the first match that a snippet looks at for a better passage.
MAX_SPAN_TOKENS = 3000
# Long texts are normalised and tokenized a piece at a time, as far as the matches go.
CHUNK_CHARS = 8_000
ELLIPSIS = "…"
# Characters at a passage's end that may be cut back to a word boundary (``_trim``).
TRIM_ROOM = 12


class TextToken(NamedTuple):
    word: str  # as the index tokenizer sees it (normalised)
    position: int
    start: int  # offsets into the raw text
    end: int


# For each character of a normalised text, the offset in the raw text it came from.
Origins = Sequence[int] | np.ndarray
# (start, end) of a word in a raw text.
Span = tuple[int, int]


def _normalise_with_offsets(text: str) -> tuple[str, Origins]:
    """The normalised text, and for each of its characters the raw offset it came from."""
    removed = [match.start() for match in INVISIBLE.finditer(text)]
    if not removed:
        if unicodedata.is_normalized("NFKC", text) and len(lowered := text.lower()) == len(text):
            # Nearly every text: normalising changes no offsets (checked in C, not per char).
            return APOSTROPHES.sub("'", lowered), range(len(text))
        normal = normalize_text(text)
        if len(normal) == len(text):
            # Characters replaced one for one (no-break spaces, say): offsets unchanged.
            return normal, range(len(text))
    else:
        normal = normalize_text(text)
        if len(normal) == len(text) - len(removed):
            # Only invisible characters (soft hyphens, mostly) dropped: skip their offsets.
            return normal, np.delete(np.arange(len(text)), removed)
    # Characters that change length (ligatures, fractions, invisible ones): ASCII never does,
    # so each other character is normalised on its own and ASCII runs are copied.
    widths = np.ones(len(text), dtype=np.int64)
    pieces: list[str] = []
    cursor = 0
    for match in _NON_ASCII.finditer(text):
        at = match.start()
        pieces.append(text[cursor:at].lower())
        normal = _normal_char(match.group())
        pieces.append(normal)
        widths[at] = len(normal)
        cursor = at + 1
    pieces.append(text[cursor:].lower())
    return APOSTROPHES.sub("'", "".join(pieces)), np.repeat(np.arange(len(text)), widths)


@functools.lru_cache(maxsize=4096)
def _normal_char(char: str) -> str:
    return normalize_text(char)


def tokens(language: str, text: str) -> list[TextToken]:
    """The words of a text as the index tokenizer yields them (stop words dropped, hyphenated
    words whole and as their pieces), with raw character offsets.

    The words come from the index's own tokenizer; only their offsets are found here.
    """
    normal, origin = _normalise_with_offsets(text)
    spans = [match.span() for match in TOKEN_PATTERN.finditer(normal)]
    result: list[TextToken] = []
    last_position, cursor = -1, 0
    for position, word in text_analyzer(language).words(normal):
        start, end = spans[position]
        if position == last_position:
            # A piece of the hyphenated word just yielded whole: its own span within it.
            found = normal.find(word, cursor, end)
            if found >= 0:
                start, end = found, found + len(word)
                cursor = end
        else:
            last_position, cursor = position, start
        result.append(TextToken(word, position, origin[start], origin[end - 1] + 1))
    return result


def analyze_text(language: str, text: str) -> list[dict]:
    """Tokens with their index keys and compound parts, offsets into the raw text."""
    words = lexicon(language)
    out = []
    for token in tokens(language, text):
        keys = words.analyze(token.word)
        out.append(
            {
                "token": token.word,
                "position": token.position,
                "start": token.start,
                "end": token.end,
                "keys": list(keys.keys),
                "parts": list(keys.parts),
            }
        )
    return out


def _pieces(text: str, size: int = CHUNK_CHARS):
    """(offset, piece) of the text cut at the first line break after every ``size`` chars:
    no token and no normalisation reaches across a line break."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + size)
        end = len(text) if cut < 0 else cut + 1
        yield start, text[start:end]
        start = end


def spans_at(
    text: str, positions: dict[int, str], reach: int | None = MAX_SPAN_TOKENS
) -> list[tuple[int, int, str]]:
    """(start, end, key) in the raw text of the tokens at the given token positions.

    Positions count tokens as the index tokenizer does (stop words included), so the
    positions the index stores for a document's terms point straight at the words that
    matched: no word of the text needs analysing, and a long text is read only as far as
    the matches it needs: ``reach`` tokens after the first match (a snippet's passage lies
    near the first matches), or to the last match with ``reach=None`` (the whole text).
    """
    if not positions:
        return []
    last = max(positions)
    if reach is not None:
        last = min(last, min(positions) + reach)
    spans: list[tuple[int, int, str]] = []
    position = 0
    for offset, piece in _pieces(text):
        normal, origin = _normalise_with_offsets(piece)
        for match in TOKEN_PATTERN.finditer(normal):
            key = positions.get(position)
            if key is not None:
                start, end = match.span()
                spans.append((offset + origin[start], offset + origin[end - 1] + 1, key))
            if position >= last:
                return spans
            position += 1
    return spans


def part_keys(tree: Node | None, language: str) -> frozenset[str]:
    """Keys by which the query's words match in a language only as compound parts (``stöd``
    and ``relation`` for ``stödrelationer``), not as a word of the query themselves."""
    keys: set[str] = set()
    parts: set[str] = set()
    for word in positive_words(tree):
        if word.kind != "word":
            continue
        for entries in query_words(language, word.text):
            for entry in entries:
                keys.update(entry.keys)
                parts.update(entry.parts)
    return frozenset(parts - keys)


def _best_window(
    spans: list[tuple[int, int, str]], width: int, parts: frozenset[str] = frozenset()
) -> int:
    """Start offset of the best window of ``width`` chars: the most distinct keys that are
    whole query words, then the most distinct keys of ``parts`` (a compound's parts alone
    never beat the compound), then the most matches."""
    best_start, best_score = spans[0][0], (-1, 0, 0)
    right = 0
    for left, (start, _end, _key) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] - start <= width:
            right += 1
        window = spans[left : right + 1]
        keys = {key for _, _, key in window}
        whole = len(keys - parts)
        score = (whole, len(keys) - whole, len(window))
        if score > best_score:
            best_score, best_start = score, start
    return best_start


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a window's edges to word boundaries."""
    if start > 0:
        space = text.find(" ", start - 30 if start >= 30 else 0, start)
        if space >= 0:
            start = space + 1
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + 40:
            end = space
    return start, end


def snippet(
    text: str, spans: list[tuple[int, int, str]], width: int = SNIPPET_CHARS,
    parts: frozenset[str] = frozenset(),
) -> str:
    """HTML: the passage of ``text`` with the most distinct matched words (``spans``, as
    ``spans_at`` gives them; keys in ``parts`` count below whole query words), those in
    ``<mark>``, everything else escaped; the opening of the text when nothing matches."""
    lead = width // 5  # context shown before the first match
    if spans:
        # The window chosen is the one shown: it starts ``lead`` chars into the passage and
        # leaves room for the end to move back to a word boundary.
        first = _best_window(spans, width - lead - TRIM_ROOM, parts)
        start = max(0, first - lead)
    else:
        start = len(text) - len(text.lstrip())
    end = min(len(text), start + width)
    if end == len(text):
        start = max(0, end - width)
    start, end = _trim(text, start, end)
    out: list[str] = [ELLIPSIS] if start > 0 and text[:start].strip() else []
    out.append(marked(text, [(s, e) for s, e, _key in spans], start, end))
    if end < len(text) and text[end:].strip():
        out.append(ELLIPSIS)
    return " ".join("".join(out).split())


def marked(text: str, spans: Sequence[Span], start: int = 0, end: int | None = None) -> str:
    """HTML: ``text[start:end]`` escaped, with the ``spans`` (in order, not overlapping)
    that lie within it in ``<mark>``."""
    end = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        out.append(html.escape(text[cursor:span_start]))
        out.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    out.append(html.escape(text[cursor:end]))
    return "".join(out)
