"""What ``GET /documents/{id}/related`` costs: latency through the real app, in process.

    python -m benchmarks.bench_related [--index-dir DIR] [--records N] [--seed S]

Builds an index of ``../shared/records`` (32,793 records) unless ``--index-dir`` names one
already built, then asks for the related records of N records chosen at random (falcon.testing,
the whole request: routing, the record's terms, scoring, hits): first cold (each record's
words' postings read for the first time in this process), then the same records again, then
N other records with ``lang=sv`` (through the twin or the translations). Prints p50, p95, p99
and the slowest of each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from benchmarks.bench_search import full_index, percentile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)

    from falcon import testing

    from searchsvc.app import create_app
    from searchsvc.engine import Engine
    from searchsvc.permalinks import document_path
    from searchsvc.settings import Settings

    index_dir = full_index(args.index_dir, "related")
    client = testing.TestClient(create_app(Settings(index_dir=index_dir)))
    engine = Engine(index_dir)
    ids = [fields["id"] for _, fields in engine.snapshot().searcher.reader().iter_docs()]
    engine.close()
    chance = random.Random(args.seed)
    chosen = chance.sample(ids, args.records)
    others = chance.sample(ids, args.records)
    print(f"{len(ids)} records; {args.records} asked for each line")
    for label, paths in [
        ("cold", [document_path(i) + "/related" for i in chosen]),
        ("again", [document_path(i) + "/related" for i in chosen]),
        ("lang=sv", [document_path(i) + "/related?lang=sv" for i in others]),
    ]:
        times = []
        for path in paths:
            route, _, query = path.partition("?")
            started = time.perf_counter()
            answer = client.simulate_get(route, query_string=query)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, path
        print(f"related {label:8} p50 {statistics.median(times):6.1f} ms  "
              f"p95 {percentile(times, 0.95):6.1f} ms  p99 {percentile(times, 0.99):6.1f} ms  "
              f"max {max(times):6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
