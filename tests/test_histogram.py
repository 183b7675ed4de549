"""Counts over time (``/search?histogram=year|month``) through the real app: the buckets add up
to the total, agree with the records one by one (read through an export), and with each other."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from falcon import testing

from searchsvc.app import create_app
from searchsvc.settings import Settings

SEARCHES = [
    {},
    {"q": "tarkastuslautakunta"},
    {"q": "kaupunki", "lang": "fi"},
    {"lang": "en", "year_from": "2020"},
    {"type": "court_decision", "year": "2001,2002,2021"},
    {"org": "city_of_helsinki", "division": "central_administration"},
    {"q": "konkurssipesä", "cross_lang": "1"},
    {"q": "zzzzqqq"},
]


@pytest.fixture(scope="module")
def sheet(spreadsheet_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=spreadsheet_index)))


def histogram(client: testing.TestClient, interval: str, **params: str) -> dict[str, Any]:
    result = client.simulate_get("/search", params={**params, "histogram": interval,
                                                    "size": "0", "facets": ""})
    assert result.status_code == 200, result.text
    body: dict[str, Any] = result.json
    assert body["histogram"]["interval"] == interval
    return body


def records(client: testing.TestClient, **params: str) -> list[dict[str, Any]]:
    """Every hit's record, read one by one from the stored fields (an export)."""
    text = client.simulate_get("/search", params={**params, "format": "jsonl"}).text
    return [json.loads(line) for line in text.splitlines()]


def counted(body: dict[str, Any]) -> Counter[str]:
    return Counter({b["key"]: b["count"] for b in body["histogram"]["buckets"] if b["count"]})


@pytest.mark.parametrize("params", SEARCHES, ids=str)
@pytest.mark.parametrize("interval", ["year", "month"])
def test_buckets_add_up_to_the_total(client, params, interval):
    body = histogram(client, interval, **params)
    buckets = body["histogram"]["buckets"]
    assert sum(b["count"] for b in buckets) + body["histogram"]["undated"] == body["total"]


@pytest.mark.parametrize("params", SEARCHES[:6], ids=str)
def test_buckets_are_the_records_counted_one_by_one(client, params):
    found = records(client, **params)
    years = histogram(client, "year", **params)["histogram"]
    months = histogram(client, "month", **params)["histogram"]
    assert counted({"histogram": years}) == Counter(str(r["year"]) for r in found if r["year"])
    assert years["undated"] == sum(1 for r in found if not r["year"])
    assert counted({"histogram": months}) == Counter(r["date"][:7] for r in found if r["date"])
    assert months["undated"] == sum(1 for r in found if not r["date"])


def test_buckets_run_without_gaps_oldest_first(client):
    years = histogram(client, "year")["histogram"]["buckets"]
    keys = [int(b["key"]) for b in years]
    assert keys == list(range(keys[0], keys[-1] + 1)) and years[0]["count"] and years[-1]["count"]
    months = histogram(client, "month")["histogram"]["buckets"]
    numbers = [int(b["key"][:4]) * 12 + int(b["key"][5:]) - 1 for b in months]
    assert numbers == list(range(numbers[0], numbers[-1] + 1))
    assert all(len(b["key"]) == 7 and b["key"][4] == "-" for b in months)
    nothing = histogram(client, "month", q="zzzzqqq")
    assert nothing["histogram"] == {"interval": "month", "buckets": [], "undated": 0}


def test_months_and_years_agree(sheet):
    """A record with a year and no date is in its year, and undated by month."""
    years = histogram(sheet, "year")
    months = histogram(sheet, "month")
    assert years["total"] == months["total"]
    by_year: Counter[str] = Counter()
    for key, count in counted(months).items():
        by_year[key[:4]] += count
    year_only = counted(years) - by_year
    assert year_only == Counter({"2019": 1})  # export:year-only
    assert months["histogram"]["undated"] == years["histogram"]["undated"] + 1
    filtered = histogram(sheet, "month", year="2019", q="vuosikertomus")
    assert filtered["total"] == 1 and filtered["histogram"]["undated"] == 1


def test_a_histogram_comes_with_hits_and_only_when_asked(client):
    plain = client.simulate_get("/search", params={"q": "kaupunki"}).json
    assert "histogram" not in plain
    both = client.simulate_get("/search", params={"q": "kaupunki", "histogram": "year"}).json
    assert both["hits"] == plain["hits"] and both["facets"] == plain["facets"]


@pytest.mark.parametrize("value", ["day", "Year", "", "year,month"])
def test_a_bad_interval_is_a_400_naming_histogram(client, value):
    result = client.simulate_get("/search", query_string=f"histogram={value}")
    assert result.status_code == 400, result.text
    assert '"histogram"' in result.json["description"]


# --- the documented examples, on the shipped corpus ---------------------------------------------


@pytest.mark.slow
def test_the_documented_histograms_answer_as_written(root, shipped_index):
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## Counts over time") : text.index("## `GET /suggest")]
    (block,) = re.findall(r"```http\n(.*?)```", section, re.S)
    examples = re.findall(r"^GET (\S+)\n(\d{3}) (.*)$", block, re.M)
    assert len(examples) == 2
    client = testing.TestClient(create_app(Settings(index_dir=shipped_index)))
    for request, status, body in examples:
        route, _, query = request.partition("?")
        result = client.simulate_get(route, query_string=query)
        assert result.status_code == int(status)
        documented = json.loads(body)
        assert {key: result.json[key] for key in documented} == documented, request
    # "Of the 36 records of 2022, 33 know only their year."
    by_year = client.simulate_get("/search", query_string=examples[1][0].partition("?")[2]
                                  .replace("histogram=month", "histogram=year")).json
    assert by_year["histogram"] == {"interval": "year", "buckets": [{"key": "2022",
                                                                     "count": 36}], "undated": 0}
    assert "Of the 36 records of 2022, 33 know only their year" in " ".join(section.split())


def test_the_openapi_document_describes_the_histogram(client):
    document = client.simulate_get("/openapi.json").json
    result = document["components"]["schemas"]["SearchResult"]["properties"]
    assert result["histogram"] == {"$ref": "#/components/schemas/Histogram"}
    assert document["components"]["schemas"]["Histogram"]["required"] == [
        "interval", "buckets", "undated"]
    (histogram,) = [p for p in document["paths"]["/search"]["get"]["parameters"]
                    if p["name"] == "histogram"]
    assert histogram["schema"]["enum"] == ["year", "month"]
