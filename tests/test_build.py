"""Rebuilding real indexes on disk: publishing, counting, locking, failing safely."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from whoosh import index

from indexer import generations
from indexer.build import BuildFailed, TooManyBadRecords, rebuild
from indexer.cli import EXIT_LOCKED, EXIT_NO_INDEX, EXIT_OK, EXIT_PROBLEMS, EXIT_TOO_MANY_BAD
from indexer.contract import read_words
from searchsvc.query import build_query


@pytest.fixture
def tiny_corpus(tmp_path: Path, write_corpus) -> Path:
    """Real records, ten from each shipped file, plus a seed page with its sidecar."""
    return write_corpus(tmp_path / "corpus", 10, twins=False, pages=["002_"])


def more_records(write_corpus, folder: Path, count: int) -> set[str]:
    """``count`` more records from each shipped file, after the first ten, in ``folder``."""
    write_corpus(folder, count, skip=10, twins=False, pages=False)
    lines = (folder / "records" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["id"] for line in lines}


def doc_ids(index_dir: Path) -> set[str]:
    ix = index.open_dir(str(generations.current_generation(index_dir)))
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def test_rebuild_publishes_a_complete_generation(tiny_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    report = rebuild([tiny_corpus], index_dir, jobs=1)
    assert report.published and report.documents == 41 and not report.problems
    current = generations.current_generation(index_dir)
    manifest = generations.read_manifest(current)
    assert manifest["documents"] == 41
    assert manifest["by_language"] == {"en": 10, "fi": 20, "sv": 11}
    assert json.loads((current / "labels.json").read_text())["doc_type"]["court_decision"]["sv"]
    assert "seed:socialstyrelsen:anhorigstod-2007" in doc_ids(index_dir)
    ix = index.open_dir(str(current))
    with ix.searcher() as searcher:
        hits = searcher.search(build_query("anhörigstödet"), limit=5)
        assert [hit["id"] for hit in hits][:1] == ["seed:socialstyrelsen:anhorigstod-2007"]


def test_two_writer_processes_index_every_record(
    tiny_corpus: Path, tmp_path: Path, write_corpus
) -> None:
    index_dir = tmp_path / "index"
    tiny = (tiny_corpus / "records" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    expected = {json.loads(line)["id"] for line in tiny}
    expected |= more_records(write_corpus, tiny_corpus / "more", 50)
    report = rebuild([tiny_corpus], index_dir, jobs=2)
    assert len(expected) == 240
    assert report.documents == len(doc_ids(index_dir)) == 241
    assert doc_ids(index_dir) >= expected

    # the spelling words counted in the writer processes are all there
    single = tmp_path / "single"
    rebuild([tiny_corpus], single, jobs=1)
    for language in ("fi", "sv", "en"):
        words = read_words(generations.current_generation(index_dir), language)
        assert len(words) > 100
        assert words == read_words(generations.current_generation(single), language)


def test_a_failing_writer_process_fails_the_build(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """whoosh's multiprocess writer only prints a worker's error and commits the rest."""
    from indexer import lexicon as lexicon_module

    index_dir = tmp_path / "index"
    rebuild([tiny_corpus], index_dir, jobs=1)
    published = generations.published_name(index_dir)
    original = lexicon_module.Lexicon.analyze

    def analyze(self, word):
        if word == "kaboom":
            raise RuntimeError("injected analysis failure")
        return original(self, word)

    monkeypatch.setattr(lexicon_module.Lexicon, "analyze", analyze)  # forked workers inherit
    lines = [json.dumps({"id": f"x{i}", "body": "kaboom" if i == 150 else "rauha"}) + "\n"
             for i in range(300)]
    (tiny_corpus / "bomb.jsonl").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BuildFailed, match="records were read"):
        rebuild([tiny_corpus], index_dir, jobs=2)
    assert generations.published_name(index_dir) == published


def test_bad_records_are_reported_with_file_and_line(tiny_corpus: Path, tmp_path: Path) -> None:
    bad = tiny_corpus / "bad.jsonl"
    bad.write_text(
        '{"id": "ok-1", "body": "hyvä"}\n'
        "{not json\n"
        '{"title": "no id"}\n'
        '{"id": "ok-1", "body": "duplicate"}\n'
        '{"id": "ok-2", "body": "toinen"}\n',
        encoding="utf-8",
    )
    report = rebuild([tiny_corpus], tmp_path / "index", jobs=1)
    assert report.documents == 43
    assert [p.split(": ", 1)[0] for p in report.problems] == [f"{bad}:2", f"{bad}:3", f"{bad}:4"]
    assert {"ok-1", "ok-2"} <= doc_ids(tmp_path / "index")


def test_too_many_bad_records_publish_nothing(tiny_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild([tiny_corpus], index_dir, jobs=1)
    before = generations.published_name(index_dir)
    (tiny_corpus / "bad.jsonl").write_text("{\n[]\n{}\n", encoding="utf-8")
    with pytest.raises(TooManyBadRecords):
        rebuild([tiny_corpus], index_dir, jobs=1, max_errors=2)
    assert generations.published_name(index_dir) == before
    assert generations.published_generations(index_dir) == [before]
    assert not list(generations.generations_dir(index_dir).glob(".building-*"))


def test_generations_keep_one_to_roll_back_to(tiny_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    records = tiny_corpus / "records" / "records.jsonl"
    names = []
    for number in range(3):
        with open(records, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"id": f"new:{number}", "body": "Uusi päätös."}) + "\n")
        names.append(rebuild([tiny_corpus], index_dir, jobs=1).generation)
    assert len(set(names)) == 3
    assert generations.published_generations(index_dir) == names[1:]
    assert generations.published_name(index_dir) == names[2]


def test_cli_rebuild_status_and_check(tiny_corpus: Path, tmp_path: Path, cli) -> None:
    index_dir = tmp_path / "index"
    status = cli("status", "--index-dir", str(index_dir))
    assert status.returncode == EXIT_NO_INDEX
    assert "no index has been published" in status.stderr

    built = cli("rebuild", "--corpus", str(tiny_corpus), "--index-dir", str(index_dir),
                "--jobs", "2", "--log-format", "text")
    assert built.returncode == EXIT_OK, built.stderr
    assert "records:  41" in built.stdout
    assert "by language: en 10, fi 20, sv 11" in built.stdout

    status = cli("status", "--index-dir", str(index_dir))
    assert status.returncode == EXIT_OK
    assert "documents:       41" in status.stdout

    (tiny_corpus / "bad.jsonl").write_text('{"id": 1, "body": ""}\n', encoding="utf-8")
    check = cli("check", str(tiny_corpus))
    assert check.returncode == EXIT_PROBLEMS
    assert f"{tiny_corpus / 'bad.jsonl'}:1: no text" in check.stdout
    assert "41 good records, 1 problems" in check.stdout

    too_many = cli("rebuild", "--corpus", str(tiny_corpus), "--index-dir", str(index_dir),
                       "--max-errors", "0")
    assert too_many.returncode == EXIT_TOO_MANY_BAD
    assert "skipped" in too_many.stderr and "left as it was" in too_many.stderr


def test_index_dir_defaults_to_the_service_setting(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    monkeypatch.setenv("SEARCHSVC_INDEX_DIR", str(tmp_path / "from-env"))
    assert cli("rebuild", "--corpus", str(tiny_corpus), "--jobs", "1").returncode == 0
    assert generations.published_name(tmp_path / "from-env")


def test_a_second_rebuild_fails_fast(tiny_corpus: Path, tmp_path: Path, cli) -> None:
    index_dir = tmp_path / "index"
    with generations.rebuild_lock(index_dir):
        started = time.monotonic()
        second = cli("rebuild", "--corpus", str(tiny_corpus), "--index-dir", str(index_dir))
        assert second.returncode == EXIT_LOCKED
        assert f"another rebuild is running on {index_dir} (pid {os.getpid()}, rebuild on " \
            in second.stderr
        assert time.monotonic() - started < 30
    assert generations.published_name(index_dir) is None


def _wait_for(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("moment", "kill_group"),
    [("reading", True), ("writing segments", True), ("writing segments", False)],
    ids=["reading", "writing", "writing-parent-only"],
)
def test_a_killed_rebuild_leaves_the_published_index(
    tiny_corpus: Path, tmp_path: Path, moment: str, kill_group: bool, write_corpus,
    indexer_process,
) -> None:
    """kill -9 of the rebuild (or of its parent process alone: its writer processes must
    neither keep the lock nor linger) at several moments."""
    index_dir = tmp_path / "index"
    rebuild([tiny_corpus], index_dir, jobs=1)
    published = generations.published_name(index_dir)
    before = doc_ids(index_dir)
    more_records(write_corpus, tiny_corpus / "more", 390)

    process = indexer_process.start("rebuild", "--corpus", tiny_corpus, "--index-dir",
                                    index_dir, "--jobs", "2", new_session=True)
    building = generations.generations_dir(index_dir)

    def written_files() -> list[Path]:
        """Files the writers made: job batches, posting runs, segments (not the empty TOC)."""
        try:
            return [
                p for b in building.glob(".building-*") for p in b.rglob("*")
                if p.is_file() and p.suffix != ".toc" and "WRITELOCK" not in p.name
            ]
        except OSError:  # the writers delete their job files while we look
            return []

    if moment == "reading":
        _wait_for(lambda: any(building.glob(".building-*")))
    else:
        _wait_for(lambda: bool(written_files()))
    if kill_group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert generations.published_name(index_dir) == published
    assert doc_ids(index_dir) == before
    report = rebuild([tiny_corpus], index_dir, jobs=2)  # no stale lock, leftovers cleared
    assert report.published
    assert not list(building.glob(".building-*"))
    assert len(doc_ids(index_dir)) == report.documents > len(before)


def test_content_hash_changes_with_anything_indexed() -> None:
    from dataclasses import replace

    from indexer.documents import content_hash
    from indexer.records import Record

    record = Record(id="a", title="Otsikko", body="Teksti", origin="x", language="fi",
                    year=2021, extra={"parallel_id": "b"})
    assert content_hash(record) == content_hash(replace(record, origin="elsewhere"))
    changed = [replace(record, body="Teksti."), replace(record, title="Otsikko2"),
               replace(record, title="OtsikkoT", body="eksti"), replace(record, year=2022),
               replace(record, extra={"parallel_id": "c"}), replace(record, doc_type="decision")]
    hashes = {content_hash(r) for r in changed}
    assert len(hashes) == len(changed) and content_hash(record) not in hashes
