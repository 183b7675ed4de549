"""What a client asks for, declared and checked once: a request object that exists is valid.

Each request type is a frozen dataclass whose fields declare the query-string parameter they
are read from (``parameter(...)``: name, type, one value or a list, the values it takes, the
limits of ``searchsvc.limits``), as ``searchsvc.settings`` declares the settings. From these
declarations the HTTP layer (``searchsvc.params``) reads a query string (an unknown or
repeated parameter is a 400 there), the request object checks every value once, and
``/openapi.json`` (``searchsvc.openapi``) describes the parameters. A value outside what a
parameter takes raises ``InvalidParameter`` naming it (400); a query over the query
language's limits ``BadQuery``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field
from typing import Any

from indexer.contract import YEAR_MAX, YEAR_MIN
from searchsvc.limits import (
    CSV_DELIMITERS,
    DEFAULT_FEED_SIZE,
    DEFAULT_RELATED,
    DEFAULT_SIZE,
    DEFAULT_TITLES,
    DEFAULT_UI,
    DOCUMENT_FORMATS,
    EXPORT_FORMATS,
    FACET_NAMES,
    FACETS,
    FORMATS,
    HISTOGRAM_INTERVALS,
    MAX_ANALYZE_TEXT,
    MAX_FEED_SIZE,
    MAX_QUERY_LENGTH,
    MAX_RELATED,
    MAX_RESULTS_DEPTH,
    MAX_SIZE,
    MAX_SUGGEST_TEXT,
    MAX_SUGGESTIONS,
    MAX_TITLES,
    MIN_SIZE,
    PAGE_ONLY,
    SORTS,
    UI_LANGUAGES,
)
from searchsvc.parsed_query import ParsedQuery
from searchsvc.query import compile_query
from searchsvc.syntax import BadQuery


class InvalidParameter(ValueError):
    """A parameter's value (or a pair's) is outside what the API accepts."""

    title = "Invalid parameter"

    def __init__(self, name: str | tuple[str, ...], message: str) -> None:
        self.names = (name,) if isinstance(name, str) else name
        self.name = self.names[0]
        self.message = message
        super().__init__(self.description)

    @property
    def description(self) -> str:
        quoted = " and ".join(f'"{name}"' for name in self.names)
        noun = "parameter is" if len(self.names) == 1 else "parameters are"
        return f"The {quoted} {noun} invalid. {self.message}"


def close_match(value: str, choices: Iterable[str]) -> str | None:
    """The choice ``value`` was most likely meant to be (case aside), if any is close."""
    by_folded = {str(choice).casefold(): str(choice) for choice in choices}
    found = difflib.get_close_matches(value.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def check_known(name: str, values: Iterable[Any], allowed: Iterable[Any]) -> None:
    """Each of ``values`` is one of ``allowed``, or ``InvalidParameter`` names ``name``."""
    allowed = tuple(allowed)
    for value in values:
        if value not in allowed:
            meant = close_match(str(value), map(str, allowed))
            hint = f" Did you mean {meant!r}?" if meant else ""
            raise InvalidParameter(
                name, f"{value!r} is not one of {', '.join(map(str, allowed))}.{hint}"
            )


@dataclass(frozen=True)
class Parameter:
    """One query-string parameter: how it is read and the values it takes."""

    name: str  # in the query string
    help: str
    kind: type = str  # str or int
    # A list: repeats and comma-separated values combine (``lang=fi&lang=sv,en``).
    many: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()  # the values it takes, if a fixed set
    # The values it takes are the keys of this facet the published generation knows.
    facet: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    def check(self, value: Any, facet_keys: Mapping[str, Collection[Any]] | None) -> None:
        if value is None:
            return
        values = value if self.many else (value,)
        for one in values:
            if self.minimum is not None and one < self.minimum:
                raise InvalidParameter(self.name, f"The value must be at least {self.minimum}")
            if self.maximum is not None and one > self.maximum:
                raise InvalidParameter(self.name, f"The value may not exceed {self.maximum}")
            if self.max_length is not None and len(one) > self.max_length:
                raise InvalidParameter(self.name, f"At most {self.max_length} characters.")
        if self.choices:
            check_known(self.name, values, self.choices)
        if self.facet is not None and facet_keys is not None:
            check_known(self.name, values, facet_keys[FACETS[self.facet]])


def parameter(*, default: Any = MISSING, default_factory: Any = MISSING, **declared: Any) -> Any:
    """A request field read from the query-string parameter ``Parameter(**declared)``."""
    return field(default=default, default_factory=default_factory,
                 metadata={"parameter": Parameter(**declared)})


def parameters(request_type: type) -> Iterator[tuple[str, Parameter]]:
    """(field name, declaration) of each parameter a request type is read from, in order."""
    for declared in dataclasses.fields(request_type):
        if "parameter" in declared.metadata:
            yield declared.name, declared.metadata["parameter"]


def _check_parameters(request: Any, facet_keys: Mapping[str, Collection[Any]] | None) -> None:
    for name, declared in parameters(type(request)):
        declared.check(getattr(request, name), facet_keys)


_UI = {"name": "ui", "choices": UI_LANGUAGES,
       "help": "Language of labels; default from Accept-Language, then en."}
_LANG = {"name": "lang", "choices": UI_LANGUAGES, "many": True}
_YEAR = {"kind": int, "minimum": YEAR_MIN, "maximum": YEAR_MAX}


@dataclass(frozen=True)
class SearchRequest:
    """``GET /search``: the query, filters (OR within one, AND across), order and page.

    ``facet_keys`` are the facet keys of the published generation the request is for
    (``FacetColumns.known``): with them, a ``division``, ``type`` or ``org`` value it does not
    know is invalid; without them (a request made in code), such a filter finds nothing.
    """

    q: str = parameter(
        default="", name="q", max_length=MAX_QUERY_LENGTH,
        help='Query: words (all must match), "phrases", -excluded, OR, prefix*, word~, '
        "title:word, title:(group), parentheses. Empty lists everything; one with no word "
        "to search for finds nothing (see warning).")
    languages: tuple[str, ...] = parameter(  # () = all
        default=(), **_LANG, help="Only records in these languages.")
    years: tuple[int, ...] = parameter(
        default=(), name="year", many=True, **_YEAR, help="Only these years.")
    year_from: int | None = parameter(
        default=None, name="year_from", **_YEAR, help="Years from (inclusive).")
    year_to: int | None = parameter(
        default=None, name="year_to", **_YEAR, help="Years to (inclusive).")
    divisions: tuple[str, ...] = parameter(
        default=(), name="division", many=True, facet="division",
        help="Division keys (GET /facets lists them).")
    types: tuple[str, ...] = parameter(  # doc_type keys
        default=(), name="type", many=True, facet="type",
        help="Document type keys (GET /facets lists them).")
    orgs: tuple[str, ...] = parameter(
        default=(), name="org", many=True, facet="org",
        help="Organisation keys (GET /facets lists them).")
    sort: str = parameter(  # by date, then year
        default="relevance", name="sort", choices=SORTS, help="Order of hits.")
    page: int = parameter(default=1, name="page", kind=int, minimum=1, help="Page, from 1.")
    size: int = parameter(
        default=DEFAULT_SIZE, name="size", kind=int, minimum=MIN_SIZE, maximum=MAX_SIZE,
        help=f"Hits per page (default {DEFAULT_SIZE}); 0 for counts and facets only.")
    facets: tuple[str, ...] = parameter(
        default=FACET_NAMES, name="facets", many=True, choices=FACET_NAMES,
        help="Facets to count (default all; empty for none); counts ignore their own filter.")
    ui: str = parameter(default=DEFAULT_UI, **_UI)  # language of labels
    cross_lang: int = parameter(
        default=0, name="cross_lang", kind=int, minimum=0, maximum=1,
        help="1: a query of plain words also finds records in the other official language "
        "(Finnish, Swedish), through translations learned from the twin records and "
        "through each record's twin; ranked below the query's own words.")
    format: str = parameter(
        default="json", name="format", choices=FORMATS,
        help="json: one page of hits (default). csv, jsonl: an export, every hit in the "
        "order of sort, streamed (up to SEARCHSVC_EXPORT_MAX_RECORDS; the headers "
        "X-Total-Count and X-Export-Capped say whether all came); it takes no page, size, "
        "facets or histogram.")
    delimiter: str = parameter(
        default="comma", name="delimiter", choices=tuple(CSV_DELIMITERS),
        help="With format=csv: the separator, comma (default) or semicolon (Finnish and "
        "Swedish Excel).")
    histogram: str | None = parameter(
        default=None, name="histogram", choices=HISTOGRAM_INTERVALS,
        help="Counts over time of every hit: year or month buckets adding up to total with "
        "the undated counted apart.")
    facet_keys: Mapping[str, Collection[Any]] | None = field(
        default=None, repr=False, compare=False)
    # The names of the query-string parameters given (``searchsvc.params``): what an export
    # refuses is what the client asked for, not a default.
    given: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    # ``q`` read and compiled, once.
    query: ParsedQuery = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_parameters(self, self.facet_keys)
        self._check_format()
        if self.page * self.size > MAX_RESULTS_DEPTH:
            raise InvalidParameter(
                "page",
                f"page × size may be at most {MAX_RESULTS_DEPTH}; narrow the search instead.",
            )
        if self.year_from is not None and self.year_to is not None and (
            self.year_from > self.year_to
        ):
            raise InvalidParameter(
                ("year_from", "year_to"),
                f"year_from ({self.year_from}) is after year_to ({self.year_to}).",
            )
        object.__setattr__(self, "query", compile_query(self.q))

    @property
    def first(self) -> int:
        """Index of the page's first hit among all hits."""
        return (self.page - 1) * self.size

    @property
    def exports(self) -> bool:
        """Whether the answer is every hit (``searchsvc.export``), not a page of them."""
        return self.format in EXPORT_FORMATS

    def _check_format(self) -> None:
        """An export is every hit: a page's parameters given with it are a 400 rather than
        ignored, so nobody takes one page's worth for the whole set or the reverse."""
        if self.exports:
            paged = [name for name in PAGE_ONLY if name in self.given]
            if paged:
                raise InvalidParameter(
                    tuple(paged), f"format={self.format} exports every hit (up to the "
                    "export limit) and takes no page, size, facets or histogram.")
        if self.format != "csv" and ("delimiter" in self.given or self.delimiter != "comma"):
            raise InvalidParameter("delimiter", "It applies to format=csv only.")


def _same_as(request_type: type, name: str) -> Any:
    """A field read from the same parameter, with the same default, as ``request_type``'s
    field ``name``: one declaration, one check."""
    declared = next(f for f in dataclasses.fields(request_type) if f.name == name)
    return field(default=declared.default, default_factory=declared.default_factory,
                 metadata=declared.metadata)


# What ``/feed`` takes of ``/search``: the query and filters (not the order or the page).
FEED_SEARCH_FIELDS = ("q", "languages", "years", "year_from", "year_to", "divisions", "types",
                      "orgs", "cross_lang")


@dataclass(frozen=True)
class FeedRequest:
    """``GET /feed``: the query and filters of ``/search``, declared and checked as there (a
    ``SearchRequest`` sorted ``newest`` is made of them, ``search``), and how many entries."""

    q: str = _same_as(SearchRequest, "q")
    languages: tuple[str, ...] = _same_as(SearchRequest, "languages")
    years: tuple[int, ...] = _same_as(SearchRequest, "years")
    year_from: int | None = _same_as(SearchRequest, "year_from")
    year_to: int | None = _same_as(SearchRequest, "year_to")
    divisions: tuple[str, ...] = _same_as(SearchRequest, "divisions")
    types: tuple[str, ...] = _same_as(SearchRequest, "types")
    orgs: tuple[str, ...] = _same_as(SearchRequest, "orgs")
    size: int = parameter(
        default=DEFAULT_FEED_SIZE, name="size", kind=int, minimum=1, maximum=MAX_FEED_SIZE,
        help=f"Entries, the newest first-published (default {DEFAULT_FEED_SIZE}).")
    ui: str = _same_as(SearchRequest, "ui")
    cross_lang: int = _same_as(SearchRequest, "cross_lang")
    facet_keys: Mapping[str, Collection[Any]] | None = field(
        default=None, repr=False, compare=False)
    search: SearchRequest = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_parameters(self, self.facet_keys)
        search = SearchRequest(
            **{name: getattr(self, name) for name in FEED_SEARCH_FIELDS},
            sort="newest", size=0, facets=(), ui=self.ui, facet_keys=self.facet_keys)
        object.__setattr__(self, "search", search)


@dataclass(frozen=True)
class SuggestRequest:
    """``GET /suggest``: completions of what has been typed."""

    q: str = parameter(
        default="", name="q", max_length=MAX_SUGGEST_TEXT, help="What has been typed.")
    languages: tuple[str, ...] = parameter(
        default=(), **_LANG, help="Languages to complete in.")
    size: int = parameter(  # word completions
        default=MAX_SUGGESTIONS, name="size", kind=int, minimum=0, maximum=MAX_SUGGESTIONS,
        help=f"Word completions, at most (default {MAX_SUGGESTIONS}).")
    titles: int = parameter(  # title completions
        default=DEFAULT_TITLES, name="titles", kind=int, minimum=0, maximum=MAX_TITLES,
        help=f"Titles beginning with q to offer (default {DEFAULT_TITLES}).")

    def __post_init__(self) -> None:
        _check_parameters(self, None)


@dataclass(frozen=True)
class LabelsRequest:
    """``GET /facets``: the language of labels."""

    ui: str = parameter(default=DEFAULT_UI, **_UI)

    def __post_init__(self) -> None:
        _check_parameters(self, None)


@dataclass(frozen=True)
class DocumentRequest:
    """``GET /documents/{id}``: the language of labels, and words to mark on its HTML page.

    ``q`` is read as ``/search`` reads it, for marking only: a query the query language
    refuses (``BadQuery``) or one without words marks nothing (``query`` is None), as the
    page is for reading the record, not for searching.
    """

    q: str = parameter(
        default="", name="q", max_length=MAX_QUERY_LENGTH,
        help="The search that led here (as /search reads q): its words are marked in the "
        "text of the HTML page. The JSON answer is the same with or without it.")
    ui: str = parameter(default=DEFAULT_UI, **_UI)
    format: str = parameter(
        default="json", name="format", choices=DOCUMENT_FORMATS,
        help="json: the record (for a browser's Accept, without format, its HTML page); "
        "text, bibtex, csl-json: its citation, retrieved today (UTC), with the attribution "
        "its licence requires.")
    # ``q`` read and compiled, once; None when it has nothing to mark.
    query: ParsedQuery | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_parameters(self, None)
        query = None
        if self.q.strip():
            try:
                query = compile_query(self.q)
            except BadQuery:
                pass
        if query is not None and (query.has_no_words or query.matches_everything):
            query = None
        object.__setattr__(self, "query", query)


@dataclass(frozen=True)
class RelatedRequest:
    """``GET /documents/{id}/related``: how many records like it, in which language."""

    size: int = parameter(
        default=DEFAULT_RELATED, name="size", kind=int, minimum=0, maximum=MAX_RELATED,
        help=f"Related records, at most (default {DEFAULT_RELATED}).")
    lang: str | None = parameter(
        default=None, name="lang", choices=UI_LANGUAGES,
        help="Language of the related records (default the record's own); another official "
        "language is reached through the record's twin, else through the translations.")
    ui: str = parameter(default=DEFAULT_UI, **_UI)

    def __post_init__(self) -> None:
        _check_parameters(self, None)


@dataclass(frozen=True)
class AnalyzeRequest:
    """``GET /analyze``: a text and the language whose analyzer to run on it."""

    lang: str = parameter(name="lang", choices=UI_LANGUAGES, required=True,
                          help="Analyzer language.")
    text: str = parameter(name="text", max_length=MAX_ANALYZE_TEXT, required=True,
                          help="Text.")

    def __post_init__(self) -> None:
        _check_parameters(self, None)
