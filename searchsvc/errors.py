"""One JSON error shape for every failure, mapped in one place.

Every error answer is ``application/problem+json`` with ``{"title", "description"}``; an
unexpected exception is logged and answered as a plain 500, never with a stack trace.
"""

from __future__ import annotations

import json
import logging

import falcon

from indexer.generations import IndexMissing
from searchsvc.request import InvalidParameter
from searchsvc.syntax import BadQuery

log = logging.getLogger("searchsvc")

PROBLEM_JSON = "application/problem+json"


def _serialize(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    body = {"title": error.title or "Error", "description": error.description or error.title}
    resp.content_type = PROBLEM_JSON
    resp.data = json.dumps(body, ensure_ascii=False).encode("utf-8")


def _index_missing(req, resp, error: IndexMissing, params) -> None:
    raise falcon.HTTPServiceUnavailable(
        title="Index unavailable", description=str(error), retry_after=10
    )


def _bad_query(req, resp, error: BadQuery, params) -> None:
    raise falcon.HTTPBadRequest(title="Invalid parameter", description=f'"q": {error}')


def _invalid_parameter(req, resp, error: InvalidParameter, params) -> None:
    raise falcon.HTTPBadRequest(title=error.title, description=error.description)


def _unexpected(req, resp, error: Exception, params) -> None:
    if isinstance(error, falcon.HTTPError):
        raise error
    log.exception("unexpected error on %s %s", req.method, req.relative_uri)
    raise falcon.HTTPInternalServerError(
        title="Internal error", description="The request failed; it has been logged."
    )


def register(app: falcon.App) -> None:
    app.set_error_serializer(_serialize)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(IndexMissing, _index_missing)
    app.add_error_handler(BadQuery, _bad_query)
    app.add_error_handler(InvalidParameter, _invalid_parameter)
