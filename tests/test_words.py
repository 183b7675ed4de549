"""Completion and spelling correction of a word list, without any index."""

from __future__ import annotations

import pytest

from searchsvc.words import WordList


def word_list(*pairs: tuple[str, int]) -> WordList:
    return WordList(sorted(pairs))


CITY = word_list(("kaupunki", 40), ("kaupungin", 25), ("tarkastus", 7), ("tarkastaa", 3))


@pytest.mark.parametrize(
    ("typo", "kind"),
    [
        ("kaupunkki", "a letter too many: one delete"),
        ("kaupnki", "a letter missing: one insert"),
        ("kaupunkj", "one replace"),
        ("kaupnuki", "two neighbours swapped: one transposition"),
        ("jaupunki", "the first letter wrong"),
    ],
)
def test_one_edit_away(typo: str, kind: str) -> None:
    assert CITY.correction(typo) == (1, -40, "kaupunki"), kind


@pytest.mark.parametrize("word", ["kaupunki", "tarkastus"])
def test_one_edit_at_every_position(word: str) -> None:
    words = word_list((word, 5), ("zzzzzzzzzz", 1))
    for i in range(len(word) + 1):
        typos = [word[:i] + "x" + word[i:]]
        if i < len(word):
            typos += [word[:i] + word[i + 1 :], word[:i] + "x" + word[i + 1 :]]
        if i < len(word) - 1:
            typos.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        for typo in typos:
            assert words.correction(typo) == (1, -5, word), typo


def test_two_edits_away() -> None:
    assert CITY.correction("tarkstuss") == (2, -7, "tarkastus")
    assert CITY.correction("kaupunkiaa") == (2, -40, "kaupunki")
    assert CITY.correction("kaupun") == (2, -40, "kaupunki")


def test_two_edits_are_plain_levenshtein() -> None:
    # A transposition and an insert: two edits with transpositions, three without.
    assert CITY.correction("tarksatuss") is None


def test_one_edit_wins_over_a_more_frequent_word_two_edits_away() -> None:
    words = word_list(("talossa", 1), ("talossani", 90))
    assert words.correction("talossaa") == (1, -1, "talossa")


def test_two_edits_only_for_words_of_five_letters_or_more() -> None:
    assert word_list(("talo", 5)).correction("tolu") is None
    assert word_list(("taloa", 5)).correction("tolua") == (2, -5, "taloa")


def test_two_edits_keep_the_first_letter() -> None:
    assert CITY.correction("parkastuss") is None
    assert CITY.correction("parkastus") == (1, -7, "tarkastus")


def test_the_most_frequent_word_wins_then_the_greatest_at_one_edit() -> None:
    words = word_list(("kala", 3), ("kana", 3), ("kata", 1), ("sala", 2))
    assert words.correction("kaxa") == (1, -3, "kana")
    assert word_list(("kala", 3), ("kana", 4)).correction("kaxa") == (1, -4, "kana")
    assert word_list(("kala", 5), ("kana", 4)).correction("kaxa") == (1, -5, "kala")


def test_the_most_frequent_word_wins_then_the_least_at_two_edits() -> None:
    words = word_list(("tavara", 2), ("tapana", 2), ("tasava", 1))
    assert words.correction("taxaxa") == (2, -2, "tapana")
    assert word_list(("tavara", 3), ("tapana", 2)).correction("taxaxa") == (2, -3, "tavara")


def test_unknown_words_have_no_correction() -> None:
    assert CITY.correction("qwxyzq") is None
    assert CITY.correction("kau") is None
    assert word_list().correction("kaupunki") is None


def test_any_character_of_the_list_counts_at_one_edit() -> None:
    words = word_list(("perenič", 3), ("zdenka", 2))
    assert words.correction("perenic") == (1, -3, "perenič")  # a replace brings in č
    assert words.correction("pereni") == (1, -3, "perenič")  # an insert
    assert words.correction("zdenk") == (1, -2, "zdenka")


def test_completions_most_frequent_first_then_alphabetical() -> None:
    words = word_list(("kaupunki", 40), ("kaupungin", 25), ("kausi", 25), ("katu", 90))
    assert words.completions("kau", 10) == [(40, "kaupunki"), (25, "kaupungin"), (25, "kausi")]
    assert words.completions("kau", 2) == [(40, "kaupunki"), (25, "kaupungin")]
    assert words.completions("ka", 1) == [(90, "katu")]
    assert words.completions("kb", 5) == []
