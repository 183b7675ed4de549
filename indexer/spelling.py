"""The words people type, with their document frequencies, per language and generation.

Spelling suggestions and completion need the words as written, not stems. They are counted
while the index is built and written beside it as ``words-<lang>.tsv`` (sorted, one
``word<TAB>documents`` a line), instead of as a whoosh field: a field of its own would cost
every document a third pass through whoosh's posting writer.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from indexer.analysis import normalize_text, stop_words
from indexer.records import LANGUAGES, Record

# Letters only, three or more: words a person would type (codes and numbers are not).
WORD_PATTERN = re.compile(r"[^\W\d_]{3,}")


def words_file(folder: Path, language: str) -> Path:
    return folder / f"words-{language}.tsv"


def text_words(language: str, text: str) -> set[str]:
    """The distinct words of a text as the spelling lists hold them."""
    return set(WORD_PATTERN.findall(normalize_text(text))) - stop_words(language)


class WordCounts:
    """Counts, per language, the documents each word occurs in."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}

    def add(self, record: Record, main: str) -> None:
        for language in record.languages() or [main]:
            text = record.text_in(language)
            if language == main:
                text = f"{record.title}\n{text}"
            self.counts[language].update(text_words(language, text))

    def write(self, folder: Path) -> None:
        for language, counts in self.counts.items():
            lines = [f"{word}\t{count}\n" for word, count in sorted(counts.items())]
            words_file(folder, language).write_text("".join(lines), encoding="utf-8")


def read_words(folder: Path, language: str) -> list[tuple[str, int]]:
    """A generation's sorted (word, document count) list for one language."""
    pairs = []
    with open(words_file(folder, language), encoding="utf-8") as handle:
        for line in handle:
            word, count = line.rstrip("\n").split("\t")
            pairs.append((word, int(count)))
    return pairs
