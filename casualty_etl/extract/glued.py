"""Stage 2b: part words run together by text that lost its spaces ("tendeaths" -> "ten deaths").

Input: the tokens of one sentence and the lexicon. Output: the same tokens, except that a word the
lexicon's ``glued_words`` pattern matches whole becomes two word tokens with their own offsets: a
spelled number run into a cue or person noun ("tendeaths", "threepeople"), an auxiliary or adverb
run into a one-word cue ("weredisplaced", "alreadydisplaced"), or a one-word cue run into a
qualifier or preposition ("displacedabout"). Text converted from PDF often loses spaces this way.

Deliberately not here: other glued words (only pieces the lexicon lists are split, so "skilled"
or "therapist" stay whole), and glued digits ("10killed"), which the tokenizer already parts.
"""

from __future__ import annotations

from casualty_etl.lexicon import Lexicon
from casualty_etl.tokens import Kind, Token

#: The named groups of ``Lexicon.glued_words``: whichever matched is the first piece.
_FIRST_PIECES = ("number", "head", "cue")


def split_glued_words(tokens: tuple[Token, ...], lexicon: Lexicon) -> tuple[Token, ...]:
    """``tokens`` with every glued pair of words split in two."""
    out: list[Token] = []
    for token in tokens:
        m = lexicon.glued_words.fullmatch(token.low) if token.kind is Kind.WORD else None
        if m is None:
            out.append(token)
            continue
        k = next(m.end(group) for group in _FIRST_PIECES if m.group(group))
        out.append(Token(token.text[:k], token.low[:k], token.start, token.start + k, Kind.WORD))
        out.append(Token(token.text[k:], token.low[k:], token.start + k, token.end, Kind.WORD))
    return tuple(out)
