"""What an export (``/search?format=csv|jsonl``) costs: records/s and worker memory, over HTTP.

    python -m benchmarks.bench_export [--index-dir DIR] [--bind HOST:PORT] [--searches N]

Builds an index of ``../shared/records`` (32,793 records) unless ``--index-dir`` names one
already built, serves it with real gunicorn (one worker, so every request lands on the
process measured; ``SEARCHSVC_EXPORT_MAX_RECORDS=40000`` so that an export of everything
holds every record) and, in the same run:

- a plain ``/search`` baseline: ``--searches`` pages of 100 hits with facets and snippets
  (the query mix of ``benchmarks.bench_search``), the worker's PSS sampled throughout;
- exports, each streamed to the end by a client reading 64 kB at a time: every record as
  CSV and as JSON Lines (``q=`` empty), and the hits of a common word of each language.

For each it prints records/s and bytes/s at the client (the time includes the search
itself: a word's first search in the worker reads its postings), and the worker's peak PSS
(``/proc/<pid>/smaps_rollup``, sampled every 10 ms while the request runs) against its PSS
just before, and against the peak of the ``/search`` baseline. An export streamed in batches
peaks near the baseline, however many records it holds; one built in memory would grow with
the body (tens of MB for all records).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from pathlib import Path

from benchmarks.bench_search import full_index, query_mix, served

EXPORT_LIMIT = 40_000
# Common words of each language in the records (thousands of hits each).
COMMON_WORDS = ("kaupunki", "domstol", "government")
CHUNK = 64 * 1024


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def pss_kb(pid: int) -> int:
    """The proportional set size of a process, in kB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def gunicorn_worker() -> int:
    """The one worker of the gunicorn this process started."""
    for _ in range(100):
        masters = [p for p in children(os.getpid())
                   if b"gunicorn" in Path(f"/proc/{p}/cmdline").read_bytes()]
        workers = [w for m in masters for w in children(m)]
        if len(workers) == 1:
            return workers[0]
        time.sleep(0.1)
    raise RuntimeError("no single gunicorn worker found")


class PeakMemory:
    """The highest PSS of a process while a block runs, sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval = pid, interval
        self.before = self.peak = pss_kb(pid)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, pss_kb(self.pid))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, pss_kb(self.pid))


def stream(url: str) -> tuple[Message, int, float]:
    """Headers, body bytes and seconds of a GET read to the end, ``CHUNK`` at a time."""
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=600) as answer:
        headers = answer.headers
        while chunk := answer.read(CHUNK):
            size += len(chunk)
    return headers, size, time.perf_counter() - started


def measured(pid: int, run: Callable[[], object]) -> tuple[PeakMemory, object]:
    with PeakMemory(pid) as memory:
        result = run()
    return memory, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--bind", default="127.0.0.1:18611")
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args(argv)

    from indexer import generations

    index_dir = full_index(args.index_dir, "export")
    mix = query_mix(generations.current_generation(index_dir), args.searches)

    with served(index_dir, args.bind, workers=1,
                export_max_records=str(EXPORT_LIMIT)) as base:
        worker = gunicorn_worker()
        search_url = f"{base}/search?"
        # Warm the worker as a day of searches would: open, score, snippets, each word list.
        for params in mix[:20]:
            stream(search_url + urllib.parse.urlencode({**params, "size": 100}))
        searches, timings = measured(worker, lambda: [
            stream(search_url + urllib.parse.urlencode({**params, "size": 100}))[2]
            for params in mix])
        assert isinstance(timings, list)
        print(f"gunicorn, 1 worker (pid {worker}), export limit {EXPORT_LIMIT:,}; "
              f"worker PSS {searches.before / 1024:.1f} MB after warming up")
        print(f"  baseline /search, {len(mix)} pages of 100 hits: median "
              f"{statistics.median(timings) * 1000:.0f} ms; peak PSS "
              f"{searches.peak / 1024:.1f} MB ({searches.samples} samples)")
        exports = [("every record, csv", {"q": "", "format": "csv"}),
                   ("every record, jsonl", {"q": "", "format": "jsonl"}),
                   ("every record, csv ;, newest", {"q": "", "format": "csv",
                                                     "delimiter": "semicolon",
                                                     "sort": "newest"})]
        exports += [(f"q={word}, csv", {"q": word, "format": "csv"}) for word in COMMON_WORDS]
        for name, params in exports:
            url = search_url + urllib.parse.urlencode(params)
            memory, result = measured(worker, lambda url=url: stream(url))
            headers, size, seconds = result  # type: ignore[misc]
            count = int(headers["X-Export-Count"])
            print(f"  {name:28} {count:6,} of {int(headers['X-Total-Count']):6,} records "
                  f"in {seconds:5.1f} s: {count / seconds:6,.0f} records/s, "
                  f"{size / seconds / 1e6:5.1f} MB/s ({size / 1e6:5.1f} MB)")
            print(f"  {'':28} peak PSS {memory.peak / 1024:6.1f} MB: "
                  f"{(memory.peak - memory.before) / 1024:+5.1f} MB "
                  f"(x{memory.peak / memory.before:.3f}) over before, "
                  f"{(memory.peak - searches.peak) / 1024:+5.1f} MB "
                  f"(x{memory.peak / searches.peak:.3f}) over the /search peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
