"""Relevance of the search over real records: recall@10 and MRR of a judged query set.

Run ``python -m benchmarks.relevance`` to compare the final analysis with Snowball stemming
alone, each indexed from the shipped corpus.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index

from indexer.build import BuildReport, write_generation
from indexer.normalize import iter_records
from indexer.records import Record
from indexer.schema import build_schema
from indexer.vocabulary import Vocabulary
from searchsvc.query import build_query

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "tests" / "relevance" / "queries.json"
CUTOFF = 10


@dataclass
class QueryResult:
    q: str
    lang: str
    kind: str
    relevant: list[str]
    found: list[str]
    rank: int | None  # 1-based rank of the first relevant hit within the cutoff

    @property
    def hit(self) -> bool:
        return self.rank is not None


def load_queries(path: Path = QUERIES) -> list[dict]:
    return json.loads(path.read_text("utf-8"))


def run_queries(search: Callable[[str], list[str]], queries: list[dict]) -> list[QueryResult]:
    """Each judged query through ``search`` (query text -> ranked ids)."""
    results = []
    for item in queries:
        found = search(item["q"])[:CUTOFF]
        rank = next((i for i, doc in enumerate(found, 1) if doc in item["relevant"]), None)
        results.append(QueryResult(item["q"], item["lang"], item["kind"], item["relevant"],
                                   found, rank))
    return results


def index_search(ix, stem_only: bool = False) -> Callable[[str], list[str]]:
    """Plain words straight on a whoosh index (the analysis alone, no API)."""
    searcher = ix.searcher()

    def search(q: str) -> list[str]:
        hits = searcher.search(build_query(q, stem_only=stem_only), limit=CUTOFF)
        return [hit["id"] for hit in hits]

    return search


def api_search(index_dir: Path) -> Callable[[str], list[str]]:
    """Through the real Falcon app's /search, query language and all."""
    from falcon import testing

    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    client = testing.TestClient(create_app(Settings(index_dir=index_dir)))

    def search(q: str) -> list[str]:
        answer = client.simulate_get("/search", params={"q": q, "size": str(CUTOFF)})
        assert answer.status_code == 200, answer.text
        return [hit["id"] for hit in answer.json["hits"]]

    return search


def recall_at_cutoff(results: list[QueryResult]) -> float:
    return sum(r.hit for r in results) / len(results) if results else 0.0


def mean_reciprocal_rank(results: list[QueryResult]) -> float:
    return sum(1 / r.rank for r in results if r.rank) / len(results) if results else 0.0


def summary(results: list[QueryResult]) -> str:
    lines = []
    groups = {"all": results}
    for r in results:
        groups.setdefault(f"lang={r.lang}", []).append(r)
        groups.setdefault(f"kind={r.kind}", []).append(r)
    for name, group in groups.items():
        lines.append(f"  {name:16} n={len(group):3}  recall@{CUTOFF}={recall_at_cutoff(group):.3f}"
                     f"  MRR={mean_reciprocal_rank(group):.3f}")
    return "\n".join(lines)


def build_index(path: Path, corpus: list[Path], stem_only: bool = False, jobs: int = 2):
    report = BuildReport()
    path.mkdir(parents=True, exist_ok=True)
    records = (r for r in iter_records(corpus, Vocabulary.load()) if isinstance(r, Record))
    write_generation(path, records, report, jobs=jobs, schema=build_schema(stem_only=stem_only))
    return index.open_dir(str(path))


def main() -> int:
    from indexer.build import rebuild
    from indexer.generations import current_generation

    queries = load_queries()
    corpus = [ROOT / "corpus"]
    with tempfile.TemporaryDirectory() as tmp:
        stem_index = build_index(Path(tmp) / "stem", corpus, stem_only=True)
        rebuild(corpus, Path(tmp) / "final")
        final_index = index.open_dir(str(current_generation(Path(tmp) / "final")))
        runs = (
            ("stemming only", index_search(stem_index, stem_only=True)),
            ("final analysis", index_search(final_index)),
            ("final analysis through the API", api_search(Path(tmp) / "final")),
        )
        for name, search in runs:
            results = run_queries(search, queries)
            print(f"{name}: {len(queries)} queries over the shipped corpus")
            print(summary(results))
            for r in results:
                if not r.hit:
                    print(f"    missed: {r.q!r} ({r.lang}, {r.kind})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
