"""The spelling and completion word lists written beside each generation."""

from __future__ import annotations

from pathlib import Path

from indexer.analysis import parts_analyzer, text_analyzer
from indexer.contract import read_words
from indexer.formats import TermFrequency, TermPositions
from indexer.spelling import WordCounts, collecting


def index(posting_format, analyzer, text: str) -> None:
    """What whoosh's writer does with one field value of a document."""
    list(posting_format.word_values(text, analyzer))


def test_words_of_each_title_and_body_are_counted_once(tmp_path: Path):
    body = "Omaishoitajien tuki ja tuki, 2021-004218, 3D-tulostus § 57"
    with collecting(tmp_path) as counts:
        index(TermPositions(), text_analyzer("fi"), body)
        index(TermFrequency(), parts_analyzer("fi"), body)  # its compound parts: not again
        index(TermPositions(), text_analyzer("fi"), "Tuki")
        index(TermPositions(), text_analyzer("en"), "The Department’s answers")
    counts.write(tmp_path)
    assert read_words(tmp_path, "fi") == [("omaishoitajien", 1), ("tuki", 2), ("tulostus", 1)]
    assert read_words(tmp_path, "en") == [("answers", 1)]
    assert read_words(tmp_path, "sv") == []
    assert not (tmp_path / ".spelling-spill").exists()


def test_a_text_is_counted_as_the_writer_counts_it(tmp_path: Path):
    """An update takes out the words of the texts it deletes with ``add_text``."""
    text = "Omaishoitajien tuki ja tuki, 2021-004218, 3D-tulostus § 57"
    with collecting(tmp_path) as written:
        index(TermPositions(), text_analyzer("fi"), text)
    counted = WordCounts()
    counted.add_text("fi", text)
    assert counted.counts == written.counts


def test_nothing_is_collected_outside_a_build(tmp_path: Path):
    with collecting(tmp_path) as counts:
        pass
    index(TermPositions(), text_analyzer("fi"), "kokonaan toinen teksti")
    assert not any(counts.counts.values())
