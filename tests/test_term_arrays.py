"""Common terms' postings as arrays: written with every generation, the same as whoosh's."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import generations, term_arrays
from indexer.build import rebuild
from indexer.mapped import open_index
from indexer.term_arrays import (
    DOCS_SUFFIX,
    TERMS_SUFFIX,
    TermArrays,
    has_whoosh_positions,
    scorable_fields,
    write_term_arrays,
)
from indexer.update import update

MIN_DOCS = 3


def whoosh_postings(reader, field_name: str, text: bytes) -> tuple[list[int], list[float]]:
    """Doc numbers and weights one posting at a time, through whoosh's own matcher."""
    m = reader.postings(field_name, text)
    docs, weights = [], []
    while m.is_active():
        docs.append(m.id())
        weights.append(m.weight())
        m.next()
    return docs, weights


def assert_arrays_are_whooshs(generation: Path, min_docs: int) -> int:
    """Every term in ``min_docs`` documents or more of a segment is held for it, and reads
    as whoosh reads it in the generation; how many (segment, term) pairs are held."""
    with open_index(generation).reader() as reader:
        arrays = TermArrays.open(generation, reader)
        held = 0
        for field_name in scorable_fields(reader.schema):
            positional = has_whoosh_positions(reader.schema[field_name].format)
            for text in reader.lexicon(field_name):
                common = [
                    leaf.doc_frequency(field_name, text) >= min_docs
                    for leaf, _ in reader.leaf_readers()
                ]
                held += sum(common)
                docs, weights = arrays.postings(field_name, text)
                assert (docs.tolist(), weights.tolist()) == whoosh_postings(
                    reader, field_name, text), (field_name, text)
                for segment, (leaf, _) in enumerate(reader.leaf_readers()):
                    everyone = np.arange(leaf.doc_count_all())
                    positions = arrays.positions(segment, field_name, text, everyone)
                    if positional and common[segment]:
                        assert positions is not None, (field_name, text)
                        expected = whoosh_positions(leaf, field_name, text)
                        by_doc = _by_doc(positions)
                        assert {doc: by_doc[doc] for doc in expected} == expected
                    else:
                        assert positions is None
        assert arrays.held() == held
        return held


def whoosh_positions(leaf, field_name: str, text: bytes) -> dict[int, list[int]]:
    """The positions of a term in each live document of a segment, from whoosh's matcher."""
    m = leaf.postings(field_name, text)
    found = {}
    while m.is_active():
        found[m.id()] = list(m.value_as("positions"))
        m.next()
    return found


def _by_doc(held: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[int, list[int]]:
    """The held positions of each document whoosh reads (deleted ones are held too)."""
    docs, lengths, positions = held
    ends = np.cumsum(lengths)
    return {int(doc): positions[end - n : end].tolist()
            for doc, n, end in zip(docs, lengths, ends, strict=True)}


def copy_without_arrays(index_dir: Path, generation: Path) -> Path:
    """A copy of the published generation, without the arrays its build wrote (of the terms
    in 1,000 documents: none in a small index)."""
    shutil.copytree(generations.current_generation(index_dir), generation)
    for path in generation.glob("*.postings.*"):
        path.unlink()
    return generation


@pytest.fixture
def corpus(tmp_path: Path, write_corpus) -> Path:
    return write_corpus(tmp_path / "corpus", 12)


@pytest.fixture
def index_dir(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corpus rebuilt by two writers, the arrays of its builds holding the terms in
    ``MIN_DOCS`` documents of a segment."""
    monkeypatch.setattr(term_arrays, "MIN_DOCS", MIN_DOCS)
    rebuild([corpus], tmp_path / "index", jobs=2)
    return tmp_path / "index"


def test_a_rebuild_and_an_update_write_the_common_terms_postings(
    corpus: Path, index_dir: Path
) -> None:
    assert assert_arrays_are_whooshs(generations.current_generation(index_dir), MIN_DOCS) > 500

    path = corpus / "records" / "records.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[2]["body"] += " Lisäys: kaupunki päätti asiasta uudelleen."
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[1:]),
                    encoding="utf-8")
    base = generations.current_generation(index_dir)
    report = update([corpus], index_dir)
    assert report.published and report.changes["changed"] == 1
    assert report.changes["removed"] == 1
    generation = generations.current_generation(index_dir)
    assert "term arrays" in report.phases
    assert assert_arrays_are_whooshs(generation, MIN_DOCS) > 500
    # the segments it kept keep their arrays (hard links); the one it wrote got its own
    kept = {p.stem for p in base.glob("*.seg")} & {p.stem for p in generation.glob("*.seg")}
    written = {p.stem for p in generation.glob("*.seg")} - kept
    assert kept and written
    for segment in kept:
        linked = generation / (segment + TERMS_SUFFIX)
        assert linked.stat().st_ino == (base / (segment + TERMS_SUFFIX)).stat().st_ino
    for segment in written:
        assert (generation / (segment + TERMS_SUFFIX)).is_file()


def test_the_first_update_of_a_generation_without_arrays_writes_them_for_every_segment(
    corpus: Path, index_dir: Path
) -> None:
    """A generation built before term arrays existed (here: its arrays taken away)."""
    for path in generations.current_generation(index_dir).glob("*.postings.*"):
        path.unlink()
    path = corpus / "records" / "records.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("kaupunki", "kaupunginosa", 1),
                    encoding="utf-8")
    assert update([corpus], index_dir).changes["changed"] == 1
    generation = generations.current_generation(index_dir)
    segments = {p.stem for p in generation.glob("*.seg")}
    assert len(segments) > 1
    assert {p.name.removesuffix(TERMS_SUFFIX) for p in generation.glob("*" + TERMS_SUFFIX)
            } == segments
    assert assert_arrays_are_whooshs(generation, MIN_DOCS) > 500


def test_deleted_documents_are_left_out(small_index: Path, tmp_path: Path) -> None:
    generation = copy_without_arrays(small_index, tmp_path / "generation")
    with open_index(generation).reader() as reader:
        write_term_arrays(generation, reader, MIN_DOCS)
        doomed = [doc["id"] for _, doc in zip(range(40), reader.all_stored_fields(), strict=False)]
    writer = open_index(generation).writer()
    for doc_id in doomed:
        writer.delete_by_term("id", doc_id)
    writer.commit(merge=False)  # as an update's deletions in a segment too large to merge
    with open_index(generation).reader() as reader:
        assert sum(reader.is_deleted(d) for d in range(reader.doc_count_all())) == 40
    # whoosh's matcher leaves deleted documents out: so do the arrays that equal it
    assert assert_arrays_are_whooshs(generation, MIN_DOCS) > 500


def test_a_segment_with_damaged_arrays_is_read_from_whoosh(
    small_index: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    generation = copy_without_arrays(small_index, tmp_path / "generation")
    with open_index(generation).reader() as reader:
        assert write_term_arrays(generation, reader, MIN_DOCS) > 0
        assert write_term_arrays(generation, reader, MIN_DOCS) == 0  # written once
        held = TermArrays.open(generation, reader).held()
        assert held > 500
        (segment, _), *_ = reader.leaf_readers()
        stem = generation / segment.segment().segment_id()
        expected = reader.postings("body_fi", "kaupunk").all_ids()

        docs = stem.with_name(stem.name + DOCS_SUFFIX)
        docs.write_bytes(docs.read_bytes()[:-4])
        with caplog.at_level(logging.WARNING, logger="searchsvc.index"):
            damaged = TermArrays.open(generation, reader)
        assert "postings.u32 holds" in caplog.text
        assert damaged.held() < held
        assert damaged.postings("body_fi", b"kaupunk")[0].tolist() == list(expected)

        stem.with_name(stem.name + TERMS_SUFFIX).unlink()
        assert TermArrays.open(generation, reader).held() < held
