"""Words typed without ä, ö and å: their spellings restored from the generation's words.

On a phone or a foreign keyboard people type ``paatos`` for "päätös", ``hemtjanst`` for
"hemtjänst" and ``aldreomsorg`` for "äldreomsorg". Finnish writes ä and ö, Swedish ä, ö and å
(``FOLDS``); folded, each becomes the plain letter typed for it. A typed word is looked up
spelled every way it may unfold (``paatos``: "paatos", "päatos", …, "päätös"), each spelling
in the word list of the language (``searchsvc.words.WordList``, the words as written in the
generation served): a few dictionary look-ups per word, nothing that grows with the corpus,
and nothing to build. A compound is found whole, as it is written in the records.

A word is restored only when it is typed without ä, ö and å, and only to spellings the records
hold far more often than the typed one (``RATIO``): an unknown ``paatos`` becomes "päätös",
while Swedish ``satt`` (rare) also finds "sätt" and ``har`` (common) stays as it is; a word
English records hold (``pain``, ``salt``) stays English. The typed
word keeps all it found: ``restore`` adds the restored spellings as alternatives of the same
query word, and its records rank first among those holding as many of the query's words
(``WordTier.exact``, ``searchsvc.ranking``). Only the positive plain words of a query are
restored: a phrase, a prefix, a fuzzy word and an excluded word mean what was typed.
``searchsvc.search`` restores a query for its hits and for the words marked on a record's
page.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from whoosh import query as whoosh_query

from indexer.analysis import stop_words
from indexer.contract import (
    LANGUAGES,
    TOKEN_PATTERN,
    body_field,
    normalize_text,
    parts_field,
    title_field,
    title_parts_field,
)
from indexer.lexicon import COMPOUND_LANGUAGES, lexicon
from searchsvc.parsed_query import ParsedQuery
from searchsvc.query import compile_query
from searchsvc.ranking import WordTier
from searchsvc.syntax import BadQuery, Node, Not, Word

if TYPE_CHECKING:
    from searchsvc.snapshot import Snapshot
    from searchsvc.words import WordList

# What each plain letter may stand for, per language that writes the others.
FOLDS: dict[str, dict[str, str]] = {
    "fi": {"a": "aä", "o": "oö"},
    "sv": {"a": "aäå", "o": "oö"},
}
FOLDED = str.maketrans("äöå", "aoa")
# A restored spelling must occur in this many times more texts than the word as typed.
RATIO = 10
# Spellings a word is looked up in, at most, per language (3^6 · 2^2 for Swedish): a longer
# word with more a's and o's stays as typed.
MAX_SPELLINGS = 3000
# Spellings of a word no record holds looked up in a language's dictionary, at most (a
# compound is split to be found, which costs more).
MAX_LEXICON_SPELLINGS = 256
# Restored spellings kept per word, the most frequent first.
MAX_RESTORED = 3
MIN_LETTERS = 3


def fold(word: str) -> str:
    """The word as typed without ä, ö and å."""
    return word.translate(FOLDED)


def spellings(word: str, language: str) -> Iterator[str]:
    """Every spelling the (folded) word may stand for in a language, the word itself first;
    nothing when there are more than ``MAX_SPELLINGS``."""
    folds = FOLDS.get(language)
    if not folds:
        return
    choices = [folds.get(letter, letter) for letter in word]
    total = 1
    for options in choices:
        total *= len(options)
    if total > MAX_SPELLINGS:
        return
    for letters in itertools.product(*choices):
        yield "".join(letters)


def restorable(word: str) -> bool:
    """A word that may have been typed without ä, ö and å."""
    return (
        len(word) >= MIN_LETTERS
        and word.isalpha()
        and fold(word) == word
        and ("a" in word or "o" in word)
    )


# Whether a language's fields hold a word (typed in lowercase): its keys, in a title or body.
Indexed = Callable[[str, str], bool]


def restorations(
    word: str, lists: Mapping[str, WordList], indexed: Indexed | None = None
) -> list[tuple[str, str]]:
    """(spelling, language) of the words the records hold that ``word`` (lowercase) may have
    been typed for, the most frequent first; [] for a word typed with ä, ö or å, or one the
    records hold about as often as any of its restorations.

    A word that the records of a language without ä, ö and å (English) hold is taken as
    typed. A spelling is looked for in the word lists, as written; when no record holds the word
    or any of its spellings so, and ``indexed`` is given, among the spellings the language's
    dictionary knows (as a word or a compound of known words: ``hemtjanstens``) that
    ``indexed`` finds, when it does not know the word as typed."""
    if not restorable(word):
        return []
    if any(word in words.lookup for language, words in lists.items() if language not in FOLDS):
        return []  # English ("pain", "salt"): a word of a language without ä, ö and å
    typed = max((words.lookup.get(word, 0) for words in lists.values()), default=0)
    found: dict[str, tuple[int, str]] = {}
    for language, words in lists.items():
        stops = stop_words(language)
        for spelling in spellings(word, language):
            count = words.lookup.get(spelling, 0)
            if spelling == word or count <= RATIO * typed or spelling in stops:
                continue
            if spelling not in found or found[spelling][0] < count:
                found[spelling] = (count, language)
    best = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_RESTORED]
    if best or typed or indexed is None:
        return [(spelling, language) for spelling, (_, language) in best]
    known = [
        (spelling, language)
        for language in lists
        for spelling in _in_lexicon(word, language)
        if indexed(language, spelling)
    ]
    return known[:MAX_RESTORED]


@functools.lru_cache(maxsize=4096)
def _in_lexicon(word: str, language: str) -> tuple[str, ...]:
    """The spellings of a word that the language's dictionary lists, or else those it splits
    into known words (``hemtjänstens``); none when it knows the word as typed
    (``metrosilta`` is "metro" + "silta", not "metro" + "siltä")."""
    if language not in COMPOUND_LANGUAGES:
        return ()
    words = lexicon(language)
    if words.lemma(word) is not None:
        return ()
    stops = stop_words(language)
    listed, compounds = [], []
    for spelling in itertools.islice(spellings(word, language), MAX_LEXICON_SPELLINGS):
        if spelling == word or spelling in stops:
            continue
        if words.listed(spelling) is not None:
            listed.append(spelling)
        elif words.lemma(spelling) is not None:
            compounds.append(spelling)
    return tuple(listed or compounds)


def _indexed(snapshot: Snapshot, language: str, word: str) -> bool:
    """Whether the language's titles and bodies hold the word (by its keys), alone or as a
    part of a longer compound, or hold each of its parts (``hemtjänst``: "hem", "tjänst")."""
    analyzed = lexicon(language).analyze(word)
    fields = [title_field(language), body_field(language)]
    if language in COMPOUND_LANGUAGES:
        fields += [title_parts_field(language), parts_field(language)]

    def held(key: str) -> bool:
        return any(len(snapshot.scorer.term(field, key).docs) for field in fields)

    with snapshot.reading():
        return any(map(held, analyzed.keys)) or bool(analyzed.parts) and all(
            map(held, analyzed.parts))


def _positive_plain_words(node: Node | None) -> Iterator[Word]:
    if node is None or isinstance(node, Not):
        return
    if isinstance(node, Word):
        if node.kind == "word":
            yield node
        return
    for child in node.children:
        yield from _positive_plain_words(child)


def _replacements(query: ParsedQuery, lists: Mapping[str, WordList], indexed: Indexed | None
                  ) -> dict[tuple[int, int], list[str]]:
    """(start, end) in the query text of each restorable typed token -> its restorations."""
    found: dict[tuple[int, int], list[str]] = {}
    for word in _positive_plain_words(query.tree):
        low, high = word.span
        for match in TOKEN_PATTERN.finditer(query.text, low, high):
            spelled = _restored_token(normalize_text(match.group()), lists, indexed)
            if spelled:
                found[match.span()] = spelled
    return found


def _restored_token(token: str, lists: Mapping[str, WordList], indexed: Indexed | None
                    ) -> list[str]:
    """The restorations of a token, a hyphenated one piece by piece (``maararaha-asiat``:
    "määräraha-asiat")."""
    pieces = token.split("-")
    options = [[s for s, _ in restorations(piece, lists, indexed)] for piece in pieces]
    if not any(options):
        return []
    count = max(len(o) for o in options)
    return [
        "-".join(o[min(i, len(o) - 1)] if o else piece for piece, o in zip(
            pieces, options, strict=True))
        for i in range(count)
    ]


def _respelled(text: str, replacements: dict[tuple[int, int], list[str]], choice: int) -> str:
    """The text with each replaced token spelled its ``choice``-th way (or its last)."""
    out, cursor = [], 0
    for (start, end), spelled in sorted(replacements.items()):
        out += [text[cursor:start], spelled[min(choice, len(spelled) - 1)]]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def restore(query: ParsedQuery, snapshot: Snapshot) -> ParsedQuery:
    """The query with the words typed without ä, ö and å also found as restored
    (``restorations`` in the snapshot's words): the same query when there is nothing to
    restore."""
    if query.matches_everything or query.has_no_words or not query.tiers:
        return query
    indexed = functools.partial(_indexed, snapshot)
    replacements = _replacements(query, snapshot.word_lists(), indexed)
    if not replacements:
        return query
    # Where no word replaced finds anything as typed, the restored query finds all the typed
    # one does, and alone it scores as if typed with ä, ö and å: the typed one is left out.
    typed_finds = any(
        indexed(language, piece)
        for start, end in replacements
        for piece in normalize_text(query.text[start:end]).split("-")
        for language in LANGUAGES
        if piece
    )
    choices = max(len(spelled) for spelled in replacements.values())
    variants: list[ParsedQuery] = []
    for choice in range(choices):
        try:
            variant = compile_query(_respelled(query.text, replacements, choice))
        except BadQuery:  # a longer word can push the query over its limits
            continue
        # The same words, one for one: a restored word is never a stop word.
        if len(variant.tiers) == len(query.tiers) and not variant.has_no_words:
            variants.append(variant)
    if not variants:
        return query
    # Every whoosh query the parsed query holds (the one ranked, and any other form of it)
    # becomes "as typed or as restored"; forms that are one query stay one.
    widened: dict[int, whoosh_query.Query] = {}
    fields = {}
    for field in dataclasses.fields(query):
        typed = getattr(query, field.name)
        if isinstance(typed, whoosh_query.Query):
            if id(typed) not in widened:
                alternatives = [getattr(v, field.name) for v in variants]
                if typed_finds:
                    alternatives.insert(0, typed)
                widened[id(typed)] = _either(alternatives)
            fields[field.name] = widened[id(typed)]
    tiers = tuple(
        _tier(tier, [v.tiers[i] for v in variants]) for i, tier in enumerate(query.tiers))
    return dataclasses.replace(query, tiers=tiers, **fields)


def _tier(typed: WordTier, restored: Sequence[WordTier]) -> WordTier:
    """One query word held as typed or as restored; held as typed is ``exact``."""
    if all(r == typed for r in restored):
        return typed
    return WordTier(
        _either([typed.alone, *(r.alone for r in restored)]),
        _either([typed.held, *(r.held for r in restored)]),
        typed.alone,
    )


def _either(queries: list[whoosh_query.Query]) -> whoosh_query.Query:
    unique = list(dict.fromkeys(queries))
    return unique[0] if len(unique) == 1 else whoosh_query.Or(unique)
