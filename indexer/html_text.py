"""The main text of an HTML page: its article and readers' comments, without the page's
furniture (navigation, banners, cookie and feedback forms, sharing buttons), and its title.

trafilatura finds the main text; furniture it keeps is dropped first by landmark roles and
class names, and after by the wording of whole paragraphs, in the three languages. Where
trafilatura finds nothing (or flattens a short page), the page's own blocks are the text.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any

log = logging.getLogger(__name__)

_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "address",
    "details", "summary",
}  # fmt: skip
# Elements that are never content.
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "button", "select")
# Page furniture by landmark role and by class/id words (whole words inside "a-b_c" names,
# so that "social-services" is not taken for "social" sharing buttons).
_FURNITURE_ROLES = {"banner", "navigation", "contentinfo", "search", "alertdialog"}
_FURNITURE_WORDS = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|cookiebot|onetrust|feedback|helpful|helpfulness"
    r"|usefulness|was-this|breadcrumbs?|share|sharing|some-share|skip-link|skiplink"
    r"|print-page|visually-hidden|sr-only)(?:$|[\s_-])",
    re.I,
)
# Whole paragraphs that are furniture whatever the markup (feedback questions, comment form
# headings), in the three languages.
_FURNITURE_TEXT = re.compile(
    r"^(?:"
    r"(?:was|were|is) (?:this|the contents? of this) (?:page|article|information|content)"
    r"[^.!?]{0,40}(?:useful|helpful)[^.!?]{0,20}\??"
    r"|(?:oliko|onko) (?:tästä|tämän|sivun|sisällöstä)[^.!?]{0,60}(?:hyötyä|apua|hyödyllinen)\??"
    r"|(?:var|är) (?:den här sidan|sidan|innehållet|informationen)[^.!?]{0,40}"
    r"(?:till hjälp|användbar|nyttig|till nytta)\??"
    r"|yes|no|kyllä|ei|ja|nej"
    r"|add new comment|leave a (?:comment|reply)|post a comment"
    r"|lisää uusi kommentti|kommentoi|lägg till (?:en )?ny kommentar"
    r")$",
    re.I,
)


class NotHtml(ValueError):
    """Text that no HTML parser can read."""


def main_text(html: str) -> tuple[str, str | None]:
    """Main text of a page (article and readers' comments) and its title."""
    from lxml import etree
    from lxml import html as lxml_html

    # lxml refuses str input that declares its own encoding.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, etree.ParserError) as exc:
        if not html.strip():
            return "", None
        raise NotHtml(f"cannot parse HTML: {exc}") from exc
    title = _html_title(tree)
    _drop_furniture(tree)
    paragraphs = _trafilatura_paragraphs(tree)
    if not paragraphs:
        paragraphs = _plain_paragraphs(tree)
    paragraphs = [p for p in paragraphs if not _FURNITURE_TEXT.match(p.strip())]
    return "\n\n".join(paragraphs), title


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _html_title(tree: Any) -> str | None:
    head_title = _clean(tree.findtext(".//title"))
    h1 = next((_clean(h.text_content()) for h in tree.iter("h1")), "")
    if h1 and head_title and h1 in head_title:
        return h1  # "Page | Site name" in <title>, just "Page" in <h1>
    return head_title or h1 or None


def _drop_furniture(tree: Any) -> None:
    for element in list(tree.iter(*_DROP_TAGS)):
        _remove(element)
    for element in list(tree.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        role = (element.get("role") or "").lower()
        names = " ".join(filter(None, (element.get("class"), element.get("id"))))
        hidden = element.get("hidden") is not None or element.get("aria-hidden") == "true"
        if hidden or role in _FURNITURE_ROLES or (names and _FURNITURE_WORDS.search(names)):
            if element.tag not in ("html", "body", "main", "article"):
                _remove(element)
    for element in list(tree.iter("nav", "header", "footer")):
        # Site header and footer, not the header of an article or a comment.
        inside_content = any(a.tag in ("article", "main") for a in element.iterancestors())
        if element.tag == "nav" or not inside_content:
            _remove(element)
    for form in list(tree.iter("form")):
        # Some sites wrap the whole page in one <form> (ASP.NET): keep a form with real content.
        if form.getparent() is not None and len(_clean(form.text_content())) < 1000:
            _remove(form)


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        element.drop_tree()  # keeps the tail text


def _trafilatura_paragraphs(tree: Any) -> list[str]:
    import trafilatura

    try:
        document: Any = trafilatura.bare_extraction(
            deepcopy(tree), include_comments=True, include_tables=True, favor_recall=True
        )
    except Exception as exc:  # a library bug on odd markup must not lose the page
        log.warning("trafilatura failed, using plain text: %s", exc)
        return []
    if document is None:
        return []
    body = document.body
    if body is not None and len(body) == 1 and "\n" in "".join(body[0].itertext()):
        # On short pages trafilatura falls back to a baseline that flattens everything into one
        # <p> with line breaks; the plain fallback keeps the paragraphs.
        return []
    paragraphs = _xml_paragraphs(body)
    if not paragraphs:
        return []
    return paragraphs + _xml_paragraphs(document.commentsbody)


def _xml_paragraphs(element: Any) -> list[str]:
    """Paragraphs of trafilatura's internal XML (p, head, list, table, quote, ...)."""
    if element is None:
        return []
    blocks: list[tuple[str, str]] = []
    for child in element:
        text = _xml_block_text(child)
        if text:
            blocks.append((child.tag, text))
    # A heading with nothing after it ("Add new comment" over a removed form) is furniture.
    while blocks and blocks[-1][0] == "head":
        blocks.pop()
    return [text for _, text in blocks]


def _xml_block_text(element: Any) -> str:
    if element.tag == "list":
        items = [_xml_inline_text(item) for item in element.findall("item")]
        return "\n".join(f"- {item}" for item in items if item)
    if element.tag == "table":
        rows = []
        for row in element.iter("row"):
            cells = [_xml_inline_text(cell) for cell in row.iter("cell")]
            if any(cells):
                rows.append(" | ".join(cells))
        return "\n".join(rows)
    return _xml_inline_text(element)


def _xml_inline_text(element: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag == "lb" or (node is not element and node.tag in ("list", "item")):
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _plain_paragraphs(tree: Any) -> list[str]:
    """Fallback: text of <body> without page furniture, one paragraph per block element."""
    body = tree.find(".//body")
    if body is None:
        body = tree
    for element in list(body.iter("aside")):
        _remove(element)
    for element in body.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
            element.text = "\n\n" + (element.text or "")
        elif element.tag == "br":
            element.tail = "\n" + (element.tail or "")
    text = body.text_content()
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", text):
        lines = (" ".join(line.split()) for line in chunk.split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs
