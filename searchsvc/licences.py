"""What each record's licence requires of whoever cites or reuses it: one table, as data.

A record states its licence in its own ``license`` field (kept in the ``extra`` of
``indexer.contract.StoredDocument``), as its source's packaging wrote it. ``LICENCES`` maps
each such statement the corpus holds (corpus/README.md, "Provenance, licences and
attribution") to the licence's short name, its address and the attribution it requires:
CC BY 4.0 names the source (Finlex / the Ministry of Justice, the City of Helsinki), the Open
Parliament Licence v3.0 requires its own sentence. A statement the table does not know is
given as the record states it with no attribution invented, and a record without one (the
seed pages) says "Licence not stated." A test holds every licence of the shipped corpus to
an entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
OPEN_PARLIAMENT_3 = (
    "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/"
)
NOT_STATED = "Licence not stated."


@dataclass(frozen=True)
class Licence:
    name: str  # the licence's short name: "CC BY 4.0"
    url: str  # where its terms are
    publisher: str  # who the licence says to name as the source
    attribution: str  # the text a citation or reuse must carry


_FINLEX = Licence(
    name="CC BY 4.0", url=CC_BY_4, publisher="Finlex / Ministry of Justice, Finland",
    attribution="Source: Finlex / Ministry of Justice, Finland (Semantic Finlex, "
    "data.finlex.fi), licensed under CC BY 4.0.",
)
_HELSINKI = Licence(
    name="CC BY 4.0", url=CC_BY_4, publisher="City of Helsinki",
    attribution="Source: City of Helsinki (Ahjo decision system open data), "
    "licensed under CC BY 4.0.",
)
_UK_PARLIAMENT = Licence(
    name="Open Parliament Licence v3.0", url=OPEN_PARLIAMENT_3, publisher="UK Parliament",
    attribution="Contains Parliamentary information licensed under the Open Parliament "
    "Licence v3.0. Dataset packaging by mySociety, CC BY 4.0.",
)

# A record's ``license`` value, exactly as the corpus states it -> what it requires.
LICENCES: dict[str, Licence] = {
    "CC-BY-4.0 (Semantic Finlex case-law datasets; official decisions, not "
    "copyright-protected under Finnish Copyright Act s.9)": _FINLEX,
    "CC-BY-4.0 (Helsinki open data / Ahjo API terms; official municipal decisions)": _HELSINKI,
    "CC-BY-4.0 (Helsinki open data / Ahjo API terms; official municipal documents)": _HELSINKI,
    "Open Parliament Licence v3.0 (UK Parliament); dataset packaging CC-BY-4.0 by "
    "mySociety": _UK_PARLIAMENT,
}


@dataclass(frozen=True)
class Terms:
    """What one record's licence statement means for a citation."""

    stated: str | None  # the record's own ``license`` value
    licence: Licence | None  # None: not stated, or a statement the table does not know

    @property
    def attribution(self) -> str:
        if self.licence is not None:
            return self.licence.attribution
        if self.stated:
            return f"Licence as stated by the source: {self.stated}"
        return NOT_STATED

    def as_json(self) -> dict[str, Any]:
        """The ``licence`` of a record's JSON answer."""
        return {
            "name": self.licence.name if self.licence else None,
            "url": self.licence.url if self.licence else None,
            "stated": self.stated,
        }


def stated_licence(stored: Mapping[str, Any]) -> str | None:
    """The licence a stored record (or a record's answer) states, if any."""
    value = (stored.get("extra") or {}).get("license")
    return value.strip() if isinstance(value, str) and value.strip() else None


def terms_of(stored: Mapping[str, Any]) -> Terms:
    stated = stated_licence(stored)
    return Terms(stated, LICENCES.get(stated) if stated else None)
