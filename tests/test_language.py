import re
from pathlib import Path

import pytest

from indexer.language import detect_language, split_paragraphs, split_sections
from indexer.records import Section

EN_LONG = (
    "The assessment found that the availability of social guidance for families with children "
    "has been improved, and its activities have been developed in accordance with the City "
    "Strategy and budget objectives. However, the service needs of families are not always met."
)
EN_LONG_2 = (
    "The Audit Committee concludes that the division should ensure the availability of staff "
    "for services for families with children through adequate measures and clear guidelines."
)
FI_LONG = (
    "Rajapintatyöskentelyä ja moniammatillista yhteistyötä toimialojen välillä tulisi luovasti "
    "kehittää. Esimerkiksi varhaiskasvatus on hedelmällinen kenttä ennaltaehkäisevälle työlle, "
    "ja perheet pääsisivät ajoissa palveluiden piiriin."
)
FI_LONG_2 = (
    "On tärkeää, että hajautettuja palveluita koordinoi perheille tuttu työntekijä. Näin "
    "varmistetaan myös, että kaikki perheet saavat riittävästi tukea ja ohjautuvat ajoissa."
)
SV_LONG = (
    "Välfärdsområdets serviceområde för barn, unga och familjer samlades till en helhet i början "
    "av 2024. Därmed blev det möjligt att granska resurserna inom socialarbetet för barnfamiljer."
)
# From a Swedish Supreme Administrative Court decision (finlex-sv): Swedish, but mostly names.
SV_JUDGES = (
    "Ärendet har avgjorts av president Pekka Vihervuori samt justitieråden Kari Kuusiniemi, "
    "Niilo Jääskinen, Anne E. Niemi, Riitta Mutikainen, Hannele Ranta-Lassila, Hannu Ranta, "
    "Eija Siitari, Alice Guimaraes-Purokoski, Mika Seppälä, Outi Suviranta, Leena Äärilä, "
    "Mikko Pikkujämsä, Janne Aer, Petri Helander, Kari Tornikoski, Tuomas Kuokkanen, Taina "
    "Pyysaari, Timo Räbinä, Anne Nenonen, Antti Pekkala, Jaakko Autio, Pekka Aalto, Maarit "
    "Lindroos, Kirsti Kurki-Suonio och Toomas Kotkas. Föredragande Antti Jukarainen."
)
FI_CAPTION = "Kyynärsauvat ja kävelykeppi nojaavat seinää vasten. Kuvaaja: Kaisa Sunimento"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # words and short phrases
        ("Beslutsförslag", "sv"),
        ("För kännedom", "sv"),
        ("Ystävällisin terveisin,", "fi"),
        ("Kiitos kommentistasi arviointikertomussivustolle!", "fi"),
        ("Päätösehdotus", "fi"),
        ("The goal of the assessment", "en"),
        ("Add new comment", "en"),
        ("Estimated reading time 2 minutes", "en"),
        # sentences and paragraphs
        (EN_LONG, "en"),
        (FI_LONG, "fi"),
        (SV_LONG, "sv"),
        (FI_CAPTION, "fi"),
        ("Kaupunginvaltuusto katsoo ryhmäaloitteen loppuun käsitellyksi.", "fi"),
        ("Högsta förvaltningsdomstolen upphävde beslutet och återförvisade ärendet.", "sv"),
        ("There are currently no plans for the Strategic Plan to be published.", "en"),
        # too few letters to tell
        ("", None),
        ("   \n\n ", None),
        ("§ 57", None),
        ("Mon, 04/29/2024 - 08:51", None),
        ("075-247 30 00", None),
        ("HEL 2021-004218", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_detect_language_only_three_languages() -> None:
    # German and Norwegian are not options: the answer is the closest of fi/sv/en.
    assert detect_language("Die Kommission hat heute einen Bericht veröffentlicht.") in {
        "fi",
        "sv",
        "en",
    }
    assert detect_language("Regjeringen har lagt fram en ny plan for barnevernet.") == "sv"


def _visible(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_covers(text: str, sections: list[Section]) -> None:
    """Every non-space character of the text is in the sections, in order."""
    assert _visible("".join(s.text for s in sections)) == _visible(text)
    assert "\n\n".join(s.text for s in sections) == "\n\n".join(split_paragraphs(text))


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        # one language, with short paragraphs (headings, names) that cannot be told
        ([EN_LONG, "Results", EN_LONG_2], ["en"]),
        (["Beslut", SV_LONG, "Bilaga", "Westergård Mikaela\nVillgren Kati"], ["sv"]),
        # an article followed by readers' comments in another language
        ([EN_LONG, EN_LONG_2, FI_LONG, FI_LONG_2], ["en", "fi"]),
        # the byline and date of a comment go with the comment, not the article before it
        (
            [EN_LONG, "Anonymous (not verified)", "Mon, 04/29/2024 - 08:51", FI_LONG],
            ["en", "fi"],
        ),
        # a closing greeting goes with the text it closes
        ([FI_LONG, "Ystävällisin terveisin,", "Timo Cantell"], ["fi"]),
        # a paragraph of names the detector is unsure of does not start a section at the end
        ([SV_LONG, SV_JUDGES], ["sv"]),
        # a short caption in another language inside a long run is smoothed away
        ([EN_LONG, FI_CAPTION, EN_LONG_2], ["en"]),
        # ... but a long part in another language is a section of its own
        ([EN_LONG, FI_LONG, FI_LONG_2, EN_LONG_2], ["en", "fi", "en"]),
        ([SV_LONG, FI_LONG, FI_LONG_2], ["sv", "fi"]),
    ],
)
def test_split_sections_languages(paragraphs: list[str], expected: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    sections = split_sections(text)
    assert [s.language for s in sections] == expected
    _check_covers(text, sections)


def test_split_sections_keeps_text_verbatim() -> None:
    text = f"\n\n{EN_LONG}  \n\n\n  • first item\n  • second item\n \n{FI_LONG}\n\n{FI_LONG_2}\n"
    sections = split_sections(text)
    assert sections == [
        Section("en", f"{EN_LONG}\n\n  • first item\n  • second item"),
        Section("fi", f"{FI_LONG}\n\n{FI_LONG_2}"),
    ]


def test_split_sections_byline_boundary() -> None:
    text = "\n\n".join([EN_LONG, "Anonymous (not verified)", "Mon, 04/29/2024 - 08:51", FI_LONG])
    en, fi = split_sections(text)
    assert en.text == EN_LONG
    assert fi.text.startswith("Anonymous (not verified)\n\nMon, 04/29/2024 - 08:51\n\n")


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("", None, []),
        ("  \n\n  ", "fi", []),
        ("§ 57\n\n12.3.2024", "sv", [Section("sv", "§ 57\n\n12.3.2024")]),
        ("§ 57\n\n12.3.2024", None, []),
        # short paragraphs only: the text as a whole decides
        ("Beslutsförslag\n\nBilaga", None, [Section("sv", "Beslutsförslag\n\nBilaga")]),
        ("Päätösehdotus\n\nLiitteet", "en", [Section("fi", "Päätösehdotus\n\nLiitteet")]),
    ],
)
def test_split_sections_short_texts(
    text: str, default: str | None, expected: list[Section]
) -> None:
    assert split_sections(text, default=default) == expected


@pytest.fixture(scope="module")
def seed(seed_dir: Path):
    return lambda name: (seed_dir / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "languages"),
    [
        ("000_e5ce6d2af453161b.txt", ["en"]),
        ("001_ccc618685df0d0c3.txt", ["sv"]),
        ("002_9a121b0bd461c2d0.txt", ["sv"]),
        ("003_ec58a30cbbd91bde.txt", ["en", "fi"]),
        ("004_d5eb1f4dc494206e.txt", ["en"]),
    ],
)
def test_seed_sections(name: str, languages: list[str], seed) -> None:
    text = seed(name)
    sections = split_sections(text)
    assert [s.language for s in sections] == languages
    _check_covers(text, sections)


def test_seed_000_caption_is_finnish_but_smoothed(seed) -> None:
    text = seed("000_e5ce6d2af453161b.txt")
    caption = split_paragraphs(text)[1]
    assert caption.startswith("Kyynärsauvat")
    assert detect_language(caption) == "fi"
    (section,) = split_sections(text)
    assert caption in section.text


def test_seed_003_assessment_then_comments(seed) -> None:
    en, fi = split_sections(seed("003_ec58a30cbbd91bde.txt"))
    assert en.text.startswith("The goal of the assessment")
    assert en.text.endswith("despite development and organisational reforms.")
    assert "Rajapintatyöskentelyä" not in en.text
    assert fi.text.startswith("Anonymous (not verified)\n\nMon, 04/29/2024 - 08:51\n\n")
    assert "Kiitos kommentistasi arviointikertomussivustolle!" in fi.text
    assert fi.text.endswith("Ystävällisin terveisin,\n\nTimo Cantell")


def test_seed_languages_as_whole(seed) -> None:
    assert detect_language(seed("000_e5ce6d2af453161b.txt")) == "en"
    assert detect_language(seed("001_ccc618685df0d0c3.txt")) == "sv"
    assert detect_language(seed("002_9a121b0bd461c2d0.txt")) == "sv"


def test_long_text_is_judged_on_a_sample() -> None:
    # A whole long document (a PDF page without blank lines) is judged on slices of it, so the
    # Swedish half at the end is seen too, and the cost does not grow with the length.
    text = " ".join([EN_LONG] * 300 + [SV_LONG] * 900)
    assert len(text) > 200_000
    assert detect_language(text) == "sv"
    assert detect_language(" ".join([FI_LONG] * 2000)) == "fi"
