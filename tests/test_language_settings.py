"""The lexicon settings that make the engine language-neutral: named parts composed into phrases,
elided words, the digit format and the spelled-number options. Each is tried on a copy of the
English lexicon with one setting changed, so these tests hold whatever other languages ship."""

from __future__ import annotations

import copy

import pytest

from casualty_etl.extract.quantities import parse_digits, parse_number
from casualty_etl.lexicon import LexiconError, parse_lexicon, raw_lexicon
from casualty_etl.tokens import tokenize


def _english(**changes) -> dict:
    data = copy.deepcopy(raw_lexicon("en"))
    for path, value in changes.items():
        node = data
        *head, last = path.split("__")
        for key in head:
            node = node[key]
        node[last] = value
    return data


def test_parts_are_composed_into_phrases() -> None:
    data = _english()
    data["parts"] = {**data.get("parts", {}), "aux": ["were", "have been"], "hurt": ["{aux} hurt"]}
    data["cues"]["injured"][0]["phrases"] = ["{hurt}", "injured"]
    lexicon = parse_lexicon(data, "en")
    keys = {key for key, rules in lexicon.cues.entries() if rules}
    assert {("were", "hurt"), ("have", "been", "hurt"), ("injured",)} <= keys


def test_an_undefined_part_fails_at_start_up() -> None:
    data = _english(parts={"aux": ["were"]})
    data["cues"]["injured"][0]["phrases"] = ["{nope} hurt"]
    with pytest.raises(LexiconError, match="nope"):
        parse_lexicon(data, "en")


def test_a_part_defined_in_terms_of_itself_fails() -> None:
    with pytest.raises(LexiconError, match="itself"):
        parse_lexicon(_english(parts={"a": ["x {a}"]}), "en")


def test_elided_words_are_parted_from_the_next_word() -> None:
    tokens = tokenize("d\u2019au moins l'attaque aujourd'hui", elisions=frozenset({"d'", "l'"}))
    assert [t.text for t in tokens] == ["d\u2019", "au", "moins", "l'", "attaque", "aujourd'hui"]
    assert [t.low for t in tokens][:2] == ["d'", "au"]


def test_without_elisions_an_apostrophe_stays_inside_the_word() -> None:
    assert [t.text for t in tokenize("Shi'ite d'au")] == ["Shi'ite", "d'au"]


def test_an_elision_must_end_in_an_apostrophe() -> None:
    with pytest.raises(LexiconError, match="orthography.elisions"):
        parse_lexicon(_english(orthography={"elisions": ["d"]}), "en")


def test_digit_format_without_comma_thousands_reads_a_decimal_comma() -> None:
    data = _english(numbers__digit_format={"thousands": [".", "space", "narrow_nbsp"], "decimal": [","]})
    fmt = parse_lexicon(data, "en").numbers.digit_format
    assert parse_digits("2.750", False, fmt) == 2750.0
    assert parse_digits("2,750", False, fmt) == 2.75  # a decimal: no count of people
    assert parse_digits("1,5", True, fmt) == 1.5
    assert parse_digits("1\u202f041\u202f000", False, fmt) == 1_041_000.0
    assert parse_digits("1\u00a0041", False, fmt) is None  # no-break space not listed here


def test_default_digit_format_keeps_both_separators() -> None:
    assert parse_digits("1,500") == 1500.0 and parse_digits("450.000") == 450_000.0
    assert parse_digits("1.5", scaled=True) == 1.5


def test_a_space_cannot_be_a_decimal_mark() -> None:
    with pytest.raises(LexiconError, match="decimal"):
        parse_lexicon(_english(numbers__digit_format={"thousands": [","], "decimal": ["space"]}), "en")


def _numbers(**changes):
    data = _english(**{f"numbers__{k}": v for k, v in changes.items()})
    return parse_lexicon(data, "en")


def test_tens_joiner_and_not_initial_unit() -> None:
    data = _english(numbers__tens_joiners=["and"], numbers__not_initial=["one"])
    lexicon = parse_lexicon(data, "en")
    assert parse_number("twenty and one", lexicon) == 21
    assert parse_number("one", lexicon) is None
    assert parse_number("one million", lexicon) == 1_000_000  # a scale after it: a number


def test_compound_tens_take_teens() -> None:
    lexicon = _numbers(
        tens={**raw_lexicon("en")["numbers"]["tens"], "four-score": 80}, tens_with_teens=["four-score"]
    )
    assert parse_number("four-score-twelve", lexicon) == 92
    assert parse_number("twenty-twelve", lexicon) is None  # a plain tens word takes no teen


def test_hundreds_words_and_bare_scales() -> None:
    lexicon = _numbers(hundreds={"twohundred": 200}, bare_scales=["thousand"])
    assert parse_number("twohundred thirty", lexicon) == 230
    assert parse_number("thousand", lexicon) == 1000
    assert parse_number("thousand twohundred", lexicon) == 1200


def test_bare_scales_must_be_scales() -> None:
    with pytest.raises(LexiconError, match="bare_scales"):
        _numbers(bare_scales=["seven"])


def test_fixed_phrase_may_carry_a_qualifier() -> None:
    from casualty_etl.extract.quantities import find_quantities
    from casualty_etl.model import Qualifier

    fixed = [*raw_lexicon("en")["numbers"]["fixed"], {"phrase": "a score", "value": 20, "qualifier": "about"}]
    lexicon = _numbers(fixed=fixed)
    (q,) = find_quantities(tokenize("a score people"), lexicon)
    assert (q.value, q.qualifier) == (20, Qualifier.ABOUT)
