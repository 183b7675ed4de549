"""How to cite a record: plain text, BibTeX and CSL-JSON (``GET /documents/{id}?format=``).

Every citation is made from the record's answer (``searchsvc.record.document``: stored fields
and labels in the ``ui`` language), its permalink (``searchsvc.permalinks``), the day it is
retrieved and its licence's terms (``searchsvc.licences``), and carries the same facts: the
title, the issuing body (the organisation or court; for a UK written answer also the
answering body, the division of the record), the date (or the year), the document type,
the permalink, the source's address, the retrieval date and the attribution the licence
requires.

The retrieval date ("accessed") is the day in UTC when the request is answered, so an answer
holding a citation changes at midnight UTC: its entity tag names the day (``day_tag``) and it
is cached at most until the day ends (``seconds_left_today``).

- ``text/plain; charset=utf-8``: one paragraph, the words around the facts in ``ui``.
- ``application/x-bibtex; charset=utf-8``: one ``@misc`` entry. ``@misc`` because every
  BibTeX style and biblatex know it, and Zotero, JabRef and pandoc import it whole; biblatex's
  ``@jurisdiction``/``@legislation`` are unknown to classic BibTeX styles and most biblatex
  styles print them as ``@misc`` anyway. Text fields escape ``{ } \\ % & $ # _ ~ ^``; the
  title keeps its capitals (double braces), the issuing body is a corporate name (braced, so
  it is not split into a first and last name). The key is the id with every character but
  ASCII letters, digits, ``:``, ``-`` and ``_`` replaced, and a hash of the id where anything
  was replaced, so two ids never share a key.
- ``application/vnd.citationstyles.csl+json``: a list of one CSL-JSON item (``id``, ``type``,
  ``title``, ``author`` as a literal name, ``issued`` and ``accessed`` as date-parts, ``URL``
  the permalink, ``publisher``, ``note`` with the source address and the attribution).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from searchsvc.licences import Terms, terms_of

CONTENT_TYPES = {
    "text": "text/plain; charset=utf-8",
    "bibtex": "application/x-bibtex; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json",
}
# CSL item types by document type key (the vocabulary's ``doc_type``); others "document".
CSL_TYPES = {
    "court_decision": "legal_case",
    "assessment": "report",
    "publication": "report",
}
UK_ANSWERING_ORGS = ("uk_house_of_commons",)

WORDS = {
    "accessed": {"fi": "viitattu", "sv": "hämtad", "en": "accessed"},
    "source": {"fi": "Alkuperäinen", "sv": "Original", "en": "Original"},
    "answering": {"fi": "vastaaja", "sv": "svarande", "en": "answering body"},
    "untitled": {"fi": "(ei otsikkoa)", "sv": "(utan rubrik)", "en": "(untitled)"},
}


def today() -> datetime.date:
    """The retrieval date: today in UTC."""
    return datetime.datetime.now(datetime.UTC).date()


def seconds_left_today() -> int:
    """Seconds until the retrieval date changes (at least 1)."""
    now = datetime.datetime.now(datetime.UTC)
    midnight = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                         datetime.time(), datetime.UTC)
    return max(1, int((midnight - now).total_seconds()))


@dataclass(frozen=True)
class Citation:
    """The facts of one record's citation."""

    id: str
    title: str
    issuer: str | None  # the issuing body: organisation, court; answering body
    date: str | None  # ISO date
    year: int | None
    doc_type: str | None  # type key
    type_label: str | None
    language: str | None
    permalink: str
    source_url: str | None  # the document's address, or its source reference
    accessed: datetime.date
    terms: Terms

    @property
    def publisher(self) -> str | None:
        return self.terms.licence.publisher if self.terms.licence else None

    @property
    def attribution(self) -> str:
        return self.terms.attribution


def _label(document: Mapping[str, Any], name: str) -> str | None:
    found = (document.get("labels") or {}).get(name) or {}
    value = found.get("label") or found.get("key")
    return str(value) if value else None


def citation(document: Mapping[str, Any], permalink: str, accessed: datetime.date,
             ui: str) -> Citation:
    """The citation of a record's answer (``searchsvc.record.document``, labels in ``ui``)."""
    issuer = _label(document, "org")
    org_key = ((document.get("labels") or {}).get("org") or {}).get("key")
    answering = _label(document, "division")
    if org_key in UK_ANSWERING_ORGS and answering:
        issuer = f"{issuer}; {WORDS['answering'][ui]}: {answering}" if issuer else answering
    year = document.get("year")
    return Citation(
        id=str(document["id"]),
        title=(document.get("title") or "").strip() or WORDS["untitled"][ui],
        issuer=issuer,
        date=document.get("date"),
        year=year if isinstance(year, int) else None,
        doc_type=((document.get("labels") or {}).get("type") or {}).get("key"),
        type_label=_label(document, "type"),
        language=document.get("language"),
        permalink=permalink,
        source_url=document.get("url") or document.get("source_ref"),
        accessed=accessed,
        terms=terms_of(document),
    )


def fields(c: Citation, ui: str) -> dict[str, Any]:
    """What the JSON answer of ``/documents/{id}`` gains: the permalink, the plain text
    citation, the licence and the attribution it requires."""
    return {"permalink": c.permalink, "citation": as_text(c, ui),
            "licence": c.terms.as_json(), "attribution": c.attribution}


def formatted(c: Citation, form: str, ui: str) -> str:
    """The citation in one of ``CONTENT_TYPES``' formats."""
    if form == "text":
        return as_text(c, ui) + "\n"
    if form == "bibtex":
        return as_bibtex(c, ui)
    return json.dumps(as_csl(c), ensure_ascii=False, indent=2) + "\n"


# --- plain text -------------------------------------------------------------------------------


def text_parts(c: Citation, ui: str) -> list[tuple[str, str]]:
    """(what, sentence) of the plain text citation: ``issuer``, ``title``, ``kind`` (type
    and date), ``publisher``, ``permalink`` (with the day accessed), ``source``,
    ``attribution``; each a sentence. The words around the facts are in ``ui``; the title is
    in the record's language and the attribution in the licence's (English)."""
    when = c.date or (str(c.year) if c.year else None)
    parts = [("issuer", c.issuer), ("title", c.title),
             ("kind", ", ".join(p for p in (c.type_label, when) if p)),
             ("publisher", c.publisher),
             ("permalink", f"{c.permalink} ({WORDS['accessed'][ui]} {c.accessed.isoformat()})"),
             ("source", f"{WORDS['source'][ui]}: {c.source_url}" if c.source_url else None),
             ("attribution", c.attribution)]
    return [(what, _sentence(part)) for what, part in parts if part]


def as_text(c: Citation, ui: str) -> str:
    """One paragraph: Issuer. Title. Type, date. Publisher. Permalink (accessed day).
    Original: the source's address. Attribution."""
    return " ".join(part for _, part in text_parts(c, ui))


def _sentence(part: str) -> str:
    part = " ".join(part.split())
    return part if part.endswith((".", "?", "!")) else part + "."


# --- BibTeX -----------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_PATTERN = re.compile("[" + re.escape("".join(_BIBTEX_SPECIAL)) + "]")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9:_-]+")


def bibtex_escape(text: str) -> str:
    """Text for a BibTeX field: its special characters escaped, whitespace collapsed."""
    return _BIBTEX_PATTERN.sub(lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(text.split()))


def _bibtex_url(url: str) -> str:
    """An address for the verbatim ``url`` field: characters that would end the field or the
    entry (braces, backslash, whitespace) percent-encoded."""
    return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group()):02X}", url)


def citation_key(doc_id: str) -> str:
    """A stable BibTeX key of a record id."""
    ascii_id = unicodedata.normalize("NFKD", doc_id).encode("ascii", "ignore").decode()
    key = _KEY_UNSAFE.sub("_", ascii_id).strip("_") or "record"
    if key != doc_id:
        key += "_" + hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8]
    return key


def as_bibtex(c: Citation, ui: str) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + bibtex_escape(c.title) + "}")]
    if c.issuer:
        fields.append(("author", "{" + bibtex_escape(c.issuer) + "}"))
    if c.year or c.date:
        fields.append(("year", str(c.year or c.date)[:4]))
    if c.date:
        fields.append(("date", c.date))
    if c.type_label:
        fields.append(("type", bibtex_escape(c.type_label)))
    if c.publisher:
        fields.append(("publisher", bibtex_escape(c.publisher)))
        fields.append(("organization", bibtex_escape(c.publisher)))
    if c.language:
        fields.append(("langid", bibtex_escape(c.language)))
    fields.append(("url", _bibtex_url(c.permalink)))
    fields.append(("urldate", c.accessed.isoformat()))
    note = [f"{WORDS['accessed'][ui].capitalize()} {c.accessed.isoformat()}."]
    if c.source_url:
        note.append(_sentence(f"{WORDS['source'][ui]}: {c.source_url}"))
    note.append(c.attribution)
    fields.append(("note", bibtex_escape(" ".join(note))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation_key(c.id)},\n{body}\n}}\n"


# --- CSL-JSON ---------------------------------------------------------------------------------


def _date_parts(iso: str | None, year: int | None) -> dict[str, Any] | None:
    if iso:
        try:
            day = datetime.date.fromisoformat(iso)
            return {"date-parts": [[day.year, day.month, day.day]]}
        except ValueError:
            pass
    return {"date-parts": [[year]]} if year else None


def as_csl(c: Citation) -> list[dict[str, Any]]:
    """A CSL-JSON list of one item."""
    item: dict[str, Any] = {
        "id": c.id,
        "type": CSL_TYPES.get(c.doc_type or "", "document"),
        "title": c.title,
        "URL": c.permalink,
        "accessed": _date_parts(c.accessed.isoformat(), None),
    }
    if c.issuer:
        item["author"] = [{"literal": c.issuer}]
        if item["type"] == "legal_case":
            item["authority"] = c.issuer
    issued = _date_parts(c.date, c.year)
    if issued:
        item["issued"] = issued
    if c.type_label:
        item["genre"] = c.type_label
    if c.publisher:
        item["publisher"] = c.publisher
    if c.language:
        item["language"] = c.language
    if c.source_url:
        item["source"] = c.source_url
    note = ([_sentence(f"Original: {c.source_url}")] if c.source_url else []) + [c.attribution]
    item["note"] = " ".join(note)
    return [item]
