"""Related records (``GET /documents/{id}/related``, ``searchsvc.related``) through the real app
over the small index: 20 Swedish court decisions with their Finnish twins, 20 other Finnish
ones, Helsinki agenda items, UK written answers and the seed pages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from falcon import testing

from searchsvc import limits, related
from searchsvc.permalinks import document_path


def related_of(client: testing.TestClient, doc_id: str, **params: str) -> testing.Result:
    return client.simulate_get(document_path(doc_id) + "/related", params=params)


@pytest.fixture(scope="module")
def languages(snapshot) -> dict[str, str]:
    """Record id -> its language."""
    reader = snapshot.searcher.reader()
    return {fields["id"]: fields.get("language") for _, fields in reader.iter_docs()}


@pytest.fixture(scope="module")
def twinned(snapshot) -> tuple[str, str]:
    """(Finnish court decision, its Swedish twin) with the most related Swedish records."""
    twins = snapshot.bridge().twins
    pairs = []
    for docnum in np.flatnonzero(twins >= 0).tolist():
        stored = snapshot.stored(docnum)
        if stored.get("language") == "fi":
            pairs.append((stored["id"], snapshot.stored(int(twins[docnum]))["id"]))
    assert len(pairs) >= 10
    return sorted(pairs)[0]


def test_related_records_are_like_the_record_and_never_the_record(client, small_corpus_ids,
                                                                  languages):
    checked = 0
    for doc_id in small_corpus_ids:
        if doc_id.startswith("seed:"):
            continue
        answer = related_of(client, doc_id, size="10")
        assert answer.status_code == 200
        body = answer.json
        hits = [hit["id"] for hit in body["hits"]]
        assert doc_id not in hits
        assert len(hits) == len(set(hits)) <= 10
        assert body["id"] == doc_id and body["via"] == "record" and body["note"] is None
        assert body["lang"] == languages[doc_id]
        assert all(languages[hit] == languages[doc_id] for hit in hits), doc_id
        scores = [hit["score"] for hit in body["hits"]]
        assert scores == sorted(scores, reverse=True)
        checked += bool(hits)
    assert checked > 100  # nearly every record has related records


def test_a_hit_is_shaped_as_a_search_hit_with_its_permalink(client):
    doc_id = "xss-1"
    body = related_of(client, doc_id, ui="fi").json
    search_hit = client.simulate_get("/search", params={"q": "omaishoidon", "ui": "fi"}).json[
        "hits"][0]
    assert body["hits"]
    for hit in body["hits"]:
        assert set(hit) == (set(search_hit) - {"snippet"}) | {"permalink"}
        assert hit["permalink"] == "http://falconframework.org" + document_path(hit["id"])
        assert hit["type"] is None or set(hit["type"]) == {"key", "label"}


def test_the_most_alike_come_first(client, snapshot):
    """A Helsinki agenda item's closest records share its distinctive words."""
    ids = [f["id"] for _, f in snapshot.searcher.reader().iter_docs()
           if f["id"].startswith("helsinki:")]
    doc_id = ids[0]
    docnum = snapshot.docnum(doc_id)
    terms = {key for key, _ in related.distinctive_terms(snapshot, docnum, "fi")}
    assert 0 < len(terms) <= related.TOP_TERMS
    first = related_of(client, doc_id).json["hits"][0]["id"]
    other = snapshot.docnum(first)
    shared = terms & {key for key, _ in related.distinctive_terms(snapshot, other, "fi")}
    assert shared


def test_lang_sv_of_a_finnish_court_decision_goes_through_its_twin(client, twinned, languages):
    finnish, swedish = twinned
    across = related_of(client, finnish, lang="sv").json
    assert across["via"] == "twin" and across["lang"] == "sv"
    hits = [hit["id"] for hit in across["hits"]]
    assert hits and all(languages[hit] == "sv" for hit in hits)
    assert swedish not in hits and finnish not in hits
    # The twin's own neighbours, in the same order.
    twin_own = related_of(client, swedish).json
    assert hits == [hit["id"] for hit in twin_own["hits"]]
    # And back: the Swedish decision's Finnish related records are its twin's.
    back = related_of(client, swedish, lang="fi").json
    assert back["via"] == "twin"
    assert [hit["id"] for hit in back["hits"]] == [
        hit["id"] for hit in related_of(client, finnish).json["hits"]]


def test_lang_without_a_twin_goes_through_the_translations(client, small_corpus_ids, snapshot,
                                                           languages):
    twins = snapshot.bridge().twins
    doc_id = next(i for i in small_corpus_ids if i.startswith("helsinki:")
                  and twins[snapshot.docnum(i)] < 0 and languages[i] == "fi")
    body = related_of(client, doc_id, lang="sv").json
    assert body["via"] == "translations" and body["lang"] == "sv"
    assert body["hits"] and all(languages[hit["id"]] == "sv" for hit in body["hits"])


def test_no_way_to_another_language_is_an_empty_list_with_a_note(client, small_corpus_ids):
    doc_id = next(i for i in small_corpus_ids if i.startswith("ukparl:"))
    for lang in ("fi", "sv"):
        body = related_of(client, doc_id, lang=lang).json
        assert body["hits"] == [] and body["via"] is None
        assert body["note"].startswith(f"The record has no twin in {lang}")
    assert related_of(client, doc_id, lang="en").json["via"] == "record"


def test_an_unknown_id_is_a_404_problem(client):
    answer = related_of(client, "no-such-id")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "no-such-id" in answer.json["description"]


@pytest.mark.parametrize(("params", "named"), [
    ({"size": str(limits.MAX_RELATED + 1)}, "size"), ({"size": "-1"}, "size"),
    ({"size": "ten"}, "size"), ({"lang": "de"}, "lang"), ({"ui": "xx"}, "ui"),
    ({"q": "x"}, "q"),
])
def test_bad_parameters_are_400s_naming_them(client, params: dict[str, Any], named):
    answer = related_of(client, "xss-1", **params)
    assert answer.status_code == 400
    assert f'"{named}"' in answer.json["description"]


def test_size_bounds_the_list(client):
    assert related_of(client, "xss-1", size="0").json["hits"] == []
    assert len(related_of(client, "xss-1", size="2").json["hits"]) == 2
    assert len(related_of(client, "xss-1").json["hits"]) == limits.DEFAULT_RELATED
    big = related_of(client, "xss-1", size=str(limits.MAX_RELATED)).json["hits"]
    assert limits.DEFAULT_RELATED < len(big) <= limits.MAX_RELATED


def test_labels_follow_ui_and_the_answer_is_cached_per_generation(client, small_index):
    fi = related_of(client, "xss-1", ui="fi")
    en = related_of(client, "xss-1", ui="en")
    assert [h["id"] for h in fi.json["hits"]] == [h["id"] for h in en.json["hits"]]
    assert any(a["type"] != b["type"] for a, b in zip(fi.json["hits"], en.json["hits"],
                                                      strict=True))
    generation = (small_index / "CURRENT").read_text().strip()
    assert fi.headers["etag"] == f'"{generation}"'
    again = client.simulate_get(document_path("xss-1") + "/related", params={"ui": "fi"},
                                headers={"If-None-Match": fi.headers["etag"]})
    assert again.status_code == 304


def test_the_documented_limits_are_the_limits(root):
    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    section = text[text.index("## `GET /documents/{id}/related`"):]
    assert (f"| `size` | related records, at most (0–{limits.MAX_RELATED}, default "
            f"{limits.DEFAULT_RELATED}) |") in section
    assert f"the {related.TOP_TERMS} index keys" in section
    assert f"the first {related.MAX_TEXT:,} characters" in section
    assert (f"a word in more than {related.COMMON_SHARE:.0%} of the records, and at least "
            f"{related.COMMON_MINIMUM}, left out") in section


def test_keys_in_too_many_records_are_left_out(snapshot, monkeypatch):
    reader = snapshot.searcher.reader()
    docnum = snapshot.docnum("xss-1")

    def frequencies() -> list[int]:
        return [reader.doc_frequency("body_fi", key) or reader.doc_frequency("title_fi", key)
                for key, _ in related.distinctive_terms(snapshot, docnum, "fi")]

    limit = related.COMMON_SHARE * snapshot.documents
    assert max(frequencies()) > limit  # on the small index the minimum keeps them all
    monkeypatch.setattr(related, "COMMON_MINIMUM", 1)
    assert frequencies() and max(frequencies()) <= limit
