"""The spelling and completion word lists written beside each generation."""

from __future__ import annotations

from pathlib import Path

from indexer.analysis import text_analyzer
from indexer.spelling import collecting, read_words


def test_words_of_each_text_are_counted_once(tmp_path: Path):
    with collecting(tmp_path) as counts:
        body = "Omaishoitajien tuki ja tuki, 2021-004218, 3D-tulostus § 57"
        text_analyzer("fi").terms(body)
        text_analyzer("fi").terms(body)  # the parts field reads the same text object again
        text_analyzer("fi").terms("Tuki")
        text_analyzer("en").terms("The Department’s answers")
    counts.write(tmp_path)
    assert read_words(tmp_path, "fi") == [("omaishoitajien", 1), ("tuki", 2), ("tulostus", 1)]
    assert read_words(tmp_path, "en") == [("answers", 1)]
    assert read_words(tmp_path, "sv") == []
    assert not (tmp_path / ".spelling-spill").exists()


def test_nothing_is_collected_outside_a_build(tmp_path: Path):
    with collecting(tmp_path) as counts:
        pass
    text_analyzer("fi").terms("kokonaan toinen teksti")
    assert not any(counts.counts.values())
