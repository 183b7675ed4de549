"""Relevance over the real records of the shipped corpus: judged queries must be found.

Reports recall@10 and MRR for the final analysis and for Snowball stemming alone, built from
the same records; ``python -m benchmarks.relevance`` prints the same figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index

from benchmarks.relevance import (
    api_search,
    build_index,
    index_search,
    load_queries,
    mean_reciprocal_rank,
    recall_at_cutoff,
    run_queries,
    summary,
)
from indexer.build import rebuild
from indexer.generations import current_generation

QUERIES = load_queries()


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path):
    root: Path = tmp_path_factory.mktemp("relevance")
    rebuild([shipped_corpus], root / "final")
    final_index = index.open_dir(str(current_generation(root / "final")))
    final = run_queries(index_search(final_index), QUERIES)
    stemmed = run_queries(
        index_search(build_index(root / "stem", [shipped_corpus], stem_only=True), stem_only=True),
        QUERIES,
    )
    through_api = run_queries(api_search(root / "final"), QUERIES)
    return final, stemmed, through_api


def test_the_query_set_covers_three_languages_and_the_hard_cases():
    assert {q["lang"] for q in QUERIES} == {"fi", "sv", "en"}
    assert sum(q["kind"] == "compound" for q in QUERIES) >= 8
    assert sum(q["kind"] == "inflected" and q["lang"] in ("fi", "sv") for q in QUERIES) >= 20


@pytest.mark.parametrize("number", range(len(QUERIES)), ids=[q["q"] for q in QUERIES])
def test_judged_record_is_in_the_top_ten(results, number):
    for result in (results[0][number], results[2][number]):  # on the index, through the API
        assert result.hit, f"{result.q!r}: {result.relevant} not in {result.found}"


def test_analysis_beats_stemming_alone(results, capsys):
    final, stemmed, through_api = results
    with capsys.disabled():
        print(f"\nrelevance, final analysis:\n{summary(final)}")
        print(f"relevance, stemming only:\n{summary(stemmed)}")
        print(f"relevance, through the API:\n{summary(through_api)}")
    assert recall_at_cutoff(through_api) >= 0.95
    assert recall_at_cutoff(final) >= 0.95
    assert mean_reciprocal_rank(final) >= 0.85
    assert recall_at_cutoff(final) > recall_at_cutoff(stemmed)
    assert mean_reciprocal_rank(final) > mean_reciprocal_rank(stemmed)
