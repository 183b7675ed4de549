"""Exact phrases found a posting block at a time (``searchsvc.phrases``) match whoosh's own
span matcher, also where a segment has deleted documents."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.build import rebuild
from indexer.update import update
from searchsvc.engine import Engine, Snapshot
from searchsvc.phrases import phrase_docs
from searchsvc.query import parse_query
from searchsvc.scoring import QueryScorer

PHRASES = ['"korkein hallinto-oikeus"', '"hallinto-oikeuden päätös"', '"social care"',
           '"lapset ja nuoret"', '"secretary of state for"', '"högsta förvaltningsdomstolen"',
           'title:"kokouksen laillisuuden"']


def _keys(pairs: list[tuple[int, int]]) -> np.ndarray:
    return np.array(sorted((doc << 32) + start for doc, start in pairs), dtype=np.int64)


def test_a_document_matches_where_every_word_stands_in_place() -> None:
    first = _keys([(1, 0), (1, 7), (2, 3), (5, 4)])
    second = [_keys([(1, 7), (2, 4), (5, 4)])]
    assert phrase_docs([[first], second]).tolist() == [1, 5]
    # Alternatives at a position (a hyphenated word's forms): any of them will do.
    assert phrase_docs([[first], [_keys([(2, 3)]), _keys([(1, 0)])]]).tolist() == [1, 2]
    assert phrase_docs([[first], [_keys([])]]).tolist() == []
    assert phrase_docs([[_keys([(3, 9)]), _keys([(3, 2), (4, 1)])]]).tolist() == [3, 4]


@pytest.fixture(scope="module")
def updated(write_corpus: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Snapshot]:
    """An index whose segments hold deleted documents: every fifth record changed by an
    update after the rebuild."""
    root = tmp_path_factory.mktemp("phrases")
    corpus = write_corpus(root / "corpus", 25, pages=False)
    rebuild([corpus], root / "index", jobs=2)
    records = corpus / "records" / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    for at in range(0, len(lines), 5):
        record = json.loads(lines[at])
        record["body"] = record["body"] + " Korkein hallinto-oikeus ratkaisi asian."
        lines[at] = json.dumps(record, ensure_ascii=False)
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    update([corpus], root / "index")
    engine = Engine(root / "index")
    yield engine.snapshot()
    engine.close()


@pytest.mark.parametrize("text", PHRASES)
def test_phrases_match_whooshs_span_matcher(updated: Snapshot, text: str) -> None:
    searcher = updated.searcher
    assert any(leaf.has_deletions() for leaf, _ in searcher.reader().leaf_readers())
    q = parse_query(text)
    m = q.matcher(searcher, searcher.context(needs_current=True))
    expected = set()
    while m.is_active():
        expected.add(m.id())
        m.next()
    scored = QueryScorer(searcher).score(q)
    assert set(np.flatnonzero(scored.matches & updated.columns.live).tolist()) == expected
    if text == '"korkein hallinto-oikeus"':
        assert len(expected) > 5


def test_position_deltas_become_keys_per_document() -> None:
    from searchsvc.phrases import _keys

    docs = np.array([1, 2, 3])
    assert _keys(docs, [[], [2, 3], [1]], 0).tolist() == [(2 << 32) + 2, (2 << 32) + 5,
                                                          (3 << 32) + 1]
    # Starts before the text's first word are no starts: the word stands ``offset`` in.
    assert _keys(docs, [[0], [2, 3], [1]], 2).tolist() == [(2 << 32) + 0, (2 << 32) + 3]
    assert _keys(np.array([1]), [[]], 0).tolist() == []
