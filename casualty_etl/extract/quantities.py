"""Stage 3: read every quantity of a sentence: number, qualifier, range, and what it is not.

Input: the tokens of one sentence and the lexicon. Output: :class:`Quantity` records (token
ranges with value, bounds, qualifier and the ids of the number rules that fired), left to
right, never overlapping. Numbers that count something other than people (years, dates,
times, ages, money, units, object counts) are dropped here, so later stages never see them.

Digit separators are resolved by context: a ``,`` or ``.`` followed by groups of exactly
three digits separates thousands ("1,700", "450.000"); otherwise, and only before a scale
word, it is a decimal point ("1.5 million", "3,5 million"). A decimal without a scale is
not a count of people and is dropped.

Deliberately not here: deciding what the quantity counts (see ``linking``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from casualty_etl.lexicon import DEFAULT_DIGIT_FORMAT, DigitFormat, Lexicon
from casualty_etl.model import Qualifier
from casualty_etl.tokens import Kind, Token

#: Largest count accepted; anything above is not a number of people (about the world population).
MAX_COUNT = 9_000_000_000


@dataclass(frozen=True, slots=True)
class Numeral:
    value: int
    end: int  # token index after the numeral
    vague_word: str | None
    rule_id: str
    weak: bool = False  # "one", "both": a pronoun unless a cue or person noun follows closely
    scale: int = 1  # the scale word or abbreviation written after digits ("million" in "1.5 million")
    decimal: float = 0.0  # the value before scaling, for a range sharing a scale word ("1.2 and 1.5 million")
    qualifier: Qualifier | None = None  # carried by the number itself ("une centaine": about 100)


@dataclass(frozen=True, slots=True)
class Quantity:
    start: int  # first token (qualifier included)
    end: int  # token after the last
    value: int
    lower: int | None
    upper: int | None
    qualifier: Qualifier
    vague_word: str | None
    weak: bool
    rule_ids: tuple[str, ...]


@functools.lru_cache(maxsize=4096)  # a pure function of short strings that recur ("1,000", "2,500")
def parse_digits(
    text: str, scaled: bool = False, digit_format: DigitFormat = DEFAULT_DIGIT_FORMAT
) -> float | None:
    """Read a digit group with separators; None when the separators make no sense.

    ``scaled`` says a scale word follows, which lets a single separator be a decimal point.
    ``digit_format`` (the lexicon's ``numbers.digit_format``) says which characters may separate
    thousands and which may be a decimal point; a character in both is resolved by context.
    Never raises, whatever ``text`` is.
    """
    if text.isdecimal():  # the common case: no separators at all
        return float(int(text)) if len(text) <= 13 else None
    thousands_marks, decimal_marks = digit_format.thousands, digit_format.decimal
    if any(ch.isspace() and ch not in thousands_marks for ch in text):
        return None
    digits = "".join(ch for ch in text if not ch.isspace())
    marks = thousands_marks | decimal_marks
    if not digits or not all(ch.isdecimal() or ch in marks for ch in digits) or not digits[0].isdecimal():
        return None
    if not digits[-1].isdecimal():
        return None
    seps = [ch for ch in digits if not ch.isdecimal()]
    if not seps:
        return float(int(digits)) if len(digits) <= 13 else None
    groups = "".join("." if ch in marks else ch for ch in digits).split(".")
    if any(not g.isdigit() for g in groups):
        return None
    if len(set(seps)) == 2:
        # "1,234.5" or "1.234,5": the last separator is the decimal point.
        decimal_sep = seps[-1]
        if seps.count(decimal_sep) != 1 or decimal_sep not in decimal_marks:
            return None
        if seps[0] not in thousands_marks:
            return None
        head, tail = digits.rsplit(decimal_sep, 1)
        head_groups = "".join("." if ch in marks else ch for ch in head).split(".")
        if not (1 <= len(head_groups[0]) <= 3 and all(len(g) == 3 for g in head_groups[1:])):
            return None
        return float("".join(head_groups) + "." + tail) if len(head) <= 17 else None
    if len(set(seps)) > 2:
        return None
    sep = seps[0]
    thousands = sep in thousands_marks and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    # South Asian grouping: "2,50,000" (lakh), "1,20,00,000" (crore).
    indian = (
        sep == ","
        and sep in thousands_marks
        and len(groups) >= 3
        and 1 <= len(groups[0]) <= 2
        and all(len(g) == 2 for g in groups[1:-1])
        and len(groups[-1]) == 3
    )
    if indian:
        return float("".join(groups)) if len("".join(groups)) <= 13 else None
    if len(groups) == 2 and sep in decimal_marks and (scaled or not thousands):
        value = float(groups[0] + "." + groups[1])
        return value if len(groups[0]) <= 13 else None
    if thousands:
        return float("".join(groups)) if len("".join(groups)) <= 13 else None
    return None


def parse_number(text: str, lexicon: Lexicon) -> int | None:
    """Read a whole string as one number ("1,700", "two hundred and fifty", "1.2 million"); None otherwise."""
    from casualty_etl.tokens import tokenize

    tokens = tokenize(text, elisions=lexicon.elisions)
    if not tokens:
        return None
    numeral = read_numeral(tokens, [t.low for t in tokens], 0, lexicon)
    if numeral is None or numeral.end != len(tokens):
        return None
    return numeral.value


def read_numeral(tokens: tuple[Token, ...], lows: list[str], i: int, lexicon: Lexicon) -> Numeral | None:
    """The number written at token ``i`` (digits, words, fixed phrases or vague plurals), if any."""
    words = lexicon.numbers
    n = len(tokens)
    tok = tokens[i]
    if tok.kind is Kind.DIGITS:
        return _read_digits(tokens, lows, i, lexicon)
    if tok.kind is not Kind.WORD:
        return None
    vague = words.vague.match(lows, i)
    if vague:
        length, value = vague
        return Numeral(value, i + length, " ".join(t.text for t in tokens[i : i + length]), "number.vague")
    fixed = words.fixed.match(lows, i)
    if fixed:
        length, value = fixed
        end = i + length
        key = tuple(lows[i:end])
        # "half a million", "a dozen" may themselves be scaled or multiplied no further.
        return Numeral(
            value,
            end,
            None,
            "number.fixed",
            weak=key in words.weak_words,
            qualifier=words.fixed_qualifiers.get(key) if words.fixed_qualifiers else None,
        )
    if lows[i] in words.not_initial and not (
        i + 1 < n and (lows[i + 1] in words.scales or lows[i + 1] in words.dozen)
    ):
        return None  # "un", "una": an article, unless a scale follows ("un millón")
    # Spelled numbers: "twenty-three", "two hundred and fifty", "a hundred", "two dozen", "1 million".
    total = 0
    current = 0
    largest_scale = 1
    last: str | None = None  # "unit", "tens", "scale"
    j = i
    if (
        lows[i] in words.indefinite_one
        and i + 1 < n
        and (lows[i + 1] in words.scales or lows[i + 1] in words.dozen)
    ):
        current = 1
        last = "unit"
        j = i + 1
    teens_ok = False  # the last tens word takes "dix", "onze" ... after it ("soixante-dix")
    good_end = i  # token after the last number word read (a joiner may not end the number)
    compounds = words.compounds
    while j < n:
        w = lows[j]
        compound = compounds.match(lows, j) if w in compounds.first_words else None
        if compound is not None:
            length, (kind, part) = compound
            if kind == "tens" and last in (None, "scale", "hundreds"):
                current += part
                last = "tens"
                teens_ok = tuple(lows[j : j + length]) in words.tens_with_teens
            elif kind == "unit" and (
                last in (None, "scale", "hundreds") or (last == "tens" and part < (20 if teens_ok else 10))
            ):
                current += part
                last = "unit"
            else:
                break
            j += length
            good_end = j
            continue
        if w in words.tens and (
            last in (None, "scale", "hundreds") or (last == "tens" and teens_ok and words.tens[w] == 10)
        ):
            current += words.tens[w]
            teens_ok = last is None or last != "tens"
            teens_ok = teens_ok and (w,) in words.tens_with_teens
            last = "tens"
        elif w in words.units and (
            last in (None, "scale", "hundreds")
            or (last == "tens" and words.units[w] < (20 if teens_ok else 10))
        ):
            current += words.units[w]
            last = "unit"
        elif w in words.hundreds and last in (None, "scale") and current == 0:
            current += words.hundreds[w]
            last = "hundreds"
        elif w in words.scales and (
            last in ("unit", "tens", "scale", "hundreds") or (last is None and w in words.bare_scales)
        ):
            scale = words.scales[w]
            largest_scale = max(largest_scale, scale)
            if scale >= 1000 and current == 0 and total and last == "scale":
                total *= scale  # "one thousand million"
            elif scale >= 1000:
                total += max(current, 1) * scale
                current = 0
            else:
                current = max(current, 1) * scale
            last = "scale"
        elif w in words.dozen and last in ("unit", "tens"):
            current *= 12
            last = "scale"
        elif w == "-" and last == "tens" and j + 1 < n and lows[j + 1] in words.units:
            pass
        elif (
            w in words.word_joiners
            and last == "scale"
            and j + 1 < n
            and (lows[j + 1] in words.units or lows[j + 1] in words.tens)
        ):
            pass
        elif (w in words.tens_joiners and last == "tens") or (w == "-" and words.hyphenated_parts and last):
            j += 1  # "vingt et un", "treinta y cinco", "deux-cent-vingt": read on; a joiner never ends it
            continue
        else:
            break
        j += 1
        good_end = j
    if words.tens_joiners or words.hyphenated_parts:
        j = good_end
    if last is None:
        return None
    value = total + current
    weak = j == i + 1 and (lows[i],) in words.weak_words
    if value > MAX_COUNT:
        return None
    return Numeral(value, j, None, "number.words", weak=weak, scale=largest_scale if j > i + 1 else 1)


def _read_digits(tokens: tuple[Token, ...], lows: list[str], i: int, lexicon: Lexicon) -> Numeral | None:
    words = lexicon.numbers
    n = len(tokens)
    scale = 1
    end = i + 1
    rule = "number.digits"
    if end < n:
        nxt = tokens[end]
        if lows[end] in words.scales:
            scale = words.scales[lows[end]]
            end += 1
            rule = "number.digits_scale"
        elif lows[end] in words.scale_abbreviations and (nxt.start == tokens[i].end or len(lows[end]) > 1):
            scale = words.scale_abbreviations[lows[end]]
            end += 1
            rule = "number.digits_abbreviated_scale"
    value = parse_digits(tokens[i].text, scale > 1, words.digit_format)
    if value is None:
        return None
    if scale == 1 and not _is_integer_text(tokens[i].text, value, words.digit_format):
        return None  # "7.0", "3.5": a decimal without a scale word counts no people
    total = round(value * scale, 6)  # 2.3 lakh is 230,000, not 229,999.99...
    if total != int(total) or total > MAX_COUNT:
        return None
    return Numeral(int(total), end, None, rule, scale=scale, decimal=value)


def _is_integer_text(text: str, value: float, digit_format: DigitFormat) -> bool:
    """True unless the digits carry a decimal part ("7.0", "3,5"), thousands groups aside."""
    return (
        value == int(value)
        and parse_digits(text, False, digit_format) == value
        and not _decimal_written(text, digit_format)
    )


def _decimal_written(text: str, digit_format: DigitFormat) -> bool:
    marks = digit_format.thousands | digit_format.decimal
    groups = "".join("." if ch in marks and not ch.isspace() else ch for ch in text).split(".")
    return len(groups) == 2 and len(groups[1]) != 3


def _bare_decimal_before_scaled_range(
    tokens: tuple[Token, ...], lows: list[str], i: int, lexicon: Lexicon
) -> Numeral | None:
    """The "1.2" of "between 1.2 and 1.5 million": valid only as the first end of a scaled range."""
    value = parse_digits(tokens[i].text, True, lexicon.numbers.digit_format)
    if (
        value is None
        or value == int(value)
        or i + 2 >= len(tokens)
        or lows[i + 1] not in lexicon.range_joiners
    ):
        return None
    second = read_numeral(tokens, lows, i + 2, lexicon)
    if second is None or second.scale == 1:
        return None
    return Numeral(int(value), i + 1, None, "number.digits", scale=1, decimal=value)


def bounds_of(qualifier: Qualifier, value: int) -> tuple[int | None, int | None]:
    if qualifier is Qualifier.EXACT:
        return value, value
    if qualifier in (Qualifier.AT_LEAST, Qualifier.MORE_THAN, Qualifier.VAGUE):
        return value, None
    if qualifier in (Qualifier.NEARLY, Qualifier.UP_TO, Qualifier.LESS_THAN):
        return None, value
    return None, None


def find_quantities(
    tokens: tuple[Token, ...], lexicon: Lexicon, lows: list[str] | None = None
) -> list[Quantity]:
    """All people-like quantities of a sentence, left to right, without overlaps. ``lows`` are the
    tokens' lower-cased texts, when the caller has them already."""
    if lows is None:
        lows = [t.low for t in tokens]
    digits = Kind.DIGITS
    found: list[Quantity] = []
    i = 0
    n = len(tokens)
    starts = lexicon.quantity_starts
    repeats = lexicon.numbers.repeat_previous.first_words  # "autant de blessés"
    numerals = lexicon.numeral_starts
    range_open = lexicon.range_open
    qualifiers = lexicon.qualifiers_before
    while i < n:
        if tokens[i].kind is not digits and lows[i] not in starts and lows[i] not in repeats:
            i += 1
            continue
        if tokens[i].kind is digits and _continues_a_number(tokens, i):
            i += 1  # "12:00 - Six died": the "00" of a clock time never opens a range
            continue
        repeated = _repeated_quantity(tokens, lows, i, found, lexicon) if found else None
        if repeated is not None:
            found.append(repeated)
            i = repeated.end
            continue
        if (
            tokens[i].kind is not digits
            and lows[i] not in numerals
            and lows[i] not in range_open
            and qualifiers.match(lows, i) is None
        ):
            i += 1  # "in", "at", "more" opening no qualifier here: no numeral can start at i
            continue
        quantity = _read_quantity(tokens, lows, i, lexicon)
        if quantity is None:
            i += 1
            continue
        if _counts_people(tokens, lows, quantity, lexicon):
            found.append(quantity)
        i = quantity.end
    return found


#: Marks that join digits into one written value when glued on both sides: a clock time, a fraction.
_GLUED_NUMBER_MARKS = (":", "/")


def _continues_a_number(tokens: tuple[Token, ...], i: int) -> bool:
    """Token ``i`` (digits) is glued after a mark glued after digits: the second part of "12:00", "3/4"."""
    if i < 2:
        return False
    mark, before = tokens[i - 1], tokens[i - 2]
    return (
        mark.text in _GLUED_NUMBER_MARKS
        and before.kind is Kind.DIGITS
        and before.end == mark.start
        and mark.end == tokens[i].start
    )


def _repeated_quantity(
    tokens: tuple[Token, ...], lows: list[str], i: int, found: list[Quantity], lexicon: Lexicon
) -> Quantity | None:
    """ "Six were killed and as many injured": a phrase that repeats the number before it, when a
    cue, a person noun, an auxiliary or a place preposition follows ("as many were hurt", "3,000
    in Lira and as many in Amsa"; not "as many as 40")."""
    hit = lexicon.numbers.repeat_previous.match(lows, i)
    if hit is None:
        return None
    end = i + hit[0]
    if end >= len(tokens) or not (
        lexicon.cues.match(lows, end) is not None
        or lexicon.victims.match(lows, end) is not None
        or lows[end] in lexicon.linking.auxiliaries
        or lows[end] in lexicon.linking.list_part_followers
    ):
        return None
    before = found[-1]
    rules = ("number.repeated",)
    return Quantity(i, end, before.value, before.lower, before.upper, before.qualifier, None, False, rules)


def _read_quantity(tokens: tuple[Token, ...], lows: list[str], i: int, lexicon: Lexicon) -> Quantity | None:
    n = len(tokens)
    rules: list[str] = []
    qualifier: Qualifier | None = None
    j = i
    hit = lexicon.qualifiers_before.match(lows, j)
    if hit and j + hit[0] < n:
        qualifier = hit[1]
        j += hit[0]
        rules.append(f"qualifier.{qualifier.value}")
    opened = j < n and lows[j] in lexicon.range_open
    if opened:
        j += 1
    first = read_numeral(tokens, lows, j, lexicon) if j < n else None
    if first is None and j < n and tokens[j].kind is Kind.DIGITS:
        first = _bare_decimal_before_scaled_range(tokens, lows, j, lexicon)
    if first is None:
        return None
    rules.append(first.rule_id)
    end = first.end
    value, vague_word, weak = first.value, first.vague_word, first.weak
    own_qualifier = first.qualifier
    if first.decimal == 0.0:
        first = Numeral(
            first.value,
            first.end,
            first.vague_word,
            first.rule_id,
            first.weak,
            first.scale,
            float(first.value),
        )
    lower: int | None
    upper: int | None
    if (
        end + 1 < n
        and lows[end] in lexicon.range_joiners
        and lexicon.range_blockers.first_words
        and lexicon.range_blockers.match_ending(lows, i) is not None
    ):
        # "le bilan est passé de 12 à 25 morts": a change; the count is the second number
        second = read_numeral(tokens, lows, end + 1, lexicon)
        if second is not None and second.vague_word is None and first.vague_word is None:
            rules.append("number.changed_to")
            v = second.value
            return Quantity(i, second.end, v, v, v, Qualifier.EXACT, None, False, tuple(rules))
    # A range: "10-15", "10 to 15", "between 10 and 15" (not "October 2023 to 3,289": a date ends there).
    if (
        end + 1 < n
        and not (j > 0 and lows[j - 1] in lexicon.date_words)
        and lows[end] in lexicon.range_joiners
        and (lows[end] not in lexicon.range_joiners_after_open or opened)
        and (lows[end] not in ("-", "\u2013") or tokens[end + 1].start - tokens[end].end <= 1)
    ):
        second = read_numeral(tokens, lows, end + 1, lexicon)
        if second is not None and second.vague_word is None and first.vague_word is None:
            low, high = first.value, second.value
            if first.scale == 1 and second.scale > 1 and low < second.scale:
                low = round(first.decimal * second.scale)  # "1-2 million": the scale belongs to both ends
            if low < high:
                rules.append("range")
                return Quantity(i, second.end, low, low, high, Qualifier.RANGE, None, False, tuple(rules))
    if opened or (first.scale == 1 and first.decimal != int(first.decimal)):
        return None  # an unclosed "between", or a decimal that only a scaled range could carry
    if (
        end + 1 < n
        and lows[end] in ("-", "\u2013")
        and tokens[end + 1].kind is Kind.DIGITS
        and tokens[end + 1].start == tokens[end].end
    ):
        return None  # "3-1": a score or a fraction, not a count
    restated = lexicon.numbers.restated_digits
    if (
        restated is not None
        and end + 2 < n
        and lows[end] == restated[0]
        and lows[end + 2] == restated[1]
        and tokens[end + 1].kind is Kind.DIGITS
        and tokens[j].kind is Kind.WORD
        and parse_digits(tokens[end + 1].text, digit_format=lexicon.numbers.digit_format) == value
    ):
        end += 3  # "nineteen (19) persons": the digits repeat the spelled number; one quantity
    after = lexicon.qualifiers_after.match(lows, end) if end < n else None
    if after and qualifier is None and first.vague_word is None:
        qualifier = after[1]
        rules.append(f"qualifier.after.{qualifier.value}")
        end += after[0]
    elif qualifier is None and first.vague_word is None and lexicon.qualifiers_after_noun and end < n:
        # "200 morts environ", "20 personas o más": the qualifier follows the counted noun or cue
        noun = lexicon.victims.match(lows, end) or lexicon.cues.match(lows, end)
        p = end + noun[0] if noun else n
        late = lexicon.qualifiers_after.match(lows, p) if p < n else None
        if late is not None and (
            any(_opens_quantity(tokens, lows, x, lexicon) for x in range(p, p + late[0]))
            or (p + late[0] < n and tokens[p + late[0]].kind is Kind.DIGITS)
        ):
            late = None  # "1.419 morts et plus de 6.900 blessés": the next number's qualifier
        if late is not None:
            qualifier = late[1]
            rules.append(f"qualifier.after_noun.{qualifier.value}")
    if qualifier is None and own_qualifier is not None:
        qualifier = own_qualifier  # "une centaine de blessés": about 100
    if qualifier is None:
        qualifier = Qualifier.VAGUE if vague_word else Qualifier.EXACT
    lower, upper = bounds_of(qualifier, value)
    return Quantity(
        i,
        end,
        value,
        lower,
        upper,
        qualifier,
        vague_word,
        weak and qualifier is Qualifier.EXACT,
        tuple(rules),
    )


def _opens_quantity(tokens: tuple[Token, ...], lows: list[str], x: int, lexicon: Lexicon) -> bool:
    """A qualifier written before a number starts at token ``x`` ("plus de 6.900")."""
    hit = lexicon.qualifiers_before.match(lows, x)
    if hit is None or x + hit[0] >= len(tokens):
        return False
    after = x + hit[0]
    return tokens[after].kind is Kind.DIGITS or read_numeral(tokens, lows, after, lexicon) is not None


def _counts_objects(tokens: tuple[Token, ...], lows: list[str], j: int, lexicon: Lexicon) -> bool:
    """An object noun right after the number, or after a few modifiers ("20 Grad rockets",
    "12 AK-47 rifles")."""
    partitive = lexicon.linking.partitive.match(lows, j)
    if partitive is not None:  # "thousands of trees"
        j += partitive[0]
    for k in range(j, min(len(tokens), j + 4)):
        hit = lexicon.objects_after.match(lows, k)
        if hit and not lexicon.victims.match(lows, k + hit[0]):  # "farm workers" are people
            return True
        tok = tokens[k]
        if (
            (tok.kind is Kind.PUNCT and tok.text not in "-\u2013")
            or lexicon.victims.match(lows, k)
            or lexicon.cues.match(lows, k)
            or lows[k] in lexicon.linking.auxiliaries
            or lows[k] in lexicon.linking.prepositions
            or lows[k] in lexicon.linking.clause_breaks
        ):
            return False
    return False


#: Largest number read as an age when set off by commas after a name ("Bana, 7, who ...").
MAX_AGE = 120


def _is_apposed_age(tokens: tuple[Token, ...], lows: list[str], q: Quantity, lexicon: Lexicon) -> bool:
    """A small number between commas right after a name or a person noun is an age, not a count
    ("Bana, 7, who ...", "the grandmother, 61, was ...")."""
    if q.start < 2 or q.end >= len(tokens) or q.value > MAX_AGE:
        return False
    before = tokens[q.start - 2]
    named = before.kind is Kind.WORD and (
        before.text[:1].isupper() or lexicon.victims.match_ending(lows, q.start - 1) is not None
    )
    return tokens[q.start - 1].text == "," and tokens[q.end].text == "," and named


def _counts_people(tokens: tuple[Token, ...], lows: list[str], q: Quantity, lexicon: Lexicon) -> bool:
    """False when the context shows the quantity counts years, money, units, objects or is a date."""
    n = len(tokens)
    words = lexicon.numbers
    first = tokens[q.start]
    before = lows[q.start - 1] if q.start > 0 else ""
    before2 = lows[q.start - 2] if q.start > 1 else ""
    if before in lexicon.not_people_before or before in lexicon.date_words:
        return False
    if (
        before in words.pronoun_before
        or before in words.indefinite_before
        or before2 in words.indefinite_before
    ):
        return False
    if q.value == 0 or (q.weak and before in words.weak_pronoun_before):
        return False
    if first.kind is Kind.DIGITS and first.text[:1] == "0" and first.text[1:2].isdigit():
        return False  # "0800 123 456", "0930": a phone number, a code or a clock time, never a count
    if q.start > 0:
        prev = tokens[q.start - 1]
        # "G20", "F-16", "-5": glued to a word or a minus sign (a preposition that lost its space,
        # "with14,593 households", is no model name).
        prepositions = lexicon.linking.prepositions
        glued_word = prev.kind is Kind.WORD and first.kind is Kind.DIGITS and before not in prepositions
        signed = first.kind is Kind.DIGITS and prev.text in "-\u2212+#/:."  # not "-Al menos 11" (a dash)
        if prev.end == first.start and (glued_word or signed):
            return False
    if q.end < n:
        nxt = lows[q.end]
        if nxt in lexicon.units_after or nxt in lexicon.date_words:
            return False
        if lexicon.dotted_units_after.match(lows, q.end) is not None:
            return False  # "5 p.m."
        if nxt in lexicon.date_joiners and q.end + 1 < n and lows[q.end + 1] in lexicon.date_words:
            return False  # "19 de septiembre"
        if nxt in ("-", "\u2013") and q.end + 1 < n and lows[q.end + 1] in lexicon.units_after:
            return False
        if (
            q.end + 2 < n
            and tokens[q.end + 1].kind is Kind.DIGITS
            and lows[q.end + 2] in lexicon.units_after
            and lexicon.linking.coordinators.match(lows, q.end) is not None
        ):
            return False  # "de 15 et 16 ans": the unit of the number after counts this one too
        if nxt in (":", "/", ".") and q.end + 1 < n and tokens[q.end + 1].kind is Kind.DIGITS:
            return False  # clock times, fractions, dates written 3/4
        if _counts_objects(tokens, lows, q.end, lexicon):
            return False
    if _is_apposed_age(tokens, lows, q, lexicon):
        return False
    if (
        q.end < n
        and tokens[q.end].start == tokens[q.end - 1].end
        and lows[q.end] in lexicon.numbers.decade_suffixes
    ):
        return False  # "in his 50s", "the 1990s"
    ratio_after = lexicon.not_people_ratio.match(lows, q.end) if q.end + 1 < n else None
    if ratio_after is not None and q.end + ratio_after[0] < n:
        denominator = q.end + ratio_after[0]
        if (
            (
                lows[denominator] in lexicon.quantity_starts
                and read_numeral(tokens, lows, denominator, lexicon) is not None  # not "two in a house"
            )
            or _is_ratio_denominator(lows, denominator, lexicon)
        ) and not any(  # "6,000 in three collective centres": a count of places, no ratio
            lexicon.objects_after.match(lows, m) is not None
            for m in range(denominator + 1, min(n, denominator + 3))
        ):
            return False  # "one in seven", "seis de cada diez", "six in 10"
    ratio = lexicon.not_people_ratio.match_ending(lows, q.start)
    if ratio is not None and q.start - ratio[0] > 0:
        numerator = lows[q.start - ratio[0] - 1]
        if numerator in lexicon.quantity_starts or (
            tokens[q.start - ratio[0] - 1].kind is Kind.DIGITS
            and _is_ratio_denominator(lows, q.start, lexicon)
        ):
            return False  # the "seven" of "one in seven", the "10" of "6 in 10"
    # "ages 4 and 7": the second number of a list opened by an age or money word
    coordinator = lexicon.linking.coordinators.match_ending(lows, q.start)
    if coordinator is not None:
        k = q.start - coordinator[0]
        if k > 1 and tokens[k - 1].kind is Kind.DIGITS and lows[k - 2] in lexicon.not_people_before:
            return False
    lo, hi = lexicon.year_range
    text = tokens[q.end - 1].text
    if (
        q.end - q.start == 1
        and first.kind is Kind.DIGITS
        and text.isdigit()
        and len(text) == 4
        and lo <= int(text) <= hi
    ):
        return q.end < n and lexicon.victims.match(lows, q.end) is not None
    return True


def _is_ratio_denominator(lows: list[str], k: int, lexicon: Lexicon) -> bool:
    """ "six in 10 families": digits after a ratio word that are a round denominator
    (``not_people.ratio_denominators``) and count neither objects nor time ("5 in 10 villages",
    "8 in 10 days")."""
    if lows[k] not in lexicon.ratio_denominators:
        return False
    return k + 1 >= len(lows) or (
        lows[k + 1] not in lexicon.units_after and lexicon.objects_after.match(lows, k + 1) is None
    )
