"""A record's permalink: the address of its page on this service, the same in every answer.

Exports, feeds and citations name a record by an absolute address. Behind a proxy the service
cannot see the address people use, so ``SEARCHSVC_PUBLIC_URL`` states it; without it the
request's own scheme, host and mount point are used (Falcon's ``req.prefix``).

A record id may hold any character (``file:reports/2024/a.txt``, ``seed:x#2``): in a path it
is one segment with every reserved character escaped (``quote(id, safe="")``), so ``/`` is
``%2F`` and ``#`` is ``%23``. ``searchsvc.record_paths`` reads the id back from the path as sent.
"""

from __future__ import annotations

from urllib.parse import quote

import falcon

from searchsvc.settings import Settings

DOCUMENTS = "/documents/"


def document_path(doc_id: str) -> str:
    """The path of a record's page, its id one escaped segment."""
    return DOCUMENTS + quote(doc_id, safe="")


def base_url(req: falcon.Request, settings: Settings) -> str:
    """Where this service is reached, without a trailing slash."""
    return settings.public_url or req.prefix.rstrip("/")


def permalink(base: str, doc_id: str) -> str:
    """The absolute address of a record's page under ``base`` (``base_url``)."""
    return base + document_path(doc_id)
