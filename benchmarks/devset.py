"""A harder development set than ``tests/relevance/``, generated from the records themselves.

Three kinds of queries, made by code from the corpus (no hand-picked answers):

- ``tag``: each Helsinki filing label (the records' ``classification``) is a query, judged by
  the records filed under it. The label is kept in the record's stored ``extra`` and never
  searched, so the query does not lead back to its answers through the field it came from.
  ``tag typed``: each label with ä, ö or å typed without them, as on a phone.
- ``twin sv→fi`` and ``twin fi→sv``: the first words of a court decision's abstract in one
  language are the query, its twin in the other official language (``parallel_id``) the only
  relevant record. The record the words were taken from is left out of its own ranking.
- ``known-item fi|sv|en``: two long words of a record's first paragraph, as someone
  who remembers a decision types them, judged by that record alone. Every word is in the
  answer, so this kind guards ranking against losses more than it measures new matching.

Figures per query language and per kind, at a cutoff of 10: ``hit@10`` (a relevant record in
the top ten, what ``benchmarks.relevance`` calls recall@10), ``recall@10`` (the share of the
relevant records in the top ten, of at most ten), MRR@10, binary nDCG@10, and the share of
queries that find nothing (but the record they were taken from).

Run ``python -m benchmarks.devset`` to compare Snowball stemming alone (every word required,
straight on whoosh) with today's ``/search`` (the real Falcon app, query language, ranking and
all), and ``/search`` with ``cross_lang=1`` (with and without its twin links, and with twin
queries asking for the other language only), over all records of ``../shared/records`` when
they are there (``--corpus PATH`` for others, e.g. ``--corpus corpus`` for the shipped corpus
in a minute).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from whoosh import query

from benchmarks.relevance import build_index
from indexer.analysis import stop_words
from indexer.normalize import iter_records
from indexer.records import Record
from indexer.vocabulary import Vocabulary
from searchsvc.query import build_query
from searchsvc.syntax import BadQuery

ROOT = Path(__file__).resolve().parents[1]
CUTOFF = 10
TAG_FIELD = "classification"
# Helsinki files every decision, Swedish ones too, under one Finnish classification scheme.
TAG_LANGUAGE = "fi"
TAG_FILTERS = (("org", "city_of_helsinki"),)
TWIN_FIELD = "parallel_id"
TWIN_WORDS = 8  # words of the abstract in a twin query: a sentence's worth, as a user types
TWIN_QUERIES_PER_DIRECTION = 150  # every n-th twin pair, by id, up to this many
TWIN_LANGUAGES = ("fi", "sv")
# A word: letters, possibly joined by hyphens (``hälso-``, ``EG-direktivet``); numbers, dates
# and section marks are left out, they would match across languages as identifiers.
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]*)*")
KNOWN_ITEM_WORDS = 2
KNOWN_ITEM_MIN_LETTERS = 6  # short words are mostly function words and numbers spelled out
KNOWN_ITEM_QUERIES_PER_LANGUAGE = 100
KNOWN_ITEM_COMMON_SHARE = 0.02
KNOWN_ITEM_LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class DevQuery:
    q: str
    lang: str  # the language of the query text
    kind: str
    relevant: tuple[str, ...]
    source: str | None = None  # the record the text was taken from, left out of its ranking
    # Filters of the search, as /search parameters: a tag query is searched as a city's own
    # search box searches, in the city's records only.
    filters: tuple[tuple[str, str], ...] = ()


def load_records(corpus: Sequence[Path]) -> list[Record]:
    return [r for r in iter_records(corpus, Vocabulary.load()) if isinstance(r, Record)]


def tag_queries(records: Iterable[Record]) -> list[DevQuery]:
    """One query per filing label: the label's text, judged by the records filed under it."""
    filed: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        label = record.extra.get(TAG_FIELD)
        if isinstance(label, str) and label.strip():
            filed[" ".join(label.split())].append(record)
    queries = []
    for label in sorted(filed):
        members = tuple(sorted(r.id for r in filed[label]))
        queries.append(DevQuery(label, TAG_LANGUAGE, "tag", members, filters=TAG_FILTERS))
    return queries


def typed_queries(queries: Iterable[DevQuery]) -> list[DevQuery]:
    """Each tag query with ä, ö or å, typed without them (``Päätöksenteko`` as
    ``Paatoksenteko``), as on a phone or a foreign keyboard: judged as the label is."""
    from searchsvc.folding import fold

    return [
        DevQuery(fold(q.q.lower()), q.lang, "tag typed", q.relevant)
        for q in queries
        if q.kind == "tag" and fold(q.q.lower()) != q.q.lower()
    ]


def abstract_words(text: str, count: int = TWIN_WORDS) -> str:
    """The first ``count`` words of a text's first paragraph (a court decision's abstract)."""
    first_paragraph = text.strip().split("\n", 1)[0]
    return " ".join(_WORD.findall(first_paragraph)[:count])


def twin_queries(
    records: Iterable[Record], per_direction: int = TWIN_QUERIES_PER_DIRECTION
) -> list[DevQuery]:
    """Cross-language twin retrieval: a Swedish abstract's first words find the Finnish twin,
    and the reverse, for an evenly spaced sample of the pairs sorted by id."""
    by_id = {r.id: r for r in records}
    pairs = sorted(
        (record.id, twin)
        for record in by_id.values()
        if record.language == "sv"
        and isinstance(twin := record.extra.get(TWIN_FIELD), str)
        and twin in by_id
        and by_id[twin].language == "fi"
    )
    step = max(1, math.ceil(len(pairs) / per_direction))
    queries = []
    for sv_id, fi_id in pairs[::step]:
        for source, answer in ((by_id[sv_id], by_id[fi_id]), (by_id[fi_id], by_id[sv_id])):
            words = abstract_words(source.body)
            if len(words.split()) < TWIN_WORDS:
                continue
            kind = f"twin {source.language}→{answer.language}"
            queries.append(DevQuery(words, str(source.language), kind, (answer.id,), source.id))
    return queries


def distinctive_words(
    text: str, language: str, common: frozenset[str] = frozenset(), count: int = KNOWN_ITEM_WORDS
) -> str:
    """``count`` different long words of a text's first paragraph that has so many (a
    question's first line is only its number), evenly spaced, in order; none of the stop
    words or the ``common`` words (casefolded)."""
    stops = stop_words(language) | common
    for paragraph in text.split("\n"):
        seen: dict[str, str] = {}
        for word in _WORD.findall(paragraph):
            folded = word.casefold()
            if len(word) >= KNOWN_ITEM_MIN_LETTERS and folded not in stops and folded not in seen:
                seen[folded] = word
        chosen = list(seen.values())
        if len(chosen) >= count:
            step = len(chosen) / count
            return " ".join(chosen[int(i * step)] for i in range(count))
    return ""


def common_words(texts: Iterable[str], share: float = KNOWN_ITEM_COMMON_SHARE) -> frozenset[str]:
    """Words (casefolded) in more than ``share`` of the texts: a source's boilerplate ("To ask
    the Secretary of State") that nobody types to find one record."""
    counts: dict[str, int] = defaultdict(int)
    total = 0
    for text in texts:
        total += 1
        for word in {w.casefold() for w in _WORD.findall(text)}:
            counts[word] += 1
    return frozenset(word for word, n in counts.items() if n > share * total)


def known_item_queries(
    records: Iterable[Record], per_language: int = KNOWN_ITEM_QUERIES_PER_LANGUAGE
) -> list[DevQuery]:
    """Per language, records chosen by a hash of their id (so the choice does not depend on
    the order or the size of the corpus), each found by a few of its own words."""

    def rank(record: Record) -> str:
        return hashlib.sha1(record.id.encode("utf-8")).hexdigest()

    queries = []
    for language in KNOWN_ITEM_LANGUAGES:
        in_language = [r for r in records if r.language == language]
        common = common_words(r.body for r in in_language)
        chosen = 0
        for record in sorted(in_language, key=rank):
            words = distinctive_words(record.body, language, common)
            if not words:
                continue
            queries.append(DevQuery(words, language, f"known-item {language}", (record.id,)))
            chosen += 1
            if chosen == per_language:
                break
    return queries


def development_set(records: Sequence[Record]) -> list[DevQuery]:
    tags = tag_queries(records)
    return tags + typed_queries(tags) + twin_queries(records) + known_item_queries(records)


# --- running and scoring ----------------------------------------------------------------------


@dataclass
class DevResult:
    query: DevQuery
    found: list[str]

    def relevance(self) -> list[bool]:
        return [doc in self.query.relevant for doc in self.found[:CUTOFF]]

    @property
    def hit(self) -> float:
        return float(any(self.relevance()))

    @property
    def recall(self) -> float:
        return sum(self.relevance()) / min(len(self.query.relevant), CUTOFF)

    @property
    def reciprocal_rank(self) -> float:
        return next((1 / rank for rank, rel in enumerate(self.relevance(), 1) if rel), 0.0)

    @property
    def no_hits(self) -> float:
        return float(not self.found)

    @property
    def ndcg(self) -> float:
        dcg = sum(1 / math.log2(rank + 1) for rank, rel in enumerate(self.relevance(), 1) if rel)
        ideal = sum(
            1 / math.log2(rank + 1) for rank in range(1, min(len(self.query.relevant), CUTOFF) + 1)
        )
        return dcg / ideal


Search = Callable[[DevQuery], list[str]]
# /search parameters and the index fields they filter, for a search straight on whoosh
FILTER_FIELDS = {"org": "organization"}


def index_search(ix, stem_only: bool = False) -> Search:
    """Plain words on a whoosh index, as ``benchmarks.relevance.index_search``, with the
    record a query was taken from left out of the ranking."""
    searcher = ix.searcher()

    def search(q: DevQuery) -> list[str]:
        clauses = [query.Term(FILTER_FIELDS[name], value) for name, value in q.filters]
        try:
            hits = searcher.search(build_query(q.q, stem_only=stem_only), limit=CUTOFF + 1,
                                   filter=query.And(clauses) if clauses else None)
        except BadQuery:
            return []
        return [hit["id"] for hit in hits if hit["id"] != q.source][:CUTOFF]

    return search


def api_search(index_dir: Path, **params: str) -> Search:
    """Through the real Falcon app's ``/search`` (defaults for everything but ``params``),
    with the record a query was taken from left out of the ranking."""
    from falcon import testing

    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    client = testing.TestClient(create_app(Settings(index_dir=index_dir)))

    def search(q: DevQuery) -> list[str]:
        asked = {"q": q.q, "size": str(CUTOFF + 1), **dict(q.filters), **params}
        answer = client.simulate_get("/search", params=asked)
        if answer.status_code == 400:
            return []
        assert answer.status_code == 200, answer.text
        return [hit["id"] for hit in answer.json["hits"] if hit["id"] != q.source][:CUTOFF]

    return search


def in_process_cross_lang(index_dir: Path, twins: bool = True, other_language: bool = False
                          ) -> Search:
    """``cross_lang=1`` on a snapshot of the index: without ``twins`` its twin links cut (a
    twin query's answer is the twin of the record its words come from, so through the twins
    it is found by construction; without, this measures what the learned lexicon finds);
    with ``other_language`` a twin query asks for records in its answer's language only
    (``lang=sv`` for a Finnish query), as someone looking for the other version would."""
    from searchsvc.engine import Engine
    from searchsvc.request import SearchRequest
    from searchsvc.search import search as search_snapshot

    snapshot = Engine(index_dir).snapshot()
    if not twins:
        snapshot.bridge().twins[:] = -1

    def search(q: DevQuery) -> list[str]:
        filters = dict(q.filters)
        languages = tuple(lang for lang in TWIN_LANGUAGES if lang != q.lang)
        try:
            request = SearchRequest(
                q=q.q, size=CUTOFF + 1, facets=(), cross_lang=1,
                orgs=(filters["org"],) if "org" in filters else (),
                languages=languages if other_language and q.kind.startswith("twin") else ())
        except BadQuery:
            return []
        hits = search_snapshot(snapshot, request)["hits"]
        return [hit["id"] for hit in hits if hit["id"] != q.source][:CUTOFF]

    return search


def run(search: Search, queries: Sequence[DevQuery]) -> list[DevResult]:
    return [DevResult(q, search(q)) for q in queries]


METRICS = ("hit", "recall", "reciprocal_rank", "ndcg", "no_hits")
METRIC_NAMES = ("hit@10", "recall@10", "MRR@10", "nDCG@10", "no hits")


def groups(results: Sequence[DevResult]) -> dict[str, list[DevResult]]:
    grouped: dict[str, list[DevResult]] = {"all": list(results)}
    for r in results:
        grouped.setdefault(f"lang={r.query.lang}", []).append(r)
    for r in results:
        grouped.setdefault(f"kind={r.query.kind}", []).append(r)
    return grouped


def mean(results: Sequence[DevResult], metric: str) -> float:
    return sum(getattr(r, metric) for r in results) / len(results) if results else 0.0


def table(runs: dict[str, list[DevResult]]) -> str:
    """A Markdown table: one row per group and run."""
    header = ["group", "n", "run", *METRIC_NAMES]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    names = list(runs)
    for group in groups(runs[names[0]]):
        for name in names:
            members = groups(runs[name])[group]
            figures = [f"{mean(members, metric):.3f}" for metric in METRICS]
            lines.append(f"| {group} | {len(members)} | {name} | " + " | ".join(figures) + " |")
    return "\n".join(lines)


def default_corpus() -> list[Path]:
    shared = ROOT.parent / "shared" / "records"
    return [shared] if shared.is_dir() else [ROOT / "corpus"]


def main(argv: Sequence[str] | None = None) -> int:
    from indexer.build import rebuild

    parser = argparse.ArgumentParser(prog="python -m benchmarks.devset", description=__doc__)
    parser.add_argument(
        "--corpus",
        action="append",
        type=Path,
        help="records to index and draw queries from (repeatable); default: "
        "../shared/records if there, else the shipped corpus",
    )
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    started = time.monotonic()
    queries = development_set(load_records(corpus))
    kinds: dict[str, int] = defaultdict(int)
    for q in queries:
        kinds[q.kind] += 1
    print(
        f"development set: {len(queries)} queries over {', '.join(map(str, corpus))} "
        f"({', '.join(f'{kind}: {n}' for kind, n in sorted(kinds.items()))})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        stem_index = build_index(Path(tmp) / "stem", corpus, stem_only=True)
        rebuild(corpus, Path(tmp) / "final")
        runs = {
            "stock Snowball": run(index_search(stem_index, stem_only=True), queries),
            "/search": run(api_search(Path(tmp) / "final"), queries),
            "cross_lang=1": run(api_search(Path(tmp) / "final", cross_lang="1"), queries),
            "cross_lang=1, no twins": run(
                in_process_cross_lang(Path(tmp) / "final", twins=False), queries),
            "cross_lang=1, twin queries lang=other": run(
                in_process_cross_lang(Path(tmp) / "final", other_language=True), queries),
            "cross_lang=1, no twins, twin queries lang=other": run(
                in_process_cross_lang(Path(tmp) / "final", twins=False, other_language=True),
                queries),
        }
    print(table(runs))
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
