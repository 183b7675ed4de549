"""Compound words ranked as people expect: whole-word records before parts-only ones.

    python -m benchmarks.compounds [--index-dir DIR]

A compound query (``kotihoito``) finds records holding the word itself, in any inflection
(``kotihoidon``), records holding it inside a longer compound (``kotihoitopalvelun``) and
records holding only its parts (``koti`` … ``hoito``). For each query of ``QUERIES`` this
ranks every hit through the real ``/search`` (relevance order, all pages) and checks

- whole word first: every record holding the word itself (one of its keys in a title or
  body field) comes before every other hit;
- word first: every record holding the word, itself or inside a longer compound (a key in
  the compound-parts fields too), comes before every record with only its parts.

It prints, per query, the counts, the rank of the last whole-word record and of the first
other one, and the lines "in X of N queries whole-word records come first" and the same for
the word alone or in a compound. Without ``--index-dir`` the shipped corpus is indexed into
a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import query

from indexer.analysis import query_words
from indexer.contract import (
    LANGUAGES,
    body_field,
    parts_field,
    title_field,
    title_parts_field,
)
from indexer.lexicon import COMPOUND_LANGUAGES

ROOT = Path(__file__).resolve().parents[1]

# Common Finnish and Swedish compounds of council and court records, each found in the
# shipped corpus both whole and as parts only.
QUERIES = (
    "kotihoito",
    "terveydenhuolto",
    "henkilötiedot",
    "rakennuslupa",
    "vanhuspalvelut",
    "valituslupa",
    "muutoksenhaku",
    "lisätiedot",
    "määräaika",
    "täytäntöönpano",
    "käräjäoikeus",
    "tuomioistuin",
    "lopputulos",
    "asemakaava",
    "lastensuojelu",
    "varhaiskasvatus",
    "sosiaalihuolto",
    "vahingonkorvaus",
    "työsopimus",
    "kaupunginhallitus",
    "tarkastuslautakunta",
    "socialvård",
    "skadestånd",
    "förvaltningsdomstol",
    "tingsrätt",
    "rättegång",
    "aktiebolag",
    "arbetsavtal",
    "markanvändning",
    "rättegångskostnader",
    "näringsverksamhet",
)


@dataclass
class Ordering:
    q: str
    ranked: list[str]  # ids of every hit, best first
    whole: set[str]  # hits holding the word itself
    held: set[str]  # hits holding the word itself or inside a longer compound

    def _last_and_first_other(self, group: set[str]) -> tuple[int | None, int | None]:
        inside = [rank for rank, doc in enumerate(self.ranked, 1) if doc in group]
        others = [rank for rank, doc in enumerate(self.ranked, 1) if doc not in group]
        return (inside[-1] if inside else None), (others[0] if others else None)

    @staticmethod
    def _first(last: int | None, first_other: int | None) -> bool:
        return last is None or first_other is None or last < first_other

    @property
    def whole_first(self) -> bool:
        """Every record with the word itself before every other hit."""
        return self._first(*self._last_and_first_other(self.whole))

    @property
    def held_first(self) -> bool:
        """Every record with the word, itself or in a compound, before parts-only ones."""
        return self._first(*self._last_and_first_other(self.held))

    @property
    def parts_only(self) -> int:
        return len(self.ranked) - len(self.held)


def whole_word_query(text: str, in_compounds: bool = False) -> query.Query:
    """Records holding one of the word's keys, in any language, in a title or body; with
    ``in_compounds`` also as a part of a longer compound."""
    fields = [title_field, body_field]
    if in_compounds:
        fields += [parts_field, title_parts_field]
    terms = [
        query.Term(field(language), key)
        for language in LANGUAGES
        for position in query_words(language, text)
        for entry in position
        for key in entry.keys
        for field in fields
        if language in COMPOUND_LANGUAGES or field in (title_field, body_field)
    ]
    return query.Or(terms)


def check(index_dir: Path, queries: tuple[str, ...] = QUERIES) -> list[Ordering]:
    """The ordering of every query's hits through the real app over ``index_dir``."""
    from falcon import testing

    from searchsvc.app import create_app
    from searchsvc.engine import Engine
    from searchsvc.settings import Settings

    client = testing.TestClient(create_app(Settings(index_dir=index_dir)))
    engine = Engine(index_dir)
    snapshot = engine.snapshot()
    search: Callable[[str, int], dict] = lambda q, page: client.simulate_get(  # noqa: E731
        "/search", params={"q": q, "size": "100", "page": str(page), "facets": ""}
    ).json
    results = []
    try:
        for q in queries:
            ranked: list[str] = []
            page = 1
            while True:
                body = search(q, page)
                ranked.extend(hit["id"] for hit in body["hits"])
                if len(ranked) >= body["total"] or not body["hits"]:
                    break
                page += 1
            with snapshot.reading():
                groups = []
                for in_compounds in (False, True):
                    found = snapshot.scored(whole_word_query(q, in_compounds)).matches
                    groups.append({snapshot.stored(int(d))["id"] for d in np.flatnonzero(found)})
            results.append(Ordering(q, ranked, *groups))
    finally:
        engine.close()
    return results


def report(results: list[Ordering]) -> str:
    lines = [
        f"{'query':22} {'hits':>5} {'whole':>6} {'in cpd':>6} {'parts':>6}"
        f" {'last whole':>10} {'1st other':>9}"
    ]
    for r in results:
        last, first_other = r._last_and_first_other(r.whole)
        mark = "" if r.whole_first else "  <- a record without the word above one with it"
        lines.append(
            f"{r.q:22} {len(r.ranked):5} {len(r.whole):6} {len(r.held - r.whole):6}"
            f" {r.parts_only:6} {last or '-':>10} {first_other or '-':>9}{mark}"
        )
    n = len(results)
    lines.append(
        f"in {sum(r.whole_first for r in results)} of {n} queries whole-word records come first"
    )
    lines.append(
        f"in {sum(r.held_first for r in results)} of {n} queries records with the word, "
        "alone or in a longer compound, come before parts-only records"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    args = parser.parse_args(argv)
    if args.index_dir:
        print(report(check(args.index_dir)))
        return 0
    from indexer.build import rebuild

    with tempfile.TemporaryDirectory() as tmp:
        rebuild([ROOT / "corpus"], Path(tmp) / "index")
        print(report(check(Path(tmp) / "index")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
