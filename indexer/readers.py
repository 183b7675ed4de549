"""Reading records from JSONL files and pages (text, HTML, PDF) in files and folders.

Readers report what they find: they do not validate ids, texts or duplicates (the normaliser
does). Anything that cannot be read becomes a :class:`BadRecord` and reading goes on. The
main text of an HTML page is ``indexer.html_text``'s.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.html_text import NotHtml, main_text
from indexer.records import BadRecord, RawRecord, title_from_text

FOLDER_DEFAULTS = "folder.meta.json"
SIDECAR_SUFFIX = ".meta.json"
PAGE_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}


class _Unreadable(Exception):
    """A file that is not a record; the message is the reason given in the BadRecord."""


@dataclass(frozen=True, eq=False)
class CorpusFile:
    """A record file the corpus walk found, with what reading it needs: the folder given
    (page ids are relative to it) and the folder defaults in force."""

    path: Path
    root: Path
    defaults: dict[str, Any]


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
    for item in iter_corpus_files(paths):
        if isinstance(item, BadRecord):
            yield item
        else:
            yield from read_corpus_file(item)


def iter_corpus_files(paths: Sequence[str | Path]) -> Iterator[CorpusFile | BadRecord]:
    """The record files of ``iter_raw_records``, in its order, found without reading them
    (a build on several machines deals them out), and what could not be walked."""
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
            if _kind(root) is not None:
                yield CorpusFile(root, root.parent, defaults)
        else:
            yield BadRecord(str(given), None, "no such file or folder")


def read_corpus_file(found: CorpusFile) -> Iterator[RawRecord | BadRecord]:
    """The records of one file of the walk."""
    return _read_file(found.path, found.root, found.defaults)


def _walk(
    folder: Path, root: Path, inherited: dict[str, Any], seen: set[Path]
) -> Iterator[CorpusFile | BadRecord]:
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
        elif entry.is_file() and _kind(entry) is not None:
            yield CorpusFile(entry, root, defaults)


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
        try:
            body, title = main_text(_decode_html(data))
        except NotHtml as exc:
            raise _Unreadable(str(exc)) from exc
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
