"""Open a generation's whoosh index so that its files are read in place, not copied.

A whoosh segment is one compound file (``MAIN_<id>.seg``) that whoosh maps into memory; but
each file inside it (the postings, the term index, the stored fields...) is then handed out
as a ``whoosh.filedb.structfile.BufferFile``, which wraps its slice of the map in a
``BytesIO``, and ``BytesIO`` copies what it is given. So every reader copied the whole
postings and term index into private memory: 260 MB of a 2-segment generation of 32,793
records in each gunicorn worker (8 KB a record, the bulk of the ~5 KB a record issue 13
measured), again in every builder step that opens a reader, and all of the file's pages were
touched doing it.

``open_index`` opens an index whose compound files hand out ``MappedBufferFile``: the same
reading methods over the map itself. Reads are slices of the map; the pages are the kernel's
page cache, shared by every process reading the generation (a page counts 1/n of its size
in the PSS of each of n processes), and only the pages a query touches are read.

Mapped files are read-only, and so is every file ``open_index``'s readers open through a
compound file; writers (``whoosh.writing``) never write through one.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb import compound
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

# Bytes ``_MappedRange.peek`` hands out: whoosh's pickled block headers take about 40.
_PEEK = 256


class _MappedRange(io.RawIOBase):
    """A read-only, seekable file over a memoryview, without copying it."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += len(self._view)
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        start = min(self._position, len(self._view))
        end = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._position = end
        return self._view[start:end].tobytes()

    def peek(self, size: int = 0) -> bytes:
        """The next bytes, without moving on. Its presence makes ``pickle.load`` read ahead
        through it instead of calling ``read`` for each few bytes of the pickle (whoosh reads
        every posting block's header so); a block header is far shorter than ``_PEEK``."""
        start = min(self._position, len(self._view))
        return self._view[start : start + _PEEK].tobytes()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._view = memoryview(b"")  # let go of the map
        super().close()


class MappedBufferFile(BufferFile):
    """whoosh's ``BufferFile`` over a slice of a mapped compound file, read in place."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MappedRange(buf)

    def subset(self, position: int, length: int, name: str | None = None) -> MappedBufferFile:
        return MappedBufferFile(self._buf[position : position + length], name=name or self._name)


def _install() -> None:
    # ``CompoundStorage.open_file`` is the only user of the name in ``whoosh.filedb.compound``.
    compound.BufferFile = MappedBufferFile


def open_streamed(path: Path | str) -> Any:
    """``whoosh.index.open_dir`` whose readers read the segments with ordinary reads, no map:
    for a pass over whole segments in the builder (``indexer.term_arrays``). A mapped page a
    process has read counts in its PSS until the map is closed, though it is the kernel's to
    drop: a pass over the 7.5 GB of 1M records' segments counted 3.7 GB of them."""
    return FileStorage(str(path), supports_mmap=False).open_index()


def open_index(path: Path | str) -> Any:
    """``whoosh.index.open_dir`` whose readers read the segments in place (module docstring)."""
    _install()
    return whoosh_index.open_dir(str(path))
