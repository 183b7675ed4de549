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
from indexer.build import BuildFailed, BuildReport, TooManyBadRecords, rebuild
from indexer.command_line import DEFAULT_CORPUS, command_line
from indexer.guards import (
    CorpusUnusable,
    TooManyRemovals,
    check_corpus,
)
from indexer.logs import configure_logging
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

log = logging.getLogger("searchsvc.index")


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
    """``rebuild`` or ``update`` with ``--dask-workers N`` or ``--scheduler ADDRESS``
    (``indexer.dask_build``, ``indexer.dask_update``)."""
    if args.dask_workers is not None and args.scheduler is not None:
        raise _UsageError("give --dask-workers (a local cluster) or --scheduler (an existing "
                          "one), not both")
    from indexer.dask_build import dask_rebuild
    from indexer.dask_update import dask_update

    build = dask_update if args.command == "update" else dask_rebuild
    report = build(args.corpus or [DEFAULT_CORPUS], args.index_dir, args.dask_workers,
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
    parser = command_line(__doc__.split("\n", 2)[2] if __doc__ else None)
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
