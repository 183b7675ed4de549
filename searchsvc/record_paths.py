"""Routing ``/documents/{id}`` and ``/documents/{id}/related`` on the path as the client sent it.

A record id may hold any character; its permalink (``searchsvc.permalinks``) escapes it into
one path segment, ``/`` as ``%2F``. WSGI servers decode the path before the application sees
it (``PATH_INFO``), so ``/documents/file%3Areports%2Fa`` arrives as ``/documents/file:reports/a``
and Falcon's router, splitting at every ``/``, finds no route: the record had no reachable
permalink. ``RecordPaths`` is a middleware that, before routing, reads the still-escaped path:

- gunicorn and falcon.testing give it as ``RAW_URI``, Apache/nginx-style servers as
  ``REQUEST_URI`` (either may hold the query string, and an absolute-form target);
- its segments after the mount point (``SCRIPT_NAME``) must decode to exactly the path Falcon
  routes (``req.path``): a proxy that rewrote the path makes the raw one untrustworthy, and the
  decoded path is used then;
- under ``/documents/`` one segment is a record's id, two segments whose second is
  ``related`` are its related records; anything else is left for the router (a 404).

It rewrites ``req.path`` to the id re-escaped as one segment (so the routes
``/documents/{doc_id}`` and ``/documents/{doc_id}/related`` match) and leaves the id itself in
``req.context.doc_id``, which resources read through ``requested_id``.

Without a raw path (a server that gives none) the decoded path is split as well as it can be:
everything after ``/documents/`` is the id, unless it ends in ``/related``. Only an id with a
``/`` that ends in ``/related`` is then out of reach of its page.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

import falcon

DOCUMENTS = "/documents/"
RELATED = "related"
RAW_PATH_KEYS = ("RAW_URI", "REQUEST_URI")


def raw_path(environ: dict[str, object]) -> str | None:
    """The request's path as the client sent it, still escaped (no query string), or None."""
    for key in RAW_PATH_KEYS:
        value = environ.get(key)
        if isinstance(value, str) and value:
            path = value if value.startswith("/") else urlsplit(value).path
            return path.partition("?")[0].partition("#")[0]
    return None


def _text(segment: str) -> str:
    """A raw segment decoded: servers hand raw bytes over as latin-1 (PEP 3333)."""
    try:
        segment = segment.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return unquote(segment, errors="replace")


def split_raw(raw: str, script_name: str, routed: str) -> list[str] | None:
    """The decoded segments of ``raw`` after the mount point, if they are the path Falcon
    routes (``routed``) split where the client put its slashes; None otherwise."""
    segments = raw.split("/")
    mount = [s for s in script_name.split("/") if s]
    if segments[:1] != [""] or [_text(s) for s in segments[1 : 1 + len(mount)]] != mount:
        return None
    segments = segments[1 + len(mount):]
    while len(segments) > 1 and segments[-1] == "":  # trailing slashes: Falcon strips them
        segments.pop()
    decoded = [_text(s) for s in segments]
    joined = "/" + "/".join(decoded)
    # Falcon strips a trailing slash from the path it routes, an escaped one (an id ending
    # in "/") too.
    if joined != routed and joined.rstrip("/") != routed:
        return None
    return decoded


def record_route(segments: list[str]) -> tuple[str, bool] | None:
    """(id, whether related records are asked) of a path's segments, or None."""
    if len(segments) < 2 or segments[0] != DOCUMENTS.strip("/") or not segments[1]:
        return None
    if len(segments) == 2:
        return segments[1], False
    if len(segments) == 3 and segments[2] == RELATED:
        return segments[1], True
    return None


def _from_decoded(path: str) -> tuple[str, bool] | None:
    rest = path[len(DOCUMENTS):]
    if not rest:
        return None
    suffix = "/" + RELATED
    if rest.endswith(suffix) and len(rest) > len(suffix):
        return rest[: -len(suffix)], True
    return rest, False


class RecordPaths:
    """Falcon middleware: route record addresses on the raw path (see the module)."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not req.path.startswith(DOCUMENTS):
            return
        raw = raw_path(req.env)
        found: tuple[str, bool] | None
        segments = None if raw is None else split_raw(raw, req.env.get("SCRIPT_NAME") or "",
                                                      req.path)
        if segments is not None:
            found = record_route(segments)
        else:
            found = _from_decoded(req.path)
        if found is None:
            return
        doc_id, related = found
        req.context.doc_id = doc_id
        req.path = DOCUMENTS + quote(doc_id, safe="") + ("/" + RELATED if related else "")


def requested_id(req: falcon.Request, routed: str) -> str:
    """The record id a request names: as ``RecordPaths`` read it, else as Falcon routed it."""
    found = req.context.get("doc_id")
    return found if isinstance(found, str) else routed
