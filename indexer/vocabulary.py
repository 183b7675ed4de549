"""Canonical facet values (organization, division, doc_type) with fi/sv/en labels.

The sources spell the same thing many ways ("Kaupunkiympäristön toimiala / Tiimipäällikkö",
"Kaupunkiympäristölautakunta", "Stadsmiljösektorn"); the vocabulary maps each spelling to one key.
A value the vocabulary does not know gets a derived key, ``other:<slug>``, labelled with the
original text in every language, so that it can still be faceted on and its label exported.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from indexer.contract import LANGUAGES, UNKNOWN_PREFIX

FACETS = ("organization", "division", "doc_type")
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "corpus" / "vocabulary.json"

# Values that say "no value": they map to None rather than to a derived key.
NULL_VALUES = frozenset(
    {"", "n a", "na", "none", "null", "unknown", "tuntematon", "okänd", "ingen"}
)

_SLUG_MAX = 60
_PUNCTUATION = re.compile(r"[\W_]+")


def normalize_value(text: str) -> str:
    """The form values are compared in: NFKC, casefolded, punctuation as single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION.sub(" ", text).strip()


def _fold(text: str) -> str:
    """Accents dropped (ä -> a, å -> a): a second, looser match and the slug of unknown keys."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(normalized: str) -> str:
    slug = _fold(normalized).replace(" ", "_")
    if len(slug) > _SLUG_MAX:
        # Long values keep a distinct key: a shared 50-character start is not the same value.
        digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:_SLUG_MAX - 9].rstrip('_')}_{digest}"
    return slug


class _Facet:
    def __init__(self, name: str, entries: dict[str, Any]) -> None:
        self.name = name
        self.labels: dict[str, dict[str, str]] = {}
        self.exact: dict[str, str] = {}
        self.prefixes: list[tuple[str, str]] = []
        folded: dict[str, set[str]] = {}
        for key, entry in entries.items():
            labels = entry.get("labels") or {}
            missing = [lang for lang in LANGUAGES if not labels.get(lang)]
            if missing:
                raise ValueError(f"{name}.{key}: no label for {', '.join(missing)}")
            self.labels[key] = {lang: labels[lang] for lang in LANGUAGES}
            spellings = [key, *labels.values(), *entry.get("aliases", [])]
            for spelling in spellings:
                normalized = normalize_value(spelling)
                if not normalized:
                    continue
                other = self.exact.setdefault(normalized, key)
                if other != key:
                    raise ValueError(f"{name}: {spelling!r} is an alias of both {other} and {key}")
                folded.setdefault(_fold(normalized), set()).add(key)
            for prefix in entry.get("prefixes", []):
                self.prefixes.append((normalize_value(prefix), key))
        # Accent-insensitive matching only where it cannot confuse two keys.
        self.folded = {text: next(iter(keys)) for text, keys in folded.items() if len(keys) == 1}
        self.prefixes.sort(key=lambda item: len(item[0]), reverse=True)
        self.unknown: dict[str, dict[str, str]] = {}
        self.cache: dict[str, str | None] = {}

    def lookup(self, normalized: str) -> str | None:
        key = self.exact.get(normalized) or self.folded.get(_fold(normalized))
        if key:
            return key
        for prefix, key in self.prefixes:
            if normalized == prefix or normalized.startswith(prefix + " "):
                return key
        return None

    def canonical(self, raw: str) -> str | None:
        whole = normalize_value(raw)
        if whole in NULL_VALUES:
            return None
        key = self.exact.get(whole)
        if key:
            return key
        # Helsinki "X / Y": X is the division, Y the office holder or body that decided.
        base = raw
        if "/" in raw:
            head = raw.split("/", 1)[0]
            if normalize_value(head):
                base = head
        normalized = normalize_value(base)
        if normalized in NULL_VALUES:
            return None
        key = self.lookup(normalized)
        if key:
            return key
        key = UNKNOWN_PREFIX + _slug(normalized)
        if key not in self.unknown:
            text = " ".join(base.split())
            self.unknown[key] = dict.fromkeys(LANGUAGES, text)
        return key


class Vocabulary:
    """Canonical keys for the facets, their labels, and the unknown values met so far."""

    def __init__(self, data: dict[str, Any]) -> None:
        facets = data.get("facets")
        if not isinstance(facets, dict):
            raise ValueError("vocabulary has no 'facets' object")
        missing = [name for name in FACETS if name not in facets]
        if missing:
            raise ValueError(f"vocabulary has no facet {', '.join(missing)}")
        self._facets = {name: _Facet(name, facets[name]) for name in FACETS}

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        path = DEFAULT_PATH if path is None else Path(path)
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle))

    def _facet(self, facet: str) -> _Facet:
        try:
            return self._facets[facet]
        except KeyError:
            raise ValueError(f"unknown facet {facet!r}; expected one of {FACETS}") from None

    def canonical(self, facet: str, raw: str | None) -> str | None:
        """The key for ``raw``; None for None, empty and "no value" markers."""
        state = self._facet(facet)
        if raw is None:
            return None
        try:
            return state.cache[raw]
        except KeyError:
            pass
        key = state.canonical(raw)
        state.cache[raw] = key
        return key

    def is_known(self, facet: str, key: str) -> bool:
        """Whether ``key`` is a key of the vocabulary file (not derived from an unknown value)."""
        return key in self._facet(facet).labels

    def label(self, facet: str, key: str, ui: str) -> str:
        state = self._facet(facet)
        labels = state.labels.get(key) or state.unknown.get(key)
        if not labels:
            return key
        return labels.get(ui) or labels.get("en") or key

    def labels(self) -> dict[str, dict[str, dict[str, str]]]:
        result: dict[str, dict[str, dict[str, str]]] = {}
        for name, state in self._facets.items():
            merged = {key: dict(labels) for key, labels in state.labels.items()}
            for key, labels in sorted(state.unknown.items()):
                merged.setdefault(key, dict(labels))
            result[name] = merged
        return result
