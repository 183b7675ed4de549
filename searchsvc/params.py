"""Query-string parameters into request objects: the HTTP side of reading a request.

Here a parameter's text becomes a typed value (``page=abc`` is a 400 naming ``page``) and a
repeatable parameter a tuple (``lang=fi&lang=sv`` or ``lang=fi,sv``); the request objects of
``searchsvc.request`` check the values against the limits, once.
"""

from __future__ import annotations

import falcon

from searchsvc.limits import DEFAULT_UI, FACET_NAMES, UI_LANGUAGES
from searchsvc.request import SearchRequest, SuggestRequest, check_known


def values(req: falcon.Request, name: str) -> tuple[str, ...]:
    """A repeatable parameter's distinct non-empty values, in order."""
    found = req.get_param_as_list(name, delimiter=",") or []
    return tuple(dict.fromkeys(v.strip() for v in found if v.strip()))


def ui(req: falcon.Request) -> str:
    """``ui`` if given, else the first of fi/sv/en the browser accepts, else English."""
    chosen = req.get_param("ui")
    if chosen is not None:
        check_known("ui", (chosen,), UI_LANGUAGES)
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for part in (req.get_header("Accept-Language") or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        language = tag.strip().lower()[:2]
        if language in UI_LANGUAGES:
            ranked.append((-weight, len(ranked), language))
    return min(ranked)[2] if ranked else DEFAULT_UI


def search_request(req: falcon.Request) -> SearchRequest:
    facets = req.get_param_as_list("facets", delimiter=",")
    return SearchRequest(
        q=req.get_param("q") or "",
        languages=values(req, "lang"),
        years=tuple(req.get_param_as_list("year", transform=int, delimiter=",") or ()),
        year_from=req.get_param_as_int("year_from"),
        year_to=req.get_param_as_int("year_to"),
        divisions=values(req, "division"),
        types=values(req, "type"),
        orgs=values(req, "org"),
        sort=(values(req, "sort") or ("relevance",))[0],
        page=req.get_param_as_int("page", default=1),
        size=req.get_param_as_int("size", default=SearchRequest.size),
        facets=FACET_NAMES if facets is None else values(req, "facets"),
        ui=ui(req),
    )


def suggest_request(req: falcon.Request) -> SuggestRequest:
    return SuggestRequest(
        q=req.get_param("q") or "",
        languages=values(req, "lang"),
        size=req.get_param_as_int("size", default=SuggestRequest.size),
        titles=req.get_param_as_int("titles", default=SuggestRequest.titles),
    )


def analyzer_language(req: falcon.Request) -> str:
    (language,) = values(req, "lang")[:1] or (None,)
    if language is None:
        raise falcon.HTTPMissingParam("lang")
    check_known("lang", (language,), UI_LANGUAGES)
    return language
