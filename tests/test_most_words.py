"""Plain words typed together: records with every word first, then those with most of them.

A small corpus of real records with written ones added, indexed once for the module and
searched through the real Falcon app.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from falcon import testing
from whoosh import query

from indexer.build import rebuild
from searchsvc.app import create_app
from searchsvc.engine import Engine
from searchsvc.nodes import AtLeast
from searchsvc.query import compile_query, parse_query, words_required
from searchsvc.settings import Settings


def _record(doc_id: str, title: str, body: str, date: str) -> dict[str, str]:
    return {"id": doc_id, "title": title, "body": body, "language": "en", "date": date}


WRITTEN = [
    _record("m:all-old", "Zebra paddock", "A zebra paddock with a giraffe house.", "2020-01-01"),
    _record("m:all-new", "Giraffe house", "The giraffe house by the zebra paddock.", "2024-01-01"),
    # One word only, many times: BM25 alone would put it first.
    _record("m:zebra", "Zebra", "Zebra zebra zebra. " * 20, "2025-01-01"),
    _record("m:giraffe", "Giraffe", "A giraffe.", "2023-01-01"),
    _record("m:two-of-three", "Zebra giraffe", "A zebra and a giraffe.", "2022-01-01"),
    _record("m:neither", "Okapi", "An okapi.", "2021-01-01"),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, write_corpus) -> Path:
    root = tmp_path_factory.mktemp("most_words")
    corpus = write_corpus(root / "corpus", 5, twins=False, pages=False, extra=WRITTEN)
    rebuild([corpus], root / "index", jobs=1)
    return root / "index"


@pytest.fixture(scope="module")
def client(index_dir: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=index_dir)))


def ids(answer) -> list[str]:
    return [hit["id"] for hit in answer.json["hits"]]


def written(found: list[str]) -> list[str]:
    return [doc for doc in found if doc.startswith("m:")]


def test_records_with_every_word_come_before_those_with_one(client):
    answer = client.simulate_get("/search", params={"q": "zebra giraffe", "size": "50"})
    found = written(ids(answer))
    assert set(found[:3]) == {"m:all-old", "m:all-new", "m:two-of-three"}
    assert set(found[3:]) == {"m:zebra", "m:giraffe"}
    assert answer.json["total_all_words"] == 3
    assert answer.json["total"] >= 5


def test_a_longer_query_needs_half_of_its_words(client):
    answer = client.simulate_get("/search", params={"q": "zebra giraffe paddock", "size": "50"})
    found = written(ids(answer))
    assert found[:2] == ["m:all-old", "m:all-new"] or found[:2] == ["m:all-new", "m:all-old"]
    assert set(found) == {"m:all-old", "m:all-new", "m:two-of-three"}
    assert answer.json["total_all_words"] == 2


@pytest.mark.parametrize(
    "q", ["zebra AND giraffe", '"zebra paddock"', "title:zebra title:giraffe", "zebra giraffe*"]
)
def test_explicit_operators_keep_every_term_required(client, q):
    answer = client.simulate_get("/search", params={"q": q, "size": "50"})
    assert answer.json["total"] == answer.json["total_all_words"]
    assert "m:zebra" not in ids(answer) and "m:giraffe" not in ids(answer)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_list_in_date_order_holds_every_word(client, sort):
    answer = client.simulate_get("/search", params={"q": "zebra giraffe", "sort": sort})
    assert answer.json["total"] == answer.json["total_all_words"] == 3
    expected = ["m:all-new", "m:two-of-three", "m:all-old"]
    assert ids(answer) == (expected if sort == "newest" else expected[::-1])


def test_an_excluded_word_still_excludes(client):
    answer = client.simulate_get("/search", params={"q": "zebra giraffe -paddock", "size": "50"})
    assert set(written(ids(answer))) == {"m:two-of-three", "m:zebra", "m:giraffe"}


def test_a_misspelled_word_still_gets_a_suggestion(client):
    """The other word finds records, but none holds both: did-you-mean counts complete ones."""
    answer = client.simulate_get("/search", params={"q": "zebra girafe"})
    assert answer.json["total"] >= 3 and answer.json["total_all_words"] == 0
    assert answer.json["did_you_mean"] == "zebra giraffe"


def test_words_required():
    assert [words_required(n) for n in range(1, 9)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_at_least_scores_are_the_sum_over_the_words_held(index_dir: Path):
    """AtLeast is scored over arrays only: it equals whoosh's own Or of the same words,
    restricted to the documents holding enough of them."""
    engine = Engine(index_dir)
    try:
        snapshot = engine.snapshot()
        words = [parse_query(w, ["en"]) for w in ("zebra", "giraffe", "paddock")]
        searcher = snapshot.searcher
        held = sum(
            np.isin(np.arange(snapshot.scorer.size), list(searcher.docs_for_query(w))).astype(int)
            for w in words
        )
        whoosh_or = {hit.docnum: hit.score for hit in searcher.search(query.Or(words), limit=None)}
        scored = snapshot.scorer.score(AtLeast(words, 2))
        expected = {d: s for d, s in whoosh_or.items() if held[d] >= 2}
        assert set(np.flatnonzero(scored.matches).tolist()) == set(expected)
        for docnum, score in expected.items():
            assert scored.scores[docnum] == pytest.approx(score, rel=1e-9)
    finally:
        engine.close()


def test_the_ranked_query_and_the_query_of_every_word():
    parsed = compile_query("zebra giraffe", ["en"])
    assert isinstance(parsed.whoosh, AtLeast) and parsed.whoosh.minimum == 1
    assert parsed.every_word == parse_query("zebra giraffe", ["en"])
    single = compile_query("zebra", ["en"])
    assert single.every_word is single.whoosh
