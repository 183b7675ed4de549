"""Related records (``GET /documents/{id}/related``): more like this, from a record's own terms.

The index keeps no term vectors, so a record's terms are made again from its stored title and
text by the analyzer of its language's fields (``LanguageAnalyzer.terms``, the index writer's
own path: the same keys the index holds), at most ``MAX_TEXT`` characters of its text (a court
decision's summary comes first; 30,000 characters analyse in about 8 ms). Each key is weighed
by tf-idf against the generation (``(1 + ln tf) * ln(N / df)``, a title word counting
``TITLE_TF`` times); a key in no other record finds nothing related, and a key in more than
``COMMON_SHARE`` of the records (at least ``COMMON_MINIMUM``) says little about what a record
is about and has the longest postings to read, so it is left out (as Lucene's MoreLikeThis
``maxDocFreqPct``): on the full index that keeps 94% of the related records and cuts the time
of a record whose words are read for the first time by a third. The ``TOP_TERMS`` best keys become
one ``Or`` of title and body terms, each boosted by its weight, scored over the generation's
term arrays (``searchsvc.scoring``, BM25F as ``/search`` scores): a few milliseconds with no
walk of whoosh's matchers, so the answer stays well under 100 ms on the full index.

Language: by default the records in the record's own language. ``lang`` asks for another:

- through the record's **twin** (the same court decision in the other official language,
  ``searchsvc.crosslang.Bridge``): the twin's own terms, in its language, exactly as the
  twin's own related records (``via: "twin"``);
- without a twin, between Finnish and Swedish, through the **translations** learned from the
  twins (``translations.tsv``): each key's translations at least half as strong as its best
  (``via: "translations"``);
- otherwise (English to or from Finnish or Swedish: there are no translations) an empty list
  and a ``note`` saying why (``via: null``).

Never the record itself, nor its twin: both are the same record, linked from its page as a
translation.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh import query as whoosh_query

from indexer.contract import LANGUAGES, TWIN_LANGUAGES, body_field, stored_text_in, title_field
from searchsvc import search
from searchsvc.crosslang import CLOSE_TO_BEST
from searchsvc.limits import FACETS
from searchsvc.permalinks import permalink
from searchsvc.ranking import top_documents

if TYPE_CHECKING:
    from searchsvc.snapshot import Snapshot

TOP_TERMS = 25
MAX_TEXT = 30_000
TITLE_TF = 2
COMMON_SHARE = 0.05
COMMON_MINIMUM = 100

NO_WAY = ("The record has no twin in {lang} and there are no translations between "
          "{own} and {lang}, so no related records in {lang} are found.")


@dataclass(frozen=True)
class Related:
    language: str  # of the related records
    via: str | None  # "record", "twin", "translations", or None: none could be looked for
    hits: list[tuple[int, float]]  # (doc number, score), best first
    note: str | None = None


def record_language(stored: Mapping[str, Any]) -> str:
    language = stored.get("language")
    return language if language in LANGUAGES else "en"


def distinctive_terms(snapshot: Snapshot, docnum: int, language: str) -> list[tuple[str, float]]:
    """The ``TOP_TERMS`` index keys of a record's title and text in ``language`` with the
    highest tf-idf, best first, with their weights."""
    stored = snapshot.stored(docnum)
    schema = snapshot.searcher.schema
    counts: Counter[str] = Counter()
    title = (stored.get("title") or "") if record_language(stored) == language else ""
    for field_name, text, weight in (
        (title_field(language), title, TITLE_TF),
        (body_field(language), stored_text_in(stored, language)[:MAX_TEXT], 1),
    ):
        if field_name in schema and text:
            for key, _ in schema[field_name].analyzer.terms(text):
                counts[key] += weight
    documents = max(snapshot.documents, 1)
    frequency = _frequencies(snapshot, language)
    common = max(COMMON_SHARE * documents, COMMON_MINIMUM)
    weighed: list[tuple[str, float]] = []
    for key, tf in counts.items():
        df = frequency(key)
        tf_idf = (1 + math.log(tf)) * math.log(documents / df) if 1 < df <= common else 0.0
        if tf_idf > 0:
            weighed.append((key, tf_idf))
    weighed.sort(key=lambda kw: (-kw[1], kw[0]))
    return weighed[:TOP_TERMS]


# Per snapshot and language, the document frequency of keys looked up so far: a whoosh lookup
# costs about 10 µs, and a long record has thousands of keys.
_FREQUENCIES: weakref.WeakKeyDictionary[Snapshot, dict[str, dict[str, int]]] = (
    weakref.WeakKeyDictionary())
MAX_CACHED_FREQUENCIES = 500_000


def _frequencies(snapshot: Snapshot, language: str) -> Callable[[str], int]:
    """A key's document frequency in ``language``'s body field, or its title field for a key
    no body holds (cached per snapshot)."""
    cache = _FREQUENCIES.setdefault(snapshot, {}).setdefault(language, {})
    reader = snapshot.searcher.reader()
    body, title = body_field(language), title_field(language)

    def frequency(key: str) -> int:
        found = cache.get(key)
        if found is None:
            found = reader.doc_frequency(body, key) or reader.doc_frequency(title, key)
            if len(cache) >= MAX_CACHED_FREQUENCIES:
                cache.clear()
            cache[key] = found
        return found

    return frequency


def _query(terms: list[tuple[str, float]], language: str) -> whoosh_query.Query:
    return whoosh_query.Or([
        whoosh_query.Term(field_name, key, boost=weight)
        for key, weight in terms
        for field_name in (title_field(language), body_field(language))
    ])


def _translated(snapshot: Snapshot, terms: list[tuple[str, float]], source: str
                ) -> list[tuple[str, float]]:
    """The keys' translations into the other official language, weighed by the key's weight
    times the translation's strength (a key translated several ways keeps its best)."""
    lexicon = snapshot.bridge().translations.get(source, {})
    found: dict[str, float] = {}
    for key, weight in terms:
        choices = lexicon.get(key, [])
        best = max((strength for _, strength in choices), default=0.0)
        for translation, strength in choices:
            if strength >= CLOSE_TO_BEST * best:
                found[translation] = max(found.get(translation, 0.0), weight * strength)
    return sorted(found.items(), key=lambda kw: (-kw[1], kw[0]))[:TOP_TERMS]


def related(snapshot: Snapshot, docnum: int, size: int, language: str | None = None) -> Related:
    """The ``size`` records most like the record ``docnum`` in ``language`` (default its own)."""
    with snapshot.reading():
        return _related(snapshot, docnum, size, language)


def _related(snapshot: Snapshot, docnum: int, size: int, language: str | None) -> Related:
    own = record_language(snapshot.stored(docnum))
    target = language or own
    twins = snapshot.bridge().twins
    twin = int(twins[docnum]) if docnum < len(twins) else -1
    source_doc, via = docnum, "record"
    if target != own:
        if twin >= 0 and record_language(snapshot.stored(twin)) == target:
            source_doc, via = twin, "twin"
        elif {own, target} <= set(TWIN_LANGUAGES) and snapshot.bridge().translations.get(own):
            via = "translations"
        else:
            return Related(target, None, [], NO_WAY.format(lang=target, own=own))
    terms = distinctive_terms(snapshot, source_doc, own if via == "translations" else target)
    if via == "translations":
        terms = _translated(snapshot, terms, own)
    if not terms or size <= 0:
        return Related(target, via, [])
    scored = snapshot.scorer.score(_query(terms, target))
    candidates = scored.matches & snapshot.columns.live & snapshot.columns.filter(
        FACETS["lang"], (target,))
    for same in (docnum, twin):
        if same >= 0:
            candidates[same] = False
    return Related(target, via, top_documents(scored.scores, candidates, size))


def hit(snapshot: Snapshot, docnum: int, score: float, ui: str, permalink: str
        ) -> dict[str, Any]:
    """A related record as ``/search`` gives a hit (no snippet), with its permalink."""
    return {**search.described(snapshot, docnum, ui), "score": round(float(score), 4),
            "permalink": permalink}


def answer(snapshot: Snapshot, docnum: int, size: int, language: str | None, ui: str,
           base: str) -> dict[str, Any]:
    """The JSON answer of ``/documents/{id}/related``; ``base``: where the service is reached
    (``searchsvc.permalinks.base_url``)."""
    found = related(snapshot, docnum, size, language)
    with snapshot.reading():
        doc_id = str(snapshot.stored(docnum).get("id"))
        hits = [hit(snapshot, d, score, ui, "") for d, score in found.hits]
    for one in hits:
        one["permalink"] = permalink(base, str(one["id"]))
    return {"id": doc_id, "lang": found.language, "via": found.via, "note": found.note,
            "hits": hits}
