"""The search engine the HTTP layer calls; nothing outside this module needs to know whoosh.

``Engine`` follows the published generation (``CURRENT``) and hands out ``Snapshot`` objects:
one open whoosh searcher per generation, with everything precomputed for it (facet columns,
filter masks, term score arrays, word lists). A request keeps the snapshot it started with, so it
never mixes generations; a superseded snapshot's searcher is closed as soon as the last
request holding it lets it go (``weakref.finalize``), or at ``Engine.close``.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as whoosh_query

from indexer import generations
from indexer.analysis import TOKEN_PATTERN, normalize_text, stop_words
from indexer.build import LABELS_FILE, stored_text_in
from indexer.generations import IndexMissing
from indexer.records import LANGUAGES
from indexer.schema import TITLE_SEPARATOR, body_field, title_field, titles_field
from indexer.spelling import read_words
from searchsvc import query as query_module
from searchsvc.facets import FACETS, FacetColumns
from searchsvc.scoring import QueryScorer, Scored, top_documents
from searchsvc.snippets import analyze_text, snippet, spans_at

__all__ = ["FACETS", "Engine", "IndexMissing", "SearchRequest", "Snapshot"]

log = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "oldest")
MAX_SIZE = 100
# /suggest: titles offered, typed characters needed first, title terms looked at.
TITLE_SUGGESTIONS = 5
MIN_TITLE_PREFIX = 2
MAX_TITLE_CANDIDATES = 300
# did_you_mean is offered when a query has fewer hits than this.
FEW_HITS = 3
OPERATORS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    languages: tuple[str, ...] = ()  # lang filter, OR within; () = all
    years: tuple[int, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    divisions: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # doc_type keys
    orgs: tuple[str, ...] = ()
    sort: str = "relevance"  # relevance | newest | oldest (by date, then year)
    page: int = 1
    size: int = 10
    facets: tuple[str, ...] = ("year", "lang", "division", "type", "org")
    ui: str = "en"  # fi | sv | en, for labels


def _query_languages(languages: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(lang for lang in languages if lang in LANGUAGES)
    return chosen or LANGUAGES


def _make_query(text: str, languages: tuple[str, ...]) -> whoosh_query.Query:
    """The whoosh query for ``text`` (may raise ``BadQuery``)."""
    return query_module.parse_query(text, languages)


def _edits1(word: str, alphabet: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in alphabet}
    inserts = {a + c + b for a, b in splits for c in alphabet}
    return deletes | transposes | replaces | inserts


def _within_two(a: str, b: str) -> bool:
    """Levenshtein distance of a and b is at most 2 (banded)."""
    if abs(len(a) - len(b)) > 2:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        low = i
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            low = min(low, current[j])
        if low > 2:
            return False
        previous = current
    return previous[-1] <= 2


class WordList:
    """One language's words-<lang>.tsv: sorted words, counts, a lookup dict."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        self.words = [w for w, _ in pairs]
        self.counts = [c for _, c in pairs]
        self.lookup = dict(pairs)
        self.alphabet = "".join(sorted({ch for w in self.words[:200000] for ch in w}))
        self._completions: dict[str, list[tuple[int, str]]] = {}
        self._buckets: dict[tuple[str, int], list[int]] | None = None

    def completions(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """(count, word) of the words starting with prefix, by count desc (cached for short
        prefixes, whose ranges are long)."""
        cached = self._completions.get(prefix)
        if cached is not None and len(cached) >= limit:
            return cached[:limit]
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\U0010ffff", lo)
        best = heapq.nlargest(
            max(limit, 10),
            ((self.counts[i], self.words[i]) for i in range(lo, hi)),
            key=lambda cw: (cw[0], [-ord(ch) for ch in cw[1]]),
        )
        if len(prefix) <= 3 and len(self._completions) < 20000:
            self._completions[prefix] = best
        return best[:limit]

    def correction(self, word: str) -> tuple[int, int, str] | None:
        """(distance, -count, word) of the best known word within edit distance 2."""
        ones = [w for w in _edits1(word, self.alphabet) if w in self.lookup]
        if ones:
            best = max(ones, key=lambda w: (self.lookup[w], w))
            return (1, -self.lookup[best], best)
        if len(word) < 5:
            return None
        # Distance 2: words with the same first letter (a first-letter typo is rare) and a
        # length within two, checked with a banded edit distance.
        found: tuple[int, int, str] | None = None
        for length in range(len(word) - 2, len(word) + 3):
            for i in self._bucket(word[0], length):
                candidate = self.words[i]
                if _within_two(word, candidate):
                    entry = (2, -self.counts[i], candidate)
                    if found is None or entry < found:
                        found = entry
        return found

    def _bucket(self, first: str, length: int) -> list[int]:
        """Indexes of the words with this first letter and length (built on first use)."""
        if self._buckets is None:
            buckets: dict[tuple[str, int], list[int]] = {}
            for i, candidate in enumerate(self.words):
                buckets.setdefault((candidate[0], len(candidate)), []).append(i)
            self._buckets = buckets
        return self._buckets.get((first, length), [])


class Snapshot:
    """One published generation: an open searcher and everything precomputed for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = path.name
        try:
            self.manifest: dict[str, Any] = generations.read_manifest(path)
            labels_path = path / LABELS_FILE
            labels = (
                json.loads(labels_path.read_text(encoding="utf-8")) if labels_path.is_file() else {}
            )
            self._index = whoosh_index.open_dir(str(path))
            self._searcher = self._index.searcher()
        except Exception as exc:  # noqa: BLE001 - any unreadable index is "missing"
            raise IndexMissing(f"the index generation {path} cannot be read: {exc}") from exc
        self._closer = weakref.finalize(self, self._searcher.close)
        reader = self._searcher.reader()
        try:
            self.documents: int = reader.doc_count()
            self.columns = FacetColumns(reader, labels)
        except Exception as exc:  # noqa: BLE001
            self._closer()
            raise IndexMissing(f"the index generation {path} cannot be read: {exc}") from exc
        self.scorer = QueryScorer(self._searcher)
        self._words: dict[str, WordList] = {}
        self._lock = threading.Lock()
        # whoosh readers keep file positions: one request at a time reads through them.
        self._io = threading.RLock()

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        self._closer()

    @property
    def closed(self) -> bool:
        return not self._closer.alive

    def warm(self) -> None:
        """Read now what the first requests would otherwise wait for."""
        for language in LANGUAGES:
            self.words(language)
            for field_name in (title_field(language), body_field(language)):
                self.scorer.field_lengths(field_name)

    # -- helpers ------------------------------------------------------------------------

    def words(self, language: str) -> WordList:
        words = self._words.get(language)
        if words is None:
            with self._lock:
                words = self._words.get(language)
                if words is None:
                    try:
                        pairs = read_words(self.path, language)
                    except FileNotFoundError:
                        pairs = []
                    words = self._words[language] = WordList(pairs)
        return words

    def _scored(self, q: whoosh_query.Query) -> Scored:
        """Scores of every document and the mask of live documents the query matches."""
        scored = self.scorer.score(q)
        return Scored(scored.scores, scored.matches & self.columns.live)

    def _matching(self, q: whoosh_query.Query) -> np.ndarray:
        return self._scored(q).matches

    def _filters(self, request: SearchRequest) -> dict[str, np.ndarray]:
        """Masks per facet column of the request's filters (cached per generation)."""
        c = self.columns
        found: dict[str, np.ndarray] = {}
        if request.languages:
            found["language"] = c.filter("language", request.languages)
        if request.divisions:
            found["division"] = c.filter("division", request.divisions)
        if request.types:
            found["doc_type"] = c.filter("doc_type", request.types)
        if request.orgs:
            found["organization"] = c.filter("organization", request.orgs)
        years: np.ndarray | None = None
        if request.years:
            years = c.filter("year", [int(y) for y in request.years])
        if request.year_from is not None or request.year_to is not None:
            span = c.year_range(request.year_from, request.year_to)
            years = span if years is None else years & span
        if years is not None:
            found["year"] = years
        return found

    @staticmethod
    def _intersect(base: np.ndarray, masks: Iterable[np.ndarray]) -> np.ndarray:
        result = base.copy()
        for mask in masks:
            result &= mask
        return result

    def _facet(self, name: str, key: str | None, ui: str) -> dict | None:
        if not key:
            return None
        return {"key": key, "label": self.columns.label(FACETS[name], key, ui)}

    def _positions(self, language: str, terms: dict[str, set[str]], docnum: int) -> dict:
        """Token position -> matched key, of the query's words in the document's body text of
        one language, from the positions the index stores."""
        field_name = body_field(language)
        keys = terms.get(field_name, set()) | terms.get(title_field(language), set())
        found: dict[int, str] = {}
        doc = np.array([docnum])
        for key in sorted(keys):
            for _, positions in self.scorer.positions(field_name, key, doc):
                for position in positions:
                    found.setdefault(position, key)
        return found

    def _snippet(self, docnum: int, stored: dict, terms: dict[str, set[str]]) -> str:
        """The best passage, from the body text in the language the query matched best (the
        record's main language on a tie)."""
        sections = stored.get("sections") or []
        main = stored.get("language") if stored.get("language") in LANGUAGES else "en"
        present = [lang for lang, _, _ in sections if lang in LANGUAGES]
        languages = list(dict.fromkeys([main, *present]))
        best: tuple[int, str, dict[int, str]] = (-1, main, {})
        for language in languages:
            positions = self._positions(language, terms, docnum) if terms else {}
            found = len(set(positions.values()))
            if found > best[0]:
                best = (found, language, positions)
        _, language, positions = best
        text = stored_text_in(stored, language)
        return snippet(text, spans_at(text, positions))

    def _hit(self, docnum: int, score: float | None, terms: dict, ui: str) -> dict:
        stored = self._searcher.stored_fields(docnum)
        return {
            "id": stored.get("id"),
            "title": stored.get("title") or "",
            "url": stored.get("url"),
            "lang": stored.get("language"),
            "date": stored.get("date"),
            "year": stored.get("year"),
            "type": self._facet("type", stored.get("doc_type"), ui),
            "division": self._facet("division", stored.get("division"), ui),
            "org": self._facet("org", stored.get("organization"), ui),
            "score": score,
            "snippet": self._snippet(docnum, stored, terms),
        }

    # -- search -------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> dict:
        """One page of hits, the total, disjunctive facet counts and a spelling suggestion."""
        with self._io:
            return self._search(request)

    def _search(self, request: SearchRequest) -> dict:
        page = max(1, int(request.page))
        size = max(1, min(MAX_SIZE, int(request.size)))
        ui = request.ui if request.ui in LANGUAGES else "en"
        q = _make_query(request.q, LANGUAGES)
        scored = self._scored(q)
        filters = self._filters(request)
        docs = self._intersect(scored.matches, filters.values())
        total = int(np.count_nonzero(docs))

        first = (page - 1) * size
        hits: list[dict] = []
        if first < total:
            if request.sort in ("newest", "oldest"):
                ordered = self._by_date(docs, newest=request.sort == "newest")
                chosen = [(int(d), None) for d in ordered[first : first + size]]
            elif isinstance(q, whoosh_query.Every):
                chosen = [(int(d), None) for d in np.flatnonzero(docs)[first : first + size]]
            else:
                chosen = top_documents(scored.scores, docs, first + size)[first:]
            terms = (
                query_module.query_terms(request.q, LANGUAGES, self.scorer.expanding)
                if request.q.strip()
                else {}
            )
            hits = [self._hit(d, s, terms, ui) for d, s in chosen]

        facets: dict[str, list[dict]] = {}
        for name in request.facets:
            column = FACETS.get(name)
            if column is None:
                continue
            others = [s for f, s in filters.items() if f != column]
            base = docs if column not in filters else self._intersect(scored.matches, others)
            facets[name] = self.columns.counts_list(column, self.columns.count(column, base), ui)

        did_you_mean = None
        if total < FEW_HITS and request.q.strip():
            did_you_mean = self._did_you_mean(request, total, filters)
        return {
            "total": total,
            "page": page,
            "size": size,
            "hits": hits,
            "facets": facets,
            "did_you_mean": did_you_mean,
        }

    def _by_date(self, docs: np.ndarray, newest: bool) -> np.ndarray:
        """Doc numbers of the mask oldest (or newest) first; the undated always last."""
        order = self.columns.date_order
        ordered = order[docs[order]]
        if not newest:
            return ordered
        known = int(np.count_nonzero(docs & self.columns.dated))
        return np.concatenate([ordered[:known][::-1], ordered[known:]])

    # -- spelling -----------------------------------------------------------------------

    def _did_you_mean(
        self, request: SearchRequest, total: int, filters: dict[str, np.ndarray]
    ) -> str | None:
        languages = _query_languages(request.languages)
        lists = [self.words(lang) for lang in languages]
        text = request.q
        out: list[str] = []
        cursor = 0
        changed = False
        for match in TOKEN_PATTERN.finditer(text):
            word = normalize_text(match.group())
            out.append(text[cursor : match.start()])
            cursor = match.end()
            following = text[match.end() : match.end() + 1]
            if (
                len(word) < 3
                or not word.isalpha()
                or match.group() in OPERATORS
                or following in ("*", "~", ":")
                or any(word in stop_words(lang) for lang in LANGUAGES)
                # a word of any language is no typo, whatever the language filter
                or any(word in self.words(lang).lookup for lang in LANGUAGES)
            ):
                out.append(match.group())
                continue
            found = [c for wl in lists if (c := wl.correction(word)) is not None]
            if found:
                out.append(min(found)[2])
                changed = True
            else:
                out.append(match.group())
        out.append(text[cursor:])
        if not changed:
            return None
        suggestion = "".join(out)
        try:
            better = self._intersect(
                self._matching(_make_query(suggestion, LANGUAGES)), filters.values()
            )
        except Exception:  # noqa: BLE001 - a suggestion must never fail the search
            return None
        return suggestion if int(np.count_nonzero(better)) > total else None

    def suggest(self, prefix: str, languages: tuple[str, ...] = (), limit: int = 10) -> list[dict]:
        """Completions of the last word of ``prefix``, most frequent first."""
        if not prefix or prefix[-1].isspace() or limit <= 0:
            return []
        head, _, last = prefix.rpartition(" ")
        word = normalize_text(last).strip()
        if not word:
            return []
        best: dict[str, tuple[int, str]] = {}
        for language in _query_languages(languages):
            for count, completed in self.words(language).completions(word, limit):
                if completed not in best or best[completed][0] < count:
                    best[completed] = (count, language)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        lead = head + " " if head else ""
        return [
            {"text": lead + completed, "word": completed, "lang": lang, "count": count}
            for completed, (count, lang) in ranked
        ]

    def suggest_titles(
        self, typed: str, languages: tuple[str, ...] = (), limit: int = TITLE_SUGGESTIONS
    ) -> list[dict]:
        """Titles that begin with what has been typed, the most common first (then the
        shortest); a title of one record carries that record's id."""
        prefix = " ".join(normalize_text(typed).split())
        if len(prefix) < MIN_TITLE_PREFIX or limit <= 0:
            return []
        live = self.columns.live
        found: list[tuple[int, int, str, str, str]] = []
        with self._io:
            reader = self._searcher.reader()
            for language in _query_languages(languages):
                field_name = titles_field(language)
                if field_name not in self._searcher.schema:
                    continue
                expansions = reader.expand_prefix(field_name, prefix)
                for term in itertools.islice(expansions, MAX_TITLE_CANDIDATES):
                    text = term.decode("utf-8") if isinstance(term, bytes) else term
                    typed_form, _, shown = text.partition(TITLE_SEPARATOR)
                    if not typed_form.startswith(prefix):
                        continue
                    docs = [d for d in self.scorer.term(field_name, term).docs if live[d]]
                    if docs:
                        found.append((-len(docs), len(shown), shown, language, int(docs[0])))
            found.sort()
            out = []
            for negative_count, _, shown, language, docnum in found[:limit]:
                entry = {"text": shown, "lang": language, "count": -negative_count}
                if negative_count == -1:
                    entry["id"] = self._searcher.stored_fields(docnum).get("id")
                out.append(entry)
        return out

    # -- documents ----------------------------------------------------------------------

    def _docnum(self, doc_id: str) -> int | None:
        return self._searcher.document_number(id=doc_id)

    def _twin_ids(self, doc_id: str, stored: dict) -> list[str]:
        """The record's translations: the one it names as ``parallel_id`` and those naming it
        (the ``parallel_id`` field indexes who names whom)."""
        own = (stored.get("extra") or {}).get("parallel_id")
        found = [own] if isinstance(own, str) else []
        if "parallel_id" in self._searcher.schema:
            with self._io:
                for docnum in self._searcher.document_numbers(parallel_id=doc_id):
                    found.append(self._searcher.stored_fields(docnum).get("id"))
        return [t for t in dict.fromkeys(found) if t and t != doc_id]

    def document(self, doc_id: str, ui: str = "en") -> dict | None:
        """All stored fields of a record, facet labels and links to its translations."""
        with self._io:
            docnum = self._docnum(doc_id)
            if docnum is None:
                return None
            stored = dict(self._searcher.stored_fields(docnum))
        ui = ui if ui in LANGUAGES else "en"
        labels = {}
        for name, column in FACETS.items():
            value = stored.get(column)
            if value is not None and value != "":
                labels[name] = {"key": value, "label": self.columns.label(column, value, ui)}
        translations = []
        for twin_id in self._twin_ids(doc_id, stored):
            with self._io:
                twin = self._docnum(twin_id)
                if twin is None:
                    continue
                fields = self._searcher.stored_fields(twin)
            translations.append(
                {
                    "id": twin_id,
                    "lang": fields.get("language"),
                    "title": fields.get("title"),
                    "url": fields.get("url"),
                }
            )
        stored["sections"] = [list(s) for s in stored.get("sections") or []]
        stored["labels"] = labels
        stored["translations"] = translations
        return stored

    def facet_counts(self, ui: str = "en") -> dict:
        """Every facet over the whole index."""
        ui = ui if ui in LANGUAGES else "en"
        everything = self.columns.live
        return {
            name: self.columns.counts_list(column, self.columns.count(column, everything), ui)
            for name, column in FACETS.items()
        }

    def analyze(self, language: str, text: str) -> list[dict]:
        """The tokens of a text as the index sees them, offsets into the text."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
        return analyze_text(language, text)


@dataclass
class _State:
    name: str | None = None
    snapshot: Snapshot | None = None
    checked: float = field(default=-1e18)


class Engine:
    """Follows an index directory's published generation; thread-safe.

    With ``background=True`` (the service), a thread of its own checks ``CURRENT`` every
    ``check_interval`` seconds and opens and warms a newly published generation before
    requests are handed it, so no request waits for a generation to open. Otherwise the
    request that finds the check due opens it.
    """

    def __init__(
        self, index_dir: Path, check_interval: float = 1.0, background: bool = False
    ) -> None:
        self.index_dir = Path(index_dir)
        self.check_interval = check_interval
        self._state = _State()
        self._lock = threading.Lock()
        self._opening = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._unreadable: str | None = None  # a published generation that did not open
        self._watcher: threading.Thread | None = None
        if background:
            self._watcher = threading.Thread(
                target=self._watch, name="generation-watcher", daemon=True
            )
            self._watcher.start()

    def snapshot(self) -> Snapshot:
        """The published generation's snapshot (re-checked at most every check_interval)."""
        state = self._state
        if state.snapshot is not None and (
            self._watcher is not None or time.monotonic() - state.checked < self.check_interval
        ):
            return state.snapshot
        if self._closed:
            raise IndexMissing(f"the engine for {self.index_dir} is closed")
        if state.snapshot is not None:
            # Another thread is opening a new generation: keep serving the current one.
            if not self._opening.acquire(blocking=False):
                return state.snapshot
        else:
            self._opening.acquire()
        try:
            return self._refresh()
        finally:
            self._opening.release()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval):
            try:
                with self._opening:
                    if not self._closed:
                        self._refresh(due=True, warm=True)
            except IndexMissing:
                pass  # requests get the message; the next check tries again
            except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
                log.exception("checking for a new index generation failed")

    def _refresh(self, due: bool = False, warm: bool = False) -> Snapshot:
        state = self._state
        current = state.snapshot
        if (
            not due
            and current is not None
            and time.monotonic() - state.checked < self.check_interval
        ):
            return current
        name = generations.published_name(self.index_dir)
        if current is not None and name == state.name:
            self._state = _State(name, current, time.monotonic())
            return current
        try:
            path = generations.current_generation(self.index_dir)
            fresh = Snapshot(path)
            if warm:
                fresh.warm()
        except IndexMissing as exc:
            if current is not None:
                if name != self._unreadable:
                    self._unreadable = name
                    log.warning("keeping generation %s: %s", state.name, exc)
                self._state = _State(state.name, current, time.monotonic())
                return current
            raise
        with self._lock:
            # The old snapshot is closed when the last request holding it lets it go.
            self._state = _State(name, fresh, time.monotonic())
        log.info("serving index generation %s (%d documents)", fresh.generation, fresh.documents)
        return fresh

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            snapshot = self._state.snapshot
            self._state = _State()
        if snapshot is not None:
            snapshot.close()
