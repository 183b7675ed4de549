"""The query language as docs/api.md states it, through the real app: every row of its syntax
table run as written over the shipped corpus, compounds ranked whole word first, prefixes
complete or refused, and queries with no word to search for."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from falcon import testing

from benchmarks.compounds import check
from indexer.build import rebuild
from searchsvc.app import create_app
from searchsvc.limits import MAX_EXPANSIONS, MIN_PREFIX
from searchsvc.settings import Settings


class Corpus:
    """The app over an index, with every hit of a query and the text of a record."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.client = testing.TestClient(create_app(Settings(index_dir=index_dir)))
        self._documents: dict[str, dict] = {}

    def search(self, q: str, **params: str) -> testing.Result:
        return self.client.simulate_get("/search", params={"q": q, "facets": "", **params})

    def ranked(self, q: str) -> list[str]:
        """Ids of every hit, best first (all pages)."""
        found: list[str] = []
        page = 1
        while True:
            answer = self.search(q, size="100", page=str(page))
            assert answer.status_code == 200, answer.text
            found += [hit["id"] for hit in answer.json["hits"]]
            if len(found) >= answer.json["total"]:
                assert len(found) == answer.json["total"]
                return found
            page += 1

    def ids(self, q: str) -> set[str]:
        return set(self.ranked(q))

    def document(self, doc_id: str) -> dict:
        if doc_id not in self._documents:
            self._documents[doc_id] = self.client.simulate_get(f"/documents/{doc_id}").json
        return self._documents[doc_id]

    def having(self, pattern: str, ids: set[str], title_only: bool = False) -> set[str]:
        """Those of ``ids`` whose title (and body) the regular expression finds."""
        regex = re.compile(pattern, re.IGNORECASE)

        def text(doc_id: str) -> str:
            document = self.document(doc_id)
            return document["title"] if title_only else document["title"] + "\n" + document["body"]

        return {doc_id for doc_id in ids if regex.search(text(doc_id))}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path) -> Corpus:
    index_dir = tmp_path_factory.mktemp("query_language") / "index"
    rebuild([shipped_corpus], index_dir)
    return Corpus(index_dir)


@pytest.fixture(scope="module")
def small(small_index: Path) -> Corpus:
    return Corpus(small_index)


# --- every row of the syntax table in docs/api.md ---------------------------------------------


def syntax_table(root: Path) -> list[tuple[str, str]]:
    """(query, what it finds) of each row of the table under "### Query syntax"."""
    text = (root / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("### Query syntax") :]
    start = section.index("| write")
    table = section[start : section.index("\n\n", start)]
    rows = []
    for line in table.splitlines()[2:]:
        write, finds = (cell.strip() for cell in line.strip("|").split(" | ", 1))
        rows.append((write.strip("`"), finds))
    return rows


# "kotihoito" as the analyzer knows it, alone or in a compound: kotihoito, kotihoidon,
# kotihoitopalvelun, päiväkotihoitoon (not "kotihoitaja": koti + hoitaja).
KOTIHOITO = r"kotihoi[dt]o"


def _omaishoidon_tuki(corpus: Corpus, found: set[str]) -> None:
    both = corpus.having(r"\bomaishoi[dt]o", found) & corpus.having(r"\btu(ki|en|kea)\b", found)
    assert both  # the two words apart, in their inflected forms
    assert corpus.having(r"omaishoidontu(ki|en|kea|ella)", found)  # the compound
    assert "finlex:kho:200300493:fi" in found


def _every_word(corpus: Corpus, found: set[str]) -> None:
    most = corpus.search("omaishoidon tuki", size="0").json
    assert found and len(found) == most["total_all_words"] < most["total"]
    assert found < corpus.ids("omaishoidon tuki")
    assert corpus.having(r"\bomaishoi[dt]o", found) & corpus.having(r"\btu(ki|en|kea)\b", found)


def _phrase(corpus: Corpus, found: set[str]) -> None:
    words = corpus.ids("lapset nuoret")
    assert found and found < words
    assert corpus.having(r"\blasten ja nuorten\b", found)
    assert corpus.having(r"\blasten ja nuorten\b", words) <= found


def _hoito_not_kotihoito(corpus: Corpus, found: set[str]) -> None:
    hoito = corpus.ids("hoito")
    holding = corpus.having(KOTIHOITO, hoito)
    assert holding and found == hoito - holding
    # records with only "koti" … "hoito" stay
    assert corpus.having(r"\bkoti", found) & corpus.having(r"\bhoi[dt]o", found)


def _either(corpus: Corpus, found: set[str]) -> None:
    hoito, hoiva = corpus.ids("hoito"), corpus.ids("hoiva")
    assert hoito - hoiva and hoiva - hoito and found == hoito | hoiva


def _omaish(corpus: Corpus, found: set[str]) -> None:
    assert found and found == corpus.having(r"\bomaish", corpus.ids(""))


def _typo(corpus: Corpus, found: set[str]) -> None:
    assert found and found == corpus.having(r"\banhörigstöd", corpus.ids(""))
    assert corpus.ids("anhörigstöf~") == found == corpus.ids("anhorigstöd~")
    assert corpus.ids("anhörigstöf") == set()


def _title_word(corpus: Corpus, found: set[str]) -> None:
    titles = corpus.having(r"lautakun[nt]", corpus.ids(""), title_only=True)
    # inflected, as the part of a compound ("Tarkastuslautakunnan")
    assert corpus.having(r"\w+lautakunnan\b", found, title_only=True)
    assert found <= titles
    # every title but the one with "keskusvaalilautakunnan": its part "vaalilautakunta" is
    # not split again (the analyzer never splits a compound's last part: "lautakunta" would
    # give "kunta")
    missed = {corpus.document(doc_id)["title"].split()[0] for doc_id in titles - found}
    assert missed <= {"Keskusvaalilautakunnan"}
    assert len(found) >= 40


def _title_prefix(corpus: Corpus, found: set[str]) -> None:
    assert found >= corpus.ids("title:lautakunta")
    assert found == corpus.having(r"lautakun", found, title_only=True)


def _title_group(corpus: Corpus, found: set[str]) -> None:
    hoito, hoiva = corpus.ids("title:hoito"), corpus.ids("title:hoiva")
    assert hoito and found == hoito | hoiva
    assert found == corpus.having(r"hoi[dtv]", found, title_only=True)
    assert found < corpus.ids("hoito OR hoiva")


def _grouping(corpus: Corpus, found: set[str]) -> None:
    either = corpus.ids("hoito OR hoiva")
    assert found == either - corpus.having(KOTIHOITO, either)


ROWS: dict[str, Callable[[Corpus, set[str]], None]] = {
    "omaishoidon tuki": _omaishoidon_tuki,
    "omaishoidon AND tuki": _every_word,
    '"lapset ja nuoret"': _phrase,
    "hoito -kotihoito": _hoito_not_kotihoito,
    "hoito OR hoiva": _either,
    "omaish*": _omaish,
    "anhörigstöd~": _typo,
    "title:lautakunta": _title_word,
    "title:lautakun*": _title_prefix,
    "title:(hoito OR hoiva)": _title_group,
    "(hoito OR hoiva) -kotihoito": _grouping,
}


def test_every_row_of_the_syntax_table_has_a_test(root: Path) -> None:
    assert [write for write, _ in syntax_table(root)] == list(ROWS)


@pytest.mark.slow
@pytest.mark.parametrize("write", list(ROWS))
def test_syntax_table_row(shipped: Corpus, write: str) -> None:
    ROWS[write](shipped, shipped.ids(write))


# --- compounds: the word itself first, its parts after -----------------------------------------

COMPOUNDS = (
    "kotihoito", "terveydenhuolto", "henkilötiedot", "rakennuslupa", "vanhuspalvelut",
    "lastensuojelu", "vahingonkorvaus", "työsopimus", "kaupunginhallitus",
    "tarkastuslautakunta", "socialvård", "skadestånd", "rättegång", "aktiebolag",
    "arbetsavtal",
)


@pytest.mark.slow
def test_records_holding_a_compound_come_before_those_with_its_parts(shipped: Corpus) -> None:
    results = check(shipped.index_dir, COMPOUNDS)
    assert [r.q for r in results if not r.whole_first] == []
    assert [r.q for r in results if not r.held_first] == []
    # the parts still find records that never hold the word, and the word itself is found
    assert all(r.parts_only > 0 for r in results)
    assert all(r.held for r in results)
    assert sum(bool(r.whole) for r in results) == len(results) - 1  # "vanhuspalvelut":
    # one record, with it inside "vanhuspalvelulain" only, and it comes first
    [vanhus] = [r for r in results if r.q == "vanhuspalvelut"]
    assert vanhus.ranked[0] in vanhus.held


@pytest.mark.slow
def test_ranking_tiers_hold_across_pages_and_filters(shipped: Corpus) -> None:
    ranked = shipped.ranked("kotihoito")
    for size in ("7", "10"):
        pages = []
        for page in range(1, len(ranked) // int(size) + 2):
            pages += [h["id"] for h in shipped.search("kotihoito", size=size,
                                                      page=str(page)).json["hits"]]
        assert pages == ranked
    finnish = shipped.search("kotihoito", lang="fi", size="100").json
    assert [hit["id"] for hit in finnish["hits"]] == [
        doc_id for doc_id in ranked if shipped.document(doc_id)["language"] == "fi"
    ]
    whole = shipped.having(KOTIHOITO, set(ranked))
    assert set(ranked[: len(whole)]) == whole


# --- prefixes: complete, or a 400 naming the limit ----------------------------------------------

PREFIX_CHAINS = (
    ("ho", "hoi", "hoit", "hoito"),
    ("ka", "kau", "kaup", "kaupunginh"),
    ("la", "lau", "lauta", "lautakun"),
    ("om", "oma", "omais", "omaish"),
    ("sk", "ska", "skad", "skadest"),
    ("pr", "pro", "proc", "procure"),
)


@pytest.mark.slow
@pytest.mark.parametrize("chain", PREFIX_CHAINS, ids=[c[0] for c in PREFIX_CHAINS])
def test_a_shorter_prefix_never_finds_fewer_records(shipped: Corpus, chain) -> None:
    found: list[set[str] | None] = []
    for prefix in chain:
        answer = shipped.search(prefix + "*", size="1")
        if answer.status_code == 400:
            assert answer.json["description"] == (
                f'"q": the prefix {prefix}* matches more than {MAX_EXPANSIONS} words; '
                "type more letters before the *"
            )
            found.append(None)
        else:
            assert answer.status_code == 200, answer.text
            found.append(shipped.ids(prefix + "*"))
    for shorter, longer in zip(found, found[1:], strict=False):
        if longer is None:
            assert shorter is None  # refused as well
        elif shorter is not None:
            assert shorter >= longer
    assert found[-1], chain  # the longest prefix finds something


@pytest.mark.slow
def test_prefixes_the_issue_measured(shipped: Corpus, root: Path) -> None:
    docs = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    answer = shipped.search("ka*")
    assert answer.status_code == 400
    assert f"(`{answer.json['description']}`)" in docs  # the documented example
    assert len(shipped.ids("ho*")) >= len(shipped.ids("hoi*")) >= 430
    for short in ("h*", "k*"):
        answer = shipped.search(short)
        assert answer.status_code == 400
        assert answer.json["description"] == (
            f'"q": a prefix needs at least {MIN_PREFIX} letters before the *'
        )


# --- no word to search for ---------------------------------------------------------------------

NO_WORDS = ("?", "😀", "§", "OR", "-", '"', "title:", "title:()", "*", "AND NOT", "( )", "-§ ?")


@pytest.mark.parametrize("q", NO_WORDS)
def test_a_query_of_only_syntax_or_symbols_finds_nothing_and_says_why(small: Corpus, q: str):
    answer = small.search(q, facets="lang")
    assert answer.status_code == 200
    body = answer.json
    assert body["total"] == 0 and body["hits"] == []
    assert all(entry["count"] == 0 for entry in body["facets"]["lang"])
    assert body["warning"]["code"] == "no_searchable_words"
    assert "no word to search for" in body["warning"]["message"]
    assert body["did_you_mean"] is None


def test_an_empty_or_absent_query_still_lists_everything(small: Corpus) -> None:
    everything = small.client.simulate_get("/search").json
    assert everything["total"] > 100 and everything["warning"] is None
    for q in ("", "  "):
        assert small.search(q).json["total"] == everything["total"]
        assert small.search(q).json["warning"] is None
    assert small.search("tuki").json["warning"] is None
