"""docs/query-syntax.md, the query guide in English, Finnish and Swedish: every example runs
against the shipped corpus and finds what the guide says it finds.

A row of the guide's tables is an example (a ``q`` text, or a whole ``/search?`` request) and
what it finds: the number in bold is the ``total``; a title in italics is a title (or part of
one) among the first ten hits; after "not", "ei" or "inte" it is among none of the hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from falcon import testing

from searchsvc.app import create_app
from searchsvc.settings import Settings

SECTIONS = {"English": "en", "Suomi": "fi", "Svenska": "sv"}
ROW = re.compile(r"^\| `([^`]+)` \| (.+) \|$", re.MULTILINE)
TOTAL = re.compile(r"\*\*(\d+)\*\*")
TITLE = re.compile(r"(?:\b(not|ei|inte) )?(?<!\*)\*([^*\s][^*]*)\*(?!\*)")
# Each guide shows every part of the language, each by an example of its own.
CONSTRUCTS = {
    "plain words": lambda q: " " in q and not re.search(r'AND|OR|"|-\w|[*~:(?]', q),
    "AND": lambda q: " AND " in q,
    "OR": lambda q: " OR " in q,
    "phrase": lambda q: q.startswith('"'),
    "exclusion": lambda q: " -" in q,
    "prefix": lambda q: q.endswith("*"),
    "typo": lambda q: q.endswith("~"),
    "title": lambda q: q.startswith("title:"),
    "filter": lambda q: q.startswith("/search?") and any(
        name in _params(q) for name in ("lang", "year", "year_from", "org", "type")),
    "sort": lambda q: q.startswith("/search?") and "sort" in _params(q),
}
FOLDED = str.maketrans("äöå", "aoa")


def _params(request: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request).query))


def _sections(root: Path) -> dict[str, str]:
    text = (root / "docs" / "query-syntax.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {SECTIONS[name]: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _examples(root: Path) -> Iterator[tuple[str, str, str]]:
    for language, body in _sections(root).items():
        for example, finds in ROW.findall(body):
            yield language, example, finds


def _request(example: str) -> tuple[str, dict[str, str]]:
    if example.startswith("/search?"):
        parts = urlsplit(example)
        return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
    return "/search", {"q": example}


@pytest.fixture(scope="module")
def client(shipped_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=shipped_index)))


def _every_title(client: testing.TestClient, path: str, params: dict[str, str],
                 total: int) -> list[str]:
    titles: list[str] = []
    for page in range(1, total // 100 + 2):
        answer = client.simulate_get(
            path, query_string=urlencode({**params, "size": 100, "page": page, "facets": ""})
        ).json
        titles += [hit["title"] or "" for hit in answer["hits"]]
    return titles


def test_the_guide_has_its_three_languages(root: Path) -> None:
    assert set(_sections(root)) == {"en", "fi", "sv"}


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
def test_each_language_shows_every_construct(root: Path, language: str) -> None:
    examples = [example for lang, example, _ in _examples(root) if lang == language]
    missing = [name for name, shows in CONSTRUCTS.items() if not any(map(shows, examples))]
    assert not missing


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_finnish_and_swedish_show_a_word_typed_without_its_letters(
    root: Path, client: testing.TestClient, language: str
) -> None:
    """The example typed without ä, ö or å names the spelling it stands for, and finds the
    same records."""
    pairs = [
        (example, word) for lang, example, finds in _examples(root)
        if lang == language and example.isascii() and example.isalpha()
        for word in re.findall(r"`([^`]+)`", finds)
        if word.translate(FOLDED) == example and word != example
    ]
    assert pairs
    for typed, meant in pairs:
        found = [{hit["id"] for hit in client.simulate_get(
            "/search", query_string=urlencode({"q": q, "size": 100, "facets": ""})).json["hits"]}
            for q in (typed, meant)]
        assert found[0] == found[1]


@pytest.mark.parametrize(("language", "example", "finds"), [
    pytest.param(lang, example, finds, id=f"{lang}: {example}")
    for lang, example, finds in _examples(Path(__file__).resolve().parents[1])
])
def test_each_example_finds_what_the_guide_says(
    client: testing.TestClient, language: str, example: str, finds: str
) -> None:
    path, params = _request(example)
    answer = client.simulate_get(path, query_string=urlencode({**params, "facets": ""}))
    assert answer.status_code == 200, answer.text
    totals = TOTAL.findall(finds)
    assert len(totals) == 1, "each example states how many records it finds, once"
    assert answer.json["total"] == int(totals[0])
    claims = TITLE.findall(finds)
    assert claims, "each example names a record it finds (or does not find)"
    eleven = client.simulate_get(
        path, query_string=urlencode({**params, "facets": "", "size": 11})).json["hits"]
    every = None
    for negation, title in claims:
        if negation:
            every = every or _every_title(client, path, params, answer.json["total"])
            assert not [t for t in every if title in t], f"{title!r} is found"
        else:
            assert [hit for hit in eleven[:10] if title in (hit["title"] or "")
                    and _ahead_of(hit, eleven[10:], params.get("sort", "relevance"))], (
                f"{title!r} is not among the first ten whatever the order of ties: {eleven}")


def _ahead_of(hit: dict[str, Any], rest: list[dict[str, Any]], sort: str) -> bool:
    """Whether ``hit`` comes before the eleventh hit however ties are ordered (the order of
    records the ranking cannot tell apart depends on how the index was written)."""
    if not rest:
        return True
    other = rest[0]
    if sort == "relevance":
        return bool(hit["score"] > other["score"] * (1 + 1e-9))
    before = (hit["date"] or "") > (other["date"] or "")
    return before if sort == "newest" else (hit["date"] or "9999") < (other["date"] or "9999")
