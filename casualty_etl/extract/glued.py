"""Stage 2b: part spelled numbers from the word they were run into ("tendeaths" -> "ten deaths").

Input: the tokens of one sentence and the lexicon. Output: the same tokens, except that a word
the lexicon's ``glued_number`` pattern matches whole (a number word followed, without a space,
by a cue or victim word) becomes two word tokens with their own offsets. Text converted from
PDF often loses spaces this way.

Deliberately not here: glued words in sentences the prefilter skipped (it looks for cue phrases
that stand apart, so a sentence whose only cue is glued is not read), and glued digits
("10killed"), which the tokenizer already parts.
"""

from __future__ import annotations

from casualty_etl.lexicon import Lexicon
from casualty_etl.tokens import Kind, Token


def split_glued_numbers(tokens: tuple[Token, ...], lexicon: Lexicon) -> tuple[Token, ...]:
    """``tokens`` with every glued number-and-word pair split in two."""
    out: list[Token] = []
    for token in tokens:
        m = lexicon.glued_number.fullmatch(token.low) if token.kind is Kind.WORD else None
        if m is None:
            out.append(token)
            continue
        k = m.end("number")
        out.append(Token(token.text[:k], token.low[:k], token.start, token.start + k, Kind.WORD))
        out.append(Token(token.text[k:], token.low[k:], token.start + k, token.end, Kind.WORD))
    return tuple(out)
