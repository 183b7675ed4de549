"""Query-string parameters: one set of rules for every route (the real app, small index)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from falcon import testing

from indexer.contract import YEAR_MAX, YEAR_MIN
from searchsvc.app import create_app
from searchsvc.settings import Settings

ROUTE_PARAMETERS = {
    "/search": "q, lang, year, year_from, year_to, division, type, org, sort, page, size, "
    "facets, ui, cross_lang, format, delimiter, histogram",
    "/suggest": "q, lang, size, titles",
    "/documents/xss-1": "q, ui, format",
    "/documents/xss-1/related": "size, lang, ui",
    "/facets": "ui",
    "/feed": "q, lang, year, year_from, year_to, division, type, org, size, ui, cross_lang",
    "/analyze": "lang, text",
}


def get(client: testing.TestClient, path: str, **headers: str) -> testing.Result:
    """GET of a path with its query string exactly as written."""
    route, _, query = path.partition("?")
    return client.simulate_get(route, query_string=query, headers=headers or None)


def bad(client: testing.TestClient, path: str) -> str:
    """The description of the 400 answering ``path``."""
    result = get(client, path)
    assert result.status_code == 400, result.text
    assert result.headers["content-type"].startswith("application/problem+json")
    description: str = result.json["description"]
    return description


def documented_examples(root: Path) -> list[tuple[str, int, dict]]:
    """(request, status, body) of each example in docs/api.md's Parameters section."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## Parameters") : text.index("## Errors")]
    (block,) = re.findall(r"```http\n(.*?)```", section, re.S)
    examples = []
    for request, answer in re.findall(r"^GET (\S+)\n(\d{3} .*)$", block, re.M):
        status, _, body = answer.partition(" ")
        examples.append((request, int(status), json.loads(body)))
    return examples


def test_every_documented_parameter_example_answers_as_written(client, root):
    examples = documented_examples(root)
    assert len(examples) == 6
    for request, status, body in examples:
        result = get(client, request)
        assert (result.status_code, result.json) == (status, body), request


@pytest.mark.parametrize("path", list(ROUTE_PARAMETERS))
def test_unknown_parameters_are_400s_listing_the_route_s_parameters(client, path):
    joiner = "&" if "?" in path else "?"
    description = bad(client, path + joiner + "colour=red")
    assert '"colour"' in description
    assert description.endswith(f"are {ROUTE_PARAMETERS[path]}.")


def test_an_unknown_parameter_names_the_one_probably_meant(client):
    description = bad(client, "/suggest?q=ko&titels=2")
    assert 'Unknown parameter "titels" (did you mean "titles"?).' in description
    assert "did you mean" not in bad(client, "/search?zzz=1")


@pytest.mark.parametrize("parameter", ["_", "callback", "utm_source"])
def test_cache_busters_and_trackers_are_unknown_too(client, parameter):
    assert f'"{parameter}"' in bad(client, f"/search?q=tuki&{parameter}=1")


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready", "/metrics",
                                  "/openapi.json"])
def test_routes_without_parameters_ignore_a_query_string(client, path):
    assert get(client, path + "?probe=1&_=2").status_code == 200


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/search?type=Decision", "type"),
        ("/search?division=foo", "division"),
        ("/search?org=helsinki", "org"),
        ("/search?type=decision,Decision", "type"),
    ],
)
def test_unknown_filter_values_are_400s_listing_the_keys(client, snapshot, path, named):
    description = bad(client, path)
    assert description.startswith(f'The "{named}" parameter is invalid.')
    column = {"type": "doc_type", "division": "division", "org": "organization"}[named]
    keys = snapshot.columns.known[column]
    assert ", ".join(keys) in description
    assert "uk_treasury" in snapshot.columns.known["division"]  # the vocabulary's keys


def test_a_vocabulary_key_without_records_is_a_filter_finding_nothing(client, snapshot):
    unused = set(snapshot.columns.known["doc_type"]) - set(snapshot.columns.keys["doc_type"])
    assert unused, "the small corpus should leave some document type of the vocabulary unused"
    result = get(client, f"/search?type={min(unused)}")
    assert result.status_code == 200 and result.json["total"] == 0


def test_a_close_filter_value_is_suggested(client):
    assert bad(client, "/search?org=helsinki").endswith("Did you mean 'city_of_helsinki'?")


@pytest.mark.parametrize(
    "query", ["year=-5", "year=0", f"year={YEAR_MAX + 1}", "year=2021,99999",
              f"year_from={YEAR_MIN - 1}", "year_to=0"],
)
def test_years_outside_the_index_s_range_are_400s(client, query):
    name = query.partition("=")[0]
    description = bad(client, f"/search?{query}")
    assert description.startswith(f'The "{name}" parameter is invalid.')
    assert str(YEAR_MIN) in description or str(YEAR_MAX) in description


def test_a_year_range_backwards_names_both_ends(client):
    description = bad(client, "/search?year_from=2022&year_to=2000")
    assert '"year_from" and "year_to"' in description
    assert get(client, "/search?year_from=2002&year_to=2002").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/search?q=a&q=b", "/search?size=5&size=5", "/search?page=1&page=2",
     "/search?sort=newest&sort=oldest", "/search?ui=fi&ui=sv", "/search?year_from=1&year_from=2",
     "/suggest?q=ko&q=kok", "/suggest?titles=1&titles=2", "/facets?ui=fi&ui=fi",
     "/analyze?text=x&lang=fi&lang=sv", "/analyze?lang=fi&text=a&text=b"],
)
def test_a_single_value_parameter_given_twice_is_a_400(client, path):
    name = path.rpartition("&")[2].partition("=")[0]
    description = bad(client, path)
    assert description == (f'The "{name}" parameter is invalid. It takes one value, and was '
                           "given 2 times.")


def test_list_parameters_combine_repeats_and_commas(client):
    def total(query: str) -> int:
        result = get(client, "/search?facets=&" + query)
        assert result.status_code == 200, result.text
        count: int = result.json["total"]
        return count

    both = total("lang=fi,sv")
    assert both == total("lang=fi&lang=sv") == total("lang=fi&lang=fi,sv")
    assert both == total("lang=fi&lang=sv") == total("lang=sv, fi&lang=")
    assert total("lang=fi") < both
    assert total("lang=") == total("q=") == total("facets=") > both  # no filter, empty query
    assert total("year=2002&year=2021,2023") == total("year=2002,2021,2023") > total("year=2002")
    assert total("type=court_decision&type=answer,agenda_item") == total(
        "type=court_decision,answer,agenda_item")
    facets = get(client, "/search?facets=lang&facets=type,lang").json["facets"]
    assert list(facets) == ["lang", "type"]
    assert get(client, "/search?facets=").json["facets"] == {}


def test_size_0_gives_counts_and_facets_only(client):
    result = get(client, "/search?q=tuki&size=0")
    assert result.status_code == 200, result.text
    body = result.json
    assert body["hits"] == [] and body["size"] == 0
    assert body["total"] == get(client, "/search?q=tuki").json["total"] > 0
    assert sum(item["count"] for item in body["facets"]["lang"]) == body["total"]
    assert get(client, "/suggest?q=kokous&size=0").json["suggestions"] == []


def test_analyze_takes_one_language(client):
    assert "'fi,sv' is not one of fi, sv, en." in bad(client, "/analyze?lang=fi,sv&text=x")


def test_every_declared_parameter_is_in_the_openapi_document(client):
    document = client.simulate_get("/openapi.json").json
    for path, expected in ROUTE_PARAMETERS.items():
        path = path.replace("xss-1", "{doc_id}")
        for method in ("get", "head"):
            stated = [p["name"] for p in document["paths"][path][method]["parameters"]
                      if p["in"] == "query"]
            assert ", ".join(stated) == expected, path
    size = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}["size"]
    assert size["schema"]["minimum"] == 0
    year = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}["year"]
    assert year["schema"]["items"] == {"type": "integer", "minimum": YEAR_MIN,
                                       "maximum": YEAR_MAX}


def test_a_bad_parameter_is_a_400_even_without_an_index(tmp_path):
    client = testing.TestClient(create_app(Settings(index_dir=tmp_path / "nothing")))
    assert get(client, "/search?yaer=2021").status_code == 400
    assert get(client, "/search?q=a&q=b").status_code == 400
    assert get(client, "/search?size=500").status_code == 400
    assert get(client, "/search?year_from=2022&year_to=2000").status_code == 400
    assert get(client, "/search?type=Decision").status_code == 503  # no keys to check against
    assert get(client, "/search?q=tuki").status_code == 503
