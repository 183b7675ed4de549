import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from indexer.normalize import iter_records, normalize, parse_date
from indexer.records import TITLE_MAX, BadRecord, RawRecord, Record, Section
from indexer.vocabulary import Vocabulary

FINNISH = (
    "Kaupunginhallitus päätti hyväksyä esityksen ja todeta, että asia on käsitelty. "
    "Päätös tulee voimaan heti, ja se pannaan täytäntöön ennen kuin se on saanut lainvoiman."
)
ENGLISH = (
    "The Audit Committee concludes that the division should develop its services as a whole "
    "and ensure that clients have access to the services that meet their needs."
)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def raw(fields: dict[str, Any], line: int | None = 7, is_page: bool = False) -> RawRecord:
    return RawRecord(fields, "data/x.jsonl", line, is_page)


def test_full_record(vocabulary: Vocabulary) -> None:
    record = normalize(
        raw({
            "id": " finlex:kko:19900099:fi ",
            "url": "https://example.org/kko/1990/99",
            "title": "  KKO:1990:99 ",
            "body": "\nA ja yhtiö B olivat sopineet talon toimituksesta.\n",
            "language": "fi",
            "date": "1990-08-30",
            "year": 1990,
            "organization": "Korkein oikeus",
            "division": None,
            "doc_type": "supreme_court_precedent",
            "source": "finlex",
            "ecli": "ECLI:FI:KKO:1990:99",
            "parallel_id": "finlex:kko:19900099:sv",
            "has_full_text": False,
            "license": "CC-BY-4.0",
        }),
        vocabulary,
    )
    assert record == Record(
        id="finlex:kko:19900099:fi",
        title="KKO:1990:99",
        body="A ja yhtiö B olivat sopineet talon toimituksesta.",
        origin="data/x.jsonl:7",
        url="https://example.org/kko/1990/99",
        language="fi",
        date="1990-08-30",
        date_source="source",
        year=1990,
        organization="supreme_court_of_finland",
        division=None,
        doc_type="court_decision",
        source="finlex",
        sections=[Section("fi", "A ja yhtiö B olivat sopineet talon toimituksesta.")],
        extra={
            "ecli": "ECLI:FI:KKO:1990:99",
            "parallel_id": "finlex:kko:19900099:sv",
            "has_full_text": False,
            "license": "CC-BY-4.0",
            "organization_raw": "Korkein oikeus",
            "doc_type_raw": "supreme_court_precedent",
        },
    )


BASE = {"id": "r1", "title": "Otsikko", "body": FINNISH, "language": "fi"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # An int id is accepted.
        ({**BASE, "id": 42}, {"id": "42"}),
        # Without a title, the first line with a word in it.
        ({**BASE, "title": None, "body": "\n /\n  Ensimmäinen   rivi \ntoinen"},
         {"title": "Ensimmäinen rivi"}),
        ({**BASE, "title": "   ", "body": f"{FINNISH} {FINNISH}\nToinen rivi."},
         {"title": f"{FINNISH} {FINNISH}"[:TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"}),
        ({**BASE, "title": None, "body": "x" * 300}, {"title": "x" * (TITLE_MAX - 1) + "…"}),
        # A title alone is enough text.
        ({**BASE, "body": None}, {"body": "", "sections": [], "language": "fi"}),
        # Facets: canonical keys, raw values kept; Helsinki "X / Y" by X.
        ({**BASE, "division": "Kaupunkiympäristön toimiala / Tiimipäällikkö",
          "organization": "City of Helsinki (Helsingin kaupunki)",
          "doc_type": "municipal_decision_officeholder"},
         {"division": "urban_environment", "organization": "city_of_helsinki",
          "doc_type": "decision",
          "extra": {"division_raw": "Kaupunkiympäristön toimiala / Tiimipäällikkö",
                    "organization_raw": "City of Helsinki (Helsingin kaupunki)",
                    "doc_type_raw": "municipal_decision_officeholder"}}),
        ({**BASE, "division": "Brand new board"},
         {"division": "other:brand_new_board", "extra": {"division_raw": "Brand new board"}}),
        # Dates: ISO, timestamps and d.m.yyyy; the year follows the date.
        ({**BASE, "date": "2021-11-15"},
         {"date": "2021-11-15", "year": 2021, "date_source": "source"}),
        ({**BASE, "date": "2021-11-15T09:30:00+02:00"}, {"date": "2021-11-15", "year": 2021}),
        ({**BASE, "date": "5.3.2020"}, {"date": "2020-03-05", "year": 2020}),
        # Numeric strings are years too; a year agreeing with the date is fine.
        ({**BASE, "date": "2021-12-31", "year": 2021}, {"date": "2021-12-31", "year": 2021}),
        ({**BASE, "year": "2019"}, {"date": None, "year": 2019, "date_source": None}),
        ({**BASE, "year": " 2019 "}, {"year": 2019}),
        # No date field: the first date in the title or body, marked as found in the text.
        ({**BASE, "title": "Kokous 24.11.2021", "body": "Päätetty 1.12.2021."},
         {"date": "2021-11-24", "year": 2021, "date_source": "text"}),
        ({**BASE, "date": None, "body": "Lähetetty 04/29/2024 - 08:51"},
         {"date": "2024-04-29", "year": 2024, "date_source": "text"}),
        # No date anywhere: the year from a labelled line.
        ({**BASE, "body": "Rapport\n\nPubliceringsår: 2008\nAntal sidor: 54"},
         {"date": None, "year": 2008}),
        ({**BASE, "body": "Ei päivämäärää."}, {"date": None, "year": None}),
        ({**BASE, "date": ""}, {"date": None, "date_source": None}),
        ({**BASE, "language": ""}, {"language": "fi"}),
        # Language spellings.
        ({**BASE, "language": "Svenska", "body": "Text"},
         {"language": "sv", "sections": [Section("sv", "Text")]}),
        ({**BASE, "language": "EN"}, {"language": "en", "sections": [Section("en", FINNISH)]}),
    ],
)
def test_fields(vocabulary: Vocabulary, fields: dict[str, Any], expected: dict[str, Any]) -> None:
    record = normalize(raw(fields), vocabulary)
    for name, value in expected.items():
        if name == "extra":
            for key, item in value.items():
                assert record.extra.get(key) == item, key
        else:
            assert getattr(record, name) == value, name


def test_no_language_field_detects_and_splits(vocabulary: Vocabulary) -> None:
    record = normalize(raw({"id": "x", "title": "Päätös", "body": FINNISH}), vocabulary)
    assert record.language == "fi"
    assert record.sections == [Section("fi", FINNISH)]


def test_page_is_split_even_with_a_language(vocabulary: Vocabulary) -> None:
    body = f"{ENGLISH}\n\n\n{FINNISH} {FINNISH}  \n"
    record = normalize(raw({"id": "p", "body": body, "language": "en"}, is_page=True), vocabulary)
    assert record.sections == [Section("en", ENGLISH), Section("fi", f"{FINNISH} {FINNISH}")]
    # The declared language names the record even where comments in another language are
    # longer; the body is the sections' text, so each is a run of it.
    assert record.language == "en"
    assert record.body == f"{ENGLISH}\n\n{FINNISH} {FINNISH}"
    assert record.text_in("en") == ENGLISH


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "no id"),
        ({"id": "   ", "body": "x"}, "no id"),
        ({"id": None, "body": "x"}, "no id"),
        ({"id": "x"}, "no text"),
        ({"id": "x", "title": "  ", "body": "\n\t"}, "no text"),
        ({"id": ["x"], "body": "x"}, "id: expected a string, got list"),
        ({"id": True, "body": "x"}, "id: expected a string, got bool"),
        ({"id": "x", "body": ["a", "b"]}, "body: expected a string, got list"),
        ({"id": "x", "body": "b", "title": 5}, "title: expected a string, got int"),
        ({"id": "x", "body": "b", "year": "abc"}, "year: expected a number, got 'abc'"),
        ({"id": "x", "body": "b", "year": 2021.5}, "year: expected a number, got 2021.5"),
        ({"id": "x", "body": "b", "date": 20210101}, "date: expected a string, got int"),
        ({"id": "x", "body": "b", "language": ["fi"]}, "language: expected a string, got list"),
        ({"id": "x", "body": "b", "division": {"fi": "x"}},
         "division: expected a string, got dict"),
        ({"id": "x", "body": "b", "url": 1}, "url: expected a string, got int"),
        # A language the index does not have is not guessed at (it was indexed as Swedish).
        ({"id": "x", "body": "b", "language": "de"},
         "language: 'de' is not one of the index's languages (fi, sv, en)"),
        ({"id": "x", "body": "b", "language": "Deutsch"},
         "language: 'Deutsch' is not one of the index's languages (fi, sv, en)"),
        # Dates and years that cannot be read or lie outside the index's years (they were
        # dropped without a word).
        ({"id": "x", "body": "b", "date": "spring 2021"},
         "date: expected a date like 2021-11-24 or 24.11.2021 in 1800-2100, got 'spring 2021'"),
        ({"id": "x", "body": "b", "date": "2021-02-30"},
         "date: expected a date like 2021-11-24 or 24.11.2021 in 1800-2100, got '2021-02-30'"),
        ({"id": "x", "body": "b", "date": "1700-01-01"},
         "date: expected a date like 2021-11-24 or 24.11.2021 in 1800-2100, got '1700-01-01'"),
        ({"id": "x", "body": "b", "year": 3021}, "year: 3021 is outside 1800-2100"),
        ({"id": "x", "body": "b", "year": 0}, "year: 0 is outside 1800-2100"),
        ({"id": "x", "body": "b", "year": "-5"}, "year: expected a number, got '-5'"),
        # A year that disagrees with the date (it was kept, and year and date disagreed).
        ({"id": "x", "body": "b", "date": "2021-12-31", "year": 2022},
         "year: 2022 disagrees with date 2021-12-31"),
    ],
)
def test_bad_records(vocabulary: Vocabulary, fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord) as caught:
        normalize(raw(fields, line=12), vocabulary)
    assert (caught.value.path, caught.value.line, caught.value.reason) == (
        "data/x.jsonl", 12, reason
    )
    assert str(caught.value) == f"data/x.jsonl:12: {reason}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-11-15", "2021-11-15"),
        ("2021-1-5", "2021-01-05"),
        ("2021-11-15T10:00:00Z", "2021-11-15"),
        ("2021-11-15 10:00", "2021-11-15"),
        ("15.11.2021", "2021-11-15"),
        ("1.2.1999.", "1999-02-01"),
        ("2021-13-01", None),
        ("31.2.2021", None),
        ("1.1.1700", None),
        ("20211115", None),
        ("11/15/2021", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    found = parse_date(text)
    assert (found.isoformat() if found else None) == expected


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_iter_records_duplicates_and_bad_records(tmp_path: Path, vocabulary: Vocabulary) -> None:
    def line(record_id: str, body: str = "Teksti on tässä.") -> str:
        return json.dumps({"id": record_id, "body": body, "language": "fi"})

    first = _write_jsonl(tmp_path / "a.jsonl", [line("a"), line("b"), line("a", "Toinen")])
    second = _write_jsonl(tmp_path / "b.jsonl", [line("b"), json.dumps({"body": "x"}), line("c")])
    results = list(iter_records([first, second], vocabulary))

    records = [r for r in results if isinstance(r, Record)]
    bad = [r for r in results if isinstance(r, BadRecord)]
    assert [(r.id, r.origin) for r in records] == [
        ("a", f"{first}:1"), ("b", f"{first}:2"), ("c", f"{second}:3")
    ]
    assert records[0].body == "Teksti on tässä."
    assert [(b.path, b.line, b.reason) for b in bad] == [
        (str(first), 3, f"duplicate id 'a', first seen at {first}:1"),
        (str(second), 1, f"duplicate id 'b', first seen at {first}:2"),
        (str(second), 2, "no id"),
    ]


def test_iter_records_passes_reader_errors_through(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = _write_jsonl(
        tmp_path / "c.jsonl",
        ['{"id": "ok", "body": "Hyvä."}', "{not json", '["a list"]', '{"id": "ok2", "title": "T"}'],
    )
    results = list(iter_records([path], vocabulary))
    assert [r.id for r in results if isinstance(r, Record)] == ["ok", "ok2"]
    bad = [r for r in results if isinstance(r, BadRecord)]
    assert [(b.path, b.line) for b in bad] == [(str(path), 2), (str(path), 3)]


@pytest.fixture(scope="module")
def seeds(vocabulary: Vocabulary, shipped_corpus: Path) -> dict[str, Record]:
    results = list(iter_records([shipped_corpus / "pages"], vocabulary))
    assert [r for r in results if isinstance(r, BadRecord)] == []
    return {Path(r.origin.split(":")[0]).name[:3]: r for r in results}


def test_seed_pages(seeds: dict[str, Record]) -> None:
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    assert all(r.organization and not r.organization.startswith("other:") for r in seeds.values())


def test_seed_000_english_assessment(seeds: dict[str, Record]) -> None:
    page = seeds["000"]
    # The Finnish photo caption is too short to be a section of its own.
    assert page.languages() == ["en"]
    assert (page.organization, page.division, page.doc_type) == (
        "city_of_helsinki", "social_health_rescue", "assessment"
    )


def test_seed_001_swedish_council_answer_dated_in_text(seeds: dict[str, Record]) -> None:
    page = seeds["001"]
    assert page.date == "2026-04-28"
    assert page.year == 2026
    assert page.languages() == ["sv"]
    assert page.language == "sv"
    assert (page.organization, page.division, page.doc_type) == (
        "ostrobothnia_wellbeing_county", "wellbeing_county_council", "answer"
    )


def test_seed_002_publication_year(seeds: dict[str, Record]) -> None:
    page = seeds["002"]
    assert page.year == 2008
    assert page.date is None
    assert page.language == "sv"
    assert (page.organization, page.doc_type) == ("se_socialstyrelsen", "publication")


def test_seed_003_english_with_finnish_comments(seeds: dict[str, Record]) -> None:
    page = seeds["003"]
    assert page.date == "2024-04-29"
    assert page.year == 2024
    assert [s.language for s in page.sections] == ["en", "fi"]
    assert page.language == "en"  # the article's language, not its longer comments
    english, finnish = page.sections
    assert english.text.startswith("The goal of the assessment")
    assert "Rajapintatyöskentelyä" in finnish.text
    assert "Rajapintatyöskentelyä" not in english.text
    assert "Kiitos kommentistasi" in finnish.text
    for section in page.sections:
        assert section.text in page.body


def test_seed_004_evaluation_report(seeds: dict[str, Record]) -> None:
    page = seeds["004"]
    assert page.languages() == ["en"]
    assert page.doc_type == "assessment"


def test_shipped_corpus_normalises_cleanly(vocabulary: Vocabulary, shipped_corpus: Path) -> None:
    paths = sorted((shipped_corpus / "records").glob("*.jsonl.gz"))
    results = list(iter_records(paths, vocabulary))
    bad = [str(r) for r in results if isinstance(r, BadRecord)]
    assert bad == []
    assert len(results) > 3000
    expected = Counter()
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            expected.update(json.loads(line)["language"] for line in handle)
    assert Counter(r.language for r in results) == expected
    for record in results:
        assert record.sections and record.sections[0].text == record.body, record.id
        assert record.year is not None, record.id
        for facet in ("organization", "doc_type"):
            assert vocabulary.is_known(facet, getattr(record, facet)), (record.id, facet)
        assert record.division is None or vocabulary.is_known("division", record.division)
