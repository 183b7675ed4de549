"""A cron job cannot lose the index: unusable corpus paths, the removal limit, remembered
removals, runs that change nothing, and the command line's behaviour under cron."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import cli as indexer_cli
from indexer import generations
from indexer.build import rebuild
from indexer.guards import RemovalLimit
from indexer.withheld import REMOVALS_FILE, remembered_removals

ROOT = Path(__file__).resolve().parents[1]


def _ids(corpus: Path) -> list[str]:
    lines = (corpus / "records" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines]


def _keep_only(corpus: Path, count: int) -> None:
    """Leave the first ``count`` records in the corpus."""
    path = corpus / "records" / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:count]), encoding="utf-8")


def _state(index_dir: Path) -> tuple[str | None, str | None, list[str]]:
    return (generations.published_name(index_dir), generations.previous_name(index_dir),
            generations.published_generations(index_dir))


def _served_ids(index_dir: Path) -> set[str]:
    from whoosh import index

    with index.open_dir(str(generations.current_generation(index_dir))).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


@pytest.fixture
def corpus(tmp_path: Path, write_corpus) -> Path:
    """20 real records (5 of each shipped file), no pages."""
    return write_corpus(tmp_path / "corpus", 5, twins=False, pages=False)


@pytest.fixture
def index_dir(corpus: Path, tmp_path: Path) -> Path:
    """The corpus published, after a generation without its last record (so that there is
    one to roll back to)."""
    index_dir = tmp_path / "index"
    records = corpus / "records" / "records.jsonl"
    full = records.read_text(encoding="utf-8")
    _keep_only(corpus, 19)
    rebuild([corpus], index_dir, jobs=1)
    records.write_text(full, encoding="utf-8")
    rebuild([corpus], index_dir, jobs=1)
    return index_dir


# --- 1. a corpus path that is missing, unreadable or empty ------------------------------------


@pytest.mark.parametrize("command", ["update", "rebuild"])
def test_a_missing_corpus_path_fails_the_run_and_publishes_nothing(
    command, corpus, index_dir, tmp_path, cli
) -> None:
    """The crontab of the issue: one good path, one that does not exist."""
    before = _state(index_dir)
    missing = tmp_path / "nope" / "records"
    done = cli(command, "--corpus", corpus / "records" / "records.jsonl", "--corpus", missing,
               "--index-dir", index_dir, "--progress", "none")
    assert done.returncode == indexer_cli.EXIT_CORPUS_UNUSABLE == 7
    assert f"corpus path {missing}: no such file or folder" in done.stderr
    assert "nothing was published" in done.stderr
    assert _state(index_dir) == before
    assert not list(generations.generations_dir(index_dir).glob(".building-*"))


@pytest.mark.parametrize("command", ["update", "rebuild"])
def test_an_empty_or_unreadable_corpus_path_fails_the_run(
    command, corpus, index_dir, tmp_path, cli
) -> None:
    before = _state(index_dir)
    empty = tmp_path / "mnt" / "share"  # a mount point with nothing mounted
    empty.mkdir(parents=True)
    done = cli(command, "--corpus", corpus, "--corpus", empty, "--index-dir", index_dir)
    assert done.returncode == 7
    assert f"corpus path {empty}: holds no records" in done.stderr
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"this is not gzip")
    done = cli(command, "--corpus", corpus, "--corpus", broken, "--index-dir", index_dir)
    assert done.returncode == 7
    assert f"corpus path {broken}: no record could be read ({broken}:1: not a gzip file" \
        in done.stderr
    assert _state(index_dir) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_corpus_folder_without_read_permission_fails_the_run(
    corpus, index_dir, tmp_path, cli
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "records.jsonl").write_text('{"id": "a", "body": "Päätös."}\n', "utf-8")
    locked.chmod(0)
    try:
        done = cli("update", "--corpus", corpus, "--corpus", locked, "--index-dir", index_dir)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 7 and "cannot list folder" in done.stderr


def test_check_fails_on_an_empty_folder_as_rebuild_does(tmp_path, cli) -> None:
    (tmp_path / "empty").mkdir()
    check = cli("check", tmp_path / "empty")
    rebuilt = cli("rebuild", "--corpus", tmp_path / "empty", "--index-dir", tmp_path / "i")
    assert check.returncode == rebuilt.returncode == 7
    assert f"corpus path {tmp_path / 'empty'}: holds no records" in check.stderr
    assert cli("check", tmp_path / "absent").returncode == 7


# --- 2. the removal limit ----------------------------------------------------------------------


def test_an_update_missing_more_than_a_tenth_of_the_records_is_refused(
    corpus, index_dir, cli
) -> None:
    before = _state(index_dir)
    published = len(_served_ids(index_dir))  # 20
    _keep_only(corpus, 17)  # 3 of 20 gone: 15%
    done = cli("update", "--corpus", corpus, "--index-dir", index_dir, "--progress", "none")
    assert done.returncode == indexer_cli.EXIT_TOO_MANY_REMOVALS == 8
    assert (f"update would remove 3 of the {published} published records (15%) because they "
            "are missing from the corpus; --allow-removals 10% allows 2") in done.stderr
    assert "run again with --allow-removals 3" in done.stderr
    assert _state(index_dir) == before

    # A share or a number that allows them lets the update through.
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--allow-removals", "15%").returncode == 0
    assert len(_served_ids(index_dir)) == 17
    _keep_only(corpus, 14)
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--allow-removals", "2").returncode == 8
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--allow-removals", "3").returncode == 0
    assert len(_served_ids(index_dir)) == 14


def test_a_rebuild_is_limited_too(corpus, index_dir, cli) -> None:
    before = _state(index_dir)
    _keep_only(corpus, 10)
    done = cli("rebuild", "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1")
    assert done.returncode == 8 and "rebuild would remove 10 of the 20" in done.stderr
    assert _state(index_dir) == before
    assert cli("rebuild", "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1",
               "--allow-removals", "50%").returncode == 0
    assert len(_served_ids(index_dir)) == 10


def test_removals_asked_for_do_not_count(corpus, index_dir, tmp_path, cli) -> None:
    """Records on a removal list (in the corpus or not) and expired ones are meant to go."""
    ids = _ids(corpus)
    removals = tmp_path / "removals.txt"
    removals.write_text("".join(f"{i}\n" for i in ids[:4]), encoding="utf-8")
    records = corpus / "records" / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    expired = [json.dumps({**json.loads(line), "expires": "2000-01-01"}) for line in lines[4:7]]
    # Two listed records are gone from the corpus too; three others expired.
    records.write_text("\n".join(lines[2:4] + expired + lines[7:]) + "\n", encoding="utf-8")
    done = cli("update", "--corpus", corpus, "--index-dir", index_dir, "--removals", removals,
               "--log-format", "text", "--progress", "none")
    assert done.returncode == 0, done.stderr
    assert "withheld 7" in done.stdout and "removed" not in done.stdout.split("\n")[1]
    assert "withheld: expired 3, removed 4" in done.stdout
    assert len(_served_ids(index_dir)) == 13


def test_the_first_run_has_no_limit(corpus, tmp_path, cli) -> None:
    done = cli("update", "--corpus", corpus, "--index-dir", tmp_path / "new", "--jobs", "1")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("given", ["-1", "ten", "120%", "%"])
def test_a_bad_removal_limit_is_a_usage_error(given, corpus, tmp_path, cli) -> None:
    done = cli("update", "--corpus", corpus, "--index-dir", tmp_path, "--allow-removals", given)
    assert done.returncode == 2 and "--allow-removals" in done.stderr


def test_removal_limits_parse_and_count() -> None:
    assert RemovalLimit().allowed(3951) == 395
    assert RemovalLimit.parse("25%").allowed(40) == 10
    assert RemovalLimit.parse("0").allowed(40) == 0
    assert RemovalLimit.parse("3093").allowed(10) == 3093
    assert str(RemovalLimit.parse("2.5%")) == "2.5%"


# --- 3. removals are remembered until restored -------------------------------------------------


def test_removals_are_remembered_until_restored(corpus, index_dir, tmp_path, cli) -> None:
    victim, other = _ids(corpus)[3], _ids(corpus)[8]
    removals = tmp_path / "removals.txt"
    removals.write_text(f"# Kuntalaki 140 §\n{victim}\n{other}\n", encoding="utf-8")
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--removals", removals).returncode == 0
    assert remembered_removals(index_dir) == {victim, other}
    assert (index_dir / REMOVALS_FILE).read_text("utf-8").endswith(
        "\n".join(sorted([victim, other])) + "\n")

    # Neither an update nor a rebuild without --removals brings them back.
    for command in ("update", "rebuild"):
        done = cli(command, "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1")
        assert done.returncode == 0, done.stderr
        assert victim not in _served_ids(index_dir) and other not in _served_ids(index_dir)
    status = cli("status", "--index-dir", index_dir)
    assert (f"removals:        2 remembered ({index_dir / REMOVALS_FILE})"
            in status.stdout), status.stdout

    # Restoring: the next run puts the record back; the other stays out.
    done = cli("--log-format", "text", "restore", victim, "--index-dir", index_dir)
    assert done.returncode == 0, done.stderr
    assert f"restored 1 records in {index_dir}" in done.stdout
    assert remembered_removals(index_dir) == {other}
    done = cli("restore", other, "--index-dir", index_dir)  # under cron: one JSON line
    assert json.loads(done.stderr)["event"] == "restored" and done.stdout == ""
    assert remembered_removals(index_dir) == frozenset()
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--removals", removals).returncode == 0
    assert cli("restore", victim, "--index-dir", index_dir).returncode == 0
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir).returncode == 0
    assert victim in _served_ids(index_dir) and other not in _served_ids(index_dir)


def test_restore_refuses_an_id_not_remembered_and_a_missing_index_dir(
    corpus, index_dir, tmp_path, cli
) -> None:
    removals = tmp_path / "removals.txt"
    removals.write_text(f"{_ids(corpus)[0]}\n", encoding="utf-8")
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--removals", removals).returncode == 0
    done = cli("restore", _ids(corpus)[0], "no:such-id", "--index-dir", index_dir)
    assert done.returncode == 5
    assert "not among the removals remembered" in done.stderr and "no:such-id" in done.stderr
    assert remembered_removals(index_dir) == {_ids(corpus)[0]}  # nothing was restored
    typo = tmp_path / "typo"
    done = cli("restore", _ids(corpus)[0], "--index-dir", typo)
    assert done.returncode == 5 and f"there is no index directory {typo}" in done.stderr
    assert not typo.exists()


def test_a_failed_run_remembers_nothing(corpus, index_dir, tmp_path, cli) -> None:
    removals = tmp_path / "removals.txt"
    removals.write_text(f"{_ids(corpus)[0]}\n", encoding="utf-8")
    done = cli("update", "--corpus", corpus, "--corpus", tmp_path / "absent",
               "--index-dir", index_dir, "--removals", removals)
    assert done.returncode == 7
    assert remembered_removals(index_dir) == frozenset()


# --- 4. an update that changes nothing publishes nothing ---------------------------------------


def test_an_update_that_changes_nothing_publishes_nothing(corpus, index_dir, cli) -> None:
    command = "update"
    before = _state(index_dir)
    assert before[1] is not None  # there is a generation to roll back to
    done = cli(command, "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1",
               "--progress", "none")
    assert done.returncode == 0, done.stderr
    event = json.loads(done.stderr.splitlines()[-1])
    assert event["event"] == "unchanged" and event["generation"] == before[0]
    assert f"nothing changed: generation {before[0]} in {index_dir} is up to date" \
        in event["message"]
    assert _state(index_dir) == before  # CURRENT, PREVIOUS and the generations as they were
    text = cli("--log-format", "text", command, "--corpus", corpus, "--index-dir", index_dir,
               "--jobs", "1", "--progress", "none")
    assert text.stdout.startswith("nothing changed:") and _state(index_dir) == before


def test_a_change_in_one_record_publishes(corpus, index_dir, cli) -> None:
    before = _state(index_dir)
    records = corpus / "records" / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0])
    changed["title"] += " (korjattu)"
    records.write_text("\n".join([json.dumps(changed), *lines[1:]]) + "\n", encoding="utf-8")
    done = cli("update", "--corpus", corpus, "--index-dir", index_dir)
    assert done.returncode == 0
    assert json.loads(done.stderr.splitlines()[-1])["event"] == "published"
    assert _state(index_dir)[0] != before[0] and _state(index_dir)[1] == before[0]


def test_a_rebuild_always_publishes(corpus, index_dir, cli) -> None:
    """The same records, rebuilt (as after an upgrade that changes analysis), and rebuilt
    after an update left a deleted record's bytes in the segment files: both publish."""
    before = _state(index_dir)
    done = cli("rebuild", "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1")
    assert json.loads(done.stderr.splitlines()[-1])["event"] == "published"
    assert _state(index_dir)[0] != before[0] and _state(index_dir)[1] == before[0]
    _keep_only(corpus, 19)
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir).returncode == 0
    updated = generations.published_name(index_dir)
    done = cli("rebuild", "--corpus", corpus, "--index-dir", index_dir, "--jobs", "1")
    assert json.loads(done.stderr.splitlines()[-1])["event"] == "published"
    assert generations.published_name(index_dir) != updated


# --- 5. the command line under cron ------------------------------------------------------------


def test_rollback_and_status_never_create_an_index_directory(tmp_path, cli) -> None:
    for command in ("rollback", "status"):
        done = cli(command, "--index-dir", tmp_path / "typo")
        assert done.returncode == 5, (command, done.stderr)
    assert not (tmp_path / "typo").exists()


def test_status_names_the_lock_holder(index_dir, cli) -> None:
    assert "lock:            free" in cli("status", "--index-dir", index_dir).stdout
    with generations.rebuild_lock(index_dir, "update"):
        status = cli("status", "--index-dir", index_dir)
    assert re.search(
        rf"lock:            held by pid {os.getpid()}, update on {re.escape(socket.gethostname())}"
        r", since 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", status.stdout), status.stdout
    assert "lock:            free" in cli("status", "--index-dir", index_dir).stdout


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m indexer ARGS 2>&1``, as a crontab line runs it."""
    return subprocess.run([sys.executable, "-m", "indexer", *map(str, args)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, env=env)


@pytest.mark.parametrize("buffered", [True, False])
def test_under_cron_the_output_ends_with_the_summary_json_line(
    buffered, corpus, tmp_path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)  # as cron runs it
    else:
        env["PYTHONUNBUFFERED"] = "1"
    for command in ("rebuild", "update", "update"):
        done = _run(command, "--corpus", corpus, "--index-dir", tmp_path / "index", "--jobs",
                    "1", env=env)
        assert done.returncode == 0, done.stdout
        lines = [json.loads(line) for line in done.stdout.splitlines()]  # every line is JSON
        assert lines[-1]["event"] in ("published", "unchanged")
        _keep_only(corpus, 19)  # the first update publishes, the second finds nothing to do
    done = _run("rollback", "--index-dir", tmp_path / "index", env=env)
    assert json.loads(done.stdout.splitlines()[-1])["event"] == "rolled back"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [("SEARCHSVC_INDEX_DIR", " ", "SEARCHSVC_INDEX_DIR must not be empty"),
     ("SEARCHSVC_LOG_FORMAT", "xml", "SEARCHSVC_LOG_FORMAT must be one of json, text"),
     ("SEARCHSVC_INDX_DIR", "/srv/index", "unknown setting SEARCHSVC_INDX_DIR")],
)
def test_a_bad_setting_is_one_line_and_exit_2(variable, value, message, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env[variable] = value
    done = _run("status", env=env)
    assert done.returncode == 2
    [line] = done.stdout.splitlines()
    assert line.startswith(f"searchsvc-index: error: {message}"), line


def test_a_closed_output_pipe_ends_quietly(index_dir) -> None:
    """``searchsvc-index status | head -1``: the reader is gone before status writes."""
    for unbuffered in ("1", ""):
        env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
        if not unbuffered:
            del env["PYTHONUNBUFFERED"]
        process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "status", "--index-dir", str(index_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        with process.stderr:
            errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == indexer_cli.EXIT_OUTPUT_CLOSED == 141
        assert errors == "", errors


def test_the_exit_codes_documented_are_those_of_the_code(root: Path) -> None:
    documented = indexer_cli.__doc__ or ""
    codes = {int(code) for code in re.findall(r"^  (\d+)  ", documented, re.MULTILINE)}
    operations = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    table = operations[operations.index("### Exit codes"):]
    rows = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert codes == rows == {0, 1, 2, 3, 4, 5, 6, 7, 8, 141}
    readme = (root / "README.md").read_text(encoding="utf-8")
    for code in codes - {0}:
        assert f"`{code}`" in readme, code


def test_the_restore_example_of_the_operations_guide(root: Path, corpus, index_dir, cli) -> None:
    """docs/operations.md section 4, with its paths replaced by this test's."""
    guide = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide[guide.index("**Removals are remembered.**"):]
    block = section[section.index("```sh\n") + 6:section.index("\n```", section.index("```sh"))]
    victim = "helsinki:agenda:00400202145:10:esitys:fi"
    assert victim in _ids(corpus)
    removals = corpus.parent / "removals.txt"
    removals.write_text(f"# Kuntalaki 140 §\n{victim}\n", encoding="utf-8")
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--removals", removals).returncode == 0
    assert victim not in _served_ids(index_dir)
    for line in block.splitlines():
        line = line.replace("/var/lib/searchsvc/index", str(index_dir))
        line = line.replace("/srv/searchsvc/records", str(corpus))
        command = line.split()
        assert command[0] == "searchsvc-index"
        done = cli(*command[1:])
        assert done.returncode == 0, (line, done.stderr)
    assert victim in _served_ids(index_dir)


def test_the_readme_removal_limit_example(corpus, index_dir, cli) -> None:
    """README: `update --corpus corpus --allow-removals 25%` lets a quarter of the records go."""
    _keep_only(corpus, 15)  # 5 of 20
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir).returncode == 8
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--allow-removals", "25%").returncode == 0
    assert len(_served_ids(index_dir)) == 15
    _keep_only(corpus, 1)
    assert cli("update", "--corpus", corpus, "--index-dir", index_dir,
               "--allow-removals", "100%").returncode == 0  # no limit
    assert len(_served_ids(index_dir)) == 1


@pytest.mark.slow
def test_the_crontab_of_the_issue_on_the_shipped_corpus(
    shipped_corpus: Path, root: Path, tmp_path: Path, cli
) -> None:
    """Issue 9: `update --corpus corpus/records/finlex-sv.jsonl.gz --corpus /tmp/nope/records`
    published "removed 3093" and exited 0. The message is the one docs/operations.md shows."""
    index_dir = tmp_path / "index"
    assert cli("rebuild", "--corpus", shipped_corpus, "--index-dir", index_dir).returncode == 0
    before = _state(index_dir)
    swedish = shipped_corpus / "records" / "finlex-sv.jsonl.gz"
    done = cli("update", "--corpus", swedish, "--corpus", tmp_path / "nope" / "records",
               "--index-dir", index_dir)
    assert done.returncode == 7 and _state(index_dir) == before
    done = cli("update", "--corpus", swedish, "--index-dir", index_dir)
    assert done.returncode == 8 and _state(index_dir) == before
    message = json.loads(done.stderr.splitlines()[-1])["message"]
    guide = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    shown = guide[guide.index("  update would remove"):]
    shown = " ".join(shown[:shown.index("```")].split())
    assert message == shown
