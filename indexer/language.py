"""Language of a text (fi/sv/en only) and splitting a page into runs of one language."""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

from indexer.contract import LANGUAGES
from indexer.records import Section

# Fewer letters than this and we do not guess at all ("§ 57", "Mon, 04/29/2024 - 08:51").
MIN_LETTERS = 10
# Below this many letters a paragraph is a heading, a name, a byline or a greeting: its own
# detection is too unreliable to start a section, so it joins a neighbour. The same goes for a
# paragraph whose language the detector is less sure of than PARAGRAPH_MIN_CONFIDENCE (a list
# of Finnish names in a Swedish decision).
PARAGRAPH_MIN_LETTERS = 40
PARAGRAPH_MIN_CONFIDENCE = 0.9
# A run of paragraphs in another language with fewer letters than this, between two runs of
# one language, is treated as noise (an image caption, a misdetected list) and smoothed away.
SMOOTH_MAX_LETTERS = 200
# Between two languages, a short paragraph stays with the preceding run only when the character
# model alone is this sure of that language ("Ystävällisin terveisin," after a Finnish comment).
STICKY_CONFIDENCE = 0.99

# Longer texts are judged on evenly spaced slices of this many characters in all: the detector
# walks every byte in Python, and a few thousand characters are plenty to tell fi/sv/en apart.
SAMPLE_CHARS = 4000
SAMPLE_SLICES = 4

# Frequent function words that are distinctive for one of the three languages; words common in
# two of them ("on" en/fi, "he" en/fi, "me" en/fi, "under" en/sv, "se" fi/sv) are left out.
STOPWORDS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        """ja ei että oli ovat olla olisi ollut joka jotka jonka joiden mutta kun tai myös sekä
        kuin ole voi jos niin nyt vain hän tämä tässä tästä sen siitä sitä kanssa mukaan eli jo
        vielä koska tulee kaikki mitä mikä lisäksi osalta ettei eikä mm tulisi""".split()
    ),
    "sv": frozenset(
        """och att det som är av för med till den på inte har ett om var vid jag så kan sig
        också eller efter från hade skall ska hur när detta denna dessa samt enligt vilket
        vilka även mot utan sina sitt sin där här mycket""".split()
    ),
    "en": frozenset(
        """the and of to in is that for with as was are be by this it from at or have has not
        which will an were been their would should we you they there all can more about if what
        when who also than other""".split()
    ),
}

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
# A paragraph break: a line end followed by one or more blank (whitespace-only) lines.
_PARAGRAPH_BREAK = re.compile(r"[ \t\f\v\xa0]*\r?\n(?:[ \t\f\v\xa0]*\r?\n)+")

_identifier = None
_identifier_lock = threading.Lock()


def _get_identifier():
    """The py3langid identifier restricted to fi/sv/en, built on first use (takes ~0.4 s)."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _stopword_hits(text: str) -> dict[str, int]:
    hits = dict.fromkeys(LANGUAGES, 0)
    for word in _WORD.findall(text.lower()):
        for language, words in STOPWORDS.items():
            if word in words:
                hits[language] += 1
    return hits


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    size = SAMPLE_CHARS // SAMPLE_SLICES
    step = (len(text) - size) / (SAMPLE_SLICES - 1)
    return "\n".join(text[round(i * step) :][:size] for i in range(SAMPLE_SLICES))


def _probabilities(text: str) -> dict[str, float]:
    ranked = _get_identifier().rank(_sample(text))
    return {language: float(p) for language, p in ranked}


@dataclass(frozen=True)
class _Guess:
    language: str | None
    confidence: float
    letters: int


def _guess(text: str) -> _Guess:
    letters = _letters(text)
    if letters < MIN_LETTERS:
        return _Guess(None, 0.0, letters)
    sample = _sample(text)
    probs = _probabilities(sample)
    hits = _stopword_hits(sample)
    if sum(hits.values()):
        # Each function word counts as evidence; langid is weak on a handful of words, where a
        # single "och" or "the" is decisive.
        scores = {lang: math.log(max(probs[lang], 1e-9)) + 2.0 * hits[lang] for lang in LANGUAGES}
        top = max(scores.values())
        exp = {lang: math.exp(s - top) for lang, s in scores.items()}
        total = sum(exp.values())
        probs = {lang: v / total for lang, v in exp.items()}
    language = max(probs, key=probs.__getitem__)
    return _Guess(language, probs[language], letters)


def detect_language(text: str) -> str | None:
    """The language of ``text``: "fi", "sv" or "en", or None if it has too few letters to tell."""
    return _guess(text).language


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of ``text`` (separated by blank lines), without surrounding line breaks."""
    paragraphs = []
    for chunk in _PARAGRAPH_BREAK.split(text):
        chunk = chunk.lstrip("\r\n").rstrip()
        if chunk.strip():
            paragraphs.append(chunk)
    return paragraphs


@dataclass
class _Run:
    language: str
    letters: int


def _smooth(labels: list[str | None], guesses: list[_Guess]) -> None:
    """Relabel short runs that sit between two runs of one other language (in place).

    Only strong paragraphs (those with a label) take part. The shortest qualifying run is
    absorbed first, then the runs are rebuilt, until nothing changes.
    """
    while True:
        runs: list[_Run] = []
        members: list[list[int]] = []
        for i, label in enumerate(labels):
            if label is None:
                continue
            if runs and runs[-1].language == label:
                runs[-1].letters += guesses[i].letters
                members[-1].append(i)
            else:
                runs.append(_Run(label, guesses[i].letters))
                members.append([i])
        best: int | None = None
        for r in range(1, len(runs) - 1):
            before, run, after = runs[r - 1], runs[r], runs[r + 1]
            if before.language != after.language:
                continue
            if run.letters >= SMOOTH_MAX_LETTERS or run.letters >= before.letters + after.letters:
                continue
            if best is None or run.letters < runs[best].letters:
                best = r
        if best is None:
            return
        for i in members[best]:
            labels[i] = runs[best - 1].language


def _sure_of(paragraph: str, language: str | None) -> bool:
    # The character model alone: one function word ("not" in "Anonymous (not verified)") must
    # not be enough to pull a byline away from the comment it introduces.
    if language is None or _letters(paragraph) < MIN_LETTERS:
        return False
    return _probabilities(paragraph)[language] >= STICKY_CONFIDENCE


def _assign_weak(labels: list[str | None], paragraphs: list[str]) -> list[str]:
    """Give each paragraph too short to tell the language of a neighbouring strong paragraph.

    Between two languages, a block of short paragraphs goes with what follows (a heading or a
    comment's byline introduces the next part), except for a leading part that is clearly in the
    preceding language (a closing greeting). ``labels`` must have at least one language.
    """
    result: list[str] = []
    i = 0
    while i < len(labels):
        label = labels[i]
        if label is not None:
            result.append(label)
            i += 1
            continue
        j = i
        while j < len(labels) and labels[j] is None:
            j += 1
        before = result[-1] if result else None
        after = labels[j] if j < len(labels) else None
        if before is None or after is None or before == after:
            language = before or after
            assert language is not None
            result.extend([language] * (j - i))
        else:
            keep = 0
            for k in range(i, j):
                if _sure_of(paragraphs[k], after):
                    break
                if _sure_of(paragraphs[k], before):
                    keep = k + 1 - i
            result.extend([before] * keep + [after] * (j - i - keep))
        i = j
    return result


def split_sections(text: str, default: str | None = None) -> list[Section]:
    """Split a page into runs of one language, each run's paragraphs joined with a blank line.

    Paragraphs with too few letters to tell (names, dates, greetings, headings) join a
    neighbouring run; short runs of another language inside a run are smoothed away. When no
    paragraph can be told on its own, the whole text is one section in the language of the
    whole, or in ``default`` if even that cannot be told. Returns ``[]`` for a blank text, or
    when nothing can be told and ``default`` is None.
    """
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        return []
    guesses = [_guess(p) for p in paragraphs]
    labels: list[str | None] = [
        g.language
        if g.letters >= PARAGRAPH_MIN_LETTERS and g.confidence >= PARAGRAPH_MIN_CONFIDENCE
        else None
        for g in guesses
    ]
    if all(label is None for label in labels):
        language = _guess("\n\n".join(paragraphs)).language or default
        if language is None:
            return []
        return [Section(language, "\n\n".join(paragraphs))]
    _smooth(labels, guesses)
    runs: list[tuple[str, list[str]]] = []
    for paragraph, language in zip(paragraphs, _assign_weak(labels, paragraphs), strict=True):
        if runs and runs[-1][0] == language:
            runs[-1][1].append(paragraph)
        else:
            runs.append((language, [paragraph]))
    return [Section(language, "\n\n".join(members)) for language, members in runs]
