"""A generation's common terms as plain arrays, which the service reads in place.

whoosh stores a term's postings in blocks of up to 128, each block one zlib-compressed pickle
of its doc-number deltas, its weights and, in the title and body fields, every posting's
positions. Reading a term found in a third of 1,000,000 records decodes some 2,600 blocks in
Python (unpickling every position list with them) and a query reads tens of such terms: at
1M records this was 45% of the time ``/search`` took. So the builder writes the postings of
every term in at least ``MIN_DOCS`` documents of a segment once more, as arrays, and the
service maps them and slices (``TermArrays``); a rarer term is a few blocks, read from whoosh.

Files, beside each whoosh segment ``MAIN_<id>.seg`` of a generation (``write_term_arrays``)::

    MAIN_<id>.postings.tsv   first ``#postings<TAB>postings<TAB>documents<TAB>min_docs``
                             (how many postings the arrays hold, the segment's documents,
                             the threshold they were written with), then one term a line:
                             ``field<TAB>term<TAB>start<TAB>count``: a scorable field, the
                             term's bytes in hex, where its postings start and how many
    MAIN_<id>.postings.u32   doc numbers in the segment, little-endian uint32, each term's
                             ascending, deleted documents included (as in whoosh's postings)
    MAIN_<id>.postings.f32   the term's weight in each (frequency times the field's boost,
                             as whoosh stores it), little-endian float32

Like a segment, they are written once and never changed: an update links them with the
segments it keeps, and writes them for the segment it adds; whoosh deletes them with their
segment when it merges it away (its file pattern covers them). Only scorable fields (title,
body, compound parts) are written: they are what a query scores. A segment without the files
(built before them), or whose files do not hold what their header says, is read from whoosh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher, W3TermInfo, W3TermsReader
from whoosh.matching.wrappers import FilterMatcher

log = logging.getLogger("searchsvc.index")

TERMS_SUFFIX = ".postings.tsv"
DOCS_SUFFIX = ".postings.u32"
WEIGHTS_SUFFIX = ".postings.f32"
DOCS_DTYPE = "<u4"
WEIGHTS_DTYPE = "<f4"
HEADER = "#postings"
# Terms in fewer documents take at most a few posting blocks: whoosh reads them fast enough.
MIN_DOCS = 1_000


def scorable_fields(schema: Any) -> list[str]:
    return sorted(name for name, field in schema.items() if field.scorable)


def leaf_postings(leaf: Any, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(doc numbers, weights) of a term in one segment, deleted documents included: whole
    posting blocks at a time, as whoosh stores them, without its per-posting decoding."""
    if (field_name, text) not in leaf:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    m = leaf.postings(field_name, text)
    if isinstance(m, FilterMatcher):  # whoosh's filter of deleted documents
        m = m.child
    if isinstance(m, W3LeafMatcher):
        return _blocks(m)
    ids, weights = [], []  # another codec: one posting at a time
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


def _blocks(m: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    doc_blocks: list[np.ndarray] = []
    weight_blocks: list[np.ndarray] = []
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
        m._next_block()
    if not doc_blocks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(doc_blocks), np.concatenate(weight_blocks)


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
    written = 0
    partial = stem.with_name(stem.name + TERMS_SUFFIX + ".partial")
    with open(stem.with_name(stem.name + DOCS_SUFFIX), "wb") as docs_file, \
            open(stem.with_name(stem.name + WEIGHTS_SUFFIX), "wb") as weights_file:
        for field_name in scorable_fields(leaf.schema):
            for text in _common_terms(leaf, field_name, min_docs):
                docs, weights = leaf_postings(leaf, field_name, text)
                docs.astype(DOCS_DTYPE).tofile(docs_file)
                weights.astype(WEIGHTS_DTYPE).tofile(weights_file)
                lines.append(f"{field_name}\t{text.hex()}\t{written}\t{len(docs)}\n")
                written += len(docs)
    with open(partial, "w", encoding="utf-8") as terms_file:
        terms_file.write(f"{HEADER}\t{written}\t{leaf.doc_count_all()}\t{min_docs}\n")
        terms_file.writelines(lines)
    partial.rename(stem.with_name(stem.name + TERMS_SUFFIX))  # the arrays are complete
    return written


class SegmentArrays:
    """The arrays of one segment, mapped."""

    def __init__(self, terms: dict[tuple[str, bytes], tuple[int, int]],
                 docs: np.ndarray, weights: np.ndarray) -> None:
        self.terms = terms
        self._docs = docs
        self._weights = weights

    @classmethod
    def open(cls, stem: Path, documents: int) -> SegmentArrays:
        """Raises ``OSError`` or ``ValueError`` if they are missing or not of this segment."""
        with open(stem.with_name(stem.name + TERMS_SUFFIX), encoding="utf-8") as lines:
            header = lines.readline().rstrip("\n").split("\t")
            if header[0] != HEADER or int(header[2]) != documents:
                raise ValueError(f"header {header!r} is not of this segment")
            total = int(header[1])
            terms: dict[tuple[str, bytes], tuple[int, int]] = {}
            for line in lines:
                field_name, text, start, count = line.rstrip("\n").split("\t")
                terms[(field_name, bytes.fromhex(text))] = (int(start), int(count))
        docs = _mapped(stem.with_name(stem.name + DOCS_SUFFIX), DOCS_DTYPE, total)
        weights = _mapped(stem.with_name(stem.name + WEIGHTS_SUFFIX), WEIGHTS_DTYPE, total)
        return cls(terms, docs, weights)

    def get(self, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        found = self.terms.get((field_name, text))
        if found is None:
            return None
        start, count = found
        return self._docs[start : start + count], self._weights[start : start + count]


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
            if stem.with_name(stem.name + TERMS_SUFFIX).is_file():
                try:
                    found = SegmentArrays.open(stem, leaf.doc_count_all())
                except (OSError, ValueError) as exc:
                    log.warning("the term arrays of %s in %s cannot be used (%s): its terms are"
                                " read from the index", stem.name, generation.name, exc)
            segments.append(found)
        return cls(reader, segments)

    def held(self) -> int:
        """How many (segment, term) pairs the arrays hold."""
        return sum(len(s.terms) for s in self._segments if s is not None)

    def postings(self, field_name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(doc numbers, weights) of a term in the generation."""
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
                docs.append(found.astype(np.int64) + base)
                weights.append(weighed)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(docs), np.concatenate(weights)


def _mapped(path: Path, dtype: str, count: int) -> np.ndarray:
    size = path.stat().st_size
    expected = count * np.dtype(dtype).itemsize
    if size != expected:
        raise ValueError(f"{path.name} holds {size} bytes, not {expected}")
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))
