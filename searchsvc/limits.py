"""What one request may ask for, in one place.

The request objects (``searchsvc.request``) and the query parser (``searchsvc.syntax``) check
requests against these; the engine relies on them having been checked; ``/openapi.json``
states them; ``docs/api.md`` describes them (a test compares).
"""

from __future__ import annotations

from indexer.contract import LANGUAGES

# Languages of records to search and of labels (``lang``, ``ui``).
UI_LANGUAGES = LANGUAGES
DEFAULT_UI = "en"
SORTS = ("relevance", "newest", "oldest")
# Facets of the API -> the index columns they count (``indexer.contract.FACET_COLUMNS``).
FACETS = {
    "year": "year",
    "lang": "language",
    "division": "division",
    "type": "doc_type",
    "org": "organization",
}
FACET_NAMES = tuple(FACETS)

# /search pages: deep paging costs the service, not the reader.
DEFAULT_SIZE = 10
MIN_SIZE = 0  # counts and facets only
MAX_SIZE = 100
MAX_RESULTS_DEPTH = 10_000  # page * size

# /feed entries: a feed reader polls for what is new, not for the whole result set.
DEFAULT_FEED_SIZE = 20
MAX_FEED_SIZE = 100

# The query language (``q``).
MAX_QUERY_LENGTH = 500
# Leaves of a query: each word, each word of a phrase, each prefix or fuzzy word.
MAX_CLAUSES = 50
# Prefix and fuzzy words in one query: each expands in every language's fields, and whoosh
# finds a fuzzy word's terms by comparing it with every term sharing its first letter.
MAX_EXPANDING = 5
# Index terms one prefix or fuzzy word may expand to, per field: it expands to all of them or
# the query is refused (400), never cut short. 1,000 lets a 3-letter prefix through on most
# words of the 32,793 records (``hoito*`` is 299 terms of body_fi, ``om*`` 876); scoring five
# such prefixes cold takes about half a second, warm a tenth of that.
MAX_EXPANSIONS = 1000
# Parentheses nested deeper than this do not parse (the query falls back to plain words).
MAX_DEPTH = 8
# Letters a prefix (``word*``) needs.
MIN_PREFIX = 2

# /suggest: what has been typed, word completions, title completions.
MAX_SUGGEST_TEXT = 200
MAX_SUGGESTIONS = 10
DEFAULT_TITLES = 5
MAX_TITLES = 10
MIN_TITLE_PREFIX = 2  # characters typed before titles are offered
MAX_TITLE_CANDIDATES = 300  # title terms looked at per language

# /documents/{id}: the record as JSON (its page for a browser) or its citation.
DOCUMENT_FORMATS = ("json", "text", "bibtex", "csl-json")

# /documents/{id}/related
DEFAULT_RELATED = 10
MAX_RELATED = 50

# /analyze
MAX_ANALYZE_TEXT = 10_000

# /search answers: one page of hits as JSON, or every hit as an export (``searchsvc.export``).
FORMATS = ("json", "csv", "jsonl")
EXPORT_FORMATS = ("csv", "jsonl")
CSV_DELIMITERS = {"comma": ",", "semicolon": ";"}  # semicolon: Finnish and Swedish Excel
# Parameters of a page of hits, which an export (every hit) does not take.
PAGE_ONLY = ("page", "size", "facets", "histogram")
# Counts over time on /search (``searchsvc.histogram``).
HISTOGRAM_INTERVALS = ("year", "month")
