"""Records that must not be served: those on a removal list and those past their expiry.

Municipalities must take personal data out of published minutes once the appeal period is
over (Kuntalaki 140 §). A record may carry ``expires`` (an ISO date: from that day on it is
not served), and an operator may list record ids to remove. ``rebuild`` and ``update`` leave
such records out of the generation they publish, so nothing of them (stored text, snippets,
title completions, spelling words) is in it.

Removals are remembered. An id given once with ``--removals`` stays withheld from every later
generation built in that index directory, with or without ``--removals``, until it is
restored (``searchsvc-index restore ID``). On disk, in the index directory::

    removals.txt    the remembered ids, one per line, sorted, after a ``#`` comment header;
                    the format of a ``--removals`` file, so it can be read (and given) as one

It is replaced atomically, only by a process holding the index directory's rebuild lock:
``rebuild`` and ``update`` add the ids they were given just before they publish (or find
nothing to publish), so a failed run remembers nothing new; ``restore`` takes ids out.
Expired records need no memory: their ``expires`` keeps them out.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
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


REMOVALS_FILE = "removals.txt"
_HEADER = (
    "# Record ids withheld from every index generation built in this directory.\n"
    "# Written by searchsvc-index; take an id out with `searchsvc-index restore ID`.\n"
)


def remembered_removals(index_dir: Path) -> frozenset[str]:
    """The ids remembered in ``index_dir`` (none if it has no removals file)."""
    path = index_dir / REMOVALS_FILE
    return read_removal_lists([path]) if path.is_file() else frozenset()


def write_remembered_removals(index_dir: Path, ids: Iterable[str]) -> None:
    """Replace the remembered ids (atomically; the caller holds the rebuild lock)."""
    path = index_dir / REMOVALS_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(_HEADER + "".join(f"{record_id}\n" for record_id in sorted(set(ids))))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


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
