"""Searching a snapshot of the small index, and following its generations (engine)."""

from __future__ import annotations

import gc
import gzip
import json
import re
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from indexer.build import rebuild
from indexer.contract import LANGUAGES
from indexer.generations import IndexMissing, current_generation
from searchsvc.engine import Engine, Snapshot
from searchsvc.query import parse_query
from searchsvc.record import document
from searchsvc.request import SearchRequest, SuggestRequest
from searchsvc.search import facet_counts, search
from searchsvc.snippets import analyze_text, snippet
from searchsvc.suggest import suggest, titles
from searchsvc.syntax import BadQuery

SCRIPT_ID = "test:script"
OSTROBOTHNIA_ID = "seed:ostrobothnia:council-question-support-relationships"


def suggest_words(snapshot: Snapshot, q: str, languages=(), limit: int = 10) -> list[dict]:
    return suggest(snapshot, SuggestRequest(q=q, languages=languages, size=limit))["suggestions"]


def suggest_titles(snapshot: Snapshot, q: str, languages=(), limit: int = 5) -> list[dict]:
    return titles(snapshot, q, languages or LANGUAGES, limit)


def _ids(result: dict) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


def test_snapshot_opens_the_published_generation(
    snapshot: Snapshot, small_index: Path, small_corpus_ids: list[str]
) -> None:
    assert snapshot.generation == current_generation(small_index).name
    assert snapshot.documents == len(small_corpus_ids) == 157
    assert snapshot.manifest


def test_empty_query_finds_everything_with_facets(snapshot: Snapshot) -> None:
    result = search(snapshot, SearchRequest())
    assert result["total"] == snapshot.documents
    assert len(result["hits"]) == 10
    langs = {f["value"]: f["count"] for f in result["facets"]["lang"]}
    assert langs["sv"] >= 20 and langs["en"] >= 45 and langs["fi"] >= 60
    assert sum(langs.values()) == snapshot.documents
    years = [f["value"] for f in result["facets"]["year"]]
    assert years == sorted(years, reverse=True)
    counts = [f["count"] for f in result["facets"]["type"]]
    assert counts == sorted(counts, reverse=True)
    assert all(f["count"] > 0 for facet in result["facets"].values() for f in facet)


def test_filters_or_within_and_across(snapshot: Snapshot) -> None:
    sv = search(snapshot, SearchRequest(languages=("sv",), size=100))
    en = search(snapshot, SearchRequest(languages=("en",), size=100))
    both = search(snapshot, SearchRequest(languages=("sv", "en"), size=1))
    assert both["total"] == sv["total"] + en["total"] > 0
    assert {hit["lang"] for hit in sv["hits"]} == {"sv"}
    court = search(snapshot, SearchRequest(types=("court_decision",), size=1))["total"]
    sv_court = search(snapshot, SearchRequest(languages=("sv",), types=("court_decision",)))
    assert 0 < sv_court["total"] < court
    assert all(h["type"]["key"] == "court_decision" for h in sv_court["hits"])
    ranged = search(snapshot, SearchRequest(year_from=2001, year_to=2002, size=100))
    assert ranged["total"] > 0
    assert all(2001 <= hit["year"] <= 2002 for hit in ranged["hits"])
    exact = search(snapshot, SearchRequest(years=(2001, 2002), size=1))
    assert exact["total"] == ranged["total"]
    assert search(snapshot, SearchRequest(orgs=("no_such_org",)))["total"] == 0


FILTER_FIELDS = {
    "year": "years",
    "lang": "languages",
    "division": "divisions",
    "type": "types",
    "org": "orgs",
}


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(),
        SearchRequest(q="lautakunta"),
        SearchRequest(languages=("fi",), types=("agenda_item", "assessment")),
        SearchRequest(q="besvär", languages=("sv",), year_from=2000, year_to=2005),
        SearchRequest(q="department", orgs=("uk_house_of_commons",), years=(2023,)),
    ],
)
def test_facet_counts_are_disjunctive(snapshot: Snapshot, request_: SearchRequest) -> None:
    result = search(snapshot, request_)
    assert result["total"] > 0
    checked = 0
    for name, values in result["facets"].items():
        attribute = FILTER_FIELDS[name]
        for entry in values:
            changes = {attribute: (entry["value"],)}
            if name == "year":
                changes.update(year_from=None, year_to=None)
            alone = search(snapshot, replace(request_, size=1, **changes))
            assert entry["count"] == alone["total"], (name, entry)
            checked += 1
        # The facet's own filter is ignored: its values add up to the search without it.
        cleared = {attribute: ()}
        if name == "year":
            cleared.update(year_from=None, year_to=None)
        without = search(snapshot, replace(request_, size=1, **cleared))["total"]
        counted = sum(entry["count"] for entry in values)
        assert counted <= without
        if name == "lang":  # every record has a language
            assert counted == without
    assert checked >= 5


def test_paging(snapshot: Snapshot) -> None:
    everything = search(snapshot, SearchRequest(q="lautakunta", size=100))
    total = everything["total"]
    assert total > 6
    pages = [
        _ids(search(snapshot, SearchRequest(q="lautakunta", page=page, size=3)))
        for page in range(1, (total + 2) // 3 + 1)
    ]
    assert [i for page in pages for i in page] == _ids(everything)
    assert all(len(page) == 3 for page in pages[:-1])
    beyond = search(snapshot, SearchRequest(q="lautakunta", page=1000, size=3))
    assert beyond["hits"] == [] and beyond["total"] == total
    # Ranked by tier (how many query words a record holds itself), then by score.
    request = SearchRequest(q="lautakunta")
    scored = snapshot.scored(request.query.whoosh, request.query.tiers)
    assert scored.tiers is not None
    ranking = [
        (int(scored.tiers[snapshot.docnum(hit["id"])]), hit["score"]) for hit in everything["hits"]
    ]
    assert ranking == sorted(ranking, reverse=True)
    assert len({tier for tier, _ in ranking}) > 1


def test_sort_by_date(snapshot: Snapshot) -> None:
    def every(sort: str) -> list[dict]:
        pages = [search(snapshot, SearchRequest(sort=sort, page=p, size=100)) for p in (1, 2)]
        assert pages[0]["size"] == 100  # the largest page
        return pages[0]["hits"] + pages[1]["hits"]

    newest, oldest = every("newest"), every("oldest")
    assert len(newest) == snapshot.documents
    dates = [h["date"] for h in newest if h["date"]]
    assert dates == sorted(dates, reverse=True)
    assert [h["date"] for h in oldest if h["date"]] == sorted(dates)
    # Records without a date or year come last either way.
    assert not newest[-1]["date"] and not oldest[-1]["date"]
    assert newest[0]["date"] > oldest[0]["date"]


def test_snippets_mark_and_escape(snapshot: Snapshot) -> None:
    result = search(snapshot, SearchRequest(q="procurement"))
    assert result["total"] >= 1
    for hit in result["hits"]:
        assert "<mark>" in hit["snippet"].lower() or "<mark>" in hit["snippet"]
        assert "<mark>procurement</mark>" in hit["snippet"].lower()
        assert len(hit["snippet"]) < 600
    # Inflected forms are marked by their key.
    fi = search(snapshot, SearchRequest(q="tarkastuslautakunta", languages=("fi",)))
    assert any("<mark>tarkastuslautakunnan</mark>" in h["snippet"] for h in fi["hits"])


def test_a_snippet_shows_the_whole_query_word_before_its_parts(snapshot: Snapshot) -> None:
    """The Ostrobothnia answer says "stödrelationer" throughout, and "stödet" (a part of the
    compound) early on: the passage shown holds the word searched for."""
    result = search(snapshot, SearchRequest(q="stödrelationer"))
    [hit] = [h for h in result["hits"] if h["id"] == OSTROBOTHNIA_ID]
    assert "<mark>stödrelationer</mark>" in hit["snippet"]


def test_a_compound_beats_its_parts_in_a_snippet_and_every_counted_match_is_shown() -> None:
    filler = " ".join(["ord"] * 60)
    text = f"Om stödet och relationer. {filler} Köp av stödrelationer. {filler}"
    spans = [(text.index(w), text.index(w) + len(w), key) for w, key in
             [("stödet", "stöd"), ("relationer", "relation"), ("stödrelationer", "stödrelation")]]
    spans.sort()
    shown = snippet(text, spans, parts=frozenset({"stöd", "relation"}))
    assert "<mark>stödrelationer</mark>" in shown and "<mark>stödet</mark>" not in shown
    # The window chosen for holding both words is the passage shown, not one cut short.
    words = ["x" * 9] * 100
    words[10], words[33], words[100 - 6] = "alpha", "beta", "alpha beta"
    text = " ".join(words)
    spans = [(m.start(), m.end(), m.group()) for m in re.finditer("alpha|beta", text)]
    shown = snippet(text, spans)
    assert shown.count("<mark>") == 2 and "<mark>alpha</mark> <mark>beta</mark>" in shown


def test_an_english_word_finds_its_irregular_plural(snapshot: Snapshot) -> None:
    """``child`` finds records that say only "children", and marks that word."""
    result = search(snapshot, SearchRequest(q="child", languages=("en",), size=100))
    bodies = {h["id"]: (document(snapshot, h["id"], "en") or {})["body"].lower()
              for h in result["hits"]}
    plural_only = [i for i, body in bodies.items()
                   if "children" in body and not re.search(r"\bchild\b", body)]
    assert plural_only
    hit = next(h for h in result["hits"] if h["id"] == plural_only[0])
    assert "<mark>children</mark>" in hit["snippet"].lower()


def test_markup_in_records_comes_back_escaped(snapshot: Snapshot) -> None:
    result = search(snapshot, SearchRequest(q="komentosarjan alert"))
    [hit] = [h for h in result["hits"] if h["id"] == SCRIPT_ID]
    assert "<script>" not in hit["snippet"]
    assert "&lt;script&gt;" in hit["snippet"]
    assert "<mark>komentosarjan</mark>" in hit["snippet"]
    assert "<mark>alert</mark>" in hit["snippet"]
    stripped = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped


def test_did_you_mean(snapshot: Snapshot) -> None:
    typo = search(snapshot, SearchRequest(q="procuremnt"))
    assert typo["total"] == 0
    assert typo["did_you_mean"] == "procurement"
    fi = search(snapshot, SearchRequest(q="kaupungin tarkastuslautakunan"))
    assert fi["did_you_mean"] == "kaupungin tarkastuslautakunnan"
    assert search(snapshot, SearchRequest(q="procurement"))["did_you_mean"] is None
    assert search(snapshot, SearchRequest(q="qzxwvy"))["did_you_mean"] is None


def test_suggest_completes_the_last_word(snapshot: Snapshot) -> None:
    suggestions = suggest_words(snapshot, "Sustainable procu", ("en",))
    assert suggestions[0] == {
        "text": "Sustainable procurement",
        "word": "procurement",
        "lang": "en",
        "count": 3,
    }
    many = suggest_words(snapshot, "ter", (), limit=5)
    assert len(many) == 5
    counts = [s["count"] for s in many]
    assert counts == sorted(counts, reverse=True)
    assert all(s["word"].startswith("ter") for s in many)
    assert suggest_words(snapshot, "procurement ", ("en",)) == []
    assert suggest_words(snapshot, "zzzzq") == []


def test_suggest_offers_whole_titles_most_common_first(
    snapshot: Snapshot, shipped_corpus: Path
) -> None:
    meeting = "Kokouksen laillisuuden ja päätösvaltaisuuden toteaminen sekä pöytäkirjan"
    path = shipped_corpus / "records" / "helsinki-ahjo.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        first = [json.loads(line) for line, _ in zip(handle, range(45), strict=False)]
    expected = sum(1 for r in first if r["title"].startswith(meeting))
    assert expected >= 2
    [title] = suggest_titles(snapshot, "kokouksen  LAILLISUUDEN ja", ("fi",))
    assert title == {
        "text": meeting + " tarkastajien valinta",
        "lang": "fi",
        "count": expected,
    }
    # A title of one record links to it; markup in titles is text like any other.
    assert suggest_titles(snapshot, "Kokeilu <b>", ("fi",)) == [
        {"text": "Kokeilu <b>lihavoitu</b> otsikko", "lang": "fi", "count": 1, "id": SCRIPT_ID}
    ]
    several = suggest_titles(snapshot, "v 24.11.2021", ("fi",), limit=3)
    assert len(several) == 3
    assert several[0]["count"] == 2
    assert [t["count"] for t in several] == sorted((t["count"] for t in several), reverse=True)
    assert suggest_titles(snapshot, "kokouksen", ("en",)) == []
    assert suggest_titles(snapshot, "k") == []


def test_document_with_translation_links(snapshot: Snapshot) -> None:
    sv_id = "finlex:kho:200103365:sv"
    fi_id = "finlex:kho:200103365:fi"
    sv = document(snapshot, sv_id, "sv")
    assert sv is not None
    assert sv["id"] == sv_id and sv["body"] and sv["extra"]["parallel_id"] == fi_id
    assert [t["id"] for t in sv["translations"]] == [fi_id]
    assert sv["labels"]["lang"]["label"] == "svenska"
    fi = document(snapshot, fi_id, "en")
    assert [t["id"] for t in fi["translations"]] == [sv_id]
    assert fi["translations"][0]["lang"] == "sv"
    assert document(snapshot, SCRIPT_ID, "en")["translations"] == []
    assert document(snapshot, "no:such:id", "en") is None


def test_facet_counts_and_analyze(snapshot: Snapshot) -> None:
    counts = facet_counts(snapshot, "fi")
    assert set(counts) == {"year", "lang", "division", "type", "org"}
    assert sum(f["count"] for f in counts["lang"]) == snapshot.documents
    assert {f["label"] for f in counts["lang"]} == {"suomi", "ruotsi", "englanti"}
    text = "Tarkastus\u00adlautakunnan ARVIO"
    tokens = analyze_text("fi", text)
    assert tokens[0]["token"] == "tarkastuslautakunnan"
    assert text[tokens[0]["start"] : tokens[0]["end"]] == "Tarkastus\u00adlautakunnan"
    assert tokens[0]["parts"] and tokens[1]["token"] == "arvio"
    assert text[tokens[1]["start"] : tokens[1]["end"]] == "ARVIO"


def test_a_background_engine_opens_and_warms_new_generations_itself(
    tmp_path: Path, small_index: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    engine = Engine(index, check_interval=0.05, background=True)
    try:
        old = engine.snapshot()
        small = tmp_path / "small"
        small.mkdir()
        (small / "r.jsonl").write_text(
            json.dumps({"id": "x:1", "title": "Procurement", "body": "New rules.",
                        "language": "en"}) + "\n",
            encoding="utf-8",
        )
        rebuild([small], index, jobs=1)
        deadline = time.monotonic() + 10
        while engine._state.snapshot is old:
            assert time.monotonic() < deadline, "the watcher never switched"
            time.sleep(0.02)
        new = engine.snapshot()
        assert new.generation == current_generation(index).name
        # Opened and warmed by the watcher, not by the request that first gets it.
        assert set(new._words) == {"fi", "sv", "en"}
        assert new.scorer._lengths
    finally:
        engine.close()
    engine._watcher.join(timeout=5)
    assert not engine._watcher.is_alive()


def test_snapshot_switches_to_a_new_generation(tmp_path: Path, small_index: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    engine = Engine(index, check_interval=0.3)
    try:
        old = engine.snapshot()
        before = search(old, SearchRequest(q="procurement"))
        small = tmp_path / "small"
        small.mkdir()
        (small / "r.jsonl").write_text(
            json.dumps(
                {
                    "id": "x:1",
                    "title": "Procurement",
                    "body": "New procurement rules.",
                    "language": "en",
                }
            )
            + "\n",
            encoding="utf-8",
        )
        rebuild([small], index, jobs=1)
        assert engine.snapshot() is old  # within check_interval
        time.sleep(0.35)
        new = engine.snapshot()
        assert new.generation != old.generation
        assert new.generation == current_generation(index).name
        assert new.documents == 1
        # A request holding the old snapshot still gets old answers.
        assert search(old, SearchRequest(q="procurement")) == before
        assert not old.closed
        assert engine.snapshot() is new
        # Once no request holds the old snapshot, its searcher is closed.
        closer = old._closer
        del old
        gc.collect()
        assert not closer.alive
    finally:
        engine.close()


def test_concurrent_requests_share_one_snapshot(small_index: Path) -> None:
    engine = Engine(small_index, check_interval=0.0)
    results: list[tuple[str, int]] = []

    def work() -> None:
        for _ in range(5):
            snapshot = engine.snapshot()
            total = search(snapshot, SearchRequest(q="lautakunta"))["total"]
            results.append((snapshot.generation, total))

    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 30
        assert len(set(results)) == 1
    finally:
        engine.close()
    with pytest.raises(IndexMissing):
        engine.snapshot()


def test_index_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="no index has been published"):
        Engine(tmp_path).snapshot()
    (tmp_path / "CURRENT").write_text("gone\n")
    with pytest.raises(IndexMissing):
        Engine(tmp_path).snapshot()
    broken = tmp_path / "generations" / "broken"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{}")
    (tmp_path / "CURRENT").write_text("broken\n")
    with pytest.raises(IndexMissing, match="cannot be read"):
        Engine(tmp_path).snapshot()


def test_snippet_comes_from_the_matching_language_section(snapshot: Snapshot) -> None:
    page = "seed:helsinki-audit:social-guidance-families"  # English page, Finnish comments
    fi = search(snapshot, SearchRequest(q="varhaiskasvatus"))
    [hit] = [h for h in fi["hits"] if h["id"] == page]
    assert "<mark>varhaiskasvatuksessa</mark>" in hit["snippet"]
    en = search(snapshot, SearchRequest(q="social guidance"))
    [hit] = [h for h in en["hits"] if h["id"] == page]
    assert "<mark>social</mark> <mark>guidance</mark>" in hit["snippet"]
    assert "perhe" not in hit["snippet"]


def test_query_syntax_is_highlighted_and_spelled(snapshot: Snapshot) -> None:
    prefix = search(snapshot, SearchRequest(q="procure*"))
    assert prefix["total"] >= 1
    assert "<mark>procurement</mark>" in prefix["hits"][0]["snippet"].lower()
    typo = search(snapshot, SearchRequest(q="procuremnt AND department"))
    assert typo["did_you_mean"] == "procurement AND department"
    assert search(snapshot, SearchRequest(q="procurement -defence"))["did_you_mean"] is None
    with pytest.raises(BadQuery):
        search(snapshot, SearchRequest(q=" ".join(f"word{i}*" for i in range(40))))


@pytest.mark.parametrize(
    "text",
    [
        "kaupunginhallitus", "omaishoidon tuki", "päätös OR beslut", "päätös -kaupunginhallitus",
        '"kaupunginhallitus päätti"', "kaupunginh*", "päätöss~", "title:päätös",
        "(hoito OR hoiva) -kotihoito", "NOT päätös", "domstol förvaltningsdomstolen",
        "secretary state", "anhörigstöd", "",
    ],
)
def test_matching_sets_equal_whooshs_own(snapshot: Snapshot, text: str) -> None:
    """The facet pass takes doc sets from posting lists: it must match what whoosh finds."""
    q = parse_query(text)
    expected = set(snapshot.searcher.docs_for_query(q))
    assert set(np.flatnonzero(snapshot.scored(q).matches).tolist()) == expected
    assert expected or text == "NOT päätös"  # the table holds queries that find something
