"""The words people type, with their frequencies, per language and generation.

Spelling suggestions and completion need the words as written, not stems. The tokenizer
hands each text it reads (a title or a body) to the collector while an index is built, and
the counts are written beside the index as ``words-<lang>.tsv`` (sorted, one
``word<TAB>texts`` a line: in how many titles and bodies the word occurs). A whoosh field of
its own would cost every document another pass through whoosh's posting writer, and counting
in the main process would tokenize everything twice.

whoosh's writer processes are forked from the builder: each collects on its own and leaves its
counts in a spill file when it exits, which the builder merges.
"""

from __future__ import annotations

import multiprocessing.util
import os
import pickle
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer import analysis
from indexer.records import LANGUAGES

SPILL_DIR = ".spelling-spill"


def words_file(folder: Path, language: str) -> Path:
    return folder / f"words-{language}.tsv"


class WordCounts:
    """Counts, per language, the texts each word occurs in."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}

    def add_words(self, language: str, words: list[tuple[int, str]]) -> None:
        """The tokenizer's words of one text: letters only, three or more (no codes)."""
        self.counts[language].update(
            {word for _, word in words if len(word) > 2 and word.isalpha()}
        )

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
    def read(cls, folder: Path) -> WordCounts:
        """A generation's counts, as ``write`` left them."""
        counts = cls()
        for language in LANGUAGES:
            if words_file(folder, language).is_file():
                counts.counts[language].update(dict(read_words(folder, language)))
        return counts

    def write(self, folder: Path) -> None:
        for language, counts in self.counts.items():
            lines = [f"{word}\t{count}\n" for word, count in sorted(counts.items())]
            words_file(folder, language).write_text("".join(lines), encoding="utf-8")


_spill_to: Path | None = None


def _spill(counts: WordCounts, folder: Path) -> None:
    with open(folder / f"{os.getpid()}.pickle", "wb") as handle:
        pickle.dump(counts, handle, protocol=pickle.HIGHEST_PROTOCOL)


class _ChildHook:
    """multiprocessing calls its after-fork hooks on a live object."""

    def __call__(self) -> None:
        if _spill_to is None:
            return
        counts = WordCounts()
        analysis.word_sink = counts.add_words
        # Run by multiprocessing when the Process's run() has returned.
        multiprocessing.util.Finalize(None, _spill, args=(counts, _spill_to), exitpriority=10)


_child_hook = _ChildHook()
multiprocessing.util.register_after_fork(_child_hook, _ChildHook.__call__)


@contextmanager
def collecting(folder: Path) -> Iterator[WordCounts]:
    """Count the words of every text analysed here or in processes forked meanwhile; the
    counts are complete once the block has ended."""
    global _spill_to
    counts = WordCounts()
    spill = folder / SPILL_DIR
    spill.mkdir(exist_ok=True)
    _spill_to = spill
    analysis.word_sink = counts.add_words
    try:
        yield counts
    finally:
        analysis.word_sink = None
        _spill_to = None
        for path in sorted(spill.glob("*.pickle")):
            with open(path, "rb") as handle:
                counts.merge(pickle.load(handle))
        shutil.rmtree(spill, ignore_errors=True)


def read_words(folder: Path, language: str) -> list[tuple[str, int]]:
    """A generation's sorted (word, texts) list for one language."""
    pairs = []
    with open(words_file(folder, language), encoding="utf-8") as handle:
        for line in handle:
            word, count = line.rstrip("\n").split("\t")
            pairs.append((word, int(count)))
    return pairs
