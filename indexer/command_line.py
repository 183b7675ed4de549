"""The command line of ``searchsvc-index``: its commands, their options and the option
types, checked as argparse reads them. ``indexer.cli`` runs what it parses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from indexer.build import DEFAULT_MAX_ERRORS
from indexer.guards import DEFAULT_REMOVAL_LIMIT, RemovalLimit
from indexer.logs import LOG_FORMATS

DEFAULT_CORPUS = "corpus"


def command_line(epilog: str | None) -> argparse.ArgumentParser:
    """The parser of ``searchsvc-index``; ``epilog``: the exit codes, below its help."""
    # Options every command takes, before or after its name (SUPPRESS: one given after the
    # command does not reset one given before it).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-format", choices=LOG_FORMATS, default=argparse.SUPPRESS,
        help="log lines as JSON objects or text (default: $SEARCHSVC_LOG_FORMAT, else text on "
        "a terminal and json otherwise, as under cron)",
    )
    parser = argparse.ArgumentParser(
        prog="searchsvc-index",
        description="Build and inspect the searchsvc index.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, parents=[common])

    index_dir_help = "index directory (default: $SEARCHSVC_INDEX_DIR or var/index)"
    builds = [
        command("rebuild", "build a new index generation from the corpus and publish it"),
        command("update", "publish the current generation updated to the corpus: new and "
                "changed records in, records gone from the corpus out (a rebuild if there is "
                "no index yet)"),
    ]
    for build in builds:
        _build_options(build, index_dir_help)

    rollback = command("rollback", "publish again the generation published before the current one")
    rollback.add_argument("--index-dir", type=Path, help=index_dir_help)

    publish = command("publish", "publish a generation directory built elsewhere and copied "
                      "here (rsync)")
    publish.add_argument("generation", type=Path, metavar="GENERATION_DIR")
    publish.add_argument("--index-dir", type=Path, help=index_dir_help)

    status = command("status", "show the published generation, the lock's holder and the "
                     "number of remembered removals")
    status.add_argument("--index-dir", type=Path, help=index_dir_help)

    restore = command("restore", "forget remembered removals: the records come back with the "
                      "next rebuild or update (if they are in the corpus)")
    restore.add_argument("ids", nargs="+", metavar="ID")
    restore.add_argument("--index-dir", type=Path, help=index_dir_help)

    check = command("check", "report bad records without touching any index")
    check.add_argument("paths", nargs="+", metavar="PATH")
    return parser


def _build_options(build: argparse.ArgumentParser, index_dir_help: str) -> None:
    build.add_argument(
        "--corpus", action="append", metavar="PATH",
        help=f"file or folder of records; repeatable (default: {DEFAULT_CORPUS})",
    )
    build.add_argument("--index-dir", type=Path, help=index_dir_help)
    build.add_argument(
        "--jobs", type=_positive_int, default=None,
        help="writer processes (default: number of CPUs)",
    )
    build.add_argument(
        "--dask-workers", type=_positive_int, default=None, metavar="N",
        help="read and write on a local Dask cluster of N worker processes "
        "(indexer.dask_build, indexer.dask_update) instead of --jobs writer processes",
    )
    build.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="read and write on the Dask cluster whose scheduler is at ADDRESS "
        "(tcp://host:8786); the index directory must be on storage every worker shares",
    )
    build.add_argument(
        "--max-errors", type=_non_negative_int, default=DEFAULT_MAX_ERRORS,
        help="publish only if at most this many records were skipped "
        f"(default: {DEFAULT_MAX_ERRORS})",
    )
    build.add_argument(
        "--progress", choices=("auto", "bar", "log", "none"), default="auto",
        help="progress display (default: a bar on a terminal, log lines otherwise)",
    )
    build.add_argument(
        "--removals", action="append", metavar="FILE", default=[],
        help="file of record ids to leave out, one per line; repeatable. They are remembered "
        "in the index directory and left out of every later run until restored",
    )
    build.add_argument(
        "--allow-removals", type=_removal_limit, default=DEFAULT_REMOVAL_LIMIT, metavar="N|N%",
        help="how many published records may be missing from the corpus (removed): a number, "
        "or a share of the published records (default: 10%%); more, and nothing is published",
    )


def _removal_limit(text: str) -> RemovalLimit:
    try:
        return RemovalLimit.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value
