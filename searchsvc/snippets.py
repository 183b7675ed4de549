"""Tokens with character offsets into the raw text, and highlighted snippets (pure code).

``normalize_text`` (NFKC, invisible characters removed, lowercase) can change the length of a
text, so offsets found in the normalised text do not point into the stored body. Here the text
is normalised one character at a time, keeping for each normalised character the raw
character it came from; tokens are found with the indexer's own pattern and stop words and
mapped back, so every offset points into the raw text.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Collection, Sequence
from typing import NamedTuple

from indexer.analysis import (
    _APOSTROPHES,
    _INVISIBLE,
    TOKEN_PATTERN,
    normalize_text,
    text_analyzer,
)
from indexer.lexicon import lexicon

SNIPPET_CHARS = 240
# Longer texts are snippeted from their opening part: the snippet is made per hit, per request.
MAX_SCAN = 30_000
FIRST_SCAN = 8_000
ELLIPSIS = "…"


class TextToken(NamedTuple):
    word: str  # as the index tokenizer sees it (normalised)
    position: int
    start: int  # offsets into the raw text
    end: int


def _normalise_with_offsets(text: str) -> tuple[str, Sequence[int]]:
    """The normalised text, and for each of its characters the raw offset it came from."""
    if (
        unicodedata.is_normalized("NFKC", text)
        and not _INVISIBLE.search(text)
        and len(lowered := text.lower()) == len(text)
    ):
        # Nearly every text: normalising changes no offsets (checked in C, not per char).
        return _APOSTROPHES.sub("'", lowered), range(len(text))
    pieces: list[str] = []
    origin: list[int] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        normal = normalize_text(line)
        if len(normal) == len(line) and not _INVISIBLE.search(line):
            # A line whose characters each normalise to one (a no-break space, say).
            pieces.append(normal)
            origin.extend(range(offset, offset + len(line)))
        else:
            for index, char in enumerate(line, offset):
                normal = normalize_text(char)
                pieces.append(normal)
                origin.extend([index] * len(normal))
        offset += len(line)
    return "".join(pieces), origin


def tokens(language: str, text: str) -> list[TextToken]:
    """The words of a text as the index tokenizer yields them (stop words dropped, hyphenated
    words whole and as their pieces), with raw character offsets.

    The words come from the index's own tokenizer; only their offsets are found here.
    """
    normal, origin = _normalise_with_offsets(text)
    spans = [match.span() for match in TOKEN_PATTERN.finditer(normal)]
    result: list[TextToken] = []
    last_position, cursor = -1, 0
    for position, word in text_analyzer(language)[0].words(normal):
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


def matched_spans(
    language: str, text: str, keys: Collection[str], parts: Collection[str] = ()
) -> list[tuple[int, int, str]]:
    """(start, end, matched key) of each word of the text that the query terms match.

    Each distinct word is analysed once, and offsets are found only for the words that
    match: a long text has thousands of tokens and a handful of matches.
    """
    if not keys and not parts:
        return []
    words = lexicon(language)
    normal, origin = _normalise_with_offsets(text)
    found = text_analyzer(language)[0].words(normal)
    hits: dict[str, str] = {}
    for word in {word for _, word in found}:
        analysis = words.analyze(word)
        hit = next((k for k in analysis.keys if k in keys), None)
        if hit is None and parts:
            hit = next((p for p in analysis.parts if p in parts or p in keys), None)
        if hit is not None:
            hits[word] = hit
    if not hits:
        return []
    token_spans = [match.span() for match in TOKEN_PATTERN.finditer(normal)]
    spans = []
    previous = -1
    for position, word in found:
        piece = position == previous
        previous = position
        hit = hits.get(word)
        if hit is None:
            continue
        start, end = token_spans[position]
        if piece:
            # A piece of the hyphenated word just yielded whole: its own span within it.
            at = normal.find(word, start, end)
            if at >= 0:
                start, end = at, at + len(word)
        spans.append((origin[start], origin[end - 1] + 1, hit))
    # A hyphenated word and its pieces overlap: keep the outermost spans.
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            continue
        merged.append(span)
    return merged


def _best_window(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window of ``width`` chars holding the most distinct matches."""
    best_start, best_score = spans[0][0], (-1, 0)
    right = 0
    for left, (start, _end, _key) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] - start <= width:
            right += 1
        window = spans[left : right + 1]
        score = (len({key for _, _, key in window}), len(window))
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


def passage_spans(
    language: str, text: str, keys: Collection[str], parts: Collection[str] = ()
) -> list[tuple[int, int, str]]:
    """The matched spans ``snippet`` works from: those of the opening ``FIRST_SCAN``
    characters, or if there are none, of the rest up to ``MAX_SCAN``."""
    text = text[:MAX_SCAN]
    if len(text) <= FIRST_SCAN:
        return matched_spans(language, text, keys, parts)
    cut = text.rfind(" ", 0, FIRST_SCAN)
    cut = cut if cut > 0 else FIRST_SCAN
    spans = matched_spans(language, text[:cut], keys, parts)
    if not spans:
        rest = matched_spans(language, text[cut:], keys, parts)
        spans = [(start + cut, end + cut, key) for start, end, key in rest]
    return spans


def snippet(
    language: str,
    text: str,
    keys: Collection[str],
    parts: Collection[str] = (),
    width: int = SNIPPET_CHARS,
    spans: list[tuple[int, int, str]] | None = None,
) -> str:
    """HTML: the passage of ``text`` with the most distinct matched words, those in
    ``<mark>``, everything else escaped; the opening of the text when nothing matches.

    ``spans`` are ``passage_spans(language, text, keys, parts)`` when already known.
    """
    if spans is None:
        spans = passage_spans(language, text, keys, parts)
    text = text[:MAX_SCAN]
    if spans:
        first = _best_window(spans, width)
        # Some context before the first match.
        start = max(0, first - width // 5)
    else:
        start = len(text) - len(text.lstrip())
    end = min(len(text), start + width)
    if end == len(text):
        start = max(0, end - width)
    start, end = _trim(text, start, end)
    out: list[str] = [ELLIPSIS] if start > 0 and text[:start].strip() else []
    cursor = start
    for span_start, span_end, _key in spans:
        if span_start < start or span_end > end:
            continue
        out.append(html.escape(text[cursor:span_start]))
        out.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    out.append(html.escape(text[cursor:end]))
    if end < len(text) and text[end:].strip():
        out.append(ELLIPSIS)
    return " ".join("".join(out).split())
