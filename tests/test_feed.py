"""``GET /feed``: an Atom 1.0 feed of the newest records a search finds (the real app over real
indexes, a real feed parser, and once through gunicorn)."""

from __future__ import annotations

import html
import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import feedparser
import pytest
from falcon import testing

from indexer.build import rebuild
from indexer.update import update
from searchsvc import homepage
from searchsvc.app import create_app
from searchsvc.engine import Engine
from searchsvc.settings import Settings

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
MARKUP_RECORD = {
    "id": "test:feed/markup & more#1",
    "title": "Päätös <script>alert('x')</script> & muut \x0b asiat",
    "body": "Lautakunta päätti <b>ksylofonihankinnasta</b> & muusta. Ohjaus\x07merkki.",
    "language": "fi",
    "date": "2001-02-03",  # older than every other record: new by publication only
}


def get(client: testing.TestClient, path: str, **headers: str) -> testing.Result:
    route, _, query = path.partition("?")
    return client.simulate_get(route, query_string=query, headers=headers or None)


def parsed(result: testing.Result) -> feedparser.FeedParserDict:
    assert result.status_code == 200, result.text
    assert result.headers["content-type"] == MEDIA_TYPE
    feed = feedparser.parse(result.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def ids(result: testing.Result) -> list[str]:
    return [entry.id for entry in parsed(result).entries]


def record_ids(result: testing.Result) -> list[str]:
    """The record ids of a feed's entries, read from their permalinks."""
    return [unquote(entry.link.rsplit("/documents/", 1)[1]) for entry in parsed(result).entries]


def _app(index_dir: Path, **settings: object) -> testing.TestClient:
    engine = Engine(index_dir, check_interval=0.0)
    return testing.TestClient(create_app(Settings(index_dir=index_dir, **settings), engine))


def test_the_feed_is_atom_a_feed_parser_reads(client):
    result = get(client, "/feed?q=kokous&size=5")
    feed = parsed(result)
    assert len(feed.entries) == 5
    assert feed.feed.id == "tag:falconframework.org,2026:feed?q=kokous"
    assert feed.feed.title == "New records matching “kokous”"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": "http://falconframework.org/feed?q=kokous&size=5",
                     "alternate": "http://falconframework.org/?q=kokous&ui=en"}
    for entry in feed.entries:
        assert entry.id.startswith("tag:falconframework.org,2026:record/")
        assert entry.link.startswith("http://falconframework.org/documents/")
        assert entry.published == entry.updated and entry.summary
    # Every entry is a record /search?sort=newest finds.
    found = get(client, "/search?q=kokous&sort=newest&size=100&facets=").json
    assert set(record_ids(result)) <= {hit["id"] for hit in found["hits"]}
    assert len(parsed(get(client, "/feed?q=kokous")).entries) == min(20, found["total"])


def test_the_feed_holds_what_rfc_4287_requires(client):
    root = ET.fromstring(get(client, "/feed?lang=fi&size=3&ui=sv").content)
    assert root.tag == f"{A}feed" and root.get(XML_LANG) == "sv"
    for name in ("id", "title", "updated", "author", "generator"):
        assert len(root.findall(f"{A}{name}")) == 1, name
    assert RFC3339.match(root.findtext(f"{A}updated") or "")
    assert root.findtext(f"{A}author/{A}name")
    assert root.find(f"{A}link[@rel='self']") is not None
    entries = root.findall(f"{A}entry")
    assert len(entries) == 3
    for entry in entries:
        assert entry.get(XML_LANG) == "fi"
        for name in ("id", "title", "updated", "published", "summary"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{A}published") or "")
        assert entry.find(f"{A}link[@rel='alternate']").get("type") == "text/html"
        assert entry.find(f"{A}summary").get("type") == "text"
    assert len({entry.findtext(f"{A}id") for entry in entries}) == 3
    # The feed's updated is its newest entry's time.
    assert root.findtext(f"{A}updated") == entries[0].findtext(f"{A}published")


def test_filters_are_honoured_and_named_in_the_title(client):
    facets = get(client, "/facets?ui=fi").json["facets"]
    division = facets["division"][0]
    query = f"lang=fi&division={division['value']}&year_from=2000&size=100&ui=fi"
    result = get(client, "/feed?" + query)
    found = get(client, f"/search?{query.replace('ui=fi', 'facets=')}&sort=newest").json
    assert found["total"] > 0
    assert sorted(record_ids(result)) == sorted(hit["id"] for hit in found["hits"])
    assert parsed(result).feed.title == (
        f"Uusimmat asiakirjat; kieli: suomi; toimiala: {division['label']}; vuodet: 2000–")
    root = ET.fromstring(result.content)
    for entry in root.findall(f"{A}entry"):
        terms = {c.get("scheme").rsplit("#", 1)[1]: c.get("term")
                 for c in entry.findall(f"{A}category")}
        assert terms["division"] == division["value"]
    swedish = ET.fromstring(get(client, "/feed?lang=sv&size=100").content)
    entries = swedish.findall(f"{A}entry")
    assert entries and {entry.get(XML_LANG) for entry in entries} == {"sv"}
    found = get(client, "/search?lang=sv&size=100&facets=").json
    assert len(entries) == found["total"]


def test_the_same_search_is_the_same_feed_however_written(client):
    one = parsed(get(client, "/feed?q=tuki%20%20hoito&lang=sv,fi&lang=fi"))
    other = parsed(get(client, "/feed?lang=fi,sv&q=tuki+hoito&size=20"))
    assert one.feed.id == other.feed.id == (
        "tag:falconframework.org,2026:feed?q=tuki%20hoito&lang=fi,sv")
    assert [e.id for e in one.entries] == [e.id for e in other.entries]


@pytest.mark.parametrize(("path", "named"), [
    ("/feed?size=500", '"size"'), ("/feed?size=0", '"size"'), ("/feed?sort=newest", '"sort"'),
    ("/feed?page=2", '"page"'), ("/feed?division=nowhere", '"division"'),
    ("/feed?year_from=2022&year_to=2000", '"year_from" and "year_to"'),
    ("/feed?lang=de", '"lang"'), ("/feed?ui=de", '"ui"'),
])
def test_bad_parameters_are_400s_naming_them(client, path, named):
    result = get(client, path)
    assert result.status_code == 400, result.text
    assert result.headers["content-type"].startswith("application/problem+json")
    assert named in result.json["description"]


def test_if_none_match_is_a_304_and_head_works(client, small_index):
    first = get(client, "/feed?q=tuki&ui=fi")
    generation = (small_index / "CURRENT").read_text().strip()
    assert first.headers["etag"].startswith(f'"{generation}-feed-')
    assert first.headers["cache-control"] == "max-age=60"
    again = get(client, "/feed?q=tuki&ui=fi", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    others = {get(client, path).headers["etag"] for path in
              ["/feed?q=tuki&ui=sv", "/feed?q=tuki&ui=fi&size=3", "/feed?q=hoito&ui=fi"]}
    assert first.headers["etag"] not in others and len(others) == 3
    head = client.simulate_head("/feed", query_string="q=tuki&ui=fi")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert get(client, "/feed?q=tuki").headers["vary"] == "Accept-Language, Origin"


def test_a_record_s_markup_stays_text(client):
    result = get(client, "/feed?q=script")
    assert b"<script" not in result.content and b"<b>" not in result.content
    entry = next(e for e in parsed(result).entries if e.id.endswith(":record/xss-1"))
    assert entry.title == "Kokous <script>alert(1)</script>"
    assert entry.summary == (
        "Kaupunginhallitus <script>alert('x')</script> päätti omaishoidon tuesta.")


def test_search_answers_link_their_feed(client):
    result = get(client, "/search?q=tuki&lang=fi&year_from=2000&sort=newest&page=2&size=3&ui=sv")
    url = result.json["links"]["feed"]
    assert url == "http://falconframework.org/feed?q=tuki&lang=fi&year_from=2000&ui=sv"
    assert result.headers["link"] == f'<{url}>; rel=alternate; type="application/atom+xml"'
    following = get(client, "/feed?" + urlsplit(url).query)
    assert parsed(following).feed.title == (
        "Nya handlingar för sökningen ”tuki”; språk: finska; åren: 2000–")
    searched = get(client, "/search?q=tuki&lang=fi&year_from=2000&size=100&facets=&sort=newest")
    assert set(record_ids(following)) <= {h["id"] for h in searched.json["hits"]}
    assert len(record_ids(following)) == min(20, searched.json["total"])
    assert get(client, "/search").json["links"]["feed"] == "http://falconframework.org/feed"


def test_the_search_page_names_the_feed_of_its_search(client, root):
    docs = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    (path, documented) = re.findall(r"`(/\?q=\S+)` has `(<link rel=\"alternate\"[^`]+>)`",
                                    docs)[0]
    page = client.simulate_get("/", query_string=path[2:]).text
    assert documented.replace(">", f' title="{homepage.FEED_TITLES["sv"]}">') in page
    (href,) = re.findall(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"',
                         page)
    assert href == "/feed?q=tuki&amp;lang=fi&amp;ui=sv"
    feed = parsed(get(client, html.unescape(href)))
    assert feed.feed.title == "Nya handlingar för sökningen ”tuki”; språk: finska"
    hostile = client.simulate_get("/", query_string="q=%22%3E%3Cscript%3Ex").text
    assert "<script>x" not in hostile and "q=%22%3E%3Cscript%3Ex" in hostile


def test_public_url_names_the_authority(small_index):
    client = _app(small_index, public_url="https://haku.example.fi/api")
    feed = parsed(get(client, "/feed?size=1"))
    assert feed.feed.id == "tag:haku.example.fi,2026:feed"
    assert feed.entries[0].id.startswith("tag:haku.example.fi,2026:record/")
    assert feed.entries[0].link.startswith("https://haku.example.fi/api/documents/")
    links = get(client, "/search?q=tuki").json["links"]
    assert links["feed"] == "https://haku.example.fi/api/feed?q=tuki"


def test_ids_stay_across_a_rebuild_and_an_update_s_record_comes_first(published_copy):
    corpus, index_dir = published_copy
    client = _app(index_dir)
    before = get(client, "/feed?size=100&lang=fi")
    rebuild([corpus], index_dir, jobs=1)
    after = get(client, "/feed?size=100&lang=fi")
    assert after.headers["etag"] != before.headers["etag"]  # a new generation ...
    assert ids(after) == ids(before)  # ... the same entries, in the same order
    assert [e.published for e in parsed(after).entries] == [
        e.published for e in parsed(before).entries]

    with open(corpus / "records" / "records.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(MARKUP_RECORD, ensure_ascii=False) + "\n")
    update([corpus], index_dir)
    result = get(client, "/feed?size=100&lang=fi")
    newest = parsed(result).entries[0]
    assert newest.id == "tag:falconframework.org,2026:record/test%3Afeed%2Fmarkup%20%26%20more%231"
    assert newest.link == ("http://falconframework.org/documents/"
                           "test%3Afeed%2Fmarkup%20%26%20more%231")
    assert newest.published > parsed(result).entries[1].published
    assert newest.title == "Päätös <script>alert('x')</script> & muut  asiat"
    assert newest.summary == "Lautakunta päätti <b>ksylofonihankinnasta</b> & muusta. Ohjausmerkki."
    assert b"<script" not in result.content and b"<b>" not in result.content
    (hit,) = get(client, "/search?q=ksylofonihankinnasta").json["hits"]
    assert "\x0b" in hit["title"]  # kept in the index, dropped from the XML
    assert ids(result)[1:] == ids(before)[:99]


def documented_feed(root: Path) -> tuple[str, str, str]:
    """(public URL, request, answer) of the Atom example in docs/api.md."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## `GET /feed`"):]
    (example,) = re.findall(
        r"With `SEARCHSVC_PUBLIC_URL=(\S+)`, `GET (\S+)` answers[^\n]*\n\n```xml\n(.*?)```",
        section, re.S)
    return example


def _shape(element: ET.Element) -> tuple:
    """An element as (tag, attributes, text, children), its times left out (they are when
    the test's index was built)."""
    text = (element.text or "").strip()
    if element.tag in (f"{A}updated", f"{A}published"):
        text = "TIME"
    return (element.tag, dict(element.attrib), text,
            [_shape(child) for child in element])


def test_the_documented_examples_answer_as_written(client, small_index, root):
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## `GET /feed`"):]
    (block,) = re.findall(r"```http\n(.*?)```", section, re.S)
    examples = re.findall(r"^GET (\S+)\n(\d{3}) (.*)$", block, re.M)
    assert len(examples) == 4
    for request, status, body in examples:
        result = get(client, request)
        assert result.status_code == int(status), request
        if body.startswith("{"):
            assert result.json == json.loads(body), request
        else:
            assert result.headers["content-type"] == body, request
            parsed(result)

    link, body = re.findall(r"^Link: (.*)\n(\{.*)$", section, re.M)[0]
    feed = re.findall(r'"feed": "(\S+)"', body)[0]
    linked = get(_app(small_index, public_url="https://haku.example.fi"),
                 "/search?" + urlsplit(feed).query)
    assert (linked.headers["link"], linked.json["links"]["feed"]) == (link, feed)

    public_url, path, answer = documented_feed(root)
    assert parse_qs(urlsplit(path).query)  # the example has a query
    result = get(_app(small_index, public_url=public_url), path)
    assert _shape(ET.fromstring(result.content)) == _shape(ET.fromstring(answer))


@pytest.mark.slow
def test_through_gunicorn(gunicorn, small_index):
    with gunicorn(small_index) as server:
        with urllib.request.urlopen(server.base + "/feed?q=kokous&ui=fi", timeout=10) as answer:
            assert answer.headers["Content-Type"] == MEDIA_TYPE
            etag, body = answer.headers["ETag"], answer.read()
        feed = feedparser.parse(body)
        assert not feed.bozo and feed.entries
        assert feed.feed.id == "tag:127.0.0.1,2026:feed?q=kokous"
        assert {link.rel: link.href for link in feed.feed.links}["self"] == (
            f"{server.base}/feed?q=kokous&ui=fi")
        assert all(e.link.startswith(server.base + "/documents/") for e in feed.entries)
        request = urllib.request.Request(server.base + "/feed?q=kokous&ui=fi",
                                         headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(request, timeout=10)
        not_modified.value.close()
        assert not_modified.value.code == 304
        status, found = server.get("/search?q=kokous&ui=fi")
        assert status == 200 and found["links"]["feed"] == f"{server.base}/feed?q=kokous&ui=fi"


def test_the_openapi_document_describes_the_feed(client):
    document = client.simulate_get("/openapi.json").json
    answer = document["paths"]["/feed"]["get"]["responses"]
    assert list(answer["200"]["content"]) == ["application/atom+xml"]
    assert {"304", "400", "503"} <= set(answer)
    size = {p["name"]: p for p in document["paths"]["/feed"]["get"]["parameters"]}["size"]
    assert (size["schema"]["minimum"], size["schema"]["maximum"]) == (1, 100)
    result = document["components"]["schemas"]["SearchResult"]["properties"]
    assert result["links"]["required"] == ["feed", "csv", "csv_semicolon", "jsonl"]
