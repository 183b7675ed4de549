"""Incremental updates, removals and expiry, rollback and adopting a copied generation."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from indexer import generations
from indexer.build import rebuild
from indexer.contract import LANGUAGES, SCHEMA_VERSION, read_words
from indexer.update import update
from searchsvc.engine import Engine
from searchsvc.record import document
from searchsvc.request import SearchRequest, SuggestRequest
from searchsvc.search import search
from searchsvc.suggest import suggest, titles

NEW_RECORD = {
    "id": "test:new",
    "title": "Kirjastoautojen reittien uudistus",
    "body": "Kirjastoautot ajavat uusia reittejä. Zyxwvutsanaa ei ole muualla.",
    "language": "fi",
    "date": "2026-11-20",
}
EXPIRING = {
    "id": "test:expiring",
    "title": "Henkilötietoja sisältävä päätös",
    "body": "Päätös koskee henkilöä Qwertyuiopsson, jonka tiedot poistetaan valitusajan jälkeen.",
    "language": "fi",
    "date": "2026-10-01",
    "expires": "2026-11-15",
}


def _records(corpus: Path) -> list[dict]:
    path = corpus / "records" / "records.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(corpus: Path, records: list[dict]) -> None:
    path = corpus / "records" / "records.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8")


def _search(index_dir: Path, q: str) -> dict:
    engine = Engine(index_dir)
    try:
        return search(engine.snapshot(), SearchRequest(q=q, size=100, facets=()))
    finally:
        engine.close()


def _document(index_dir: Path, doc_id: str) -> dict | None:
    engine = Engine(index_dir)
    try:
        return document(engine.snapshot(), doc_id, "en")
    finally:
        engine.close()


def _all_words(index_dir: Path) -> dict[str, list[tuple[str, int]]]:
    generation = generations.current_generation(index_dir)
    return {lang: read_words(generation, lang) for lang in ("fi", "sv", "en")}


@pytest.fixture
def corpus(tmp_path: Path, write_corpus) -> Path:
    return write_corpus(tmp_path / "corpus", 12, extra=[EXPIRING])


TODAY = dt.date(2026, 11, 1)  # before EXPIRING expires


def test_update_equals_a_rebuild_of_the_same_corpus(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    built = rebuild([corpus], index_dir, jobs=2, today=TODAY)
    first = generations.published_name(index_dir)
    records = _records(corpus)
    changed, gone = records[3], records[5]
    changed["body"] += " Lisäys: tämä kohta lisättiin päivityksessä sanalla ksylofonipäätös."
    _write(corpus, [r for r in records if r is not gone] + [NEW_RECORD])

    report = update([corpus], index_dir, today=TODAY)

    assert report.mode == "update" and report.base == first
    assert dict(report.changes) == {
        "added": 1, "changed": 1, "removed": 1, "unchanged": built.documents - 2,
    }
    assert generations.published_name(index_dir) == report.generation != first
    assert generations.previous_name(index_dir) == first
    assert _search(index_dir, "ksylofonipäätös")["hits"][0]["id"] == changed["id"]
    assert _search(index_dir, "zyxwvutsanaa")["hits"][0]["id"] == "test:new"
    assert _document(index_dir, gone["id"]) is None

    # The same corpus rebuilt from scratch: the same documents, matches and word counts.
    fresh = tmp_path / "fresh"
    rebuild([corpus], fresh, jobs=1, today=TODAY)
    for q in ("päätös", "kaupunki", "department", "domstol", "omaishoito", "",
              '"korkein hallinto-oikeus"', '"secretary of state"'):
        ours, theirs = _search(index_dir, q), _search(fresh, q)
        assert ours["total"] == theirs["total"], q
        assert {h["id"] for h in ours["hits"]} == {h["id"] for h in theirs["hits"]}, q
    assert _all_words(index_dir) == _all_words(fresh)
    manifest = generations.read_manifest(generations.current_generation(index_dir))
    assert manifest["documents"] == built.documents
    assert manifest["changes"]["added"] == 1


def test_update_leaves_the_generation_it_started_from_untouched(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1, today=TODAY)
    base = generations.current_generation(index_dir)
    before = {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()}
    records = _records(corpus)
    records[0]["body"] += " muutettu"
    _write(corpus, records[1:] + [NEW_RECORD])
    update([corpus], index_dir, today=TODAY)
    after = {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()}
    assert after == before
    generations.rollback(index_dir)
    assert generations.current_generation(index_dir) == base
    assert _search(index_dir, "zyxwvutsanaa")["total"] == 0


def test_expired_and_removed_records_leave_nothing_behind(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=2, today=TODAY)
    assert _search(index_dir, "qwertyuiopsson")["total"] == 1
    victim = _records(corpus)[7]
    first = generations.published_name(index_dir)

    report = update(
        [corpus], index_dir, removals=frozenset({victim["id"]}), today=dt.date(2026, 11, 24)
    )

    assert report.withheld == {"removed": 1, "expired": 1}
    assert report.changes["withheld"] == 2
    generation = generations.current_generation(index_dir)
    engine = Engine(index_dir)
    snap = engine.snapshot()
    assert search(snap, SearchRequest(q="qwertyuiopsson"))["total"] == 0
    assert document(snap, "test:expiring", "en") is None
    assert document(snap, victim["id"], "en") is None
    assert suggest(snap, SuggestRequest(q="qwertyuio"))["suggestions"] == []
    assert titles(snap, "henkilötietoja sisältävä", LANGUAGES, 5) == []
    words = {w for lang in ("fi", "sv", "en") for w, _ in read_words(generation, lang)}
    assert "qwertyuiopsson" not in words
    # The previous generation, where they are still searchable, is not kept for rollback.
    assert first not in generations.published_generations(index_dir)
    with pytest.raises(generations.IndexMissing):
        generations.rollback(index_dir)
    engine.close()


def test_a_rebuild_withholds_records_too(corpus: Path, tmp_path: Path, cli) -> None:
    index_dir = tmp_path / "index"
    victim = _records(corpus)[2]["id"]
    report = rebuild(
        [corpus], index_dir, jobs=1, removals=frozenset({victim}), today=dt.date(2026, 11, 15)
    )
    assert report.withheld == {"removed": 1, "expired": 1}
    assert _search(index_dir, "qwertyuiopsson")["total"] == 0
    assert _document(index_dir, victim) is None
    # The generation it replaced never held them: it stays for rollback. Not so once it has.
    first = generations.published_name(index_dir)
    _write(corpus, [*_records(corpus), NEW_RECORD])
    rebuild([corpus], index_dir, jobs=1, removals=frozenset({victim}),
            today=dt.date(2026, 11, 15))
    assert generations.previous_name(index_dir) == first
    assert first in generations.published_generations(index_dir)
    assert cli("restore", victim, "--index-dir", index_dir).returncode == 0
    rebuild([corpus], index_dir, jobs=1, today=dt.date(2026, 11, 15))  # victim back
    assert _document(index_dir, victim) is not None
    rebuild([corpus], index_dir, jobs=1, removals=frozenset({victim}),
            today=dt.date(2026, 11, 15))
    assert generations.previous_name(index_dir) is None
    assert len(generations.published_generations(index_dir)) == 1


def test_an_unreadable_expiry_is_a_bad_record(corpus: Path, tmp_path: Path) -> None:
    _write(corpus, [*_records(corpus), {**EXPIRING, "id": "test:bad", "expires": "soon"}])
    report = rebuild([corpus], tmp_path / "index", jobs=1, today=TODAY)
    assert [p for p in report.problems if "expires: expected a date" in p]
    assert _search(tmp_path / "index", "qwertyuiopsson")["total"] == 1


def test_update_without_an_index_rebuilds(corpus: Path, tmp_path: Path) -> None:
    report = update([corpus], tmp_path / "index", jobs=1, today=TODAY)
    assert report.mode == "rebuild" and report.published


def test_update_over_a_generation_of_an_older_analysis_rebuilds(
    corpus: Path, tmp_path: Path
) -> None:
    """A generation of an older schema version holds terms of an older analysis: records
    added to it would be analysed differently from the rest, so it is rebuilt instead."""
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1, today=TODAY)
    published = generations.current_generation(index_dir)
    manifest = generations.read_manifest(published)
    (published / "manifest.json").write_text(
        json.dumps({**manifest, "schema_version": SCHEMA_VERSION - 1}), encoding="utf-8")
    report = update([corpus], index_dir, jobs=1, today=TODAY)
    assert report.mode == "rebuild" and report.published


def test_cli_update_rollback_and_publish_a_copy(corpus: Path, tmp_path: Path, cli) -> None:
    records = _records(corpus)
    records[-1]["expires"] = "2099-12-31"  # the CLI works with today's date
    _write(corpus, records)
    index_dir = tmp_path / "index"
    removals = tmp_path / "removals.txt"
    removals.write_text("# appeal period over\ntest:expiring\n", encoding="utf-8")
    done = cli("rebuild", "--corpus", str(corpus), "--index-dir", str(index_dir),
                   "--jobs", "1", "--progress", "none")
    assert done.returncode == 0, done.stderr
    first = generations.published_name(index_dir)
    done = cli("update", "--corpus", str(corpus), "--index-dir", str(index_dir),
               "--removals", str(removals), "--progress", "none", "--log-format", "text")
    assert done.returncode == 0, done.stderr
    assert "(update)" in done.stdout and "withheld 1" in done.stdout, done.stdout
    second = generations.published_name(index_dir)
    assert second != first

    # The removal is remembered: without --removals test:expiring stays out.
    done = cli("update", "--corpus", str(corpus), "--index-dir", str(index_dir),
               "--progress", "none", "--log-format", "text")
    assert done.returncode == 0, done.stderr
    assert "nothing changed" in done.stdout
    assert generations.published_name(index_dir) == second
    assert cli("restore", "test:expiring", "--index-dir", index_dir).returncode == 0
    done = cli("update", "--corpus", str(corpus), "--index-dir", str(index_dir),
               "--progress", "none", "--log-format", "text")
    assert done.returncode == 0, done.stderr
    third = generations.published_name(index_dir)
    assert "unchanged" in done.stdout and "added 1" in done.stdout  # test:expiring is back
    done = cli("rollback", "--index-dir", str(index_dir))
    assert done.returncode == 0 and generations.published_name(index_dir) == second
    done = cli("rollback", "--index-dir", str(index_dir))
    assert done.returncode == 0 and generations.published_name(index_dir) == third
    missing = cli("rollback", "--index-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 5 and "there is no index directory" in missing.stderr
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "empty").mkdir()
    nothing = cli("rollback", "--index-dir", str(tmp_path / "empty"))
    assert nothing.returncode == 5 and "no previous generation" in nothing.stderr
    assert cli("update", "--removals", str(tmp_path / "absent.txt"),
                   "--index-dir", str(index_dir)).returncode == 1

    # A generation copied to another machine (rsync) serves the same answers there.
    copy = tmp_path / "incoming" / third
    shutil.copytree(generations.current_generation(index_dir), copy)
    other = tmp_path / "other-node"
    done = cli("publish", str(copy), "--index-dir", str(other))
    assert done.returncode == 0, done.stderr
    assert generations.published_name(other) == third
    for q in ("päätös", "department", "qwertyuiopsson"):
        assert _search(other, q) == _search(index_dir, q)
    # An incomplete copy is refused and changes nothing.
    broken = tmp_path / "broken"
    shutil.copytree(copy, broken)
    next(p for p in broken.iterdir() if p.suffix == ".seg").unlink()
    done = cli("publish", str(broken), "--index-dir", str(tmp_path / "third-node"))
    assert done.returncode == 5 and "not a complete index generation" in done.stderr
    assert generations.published_name(tmp_path / "third-node") is None
