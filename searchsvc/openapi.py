"""The OpenAPI 3 description served at ``/openapi.json`` (tests hold it to the real routes)."""

from __future__ import annotations

import functools
from typing import Any

from searchsvc.limits import (
    DEFAULT_SIZE,
    DEFAULT_TITLES,
    FACET_NAMES,
    MAX_ANALYZE_TEXT,
    MAX_QUERY_LENGTH,
    MAX_SIZE,
    MAX_SUGGEST_TEXT,
    MAX_SUGGESTIONS,
    MAX_TITLES,
    SORTS,
    UI_LANGUAGES,
)

LANG = {"type": "string", "enum": list(UI_LANGUAGES)}


def _param(name: str, schema: dict, description: str, *, required: bool = False,
           explode_list: bool = False, where: str = "query") -> dict:
    param: dict[str, Any] = {"name": name, "in": where, "required": required,
                             "description": description, "schema": schema}
    if explode_list:
        param["schema"] = {"type": "array", "items": schema}
        param["style"] = "form"
        param["explode"] = True
    return param


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


PROBLEM = {"description": "Error", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}
UI = _param("ui", LANG, "Language of labels; default from Accept-Language, then en.")


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
                    "url": {"type": "string", "nullable": True},
                    "lang": {"type": "string"},
                    "date": {"type": "string", "nullable": True},
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
                             "total": {"type": "integer"}, "page": {"type": "integer"},
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
                             "took_ms": {"type": "number"}}},
        "Suggestions": {"type": "object", "required": ["q", "suggestions", "titles"],
                        "properties": {
            "q": {"type": "string"},
            "suggestions": {"type": "array", "items": {"type": "object"}},
            "titles": {"type": "array", "items": {"type": "object"}}}},
        "Document": {"type": "object", "required": ["id", "title", "body"],
                     "additionalProperties": True},
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
    search_params = [
        _param("q", {"type": "string", "maxLength": MAX_QUERY_LENGTH},
               'Query: words (all must match), "phrases", -excluded, OR, prefix*, word~, '
               "title:word, title:(group), parentheses. Empty lists everything; one with no "
               "word to search for finds nothing (see warning)."),
        _param("lang", LANG, "Only records in these languages.", explode_list=True),
        _param("year", {"type": "integer"}, "Only these years.", explode_list=True),
        _param("year_from", {"type": "integer"}, "Years from (inclusive)."),
        _param("year_to", {"type": "integer"}, "Years to (inclusive)."),
        _param("division", {"type": "string"}, "Division keys.", explode_list=True),
        _param("type", {"type": "string"}, "Document type keys.", explode_list=True),
        _param("org", {"type": "string"}, "Organisation keys.", explode_list=True),
        _param("sort", {"type": "string", "enum": list(SORTS)},
               "Order of hits (default relevance)."),
        _param("page", {"type": "integer", "minimum": 1}, "Page, from 1."),
        _param("size", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
               f"Hits per page (default {DEFAULT_SIZE})."),
        _param("facets", {"type": "string", "enum": list(FACET_NAMES)},
               "Facets to count (default all); counts ignore their own filter.",
               explode_list=True),
        UI,
    ]
    paths = {
        "/search": {"get": {"summary": "Search records", "parameters": search_params,
                            "responses": {"200": _json("#/components/schemas/SearchResult",
                                                       "Hits and facet counts"), **errors}}},
        "/suggest": {"get": {"summary": "Complete the last word of a query", "parameters": [
            _param("q", {"type": "string", "maxLength": MAX_SUGGEST_TEXT}, "What has been typed."),
            _param("lang", LANG, "Languages to complete in.", explode_list=True),
            _param("size", {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS},
                   f"At most ({MAX_SUGGESTIONS})."),
            _param("titles", {"type": "integer", "minimum": 0, "maximum": MAX_TITLES},
                   f"Titles beginning with q to offer (default {DEFAULT_TITLES})."),
        ], "responses": {"200": _json("#/components/schemas/Suggestions", "Completions"),
                         **errors}}},
        "/documents/{doc_id}": {"get": {"summary": "One record", "parameters": [
            _param("doc_id", {"type": "string"}, "Record id.", required=True, where="path"),
            UI,
        ], "responses": {"200": _json("#/components/schemas/Document", "The record"),
                         "404": PROBLEM, **errors}}},
        "/facets": {"get": {"summary": "All facet values with counts", "parameters": [UI],
                            "responses": {"200": _json("#/components/schemas/FacetList",
                                                       "Facet values"), **errors}}},
        "/analyze": {"get": {"summary": "The tokens the analyzer makes of a text", "parameters": [
            _param("lang", LANG, "Analyzer language.", required=True),
            _param("text", {"type": "string", "maxLength": MAX_ANALYZE_TEXT}, "Text.",
                   required=True),
        ], "responses": {"200": _json("#/components/schemas/Analysis", "Tokens"), **errors}}},
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
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "searchsvc", "version": "1",
                 "description": "Multilingual (fi/sv/en) search over public audit and council "
                                "records. See docs/api.md."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
