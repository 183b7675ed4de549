"""A generation's common terms as plain arrays, which the service reads in place.

whoosh stores a term's postings in blocks of up to 128, each block one zlib-compressed pickle
of its doc-number deltas, its weights and, in the title and body fields, every posting's
positions (each one more pickle). Reading a term found in a third of 1,000,000 records
decodes some 2,600 blocks in Python, and a query reads tens of such terms: at 1M records this
was 45% of the time ``/search`` took, and checking the common phrase
``"korkein hallinto-oikeus"`` unpickled 600,000 position lists (3 s). So the builder writes
the postings of every term in at least ``MIN_DOCS`` documents of a segment once more, as
arrays, and the service maps them and slices (``TermArrays``); a rarer term is a few blocks,
read from whoosh.

Files, beside each whoosh segment ``MAIN_<id>.seg`` of a generation (``write_term_arrays``)::

    MAIN_<id>.postings.tsv   first ``#postings<TAB>postings<TAB>documents<TAB>min_docs<TAB>
                             positions`` (how many postings the arrays hold, the segment's
                             documents, the threshold they were written with, how many
                             positions), then one term a line:
                             ``field<TAB>term<TAB>start<TAB>count<TAB>at``: a scorable field,
                             the term's bytes in hex, where its postings start and how many
                             there are, and where its positions start (``-``: not held)
    MAIN_<id>.postings.u32   doc numbers in the segment, little-endian uint32, each term's
                             ascending, deleted documents included (as in whoosh's postings)
    MAIN_<id>.postings.f32   the term's weight in each (frequency times the field's boost,
                             as whoosh stores it), little-endian float32
    MAIN_<id>.postings.pos   of the title and body fields' terms: each posting's positions,
                             ascending, one posting after another, little-endian uint32; a
                             posting holds weight / boost of them

The ``.tsv`` file is written last, under its name only when the others are complete. Like a
segment, they are written once and never changed: an update links them with the segments it
keeps and writes them for the segment it adds; whoosh deletes them with their segment when it
merges it away (its file pattern covers them). Only scorable fields (title, body, compound
parts) are written: they are what a query scores. A segment without the files (built before
them), or whose files do not hold what their header says, is read from whoosh.
"""

from __future__ import annotations

import itertools
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import W3LeafMatcher, W3TermInfo, W3TermsReader
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE

log = logging.getLogger("searchsvc.index")

TERMS_SUFFIX = ".postings.tsv"
DOCS_SUFFIX = ".postings.u32"
WEIGHTS_SUFFIX = ".postings.f32"
POSITIONS_SUFFIX = ".postings.pos"
DOCS_DTYPE = "<u4"
WEIGHTS_DTYPE = "<f4"
POSITIONS_DTYPE = "<u4"
NO_POSITIONS = "-"
HEADER = "#postings"
# Terms in fewer documents take at most a few posting blocks: whoosh reads them fast enough.
MIN_DOCS = 1_000


def scorable_fields(schema: Any) -> list[str]:
    return sorted(name for name, field in schema.items() if field.scorable)


def leaf_postings(leaf: Any, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(doc numbers, weights) of a term in one segment, deleted documents included: whole
    posting blocks at a time, as whoosh stores them, without its per-posting decoding."""
    docs, weights, _ = _leaf_postings(leaf, field_name, text, with_positions=False)
    return docs, weights


def _leaf_postings(leaf: Any, field_name: str, text: bytes, with_positions: bool
                   ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """(doc numbers, weights, and if asked and whoosh's ``Positions`` layout holds them,
    (positions per posting, every posting's positions))."""
    if (field_name, text) not in leaf:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), None
    m = leaf.postings(field_name, text)
    if isinstance(m, FilterMatcher):  # whoosh's filter of deleted documents
        m = m.child
    if isinstance(m, W3LeafMatcher):
        return _blocks(m, with_positions and has_whoosh_positions(leaf.schema[field_name].format))
    ids, weights = [], []  # another codec: one posting at a time
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32), None


def has_whoosh_positions(posting_format: Any) -> bool:
    """Whether a format's values are laid out as ``whoosh.formats.Positions`` writes them:
    ``pack_uint(n)`` and a pickled list of the deltas between positions."""
    kind = type(posting_format)
    return (getattr(kind, "encode", None) is formats.Positions.encode
            and getattr(kind, "decode_positions", None) is formats.Positions.decode_positions)


def absolute_positions(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(how many positions each list holds, all positions one list after another) of lists
    of deltas between positions, as ``whoosh.formats.Positions`` stores them."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64,
                         count=int(lengths.sum()))
    if not len(deltas):
        return lengths, deltas
    summed = np.cumsum(deltas)
    ends = np.cumsum(lengths)
    before = np.zeros(len(lists), dtype=np.int64)  # the sum of the lists before each one
    before[1:] = np.where(ends[:-1] > 0, summed[np.maximum(ends[:-1] - 1, 0)], 0)
    return lengths, summed - np.repeat(before, lengths)


def _blocks(m: W3LeafMatcher, with_positions: bool
            ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    doc_blocks: list[np.ndarray] = []
    weight_blocks: list[np.ndarray] = []
    position_lists: list[list[int]] = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        ids, weights = m._data[0], m._data[1]
        block = np.asarray(ids, dtype=np.int64)
        doc_blocks.append(block if m._byteids else np.cumsum(block))
        if weights is None:
            weight_blocks.append(np.ones(len(block), dtype=np.float32))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(len(block), weights, dtype=np.float32))
        else:
            weight_blocks.append(np.asarray(weights, dtype=np.float32))
        if with_positions:
            m._read_values()
            position_lists.extend(pickle.loads(value[_INT_SIZE:]) for value in m._values)
        m._next_block()
    if not doc_blocks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), None
    positions = absolute_positions(position_lists) if with_positions else None
    return np.concatenate(doc_blocks), np.concatenate(weight_blocks), positions


def _common_terms(leaf: Any, field_name: str, min_docs: int) -> Iterator[bytes]:
    """The terms of a field in at least ``min_docs`` documents of a segment, in order, from
    whoosh's term table without making a ``TermInfo`` of each (a third of the time)."""
    terms = getattr(leaf, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        for text, info in leaf.iter_field(field_name):
            if info.doc_frequency() >= min_docs:
                yield text
        return
    prefix = terms._keycoder(field_name, b"")
    table = terms._tindex
    get = table.dbfile.get
    for key_at, key_length, data_at, _ in table.ranges_from(prefix):
        key = get(key_at, key_length)
        if key[:2] != prefix:
            return
        if W3TermInfo.read_doc_freq(table.dbfile, data_at) >= min_docs:
            yield bytes(key[2:])


def write_term_arrays(generation: Path, reader: Any, min_docs: int | None = None) -> int:
    """Write the arrays of every segment of ``reader`` (the generation's index) that has none
    in ``generation`` yet, of the terms in ``min_docs`` (``MIN_DOCS``) of its documents or
    more; how many postings were written."""
    if min_docs is None:
        min_docs = MIN_DOCS
    written = 0
    for leaf, _base in reader.leaf_readers():
        segment = leaf.segment().segment_id()
        if not (generation / (segment + TERMS_SUFFIX)).is_file():
            written += _write_segment(generation / segment, leaf, min_docs)
    return written


def _write_segment(stem: Path, leaf: Any, min_docs: int) -> int:
    lines: list[str] = []
    written = positions_written = 0
    partial = _named(stem, TERMS_SUFFIX + ".partial")
    with open(_named(stem, DOCS_SUFFIX), "wb") as docs_file, \
            open(_named(stem, WEIGHTS_SUFFIX), "wb") as weights_file, \
            open(_named(stem, POSITIONS_SUFFIX), "wb") as positions_file:
        for field_name in scorable_fields(leaf.schema):
            boost = leaf.schema[field_name].format.field_boost
            for text in _common_terms(leaf, field_name, min_docs):
                docs, weights, positions = _leaf_postings(leaf, field_name, text, True)
                docs.astype(DOCS_DTYPE).tofile(docs_file)
                weights.astype(WEIGHTS_DTYPE).tofile(weights_file)
                positions_at = NO_POSITIONS
                # Each posting's count of positions is read back from its weight.
                if positions is not None and np.array_equal(positions[0] * boost, weights):
                    positions[1].astype(POSITIONS_DTYPE).tofile(positions_file)
                    positions_at = str(positions_written)
                    positions_written += len(positions[1])
                lines.append(f"{field_name}\t{text.hex()}\t{written}\t{len(docs)}"
                             f"\t{positions_at}\n")
                written += len(docs)
    with open(partial, "w", encoding="utf-8") as terms_file:
        terms_file.write(f"{HEADER}\t{written}\t{leaf.doc_count_all()}\t{min_docs}"
                         f"\t{positions_written}\n")
        terms_file.writelines(lines)
    partial.rename(_named(stem, TERMS_SUFFIX))  # the arrays are complete
    return written


def _named(stem: Path, suffix: str) -> Path:
    return stem.with_name(stem.name + suffix)


class SegmentArrays:
    """The arrays of one segment, mapped."""

    def __init__(self, terms: dict[tuple[str, bytes], tuple[int, int, int | None]],
                 docs: np.ndarray, weights: np.ndarray, positions: np.ndarray,
                 boosts: dict[str, float], documents: int) -> None:
        self.terms = terms
        self._documents = documents
        self._docs = docs
        self._weights = weights
        self._positions = positions
        self._boosts = boosts

    @classmethod
    def open(cls, stem: Path, leaf: Any) -> SegmentArrays:
        """Raises ``OSError`` or ``ValueError`` if they are missing or not of this segment."""
        with open(_named(stem, TERMS_SUFFIX), encoding="utf-8") as lines:
            header = lines.readline().rstrip("\n").split("\t")
            if len(header) != 5 or header[0] != HEADER or int(header[2]) != leaf.doc_count_all():
                raise ValueError(f"header {header!r} is not of this segment")
            total, positions = int(header[1]), int(header[4])
            terms: dict[tuple[str, bytes], tuple[int, int, int | None]] = {}
            for line in lines:
                field_name, text, start, count, at = line.rstrip("\n").split("\t")
                terms[(field_name, bytes.fromhex(text))] = (
                    int(start), int(count), None if at == NO_POSITIONS else int(at))
        boosts = {name: leaf.schema[name].format.field_boost
                  for name in scorable_fields(leaf.schema)}
        return cls(terms, _mapped(_named(stem, DOCS_SUFFIX), DOCS_DTYPE, total),
                   _mapped(_named(stem, WEIGHTS_SUFFIX), WEIGHTS_DTYPE, total),
                   _mapped(_named(stem, POSITIONS_SUFFIX), POSITIONS_DTYPE, positions), boosts,
                   leaf.doc_count_all())

    def get(self, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        found = self.terms.get((field_name, text))
        if found is None:
            return None
        start, count, _ = found
        return self._docs[start : start + count], self._weights[start : start + count]

    def positions(self, field_name: str, text: bytes, docs: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Of ``docs`` (ascending doc numbers of the segment): those holding the term, how
        many positions each, and their positions one doc after another; None if the arrays
        hold no positions of the term. All the docs' slices are gathered at once."""
        found = self.terms.get((field_name, text))
        if found is None:
            return None
        start, count, at = found
        if at is None:
            return None
        held = self._docs[start : start + count]
        lengths = np.rint(self._weights[start : start + count] / self._boosts[field_name]
                          ).astype(np.int64)
        wanted = np.zeros(self._documents, dtype=bool)
        wanted[docs] = True
        chosen = np.flatnonzero(wanted[held])  # a pass over the term's docs, no search
        counts = lengths[chosen]
        firsts = np.repeat(np.cumsum(lengths)[chosen] - counts, counts)
        into = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return held[chosen].astype(np.int64), counts, self._positions[at + firsts + into]


class TermArrays:
    """A term's postings across a generation's segments: from a segment's arrays where it
    has the term, else from whoosh; deleted documents left out either way."""

    def __init__(self, reader: Any, segments: list[SegmentArrays | None] | None = None) -> None:
        self._leaves = list(reader.leaf_readers())
        self._segments = segments or [None] * len(self._leaves)
        self._live: list[np.ndarray | None] = []
        for leaf, _base in self._leaves:
            live = None
            if leaf.has_deletions():
                live = np.ones(leaf.doc_count_all(), dtype=bool)
                live[np.fromiter(leaf.deleted_docs_set, dtype=np.int64)] = False
            self._live.append(live)

    @classmethod
    def open(cls, generation: Path, reader: Any) -> TermArrays:
        """The arrays of each segment of ``reader`` (the generation's index) that has them."""
        segments: list[SegmentArrays | None] = []
        for leaf, _base in reader.leaf_readers():
            stem = generation / leaf.segment().segment_id()
            found = None
            if _named(stem, TERMS_SUFFIX).is_file():
                try:
                    found = SegmentArrays.open(stem, leaf)
                except (OSError, ValueError) as exc:
                    log.warning("the term arrays of %s in %s cannot be used (%s): its terms are"
                                " read from the index", stem.name, generation.name, exc)
            segments.append(found)
        return cls(reader, segments)

    def positions(self, segment: int, field_name: str, text: bytes, docs: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """A term's positions in ``docs`` of the ``segment``-th segment
        (``SegmentArrays.positions``), if its arrays hold them."""
        arrays = self._segments[segment]
        return arrays.positions(field_name, text, docs) if arrays is not None else None

    def held(self) -> int:
        """How many (segment, term) pairs the arrays hold."""
        return sum(len(s.terms) for s in self._segments if s is not None)

    def postings(self, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(doc numbers as int32, weights as float64: what scoring computes with) of a term
        in the generation."""
        docs: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for (leaf, base), arrays, live in zip(self._leaves, self._segments, self._live,
                                              strict=True):
            held = arrays.get(field_name, text) if arrays is not None else None
            found, weighed = held if held is not None else leaf_postings(leaf, field_name, text)
            if live is not None and len(found):
                kept = live[found]
                found, weighed = found[kept], weighed[kept]
            if len(found):
                docs.append(found.astype(np.int32) + base)
                weights.append(weighed)
        if not docs:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        return np.concatenate(docs), np.concatenate(weights).astype(np.float64)


def _mapped(path: Path, dtype: str, count: int) -> np.ndarray:
    size = path.stat().st_size
    expected = count * np.dtype(dtype).itemsize
    if size != expected:
        raise ValueError(f"{path.name} holds {size} bytes, not {expected}")
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))
