"""A query text read once (``ParsedQuery``): what ``searchsvc.query.compile_query`` gives,
and what scoring, highlighting and spelling suggestions read of it.

Only the compiling is ``searchsvc.query``'s; this module knows no analyzer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh import query
from whoosh.reading import IndexReader

from indexer.contract import LANGUAGES, TOKEN_PATTERN, body_field, title_field
from searchsvc.ranking import WordTier
from searchsvc.syntax import Node, words

# Index terms per title/body field that a query matches (``ParsedQuery.highlight_terms``).
HighlightTerms = dict[str, set[str]]
# Characters after a word that make it part of the syntax, not a word to respell.
_SYNTAX_AFTER = ("*", "~", ":")


@dataclass(frozen=True)
class ParsedQuery:
    """A query text read once: its syntax tree, its whoosh queries and its words' tiers.

    ``whoosh`` is what a list ranked by relevance holds: records with most of the plain words
    typed together (``words_required``), ranked below those with all of them by their tiers.
    ``every_word`` requires each of them, for lists in date order and counts of complete
    matches; it is ``whoosh`` itself when that already requires every word."""

    text: str
    tree: Node | None
    whoosh: query.Query
    # One per positive term, for ranking (``searchsvc.ranking.tiers``).
    tiers: tuple[WordTier, ...] = ()
    every_word: query.Query | None = None

    def __post_init__(self) -> None:
        if self.every_word is None:
            object.__setattr__(self, "every_word", self.whoosh)

    @property
    def matches_everything(self) -> bool:
        """An empty query: every record, unranked."""
        return isinstance(self.whoosh, query.Every)

    @property
    def has_no_words(self) -> bool:
        """A text with no word to search for (only syntax, symbols or stop words): it
        finds nothing, whatever the index holds."""
        return self.whoosh is query.NullQuery

    def typed_words(self) -> Iterator[tuple[int, int]]:
        """(start, end) in the text of each word as typed in the plain words and phrases, the
        excluded ones too: the words a spelling suggestion may replace. Not a prefix or fuzzy
        word, nor a token that runs into syntax (``foo*bar``: ``foo``; ``title:word``)."""
        spans = [w.span for w in words(self.tree) if w.kind in ("word", "phrase")]
        for match in TOKEN_PATTERN.finditer(self.text):
            start, end = match.span()
            if self.text[end : end + 1] in _SYNTAX_AFTER:
                continue
            if any(low <= start and end <= high for low, high in spans):
                yield start, end

    def highlight_terms(self, reader: IndexReader | None = None) -> HighlightTerms:
        """Index terms per title/body field that the query matches positively.

        Prefix and fuzzy words are expanded (capped) when an index ``reader`` is given;
        without one a fuzzy word gives its own keys and a prefix nothing.
        """
        terms: HighlightTerms = {}
        highlighted = {f(lang) for lang in LANGUAGES for f in (title_field, body_field)}
        for leaf in _positive_leaves(self.whoosh):
            field = getattr(leaf, "fieldname", None)
            if field not in highlighted:
                continue
            if isinstance(leaf, query.MultiTerm):
                if reader is not None:
                    found = {
                        b.decode("utf-8") if isinstance(b, bytes) else b
                        for _, b in leaf.expanded_terms(reader)
                    }
                elif isinstance(leaf, query.FuzzyTerm):
                    found = {leaf.text}
                else:
                    found = set()
            else:
                found = {leaf.text}
            if found:
                terms.setdefault(field, set()).update(found)
        return terms



def _positive_leaves(q: query.Query) -> Iterable[query.Query]:
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        yield from _positive_leaves(q.a)
        return
    children = list(q.children())
    if not children:
        yield q
    for child in children:
        yield from _positive_leaves(child)
