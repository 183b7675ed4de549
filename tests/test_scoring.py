"""Array scoring gives whoosh's own BM25F scores and matches, on a real multi-segment index,
with postings read from whoosh and from the term arrays."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.term_arrays import TermArrays, write_term_arrays
from searchsvc.engine import Engine, Snapshot
from searchsvc.query import parse_query
from searchsvc.ranking import top_documents
from searchsvc.scoring import QueryScorer

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
def segmented(multi_segment_index: Path) -> Iterator[Snapshot]:
    engine = Engine(multi_segment_index)
    yield engine.snapshot()
    engine.close()


@pytest.fixture(scope="module")
def arrays(segmented, tmp_path_factory: pytest.TempPathFactory) -> TermArrays:
    """The arrays of every term in two documents or more of a segment (a build writes those
    in 1,000)."""
    folder = tmp_path_factory.mktemp("arrays")
    reader = segmented.searcher.reader()
    write_term_arrays(folder, reader, min_docs=2)
    found = TermArrays.open(folder, reader)
    assert found.held() > 1000
    return found


@pytest.fixture(params=["postings read from whoosh", "term arrays"])
def scorer(request: pytest.FixtureRequest, segmented) -> QueryScorer:
    if request.param == "term arrays":
        return QueryScorer(segmented.searcher, request.getfixturevalue("arrays"))
    return QueryScorer(segmented.searcher)


def test_the_index_has_several_segments(segmented) -> None:
    assert len(list(segmented.searcher.reader().leaf_readers())) > 1


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
def test_scores_and_matches_equal_whooshs(segmented, scorer: QueryScorer, text: str) -> None:
    q = parse_query(text)
    searcher = segmented.searcher
    expected = whoosh_scores(searcher, q)
    scored = scorer.score(q)
    assert set(np.flatnonzero(scored.matches).tolist()) == set(expected)
    assert expected or text == "NOT päätös"
    for docnum, score in expected.items():
        assert scored.scores[docnum] == pytest.approx(score, rel=1e-9), docnum


@pytest.mark.parametrize("text", [t for t in QUERIES if t])
def test_top_documents_are_whooshs_top_ten(segmented, scorer: QueryScorer, text: str) -> None:
    q = parse_query(text)
    searcher = segmented.searcher
    ranked = sorted(whoosh_scores(searcher, q).items(), key=lambda item: (-item[1], item[0]))
    expected = ranked[:10]
    scored = scorer.score(q)
    found = top_documents(scored.scores, scored.matches, 10)
    assert [d for d, _ in found] == [d for d, _ in expected]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-9)


def test_top_documents_breaks_ties_by_doc_number() -> None:
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    docs = np.array([True, True, True, True, True])
    assert top_documents(scores, docs, 2) == [(1, 2.0), (2, 2.0)]
    assert top_documents(scores, docs & (scores < 2), 5) == [(0, 1.0), (3, 0.5)]
    assert top_documents(scores, np.zeros(5, dtype=bool), 3) == []


def test_term_scores_are_cached_per_generation(segmented) -> None:
    scorer = QueryScorer(segmented.searcher)
    first = scorer.term("body_fi", "kaupunk")
    assert len(first.docs) > 0
    assert scorer.term("body_fi", "kaupunk") is first
    assert len(scorer.term("body_fi", "no-such-term-here").docs) == 0


def test_field_lengths_are_whooshs(segmented) -> None:
    reader = segmented.searcher.reader()
    lengths = QueryScorer(segmented.searcher).field_lengths("body_en")
    for docnum in range(0, reader.doc_count_all(), 7):
        assert lengths[docnum] == (reader.doc_field_length(docnum, "body_en") or 0)



@pytest.mark.parametrize(("field_name", "text"), [
    ("body_fi", "kaupunk"), ("body_en", "state"), ("title_fi", "päätös"), ("body_sv", "beslut"),
])
def test_positions_for_snippets_are_the_same_from_the_term_arrays(
    segmented, arrays: TermArrays, field_name: str, text: str
) -> None:
    from_whoosh = QueryScorer(segmented.searcher)
    from_arrays = QueryScorer(segmented.searcher, arrays)
    held = from_whoosh.term(field_name, text).docs
    assert len(held) > 2
    btext = text.encode()
    leaves = list(segmented.searcher.reader().leaf_readers())
    assert any(arrays.positions(segment, field_name, btext, np.arange(leaf.doc_count_all()))
               is not None for segment, (leaf, _) in enumerate(leaves))
    everyone = np.arange(segmented.searcher.doc_count_all())
    for candidates in (held[:1], held[-1:], held[::3], everyone):
        expected = list(from_whoosh.positions(field_name, text, candidates))
        assert expected
        assert list(from_arrays.positions(field_name, text, candidates)) == expected
