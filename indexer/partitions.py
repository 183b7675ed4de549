"""How a build's corpus is split into partitions: by file where it can be, else by chunk.

Partitions are Dask tasks (``indexer.dask_build``, ``indexer.dask_update``). Reading a record
file is the cheap part of a build but not free (a million records are 1.2 GB of text to
decompress and parse), so a partition should read only its own files: ``deal_files`` deals
them out by size, largest first to the least loaded. A corpus that cannot be shared so (one
large file, or fewer files than partitions) is read whole by every partition, each keeping
every ``partitions``-th chunk of records. A record's ordinal is (its file's place in the walk,
its place in the file), or (0, its place in the stream): corpus order either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from indexer.readers import CorpusFile, iter_corpus_files, iter_raw_records, read_corpus_file
from indexer.records import BadRecord, RawRecord

# Files are dealt out to partitions when no partition gets more than this times the average
# of their bytes; otherwise (one large file, say) each reads its chunks of the whole stream.
MAX_IMBALANCE = 1.25


def deal_files(corpus: Sequence[str], partitions: int
               ) -> tuple[list[list[tuple[int, CorpusFile]]] | None, list[tuple[int, str]]]:
    """The corpus's files dealt out to ``partitions`` by size, largest first to the least
    loaded (each file with its place in the walk), and what could not be walked (with the
    place of the file after it). None when the files cannot be shared fairly (a partition
    would hold over ``MAX_IMBALANCE`` times the average), and partitions read chunks of the
    whole stream instead."""
    files: list[tuple[int, CorpusFile]] = []
    problems: list[tuple[int, str]] = []
    for item in iter_corpus_files(corpus):
        if isinstance(item, BadRecord):
            problems.append((len(files), str(item)))
        else:
            files.append((len(files), item))
    sizes = {rank: _size(found.path) for rank, found in files}
    loads = [0] * partitions
    dealt: list[list[tuple[int, CorpusFile]]] = [[] for _ in range(partitions)]
    for rank, found in sorted(files, key=lambda file: (-sizes[file[0]], file[0])):
        lightest = loads.index(min(loads))
        dealt[lightest].append((rank, found))
        loads[lightest] += sizes[rank]
    total = sum(loads)
    if not total or max(loads) > MAX_IMBALANCE * total / partitions:
        return None, problems
    return [sorted(own, key=lambda file: file[0]) for own in dealt], problems


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it reports why


def own_records(
    corpus: list[str], number: int, partitions: int, chunk: int,
    files: Sequence[tuple[int, CorpusFile]] | None,
) -> Iterator[tuple[tuple[int, int], RawRecord | BadRecord]]:
    """A partition's raw records and their ordinals: those of its own files when the corpus
    was dealt out by file; else every ``partitions``-th chunk of the whole record stream."""
    if files is not None:
        for rank, found in files:
            for place, raw in enumerate(read_corpus_file(found)):
                yield (rank, place), raw
        return
    for ordinal, raw in enumerate(iter_raw_records(corpus)):
        if (ordinal // chunk) % partitions == number:
            yield (0, ordinal), raw
