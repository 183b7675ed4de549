"""The whoosh schema: per-language text fields, stored display fields and facet columns.

Field names and what the stored fields hold are part of the index contract
(``indexer.contract``); this module says how each is indexed.
"""

from __future__ import annotations

from whoosh import fields

from indexer.analysis import parts_analyzer, stem_analyzer, text_analyzer
from indexer.contract import (
    LANGUAGES,
    PARALLEL_ID_FIELD,
    body_field,
    parts_field,
    title_field,
    title_parts_field,
    titles_field,
)
from indexer.formats import TermFrequency, TermPositions
from indexer.lexicon import COMPOUND_LANGUAGES

TITLE_BOOST = 2.0
BODY_BOOST = 1.0
# Compound parts find ``lautakunta`` in ``tarkastuslautakunnan``, below a whole-word match.
PARTS_BOOST = 0.4
TITLE_PARTS_BOOST = PARTS_BOOST * TITLE_BOOST


def _text(analyzer, posting_format) -> fields.TEXT:
    field = fields.TEXT(analyzer=analyzer)
    field.format = posting_format
    return field


def _facet() -> fields.ID:
    return fields.ID(stored=True, sortable=True)


def build_schema(stem_only: bool = False) -> fields.Schema:
    """The index schema; ``stem_only`` builds the Snowball-only baseline for comparisons."""
    schema = fields.Schema(
        # Columns of id and content hash let an update compare the corpus with the index
        # without reading stored documents.
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.STORED(),
        body=fields.STORED(),
        url=fields.STORED(),
        source_ref=fields.STORED(),
        date=fields.ID(stored=True, sortable=True),
        date_source=fields.STORED(),
        year=fields.NUMERIC(int, bits=32, stored=True, sortable=True),
        language=_facet(),
        languages=fields.KEYWORD(stored=True, commas=True),
        division=_facet(),
        doc_type=_facet(),
        organization=_facet(),
        source=fields.STORED(),
        # Where each language's text lies in the body: [(language, start, end), ...].
        sections=fields.STORED(),
        extra=fields.STORED(),
        content_hash=fields.ID(stored=True, sortable=True),
        expires=fields.ID(stored=True, sortable=True),
    )
    # The id of the same record in the other official language, so a record's translations
    # are found from either side.
    schema.add(PARALLEL_ID_FIELD, fields.ID())
    for language in LANGUAGES:
        analyzer = stem_analyzer(language) if stem_only else text_analyzer(language)
        schema.add(title_field(language), _text(analyzer, TermPositions(field_boost=TITLE_BOOST)))
        schema.add(body_field(language), _text(analyzer, TermPositions(field_boost=BODY_BOOST)))
        # One term per record, its whole title: the title completions of its main language.
        schema.add(titles_field(language), fields.ID())
        if language in COMPOUND_LANGUAGES and not stem_only:
            schema.add(
                parts_field(language),
                _text(parts_analyzer(language), TermFrequency(field_boost=PARTS_BOOST)),
            )
            schema.add(
                title_parts_field(language),
                _text(parts_analyzer(language), TermFrequency(field_boost=TITLE_PARTS_BOOST)),
            )
    return schema
