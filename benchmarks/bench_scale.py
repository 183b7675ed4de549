"""How cost grows with the record count: build, update and serve scale corpora of given sizes.

    python -m benchmarks.bench_scale [SIZE ...] [--seconds S] [--bind HOST:PORT] [--work DIR]
                                     [--again update,serve]
    make bench-scale SIZES="32793 100000"

For each size (default ``DEFAULT_SIZES``), in order:

1. the corpus: ``benchmarks.scale_corpus`` into ``var/scale/<size>/corpus`` (kept and reused
   while its manifest names the same size, seed and generator version);
2. ``searchsvc-index rebuild`` as a process of its own into a fresh ``var/scale/<size>/index``:
   wall time, and the peak memory of its whole process tree (the builder and its writer
   processes), sampled every ``SAMPLE_SECONDS`` from ``/proc/<pid>/smaps_rollup`` as the sum of
   PSS (proportional set size: a page shared by n processes counts 1/n in each, so the sum is
   what the tree really holds; summed RSS would count forked, shared pages once per process);
   the size on disk of the published generation;
3. ``searchsvc-index update`` after changing 1% of the records (every 100th record's body gains
   a sentence; the changed corpus is written beside the corpus and removed after): wall time,
   peak tree PSS, and its ratio to the rebuild's time;
4. real gunicorn, 2 workers, on ``--bind`` (``benchmarks.bench_search.served``): each worker's
   PSS once ``/health/ready`` answers (the table and plot show the larger of the two),
   ``/search`` at 8 clients for ``--seconds`` with ``bench_search``'s query mix (facets and
   snippets; the clients in another process), each worker's PSS after that load, ``/suggest``
   p50/p99 over ``SUGGESTS`` sequential requests, and the common
   phrase ``"korkein hallinto-oikeus"``: its first time and the median of 5 more.

``--again update,serve`` repeats step 3 and/or 4 on the index an earlier run left in ``--work``
(after a change to the update or the service) and keeps that run's other figures.

Prints a table, merges the figures by size into ``benchmarks/results/scale.json`` and draws
each figure against the record count into ``benchmarks/results/scale.png`` (matplotlib, the
``bench`` extra; without it the plot is skipped with a note), with issue 13's goal at 1M records
as a dashed line where it falls within twice the largest figure measured.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.bench_search import _load, percentile, query_mix, served
from benchmarks.scale_corpus import GENERATOR_VERSION, MANIFEST, SEED, SHARED_RECORDS, generate

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "scale"
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SIZES = (32_793, 100_000)
SAMPLE_SECONDS = 0.2
CHANGED_EVERY = 100
SUGGESTS = 200
PHRASE = '"korkein hallinto-oikeus"'
# (key, label, unit) of the figures that are plotted and tabled, in order.
FIGURES = (
    ("rebuild_s", "rebuild", "s"),
    ("rebuild_peak_pss_mb", "rebuild peak PSS (tree)", "MB"),
    ("index_mb", "index on disk", "MB"),
    ("update_s", "update of 1%", "s"),
    ("update_ratio", "update / rebuild", "x"),
    ("worker_pss_start_mb", "PSS per worker at start", "MB"),
    ("worker_pss_loaded_mb", "PSS per worker after load", "MB"),
    ("search_rps", "/search req/s (8 clients)", "req/s"),
    ("search_p50_ms", "/search p50", "ms"),
    ("search_p99_ms", "/search p99", "ms"),
    ("suggest_p99_ms", "/suggest p99", "ms"),
    ("phrase_first_ms", f"{PHRASE} first", "ms"),
    ("phrase_ms", f"{PHRASE} median", "ms"),
)

# Issue 13's goals at 1M records, drawn as dashed lines on the plot (same keys and units).
GOALS = {
    "rebuild_s": 45 * 60, "rebuild_peak_pss_mb": 4096, "update_ratio": 0.05,
    "worker_pss_loaded_mb": 1024, "search_rps": 80, "search_p99_ms": 150,
    "suggest_p99_ms": 20, "phrase_ms": 200,
}


# --- memory of a process tree -------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                # The command name (field 2) may hold spaces; the parent follows its ")".
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_pids(root: int) -> list[int]:
    tree, pids, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(tree.get(pid, []))
    return pids


def pss_mb(pid: int) -> float:
    """The process's PSS in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakTreeMemory:
    """Samples the summed PSS of ``pid`` and its descendants in a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(pss_mb(pid) for pid in tree_pids(self.pid))
            self.peak_mb = max(self.peak_mb, total)
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def run_indexer(*args: str | Path) -> tuple[float, float]:
    """``python -m indexer ARGS`` as a process of its own: (wall seconds, peak tree PSS MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", *map(str, args), "--progress", "none",
         "--log-format", "text"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    memory = PeakTreeMemory(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"indexer {args[0]} failed ({process.returncode}):\n{out}\n{err}")
    return seconds, peak


def folder_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


# --- the steps ------------------------------------------------------------------------------


def corpus_for(size: int, work: Path) -> tuple[Path, float | None]:
    """The cached scale corpus of ``size`` records (generated when missing or different), and
    the generator's speed in records/s when it ran (its manifest's)."""
    corpus = work / str(size) / "corpus"
    manifest = corpus / MANIFEST
    if manifest.is_file():
        known = json.loads(manifest.read_text(encoding="utf-8"))
        if (known.get("size"), known.get("seed"), known.get("version")) == (
            size, SEED, GENERATOR_VERSION
        ):
            return corpus, known.get("records_per_second")
    made = generate(size, corpus, SHARED_RECORDS, SEED)
    print(f"  generated {size} records in {made['seconds']} s "
          f"({made['records_per_second']} records/s)", flush=True)
    return corpus, made["records_per_second"]


def changed_corpus(corpus: Path, out: Path, round_: int = 0) -> int:
    """``corpus`` with every ``CHANGED_EVERY``-th record's body longer by a sentence (another
    for each ``round_``), streamed into ``out``; the number of records changed."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    changed = position = 0
    for part in sorted(corpus.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines, \
                gzip.open(out / part.name, "wt", encoding="utf-8", compresslevel=1) as written:
            for line in lines:
                if position % CHANGED_EVERY == 0:
                    record = json.loads(line)
                    record["body"] = (f"{record.get('body') or ''}\n\nMuutettu {position}."
                                      + (f" Kierros {round_}." if round_ else ""))
                    line = json.dumps(record, ensure_ascii=False) + "\n"
                    changed += 1
                written.write(line)
                position += 1
    return changed


def gunicorn_workers(bind: str) -> list[int]:
    """The worker pids of the gunicorn whose command line names ``bind``."""
    mine = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"gunicorn" in part for part in command) and bind.encode() in command:
                mine.add(int(entry))
    tree = _children()
    return sorted(child for pid in mine for child in tree.get(pid, []) if child in mine)


def get_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return (time.perf_counter() - started) * 1000


def serve_figures(index_dir: Path, bind: str, seconds: float) -> dict[str, Any]:
    from indexer import generations

    mix = query_mix(generations.current_generation(index_dir), 300)
    figures: dict[str, Any] = {}
    with served(index_dir, bind, workers=2) as base:
        workers = gunicorn_workers(bind)
        figures["workers"] = len(workers)
        figures["worker_pss_start_each_mb"] = [pss_mb(pid) for pid in workers]
        load = _load(base, mix, seconds)
        figures["worker_pss_loaded_each_mb"] = [pss_mb(pid) for pid in workers]
        for moment in ("start", "loaded"):
            figures[f"worker_pss_{moment}_mb"] = max(figures[f"worker_pss_{moment}_each_mb"])
        figures.update(search_rps=load["rps"], search_p50_ms=load["p50_ms"],
                       search_p99_ms=load["p99_ms"], search_errors=load["errors"],
                       search_requests=load["requests"])
        prefixes = [params["q"].strip('"').split()[0][:4] for params in mix][:SUGGESTS]
        suggests = [get_ms(f"{base}/suggest?" + urllib.parse.urlencode({"q": prefix}))
                    for prefix in prefixes]
        figures["suggest_p50_ms"] = statistics.median(suggests)
        figures["suggest_p99_ms"] = percentile(suggests, 0.99)
        phrase = f"{base}/search?" + urllib.parse.urlencode({"q": PHRASE})
        figures["phrase_first_ms"] = get_ms(phrase)
        figures["phrase_ms"] = statistics.median(get_ms(phrase) for _ in range(5))
        with urllib.request.urlopen(phrase, timeout=60) as answer:
            figures["phrase_total"] = json.load(answer).get("total")
    return figures


def measure(size: int, work: Path, bind: str, seconds: float) -> dict[str, Any]:
    from indexer import generations

    print(f"{size} records:", flush=True)
    figures: dict[str, Any] = {"records": size}
    corpus, figures["generate_records_per_s"] = corpus_for(size, work)
    index_dir = work / str(size) / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    figures["rebuild_s"], figures["rebuild_peak_pss_mb"] = run_indexer(
        "rebuild", "--corpus", corpus, "--index-dir", index_dir)
    figures["index_mb"] = folder_mb(generations.current_generation(index_dir))
    print(f"  rebuild {figures['rebuild_s']:.1f} s", flush=True)
    changed_dir = work / str(size) / "changed"
    figures["update_changed"] = changed_corpus(corpus, changed_dir)
    figures["update_s"], figures["update_peak_pss_mb"] = run_indexer(
        "update", "--corpus", changed_dir, "--index-dir", index_dir)
    shutil.rmtree(changed_dir)
    figures["update_ratio"] = figures["update_s"] / figures["rebuild_s"]
    print(f"  update {figures['update_s']:.1f} s; serving ...", flush=True)
    figures.update(serve_figures(index_dir, bind, seconds))
    figures["load_seconds"] = seconds
    return figures


def measure_again(size: int, work: Path, bind: str, seconds: float,
                  steps: set[str]) -> dict[str, Any]:
    """Steps 3 (``update``) and/or 4 (``serve``) again, on the index an earlier run built
    for ``size`` (after a change to the update or the service; the rebuild's figures stand).
    The update changes the same records as before, each by another new sentence."""
    index_dir = work / str(size) / "index"
    corpus = work / str(size) / "corpus"
    if not (index_dir / "CURRENT").is_file():
        raise SystemExit(f"no index built for {size} records in {index_dir}: run without "
                         "--again first")
    print(f"{size} records, again: {', '.join(sorted(steps))}", flush=True)
    figures: dict[str, Any] = {"records": size}
    if "update" in steps:
        changed_dir = work / str(size) / "changed"
        figures["update_changed"] = changed_corpus(corpus, changed_dir, round_=time.time_ns())
        figures["update_s"], figures["update_peak_pss_mb"] = run_indexer(
            "update", "--corpus", changed_dir, "--index-dir", index_dir)
        shutil.rmtree(changed_dir)
    if "serve" in steps:
        figures.update(serve_figures(index_dir, bind, seconds), load_seconds=seconds)
    return figures


# --- reporting ------------------------------------------------------------------------------


def table(runs: list[dict[str, Any]]) -> str:
    width = max(len(label) + len(unit) + 3 for _, label, unit in FIGURES)
    lines = [f"{'records':{width}}" + "".join(f"{run['records']:>12,}" for run in runs)]
    for key, label, unit in FIGURES:
        cells = "".join(f"{'-':>12}" if run.get(key) is None else f"{run[key]:>12.2f}"
                        if key.endswith("ratio") else f"{run[key]:>12.0f}"
                        if abs(run[key]) >= 100 else f"{run[key]:>12.1f}" for run in runs)
        lines.append(f"{label + ' (' + unit + ')':{width}}{cells}")
    return "\n".join(lines)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def save(runs: list[dict[str, Any]], results: Path) -> list[dict[str, Any]]:
    """Merges ``runs`` by record count into ``results/scale.json``; all runs, by size."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / "scale.json"
    known: dict[int, dict[str, Any]] = {}
    if path.is_file():
        known = {run["records"]: run for run in json.loads(path.read_text())["runs"]}
    for run in runs:  # a run --again replaces the figures of its steps only
        merged_run = {**known.get(run["records"], {}), **_rounded(run)}
        if "rebuild_s" in merged_run and "update_s" in merged_run:
            merged_run["update_ratio"] = round(merged_run["update_s"] / merged_run["rebuild_s"], 3)
        known[run["records"]] = merged_run
    merged = [known[size] for size in sorted(known)]
    path.write_text(json.dumps({"machine": f"{os.cpu_count()} CPUs", "runs": merged},
                               indent=1) + "\n", encoding="utf-8")
    return merged


def plot(runs: list[dict[str, Any]], results: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plot drawn")
        return None
    columns = 4
    rows = -(-len(FIGURES) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows))
    sizes = [run["records"] for run in runs]
    for axis, (key, label, unit) in zip(axes.flat, FIGURES, strict=False):
        measured = [(size, run[key]) for size, run in zip(sizes, runs, strict=True)
                    if run.get(key) is not None]  # a size may lack a figure (a failed step)
        axis.plot([size for size, _ in measured], [value for _, value in measured], marker="o")
        axis.set_title(label, fontsize=9)
        axis.set_xlabel("records", fontsize=8)
        axis.set_ylabel(unit, fontsize=8)
        if key in GOALS and measured and GOALS[key] <= 2 * max(value for _, value in measured):
            axis.axhline(GOALS[key], color="tab:red", linestyle="--", linewidth=1,
                         label="issue 13 goal at 1M")
            axis.legend(fontsize=7)
        axis.set_ylim(bottom=0)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(FIGURES):]:
        axis.axis("off")
    figure.suptitle("searchsvc: cost against the record count (make bench-scale)")
    figure.tight_layout()
    path = results / "scale.png"
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument("--seconds", type=float, default=20.0, help="/search load (20)")
    parser.add_argument("--bind", default="127.0.0.1:18640", help="gunicorn's address")
    parser.add_argument("--work", type=Path, default=WORK, help=f"cache ({WORK})")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"figures ({RESULTS})")
    parser.add_argument("--again", type=lambda text: set(text.split(",")), default=set(),
                        metavar="update,serve",
                        help="these steps again, on the indexes an earlier run built")
    args = parser.parse_args(argv)
    if args.again - {"update", "serve"}:
        parser.error(f"--again takes update and/or serve, not {','.join(args.again)}")
    merged: list[dict[str, Any]] = []
    for size in args.sizes:  # saved size by size: a long run stopped keeps what it measured
        if args.again:
            run = measure_again(size, args.work, args.bind, args.seconds, args.again)
        else:
            run = measure(size, args.work, args.bind, args.seconds)
        merged = save([run], args.results)
    print(table([run for run in merged if run["records"] in args.sizes]))
    drawn = plot(merged, args.results)
    print(f"figures: {args.results / 'scale.json'}" + (f", plot: {drawn}" if drawn else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
