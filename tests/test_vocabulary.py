import gzip
import json
import time
from pathlib import Path

import pytest

from indexer.contract import LANGUAGES
from indexer.vocabulary import DEFAULT_PATH, FACETS, Vocabulary


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


@pytest.fixture()
def fresh() -> Vocabulary:
    """A vocabulary of its own, for tests that look at the unknown values it collects."""
    return Vocabulary.load()


CASES = [
    # Helsinki divisions: "X / Y" maps by X, committees and sections by their division.
    ("division", "Kaupunkiympäristön toimiala / Tiimipäällikkö", "urban_environment"),
    ("division", "Kaupunkiympäristön toimiala", "urban_environment"),
    ("division", "Urban Environment Division", "urban_environment"),
    ("division", "Stadsmiljösektorn", "urban_environment"),
    ("division", "Kaupunkiympäristölautakunta", "urban_environment"),
    ("division", "Kaupunkiympäristön toimiala / Kaupunkiympäristölautakunta", "urban_environment"),
    ("division", "Kaupunkiympäristölautakunnan rakennusten ja yleisten alueiden jaosto",
     "urban_environment"),
    ("division", "Kaupunkiympäristön toimiala / Pelastuskomentaja", "urban_environment"),
    ("division", "Pelastuslautakunnan kokous", "urban_environment"),
    ("division", "Liikenneliikelaitoksen johtokunta", "urban_environment"),
    ("division", "Social Services, Health Care and Rescue Services Division",
     "social_health_rescue"),
    ("division", "Sosiaali-, terveys- ja pelastustoimiala", "social_health_rescue"),
    ("division", "Sosiaali- ja terveystoimiala / Kotihoitopäällikkö", "social_health_rescue"),
    ("division", "Sosiaali- ja terveystoimiala", "social_health_rescue"),
    ("division", "Social-, hälsovårds- och räddningssektorn", "social_health_rescue"),
    ("division", "Sosiaali- ja terveyslautakunta", "social_health_rescue"),
    ("division", "Psykososiaalisen työn päällikkö", "social_health_rescue"),
    ("division", "Kasvatuksen ja koulutuksen toimiala / Rehtori, Kampus 5", "education"),
    ("division", "Kasvatus- ja koulutuslautakunta", "education"),
    ("division", "Fostrans- och utbildningssektorn", "education"),
    ("division", "Svenska sektionen vid nämnden för fostran och utbildning", "education"),
    ("division", "Education Division", "education"),
    ("division", "Kulttuurin ja vapaa-ajan toimiala / Liikuntajohtaja", "culture_leisure"),
    ("division", "Kulttuuri- ja vapaa-aikalautakunnan nuorisojaoston kokous", "culture_leisure"),
    ("division", "Kultur- och fritidssektorn", "culture_leisure"),
    ("division", "Culture and Leisure Division", "culture_leisure"),
    ("division", "Keskushallinto", "central_administration"),
    ("division", "Centralförvaltningen", "central_administration"),
    ("division", "Keskushallinto / Kansliapäällikkö", "central_administration"),
    ("division", "Kaupunginhallituksen kokous", "central_administration"),
    ("division", "Kaupunginhallituksen konsernijaosto", "central_administration"),
    ("division", "Kaupunginvaltuusto", "central_administration"),
    ("division", "Keskusvaalilautakunnan kokous", "central_administration"),
    ("division", "Johtokunnan kokous", "central_administration"),
    # The audit committee is part of central administration (decided in vocabulary.json).
    ("division", "Tarkastuslautakunta", "central_administration"),
    ("division", "Keskushallinto / Tarkastuslautakunta", "central_administration"),
    ("division", "Audit Committee", "central_administration"),
    ("division", "Välfärdsområdesfullmäktige", "wellbeing_county_council"),
    ("division", "Aluevaltuusto", "wellbeing_county_council"),
    # UK departments; renamed departments share a key.
    ("division", "Department of Health and Social Care", "uk_department_of_health_and_social_care"),
    ("division", "Treasury", "uk_treasury"),
    ("division", "HM Treasury", "uk_treasury"),
    ("division", "Foreign, Commonwealth and Development Office",
     "uk_foreign_commonwealth_and_development_office"),
    ("division", "Department for Levelling Up, Housing and Communities",
     "uk_ministry_of_housing_communities_and_local_government"),
    ("division", "Ministry of Housing, Communities and Local Government",
     "uk_ministry_of_housing_communities_and_local_government"),
    ("division", "Speaker's Committee on the Electoral Commission",
     "uk_speakers_committee_on_the_electoral_commission"),
    ("division", "Speaker’s Committee on the Electoral Commission",
     "uk_speakers_committee_on_the_electoral_commission"),
    # Case, spacing, punctuation and accents do not matter.
    ("division", "  KAUPUNKIYMPÄRISTÖN   toimiala  ", "urban_environment"),
    ("division", "kaupunkiymparistolautakunta", "urban_environment"),
    ("division", "sosiaali- , terveys- ja pelastustoimiala.", "social_health_rescue"),
    ("division", "urban_environment", "urban_environment"),
    # Organizations.
    ("organization", "City of Helsinki (Helsingin kaupunki)", "city_of_helsinki"),
    ("organization", "Helsingfors stad", "city_of_helsinki"),
    ("organization", "Helsingin kaupunki", "city_of_helsinki"),
    ("organization", "Korkein oikeus", "supreme_court_of_finland"),
    ("organization", "Högsta domstolen", "supreme_court_of_finland"),
    ("organization", "Supreme Court of Finland", "supreme_court_of_finland"),
    ("organization", "Korkein hallinto-oikeus", "supreme_administrative_court_of_finland"),
    ("organization", "Högsta förvaltningsdomstolen", "supreme_administrative_court_of_finland"),
    ("organization", "UK Parliament, House of Commons", "uk_house_of_commons"),
    ("organization", "Pohjanmaan hyvinvointialue", "ostrobothnia_wellbeing_county"),
    ("organization", "Välfärdsområdet i Österbotten", "ostrobothnia_wellbeing_county"),
    ("organization", "Socialstyrelsen", "se_socialstyrelsen"),
    # Document types: source codes and human spellings.
    ("doc_type", "municipal_decision_officeholder", "decision"),
    ("doc_type", "municipal_decision_body", "decision"),
    ("doc_type", "municipal_minutes_decision", "minutes"),
    ("doc_type", "municipal_agenda_item_proposal", "agenda_item"),
    ("doc_type", "supreme_court_precedent", "court_decision"),
    ("doc_type", "supreme_administrative_court_precedent", "court_decision"),
    ("doc_type", "supreme_administrative_court_brief_decision", "court_decision"),
    ("doc_type", "parliamentary_written_question_answer", "answer"),
    ("doc_type", "arviointi", "assessment"),
    ("doc_type", "Utvärdering", "assessment"),
    ("doc_type", "Assessment", "assessment"),
    ("doc_type", "Evaluation report", "assessment"),
    ("doc_type", "päätös", "decision"),
    ("doc_type", "beslut", "decision"),
    ("doc_type", "pöytäkirja", "minutes"),
    ("doc_type", "protokoll", "minutes"),
    ("doc_type", "julkaisu", "publication"),
    ("doc_type", "publikation", "publication"),
    ("doc_type", "vastaus", "answer"),
    ("doc_type", "svar", "answer"),
    ("doc_type", "Svar på fullmäktigefråga", "answer"),
    ("doc_type", "Agenda item", "agenda_item"),
    ("doc_type", "court_decision", "court_decision"),
]


@pytest.mark.parametrize(("facet", "raw", "key"), CASES)
def test_canonical(vocabulary: Vocabulary, facet: str, raw: str, key: str) -> None:
    assert vocabulary.canonical(facet, raw) == key


@pytest.mark.parametrize(
    ("facet", "key", "labels"),
    [
        ("division", "urban_environment",
         ("Kaupunkiympäristön toimiala", "Stadsmiljösektorn", "Urban Environment Division")),
        ("division", "central_administration",
         ("Keskushallinto", "Centralförvaltningen", "Central Administration")),
        ("organization", "supreme_court_of_finland",
         ("Korkein oikeus", "Högsta domstolen", "Supreme Court of Finland")),
        ("organization", "city_of_helsinki",
         ("Helsingin kaupunki", "Helsingfors stad", "City of Helsinki")),
        ("doc_type", "assessment", ("Arviointi", "Utvärdering", "Assessment")),
        ("doc_type", "decision", ("Päätös", "Beslut", "Decision")),
        ("doc_type", "minutes", ("Pöytäkirja", "Protokoll", "Minutes")),
    ],
)
def test_labels_in_three_languages(
    vocabulary: Vocabulary, facet: str, key: str, labels: tuple[str, str, str]
) -> None:
    assert tuple(vocabulary.label(facet, key, ui) for ui in ("fi", "sv", "en")) == labels


def test_every_key_has_three_labels_and_maps_to_itself(vocabulary: Vocabulary) -> None:
    exported = vocabulary.labels()
    assert set(exported) == set(FACETS)
    for facet, keys in exported.items():
        assert keys, facet
        for key, labels in keys.items():
            assert set(labels) == set(LANGUAGES)
            assert all(labels.values()), (facet, key)
            assert vocabulary.canonical(facet, key) == key
            for label in labels.values():
                assert vocabulary.canonical(facet, label) == key, (facet, key, label)


def test_required_keys_exist(vocabulary: Vocabulary) -> None:
    labels = vocabulary.labels()
    assert {
        "assessment", "decision", "minutes", "agenda_item", "publication", "answer",
        "court_decision",
    } <= set(labels["doc_type"])
    assert {
        "central_administration", "education", "urban_environment", "culture_leisure",
        "social_health_rescue",
    } <= set(labels["division"])
    assert sum(key.startswith("uk_") for key in labels["division"]) >= 27


def test_label_fallbacks(vocabulary: Vocabulary) -> None:
    assert vocabulary.label("division", "urban_environment", "de") == "Urban Environment Division"
    assert vocabulary.label("division", "no_such_key", "fi") == "no_such_key"


@pytest.mark.parametrize("raw", [None, "", "   ", "n/a", "null"])
def test_no_value(vocabulary: Vocabulary, raw: str | None) -> None:
    assert vocabulary.canonical("division", raw) is None


def test_unknown_facet(vocabulary: Vocabulary) -> None:
    with pytest.raises(ValueError, match="facet"):
        vocabulary.canonical("colour", "red")
    with pytest.raises(ValueError, match="facet"):
        vocabulary.label("colour", "red", "en")


def test_unknown_value_gets_a_stable_key_labelled_with_its_text(fresh: Vocabulary) -> None:
    key = fresh.canonical("division", "Östra Nylands räddningsverk")
    assert key == "other:ostra_nylands_raddningsverk"
    assert not fresh.is_known("division", key)
    # Other spellings of the same text, and a later vocabulary, give the same key.
    assert fresh.canonical("division", "östra  nylands RÄDDNINGSVERK") == key
    assert Vocabulary.load().canonical("division", "Östra Nylands räddningsverk") == key
    for ui in LANGUAGES:
        assert fresh.label("division", key, ui) == "Östra Nylands räddningsverk"
    exported = fresh.labels()["division"][key]
    assert exported == dict.fromkeys(LANGUAGES, "Östra Nylands räddningsverk")
    # Only the facet it was met in.
    assert key not in fresh.labels()["organization"]


def test_unknown_helsinki_division_maps_by_its_first_part(fresh: Vocabulary) -> None:
    first = fresh.canonical("division", "Uusi toimiala / Tiimipäällikkö")
    second = fresh.canonical("division", "Uusi toimiala / Johtaja")
    assert first == second == "other:uusi_toimiala"
    assert fresh.label("division", first, "sv") == "Uusi toimiala"


def test_long_unknown_values_keep_distinct_keys(fresh: Vocabulary) -> None:
    stem = "Department for a very long name that goes on and on and on and "
    first = fresh.canonical("division", stem + "one")
    second = fresh.canonical("division", stem + "two")
    assert first != second
    assert len(first) <= 70


def test_conflicting_aliases_are_refused() -> None:
    entry = {"labels": {"fi": "A", "sv": "A", "en": "A"}, "aliases": ["Same"]}
    other = {"labels": {"fi": "B", "sv": "B", "en": "B"}, "aliases": ["same"]}
    data = {"facets": {"organization": {}, "doc_type": {}, "division": {"a": entry, "b": other}}}
    with pytest.raises(ValueError, match="alias of both"):
        Vocabulary(data)


def test_missing_label_is_refused() -> None:
    entry = {"labels": {"fi": "A", "en": "A"}}
    with pytest.raises(ValueError, match="sv"):
        Vocabulary({"facets": {"organization": {}, "doc_type": {}, "division": {"a": entry}}})


def test_load_default_and_explicit_path(tmp_path: Path) -> None:
    copy = tmp_path / "vocabulary.json"
    copy.write_text(DEFAULT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert Vocabulary.load(copy).labels() == Vocabulary.load().labels()


def test_canonical_is_fast(fresh: Vocabulary) -> None:
    values = ["Kaupunkiympäristön toimiala / Tiimipäällikkö", "Treasury", "Tarkastuslautakunta"]
    started = time.perf_counter()
    for _ in range(100_000):
        for value in values:
            fresh.canonical("division", value)
    assert time.perf_counter() - started < 1.0


def _corpus_values(corpus: Path) -> set[tuple[str, str]]:
    values: set[tuple[str, str]] = set()
    for path in sorted((corpus / "records").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                values |= {(f, record[f]) for f in FACETS if record.get(f)}
    for path in sorted((corpus / "pages").glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        values |= {(f, meta[f]) for f in FACETS if meta.get(f)}
    return values


def test_shipped_corpus_is_covered(vocabulary: Vocabulary, shipped_corpus: Path) -> None:
    values = _corpus_values(shipped_corpus)
    assert len(values) > 100
    unmapped = sorted(
        (facet, raw, vocabulary.canonical(facet, raw))
        for facet, raw in values
        if not vocabulary.is_known(facet, vocabulary.canonical(facet, raw) or "")
    )
    assert unmapped == []
