"""whoosh query nodes that ``searchsvc.query`` compiles to and whoosh lacks.

``CompletePrefix`` and ``CompleteFuzzyTerm`` expand to every index term they stand for, or
raise ``BadQuery`` over ``MAX_EXPANSIONS`` terms of one field: never a silent cut, so a
shorter prefix never finds fewer records. ``Near`` is a phrase step whoosh's And can size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from whoosh import query
from whoosh.query.spans import SpanNear

from searchsvc.limits import MAX_EXPANSIONS
from searchsvc.syntax import BadQuery


def _all_or_refuse(terms: Iterable[bytes], refusal: str) -> list[bytes]:
    """Every term of an expansion, or ``BadQuery(refusal)`` when there are more than
    ``MAX_EXPANSIONS``: never a silent cut."""
    found = list(itertools.islice(terms, MAX_EXPANSIONS + 1))
    if len(found) > MAX_EXPANSIONS:
        raise BadQuery(refusal)
    return found


class CompletePrefix(query.Prefix):
    """A prefix that expands to every index term it begins, or raises ``BadQuery`` when that
    is more than ``MAX_EXPANSIONS`` terms of one field, so a shorter prefix never finds fewer
    records."""

    def _btexts(self, ixreader):
        return _all_or_refuse(
            super()._btexts(ixreader),
            f"the prefix {self.text}* matches more than {MAX_EXPANSIONS} words; "
            "type more letters before the *",
        )


class CompleteFuzzyTerm(query.FuzzyTerm):
    """A fuzzy term that expands to every index term within its distance, or raises
    ``BadQuery`` when that is more than ``MAX_EXPANSIONS`` terms of one field."""

    def _btexts(self, ixreader):
        return _all_or_refuse(
            super()._btexts(ixreader),
            f"the word {self.text}~ is close to more than {MAX_EXPANSIONS} words; "
            "type more of it or leave out the ~",
        )


class Near(SpanNear):
    """``SpanNear`` with the size estimates whoosh's And asks of its parts."""

    def children(self):
        return [self.a, self.b]

    def estimate_size(self, ixreader) -> int:
        return min(self.a.estimate_size(ixreader), self.b.estimate_size(ixreader))

    def estimate_min_size(self, ixreader) -> int:
        return 0


class AtLeast(query.Or):
    """Documents holding at least ``minimum`` of the subqueries, scored as the sum of those
    they hold (as whoosh scores an Or). whoosh's Or takes a ``minmatch`` argument it does not
    implement; ``searchsvc.scoring`` scores this node over arrays, whoosh never walks it."""

    def __init__(self, subqueries: list[query.Query], minimum: int, boost: float = 1.0) -> None:
        super().__init__(subqueries, boost=boost)
        self.minimum = minimum

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.subqueries!r}, minimum={self.minimum})"

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "minimum", None) == self.minimum

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.minimum))

    def normalize(self) -> query.Query:
        return self

    def matcher(self, searcher, context=None):
        raise NotImplementedError("AtLeast is scored by searchsvc.scoring, not by whoosh")
