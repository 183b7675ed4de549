"""Write the shipped corpus: a curated, deterministic selection of the real records.

Run from anywhere as ``.venv/bin/python corpus/make_corpus.py``; it reads ``<repo>/../shared``
(records and seed pages) and rewrites ``corpus/records`` and ``corpus/pages``. Records are
copied byte for byte (the JSON lines as published); the selection depends only on the input,
not on the run, and the gzip files carry no timestamp, so reruns give identical files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
OUT = REPO / "corpus"

HELSINKI = "helsinki-ahjo.jsonl.gz"
FINLEX_FI = "finlex-fi.jsonl.gz"
FINLEX_SV = "finlex-sv.jsonl.gz"
UKPARL = "ukparl-written-answers.jsonl.gz"

# Finnish-Swedish twin pairs taken per court and year (KKO has pairs 1980-2025, KHO 2001-2018).
PAIRS_PER_YEAR = {"kko": 12, "kho": 16}
# A few court decisions run to several hundred kilobytes; they would dominate the download.
MAX_BODY_CHARS = 80_000
FINNISH_ONLY = 320
# UK answers: every department gets a floor, the rest is shared in proportion to its size.
UK_FLOOR = 10
UK_PROPORTIONAL = 1200

SEED_PAGES = {
    "000_e5ce6d2af453161b": {
        "id": "seed:helsinki-audit:informal-carers",
        "title": "Services in Family and Social Services to support the well-being of informal "
        "carers",
        "organization": "City of Helsinki",
        "division": "Social Services, Health Care and Rescue Services Division",
        "doc_type": "Assessment",
        "language": "en",
    },
    "001_ccc618685df0d0c3": {
        "id": "seed:ostrobothnia:council-question-support-relationships",
        "title": "Svar på fullmäktigefrågan om hur väl de tjänster fungerar som ersätter köp av "
        "stödrelationer för barn och unga",
        "organization": "Välfärdsområdet i Österbotten",
        "division": "Välfärdsområdesfullmäktige",
        "doc_type": "Svar på fullmäktigefråga",
        "language": "sv",
    },
    "002_9a121b0bd461c2d0": {
        "id": "seed:socialstyrelsen:anhorigstod-2007",
        "title": "Kommunernas anhörigstöd - Utvecklingsläget 2007",
        "organization": "Socialstyrelsen",
        "doc_type": "Publikation",
        "language": "sv",
    },
    "003_ec58a30cbbd91bde": {
        # English assessment followed by readers' comments in Finnish: no page language.
        "id": "seed:helsinki-audit:social-guidance-families",
        "title": "Social guidance for families with children",
        "organization": "City of Helsinki",
        "division": "Social Services, Health Care and Rescue Services Division",
        "doc_type": "Assessment",
    },
    "004_d5eb1f4dc494206e": {
        "id": "seed:helsinki-audit:evaluation-report-social-services",
        "title": "Evaluation report: Social Services, Health Care and Rescue Services Division",
        "organization": "City of Helsinki",
        "division": "Social Services, Health Care and Rescue Services Division",
        "doc_type": "Evaluation report",
        "language": "en",
    },
}
PAGES_DEFAULTS = {"source": "seed pages captured from the web (see corpus/README.md)"}
SIDECAR_SUFFIX = ".meta.json"
FOLDER_META = "folder.meta.json"


def _rank(record_id: str) -> str:
    """A stable pseudo-random order: records sorted by this are an unbiased sample."""
    return hashlib.sha1(record_id.encode("utf-8")).hexdigest()


def spread(items: Iterable[dict], count: int, stratum: Callable[[dict], Hashable]) -> list[dict]:
    """``count`` items taken round-robin over the strata, in hash order within each."""
    groups: dict[Hashable, list[dict]] = defaultdict(list)
    for item in items:
        groups[stratum(item)].append(item)
    queues = [sorted(groups[key], key=lambda r: _rank(r["id"])) for key in sorted(groups, key=str)]
    chosen: list[dict] = []
    depth = 0
    while len(chosen) < count and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(chosen) < count:
                chosen.append(queue[depth])
        depth += 1
    return chosen


def read(path: Path) -> list[tuple[str, dict]]:
    """Each line (as published, for copying unchanged) with its parsed record."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [(line.rstrip("\n"), json.loads(line)) for line in handle if line.strip()]


def court(record: dict) -> str:
    return record["id"].split(":")[1]


def select_finlex(fi_lines: list[tuple[str, dict]], sv_lines: list[tuple[str, dict]]):
    fi = {r["id"]: r for _, r in fi_lines}
    sv = {r["id"]: r for _, r in sv_lines}
    pairs = [
        r for r in fi.values()
        if r["parallel_id"] in sv and sv[r["parallel_id"]]["parallel_id"] == r["id"]
    ]
    small = [r for r in pairs if len(r["body"]) <= MAX_BODY_CHARS]
    chosen: list[dict] = []
    for name, per_year in PAIRS_PER_YEAR.items():
        of_court = [r for r in small if court(r) == name]
        years = {r["year"] for r in of_court}
        chosen += spread(of_court, per_year * len(years), lambda r: r["year"])
    # Records without a date, on either side, exercise the fallback to dates in the text.
    for r in pairs:
        if (r["date"] is None or sv[r["parallel_id"]]["date"] is None) and r not in chosen:
            chosen.append(r)
    fi_ids = {r["id"] for r in chosen}
    sv_ids = {r["parallel_id"] for r in chosen}

    alone = [r for r in fi.values() if not r["parallel_id"] and len(r["body"]) <= MAX_BODY_CHARS]
    extra = [r for r in alone if court(r) == "kko" or r["date"] is None]
    rest = [r for r in alone if r not in extra]
    extra += spread(rest, FINNISH_ONLY - len(extra), lambda r: (r["doc_type"], r["year"]))
    fi_ids |= {r["id"] for r in extra}
    return fi_ids, sv_ids


def select_uk(lines: list[tuple[str, dict]]) -> set[str]:
    records = [r for _, r in lines]
    by_department: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_department[r["division"]].append(r)
    chosen: set[str] = set()
    for department in sorted(by_department):
        items = by_department[department]
        quota = UK_FLOOR + round(UK_PROPORTIONAL * len(items) / len(records))
        chosen |= {r["id"] for r in spread(items, quota, lambda r: r["year"])}
    return chosen


def write_records(path: Path, lines: list[tuple[str, dict]], keep: set[str] | None) -> list[dict]:
    kept = [(line, r) for line, r in lines if keep is None or r["id"] in keep]
    with open(path, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as handle:
        for line, _ in kept:
            handle.write(line.encode("utf-8") + b"\n")
    return [r for _, r in kept]


def write_pages(seeds: Path, pages: Path) -> None:
    if pages.exists():
        shutil.rmtree(pages)
    pages.mkdir(parents=True)
    for name, meta in SEED_PAGES.items():
        shutil.copyfile(seeds / f"{name}.txt", pages / f"{name}.txt")
        (pages / f"{name}{SIDECAR_SUFFIX}").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    (pages / FOLDER_META).write_text(
        json.dumps(PAGES_DEFAULTS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def summary(written: dict[str, list[dict]]) -> str:
    rows = [
        "| file | records | language | years | doc_type (source) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, records in written.items():
        languages = Counter(r["language"] for r in records)
        years = [r["year"] for r in records if r["year"] is not None]
        types = Counter(r["doc_type"] for r in records)
        rows.append(
            f"| `{name}` | {len(records)} | "
            + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
            + f" | {min(years)}–{max(years)} | "
            + ", ".join(f"{k} {v}" for k, v in sorted(types.items()))
            + " |"
        )
    total = sum(len(r) for r in written.values())
    rows.append(f"| total | {total} | | | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder with records/, seeds/")
    args = parser.parse_args(argv)
    source = args.shared / "records"

    helsinki = read(source / HELSINKI)
    fi_lines = read(source / FINLEX_FI)
    sv_lines = read(source / FINLEX_SV)
    uk_lines = read(source / UKPARL)
    fi_ids, sv_ids = select_finlex(fi_lines, sv_lines)
    uk_ids = select_uk(uk_lines)

    records = OUT / "records"
    if records.exists():
        shutil.rmtree(records)
    records.mkdir(parents=True)
    written = {
        HELSINKI: write_records(records / HELSINKI, helsinki, None),
        FINLEX_FI: write_records(records / FINLEX_FI, fi_lines, fi_ids),
        FINLEX_SV: write_records(records / FINLEX_SV, sv_lines, sv_ids),
        UKPARL: write_records(records / UKPARL, uk_lines, uk_ids),
    }
    write_pages(args.shared / "seeds", OUT / "pages")

    print(summary(written))
    sizes = {p.name: p.stat().st_size for p in sorted(records.iterdir())}
    for name, size in sizes.items():
        print(f"{name}: {size / 1e6:.2f} MB")
    print(f"records total: {sum(sizes.values()) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
