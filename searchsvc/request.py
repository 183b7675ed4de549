"""What a client asks for, checked once: a request object that exists is a valid request.

The HTTP layer (``searchsvc.params``) turns query-string parameters into these; the engine
takes them as they are, with no limits of its own to re-check. A value over a limit of
``searchsvc.limits`` raises ``InvalidParameter`` naming the parameter (the HTTP layer answers
400 with Falcon's own wording), a query over the query language's limits ``BadQuery``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from searchsvc.limits import (
    DEFAULT_SIZE,
    DEFAULT_TITLES,
    DEFAULT_UI,
    FACET_NAMES,
    MAX_RESULTS_DEPTH,
    MAX_SIZE,
    MAX_SUGGEST_TEXT,
    MAX_SUGGESTIONS,
    MAX_TITLES,
    SORTS,
    UI_LANGUAGES,
)
from searchsvc.query import ParsedQuery, compile_query


class InvalidParameter(ValueError):
    """A parameter's value is outside what the API accepts."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _between(name: str, value: int, low: int, high: int | None = None) -> None:
    if value < low:
        raise InvalidParameter(name, f"The value must be at least {low}")
    if high is not None and value > high:
        raise InvalidParameter(name, f"The value may not exceed {high}")


def check_known(name: str, values: Iterable[str], allowed: Iterable[str]) -> None:
    """Each of ``values`` is one of ``allowed``, or ``InvalidParameter`` names ``name``."""
    allowed = tuple(allowed)
    for value in values:
        if value not in allowed:
            raise InvalidParameter(name, f"{value!r} is not one of {', '.join(allowed)}.")


@dataclass(frozen=True)
class SearchRequest:
    """``GET /search``: the query, filters (OR within one, AND across), order and page."""

    q: str = ""
    languages: tuple[str, ...] = ()  # () = all
    years: tuple[int, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    divisions: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # doc_type keys
    orgs: tuple[str, ...] = ()
    sort: str = "relevance"  # relevance | newest | oldest (by date, then year)
    page: int = 1
    size: int = DEFAULT_SIZE
    facets: tuple[str, ...] = FACET_NAMES
    ui: str = DEFAULT_UI  # language of labels
    # ``q`` read and compiled, once.
    query: ParsedQuery = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _between("page", self.page, 1)
        _between("size", self.size, 1, MAX_SIZE)
        if self.page * self.size > MAX_RESULTS_DEPTH:
            raise InvalidParameter(
                "page",
                f"page × size may be at most {MAX_RESULTS_DEPTH}; narrow the search instead.",
            )
        check_known("lang", self.languages, UI_LANGUAGES)
        check_known("sort", (self.sort,), SORTS)
        check_known("facets", self.facets, FACET_NAMES)
        check_known("ui", (self.ui,), UI_LANGUAGES)
        object.__setattr__(self, "query", compile_query(self.q))

    @property
    def first(self) -> int:
        """Index of the page's first hit among all hits."""
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class SuggestRequest:
    """``GET /suggest``: completions of what has been typed."""

    q: str = ""
    languages: tuple[str, ...] = ()
    size: int = MAX_SUGGESTIONS  # word completions
    titles: int = DEFAULT_TITLES  # title completions

    def __post_init__(self) -> None:
        if len(self.q) > MAX_SUGGEST_TEXT:
            raise InvalidParameter("q", f"At most {MAX_SUGGEST_TEXT} characters.")
        check_known("lang", self.languages, UI_LANGUAGES)
        _between("size", self.size, 1, MAX_SUGGESTIONS)
        _between("titles", self.titles, 0, MAX_TITLES)
