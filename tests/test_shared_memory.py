"""What workers share instead of copying: the index read in place, the lemma dictionaries
loaded once by gunicorn's master (issue 13: memory per worker)."""

from __future__ import annotations

import pickle
import random
import re
import shutil
import urllib.parse
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.structfile import BufferFile

from indexer.mapped import MappedBufferFile, open_index, open_streamed


def _same_reads(stock: BufferFile, mapped: MappedBufferFile, size: int) -> None:
    rng = random.Random(13)
    for _ in range(300):
        position = rng.randrange(size)
        length = rng.randrange(0, 64)
        assert mapped.get(position, length) == stock.get(position, length)
        stock.seek(position)
        mapped.seek(position)
        assert mapped.read(length) == stock.read(length)
        assert mapped.tell() == stock.tell()
        if position + 40 < size:
            assert list(mapped.get_array(position, "i", 4)) == list(
                stock.get_array(position, "i", 4))
            stock.seek(position)
            mapped.seek(position)
            assert (mapped.read_varint(), mapped.read_int(), mapped.read_long()) == (
                stock.read_varint(), stock.read_int(), stock.read_long())
    stock.seek(-5, 2)
    mapped.seek(-5, 2)
    assert mapped.read() == stock.read() and mapped.read(3) == stock.read(3) == b""


def test_a_mapped_file_reads_what_a_buffer_file_reads() -> None:
    data = random.Random(7).randbytes(5000)
    _same_reads(BufferFile(data), MappedBufferFile(memoryview(data)), len(data))
    subset = MappedBufferFile(memoryview(data)).subset(1000, 2000)
    _same_reads(BufferFile(data[1000:3000]), subset, 2000)


def test_pickles_read_from_a_mapped_file_end_where_they_end() -> None:
    """``pickle.load`` reads ahead through ``peek`` and gives back what it did not use."""
    items = [("header", index, index * 0.5) for index in range(50)] + [b"x" * 1000]
    data = b"".join(pickle.dumps(item, 2) for item in items) + b"tail"
    mapped = MappedBufferFile(memoryview(data))
    assert [mapped.read_pickle() for _ in items] == items
    assert mapped.read() == b"tail"


def test_a_generation_is_read_in_place(multi_segment_index: Path) -> None:
    """Every segment's postings and term index are views of the mapped segment file, not
    copies; and reading through them finds what a search finds."""
    generation = sorted((multi_segment_index / "generations").iterdir())[-1]
    with open_index(generation).searcher() as searcher:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        assert len(leaves) > 1
        for leaf in leaves:
            terms = leaf._terms
            for file in (terms._postfile, terms._dbfile):
                assert isinstance(file, MappedBufferFile)
                assert isinstance(file._buf, memoryview) and file._buf.readonly
        assert searcher.doc_count() > 60
        field = "body_fi"
        some = [text for text, _ in zip(searcher.reader().lexicon(field), range(50), strict=False)]
        for text in some:
            docs = list(searcher.reader().postings(field, text).all_ids())
            assert docs == sorted(docs) and docs


def _rollup(pid: int) -> dict[str, int]:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return {name: int(kb) // 1024 for name, kb in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M)}


@pytest.mark.slow
def _mapped_segments(generation: Path) -> set[str]:
    maps = Path("/proc/self/maps").read_text()
    return {path.name for path in generation.glob("*.seg") if str(path) in maps}


def test_a_streamed_generation_is_read_without_a_map(
    multi_segment_index: Path, tmp_path: Path
) -> None:
    """The builder's pass over whole segments reads them with ordinary reads: a mapped page
    it read would count in its PSS (``indexer.mapped.open_streamed``)."""
    generation = tmp_path / "generation"  # paths no reader of this process has mapped
    shutil.copytree(sorted((multi_segment_index / "generations").iterdir())[-1], generation)
    with open_streamed(generation).reader() as reader:
        streamed = {text: list(reader.postings("body_fi", text).all_ids())
                    for text in reader.lexicon("body_fi")}
        assert len(streamed) > 100
        assert not _mapped_segments(generation)
    with open_index(generation).reader() as reader:
        assert streamed == {text: list(reader.postings("body_fi", text).all_ids())
                            for text in streamed}
        assert _mapped_segments(generation)


def test_gunicorn_workers_share_the_lemma_dictionaries(
    shipped_index: Path, gunicorn: Callable[..., AbstractContextManager[Any]]
) -> None:
    """The master loads the fi and sv dictionaries (~420 MB) before forking: after Finnish
    and Swedish queries, each worker still shares them with the master rather than holding
    its own copy."""
    with gunicorn(shipped_index) as server:
        for _ in range(4):  # both workers answer some
            for q in ("omaishoidon tuki", "förvaltningsdomstolens beslut"):
                assert server.get("/search?" + urllib.parse.urlencode({"q": q}))[0] == 200
        workers = [int(pid) for pid in
                   Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
                   .read_text().split()]
        assert len(workers) == 2
        for pid in workers:
            memory = _rollup(pid)
            assert memory["Shared_Dirty"] > 300, memory
            assert memory["Private_Dirty"] < memory["Shared_Dirty"], memory
