"""Spelling correction: ``WordList.correction`` (rapidfuzz) against the hand-written corrector.

    python -m benchmarks.bench_spelling [--index-dir DIR] [--queries N]

Builds an index of ``../shared/records`` (32,793 records) unless ``--index-dir`` names one
already built, makes N typos per language from the index's own word lists
(``words-<lang>.tsv``: deletes, inserts, replaces, transpositions, two edits, first-letter
typos and unknown words; half from words drawn by frequency, half from any word), and runs the
same typos through ``HandWrittenCorrection`` (the baseline: the corrector as it was before
rapidfuzz, kept here) and ``WordList.correction``. Per language it prints p50/p99/total time
per call, the time and memory each takes to build what it needs on first use, and how many
answers agree (all must; the exit code is 1 otherwise).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_search import percentile

ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDS = ROOT.parent / "shared" / "records"
SEED = 20261124

Correction = tuple[int, int, str] | None


class HandWrittenCorrection:
    """The baseline: ``WordList.correction`` before rapidfuzz.

    Distance 1 generates every string one delete, adjacent transposition, replace or insert
    away (Norvig-style, over the characters of the word list) and looks each up. (It took the
    characters of the first 200,000 words only, a shortcut that left 12 rare letters of the
    Finnish list out; here, as in ``WordList``, every character of the list counts.)
    distance 2 runs a banded Levenshtein over the words with the same first letter and a length
    within two, bucketed on first use.
    """

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        self.words = [w for w, _ in pairs]
        self.counts = [c for _, c in pairs]
        self.lookup = dict(pairs)
        self.alphabet = "".join(sorted(set("".join(self.words))))
        self._buckets: dict[tuple[str, int], list[int]] | None = None

    @staticmethod
    def edits1(word: str, alphabet: str) -> set[str]:
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        deletes = {a + b[1:] for a, b in splits if b}
        transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        replaces = {a + c + b[1:] for a, b in splits if b for c in alphabet}
        inserts = {a + c + b for a, b in splits for c in alphabet}
        return deletes | transposes | replaces | inserts

    @staticmethod
    def within_two(a: str, b: str) -> bool:
        """Levenshtein distance of a and b is at most 2 (banded)."""
        if abs(len(a) - len(b)) > 2:
            return False
        previous = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            current = [i] + [0] * len(b)
            low = i
            for j, cb in enumerate(b, 1):
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
                low = min(low, current[j])
            if low > 2:
                return False
            previous = current
        return previous[-1] <= 2

    def correction(self, word: str) -> Correction:
        ones = [w for w in self.edits1(word, self.alphabet) if w in self.lookup]
        if ones:
            best = max(ones, key=lambda w: (self.lookup[w], w))
            return (1, -self.lookup[best], best)
        if len(word) < 5:
            return None
        found: Correction = None
        for length in range(len(word) - 2, len(word) + 3):
            for i in self.bucket(word[0], length):
                candidate = self.words[i]
                if self.within_two(word, candidate):
                    entry = (2, -self.counts[i], candidate)
                    if found is None or entry < found:
                        found = entry
        return found

    def bucket(self, first: str, length: int) -> list[int]:
        if self._buckets is None:
            buckets: dict[tuple[str, int], list[int]] = {}
            for i, candidate in enumerate(self.words):
                buckets.setdefault((candidate[0], len(candidate)), []).append(i)
            self._buckets = buckets
        return self._buckets.get((first, length), [])


def typos(words: list[str], counts: list[int], count: int, seed: int) -> list[str]:
    """``count`` misspellings made deterministically from a word list."""
    rng = random.Random(seed)
    letters = "".join(rng.choice(w) for w in rng.sample(words, min(len(words), 5000)))

    def edit(word: str) -> str:
        kind = rng.choice(("delete", "insert", "replace", "transpose"))
        i = rng.randrange(len(word))
        if kind == "delete":
            return word[:i] + word[i + 1 :]
        if kind == "insert":
            return word[:i] + rng.choice(letters) + word[i:]
        if kind == "replace" or len(word) < 2:
            return word[:i] + rng.choice(letters) + word[i + 1 :]
        i = min(i, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    frequent = rng.choices(words, weights=counts, k=count)
    made = []
    for n in range(count):
        word = frequent[n] if n % 2 else rng.choice(words)
        kind = n % 8
        if kind < 4:
            made.append(edit(word))
        elif kind < 6:
            made.append(edit(edit(word)))
        elif kind == 6:
            made.append(rng.choice(letters) + word[1:])
        else:
            made.append("".join(rng.choice(letters) for _ in range(rng.randrange(3, 15))))
    return made


def timed(correct: Callable[[str], Correction], queries: list[str]):
    """Answers and microseconds per call."""
    answers, times = [], []
    for query in queries:
        started = time.perf_counter()
        answers.append(correct(query))
        times.append((time.perf_counter() - started) * 1e6)
    return answers, times


def first_use(prepare: Callable[[], object], build: Callable[[object], object]):
    """Seconds ``build`` takes on a prepared object, then (on another, under tracemalloc) the
    bytes it keeps and its peak."""
    prepared = prepare()
    started = time.perf_counter()
    build(prepared)
    seconds = time.perf_counter() - started
    prepared = prepare()
    tracemalloc.start()
    build(prepared)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, kept, peak


def _ms(microseconds: float) -> str:
    return f"{microseconds / 1000:9.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--queries", type=int, default=2000, help="typos per language")
    args = parser.parse_args(argv)

    from indexer import generations
    from indexer.build import rebuild
    from indexer.contract import LANGUAGES, read_words
    from searchsvc.words import WordList

    workdir = None
    index_dir = args.index_dir
    if index_dir is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench-spelling-"))
        index_dir = workdir / "index"
    if generations.published_name(index_dir) is None:
        print(f"building the index of {SHARED_RECORDS} in {index_dir} ...", flush=True)
        rebuild([SHARED_RECORDS], index_dir)
    generation = generations.current_generation(index_dir)

    disagreements = 0
    for n, language in enumerate(LANGUAGES):
        pairs = read_words(generation, language)
        if not pairs:
            print(f"{language}: no words")
            continue
        words = WordList(pairs)
        queries = typos(words.words, words.counts, args.queries, SEED + n)

        # The baseline's alphabet is built with the object (not counted), its buckets on the
        # first distance-2 query; ours builds all it needs, alphabet included, on first use.
        old_build = first_use(lambda pairs=pairs: HandWrittenCorrection(pairs),
                              lambda baseline: baseline.bucket("", 0))
        new_build = first_use(lambda pairs=pairs: WordList(pairs),
                              lambda fresh: fresh._spelling())
        baseline = HandWrittenCorrection(pairs)
        baseline.bucket("", 0)
        words._spelling()
        old_answers, old_times = timed(baseline.correction, queries)
        new_answers, new_times = timed(words.correction, queries)
        agree = sum(a == b for a, b in zip(old_answers, new_answers, strict=True))
        disagreements += len(queries) - agree

        kinds = {1: "distance 1", 2: "distance 2", None: "none"}
        by_kind = {
            name: [(o, r) for a, o, r in zip(old_answers, old_times, new_times, strict=True)
                   if (a[0] if a else None) == kind]
            for kind, name in kinds.items()
        }
        print(f"{language}: {len(pairs):,} words, {len(queries):,} typos; the baseline answers "
              + ", ".join(f"{len(timings):,} {name}" for name, timings in by_kind.items()))
        for name, times in (("hand-written (baseline)", old_times),
                            ("WordList (rapidfuzz)", new_times)):
            print(f"  {name:24} p50 {_ms(statistics.median(times))}   "
                  f"p99 {_ms(percentile(times, 0.99))}   total {sum(times) / 1e6:8.2f} s")
        ratios = (statistics.median(old_times) / statistics.median(new_times),
                  percentile(old_times, 0.99) / percentile(new_times, 0.99),
                  sum(old_times) / sum(new_times))
        print(f"  {'baseline / ours':24} p50 x{ratios[0]:<8.1f}     p99 x{ratios[1]:<8.1f}"
              f"     total x{ratios[2]:.1f}")
        for name, timings in by_kind.items():
            if timings:
                old_p50 = statistics.median(o for o, _ in timings)
                new_p50 = statistics.median(r for _, r in timings)
                print(f"  {'answered ' + name:24} p50 {_ms(old_p50)} -> {_ms(new_p50)}"
                      f"   x{old_p50 / new_p50:.1f}")
        for name, (seconds, kept, peak) in (("baseline buckets", old_build),
                                            ("ours, on first use", new_build)):
            print(f"  {name:24} {seconds:6.2f} s, keeps {kept / 2**20:6.1f} MiB "
                  f"(peak {peak / 2**20:.1f} MiB while building)")
        print(f"  {'answers agree':24} {agree:,} of {len(queries):,}", flush=True)

    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
