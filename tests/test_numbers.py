"""The number parser (extract.quantities): an example table by phenomenon, then properties.

Each table row is one phenomenon with one example; the property tests check that the parser
never raises, round-trips any formatted count, and never returns more than ``MAX_COUNT``.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from casualty_etl.extract.quantities import MAX_COUNT, find_quantities, parse_digits, parse_number
from casualty_etl.lexicon import load_lexicon
from casualty_etl.tokens import tokenize

LEXICON = load_lexicon("en")
INT64_MAX = 2**63 - 1

PROPERTY = settings(max_examples=200, deadline=None)

# --------------------------------------------------------------------------- example tables

DIGIT_GROUPS = [
    pytest.param("1,700", 1_700, id="comma-thousands"),
    pytest.param("450.000", 450_000, id="dot-thousands"),
    pytest.param("12.500", 12_500, id="dot-thousands-not-decimal"),
    pytest.param("80 000", 80_000, id="space-thousands"),
    pytest.param("80\u00a0000", 80_000, id="no-break-space-thousands"),
    pytest.param("80\u2009000", 80_000, id="thin-space-thousands"),
    pytest.param("80\u202f000", 80_000, id="narrow-no-break-space-thousands"),
    pytest.param("3,214,560", 3_214_560, id="several-comma-groups"),
    pytest.param("2,50,000", 250_000, id="lakh-grouping"),
    pytest.param("1,20,00,000", 12_000_000, id="crore-grouping"),
    pytest.param("47", 47, id="plain-digits"),
]

SCALED_DECIMALS = [
    pytest.param("1.5 million", 1_500_000, id="decimal-scale-word"),
    pytest.param("1.2m", 1_200_000, id="decimal-glued-abbreviation"),
    pytest.param("3.5 lakh", 350_000, id="decimal-lakh"),
    pytest.param("2 crore", 20_000_000, id="integer-crore"),
    pytest.param("40k", 40_000, id="integer-glued-k"),
    pytest.param("3,5 million", 3_500_000, id="decimal-comma-scale-word"),
    pytest.param("1.500 million", 1_500_000, id="three-decimals-before-scale-are-a-fraction"),
    pytest.param("2.4 bn", 2_400_000_000, id="decimal-spaced-multi-letter-abbreviation"),
]

NUMBER_WORDS = [
    pytest.param("Twenty-three", 23, id="hyphenated-tens-unit"),
    pytest.param("two hundred and fifty", 250, id="hundred-and"),
    pytest.param("one thousand two hundred", 1_200, id="thousand-then-hundred"),
    pytest.param("twelve hundred", 1_200, id="teen-hundred"),
    pytest.param("a dozen", 12, id="a-dozen"),
    pytest.param("two dozen", 24, id="multiplied-dozen"),
    pytest.param("half a dozen", 6, id="half-a-dozen"),
    pytest.param("half a million", 500_000, id="half-a-million"),
    pytest.param("a hundred", 100, id="indefinite-hundred"),
    pytest.param("three million four hundred thousand", 3_400_000, id="compound-scales"),
    pytest.param("one thousand million", 1_000_000_000, id="stacked-scales-multiply"),
]

NOT_A_NUMBER = [
    pytest.param("1,2,3", id="single-digit-groups"),
    pytest.param("3.5", id="decimal-without-scale"),
    pytest.param("1,234.5", id="mixed-separators-with-fraction"),
    pytest.param("abc", id="letters"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="whitespace"),
    pytest.param("hundred", id="bare-scale-word"),
    pytest.param("twenty twenty", id="two-tens-in-a-row"),
    pytest.param("1.2 m", id="spaced-single-letter-abbreviation"),
    pytest.param("12 people", id="trailing-word"),
]


@pytest.mark.parametrize(("text", "value"), DIGIT_GROUPS)
def test_digit_groups(text: str, value: int) -> None:
    assert parse_number(text, LEXICON) == value


@pytest.mark.parametrize(("text", "value"), SCALED_DECIMALS)
def test_scaled_decimals(text: str, value: int) -> None:
    assert parse_number(text, LEXICON) == value


@pytest.mark.parametrize(("text", "value"), NUMBER_WORDS)
def test_number_words(text: str, value: int) -> None:
    assert parse_number(text, LEXICON) == value


@pytest.mark.parametrize("text", NOT_A_NUMBER)
def test_not_a_number(text: str) -> None:
    assert parse_number(text, LEXICON) is None


# parse_digits alone: how a separator is resolved with and without a following scale word.
SEPARATORS = [
    pytest.param("1.500", False, 1_500.0, id="unscaled-three-digit-group-is-thousands"),
    pytest.param("1.500", True, 1.5, id="scaled-single-separator-is-decimal"),
    pytest.param("2,5", False, 2.5, id="short-group-is-decimal"),
    pytest.param("1,234.5", False, 1_234.5, id="comma-thousands-dot-decimal"),
    pytest.param("1.234,5", False, 1_234.5, id="dot-thousands-comma-decimal"),
    pytest.param("1,2,3", False, None, id="nonsense-groups"),
    pytest.param("1,,000", False, None, id="doubled-separator"),
    pytest.param(",500", False, None, id="leading-separator"),
    pytest.param("500,", False, None, id="trailing-separator"),
    pytest.param("12345678901234", False, None, id="too-many-digits"),
    pytest.param("", False, None, id="empty"),
]


@pytest.mark.parametrize(("text", "scaled", "value"), SEPARATORS)
def test_parse_digits_separators(text: str, scaled: bool, value: float | None) -> None:
    assert parse_digits(text, scaled=scaled) == value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\u00b2", id="superscript-two"),
        pytest.param("4\u00b2", id="digit-then-superscript"),
        pytest.param("\u2460", id="circled-one"),
    ],
)
def test_parse_digits_rejects_non_decimal_digits(text: str) -> None:
    assert parse_digits(text) is None


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param(f"{MAX_COUNT:,}", MAX_COUNT, id="max-count-digits"),
        pytest.param(f"{MAX_COUNT + 1:,}", None, id="max-count-plus-one"),
        pytest.param("9 billion", MAX_COUNT, id="max-count-scaled"),
        pytest.param("9.5 billion", None, id="above-max-scaled"),
        pytest.param("ten billion", None, id="above-max-words"),
        pytest.param("a billion billion", None, id="above-max-stacked-scales"),
        pytest.param("999,999,999,999 billion", None, id="beyond-int64-scaled"),
    ],
)
def test_max_count_boundary(text: str, value: int | None) -> None:
    assert parse_number(text, LEXICON) == value


# --------------------------------------------------------------------------- properties

# Decimal digits of other scripts and non-decimal digits (superscripts, circled) are in the mix.
_DIGIT_LIKE = st.sampled_from("0123456789.,  \u00a0\u2009\u202f\u0663\u00b2\u2460")
_CHARS = _DIGIT_LIKE | st.characters()

# Token soup that reaches the interesting branches: scales, ranges, qualifiers, huge values.
_NUMBERISH = [
    "9", "47", "1,700", "9,999,999,999", "8.999.999.999", "2,50,000", "1.5", "0.5", "0", "2023",
    "9000000000", "9000000001", "billion", "million", "thousand", "hundred", "lakh", "crore", "bn", "m", "k",
    "nine", "ninety", "twelve", "one", "a", "and", "-", "\u2013", "dozen", "dozens", "half", "thousands",
    "of", "between", "to", "or", "at least", "or more", "up to", "nearly", "+", "people", "killed",
    "years", "3-1", "1/2", ",", ".", "12:30", "(", ")",
]  # fmt: skip
_SOUP = st.lists(st.sampled_from(_NUMBERISH), max_size=10).map(" ".join)
_GLUED = st.lists(st.sampled_from(_NUMBERISH) | st.text(_CHARS, max_size=3), max_size=8).map("".join)


@PROPERTY
@given(st.text(_CHARS) | _GLUED, st.booleans())
def test_parse_digits_never_raises(text: str, scaled: bool) -> None:
    value = parse_digits(text, scaled=scaled)
    assert value is None or isinstance(value, float)


@PROPERTY
@given(st.text() | _SOUP | _GLUED)
def test_parse_number_never_raises(text: str) -> None:
    value = parse_number(text, LEXICON)
    assert value is None or isinstance(value, int)


@PROPERTY
@given(st.integers(min_value=1, max_value=MAX_COUNT))
def test_comma_grouped_round_trip(n: int) -> None:
    assert parse_number(f"{n:,}", LEXICON) == n


@PROPERTY
@given(st.integers(min_value=1, max_value=MAX_COUNT))
def test_plain_digits_round_trip(n: int) -> None:
    assert parse_number(str(n), LEXICON) == n


@PROPERTY
@given(
    st.integers(min_value=1_000, max_value=MAX_COUNT),
    st.sampled_from([".", " ", "\u00a0", "\u2009", "\u202f"]),
)
def test_other_thousands_separators_round_trip(n: int, separator: str) -> None:
    assert parse_number(f"{n:,}".replace(",", separator), LEXICON) == n


@PROPERTY
@given(_SOUP | _GLUED)
def test_parse_number_never_exceeds_max_count(text: str) -> None:
    value = parse_number(text, LEXICON)
    assert value is None or 0 <= value <= MAX_COUNT < INT64_MAX


@PROPERTY
@given(st.text() | _SOUP | _GLUED)
def test_find_quantities_never_raises(text: str) -> None:
    find_quantities(tokenize(text), LEXICON)


@PROPERTY
@example("9000000001 to 0 billion")  # -> Quantity(value=9000000001): above MAX_COUNT
@given(_SOUP | _GLUED)
def test_quantities_stay_within_max_count(text: str) -> None:
    for quantity in find_quantities(tokenize(text), LEXICON):
        for bound in (quantity.value, quantity.lower, quantity.upper):
            assert bound is None or 0 <= bound <= MAX_COUNT


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        pytest.param("1.2 and 1.5 million", 1, id="coordinated-shared-scale"),
        pytest.param("2.5 to 1 million", 2, id="descending-range"),
    ],
)
def test_bare_decimal_outside_a_range_is_not_a_count(text: str, truncated: int) -> None:
    assert truncated not in [q.value for q in find_quantities(tokenize(text), LEXICON)]
