"""Exports: every record a search matches, streamed as CSV or JSON Lines (``/search?format=``).

An export is the same search as a page of hits (``searchsvc.search.select``: query, filters,
``cross_lang``, ``sort``), read to the end, up to ``SEARCHSVC_EXPORT_MAX_RECORDS``. The
records are read ``BATCH`` at a time and each batch is written out before the next is read,
so memory holds the order of the hits (a number per hit) and one batch, never the whole
export as text.

One generation throughout: the order is computed from the snapshot the request started with,
and the stream keeps that snapshot (its searcher stays open until the last batch is read,
``searchsvc.snapshot``) even when a new generation is published meanwhile. Each batch reads
the index inside ``reading()``; between batches other requests of the worker may read.

Wire contract, both formats, one record each (row or line), in the order of ``sort``:

- ``id``, ``title`` (as stored, newlines and all), ``date`` (``YYYY-MM-DD``), ``date_source``
  (``source`` or ``text``: inferred from the text), ``year``, ``lang``; ``type``,
  ``division``, ``org``: the vocabulary key and its label in the ``ui`` language; ``url``
  (the source document), ``permalink`` (the record's page on this service,
  ``searchsvc.permalinks``), ``snippet`` (the passage a hit's snippet shows, as plain text:
  no markup, whitespace collapsed).
- CSV (``text/csv; charset=utf-8; header=present``): UTF-8 with a byte-order mark (Excel
  reads UTF-8 only with one), a header row of ``CSV_COLUMNS``, RFC 4180 quoting (quoted only
  where needed, ``""`` for a quote, CRLF between rows, line breaks kept inside quoted cells);
  labels in their own ``*_label`` columns; a text cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is prefixed with ``'``, so a spreadsheet shows it rather
  than runs it as a formula (OWASP's CSV injection advice). ``delimiter=semicolon``: ``;``
  between cells, as Finnish and Swedish Excel expect, with no ``sep=`` line (Excel ignores
  the byte-order mark after one).
- JSON Lines (``application/x-ndjson``): one JSON object per line, ``\\n`` after each, the
  text raw (no ``'`` prefix: it is data, not a spreadsheet); ``type``, ``division`` and
  ``org`` are ``{"key", "label"}`` or null, as in a ``/search`` hit.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchsvc import search
from searchsvc.feed import canonical_query
from searchsvc.limits import CSV_DELIMITERS
from searchsvc.marks import Marks
from searchsvc.parsed_query import HighlightTerms, ParsedQuery
from searchsvc.permalinks import permalink
from searchsvc.request import SearchRequest
from searchsvc.snapshot import Snapshot

# Records read (and written out) at a time: big enough that a batch's marks are looked up
# together, small enough that a batch's text is a few hundred kilobytes at most.
BATCH = 200
CSV_TYPE = "text/csv; charset=utf-8; header=present"
# No media type for JSON Lines is registered; application/x-ndjson is the one the tools
# that stream JSON lines send and accept (Elasticsearch, Loki, jq users' curl -H).
JSONL_TYPE = "application/x-ndjson"
BOM = "\ufeff"
CSV_COLUMNS = ("id", "title", "date", "date_source", "year", "lang", "type", "type_label",
               "division", "division_label", "org", "org_label", "url", "permalink", "snippet")
KEYED = ("type", "division", "org")
# What a spreadsheet may read as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARK = re.compile(r"</?mark>")


@dataclass(frozen=True)
class Export:
    """An export's headers and its body, a stream of byte chunks (one per batch)."""

    content_type: str
    filename: str
    total: int  # records the search matches
    count: int  # records the export holds: total, or the limit
    body: Iterator[bytes]

    @property
    def capped(self) -> bool:
        return self.count < self.total


def export(
    snapshot: Snapshot, request: SearchRequest, limit: int, base: str
) -> Export:
    """The export of ``request`` (``format`` csv or jsonl) from ``snapshot``: at most
    ``limit`` records; ``base`` is the service's address for permalinks."""
    with snapshot.reading():
        selection = search.select(snapshot, request)
        docnums, _ = search.ordered(snapshot, selection, request, 0, limit)
        terms = search.highlight_terms(snapshot, selection, request)
    records = _records(snapshot, docnums, terms, selection.query, request.ui, base)
    if request.format == "csv":
        body = _csv(records, CSV_DELIMITERS[request.delimiter])
        content_type, suffix = CSV_TYPE, "csv"
    else:
        body = _jsonl(records)
        content_type, suffix = JSONL_TYPE, "jsonl"
    return Export(content_type, f"searchsvc-export-{snapshot.generation}.{suffix}",
                  selection.total, len(docnums), body)


def _records(
    snapshot: Snapshot, docnums: np.ndarray, terms: HighlightTerms, query: ParsedQuery,
    ui: str, base: str,
) -> Iterator[list[dict[str, Any]]]:
    """The records, a batch at a time, as ``/search`` hits with a permalink and a plain
    snippet. Holds ``snapshot`` (so its searcher stays open) until the last batch."""
    for start in range(0, len(docnums), BATCH):
        batch = [int(d) for d in docnums[start : start + BATCH]]
        with snapshot.reading():
            marks = Marks(snapshot, terms, batch, query=query)
            hits = [search.hit(snapshot, d, None, marks, ui) for d in batch]
        for hit in hits:
            hit["permalink"] = permalink(base, hit["id"])
            hit["snippet"] = plain(hit["snippet"])
            del hit["score"]
        yield hits


def plain(snippet_html: str) -> str:
    """A hit's snippet as text: its ``<mark>`` tags dropped, the rest unescaped. The text was
    escaped before the marks went in, so a ``<mark>`` here is always one of ours."""
    return html.unescape(_MARK.sub("", snippet_html))


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(hit: dict[str, Any]) -> list[Any]:
    row = dict(hit)
    for name in KEYED:
        keyed = hit.get(name) or {}
        row[name], row[f"{name}_label"] = keyed.get("key"), keyed.get("label")
    return [neutralised(row.get(column)) for column in CSV_COLUMNS]


def _csv(batches: Iterator[list[dict[str, Any]]], delimiter: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL,
                        lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for hits in batches:
        writer.writerows(csv_row(hit) for hit in hits)
        yield _drain(buffer)


def _jsonl(batches: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    for hits in batches:
        yield "".join(json.dumps(hit, ensure_ascii=False) + "\n" for hit in hits).encode()


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def links(base: str, request: SearchRequest, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The exports of a search (its query, filters and sort; ``extra``: ``ui``), as the
    ``links`` of a ``/search`` answer name them: ``csv``, ``csv_semicolon``, ``jsonl``."""
    query = canonical_query(request, extra)
    sort = f"sort={request.sort}&" if request.sort != "relevance" else ""
    start = f"{base}/search?" + (f"{query}&" if query else "") + sort
    return {"csv": f"{start}format=csv", "csv_semicolon": f"{start}format=csv&delimiter=semicolon",
            "jsonl": f"{start}format=jsonl"}
