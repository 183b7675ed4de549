"""A query text compiled into a whoosh query over the per-language fields (pure code).

Each word is analysed with each language's analyzer and matched in that language's fields,
so ``omaishoitajien tuki`` finds Finnish records and ``anhörigstöd`` Swedish ones without the
user naming a language. Within a language a record must hold every word, or, of plain words
typed together, most of them (``words_required``; ``ParsedQuery.every_word`` requires all).
A word matches by its key in the title or body, by being a part of an indexed compound (title
or body), or, when the word is itself a compound, by all of its parts standing in the text
(``omaishoidontuki`` finds ``omaishoidon tuki``). An excluded word (``-kotihoito``) excludes
the records holding it, alone or inside a longer compound, never those holding only its parts.

A query with no word in any language (only syntax, symbols or stop words) compiles to
``NullQuery`` and finds nothing; only an empty one finds everything. Prefixes and fuzzy words
expand completely or raise ``BadQuery`` (``searchsvc.nodes``). ``ParsedQuery.tiers`` tell the
scorer how a record holds each positive term, for ranking (``searchsvc.scoring``).

``compile_query`` reads the query language of the public API (``searchsvc.syntax``) once:
the whole expression is compiled once per language and the languages are joined with Or, as
for plain words; an excluded clause excludes a record when it matches in any language. The
``ParsedQuery`` it gives is what scoring, highlighting and spelling suggestions all use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from whoosh import query
from whoosh.reading import IndexReader

from indexer.analysis import query_words, text_analyzer
from indexer.contract import (
    LANGUAGES,
    body_field,
    parts_field,
    title_field,
    title_parts_field,
)
from indexer.lexicon import COMPOUND_LANGUAGES, WordKeys, lexicon
from searchsvc.limits import MIN_PREFIX
from searchsvc.nodes import AtLeast, CompleteFuzzyTerm, CompletePrefix, Near
from searchsvc.parsed_query import ParsedQuery
from searchsvc.ranking import WordTier
from searchsvc.syntax import All, Any, Node, Not, Word, letters, parse, positive_words, words


def _fields(language: str, title: bool, parts: bool = False) -> list[str]:
    """The fields a word is looked up in: the title (and body), and with ``parts`` the
    compound parts of their words too (fi, sv)."""
    fields = [title_field(language)] if title else [title_field(language), body_field(language)]
    if parts and language in COMPOUND_LANGUAGES:
        fields += [title_parts_field(language)]
        if not title:
            fields.append(parts_field(language))
    return fields


def _terms(fields: list[str], keys: Iterable[str]) -> list[query.Query]:
    return [query.Term(field, key) for key in keys for field in fields]


def _word_query(
    language: str,
    word: WordKeys,
    compounds: bool,
    title_only: bool = False,
    by_parts: bool = True,
) -> query.Query:
    """A word by its keys (alone, or with ``compounds`` also as a part of a longer compound)
    or, with ``by_parts``, a compound by all of its parts standing apart."""
    fields = _fields(language, title_only, parts=compounds)
    alternatives = _terms(fields, word.keys)
    if compounds and by_parts and word.parts:
        alternatives.append(query.And([query.Or(_terms(fields, [p])) for p in word.parts]))
    return query.Or(alternatives)


# benchmarks.devset's topic labels over all records, recall@10: 0.226 with every word required
# (the rule before), 0.284 with one, 0.342 with half, less with three quarters.
WORDS_REQUIRED_SHARE = 0.5


def words_required(count: int) -> int:
    """Of ``count`` plain words typed together, how many a record must hold to be found.

    Records holding every word still come first (``searchsvc.ranking``); the others fill the
    pages after them, so a long topic phrase whose records hold most of its words is not
    left with nothing."""
    return max(1, math.ceil(count * WORDS_REQUIRED_SHARE))


def language_query(
    language: str,
    text: str,
    stem_only: bool = False,
    title_only: bool = False,
    by_parts: bool = True,
    most: bool = False,
) -> query.Query | None:
    """All words of the text, as one language's analyzer sees them; None if none is left.
    With ``most``, ``words_required`` of them.

    Without ``by_parts`` a compound is not found by its parts standing apart: what an
    excluded word excludes."""
    words = []
    for tokens in query_words(language, text, stem_only):
        alternatives = [
            _word_query(language, word, not stem_only, title_only, by_parts) for word in tokens
        ]
        words.append(alternatives[0] if len(alternatives) == 1 else query.Or(alternatives))
    if not words:
        return None
    if len(words) == 1:
        return words[0]
    required = words_required(len(words)) if most else len(words)
    return query.And(words) if required >= len(words) else AtLeast(words, required)


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


# --- compiling --------------------------------------------------------------------------------


def _positions(language: str, text: str) -> list[tuple[int, list[WordKeys]]]:
    """Like ``query_words``, with each word's position (stop words leave gaps)."""
    tokenize = text_analyzer(language).items[0]
    words = lexicon(language)
    positions: dict[int, list[WordKeys]] = {}
    for token in tokenize(text, positions=True, mode="query"):
        positions.setdefault(token.pos, []).append(words.analyze(token.text))
    return sorted(positions.items())


def _one_or(queries: list[query.Query]) -> query.Query | None:
    unique = list(dict.fromkeys(queries))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else query.Or(unique)


def _phrase(field: str, positions: list[tuple[int, list[WordKeys]]]) -> query.Query:
    """Consecutive positions in one field, with a stop word's gap in the text too.

    Stop words are not indexed, so any word fills the gap: "lapset ja nuoret" also finds
    "lapset pelaavat; nuoret".
    """

    def at(entries: list[WordKeys]) -> query.Query:
        keys = dict.fromkeys(key for entry in entries for key in entry.keys)
        terms = [query.Term(field, key) for key in keys]
        return terms[0] if len(terms) == 1 else query.Or(terms)

    (last, entries), *rest = positions
    phrase = at(entries)
    for pos, entries in rest:
        gap = pos - last
        phrase = Near(phrase, at(entries), slop=gap, ordered=True, mindist=gap)
        last = pos
    return phrase


def _prefixes(language: str, word: Word, parts: bool) -> query.Query | None:
    """The index keys beginning so, and those beginning with the prefix's stem; with
    ``parts`` also the keys of compound parts (``title:lautakun*`` finds
    "Tarkastuslautakunnan")."""
    prefixes = {word.text}
    stem = lexicon(language).stem(word.text)
    if len(stem) >= MIN_PREFIX and word.text.startswith(stem):
        prefixes.add(stem)
    fields = _fields(language, word.title, parts)
    return _one_or([CompletePrefix(f, p) for p in sorted(prefixes) for f in fields])


def _leaf(language: str, word: Word, excluded: bool = False) -> query.Query | None:
    """One term of the query in one language. An ``excluded`` word is matched by its keys
    alone or as a part of a longer compound, never by its own parts standing apart:
    ``-kotihoito`` leaves records with only "koti" … "hoito"."""
    fields = _fields(language, word.title)
    if word.kind == "word":
        return language_query(language, word.text, title_only=word.title, by_parts=not excluded)
    if word.kind == "phrase":
        positions = _positions(language, word.text)
        if not positions:
            return None
        return _one_or([_phrase(field, positions) for field in fields])
    if word.kind == "prefix":
        return _prefixes(language, word, parts=True)
    # fuzzy
    typed = query_words(language, word.text)
    if not typed:
        return None
    maxdist = 1 if len(letters(word.text)) <= 5 else 2
    per_position = []
    for entries in typed:
        keys = dict.fromkeys(key for entry in entries for key in entry.keys)
        per_position.append(
            _one_or(
                [
                    CompleteFuzzyTerm(f, k, maxdist=maxdist, prefixlength=1)
                    for k in keys
                    for f in fields
                ]
            )
        )
    return per_position[0] if len(per_position) == 1 else query.And(per_position)


def _compile(
    node: Node,
    language: str,
    languages: Sequence[str],
    excluded: bool = False,
    most: bool = False,
) -> query.Query | None:
    """One language's query of the tree; with ``most``, plain words typed together (not
    joined by AND, not excluded) need only ``words_required`` of them."""
    if isinstance(node, Word):
        return _leaf(language, node, excluded)
    if isinstance(node, Any):
        alternatives = [
            _compile(child, language, languages, excluded, most) for child in node.children
        ]
        return _one_or([q for q in alternatives if q is not None])
    if isinstance(node, Not):
        node = All((node,))
    positive = [child for child in node.children if not isinstance(child, Not)]
    plain = [c for c in positive if isinstance(c, Word) and c.kind == "word" and not c.title]
    others = [c for c in positive if c not in plain]
    parts: list[query.Query] = []
    if plain:
        # Analysed as one text, so plain words give exactly what ``build_query`` gives.
        text = " ".join(word.text for word in plain)
        run = language_query(
            language, text, by_parts=not excluded, most=most and not (excluded or node.explicit)
        )
        if run is not None:
            parts.extend(run.subqueries if isinstance(run, query.And) else [run])
    for child in others:
        compiled = _compile(child, language, languages, excluded, most)
        if compiled is not None:
            parts.append(compiled)
    exclusions = _one_or(
        [
            q
            for child in node.children
            if isinstance(child, Not)
            for lang in languages
            if (q := _compile(child.child, lang, languages, excluded=True)) is not None
        ]
    )
    if positive and not parts:
        return None  # only stop words of this language
    matched = query.Every() if not parts else parts[0] if len(parts) == 1 else query.And(parts)
    return matched if exclusions is None else query.AndNot(matched, exclusions)


def _compile_tree(node: Node | None, languages: Sequence[str], most: bool) -> query.Query:
    """The tree's whoosh query; ``NullQuery`` (nothing) when no language has a word of it."""
    if node is None:
        return query.NullQuery
    per_language = _one_or(
        [q for lang in languages if (q := _compile(node, lang, languages, most=most)) is not None]
    )
    return query.NullQuery if per_language is None else per_language


def _keys(language: str, word: Word, parts: bool) -> query.Query | None:
    """A plain word by its keys alone: in the title (and body), with ``parts`` also as a part
    of a longer compound."""
    fields = _fields(language, word.title, parts)
    per_position = [
        query.Or(_terms(fields, dict.fromkeys(k for entry in entries for k in entry.keys)))
        for entries in query_words(language, word.text)
    ]
    if not per_position:
        return None
    return per_position[0] if len(per_position) == 1 else query.And(per_position)


def _tier(word: Word, languages: Sequence[str]) -> WordTier | None:
    """How a record may hold one positive term of the query, in any of the languages."""
    alone: list[query.Query | None]
    if word.kind == "word":
        alone = [_keys(lang, word, parts=False) for lang in languages]
        held = [_keys(lang, word, parts=True) for lang in languages]
    elif word.kind == "prefix":
        alone = [_prefixes(lang, word, parts=False) for lang in languages]
        held = [_leaf(lang, word) for lang in languages]
    else:  # a phrase or a fuzzy word matches by keys only
        alone = held = [_leaf(lang, word) for lang in languages]
    alone_q = _one_or([q for q in alone if q is not None])
    held_q = _one_or([q for q in held if q is not None])
    if alone_q is None or held_q is None:
        return None
    return WordTier(alone_q, held_q)


def compile_query(text: str, languages: Sequence[str] = LANGUAGES) -> ParsedQuery:
    """A query text in the query language, read and compiled once.

    A text that does not parse is read as plain words. An empty (or blank) one matches every
    document; one with no word to search for, only syntax, symbols or stop words, matches
    none (``ParsedQuery.has_no_words``). Raises ``BadQuery`` over the limits.
    """
    if not text.strip():
        return ParsedQuery(text, None, query.Every())
    tree = parse(text)
    searchable = any(_leaf(lang, word) is not None for word in words(tree) for lang in languages)
    compiled = _compile_tree(tree, languages, most=True) if searchable else query.NullQuery
    if compiled is query.NullQuery:
        return ParsedQuery(text, tree, compiled)
    every_word = _compile_tree(tree, languages, most=False)
    tiers = (_tier(word, languages) for word in positive_words(tree))
    return ParsedQuery(
        text,
        tree,
        compiled,
        tuple(t for t in tiers if t is not None),
        every_word if every_word != compiled else compiled,
    )


def parse_query(text: str, languages: Sequence[str] = LANGUAGES) -> query.Query:
    """The whoosh query of a text in the query language with every plain word required
    (``ParsedQuery.every_word``): one whoosh itself can run."""
    return compile_query(text, languages).every_word


def query_terms(
    text: str, languages: Sequence[str] = LANGUAGES, reader: IndexReader | None = None
) -> dict[str, set[str]]:
    """``ParsedQuery.highlight_terms`` of a text compiled for ``languages``."""
    return compile_query(text, languages).highlight_terms(reader)
