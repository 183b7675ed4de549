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
from searchsvc import errors
from searchsvc.engine import Engine, IndexMissing
from searchsvc.metrics import Metrics, MetricsResource
from searchsvc.resources import (
    AnalyzeResource,
    DocumentResource,
    FacetsResource,
    HealthResource,
    LivenessResource,
    OpenAPIResource,
    ReadinessResource,
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


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> falcon.App:
    settings = settings or Settings.from_env()
    logging.getLogger("searchsvc").setLevel(settings.log_level.upper())
    engine = engine or Engine(
        settings.index_dir, check_interval=settings.reload_seconds, background=True
    )
    _warm_up(engine)
    metrics = Metrics(engine)
    middleware: list[Any] = [metrics]  # first, so its clock covers the others
    if settings.cors_origins:
        origins = "*" if "*" in settings.cors_origins else list(settings.cors_origins)
        middleware.append(falcon.CORSMiddleware(allow_origins=origins))
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    errors.register(app)
    app.add_route("/search", SearchResource(engine, settings))
    app.add_route("/suggest", SuggestResource(engine, settings))
    app.add_route("/documents/{doc_id}", DocumentResource(engine, settings))
    app.add_route("/facets", FacetsResource(engine, settings))
    app.add_route("/analyze", AnalyzeResource())
    app.add_route("/health", HealthResource(engine, settings))
    app.add_route("/health/live", LivenessResource())
    app.add_route("/health/ready", ReadinessResource(engine, settings))
    app.add_route("/metrics", MetricsResource(metrics))
    app.add_route("/openapi.json", OpenAPIResource())
    return app
