"""``searchsvc-index``: rebuild, inspect and check the search index.

Exit codes, for cron jobs to act on:
  0  done: published, or nothing changed (nothing to publish)
  1  the build failed (nothing was published; the live index is as it was): a full or
     read-only disk, say; the message says why
  2  bad command line (or a bad SEARCHSVC_* setting)
  3  too many bad records (over --max-errors; nothing was published)
  4  another rebuild or update holds the lock: try again later
  5  no published index (status), nothing to roll back to (rollback), no such index
     directory (rollback, restore), a copied generation that is incomplete (publish), or an
     id that is not among the remembered removals (restore)
  6  check found problems
  7  a corpus path is missing, unreadable or holds no records (nothing was published)
  8  more published records are missing from the corpus than --allow-removals allows
     (nothing was published)
  141  the output was closed early (`| head`); nothing else went wrong
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from indexer import generations
from indexer.build import DEFAULT_MAX_ERRORS, BuildFailed, BuildReport, TooManyBadRecords, rebuild
from indexer.guards import (
    DEFAULT_REMOVAL_LIMIT,
    CorpusUnusable,
    RemovalLimit,
    TooManyRemovals,
    check_corpus,
)
from indexer.logs import LOG_FORMATS, configure_logging
from indexer.normalize import iter_records
from indexer.progress import Progress
from indexer.records import BadRecord
from indexer.update import update
from indexer.vocabulary import Vocabulary
from indexer.withheld import (
    REMOVALS_FILE,
    read_removal_lists,
    remembered_removals,
    write_remembered_removals,
)
from searchsvc.settings import Settings, SettingsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TOO_MANY_BAD = 3
EXIT_LOCKED = 4
EXIT_NO_INDEX = 5
EXIT_PROBLEMS = 6
EXIT_CORPUS_UNUSABLE = 7
EXIT_TOO_MANY_REMOVALS = 8
EXIT_OUTPUT_CLOSED = 128 + 13  # as if killed by SIGPIPE, which Python ignores

# The exit code of a failure: the first class it is an instance of (TooManyBadRecords is a
# BuildFailed). The message logged is the exception's.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (generations.RebuildLocked, EXIT_LOCKED),
    (generations.IndexMissing, EXIT_NO_INDEX),
    (CorpusUnusable, EXIT_CORPUS_UNUSABLE),
    (TooManyRemovals, EXIT_TOO_MANY_REMOVALS),
    (TooManyBadRecords, EXIT_TOO_MANY_BAD),
    (BuildFailed, EXIT_FAILED),
    (OSError, EXIT_FAILED),  # a full or read-only disk, say
)

DEFAULT_CORPUS = "corpus"

log = logging.getLogger("searchsvc.index")


def _parser() -> argparse.ArgumentParser:
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
        epilog=__doc__.split("\n", 2)[2] if __doc__ else None,
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
        help="rebuild only: write on a local Dask cluster of N worker processes "
        "(indexer.dask_build) instead of --jobs writer processes",
    )
    build.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="rebuild only: write on the Dask cluster whose scheduler is at ADDRESS "
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


def _build(args: argparse.Namespace) -> int:
    """``rebuild`` or ``update``: they take the same options and print the same summary."""
    build = update if args.command == "update" else rebuild
    try:
        removals = read_removal_lists(args.removals)
    except OSError as exc:
        raise BuildFailed(f"cannot read the removal list: {exc}; nothing was published") from exc
    if args.dask_workers is not None or args.scheduler is not None:
        return _dask_build(args, removals)
    progress = Progress(args.progress)
    try:
        report = build(args.corpus or [DEFAULT_CORPUS], args.index_dir, args.jobs,
                       args.max_errors, on_record=progress, removals=removals,
                       removal_limit=args.allow_removals)
    finally:
        progress.close()
    _print_summary(report, args.index_dir, text=args.log_format == "text")
    return EXIT_OK


def _dask_build(args: argparse.Namespace, removals: frozenset[str]) -> int:
    """``rebuild --dask-workers N`` or ``--scheduler ADDRESS`` (``indexer.dask_build``)."""
    if args.command != "rebuild":
        raise _UsageError(f"--dask-workers and --scheduler are for rebuild, not {args.command}")
    if args.dask_workers is not None and args.scheduler is not None:
        raise _UsageError("give --dask-workers (a local cluster) or --scheduler (an existing "
                          "one), not both")
    from indexer.dask_build import dask_rebuild

    report = dask_rebuild(args.corpus or [DEFAULT_CORPUS], args.index_dir, args.dask_workers,
                          args.scheduler, args.max_errors, removals=removals,
                          removal_limit=args.allow_removals)
    _print_summary(report, args.index_dir, text=args.log_format == "text")
    return EXIT_OK


def _print_summary(report: BuildReport, index_dir: Path, text: bool) -> None:
    """The last log line (``"event": "published"`` or ``"unchanged"``) and, for a reader
    (``--log-format text``), the summary on stdout. With JSON logs nothing follows that line."""
    rate = report.documents / report.seconds if report.seconds else 0.0
    if report.unchanged:
        message = (f"nothing changed: generation {report.generation} in {index_dir} is up to "
                   f"date; nothing was published")
    else:
        message = f"published generation {report.generation} in {index_dir} ({report.mode})"
    log.info(
        message,
        extra={
            "event": "unchanged" if report.unchanged else "published", "mode": report.mode,
            "generation": report.generation, "base": report.base,
            "index_dir": str(index_dir), "documents": report.documents,
            "seconds": round(report.seconds, 2), "skipped": len(report.problems),
            "changes": dict(report.changes), "withheld": report.withheld,
            "steps": {name: round(sec, 2) for name, sec in report.phases.items()},
        },
    )
    if not text:
        return
    print(message)
    if report.mode == "update":
        print(f"  from:     {report.base}; " + _counts(report.changes))
    print(f"  records:  {report.documents} in {report.seconds:.1f} s ({rate:.0f}/s, "
          f"{report.text_bytes / 1e6:.1f} MB of text)")
    print("  by language: " + _counts(report.by_language))
    print("  by type:     " + _counts(report.by_type))
    print(f"  skipped:  {len(report.problems)}")
    print("  withheld: " + _counts(report.withheld))
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items())
    print(f"  steps:    {steps}")


def _counts(counter: Mapping[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(counter.items())) or "-"


def _status(args: argparse.Namespace) -> int:
    manifest = generations.read_manifest(generations.current_generation(args.index_dir))
    holder = generations.lock_holder(args.index_dir)
    print(f"index directory: {args.index_dir}")
    print(f"generation:      {manifest['generation']}")
    print(f"built at:        {manifest['built_at']} ({manifest['seconds']} s)")
    print(f"documents:       {manifest['documents']}")
    print(f"  by language:   {_counts(manifest['by_language'])}")
    print(f"  by type:       {_counts(manifest['by_type'])}")
    print(f"skipped records: {manifest['skipped']}")
    print(f"rollback to:     {generations.previous_name(args.index_dir) or '-'}")
    print(f"removals:        {len(remembered_removals(args.index_dir))} remembered "
          f"({args.index_dir / REMOVALS_FILE})")
    locked = f"held by {generations.describe_holder(holder)}" if holder is not None else "free"
    print(f"lock:            {locked}")
    return EXIT_OK


def _existing_index_dir(index_dir: Path) -> Path:
    """For commands that must not create an index directory (a typo would make one)."""
    if not index_dir.is_dir():
        raise generations.IndexMissing(f"there is no index directory {index_dir}")
    return index_dir


def _say(args: argparse.Namespace, message: str, **fields: object) -> None:
    """The outcome of a command that changes the index: a log line, and on stdout for a
    reader (``--log-format text``); with JSON logs nothing but JSON is written."""
    log.info(message, extra={"index_dir": str(args.index_dir), **fields})
    if args.log_format == "text":
        print(message)


def _rollback(args: argparse.Namespace) -> int:
    with generations.rebuild_lock(_existing_index_dir(args.index_dir), "rollback"):
        name = generations.rollback(args.index_dir)
    _say(args, f"published generation {name} again in {args.index_dir}",
         event="rolled back", generation=name)
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    name = generations.adopt(args.index_dir, args.generation)
    _say(args, f"published generation {name} in {args.index_dir}", event="published",
         generation=name)
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    index_dir = _existing_index_dir(args.index_dir)
    with generations.rebuild_lock(index_dir, "restore"):
        remembered = remembered_removals(index_dir)
        unknown = [record_id for record_id in args.ids if record_id not in remembered]
        if unknown:
            raise generations.IndexMissing(
                f"not among the removals remembered in {index_dir}: {', '.join(unknown)}; "
                "nothing was restored"
            )
        write_remembered_removals(index_dir, remembered - set(args.ids))
    _say(args, f"restored {len(set(args.ids))} records in {index_dir}: the next rebuild or "
         "update puts them back if they are in the corpus (and on no --removals list given)",
         event="restored", ids=sorted(set(args.ids)))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    check_corpus(args.paths)
    good = bad = 0
    for item in iter_records(args.paths, Vocabulary.load()):
        if isinstance(item, BadRecord):
            bad += 1
            print(f"{item}")
        else:
            good += 1
    print(f"{good} good records, {bad} problems")
    return EXIT_PROBLEMS if bad else EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "rebuild": _build,
    "update": _build,
    "rollback": _rollback,
    "publish": _publish,
    "status": _status,
    "restore": _restore,
    "check": _check,
}


class _BadSetting(Exception):
    pass


class _UsageError(Exception):
    """A combination of options argparse cannot refuse by itself (exit code 2)."""


def _settle(args: argparse.Namespace) -> None:
    """``args.log_format`` and an unset ``--index-dir`` from the service's settings. Every
    ``SEARCHSVC_*`` variable is checked as the service checks it (an unknown one is as likely
    a typo of the index directory's as the service's)."""
    try:
        settings = Settings.from_env()
        if "index_dir" in args and args.index_dir is None:
            args.index_dir = settings.index_dir
        chosen = getattr(args, "log_format", None) or Settings.given("log_format")
    except SettingsError as exc:
        raise _BadSetting(str(exc)) from None
    args.log_format = chosen or ("text" if sys.stderr.isatty() else "json")


def _exit_code(failure: Exception) -> int | None:
    return next((code for kind, code in EXIT_CODES if isinstance(failure, kind)), None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        _settle(args)
    except _BadSetting as exc:
        print(f"searchsvc-index: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args.log_format, "info")
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except _UsageError as exc:
        print(f"searchsvc-index: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `searchsvc-index status | head -1`: the reader has gone. What is left to write
        # goes nowhere, so that Python's flush at exit does not fail once more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OUTPUT_CLOSED
    except Exception as failure:
        failure_code = _exit_code(failure)
        if failure_code is None:
            raise
        if isinstance(failure, OSError):
            log.error("%s failed: %s; the published index was left as it was",
                      args.command, failure)
        else:
            log.error("%s", failure)
        return failure_code


if __name__ == "__main__":
    sys.exit(main())
