"""What ``cross_lang=1`` costs a search: latency with and without it, in the same run.

    python -m benchmarks.bench_crosslang [--index-dir DIR] [--queries N] [--seconds S]
                                         [--bind HOST:PORT]

Builds an index of ``../shared/records`` (32,793 records) unless ``--index-dir`` names one
already built, and over the query mix of ``benchmarks.bench_search`` (fi/sv/en single words,
word pairs and phrases, with and without filters, always with facets and snippets) measures:

- the generation's cross-language parts: its translations (``translations.tsv``) and the
  twin map, read once per worker and generation (``Snapshot.bridge``);
- in-process: ``search`` p50/p99 of each query without and with ``cross_lang=1``,
  interleaved, and the ratio;
- over HTTP: real gunicorn with 2 workers on ``--bind``, 8 client threads in another
  process for ``--seconds`` each: the mix without, then with ``cross_lang=1``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.bench_search import (
    SHARED_RECORDS,
    _load,
    load_line,
    percentile,
    query_mix,
    request_of,
    served,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bind", default="127.0.0.1:18613")
    args = parser.parse_args(argv)

    from indexer import generations
    from indexer.build import rebuild
    from indexer.contract import TRANSLATIONS_FILE
    from searchsvc.engine import Engine
    from searchsvc.search import search

    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="bench-crosslang-")) / "index"
    if generations.published_name(index_dir) is None:
        print(f"building the index of {SHARED_RECORDS} in {index_dir} ...", flush=True)
        report = rebuild([SHARED_RECORDS], index_dir)
        print(f"  rebuild {report.seconds:.1f} s, of which translations "
              f"{report.phases.get('translations', 0.0):.1f} s")
    generation = generations.current_generation(index_dir)
    mix = query_mix(generation, args.queries)

    engine = Engine(index_dir)
    snapshot = engine.snapshot()
    started = time.perf_counter()
    bridge = snapshot.bridge()
    read_ms = (time.perf_counter() - started) * 1000
    translations = sum(len(c) for by_key in bridge.translations.values() for c in by_key.values())
    size_kb = (generation / TRANSLATIONS_FILE).stat().st_size / 1024
    print(f"{snapshot.documents} documents: {translations} translations ({size_kb:.0f} kB), "
          f"{int((bridge.twins >= 0).sum()) // 2} twin pairs, read in {read_ms:.0f} ms")

    plain, widened = [], []
    requests = [request_of(params) for params in mix]
    for request in requests[:20]:
        search(snapshot, request)
        search(snapshot, replace(request, cross_lang=1))
    for request in requests:
        for cross_lang, times in ((0, plain), (1, widened)):
            chosen = replace(request, cross_lang=cross_lang)
            begun = time.perf_counter()
            search(snapshot, chosen)
            times.append((time.perf_counter() - begun) * 1000)
    engine.close()

    def line(name: str, times: list[float]) -> str:
        return (f"  {name:22} p50 {statistics.median(times):6.1f} ms   "
                f"p99 {percentile(times, 0.99):6.1f} ms")

    print(f"in-process, {len(mix)} queries (fi/sv/en; words, pairs, phrases; filters; facets "
          "and snippets):")
    print(line("without cross_lang", plain))
    print(line("cross_lang=1", widened)
          + f"   x{statistics.median(widened) / statistics.median(plain):.2f} p50, "
          f"x{percentile(widened, 0.99) / percentile(plain, 0.99):.2f} p99")

    with served(index_dir, args.bind) as base:
        _load(base, mix[:40], 2)  # every worker opens and warms the generation
        without = _load(base, mix, args.seconds)
        with_it = _load(base, [{**params, "cross_lang": 1} for params in mix], args.seconds)
    print(f"over HTTP (gunicorn 2 workers, 8 clients, {args.seconds:.0f} s each):")
    for name, result in (("without cross_lang", without), ("cross_lang=1", with_it)):
        print(load_line(name, result, 22))
    print(f"  cross_lang=1 / without  x{with_it['rps'] / without['rps']:.2f} throughput, "
          f"x{with_it['p99_ms'] / without['p99_ms']:.2f} p99")
    return 0


if __name__ == "__main__":
    sys.exit(main())
