"""The query language (``searchsvc.syntax``, ``searchsvc.query``): structure, and what it finds
in a small real index built from shipped records plus a few written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import query
from whoosh.index import open_dir

from indexer.build import BuildReport, write_generation
from indexer.normalize import iter_records
from indexer.records import BadRecord
from indexer.vocabulary import Vocabulary
from searchsvc.limits import (
    MAX_CLAUSES,
    MAX_EXPANDING,
    MAX_EXPANSIONS,
    MAX_QUERY_LENGTH,
    MIN_PREFIX,
)
from searchsvc.nodes import CompletePrefix
from searchsvc.query import build_query, compile_query, parse_query, query_terms
from searchsvc.syntax import All, Any, BadQuery, Not, Word, parse

QXA = " ".join(f"qxa{n:03d}" for n in range(MAX_EXPANSIONS + 40))
WRITTEN = [
    {"id": "p1", "title": "Lapset ja nuoret", "body": "Lapset ja nuoret tarvitsevat tukea."},
    {"id": "p2", "title": "Nuoret ja lapset", "body": "Nuoret ja lapset harrastavat liikuntaa."},
    {"id": "p3", "title": "Kirjasto", "body": "Lapset pelaavat pihalla. Nuoret lukevat kirjoja."},
    {
        "id": "p4",
        "title": "Tarkastuslautakunnan arviointikertomus",
        "body": "Tarkastuslautakunta arvioi kaupungin talouden.",
    },
    {
        "id": "e1",
        "title": "Zebra crossings",
        "body": "Zebra crossings near schools improve safety for children.",
        "language": "en",
    },
    {
        "id": "e2",
        "title": "Giraffe feeding",
        "body": "The zoo giraffe enclosure and zebra paddock were renovated.",
        "language": "en",
    },
    # Stop words are not in the index: any word stands in for "ja" in the phrase.
    {"id": "p5", "title": "Piha", "body": "Lapset pelaavat; nuoret lukevat.", "language": "fi"},
    {"id": "s1", "title": "Anhörigstöd för äldre", "body": "Kommunen ordnar anhörigstöd."},
    {"id": "w1", "title": "Codes", "body": QXA, "language": "en"},
    {"id": "w2", "title": "Last code", "body": "qxazzz", "language": "en"},
    # kotihoito: the word (k1 in its title), in a longer compound (k2), only its parts (k3)
    {"id": "k1", "title": "Kotihoidon asiakasmaksut", "body": "Kotihoitoa saa kotona."},
    {"id": "k2", "title": "Palvelut", "body": "Kotihoitopalvelun asiakkaat."},
    {"id": "k3", "title": "Koti", "body": "Koti hoito sairaalassa ja kotona."},
]
for record in WRITTEN:
    record.setdefault("language", "sv" if record["id"].startswith("s") else "fi")
OURS = {record["id"] for record in WRITTEN}
REAL_PER_FILE = 10


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, write_corpus):
    root: Path = tmp_path_factory.mktemp("query_syntax")
    corpus = write_corpus(root / "corpus", REAL_PER_FILE, twins=False, pages=False,
                          extra=WRITTEN)
    items = list(iter_records([corpus], Vocabulary.load()))
    assert not [item for item in items if isinstance(item, BadRecord)]
    (root / "ix").mkdir()
    write_generation(root / "ix", items, BuildReport(), jobs=1)
    ix = open_dir(str(root / "ix"))
    yield ix
    ix.close()


def found(index, text: str, languages=("fi", "sv", "en")) -> set[str]:
    with index.searcher() as searcher:
        return {hit["id"] for hit in searcher.search(parse_query(text, languages), limit=None)}


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("zebra", All((Word("zebra"),))),
        ('"lapset ja nuoret"', All((Word("lapset ja nuoret", "phrase"),))),
        ("zebra -giraffe", All((Word("zebra"), Not(Word("giraffe"))))),
        ('zebra -"giraffe feeding"', All((Word("zebra"), Not(Word("giraffe feeding", "phrase"))))),
        ("zebra NOT giraffe", All((Word("zebra"), Not(Word("giraffe"))))),
        ("zebra AND giraffe", All((Word("zebra"), Word("giraffe")), explicit=True)),
        ("zebra OR giraffe", Any((All((Word("zebra"),)), All((Word("giraffe"),))))),
        ("zebra or giraffe", All((Word("zebra"), Word("or"), Word("giraffe")))),
        ("Tarkast*", All((Word("tarkast", "prefix"),))),
        ("*", All((Word(" ", "word"),))),
        ("zebta~", All((Word("zebta", "fuzzy"),))),
        ("title:zebra", All((Word("zebra", "word", title=True),))),
        ("title:zebr*", All((Word("zebr", "prefix", title=True),))),
        (
            "title:(zebra OR -giraffe) zoo",
            All(
                (
                    Any(
                        (
                            All((Word("zebra", title=True),)),
                            All((Not(Word("giraffe", title=True)),)),
                        )
                    ),
                    Word("zoo"),
                )
            ),
        ),
        ("title:(zebra", All((Word("zebra"),))),
        ('title:"zebra crossings"', All((Word("zebra crossings", "phrase", title=True),))),
        (
            "(zebra OR giraffe) zoo",
            All((Any((All((Word("zebra"),)), All((Word("giraffe"),)))), Word("zoo"))),
        ),
        ("3d-tulostus", All((Word("3d-tulostus"),))),
        ("kko:2020:12", All((Word("kko:2020:12"),))),
        # Does not parse: the words of the text.
        ('"lapset ja', All((Word("lapset"), Word("ja")))),
        ("(zebra giraffe", All((Word("zebra"), Word("giraffe")))),
        ("zebra giraffe)", All((Word("zebra"), Word("giraffe")))),
        ("zebra OR", All((Word("zebra"),))),
        ("OR zebra", All((Word("zebra"),))),
        ("zebra OR OR giraffe", All((Word("zebra"), Word("giraffe")))),
        ("title: zebra", All((Word("zebra"),))),
        ("zebra - giraffe", All((Word("zebra"), Word("giraffe")))),
        ("()", None),
        ("title:", None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_tree(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    "text",
    [
        "zebra",
        "lapset ja nuoret",
        "omaishoidontuki",
        "3d-tulostus § 57",
        "HEL 2021-004218",
        "anhörigstöd för äldre",
        "Tarkastuslautakunnan arviointikertomus 2023",
    ],
)
def test_plain_words_give_the_query_build_query_gives(text):
    assert parse_query(text) == build_query(text)
    assert parse_query(text, ["sv"]) == build_query(text, ["sv"])


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('"lapset ja', "lapset ja"),
        ("(zebra -", "zebra"),
        ("a OR", "a"),
        ('"zebra or and not', "zebra or and not"),
        ("TITLE: zebra OR", "zebra"),
    ],
)
def test_broken_syntax_falls_back_to_plain_words(text, plain):
    assert parse_query(text) == build_query(plain)


@pytest.mark.parametrize("text", ["", "  ", "\t\n"])
def test_an_empty_query_is_every(text):
    parsed = compile_query(text)
    assert parsed.whoosh == query.Every()
    assert parsed.matches_everything and not parsed.has_no_words


@pytest.mark.parametrize(
    ("text", "languages"),
    [
        ('""', None),
        ("()", None),
        ("title:", None),
        ("?", None),
        ("😀", None),
        ("§", None),
        ("OR", None),
        ("-", None),
        ('"', None),
        ("*", None),
        ("title:()", None),
        ("ja", ["fi"]),
        ("the of", ["en"]),
        ('"ja"', ["fi"]),
        ("-(ja)", ["fi"]),
    ],
)
def test_no_word_to_search_for_is_nothing(text, languages):
    parsed = compile_query(text, *([languages] if languages else []))
    assert parsed.whoosh is query.NullQuery
    assert parsed.has_no_words and not parsed.matches_everything
    assert parsed.tiers == ()


def test_phrase_is_a_span_per_title_and_body_field():
    q = parse_query('"lapset ja nuoret"', ["fi"])
    assert isinstance(q, query.Or)
    assert {sub.a.fieldname for sub in q.subqueries} == {"title_fi", "body_fi"}
    assert all(sub.slop == sub.mindist == 2 for sub in q.subqueries)


def test_limits_raise_bad_query():
    with pytest.raises(BadQuery, match=str(MAX_QUERY_LENGTH)):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(BadQuery, match=str(MAX_CLAUSES)):
        parse_query(" ".join(f"w{n}" for n in range(MAX_CLAUSES + 1)))
    with pytest.raises(BadQuery, match=str(MAX_CLAUSES)):
        parse_query('"' + " ".join(f"w{n}" for n in range(MAX_CLAUSES + 1)) + '"')
    with pytest.raises(BadQuery):  # broken syntax is counted too
        parse_query("(" + " ".join(f"w{n}*" for n in range(MAX_CLAUSES + 1)))
    with pytest.raises(BadQuery, match=str(MAX_EXPANDING)):
        parse_query(" ".join(f"w{n}~" for n in range(MAX_EXPANDING + 1)))
    with pytest.raises(BadQuery, match=str(MAX_EXPANDING)):
        parse_query(" OR ".join(f"-w{n}*" for n in range(MAX_EXPANDING + 1)))
    with pytest.raises(BadQuery, match=f"at least {MIN_PREFIX} letters"):
        parse_query("g*")
    with pytest.raises(BadQuery, match=f"at least {MIN_PREFIX} letters"):
        parse_query("zebra title:g*")
    parse_query(" ".join(f"w{n}*" for n in range(MAX_EXPANDING)))
    assert isinstance(BadQuery("x"), ValueError)
    parse_query(" ".join(f"w{n}" for n in range(MAX_CLAUSES)))  # at the limit: fine


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("procuremnt AND department", ["procuremnt", "department"]),
        ('"lapset ja" -zebra OR giraffe', ["lapset", "ja", "zebra", "giraffe"]),
        ("zebta~ kaupunginh* foo*bar 3d-tulostus", ["bar", "3d-tulostus"]),
        ("title:procuremnt (zebra", ["zebra"]),  # "title:procuremnt" is one token
        ('"lapset ja', ["lapset", "ja"]),  # does not parse: the plain words
        ("", []),
    ],
)
def test_typed_words_are_the_words_a_suggestion_may_replace(text, typed):
    parsed = compile_query(text)
    assert [parsed.text[start:end] for start, end in parsed.typed_words()] == typed


def test_deep_parentheses_fall_back_instead_of_recursing():
    text = "(" * 200 + "zebra" + ")" * 200
    assert parse_query(text) == build_query("zebra")


def test_query_terms_are_the_positive_keys_per_field():
    assert query_terms("zebra -giraffe", ["en"]) == {
        "title_en": {"zebra"},
        "body_en": {"zebra"},
    }
    terms = query_terms('title:"zebra crossings" OR zoo', ["en"])
    assert terms == {"title_en": {"zebra", "cross", "zoo"}, "body_en": {"zoo"}}
    assert query_terms("", ["en"]) == {}
    assert query_terms("ja", ["fi"]) == {}


# --- behaviour on a real index ----------------------------------------------------------------


def test_real_records_are_indexed_and_found(index):
    with index.searcher() as searcher:
        assert searcher.doc_count() == 4 * REAL_PER_FILE + len(WRITTEN)
    assert "helsinki:agenda:00400202145:10:esitys:fi" in found(index, "asuntopolitiikan")
    assert "helsinki:agenda:00400202145:10:esitys:fi" in found(index, '"HEL 2021-004218"')
    assert "helsinki:agenda:00400202145:10:esitys:fi" in found(index, "2021-0042*")
    assert "helsinki:agenda:00400202145:10:esitys:fi" not in found(
        index, "asuntopolitiikan -valtuustoryhmän"
    )


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # words anywhere vs the phrase; "ja" is a stop word that keeps its position
        ("lapset ja nuoret", {"p1", "p2", "p3", "p5"}),
        ('"nuoret ja lapset"', {"p2"}),
        ('"lapset nuoret"', set()),
        ('"lapset ja nuoret"', {"p1"} | {"p5"}),
        ('"nuoret tarvitsevat tukea"', {"p1"}),
        ('title:"lapset ja nuoret"', {"p1"}),
        ('title:"tarvitsevat tukea"', set()),
        ('lapset nuoret -"lapset ja nuoret"', {"p2", "p3"}),
        ('"lapset pelaavat pihalla"', {"p3"}),
        # exclusion, OR, AND, NOT
        ("zebra", {"e1", "e2"}),
        ("zebra -giraffe", {"e1"}),
        ("zebra NOT giraffe", {"e1"}),
        ("zebra AND giraffe", {"e2"}),
        ("zebra or giraffe", {"e2"}),
        ("giraffe OR crossings", {"e1", "e2"}),
        ("giraffe OR lapset", {"e2", "p1", "p2", "p3", "p5"}),
        ("-zebra -giraffe -lapset -nuoret -qxazzz -qxa000 -kirjoja -koti", {"p4", "s1"}),
        # parentheses
        ("zebra (paddock OR schools)", {"e1", "e2"}),
        ("zebra (paddock OR schools) -crossings", {"e2"}),
        ("(lapset OR zebra) (tukea OR paddock)", {"p1", "e2"}),
        ("lapset OR zebra tukea OR paddock", {"p1", "p2", "p3", "p5", "e2"}),
        # title only
        ("title:zebra", {"e1"}),
        ("title:giraffe zebra", {"e2"}),
        ("title:tukea", set()),
        # prefixes against the keys
        ("giraf*", {"e2"}),
        ("Tarkastusl*", {"p4"}),
        ("tarkastuslautakunnan*", {"p4"}),
        ("anhörig*", {"s1"}),
        ("qxaz*", {"w2"}),
        # typos
        ("zebta", set()),
        ("zebta~", {"e1", "e2"}),
        ("girafe~", {"e2"}),
        ("tarkastuslautakunan~", {"p4"}),
        ("title:zebta~", {"e1"}),
        ("anhörigstöf~", {"s1"}),
        # compounds still work inside the syntax
        ("lautakunta -zebra", {"p4"}),
        # title: with inflections, compound parts, prefixes and groups
        ("title:lautakunnan", {"p4"}),
        ("title:lautakunta", {"p4"}),
        ("title:lautakun*", {"p4"}),
        ("title:tarkastuslautakunta", {"p4"}),
        ("title:arviointi", {"p4"}),
        ("title:(zebra OR giraffe)", {"e1", "e2"}),
        ("title:(zebra OR giraffe) -paddock", {"e1"}),
        ("title:(zebra -crossings) OR title:feeding", {"e2"}),
        ("title:(kotihoito OR koti)", {"k1", "k3"}),
        ("title:(koti -kotihoito)", {"k3"}),
        ("title:(kotihoito -koti)", set()),  # "koti" is a part of the title's "kotihoidon"
        # a compound by its parts; excluded only by the word itself
        ("kotihoito", {"k1", "k2", "k3"}),
        ("hoito", {"k1", "k2", "k3"}),
        ("hoito -kotihoito", {"k3"}),
        ("hoito -koti", set()),
        ("hoito NOT kotihoito", {"k3"}),
        ("hoito -(kotihoito OR zebra)", {"k3"}),
        ('hoito -"koti hoito"', {"k1", "k2"}),
        ("hoito -kotihoitopalvelu", {"k1", "k3"}),
        ("kotihoito -title:kotihoito", {"k2", "k3"}),
        # broken syntax: the plain words
        ('"lapset ja nuoret', {"p1", "p2", "p3", "p5"}),
        ("(zebra giraffe", {"e2"}),
        ("zebra OR", {"e1", "e2"}),
        ("title: giraffe", {"e2"}),
    ],
)
def test_finds(index, text, ids):
    assert found(index, text) & OURS == ids


def test_empty_query_lists_everything_and_no_word_finds_nothing(index):
    with index.searcher() as searcher:
        everything = searcher.doc_count()
    assert len(found(index, "")) == everything
    assert found(index, "ja", ["fi"]) == set()
    assert found(index, "?") == set()


def test_prefix_expansion_is_complete_or_refused(index):
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(query.Prefix("body_en", "qxa")._btexts(reader))) > MAX_EXPANSIONS
        assert len(CompletePrefix("body_en", "qxa0")._btexts(reader)) == 100
        with pytest.raises(BadQuery, match=f"qxa\\* matches more than {MAX_EXPANSIONS} words"):
            CompletePrefix("body_en", "qxa")._btexts(reader)
    with pytest.raises(BadQuery, match="type more letters"):
        found(index, "qxa*")
    # "qxazzz" sorts after every "qxa0.." term: a complete expansion finds it
    assert found(index, "qxaz*") & OURS == {"w2"}
    assert found(index, "qxa0*") & OURS == {"w1"}
    with index.searcher() as searcher:
        terms = query_terms("qxa1*", ["en"], searcher.reader())
    assert terms["body_en"] == {w for w in QXA.split() if w.startswith("qxa1")}


def test_query_terms_expand_prefixes_with_a_reader(index):
    with index.searcher() as searcher:
        terms = query_terms("giraf* -zebra", ["en"], searcher.reader())
    assert terms == {"title_en": {"giraff"}, "body_en": {"giraff"}}
    assert query_terms("giraf*", ["en"]) == {}
