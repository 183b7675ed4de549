"""Query strings into request objects: the HTTP side of reading a request.

What a route takes is declared once, by its request type (``searchsvc.request``); reading a
query string against those declarations follows one set of rules for every route:

- a parameter the route does not declare is a 400 naming it, with the parameters the route
  takes (and the one meant, when one is close);
- a list parameter (``lang``, ``year``, ``division``, ``type``, ``org``, ``facets``) takes
  its values repeated, comma-separated or both, combined (``lang=fi&lang=sv,en``); empty
  values are dropped, so ``facets=`` is no facets and ``lang=`` no filter;
- any other parameter takes one value: given twice, it is a 400, even with the same value;
- a number that does not parse is a 400 naming it; a missing required parameter is a 400.

The request object then checks the values against the limits, once. Routes without
parameters (the health checks, ``/metrics``, ``/openapi.json``) do not read the query string,
so a probe never fails over one.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import falcon

from searchsvc.limits import DEFAULT_UI, UI_LANGUAGES
from searchsvc.request import (
    AnalyzeRequest,
    DocumentRequest,
    FeedRequest,
    InvalidParameter,
    LabelsRequest,
    Parameter,
    RelatedRequest,
    SearchRequest,
    SuggestRequest,
    close_match,
    parameters,
)
from searchsvc.snapshot import Snapshot

Request = TypeVar("Request")


class UnknownParameter(InvalidParameter):
    """Parameters a route does not take."""

    title = "Unknown parameter"

    def __init__(self, route: str, unknown: list[str], known: list[str]) -> None:
        self.route, self.unknown, self.known = route, unknown, known
        super().__init__(tuple(unknown), "")

    @property
    def description(self) -> str:
        named = []
        for name in self.unknown:
            meant = close_match(name, self.known)
            hint = f" (did you mean {_quoted(meant)}?)" if meant else ""
            named.append(_quoted(name) + hint)
        noun = "parameter" if len(named) == 1 else "parameters"
        return (f"Unknown {noun} {', '.join(named)}. The parameters of {self.route} are "
                f"{', '.join(self.known)}.")


def _quoted(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _typed(declared: Parameter, text: str) -> Any:
    if declared.kind is int:
        try:
            if not text.isascii():
                raise ValueError(text)
            return int(text.strip())
        except ValueError:
            raise InvalidParameter(declared.name, "The value must be an integer.") from None
    return text


def values(req: falcon.Request, request_type: type) -> dict[str, Any]:
    """The fields of a ``request_type`` the query string gives, typed but not yet checked."""
    declared = {p.name: (field_name, p) for field_name, p in parameters(request_type)}
    unknown = [name for name in req.params if name not in declared]
    if unknown:
        raise UnknownParameter(req.uri_template or req.path, unknown, list(declared))
    found: dict[str, Any] = {}
    for name, (field_name, parameter) in declared.items():
        raw = req.params.get(name)
        if raw is None:
            if parameter.required:
                raise falcon.HTTPMissingParam(name)
            continue
        occurrences = raw if isinstance(raw, list) else [raw]
        if parameter.many:
            items = (item.strip() for text in occurrences for item in text.split(","))
            found[field_name] = tuple(
                dict.fromkeys(_typed(parameter, item) for item in items if item)
            )
        elif len(occurrences) > 1:
            raise InvalidParameter(
                name, f"It takes one value, and was given {len(occurrences)} times."
            )
        else:
            found[field_name] = _typed(parameter, occurrences[0])
    return found


def read(req: falcon.Request, request_type: type[Request], **given: Any) -> Request:
    """The request of ``request_type`` the query string asks for (with ``given`` fields)."""
    return request_type(**values(req, request_type), **given)


def accepted_ui(req: falcon.Request) -> str:
    """The first of fi/sv/en the browser accepts (``Accept-Language``), else English."""
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


def ui(req: falcon.Request) -> dict[str, str]:
    """``ui`` from Accept-Language unless the query string names it."""
    return {} if "ui" in req.params else {"ui": accepted_ui(req)}


def _accepted(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The quality ``Accept`` gives a media type: that of the most specific range matching
    it (``text/html``, then ``text/*``, then ``*/*``); 0 if none does."""
    kind = media_type.partition("/")[0]
    for wanted in (media_type, f"{kind}/*", "*/*"):
        found = [quality for name, quality in ranges if name == wanted]
        if found:
            return max(found)
    return 0.0


def prefers_html(req: falcon.Request) -> bool:
    """Whether the client would rather have an HTML page than JSON (``Accept``, RFC 9110
    12.5.1): a browser's ``text/html,…,*/*;q=0.8`` would; no ``Accept``, ``*/*`` alone, a tie
    or anything else that does not rank ``text/html`` above ``application/json`` gets
    JSON, so programs and curl keep getting JSON."""
    ranges: list[tuple[str, float]] = []
    for part in (req.get_header("Accept") or "").split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0  # a range whose quality cannot be read counts for nothing
        if name:
            ranges.append((name.lower(), quality))
    html = _accepted(ranges, "text/html")
    return html > 0 and html > _accepted(ranges, "application/json")


def picks_labels_from_accept_language(req: falcon.Request) -> bool:
    """Whether the answer's labels depend on the Accept-Language header (``Vary``)."""
    return "ui" not in req.params


def search_request(
    req: falcon.Request, given: dict[str, Any], snapshot: Snapshot | None
) -> SearchRequest:
    """``GET /search`` from the query string's ``values``: filter values are checked against
    the keys the snapshot's generation knows (without a snapshot, all else is checked)."""
    fields: dict[str, Any] = {**given, **ui(req)}
    keys = None if snapshot is None else snapshot.columns.known
    return SearchRequest(**fields, facet_keys=keys, given=frozenset(req.params))


def feed_request(
    req: falcon.Request, given: dict[str, Any], snapshot: Snapshot | None
) -> FeedRequest:
    """``GET /feed``, read and checked as ``search_request`` reads ``/search``."""
    keys = None if snapshot is None else snapshot.columns.known
    return FeedRequest(**{**given, **ui(req)}, facet_keys=keys)


def suggest_request(req: falcon.Request) -> SuggestRequest:
    return read(req, SuggestRequest)


def labels_request(req: falcon.Request) -> LabelsRequest:
    return read(req, LabelsRequest, **ui(req))


def document_request(req: falcon.Request) -> DocumentRequest:
    return read(req, DocumentRequest, **ui(req))


def related_request(req: falcon.Request) -> RelatedRequest:
    return read(req, RelatedRequest, **ui(req))


def analyze_request(req: falcon.Request) -> AnalyzeRequest:
    return read(req, AnalyzeRequest)
