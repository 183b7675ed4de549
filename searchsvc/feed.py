"""``GET /feed``: the newest records a search finds, as an Atom 1.0 feed (RFC 4287).

Any feed reader polling a feed becomes an alert for "new decisions mentioning X in division
Y". The feed lists the records ``/search?sort=newest`` finds for the same query and filters
(``FeedRequest.search``), newest first-published first (``searchsvc.first_published``: a
record is new once, when it first appeared in a published generation), ties by record date,
then id.

Ids never change with rebuilds: a record's entry id is ``tag:<authority>,2026:record/<id>``
(the record id percent-escaped as one path segment; the date part is a constant, RFC 4151
lets it be any day the authority held its name, and it must never change), a feed's is
``tag:<authority>,2026:feed?<query>``, its query and filters written one way whatever the
order, repeats or spacing they were given in (``canonical_query``). The authority is the
host of ``SEARCHSVC_PUBLIC_URL``, else the request's. Links are absolute
(``searchsvc.permalinks``): an entry's ``alternate`` is the record's page, ``via`` its source
document; the feed's ``self`` is itself, ``alternate`` the search page with the same search.

The XML is built with ``xml.etree``, so record text is always text, never markup; characters
XML 1.0 cannot hold (controls other than tab and newlines) are dropped.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from indexer.contract import LANGUAGES, StoredDocument, stored_text_in
from searchsvc.first_published import FirstPublished, atom_time
from searchsvc.limits import DEFAULT_FEED_SIZE
from searchsvc.permalinks import permalink
from searchsvc.request import FEED_SEARCH_FIELDS, FeedRequest, SearchRequest, parameters
from searchsvc.search import matching
from searchsvc.snapshot import Snapshot
from searchsvc.snippets import snippet

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The date part of every tag: URI this service makes. Fixed for ever: ids must not change.
TAG_DATE = "2026"
GENERATOR = "searchsvc"
SUMMARY_CHARS = 300
# Characters XML 1.0 cannot hold.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The parameters of the search page (``searchsvc.homepage``, ``widget.js``).
PAGE_PARAMETERS = ("q", "lang", "year", "division", "type", "org")

ET.register_namespace("", ATOM)

# "Records matching …" and the names of the filters, in each ui language.
TITLES = {
    "fi": {"all": "Uusimmat asiakirjat", "query": "Uudet asiakirjat haulla ”{q}”",
           "lang": "kieli", "year": "vuosi", "years": "vuodet", "division": "toimiala",
           "type": "tyyppi", "org": "organisaatio", "cross_lang": "myös ruotsiksi ja suomeksi"},
    "sv": {"all": "Nyaste handlingarna", "query": "Nya handlingar för sökningen ”{q}”",
           "lang": "språk", "year": "år", "years": "åren", "division": "sektor",
           "type": "typ", "org": "organisation", "cross_lang": "också på finska och svenska"},
    "en": {"all": "Newest records", "query": "New records matching “{q}”",
           "lang": "language", "year": "year", "years": "years", "division": "division",
           "type": "type", "org": "organisation",
           "cross_lang": "also in Finnish and Swedish"},
}
AUTHOR = {"fi": "Hakupalvelu", "sv": "Söktjänsten", "en": "Search service"}


def clean(text: object) -> str:
    """Text XML can hold."""
    return NOT_XML.sub("", str(text or ""))


def canonical_query(request: SearchRequest | FeedRequest, extra: Iterable[str] = ()) -> str:
    """The query string of the search's query and filters (and the fields ``extra``: size,
    ui) written one way: parameters in their declared order, list values deduplicated and
    sorted, ``q`` with single spaces, defaults left out; percent-escaped."""
    pairs = []
    wanted = (*FEED_SEARCH_FIELDS, *extra)
    for field_name, declared in parameters(FeedRequest):
        if field_name not in wanted:
            continue
        value = getattr(request, field_name)
        if declared.many:
            value = ",".join(str(v) for v in sorted(set(value), key=str)) if value else None
        elif field_name == "q":
            value = " ".join(value.split()) or None
        elif field_name == "size" and value == DEFAULT_FEED_SIZE:
            value = None
        elif field_name == "cross_lang":
            value = value or None
        if value is not None:
            pairs.append((declared.name, str(value)))
    return urlencode(pairs, quote_via=quote, safe=",")


def feed_url(base: str, request: SearchRequest | FeedRequest, extra: Iterable[str] = ()) -> str:
    """The absolute address of the feed of a search's query and filters."""
    query = canonical_query(request, extra)
    return f"{base}/feed" + (f"?{query}" if query else "")


def authority(base: str) -> str:
    """The tagging authority: the host of the service's address, as a DNS name."""
    host = (urlsplit(base).hostname or "").lower()
    return re.sub(r"[^a-z0-9.-]", "", host) or "localhost"


def record_tag(tagger: str, doc_id: str) -> str:
    """A record's entry id: the same in every generation and every feed."""
    return f"tag:{tagger},{TAG_DATE}:record/{quote(doc_id, safe='')}"


def feed_tag(tagger: str, request: FeedRequest) -> str:
    query = canonical_query(request)
    return f"tag:{tagger},{TAG_DATE}:feed" + (f"?{query}" if query else "")


def title(snapshot: Snapshot, request: FeedRequest) -> str:
    """What the feed follows, in the ``ui`` language: the query, then each filter."""
    words, columns = TITLES[request.ui], snapshot.columns
    q = " ".join(request.q.split())
    parts = [words["query"].format(q=q) if q else words["all"]]
    for name, column, keys in (("lang", "language", request.languages),
                               ("division", "division", request.divisions),
                               ("type", "doc_type", request.types),
                               ("org", "organization", request.orgs)):
        if keys:
            labels = ", ".join(columns.label(column, key, request.ui) for key in sorted(keys))
            parts.append(f"{words[name]}: {labels}")
    if request.years:
        parts.append(f"{words['year']}: {', '.join(map(str, sorted(request.years)))}")
    if request.year_from is not None or request.year_to is not None:
        low, high = request.year_from or "", request.year_to or ""
        parts.append(f"{words['years']}: {low}–{high}")
    if request.cross_lang:
        parts.append(words["cross_lang"])
    return clean("; ".join(parts))


def _summary(stored: StoredDocument) -> str:
    """The opening of the record's text in its main language, as plain text."""
    language = stored.get("language") or ""
    text = stored_text_in(stored, language if language in LANGUAGES else "en")
    return clean(html.unescape(snippet(text, [], width=SUMMARY_CHARS)))


def _link(parent: ET.Element, rel: str, href: str, media: str | None = None) -> None:
    attributes = {"rel": rel, "href": href}
    if media:
        attributes["type"] = media
    ET.SubElement(parent, f"{{{ATOM}}}link", attributes)


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    element.text = text
    return element


def _entry(feed: ET.Element, snapshot: Snapshot, docnum: int, when: str, base: str,
           tagger: str, ui: str) -> None:
    stored = snapshot.stored(docnum)
    doc_id = str(stored.get("id") or "")
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    if stored.get("language") in LANGUAGES:
        entry.set(XML_LANG, str(stored.get("language")))
    _text(entry, "id", record_tag(tagger, doc_id))
    _text(entry, "title", clean(stored.get("title")) or clean(doc_id), type="text")
    _link(entry, "alternate", permalink(base, doc_id), "text/html")
    url = str(stored.get("url") or "")
    if url.startswith(("http://", "https://")):
        _link(entry, "via", url)
    _text(entry, "published", when)
    _text(entry, "updated", when)
    for scheme, column in (("type", "doc_type"), ("division", "division")):
        key = stored.get(column)
        if key:
            ET.SubElement(entry, f"{{{ATOM}}}category", {
                "term": clean(key), "scheme": f"{base}/facets#{scheme}",
                "label": clean(snapshot.columns.label(column, key, ui))})
    _text(entry, "summary", _summary(stored), type="text")


def atom(snapshot: Snapshot, request: FeedRequest, base: str, self_url: str) -> bytes:
    """The feed document, UTF-8."""
    first = FirstPublished.of(snapshot)
    newest = first.newest(matching(snapshot, request.search), request.size)
    tagger = authority(base)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: request.ui})
    _text(feed, "id", feed_tag(tagger, request))
    _text(feed, "title", title(snapshot, request), type="text")
    updated = int(first.times[newest[0]]) if newest else first.built
    _text(feed, "updated", atom_time(updated))
    _link(feed, "self", self_url, "application/atom+xml")
    page = [(name, value) for name, value in parse_qsl(canonical_query(request))
            if name in PAGE_PARAMETERS]
    page_query = urlencode([*page, ("ui", request.ui)], quote_via=quote, safe=",")
    _link(feed, "alternate", f"{base}/?{page_query}", "text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", AUTHOR[request.ui])
    _text(author, "uri", f"{base}/")
    _text(feed, "generator", GENERATOR, uri=f"{base}/")
    with snapshot.reading():
        for docnum in newest:
            _entry(feed, snapshot, docnum, atom_time(int(first.times[docnum])), base, tagger,
                   request.ui)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
