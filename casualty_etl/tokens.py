"""Tokenizer shared by the lexicon loader and the extractor.

Input: a string. Output: a tuple of :class:`Token` with character offsets into that string.
Digit groups with their separators stay one token ("1,700", "450.000", "80 000" with a
space, thin space or no-break space); words keep inner apostrophes ("Shi'ite"); every
other non-space character is a token of its own. A word that opens with one of the
language's elided words ("d'", "l'", "qu'" in French, given by the lexicon) is parted after
the apostrophe ("d'au" -> "d'", "au"). The lexicon tokenises its phrases with this same
function, so a phrase matches text exactly when their token sequences match.

Deliberately not here: any knowledge of words or numbers' meaning.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple

# Word first: most tokens are words, and the alternatives start with disjoint characters (a letter,
# a decimal digit, anything else), so their order changes no token, only how soon one matches.
_TOKEN_RE = re.compile(
    r"(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*)"
    r"|(?P<spaced>\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.,]?\d))"
    r"|(?P<digits>\d+(?:[.,]\d+)*)"
    r"|(?P<other>\S)"
)


class Kind(Enum):
    DIGITS = "digits"
    WORD = "word"
    PUNCT = "punct"


class Token(NamedTuple):
    """One token (a named tuple: tokens are made by the hundred thousand, and tuples are cheap)."""

    text: str
    low: str  # lower-cased text, apostrophes unified, used for every lexicon look-up
    start: int
    end: int
    kind: Kind


_KIND_OF_GROUP = {"spaced": Kind.DIGITS, "digits": Kind.DIGITS, "word": Kind.WORD, "other": Kind.PUNCT}
#: The kind of each group of ``_TOKEN_RE`` by its number (``Match.lastindex``).
_KIND_OF_INDEX = (
    None,
    *(_KIND_OF_GROUP[name] for name in sorted(_TOKEN_RE.groupindex, key=_TOKEN_RE.groupindex.get)),
)


def tokenize(text: str, offset: int = 0, elisions: frozenset[str] = frozenset()) -> tuple[Token, ...]:
    """Split ``text`` into tokens; offsets are shifted by ``offset``. ``elisions`` are lower-cased
    elided words ending in an apostrophe ("d'"), parted from the word they are glued to."""
    lowered = text.lower().replace("\u2019", "'")
    kinds = _KIND_OF_INDEX
    new = tuple.__new__
    tokens = []
    append = tokens.append
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        for m in _TOKEN_RE.finditer(text):
            low = m[0].lower().replace("\u2019", "'")
            append(new(Token, (m[0], low, m.start() + offset, m.end() + offset, kinds[m.lastindex])))
    else:
        for m in _TOKEN_RE.finditer(text):
            start, end = m.span()
            append(new(Token, (m[0], lowered[start:end], start + offset, end + offset, kinds[m.lastindex])))
    if elisions:
        return _split_elisions(tokens, elisions)
    return tuple(tokens)


def _split_elisions(tokens: list[Token], elisions: frozenset[str]) -> tuple[Token, ...]:
    out: list[Token] = []
    n = len(tokens)
    skip = -1
    for i, token in enumerate(tokens):
        if i == skip:
            continue  # the apostrophe already joined to the elided word before it
        if (
            token.kind is Kind.WORD
            and i + 1 < n
            and tokens[i + 1].low == "'"
            and tokens[i + 1].start == token.end
            and token.low + "'" in elisions
        ):
            # "d' " standing alone (or before a space or a digit): one token with its apostrophe
            nxt = tokens[i + 1]
            out.append(Token(token.text + nxt.text, token.low + "'", token.start, nxt.end, Kind.WORD))
            skip = i + 1
            continue
        while token.kind is Kind.WORD and "'" in token.low:
            k = token.low.index("'") + 1
            if token.low[:k] not in elisions or k == len(token.low):
                break
            out.append(Token(token.text[:k], token.low[:k], token.start, token.start + k, Kind.WORD))
            token = Token(token.text[k:], token.low[k:], token.start + k, token.end, Kind.WORD)
        out.append(token)
    return tuple(out)


def phrase_key(phrase: str, elisions: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The token sequence a lexicon phrase matches."""
    return tuple(t.low for t in tokenize(phrase, elisions=elisions))
