"""Translate a query text into a whoosh query over the per-language fields (pure code).

Each word is analysed with each language's analyzer and matched in that language's fields,
so ``omaishoitajien tuki`` finds Finnish records and ``anhörigstöd`` Swedish ones without the
user naming a language. Within a language all words must match; a word matches by its key in
the title or body, by being a part of an indexed compound, or, when the word is itself a
compound, by all of its parts standing in the text (``omaishoidontuki`` finds
``omaishoidon tuki``).
"""

from __future__ import annotations

from collections.abc import Sequence

from whoosh import query

from indexer.analysis import query_words
from indexer.lexicon import COMPOUND_LANGUAGES, WordKeys
from indexer.records import LANGUAGES
from indexer.schema import body_field, parts_field, title_field


def _word_query(language: str, word: WordKeys, compounds: bool) -> query.Query:
    title, body = title_field(language), body_field(language)
    fields = [title, body]
    if compounds and language in COMPOUND_LANGUAGES:
        fields.append(parts_field(language))
    alternatives: list[query.Query] = [
        query.Term(field, key) for key in word.keys for field in fields
    ]
    if compounds and word.parts:
        alternatives.append(
            query.And([query.Or([query.Term(f, p) for f in fields]) for p in word.parts])
        )
    return query.Or(alternatives)


def language_query(language: str, text: str, stem_only: bool = False) -> query.Query | None:
    """All words of the text, as one language's analyzer sees them; None if none is left."""
    words = []
    for tokens in query_words(language, text, stem_only):
        alternatives = [_word_query(language, word, not stem_only) for word in tokens]
        words.append(alternatives[0] if len(alternatives) == 1 else query.Or(alternatives))
    if not words:
        return None
    return words[0] if len(words) == 1 else query.And(words)


def build_query(
    text: str, languages: Sequence[str] = LANGUAGES, stem_only: bool = False
) -> query.Query:
    """The query for a text in any of the given languages; every document for an empty one.

    ``stem_only`` queries an index built with ``build_schema(stem_only=True)``.
    """
    queries = (language_query(lang, text, stem_only) for lang in languages)
    per_language = [q for q in queries if q is not None]
    if not per_language:
        return query.Every()
    return per_language[0] if len(per_language) == 1 else query.Or(per_language)
