"""Records that must not be served: those on a removal list and those past their expiry.

Municipalities must take personal data out of published minutes once the appeal period is
over (Kuntalaki 140 §). A record may carry ``expires`` (an ISO date: from that day on it is
not served), and an operator may list record ids to remove. ``rebuild`` and ``update`` leave
such records out of the generation they publish, so nothing of them (stored text, snippets,
title completions, spelling words) is in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.records import Record


def read_removal_lists(paths: Sequence[str | Path]) -> frozenset[str]:
    """Record ids, one per line; blank lines and ``#`` comments are ignored."""
    ids: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record_id = line.split("#", 1)[0].strip()
                if record_id:
                    ids.add(record_id)
    return frozenset(ids)


def is_expired(expires: str | None, today: dt.date) -> bool:
    if not expires:
        return False
    return expires[:10] <= today.isoformat()


@dataclass
class Withholding:
    """Tells the records withheld (removed or expired) from the others, counting them."""

    removals: frozenset[str] = frozenset()
    today: dt.date = field(default_factory=dt.date.today)
    removed: int = 0
    expired: int = 0
    ids: set[str] = field(default_factory=set)

    def withheld(self, record: Record) -> bool:
        if record.id in self.removals:
            self.removed += 1
        elif is_expired(record.expires, self.today):
            self.expired += 1
        else:
            return False
        self.ids.add(record.id)
        return True
