"""The HTML page of a record, for people: what ``GET /documents/{id}`` answers a browser.

Rendered from the answer the JSON gives (``searchsvc.record.document``) and the query's words
found in it (``searchsvc.record.marked``), in the page's language (``searchsvc.page_text``);
after the text, the record's citation with its licence (``searchsvc.citations``) and links to
its related records (``searchsvc.related``).
Every text of a record is escaped (``html.escape``); the only markup around it is this
module's own and the ``<mark>`` of ``searchsvc.snippets.marked``. The page runs no script
and loads nothing: its stylesheet is inline, allowed by its hash in the
Content-Security-Policy (``headers``), which allows nothing else.

Accessibility (WCAG 2.1 AA): ``<html lang>`` is the page's language and the record's title
and text carry the record's language (a paragraph in another section's language its own);
landmarks ``header``/``nav``/``main``; one ``h1``; links at least 24 px high; visible focus,
also in forced colours; contrast at least 4.5:1; reflow at 320 px (long words and addresses
wrap anywhere); no motion at all, so ``prefers-reduced-motion`` has nothing to stop.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from searchsvc import citations, permalinks
from searchsvc.citations import Citation
from searchsvc.page_text import format_date, language_name, text
from searchsvc.record import Marked
from searchsvc.snippets import Span, marked

CONTENT_TYPE = "text/html; charset=utf-8"

STYLESHEET = """\
:root{color-scheme:light}
body{margin:0 auto;max-width:48rem;padding:0 1rem 2rem;font:1rem/1.5 system-ui,sans-serif;\
color:#1b1b1b;background:#fff;overflow-wrap:anywhere}
header{padding:.5rem 0;border-bottom:1px solid #767676}
a{color:#0b4f9c}
a:visited{color:#5b2a86}
a:focus-visible{outline:3px solid #0b4f9c;outline-offset:2px}
header a,li a,dd a{display:inline-block;min-height:24px;padding:.25rem 0}
h1{font-size:1.75rem;line-height:1.25}
dl{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0}
ul{padding-left:1.25rem}
.note{color:#4a4a4a}
mark{background:#ffe666;color:#1b1b1b}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
@media (forced-colors:active){mark{background:Mark;color:MarkText}\
a:focus-visible{outline-color:Highlight}}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode("utf-8")).digest()).decode()

# Nothing but the inline stylesheet (by its hash) and the empty icon: no script, no frame,
# no form, no base element, nothing fetched.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def headers(ui: str) -> dict[str, str]:
    """The headers of a page in the language ``ui``."""
    return {
        "Content-Type": CONTENT_TYPE,
        "Content-Language": ui,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # The page's address holds the search words: no other site is told it.
        "Referrer-Policy": "no-referrer",
    }


# A blank line: paragraphs of a record's text are separated so.
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


def document_path(doc_id: str, keep: Mapping[str, str]) -> str:
    """The path of a record's page, with the parameters in ``keep`` (``q``, ``ui``)."""
    query = urlencode({name: value for name, value in keep.items() if value})
    return permalinks.document_path(doc_id) + (f"?{query}" if query else "")


def search_path(q: str) -> str:
    """The search page, with the search that led here."""
    return f"/?{urlencode({'q': q})}" if q.strip() else "/"


def page(document: Mapping[str, Any], marks: Marked, ui: str, keep: Mapping[str, str],
         cited: Citation | None = None, related: Sequence[Mapping[str, Any]] = ()) -> str:
    """The HTML page of a record (the ``document`` answer) in the language ``ui``: links
    keep the parameters of ``keep`` (``q`` marks the same words on a translation's page);
    its citation (``searchsvc.citations``) and its ``related`` records (hits of
    ``searchsvc.related.answer``) after the text."""
    title = document.get("title") or ""
    language = document.get("language") or ""
    record_lang = f' lang="{escape(language)}"' if language else ""
    if title.strip():
        h1 = f"<h1{record_lang}>{marked(title, marks.title)}</h1>"
    else:
        h1 = f"<h1>{escape(text(ui, 'untitled'))}</h1>"
    heading = title.strip() or text(ui, "untitled")
    head_links = "".join(
        f'<link rel="alternate" hreflang="{escape(t.get("lang") or "")}" '
        f'href="{escape(document_path(t["id"], keep))}">'
        for t in document.get("translations") or [] if t.get("lang")
    )
    note = (f'<p class="note">{escape(text(ui, "marked"))}</p>'
            if marks.body or marks.title else "")
    return _frame(
        ui, f"{heading} – {text(ui, 'site')}", keep.get("q", ""),
        head_links,
        f"{h1}\n{_details(document, ui)}\n{_translations(document, ui, keep)}"
        f'<section aria-labelledby="text">\n<h2 id="text">{escape(text(ui, "full_text"))}</h2>\n'
        f"{note}<div{record_lang}>\n{_paragraphs(document, marks.body)}</div>\n</section>\n"
        f"{_citation(document, cited, ui) if cited else ''}{_related(related, ui, keep)}",
    )


def not_found_page(doc_id: str, ui: str, q: str) -> str:
    """The page of an id no record has."""
    heading = text(ui, "not_found")
    return _frame(
        ui, f"{heading} – {text(ui, 'site')}", q, "",
        f"<h1>{escape(heading)}</h1>\n"
        f"<p>{escape(text(ui, 'not_found_text', id=doc_id))}</p>\n"
        f'<p><a href="{escape(search_path(q))}">{escape(text(ui, "back_to_search"))}</a></p>\n',
    )


def _frame(ui: str, title: str, q: str, head: str, main: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(ui)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f"{head}<style>{STYLESHEET}</style>\n</head>\n<body>\n"
        f'<header>\n<nav aria-label="{escape(text(ui, "search_nav"))}">'
        f'<a href="{escape(search_path(q))}">{escape(text(ui, "back_to_search"))}</a>'
        "</nav>\n</header>\n"
        f"<main>\n{main}</main>\n</body>\n</html>\n"
    )


def _details(document: Mapping[str, Any], ui: str) -> str:
    """Date, labels and source as a description list, in the page's language."""
    rows: list[tuple[str, str]] = []
    date, year = document.get("date"), document.get("year")
    if date:
        shown = f'<time datetime="{escape(date)}">{escape(format_date(ui, date))}</time>'
        if document.get("date_source") == "text":
            shown += f' <span class="note">({escape(text(ui, "date_from_text"))})</span>'
        rows.append((text(ui, "date"), shown))
    elif year is not None:
        rows.append((text(ui, "year"), escape(str(year))))
    labels = document.get("labels") or {}
    for name in ("type", "division", "org", "lang"):
        label = labels.get(name)
        if label:
            rows.append((text(ui, name), escape(str(label.get("label") or label.get("key")))))
    url, source_ref = document.get("url"), document.get("source_ref")
    if isinstance(url, str) and _is_web_address(url):
        rows.append((text(ui, "source"), f'<a href="{escape(url)}">{escape(url)}</a>'))
    elif source_ref or url:
        rows.append((text(ui, "source_ref"), escape(str(source_ref or url))))
    items = "".join(f"<dt>{escape(term)}</dt><dd>{value}</dd>\n" for term, value in rows)
    return f"<dl>\n{items}</dl>"


def _is_web_address(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def _translations(document: Mapping[str, Any], ui: str, keep: Mapping[str, str]) -> str:
    """Links to the record in its other languages, each in its own language."""
    items = []
    for twin in document.get("translations") or []:
        twin_lang = twin.get("lang") or ""
        lang_attrs = (f' hreflang="{escape(twin_lang)}" lang="{escape(twin_lang)}"'
                      if twin_lang else "")
        shown = twin.get("title") or (language_name(twin_lang, twin_lang) if twin_lang in
                                      ("fi", "sv", "en") else twin["id"])
        items.append(
            f"<li>{escape(language_name(ui, twin_lang))}: "
            f'<a href="{escape(document_path(twin["id"], keep))}"{lang_attrs}>'
            f"{escape(shown)}</a></li>\n"
        )
    if not items:
        return ""
    return (f'<nav aria-labelledby="translations"><h2 id="translations">'
            f'{escape(text(ui, "translations"))}</h2>\n<ul>\n{"".join(items)}</ul>\n</nav>\n')


def _citation(document: Mapping[str, Any], cited: Citation, ui: str) -> str:
    """The plain text citation, links to it as BibTeX and CSL-JSON, the licence."""
    path = permalinks.document_path(str(document["id"]))
    formats = "".join(
        f'<li><a href="{escape(path + "?" + urlencode({"format": form, "ui": ui}))}" '
        f'type="{escape(citations.CONTENT_TYPES[form].split(";")[0])}">{name}</a></li>\n'
        for form, name in (("bibtex", "BibTeX"), ("csl-json", "CSL-JSON"),
                           ("text", escape(text(ui, "plain_text"))))
    )
    licence = cited.terms.licence
    named = (f'<a href="{escape(licence.url)}" rel="license">{escape(licence.name)}</a>: '
             if licence else "")
    return (
        f'<section aria-labelledby="cite">\n<h2 id="cite">{escape(text(ui, "cite"))}</h2>\n'
        f'<p class="citation">{_cited_text(cited, ui, document.get("language"))}</p>\n'
        f"<p>{escape(text(ui, 'permalink'))}: "
        f'<a href="{escape(cited.permalink)}">{escape(cited.permalink)}</a></p>\n'
        f"<p>{escape(text(ui, 'licence'))}: {named}"
        f'<span lang="en">{escape(cited.attribution)}</span></p>\n'
        f'<p id="formats">{escape(text(ui, "cite_formats"))}:</p>\n'
        f"<ul>\n{formats}</ul>\n</section>\n"
    )


def _cited_text(cited: Citation, ui: str, language: object) -> str:
    """The plain text citation, its title in the record's language (``cite``) and its
    attribution in the licence's (English)."""
    shown = []
    for what, part in citations.text_parts(cited, ui):
        if what == "title":
            title = " ".join(cited.title.split())
            shown.append(f"<cite{_lang_attribute(language)}>{escape(title)}</cite>"
                         f"{escape(part[len(title):])}")
        elif what == "attribution":
            shown.append(f'<span lang="en">{escape(part)}</span>')
        else:
            shown.append(escape(part))
    return " ".join(shown)


def _related(related: Sequence[Mapping[str, Any]], ui: str, keep: Mapping[str, str]) -> str:
    """Links to the related records, each titled in its own language."""
    if not related:
        return ""
    only_ui = {"ui": keep.get("ui", "")}
    items = "".join(
        f'<li><a href="{escape(document_path(str(hit["id"]), only_ui))}"'
        f'{_lang_attribute(hit.get("lang"))}>'
        f'{escape(str(hit.get("title") or "").strip() or text(ui, "untitled"))}</a></li>\n'
        for hit in related
    )
    return (f'<nav aria-labelledby="related"><h2 id="related">{escape(text(ui, "related"))}'
            f"</h2>\n<ul>\n{items}</ul>\n</nav>\n")


def _lang_attribute(language: object) -> str:
    return f' lang="{escape(str(language))}"' if language else ""


def _paragraphs(document: Mapping[str, Any], spans: Sequence[Span]) -> str:
    """The body as paragraphs (split at blank lines; a line break kept as ``<br>``), the
    ``spans`` marked; a paragraph in another language than the record's main one says so."""
    body: str = document.get("body") or ""
    main = document.get("language")
    sections = [tuple(s) for s in document.get("sections") or []]
    starts = [start for start, _ in spans]
    out = []
    cursor = 0
    for gap in [*_PARAGRAPH_BREAK.finditer(body), None]:
        end = gap.start() if gap else len(body)
        start, cursor = cursor, gap.end() if gap else len(body)
        while start < end and body[start].isspace():
            start += 1
        while end > start and body[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        inside = spans[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]
        language = next((lang for lang, s, e in sections if s <= start < e), main)
        lang = f' lang="{escape(language)}"' if language and language != main else ""
        html = marked(body, inside, start, end).replace("\n", "<br>\n")
        out.append(f"<p{lang}>{html}</p>\n")
    return "".join(out)
