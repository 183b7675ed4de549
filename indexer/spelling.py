"""The words people type, with their frequencies, per language and generation.

Spelling suggestions and completion need the words as written, not stems. While a generation
is written (``collecting``), the index writer's title and body postings hand the words of each
text to the collector (see ``indexer.writer_processes``, also for writer processes), and the
counts are written beside the index as ``words-<lang>.tsv`` (``indexer.contract``). A whoosh
field of its own would cost every document another pass through whoosh's posting writer, and
counting in the builder process would tokenize everything twice.
"""

from __future__ import annotations

import pickle
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer import writer_processes
from indexer.analysis import text_analyzer
from indexer.contract import LANGUAGES, read_words, words_file

SPILL_DIR = ".spelling-spill"


class WordCounts:
    """Counts, per language, the texts each word occurs in."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}

    def add_words(self, language: str, words: list[tuple[int, str]]) -> None:
        """The tokenizer's words of one text: letters only, three or more (no codes)."""
        self.counts[language].update(
            {word for _, word in words if len(word) > 2 and word.isalpha()}
        )

    def add_text(self, language: str, text: str) -> None:
        """One title or body, as the index writer counts it."""
        self.add_words(language, text_analyzer(language).words(text))

    def merge(self, other: WordCounts) -> None:
        for language, counts in other.counts.items():
            self.counts[language].update(counts)

    def subtract(self, other: WordCounts) -> None:
        """Take out the counts of texts no longer indexed; words left in none disappear."""
        for language, counts in other.counts.items():
            mine = self.counts[language]
            mine.subtract(counts)
            for word in [w for w in counts if mine[w] <= 0]:
                del mine[word]

    @classmethod
    def read(cls, generation: Path) -> WordCounts:
        """A generation's counts, as ``write`` left them."""
        counts = cls()
        for language in LANGUAGES:
            if words_file(generation, language).is_file():
                counts.counts[language].update(dict(read_words(generation, language)))
        return counts

    def write(self, generation: Path) -> None:
        for language, counts in self.counts.items():
            lines = [f"{word}\t{count}\n" for word, count in sorted(counts.items())]
            words_file(generation, language).write_text("".join(lines), encoding="utf-8")


@contextmanager
def collecting(folder: Path) -> Iterator[WordCounts]:
    """Count the words of every title and body indexed here or in writer processes forked
    meanwhile; the counts are complete once the block has ended."""
    counts = WordCounts()
    spill = folder / SPILL_DIR
    spill.mkdir(exist_ok=True)
    try:
        with writer_processes.collecting_words(counts, spill):
            yield counts
    finally:
        for path in sorted(spill.glob("*.pickle")):
            with open(path, "rb") as handle:
                counts.merge(pickle.load(handle))
        shutil.rmtree(spill, ignore_errors=True)
