"""The ``<records-search>`` widget in the real chromium, against real gunicorn over the
shipped corpus, on a page of another origin (``host_site``), so CORS and the host's CSP apply.
The numbers refer to the list in issue 10."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FINNISH_WIDGET = '<records-search lang="fi"></records-search>'


def widget(page: Page, nth: int = 0) -> Locator:
    return page.locator("records-search").nth(nth)


def combobox(box: Locator) -> Locator:
    return box.locator("input[role=combobox]")


def open_widget(browser_page: Any, host_site: Any, body: str = FINNISH_WIDGET,
                **page_options: str) -> Page:
    page: Page = browser_page.page
    page.goto(host_site.page(body, **page_options))
    expect(combobox(widget(page))).to_be_visible()
    return page


def total(box: Locator) -> int:
    """The count the status region announces (after its debounce)."""
    status = box.locator("[role=status]")
    expect(status).to_have_text(re.compile(r"\d"))
    return int(re.sub(r"\D", "", status.inner_text()))


def searched(box: Locator, q: str) -> None:
    combobox(box).fill(q)
    expect(box.locator("li.hit").first).to_be_visible()


def close_suggestions(box: Locator) -> None:
    """Escape, if they are open (Escape in a closed search box clears it)."""
    if combobox(box).get_attribute("aria-expanded") == "true":
        combobox(box).press("Escape")


def open_filters(box: Locator) -> Locator:
    """The filters (a closed <details> until the reader opens it)."""
    details = box.locator("details.filters")
    expect(details).to_be_visible()
    close_suggestions(box)  # they cover the filters
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_typing_opens_suggestions_then_finnish_results_with_marks(browser_page, host_site):
    """1."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    combobox(box).press_sequentially("omaishoit", delay=40)
    options = box.locator("[role=option]")
    expect(options.first).to_be_visible()
    assert combobox(box).get_attribute("aria-expanded") == "true"
    assert all(text.lower().startswith("omaishoit") for text in options.all_inner_texts())
    hits = box.locator("li.hit")
    expect(hits.first).to_be_visible()
    assert {hit.get_attribute("lang") for hit in box.locator("li.hit a").all()} == {"fi"}
    mark = hits.first.locator("mark").first
    expect(mark).to_be_visible()
    assert "omaishoi" in mark.inner_text().lower()
    expect(box.locator("[role=status]")).to_have_text(re.compile(r"^\d[\d\s]* tulos(ta)?$"))
    assert browser_page.console_errors == []


def test_a_facet_narrows_the_results_and_the_url_follows_on_the_search_page(
    browser_page, widget_server
):
    """2. On ``/``, with a strict CSP: no console error means no violation either."""
    page: Page = browser_page.page
    page.goto(widget_server.base + "/?q=omaishoito&ui=fi")
    box = widget(page)
    expect(box.locator("li.hit").first).to_be_visible()
    everything = total(box)
    open_filters(box)
    years = box.locator("fieldset", has_text="Vuosi").locator("input[type=checkbox]")
    year = years.first.get_attribute("value")
    label = box.locator("fieldset", has_text="Vuosi").locator("label").first.inner_text()
    in_year = int(re.search(r"\((\d+)\)", label).group(1))  # type: ignore[union-attr]
    assert in_year < everything
    languages_before = box.locator("fieldset", has_text="Kieli").inner_text()
    years.first.check()
    expect(page).to_have_url(re.compile(rf"year={year}"))
    expect(box.locator("[role=status]")).to_have_text(re.compile(rf"^{in_year} tulos"))
    assert box.locator("li.hit").count() == min(in_year, 10)
    assert box.locator("fieldset", has_text="Kieli").inner_text() != languages_before
    assert query_of(page.url) == {"q": ["omaishoito"], "ui": ["fi"], "year": [year]}

    page.reload()  # the URL alone reproduces the search
    expect(box.locator("[role=status]")).to_have_text(re.compile(rf"^{in_year} tulos"))
    assert box.locator(f"input[type=checkbox][value='{year}']").is_checked()

    open_filters(box)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?q=omaishoito&ui=fi$"))
    expect(box.locator("[role=status]")).to_have_text(re.compile(rf"^{everything} tulos"))
    assert not box.locator(f"input[type=checkbox][value='{year}']").is_checked()
    page.go_forward()
    expect(box.locator("[role=status]")).to_have_text(re.compile(rf"^{in_year} tulos"))
    assert browser_page.console_errors == []


def test_a_delayed_earlier_answer_never_replaces_the_later_results(browser_page, host_site):
    """3."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    held: list[Route] = []

    def hold_first(route: Route) -> None:
        if "omaishoito" in query_of(route.request.url)["q"][0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/search?*", hold_first)
    combobox(box).fill("omaishoito")
    page.wait_for_timeout(600)  # debounced, asked, held
    assert len(held) == 1
    searched(box, "tilintarkastus")
    later = box.locator("li.hit").all_inner_texts()
    earlier = held[0].fetch()  # the real answer to the earlier query, now released
    held[0].fulfill(response=earlier)
    page.wait_for_timeout(500)
    assert box.locator("li.hit").all_inner_texts() == later
    assert "omaishoi" not in " ".join(later).lower()


def test_keyboard_only(browser_page, host_site):
    """4. Tab in, type, Down, Enter, Escape; aria-activedescendant follows."""
    page = open_widget(browser_page, host_site, "<a href='#'>before</a>" + FINNISH_WIDGET)
    box = widget(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    input_ = combobox(box)
    expect(input_).to_be_focused()
    page.keyboard.type("omaishoi", delay=30)
    options = box.locator("[role=option]")
    expect(options.nth(1)).to_be_visible()
    assert input_.get_attribute("aria-activedescendant") is None
    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert input_.get_attribute("aria-activedescendant") == first.get_attribute("id")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    assert input_.get_attribute("aria-activedescendant") == second.get_attribute("id")
    expect(first).to_have_attribute("aria-selected", "false")
    chosen = second.inner_text()
    page.keyboard.press("Enter")
    expect(input_).to_have_value(chosen)
    expect(box.locator("[role=listbox]")).to_be_hidden()
    assert input_.get_attribute("aria-expanded") == "false"
    assert input_.get_attribute("aria-activedescendant") is None
    expect(input_).to_be_focused()
    expect(box.locator("li.hit").first).to_be_visible()

    page.keyboard.type(" tu", delay=30)
    expect(options.first).to_be_visible()
    page.keyboard.press("Escape")
    expect(box.locator("[role=listbox]")).to_be_hidden()
    assert input_.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Tab")
    expect(input_).not_to_be_focused()
    assert box.locator("[role=listbox]").get_attribute("tabindex") == "-1"
    assert browser_page.console_errors == []


LANGUAGES = {
    "fi": {"label": "Hae pöytäkirjoista ja päätöksistä", "button": "Hae", "legend": "Kieli",
           "count": r"^\d+ tulos(ta)?$", "finnish": "suomi"},
    "sv": {"label": "Sök i protokoll och beslut", "button": "Sök", "legend": "Språk",
           "count": r"^\d+ träff(ar)?$", "finnish": "finska"},
    "en": {"label": "Search minutes and decisions", "button": "Search", "legend": "Language",
           "count": r"^\d+ results?$", "finnish": "Finnish"},
}


def test_the_lang_attribute_switches_every_label_and_announcement(browser_page, host_site):
    """5. And screenshots of the three languages (tests/artifacts/)."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    ARTIFACTS.mkdir(exist_ok=True)
    for lang, strings in LANGUAGES.items():
        if lang != "fi":
            with page.expect_request(lambda request: "/search?" in request.url) as asked:
                box.evaluate("(element, lang) => element.setAttribute('lang', lang)", lang)
            assert query_of(asked.value.url)["ui"] == [lang]
        expect(box.locator("label.main")).to_have_text(strings["label"])
        expect(box.locator("button[type=submit]")).to_have_text(strings["button"])
        expect(box.locator("legend").nth(1)).to_have_text(strings["legend"])
        expect(box.locator("[role=status]")).to_have_text(re.compile(strings["count"]))
        expect(box.locator("fieldset", has_text=strings["legend"])).to_contain_text(
            strings["finnish"])
        box.screenshot(path=ARTIFACTS / f"widget-{lang}.png")
    assert browser_page.console_errors == []


def test_lang_else_the_pages_lang_and_plurals_for_0_1_and_many(browser_page, host_site):
    """5. No lang attribute: the page's <html lang>; the plural forms of each language."""
    page = open_widget(browser_page, host_site, "<records-search></records-search>", lang="sv")
    box = widget(page)
    expect(box.locator("label.main")).to_have_text(LANGUAGES["sv"]["label"])
    page.evaluate("document.documentElement.lang = 'en'")
    expect(box.locator("label.main")).to_have_text(LANGUAGES["en"]["label"])
    forms = page.evaluate("""() => {
        const box = document.querySelector('records-search');
        const out = {};
        for (const lang of ['fi', 'sv', 'en']) {
            box.setAttribute('lang', lang);
            out[lang] = [0, 1, 2, 1234].map(n => box.plural(box.t.results, n));
        }
        return out;
    }""")
    assert forms == {"fi": ["0 tulosta", "1 tulos", "2 tulosta", "1\u00a0234 tulosta"],
                     "sv": ["0 träffar", "1 träff", "2 träffar", "1\u00a0234 träffar"],
                     "en": ["0 results", "1 result", "2 results", "1,234 results"]}
    combobox(box).fill("qqxyzzyqq")
    expect(box.locator("[role=status]")).to_have_text("No results for “qqxyzzyqq”.")


def test_a_server_error_or_time_out_shows_the_error_state_with_retry(browser_page, host_site):
    """6."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    page.route("**/search?*", lambda route: route.fulfill(status=500, body="{}"))
    combobox(box).fill("omaishoito")
    alert = box.locator("[role=alert]")
    expect(alert).to_contain_text("Haku epäonnistui.")
    expect(box.locator("li.hit")).to_have_count(0)
    page.unroute("**/search?*")
    alert.get_by_role("button", name="Yritä uudelleen").click()
    expect(box.locator("li.hit").first).to_be_visible()
    expect(alert).to_be_empty()


def test_a_time_out_shows_the_error_state(browser_page, host_site):
    """6. The widget gives up after 10 s (the page's clock is run forward)."""
    page: Page = browser_page.page
    page.clock.install()
    page = open_widget(browser_page, host_site)
    box = widget(page)
    held: list[Route] = []
    page.route("**/search?*", lambda route: held.append(route))
    combobox(box).fill("omaishoito")
    page.clock.run_for(1000)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held
    page.clock.run_for(11000)
    expect(box.locator("[role=alert]")).to_contain_text("Haku kesti liian kauan.")
    expect(box.locator("[role=alert]").get_by_role("button")).to_have_text("Yritä uudelleen")


def serious(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
            for v in violations if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_violation(browser_page, host_site):
    """7. Suggestions open, results, no results, the error state."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    combobox(box).press_sequentially("omaishoi", delay=30)
    expect(box.locator("[role=option]").first).to_be_visible()
    expect(box.locator("li.hit").first).to_be_visible()
    assert serious(page) == []
    page.keyboard.press("Escape")
    open_filters(box)
    assert serious(page) == []
    combobox(box).fill("qqxyzzyqq")
    expect(box.locator("[role=status]")).to_have_text(re.compile("Ei tuloksia"))
    assert serious(page) == []
    page.route("**/search?*", lambda route: route.fulfill(status=500, body="{}"))
    combobox(box).fill("omaishoito")
    expect(box.locator("[role=alert]")).to_contain_text("Haku epäonnistui.")
    assert serious(page) == []


def test_reflow_at_320_px_and_forced_colors(browser_page, host_site):
    """8."""
    page = open_widget(browser_page, host_site)
    page.set_viewport_size({"width": 320, "height": 700})
    box = widget(page)
    searched(box, "tarkastuslautakunnan arviointikertomus")
    open_filters(box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.emulate_media(forced_colors="active")
    input_ = combobox(box)
    input_.fill("")
    input_.press_sequentially("omaishoi", delay=30)
    expect(box.locator("[role=option]").nth(1)).to_be_visible()
    outline = input_.evaluate("e => [getComputedStyle(e).outlineStyle, "
                              "getComputedStyle(e).outlineWidth]")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2
    page.keyboard.press("ArrowDown")
    colours = box.locator("[role=option]").evaluate_all(
        "options => options.slice(0, 2).map(o => getComputedStyle(o).backgroundColor)")
    assert colours[0] != colours[1]  # the active option stands out
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


HOSTILE = "<style>* { font-size: 30px } button { padding: 40px }</style>"


def test_hostile_host_css_and_two_independent_widgets(browser_page, host_site):
    """9."""
    page = open_widget(browser_page, host_site, FINNISH_WIDGET
                       + '<records-search lang="sv"></records-search>', head=HOSTILE)
    first, second = widget(page, 0), widget(page, 1)
    assert combobox(first).evaluate("e => getComputedStyle(e).fontSize") == "16px"
    button = first.locator("button[type=submit]")
    assert button.evaluate("e => getComputedStyle(e).paddingTop") != "40px"
    searched(first, "omaishoito")
    page.wait_for_timeout(400)
    expect(second.locator("li.hit")).to_have_count(0)
    searched(second, "tillsyn")
    assert "omaishoi" in first.locator("li.hit").first.inner_text().lower()
    ids = page.evaluate("""() => [...document.querySelectorAll('records-search')].flatMap(
        w => [...w.shadowRoot.querySelectorAll('[id]')].map(e => e.id))""")
    assert len(ids) == len(set(ids)) > 4
    assert browser_page.console_errors == []


def test_composition_fires_no_request_until_it_ends(browser_page, host_site):
    """10. CDP Input.imeSetComposition: Japanese waits for its end; Latin text composed the
    way Android keyboards do is searched as it is typed."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url)
            if re.search(r"/(search|suggest)\?", request.url) else None)
    combobox(box).focus()
    cdp = page.context.new_cdp_session(page)
    for text in ("お", "おや", "おやこ"):
        cdp.send("Input.imeSetComposition",
                 {"text": text, "selectionStart": len(text), "selectionEnd": len(text)})
        page.wait_for_timeout(150)
    page.wait_for_timeout(600)
    assert asked == []
    cdp.send("Input.insertText", {"text": "親子"})
    expect(combobox(box)).to_have_value("親子")
    page.wait_for_timeout(600)
    assert [query_of(url)["q"] for url in asked if "/search?" in url] == [["親子"]]

    asked.clear()
    combobox(box).fill("")
    page.wait_for_timeout(400)
    asked.clear()
    cdp.send("Input.imeSetComposition",
             {"text": "omaishoito", "selectionStart": 10, "selectionEnd": 10})
    expect(box.locator("li.hit").first).to_be_visible()
    assert any(query_of(url)["q"] == ["omaishoito"] for url in asked)


def test_attributes_preset_filters_the_reader_cannot_widen(browser_page, host_site, widget_server):
    page = open_widget(browser_page, host_site, '<records-search lang="fi" type="decision" '
                       'division="central_administration" year-from="2021" year-to="2022">'
                       '</records-search>')
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    status, answer = widget_server.get(
        "/search?q=(tarkastuslautakunta OR tarkastuslautakunta*)&lang=fi&type=decision"
        "&division=central_administration&year_from=2021&year_to=2022&ui=fi".replace(" ", "+"))
    assert status == 200 and 0 < answer["total"] < 66
    assert box.locator("li.hit a").all_text_contents() == [hit["title"] for hit in answer["hits"]]
    assert box.locator("legend").all_text_contents() == ["Vuosi", "Kieli"]


def test_links_lead_to_the_document_or_its_page_on_the_service(browser_page, host_site,
                                                                widget_server):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    q = "(tarkastuslautakunta OR tarkastuslautakunta*)".replace(" ", "+")
    _, answer = widget_server.get(f"/search?q={q}&lang=fi&ui=fi")
    expected = [hit["url"] or f"{widget_server.base}/documents/{hit['id'].replace(':', '%3A')}"
                "?q=tarkastuslautakunta&ui=fi" for hit in answer["hits"]]
    assert [a.get_attribute("href") for a in box.locator("li.hit a").all()] == expected
    assert any(hit["url"] for hit in answer["hits"]) and not all(h["url"] for h in answer["hits"])



def test_a_result_without_an_address_opens_the_records_page(browser_page, host_site):
    """A hit with no http(s) address leads to its page on the service: the page the browser
    gets (not JSON), in the widget's language, the searched words marked, no script or style
    refused by its CSP, and no serious axe violation."""
    page = open_widget(browser_page, host_site)
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    own_page = box.locator("li.hit a[href*='/documents/']").first
    href = own_page.get_attribute("href")
    own_page.click()
    page.wait_for_url(href)
    assert page.locator("html").get_attribute("lang") == "fi"
    expect(page.locator("h1")).to_have_count(1)
    marks = page.locator("main mark")
    expect(marks.first).to_be_visible()
    marked = [m.lower() for m in marks.all_inner_texts()]
    assert any(m.startswith("tarkastuslautakun") for m in marked)  # the word, inflected
    assert all("tarkastu" in m or "lautakun" in m for m in marked), marked  # or its parts
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert serious(page) == []
    assert browser_page.console_errors == []


HOSTILE_ANSWER = {
    "total": 1, "page": 1, "size": 10, "did_you_mean": "<b>bold</b>", "warning": None,
    "facets": {"lang": [{"value": "fi", "label": "<i>suomi</i>", "count": 1}]},
    "hits": [{"id": "x<1>", "title": "<img src=x onerror=\"window.pwned=1\">Otsikko",
              "url": "javascript:window.pwned=2", "lang": "fi", "date": "2024-01-02",
              "year": 2024, "type": {"key": "decision", "label": "<u>Päätös</u>"},
              "division": None, "org": None, "score": 1.0,
              "snippet": "&lt;script&gt;x&lt;/script&gt; <mark>omaishoito</mark>"}],
}


def test_text_from_the_api_is_never_rendered_as_markup(browser_page, host_site):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    page.route("**/search?*", lambda route: route.fulfill(json=HOSTILE_ANSWER))
    page.route("**/suggest?*", lambda route: route.fulfill(json={
        "q": "x", "suggestions": [{"text": "<img src=y onerror=\"window.pwned=3\">"}],
        "titles": [{"text": "<b>title</b>", "lang": "fi", "count": 1}]}))
    combobox(box).press_sequentially("omaishoito", delay=20)
    expect(box.locator("li.hit")).to_have_count(1)
    expect(box.locator("[role=option]").first).to_be_visible()
    hit = box.locator("li.hit")
    expect(hit.locator("a")).to_have_text(HOSTILE_ANSWER["hits"][0]["title"])
    assert hit.locator("a").get_attribute("href").startswith(host_site.api + "/documents/x%3C1%3E")
    expect(hit.locator(".snippet")).to_have_text("<script>x</script> omaishoito")
    assert hit.locator(".snippet mark").count() == 1
    expect(hit.locator(".meta")).to_contain_text("<u>Päätös</u>")
    expect(box.locator("[role=option]").first).to_have_text('<img src=y onerror="window.pwned=3">')
    open_filters(box)
    expect(box.locator("label", has_text="<i>suomi</i> (1)")).to_be_visible()
    expect(box.get_by_role("button", name="<b>bold</b>")).to_be_visible()
    assert box.locator("img, b, i, u, script").count() == 0
    assert page.evaluate("window.pwned") is None


def test_more_results_did_you_mean_and_one_status_region(browser_page, host_site):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    assert box.locator("[role=status]").count() == 1
    assert box.locator("[role=alert]").count() == 1
    expect(box.locator("li.hit")).to_have_count(10)
    first_ten = box.locator("li.hit a").all_inner_texts()
    box.get_by_role("button", name="Näytä lisää tuloksia").click()
    expect(box.locator("li.hit")).to_have_count(20)
    assert box.locator("li.hit a").all_inner_texts()[:10] == first_ten
    expect(box.locator("li.hit a").nth(10)).to_be_focused()

    combobox(box).fill("omaishoidontukii")
    suggestion = box.get_by_role("button", name="omaishoidontuki")
    expect(box.locator("p", has_text="Tarkoititko:")).to_be_visible()
    suggestion.click()
    expect(combobox(box)).to_have_value("omaishoidontuki")
    expect(box.locator("li.hit").first).to_be_visible()


def test_clicking_an_option_works_though_the_input_would_blur(browser_page, host_site):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    combobox(box).press_sequentially("omaishoi", delay=30)
    option = box.locator("[role=option]").nth(1)
    chosen = option.inner_text()
    option.click()
    expect(combobox(box)).to_have_value(chosen)
    expect(box.locator("[role=listbox]")).to_be_hidden()
    expect(box.locator("li.hit").first).to_be_visible()


def test_targets_are_at_least_24_px_and_theming_variables_apply(browser_page, host_site):
    page = open_widget(browser_page, host_site, FINNISH_WIDGET, head=(
        "<style>records-search { --records-search-accent: rgb(1, 2, 3); "
        "--records-search-font-size: 18px }</style>"))
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    open_filters(box)
    combobox(box).press("ArrowDown")  # opens the suggestions for what is typed
    expect(box.locator("[role=option]").first).to_be_visible()
    targets = box.locator("button:visible, [role=option], .facets label, li.hit a, input")
    small = [target.evaluate("e => e.outerHTML.slice(0, 80)") for target in targets.all()
             if (lambda b: b is None or b["height"] < 24 or b["width"] < 24)(
                 target.bounding_box())]
    assert small == []
    button = box.locator("button[type=submit]")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(1, 2, 3)"
    assert combobox(box).evaluate("e => getComputedStyle(e).fontSize") == "18px"


def readme_block(root: Path, language: str, after: str) -> str:
    """The first ``language`` code block after ``after`` in README.md."""
    text = (root / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(after):]
    return rest.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readmes_two_lines_on_a_city_page_with_the_readmes_csp(browser_page, host_site,
                                                                   root):
    section = "## Add the search box to your site"
    service = host_site.api
    lines = readme_block(root, "html", section).replace("https://search.example.fi", service)
    csp = readme_block(root, "text", section).strip().replace("https://search.example.fi",
                                                              service)
    page: Page = browser_page.page
    page.goto(host_site.page(lines, name="readme", script=False, csp=csp))
    box = widget(page)
    searched(box, "tarkastuslautakunta")
    assert set(box.locator("li.hit a").evaluate_all("as => as.map(a => a.lang)")) == {"fi"}
    assert all(meta.endswith("Päätös") for meta in box.locator(".meta").all_inner_texts())
    assert "Asiakirjatyyppi" not in box.locator("legend").all_inner_texts()
    assert browser_page.console_errors == []  # a CSP violation would be one


def test_the_readmes_theming_variables_apply(browser_page, host_site, root):
    css = readme_block(root, "css", "**Theming.**")
    page = open_widget(browser_page, host_site, head=f"<style>{css}</style>", name="theme")
    box = widget(page)
    button = box.locator("button[type=submit]")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(138, 21, 56)"
    assert button.evaluate("e => getComputedStyle(e).borderRadius") == "0px"
    input_ = combobox(box)
    assert input_.evaluate("e => getComputedStyle(e).fontSize") == "18px"
    assert input_.evaluate("e => getComputedStyle(e).fontFamily") == "Georgia, serif"


def test_an_origin_the_service_does_not_allow_gets_the_error_state(browser_page, foreign_site):
    """CORS: SEARCHSVC_CORS_ORIGINS names the city's origin; another site's box fails."""
    page = open_widget(browser_page, foreign_site)
    combobox(widget(page)).fill("omaishoito")
    expect(widget(page).locator("[role=alert]")).to_contain_text("Haku epäonnistui.")


def test_screenshot_of_the_three_languages(browser_page, host_site):
    """tests/artifacts/widget-languages.png (docs/widget-languages.png is a copy)."""
    columns = "".join(f'<div><records-search lang="{lang}"></records-search></div>'
                      for lang in ("fi", "sv", "en"))
    page = open_widget(browser_page, host_site, columns, name="languages", head=(
        "<style>body { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; "
        "margin: 12px; background: #fff }</style>"))
    page.set_viewport_size({"width": 1200, "height": 900})
    for nth, q in enumerate(["omaishoito", "tillsyn", "housing"]):
        searched(widget(page, nth), q)
        close_suggestions(widget(page, nth))
        expect(widget(page, nth).locator("[role=status]")).to_have_text(re.compile(r"\d"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "widget-languages.png",
                    clip={"x": 0, "y": 0, "width": 1200, "height": 620})


def test_a_refused_prefix_is_searched_as_the_word(browser_page, host_site):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    asked: list[str] = []

    def refuse_prefixes(route: Route) -> None:
        q = query_of(route.request.url)["q"][0]
        asked.append(q)
        if "*" in q:
            route.fulfill(status=400, json={"title": "Invalid parameter", "description": "q"})
        else:
            route.continue_()

    page.route("**/search?*", refuse_prefixes)
    combobox(box).fill("omaishoito")
    expect(box.locator("li.hit").first).to_be_visible()
    assert asked == ["(omaishoito OR omaishoito*)", "omaishoito"]
    expect(box.locator("[role=alert]")).to_be_empty()


def test_the_search_page_offers_the_result_as_csv_jsonl_and_a_feed(browser_page, widget_server):
    """The ``tools`` attribute (the service's own page): the links ask for what is shown, the
    same query and filters, and each answers."""
    page: Page = browser_page.page
    page.goto(widget_server.base + "/?q=omaishoito&ui=fi")
    box = widget(page)
    expect(box.locator("li.hit").first).to_be_visible()
    open_filters(box)
    years = box.locator("fieldset", has_text="Vuosi").locator("input[type=checkbox]")
    year = years.first.get_attribute("value")
    years.first.check()
    shown = total(box)
    tools = box.locator("p.tools a")
    expect(tools).to_have_count(4)
    hrefs = [tools.nth(n).get_attribute("href") or "" for n in range(4)]
    for href in hrefs:
        asked = query_of(href)
        assert asked["q"] == ["(omaishoito OR omaishoito*)"] and asked["year"] == [year]
        assert "page" not in asked and "size" not in asked
    csv_answer = page.request.get(hrefs[0])
    assert csv_answer.status == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_answer.text().lstrip("\ufeff"), newline="")))
    assert len(rows) == shown + 1  # a header, then a row a record
    semicolons = page.request.get(hrefs[1]).text().lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(semicolons, newline=""), delimiter=";"))[0] == rows[0]
    assert len(page.request.get(hrefs[2]).text().strip().split("\n")) == shown
    feed = page.request.get(hrefs[3])
    assert feed.status == 200 and "<feed" in feed.text()
    assert serious(page) == []
    assert browser_page.console_errors == []


def test_a_city_s_search_box_has_no_export_links(browser_page, host_site):
    page = open_widget(browser_page, host_site)
    box = widget(page)
    searched(box, "omaishoito")
    expect(box.locator("p.tools")).to_be_hidden()
