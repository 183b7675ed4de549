"""A record as the index holds it: its whoosh fields, and the hash that tells a changed record."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from whoosh.fields import Schema

from indexer.contract import (
    PARALLEL_ID_FIELD,
    body_field,
    parts_field,
    title_field,
    title_parts_field,
    title_phrase,
    titles_field,
)
from indexer.lexicon import COMPOUND_LANGUAGES
from indexer.records import Record


def content_hash(record: Record) -> str:
    """A digest of everything indexed from a record, to tell changed records apart."""
    digest = hashlib.sha1()
    # The texts go in as they are (JSON-escaping a long body costs more than hashing it);
    # their lengths first, so no two different records run together alike.
    digest.update(f"{len(record.title)}:{len(record.body)}:".encode())
    digest.update(record.title.encode("utf-8", "surrogatepass"))
    digest.update(record.body.encode("utf-8", "surrogatepass"))
    metadata = [record.id, record.url, record.language, record.date, record.year,
                record.organization, record.division, record.doc_type, record.extra,
                record.expires, record.source_ref, record.date_source]
    digest.update(json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _section_offsets(record: Record) -> list[tuple[str, int, int]]:
    offsets = []
    position = 0
    for section in record.sections:
        start = record.body.find(section.text, position)
        if start < 0:
            continue
        end = start + len(section.text)
        offsets.append((section.language, start, end))
        position = end
    return offsets


def record_to_document(record: Record) -> dict[str, Any]:
    """The whoosh fields of a record: its text per language, stored fields and facets
    (``indexer.contract.StoredDocument``)."""
    languages = record.languages() or [record.language or "en"]
    main = record.language if record.language in languages else languages[0]
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "body": record.body,
        "language": main,
        "languages": ",".join(languages),
        "sections": _section_offsets(record),
        "extra": record.extra,
        "content_hash": content_hash(record),
        title_field(main): record.title,
    }
    if main in COMPOUND_LANGUAGES:
        doc[title_parts_field(main)] = record.title
    if record.title.strip():
        doc[titles_field(main)] = title_phrase(record.title)
    parallel = record.extra.get("parallel_id")
    if isinstance(parallel, str) and parallel:
        doc[PARALLEL_ID_FIELD] = parallel
    for name in ("url", "source_ref", "date", "date_source", "division", "doc_type",
                 "organization", "source", "expires"):
        value = getattr(record, name)
        if value:
            doc[name] = value
    if record.year is not None:
        doc["year"] = record.year
    for language in languages:
        body = record.text_in(language)
        doc[body_field(language)] = body
        if language in COMPOUND_LANGUAGES:
            doc[parts_field(language)] = body
    return doc


def document_fields(record: Record, schema: Schema) -> dict[str, Any]:
    """The fields of ``record_to_document`` that ``schema`` has (the Snowball-only baseline
    schema has no compound parts)."""
    return {k: v for k, v in record_to_document(record).items() if k in schema}
