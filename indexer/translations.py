"""The fi<->sv term lexicon of a generation, learned from its twin records.

A Swedish court decision names its Finnish twin (``parallel_id``): the Swedish record is the
decision's abstract, the Finnish one the full text, which begins with the same abstract in
Finnish. From the written index (the ``parallel_id`` field and the stored texts) each pair
gives aligned units:

    the Swedish abstract's paragraphs  <->  as many first paragraphs of the Finnish text
        (paragraph by paragraph where their lengths agree, else all of them as one unit)
    -> each side's index keys: the body field's keys and the compound parts (letters, 3+)
    -> Dice(f, s) = 2 * units holding both / (units holding f + units holding s), over keys
       in at least ``MIN_UNITS`` units and at most ``MAX_SHARE`` of them
    -> each key's ``TOP`` best translations with Dice >= ``MIN_DICE``, both ways

and ``write_translations`` writes them beside the index as ``translations.tsv``
(``indexer.contract``), once per generation, after the index is written, with the twin map
(``twins.i32``) the service searches through. An update whose
twin records differ little from those the published lexicon was learned from (ids and
content hashes, ``pair_records``; ``MAX_DRIFT``) copies that lexicon instead of learning it
again, and counts the difference in the file's first line; the next rebuild learns anew. The
service reads the file through the contract (``searchsvc.crosslang``). A generation without
twin pairs gets an empty file: no translations.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader

from indexer.analysis import parts_analyzer, text_analyzer
from indexer.contract import (
    TRANSLATIONS_FILE,
    TWINS_DTYPE,
    TWINS_FILE,
    TWINS_LINE,
    Translations,
    read_twins_header,
    stored_text_in,
    twin_pairs,
)
from indexer.mapped import open_index

MIN_UNITS = 2  # a key in fewer units is noise (a name, a typo)
MAX_SHARE = 0.5  # a key in more units than this share says little
BATCH = 4_000_000  # key pairs counted at a time
MIN_DICE = 0.2
TOP = 3
MIN_KEY = 3
# Paragraphs are aligned one to one only if each pair's lengths are within this ratio.
PARAGRAPH_RATIO = 2.0
# An update carries the published lexicon over while the twin pair records gone or new since
# it was learned (a changed pair counts twice: its old and new text) are at most this share
# of the pairs; past it, the lexicon is learned again. Learning reads every pair (22 s of a
# 40 s update of 1% of 32,793 records), and a few pairs move a Dice weight little.
MAX_DRIFT = 0.10
# The lexicon is learned from at most this many twin pairs. Every unit of every pair is held
# at once: at a million records (266,000 pairs) learning from all of them took the builder
# past 24 GB and the kernel killed it. The shipped and shared corpora have fewer pairs.
MAX_LEARNING_PAIRS = 20_000

Unit = tuple[frozenset[str], frozenset[str]]  # (Finnish keys, Swedish keys)


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def keys(language: str, text: str) -> frozenset[str]:
    """The index keys of a text: the body field's and its compound parts, letters only."""
    words = text_analyzer(language).items[0].words(text)
    found = {k for k, _ in text_analyzer(language).items[1].terms(words)}
    found.update(k for k, _ in parts_analyzer(language).items[1].terms(words))
    return frozenset(k for k in found if len(k) >= MIN_KEY and k.isalpha())


def aligned_units(finnish: str, swedish: str) -> list[Unit]:
    """The Swedish abstract against the Finnish text's first paragraphs (as many as the
    abstract has): one unit per paragraph where each pair's lengths agree, else one unit."""
    sv = _paragraphs(swedish)
    fi = _paragraphs(finnish)[: len(sv)]
    if not sv or not fi:
        return []
    if len(fi) == len(sv) and all(
        1 / PARAGRAPH_RATIO < len(a) / len(b) < PARAGRAPH_RATIO for a, b in zip(fi, sv, strict=True)
    ):
        return [(keys("fi", a), keys("sv", b)) for a, b in zip(fi, sv, strict=True)]
    return [(keys("fi", "\n\n".join(fi)), keys("sv", "\n\n".join(sv)))]


def learn(units: list[Unit]) -> Translations:
    """Each key's best translations, both ways, by Dice over the aligned units."""
    finnish: Counter[str] = Counter()
    swedish: Counter[str] = Counter()
    for fi, sv in units:
        finnish.update(fi)
        swedish.update(sv)
    most = MAX_SHARE * len(units)
    fi_keys = sorted(k for k, n in finnish.items() if MIN_UNITS <= n <= most)
    sv_keys = sorted(k for k, n in swedish.items() if MIN_UNITS <= n <= most)
    fi_units = np.array([finnish[k] for k in fi_keys], dtype=np.float64)
    sv_units = np.array([swedish[k] for k in sv_keys], dtype=np.float64)
    codes, counts = _pairs_held_together(units, fi_keys, sv_keys, fi_units, sv_units)
    width = len(sv_keys)
    rows, columns = codes // width, codes % width
    dice = 2 * counts / (fi_units[rows] + sv_units[columns])
    keep = (counts >= MIN_UNITS) & (dice >= MIN_DICE)
    found: Translations = {"fi": {}, "sv": {}}
    for row, column, weight in zip(
        rows[keep].tolist(), columns[keep].tolist(), dice[keep].tolist(), strict=True
    ):
        f, s = fi_keys[row], sv_keys[column]
        found["fi"].setdefault(f, []).append((s, weight))
        found["sv"].setdefault(s, []).append((f, weight))
    for translations in found.values():
        for key, choices in translations.items():
            translations[key] = sorted(choices, key=lambda c: (-c[1], c[0]))[:TOP]
    return found


def _pairs_held_together(
    units: list[Unit], fi_keys: list[str], sv_keys: list[str], fi_units: np.ndarray,
    sv_units: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(code, units) of each (Finnish, Swedish) key pair held by a unit together: the code
    is ``Finnish index * len(sv_keys) + Swedish index``.

    Only pairs that can reach ``MIN_DICE`` are counted: as both are held at most as often as
    the rarer key, Dice <= 2 * rarer / (rarer + commoner), so keys held in units more than
    ``(2 - MIN_DICE) / MIN_DICE`` times as often as the other never pair (most pairs of a
    unit, a rare key with a common one)."""
    limit = (2 - MIN_DICE) / MIN_DICE
    fi_index = {k: i for i, k in enumerate(fi_keys)}
    sv_index = {k: i for i, k in enumerate(sv_keys)}
    width = len(sv_keys)
    batches: list[tuple[np.ndarray, np.ndarray]] = []
    pending: list[np.ndarray] = []
    size = 0

    def count() -> None:
        nonlocal pending, size
        if pending:
            batches.append(np.unique(np.concatenate(pending), return_counts=True))
        pending, size = [], 0

    for fi, sv in units:
        rows = np.array([fi_index[k] for k in fi if k in fi_index], dtype=np.int64)
        columns = np.array([sv_index[k] for k in sv if k in sv_index], dtype=np.int64)
        if len(rows) and len(columns):
            ratio = np.divide.outer(fi_units[rows], sv_units[columns])
            can_pair = (ratio <= limit) & (ratio >= 1 / limit)
            found = np.add.outer(rows * width, columns)[can_pair]
            pending.append(found)
            size += len(found)
            if size >= BATCH:
                count()
    count()
    if not batches:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes, inverse = np.unique(np.concatenate([c for c, _ in batches]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([n for _, n in batches]))
    return codes, counts.astype(np.int64)


def translations_of(reader: IndexReader, pairs: list[tuple[int, int]]) -> Translations:
    """The lexicon learned from an index's twin pairs: at most ``MAX_LEARNING_PAIRS`` of them,
    those whose Finnish ids hash lowest (the same pairs whatever the doc numbers)."""
    if len(pairs) > MAX_LEARNING_PAIRS:
        ids = list(reader.column_reader("id"))
        pairs = sorted(pairs, key=lambda pair: hashlib.sha1(
            ids[pair[0]].encode() if isinstance(ids[pair[0]], str) else ids[pair[0]]
        ).digest())[:MAX_LEARNING_PAIRS]
    units: list[Unit] = []
    for fi, sv in pairs:
        finnish, swedish = reader.stored_fields(fi), reader.stored_fields(sv)
        units.extend(aligned_units(stored_text_in(finnish, "fi"), stored_text_in(swedish, "sv")))
    return learn(units)


PairRecord = tuple[str, str, str, str]  # (Finnish id, its content hash, Swedish id, its hash)


def pair_records(reader: IndexReader, pairs: list[tuple[int, int]]) -> set[PairRecord]:
    """What the lexicon is learned from, pair by pair: ids and content hashes."""
    ids = list(reader.column_reader("id"))
    hashes = list(reader.column_reader("content_hash"))
    return {(ids[fi], hashes[fi], ids[sv], hashes[sv]) for fi, sv in pairs}


def twins_digest(records: set[PairRecord]) -> str:
    """A digest of the twin pairs and of how the lexicon is learned: equal digests learn
    equal lexicons."""
    digest = hashlib.sha1(repr((MIN_UNITS, MAX_SHARE, MIN_DICE, TOP, MIN_KEY,
                                PARAGRAPH_RATIO, MAX_LEARNING_PAIRS)).encode())
    for pair in sorted(records):
        digest.update(repr(pair).encode())
    return digest.hexdigest()


def _drift_since_learned(base: Path, records: set[PairRecord], digest: str) -> int | None:
    """How many twin pair records differ from those ``base``'s lexicon was learned from
    (gone or new), or None if ``base`` has no lexicon to carry over."""
    header = read_twins_header(base)
    if header is None:
        return None
    _, base_digest, base_drift = header
    if base_digest == digest:
        return base_drift
    with open_index(base).reader() as reader:
        before = pair_records(reader, list(twin_pairs(reader)))
    return base_drift + len(before ^ records)


def write_twins(generation: Path, documents: int, pairs: list[tuple[int, int]]) -> None:
    """The twin map of a generation: per doc number its twin's, -1 for none."""
    twins = np.full(documents, -1, dtype=TWINS_DTYPE)
    for finnish, swedish in pairs:
        twins[finnish], twins[swedish] = swedish, finnish
    path = generation / TWINS_FILE
    path.unlink(missing_ok=True)
    path.write_bytes(twins.tobytes())


def write_translations(generation: Path, base: Path | None = None) -> bool:
    """Learn the lexicon of the index in ``generation`` and write it beside the index; with
    ``base`` (the generation an update started from), copy the base's instead while the twin
    pairs differ little from those it was learned from (``MAX_DRIFT``). Whether it was
    learned anew."""
    path = generation / TRANSLATIONS_FILE
    path.unlink(missing_ok=True)  # never write into a file shared with another generation
    with open_index(generation).reader() as reader:
        pairs = list(twin_pairs(reader))
        write_twins(generation, reader.doc_count_all(), pairs)
        records = pair_records(reader, pairs)
        digest = twins_digest(records)
        drift = None if base is None else _drift_since_learned(base, records, digest)
        if base is not None and drift is not None and drift <= MAX_DRIFT * len(pairs):
            with open(base / TRANSLATIONS_FILE, encoding="utf-8") as learned, \
                    open(path, "w", encoding="utf-8") as copy:
                learned.readline()
                copy.write(f"{TWINS_LINE}\t{len(pairs)}\t{digest}\t{drift}\n")
                shutil.copyfileobj(learned, copy)
            return False
        found = translations_of(reader, pairs)
    lines = [f"{TWINS_LINE}\t{len(pairs)}\t{digest}\n"] + [
        f"{source}\t{key}\t{target}\t{translation}\t{weight:.4f}\n"
        for source, target in (("fi", "sv"), ("sv", "fi"))
        for key, choices in sorted(found[source].items())
        for translation, weight in choices
    ]
    path.write_text("".join(lines), encoding="utf-8")
    return True
