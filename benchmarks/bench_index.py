"""Indexing throughput, index size and peak memory: searchsvc's rebuild against stock whoosh.

Both read the same records (all of ``../shared/records`` by default, 32,793 documents) in the
same run: the baseline is whoosh's stock ``StemmingAnalyzer`` schema (title and body, stored),
one process, as a stock set-up would index them; ours is ``searchsvc-index rebuild`` with its
fi/sv/en analysis, compound parts and spelling fields. Each runs in a process of its own, and
peak memory is the largest sum of proportional set sizes (PSS) over that process and its
children.

    python -m benchmarks.bench_index [--sample N] [--jobs N]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_scale import pss_mb, tree_pids

ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDS = ROOT.parent / "shared" / "records"
RESULTS = ROOT / "benchmarks" / "results"


def _stock_index(corpus: Path, index_dir: Path) -> dict:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        body=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    documents = text_bytes = 0
    for path in sorted(corpus.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                writer.add_document(id=record["id"], title=record["title"] or "",
                                    body=record["body"] or "")
                documents += 1
                text_bytes += len((record["title"] or "").encode()) + len(record["body"].encode())
    writer.commit()
    return {"documents": documents, "text_bytes": text_bytes}


def _ours_index(corpus: Path, index_dir: Path, jobs: int) -> dict:
    from indexer.build import rebuild

    report = rebuild([corpus], index_dir, jobs=jobs, max_errors=0)
    return {"documents": report.documents, "text_bytes": report.text_bytes}


def _worker(kind: str, corpus: str, index_dir: str, jobs: int) -> None:
    """Runs in the measured child process; prints its counts as JSON."""
    started = time.perf_counter()
    if kind == "stock":
        counts = _stock_index(Path(corpus), Path(index_dir))
    else:
        counts = _ours_index(Path(corpus), Path(index_dir), jobs)
    counts["seconds"] = time.perf_counter() - started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    counts["cpu_main_s"] = own.ru_utime + own.ru_stime
    counts["cpu_writers_s"] = children.ru_utime + children.ru_stime
    print(json.dumps(counts))


def _tree_memory_bytes(root_pid: int) -> int:
    """Proportional set size (PSS) of a process and all its descendants, from /proc.

    PSS splits pages shared between processes (the dictionaries forked writers inherit)
    among them, so the sum is the memory the tree really holds; a sum of RSS would count
    shared pages once per process.
    """
    return int(sum(pss_mb(pid) for pid in tree_pids(root_pid)) * 1024 * 1024)


def measure(kind: str, corpus: Path, jobs: int) -> dict:
    index_dir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_index", "--worker", kind, str(corpus),
         str(index_dir), str(jobs)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_memory_bytes(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{kind} indexing failed with exit code {process.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    shutil.rmtree(index_dir, ignore_errors=True)
    result.update(kind=kind, index_bytes=size, peak_pss_bytes=peak,
                  docs_per_s=result["documents"] / result["seconds"],
                  mb_per_s=result["text_bytes"] / 1e6 / result["seconds"])
    return result


def _sample_corpus(every: int, folder: Path) -> Path:
    for path in sorted(SHARED_RECORDS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as source, \
                gzip.open(folder / path.name, "wt", encoding="utf-8") as target:
            target.writelines(itertools.islice(source, 0, None, every))
    return folder


def _line(result: dict, baseline: dict) -> str:
    return (f"  {result['kind']:6} {result['documents']:6} docs  {result['seconds']:7.1f} s  "
            f"{result['docs_per_s']:7.1f} docs/s  {result['mb_per_s']:5.2f} MB/s  "
            f"index {result['index_bytes'] / 1e6:6.1f} MB  peak memory (PSS) "
            f"{result['peak_pss_bytes'] / 1e6:6.0f} MB  CPU main {result['cpu_main_s']:5.0f} s "
            f"writers {result['cpu_writers_s']:5.0f} s  "
            f"x{result['docs_per_s'] / baseline['docs_per_s']:.2f} of stock docs/s")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1], argv[2], argv[3], int(argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=1,
                        help="index every Nth record only (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        corpus = SHARED_RECORDS if args.sample == 1 else _sample_corpus(args.sample, Path(tmp))
        print(f"indexing {corpus} (every {args.sample}. record) on {os.cpu_count()} CPUs")
        stock = measure("stock", corpus, 1)
        print(_line(stock, stock), flush=True)
        ours = measure("ours", corpus, args.jobs)
        print(_line(ours, stock), flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"index-{stamp}.json").write_text(json.dumps([stock, ours], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
