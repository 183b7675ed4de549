"""An incremental update against a full rebuild, on all records.

    python -m benchmarks.bench_update [--changed 0.01] [--jobs N]

Copies ``../shared/records`` (32,793 records) into a scratch corpus, rebuilds an index from it
(the baseline, timed), then changes a fraction of the records (their body gains a sentence),
removes as many, adds as many new ones, and times ``searchsvc-index update``. A second update
withholds the same number of records through a removal list. Each step runs as the CLI does,
in a process of its own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDS = ROOT.parent / "shared" / "records"
SEED = 20261124


def _records() -> list[dict]:
    records = []
    for path in sorted(SHARED_RECORDS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle)
    return records


def _write(corpus: Path, records: list[dict]) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    with gzip.open(corpus / "records.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _cli(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "indexer", *args, "--progress", "none", "--log-format", "text"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed:\n{done.stderr}")
    return seconds, done.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    rng = random.Random(SEED)
    records = _records()
    count = max(1, int(len(records) * args.changed))
    with tempfile.TemporaryDirectory(prefix="bench-update-") as scratch:
        root = Path(scratch)
        corpus, index_dir = root / "corpus", root / "index"
        _write(corpus, records)
        rebuild_seconds, _ = _cli("rebuild", "--corpus", str(corpus), "--index-dir",
                                  str(index_dir), "--jobs", str(args.jobs))

        picked = rng.sample(range(len(records)), 3 * count)
        changed, gone, withheld = picked[:count], picked[count : 2 * count], picked[2 * count :]
        for i in changed:
            records[i] = {**records[i], "body": records[i]["body"] + " Päivitetty 24.11.2026."}
        new = [
            {**records[i], "id": f"bench:new:{n}", "body": records[i]["body"] + " Uusi."}
            for n, i in enumerate(rng.sample(range(len(records)), count))
        ]
        removed = set(gone)
        shutil.rmtree(corpus)
        _write(corpus, [r for i, r in enumerate(records) if i not in removed] + new)
        update_seconds, out = _cli("update", "--corpus", str(corpus), "--index-dir",
                                   str(index_dir), "--jobs", str(args.jobs),
                                   "--allow-removals", str(count))

        removals = root / "removals.txt"
        removals.write_text("".join(records[i]["id"] + "\n" for i in withheld), encoding="utf-8")
        withheld_seconds, out2 = _cli("update", "--corpus", str(corpus), "--index-dir",
                                      str(index_dir), "--removals", str(removals))

    print(f"{len(records)} records; {count} changed, {count} removed, {count} added "
          f"({args.changed:.0%} each)")
    print(f"  full rebuild               {rebuild_seconds:7.1f} s")
    print(f"  update                     {update_seconds:7.1f} s   "
          f"x{rebuild_seconds / update_seconds:.1f} faster")
    print(f"  update withholding {count:<5}   {withheld_seconds:7.1f} s   "
          f"x{rebuild_seconds / withheld_seconds:.1f} faster")
    for line in (out + out2).splitlines():
        if "from:" in line or "steps:" in line:
            print("   " + line.strip())


if __name__ == "__main__":
    main()
