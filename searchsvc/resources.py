"""One resource per URL: read the request (``searchsvc.params``), ask a snapshot, answer.

Answers from an index carry the generation as their ETag, so a client's copy stays valid
until a new generation is published; health checks are never cached. ``HEAD`` is answered
wherever ``GET`` is (``create_app`` gives every resource's ``on_get`` as its ``on_head``;
Falcon sends the headers without the body).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import falcon

from searchsvc import (
    citations,
    document_page,
    export,
    feed,
    homepage,
    params,
    permalinks,
    record,
    related,
    search,
    snippets,
    suggest,
)
from searchsvc.assets import LONG_MAX_AGE, SHORT_MAX_AGE, Asset
from searchsvc.engine import Engine, IndexMissing, Snapshot
from searchsvc.openapi import openapi_document
from searchsvc.permalinks import base_url
from searchsvc.record_paths import requested_id
from searchsvc.request import FeedRequest, SearchRequest
from searchsvc.settings import Settings

# Related records listed on a record's page.
PAGE_RELATED = 5


def client_has_current(req: falcon.Request, etag: str) -> bool:
    """RFC 9110 If-None-Match, weak comparison: ``*`` matches any current representation,
    a list matches if any of its entity tags does."""
    wanted = req.if_none_match
    if not wanted:
        return False
    return any(tag == "*" or f'"{tag}"' == etag for tag in wanted)


class _FromIndex:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def _cacheable(
        self, req: falcon.Request, resp: falcon.Response, generation: str, labelled: bool = True,
        representation: str = "", vary: Sequence[str] = (), max_age: int | None = None,
    ) -> bool:
        """Cache headers tied to the index generation; True if the client's copy is current
        (the answer is then ``304 Not Modified``). ``labelled``: the answer holds labels;
        ``representation``: what tells the entity tag of this answer from another one of
        the same generation (``-html-fi``); ``vary``: other request headers it depends on;
        ``max_age``: a shorter lifetime than the setting's."""
        resp.etag = f'"{generation}{representation}"'
        seconds = self.settings.cache_seconds
        resp.cache_control = [f"max-age={seconds if max_age is None else min(seconds, max_age)}"]
        varies = list(vary)
        if labelled and params.picks_labels_from_accept_language(req):
            varies.append("Accept-Language")
        if varies:
            resp.vary = varies
        if client_has_current(req, resp.etag):
            resp.status = falcon.HTTP_304
            return True
        return False


class SearchResource(_FromIndex):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        started = time.perf_counter()
        given = params.values(req, SearchRequest)
        try:
            snapshot = self.engine.snapshot()
        except IndexMissing:
            params.search_request(req, given, None)  # a bad parameter is a 400 even so
            raise
        request = params.search_request(req, given, snapshot)
        # The feed of the same query and filters (``searchsvc.feed``), and its exports.
        extra = ("ui",) if "ui" in req.params else ()
        following = feed.feed_url(base_url(req, self.settings), request, extra)
        resp.append_link(following, "alternate", type_hint="application/atom+xml")
        if self._cacheable(req, resp, snapshot.generation):
            return
        if request.exports:
            self._export(req, resp, snapshot, request)
            return
        body = search.search(snapshot, request)
        body["links"] = {"feed": following,
                         **export.links(base_url(req, self.settings), request, extra)}
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
        resp.media = body

    def _export(self, req: falcon.Request, resp: falcon.Response, snapshot: Snapshot,
                request: SearchRequest) -> None:
        """Every hit, streamed (``searchsvc.export``): how many matched and whether the
        export holds them all are headers, as the body is sent as it is read."""
        found = export.export(snapshot, request, self.settings.export_max_records,
                              permalinks.base_url(req, self.settings))
        resp.content_type = found.content_type
        resp.downloadable_as = found.filename
        resp.set_header("X-Total-Count", str(found.total))
        resp.set_header("X-Export-Count", str(found.count))
        resp.set_header("X-Export-Capped", "true" if found.capped else "false")
        resp.stream = found.body


class FeedResource(_FromIndex):
    """``GET /feed``: an Atom feed of the newest records a search finds (``searchsvc.feed``).
    Its entity tag names the generation and the request (its address and ``ui``)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = params.values(req, FeedRequest)
        try:
            snapshot = self.engine.snapshot()
        except IndexMissing:
            params.feed_request(req, given, None)  # a bad parameter is a 400 even so
            raise
        request = params.feed_request(req, given, snapshot)
        extra = ["size", "ui"] if "ui" in req.params else ["size"]
        self_url = feed.feed_url(base_url(req, self.settings), request, extra)
        digest = hashlib.sha256(f"{self_url} {request.ui}".encode()).hexdigest()[:16]
        if self._cacheable(req, resp, snapshot.generation, representation=f"-feed-{digest}"):
            return
        resp.content_type = feed.MEDIA_TYPE
        resp.data = feed.atom(snapshot, request, base_url(req, self.settings), self_url)


class SuggestResource(_FromIndex):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = params.suggest_request(req)
        snapshot = self.engine.snapshot()
        if self._cacheable(req, resp, snapshot.generation, labelled=False):
            return
        resp.media = suggest.suggest(snapshot, request)


class DocumentResource(_FromIndex):
    """JSON for programs; the record's HTML page (``searchsvc.document_page``) for a client
    that prefers HTML (``params.prefers_html``: a browser) and names no ``format``, and a page
    for an unknown id; its citation for ``format=text|bibtex|csl-json``
    (``searchsvc.citations``). Every answer but a 404 cites the record as retrieved today
    (UTC): its entity tag names the day, and it is cached until the day ends at most."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        doc_id = requested_id(req, doc_id)
        request = params.document_request(req)
        as_page = "format" not in req.params and params.prefers_html(req)
        snapshot = self.engine.snapshot()
        document = record.document(snapshot, doc_id, request.ui)
        resp.vary = ["Accept"]  # a 404 too: a page or a problem
        if document is None:
            if not as_page:
                raise falcon.HTTPNotFound(
                    title="Document not found", description=f"No document has the id {doc_id!r}."
                )
            if params.picks_labels_from_accept_language(req):
                resp.vary = ["Accept", "Accept-Language"]
            resp.status = falcon.HTTP_404
            resp.set_headers(document_page.headers(request.ui))
            resp.text = document_page.not_found_page(doc_id, request.ui, request.q)
            return
        accessed = citations.today()
        form = "html" if as_page else request.format
        representation = ("" if form == "json" else f"-{form}-{request.ui}") + f"-{accessed}"
        if self._cacheable(req, resp, snapshot.generation, representation=representation,
                           vary=["Accept"], max_age=citations.seconds_left_today()):
            return
        base = permalinks.base_url(req, self.settings)
        cited = citations.citation(document, permalinks.permalink(base, doc_id), accessed,
                                   request.ui)
        if form in citations.CONTENT_TYPES:
            resp.content_type = citations.CONTENT_TYPES[form]
            resp.text = citations.formatted(cited, form, request.ui)
            return
        if not as_page:
            resp.media = {**document, **citations.fields(cited, request.ui)}
            return
        resp.set_headers(document_page.headers(request.ui))
        marks = record.marked(snapshot, doc_id, request.query)
        keep = {"q": request.q, "ui": req.get_param("ui") or ""}  # what links carry on
        with snapshot.reading():
            docnum = snapshot.docnum(doc_id)
        alike = [] if docnum is None else related.answer(
            snapshot, docnum, PAGE_RELATED, None, request.ui, base)["hits"]
        resp.text = document_page.page(document, marks, request.ui, keep, cited, alike)


class RelatedResource(_FromIndex):
    """``GET /documents/{id}/related``: records like it (``searchsvc.related``)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        doc_id = requested_id(req, doc_id)
        request = params.related_request(req)
        snapshot = self.engine.snapshot()
        with snapshot.reading():
            docnum = snapshot.docnum(doc_id)
        if docnum is None:
            raise falcon.HTTPNotFound(
                title="Document not found", description=f"No document has the id {doc_id!r}."
            )
        if self._cacheable(req, resp, snapshot.generation):
            return
        resp.media = related.answer(snapshot, docnum, request.size, request.lang, request.ui,
                                    permalinks.base_url(req, self.settings))


class FacetsResource(_FromIndex):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = params.labels_request(req)
        snapshot = self.engine.snapshot()
        if self._cacheable(req, resp, snapshot.generation):
            return
        resp.media = {"facets": search.facet_counts(snapshot, request.ui)}


class AnalyzeResource:
    """The analyzers need no index: this answers whether one is published or not."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = params.analyze_request(req)
        resp.media = {"lang": request.lang,
                      "tokens": snippets.analyze_text(request.lang, request.text)}


class _IndexStatus(_FromIndex):
    """A health check: never cached, and 503 saying what is wrong without a readable index."""

    def _snapshot(self, resp: falcon.Response) -> Snapshot | None:
        resp.cache_control = ["no-store"]
        try:
            return self.engine.snapshot()
        except IndexMissing as exc:
            resp.status = falcon.HTTP_503
            resp.media = {"status": "unavailable", "description": str(exc)}
            return None


class HealthResource(_IndexStatus):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        snapshot = self._snapshot(resp)
        if snapshot is None:
            return
        manifest = snapshot.manifest
        resp.media = {
            "status": "ok",
            "generation": snapshot.generation,
            "built_at": manifest.get("built_at"),
            "documents": snapshot.documents,
            "by_language": manifest.get("by_language", {}),
            "by_type": manifest.get("by_type", {}),
        }


class LivenessResource:
    """The process answers: never touches the index, so a missing index restarts nothing."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.cache_control = ["no-store"]
        resp.media = {"status": "alive"}


class ReadinessResource(_IndexStatus):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        snapshot = self._snapshot(resp)
        if snapshot is None:
            return
        resp.media = {"status": "ready", "generation": snapshot.generation}


class OpenAPIResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = openapi_document()


class AssetResource:
    """A served file (``searchsvc.assets`` says how it is cached)."""

    def __init__(self, asset: Asset) -> None:
        self.asset = asset

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        asset = self.asset
        versioned = req.get_param("v") == asset.version
        resp.etag = asset.etag
        resp.cache_control = (["public", f"max-age={LONG_MAX_AGE}", "immutable"] if versioned
                              else ["public", f"max-age={SHORT_MAX_AGE}"])
        resp.set_header("Access-Control-Allow-Origin", "*")
        resp.set_header("X-Content-Type-Options", "nosniff")
        if client_has_current(req, resp.etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = asset.content_type
        resp.data = asset.body


class HomePageResource:
    """``GET /``: the search page (``searchsvc.homepage``)."""

    def __init__(self, widget: Asset, stylesheet: Asset) -> None:
        self.widget = widget
        self.stylesheet = stylesheet

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ui = req.get_param("ui")
        if ui not in homepage.TITLES:
            ui = params.accepted_ui(req)
            resp.vary = ["Accept-Language"]
        resp.content_type = falcon.MEDIA_HTML
        resp.cache_control = [f"max-age={SHORT_MAX_AGE}"]
        resp.set_header("Content-Security-Policy", homepage.CSP)
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.text = homepage.render(ui, req.query_string, self.widget, self.stylesheet)
