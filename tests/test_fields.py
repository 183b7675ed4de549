"""The fields a record comes back with: dates a reader can trust, links that are links, and
records whose fields cannot be trusted reported rather than indexed."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from falcon import testing

from indexer.build import rebuild
from indexer.cli import EXIT_PROBLEMS
from indexer.normalize import identifier_year, iter_records, normalize
from indexer.records import BadRecord, RawRecord, Record
from indexer.vocabulary import Vocabulary
from searchsvc.app import create_app
from searchsvc.settings import Settings

# The records issue 9 found misdated or mislinked, as shipped in corpus/records.
KKO_1983_I_2 = "finlex:kko:19830002s:sv"  # was dated 1951-12-14 from a law it cites
LEASE_DECISION = "helsinki:decision:F5BA4515-FEE5-4501-B2E1-C44EB529A76B"  # was 1984-01-10
AFTER_GENERATED = "helsinki:decision:02EC06C3-6507-4574-8479-DDE11FA69B57"  # was 2022-01-31
AGENDA_ITEM = "helsinki:agenda:U75000202124:9:esitys:fi"
OLDEST_BY_SOURCE = "finlex:kko:19800015t:fi"  # 1980-02-15, the oldest source date shipped


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def shipped(shipped_corpus: Path, *ids: str) -> Iterator[dict[str, Any]]:
    """The shipped records with these ids, as their files hold them."""
    wanted = set(ids)
    for path in sorted((shipped_corpus / "records").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["id"] in wanted:
                    yield record


def normalized(fields: dict[str, Any], vocabulary: Vocabulary) -> Record:
    return normalize(RawRecord(fields, "data/x.jsonl", 3), vocabulary)


def records(paths: Iterable[Path], vocabulary: Vocabulary) -> list[Record]:
    found = list(iter_records(list(paths), vocabulary))
    assert [str(r) for r in found if isinstance(r, BadRecord)] == []
    return [r for r in found if isinstance(r, Record)]


# --- dates -----------------------------------------------------------------------------------


def test_the_misdated_records_of_the_issue(shipped_corpus: Path, vocabulary: Vocabulary) -> None:
    found = {
        fields["id"]: normalized(fields, vocabulary)
        for fields in shipped(shipped_corpus, KKO_1983_I_2, LEASE_DECISION, AFTER_GENERATED)
    }
    # KKO:1983-I-2 cites a law of 14.12.1951; its source gives the year and no date.
    assert (found[KKO_1983_I_2].date, found[KKO_1983_I_2].year) == (None, 1983)
    # Helsinki decisions without a source date: 1984-01-10 is a lease the decision mentions,
    # 2022-01-31 falls after the source's own html_generated (2022-01-11).
    for record_id in (LEASE_DECISION, AFTER_GENERATED):
        record = found[record_id]
        assert (record.date, record.date_source, record.year) == (None, None, 2022), record_id


BASE = {"id": "r1", "title": "Otsikko", "language": "fi"}


@pytest.mark.parametrize(
    ("fields", "date"),
    [
        # The first date, where the record gives no year and nothing marks one as its own.
        ({**BASE, "body": "Lautakunta käsitteli asian 3.4.2021 ja 5.5.2021."}, "2021-04-03"),
        # A date the text gives as its own wins over the first one.
        ({**BASE, "body": "Lautakunta päätti 16.6.2020 (§ 99).\n\nPäätöspäivä: 3.2.2021"},
         "2021-02-03"),
        ({**BASE, "title": "Svar", "body": "Välfärdsområdesfullmäktige 28.4.2026\n\n"
          "Styrelsen 13.4.2026 § 57"}, "2026-04-28"),
        ({**BASE, "language": "en", "body": "Cites 1.2.2019.\n\nPublished on 12 May 2020"},
         "2020-05-12"),
        # Never after the source's upper bound.
        ({**BASE, "body": "Voimassa 31.1.2022 alkaen.", "html_generated": "2022-01-11"}, None),
        ({**BASE, "body": "Voimassa 31.1.2022, haettu 5.1.2022.", "html_generated": "2022-01-11"},
         "2022-01-05"),
        # Never before the year the record's identifier names.
        ({**BASE, "title": "KKO:1983-I-2", "body": "lagen 14.12.1951 om skifte"}, None),
        ({**BASE, "title": "KKO:1983-I-2", "body": "lagen 14.12.1951, beslut 5.3.1983"},
         "1983-03-05"),
        ({**BASE, "ecli": "ECLI:FI:KHO:2013:12", "body": "Muutti 2.8.2009 Ruotsiin."}, None),
        ({**BASE, "case_id": "HEL 2021-014908", "body": "Vuokrasopimus 10.1.1984."}, None),
        # Within the year the source gives, and then only a date the text gives as its own.
        ({**BASE, "year": 2013, "body": "Muutti 2.8.2009 Ruotsiin."}, None),
        ({**BASE, "year": 2004, "body": "Hovrättens beslut 23.8.2004."}, None),
        ({**BASE, "year": 2004, "body": "Beslutsdatum: 20.12.2004. Hovrätten 23.8.2004."},
         "2004-12-20"),
        ({**BASE, "year": 2004, "body": "Beslutsdatum: 20.12.2003."}, None),
    ],
)
def test_a_date_from_the_text_fits_the_record(
    vocabulary: Vocabulary, fields: dict[str, Any], date: str | None
) -> None:
    record = normalized(fields, vocabulary)
    assert record.date == date
    assert record.date_source == ("text" if date else None)
    if date is not None:
        assert record.year == int(date[:4])


@pytest.mark.parametrize(
    ("fields", "year"),
    [
        ({"ecli": "ECLI:FI:KKO:1983:I2"}, 1983),
        ({"title": "29.1.1987/232 KHO:1987-A-97"}, 1987),
        ({"title": "KKO:2004:110"}, 2004),
        ({"title": "HD:1983-I-2"}, 1983),
        ({"case_id": "HEL 2021-002763"}, 2021),
        ({"title": "/1846", "body": "KKO:1951:1 HEL 1999-000001"}, None),
        ({}, None),
    ],
)
def test_identifier_year(fields: dict[str, Any], year: int | None) -> None:
    assert identifier_year(fields) == year


def test_a_source_date_is_marked_as_the_sources(vocabulary: Vocabulary) -> None:
    record = normalized({**BASE, "body": "Teksti 1.1.2020.", "date": "2021-05-05"}, vocabulary)
    assert (record.date, record.date_source, record.year) == ("2021-05-05", "source", 2021)


def _date_invariants(found: list[Record]) -> None:
    for record in found:
        if record.date is None:
            assert record.date_source is None, record.id
            continue
        date = dt.date.fromisoformat(record.date)
        assert record.year == date.year, record.id
        assert record.date_source in ("source", "text"), record.id
        if record.date_source == "text":
            bound = record.extra.get("html_generated")
            assert bound is None or record.date <= bound, record.id
            named = identifier_year({**record.extra, "title": record.title})
            assert named is None or date.year >= named, record.id


def test_dates_of_the_shipped_corpus(shipped_corpus: Path, vocabulary: Vocabulary) -> None:
    found = records([shipped_corpus], vocabulary)
    _date_invariants(found)
    text_dated = sorted((r.id, r.date) for r in found if r.date_source == "text")
    # The two seed pages that say when they were written; no court decision or Helsinki
    # decision takes a date it only mentions.
    assert text_dated == [
        ("seed:helsinki-audit:social-guidance-families", "2024-04-29"),
        ("seed:ostrobothnia:council-question-support-relationships", "2026-04-28"),
    ]
    oldest = min((r.date, r.id) for r in found if r.date)
    assert oldest == ("1980-02-15", OLDEST_BY_SOURCE)


@pytest.mark.slow
def test_dates_and_links_of_the_shared_records(shared: Path, vocabulary: Vocabulary) -> None:
    found = records([shared / "records"], vocabulary)
    assert len(found) == 32_793
    _date_invariants(found)
    assert all(r.url is None or is_link(r.url) for r in found)
    assert not [r.id for r in found if r.date_source == "text"]


# --- links -----------------------------------------------------------------------------------


AHJO_API = ("https://ahjo.hel.fi:9802/ahjorest/v1/decisions/"
            "%7B027ABC33-7A36-4435-B72D-AF8841663E89%7D?apireqlang=fi")


def is_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://paatokset.hel.fi/fi/asia/hel-2021-002763?paatos=01a5bc59",
         ("https://paatokset.hel.fi/fi/asia/hel-2021-002763?paatos=01a5bc59", None)),
        (" http://example.org/a ", ("http://example.org/a", None)),
        ("https://paatokset.hel.fi/fi/paattajat (meeting U75000202124, item 9)",
         (None, "https://paatokset.hel.fi/fi/paattajat (meeting U75000202124, item 9)")),
        ("https://github.com/eliask/finlex-data/blob/151c941/data/kko/sv/1983/kko19830002s.xml",
         (None,
          "https://github.com/eliask/finlex-data/blob/151c941/data/kko/sv/1983/kko19830002s.xml")),
        ("https://example.org/data.json", (None, "https://example.org/data.json")),
        (AHJO_API, (None, AHJO_API)),
        ("www.hel.fi/paatokset", (None, "www.hel.fi/paatokset")),
        ("ftp://example.org/x", (None, "ftp://example.org/x")),
        ("javascript:alert(1)", (None, "javascript:alert(1)")),
        ("https:///no-host", (None, "https:///no-host")),
        ("http://example.org:port/", (None, "http://example.org:port/")),
        ("http://[::1", (None, "http://[::1")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_url_is_the_documents_address_or_null(
    vocabulary: Vocabulary, url: str | None, expected: tuple[str | None, str | None]
) -> None:
    record = normalized({**BASE, "body": "Teksti.", "url": url}, vocabulary)
    assert (record.url, record.source_ref) == expected


def test_links_of_the_shipped_corpus(shipped_corpus: Path, vocabulary: Vocabulary) -> None:
    found = records([shipped_corpus], vocabulary)
    for record in found:
        assert record.url is None or is_link(record.url), record.id
    by_id = {r.id: r for r in found}
    agenda = by_id[AGENDA_ITEM]
    assert agenda.url is None
    assert agenda.source_ref == (
        "https://paatokset.hel.fi/fi/paattajat (meeting U75000202124, item 9)"
    )
    agenda_items = [r for r in found if r.id.startswith("helsinki:agenda:")]
    assert len(agenda_items) == 191
    assert all(r.url is None and "(meeting " in (r.source_ref or "") for r in agenda_items)
    court = [r for r in found if r.id.startswith("finlex:")]
    assert court and all(r.url is None and r.source_ref.endswith(".xml") for r in court)
    assert all(is_link(r.url) for r in found if r.id.startswith("ukparl:"))
    decisions = [r for r in found if r.id.startswith("helsinki:decision:")]
    assert decisions and all(r.url is None or is_link(r.url) for r in decisions)
    from_api = [r for r in decisions if "/ahjorest/" in (r.source_ref or "")]
    assert len(from_api) == 67 and all(r.url is None for r in from_api)


# --- what the API answers ---------------------------------------------------------------------


def all_hits(client: testing.TestClient, **params: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    page = 1
    while True:
        result = client.simulate_get(
            "/search", params={"q": "", "size": "100", "page": str(page), **params}
        )
        assert result.status_code == 200, result.text
        hits += result.json["hits"]
        if page * 100 >= result.json["total"]:
            return hits
        page += 1


def test_every_url_of_the_small_corpus_is_a_link(client: testing.TestClient) -> None:
    hits = all_hits(client)
    assert len(hits) > 100
    assert all(hit["url"] is None or is_link(hit["url"]) for hit in hits)
    assert any(hit["id"].startswith("helsinki:agenda:") and hit["url"] is None for hit in hits)
    for hit in hits:
        assert hit["date_source"] == (None if hit["date"] is None else hit["date_source"])
        assert hit["date"] is None or hit["year"] == int(hit["date"][:4])


@pytest.mark.slow
def test_every_url_of_the_shipped_corpus_is_a_link(
    tmp_path: Path, shipped_corpus: Path
) -> None:
    report = rebuild([shipped_corpus], tmp_path / "index", jobs=2)
    client = testing.TestClient(create_app(Settings(index_dir=tmp_path / "index")))
    hits = all_hits(client)
    assert len(hits) == report.documents == 3951
    assert all(hit["url"] is None or is_link(hit["url"]) for hit in hits)
    # UK answers, and Helsinki decisions but the 67 whose url is an Ahjo data API address
    assert sum(hit["url"] is not None for hit in hits) == 1452 + 267 - 67
    assert all(hit["date"] is None or hit["year"] == int(hit["date"][:4]) for hit in hits)
    assert {hit["date_source"] for hit in hits} == {"source", "text", None}


@pytest.fixture(scope="module")
def misdated_client(
    tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path
) -> testing.TestClient:
    """An index of the issue's misdated and mislinked records and the oldest dated one."""
    root = tmp_path_factory.mktemp("misdated")
    ids = (KKO_1983_I_2, LEASE_DECISION, AFTER_GENERATED, AGENDA_ITEM, OLDEST_BY_SOURCE)
    (root / "corpus").mkdir()
    with open(root / "corpus" / "records.jsonl", "w", encoding="utf-8") as handle:
        for record in shipped(shipped_corpus, *ids):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    report = rebuild([root / "corpus"], root / "index", jobs=1)
    assert report.documents == len(ids) and not report.problems
    return testing.TestClient(create_app(Settings(index_dir=root / "index")))


def test_sort_oldest_opens_with_a_date_from_the_source(misdated_client) -> None:
    # By date, and by year where a record has only a year (KKO:1983-I-2 was 1951-12-14 and
    # opened the list).
    hits = all_hits(misdated_client, sort="oldest")
    assert [(h["id"], h["date"], h["date_source"], h["year"]) for h in hits[:3]] == [
        (OLDEST_BY_SOURCE, "1980-02-15", "source", 1980),
        (KKO_1983_I_2, None, None, 1983),
        (AGENDA_ITEM, "2021-11-26", "source", 2021),
    ]
    assert {(h["id"], h["date"], h["date_source"], h["year"]) for h in hits[3:]} == {
        (LEASE_DECISION, None, None, 2022),
        (AFTER_GENERATED, None, None, 2022),
    }


def test_documents_keep_the_source_reference(misdated_client) -> None:
    agenda = misdated_client.simulate_get(f"/documents/{AGENDA_ITEM}").json
    assert agenda["url"] is None
    assert agenda["source_ref"] == (
        "https://paatokset.hel.fi/fi/paattajat (meeting U75000202124, item 9)"
    )
    assert (agenda["extra"]["meeting_id"], agenda["extra"]["agenda_point"]) == (
        "U75000202124", "9"
    )
    assert agenda["date_source"] == "source"
    court = misdated_client.simulate_get(f"/documents/{KKO_1983_I_2}").json
    assert court["url"] is None
    assert re.fullmatch(r"https://github\.com/eliask/finlex-data/blob/\w+/data/kko/sv/1983/"
                        r"kko19830002s\.xml", court["source_ref"])
    assert (court["date"], court["date_source"], court["year"]) == (None, None, 1983)


def test_the_documented_document_fields_are_what_the_api_answers(misdated_client, root) -> None:
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("## The fields of a record") :]
    example = json.loads(section[section.index("```json") + 7 : section.index("```\n\n")])
    answer = misdated_client.simulate_get(f"/documents/{example['id']}").json
    assert {name: answer[name] for name in example} == example


# --- bad records ------------------------------------------------------------------------------

BAD_LINES = [
    ({"id": "ok-1", "body": "Hyvä teksti.", "language": "fi", "date": "2021-05-05"}, None),
    ({"id": "de", "body": "Ein deutscher Text über die Stadt.", "language": "de"},
     "language: 'de' is not one of the index's languages (fi, sv, en)"),
    ({"id": "bad-date", "body": "Teksti.", "language": "fi", "date": "2021-02-30"},
     "date: expected a date like 2021-11-24 or 24.11.2021 in 1800-2100, got '2021-02-30'"),
    ({"id": "words", "body": "Teksti.", "language": "fi", "date": "spring 2021"},
     "date: expected a date like 2021-11-24 or 24.11.2021 in 1800-2100, got 'spring 2021'"),
    ({"id": "far", "body": "Teksti.", "language": "fi", "year": 3021},
     "year: 3021 is outside 1800-2100"),
    ({"id": "disagree", "body": "Teksti.", "language": "fi", "date": "2021-12-31",
      "year": 2022}, "year: 2022 disagrees with date 2021-12-31"),
    ({"id": "ok-2", "body": "Toinen teksti.", "language": "sv"}, None),
]


@pytest.fixture
def bad_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "records.jsonl").write_text(
        "".join(json.dumps(fields) + "\n" for fields, _ in BAD_LINES), encoding="utf-8"
    )
    return folder


def expected_problems(folder: Path) -> list[str]:
    path = folder / "records.jsonl"
    return [f"{path}:{n}: {reason}" for n, (_, reason) in enumerate(BAD_LINES, 1) if reason]


def test_check_reports_bad_languages_dates_and_years(bad_corpus: Path, cli) -> None:
    ran = cli("check", bad_corpus)
    assert ran.returncode == EXIT_PROBLEMS
    assert ran.stdout.splitlines() == [*expected_problems(bad_corpus), "2 good records, 5 problems"]


def test_rebuild_reports_them_and_indexes_the_rest(bad_corpus: Path, tmp_path: Path) -> None:
    report = rebuild([bad_corpus], tmp_path / "index", jobs=1)
    assert report.problems == expected_problems(bad_corpus)
    assert report.documents == 2
    client = testing.TestClient(create_app(Settings(index_dir=tmp_path / "index")))
    assert sorted(h["id"] for h in all_hits(client)) == ["ok-1", "ok-2"]
