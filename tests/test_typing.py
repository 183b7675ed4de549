"""Input as people type it, over the shipped corpus through the real app: words typed without
ä, ö and å, did-you-mean and completions in the language of what was typed, and no
abbreviations offered as words."""

from __future__ import annotations

from pathlib import Path

import pytest
from falcon import testing

from searchsvc.app import create_app
from searchsvc.engine import Engine, Snapshot
from searchsvc.query import compile_query
from searchsvc.settings import Settings
from searchsvc.words import abbreviation, respell


@pytest.fixture(scope="module")
def app(shipped_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=shipped_index)))


@pytest.fixture(scope="module")
def shipped_snapshot(shipped_index: Path) -> Snapshot:
    return Engine(shipped_index, check_interval=0.0).snapshot()


def answer(app: testing.TestClient, q: str, page: int = 1) -> dict:
    result = app.simulate_get(
        "/search", params={"q": q, "size": "100", "page": str(page), "facets": ""})
    assert result.status_code == 200, result.text
    return result.json


def ids(app: testing.TestClient, q: str) -> list[str]:
    """Ids of every hit, best first (all pages)."""
    found: list[str] = []
    page = 1
    while True:
        body = answer(app, q, page)
        found += [hit["id"] for hit in body["hits"]]
        if len(found) >= body["total"]:
            return found
        page += 1


def text(app: testing.TestClient, doc_id: str) -> str:
    document = app.simulate_get(f"/documents/{doc_id}").json
    return (document["title"] + "\n" + document["body"]).lower()


# --- words typed without ä, ö and å -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("paatoksenteon", "päätöksenteon"),  # Finnish, a form the records write
        ("forvaltningsdomstolen", "förvaltningsdomstolen"),  # Swedish, a compound written so
        ("hemtjanst", "hemtjänst"),  # a compound no record writes whole: the dictionary's
        ("hemtjanstens", "hemtjänstens"),
        ("perhe-elaman", "perhe-elämän"),  # a hyphenated word, piece by piece
        ("paatoksenteon kaupungin", "päätöksenteon kaupungin"),
    ],
)
def test_a_word_typed_without_umlauts_finds_the_word(app, typed, written):
    found = ids(app, written)
    assert found, written
    assert sorted(ids(app, typed)) == sorted(found)


def test_a_word_typed_without_umlauts_finds_the_word_in_date_order_too(app):
    def newest(q: str) -> list[str]:
        body = app.simulate_get("/search", params={"q": q, "sort": "newest", "facets": ""}).json
        return [hit["id"] for hit in body["hits"]] + [str(body["total"])]

    assert newest("kaupungin paatoksenteon") == newest("kaupungin päätöksenteon")


def test_the_exact_spelling_ranks_first(app):
    """Two records write "kayttaminen" as typed; many more "käyttäminen": all are found, the
    two first."""
    exact = {d for d in ids(app, "kayttaminen") if "kayttaminen" in text(app, d)}
    assert len(exact) == 2
    found = ids(app, "kayttaminen")
    assert set(found[:2]) == exact
    assert set(found) == exact | set(ids(app, "käyttäminen"))


def test_a_restored_word_counts_as_the_word_for_ranking(app):
    """The word restored is held like the word typed: "paatoksenteon" with another word
    ranks as "päätöksenteon" does."""
    assert ids(app, "kaupungin paatoksenteon") == ids(app, "kaupungin päätöksenteon")


@pytest.mark.parametrize(
    "q",
    [
        "päätös",  # typed with its letters
        "pain",  # English records write it: not Finnish "päin"
        '"paatoksenteon"',  # a phrase means what was typed
        "kaupungin -paatoksenteon",  # an excluded word too: it excludes "paatoksenteon" only
        "metrosilta",  # a compound the dictionary knows as typed (not "metro" + "siltä")
    ],
)
def test_what_is_not_restored(app, shipped_snapshot, q):
    from searchsvc.folding import restore

    query = compile_query(q)
    assert restore(query, shipped_snapshot) is query


def test_a_word_no_record_holds_is_restored_as_the_dictionary_lists_it(shipped_snapshot):
    from searchsvc.folding import restore

    restored = restore(compile_query("aldreomsorg"), shipped_snapshot)
    terms = {term for terms in restored.highlight_terms().values() for term in terms}
    assert "äldreomsorg" in terms
    assert not [t for t in terms if t.startswith("åldr")]  # "ålder" + "omsorg", not a word


def test_an_excluded_word_typed_without_umlauts_excludes_only_that_spelling(app):
    assert sorted(ids(app, "kaupungin -paatoksenteon")) == sorted(ids(app, "kaupungin"))
    assert ids(app, '"paatoksenteon"') == []


# --- did you mean --------------------------------------------------------------------------------


def test_did_you_mean_restores_the_letters_or_says_nothing(app, shipped_snapshot):
    lists = shipped_snapshot.word_lists()
    assert respell(compile_query("paatos"), lists) == "päätös"
    assert respell(compile_query("kaupungin paatos"), lists) == "kaupungin päätös"
    # The word now finds its records, so there is no better query to offer.
    body = answer(app, "paatoksenteon")
    assert body["total"] > 0 and body["did_you_mean"] is None


@pytest.mark.parametrize(
    ("q", "meant"),
    [
        # The nearest words overall are English "plan" and "time", and Finnish "lain".
        ("kaupungin tlan", "kaupungin tilan"),
        ("kaupungin vime", "kaupungin viime"),
        ("kommunen lagn", "kommunen lagen"),
    ],
)
def test_did_you_mean_stays_in_the_language_of_what_was_typed(app, q, meant):
    assert answer(app, q)["did_you_mean"] == meant


def test_did_you_mean_offers_no_abbreviation(shipped_snapshot):
    lists = shipped_snapshot.word_lists()
    # "nro" (numero) is one letter away and more frequent, but an abbreviation.
    assert lists["fi"].lookup["nro"] > lists["fi"].lookup["ero"] + lists["sv"].lookup["nio"]
    assert respell(compile_query("xro"), lists) == "ero"
    assert respell(compile_query("nxo"), lists) == "nio"


# --- /suggest ------------------------------------------------------------------------------------


def suggestions(app: testing.TestClient, q: str, **params: str) -> list[dict]:
    result = app.simulate_get("/suggest", params={"q": q, "titles": "0", **params})
    assert result.status_code == 200, result.text
    return result.json["suggestions"]


def test_suggest_completes_in_the_language_of_the_earlier_words(app):
    found = suggestions(app, "omaishoidon t")
    assert found and all(s["lang"] == "fi" for s in found)
    assert found[0]["text"] == "omaishoidon tavalla"
    # English "tabled" (more frequent than any Finnish t-word) still comes after an English
    # word, and without one.
    assert suggestions(app, "questions t")[0]["word"] == "tabled"
    assert suggestions(app, "t")[0]["word"] == "tabled"


def test_suggest_reads_the_earlier_words_typed_without_umlauts(app):
    found = suggestions(app, "forvaltningsdomstolen t")
    assert found and all(s["lang"] == "sv" for s in found)


@pytest.mark.parametrize(
    ("typed", "abbreviations"),
    [
        ("esim", {"esim"}),
        ("kl", {"klo"}),
        ("nr", {"nro"}),
        ("milj", {"milj"}),
        ("jf", {"jfr"}),
        ("nh", {"nhs"}),
    ],
)
def test_suggest_offers_no_abbreviations(app, shipped_snapshot, typed, abbreviations):
    lists = shipped_snapshot.word_lists()
    assert all(any(a in words.lookup for words in lists.values()) for a in abbreviations)
    words = {s["word"] for s in suggestions(app, typed)}
    assert not words & abbreviations


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("kpl", "fi", True),  # no vowel
        ("nhs", "en", True),
        ("https", "en", True),
        ("esim", "fi", True),  # the dictionary lists "esim."
        ("milj", "fi", True),
        ("resp", "sv", True),  # "resp." -> respektive
        ("klo", "fi", True),  # spelled out: kello
        ("nro", "fi", True),
        ("kko", "fi", True),  # three letters no dictionary entry knows
        ("auto", "fi", False),  # "auto." is listed too, but so is the word
        ("ota", "fi", False),  # a form of "ottaa", not an abbreviation of it
        ("saa", "fi", False),
        ("edellytä", "fi", False),
        ("lasten", "fi", False),
        ("ska", "sv", False),
        ("hon", "en", False),  # English has no dictionary here: only the vowel rule
        ("care", "en", False),
    ],
)
def test_what_counts_as_an_abbreviation(word, language, expected):
    assert abbreviation(word, language) is expected


def test_the_figures_docs_api_states_are_the_code(root):
    from searchsvc.folding import MAX_RESTORED, RATIO
    from searchsvc.search import FEW_HITS
    from searchsvc.words import SHORT_UNKNOWN

    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    stated = [
        f"the records hold at least {RATIO} times as often as the spelling typed "
        f"(at most {MAX_RESTORED})",
        f"when fewer than {FEW_HITS} records hold every word of the query",
        f"when it has {['', 'one', 'two', 'three'][SHORT_UNKNOWN]} letters no Finnish",
    ]
    assert [s for s in stated if s not in text] == []


def test_the_record_s_page_marks_the_restored_word(app):
    doc_id = ids(app, "paatoksenteon")[0]
    page = app.simulate_get(f"/documents/{doc_id}", params={"q": "paatoksenteon"},
                            headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<mark>päätöksenteon</mark>" in page.text.lower()
