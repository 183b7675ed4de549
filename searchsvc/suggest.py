"""``GET /suggest``: completions of what has been typed, from a snapshot.

Words come from the generation's word lists (``searchsvc.words.complete``); whole titles from
the per-language title-completion field of the index (``indexer.contract.titles_field``),
whose single term per record is the title as typed, a separator, and the title as written.
"""

from __future__ import annotations

import itertools
from typing import Any

from indexer.contract import LANGUAGES, TITLE_SEPARATOR, normalize_text, titles_field
from searchsvc.limits import MAX_TITLE_CANDIDATES, MIN_TITLE_PREFIX
from searchsvc.request import SuggestRequest
from searchsvc.snapshot import Snapshot
from searchsvc.words import complete


def suggest(snapshot: Snapshot, request: SuggestRequest) -> dict[str, Any]:
    languages = request.languages or LANGUAGES
    return {
        "q": request.q,
        "suggestions": complete(snapshot.word_lists(languages), request.q, request.size),
        "titles": titles(snapshot, request.q, languages, request.titles),
    }


def titles(
    snapshot: Snapshot, typed: str, languages: tuple[str, ...], limit: int
) -> list[dict[str, Any]]:
    """Titles that begin with what has been typed, the most common first (then the
    shortest); a title of one record carries that record's id."""
    prefix = " ".join(normalize_text(typed).split())
    if len(prefix) < MIN_TITLE_PREFIX or limit <= 0:
        return []
    live = snapshot.columns.live
    found: list[tuple[int, int, str, str, int]] = []
    with snapshot.reading():
        reader = snapshot.searcher.reader()
        for language in languages:
            field_name = titles_field(language)
            if field_name not in snapshot.searcher.schema:
                continue
            expansions = reader.expand_prefix(field_name, prefix)
            for term in itertools.islice(expansions, MAX_TITLE_CANDIDATES):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                typed_form, _, shown = text.partition(TITLE_SEPARATOR)
                if not typed_form.startswith(prefix):
                    continue
                docs = [d for d in snapshot.scorer.term(field_name, term).docs if live[d]]
                if docs:
                    found.append((-len(docs), len(shown), shown, language, int(docs[0])))
        found.sort()
        out = []
        for negative_count, _, shown, language, docnum in found[:limit]:
            entry: dict[str, Any] = {"text": shown, "lang": language, "count": -negative_count}
            if negative_count == -1:
                entry["id"] = snapshot.stored(docnum).get("id")
            out.append(entry)
    return out
