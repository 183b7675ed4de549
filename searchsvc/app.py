"""The WSGI application: ``create_app(settings)`` wires one resource class per URL.

A request's way through: ``searchsvc.resources`` (one class per URL) reads its parameters
into a request object checked once (``searchsvc.params``, ``searchsvc.request``), asks the
engine for the published generation's snapshot (``searchsvc.engine``) and answers from it
(``searchsvc.search``, ``searchsvc.suggest``). ``docs/architecture.md`` has the whole map.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from indexer.contract import LANGUAGES
from indexer.lexicon import lexicon
from searchsvc import assets, errors
from searchsvc.engine import Engine, IndexMissing
from searchsvc.metrics import Metrics, MetricsResource
from searchsvc.record_paths import RecordPaths
from searchsvc.resources import (
    AnalyzeResource,
    AssetResource,
    DocumentResource,
    FacetsResource,
    FeedResource,
    HealthResource,
    HomePageResource,
    LivenessResource,
    OpenAPIResource,
    ReadinessResource,
    RelatedResource,
    SearchResource,
    SuggestResource,
)
from searchsvc.settings import Settings


def _warm_up(engine: Engine) -> None:
    """Load the dictionaries and open the index before the first request, not during it."""
    for language in LANGUAGES:
        lexicon(language)
    try:
        engine.snapshot()
    except IndexMissing:
        pass  # /health says so; the engine opens the index once one is published


# Answer headers a script of an allowed origin may read, besides the CORS-safelisted ones:
# an export's counts (``searchsvc.export``) and the ``Link`` to a search's feed.
EXPOSED_HEADERS = ("X-Total-Count", "X-Export-Count", "X-Export-Capped", "Link", "ETag")


class CORS(falcon.CORSMiddleware):
    """Falcon's CORS policy, and ``Vary: Origin`` on every answer: whether an answer carries
    the CORS headers depends on the request's ``Origin``, so a shared cache must keep one
    copy per origin rather than hand a city's site a copy made for another origin."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        super().process_response(req, resp, resource, req_succeeded)
        resp.append_header("Vary", "Origin")


def _route(app: falcon.App, template: str, resource: object) -> None:
    """Add a route answering ``HEAD`` as ``GET`` (Falcon sends no body for ``HEAD``)."""
    if hasattr(resource, "on_get") and not hasattr(resource, "on_head"):
        resource.on_head = resource.on_get  # type: ignore[attr-defined]
    app.add_route(template, resource)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> falcon.App:
    settings = settings or Settings.from_env()
    logging.getLogger("searchsvc").setLevel(settings.log_level.upper())
    engine = engine or Engine(
        settings.index_dir, check_interval=settings.reload_seconds, background=True
    )
    _warm_up(engine)
    metrics = Metrics(engine)
    # metrics first, so its clock covers the others; record paths before routing
    middleware: list[Any] = [metrics, RecordPaths()]
    if settings.cors_origins:
        origins = "*" if "*" in settings.cors_origins else list(settings.cors_origins)
        middleware.append(CORS(allow_origins=origins, expose_headers=list(EXPOSED_HEADERS)))
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    errors.register(app)
    _route(app, "/search", SearchResource(engine, settings))
    _route(app, "/suggest", SuggestResource(engine, settings))
    _route(app, "/documents/{doc_id}", DocumentResource(engine, settings))
    _route(app, "/documents/{doc_id}/related", RelatedResource(engine, settings))
    _route(app, "/facets", FacetsResource(engine, settings))
    _route(app, "/feed", FeedResource(engine, settings))
    _route(app, "/analyze", AnalyzeResource())
    _route(app, "/health", HealthResource(engine, settings))
    _route(app, "/health/live", LivenessResource())
    _route(app, "/health/ready", ReadinessResource(engine, settings))
    _route(app, "/metrics", MetricsResource(metrics))
    _route(app, "/openapi.json", OpenAPIResource())
    widget, stylesheet = assets.load("widget.js"), assets.load("page.css")
    _route(app, "/widget.js", AssetResource(widget))
    _route(app, "/page.css", AssetResource(stylesheet))
    _route(app, "/", HomePageResource(widget, stylesheet))
    return app
