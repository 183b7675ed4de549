"""The browser's files the service serves: the ``<records-search>`` widget and the search page.

Each file under ``searchsvc/static/`` is read once, when the app is made, and served with a
strong ``ETag`` of its content hash. Two URLs per file:

- ``/widget.js``: the name a city pastes. ``Cache-Control: max-age=300``, so a new release
  reaches every site within minutes; a browser revalidates with ``If-None-Match`` (a ``304``).
- ``/widget.js?v=<hash>``: the versioned URL (``Asset.versioned``), which the service's own
  page uses. Its content never changes, so ``Cache-Control: public, max-age=31536000,
  immutable``. A ``v`` that is not the current hash (a page cached across a release) gets the
  current file with the short max-age, never an error.

Every asset answer carries ``Access-Control-Allow-Origin: *``: a module script from another
origin is fetched with CORS, and these files are public. The query string is otherwise ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
SHORT_MAX_AGE = 300
LONG_MAX_AGE = 31_536_000


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    content_type: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def versioned(self) -> str:
        """The URL path whose content never changes."""
        return f"/{self.name}?v={self.version}"


_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def load(name: str) -> Asset:
    path = STATIC / name
    return Asset(name, path.read_bytes(), _TYPES[path.suffix])
