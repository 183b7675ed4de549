"""The record model shared by the readers, the normaliser and the index builder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TITLE_MAX = 200
_WORD = re.compile(r"\w")

# Fields a record may carry that the indexer understands; anything else is kept in ``extra``.
CORE_FIELDS = (
    "id",
    "title",
    "body",
    "url",
    "language",
    "date",
    "year",
    "organization",
    "division",
    "doc_type",
    "source",
    "expires",
)


class BadRecord(Exception):
    """A record that cannot be indexed, with the place it was read from."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass
class RawRecord:
    """Fields as a reader found them (after sidecar and folder defaults are applied)."""

    fields: dict[str, Any]
    path: str
    line: int | None = None
    # Text read from a page rather than a structured record: language and dates are derived
    # from it per section, since such pages mix languages (an English page, Finnish comments).
    is_page: bool = False

    @property
    def origin(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Section:
    """A run of the body in one language."""

    language: str
    text: str


@dataclass
class Record:
    """A normalised record, ready to index.

    ``organization``, ``division`` and ``doc_type`` are canonical vocabulary keys; the raw
    values they came from are kept in ``extra`` (``organization_raw`` and so on).
    """

    id: str
    title: str
    body: str
    origin: str
    # An http(s) address of the document itself; a ``url`` value that is not one is kept as
    # ``source_ref`` (see ``indexer.normalize``).
    url: str | None = None
    source_ref: str | None = None
    language: str | None = None
    date: str | None = None
    # "source" when the date is the record's own field, "text" when found in its text.
    date_source: str | None = None
    year: int | None = None
    organization: str | None = None
    division: str | None = None
    doc_type: str | None = None
    source: str | None = None
    # ISO date from which the record must no longer be served (personal data in minutes is
    # removed after the appeal period); None = never.
    expires: str | None = None
    sections: list[Section] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def languages(self) -> list[str]:
        seen: list[str] = []
        for section in self.sections:
            if section.language not in seen:
                seen.append(section.language)
        return seen

    def text_in(self, language: str) -> str:
        return "\n\n".join(s.text for s in self.sections if s.language == language)


def title_from_text(text: str) -> str:
    """The title of a record that has none: the first line with a word in it, cut at a space
    to at most ``TITLE_MAX`` characters with the ellipsis ("" if no line has a word)."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if _WORD.search(line):
            break
    else:
        return ""
    if len(line) <= TITLE_MAX:
        return line
    cut = line[: TITLE_MAX - 1]
    space = cut.rfind(" ")
    if space > TITLE_MAX // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"
