import datetime
from pathlib import Path

import pytest

from indexer.dates import dates_in, find_date, find_year

D = datetime.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Finnish and Swedish d.m.yyyy
        ("Välfärdsområdesfullmäktige 28.4.2026", D(2026, 4, 28)),
        ("Kokous 28.04.2026 klo 10", D(2026, 4, 28)),
        ("Lahjaveroilmoitus oli tehty 4.12. 1981.", D(1981, 12, 4)),
        ("1.1.1900", D(1900, 1, 1)),
        ("31.12.2100", D(2100, 12, 31)),
        # ISO, also at the start of a timestamp
        ("Answer (2024-04-29):", D(2024, 4, 29)),
        ("2024-04-29T08:51:00Z", D(2024, 4, 29)),
        # US style and Drupal comment timestamps
        ("04/29/2024", D(2024, 4, 29)),
        ("Mon, 04/29/2024 - 08:51", D(2024, 4, 29)),
        ("Tue, 4/30/2024 - 08:08", D(2024, 4, 30)),
        # month names
        ("28 April 2026", D(2026, 4, 28)),
        ("published on 28th April, 2026", D(2026, 4, 28)),
        ("April 28, 2026", D(2026, 4, 28)),
        ("Sept 3 2021", D(2021, 9, 3)),
        ("3 Sept. 2021", D(2021, 9, 3)),
        ("28. huhtikuuta 2026", D(2026, 4, 28)),
        ("päätös 5. joulukuuta 2019", D(2019, 12, 5)),
        ("28 april 2026", D(2026, 4, 28)),
        ("den 24 februari 2026 in en fråga", D(2026, 2, 24)),
        ("den 1 maj 2020", D(2020, 5, 1)),
        # the first plausible date wins, whatever its format
        ("Tue, 04/30/2024 - 08:08 ... 1.5.2024 ... 2024-05-02", D(2024, 4, 30)),
        ("2024-05-02 ... 1.5.2024", D(2024, 5, 2)),
        ("HEL 2021-004218 T 00 00 03 ... Päätös 24.11.2021", D(2021, 11, 24)),
        ("31.2.2020 oli virhe, oikea päivä 2.3.2020", D(2020, 3, 2)),
        # impossible dates and things that are not dates
        ("31.2.2020", None),
        ("29.2.2023", None),
        ("13/13/2020", None),
        ("2024-13-01", None),
        ("HEL 2021-004218", None),
        ("2021-004218", None),
        ("Artikelnummer: 2008-131-30", None),
        ("Välfärdsområdesstyrelsen § 57", None),
        ("Socialstyrelsen\n075-247 30 00", None),
        ("250 000 euroa", None),
        ("Under åren 2005-2007 har staten satsat", None),
        ("Hittills (3/2026) har man", None),
        ("lisätyöpäätökset 1-3/2021", None),
        ("kl. 12.36", None),
        ("direktiv 91/497/EEG", None),
        ("1.2.3.2020", None),
        ("31.12.1899", None),
        ("1.1.2101", None),
        ("5 Mark 2020", None),
        ("huhtikuun 2026", None),
        ("", None),
    ],
)
def test_find_date(text: str, expected: datetime.date | None) -> None:
    assert find_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Publiceringsår: 2008", 2008),
        ("Läs mer\n\nPubliceringsår: 2008\nArtikelnummer: 2008-131-30\nFormat: PDF", 2008),
        ("Julkaisuvuosi: 2019", 2019),
        ("Year of publication: 2020", 2020),
        ("Publication year 2021", 2021),
        ("Published: 2008", 2008),
        ("  Published: 12 May 2008", 2008),
        ("Julkaistu 28.4.2026 klo 10.00", 2026),
        ("Year: 2001", 2001),
        ("Vuosi: 2019", 2019),
        # not labelled, or not a year
        ("Artikelnummer: 2008-131-30", None),
        ("Publisher: Socialstyrelsen 2008", None),
        ("Year 2001 was a good one", None),
        ("The report was published in the autumn.", None),
        ("Publiceringsår: 1850", None),
        ("Under åren 2005-2007", None),
        ("", None),
    ],
)
def test_find_year(text: str, expected: int | None) -> None:
    assert find_year(text) == expected


@pytest.mark.parametrize(
    ("seed", "date", "year"),
    [
        ("000_e5ce6d2af453161b.txt", None, None),
        ("001_ccc618685df0d0c3.txt", D(2026, 4, 28), None),
        ("002_9a121b0bd461c2d0.txt", None, 2008),
        ("003_ec58a30cbbd91bde.txt", D(2024, 4, 29), None),
        ("004_d5eb1f4dc494206e.txt", None, None),
    ],
)
def test_seeds(
    seed: str, date: datetime.date | None, year: int | None, seed_dir: Path
) -> None:
    text = (seed_dir / seed).read_text(encoding="utf-8")
    assert find_date(text) == date
    assert find_year(text) == year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Labelled as the document's own: decided, met, dated, published.
        ("Päätöspäivä: 3.2.2021", [(D(2021, 2, 3), True)]),
        ("Kokous 24.11.2021 klo 16", [(D(2021, 11, 24), True)]),
        ("Beslutsdatum 2021-02-03", [(D(2021, 2, 3), True)]),
        ("Datum den 24 februari 2026", [(D(2026, 2, 24), True)]),
        ("Published on 12 May 2008", [(D(2008, 5, 12), True)]),
        ("Date: 04/29/2024", [(D(2024, 4, 29), True)]),
        # A heading near the top: words, then the date, nothing after it.
        ("\n\nVälfärdsområdesfullmäktige 28.4.2026\n\nSvar på frågan 13.4.2026 § 57",
         [(D(2026, 4, 28), True), (D(2026, 4, 13), False)]),
        # Dates the text only mentions.
        ("Lautakunta on 16.6.2020 (§ 99) hyväksynyt", [(D(2020, 6, 16), False)]),
        ("lagen 14.12.1951 om skifte", [(D(1951, 12, 14), False)]),
        ("Päätetty 1.12.2021.", [(D(2021, 12, 1), False)]),  # a sentence, not a heading
        ("Mon, 04/29/2024 - 08:51", [(D(2024, 4, 29), False)]),
        ("KKO:2004:110\nAbstract.\nMÅLETS HANDLÄGGNING\nVasa hovrätts beslut 23.8.2004",
         [(D(2004, 8, 23), False)]),  # below the first three lines
        ("Päätöspäivä 3.2.2021, ajalle 1.4.2020 - 31.3.2021",
         [(D(2021, 2, 3), True), (D(2020, 4, 1), False), (D(2021, 3, 31), False)]),
        ("", []),
    ],
)
def test_dates_in_tells_the_texts_own_date(
    text: str, expected: list[tuple[datetime.date, bool]]
) -> None:
    assert [(found.date, found.own) for found in dates_in(text)] == expected
