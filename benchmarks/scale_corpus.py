"""A deterministic scale corpus: N records made from real ones, for measuring how cost grows.

    python -m benchmarks.scale_corpus --size N --out DIR [--source ../shared/records] [--seed S]

The source records (every ``*.jsonl`` / ``*.jsonl.gz`` file under ``--source``, in name order,
as ``indexer.readers`` walks a folder) are written again and again: copy 0 of each record is
the record unchanged, copy k > 0 of a record is the same record with

- a new id ``<id>~k<k>`` (``~`` appears in no source id, so ids stay unique);
- its ``parallel_id`` (the fi/sv twin link) pointing at the twin's copy k, so twins stay linked
  both ways within a copy;
- its ``date`` moved back by 1 day to 10 years (the same shift for both twins of a pair) and its
  ``year`` set to the new date's year (the indexer rejects a year that disagrees with the date);
  a record with a year and no date has its year moved back by the same whole years. Dates stay
  within ``indexer.contract.YEAR_MIN``..``YEAR_MAX``;
- for a City of Helsinki record, the organisation of another real Finnish municipality (these
  are not in ``corpus/vocabulary.json``, so the indexer files them as ``other:<slug>``, as it
  would a real municipality's records; the Helsinki divisions stay valid vocabulary keys);
- about 10% of the body's sentences dropped (never the first, which often repeats the title;
  the title itself is kept so a copy stays recognisable).

When N is not a multiple of the source's count, the last copy holds the remaining records
spread evenly over the source (every source file in proportion, so that 5,000 records are not
all Finnish court decisions); in it, a link to a twin the copy does not hold is dropped (the
record becomes a plain one) rather than left dangling.

Which sentences go, which municipality and which shift are drawn from ``random.Random`` seeded
with the seed, the copy number and the record's (or its pair's) id, so the same arguments give
byte-identical files: records are written in order (all of copy 0, then copy 1, ...) as gzip'd
JSONL, ``RECORDS_PER_FILE`` to a file (``part-00000.jsonl.gz``, ...; gzip headers carry no
time or name), and ``manifest.json`` (which the indexer's readers skip) is written last with
the arguments and the counts: a folder without it is an unfinished run.

Memory: one source record at a time, plus the set of source ids (to know which twins exist).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from indexer.contract import YEAR_MAX, YEAR_MIN

ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDS = ROOT.parent / "shared" / "records"
SEED = 20261124
RECORDS_PER_FILE = 20_000
MANIFEST = "manifest.json"
# Raised whenever the same arguments would give other records, so cached corpora are remade.
GENERATOR_VERSION = 2
COPY_MARK = "~k"
DROP_SHARE = 0.10
MAX_SHIFT_DAYS = 3652
HELSINKI = "city of helsinki"
# Real Finnish municipalities other than Helsinki, as their records would name themselves.
MUNICIPALITIES = (
    "Espoon kaupunki", "Vantaan kaupunki", "Tampereen kaupunki", "Turun kaupunki",
    "Oulun kaupunki", "Jyväskylän kaupunki", "Kuopion kaupunki", "Lahden kaupunki",
    "Porin kaupunki", "Joensuun kaupunki", "Lappeenrannan kaupunki", "Vaasan kaupunki",
    "Seinäjoen kaupunki", "Rovaniemen kaupunki", "Kotkan kaupunki", "Porvoon kaupunki",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'(])")
_LINE_BREAKS = re.compile(r"(\n+)")


def source_files(source: Path) -> list[Path]:
    """The record files under ``source`` in the order the indexer's readers walk them."""
    if source.is_file():
        return [source]
    found: list[Path] = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                walk(entry)
            elif entry.name.lower().endswith((".jsonl", ".jsonl.gz")):
                found.append(entry)

    walk(source)
    return found


def source_records(files: list[Path]) -> Iterator[dict[str, Any]]:
    for path in files:
        opened = gzip.open(path, "rt", encoding="utf-8") if path.name.endswith(".gz") else (
            open(path, encoding="utf-8"))
        with opened as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def copy_id(record_id: str, copy: int) -> str:
    return record_id if copy == 0 else f"{record_id}{COPY_MARK}{copy}"


def _rng(seed: int, copy: int, key: str) -> random.Random:
    return random.Random(f"{seed}:{copy}:{key}")


def _vary_body(body: str, rng: random.Random) -> str:
    """The body without about ``DROP_SHARE`` of its sentences (never the first); line breaks
    between the remaining paragraphs are kept."""
    pieces = _LINE_BREAKS.split(body)
    kept: list[str] = []
    first = True
    for index, piece in enumerate(pieces):
        if index % 2:  # a run of line breaks
            if kept and not kept[-1].startswith("\n"):
                kept.append(piece)
            continue
        if not piece.strip():
            continue
        sentences = []
        for sentence in _SENTENCE_END.split(piece):
            if first or rng.random() >= DROP_SHARE:
                sentences.append(sentence)
            first = False
        if sentences:
            kept.append(" ".join(sentences))
    while kept and kept[-1].startswith("\n"):
        kept.pop()
    return "".join(kept)


def _shifted(date_text: str, days: int) -> str | None:
    try:
        date = dt.date.fromisoformat(date_text[:10])
    except ValueError:
        return None
    moved = date - dt.timedelta(days=days)
    if moved.year < YEAR_MIN or moved.year > YEAR_MAX:
        return None
    return moved.isoformat() + date_text[10:]


def make_copy(record: dict[str, Any], copy: int, seed: int, twins: set[str]) -> dict[str, Any]:
    """Copy ``copy`` of ``record``; ``twins``: the ids a ``parallel_id`` may point to."""
    if copy == 0:
        return record
    out = dict(record)
    record_id = str(record["id"])
    twin = record.get("parallel_id")
    out["id"] = copy_id(record_id, copy)
    if isinstance(twin, str) and twin:
        out["parallel_id"] = copy_id(twin, copy) if twin in twins else None
    pair_key = min(record_id, twin) if isinstance(twin, str) and twin else record_id
    days = _rng(seed, copy, pair_key).randint(1, MAX_SHIFT_DAYS)
    date = record.get("date")
    if isinstance(date, str) and date.strip():
        moved = _shifted(date, days)
        if moved is not None:
            out["date"] = moved
            out["year"] = int(moved[:4])
    elif isinstance(record.get("year"), int):
        year = record["year"] - days // 365
        out["year"] = max(YEAR_MIN, year)
    rng = _rng(seed, copy, record_id)
    organization = record.get("organization")
    if isinstance(organization, str) and HELSINKI in organization.casefold():
        out["organization"] = MUNICIPALITIES[rng.randrange(len(MUNICIPALITIES))]
    body = record.get("body")
    if isinstance(body, str):
        out["body"] = _vary_body(body, rng)
    return out


class _PartWriter:
    """Gzip'd JSONL parts of ``RECORDS_PER_FILE`` records, with no time or name in the headers."""

    def __init__(self, out: Path, per_file: int) -> None:
        self.out, self.per_file = out, per_file
        self.files = 0
        self.in_file = 0
        self._raw: Any = None
        self._text: TextIO | None = None

    def write(self, record: dict[str, Any]) -> None:
        if self._text is None or self.in_file == self.per_file:
            self.close()
            self._raw = open(self.out / f"part-{self.files:05d}.jsonl.gz", "wb")
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0,
                               compresslevel=1)
            self._text = io.TextIOWrapper(gz, encoding="utf-8", newline="\n")
            self.files += 1
            self.in_file = 0
        self._text.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.in_file += 1

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
            self._raw.close()
            self._text = None


def generate(size: int, out: Path, source: Path = SHARED_RECORDS, seed: int = SEED,
             per_file: int = RECORDS_PER_FILE) -> dict[str, Any]:
    """Write the corpus of ``size`` records into ``out``; the manifest (also returned)."""
    if size < 0:
        raise ValueError("size must be 0 or more")
    files = source_files(source)
    started = time.perf_counter()
    ids = [str(record["id"]) for record in source_records(files)]
    if not ids:
        raise ValueError(f"{source}: no records")
    if any(COPY_MARK in record_id for record_id in ids):
        raise ValueError(f"{source}: an id holds {COPY_MARK!r}; copies' ids would clash")
    total = len(ids)
    full_copies, rest = divmod(size, total)
    every = set(ids)
    partial = {record_id for position, record_id in enumerate(ids)
               if _in_partial_copy(position, rest, total)}
    del ids
    out.mkdir(parents=True, exist_ok=True)
    for old in (*out.glob("part-*.jsonl.gz"), out / MANIFEST):
        old.unlink(missing_ok=True)
    writer = _PartWriter(out, per_file)
    written = 0
    try:
        for copy in range(full_copies + (1 if rest else 0)):
            twins = every if copy < full_copies else partial
            for position, record in enumerate(source_records(files)):
                if copy == full_copies and not _in_partial_copy(position, rest, total):
                    continue
                if copy == full_copies and copy == 0:
                    record = _without_missing_twin(record, twins)
                writer.write(make_copy(record, copy, seed, twins))
                written += 1
    finally:
        writer.close()
    seconds = time.perf_counter() - started
    manifest = {"size": written, "seed": seed, "version": GENERATOR_VERSION, "source": str(source),
                "source_records": len(every), "files": writer.files,
                "records_per_file": per_file, "seconds": round(seconds, 2),
                "records_per_second": round(written / seconds) if seconds else None}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _in_partial_copy(position: int, rest: int, total: int) -> bool:
    """Whether the last copy, of ``rest`` of the ``total`` source records, holds the one at
    ``position``: ``rest`` positions spread evenly over the source, so that a small corpus
    holds every source file's records (and languages) in proportion, not the first file's."""
    return (position + 1) * rest // total > position * rest // total


def _without_missing_twin(record: dict[str, Any], twins: set[str]) -> dict[str, Any]:
    """Copy 0 of a corpus smaller than its source: a link to a twin left out is dropped."""
    twin = record.get("parallel_id")
    if isinstance(twin, str) and twin and twin not in twins:
        return {**record, "parallel_id": None}
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, required=True, help="records to write")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--source", type=Path, default=SHARED_RECORDS,
                        help=f"folder of real records (default: {SHARED_RECORDS})")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    manifest = generate(args.size, args.out, args.source, args.seed)
    print(f"{manifest['size']} records in {manifest['files']} files in {args.out}, "
          f"{manifest['seconds']} s ({manifest['records_per_second']} records/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
