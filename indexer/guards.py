"""What stops a run from shrinking the index by mistake: an unusable corpus path, and more
records gone from the corpus than allowed.

An unattended run sees the corpus only through its ``--corpus`` paths. A share that is not
mounted, a typo, a folder emptied by a failed copy: each looks like records deleted, and an
update would delete them from the index and report success. So:

- every ``--corpus`` path must exist and yield at least one record (``check_corpus``), and
- the records of the published generation that are missing from the corpus (neither in it
  nor withheld on purpose by a removal list) may be at most a set number, by default 10% of
  the published records (``RemovalLimit``, the CLI's ``--allow-removals N`` or ``N%``),
  as ``rsync --max-delete`` limits deletions. The command line always applies one
  (``DEFAULT_REMOVAL_LIMIT`` unless told); ``rebuild()`` and ``update()`` called from code
  (tests, benchmarks) only when given one. Records on a removal list, remembered or given,
  and records past their ``expires`` are intended and never count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.readers import iter_raw_records
from indexer.records import BadRecord

DEFAULT_REMOVAL_SHARE = 10.0  # percent of the published records


class CorpusUnusable(Exception):
    """A corpus path is missing, unreadable or holds no records."""


class TooManyRemovals(Exception):
    """More published records are missing from the corpus than the removal limit allows."""


def check_corpus(paths: Sequence[str | Path]) -> None:
    """Raise ``CorpusUnusable`` naming the first path that yields no record at all: missing,
    unreadable, or holding no record files. Reads each path only up to its first record."""
    for path in paths:
        first_problem: BadRecord | None = None
        for item in iter_raw_records([path]):
            if not isinstance(item, BadRecord):
                break
            first_problem = first_problem or item
        else:
            if first_problem is not None and (first_problem.path, first_problem.line) == (
                str(path), None
            ):
                reason = first_problem.reason  # "no such file or folder", say
            elif first_problem is not None:
                reason = f"no record could be read ({first_problem})"
            else:
                reason = "holds no records (an empty folder, or a share that is not mounted?)"
            raise CorpusUnusable(f"corpus path {path}: {reason}")


@dataclass(frozen=True)
class RemovalLimit:
    """How many published records may go missing from the corpus: a number, or a share (in
    percent) of the published records."""

    count: int | None = None
    percent: float = DEFAULT_REMOVAL_SHARE

    @classmethod
    def parse(cls, text: str) -> RemovalLimit:
        """``"25"`` (records) or ``"25%"`` (of the published records); ValueError if neither."""
        text = text.strip()
        try:
            if text.endswith("%"):
                percent = float(text[:-1])
                if not 0 <= percent <= 100 or math.isnan(percent):
                    raise ValueError
                return cls(percent=percent)
            count = int(text)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except ValueError:
            raise ValueError(
                f"expected a number of records (25) or a share of the published ones (25%), "
                f"not {text!r}"
            ) from None

    def allowed(self, published: int) -> int:
        if self.count is not None:
            return self.count
        return math.floor(published * self.percent / 100)

    def __str__(self) -> str:
        return str(self.count) if self.count is not None else f"{self.percent:g}%"

    def check(self, mode: str, missing: int, published: int) -> None:
        """Raise ``TooManyRemovals`` if ``missing`` of ``published`` records is too many."""
        allowed = self.allowed(published)
        if missing <= allowed:
            return
        share = 100 * missing / published if published else 100.0
        raise TooManyRemovals(
            f"{mode} would remove {missing} of the {published} published records ({share:.0f}%)"
            f" because they are missing from the corpus; --allow-removals {self} allows "
            f"{allowed}. Nothing was published. Check the --corpus paths; if the records are "
            f"meant to go, run again with --allow-removals {missing}, or list them in a "
            "--removals file"
        )


DEFAULT_REMOVAL_LIMIT = RemovalLimit()
