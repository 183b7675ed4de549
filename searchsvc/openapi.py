"""The OpenAPI 3 description served at ``/openapi.json`` (tests hold it to the real routes)."""

from __future__ import annotations

import functools
from typing import Any

from searchsvc.limits import UI_LANGUAGES
from searchsvc.request import (
    AnalyzeRequest,
    DocumentRequest,
    FeedRequest,
    LabelsRequest,
    Parameter,
    RelatedRequest,
    SearchRequest,
    SuggestRequest,
    parameters,
)


def _schema(declared: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer" if declared.kind is int else "string"}
    if declared.choices:
        schema["enum"] = list(declared.choices)
    for key, value in (("minimum", declared.minimum), ("maximum", declared.maximum),
                       ("maxLength", declared.max_length)):
        if value is not None:
            schema[key] = value
    return schema


def _parameters(request_type: type) -> list[dict[str, Any]]:
    """The query-string parameters a request type declares (``searchsvc.request``)."""
    found = []
    for _, declared in parameters(request_type):
        param: dict[str, Any] = {"name": declared.name, "in": "query",
                                 "required": declared.required,
                                 "description": declared.help, "schema": _schema(declared)}
        if declared.many:
            param["schema"] = {"type": "array", "items": param["schema"]}
            param["style"], param["explode"] = "form", True
            param["description"] += " Repeatable and comma-separated (combined)."
        found.append(param)
    return found


def _head(get: dict[str, Any]) -> dict[str, Any]:
    """HEAD of a GET operation: the same parameters and headers, no body."""
    responses = {status: {"description": answer["description"]}
                 for status, answer in get["responses"].items()}
    return {**get, "summary": f"{get['summary']} (headers only)", "responses": responses}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def _with_page(answer: dict) -> dict:
    """An answer also given as an HTML page (``Accept``)."""
    page = {"text/html": {"schema": {"type": "string"}}}
    return {**answer, "content": {**answer["content"], **page}}


# The path parameter of a record's routes (its id, one escaped segment: ``searchsvc.permalinks``).
DOC_ID = {"name": "doc_id", "in": "path", "required": True, "description": "Record id.",
          "schema": {"type": "string"}}

EXPORT_HEADERS = {
    "X-Total-Count": ("integer", "The hits the search matches."),
    "X-Export-Count": ("integer", "The records the export holds: the total, or the export "
                                  "limit (SEARCHSVC_EXPORT_MAX_RECORDS) when it is smaller."),
    "X-Export-Capped": ("boolean", "true when the export holds fewer records than matched."),
    "Content-Disposition": ("string", 'attachment; filename="searchsvc-export-<generation>.csv" '
                                      "(or .jsonl)"),
}


def _with_export(answer: dict) -> dict:
    """``/search``'s answer, also as an export (``format=csv``, ``format=jsonl``)."""
    exports = {
        "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a byte-order mark, "
                                "RFC 4180, a header row; ; between cells with "
                                "delimiter=semicolon"}},
        "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ExportRecord"}},
    }
    headers = {name: {"description": text, "schema": {"type": kind}}
               for name, (kind, text) in EXPORT_HEADERS.items()}
    return {**answer, "headers": headers, "content": {**answer["content"], **exports}}


def _with_citations(answer: dict) -> dict:
    """A record's answer also given as its citation (``format``)."""
    text = {"schema": {"type": "string"}}
    cited = {"text/plain": text, "application/x-bibtex": text,
             "application/vnd.citationstyles.csl+json": {"schema": {
                 "type": "array", "items": {"type": "object", "required": ["id", "type"]}}}}
    return {**answer, "content": {**answer["content"], **cited}}


PROBLEM = {"description": "Error", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}


@functools.cache
def openapi_document() -> dict[str, Any]:
    keyed = {"type": "object", "nullable": True, "required": ["key", "label"],
             "properties": {"key": {"type": "string"}, "label": {"type": "string"}}}
    schemas = {
        "Problem": {"type": "object", "required": ["title", "description"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}}},
        "Keyed": keyed,
        "Hit": {"type": "object", "required": ["id", "title", "lang", "score", "snippet"],
                "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"},
                    "url": {"type": "string", "nullable": True,
                            "description": "http(s) address of the document, or null"},
                    "lang": {"type": "string"},
                    "date": {"type": "string", "nullable": True},
                    "date_source": {"type": "string", "nullable": True,
                                    "enum": ["source", "text", None],
                                    "description": "source: the record's own date; "
                                                   "text: found in its text (inferred)"},
                    "year": {"type": "integer", "nullable": True},
                    "type": {"$ref": "#/components/schemas/Keyed"},
                    "division": {"$ref": "#/components/schemas/Keyed"},
                    "org": {"$ref": "#/components/schemas/Keyed"},
                    "score": {"type": "number", "nullable": True},
                    "snippet": {"type": "string",
                                "description": "HTML: matched words in <mark>, all else escaped"},
                }},
        "FacetValue": {"type": "object", "required": ["value", "label", "count"], "properties": {
            "value": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "label": {"type": "string"}, "count": {"type": "integer"}}},
        "Facets": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}},
        "SearchResult": {"type": "object",
                         "required": ["total", "page", "size", "hits", "facets", "took_ms"],
                         "properties": {
                             "total": {"type": "integer"},
                             "total_all_words": {"type": "integer"}, "page": {"type": "integer"},
                             "size": {"type": "integer"},
                             "hits": {"type": "array",
                                      "items": {"$ref": "#/components/schemas/Hit"}},
                             "facets": {"$ref": "#/components/schemas/Facets"},
                             "did_you_mean": {"type": "string", "nullable": True},
                             "warning": {
                                 "type": "object", "nullable": True,
                                 "required": ["code", "message"],
                                 "description": "Why q finds nothing whatever the index "
                                 "holds (code no_searchable_words: only syntax, symbols or "
                                 "stop words); null otherwise",
                                 "properties": {"code": {"type": "string"},
                                                "message": {"type": "string"}}},
                             "histogram": {"$ref": "#/components/schemas/Histogram"},
                             "links": {
                                 "type": "object",
                                 "required": ["feed", "csv", "csv_semicolon", "jsonl"],
                                 "properties": {"feed": {
                                     "type": "string", "format": "uri",
                                     "description": "The Atom feed (GET /feed) of the same "
                                     "query and filters; also in the Link header"},
                                     **{name: {"type": "string", "format": "uri",
                                               "description": f"The export ({kind}) of the "
                                               "same query, filters and sort"}
                                        for name, kind in (
                                            ("csv", "format=csv"),
                                            ("csv_semicolon", "format=csv&delimiter=semicolon"),
                                            ("jsonl", "format=jsonl"))}}},
                             "took_ms": {"type": "number"}}},
        "Histogram": {
            "type": "object", "required": ["interval", "buckets", "undated"],
            "description": "With histogram=year|month only: the hits per year (by year) or "
            "month (YYYY-MM, by date), oldest first, without gaps from the first bucket with a "
            "hit to the last; undated: the hits without one (by month: without a full date). "
            "The counts and undated add up to total.",
            "properties": {
                "interval": {"type": "string", "enum": ["year", "month"]},
                "buckets": {"type": "array", "items": {
                    "type": "object", "required": ["key", "count"],
                    "properties": {"key": {"type": "string"}, "count": {"type": "integer"}}}},
                "undated": {"type": "integer"}}},
        "ExportRecord": {
            "type": "object", "description": "One line of format=jsonl: a hit without its "
            "score, with the record's permalink and its snippet as plain text (no markup). "
            "format=csv has the same fields as columns, type/division/org as key and *_label "
            "columns, cells that would start a formula prefixed with '.",
            "required": ["id", "title", "lang", "permalink", "snippet"],
            "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "url": {"type": "string", "nullable": True},
                "lang": {"type": "string"},
                "date": {"type": "string", "nullable": True},
                "date_source": {"type": "string", "nullable": True},
                "year": {"type": "integer", "nullable": True},
                "type": {"$ref": "#/components/schemas/Keyed"},
                "division": {"$ref": "#/components/schemas/Keyed"},
                "org": {"$ref": "#/components/schemas/Keyed"},
                "permalink": {"type": "string"},
                "snippet": {"type": "string"}}},
        "Suggestions": {"type": "object", "required": ["q", "suggestions", "titles"],
                        "properties": {
            "q": {"type": "string"},
            "suggestions": {"type": "array", "items": {"type": "object"}},
            "titles": {"type": "array", "items": {"type": "object"}}}},
        "Document": {"type": "object", "required": ["id", "title", "body"],
                     "additionalProperties": True},
        "RelatedHit": {"allOf": [{"$ref": "#/components/schemas/Hit"}, {
            "type": "object", "required": ["permalink"],
            "properties": {"permalink": {"type": "string"}}}],
            "description": "A hit as /search gives it, without a snippet, with its permalink"},
        "Related": {"type": "object", "required": ["id", "lang", "via", "note", "hits"],
                    "properties": {
            "id": {"type": "string"}, "lang": {"type": "string"},
            "via": {"type": "string", "nullable": True,
                    "enum": ["record", "twin", "translations", None],
                    "description": "whose terms were looked for: the record's, its twin's, "
                    "or their translations; null when none could be"},
            "note": {"type": "string", "nullable": True},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/RelatedHit"}}}},
        "FacetList": {"type": "object", "required": ["facets"], "properties": {
            "facets": {"$ref": "#/components/schemas/Facets"}}},
        "Analysis": {"type": "object", "required": ["lang", "tokens"], "properties": {
            "lang": {"type": "string"}, "tokens": {"type": "array", "items": {"type": "object"}}}},
        "Health": {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "generation": {"type": "string"}, "built_at": {"type": "string"},
            "documents": {"type": "integer"}, "description": {"type": "string"}}},
        "Liveness": {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["alive"]}}},
        "Readiness": {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["ready", "unavailable"]},
            "generation": {"type": "string"}, "description": {"type": "string"}}},
    }
    errors = {"400": PROBLEM, "503": PROBLEM}
    # Answers from an index: If-None-Match with the generation's ETag (or *) is a 304.
    cached = {"304": {"description": "Not modified: the client's copy is current"}, **errors}
    paths: dict[str, dict[str, Any]] = {
        "/search": {"get": {"summary": "Search records; or export every hit (format=csv, jsonl)",
                            "parameters": _parameters(SearchRequest),
                            "responses": {"200": _with_export(_json(
                                "#/components/schemas/SearchResult",
                                "Hits and facet counts; with format=csv or jsonl every hit, "
                                "streamed")), **cached}}},
        "/suggest": {"get": {"summary": "Complete the last word of a query",
                             "parameters": _parameters(SuggestRequest),
                             "responses": {"200": _json("#/components/schemas/Suggestions",
                                                        "Completions"),
                                           **cached}}},
        "/documents/{doc_id}": {"get": {
            "summary": "One record: JSON, or its HTML page for a client whose Accept ranks "
                       "text/html above application/json (a browser)",
            "parameters": [
                DOC_ID,
                *_parameters(DocumentRequest),
            ],
            "responses": {"200": _with_citations(_with_page(_json(
                "#/components/schemas/Document",
                "The record (with its permalink, citation, licence and attribution), its "
                "HTML page, or its citation (format)"))),
                          "404": _with_page(PROBLEM), **cached}}},
        "/feed": {"get": {
            "summary": "Atom feed of the newest records a search finds (by first-published "
                       "time): the query and filters of /search",
            "parameters": _parameters(FeedRequest),
            "responses": {"200": {"description": "An Atom 1.0 feed (RFC 4287)", "content": {
                "application/atom+xml": {"schema": {"type": "string"}}}}, **cached}}},
        "/documents/{doc_id}/related": {"get": {
            "summary": "Records like this one (more like this, from its most distinctive "
                       "terms), in its language or, through its twin, another",
            "parameters": [
                DOC_ID,
                *_parameters(RelatedRequest),
            ],
            "responses": {"200": _json("#/components/schemas/Related", "Related records"),
                          "404": PROBLEM, **cached}}},
        "/facets": {"get": {"summary": "All facet values with counts",
                            "parameters": _parameters(LabelsRequest),
                            "responses": {"200": _json("#/components/schemas/FacetList",
                                                       "Facet values"), **cached}}},
        "/analyze": {"get": {"summary": "The tokens the analyzer makes of a text",
                             "parameters": _parameters(AnalyzeRequest),
                             "responses": {"200": _json("#/components/schemas/Analysis",
                                                        "Tokens"), **errors}}},
        "/health": {"get": {"summary": "Service and index status", "responses": {
            "200": _json("#/components/schemas/Health", "Index published and readable"),
            "503": _json("#/components/schemas/Health", "No readable index")}}},
        "/health/live": {"get": {"summary": "Liveness: the process answers (no index needed)",
                                 "responses": {"200": _json("#/components/schemas/Liveness",
                                                            "Alive")}}},
        "/health/ready": {"get": {"summary": "Readiness: a published index is readable",
                                  "responses": {
            "200": _json("#/components/schemas/Readiness", "Ready to answer searches"),
            "503": _json("#/components/schemas/Readiness", "No readable index")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics (text exposition format)",
                             "responses": {"200": {
            "description": "Request counts and durations per route; the published index",
            "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {
            "200": {"description": "OpenAPI 3 document",
                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/": {"get": {"summary": "The search page (HTML; query and filters in its URL)",
                      "parameters": [{"name": "ui", "in": "query", "required": False,
                                      "description": "Language of the page (default from "
                                      "Accept-Language); the other parameters are the page's",
                                      "schema": {"type": "string", "enum": list(UI_LANGUAGES)}}],
                      "responses": {"200": {"description": "The page", "content": {
                          "text/html": {"schema": {"type": "string"}}}}}}},
        **{f"/{name}": {"get": {
            "summary": summary,
            "parameters": [{"name": "v", "in": "query", "required": False,
                            "description": "The content hash: the answer is cached for a year",
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The file", "content": {
                media: {"schema": {"type": "string"}}}},
                          "304": {"description": "Not modified: the client's copy is current"}}}}
           for name, summary, media in [
               ("widget.js", "The <records-search> element (ES module)", "text/javascript"),
               ("page.css", "The search page's stylesheet", "text/css")]},
    }
    for item in paths.values():
        item["head"] = _head(item["get"])
    return {
        "openapi": "3.0.3",
        "info": {"title": "searchsvc", "version": "1",
                 "description": "Multilingual (fi/sv/en) search over public audit and council "
                                "records. See docs/api.md."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
