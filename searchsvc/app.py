"""The WSGI application: ``create_app(settings)`` wires one resource class per URL."""

from __future__ import annotations

import logging
import time

import falcon

from indexer.lexicon import lexicon
from indexer.records import LANGUAGES
from searchsvc import errors
from searchsvc.engine import FACETS, Engine, SearchRequest
from searchsvc.metrics import Metrics, MetricsResource
from searchsvc.openapi import openapi_document
from searchsvc.settings import Settings

MAX_SIZE = 100
MAX_RESULTS_DEPTH = 10_000  # page * size: deep paging costs the service, not the reader
MAX_TEXT = 10_000
SORTS = ("relevance", "newest", "oldest")


def _choices(req: falcon.Request, name: str, allowed) -> tuple[str, ...]:
    """A repeatable parameter (``lang=fi&lang=sv`` or ``lang=fi,sv``) of known values."""
    values = _keys(req, name)
    for value in values:
        if value not in allowed:
            raise falcon.HTTPInvalidParam(
                f"{value!r} is not one of {', '.join(allowed)}.", name
            )
    return values


def _keys(req: falcon.Request, name: str) -> tuple[str, ...]:
    """A repeatable parameter's distinct non-empty values, in order."""
    values = req.get_param_as_list(name, delimiter=",") or []
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def _ui(req: falcon.Request) -> str:
    """``ui`` if given, else the first of fi/sv/en the browser accepts, else English."""
    ui = req.get_param("ui")
    if ui is not None:
        if ui not in LANGUAGES:
            raise falcon.HTTPInvalidParam(f"{ui!r} is not one of {', '.join(LANGUAGES)}.", "ui")
        return ui
    ranked = []
    for part in (req.get_header("Accept-Language") or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        language = tag.strip().lower()[:2]
        if language in LANGUAGES:
            ranked.append((-weight, len(ranked), language))
    return min(ranked)[2] if ranked else "en"


class _Resource:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def _cacheable(self, req: falcon.Request, resp: falcon.Response, generation: str) -> bool:
        """Cache headers tied to the index generation; True if the client's copy is current."""
        resp.etag = f'"{generation}"'
        resp.cache_control = [f"max-age={self.settings.cache_seconds}"]
        resp.vary = ["Accept-Language"]
        if req.get_header("If-None-Match") in (f'"{generation}"', f'W/"{generation}"'):
            resp.status = falcon.HTTP_304
            return True
        return False


class SearchResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        started = time.perf_counter()
        page = req.get_param_as_int("page", min_value=1, default=1)
        size = req.get_param_as_int("size", min_value=1, max_value=MAX_SIZE, default=10)
        if page * size > MAX_RESULTS_DEPTH:
            raise falcon.HTTPInvalidParam(
                f"page × size may be at most {MAX_RESULTS_DEPTH}; narrow the search instead.",
                "page",
            )
        facets = req.get_param_as_list("facets", delimiter=",")
        request = SearchRequest(
            q=req.get_param("q") or "",
            languages=_choices(req, "lang", LANGUAGES),
            years=tuple(req.get_param_as_list("year", transform=int, delimiter=",") or ()),
            year_from=req.get_param_as_int("year_from"),
            year_to=req.get_param_as_int("year_to"),
            divisions=_keys(req, "division"),
            types=_keys(req, "type"),
            orgs=_keys(req, "org"),
            sort=(_choices(req, "sort", SORTS) or ("relevance",))[0],
            page=page,
            size=size,
            facets=tuple(FACETS) if facets is None else _choices(req, "facets", tuple(FACETS)),
            ui=_ui(req),
        )
        snapshot = self.engine.snapshot()
        if self._cacheable(req, resp, snapshot.generation):
            return
        body = snapshot.search(request)
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
        resp.media = body


class SuggestResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        prefix = req.get_param("q") or ""
        if len(prefix) > 200:
            raise falcon.HTTPInvalidParam("At most 200 characters.", "q")
        languages = _choices(req, "lang", LANGUAGES)
        size = req.get_param_as_int("size", min_value=1, max_value=10, default=10)
        titles = req.get_param_as_int("titles", min_value=0, max_value=10, default=5)
        snapshot = self.engine.snapshot()
        if self._cacheable(req, resp, snapshot.generation):
            return
        resp.media = {
            "q": prefix,
            "suggestions": snapshot.suggest(prefix, languages, size),
            "titles": snapshot.suggest_titles(prefix, languages, titles),
        }


class DocumentResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, doc_id: str) -> None:
        ui = _ui(req)
        snapshot = self.engine.snapshot()
        document = snapshot.document(doc_id, ui)
        if document is None:
            raise falcon.HTTPNotFound(
                title="Document not found", description=f"No document has the id {doc_id!r}."
            )
        if self._cacheable(req, resp, snapshot.generation):
            return
        resp.media = document


class FacetsResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ui = _ui(req)
        snapshot = self.engine.snapshot()
        if self._cacheable(req, resp, snapshot.generation):
            return
        resp.media = {"facets": snapshot.facet_counts(ui)}


class AnalyzeResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        (language,) = _choices(req, "lang", LANGUAGES) or (None,)
        if language is None:
            raise falcon.HTTPMissingParam("lang")
        text = req.get_param("text", required=True)
        if len(text) > MAX_TEXT:
            raise falcon.HTTPInvalidParam(f"At most {MAX_TEXT} characters.", "text")
        resp.media = {"lang": language, "tokens": self.engine.snapshot().analyze(language, text)}


class _IndexStatus(_Resource):
    """A health check: never cached, and 503 saying what is wrong without a readable index."""

    def _snapshot(self, resp: falcon.Response):
        resp.cache_control = ["no-store"]
        try:
            return self.engine.snapshot()
        except errors.IndexMissing as exc:
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


def _warm_up(engine: Engine) -> None:
    """Load the dictionaries and open the index before the first request, not during it."""
    for language in LANGUAGES:
        lexicon(language)
    try:
        engine.snapshot()
    except errors.IndexMissing:
        pass  # /health says so; the engine opens the index once one is published


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> falcon.App:
    settings = settings or Settings.from_env()
    logging.getLogger("searchsvc").setLevel(settings.log_level.upper())
    engine = engine or Engine(
        settings.index_dir, check_interval=settings.reload_seconds, background=True
    )
    _warm_up(engine)
    metrics = Metrics(engine)
    middleware: list[object] = [metrics]  # first, so its clock covers the others
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
    app.add_route("/analyze", AnalyzeResource(engine, settings))
    app.add_route("/health", HealthResource(engine, settings))
    app.add_route("/health/live", LivenessResource())
    app.add_route("/health/ready", ReadinessResource(engine, settings))
    app.add_route("/metrics", MetricsResource(metrics))
    app.add_route("/openapi.json", OpenAPIResource())
    return app
