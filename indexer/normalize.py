"""Raw records as read -> ``Record``: checked types, canonical facets, languages and dates.

Policy for bad values: a missing id or no text at all, and a field of the wrong JSON type
(``body`` a list, ``year`` "abc"), make the record a ``BadRecord``: the producer is broken and
guessing would hide it. A ``date`` string that cannot be read ("spring 2021", "2021-02-30") is
not worth losing the record for: the date is derived from the text as if it were missing, the
original is kept in ``extra["date_raw"]`` and a note in ``extra["warnings"]``. A date found
in the text rather than given is marked ``extra["date_source"] = "text"``.

A body that is split into language sections is rejoined from them (paragraphs separated by one
blank line), so that every section is a run of the body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from indexer import dates, language
from indexer.contract import YEAR_MAX, YEAR_MIN
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
    """The ``year`` field if it is a plausible year; a non-number is a bad record."""
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
    return year if YEAR_MIN <= year <= YEAR_MAX else None


def _language_field(raw: RawRecord) -> str | None:
    value = _string(raw, "language")
    if value is None:
        return None
    return LANGUAGE_NAMES.get(value.strip().casefold())


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
    url = (_string(raw, "url") or "").strip() or None
    source = (_string(raw, "source") or "").strip() or None

    extra: dict[str, Any] = {
        name: value for name, value in raw.fields.items() if name not in CORE_FIELDS
    }
    warnings: list[str] = []

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

    date_value = raw.fields.get("date")
    if date_value is not None and not isinstance(date_value, str):
        raise BadRecord(
            raw.path, raw.line, f"date: expected a string, got {_type_name(date_value)}"
        )
    date: dt.date | None = None
    if date_value and date_value.strip():
        date = parse_date(date_value)
        if date is None:
            extra["date_raw"] = date_value
            warnings.append(f"date: cannot read {date_value!r}; derived from the text instead")
    if date is None:
        date = dates.find_date(f"{title}\n{body}")
        if date is not None:
            extra["date_source"] = "text"
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
    year = _year_field(raw)
    if year is None:
        year = date.year if date is not None else dates.find_year(body)
    if warnings:
        extra["warnings"] = warnings

    return Record(
        id=record_id,
        title=title,
        body=body,
        origin=raw.origin,
        url=url,
        language=main_language,
        date=date.isoformat() if date is not None else None,
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

