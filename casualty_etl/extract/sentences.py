"""Stage 1: split a text into sentences.

Input: the article text. Output: (start, end) character ranges of sentences, in order.
A line break always ends a sentence (headlines, captions and datelines have no full stop);
a full stop, question or exclamation mark ends one when followed by space and a capital,
digit or quote (or directly by a capitalised word, for text that lost its spaces), unless
it closes an abbreviation listed in the lexicon ("Gen.", "U.S.").

Deliberately not here: tokenising (only sentences that pass the prefilter are tokenised).
"""

from __future__ import annotations

import re

from casualty_etl.lexicon import Lexicon

_LINE_RE = re.compile(r"[^\n]*\S[^\n]*")
# Every boundary starts with its line break or sentence mark, and the pattern opens with that
# character class, so the regex engine skips to those characters at C speed. After a mark: space
# and then a capital, digit or quote (a ``mark`` boundary); or, in text that lost the space after a
# full stop ("Afghanistan.They", "15.Twenty", 'said."We'), directly a capitalised word after the mark
# and its closing quotes (a ``glued`` boundary, valid only after a lower-case letter, digit or
# bracket: checked in Python).
_BOUNDARY_RE = re.compile(
    r"[\n.!?](?:(?<=\n)\n*"
    r"|(?<=[.!?])[\"'\u201d\u2019)\]]*(?:[ \t\u00a0]+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])|(?=[A-Z][a-z])))"
)
_BEFORE_GLUED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789)")


def split_sentences(
    text: str, lexicon: Lexicon, begin: int = 0, stop: int | None = None
) -> list[tuple[int, int]]:
    """Sentence ranges of ``text[begin:stop]`` (offsets into ``text``)."""
    stop = len(text) if stop is None else stop
    spans: list[tuple[int, int]] = []
    start = begin
    for m in _BOUNDARY_RE.finditer(text, begin, stop):
        mark = m.start()
        if text[mark] == "\n":
            end = mark
        else:
            end = mark + 1  # the sentence keeps its mark
            glued = not text[m.end() - 1].isspace()  # no space after the mark and its quotes
            if glued and (end < start + 2 or text[end - 2] not in _BEFORE_GLUED):
                continue
            word = _abbreviation_before(text, start, end)
            if word is not None and (word in lexicon.abbreviations or len(word) == 1):
                continue
        if text[start:end].strip():
            spans.append(_trim(text, start, end))
        start = m.end()
    if text[start:stop].strip():
        spans.append(_trim(text, start, stop))
    return spans


def split_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line: no sentence crosses a line break."""
    return [m.span() for m in _LINE_RE.finditer(text)]


def _abbreviation_before(text: str, start: int, stop: int) -> str | None:
    """The word ending in the full stop at ``stop - 1`` ("gen" for "Gen."), if the mark is a full stop."""
    # Quotes or brackets may stand between the full stop and the boundary.
    j = stop
    while j > start and text[j - 1] in "\"'\u201d\u2019)]":
        j -= 1
    if j <= start or text[j - 1] != ".":
        return None
    i = j - 1
    while i > start and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    word = text[i : j - 1].lower()
    return word or None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
