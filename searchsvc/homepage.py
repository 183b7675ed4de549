"""``GET /``: the service's own search page, one ``<records-search url-state tools>`` element
(``tools``: links to the result's exports and feed).

The page holds no script or style of its own: the widget and ``page.css`` are served files
(``searchsvc.assets``) at their versioned URLs, so the page is served with a strict
Content-Security-Policy (``CSP``). The query and filters live in the page's URL, read and
written by the element (``/?q=omaishoito&lang=fi&year=2024``); ``ui`` (else
``Accept-Language``) picks the page's language. The page's head names the Atom feed of the
search it was loaded with (``<link rel="alternate" type="application/atom+xml">``, for feed
readers and browser extensions that look for one; ``searchsvc.feed``).
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode

from searchsvc.assets import Asset

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

TITLES = {
    "fi": "Hae pöytäkirjoista ja päätöksistä",
    "sv": "Sök i protokoll och beslut",
    "en": "Search minutes and decisions",
}
LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
LANGUAGE_NAV = {"fi": "Kieli", "sv": "Språk", "en": "Language"}
FEED_TITLES = {"fi": "Uudet asiakirjat (Atom)", "sv": "Nya handlingar (Atom)",
               "en": "New records (Atom)"}
# The parameters of the page's URL that ``/feed`` takes too.
FEED_PARAMETERS = ("q", "lang", "year", "year_from", "year_to", "division", "type", "org",
                   "cross_lang")


def render(ui: str, query_string: str, widget: Asset, stylesheet: Asset) -> str:
    """The page in ``ui``, with links to itself in the other languages, query kept."""
    kept = [(key, value) for key, value in parse_qsl(query_string, keep_blank_values=True)
            if key != "ui"]
    followed = [(key, value) for key, value in kept if key in FEED_PARAMETERS and value]
    feed = f"/feed?{urlencode([*followed, ('ui', ui)])}"
    links = " ".join(
        f'<a href="/?{escape(urlencode([*kept, ("ui", lang)]))}" lang="{lang}" '
        f'hreflang="{lang}">{LANGUAGE_NAMES[lang]}</a>'
        for lang in TITLES if lang != ui
    )
    return f"""<!doctype html>
<html lang="{ui}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLES[ui]}</title>
<link rel="icon" href="data:,">
<link rel="alternate" type="application/atom+xml" href="{escape(feed)}" title="{FEED_TITLES[ui]}">
<link rel="stylesheet" href="{widget_url(stylesheet)}">
<script type="module" src="{widget_url(widget)}"></script>
</head>
<body>
<main>
<h1>{TITLES[ui]}</h1>
<nav aria-label="{LANGUAGE_NAV[ui]}">{links}</nav>
<records-search url-state tools></records-search>
</main>
</body>
</html>
"""


def widget_url(asset: Asset) -> str:
    return escape(asset.versioned)
