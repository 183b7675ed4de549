"""Dates and years written in the text of a page (for records without a date field).

``find_date`` is the first date written anywhere; ``dates_in`` lists every date with where it
stands and whether the text presents it as its own date (``Found.own``): after a label such as
"Päätöspäivä", "Datum:" or "Published", or ending a short heading line near the top
("Välfärdsområdesfullmäktige 28.4.2026"). Which of them a record may take is
``indexer.normalize``'s policy.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

MIN_YEAR = 1900
MAX_YEAR = 2100

# Month names: Finnish stems (inflected: "huhtikuuta", "huhtikuun", "huhtikuussa"), Swedish and
# English names, and the abbreviations the two share ("Apr", "sept.").
_FINNISH_MONTHS = (
    "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu "
    "marraskuu joulukuu"
).split()
_SWEDISH_MONTHS = (
    "januari februari mars april maj juni juli augusti september oktober november december"
).split()
_ENGLISH_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_FULL_NAMES: dict[str, int] = {}
for _names in (_FINNISH_MONTHS, _SWEDISH_MONTHS, _ENGLISH_MONTHS):
    _FULL_NAMES.update({name: number for number, name in enumerate(_names, start=1)})
_MONTHS = {**_ABBREVIATIONS, **_FULL_NAMES}
# Longest first, so that "march" is not read as "mar" followed by junk.
_MONTH_ALT = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
# A full name may be followed by Finnish case endings; an abbreviation by a dot.
_MONTH = rf"(?P<month_name>{_MONTH_ALT})(?P<month_tail>[a-zåäö]*)\.?"

_DAY_NUM = r"(?P<day>[0-3]?\d)"
_PATTERNS = [
    # 28.4.2026, 28.04.2026, 4.12. 1981 (Finnish and Swedish); not part of 1.2.3.2020 or 28.4.20261
    re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\. ?(?P<year>\d{4})(?![\d]|\.\d)"),
    # 2024-04-29 (ISO, also as the start of a timestamp); not a diary number like 2021-004218
    re.compile(r"(?<![\d\-/])(?P<year>\d{4})-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?![\d\-])"),
    # 04/29/2024 (US, also Drupal's "Mon, 04/29/2024 - 08:51"); not part of 91/497/EEG
    re.compile(r"(?<![\d/])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>\d{4})(?![\d/])"),
    # 28 April 2026, 28. huhtikuuta 2026, 28th April 2026, den 24 februari 2026
    re.compile(
        rf"(?<![\w.]){_DAY_NUM}(?:st|nd|rd|th|:e|\.)?\s+{_MONTH},?\s+(?P<year>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
    # April 28, 2026 and April 28 2026
    re.compile(
        rf"(?<!\w){_MONTH}\s+{_DAY_NUM}(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
]


def _month_of(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("month"):
        return int(groups["month"])
    stem = groups["month_name"].lower()
    tail = groups["month_tail"].lower()
    # Finnish month names take case endings; other names must be whole ("Mar" or "March", and
    # not "Mark" or "Marsh").
    if tail and not stem.endswith("kuu") and stem + tail not in _FULL_NAMES:
        return None
    return _MONTHS[stem]


def _date_of(match: re.Match[str]) -> datetime.date | None:
    month = _month_of(match)
    if month is None:
        return None
    year = int(match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return datetime.date(year, month, int(match["day"]))
    except ValueError:
        return None


@dataclass(frozen=True)
class Found:
    """A date written in a text: where it starts, and whether it is the text's own date."""

    date: datetime.date
    start: int
    own: bool


# Words that say the date after them is the document's own: decided, met, published.
_OWN_DATE_LABELS = [
    r"päätöspäivä(?:määrä)?", r"päivämäärä", r"pvm", r"kokouspäivä", r"kokousaika",
    r"kokous", r"julkaistu", r"julkaisupäivä",
    r"beslutsdatum", r"sammanträdesdatum", r"sammanträdestid", r"sammanträde", r"datum",
    r"publicerad", r"publicerat", r"utfärdad",
    r"date\s+of\s+decision", r"decision\s+date", r"meeting\s+date", r"date", r"dated",
    r"published(?:\s+on)?", r"issued(?:\s+on)?",
]  # fmt: skip
_OWN_LABEL_BEFORE = re.compile(
    rf"(?<!\w)(?:{'|'.join(_OWN_DATE_LABELS)})[ \t\xa0]*[:.]?[ \t\xa0]*(?:den[ \t\xa0]+)?$",
    re.IGNORECASE,
)
# A heading that names a body and the day it met: a short line among the first lines of the
# text, words and then the date, nothing after it (not even a full stop, which ends a sentence).
HEADING_LINES = 3
HEADING_MAX_CHARS = 60


def _heading_end(text: str) -> int:
    """Where the first ``HEADING_LINES`` non-blank lines of ``text`` end."""
    seen = 0
    for line in re.finditer(r"[^\n]*\n?", text):
        if line.group().strip():
            seen += 1
            if seen == HEADING_LINES:
                return line.end()
        if not line.group():
            break
    return len(text)


def _is_own(text: str, match: re.Match[str], heading_end: int) -> bool:
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[max(line_start, match.start() - 40) : match.start()]
    if _OWN_LABEL_BEFORE.search(before):
        return True
    line_end = text.find("\n", match.end())
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].strip()
    return (
        match.start() < heading_end
        and len(line) <= HEADING_MAX_CHARS
        and not re.search(r"\d", text[line_start : match.start()])
        and not text[match.end() : line_end].strip()
    )


def dates_in(text: str) -> list[Found]:
    """Every plausible date written in ``text``, in order of where it starts."""
    heading_end = _heading_end(text)
    found: list[tuple[int, int, re.Match[str], datetime.date]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            date = _date_of(match)
            if date is not None:
                found.append((match.start(), match.end(), match, date))
    found.sort(key=lambda f: f[0])
    dates: list[Found] = []
    covered = -1
    for start, end, match, date in found:
        if start < covered:  # the same characters read by another pattern
            continue
        covered = end
        dates.append(Found(date, start, _is_own(text, match, heading_end)))
    return dates


def find_date(text: str) -> datetime.date | None:
    """The first plausible date written in ``text``, in any supported format, or None."""
    candidates: list[tuple[int, datetime.date]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            found = _date_of(match)
            if found is not None:
                candidates.append((match.start(), found))
                break  # later matches of this pattern cannot come first
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


_YEAR_LABELS = [
    # Labels that say what the year is; the colon is optional.
    r"publiceringsår",
    r"utgivningsår",
    r"tryckår",
    r"publicerad",
    r"publicerat",
    r"julkaisuvuosi",
    r"julkaistu",
    r"julkaisupäivä",
    r"year\s+of\s+publication",
    r"publication\s+year",
    r"publication\s+date",
    r"date\s+of\s+publication",
    r"published(?:\s+on|\s+in)?",
]
_GENERIC_YEAR_LABELS = [r"year", r"vuosi", r"år"]  # only with a colon: "Year: 2020"
_YEAR_LINE = re.compile(
    rf"^[ \t\xa0]*(?:(?:{'|'.join(_YEAR_LABELS)})\b[ \t\xa0]*:?"
    rf"|(?:{'|'.join(_GENERIC_YEAR_LABELS)})[ \t\xa0]*:)[ \t\xa0]*(?P<rest>[^\n]{{0,40}})",
    re.IGNORECASE | re.MULTILINE,
)
_YEAR = re.compile(r"(?<![\d\-/.])(\d{4})(?![\d\-/])")


def find_year(text: str) -> int | None:
    """The year given on a labelled line ("Publiceringsår: 2008", "Published: 12 May 2008")."""
    for match in _YEAR_LINE.finditer(text):
        rest = match["rest"]
        found = find_date(rest)
        if found is not None:
            return found.year
        for year in _YEAR.finditer(rest):
            value = int(year.group(1))
            if MIN_YEAR <= value <= MAX_YEAR:
                return value
    return None
