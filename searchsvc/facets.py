"""Facet columns of one generation as arrays, per-value document masks, and their labels."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from indexer.contract import DATE_COLUMN, FACET_COLUMNS, UNKNOWN_PREFIX, YEAR_MAX, YEAR_MIN

LANGUAGE_LABELS = {
    "fi": {"fi": "suomi", "sv": "finska", "en": "Finnish"},
    "sv": {"fi": "ruotsi", "sv": "svenska", "en": "Swedish"},
    "en": {"fi": "englanti", "sv": "engelska", "en": "English"},
}


def _unknown_label(key: str) -> str:
    text = key[len(UNKNOWN_PREFIX) :].replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else key


class FacetColumns:
    """The facet columns of a reader, read once, as numpy arrays.

    ``codes[field][docnum]`` is an index into ``keys[field]`` (-1 = missing or deleted), so a
    filter is a boolean mask over doc numbers and counting a facet over a result set is one
    ``bincount``; ``live`` masks the documents that are not deleted.
    """

    def __init__(self, reader: Any, labels: dict[str, dict[str, dict[str, str]]]) -> None:
        self.labels = labels
        self.size: int = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            for docnum in range(self.size):
                if reader.is_deleted(docnum):
                    self.live[docnum] = False
        self.keys: dict[str, list] = {}
        self.codes: dict[str, np.ndarray] = {}
        self._filters: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()
        for field in FACET_COLUMNS:
            column = list(reader.column_reader(field)) if reader.has_column(field) else []
            column += [None] * (self.size - len(column))
            if field == "year":
                column = [v if v and YEAR_MIN <= v <= YEAR_MAX else None for v in column]
            keys = sorted({v for v in column if v}, key=str)
            index = {key: code for code, key in enumerate(keys)}
            codes = np.fromiter((index.get(v, -1) for v in column), np.int32, self.size)
            codes[~self.live] = -1
            self.keys[field], self.codes[field] = keys, codes
        dates = list(reader.column_reader(DATE_COLUMN)) if reader.has_column(DATE_COLUMN) else []
        dates += [""] * (self.size - len(dates))
        year_keys, years = self.keys["year"], self.codes["year"]

        def when(d: int) -> str:
            return dates[d] or (f"{year_keys[years[d]]:04d}" if years[d] >= 0 else "")

        moments = [when(d) for d in range(self.size)]
        # Doc numbers oldest first by date (a year where there is no date), ties by doc
        # number; the undated last.
        self.dated = np.array([bool(m) for m in moments], dtype=bool)
        self.date_order = np.array(
            sorted(range(self.size), key=lambda d: (not moments[d], moments[d], d)),
            dtype=np.int64,
        )

    @functools.cached_property
    def known(self) -> dict[str, tuple]:
        """Per column, the keys a filter may name: those of the vocabulary (``labels.json``)
        and those the documents have, sorted."""
        return {
            field: tuple(sorted({*self.labels.get(field, {}), *self.keys[field]}, key=str))
            for field in FACET_COLUMNS
        }

    def filter(self, field: str, values: Iterable) -> np.ndarray:
        """Mask of the documents with any of the values in a column (cached, read-only)."""
        key = (field, tuple(sorted(set(values), key=str)))
        cached = self._filters.get(key)
        if cached is not None:
            return cached
        chosen = set(key[1])
        wanted = [code for code, value in enumerate(self.keys[field]) if value in chosen]
        result = np.isin(self.codes[field], wanted)
        result.flags.writeable = False
        with self._lock:
            if len(self._filters) > 512:
                self._filters.clear()
            self._filters[key] = result
        return result

    def year_range(self, low: int | None, high: int | None) -> np.ndarray:
        years = [
            y
            for y in self.keys.get("year", [])
            if (low is None or y >= low) and (high is None or y <= high)
        ]
        return self.filter("year", years)

    def count(self, field: str, docs: np.ndarray) -> Counter:
        """Documents of the mask ``docs`` per value of ``field``."""
        codes = self.codes[field][docs]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.keys[field]))
        keys = self.keys[field]
        return Counter({keys[code]: int(n) for code, n in enumerate(counts) if n})

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
