"""The rebuild on a Dask cluster (``indexer.dask_build``) against a plain rebuild of the same
corpus: the same counts, bad records, words and labels, the same top ten through ``/search``;
a worker that dies mid-build publishes nothing."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from falcon import testing
from whoosh import index

from indexer import generations
from indexer.build import BuildFailed, BuildReport, rebuild
from indexer.dask_build import dask_rebuild
from indexer.dask_update import dask_update
from indexer.partitions import deal_files
from indexer.term_arrays import TERMS_SUFFIX
from indexer.update import update
from searchsvc.app import create_app
from searchsvc.settings import Settings

pytestmark = pytest.mark.slow

BAD_RECORD = {"id": "test:bad-year", "title": "Otsikko", "body": "Teksti.", "year": 12}
QUERIES = ["kaupunki", "päätös", "tax", "skatt", "hallinto-oikeus", "omaishoidon tuki",
           "school", "förvaltningsdomstolen", "valitus", "housing benefit"]


def _top(index_dir: Path, query: str) -> list[tuple[float, str]]:
    client = testing.TestClient(create_app(Settings(index_dir=index_dir)))
    result = client.simulate_get("/search", params={"q": query, "size": "10"})
    assert result.status_code == 200, result.text
    return [(round(hit["score"], 6), hit["id"]) for hit in result.json["hits"]]


def _summary(report: BuildReport) -> dict[str, Any]:
    return {"documents": report.documents, "text_bytes": report.text_bytes,
            "by_language": dict(report.by_language), "by_type": dict(report.by_type),
            "problems": report.problems}


def _same_top(plain: list[tuple[float, str]], dask: list[tuple[float, str]]) -> None:
    """The same scores in order, and the same ids but among records tied at the tenth score
    (a build by several writers does not keep doc numbers, which order equal scores)."""
    assert [score for score, _ in dask] == [score for score, _ in plain]
    last = plain[-1][0] if plain else None
    assert {i for s, i in dask if s != last} == {i for s, i in plain if s != last}


def _generation_files(generation: Path, suffixes: tuple[str, ...]) -> list[str]:
    """The generation's own files of these kinds, not a segment's (``MAIN_<segment>.*``: the
    segments of a Dask build are others than a plain build's)."""
    return sorted(p.name for p in generation.iterdir()
                  if p.suffix in suffixes and not p.name.startswith("MAIN_"))


def _assert_every_segment_has_term_arrays(generation: Path) -> None:
    segments = {p.stem for p in generation.glob("*.seg")}
    assert segments == {p.name.removesuffix(TERMS_SUFFIX)
                        for p in generation.glob("*" + TERMS_SUFFIX)}


def test_dask_rebuild_matches_a_plain_rebuild(
    write_corpus: Callable[..., Path], dask_cluster: Any, tmp_path: Path,
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 12, extra=[BAD_RECORD])
    plain = rebuild([corpus], tmp_path / "plain", jobs=1)
    dask = dask_rebuild([corpus], tmp_path / "dask", scheduler=dask_cluster.scheduler_address,
                        partitions=4, chunk=5)
    assert dask.published
    assert _summary(dask) == _summary(plain)
    assert len(plain.problems) == 1 and "year" in plain.problems[0]
    plain_gen = generations.current_generation(tmp_path / "plain")
    dask_gen = generations.current_generation(tmp_path / "dask")
    with index.open_dir(str(dask_gen)).reader() as reader:
        assert reader.doc_count() == plain.documents
        assert len(reader.leaf_readers()) > 1  # several partitions' segments, one index
    for name in _generation_files(plain_gen, (".tsv", ".json")):
        if name == "manifest.json":
            continue
        assert (dask_gen / name).read_bytes() == (plain_gen / name).read_bytes(), name
    _assert_every_segment_has_term_arrays(dask_gen)
    assert not list(dask_gen.glob(".partitions*"))
    for query in QUERIES:
        plain_top = _top(tmp_path / "plain", query)
        assert plain_top or query in ("school",), query
        _same_top(plain_top, _top(tmp_path / "dask", query))


def _split(corpus: Path, files: int) -> Path:
    """The corpus's records in ``files`` JSONL files of about equal size, in subfolders (one
    of them with broken folder defaults)."""
    records = corpus / "records" / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    records.unlink()
    for number in range(files):
        folder = corpus / "records" / f"part-{number % 2}"
        folder.mkdir(exist_ok=True)
        part = lines[number::files]
        (folder / f"{number:02}.jsonl").write_text("\n".join(part) + "\n", encoding="utf-8")
    (corpus / "records" / "part-1" / "folder.meta.json").write_text("{", encoding="utf-8")
    return corpus


def test_files_are_dealt_out_whole_when_they_can_be_shared_fairly(
    write_corpus: Callable[..., Path], tmp_path: Path,
) -> None:
    corpus = _split(write_corpus(tmp_path / "corpus", 6, pages=False), 6)
    dealt, problems = deal_files([str(corpus)], 3)
    assert dealt is not None and len(dealt) == 3
    ranks = sorted(rank for own in dealt for rank, _ in own)
    assert ranks == list(range(6)) and all(dealt)  # every file once, no partition idle
    assert len(problems) == 1 and "folder defaults" in problems[0][1]
    one_file = write_corpus(tmp_path / "one", 6, pages=False)
    assert deal_files([str(one_file)], 2)[0] is None  # one file: chunks of the stream


def test_a_dask_rebuild_by_file_matches_a_plain_rebuild(
    write_corpus: Callable[..., Path], dask_cluster: Any, tmp_path: Path,
) -> None:
    """Each partition reads only its own files; the walk's and the records' problems come
    out as a plain rebuild reports them, in order."""
    corpus = _split(write_corpus(tmp_path / "corpus", 8, pages=False, extra=[BAD_RECORD]), 6)
    plain = rebuild([corpus], tmp_path / "plain", jobs=1)
    dask = dask_rebuild([corpus], tmp_path / "dask", scheduler=dask_cluster.scheduler_address,
                        partitions=3)
    assert dask.published
    assert _summary(dask) == _summary(plain)
    assert len(plain.problems) == 2  # the folder defaults, the bad record
    for query in QUERIES[:4]:
        _same_top(_top(tmp_path / "plain", query), _top(tmp_path / "dask", query))


def test_a_dask_update_matches_a_plain_update(
    write_corpus: Callable[..., Path], dask_cluster: Any, tmp_path: Path,
) -> None:
    """The same records changed, added, removed and withheld; the same report, words and
    top ten as ``indexer.update``, from an index both start from."""
    corpus = _split(write_corpus(tmp_path / "corpus", 8, pages=False), 6)
    for name in ("plain", "dask"):
        rebuild([corpus], tmp_path / name, jobs=1)
    part = sorted((corpus / "records").rglob("*.jsonl"))
    changed = [json.loads(line) for line in part[0].read_text(encoding="utf-8").splitlines()]
    changed[0]["body"] += "\n\nMuutettu."
    changed.append({**changed[1], "id": "test:new", "title": "Uusi asia"})
    withheld = changed[2]["id"]
    part[0].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in changed),
                       encoding="utf-8")
    gone = part[1].read_text(encoding="utf-8").splitlines()
    part[1].write_text("\n".join(gone[1:]) + "\n", encoding="utf-8")
    removals = frozenset({withheld})
    plain = update([corpus], tmp_path / "plain", removals=removals)
    dask = dask_update([corpus], tmp_path / "dask", scheduler=dask_cluster.scheduler_address,
                       partitions=3, removals=removals)
    assert dask.published and dask.mode == "update"
    assert dict(dask.changes) == dict(plain.changes) == {
        "changed": 1, "added": 1, "removed": 1, "withheld": 1,
        "unchanged": plain.documents - 2}
    assert _summary(dask) == _summary(plain)
    plain_gen = generations.current_generation(tmp_path / "plain")
    dask_gen = generations.current_generation(tmp_path / "dask")
    for name in _generation_files(plain_gen, (".tsv",)):
        assert (dask_gen / name).read_bytes() == (plain_gen / name).read_bytes(), name
    _assert_every_segment_has_term_arrays(dask_gen)
    assert not list(dask_gen.glob(".partitions*"))
    for query in [*QUERIES[:4], "muutettu", "uusi asia"]:
        _same_top(_top(tmp_path / "plain", query), _top(tmp_path / "dask", query))
    assert _top(tmp_path / "dask", "uusi asia")[0][1] == "test:new"


def test_a_duplicate_id_in_another_partition_is_reported_and_left_out(
    write_corpus: Callable[..., Path], dask_cluster: Any, tmp_path: Path,
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 3, pages=False)
    records = corpus / "records" / "records.jsonl"
    first = records.read_text(encoding="utf-8").splitlines()[0]
    with open(records, "a", encoding="utf-8") as handle:
        handle.write(first + "\n")
    plain = rebuild([corpus], tmp_path / "plain", jobs=1)
    dask = dask_rebuild([corpus], tmp_path / "dask", scheduler=dask_cluster.scheduler_address,
                        partitions=2, chunk=2)
    assert any("duplicate id" in problem for problem in plain.problems)
    assert dask.problems == plain.problems
    assert dask.documents == plain.documents
    with index.open_dir(str(generations.current_generation(tmp_path / "dask"))).reader() as r:
        assert r.doc_count() == plain.documents
    duplicate = json.loads(first)["id"]
    assert _top(tmp_path / "dask", f'id:"{duplicate}"') == _top(tmp_path / "plain",
                                                                   f'id:"{duplicate}"')


def test_a_worker_dying_mid_build_publishes_nothing(
    write_corpus: Callable[..., Path], dask_cluster: Any, tmp_path: Path,
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 3, pages=False)
    index_dir = tmp_path / "index"
    rebuild([corpus], index_dir, jobs=1)
    live = generations.current_generation(index_dir)
    with pytest.raises(BuildFailed, match="KilledWorker.*nothing was published"):
        dask_rebuild([corpus], index_dir, scheduler=dask_cluster.scheduler_address,
                     partitions=2, chunk=2,
                     after_first_document=functools.partial(os._exit, 70))
    assert generations.current_generation(index_dir) == live
    assert sorted(p.name for p in generations.generations_dir(index_dir).iterdir()) == [
        live.name]


def test_the_command_line_rebuilds_on_a_scheduler(
    write_corpus: Callable[..., Path], dask_cluster: Any, cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """(``--dask-workers``, a local cluster: the operations guide's example below.)"""
    corpus = write_corpus(tmp_path / "corpus", 3, pages=False)
    plain = rebuild([corpus], tmp_path / "plain", jobs=1)
    index_dir = tmp_path / "index"
    ran = cli("--log-format", "text", "rebuild", "--scheduler", dask_cluster.scheduler_address,
              "--corpus", corpus, "--index-dir", index_dir)
    assert ran.returncode == 0, ran.stderr
    assert "dask partitions" in ran.stdout
    assert f"records:  {plain.documents} in" in ran.stdout
    with index.open_dir(str(generations.current_generation(index_dir))).reader() as reader:
        assert reader.doc_count() == plain.documents > 0


@pytest.mark.parametrize("args", [
    ["rebuild", "--dask-workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
    ["update", "--dask-workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
    ["rebuild", "--dask-workers", "0"],
])
def test_dask_options_misused_are_usage_errors(
    args: list[str], cli: Callable[..., Any], tmp_path: Path, small_corpus: Path,
) -> None:
    ran = cli(*args, "--corpus", small_corpus, "--index-dir", tmp_path / "index")
    assert ran.returncode == 2
    assert "--dask-workers" in ran.stderr
    assert not (tmp_path / "index").exists()


def _blocks(root: Path) -> list[list[str]]:
    """The command lines of docs/operations.md's Dask section, one list per ``sh`` block."""
    guide = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Building on a Dask cluster"):guide.index("## 7.")]
    blocks = section.split("```sh\n")[1:]
    return [[line for line in block[:block.index("\n```")].splitlines()
             if not line.startswith("#")] for block in blocks]


def test_the_local_cluster_example_of_the_operations_guide(
    root: Path, write_corpus: Callable[..., Path], cli: Callable[..., Any], tmp_path: Path,
) -> None:
    rebuilding, updating = _blocks(root)[0]
    corpus = write_corpus(tmp_path / "corpus", 3, pages=False)
    index_dir = tmp_path / "index"
    for line, mode in ((rebuilding, "rebuild"), (updating, "update")):
        line = line.replace("/var/lib/searchsvc/index", str(index_dir))
        command = line.replace("/srv/searchsvc/records", str(corpus)).split()
        assert command[:4] == ["searchsvc-index", mode, "--dask-workers", "2"]
        assert cli(*command[1:]).returncode == 0
        manifest = generations.read_manifest(generations.current_generation(index_dir))
        assert manifest["mode"] == mode and manifest["documents"]
        with open(corpus / "records" / "records.jsonl", "a", encoding="utf-8") as records:
            records.write(json.dumps({**BAD_RECORD, "year": 2024}) + "\n")


def test_the_several_machines_example_of_the_operations_guide(
    root: Path, write_corpus: Callable[..., Path], cli: Callable[..., Any], tmp_path: Path,
) -> None:
    """The scheduler, workers and build of the guide as processes of their own, every host
    name replaced by loopback and the ports by free ones."""
    scheduler_line, worker_line, build_line = _blocks(root)[1]
    corpus = write_corpus(tmp_path / "corpus", 3, pages=False)
    index_dir = tmp_path / "index"
    port, dashboard = str(_free_port()), str(_free_port())

    def local(line: str) -> str:
        for host in ("build1", "build2"):
            line = line.replace(host, "127.0.0.1")
        line = line.replace("8786", port).replace("8787", dashboard)
        line = line.replace("/var/lib/searchsvc/index", str(index_dir))
        return line.replace("/srv/searchsvc/records", str(corpus))

    setting, *scheduler = local(scheduler_line).split()
    name, value = setting.split("=")
    bin_dir = Path(sys.executable).parent
    environ = {**os.environ, name: value}
    processes = []
    try:
        for command, env in ((scheduler, environ), (local(worker_line).split(), os.environ)):
            assert command[0] == "dask"
            processes.append(subprocess.Popen(
                [str(bin_dir / "dask"), *command[1:]], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        command = local(build_line).split()
        assert command[:3] == ["searchsvc-index", "rebuild", "--scheduler"]
        ran = cli(*command[1:])
        assert ran.returncode == 0, ran.stderr
        manifest = generations.read_manifest(generations.current_generation(index_dir))
        assert manifest["documents"] > 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
