"""The real Falcon app over the small index (falcon.testing)."""

from __future__ import annotations

import json
from pathlib import Path

import falcon
import falcon.inspect
import pytest
from falcon import testing
from openapi_spec_validator import validate

from searchsvc import limits
from searchsvc.app import create_app
from searchsvc.settings import Settings


def problem(result: testing.Result, status: int) -> dict:
    assert result.status_code == status, result.text
    assert result.headers["content-type"].startswith("application/problem+json")
    assert set(result.json) == {"title", "description"}
    assert "Traceback" not in result.text
    return result.json


def test_health_reports_the_published_generation(client, small_index):
    result = client.simulate_get("/health")
    assert result.status_code == 200
    assert result.json["status"] == "ok"
    assert result.json["generation"] == (small_index / "CURRENT").read_text().strip()
    assert result.json["documents"] > 100


def test_no_index_is_a_clear_503(tmp_path):
    app = create_app(Settings(index_dir=tmp_path / "nothing"))
    client = testing.TestClient(app)
    health = client.simulate_get("/health")
    assert health.status_code == 503 and health.json["status"] == "unavailable"
    body = problem(client.simulate_get("/search", params={"q": "tuki"}), 503)
    assert "searchsvc-index rebuild" in body["description"]


def test_search_finds_inflected_finnish_and_gives_facets(client):
    result = client.simulate_get("/search", params={"q": "omaishoidon tuki"})
    assert result.status_code == 200
    body = result.json
    assert body["total"] >= 1 and body["hits"]
    assert "xss-1" in [hit["id"] for hit in body["hits"]]
    assert set(body["facets"]) == {"year", "lang", "division", "type", "org"}
    assert body["took_ms"] >= 0


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"size": "500"}, "size"),
        ({"size": "-1"}, "size"),
        ({"size": ""}, "size"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "2000", "size": "10"}, "page"),
        ({"year": "abc"}, "year"),
        ({"year_from": "x"}, "year_from"),
        ({"lang": "de"}, "lang"),
        ({"facets": "colour"}, "facets"),
        ({"ui": "de"}, "ui"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 600}, "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, params, named):
    body = problem(client.simulate_get("/search", params=params), 400)
    assert f'"{named}"' in body["description"]


def test_the_documented_error_is_what_size_500_answers(client, root):
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    errors = text[text.index("## Errors") :]
    example = errors[errors.index("```json") + len("```json") : errors.index("```\n\n")]
    assert problem(client.simulate_get("/search", params={"size": "500"}), 400) == json.loads(
        example
    )


def test_unknown_route_and_document_are_404(client):
    problem(client.simulate_get("/nowhere"), 404)
    body = problem(client.simulate_get("/documents/no-such-id"), 404)
    assert "no-such-id" in body["description"]


def test_script_in_query_and_records_never_comes_back_unescaped(client):
    for q in ("<script>alert(1)</script>", "kokous", "kaupunginhallitus"):
        result = client.simulate_get("/search", params={"q": q})
        assert result.status_code == 200
        for hit in result.json["hits"]:
            assert "<script>" not in hit["snippet"]
    found = client.simulate_get("/search", params={"q": "kaupunginhallitus päätti omaishoidon"})
    snippets = {hit["id"]: hit["snippet"] for hit in found.json["hits"]}
    assert "&lt;script&gt;" in snippets["xss-1"] and "<mark>" in snippets["xss-1"]


def test_disjunctive_facet_counts_match_filtered_totals(client):
    base = client.simulate_get("/search", params={"q": "", "lang": "fi"}).json
    languages = {item["value"]: item["count"] for item in base["facets"]["lang"]}
    assert set(languages) >= {"fi", "sv", "en"}  # lang=fi does not hide the other languages
    for value, count in languages.items():
        alone = client.simulate_get("/search", params={"lang": value, "facets": ""}).json
        assert alone["total"] == count
    types = {item["value"]: item["count"] for item in base["facets"]["type"]}
    for value, count in types.items():
        both = client.simulate_get("/search", params={"lang": "fi", "type": value}).json
        assert both["total"] == count


def test_labels_follow_ui_and_accept_language(client):
    fi = client.simulate_get("/facets", params={"ui": "fi"}).json["facets"]["type"]
    sv = client.simulate_get("/facets", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).json
    en = client.simulate_get("/facets").json["facets"]["type"]
    labels = {item["value"]: item["label"] for item in fi}
    assert labels["court_decision"] != {i["value"]: i["label"] for i in en}["court_decision"]
    assert {i["value"]: i["label"] for i in sv["facets"]["type"]}["court_decision"] not in (
        labels["court_decision"],
        {i["value"]: i["label"] for i in en}["court_decision"],
    )


def test_document_links_its_translation(client):
    hits = client.simulate_get("/search", params={"lang": "sv", "type": "court_decision",
                                                  "size": "1"}).json["hits"]
    document = client.simulate_get(f"/documents/{hits[0]['id']}").json
    assert document["id"] == hits[0]["id"]
    twins = [link["id"] for link in document["translations"]]
    assert twins and twins[0].endswith(":fi")
    back = client.simulate_get(f"/documents/{twins[0]}").json
    assert hits[0]["id"] in [link["id"] for link in back["translations"]]


def test_suggest_completes_the_last_word(client):
    result = client.simulate_get("/suggest", params={"q": "kaupunginhal", "lang": "fi"})
    assert result.status_code == 200
    words = [s["word"] for s in result.json["suggestions"]]
    assert words and all(w.startswith("kaupunginhal") for w in words)
    assert all(t["text"].lower().startswith("kaupunginhal") for t in result.json["titles"])


def test_suggest_completes_titles(client):
    result = client.simulate_get("/suggest", params={"q": "kokous <scr", "titles": 2})
    assert result.status_code == 200
    # Plain text, as written: a page inserts it as text, not as HTML.
    assert result.json["titles"] == [
        {"text": "Kokous <script>alert(1)</script>", "lang": "fi", "count": 1, "id": "xss-1"}
    ]
    assert client.simulate_get("/suggest", params={"q": "kokous", "titles": 0}).json[
        "titles"
    ] == []
    assert client.simulate_get("/suggest", params={"q": "x", "titles": 11}).status_code == 400


def test_analyze_shows_keys_and_parts(client):
    result = client.simulate_get("/analyze", params={"lang": "fi",
                                                     "text": "tarkastuslautakunnan"})
    assert result.status_code == 200
    (token,) = result.json["tokens"]
    assert "lautakun" in token["parts"]
    problem(client.simulate_get("/analyze", params={"lang": "de", "text": "x"}), 400)
    problem(client.simulate_get("/analyze", params={"lang": "fi"}), 400)


def test_analyze_needs_no_index(tmp_path):
    client = testing.TestClient(create_app(Settings(index_dir=tmp_path / "nothing")))
    assert client.simulate_get("/health").status_code == 503
    result = client.simulate_get("/analyze", params={"lang": "sv", "text": "Anhörigstödet"})
    assert result.status_code == 200, result.text
    assert [token["token"] for token in result.json["tokens"]] == ["anhörigstödet"]


def test_etag_follows_the_generation(client, small_index):
    first = client.simulate_get("/search", params={"q": "tuki"})
    generation = (small_index / "CURRENT").read_text().strip()
    assert first.headers["etag"] == f'"{generation}"'
    assert "max-age=" in first.headers["cache-control"]
    again = client.simulate_get("/search", params={"q": "tuki"},
                                headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_cors_for_configured_origins_only(client):
    allowed = client.simulate_get("/health", headers={"Origin": "https://www.hel.fi"})
    assert allowed.headers.get("access-control-allow-origin") == "https://www.hel.fi"
    other = client.simulate_get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_a_page_of_an_allowed_origin_may_read_an_export_s_counts(client):
    """Fetched from a city's page, an export's counts and a search's feed link are readable."""
    answer = client.simulate_get("/search", query_string="q=tuki&format=csv",
                                 headers={"Origin": "https://www.hel.fi"})
    exposed = answer.headers["access-control-expose-headers"].lower().replace(" ", "").split(",")
    assert {"x-total-count", "x-export-count", "x-export-capped", "link"} <= set(exposed)


def test_openapi_document_is_valid_and_lists_every_route(client):
    document = client.simulate_get("/openapi.json").json
    validate(document)
    app = create_app(Settings(index_dir=Path("unused")))
    routes = {route.path: {m.method.lower() for m in route.methods if not m.internal}
              for route in falcon.inspect.inspect_routes(app)}
    assert routes == {path: set(item) for path, item in document["paths"].items()}
    assert set(routes["/health/live"]) == {"get", "head"}


def test_the_limits_docs_api_states_are_the_limits(root):
    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    stated = [
        f"size {limits.MIN_SIZE}–{limits.MAX_SIZE} (default {limits.DEFAULT_SIZE};",
        f"`page × size` at most {limits.MAX_RESULTS_DEPTH:,}",
        f"a query over {limits.MAX_QUERY_LENGTH} characters",
        f"{limits.MAX_QUERY_LENGTH} characters, {limits.MAX_CLAUSES} words or operators",
        f"at most {limits.MAX_EXPANDING} prefix or fuzzy words",
        f"at most {limits.MAX_EXPANSIONS} indexed terms",
        f"`size` (0–{limits.MAX_SUGGESTIONS}, default {limits.MAX_SUGGESTIONS})",
        f"`titles` (0–{limits.MAX_TITLES}, default {limits.DEFAULT_TITLES})",
        f"from {limits.MIN_TITLE_PREFIX} characters on",
    ]
    assert [s for s in stated if s not in text] == []
