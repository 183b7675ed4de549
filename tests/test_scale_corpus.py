"""The scale corpus generator (benchmarks/scale_corpus.py) on a small slice of the shipped
records: exact counts, byte-identical reruns, unique ids, linked twins, a corpus the indexer's
checker accepts, and copies that differ from their originals."""

from __future__ import annotations

import gzip
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.scale_corpus import COPY_MARK, MANIFEST, generate
from indexer.contract import YEAR_MAX, YEAR_MIN


def _read(folder: Path) -> list[dict[str, Any]]:
    records = []
    for part in sorted(folder.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            records.extend(json.loads(line) for line in lines)
    return records


def _copy_of(record_id: str) -> int:
    return int(record_id.rsplit(COPY_MARK, 1)[1]) if COPY_MARK in record_id else 0


@pytest.fixture(scope="module")
def source(write_corpus: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale-source")
    return write_corpus(folder, 12, pages=False) / "records"


@pytest.fixture(scope="module")
def source_records(source: Path) -> list[dict[str, Any]]:
    lines = (source / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def size(source_records: list[dict[str, Any]]) -> int:
    """Three full copies and part of a fourth."""
    return 3 * len(source_records) + len(source_records) // 2


@pytest.fixture(scope="module")
def scaled(source: Path, size: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scaled") / "corpus"
    generate(size, out, source, seed=7, per_file=40)
    return out


def test_writes_exactly_the_size_asked_in_parts(scaled: Path, size: int) -> None:
    records = _read(scaled)
    assert len(records) == size
    assert len(list(scaled.glob("part-*.jsonl.gz"))) == -(-size // 40)
    assert json.loads((scaled / MANIFEST).read_text())["size"] == size


def test_same_arguments_give_identical_bytes(source: Path, size: int, scaled: Path,
                                             tmp_path: Path) -> None:
    generate(size, tmp_path / "again", source, seed=7, per_file=40)
    generate(size, tmp_path / "other", source, seed=8, per_file=40)
    parts = sorted(p.name for p in scaled.glob("part-*.jsonl.gz"))
    assert parts == sorted(p.name for p in (tmp_path / "again").glob("part-*.jsonl.gz"))
    for name in parts:
        assert (scaled / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert _read(tmp_path / "other") != _read(scaled)


def test_ids_are_unique_and_copy_zero_is_the_source(
    scaled: Path, source_records: list[dict[str, Any]]
) -> None:
    records = _read(scaled)
    ids = [record["id"] for record in records]
    assert len(set(ids)) == len(ids)
    assert records[: len(source_records)] == source_records


def test_twins_are_linked_both_ways_within_each_copy(scaled: Path) -> None:
    records = {record["id"]: record for record in _read(scaled)}
    linked = [record for record in records.values() if record.get("parallel_id")]
    assert len({_copy_of(record["id"]) for record in linked}) == 4
    for record in linked:
        twin = records[record["parallel_id"]]
        assert twin["parallel_id"] == record["id"]
        assert _copy_of(twin["id"]) == _copy_of(record["id"])
        assert twin["language"] != record["language"]
        assert twin["date"] == record["date"]


def test_dates_move_and_agree_with_years(scaled: Path,
                                         source_records: list[dict[str, Any]]) -> None:
    originals = {record["id"]: record for record in source_records}
    moved = 0
    for record in _read(scaled):
        if record.get("date"):
            assert int(record["date"][:4]) == record["year"]
            assert YEAR_MIN <= record["year"] <= YEAR_MAX
            original = originals[record["id"].split(COPY_MARK)[0]]
            moved += record["date"] < original["date"]
    assert moved > len(source_records)


def test_copies_differ_in_text_and_keep_titles(
    scaled: Path, source_records: list[dict[str, Any]]
) -> None:
    originals = {record["id"]: record for record in source_records}
    copies = [record for record in _read(scaled) if _copy_of(record["id"])]
    changed = 0
    for record in copies:
        original = originals[record["id"].split(COPY_MARK)[0]]
        assert record["title"] == original["title"]
        changed += record["body"] != original["body"]
        assert len(record["body"]) <= len(original["body"])
    assert changed > len(copies) // 3
    helsinki = [record for record in copies if record["id"].startswith("helsinki:")]
    assert helsinki and all("Helsin" not in record["organization"] for record in helsinki)


def test_the_indexer_checker_finds_no_problem(scaled: Path, size: int,
                                              cli: Callable[..., Any]) -> None:
    ran = cli("check", scaled)
    assert ran.returncode == 0, ran.stdout
    assert f"{size} good records, 0 problems" in ran.stdout


def test_a_corpus_smaller_than_its_source_takes_every_file_and_leaves_no_link_dangling(
    source: Path, source_records: list[dict[str, Any]], tmp_path: Path
) -> None:
    size = len(source_records) * 2 // 5  # not a spacing that keeps the slice's twins in step
    generate(size, tmp_path / "half", source, per_file=40)
    records = _read(tmp_path / "half")
    ids = {record["id"] for record in records}
    assert len(records) == size
    prefixes = {record["id"].rsplit(":", 1)[-1] for record in records}
    assert {"fi", "sv"} <= prefixes
    assert any(r["id"].startswith("ukparl:") for r in records)
    assert any(r["id"].startswith("helsinki:") for r in records)
    assert all(r["parallel_id"] in ids for r in records if r.get("parallel_id"))
    assert any(not r.get("parallel_id") and any(s["id"] == r["id"] and s.get("parallel_id")
                                                for s in source_records) for r in records)


def _doc_commands(root: Path, program: str) -> list[str]:
    text = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.startswith(program)]


@pytest.mark.slow
def test_the_documented_generator_example_gives_a_corpus_the_checker_accepts(
    root: Path, tmp_path: Path
) -> None:
    """docs/performance.md's two commands, exactly, in a scratch folder holding the shipped
    corpus (``.venv/bin/`` is this interpreter's folder)."""
    (tmp_path / "corpus").symlink_to(root / "corpus")
    commands = _doc_commands(root, ".venv/bin/")
    assert [c.split()[0] for c in commands if "scale_corpus" in c or " check " in c] == [
        ".venv/bin/python", ".venv/bin/searchsvc-index"]
    bin_dir = Path(sys.executable).parent
    environ = {**os.environ, "PYTHONPATH": str(root)}
    ran = None
    for command in commands:
        if "scale_corpus" not in command and " check " not in command:
            continue
        words = shlex.split(command)
        words[0] = str(bin_dir / words[0].removeprefix(".venv/bin/"))
        ran = subprocess.run(words, cwd=tmp_path, env=environ, capture_output=True, text=True,
                             timeout=300)
        assert ran.returncode == 0, ran.stderr
    assert ran is not None and ran.stdout.splitlines()[-1] == "5000 good records, 0 problems"
    text = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "prints `5000 good records, 0 problems` last" in text
