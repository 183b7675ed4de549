"""The spelling and completion word lists written beside each generation."""

from __future__ import annotations

from pathlib import Path

from indexer.records import Record, Section
from indexer.spelling import WordCounts, read_words, text_words


def test_text_words_are_what_people_type():
    assert text_words("fi", "Omaishoitajien tuki ja 2021-004218, 3D-tulostus § 57") == {
        "omaishoitajien", "tuki", "tulostus",
    }
    assert text_words("en", "The Department’s answers") == {"department", "answers"}


def test_counts_are_documents_per_language(tmp_path: Path):
    counts = WordCounts()
    page = Record(
        id="p", title="Social guidance", body="guidance for families\n\nperheiden tuki",
        origin="x", language="en",
        sections=[Section("en", "guidance for families"), Section("fi", "perheiden tuki")],
    )
    counts.add(page, "en")
    counts.add(Record(id="q", title="Tuki", body="tuki tuki", origin="y", language="fi",
                      sections=[Section("fi", "tuki tuki")]), "fi")
    counts.write(tmp_path)
    assert read_words(tmp_path, "en") == [("families", 1), ("guidance", 1), ("social", 1)]
    assert read_words(tmp_path, "fi") == [("perheiden", 1), ("tuki", 2)]
    assert read_words(tmp_path, "sv") == []
