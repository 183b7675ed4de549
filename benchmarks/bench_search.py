"""Search latency and throughput over all records, in-process and over HTTP, against stock whoosh.

    python -m benchmarks.bench_search [--index-dir DIR] [--queries N] [--seconds S]

Builds an index of ``../shared/records`` (32,793 records) unless ``--index-dir`` names one
already built, draws a query mix from the records' own vocabulary in all three languages
(single words, two words, phrases; with and without filters; always with facets and
snippets), and measures:

- in-process: ``Snapshot.search`` p50/p99, and the baseline on the same index and queries:
  whoosh's stock ``MultifieldParser``, ``groupedby`` facets, a filter query and whoosh's
  highlighter, with no caches of ours;
- ``/suggest`` in-process (word completions and title completions) p50/p99;
- over HTTP: real gunicorn with 2 workers on a loopback port, 8 client threads in another
  process for ``--seconds``: requests/s and p50/p99 of ``/search``, idle and again while a
  full rebuild (``nice -n 10``) runs into the served index directory and is published.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDS = ROOT.parent / "shared" / "records"
SEED = 20261124


def full_index(index_dir: Path | None, name: str) -> Path:
    """``index_dir`` if it holds a published generation, else an index of ``SHARED_RECORDS``
    built there (in a fresh temporary folder named after the benchmark ``name`` when
    ``index_dir`` is None)."""
    from indexer import generations
    from indexer.build import rebuild

    index_dir = index_dir or Path(tempfile.mkdtemp(prefix=f"bench-{name}-")) / "index"
    if generations.published_name(index_dir) is None:
        print(f"building the index of {SHARED_RECORDS} in {index_dir} ...", flush=True)
        rebuild([SHARED_RECORDS], index_dir)
    return index_dir


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def query_mix(generation: Path, count: int) -> list[dict]:
    """Queries from the index's own word lists: common-enough words of each language."""
    from indexer.contract import read_words

    rng = random.Random(SEED)
    words = {lang: [w for w, n in read_words(generation, lang) if 20 <= n <= 3000 and len(w) > 3]
             for lang in ("fi", "sv", "en")}
    filters = [{}, {}, {"lang": "fi"}, {"year_from": 2000, "year_to": 2020},
               {"type": "court_decision"}, {"lang": "en", "year_from": 2024}]
    mix = []
    for i in range(count):
        lang = ("fi", "sv", "en")[i % 3]
        kind = ("one", "two", "phrase")[(i // 3) % 3]
        picked = rng.sample(words[lang], 2)
        q = {"one": picked[0], "two": " ".join(picked),
             "phrase": f'"{picked[0]} {picked[1]}"'}[kind]
        mix.append({"q": q, **filters[i % len(filters)]})
    return mix


def request_of(params: dict):
    from searchsvc.request import SearchRequest

    return SearchRequest(
        q=params["q"], languages=(params["lang"],) if "lang" in params else (),
        year_from=params.get("year_from"), year_to=params.get("year_to"),
        types=(params["type"],) if "type" in params else (),
    )


def timed(function, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def stock_search_function(generation: Path):
    """The naive path: stock parser, groupedby facets, filter query, whoosh highlights."""
    from whoosh import index, query, sorting
    from whoosh.qparser import MultifieldParser

    ix = index.open_dir(str(generation))
    searcher = ix.searcher()
    fields = [f"{kind}_{lang}" for lang in ("fi", "sv", "en") for kind in ("title", "body")]
    parser = MultifieldParser(fields, ix.schema)
    facets = {name: sorting.FieldFacet(name) for name in
              ("year", "language", "division", "doc_type", "organization")}

    def run(params: dict) -> None:
        q = parser.parse(params["q"])
        clauses = []
        if "lang" in params:
            clauses.append(query.Term("language", params["lang"]))
        if "type" in params:
            clauses.append(query.Term("doc_type", params["type"]))
        if "year_from" in params:
            clauses.append(query.NumericRange("year", params["year_from"], params.get("year_to")))
        hits = searcher.search(q, limit=10, groupedby=facets,
                               filter=query.And(clauses) if clauses else None)
        for name in facets:
            hits.groups(name)
        for hit in hits:
            language = hit["language"]
            hit.highlights(f"body_{language}", text=hit["body"])

    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_load(base: str, mix: list[dict], seconds: float, clients: int = 8) -> dict:
    """Runs in a separate process (see main): clients loop over the mix for `seconds`."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        i = offset
        while time.monotonic() < deadline:
            url = f"{base}/search?" + urllib.parse.urlencode(mix[i % len(mix)])
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    answer.read()
                    ok = answer.status == 200
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += not ok
            i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / took,
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}


def _load(base: str, mix: list[dict], seconds: float) -> dict:
    """``http_load`` in a process of its own, so the clients do not share the GIL with us."""
    load = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_search", "--load", base,
         json.dumps(mix), str(seconds)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return json.loads(load.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def served(index_dir: Path, bind: str, workers: int = 2, **settings: str) -> Iterator[str]:
    """Real gunicorn with ``workers`` (2) serving ``index_dir`` on ``bind`` with these other
    ``SEARCHSVC_*`` settings, once it answers: its base URL. Stopped on leaving."""
    env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(index_dir),
           "SEARCHSVC_WORKERS": str(workers), "SEARCHSVC_LOG_LEVEL": "warning",
           **{f"SEARCHSVC_{name.upper()}": value for name, value in settings.items()}}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", bind,
         "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://{bind}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health/ready", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def load_line(name: str, result: dict, width: int) -> str:
    """One line of an ``http_load`` result."""
    return (f"  {name:{width}} {result['rps']:5.0f} requests/s, p50 {result['p50_ms']:6.1f} ms, "
            f"p99 {result['p99_ms']:6.1f} ms, {result['errors']} errors of {result['requests']}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--load"]:
        print(json.dumps(http_load(argv[1], json.loads(argv[2]), float(argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    from indexer import generations
    from searchsvc.engine import Engine
    from searchsvc.request import SuggestRequest
    from searchsvc.search import search
    from searchsvc.suggest import suggest

    index_dir = full_index(args.index_dir, "search")
    generation = generations.current_generation(index_dir)
    mix = query_mix(generation, args.queries)

    engine = Engine(index_dir)
    snapshot = engine.snapshot()
    print(f"{snapshot.documents} documents, {len(mix)} queries (fi/sv/en; words, pairs, "
          "phrases; with and without filters; facets and snippets)")
    for warm in mix[:20]:
        search(snapshot, request_of(warm))
    ours = timed(lambda p: search(snapshot, request_of(p)), mix)
    stock_run = stock_search_function(generation)
    for warm in mix[:5]:
        stock_run(warm)
    stock = timed(stock_run, mix)
    prefixes = [p["q"].strip('"').split()[0][:4] for p in mix]
    suggested = timed(lambda prefix: suggest(snapshot, SuggestRequest(q=prefix)), prefixes)

    def line(name: str, times: list[float]) -> str:
        return (f"  {name:28} p50 {statistics.median(times):7.1f} ms   "
                f"p99 {percentile(times, 0.99):7.1f} ms")

    print("in-process:")
    print(line("stock whoosh (baseline)", stock))
    print(line("searchsvc /search", ours)
          + f"   p99 x{percentile(stock, 0.99) / percentile(ours, 0.99):.1f} faster")
    print(line("searchsvc /suggest", suggested))

    with served(index_dir, f"127.0.0.1:{free_port()}") as base:
        idle = _load(base, mix, args.seconds)
        # The same load while a full rebuild (niced, as docs/operations.md runs it) reads and
        # indexes every record into the served index directory and publishes.
        rebuilding = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-m", "indexer", "rebuild", "--corpus",
             str(SHARED_RECORDS), "--index-dir", str(index_dir), "--progress", "none"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(5)
        busy = _load(base, mix, args.seconds)
        overlapped = rebuilding.poll() is None
        rebuilding.wait()
        swapped = _load(base, mix, 3)
    print(f"over HTTP (gunicorn 2 workers, 8 clients, {args.seconds:.0f} s):")
    for name, result in (("idle", idle), ("during a rebuild", busy)):
        print(load_line(name, result, 18))
    print(f"  during / idle      x{busy['rps'] / idle['rps']:.2f} throughput, "
          f"x{busy['p99_ms'] / idle['p99_ms']:.2f} p99"
          + ("" if overlapped else " (the rebuild ended before the load did)"))
    print(f"  after the new generation was published: {swapped['errors']} errors of "
          f"{swapped['requests']}, rebuild exit code {rebuilding.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
