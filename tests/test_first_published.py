"""First-published times (``published.i64``): written with every generation, carried over by
rebuild and update, kept by publish, counted against the documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import index

from indexer import generations
from indexer.build import rebuild
from indexer.contract import FIRST_PUBLISHED_DTYPE, FIRST_PUBLISHED_FILE, read_first_published
from indexer.contract import epoch_seconds as epoch
from indexer.published import first_published_by_id
from indexer.update import update
from searchsvc.engine import Engine
from searchsvc.first_published import FirstPublished

NEW_RECORD = {
    "id": "test:first-published/new",
    "title": "Uusi päätös kirjastoautoista",
    "body": "Kirjastoautot ajavat uusia reittejä.",
    "language": "fi",
    "date": "2001-01-01",  # an old date: the feed orders by first publication, not by date
}


def _records(corpus: Path) -> list[dict]:
    path = corpus / "records" / "records.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(corpus: Path, records: list[dict]) -> None:
    path = corpus / "records" / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


def _times(index_dir: Path) -> dict[str, int]:
    return first_published_by_id(generations.current_generation(index_dir))


@pytest.fixture
def corpus(tmp_path: Path, write_corpus) -> Path:
    return write_corpus(tmp_path / "corpus", 4, pages=False)


def test_times_survive_a_rebuild_and_an_update_and_new_records_are_newest(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    built = rebuild([corpus], index_dir, jobs=1)
    first = _times(index_dir)
    assert len(first) == built.documents and len(set(first.values())) == 1
    manifest = generations.read_manifest(generations.current_generation(index_dir))
    assert abs(next(iter(first.values())) - epoch(manifest["built_at"])) <= 2

    rebuild([corpus], index_dir, jobs=1)
    assert _times(index_dir) == first

    records = _records(corpus)
    changed = records[2]
    changed["body"] += " Muutettu päivityksessä."
    _write(corpus, [*records, NEW_RECORD])
    report = update([corpus], index_dir)
    assert dict(report.changes)["added"] == 1 and dict(report.changes)["changed"] == 1
    after = _times(index_dir)
    assert {k: v for k, v in after.items() if k != NEW_RECORD["id"]} == first
    assert after[NEW_RECORD["id"]] > max(first.values())

    rebuild([corpus], index_dir, jobs=1)
    assert _times(index_dir) == after


def test_the_file_holds_one_time_per_doc_number(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    records = _records(corpus)
    records[0]["body"] += " muutettu"
    _write(corpus, records[1:] + [records[0]])
    update([corpus], index_dir)  # the changed record's old doc number is deleted
    generation = generations.current_generation(index_dir)
    with index.open_dir(str(generation)).reader() as reader:
        size, live = reader.doc_count_all(), reader.doc_count()
        deleted = [d for d in range(size) if reader.is_deleted(d)]
    assert deleted and (generation / FIRST_PUBLISHED_FILE).stat().st_size == 8 * size
    written = read_first_published(generation, size)
    assert written is not None
    times = np.frombuffer(written, dtype=FIRST_PUBLISHED_DTYPE)
    assert int(np.count_nonzero(times)) == live == generations.read_manifest(
        generation)["documents"]
    assert all(times[d] == 0 for d in deleted)
    assert read_first_published(generation, size + 1) is None  # not this generation's


def test_a_record_removed_and_added_again_is_new_again(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    first = _times(index_dir)
    records = _records(corpus)
    gone = records[1]
    _write(corpus, [r for r in records if r is not gone])
    update([corpus], index_dir)
    assert gone["id"] not in _times(index_dir)
    _write(corpus, records)
    update([corpus], index_dir)
    back = _times(index_dir)
    assert back[gone["id"]] > max(first.values())
    assert {k: v for k, v in back.items() if k != gone["id"]} == {
        k: v for k, v in first.items() if k != gone["id"]}


def test_a_generation_without_times_lends_its_build_time(corpus: Path, tmp_path: Path) -> None:
    """A generation built before the file existed: served with record dates, and the next
    build gives its records the time it was built, the new ones a later time."""
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    generation = generations.current_generation(index_dir)
    (generation / FIRST_PUBLISHED_FILE).unlink()
    built = epoch(generations.read_manifest(generation)["built_at"])

    engine = Engine(index_dir)
    try:
        snapshot = engine.snapshot()
        guessed = FirstPublished.of(snapshot)
        assert not guessed.recorded
        with snapshot.reading():
            dates = [snapshot.stored(d).get("date") for d in range(snapshot.columns.size)]
        assert guessed.times.tolist() == [min(epoch(d), built) if d else built for d in dates]
    finally:
        engine.close()

    _write(corpus, [*_records(corpus), NEW_RECORD])
    update([corpus], index_dir)
    times = _times(index_dir)
    assert {k: v for k, v in times.items() if k != NEW_RECORD["id"]} == dict.fromkeys(
        [k for k in times if k != NEW_RECORD["id"]], built)
    assert times[NEW_RECORD["id"]] > built


def test_publishing_a_copy_keeps_the_times(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    source = generations.current_generation(index_dir)
    copy = tmp_path / "incoming" / source.name
    shutil.copytree(source, copy)
    other = tmp_path / "other-node"
    generations.adopt(other, copy)
    published = generations.current_generation(other)
    assert (published / FIRST_PUBLISHED_FILE).read_bytes() == (
        source / FIRST_PUBLISHED_FILE).read_bytes()
    assert _times(other) == _times(index_dir)
