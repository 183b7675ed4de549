"""The parts of ``make bench-scale`` (benchmarks/bench_scale.py) that decide what its figures
mean: the 1% change before the timed update, the memory of a whole process tree, and figures
merged by record count. (Its timings are benchmarks, not tests.)"""

from __future__ import annotations

import gzip
import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_scale import (
    CHANGED_EVERY,
    DEFAULT_SIZES,
    FIGURES,
    PeakTreeMemory,
    changed_corpus,
    main,
    save,
    table,
)
from benchmarks.scale_corpus import generate


def _lines(folder: Path) -> list[str]:
    lines: list[str] = []
    for part in sorted(folder.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            lines.extend(handle)
    return lines


def test_the_update_changes_one_record_in_a_hundred(
    write_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    source = write_corpus(tmp_path / "source", 12, pages=False) / "records"
    generate(250, tmp_path / "corpus", source, per_file=60)
    assert changed_corpus(tmp_path / "corpus", tmp_path / "changed") == 3
    before, after = _lines(tmp_path / "corpus"), _lines(tmp_path / "changed")
    assert len(before) == len(after) == 250
    differ = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert differ == [0, CHANGED_EVERY, 2 * CHANGED_EVERY]
    for i in differ:
        old, new = json.loads(before[i]), json.loads(after[i])
        assert new["id"] == old["id"] and new["body"].startswith(old["body"])


@pytest.mark.slow
def test_peak_memory_counts_the_children_of_the_process() -> None:
    """A parent that holds little, and a child that holds 200 MB of its own for a while."""
    child = "b = bytearray(200 * 2**20); import time; time.sleep(2)"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               f"{child!r}])"])
    memory = PeakTreeMemory(parent.pid)
    parent.wait(timeout=30)
    assert memory.stop() > 200


def _run(records: int, rebuild_s: float) -> dict[str, Any]:
    run: dict[str, Any] = {key: 1.0 for key, _, _ in FIGURES}
    return {**run, "records": records, "rebuild_s": rebuild_s}


def test_figures_merge_by_record_count(tmp_path: Path) -> None:
    save([_run(5000, 10.0), _run(10000, 20.0)], tmp_path)
    merged = save([_run(5000, 11.0)], tmp_path)
    assert [(run["records"], run["rebuild_s"]) for run in merged] == [(5000, 11.0),
                                                                       (10000, 20.0)]
    assert json.loads((tmp_path / "scale.json").read_text())["runs"] == merged
    lines = table(merged).splitlines()
    assert len(lines) == 1 + len(FIGURES) and "10,000" in lines[0]
    # A run --again of the update keeps the rebuild's figures and measures the ratio anew.
    again = save([{"records": 10000, "update_s": 1.0}], tmp_path)[1]
    assert again["rebuild_s"] == 20.0 and again["update_ratio"] == 0.05


def test_the_documented_make_commands_run_the_benchmark_on_those_sizes(root: Path) -> None:
    """``make -n``: what docs/performance.md's ``make bench-scale`` lines would run."""
    text = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0].strip() for line in text.splitlines()
                if line.startswith("make bench-scale")]
    assert commands == ["make bench-scale", 'make bench-scale SIZES="5000 10000"']
    assert "the default sizes: " + " ".join(map(str, DEFAULT_SIZES)) in text
    for command, sizes in zip(commands, ("32793 100000", "5000 10000"), strict=True):
        ran = subprocess.run([*shlex.split(command), "-n"], cwd=root, capture_output=True,
                             text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        assert f"-m benchmarks.bench_scale {sizes}" in ran.stdout


def test_again_needs_the_index_an_earlier_run_built(tmp_path: Path) -> None:
    """``--again update,serve`` (docs/performance.md) measures on an earlier run's index and
    says so when there is none; it takes only those two steps."""
    with pytest.raises(SystemExit, match="no index built for 123 records"):
        main(["123", "--again", "serve", "--work", str(tmp_path), "--results", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["123", "--again", "rebuild", "--work", str(tmp_path)])
    assert not (tmp_path / "scale.json").exists()
