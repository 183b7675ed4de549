"""HTTP as clients and caches expect: HEAD, Vary, If-None-Match (the real app, small index)."""

from __future__ import annotations

from pathlib import Path

import falcon.inspect
import pytest
from falcon import testing

from searchsvc.app import create_app
from searchsvc.citations import today
from searchsvc.settings import Settings

GET_PATHS = ["/search?q=tuki", "/suggest?q=kok", "/documents/xss-1",
             "/documents/xss-1/related", "/facets", "/feed?q=tuki",
             "/analyze?lang=fi&text=hoito", "/health", "/health/live", "/health/ready",
             "/metrics", "/openapi.json", "/", "/widget.js", "/page.css"]
FROM_INDEX = ["/search?q=tuki", "/suggest?q=kok", "/documents/xss-1", "/facets", "/feed?q=tuki"]
# Headers that differ between two answers to the same request.
CHANGING = {"content-length"}


def request(client: testing.TestClient, method: str, path: str, **headers: str):
    route, _, query = path.partition("?")
    return client.simulate_request(method, route, query_string=query, headers=headers or None)


def test_every_route_with_get_answers_head(client, small_index):
    app = create_app(Settings(index_dir=small_index))
    templates = {route.path for route in falcon.inspect.inspect_routes(app)}
    assert {p.partition("?")[0].replace("xss-1", "{doc_id}") for p in GET_PATHS} == templates
    for path in GET_PATHS:
        get, head = request(client, "GET", path), request(client, "HEAD", path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert {k: v for k, v in head.headers.items() if k not in CHANGING} == {
            k: v for k, v in get.headers.items() if k not in CHANGING}, path
        assert int(head.headers["content-length"]) > 0


def test_head_gives_the_length_of_the_get(client):
    for path in ["/health/live", "/documents/xss-1", "/facets"]:
        get, head = request(client, "GET", path), request(client, "HEAD", path)
        assert head.headers["content-length"] == str(len(get.content)), path


def test_head_of_a_bad_request_is_the_same_400(client):
    head = request(client, "HEAD", "/search?yaer=2021")
    assert head.status_code == 400 and head.content == b""
    assert head.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [*GET_PATHS, "/search?size=500", "/nowhere"])
def test_vary_origin_on_every_answer_when_cors_is_on(client, path):
    for origin in ("https://www.hel.fi", "https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        for method in ("GET", "HEAD"):
            answer = request(client, method, path, **headers)
            assert "Origin" in [v.strip() for v in answer.headers["vary"].split(",")], path


def test_no_vary_origin_without_cors(small_index):
    plain = testing.TestClient(create_app(Settings(index_dir=small_index)))
    answer = request(plain, "GET", "/search?q=tuki", Origin="https://www.hel.fi")
    assert "access-control-allow-origin" not in answer.headers
    assert answer.headers["vary"] == "Accept-Language"


@pytest.mark.parametrize("path", ["/search?q=tuki", "/documents/xss-1", "/facets"])
def test_vary_accept_language_where_it_picks_labels(client, path):
    # /documents answers a browser with a page: it varies by Accept too.
    accept = "Accept, " if path.startswith("/documents/") else ""
    assert request(client, "GET", path).headers["vary"] == f"{accept}Accept-Language, Origin"
    joiner = "&" if "?" in path else "?"
    pinned = request(client, "GET", path + joiner + "ui=sv", **{"Accept-Language": "fi"})
    assert pinned.headers["vary"] == f"{accept}Origin"


def test_no_vary_accept_language_where_it_picks_nothing(client):
    for path in ["/suggest?q=kok", "/analyze?lang=fi&text=x", "/health"]:
        assert request(client, "GET", path).headers["vary"] == "Origin", path


@pytest.mark.parametrize("path", FROM_INDEX)
def test_if_none_match_star_and_lists_per_rfc_9110(client, small_index, path):
    generation = (small_index / "CURRENT").read_text().strip()
    full = request(client, "GET", path)
    current = full.headers["etag"]
    # /feed's names the request too (``-feed-<digest>``); /documents cites the record as
    # retrieved today, so its tag names the day as well.
    assert full.status_code == 200
    assert current in (f'"{generation}"', f'"{generation}-{today()}"') or current.startswith(
        f'"{generation}-feed-')
    for header in ["*", current, f"W/{current}", f'"old", {current}',
                   f'W/"old",W/{current}', f'"a", "b" , {current}']:
        for method in ("GET", "HEAD"):
            answer = request(client, method, path, **{"If-None-Match": header})
            assert answer.status_code == 304, (header, method)
            assert answer.content == b""
            for name in ("etag", "cache-control", "vary"):
                assert answer.headers[name] == full.headers[name], name
    for header in ['"old"', '"old", W/"older"', current[:-2] + '"', ""]:
        assert request(client, "GET", path, **{"If-None-Match": header}).status_code == 200


def test_if_none_match_star_on_a_missing_document_is_404(client):
    answer = request(client, "GET", "/documents/no-such-id", **{"If-None-Match": "*"})
    assert answer.status_code == 404


def test_the_documented_if_none_match_forms_are_the_ones_tested(root: Path):
    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    for stated in ["when the header is `*`", '`W/"<generation>"`',
                   '(`If-None-Match: "old", "<generation>"`)',
                   "Every route answers `HEAD` as it answers `GET`",
                   "`HEAD /health/live`", "`Vary: Origin` on every answer when "
                   "`SEARCHSVC_CORS_ORIGINS` is set", "`Vary: Accept-Language` on `/search`, "
                   "`/documents/{id}`, `/facets` and `/feed` when no `ui` is given"]:
        assert stated in text, stated
