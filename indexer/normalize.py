"""Raw records as read -> ``Record``: checked types, canonical facets, languages, dates, links.

Policy for bad values: a missing id or no text at all, a field of the wrong JSON type
(``body`` a list, ``year`` "abc"), a ``language`` other than fi/sv/en (or a spelling of one),
a ``date`` that cannot be read or lies outside the years the index holds ("spring 2021",
"2021-02-30", "1700-01-01"), a ``year`` outside them, and a ``year`` that disagrees with the
``date``, make the record a ``BadRecord``: the producer is broken and guessing would hide it.

Dates: a record's ``date`` is its source's (``date_source`` "source"), or else a date written
in its title or body that fits the record (``date_source`` "text"): not after an upper bound
the source gives (``html_generated``, when the source generated the page), not before the year
the record's identifier names (an ECLI, a court decision number "KKO:1983-I-2", a Helsinki
diary number "HEL 2021-002763"), and within the record's ``year`` when the source gives one.
Of the dates that fit, one the text presents as its own (``dates.Found.own``: "Päätöspäivä
3.2.2021", a heading "Välfärdsområdesfullmäktige 28.4.2026") wins; without one, a record whose
source gives no year takes the first date that fits, and a record with a year takes none (a
date in its text is more likely one it cites). ``year`` is the date's year whenever there is a
date; otherwise the source's, or one on a labelled line ("Publiceringsår: 2008").

Links: ``url`` is an http(s) address of the document itself, or None. A ``url`` value that is
not one, such as an address with a remark ("https://paatokset.hel.fi/fi/paattajat (meeting
U75000202124, item 9)"), a source-data file (".xml", ".json", ...) or a data API's address
(".../ahjorest/v1/decisions/..."), is kept unchanged as
``source_ref``, the record's reference in its source.

A body that is split into language sections is rejoined from them (paragraphs separated by one
blank line), so that every section is a run of the body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from indexer import dates, language
from indexer.contract import LANGUAGES, YEAR_MAX, YEAR_MIN
from indexer.readers import iter_raw_records
from indexer.records import CORE_FIELDS, BadRecord, RawRecord, Record, Section, title_from_text
from indexer.vocabulary import Vocabulary

FACET_FIELDS = ("organization", "division", "doc_type")

# Spellings of the three languages seen in metadata besides the codes themselves.
LANGUAGE_NAMES = {
    "fi": "fi", "fin": "fi", "fi-fi": "fi", "fi_fi": "fi", "finnish": "fi", "suomi": "fi",
    "sv": "sv", "swe": "sv", "sv-fi": "sv", "sv_fi": "sv", "sv-se": "sv", "sv_se": "sv",
    "swedish": "sv", "svenska": "sv", "ruotsi": "sv",
    "en": "en", "eng": "en", "en-gb": "en", "en_gb": "en", "en-us": "en", "en_us": "en",
    "english": "en", "englanti": "en", "engelska": "en",
}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_FINNISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")

# The year a record's identifier names, from its own fields (never its body, which cites
# others): an ECLI, a Finnish court decision number in the title, a Helsinki diary number.
_ECLI_YEAR = re.compile(r"ECLI:[A-Z]{2}:[A-Z]+:(\d{4}):", re.IGNORECASE)
_DECISION_NUMBER_YEAR = re.compile(r"(?<![\w:])(?:KKO|KHO|HD|HFD):(\d{4})[-:]\w")
_DIARY_NUMBER_YEAR = re.compile(r"(?<!\w)HEL (\d{4})-\d+(?!\d)")
# A link that is source data rather than a page a reader can open: a data file, or an address
# of a versioned data API (Helsinki's Ahjo REST API: ".../ahjorest/v1/decisions/{...}").
_DATA_FILE = re.compile(r"\.(?:xml|json|jsonl|csv|tsv|gz|zip)$", re.IGNORECASE)
_DATA_API = re.compile(r"/(?:ahjorest|api|rest)/v\d+/", re.IGNORECASE)
# Any character ``str.isspace`` accepts (``re``'s Unicode ``\s`` is the same test), found
# in C: a generator over a URL's characters was 14% of reading a record.
_SPACE = re.compile(r"\s")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _string(raw: RawRecord, name: str) -> str | None:
    """The field as a string, or None when it is missing or null; any other type is bad."""
    value = raw.fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise BadRecord(raw.path, raw.line, f"{name}: expected a string, got {_type_name(value)}")


def _record_id(raw: RawRecord) -> str:
    value = raw.fields.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not isinstance(value, str):
        raise BadRecord(raw.path, raw.line, f"id: expected a string, got {_type_name(value)}")
    if not value or not value.strip():
        raise BadRecord(raw.path, raw.line, "no id")
    return value.strip()


def parse_date(value: str) -> dt.date | None:
    """A date from "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS..." or "d.m.yyyy"; None if not one."""
    value = value.strip()
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _FINNISH_DATE.fullmatch(value)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year_field(raw: RawRecord) -> int | None:
    """The ``year`` field, if any; a non-number or a year outside the index's is a bad record."""
    value = raw.fields.get("year")
    if value is None or value == "":
        return None
    year: int | None = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        year = int(value.strip())
    if year is None:
        raise BadRecord(raw.path, raw.line, f"year: expected a number, got {value!r}")
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadRecord(raw.path, raw.line, f"year: {year} is outside {YEAR_MIN}-{YEAR_MAX}")
    return year


def _date_field(raw: RawRecord) -> dt.date | None:
    """The ``date`` field, if any; one that cannot be read is a bad record."""
    value = raw.fields.get("date")
    if value is not None and not isinstance(value, str):
        raise BadRecord(raw.path, raw.line, f"date: expected a string, got {_type_name(value)}")
    if value is None or not value.strip():
        return None
    date = parse_date(value)
    if date is None:
        raise BadRecord(
            raw.path, raw.line,
            f"date: expected a date like 2021-11-24 or 24.11.2021 in {YEAR_MIN}-{YEAR_MAX}, "
            f"got {value!r}",
        )
    return date


def _language_field(raw: RawRecord) -> str | None:
    value = _string(raw, "language")
    if value is None or not value.strip():
        return None
    language = LANGUAGE_NAMES.get(value.strip().casefold())
    if language is None:
        raise BadRecord(
            raw.path, raw.line,
            f"language: {value!r} is not one of the index's languages ({', '.join(LANGUAGES)})",
        )
    return language


def identifier_year(fields: dict[str, Any]) -> int | None:
    """The year the record's identifier names, if it has one that names a year."""
    candidates = [
        (_ECLI_YEAR, fields.get("ecli")),
        (_DECISION_NUMBER_YEAR, fields.get("title")),
        (_DIARY_NUMBER_YEAR, fields.get("case_id")),
    ]
    years = [
        int(match.group(1))
        for pattern, value in candidates
        if isinstance(value, str) and (match := pattern.search(value))
    ]
    return max(years) if years else None


def _date_from_text(raw: RawRecord, text: str, year: int | None) -> dt.date | None:
    """A date written in ``text`` that fits the record (see the module docstring)."""
    earliest, latest = dt.date(YEAR_MIN, 1, 1), dt.date(YEAR_MAX, 12, 31)
    named = identifier_year(raw.fields)
    if named is not None and YEAR_MIN <= named <= YEAR_MAX:
        earliest = dt.date(named, 1, 1)
    if year is not None:
        earliest, latest = max(earliest, dt.date(year, 1, 1)), dt.date(year, 12, 31)
    generated = raw.fields.get("html_generated")
    bound = parse_date(generated) if isinstance(generated, str) else None
    if bound is not None:
        latest = min(latest, bound)
    fitting = [found for found in dates.dates_in(text) if earliest <= found.date <= latest]
    own = [found for found in fitting if found.own]
    if own:
        return own[0].date
    if fitting and year is None:
        return fitting[0].date
    return None


def _link(value: str | None) -> tuple[str | None, str | None]:
    """``(url, source_ref)``: the value as the document's http(s) address, or as a reference
    in the source when it is not one."""
    if value is None or not value.strip():
        return None, None
    text = value.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return None, text
    if (
        parts.scheme in ("http", "https")
        and parts.hostname
        and not _SPACE.search(text)
        and not _DATA_FILE.search(parts.path)
        and not _DATA_API.search(parts.path)
    ):
        return text, None
    return None, text


def _sections(raw: RawRecord, title: str, body: str) -> tuple[str, list[Section]]:
    declared = _language_field(raw)
    if declared and not raw.is_page:
        return declared, [Section(declared, body)] if body else []
    # Pages mix languages (an English page with Finnish comments), and records without a
    # usable language field may too: split the body into runs of one language.
    default = declared or language.detect_language(f"{title}\n{body}") or "en"
    sections = language.split_sections(body, default=default) if body else []
    if not sections:
        return default, []
    return _main_language(declared, title, sections), sections


def _main_language(declared: str | None, title: str, sections: list[Section]) -> str:
    """The language a page is in: as declared, else its title's, else its first section's.

    Not the longest run: readers' comments under an article can outweigh it (seed 003).
    """
    present = [s.language for s in sections]
    if declared in present:
        return declared
    title_language = language.detect_language(title)
    if title_language in present:
        return title_language
    return present[0]


def normalize(raw: RawRecord, vocabulary: Vocabulary) -> Record:
    """The record ``raw`` describes; raises ``BadRecord(raw.path, raw.line, reason)``."""
    record_id = _record_id(raw)
    title = (_string(raw, "title") or "").strip()
    body = (_string(raw, "body") or "").strip()
    if not title and not body:
        raise BadRecord(raw.path, raw.line, "no text")
    if not title:
        title = title_from_text(body)
    url, source_ref = _link(_string(raw, "url"))
    source = (_string(raw, "source") or "").strip() or None

    extra: dict[str, Any] = {
        name: value for name, value in raw.fields.items() if name not in CORE_FIELDS
    }

    given_year = _year_field(raw)
    date = _date_field(raw)
    date_source: str | None = "source" if date is not None else None
    if date is not None and given_year is not None and given_year != date.year:
        raise BadRecord(
            raw.path, raw.line, f"year: {given_year} disagrees with date {date.isoformat()}"
        )

    facets: dict[str, str | None] = {}
    for name in FACET_FIELDS:
        value = _string(raw, name)
        facets[name] = vocabulary.canonical(name, value)
        if value is not None:
            extra[f"{name}_raw"] = value

    main_language, sections = _sections(raw, title, body)
    if len(sections) > 1 or (sections and sections[0].text != body):
        # split_sections rejoins paragraphs with one blank line; the body follows, so that each
        # section is a run of the body (the index stores sections as offsets into it).
        body = "\n\n".join(section.text for section in sections)

    if date is None:
        date = _date_from_text(raw, f"{title}\n{body}", given_year)
        if date is not None:
            date_source = "text"
    expires_value = raw.fields.get("expires")
    expires: dt.date | None = None
    if expires_value is not None:
        expires = parse_date(expires_value) if isinstance(expires_value, str) else None
        if expires is None:
            # Unreadable, the record might be served past its expiry: better not at all.
            raise BadRecord(
                raw.path, raw.line,
                f"expires: expected a date like 2026-12-31, got {expires_value!r}",
            )
    if date is not None:
        year: int | None = date.year
    else:
        year = given_year if given_year is not None else dates.find_year(body)

    return Record(
        id=record_id,
        title=title,
        body=body,
        origin=raw.origin,
        url=url,
        source_ref=source_ref,
        language=main_language,
        date=date.isoformat() if date is not None else None,
        date_source=date_source,
        year=year,
        organization=facets["organization"],
        division=facets["division"],
        doc_type=facets["doc_type"],
        source=source,
        expires=expires.isoformat() if expires is not None else None,
        sections=sections,
        extra=extra,
    )


def iter_records(
    paths: Sequence[str | Path], vocabulary: Vocabulary
) -> Iterator[Record | BadRecord]:
    """Every record under ``paths``, normalised; bad and duplicate records as ``BadRecord``."""
    first_seen: dict[str, str] = {}
    for raw in iter_raw_records(paths):
        if isinstance(raw, BadRecord):
            yield raw
            continue
        try:
            record = normalize(raw, vocabulary)
        except BadRecord as bad:
            yield bad
            continue
        origin = first_seen.get(record.id)
        if origin is not None:
            reason = f"duplicate id {record.id!r}, first seen at {origin}"
            yield BadRecord(raw.path, raw.line, reason)
            continue
        first_seen[record.id] = raw.origin
        yield record

