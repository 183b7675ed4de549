"""Every visible string of the service's HTML pages, in Finnish, Swedish and English.

One table: a page asks ``text(ui, key, **values)`` and never writes a word of its own, so a
string missing in one language is a ``KeyError`` a test finds, not an English word on a
Finnish page. Dates are written as each language writes them (``format_date``).
"""

from __future__ import annotations

import datetime

STRINGS: dict[str, dict[str, str]] = {
    "site": {"fi": "Asiakirjahaku", "sv": "Dokumentsökning", "en": "Records search"},
    "search_nav": {"fi": "Haku", "sv": "Sökning", "en": "Search"},
    "back_to_search": {"fi": "Takaisin hakuun", "sv": "Tillbaka till sökningen",
                       "en": "Back to search"},
    "date": {"fi": "Päivämäärä", "sv": "Datum", "en": "Date"},
    "year": {"fi": "Vuosi", "sv": "År", "en": "Year"},
    "date_from_text": {"fi": "päätelty tekstistä", "sv": "härlett ur texten",
                       "en": "inferred from the text"},
    "type": {"fi": "Asiakirjatyyppi", "sv": "Dokumenttyp", "en": "Document type"},
    "division": {"fi": "Toimiala", "sv": "Sektor", "en": "Division"},
    "org": {"fi": "Organisaatio", "sv": "Organisation", "en": "Organisation"},
    "lang": {"fi": "Kieli", "sv": "Språk", "en": "Language"},
    "source": {"fi": "Lähde", "sv": "Källa", "en": "Source"},
    "source_ref": {"fi": "Lähdeviite", "sv": "Källhänvisning", "en": "Source reference"},
    "translations": {"fi": "Muilla kielillä", "sv": "På andra språk", "en": "In other languages"},
    "full_text": {"fi": "Teksti", "sv": "Text", "en": "Text"},
    "marked": {"fi": "Hakusi sanat on korostettu tekstissä.",
               "sv": "Orden i din sökning är markerade i texten.",
               "en": "The words of your search are highlighted in the text."},
    "cite": {"fi": "Viittaa tähän asiakirjaan", "sv": "Citera det här dokumentet",
             "en": "Cite this record"},
    "cite_formats": {"fi": "Lähdeviite muissa muodoissa", "sv": "Citatet i andra format",
                     "en": "The citation in other formats"},
    "plain_text": {"fi": "Pelkkä teksti", "sv": "Ren text", "en": "Plain text"},
    "permalink": {"fi": "Pysyvä osoite", "sv": "Permanent adress", "en": "Permanent link"},
    "licence": {"fi": "Lisenssi", "sv": "Licens", "en": "Licence"},
    "related": {"fi": "Samankaltaiset asiakirjat", "sv": "Liknande dokument",
                "en": "Related records"},
    "untitled": {"fi": "(ei otsikkoa)", "sv": "(utan rubrik)", "en": "(untitled)"},
    "not_found": {"fi": "Asiakirjaa ei löytynyt", "sv": "Dokumentet hittades inte",
                  "en": "Document not found"},
    "not_found_text": {"fi": "Tunnisteella {id} ei ole asiakirjaa.",
                       "sv": "Det finns inget dokument med id:t {id}.",
                       "en": "No document has the id {id}."},
}

# Per language of the page, the name of each record language.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "fi": {"fi": "suomi", "sv": "ruotsi", "en": "englanti"},
    "sv": {"fi": "finska", "sv": "svenska", "en": "engelska"},
    "en": {"fi": "Finnish", "sv": "Swedish", "en": "English"},
}

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def text(ui: str, key: str, **values: str) -> str:
    """The string ``key`` in the language ``ui``, with ``values`` filled in (as given: the
    page escapes the result)."""
    found = STRINGS[key][ui]
    return found.format(**values) if values else found


def language_name(ui: str, language: str) -> str:
    """A record language's name in the page's language; an unknown code as it is."""
    return LANGUAGE_NAMES[ui].get(language, language)


def format_date(ui: str, iso: str) -> str:
    """An ISO date as the language writes it: ``24.11.2021`` and ``5.5.2021`` in Finnish and
    Swedish (as in Finland: day.month.year, no leading zeros), ``24 November 2021`` in
    English (the month spelled out, so no reader mistakes the day for the month). A value
    that is not a date is returned as it is."""
    try:
        day = datetime.date.fromisoformat(iso)
    except ValueError:
        return iso
    if ui == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"

