"""Every record's permalink resolves (``searchsvc.record_paths``), ids with ``/`` included.

Through the real app (falcon.testing passes the raw path as gunicorn does, ``RAW_URI``) and
through real gunicorn: pages in a subfolder (ids ``file:<path>``), ids with ``#``, ``?``,
``%``, ``:``, spaces and non-ASCII letters, an id ending in ``/related``; and every shipped
record's permalink, HTML and JSON.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from falcon import testing

from indexer.build import rebuild
from searchsvc.app import create_app
from searchsvc.engine import Engine
from searchsvc.permalinks import document_path
from searchsvc.record_paths import raw_path, split_raw
from searchsvc.settings import Settings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BODY = ("Kaupunginhallitus päätti omaishoidon tuesta ja tarkastuslautakunnan arvioinnista "
        "vuonna 2021; omaishoidon tuki kuuluu sosiaali- ja terveyspalveluihin.")
SPECIAL_IDS = [
    "test:a/b#c?d=1&e%20f g",
    "päätös:åäö/ü 1",
    "x",
    "x/related",
    "100%",
    "a%2Fb",
    "seed:with:colons",
    "ends in a slash/",
]
# Pages in subfolders of the corpus: their ids are "file:" and the path, slashes included.
PAGES = {"pages/reports/2024/budget review.txt": "file:pages/reports/2024/budget review",
         "pages/reports/ä/omaishoito.txt": "file:pages/reports/ä/omaishoito"}


@pytest.fixture(scope="module")
def special_index(write_corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("special")
    extra = [{"id": doc_id, "title": f"Omaishoidon tuki {n}", "body": BODY, "language": "fi",
              "date": "2021-05-05"} for n, doc_id in enumerate(SPECIAL_IDS)]
    corpus = write_corpus(root / "corpus", 2, pages=False, extra=extra)
    for name in PAGES:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text("Omaishoidon tuki\n\n" + BODY + "\n", encoding="utf-8")
    rebuild([corpus], root / "index", jobs=1)
    return root / "index"


@pytest.fixture(scope="module")
def special_client(special_index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=special_index)))


def all_special_ids() -> list[str]:
    return [*SPECIAL_IDS, *PAGES.values()]


def test_the_special_ids_are_indexed_as_written(special_index):
    engine = Engine(special_index)
    try:
        snapshot = engine.snapshot()
        for doc_id in all_special_ids():
            assert snapshot.docnum(doc_id) is not None, doc_id
    finally:
        engine.close()


@pytest.mark.parametrize("doc_id", all_special_ids())
def test_each_permalink_answers_json_and_html(special_client, doc_id):
    path = document_path(doc_id)
    assert "/" not in path.removeprefix("/documents/")
    as_json = special_client.simulate_get(path)
    assert as_json.status_code == 200, path
    assert as_json.json["id"] == doc_id
    assert as_json.json["permalink"].endswith(path)
    page = special_client.simulate_get(path, headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'href="{document_path(doc_id)}?format=bibtex' in page.text.replace("&amp;", "&")
    related = special_client.simulate_get(path + "/related")
    assert related.status_code == 200 and related.json["id"] == doc_id
    assert doc_id not in [hit["id"] for hit in related.json["hits"]]


def test_an_id_ending_in_related_is_a_record_not_its_related_records(special_client):
    record = special_client.simulate_get(document_path("x/related"))
    assert record.status_code == 200 and record.json["id"] == "x/related"
    related = special_client.simulate_get(document_path("x") + "/related")
    assert related.status_code == 200 and related.json["id"] == "x"
    # The related records of "x/related" and of "x": two segments each, the id escaped.
    other = special_client.simulate_get(document_path("x/related") + "/related")
    assert other.json["id"] == "x/related"
    assert "x/related" in [hit["id"] for hit in related.json["hits"]]


def test_more_segments_than_an_id_and_related_are_404(special_client):
    for path in ("/documents/x/related/more", "/documents/x/other", "/documents/"):
        assert special_client.simulate_get(path).status_code == 404, path


def test_a_trailing_slash_is_the_same_record(special_client):
    answer = special_client.simulate_get(document_path("x/related") + "/")
    assert answer.status_code == 200 and answer.json["id"] == "x/related"


def test_without_a_raw_path_ids_are_read_from_the_decoded_path(special_client):
    """A server that gives no raw path: an id with a slash is still found, unless it ends in
    /related (then the related records of the id before it are answered)."""
    for doc_id in ("file:pages/reports/2024/budget review", "päätös:åäö/ü 1", "x"):
        answer = special_client.simulate_get(document_path(doc_id), extras={"RAW_URI": ""})
        assert answer.status_code == 200 and answer.json["id"] == doc_id
    related = special_client.simulate_get("/documents/x/related", extras={"RAW_URI": ""})
    assert related.json["id"] == "x" and "hits" in related.json


def test_request_uri_serves_as_the_raw_path(special_client):
    doc_id = "file:pages/reports/ä/omaishoito"
    raw = document_path(doc_id) + "?ui=fi"
    answer = special_client.simulate_get(document_path(doc_id),
                                         extras={"RAW_URI": "", "REQUEST_URI": raw})
    assert answer.status_code == 200 and answer.json["id"] == doc_id


def test_a_raw_path_that_is_not_the_routed_path_is_not_trusted():
    # A proxy that rewrote the path: its raw form says nothing about the routed one.
    assert split_raw("/other/x%2Fy", "", "/documents/x/y") is None
    assert split_raw("/api/documents/x%2Fy", "/api", "/documents/x/y") == [
        "documents", "x/y"]
    assert raw_path({"RAW_URI": "http://example.org/documents/a%2Fb?x=1"}) == "/documents/a%2Fb"
    # Raw bytes as a server hands them over (latin-1) are read as UTF-8.
    raw = "/documents/ä/b".encode().decode("latin-1")
    assert split_raw(raw, "", "/documents/ä/b") == ["documents", "ä", "b"]


def test_a_mount_point_is_skipped(special_index):
    client = testing.TestClient(create_app(Settings(index_dir=special_index)))
    doc_id = "file:pages/reports/2024/budget review"
    path = document_path(doc_id)
    answer = client.simulate_get(path, extras={"SCRIPT_NAME": "/search-api",
                                               "RAW_URI": "/search-api" + path})
    assert answer.status_code == 200 and answer.json["id"] == doc_id
    assert answer.json["permalink"].endswith("/search-api" + path)


def test_every_documented_permalink_example_answers_as_written(special_index, http_examples):
    client = testing.TestClient(create_app(Settings(
        index_dir=special_index, public_url="https://search.example.fi")))
    examples = http_examples("### Permalinks")
    assert len(examples) == 2
    for example in examples:
        example.check(client.simulate_get(example.path))


def _get(url: str, accept: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read().decode("utf-8")


@pytest.mark.slow
def test_special_permalinks_through_gunicorn(special_index, gunicorn):
    engine = Engine(special_index)
    try:
        snapshot = engine.snapshot()
        twins = snapshot.bridge().twins
        finnish = next(snapshot.stored(d)["id"] for d in range(len(twins))
                       if twins[d] >= 0 and snapshot.stored(d)["language"] == "fi")
    finally:
        engine.close()
    with gunicorn(special_index) as server:
        status, body = server.get(document_path(finnish) + "/related?lang=sv&size=3")
        assert status == 200 and body["via"] == "twin" and body["lang"] == "sv"
        assert all(hit["permalink"].startswith(server.base + "/documents/")
                   for hit in body["hits"])
        assert server.get("/documents/no-such-id/related")[0] == 404
        for doc_id in all_special_ids():
            url = server.base + document_path(doc_id)
            status, kind, body = _get(url)
            assert status == 200 and kind == "application/json", doc_id
            assert json.loads(body)["id"] == doc_id
            status, kind, body = _get(url, BROWSER)
            assert status == 200 and kind == "text/html; charset=utf-8", doc_id
            status, _, body = _get(url + "/related")
            assert json.loads(body)["id"] == doc_id
            status, kind, body = _get(url + "?format=bibtex")
            assert kind == "application/x-bibtex; charset=utf-8" and body.startswith("@misc{")


# --- every shipped record ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_ids(shipped_index: Path) -> Iterator[list[str]]:
    engine = Engine(shipped_index)
    try:
        reader = engine.snapshot().searcher.reader()
        yield [fields["id"] for _, fields in reader.iter_docs()]
    finally:
        engine.close()


@pytest.mark.slow
def test_every_shipped_permalink_answers_json_and_html(shipped_index, shipped_ids):
    client = testing.TestClient(create_app(Settings(index_dir=shipped_index)))
    assert len(shipped_ids) > 3900
    for doc_id in shipped_ids:
        path = document_path(doc_id)
        answer = client.simulate_get(path)
        assert answer.status_code == 200 and answer.json["id"] == doc_id, doc_id
        page = client.simulate_head(path, headers={"Accept": BROWSER})
        assert page.status_code == 200, doc_id
        assert page.headers["content-type"] == "text/html; charset=utf-8", doc_id


@pytest.mark.slow
def test_a_sample_of_shipped_permalinks_through_gunicorn(widget_server, shipped_ids):
    sample: list[Any] = shipped_ids[:: max(1, len(shipped_ids) // 40)]
    for doc_id in sample:
        url = widget_server.base + document_path(doc_id)
        status, kind, body = _get(url)
        assert status == 200 and json.loads(body)["id"] == doc_id
        status, kind, body = _get(url, BROWSER)
        assert status == 200 and kind == "text/html; charset=utf-8"
