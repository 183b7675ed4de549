"""Reading records from JSONL files and pages (text, HTML, PDF) in files and folders.

Readers report what they find: they do not validate ids, texts or duplicates (the normaliser
does). Anything that cannot be read becomes a :class:`BadRecord` and reading goes on.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import re
import zlib
from collections.abc import Iterator, Sequence
from copy import deepcopy
from pathlib import Path
from typing import Any

from indexer.records import BadRecord, RawRecord, title_from_text

FOLDER_DEFAULTS = "folder.meta.json"
SIDECAR_SUFFIX = ".meta.json"
PAGE_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}

log = logging.getLogger(__name__)


class _Unreadable(Exception):
    """A file that is not a record; the message is the reason given in the BadRecord."""


def iter_raw_records(paths: Sequence[str | Path]) -> Iterator[RawRecord | BadRecord]:
    """Records from each path in turn: a file, or a folder walked recursively in name order.

    ``.jsonl`` and ``.jsonl.gz`` files give one record per JSON object line; ``.txt``,
    ``.html``/``.htm`` and ``.pdf`` files give one page record each. Other files are skipped
    silently, as are hidden files and folders. ``folder.meta.json`` files give defaults for the
    records in their folder and below (the nearest folder wins for each key).

    For a page, the fields derived from the file (``title``, and ``id`` as "file:" plus the path
    relative to the folder given, without suffix) are overridden by folder defaults, and those
    by the page's sidecar ``NAME.meta.json``; ``body`` is always the text read from the file.
    For a JSONL record, folder defaults only fill fields that are missing or null.
    """
    for given in paths:
        root = Path(given)
        if root.is_dir():
            yield from _walk(root, root, {}, set())
        elif root.is_file():
            defaults: dict[str, Any] = {}
            for item in _load_folder_defaults(root.parent, defaults):
                if isinstance(item, BadRecord):
                    yield item
                else:
                    defaults = item
            yield from _read_file(root, root.parent, defaults)
        else:
            yield BadRecord(str(given), None, "no such file or folder")


def _walk(
    folder: Path, root: Path, inherited: dict[str, Any], seen: set[Path]
) -> Iterator[RawRecord | BadRecord]:
    real = folder.resolve()
    if real in seen:  # a symlink leading back up the tree
        return
    seen.add(real)
    defaults = inherited
    for item in _load_folder_defaults(folder, inherited):
        if isinstance(item, BadRecord):
            yield item
        else:
            defaults = item
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        yield BadRecord(str(folder), None, f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, root, defaults, seen)
        elif entry.is_file():
            yield from _read_file(entry, root, defaults)


def _load_folder_defaults(
    folder: Path, inherited: dict[str, Any]
) -> Iterator[dict[str, Any] | BadRecord]:
    """Yields the defaults for ``folder`` (inherited ones overridden by its own file, if any)."""
    path = folder / FOLDER_DEFAULTS
    if not path.is_file():
        return
    try:
        own = _load_meta(path)
    except _Unreadable as exc:
        yield BadRecord(str(path), None, f"folder defaults ignored: {exc}")
        return
    yield {**inherited, **{k: v for k, v in own.items() if v is not None}}


def _load_meta(path: Path) -> dict[str, Any]:
    try:
        text = _decode(path.read_bytes(), utf16=False)
    except OSError as exc:
        raise _Unreadable(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Unreadable(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _Unreadable(f"{path.name} is not a JSON object")
    return data


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    return PAGE_SUFFIXES.get(path.suffix.lower())


def _read_file(path: Path, root: Path, defaults: dict[str, Any]) -> Iterator[RawRecord | BadRecord]:
    kind = _kind(path)
    if kind is None:
        return
    if kind == "jsonl":
        yield from _read_jsonl(path, defaults)
        return
    try:
        yield _read_page(path, kind, root, defaults)
    except _Unreadable as exc:
        yield BadRecord(str(path), None, str(exc))


# --- JSONL -----------------------------------------------------------------------------------


def _read_jsonl(path: Path, defaults: dict[str, Any]) -> Iterator[RawRecord | BadRecord]:
    where = str(path)
    compressed = path.name.lower().endswith(".gz")
    number = 0
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
            for number, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield BadRecord(where, number, _not_utf8(raw, exc, lines=False))
                    continue
                if number == 1:
                    text = text.removeprefix("\ufeff")
                if not text.strip():
                    continue
                try:
                    fields = json.loads(text)
                except ValueError as exc:
                    yield BadRecord(where, number, f"invalid JSON: {exc}")
                    continue
                except RecursionError:
                    yield BadRecord(where, number, "invalid JSON: nested too deeply")
                    continue
                if not isinstance(fields, dict):
                    found = type(fields).__name__ if fields is not None else "null"
                    yield BadRecord(where, number, f"not a JSON object (found {found})")
                    continue
                for key, value in defaults.items():
                    if fields.get(key) is None:
                        fields[key] = value
                yield RawRecord(fields, where, number)
    except EOFError as exc:
        yield BadRecord(where, number + 1, f"truncated gzip file: {exc}")
    except gzip.BadGzipFile as exc:
        yield BadRecord(where, number + 1, f"not a gzip file: {exc}")
    except zlib.error as exc:
        yield BadRecord(where, number + 1, f"corrupt gzip file: {exc}")
    except OSError as exc:
        yield BadRecord(where, number + 1 if number else None, f"cannot read: {exc}")


def _not_utf8(data: bytes, exc: UnicodeDecodeError, *, lines: bool = True) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    where = f"line {line}, column {column}" if lines else f"column {column}"
    return f"not UTF-8 text (byte 0x{data[exc.start]:02x} at {where})"


# --- pages -----------------------------------------------------------------------------------


def _read_page(path: Path, kind: str, root: Path, defaults: dict[str, Any]) -> RawRecord:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    if kind == "pdf":
        body, title = _pdf_text(data)
    elif kind == "html":
        body, title = _html_text(_decode_html(data))
    else:
        body, title = _normalise_newlines(_decode(data, utf16=True)), None
    title = title or title_from_text(body)

    fields: dict[str, Any] = {"id": "file:" + _relative_id(path, root)}
    if title:
        fields["title"] = title
    fields.update({k: v for k, v in defaults.items() if v is not None})
    sidecar = path.with_name(path.name[: -len(path.suffix)] + SIDECAR_SUFFIX)
    if sidecar.is_file():
        try:
            meta = _load_meta(sidecar)
        except _Unreadable as exc:
            raise _Unreadable(f"bad sidecar: {exc}") from exc
        fields.update({k: v for k, v in meta.items() if v is not None})
    fields["body"] = body
    return RawRecord(fields, str(path), None, is_page=True)


def _relative_id(path: Path, root: Path) -> str:
    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, *, utf16: bool) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif utf16 and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _Unreadable(f"invalid UTF-16 text: {exc.reason}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(_not_utf8(data, exc)) from exc


_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode_html(data: bytes) -> str:
    """UTF-8 or UTF-16 with a BOM, or else the charset the page declares in a <meta> tag."""
    try:
        return _decode(data, utf16=True)
    except _Unreadable:
        declared = _DECLARED_CHARSET.search(data[:4096])
        if declared is None:
            raise
        charset = declared.group(1).decode("ascii")
        try:
            codecs.lookup(charset)
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise _Unreadable(
                f"not UTF-8 and not valid in its declared charset {charset}"
            ) from None


# --- PDF -------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> tuple[str, str | None]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _Unreadable("encrypted PDF that needs a password")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except _Unreadable:
        raise
    except PdfReadError as exc:
        raise _Unreadable(f"cannot read PDF: {exc}") from exc
    except Exception as exc:  # pypdf raises a wide range of errors on damaged files
        raise _Unreadable(f"cannot read PDF: {type(exc).__name__}: {exc}") from exc
    if not pages:
        raise _Unreadable("PDF has no pages")
    text = "\n\n".join(_normalise_newlines(page) for page in pages if page)
    if not any(c.isalnum() for c in text):
        raise _Unreadable("PDF has no text layer (scanned images?); it needs OCR")
    return text, _pdf_title(title)


def _pdf_title(title: object) -> str | None:
    if not isinstance(title, str):
        return None
    title = " ".join(title.split())
    # Word processors leave their file names as titles: "Microsoft Word - raportti.docx".
    title = re.sub(r"^Microsoft (?:Word|PowerPoint|Excel) - ", "", title)
    if (
        not title
        or title.lower() in ("untitled", "title")
        or re.search(r"\.(?:docx?|pptx?|xlsx?|odt|pdf|rtf|indd)$", title, re.I)
    ):
        return None
    return title


# --- HTML ------------------------------------------------------------------------------------

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


def _html_text(html: str) -> tuple[str, str | None]:
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
        raise _Unreadable(f"cannot parse HTML: {exc}") from exc
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
