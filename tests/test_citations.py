"""Citations of a record (``GET /documents/{id}?format=``) and the licences behind them.

Through the real app over the small index (its court decisions, Helsinki agenda items, UK
written answers and seed pages each carry their own licence, or none).
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
from pathlib import Path

import jsonschema
import pytest
from falcon import testing

from searchsvc import citations, licences
from searchsvc.app import create_app
from searchsvc.page_text import text
from searchsvc.permalinks import document_path
from searchsvc.settings import Settings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PUBLIC = "https://search.example.fi"
# What the CSL-JSON schema (citation-style-language/schema, csl-data.json) requires of an
# item, and the shapes of the variables given here: names, dates, strings.
CSL_TYPES = ["article", "article-journal", "bill", "book", "chapter", "dataset", "document",
             "entry", "hearing", "legal_case", "legislation", "manuscript", "pamphlet",
             "personal_communication", "post", "post-weblog", "regulation", "report",
             "software", "speech", "standard", "treaty", "webpage"]
DATE = {"type": "object", "required": ["date-parts"], "properties": {"date-parts": {
    "type": "array", "minItems": 1, "maxItems": 2, "items": {
        "type": "array", "minItems": 1, "maxItems": 3,
        "items": {"type": ["string", "number"]}}}}}
CSL_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["id", "type"], "additionalProperties": False,
    "properties": {
        "id": {"type": ["string", "number"]}, "type": {"type": "string", "enum": CSL_TYPES},
        "author": {"type": "array", "items": {"type": "object", "properties": {
            "literal": {"type": "string"}}, "additionalProperties": False}},
        "issued": DATE, "accessed": DATE,
        **{name: {"type": "string"} for name in (
            "title", "URL", "publisher", "note", "genre", "language", "source", "authority")},
    }}}


@pytest.fixture(scope="module")
def public_client(small_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=small_index, public_url=PUBLIC)))


def cite(client: testing.TestClient, doc_id: str, form: str | None = None, **params: str
         ) -> testing.Result:
    query = {**({"format": form} if form else {}), **params}
    return client.simulate_get(document_path(doc_id), params=query)


def retrieval_days() -> set[str]:
    today = datetime.datetime.now(datetime.UTC).date()
    return {today.isoformat(), (today - datetime.timedelta(days=1)).isoformat()}


def of_source(ids: list[str], prefix: str) -> str:
    return next(doc_id for doc_id in ids if doc_id.startswith(prefix))


@pytest.fixture(scope="module")
def examples(small_corpus_ids: list[str]) -> dict[str, str]:
    """A record of each source of the small corpus."""
    return {
        "finlex": of_source(small_corpus_ids, "finlex:"),
        "helsinki": of_source(small_corpus_ids, "helsinki:"),
        "uk": of_source(small_corpus_ids, "ukparl:"),
        "seed": of_source(small_corpus_ids, "seed:"),
    }


# --- the licences -----------------------------------------------------------------------------


def test_every_licence_of_the_shipped_corpus_has_its_attribution(shipped_corpus):
    stated = set()
    for path in sorted((shipped_corpus / "records").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            stated |= {json.loads(line).get("license") for line in handle}
    assert None not in stated and len(stated) == 4
    for value in stated:
        assert value in licences.LICENCES, value
        terms = licences.terms_of({"extra": {"license": value}})
        assert terms.licence is not None and terms.attribution == terms.licence.attribution


def test_the_attributions_the_licences_require():
    def of(start: str) -> licences.Licence:
        return next(v for k, v in licences.LICENCES.items() if k.startswith(start))

    finlex, helsinki = of("CC-BY-4.0 (Semantic Finlex"), of("CC-BY-4.0 (Helsinki")
    uk = of("Open Parliament Licence")
    assert finlex.name == helsinki.name == "CC BY 4.0"
    assert "Finlex / Ministry of Justice, Finland" in finlex.attribution
    assert "City of Helsinki" in helsinki.attribution and "CC BY 4.0" in helsinki.attribution
    assert uk.attribution.startswith("Contains Parliamentary information licensed under the "
                                     "Open Parliament Licence v3.0.")


def test_no_attribution_is_invented():
    assert licences.terms_of({}).attribution == "Licence not stated."
    odd = licences.terms_of({"extra": {"license": "All rights reserved (Example Oy)"}})
    assert odd.licence is None
    assert odd.attribution == "Licence as stated by the source: All rights reserved (Example Oy)"
    assert odd.as_json() == {"name": None, "url": None,
                             "stated": "All rights reserved (Example Oy)"}


# --- the JSON answer --------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["finlex", "helsinki", "uk", "seed"])
def test_the_json_answer_gains_permalink_citation_licence_and_attribution(
        public_client, examples, source):
    doc_id = examples[source]
    body = cite(public_client, doc_id).json
    assert body["permalink"] == PUBLIC + document_path(doc_id)
    assert body["citation"] == cite(public_client, doc_id, "text").text.rstrip("\n")
    assert body["permalink"] in body["citation"] and body["attribution"] in body["citation"]
    assert body["title"] in body["citation"]
    stated = (body.get("extra") or {}).get("license")
    assert body["licence"]["stated"] == stated
    if source == "seed":
        assert body["attribution"] == "Licence not stated." and body["licence"]["name"] is None
    else:
        assert body["licence"]["name"] in ("CC BY 4.0", "Open Parliament Licence v3.0")


def test_without_a_public_url_the_permalink_is_the_request_s_host(client, examples):
    body = cite(client, examples["finlex"]).json
    assert body["permalink"] == "http://falconframework.org" + document_path(examples["finlex"])


# --- the formats ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["finlex", "helsinki", "uk", "seed"])
def test_each_format_carries_the_facts(public_client, examples, source):
    doc_id = examples[source]
    record = cite(public_client, doc_id).json
    labels = record["labels"]
    accessed = retrieval_days()
    for form, content_type in citations.CONTENT_TYPES.items():
        answer = cite(public_client, doc_id, form)
        assert answer.status_code == 200 and answer.headers["content-type"] == content_type
        text = answer.text
        if form == "bibtex":
            text = text.replace("\\_", "_").replace("\\&", "&").replace("\\%", "%")
        for fact in (record["permalink"], labels["type"]["label"], record["attribution"]):
            assert fact in text, (form, fact)
        if form != "csl-json":  # there the day is date-parts
            assert any(day in text for day in accessed), form
        assert labels["org"]["label"] in text, form
        if record.get("date"):
            assert record["date"][:4] in text
        source_url = record.get("url") or record.get("source_ref")
        if source_url:
            assert source_url in text, form
    if source == "uk":
        # The answering body of a written answer is named with the House.
        division = labels["division"]["label"]
        assert f"answering body: {division}" in cite(public_client, doc_id, "text").text


def test_the_text_citation_speaks_the_page_s_language(public_client, examples):
    doc_id = examples["finlex"]
    fi = cite(public_client, doc_id, "text", ui="fi").text
    sv = cite(public_client, doc_id, "text", ui="sv").text
    assert "(viitattu 20" in fi and "(hämtad 20" in sv
    for ui, cited in (("fi", fi), ("sv", sv)):
        org = cite(public_client, doc_id, ui=ui).json["labels"]["org"]["label"]
        assert cited.startswith(org + ". ")
    assert fi.split(". ")[0] != sv.split(". ")[0]


def test_bibtex_is_one_misc_entry_with_special_characters_escaped(public_client, examples):
    doc_id = examples["uk"]
    entry = cite(public_client, doc_id, "bibtex").text
    assert entry.startswith(f"@misc{{{citations.citation_key(doc_id)},\n")
    assert entry.count("@") == 1 and entry.endswith("}\n")
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", entry, flags=re.M))
    assert {"title", "author", "year", "date", "url", "urldate", "note", "publisher"} <= set(fields)
    assert fields["url"] == PUBLIC + document_path(doc_id)
    assert fields["author"].startswith("{") and fields["title"].startswith("{")
    assert braces_balance(entry)


def braces_balance(text: str) -> bool:
    depth = 0
    for at, char in enumerate(text):
        if char in "{}" and (at == 0 or text[at - 1] != "\\"):
            depth += 1 if char == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def test_bibtex_escaping_and_keys():
    assert citations.bibtex_escape(r"50% & $5 #1 a_b ~x ^y {z} \w") == (
        r"50\% \& \$5 \#1 a\_b \textasciitilde{}x \textasciicircum{}y \{z\} \textbackslash{}w")
    assert citations.citation_key("finlex:kko:20010038:sv") == "finlex:kko:20010038:sv"
    weird = citations.citation_key("file:reports/2024/ä b#1")
    assert re.fullmatch(r"[A-Za-z0-9:_-]+", weird)
    assert weird == citations.citation_key("file:reports/2024/ä b#1")  # stable
    assert weird != citations.citation_key("file:reports/2024/a b#1")


def test_a_title_with_special_characters_makes_a_valid_entry(examples):
    cited = citations.Citation(
        id="x#1", title="Costs {100%} & $ _under_ ~review^ \\ done", issuer="A & B",
        date="2021-05-05", year=2021, doc_type=None, type_label=None, language="en",
        permalink="https://e.org/documents/x%231", source_url="https://e.org/a?b=1&c={2}",
        accessed=datetime.date(2026, 1, 2), terms=licences.terms_of({}))
    entry = citations.as_bibtex(cited, "en")
    assert braces_balance(entry)
    assert r"\{100\%\} \& \$ \_under\_ \textasciitilde{}review\textasciicircum{} " in entry
    assert "url = {https://e.org/documents/x%231}" in entry
    assert r"Original: https://e.org/a?b=1\&c=\{2\}." in entry


@pytest.mark.parametrize("source", ["finlex", "helsinki", "uk", "seed"])
def test_csl_json_is_one_valid_item(public_client, examples, source):
    doc_id = examples[source]
    answer = cite(public_client, doc_id, "csl-json")
    items = json.loads(answer.text)
    jsonschema.validate(items, CSL_SCHEMA)
    (item,) = items
    record = cite(public_client, doc_id).json
    assert item["id"] == doc_id and item["URL"] == record["permalink"]
    assert item["type"] == {"finlex": "legal_case", "seed": "report"}.get(source, "document")
    assert record["attribution"] in item["note"]
    year, month, day = item["accessed"]["date-parts"][0]
    assert f"{year:04d}-{month:02d}-{day:02d}" in retrieval_days()
    if record.get("date"):
        assert item["issued"]["date-parts"][0] == [int(p) for p in record["date"].split("-")]


def test_a_bad_format_is_a_400_naming_it(client, examples):
    for accept in (BROWSER, "*/*"):
        answer = client.simulate_get(document_path(examples["finlex"]),
                                     params={"format": "ris"}, headers={"Accept": accept})
        assert answer.status_code == 400
        assert answer.json["description"].startswith('The "format" parameter is invalid.')


def test_format_json_gives_a_browser_json(client, examples):
    answer = client.simulate_get(document_path(examples["finlex"]), params={"format": "json"},
                                 headers={"Accept": BROWSER})
    assert answer.headers["content-type"] == "application/json"


def test_an_unknown_id_in_any_format_is_a_404_problem(client):
    for form in citations.CONTENT_TYPES:
        answer = client.simulate_get("/documents/no-such-id", params={"format": form})
        assert answer.status_code == 404 and answer.json["title"] == "Document not found"


# --- caching ----------------------------------------------------------------------------------


def test_each_format_has_its_own_entity_tag_naming_the_day(client, examples, small_index):
    generation = (small_index / "CURRENT").read_text().strip()
    doc_id = examples["helsinki"]
    tags: dict[str, str] = {}
    for form in ("json", *citations.CONTENT_TYPES):
        answer = cite(client, doc_id, form, ui="fi")
        tag = answer.headers["etag"]
        day = tag.strip('"')[-10:]
        assert day in retrieval_days() and tag.startswith(f'"{generation}')
        max_age = int(answer.headers["cache-control"].removeprefix("max-age="))
        assert 0 < max_age <= citations.seconds_left_today() + 1
        again = client.simulate_get(document_path(doc_id), params={"format": form, "ui": "fi"},
                                    headers={"If-None-Match": tag})
        assert again.status_code == 304
        tags[form] = tag
    assert len(set(tags.values())) == len(tags)
    # Yesterday's citation is not today's: a tag of another day is answered in full.
    stale = tags["bibtex"][:-11] + '2000-01-01"'
    assert client.simulate_get(document_path(doc_id), params={"format": "bibtex", "ui": "fi"},
                               headers={"If-None-Match": stale}).status_code == 200


def test_the_retrieval_day_ends_at_midnight_utc():
    left = citations.seconds_left_today()
    now = datetime.datetime.now(datetime.UTC)
    assert 0 < left <= 86400
    assert (now + datetime.timedelta(seconds=left + 1)).date() > now.date()


# --- the page ---------------------------------------------------------------------------------


def page_of(client: testing.TestClient, doc_id: str, ui: str) -> str:
    answer = client.simulate_get(document_path(doc_id), params={"ui": ui},
                                 headers={"Accept": BROWSER})
    assert answer.status_code == 200
    return answer.text


@pytest.mark.parametrize("ui", ["fi", "sv", "en"])
def test_the_page_has_a_citation_block_and_related_records(public_client, examples, ui):
    doc_id = examples["uk"]
    html = page_of(public_client, doc_id, ui)
    record = cite(public_client, doc_id, ui=ui).json
    block = html[html.index('<section aria-labelledby="cite">'):]
    block = block[:block.index("</section>")]
    assert f'<h2 id="cite">{text(ui, "cite")}</h2>' in block
    assert f'href="{document_path(doc_id)}?format=bibtex&amp;ui={ui}"' in block
    assert f'href="{document_path(doc_id)}?format=csl-json&amp;ui={ui}"' in block
    assert 'rel="license">Open Parliament Licence v3.0</a>' in block
    assert '<span lang="en">Contains Parliamentary information' in block
    assert f'<cite lang="en">{record["title"]}</cite>' in block
    related = public_client.simulate_get(document_path(doc_id) + "/related",
                                         params={"size": "5"}).json["hits"]
    nav = html[html.index('<nav aria-labelledby="related">'):]
    assert f'<h2 id="related">{text(ui, "related")}</h2>' in nav
    links = re.findall(r'<li><a href="([^"]+)"', nav)
    assert links == [document_path(hit["id"]) + f"?ui={ui}" for hit in related]


def test_record_text_in_the_citation_block_is_escaped(client):
    html = page_of(client, "xss-1", "fi")
    block = html[html.index('<section aria-labelledby="cite">'):]
    assert "<script>" not in block and "Kokous &lt;script&gt;alert(1)&lt;/script&gt;" in block


def test_every_documented_citation_example_answers_as_written(public_client, http_examples):
    examples = http_examples("### Citations (`format`)")
    assert len(examples) == 5
    for example in examples:
        path, _, query = example.path.partition("?")
        example.check(public_client.simulate_get(path, query_string=query))


def test_every_documented_related_example_answers_as_written(public_client, http_examples):
    examples = http_examples("## `GET /documents/{id}/related`")
    assert len(examples) == 4
    for example in examples:
        path, _, query = example.path.partition("?")
        example.check(public_client.simulate_get(path, query_string=query))
