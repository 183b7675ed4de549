"""The files the browser loads for the widget and the search page: caching, CORS, CSP, size."""

from __future__ import annotations

import gzip
import re

from searchsvc import assets, homepage

BUDGET = 20 * 1024  # everything a host page loads for the widget, gzipped (issue 10)


def test_everything_a_host_page_loads_for_the_widget_fits_in_20_kb_gzipped(client):
    body = client.simulate_get("/widget.js").content
    assert re.findall(r"^\s*import\b|\bimport\(", body.decode("utf-8"), re.M) == []  # one file
    assert len(gzip.compress(body, 9)) <= BUDGET


def test_widget_js_is_a_module_any_origin_may_load_revalidated_by_etag(client):
    answer = client.simulate_get("/widget.js", headers={"Origin": "https://www.espoo.fi"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["cache-control"] == "public, max-age=300"
    etag = answer.headers["etag"]
    again = client.simulate_get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.simulate_get("/widget.js", headers={"If-None-Match": '"old"'}).status_code == 200


def test_the_versioned_url_is_cached_for_a_year_and_an_old_version_still_works(client):
    widget = assets.load("widget.js")
    answer = client.simulate_get("/widget.js", params={"v": widget.version})
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["etag"] == f'"{widget.version}"'
    old = client.simulate_get("/widget.js", params={"v": "0123456789abcdef"})
    assert old.status_code == 200 and old.content == answer.content
    assert old.headers["cache-control"] == "public, max-age=300"


def test_the_etag_is_the_content_hash():
    widget = assets.load("widget.js")
    changed = assets.Asset(widget.name, widget.body + b"\n", widget.content_type)
    assert changed.etag != widget.etag and len(widget.version) == 16


def test_the_search_page_has_a_strict_csp_and_no_inline_script_or_style(client):
    answer = client.simulate_get("/", params={"q": "omaishoito", "lang": "fi", "year": "2024"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == homepage.CSP
    assert "'unsafe-inline'" not in homepage.CSP and "script-src 'self'" in homepage.CSP
    html = answer.text
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html and " style=" not in html
    widget = assets.load("widget.js")
    assert f'<script type="module" src="/widget.js?v={widget.version}"></script>' in html
    assert "<records-search url-state tools></records-search>" in html
    assert client.simulate_get(f"/page.css?v={assets.load('page.css').version}").status_code == 200


def test_the_search_page_language_from_ui_else_accept_language(client):
    swedish = client.simulate_get("/", headers={"Accept-Language": "sv-FI,sv;q=0.9"})
    assert '<html lang="sv">' in swedish.text
    assert swedish.headers["vary"].startswith("Accept-Language")
    english = client.simulate_get("/", params={"ui": "en", "q": "care"},
                                  headers={"Accept-Language": "fi"})
    assert '<html lang="en">' in english.text
    assert 'href="/?q=care&amp;ui=fi"' in english.text
    assert "vary" not in english.headers or "Accept-Language" not in english.headers["vary"]


def test_the_readme_documents_every_theming_variable_the_widget_reads(root):
    widget = assets.load("widget.js").body.decode("utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    theming = readme.split("**Theming.**", 1)[1].split("```css\n", 1)[1].split("```", 1)[0]
    variables = set(re.findall(r"--records-search-[a-z-]+", widget))
    assert set(re.findall(r"(--records-search-[a-z-]+):", theming)) == variables
    for line in theming.splitlines():  # each default stated is the widget's
        found = re.search(r"(--records-search-[a-z-]+): .*\((.+)\) \*/$", line)
        if found:
            assert f"var({found.group(1)}, {found.group(2)})" in widget, line


def test_the_readme_shows_the_three_languages(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "![The search box in Finnish, Swedish and English](docs/widget-languages.png)" in readme
    assert (root / "docs" / "widget-languages.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_docs_api_states_the_search_pages_csp(root):
    text = " ".join((root / "docs" / "api.md").read_text(encoding="utf-8").split())
    assert f"`Content-Security-Policy: {homepage.CSP}`" in text


def test_the_files_and_the_page_ignore_other_parameters(client):
    for path in ("/widget.js", "/page.css", "/"):
        answer = client.simulate_get(path, query_string="utm_source=x&q=a&year=2024")
        assert answer.status_code == 200, path
