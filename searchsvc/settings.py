"""The service's settings: one frozen dataclass, read from ``SEARCHSVC_*`` variables once.

Every setting (environment variable, type, default):

- ``SEARCHSVC_INDEX_DIR`` (path, ``var/index``): the index directory the indexer publishes to.
- ``SEARCHSVC_BIND`` (host:port, ``127.0.0.1:8000``): where gunicorn listens; gunicorn's own
  ``--bind`` on the command line overrides it.
- ``SEARCHSVC_WORKERS`` (int >= 1, number of CPUs): gunicorn worker processes.
- ``SEARCHSVC_CORS_ORIGINS`` (comma-separated origins, none): origins allowed to call the API
  from a browser, e.g. ``https://www.hel.fi,https://www.vaasa.fi``; ``*`` allows any.
- ``SEARCHSVC_RELOAD_SECONDS`` (float > 0, ``1.0``): how often a worker checks for a newly
  published index generation.
- ``SEARCHSVC_CACHE_SECONDS`` (int >= 0, ``60``): ``Cache-Control: max-age`` of answers.
- ``SEARCHSVC_LOG_LEVEL`` (debug|info|warning|error, ``info``).
- ``SEARCHSVC_LOG_FORMAT`` (json|text, ``json``): under gunicorn, error, access and the app's
  own log lines as one JSON object per line (``json``) or as plain text lines (``text``).
- ``SEARCHSVC_METRICS_DIR`` (path, a fresh temporary directory): where gunicorn's workers keep
  the ``/metrics`` counters they share (prometheus-client's ``PROMETHEUS_MULTIPROC_DIR``); its
  ``*.db`` files are wiped when gunicorn starts, so give each gunicorn its own directory.

An unknown ``SEARCHSVC_*`` variable or a value of the wrong type stops the service at
start-up with a message naming it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indexer.logs import LOG_FORMATS

PREFIX = "SEARCHSVC_"
LOG_LEVELS = ("debug", "info", "warning", "error")


class SettingsError(ValueError):
    """A ``SEARCHSVC_*`` variable is unknown or has a value of the wrong type."""


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("var/index")
    bind: str = "127.0.0.1:8000"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    cors_origins: tuple[str, ...] = ()
    reload_seconds: float = 1.0
    cache_seconds: int = 60
    log_level: str = "info"
    log_format: str = "json"
    metrics_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for variable, raw in environ.items():
            if not variable.startswith(PREFIX):
                continue
            name = variable[len(PREFIX):].lower()
            if name not in names:
                known = ", ".join(PREFIX + n.upper() for n in sorted(names))
                raise SettingsError(f"unknown setting {variable}; known settings: {known}")
            values[name] = _parse(variable, name, raw)
        return cls(**values)


def _parse(variable: str, name: str, raw: str) -> object:
    text = raw.strip()
    if name in ("index_dir", "metrics_dir"):
        if not text:
            raise SettingsError(f"{variable} must not be empty")
        return Path(text)
    if name == "bind":
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{variable} must be host:port, not {raw!r}")
        return text
    if name == "workers":
        return _number(variable, raw, int, minimum=1)
    if name == "cors_origins":
        return tuple(origin.strip() for origin in text.split(",") if origin.strip())
    if name == "reload_seconds":
        value = _number(variable, raw, float, minimum=0.0)
        if value <= 0:
            raise SettingsError(f"{variable} must be more than 0, not {raw!r}")
        return value
    if name == "cache_seconds":
        return _number(variable, raw, int, minimum=0)
    if name == "log_level":
        if text.lower() not in LOG_LEVELS:
            raise SettingsError(f"{variable} must be one of {', '.join(LOG_LEVELS)}, not {raw!r}")
        return text.lower()
    if name == "log_format":
        if text.lower() not in LOG_FORMATS:
            raise SettingsError(f"{variable} must be one of {', '.join(LOG_FORMATS)}, not {raw!r}")
        return text.lower()
    raise SettingsError(f"no parser for {variable}")  # pragma: no cover - fields and parsers


def _number(variable: str, raw: str, kind: type, minimum: float) -> int | float:
    try:
        value = kind(raw.strip())
    except ValueError:
        raise SettingsError(f"{variable} must be a {kind.__name__}, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{variable} must be at least {minimum}, not {raw!r}")
    return value
