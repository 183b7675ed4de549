"""Across the official languages: the lexicon a generation learns from its twin records, the
twin map, and ``cross_lang=1`` on ``/search`` (real indexes of real records, the real app)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from falcon import testing
from whoosh import index as whoosh_index

from indexer.contract import (
    TRANSLATIONS_FILE,
    TWINS_FILE,
    read_translations,
    read_twins_digest,
    read_twins_header,
    stored_text_in,
    twin_pairs,
)
from indexer.generations import current_generation
from indexer.translations import MAX_DRIFT, MIN_DICE, TOP, aligned_units, keys, learn
from indexer.update import update
from searchsvc.app import create_app
from searchsvc.crosslang import Bridge
from searchsvc.settings import Settings


def _twin_texts(root: Path, count: int) -> list[tuple[str, str]]:
    """(Finnish text, Swedish abstract) of the first ``count`` twin pairs of the shipped
    corpus."""
    def read(name: str) -> list[dict[str, Any]]:
        path = root / "corpus" / "records" / f"{name}.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    finnish = {r["id"]: r["body"] for r in read("finlex-fi")}
    pairs = [(finnish[r["parallel_id"]], r["body"]) for r in read("finlex-sv")
             if r.get("parallel_id") in finnish]
    return pairs[:count]


def _key(language: str, word: str) -> str:
    (found,) = keys(language, word)
    return found


def test_the_lexicon_learns_translations_both_ways_from_twin_texts(root):
    units = [u for fi, sv in _twin_texts(root, 300) for u in aligned_units(fi, sv)]
    translations = learn(units)
    for finnish, swedish in [("vero", "skatt"), ("hakemus", "ansökan"), ("lapsi", "barn"),
                             ("ahvenanmaa", "åland")]:
        fi, sv = _key("fi", finnish), _key("sv", swedish)
        assert fi in [t for t, _ in translations["sv"][sv]], (swedish, translations["sv"][sv])
        assert sv in [t for t, _ in translations["fi"][fi]], (finnish, translations["fi"][fi])
    for by_key in translations.values():
        for choices in by_key.values():
            assert 1 <= len(choices) <= TOP
            weights = [w for _, w in choices]
            assert weights == sorted(weights, reverse=True)
            assert all(MIN_DICE <= w <= 1 for w in weights)


def test_abstract_paragraphs_are_aligned_one_to_one_when_their_lengths_agree():
    finnish = "Vero oli maksettu.\n\nHakemus hylättiin.\n\nAsian käsittely hovioikeudessa"
    swedish = "Skatten hade betalats.\n\nAnsökan avslogs."
    units = aligned_units(finnish, swedish)
    assert len(units) == 2
    assert _key("fi", "vero") in units[0][0] and _key("sv", "skatt") in units[0][1]
    assert _key("fi", "hakemus") in units[1][0] and _key("sv", "ansökan") in units[1][1]
    # Lengths that disagree: the abstract against as many Finnish paragraphs, as one unit.
    (unit,) = aligned_units(finnish, "Skatten hade betalats i sin helhet under året "
                            "enligt beslutet.\n\nAnsökan.")
    assert _key("fi", "hakemus") in unit[0] and _key("sv", "skatt") in unit[1]


def test_each_generation_holds_its_translations_through_the_contract(small_index):
    generation = current_generation(small_index)
    header, *lines = (generation / TRANSLATIONS_FILE).read_text(encoding="utf-8").splitlines()
    assert header.split("\t")[:2] == ["#twins", "20"]
    assert read_twins_digest(generation) == header.split("\t")[2]
    assert lines
    rows = [line.split("\t") for line in lines]
    assert rows == sorted(rows, key=lambda row: (row[0], row[1], -float(row[4])))
    translations = read_translations(generation)
    assert set(translations) == {"fi", "sv"}
    assert sum(len(choices) for by_key in translations.values()
               for choices in by_key.values()) == len(lines)
    for line in lines:
        source, key, target, translation, weight = line.split("\t")
        assert {source, target} == {"fi", "sv"}
        assert (translation, float(weight)) in translations[source][key]


def test_a_generation_without_translations_reads_as_none(tmp_path):
    assert read_translations(tmp_path) == {"fi": {}, "sv": {}}


def test_the_twin_map_links_each_swedish_decision_and_its_finnish_twin(snapshot, small_corpus):
    records = [json.loads(line) for line in
               (small_corpus / "records" / "records.jsonl").read_text("utf-8").splitlines()]
    named = {r["id"]: r["parallel_id"] for r in records if r.get("parallel_id")
             and r["language"] == "sv"}
    assert len(named) >= 10
    twins = snapshot.bridge().twins
    for swedish, finnish in named.items():
        sv, fi = snapshot.docnum(swedish), snapshot.docnum(finnish)
        assert twins[sv] == fi and twins[fi] == sv
    assert int((twins >= 0).sum()) == 2 * len(named)


def test_the_twin_map_is_written_with_the_generation_and_read_from_the_index_without(
    published_copy,
):
    _, index_dir = published_copy
    generation = current_generation(index_dir)
    with whoosh_index.open_dir(str(generation)).reader() as reader:
        written = Bridge.read(generation, reader).twins
        (generation / TWINS_FILE).unlink()
        from_index = Bridge.read(generation, reader).twins
        pairs = list(twin_pairs(reader))
    assert len(pairs) == 20
    assert written.tolist() == from_index.tolist()
    assert sorted((fi, int(written[fi])) for fi in range(len(written))
                  if written[fi] >= 0 and (fi, int(written[fi])) in pairs) == pairs


# --- /search ----------------------------------------------------------------------------------


def _ids(client: testing.TestClient, **params: str) -> list[str]:
    answer = client.simulate_get("/search", params={"size": "100", "facets": "", **params})
    assert answer.status_code == 200, answer.text
    return [hit["id"] for hit in answer.json["hits"]]


def _finnish_twin_words(snapshot) -> tuple[str, str, str]:
    """(Finnish id, Swedish id, a word of the Finnish full text only it holds): one twin pair
    of the small index, found from its records."""
    twins = snapshot.bridge().twins
    for fi in range(len(twins)):
        sv = int(twins[fi])
        stored = snapshot.stored(fi)
        if sv < 0 or stored.get("language") != "fi":
            continue
        words = re.findall(r"\b[a-zäö]{12,}\b", stored["body"].split("\n\n", 3)[-1])
        for word in sorted(set(words)):
            found = snapshot.scored(_compiled(word)).matches
            if int(found.sum()) == 1:
                return stored["id"], snapshot.stored(sv)["id"], word
    raise AssertionError("no twin pair with a word of its own")


def _compiled(text: str):
    from searchsvc.query import compile_query

    return compile_query(text).whoosh


def test_a_record_is_found_through_its_twin_s_full_text_below_it(client, snapshot):
    finnish, swedish, word = _finnish_twin_words(snapshot)
    assert _ids(client, q=word) == [finnish]
    assert _ids(client, q=word, cross_lang="1") == [finnish, swedish]
    assert _ids(client, q=word, cross_lang="1", lang="sv") == [swedish]


def test_without_cross_lang_nothing_changes(client):
    for q in ("kaupunginhallitus", "skatt", "omaishoidon tuki"):
        assert _ids(client, q=q) == _ids(client, q=q, cross_lang="0")


@pytest.mark.parametrize("q", ['"kaupunginhallitus päätti"', "hoito OR skatt", "skat*",
                               "skatt AND vero", "title:skatt", "skatt -vero", "skatt~"])
def test_a_query_with_syntax_means_exactly_what_it_says(client, q):
    with_it = client.simulate_get("/search", params={"q": q, "cross_lang": "1"}).json
    without = client.simulate_get("/search", params={"q": q}).json
    with_it.pop("took_ms", None)
    without.pop("took_ms", None)
    # Each links the feed of its own search, cross_lang included.
    assert with_it.pop("links")["feed"].endswith("&cross_lang=1")
    assert "cross_lang" not in without.pop("links")["feed"]
    assert with_it == without


@pytest.mark.parametrize("value", ["2", "-1", "yes", "", "1.0"])
def test_cross_lang_takes_0_or_1(client, value):
    answer = client.simulate_get("/search", params={"q": "skatt", "cross_lang": value})
    assert answer.status_code == 400
    assert '"cross_lang"' in answer.json["description"]


def test_cross_lang_is_in_the_openapi_document(client):
    parameters = client.simulate_get("/openapi.json").json["paths"]["/search"]["get"][
        "parameters"]
    (declared,) = [p for p in parameters if p["name"] == "cross_lang"]
    assert declared["schema"]["type"] == "integer"
    assert (declared["schema"]["minimum"], declared["schema"]["maximum"]) == (0, 1)


# --- the documented example, on the shipped corpus ---------------------------------------------


@pytest.mark.slow
def test_the_documented_cross_language_example_answers_as_written(root, shipped_index):
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("### Across the official languages") :]
    (request,) = re.findall(r"^GET (/search\?\S+)$", section[: section.index("\n## ")], re.M)
    assert "cross_lang=1" in request
    client = testing.TestClient(create_app(Settings(index_dir=shipped_index)))
    route, _, query = request.partition("?")
    found = client.simulate_get(route, query_string=query).json
    without = client.simulate_get(route, query_string=query.replace("&cross_lang=1", "")).json
    assert without["total"] == 0
    assert found["total"] >= 10
    assert {hit["lang"] for hit in found["hits"]} == {"sv"}
    assert all("<mark>konkurs" in hit["snippet"].lower() for hit in found["hits"][:3])
    # Both ways: the Swedish word finds the Finnish records too.
    finnish = client.simulate_get("/search", query_string="q=konkursbo&lang=fi&cross_lang=1").json
    assert finnish["total"] >= 10 and "<mark>konkurssi" in finnish["hits"][0]["snippet"].lower()


@pytest.mark.slow
def test_the_query_s_own_results_rank_first(shipped_index):
    client = testing.TestClient(create_app(Settings(index_dir=shipped_index)))
    for q, other in (("konkurssipesä", "sv"), ("konkursbo", "fi")):
        own = _ids(client, q=q)
        widened = _ids(client, q=q, cross_lang="1")
        assert 10 <= len(own) < len(widened) <= 100, q
        assert set(widened[: len(own)]) == set(own), q
        languages = {client.simulate_get(f"/documents/{doc}").json["language"]
                     for doc in widened[len(own) :]}
        assert other in languages, q


# --- updates ----------------------------------------------------------------------------------


def _changed(corpus: Path, pick, change) -> None:
    """Change the first record of the corpus that ``pick`` accepts."""
    path = corpus / "records" / "records.jsonl"
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    record = next(r for r in records if pick(r))
    change(record)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def test_an_update_carries_the_lexicon_over_while_the_twin_pairs_drift_little(published_copy):
    corpus, index_dir = published_copy
    base = current_generation(index_dir)
    pairs, _, drift = read_twins_header(base)
    assert drift == 0 and pairs * MAX_DRIFT == 2  # one changed pair (2 records) may drift
    # A line no learning gives: a generation that has it copied its lexicon.
    with open(base / TRANSLATIONS_FILE, "a", encoding="utf-8") as handle:
        handle.write("fi\tzzzz\tsv\tzzzz\t0.5000\n")
    learned = (base / TRANSLATIONS_FILE).read_text(encoding="utf-8").split("\n", 1)[1]
    _changed(corpus, lambda r: r["id"].startswith("helsinki"),
             lambda r: r.update(title=r["title"] + " (korjattu)"))
    first = update([corpus], index_dir)
    assert first.published and first.changes["changed"] == 1
    assert read_twins_header(first.path) == read_twins_header(base)
    assert (first.path / TRANSLATIONS_FILE).read_text(encoding="utf-8").endswith(learned)
    # A copy: writing the next generation's never touches this one's.
    assert (first.path / TRANSLATIONS_FILE).stat().st_ino != (base / TRANSLATIONS_FILE).stat(
        ).st_ino

    def a_swedish_twin_unchanged(record: dict[str, Any]) -> bool:
        return bool(record.get("parallel_id")) and record["language"] == "sv" and not (
            record["body"].startswith("Skatten hade betalats."))

    def add_a_sentence(record: dict[str, Any]) -> None:
        record.update(body="Skatten hade betalats.\n\n" + record["body"])

    _changed(corpus, a_swedish_twin_unchanged, add_a_sentence)
    second = update([corpus], index_dir)
    assert second.published and second.changes["changed"] == 1
    # Carried over; the old and the new text of the changed pair count as its drift.
    assert read_twins_header(second.path)[2] == 2
    assert read_twins_digest(second.path) != read_twins_digest(first.path)
    assert "zzzz" in read_translations(second.path)["fi"]

    _changed(corpus, a_swedish_twin_unchanged, add_a_sentence)
    third = update([corpus], index_dir)
    assert third.published and third.changes["changed"] == 1
    assert read_twins_header(third.path)[2] == 0  # past MAX_DRIFT: learned again
    assert "zzzz" not in read_translations(third.path)["fi"]
    assert "zzzz" in read_translations(second.path)["fi"]  # kept for rollback, untouched


def test_the_lexicon_is_learned_from_a_bounded_sample_of_pairs_chosen_by_id(
    small_index, monkeypatch
):
    """Past ``MAX_LEARNING_PAIRS`` pairs, the same pairs whatever order they come in: those
    whose Finnish ids hash lowest."""
    import hashlib

    from indexer import translations

    monkeypatch.setattr(translations, "MAX_LEARNING_PAIRS", 5)
    with whoosh_index.open_dir(str(current_generation(small_index))).reader() as reader:
        pairs = list(translations.twin_pairs(reader))
        assert len(pairs) == 20
        ids = list(reader.column_reader("id"))
        chosen = sorted(pairs, key=lambda p: hashlib.sha1(ids[p[0]].encode()).digest())[:5]
        by_hand = translations.learn([
            unit for fi, sv in chosen for unit in aligned_units(
                stored_text_in(reader.stored_fields(fi), "fi"),
                stored_text_in(reader.stored_fields(sv), "sv"))])
        assert translations.translations_of(reader, pairs) == by_hand
        assert translations.translations_of(reader, pairs[::-1]) == by_hand
        assert by_hand != translations.translations_of(reader, pairs[:5])
