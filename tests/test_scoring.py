"""Array scoring gives whoosh's own BM25F scores and matches, on a real multi-segment index."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.build import rebuild
from searchsvc.engine import Engine
from searchsvc.query import parse_query
from searchsvc.scoring import QueryScorer, top_documents
from tests.conftest import write_small_corpus

QUERIES = [
    "tarkastuslautakunta",
    "omaishoitajien tuki",
    "kaupunki OR stad",
    "lapsi -koulu",
    "lapset NOT koulu",
    "NOT päätös",
    '"social care"',
    '"hallinto-oikeuden päätös"',
    '"lapset ja nuoret"',
    '"secretary of state for"',
    '"korkein hallinto-oikeus"',
    'title:"kokouksen laillisuuden"',
    '"päätös" "kaupunki"',
    "procure*",
    "departmnt~",
    "title:päätös",
    "(hoito OR hoiva) AND lapsi",
    "anhörigstöd",
    "secretary state department",
    "tarkoitetuilla",
    "",
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("scoring")
    corpus = write_small_corpus(tmp / "corpus", per_file=60)
    rebuild([corpus], tmp / "index", jobs=2)  # two writer processes: several segments
    engine = Engine(tmp / "index")
    yield engine.snapshot()
    engine.close()


def test_the_index_has_several_segments(snapshot) -> None:
    assert len(list(snapshot._searcher.reader().leaf_readers())) > 1


def whoosh_scores(searcher, q) -> dict[int, float]:
    """Every match and its score from whoosh's own matcher tree (as a scored search walks it:
    ``Searcher.search(limit=None)`` builds array matchers without the spans phrases need)."""
    m = q.matcher(searcher, searcher.context(needs_current=True))
    found = {}
    while m.is_active():
        found[m.id()] = m.score()
        m.next()
    return found


@pytest.mark.parametrize("text", QUERIES)
def test_scores_and_matches_equal_whooshs(snapshot, text: str) -> None:
    q = parse_query(text)
    searcher = snapshot._searcher
    expected = whoosh_scores(searcher, q)
    scored = QueryScorer(searcher).score(q)
    assert set(np.flatnonzero(scored.matches).tolist()) == set(expected)
    assert expected or text == "NOT päätös"
    for docnum, score in expected.items():
        assert scored.scores[docnum] == pytest.approx(score, rel=1e-9), docnum


@pytest.mark.parametrize("text", [t for t in QUERIES if t])
def test_top_documents_are_whooshs_top_ten(snapshot, text: str) -> None:
    q = parse_query(text)
    searcher = snapshot._searcher
    ranked = sorted(whoosh_scores(searcher, q).items(), key=lambda item: (-item[1], item[0]))
    expected = ranked[:10]
    scored = QueryScorer(searcher).score(q)
    found = top_documents(scored.scores, scored.matches, 10)
    assert [d for d, _ in found] == [d for d, _ in expected]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-9)


def test_top_documents_breaks_ties_by_doc_number() -> None:
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    docs = np.array([True, True, True, True, True])
    assert top_documents(scores, docs, 2) == [(1, 2.0), (2, 2.0)]
    assert top_documents(scores, docs & (scores < 2), 5) == [(0, 1.0), (3, 0.5)]
    assert top_documents(scores, np.zeros(5, dtype=bool), 3) == []


def test_term_scores_are_cached_per_generation(snapshot) -> None:
    scorer = QueryScorer(snapshot._searcher)
    first = scorer.term("body_fi", "kaupunk")
    assert len(first.docs) > 0
    assert scorer.term("body_fi", "kaupunk") is first
    assert len(scorer.term("body_fi", "no-such-term-here").docs) == 0


def test_field_lengths_are_whooshs(snapshot) -> None:
    reader = snapshot._searcher.reader()
    lengths = QueryScorer(snapshot._searcher).field_lengths("body_en")
    for docnum in range(0, reader.doc_count_all(), 7):
        assert lengths[docnum] == (reader.doc_field_length(docnum, "body_en") or 0)

