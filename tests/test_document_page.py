"""A record's HTML page (``GET /documents/{id}`` for a browser): the real app over the small
index, its HTML parsed with the standard library's parser."""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from falcon import testing

from indexer.contract import TOKEN_PATTERN
from searchsvc import page_text
from searchsvc.app import create_app
from searchsvc.document_page import STYLESHEET, page
from searchsvc.record import Marked
from searchsvc.settings import Settings
from searchsvc.snippets import MAX_SPAN_TOKENS

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
# The elements a page is made of: anything else came from a record or a request.
PAGE_ELEMENTS = {"html", "head", "meta", "title", "link", "style", "body", "header", "nav", "main",
                 "h1", "h2", "dl", "dt", "dd", "time", "span", "a", "ul", "li", "section", "div",
                 "p", "br", "mark", "cite"}
VOID = {"meta", "link", "br"}
XSS_ID, SCRIPT_ID = "xss-1", "test:script"


# --- a small HTML tree ------------------------------------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag]

    def one(self, tag: str) -> Element:
        (found,) = self.all(tag)
        return found

    def section(self, labelled: str) -> Element:
        """The one section labelled by the heading with this id."""
        (found,) = [e for e in self.all("section") if e.attrs.get("aria-labelledby") == labelled]
        return found

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def lang(self) -> str | None:
        """The language the element is in (its own ``lang`` or its nearest ancestor's)."""
        element: Element | None = self
        while element is not None:
            if "lang" in element.attrs:
                return element.attrs["lang"]
            element = element.parent
        return None


class _Tree(HTMLParser):
    """Elements as parsed; an end tag that closes another element than the last one opened
    fails the test (the page is well formed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.open)
        assert len(element.attrs) == len(attrs), f"repeated attribute in <{tag}>"
        self.open.children.append(element)
        if tag not in VOID:
            self.open = element

    def handle_endtag(self, tag: str) -> None:
        assert tag == self.open.tag, f"</{tag}> closes <{self.open.tag}>"
        assert self.open.parent is not None
        self.open = self.open.parent

    def handle_data(self, data: str) -> None:
        self.open.children.append(data)


def parse(html: str) -> Element:
    tree = _Tree()
    tree.feed(html)
    tree.close()
    assert tree.open is tree.root, f"<{tree.open.tag}> is never closed"
    return tree.root


def words(text: str) -> str:
    return " ".join(text.split())


# --- requests ---------------------------------------------------------------------------------


def get(client: testing.TestClient, path: str, method: str = "GET",
        **headers: str) -> testing.Result:
    route, _, query = path.partition("?")
    return client.simulate_request(method, route, query_string=query,
                                   headers={k.replace("_", "-"): v for k, v in headers.items()})


def browse(client: testing.TestClient, path: str, **headers: str) -> Element:
    """The page a browser gets for ``path``, parsed."""
    answer = get(client, path, Accept=BROWSER, **headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    return parse(answer.text)


@pytest.fixture(scope="module")
def plain_client(small_index: Path) -> testing.TestClient:
    """The app without CORS: the documented examples' headers, as written."""
    return testing.TestClient(create_app(Settings(index_dir=small_index)))


@pytest.fixture(scope="module")
def stored(snapshot) -> dict[str, dict[str, Any]]:
    """The small index's stored records by id."""
    found = {}
    with snapshot.reading():
        for docnum in range(snapshot.searcher.doc_count_all()):
            fields = snapshot.stored(docnum)
            found[fields["id"]] = fields
    return found


def a_record(stored: dict[str, dict[str, Any]], test: Any) -> str:
    """The first id (in id order) of a record ``test`` holds for."""
    return next(doc_id for doc_id, fields in sorted(stored.items()) if test(fields))


# --- content negotiation ----------------------------------------------------------------------


def retrieval_days() -> set[str]:
    """The day a citation made just now names: today in UTC (or yesterday, just after
    midnight)."""
    today = datetime.datetime.now(datetime.UTC).date()
    return {today.isoformat(), (today - datetime.timedelta(days=1)).isoformat()}


def documented_accept_table(root: Path) -> list[tuple[str | None, str]]:
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("### The record's page"):]
    table = section[section.index("| `Accept` | answer |"):]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        accept, answer = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((None if accept == "none" else accept.partition("`")[2].partition("`")[0],
                     answer))
    return rows


def test_browsers_get_the_page_and_programs_keep_json_as_documented(client, root):
    rows = documented_accept_table(root)
    assert len(rows) == 9 and {answer for _, answer in rows} == {"HTML", "JSON"}
    for accept, answer in [*rows, (CHROMIUM, "HTML")]:
        result = get(client, f"/documents/{XSS_ID}", **({"Accept": accept} if accept else {}))
        assert result.status_code == 200, accept
        if answer == "HTML":
            assert result.headers["content-type"] == "text/html; charset=utf-8", accept
            assert result.text.startswith("<!DOCTYPE html>")
        else:
            assert result.headers["content-type"] == "application/json", accept
            assert result.json["id"] == XSS_ID


def test_the_json_answer_is_the_same_with_q(client):
    plain = get(client, f"/documents/{XSS_ID}").json
    assert get(client, f"/documents/{XSS_ID}?q=omaishoito", Accept="*/*").json == plain


def test_vary_accept_on_every_answer_of_documents(client):
    for accept in (BROWSER, "*/*"):
        for path, status in [(f"/documents/{XSS_ID}", 200), ("/documents/no-such-id", 404)]:
            for method in ("GET", "HEAD"):
                answer = get(client, path, method, Accept=accept)
                assert answer.status_code == status
                vary = [v.strip() for v in answer.headers["vary"].split(",")]
                assert vary[0] == "Accept" and "Origin" in vary, (accept, path, method)
    assert get(client, f"/documents/{XSS_ID}", Accept=BROWSER).headers["vary"] == (
        "Accept, Accept-Language, Origin")
    pinned = get(client, f"/documents/{XSS_ID}?ui=sv", Accept=BROWSER, Accept_Language="fi")
    assert pinned.headers["vary"] == "Accept, Origin"


def test_the_page_and_the_json_have_their_own_entity_tags(client, small_index):
    generation = (small_index / "CURRENT").read_text().strip()
    path = f"/documents/{XSS_ID}"
    as_json = get(client, path)
    pages = {ui: get(client, f"{path}?ui={ui}", Accept=BROWSER) for ui in ("fi", "sv", "en")}
    # Both cite the record as retrieved today (UTC): the day is part of the tag.
    day = as_json.headers["etag"].strip('"').removeprefix(f"{generation}-")
    assert day in retrieval_days()
    for ui, answer in pages.items():
        assert answer.headers["etag"] == f'"{generation}-html-{ui}-{day}"'
        for method in ("GET", "HEAD"):
            again = get(client, f"{path}?ui={ui}", method, Accept=BROWSER,
                        If_None_Match=answer.headers["etag"])
            assert again.status_code == 304 and again.content == b""
            for name in ("etag", "cache-control", "vary"):
                assert again.headers[name] == answer.headers[name]
        # The JSON's tag is not the page's, nor one language's page another's.
        assert get(client, f"{path}?ui={ui}", Accept=BROWSER,
                   If_None_Match=as_json.headers["etag"]).status_code == 200
    assert get(client, f"{path}?ui=sv", Accept=BROWSER,
               If_None_Match=pages["fi"].headers["etag"]).status_code == 200
    assert get(client, path, If_None_Match=pages["fi"].headers["etag"]).status_code == 200
    assert get(client, f"{path}?ui=fi", Accept=BROWSER, If_None_Match="*").status_code == 304


def test_head_of_the_page_is_the_get_without_a_body(client):
    path = f"/documents/{XSS_ID}?q=omaishoito"
    full, head = get(client, path, Accept=BROWSER), get(client, path, "HEAD", Accept=BROWSER)
    assert head.status_code == 200 and head.content == b""
    assert dict(head.headers) == dict(full.headers)
    assert head.headers["content-length"] == str(len(full.content))


# --- what the page shows ----------------------------------------------------------------------


def details(document: Element) -> dict[str, Element]:
    """The page's description list: term -> its description."""
    dl = document.one("dl")
    terms = [c for c in dl.children if isinstance(c, Element)]
    assert [t.tag for t in terms] == ["dt", "dd"] * (len(terms) // 2)
    return {dt.text: dd for dt, dd in zip(terms[::2], terms[1::2], strict=True)}


def test_the_page_shows_the_record_as_its_json_gives_it(client, stored):
    doc_id = a_record(stored, lambda f: f.get("url") and f.get("division") and f.get("date")
                      and f.get("doc_type") and f.get("organization"))
    record = get(client, f"/documents/{doc_id}?ui=fi").json
    document = browse(client, f"/documents/{doc_id}?ui=fi")
    assert document.one("html").attrs["lang"] == "fi"
    h1 = document.one("h1")
    assert h1.text == record["title"] and h1.lang() == record["language"]
    assert document.one("title").text == f"{record['title']} – Asiakirjahaku"
    shown = details(document)
    assert list(shown) == ["Päivämäärä", "Asiakirjatyyppi", "Toimiala", "Organisaatio", "Kieli",
                           "Lähde"]
    assert shown["Päivämäärä"].one("time").attrs["datetime"] == record["date"]
    year, month, day = record["date"].split("-")
    assert shown["Päivämäärä"].text == f"{int(day)}.{int(month)}.{year}"
    for term, name in [("Asiakirjatyyppi", "type"), ("Toimiala", "division"),
                       ("Organisaatio", "org"), ("Kieli", "lang")]:
        assert shown[term].text == record["labels"][name]["label"]
    link = shown["Lähde"].one("a")
    assert link.attrs["href"] == link.text == record["url"]
    assert record["url"].startswith("https://")
    # The whole text, paragraph by paragraph.
    section = document.section("text")
    text = [p for p in section.all("p") if p.attrs.get("class") != "note"]
    paragraphs = re.split(r"\n\s*\n", record["body"].strip())
    assert len(text) == len(paragraphs) >= 2
    assert [len(p.all("br")) for p in text] == [p.count("\n") for p in paragraphs]
    assert sum(len(p.all("br")) for p in text) >= 2
    assert words(" ".join(p.text for p in text)) == words(record["body"])
    assert {p.lang() for p in text} == {record["language"]}


def test_source_ref_is_text_never_a_link(client, stored):
    doc_id = a_record(stored, lambda f: not f.get("url") and str(f.get("source_ref", ""))
                      .startswith("https://"))
    record = get(client, f"/documents/{doc_id}").json
    shown = details(browse(client, f"/documents/{doc_id}?ui=en"))
    assert "Source" not in shown
    assert shown["Source reference"].text == record["source_ref"]
    assert shown["Source reference"].all("a") == []


def test_only_a_web_address_is_a_link():
    document = {"id": "x", "title": "T", "body": "b", "language": "en", "labels": {},
                "translations": [], "url": "javascript:alert(1)", "source_ref": None}
    shown = details(parse(page(document, Marked(), "en", {})))
    assert shown["Source reference"].text == "javascript:alert(1)"
    assert shown["Source reference"].all("a") == []


def test_a_date_found_in_the_text_says_so(client, stored):
    doc_id = a_record(stored, lambda f: f.get("date_source") == "text")
    for ui, note in [("fi", "(päätelty tekstistä)"), ("sv", "(härlett ur texten)"),
                     ("en", "(inferred from the text)")]:
        date = details(browse(client, f"/documents/{doc_id}?ui={ui}"))[
            page_text.text(ui, "date")]
        assert date.one("span").text == note
    source_dated = a_record(stored, lambda f: f.get("date_source") == "source")
    assert details(browse(client, f"/documents/{source_dated}"))["Date"].all("span") == []


def test_a_record_with_a_year_only_shows_the_year(client, stored):
    doc_id = a_record(stored, lambda f: not f.get("date") and f.get("year"))
    shown = details(browse(client, f"/documents/{doc_id}?ui=sv"))
    assert "Datum" not in shown and shown["År"].text == str(stored[doc_id]["year"])


@pytest.mark.parametrize(("ui", "written"), [("fi", "5.5.2021"), ("sv", "5.5.2021"),
                                             ("en", "5 May 2021")])
def test_dates_are_written_as_each_language_writes_them(client, ui, written):
    date = details(browse(client, f"/documents/{XSS_ID}?ui={ui}"))[page_text.text(ui, "date")]
    assert date.text == written and date.one("time").attrs["datetime"] == "2021-05-05"
    assert page_text.format_date(ui, "2021-11-24") == {
        "fi": "24.11.2021", "sv": "24.11.2021", "en": "24 November 2021"}[ui]
    assert page_text.format_date(ui, "2021") == "2021"  # not a date: as it is


def test_translations_link_to_their_pages_in_their_language(client, stored):
    doc_id = a_record(stored, lambda f: f["id"].startswith("finlex:") and f["language"] == "sv")
    record = get(client, f"/documents/{doc_id}").json
    (twin,) = record["translations"]
    document = browse(client, f"/documents/{doc_id}?q=besvär&ui=sv")
    nav = [n for n in document.all("nav") if n.all("h2")]
    (link,) = nav[0].all("a")
    assert nav[0].one("h2").text == "På andra språk"
    assert link.attrs["hreflang"] == link.attrs["lang"] == twin["lang"] == "fi"
    assert link.text == twin["title"]
    href = urlsplit(link.attrs["href"] or "")
    assert href.path == "/documents/" + twin["id"].replace(":", "%3A")
    assert parse_qs(href.query) == {"q": ["besvär"], "ui": ["sv"]}
    assert [x.attrs["href"] for x in document.all("link") if x.attrs.get("rel") == "alternate"
            ] == [link.attrs["href"]]
    back = browse(client, href.path + "?" + href.query)
    assert back.one("h1").lang() == "fi" and back.one("html").attrs["lang"] == "sv"
    assert doc_id in {urlsplit(a.attrs["href"] or "").path.replace("%3A", ":").rpartition("/")[2]
                      for a in back.all("a")}


def test_the_way_back_to_the_search_keeps_q(client):
    for path, href in [(f"/documents/{XSS_ID}", "/"),
                       (f"/documents/{XSS_ID}?q=omaishoidon%20tuki", "/?q=omaishoidon+tuki"),
                       (f"/documents/{XSS_ID}?q=%20", "/")]:
        document = browse(client, path)
        header = document.one("header")
        assert header.one("nav").attrs["aria-label"] == "Search"
        assert header.one("a").attrs["href"] == href
        assert header.one("a").text == "Back to search"


# --- languages --------------------------------------------------------------------------------


def page_strings(document: Element, ui: str) -> list[str]:
    """The visible texts of the page that are in the page's language (not the record's)."""
    found = []
    for element in document.iter():
        if element.tag in ("style", "title", "html") or element.lang() != ui:
            continue
        found += [words(c) for c in element.children if isinstance(c, str) and c.strip()]
    return found


@pytest.mark.parametrize("how", ["ui", "Accept-Language"])
def test_every_string_of_the_page_is_in_its_language(client, stored, how):
    twin = a_record(stored, lambda f: f["id"].startswith("finlex:") and f["language"] == "sv")
    inferred = a_record(stored, lambda f: f.get("date_source") == "text")
    for ui in ("fi", "sv", "en"):
        others = {text for key, by_ui in page_text.STRINGS.items() for lang, text in by_ui.items()
                  if lang != ui and text != by_ui[ui]}
        for doc_id in (twin, inferred):
            path = f"/documents/{doc_id}?q=tuki"
            if how == "ui":
                document = browse(client, f"{path}&ui={ui}", Accept_Language="de")
            else:
                document = browse(client, path, Accept_Language=f"{ui}-FI;q=0.9,de;q=0.5")
            assert document.one("html").attrs["lang"] == ui
            shown = page_strings(document, ui)
            assert page_text.text(ui, "back_to_search") in shown
            assert page_text.text(ui, "full_text") in shown
            for text in shown:
                assert not any(other in text for other in others if len(other) > 3), text


def test_the_strings_table_has_every_string_in_every_language():
    for key, by_ui in page_text.STRINGS.items():
        assert set(by_ui) == {"fi", "sv", "en"}, key
        assert all(text.strip() for text in by_ui.values()), key
    for by_ui in page_text.LANGUAGE_NAMES.values():
        assert set(by_ui) == {"fi", "sv", "en"}
    assert set(page_text.LANGUAGE_NAMES) == {"fi", "sv", "en"}


# --- the searched words -----------------------------------------------------------------------


def marks(element: Element) -> list[str]:
    return [m.text for m in element.all("mark")]


def test_the_searched_words_are_marked_as_the_hit_s_snippet_marks_them(client):
    q = "kaupunginhallitus päätti omaishoidon kokous"
    hits = get(client, f"/search?q={q}&size=100").json["hits"]
    snippet = next(hit["snippet"] for hit in hits if hit["id"] == XSS_ID)
    document = browse(client, f"/documents/{XSS_ID}?q={q}")
    text = document.section("text").one("div")
    assert marks(text) == re.findall(r"<mark>(.*?)</mark>", snippet) == [
        "Kaupunginhallitus", "päätti", "omaishoidon"]
    assert marks(document.one("h1")) == ["Kokous"]
    assert "The words of your search are highlighted in the text." in page_strings(
        document, "en")
    unmarked = browse(client, f"/documents/{XSS_ID}")
    assert unmarked.all("mark") == []
    assert all(p.attrs.get("class") != "note" for p in unmarked.all("p"))


def test_inflections_and_prefixes_are_marked(client):
    for q in ("omaishoito", "omaish*", "omaishoitoa", "title:kokous omaishoito"):
        assert marks(browse(client, f"/documents/{XSS_ID}?q={q}").section("text")) == [
            "omaishoidon"], q


def test_marks_reach_the_end_of_a_long_text(client, stored):
    """A snippet reads a text only so far past its first match; the page marks it all."""
    def spread(fields: dict[str, Any]) -> str | None:
        tokens = [m.group().lower() for m in TOKEN_PATTERN.finditer(fields.get("body") or "")]
        first: dict[str, int] = {}
        for at, token in enumerate(tokens):
            first.setdefault(token, at)
            if (token.isalpha() and len(token) >= 8
                    and at - first[token] > MAX_SPAN_TOKENS + 100):
                return token
        return None

    doc_id = a_record(stored, lambda f: f["language"] == "fi" and spread(f))
    word = spread(stored[doc_id])
    assert word is not None
    body = stored[doc_id]["body"]
    expected = [m.group() for m in TOKEN_PATTERN.finditer(body) if m.group().lower() == word]
    marked = marks(browse(client, f"/documents/{doc_id}?q={word}").section("text"))
    assert [m for m in marked if m.lower() == word] == expected and len(expected) >= 2


def test_each_language_s_text_is_marked_and_says_its_language(client, stored):
    doc_id = a_record(stored, lambda f: len({s[0] for s in f.get("sections") or []}) > 1)
    fields = stored[doc_id]
    languages = {s[0] for s in fields["sections"]}
    assert {fields["language"], "fi"} <= languages
    document = browse(client, f"/documents/{doc_id}?q=perheiden families")
    paragraphs = document.section("text").one("div").all("p")
    by_language = {lang: [p for p in paragraphs if p.lang() == lang] for lang in languages}
    assert all(by_language.values())
    assert all(p.attrs.get("lang") is None for p in by_language[fields["language"]])
    assert "perheiden" in {m.lower() for p in by_language["fi"] for m in marks(p)}
    assert "families" in {m.lower() for p in by_language[fields["language"]] for m in marks(p)}


@pytest.mark.parametrize("q", ["h*", "OR", "?", '"', "-", "title:", "ka* ko* ku* pa* pe* po*",
                               "zzzxqy"])
def test_a_query_that_finds_nothing_or_is_refused_marks_nothing(client, q):
    answer = get(client, f"/documents/{XSS_ID}?q={q}", Accept=BROWSER)
    assert answer.status_code == 200
    assert parse(answer.text).all("mark") == []


def test_q_is_declared_with_the_limit_of_search(client):
    for accept in (BROWSER, "*/*"):
        answer = get(client, f"/documents/{XSS_ID}?q={'x' * 501}", Accept=accept)
        assert answer.status_code == 400
        assert answer.json["description"] == (
            'The "q" parameter is invalid. At most 500 characters.')
    assert get(client, f"/documents/{XSS_ID}?q={'x' * 500}", Accept=BROWSER).status_code == 200
    document = client.simulate_get("/openapi.json").json
    for method in ("get", "head"):
        (q,) = [p for p in document["paths"]["/documents/{doc_id}"][method]["parameters"]
                if p["name"] == "q"]
        assert q["schema"] == {"type": "string", "maxLength": 500}
    content = document["paths"]["/documents/{doc_id}"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/html", "text/plain",
                            "application/x-bibtex", "application/vnd.citationstyles.csl+json"}


# --- safety -----------------------------------------------------------------------------------


def injected(document: Element) -> list[str]:
    """Elements and attributes no page of ours has: markup from a record or a request."""
    found = []
    for element in document.iter():
        if element.tag == "#document":
            continue
        if element.tag not in PAGE_ELEMENTS:
            found.append(f"<{element.tag}>")
        found += [f"{element.tag}@{name}" for name in element.attrs
                  if name.startswith("on") or name in ("style", "src", "srcdoc", "formaction")]
        href = element.attrs.get("href") or ""
        if element.tag == "a" and not href.startswith(("/", "https://", "http://")):
            found.append(f"href={href}")
    return found


@pytest.mark.parametrize("doc_id", [XSS_ID, SCRIPT_ID])
def test_markup_in_a_record_is_shown_as_text(client, stored, doc_id):
    fields = stored[doc_id]
    for q in ("", "kokous omaishoito", "<script>", '"><img src=x onerror=alert(1)>'):
        answer = get(client, f"/documents/{doc_id}?q={q}", Accept=BROWSER)
        assert answer.status_code == 200
        document = parse(answer.text)
        assert injected(document) == []
        assert document.one("h1").text == fields["title"]
        assert "<" in fields["title"]
        assert words(document.section("text").one("div").text) == words(fields["body"])
        assert "<script>" not in answer.text.split("</head>")[1]


def test_markup_in_an_unknown_id_and_in_q_is_shown_as_text(client):
    doc_id = '<img src=x onerror=alert(1)>"onmouseover="x'
    q = '"><script>alert(2)</script>'
    answer = get(client, "/documents/" + doc_id.replace('"', "%22").replace("<", "%3C")
                 .replace(">", "%3E") + "?q=" + q.replace('"', "%22"), Accept=BROWSER)
    assert answer.status_code == 404
    document = parse(answer.text)
    assert injected(document) == []
    assert doc_id in document.one("main").text
    for link in document.all("a"):
        assert parse_qs(urlsplit(link.attrs["href"] or "").query) == {"q": [q]}


def test_the_page_allows_only_its_own_stylesheet(client):
    answer = get(client, f"/documents/{XSS_ID}", Accept=BROWSER)
    policy = dict(part.strip().partition(" ")[::2]
                  for part in answer.headers["content-security-policy"].split(";"))
    style = parse(answer.text).one("style").text
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    assert policy == {"default-src": "'none'", "style-src": f"'sha256-{digest}'",
                      "img-src": "data:", "base-uri": "'none'", "form-action": "'none'",
                      "frame-ancestors": "'none'"}
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["content-language"] == "en"
    document = parse(answer.text)
    assert document.all("script") == [] and len(document.all("style")) == 1
    assert [x.attrs["href"] for x in document.all("link") if x.attrs.get("rel") == "icon"] == [
        "data:,"]


# --- an unknown id ----------------------------------------------------------------------------


def test_an_unknown_id_is_a_404_page_for_a_browser_and_a_problem_for_a_program(client):
    page_answer = get(client, "/documents/no-such-id?ui=fi", Accept=BROWSER)
    assert page_answer.status_code == 404
    assert page_answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-security-policy" in page_answer.headers
    document = parse(page_answer.text)
    assert document.one("html").attrs["lang"] == "fi"
    assert document.one("h1").text == "Asiakirjaa ei löytynyt"
    assert "no-such-id" in document.one("main").text
    assert {a.attrs["href"] for a in document.all("a")} == {"/"}
    assert "etag" not in page_answer.headers
    program = get(client, "/documents/no-such-id", Accept="application/json")
    assert program.status_code == 404
    assert program.headers["content-type"].startswith("application/problem+json")
    assert program.json["title"] == "Document not found"
    sv = get(client, "/documents/no-such-id", Accept=BROWSER, Accept_Language="sv")
    assert parse(sv.text).one("h1").text == "Dokumentet hittades inte"
    assert sv.headers["vary"] == "Accept, Accept-Language, Origin"


# --- accessibility, as far as the structure and the stylesheet show it ------------------------


def test_the_page_has_landmarks_one_heading_and_named_links(client, stored):
    doc_id = a_record(stored, lambda f: f["id"].startswith("finlex:") and f["language"] == "sv")
    for path in (f"/documents/{doc_id}?q=besvär", "/documents/no-such-id"):
        answer = get(client, path, Accept=BROWSER)
        document = parse(answer.text)
        body = document.one("body")
        assert [c.tag for c in body.children if isinstance(c, Element)] == ["header", "main"]
        assert document.one("header").one("nav").attrs.get("aria-label")
        assert len(document.all("h1")) == 1
        assert document.one("h1").parent is document.one("main")
        assert document.one("html").attrs["lang"] in ("fi", "sv", "en")
        ids = [e.attrs["id"] for e in document.iter() if "id" in e.attrs]
        assert len(ids) == len(set(ids))
        for element in document.iter():
            labelled = element.attrs.get("aria-labelledby")
            if labelled:
                assert labelled in ids and element.tag in ("section", "nav")
        for link in document.all("a"):
            assert link.text.strip() and link.attrs.get("href")
        viewport = [m for m in document.all("meta") if m.attrs.get("name") == "viewport"]
        assert viewport[0].attrs["content"] == "width=device-width, initial-scale=1"


def _luminance(colour: str) -> float:
    digits = colour[1:] if len(colour) == 7 else "".join(2 * c for c in colour[1:])
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted([_luminance(one), _luminance(other)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules(css: str) -> dict[str, dict[str, str]]:
    """selector -> declarations, of the rules outside media queries."""
    outside = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^}]*\})*\s*\}", "", css)
    found: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", outside):
        for one in selector.split(","):
            declarations = found.setdefault(one.strip(), {})
            for declaration in body.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip():
                    declarations[name.strip()] = value.strip()
    return found


def test_the_stylesheet_keeps_contrast_targets_focus_and_reflow():
    css = rules(STYLESHEET)
    background = css["body"]["background"]
    for foreground in (css["body"]["color"], css["a"]["color"], css["a:visited"]["color"],
                       css[".note"]["color"]):
        assert contrast(foreground, background) >= 4.5, foreground
    assert contrast(css["mark"]["color"], css["mark"]["background"]) >= 4.5
    # The focus ring stands out against the page (WCAG 1.4.11: 3:1).
    ring = css["a:focus-visible"]["outline"].split()
    assert contrast(ring[2], background) >= 3 and ring[0] == "3px"
    for links in ("header a", "li a", "dd a"):
        assert css[links]["min-height"] == "24px" and css[links]["display"] == "inline-block"
    assert css["body"]["overflow-wrap"] == "anywhere" and "max-width" in css["body"]
    assert "@media (forced-colors:active){mark{background:Mark;color:MarkText}" in STYLESHEET
    assert "transition" not in STYLESHEET and "animation" not in STYLESHEET


# --- the documented examples ------------------------------------------------------------------


def documented_examples(root: Path) -> list[dict[str, Any]]:
    """Request, headers, status, content type, answer headers and lines of each example of
    the record's page in docs/api.md."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("### The record's page"):]
    block = section[section.index("```http\n") + 8:section.index("```\n", section.index(
        "```http\n"))]
    examples = []
    for example in block.strip().split("\n\n"):
        lines = example.splitlines()
        request = lines[0].removeprefix("GET ")
        at = next(i for i, line in enumerate(lines) if re.match(r"\d{3} ", line))
        sent = dict(line.split(": ", 1) for line in lines[1:at])
        status, _, content_type = lines[at].partition(" ")
        rest = lines[at + 1:]
        answered = dict(line.split(": ", 1) for line in rest if not line.startswith("<"))
        shown = [line for line in rest if line.startswith("<")]
        examples.append({"request": request, "sent": sent, "status": int(status),
                         "content_type": content_type, "headers": answered, "shown": shown})
    return examples


def test_every_documented_page_example_answers_as_written(plain_client, root, small_index):
    generation = (small_index / "CURRENT").read_text().strip()
    examples = documented_examples(root)
    assert len(examples) == 3
    for example in examples:
        answer = get(plain_client, example["request"], **example["sent"])
        assert answer.status_code == example["status"], example["request"]
        assert answer.headers["content-type"] == example["content_type"]
        for name, value in example["headers"].items():
            expected = value.replace("<generation>", generation)
            assert answer.headers[name] in {expected.replace("<day>", day)
                                            for day in retrieval_days()}, name
        for line in example["shown"]:
            assert line in answer.text.splitlines(), line
        assert example["shown"] or answer.json["id"] == XSS_ID


def test_the_documented_policy_is_the_one_sent(client, root):
    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    policy = get(client, f"/documents/{XSS_ID}", Accept=BROWSER).headers[
        "content-security-policy"]
    hashed = re.sub(r"'sha256-[^']+'", "'sha256-…'", policy)
    assert f"`Content-Security-Policy: {hashed}`" in text

