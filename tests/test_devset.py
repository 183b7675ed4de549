"""The development set of ``benchmarks.devset``: made the same way every time from the shipped
corpus, every query judged, and no query led to its answers by a field that is searched."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.devset import (
    KNOWN_ITEM_LANGUAGES,
    KNOWN_ITEM_WORDS,
    TAG_FIELD,
    TWIN_WORDS,
    DevQuery,
    DevResult,
    abstract_words,
    common_words,
    development_set,
    load_records,
)
from indexer.documents import record_to_document
from indexer.records import Record
from indexer.schema import build_schema


@pytest.fixture(scope="module")
def records(shipped_corpus: Path) -> list[Record]:
    return load_records([shipped_corpus])


@pytest.fixture(scope="module")
def queries(records: list[Record]) -> list[DevQuery]:
    return development_set(records)


def test_the_set_is_the_same_whatever_the_order_of_the_records(records, queries):
    shuffled = list(records)
    random.Random(11).shuffle(shuffled)
    assert development_set(shuffled) == queries


def test_every_kind_is_there_and_every_query_is_judged(records, queries):
    ids = {r.id for r in records}
    kinds = {q.kind for q in queries}
    assert kinds == {
        "tag",
        "twin sv→fi",
        "twin fi→sv",
        "known-item fi",
        "known-item sv",
        "known-item en",
    }
    assert sum(q.kind == "tag" for q in queries) >= 40
    assert sum(q.kind.startswith("twin") for q in queries) >= 200
    for language in KNOWN_ITEM_LANGUAGES:
        assert sum(q.kind == f"known-item {language}" for q in queries) == 100
    for q in queries:
        assert q.q.strip() and q.relevant, q
        assert set(q.relevant) <= ids, q
        assert q.source not in q.relevant, q


def test_the_filing_label_is_stored_not_searched(records):
    tagged = [r for r in records if r.extra.get(TAG_FIELD)]
    assert tagged
    for stem_only in (False, True):
        schema = build_schema(stem_only=stem_only)
        assert TAG_FIELD not in schema
        assert not schema["extra"].indexed
        for record in tagged:
            document = record_to_document(record)
            holding_label = [
                name
                for name, value in document.items()
                if name in schema and schema[name].indexed and value == record.extra[TAG_FIELD]
            ]
            assert holding_label == [], (record.id, holding_label)


def test_a_tag_query_is_its_label_never_a_title_of_its_records(records, queries):
    by_id = {r.id: r for r in records}
    for q in (q for q in queries if q.kind == "tag"):
        for answer in q.relevant:
            assert " ".join(str(by_id[answer].extra[TAG_FIELD]).split()) == q.q
            assert q.q.casefold() != by_id[answer].title.strip().casefold(), q


def test_a_twin_query_comes_from_the_other_twin_not_from_the_answer(records, queries):
    by_id = {r.id: r for r in records}
    twins = [q for q in queries if q.kind.startswith("twin")]
    for q in twins:
        (answer_id,) = q.relevant
        source, answer = by_id[str(q.source)], by_id[answer_id]
        assert source.language == q.lang != answer.language
        assert source.extra["parallel_id"] == answer.id or answer.extra["parallel_id"] == source.id
        assert q.q == abstract_words(source.body) and len(q.q.split()) == TWIN_WORDS
        assert q.q.casefold() not in answer.title.casefold()
        assert q.q.casefold() not in answer.body.casefold()


def test_a_known_item_query_is_two_uncommon_words_of_its_answer(records, queries):
    by_id = {r.id: r for r in records}
    known = [q for q in queries if q.kind.startswith("known-item")]
    common = {
        lang: common_words(r.body for r in records if r.language == lang)
        for lang in KNOWN_ITEM_LANGUAGES
    }
    assert "secretary" in common["en"]
    for q in known:
        (answer_id,) = q.relevant
        answer = by_id[answer_id]
        assert q.source is None and answer.language == q.lang
        words = q.q.split()
        assert len(words) == len(set(words)) == KNOWN_ITEM_WORDS, q
        for word in words:
            assert word in answer.body and word.casefold() not in common[q.lang], (q, word)


def test_the_figures_of_a_ranking():
    query = DevQuery("q", "fi", "tag", ("a", "b"))
    result = DevResult(query, ["x", "a", "y", "b"])
    assert result.hit == 1.0
    assert result.recall == 1.0
    assert result.reciprocal_rank == 0.5
    ideal = 1 + 1 / 1.584962500721156
    assert result.ndcg == pytest.approx((1 / 1.584962500721156 + 1 / 2.321928094887362) / ideal)
    assert result.no_hits == 0.0
    assert DevResult(query, ["x"] * 10 + ["a"]).hit == 0.0
    assert DevResult(query, []).no_hits == 1.0
