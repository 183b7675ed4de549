"""The deployment's settings: each declared once, read from ``SEARCHSVC_*`` variables.

A setting is a field of ``Settings`` with its parser, default and help in the field's
metadata. The service reads them all once, at start-up (``Settings.from_env``): an unknown
``SEARCHSVC_*`` variable or a badly typed value stops it with a message naming the variable.
The indexer checks every variable as the service does and reads the two it shares with the
service (``SEARCHSVC_INDEX_DIR``, ``SEARCHSVC_LOG_FORMAT``) through the same declarations
(``Settings.from_env``, ``Settings.given``). The settings table in README.md is
``markdown_table()``; a test holds the two together.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

from indexer.logs import LOG_FORMATS

PREFIX = "SEARCHSVC_"
LOG_LEVELS = ("debug", "info", "warning", "error")


class SettingsError(ValueError):
    """A ``SEARCHSVC_*`` variable is unknown or has a value of the wrong type."""


# --- parsers: the raw text of a variable -> its value, or ValueError saying what it must be --


def _path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError("must not be empty")
    return Path(raw.strip())


def _bind(raw: str) -> str:
    host, _, port = raw.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"must be host:port, not {raw!r}")
    return raw.strip()


def _number(kind: type[int] | type[float], minimum: float) -> Callable[[str], Any]:
    def parse(raw: str) -> int | float:
        try:
            value = kind(raw.strip())
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise ValueError(f"must be {noun}, not {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, not {raw!r}")
        return value

    return parse


def _positive_seconds(raw: str) -> float:
    value = _number(float, 0.0)(raw)
    if value <= 0:
        raise ValueError(f"must be more than 0, not {raw!r}")
    return float(value)


def _public_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "?#"):
        raise ValueError(f"must be an http(s) address without query or fragment, not {raw!r}")
    return url


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.strip().lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {raw!r}")
        return raw.strip().lower()

    return parse


def _setting(*, parse: Callable[[str], Any], shown: str, help: str, default: Any = MISSING,
             default_factory: Any = MISSING) -> Any:
    """A field of ``Settings``: ``shown`` is its default as the README table shows it."""
    return field(default=default, default_factory=default_factory,
                 metadata={"parse": parse, "shown": shown, "help": help})


@dataclass(frozen=True)
class Settings:
    index_dir: Path = _setting(
        default=Path("var/index"), parse=_path, shown="`var/index`",
        help="the index directory (the indexer's `--index-dir`)")
    bind: str = _setting(
        default="127.0.0.1:8000", parse=_bind, shown="`127.0.0.1:8000`",
        help="where gunicorn listens; `gunicorn --bind` overrides it")
    workers: int = _setting(
        default_factory=lambda: os.cpu_count() or 1, parse=_number(int, 1), shown="CPUs",
        help="gunicorn worker processes")
    cors_origins: tuple[str, ...] = _setting(
        default=(), parse=_origins, shown="none",
        help="comma-separated origins allowed to call the API from browsers")
    reload_seconds: float = _setting(
        default=1.0, parse=_positive_seconds, shown="`1.0`",
        help="how often a worker checks for a newly published index")
    cache_seconds: int = _setting(
        default=60, parse=_number(int, 0), shown="`60`",
        help="`Cache-Control: max-age` of answers (ETags follow the index generation)")
    log_level: str = _setting(
        default="info", parse=_one_of(LOG_LEVELS), shown="`info`",
        help="debug, info, warning, error")
    log_format: str = _setting(
        default="json", parse=_one_of(LOG_FORMATS), shown="`json`",
        help="`json`: one JSON object per log line (access, errors, the app's own lines); "
        "`text`: plain lines")
    metrics_dir: Path | None = _setting(
        default=None, parse=_path, shown="a fresh temporary directory",
        help="where gunicorn's workers share their `/metrics` counts (emptied at start)")
    public_url: str | None = _setting(
        default=None, parse=_public_url, shown="the request's own",
        help="the address people reach the service at (`https://haku.example.fi/search-api`), "
        "for the absolute links of exports, feeds and citations; set it behind a proxy")
    export_max_records: int = _setting(
        default=10_000, parse=_number(int, 1), shown="`10000`",
        help="the most records one export (`/search?format=csv` or `jsonl`) holds")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting from ``SEARCHSVC_*`` variables (os.environ by default)."""
        environ = os.environ if environ is None else environ
        declared = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for variable, raw in environ.items():
            if not variable.startswith(PREFIX):
                continue
            name = variable[len(PREFIX):].lower()
            if name not in declared:
                known = ", ".join(variable_name(n) for n in sorted(declared))
                raise SettingsError(f"unknown setting {variable}; known settings: {known}")
            values[name] = _parse(declared[name], raw)
        return cls(**values)

    @classmethod
    def given(cls, name: str, environ: Mapping[str, str] | None = None) -> Any:
        """One setting's value if its variable is set, else None."""
        environ = os.environ if environ is None else environ
        raw = environ.get(variable_name(name))
        return None if raw is None else _parse(_declared(name), raw)

    @classmethod
    def default(cls, name: str) -> Any:
        declared = _declared(name)
        if declared.default_factory is not MISSING:
            return declared.default_factory()
        return declared.default


def variable_name(name: str) -> str:
    return PREFIX + name.upper()


def _declared(name: str) -> dataclasses.Field[Any]:
    for declared in dataclasses.fields(Settings):
        if declared.name == name:
            return declared
    raise KeyError(name)


def _parse(declared: dataclasses.Field[Any], raw: str) -> Any:
    try:
        return declared.metadata["parse"](raw)
    except ValueError as exc:
        raise SettingsError(f"{variable_name(declared.name)} {exc}") from None


def markdown_table() -> str:
    """The settings table of README.md."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for declared in dataclasses.fields(Settings):
        meta = declared.metadata
        lines.append(f"| `{variable_name(declared.name)}` | {meta['shown']} | {meta['help']} |")
    return "\n".join(lines)
