"""Shared fixtures: real records from ../shared and the shipped corpus."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = ROOT / "corpus"


def write_small_corpus(folder: Path, per_file: int = 30) -> Path:
    """Real records: the first lines of each shipped file, the Swedish court decisions' Finnish
    twins among them, and the seed pages with their sidecars."""
    import gzip
    import itertools
    import json
    import shutil

    records = folder / "records"
    records.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for path in sorted((CORPUS / "records").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines.extend(itertools.islice(handle, per_file))
    wanted = {json.loads(line).get("parallel_id") for line in lines} - {None}
    have = {json.loads(line)["id"] for line in lines}
    with gzip.open(CORPUS / "records" / "finlex-fi.jsonl.gz", "rt", encoding="utf-8") as handle:
        lines.extend(line for line in handle if json.loads(line)["id"] in wanted - have)
    (records / "records.jsonl").write_text("".join(lines), encoding="utf-8")
    shutil.copytree(CORPUS / "pages", folder / "pages", dirs_exist_ok=True)
    return folder
