"""``searchsvc-index``: rebuild, inspect and check the search index.

Exit codes, for cron jobs to act on:
  0  done
  1  the build failed (nothing was published; the live index is as it was): a full or
     read-only disk, say; the message says why
  2  bad command line (or a bad SEARCHSVC_* setting)
  3  too many bad records (over --max-errors; nothing was published)
  4  another rebuild or update holds the lock: try again later
  5  no published index (status), nothing to roll back to (rollback), or a copied
     generation that is incomplete (publish)
  6  check found problems
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from indexer import generations
from indexer.build import DEFAULT_MAX_ERRORS, BuildFailed, BuildReport, TooManyBadRecords, rebuild
from indexer.logs import LOG_FORMATS, configure_logging
from indexer.normalize import iter_records
from indexer.records import BadRecord, Record
from indexer.update import update
from indexer.vocabulary import Vocabulary
from indexer.withheld import read_removal_lists
from searchsvc.settings import Settings, SettingsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TOO_MANY_BAD = 3
EXIT_LOCKED = 4
EXIT_NO_INDEX = 5
EXIT_PROBLEMS = 6

# The exit code of a failure: the first class it is an instance of (TooManyBadRecords is a
# BuildFailed). The message logged is the exception's.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (generations.RebuildLocked, EXIT_LOCKED),
    (generations.IndexMissing, EXIT_NO_INDEX),
    (TooManyBadRecords, EXIT_TOO_MANY_BAD),
    (BuildFailed, EXIT_FAILED),
    (OSError, EXIT_FAILED),  # a full or read-only disk, say
)

DEFAULT_CORPUS = "corpus"
LOG_EVERY_SECONDS = 10.0

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

    status = command("status", "show the published generation")
    status.add_argument("--index-dir", type=Path, help=index_dir_help)

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
        help="file of record ids to leave out, one per line; repeatable",
    )


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


class Progress:
    """A tqdm bar on a terminal; otherwise a log line every few seconds."""

    def __init__(self, mode: str) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.count = 0
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(unit=" records", desc="indexing", file=sys.stderr)

    def __call__(self, item: Record | BadRecord) -> None:
        if isinstance(item, BadRecord):
            if self.bar is not None:
                self.bar.write(f"skipped {item}", file=sys.stderr)
            else:
                log.warning("skipped %s", item)
            return
        self.count += 1
        if self.bar is not None:
            self.bar.update()
        elif self.mode == "log":
            now = time.monotonic()
            if now - self.last_log >= LOG_EVERY_SECONDS:
                self.last_log = now
                rate = self.count / (now - self.started)
                log.info("indexed %d records (%.0f/s)", self.count, rate)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _build(args: argparse.Namespace) -> int:
    """``rebuild`` or ``update``: they take the same options and print the same summary."""
    build = update if args.command == "update" else rebuild
    try:
        removals = read_removal_lists(args.removals)
    except OSError as exc:
        raise BuildFailed(f"cannot read the removal list: {exc}; nothing was published") from exc
    progress = Progress(args.progress)
    try:
        report = build(args.corpus or [DEFAULT_CORPUS], args.index_dir, args.jobs,
                       args.max_errors, on_record=progress, removals=removals)
    finally:
        progress.close()
    _print_summary(report, args.index_dir)
    return EXIT_OK


def _print_summary(report: BuildReport, index_dir: Path) -> None:
    rate = report.documents / report.seconds if report.seconds else 0.0
    log.info(
        "published generation %s (%s)", report.generation, report.mode,
        extra={
            "event": "published", "mode": report.mode, "generation": report.generation,
            "base": report.base, "index_dir": str(index_dir), "documents": report.documents,
            "seconds": round(report.seconds, 2), "skipped": len(report.problems),
            "changes": dict(report.changes), "withheld": report.withheld,
            "steps": {name: round(sec, 2) for name, sec in report.phases.items()},
        },
    )
    print(f"published generation {report.generation} in {index_dir} ({report.mode})")
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
    print(f"index directory: {args.index_dir}")
    print(f"generation:      {manifest['generation']}")
    print(f"built at:        {manifest['built_at']} ({manifest['seconds']} s)")
    print(f"documents:       {manifest['documents']}")
    print(f"  by language:   {_counts(manifest['by_language'])}")
    print(f"  by type:       {_counts(manifest['by_type'])}")
    print(f"skipped records: {manifest['skipped']}")
    print(f"rollback to:     {generations.previous_name(args.index_dir) or '-'}")
    return EXIT_OK


def _rollback(args: argparse.Namespace) -> int:
    with generations.rebuild_lock(args.index_dir):
        name = generations.rollback(args.index_dir)
    print(f"published generation {name} again in {args.index_dir}")
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    name = generations.adopt(args.index_dir, args.generation)
    print(f"published generation {name} in {args.index_dir}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
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
    "check": _check,
}


def _settle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    """The log format; an unset ``--index-dir`` becomes the service's setting. A bad
    ``SEARCHSVC_*`` value is a usage error."""
    try:
        if "index_dir" in args and args.index_dir is None:
            args.index_dir = Settings.given("index_dir") or Settings.default("index_dir")
        chosen = getattr(args, "log_format", None) or Settings.given("log_format")
    except SettingsError as exc:
        parser.error(str(exc))
    return chosen or ("text" if sys.stderr.isatty() else "json")


def _exit_code(failure: Exception) -> int | None:
    return next((code for kind, code in EXIT_CODES if isinstance(failure, kind)), None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(_settle(args, parser), "info")
    try:
        return COMMANDS[args.command](args)
    except Exception as failure:
        code = _exit_code(failure)
        if code is None:
            raise
        if isinstance(failure, OSError):
            log.error("%s failed: %s; the published index was left as it was",
                      args.command, failure)
        else:
            log.error("%s", failure)
        return code


if __name__ == "__main__":
    sys.exit(main())
