"""What a published generation holds: the contract between the builder and the service.

The builder (``indexer.build``, ``indexer.update``) writes a generation directory; the service
(``searchsvc``) reads it through the names in this module and nothing else of the builder's.

A generation directory::

    manifest.json        the build's report: generation name, schema version, counts, corpus
    labels.json          {column: {key: {fi, sv, en}}}: labels of division, doc_type and
                         organization keys (a key ``other:<slug>`` not listed there is labelled
                         from its slug)
    words-<lang>.tsv     the words people type, sorted, ``word<TAB>texts`` per line: in how many
                         titles and bodies of that language the word occurs (spelling, completion)
    translations.tsv     the fi<->sv term lexicon learned from the twin records
                         (``indexer.translations``): first
                         ``#twins<TAB>pairs<TAB>digest[<TAB>drift]`` (how many twin pairs
                         the generation holds, a digest of them, and how many twin pair
                         records are gone or new since the lexicon was learned: 0 or
                         absent when it was learned from these very pairs),
                         then one translation a line, by language and key, a key's
                         translations best first:
                         ``from<TAB>key<TAB>to<TAB>key<TAB>weight``: an index key (of the body or
                         compound-parts fields) of language ``from``, a key of language ``to``
                         it translates to, and how strongly (0-1, Dice over the twin pairs);
                         a generation without the file has no translations
    twins.i32            the twin map: per doc number, the doc number of its twin (-1 for
                         none), little-endian int32 (``twin_pairs`` of the index, written
                         with the translations so a worker reads it at once)
    published.i64        first-published times (``indexer.published``): per doc number, when
                         the record first appeared in a published generation of this index
                         directory, seconds since the epoch (UTC) as little-endian int64, 0
                         for a deleted doc number; carried over by ``rebuild`` and ``update``
                         from the generation published before. A generation without the file
                         (built before it existed) is served as if each record had been
                         first published on its date, else when the generation was built
                         (a file beside the index: the fields and the analysis are as they
                         were, so ``SCHEMA_VERSION`` stays and such a generation is updated)
    MAIN_<id>.postings.* beside each whoosh segment, the postings of its terms in at least
                         1,000 of its documents again, as arrays the service maps
                         (``indexer.term_arrays``, which writes and reads them)
    MAIN_*, _MAIN_*      the whoosh index (``indexer.schema``): per language a title and a body
                         field, (fi, sv) a compound-parts field of each, a whole-title
                         completion field, and the stored and column fields of
                         ``StoredDocument``

Texts are indexed as ``normalize_text`` makes them and cut into words by ``TOKEN_PATTERN``; a
stored position is the number of ``TOKEN_PATTERN`` matches before the word in the normalised
text (stop words included), so the service can find a matched word in a stored body again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

LANGUAGES = ("fi", "sv", "en")
# A generation written with another schema version is rebuilt, not updated. The version
# changes with the fields and with the analysis (what the same text indexes to), so that an
# update never adds records analysed one way to a generation analysed another. 6: English
# irregular forms, Swedish keys with their derivational endings, fewer false Swedish splits.
SCHEMA_VERSION = 6

MANIFEST_FILE = "manifest.json"
LABELS_FILE = "labels.json"
TRANSLATIONS_FILE = "translations.tsv"
TWINS_LINE = "#twins"
TWINS_FILE = "twins.i32"
TWINS_DTYPE = "<i4"
FIRST_PUBLISHED_FILE = "published.i64"
FIRST_PUBLISHED_DTYPE = "<i8"
# The languages the twin records link (``parallel_id``), and so the translations.
TWIN_LANGUAGES = ("fi", "sv")

YEAR_MIN = 1800
YEAR_MAX = 2100
# Facet keys the vocabulary does not know: ``other:<slug of the original value>``.
UNKNOWN_PREFIX = "other:"
# Columns (sortable fields) one value per document: the facets, and what sorts by date.
FACET_COLUMNS = ("year", "language", "division", "doc_type", "organization")
DATE_COLUMN = "date"
# Indexed (not stored): the id a record names as its translation, so it is found from either side.
PARALLEL_ID_FIELD = "parallel_id"

# The whole-title completion term: the title as typed (normalised, single spaces), this
# separator, the title as written.
TITLE_SEPARATOR = "\x1f"
MAX_TITLE_PHRASE = 200


class StoredDocument(TypedDict, total=False):
    """The stored fields of an indexed record."""

    id: str
    title: str
    body: str
    url: str  # an http(s) address of the document itself
    # The source's own reference where it is not such an address: a source-data file, or a
    # listing with a remark ("https://paatokset.hel.fi/fi/paattajat (meeting U…, item 9)").
    source_ref: str
    date: str  # ISO date
    date_source: str  # "source": the record's own date field; "text": found in its text
    year: int  # the date's year when there is a date
    language: str  # the record's main language
    languages: str  # every language of its sections, comma-separated
    division: str  # vocabulary keys
    doc_type: str
    organization: str
    source: str
    # Where each language's text lies in the body: [(language, start, end), ...].
    sections: list[tuple[str, int, int]]
    extra: dict[str, Any]  # every other field of the record (``parallel_id``, ``*_raw``, ...)
    content_hash: str
    expires: str


def title_field(language: str) -> str:
    return f"title_{language}"


def body_field(language: str) -> str:
    return f"body_{language}"


def parts_field(language: str) -> str:
    """The compound parts of the body's words (fi, sv)."""
    return f"parts_{language}"


def title_parts_field(language: str) -> str:
    """The compound parts of the title's words (fi, sv)."""
    return f"title_parts_{language}"


def titles_field(language: str) -> str:
    return f"titles_{language}"


# --- the text as the index sees it ----------------------------------------------------------

# Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible, but they split words.
INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
APOSTROPHES = re.compile("[\u2019\u02bc`]")

# A word, or a code that must stay one token: a section sign with its number ("§ 57"), words
# and numbers joined by inner hyphens, slashes, dots or colons ("2021-004218", "3d-tulostus",
# "kko:2020:12", "28.4.2026"), inner apostrophes ("department's").
TOKEN_PATTERN = re.compile(r"§\s*\d+[a-z]?|\w+(?:[-/.:'’]\w+)*")


def normalize_text(text: str) -> str:
    """NFKC, drop invisible characters, lowercase; ä, ö and å stay letters of their own."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return APOSTROPHES.sub("'", text).lower()


def title_phrase(title: str) -> str:
    """The term that completes a title in ``/suggest``: the title as typed (normalised, one
    space between words), then the title as written, so a prefix finds it and a search box
    can show it as it is."""
    shown = " ".join(title.split())[:MAX_TITLE_PHRASE]
    typed = " ".join(normalize_text(shown).split())
    return f"{typed}{TITLE_SEPARATOR}{shown}"


def stored_text_in(stored: StoredDocument, language: str) -> str:
    """A stored document's body text in one language, as the indexer analysed it (its
    sections of that language, joined by a blank line); without a section in that language,
    the whole body."""
    body = stored.get("body") or ""
    spans = [(s, e) for lang, s, e in stored.get("sections") or [] if lang == language]
    return "\n\n".join(body[s:e] for s, e in spans) if spans else body


# --- files beside the index -----------------------------------------------------------------


def read_manifest(generation: Path) -> dict[str, Any]:
    with open(generation / MANIFEST_FILE, encoding="utf-8") as handle:
        manifest: dict[str, Any] = json.load(handle)
    return manifest


def read_labels(generation: Path) -> dict[str, dict[str, dict[str, str]]]:
    """``labels.json``, or no labels if the generation has none."""
    path = generation / LABELS_FILE
    if not path.is_file():
        return {}
    labels: dict[str, dict[str, dict[str, str]]] = json.loads(path.read_text(encoding="utf-8"))
    return labels


def words_file(generation: Path, language: str) -> Path:
    return generation / f"words-{language}.tsv"


def read_words(generation: Path, language: str) -> list[tuple[str, int]]:
    """A generation's sorted (word, texts) list for one language."""
    pairs = []
    with open(words_file(generation, language), encoding="utf-8") as handle:
        for line in handle:
            word, count = line.rstrip("\n").split("\t")
            pairs.append((word, int(count)))
    return pairs


# A key's translations into the other language, best first: {from: {key: [(key, weight)]}}.
Translations = dict[str, dict[str, list[tuple[str, float]]]]


def read_translations(generation: Path) -> Translations:
    """``translations.tsv``, or no translations if the generation has none."""
    found: Translations = {language: {} for language in TWIN_LANGUAGES}
    path = generation / TRANSLATIONS_FILE
    if not path.is_file():
        return found
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(TWINS_LINE):
                continue
            source, key, _target, translation, weight = line.rstrip("\n").split("\t")
            found[source].setdefault(key, []).append((translation, float(weight)))
    for keys in found.values():
        for choices in keys.values():
            choices.sort(key=lambda choice: (-choice[1], choice[0]))
    return found


def read_twins_digest(generation: Path) -> str | None:
    """The digest of the twin records of a generation (``translations.tsv``'s first line)."""
    header = read_twins_header(generation)
    return None if header is None else header[1]


def read_twins_header(generation: Path) -> tuple[int, str, int] | None:
    """(twin pairs, their digest, drift) of a generation's ``translations.tsv``: drift is
    how many twin pair records are gone or new since the lexicon was learned (0 when it was
    learned from exactly these pairs)."""
    path = generation / TRANSLATIONS_FILE
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as handle:
        first = handle.readline().rstrip("\n").split("\t")
    if first[0] != TWINS_LINE or len(first) not in (3, 4):
        return None
    return int(first[1]), first[2], int(first[3]) if len(first) == 4 else 0


def read_twins(generation: Path, documents: int) -> bytes | None:
    """The twin map of a generation of ``documents`` doc numbers, as bytes of
    ``TWINS_DTYPE``, or None if it has none that fits."""
    path = generation / TWINS_FILE
    if not path.is_file() or path.stat().st_size != 4 * documents:
        return None
    return path.read_bytes()


def epoch_seconds(iso: object) -> int:
    """Seconds since the epoch of an ISO date or time (UTC unless it names a zone), as
    ``FIRST_PUBLISHED_FILE`` holds times; 0 if it cannot be read."""
    try:
        moment = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def read_first_published(generation: Path, documents: int) -> bytes | None:
    """The first-published times of a generation of ``documents`` doc numbers, as bytes of
    ``FIRST_PUBLISHED_DTYPE``, or None if it has none that fits."""
    path = generation / FIRST_PUBLISHED_FILE
    if not path.is_file() or path.stat().st_size != 8 * documents:
        return None
    return path.read_bytes()


# --- twin records ---------------------------------------------------------------------------


def twin_pairs(reader: Any) -> Iterator[tuple[int, int]]:
    """(Finnish doc number, Swedish doc number) of each live twin pair of a whoosh reader's
    index, in doc number order: a record naming another as its ``parallel_id``, one of them
    Finnish and the other Swedish."""
    docnums: dict[str, int] = {}
    for docnum, doc_id in enumerate(reader.column_reader("id")):
        if doc_id and not reader.is_deleted(docnum):
            docnums[doc_id.decode() if isinstance(doc_id, bytes) else doc_id] = docnum
    languages = list(reader.column_reader("language"))
    if PARALLEL_ID_FIELD not in reader.schema:
        return
    pairs = set()
    for term in reader.lexicon(PARALLEL_ID_FIELD):
        named = docnums.get(term.decode("utf-8"))
        if named is None:
            continue
        for naming in reader.postings(PARALLEL_ID_FIELD, term).all_ids():
            if reader.is_deleted(naming) or naming == named:
                continue
            by_language = {_decoded(languages[naming]): naming,
                           _decoded(languages[named]): named}
            if set(by_language) == set(TWIN_LANGUAGES):
                pairs.add((by_language["fi"], by_language["sv"]))
    yield from sorted(pairs)


def _decoded(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
