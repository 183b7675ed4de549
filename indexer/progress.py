"""How a build shows its progress: a tqdm bar on a terminal, else a log line every few seconds
(under cron), and each skipped record as it is met."""

from __future__ import annotations

import logging
import sys
import time

from indexer.records import BadRecord, Record

LOG_EVERY_SECONDS = 10.0

log = logging.getLogger("searchsvc.index")


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
