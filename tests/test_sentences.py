"""Sentence splitting (stage 1): where a sentence ends and where it does not."""

from __future__ import annotations

import pytest

from casualty_etl.extract.sentences import split_sentences
from casualty_etl.lexicon import load_lexicon

CASES = {
    "full_stop_and_capital": ("Five people died. Rescuers left.", ["Five people died.", "Rescuers left."]),
    "question_mark": ("Who fired? Nobody knows.", ["Who fired?", "Nobody knows."]),
    "line_break": (
        "Flood kills 12\nRescuers search the river",
        ["Flood kills 12", "Rescuers search the river"],
    ),
    "full_stop_before_a_digit": ("Two died. 14 were hurt.", ["Two died.", "14 were hurt."]),
    "closing_quote_after_the_mark": (
        'He said: "Ten died." Then he left.',
        ['He said: "Ten died.', "Then he left."],
    ),
    "abbreviated_title": ("Gen. Amar said 12 died.", ["Gen. Amar said 12 died."]),
    "initial": ("Officer J. Brand said 12 died.", ["Officer J. Brand said 12 died."]),
    "decimal_number": ("Some 3.5 million fled.", ["Some 3.5 million fled."]),
    "lost_space_after_a_full_stop": (
        "Nine died in Tarvin.Rescuers left.",
        ["Nine died in Tarvin.", "Rescuers left."],
    ),
    "lost_space_after_a_closing_quote": (
        'Eight were hurt, he said."We stayed." Then he left.',
        ["Eight were hurt, he said.", "We stayed.", "Then he left."],
    ),
    "lower_case_after_a_full_stop": (
        "It cost 5 p.c. more than before.",
        ["It cost 5 p.c. more than before."],
    ),
}


@pytest.mark.parametrize("text, expected", list(CASES.values()), ids=list(CASES))
def test_split_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text, load_lexicon("en"))
    assert [text[start:end] for start, end in spans] == expected
