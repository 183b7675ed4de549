"""Facet columns of one generation as Python lists and per-value doc sets, and their labels."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from indexer.normalize import YEAR_MAX, YEAR_MIN
from indexer.vocabulary import UNKNOWN_PREFIX

# Facet names in requests and responses -> index columns.
FACETS = {
    "year": "year",
    "lang": "language",
    "division": "division",
    "type": "doc_type",
    "org": "organization",
}

LANGUAGE_LABELS = {
    "fi": {"fi": "suomi", "sv": "finska", "en": "Finnish"},
    "sv": {"fi": "ruotsi", "sv": "svenska", "en": "Swedish"},
    "en": {"fi": "englanti", "sv": "engelska", "en": "English"},
}


def _unknown_label(key: str) -> str:
    text = key[len(UNKNOWN_PREFIX) :].replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else key


class FacetColumns:
    """The facet columns of a reader, read once: ``values[field][docnum]`` (None = missing)
    and, per field and value, the frozenset of its doc numbers; unions cached per filter."""

    def __init__(self, reader: Any, labels: dict[str, dict[str, dict[str, str]]]) -> None:
        self.labels = labels
        self.values: dict[str, list] = {}
        self.docs: dict[str, dict[object, frozenset[int]]] = {}
        self._filters: dict[tuple, frozenset[int]] = {}
        self._lock = threading.Lock()
        deleted = reader.has_deletions()
        for field in FACETS.values():
            column = list(reader.column_reader(field)) if reader.has_column(field) else []
            values: list = []
            groups: dict[object, list[int]] = {}
            for docnum, value in enumerate(column):
                if field == "year":
                    value = value if YEAR_MIN <= value <= YEAR_MAX else None
                else:
                    value = value or None
                if deleted and reader.is_deleted(docnum):
                    value = None
                values.append(value)
                if value is not None:
                    groups.setdefault(value, []).append(docnum)
            self.values[field] = values
            self.docs[field] = {value: frozenset(docs) for value, docs in groups.items()}
        self.dates: list[str] = (
            [d or "" for d in reader.column_reader("date")] if reader.has_column("date") else []
        )

    def filter(self, field: str, values: Iterable) -> frozenset[int]:
        """Documents with any of the values in a column (cached)."""
        key = (field, tuple(sorted(set(values), key=str)))
        cached = self._filters.get(key)
        if cached is not None:
            return cached
        groups = self.docs.get(field, {})
        result = frozenset().union(*(groups.get(v, frozenset()) for v in key[1]))
        with self._lock:
            if len(self._filters) > 512:
                self._filters.clear()
            self._filters[key] = result
        return result

    def year_range(self, low: int | None, high: int | None) -> frozenset[int]:
        years = [
            y
            for y in self.docs.get("year", {})
            if (low is None or y >= low) and (high is None or y <= high)
        ]
        return self.filter("year", years)

    def count(self, field: str, docnums: Iterable[int]) -> Counter:
        column = self.values.get(field, [])
        counts = Counter(column[d] for d in docnums)
        counts.pop(None, None)
        return counts

    def label(self, field: str, key: object, ui: str) -> str:
        if field == "year":
            return str(key)
        if field == "language":
            return LANGUAGE_LABELS.get(str(key), {}).get(ui, str(key))
        entry = self.labels.get(field, {}).get(str(key))
        if entry:
            return entry.get(ui) or entry.get("en") or str(key)
        if str(key).startswith(UNKNOWN_PREFIX):
            return _unknown_label(str(key))
        return str(key)

    def counts_list(self, field: str, counts: Counter, ui: str) -> list[dict]:
        if field == "year":
            items = sorted(counts.items(), key=lambda kv: -kv[0])
        else:
            items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        return [
            {"value": value, "label": self.label(field, value, ui), "count": count}
            for value, count in items
            if count > 0
        ]
