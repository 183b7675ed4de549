"""Posting formats fed by ``LanguageAnalyzer.terms``: whoosh's own, minus the token objects.

The encoded postings are exactly whoosh's ``Positions`` and ``Frequency`` (every token has
boost 1.0, so a term's weight is its frequency times the field boost); only the way to the
(term, positions) pairs is shorter. Analyzers without ``terms`` take whoosh's path.

``word_values`` runs only when a document is written, so the title and body postings are also
where the spelling words of each text are counted (``indexer.writer_processes.count_words``):
once per title and body, never for the compound parts of the same text.
"""

from __future__ import annotations

from collections import Counter

from whoosh import formats
from whoosh.system import pack_uint

from indexer import writer_processes


class TermPositions(formats.Positions):
    """Title and body postings."""

    def word_values(self, value, analyzer, **kwargs):
        terms = getattr(analyzer, "terms", None)
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        writer_processes.count_words(analyzer.language, analyzer.words(value))
        field_boost = self.field_boost
        positions: dict[str, list[int]] = {}
        for term, position in terms(value):
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
        encode = self.encode
        for term, found in positions.items():
            yield term, len(found), len(found) * field_boost, encode(found)


class TermFrequency(formats.Frequency):
    """Compound-parts postings."""

    def word_values(self, value, analyzer, **kwargs):
        terms = getattr(analyzer, "terms", None)
        if terms is None:
            return super().word_values(value, analyzer, **kwargs)
        field_boost = self.field_boost
        counts = Counter(term for term, _ in terms(value))
        return ((term, n, n * field_boost, pack_uint(n)) for term, n in counts.items())
