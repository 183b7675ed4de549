"""Where the query's words stand in the texts of a page of hits (``Marks``), for snippets and
a record's page: read from the positions the index stores, never by analysing the text again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from indexer.contract import body_field, title_field
from searchsvc.parsed_query import HighlightTerms, ParsedQuery
from searchsvc.snapshot import Snapshot
from searchsvc.snippets import part_keys


class Marks:
    """Where the query's words stand in the body texts of a page of hits: token position ->
    matched key, per language and hit, from the positions the index stores. Each key is
    looked up once for the whole page (a prefix may stand for hundreds of keys)."""

    def __init__(
        self, snapshot: Snapshot, terms: HighlightTerms, docnums: list[int],
        field: Callable[[str], str] = body_field, query: ParsedQuery | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._terms = terms
        self._field = field  # the body's (or the title's) field of a language
        self._tree = query.tree if query is not None else None
        self._page = np.array(sorted(set(docnums)), dtype=np.int32)
        self._found: dict[str, dict[int, dict[int, str]]] = {}

    def __bool__(self) -> bool:
        return bool(self._terms)

    def positions(self, language: str, docnum: int) -> dict[int, str]:
        found = self._found.get(language)
        if found is None:
            found = self._found[language] = self._in_page(language)
        return found.get(docnum, {})

    def part_keys(self, language: str) -> frozenset[str]:
        """The keys that stand for the query's compounds only as their parts."""
        return part_keys(self._tree, language)

    def _in_page(self, language: str) -> dict[int, dict[int, str]]:
        field_name = self._field(language)
        keys = self._terms.get(body_field(language), set()) | self._terms.get(
            title_field(language), set()
        )
        found: dict[int, dict[int, str]] = {}
        for key in sorted(keys):
            for doc, positions in self._snapshot.scorer.positions(field_name, key, self._page):
                marks = found.setdefault(doc, {})
                for position in positions:
                    marks.setdefault(position, key)
        return found
