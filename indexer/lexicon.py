"""Word-level analysis of one language: lemma, Snowball stem and compound parts.

Snowball alone cannot join Finnish forms whose stem changes (``hoito``/``hoidon``,
``lapsi``/``lasten``, ``lupa``/``luvan``) and knows nothing of compounds. So a word is first
looked up in simplemma's form-to-lemma dictionary (MIT licensed, shipped with the package),
then the lemma is stemmed, so that words the dictionary lacks still meet their known forms at
the same stem. Long Finnish and Swedish words are split into compound parts against the same
dictionary (``tarkastuslautakunnan`` -> ``tarkastus`` + ``lautakunta``); the parts are indexed
in a field of their own at a lower weight.

Swedish Snowball also strips derivational endings (``hemlig|het`` -> ``hem``); the keys put
them back (``Lexicon._key_stem``).

English needs no dictionary for regular inflection: Snowball joins it. Its irregular forms
(``children``, ``feet``, ``analyses``, ``wrote``) come from a small table of our own
(``indexer/irregular/en.txt``); a form that is also one of another word has both keys
(``lives``: ``life`` and ``live``).

Everything is cached per word: a corpus has far fewer distinct words than tokens.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib import resources
from typing import NamedTuple

import snowballstemmer

STEMMER_NAMES = {"fi": "finnish", "sv": "swedish", "en": "english"}
COMPOUND_LANGUAGES = frozenset({"fi", "sv"})
LEMMA_LANGUAGES = frozenset({"fi", "sv"})
# Languages whose irregular forms are listed in ``indexer/irregular/<lang>.txt``.
IRREGULAR_LANGUAGES = frozenset({"en"})

# Compound parts shorter than this match by accident ("för" + "slag" would make ``slag``
# find ``förslag``); a head may be one letter shorter (``lag|förslag``).
MIN_HEAD = 3
MIN_TAIL = 4
MIN_COMPOUND = 8
MAX_DEPTH = 3
# Derivational endings that the dictionary also lists as words: ``ammatti|lainen`` and
# ``verksam|het`` are not compounds.
BOUND_TAILS = {
    "fi": frozenset({"lainen", "läinen", "mainen", "mäinen", "llinen", "isuus"}),
    "sv": frozenset({"het", "heta", "ning", "else", "lig", "lighet", "skap"}),
}

# Derivational suffixes Snowball removes and the key keeps, longest first (``_key_stem``).
DERIVATIONAL_SUFFIXES = {"sv": ("lig", "het", "els", "ig")}


class WordKeys(NamedTuple):
    """What the index holds for a word: its keys (the stemmed lemma first, then the stem of
    the word as written where the lemma is suspect) and the keys of its compound parts."""

    keys: tuple[str, ...]
    parts: tuple[str, ...]


def _dictionary(language: str) -> Mapping[str, str]:
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    return DefaultDictionaryFactory(cache_max_size=1).get_dictionary(language)


@functools.cache
def irregular_table(language: str) -> dict[str, tuple[str, ...]]:
    """Form -> the lemmas it is a form of, the irregular one first
    (``indexer/irregular/<lang>.txt``)."""
    path = resources.files("indexer").joinpath("irregular", f"{language}.txt")
    table = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            form, *lemmas = line.split()
            table[form] = tuple(lemmas)
    return table


def irregular_forms(language: str) -> dict[str, str]:
    """Form -> lemma of a language's irregular words."""
    return {form: lemmas[0] for form, lemmas in irregular_table(language).items()}


def _lookup_function(forms: Mapping[str, str]) -> Callable[[str], str | None]:
    """``forms.get``, straight on simplemma's bytes dictionary where it has one.

    Splitting compounds looks up every tail of every new word; simplemma's str view costs
    two extra Python calls per lookup.
    """
    raw = getattr(forms, "_dict", None)
    if not isinstance(raw, dict):
        return forms.get
    raw_get = raw.get

    def lookup(word: str) -> str | None:
        value = raw_get(word.encode())
        return None if value is None else value.decode()

    return lookup


class Lexicon:
    """Keys (stemmed lemmas) and compound parts for the words of one language."""

    def __init__(self, language: str, forms: Mapping[str, str] | None = None) -> None:
        if language not in STEMMER_NAMES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self._stemmer = snowballstemmer.stemmer(STEMMER_NAMES[language])
        if hasattr(self._stemmer, "maxCacheSize"):
            # PyStemmer's own 10,000-word cache thrashes on a real vocabulary; ours is per word.
            self._stemmer.maxCacheSize = 0
        if forms is None and language in LEMMA_LANGUAGES:
            forms = _dictionary(language)
        elif forms is None and language in IRREGULAR_LANGUAGES:
            forms = irregular_forms(language)
        # Irregular forms that are also forms of another word (``lives``: life, live).
        self._also: dict[str, tuple[str, ...]] = {
            form: lemmas[1:]
            for form, lemmas in (irregular_table(language).items()
                                 if language in IRREGULAR_LANGUAGES else ())
            if len(lemmas) > 1
        }
        self._forms: Mapping[str, str] = forms or {}
        self._lookup = _lookup_function(self._forms)
        self.cache: dict[str, WordKeys] = {}

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def analyze(self, word: str) -> WordKeys:
        """The word's index keys and the keys of its compound parts (lowercase input)."""
        cached = self.cache.get(word)
        if cached is None:
            cached = self.cache[word] = self._analyze(word)
        return cached

    def key(self, word: str) -> str:
        return self.analyze(word).keys[0]

    def parts(self, word: str) -> tuple[str, ...]:
        return self.analyze(word).parts

    def listed(self, form: str) -> str | None:
        """The dictionary's lemma for a form exactly as given (``esim.`` -> ``esim.``)."""
        return self._lookup(form)

    def lemma(self, word: str) -> str | None:
        """The dictionary's lemma for a word form, or the lemma built for a compound."""
        if not word.isalpha():
            return None
        lemma = self._lookup(word)
        if lemma is None and self.language in COMPOUND_LANGUAGES and len(word) >= MIN_COMPOUND:
            split = self._split(word, 0)
            if split is not None:
                head, lemmas = split
                lemma = head + lemmas[-1]
        return lemma

    def compound_lemmas(self, word: str) -> list[str]:
        """The lemmas of the word's compound parts, head parts first ([] for a simple word)."""
        if self.language not in COMPOUND_LANGUAGES or not word.isalpha():
            return []
        # A known form is split as its lemma only: its inflected ending could pass for a
        # word of its own (``omaisuuden`` is not ``omais`` + ``uuden``).
        candidate = self._lookup(word) or word
        if len(candidate) >= MIN_COMPOUND:
            split = self._split(candidate, 0)
            if split is not None:
                return split[1]
        return []

    def _analyze(self, word: str) -> WordKeys:
        if not word.isalpha():
            if "-" in word:
                pieces = word.split("-")
                return WordKeys(("-".join(self.key(p) if p.isalpha() else p for p in pieces),), ())
            if "'" in word and self.language == "en":
                # Snowball drops a possessive ending; the word before it may be irregular.
                base = word.removesuffix("'s").removesuffix("'")
                return self.analyze(base) if base.isalpha() else WordKeys((self.stem(word),), ())
            return WordKeys((word,), ())
        lemma = self.lemma(word) or word
        key = self._key_stem(lemma)
        # simplemma has wrong lemmas too (``säätiöiden`` -> ``säätiöidä``). Inflection
        # adds endings, so a right lemma stems to no more than the word's own stem; where the
        # lemma's stem is longer, the word's own stem is indexed beside it as well. (English
        # lemmas come from our own table, where ``fungi`` -> ``fungus`` is right.)
        surface = self._key_stem(word)
        suspect = self.language in LEMMA_LANGUAGES and len(key) > len(surface)
        keys: tuple[str, ...] = (key, surface) if suspect else (key,)
        if word in self._also:
            others = (self._key_stem(other) for other in self._also[word])
            keys = tuple(dict.fromkeys([key, *others]))
        parts = []
        for part in self.compound_lemmas(word):
            part_key = self._key_stem(part)
            if part_key not in keys and part_key not in parts:
                parts.append(part_key)
        return WordKeys(keys, tuple(parts))

    def _key_stem(self, word: str) -> str:
        """The Snowball stem with the derivational suffixes it took off put back.

        Swedish Snowball also removes ``-het``, ``-lig``, ``-ig`` and ``-els``, which make other
        words: ``hemlighet`` and ``hemlig`` would stem to ``hem``, ``tidigare`` to ``tid``,
        ``rörelse`` to ``rör``. Only the inflection after them stays off."""
        stem = self.stem(word)
        suffixes = DERIVATIONAL_SUFFIXES.get(self.language)
        if not suffixes or not word.startswith(stem):
            return stem
        rest = word[len(stem):]
        while suffix := next((s for s in suffixes if rest.startswith(s)), None):
            stem += suffix
            rest = rest[len(suffix):]
        return stem

    def _split(self, word: str, depth: int) -> tuple[str, list[str]] | None:
        """Split at the longest known tail whose head is a known word or itself a compound.

        Returns the head as written and the part lemmas (head parts first, tail last).
        Only the head is split further: the tail is the compound's head word in the
        grammatical sense (``lautakunta`` in ``tarkastuslautakunta``), and splitting it
        again would let ``kunta`` find every board.
        """
        lookup = self._lookup
        bound = BOUND_TAILS.get(self.language, frozenset())
        for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
            tail_lemma = lookup(word[cut:])
            if tail_lemma is None or tail_lemma in bound:
                continue
            head_parts = self._head_parts(word[:cut], depth)
            if head_parts is not None:
                return word[:cut], [*head_parts, tail_lemma]
        return None

    def _head_parts(self, head: str, depth: int) -> list[str] | None:
        variants = self._linking_variants(head)
        for variant in variants:
            if len(variant) >= MIN_HEAD:
                lemma = self._lookup(variant)
                if lemma is not None and not self._linked_to_a_form(head, variant, lemma):
                    inner = self._split(lemma, depth + 1) if depth < MAX_DEPTH else None
                    return [*inner[1], lemma] if inner and len(lemma) >= MIN_COMPOUND else [lemma]
        if depth >= MAX_DEPTH:
            return None
        for variant in variants:
            if len(variant) >= MIN_COMPOUND:
                inner = self._split(variant, depth + 1)
                if inner is not None:
                    return [*inner[1], variant]
        return None

    def _linked_to_a_form(self, head: str, variant: str, lemma: str) -> bool:
        """Whether a Swedish linking letter would follow an inflected form, which it never
        does: ``tjäns|teman`` is not ``tjän`` (a form of the verb ``tjäna``) + ``s``."""
        return self.language == "sv" and variant != head and lemma != variant

    def _linking_variants(self, head: str) -> list[str]:
        """The forms a compound's first part may stand for.

        Swedish joins parts with a linking ``s`` (``välfärdsområdes|fullmäktige``) or ``e``;
        Finnish ``-nen`` words take an ``s`` stem (``omais|hoitaja`` from ``omainen``) or
        drop the ending (``sosiaali|ohjaus`` from ``sosiaalinen``).
        """
        variants = [head]
        if self.language == "sv":
            if head.endswith(("s", "e")):
                variants.append(head[:-1])
        elif self.language == "fi":
            if head.endswith("s"):
                variants.append(head[:-1] + "nen")
            elif head.endswith("i"):
                variants.append(head + "nen")
        return variants


@functools.cache
def lexicon(language: str) -> Lexicon:
    """The process-wide lexicon of a language (the dictionary loads once, on first use)."""
    return Lexicon(language)
