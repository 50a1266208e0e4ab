"""Load, validate and compile a language lexicon (``<lang>.yaml`` beside this file).

Input: a language code. Output: a frozen :class:`Lexicon` whose phrase tables are ready for
token-level longest-match look-ups, plus linear-time prefilter regexes. The YAML is read
once per process (cached); any unknown key, duplicate rule id, ambiguous phrase or value
outside the closed sets raises :class:`LexiconError` at start-up rather than mid-run.

Deliberately not here: matching against text (see ``casualty_etl.extract``). To add a
language, write ``<lang>.yaml`` with the same keys and a test corpus under
``tests/corpus/<lang>/``; no code changes.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import yaml

from casualty_etl.model import Category, Qualifier, Scope, Status, Subtype
from casualty_etl.tokens import phrase_key

T = TypeVar("T")

#: libyaml's loader when PyYAML was built with it (the wheels are): the lexicon parses in about a
#: tenth of the time of the pure-Python loader, which is most of a short run's start-up.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(raw: str) -> Any:
    return yaml.load(raw, Loader=_YAML_LOADER)


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the key at fault."""


class Attach:
    """Where a cue's number stands (values of the YAML ``attach`` list)."""

    AFTER = "after"
    BEFORE = "before"
    TOLL = "toll"
    ALL = frozenset({AFTER, BEFORE, TOLL})


@dataclass(frozen=True, slots=True)
class CueRule:
    rule_id: str
    category: Category
    attach: frozenset[str]
    active: bool = False  # a verb that may take an object: "gunmen killed ten"
    yields: bool = False  # a weak cue that gives way to a verb cue after it: "12 refugees were killed"
    subtype: Subtype | None = None
    priority: int = 0  # beats closer cues of lower priority ("shot three people to death")
    status: Status | None = None  # the cue itself marks a status ("feared missing")
    part: bool = False  # names a part of a figure given before ("among the dead were 12 women")


_PAYLOAD = ""  # trie key of a node's payload: no token is the empty string


class PhraseTable(Generic[T]):
    """Token-sequence phrases with a payload, looked up by longest match at a position.

    Phrases are stored in two word tries (one read forwards, one backwards), so a look-up costs
    one dictionary access per token it reads, however many phrases share a first word.
    """

    def __init__(self, entries: Iterable[tuple[tuple[str, ...], T]]) -> None:
        self._entries: dict[tuple[str, ...], T] = {}
        for key, payload in entries:
            self._entries.setdefault(key, payload)
        self._forward: dict[str, Any] = {}
        self._backward: dict[str, Any] = {}
        for key, payload in self._entries.items():
            self._insert(self._forward, key, payload)
            self._insert(self._backward, key[::-1], payload)
        self.first_words = frozenset(self._forward)

    @classmethod
    def _insert(cls, trie: dict[str, Any], words: tuple[str, ...], payload: T) -> None:
        node = trie
        for word in words:
            node = node.setdefault(word, {})
        node[_PAYLOAD] = payload

    def match(self, lows: list[str], i: int) -> tuple[int, T] | None:
        """Longest phrase starting at token ``i``: (length in tokens, payload), or None."""
        n = len(lows)
        if i >= n:
            return None
        node = self._forward.get(lows[i])
        best = None
        j = i + 1
        while node is not None:
            if _PAYLOAD in node:
                best = (j - i, node[_PAYLOAD])
            if j >= n:
                break
            node = node.get(lows[j])
            j += 1
        return best

    def match_ending(self, lows: list[str], end: int) -> tuple[int, T] | None:
        """Longest phrase ending just before token ``end`` (at most six tokens long)."""
        stop = max(0, end - 6)
        if end <= stop:
            return None
        node = self._backward.get(lows[end - 1])
        best = None
        j = end - 1
        while node is not None:
            if _PAYLOAD in node:
                best = (end - j, node[_PAYLOAD])
            if j <= stop:
                break
            j -= 1
            node = node.get(lows[j])
        return best

    def scan(self, lows: list[str]) -> list[tuple[int, int, T]]:
        """Every phrase of the table in ``lows``, left to right, longest first, without overlaps:
        (start, end, payload). Positions whose word starts no phrase are skipped at C speed."""
        found: list[tuple[int, int, T]] = []
        first = self.first_words
        if first.isdisjoint(lows):  # most tables have no word in most sentences: one C-level check
            return found
        end = 0
        for i in [i for i, word in enumerate(lows) if word in first]:
            if i < end:
                continue
            hit = self.match(lows, i)
            if hit is not None:
                end = i + hit[0]
                found.append((i, end, hit[1]))
        return found

    def entries(self) -> Iterable[tuple[tuple[str, ...], T]]:
        """Every (token sequence, payload) of the table."""
        return self._entries.items()


@dataclass(frozen=True, slots=True)
class DigitFormat:
    """Which characters separate thousands and which mark decimals in written digits
    (``numbers.digit_format``). A character in both sets is resolved by context: groups of
    exactly three digits are thousands, unless a scale word follows ("1.5 million")."""

    thousands: frozenset[str]
    decimal: frozenset[str]


#: Spaces that may separate thousands ("80 000"; the tokenizer keeps such groups in one token).
_SPACES = (" ", "\u00a0", "\u2009", "\u202f")
#: The default digit format: both "," and "." either way, resolved by context ("1,700", "450.000", "1.5").
DEFAULT_DIGIT_FORMAT = DigitFormat(frozenset((",", ".", *_SPACES)), frozenset((".", ",")))


@dataclass(frozen=True, slots=True)
class NumberWords:
    units: Mapping[str, int]
    tens: Mapping[str, int]
    scales: Mapping[str, int]
    scale_abbreviations: Mapping[str, int]
    word_joiners: frozenset[str]
    indefinite_one: frozenset[str]
    fixed: PhraseTable[int]
    dozen: frozenset[str]
    vague: PhraseTable[int]
    indefinite_before: frozenset[str]
    pronoun_before: frozenset[str]
    weak_pronoun_before: frozenset[str]
    weak_words: frozenset[tuple[str, ...]]
    decade_suffixes: frozenset[str]
    repeat_previous: PhraseTable[bool]
    # Optional settings (defaults keep a language without them as it was):
    digit_format: DigitFormat = DEFAULT_DIGIT_FORMAT
    # number words of several tokens: "quatre-vingt" is ("tens", 80)
    compounds: PhraseTable[tuple[str, int]] = field(default_factory=lambda: PhraseTable(()))
    tens_with_teens: frozenset[tuple[str, ...]] = frozenset()  # "soixante" takes "dix", "onze" ...
    tens_joiners: frozenset[str] = frozenset()  # "vingt et un", "treinta y cinco"
    hundreds: Mapping[str, int] = field(default_factory=dict)  # "doscientos": 200
    bare_scales: frozenset[str] = frozenset()  # scales that count one on their own ("mil", "mille")
    not_initial: frozenset[str] = frozenset()  # units that never open a number ("un" is also "a")
    hyphenated_parts: bool = False  # "-" may join any two parts ("deux-cent-vingt-et-un")
    # qualifiers carried by fixed phrases: "une centaine" is about 100
    fixed_qualifiers: Mapping[tuple[str, ...], Qualifier] = field(default_factory=dict)
    # the brackets (open, close) in which a spelled number may repeat itself in digits: "nineteen (19)"
    restated_digits: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Linking:
    after_window: int
    relative_pronouns: frozenset[str]
    relative_clause_window: int
    before_window: int
    toll_window: int
    toll_change_before: frozenset[str]
    projection_window: int
    before_fillers: frozenset[str]
    auxiliaries: frozenset[str]
    clause_breaks: frozenset[str]
    object_starts: frozenset[str]
    hard_breaks: frozenset[str]
    breakdown_before: PhraseTable[bool]
    breakdown_after: PhraseTable[bool]
    coordinators: PhraseTable[bool]
    projection_before: PhraseTable[bool]
    negation_before: frozenset[str]
    negation_bridge: frozenset[str]
    prepositions: frozenset[str]
    not_victims_before: PhraseTable[bool]
    earlier_toll_before: PhraseTable[bool]
    cancel_sentence: PhraseTable[bool]
    partitive_openers: PhraseTable[bool]
    partitive: PhraseTable[bool]
    cancel_by_category: Mapping[Category, PhraseTable[bool]]
    cancel_reach: int
    appositive_dashes: frozenset[str]
    toll_references: PhraseTable[bool]
    repeat_cue: PhraseTable[bool]
    list_colons: frozenset[str]
    list_part_followers: frozenset[str]
    respectively: frozenset[str]
    fatal_manner: frozenset[str]
    active_auxiliaries: frozenset[str] = frozenset()  # "ont tué 10": an auxiliary keeping a verb active
    before_phrase_window: int = 0  # "murieron en el accidente 12 personas": a phrase between cue and number
    restatement_opens: frozenset[str] = frozenset()  # "1,210 households (5,730 people)"
    table_separators: frozenset[str] = frozenset()  # "Region | Dead | Injured": cells of a table as text
    table_total_labels: frozenset[str] = frozenset()  # "Total | 17 | 51": the row of the whole
    label_colons: frozenset[str] = frozenset()  # "Personas fallecidas: 14": a label, a colon, the number
    table_row_leaders: tuple[str, ...] = ()  # "Tesh: 38,900", "Kivara ..... 512,300": rows under a heading
    table_heading_joiners: frozenset[str] = frozenset()  # "Deaths by district": what the rows count by
    # "Deaths by district as of 5 p.m.": what follows these words is the list's date
    table_heading_times: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    severity_manner: frozenset[str] = frozenset()  # "12 injured, five seriously": a degree of injury
    # "bringing the total to 48,300": the number is the running total of the figure before it
    running_total_before: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    # "12 members of the same family from ... were killed": a preposition after the counted noun
    # lengthens the reach of the number by ``relative_clause_window``
    subject_prepositions: frozenset[str] = frozenset()
    # "Killed in the attack were three officers": a cue opening the sentence, a copula, the number;
    # "Of the 21 dead, nine were soldiers": a part followed by a copula
    copulas: frozenset[str] = frozenset()
    inverted_openers: frozenset[str] = frozenset()  # "Also killed were ...": words before that cue
    # "the number of people wounded rose to 45": a head, a person noun and a cue make a toll noun
    toll_heads: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    # "bringing to 15 the number of people killed": the number fronted before its toll noun
    fronted_toll_before: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    list_dashes: frozenset[str] = frozenset()  # "killed 12 - eight women and four children"


@dataclass(frozen=True, slots=True)
class MergeWords:
    """Words of ``merge`` (optional section): what tells two equal counts of one text apart."""

    new_fact_before: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    place_prepositions: frozenset[str] = frozenset()
    caption_labels: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))  # "Photo: ..."
    summary_before: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))  # "In all, ..."


@dataclass(frozen=True, slots=True)
class Lexicon:
    language: str
    abbreviations: frozenset[str]
    numbers: NumberWords
    qualifiers_before: PhraseTable[Qualifier]
    qualifiers_after: PhraseTable[Qualifier]
    range_open: frozenset[str]
    range_joiners: frozenset[str]
    range_joiners_after_open: frozenset[str]
    units_after: frozenset[str]
    objects_after: PhraseTable[bool]
    not_people_before: frozenset[str]
    not_people_ratio: PhraseTable[bool]
    ratio_denominators: frozenset[str]  # digits after a ratio word that make "N in 10" a proportion
    date_words: frozenset[str]
    year_range: tuple[int, int]
    cues: PhraseTable[tuple[CueRule, ...]]  # () marks a fixed expression that is not a cue
    cue_rules: tuple[CueRule, ...]
    linking: Linking
    victims: PhraseTable[str]
    generic_victim: str
    households_victim: str
    scope_words: PhraseTable[Scope]
    earlier_event_openers: frozenset[str]
    status_words: PhraseTable[Status]
    first_person: frozenset[str]
    speech_verbs: frozenset[str]
    according_to: PhraseTable[bool]
    attribution_max_tokens: int
    cue_prefilter: re.Pattern[str]  # where a cue phrase may start, to search in lower-cased text
    number_prefilter: re.Pattern[str]
    quantity_starts: frozenset[str]  # words that can open a quantity (number words, qualifiers, ...)
    numeral_starts: frozenset[str]  # words a numeral can start with (digit tokens aside)
    glued_words: re.Pattern[str]  # two words run together ("tendeaths", "weredisplaced"), see _glued_regex
    glued_words_search: re.Pattern[str]  # the same, to search " " + a sentence (see _glued_regex)
    elisions: frozenset[str] = frozenset()  # elided words parted from the next ("d'", "l'"), see tokens
    date_joiners: frozenset[str] = frozenset()  # "19 de septiembre": a word between a day and its month
    qualifiers_after_noun: bool = False  # "200 morts environ": a qualifier after the counted noun
    # "est passé de 12 à 25": written before "X to Y", these make it a change to Y, not a range
    range_blockers: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))
    merge: MergeWords = field(default_factory=MergeWords)  # optional section ``merge``
    # units written with full stops, several tokens ("5 p.m."): the number counts the unit
    dotted_units_after: PhraseTable[bool] = field(default_factory=lambda: PhraseTable(()))


# --------------------------------------------------------------------------- validation helpers

_TOP_KEYS = {
    "language",
    "sentences",
    "numbers",
    "qualifiers",
    "not_people",
    "cues",
    "not_cues",
    "linking",
    "victims",
    "victim_roles",
    "context",
    "glued_words",
    "parts",
    "orthography",
    "merge",
}
_OPTIONAL_TOP_KEYS = {"parts", "orthography", "merge"}


def _require_keys(
    where: str, data: Mapping[str, Any], allowed: set[str], required: set[str] | None = None
) -> None:
    if not isinstance(data, Mapping):
        raise LexiconError(f"{where}: expected a mapping")
    unknown = set(data) - allowed
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}")
    missing = (allowed if required is None else required) - set(data)
    if missing:
        raise LexiconError(f"{where}: missing key(s) {sorted(missing)}")


def _words(where: str, values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
        raise LexiconError(f"{where}: expected a list of phrases")
    booleans = [v for v in values if isinstance(v, bool)]
    if booleans:  # YAML 1.1 reads a bare on, off, yes or no as a boolean: the word is lost
        raise LexiconError(f'{where}: {booleans} read as booleans; quote the words ("on", "no", "off")')
    return [str(v) for v in values]


#: The elisions of the lexicon being parsed: its phrases are tokenised as its texts will be.
_ELISIONS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("elisions", default=frozenset())


def _key(where: str, phrase: str) -> tuple[str, ...]:
    key = phrase_key(phrase, _ELISIONS.get())
    if not key:
        raise LexiconError(f"{where}: phrase {phrase!r} has no tokens")
    return key


def _word_set(where: str, values: Any) -> frozenset[str]:
    """Single-token entries as a set; a multi-token phrase here is an error (use a phrase list)."""
    found = set()
    for phrase in _words(where, values):
        key = _key(where, phrase)
        if len(key) != 1:
            raise LexiconError(
                f"{where}: {phrase!r} is several tokens {key}; only single words are allowed here"
            )
        found.add(key[0])
    return frozenset(found)


def _flag_table(where: str, values: Any) -> PhraseTable[bool]:
    return PhraseTable((_key(where, p), True) for p in _words(where, values))


def _int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LexiconError(f"{where}: expected an integer, got {value!r}")
    return value


def _int_map(where: str, data: Any) -> dict[str, int]:
    if not isinstance(data, Mapping) or not all(isinstance(v, int) and v >= 0 for v in data.values()):
        raise LexiconError(f"{where}: expected a mapping of words to non-negative integers")
    return {str(k).lower(): int(v) for k, v in data.items()}


_CompoundRows = list[tuple[tuple[str, ...], tuple[str, int]]]


def _split_int_map(where: str, data: Any, kind: str) -> tuple[dict[str, int], _CompoundRows]:
    """A map of number words whose keys may be several tokens ("quatre-vingt", "dix-sept"): the
    one-token words, and the longer ones as compound rows (key, (kind, value))."""
    single: dict[str, int] = {}
    compound = []
    for word, value in _int_map(where, data).items():
        key = _key(where, word)
        if len(key) == 1:
            single[key[0]] = value
        else:
            compound.append((key, (kind, value)))
    return single, compound


def _value_table(
    where: str, entries: Any, qualifiers: dict[tuple[str, ...], Qualifier] | None = None
) -> PhraseTable[int]:
    """Phrases with a value; when ``qualifiers`` is given, an entry may also name the qualifier the
    phrase carries ("une centaine": about 100), recorded there by phrase key."""
    if not isinstance(entries, list):
        raise LexiconError(f"{where}: expected a list")
    rows = []
    for n, entry in enumerate(entries):
        allowed = {"phrase", "value", "qualifier"} if qualifiers is not None else {"phrase", "value"}
        _require_keys(f"{where}[{n}]", entry, allowed, {"phrase", "value"})
        key = _key(where, str(entry["phrase"]))
        rows.append((key, _int(f"{where}[{n}].value", entry["value"])))
        if qualifiers is not None and entry.get("qualifier") is not None:
            try:
                qualifiers[key] = Qualifier(entry["qualifier"])
            except ValueError as exc:
                raise LexiconError(f"{where}[{n}].qualifier: unknown {entry['qualifier']!r}") from exc
    return PhraseTable(rows)


def _enum_table(where: str, data: Any, enum: type) -> PhraseTable[Any]:
    if not isinstance(data, Mapping):
        raise LexiconError(f"{where}: expected a mapping")
    rows = []
    for name, phrases in data.items():
        try:
            member = enum(name)
        except ValueError as exc:
            raise LexiconError(f"{where}: {name!r} is not one of {[m.value for m in enum]}") from exc
        rows.extend((_key(f"{where}.{name}", p), member) for p in _words(f"{where}.{name}", phrases))
    return PhraseTable(rows)


def _category_tables(where: str, data: Any) -> dict[Category, PhraseTable[bool]]:
    if not isinstance(data, Mapping):
        raise LexiconError(f"{where}: expected a mapping of categories")
    tables = {}
    for name, phrases in data.items():
        try:
            category = Category(name)
        except ValueError as exc:
            raise LexiconError(f"{where}: unknown category {name!r}") from exc
        tables[category] = _flag_table(f"{where}.{name}", phrases)
    return tables


def _check_cue_content(cues: PhraseTable[tuple[CueRule, ...]], linking: Linking) -> None:
    """Every cue phrase needs a content word or a word that is a cue on its own ("found dead"): a
    cue made only of "were" or "in" would fire everywhere."""
    single = {key[0] for key, rules in cues.entries() if rules and len(key) == 1}
    function_words = (
        linking.auxiliaries
        | linking.prepositions
        | linking.before_fillers
        | linking.object_starts
        | linking.clause_breaks
        | linking.negation_before
    )
    for key, rules in cues.entries():
        if rules and not [t for t in key if t in single or (t.isalpha() and t not in function_words)]:
            raise LexiconError(f"cues: {' '.join(key)!r} has only function words; give it a content word")


# Separators between the tokens of a phrase in the prefilter regex: two words are always parted
# by space; a punctuation token may touch its neighbours. Neither crosses a line break. A word's
# edges may not touch an ASCII letter: the tokenizer would have made one longer word. (Other
# letters are let through, which only lets more text through: the regex stays exact, and
# checking ASCII letters runs about a third faster than a Unicode letter class.)
_WORD_GAP = "\x01"
_ANY_GAP = "\x02"
_WORD_START = "\x03"
_WORD_END = "\x04"
_PHRASE_UNIT_RE = {
    _WORD_GAP: r"[^\S\n]+",
    _ANY_GAP: r"[^\S\n]*",
    _WORD_START: r"(?<![a-z])",
    _WORD_END: r"(?![a-z])",
    "'": "['\u2019]",
}


def _phrase_prefilter(keys: Iterable[tuple[str, ...]]) -> re.Pattern[str]:
    """A regex, for lower-cased text, that matches wherever one of the token sequences ``keys``
    could start. It is exact by construction: two tokens the tokenizer keeps apart are parted by
    the separators above and nothing else, so a sentence the regex does not match cannot hold
    any of the phrases (``tests/test_lexicon.py`` checks it on every cue)."""
    sequences = []
    for key in keys:
        units: list[str] = [_WORD_START] if key[0][0].isalpha() else []
        for i, token in enumerate(key):
            if i:
                both_words = key[i - 1][-1].isalpha() and token[0].isalpha()
                units.append(_WORD_GAP if both_words else _ANY_GAP)
            units.extend(token)
        if key[-1][-1].isalpha():
            units.append(_WORD_END)
        sequences.append(units)
    return re.compile(_trie_regex(sequences, _PHRASE_UNIT_RE))


#: Shortest piece a glued word is split into: shorter pieces ("a", "an", "is") are parts of too
#: many ordinary words.
_GLUED_MIN_LETTERS = 3


@dataclass(frozen=True, slots=True)
class _GluedWords:
    """The three kinds of words run together (see ``glued_words`` in the lexicon file)."""

    numbers: tuple[str, ...]  # spelled numbers ...
    number_followers: tuple[str, ...]  # ... run into one-word cues or person nouns
    heads: tuple[str, ...]  # auxiliaries and adverbs ...
    cues: tuple[str, ...]  # ... run into one-word cues, or these run into ...
    tails: tuple[str, ...]  # ... qualifiers and prepositions

    def cue_pairs(self) -> Iterator[str]:
        """Every glued word that holds a cue and no number, spelled out (for the prefilter; a glued
        number is found only in a sentence that another cue lets through, which keeps the
        prefilter's regex four times smaller)."""
        yield from (a + b for a in self.heads for b in self.cues)
        yield from (a + b for a in self.cues for b in self.tails)


def _glued_words(data: Any, numbers: NumberWords, cue_words: set[str], person_words: set[str]) -> _GluedWords:
    _require_keys("glued_words", data, {"heads", "tails"})

    def long(words: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({w for w in words if len(w) >= _GLUED_MIN_LETTERS and w.isalpha()}))

    return _GluedWords(
        numbers=long((*numbers.units, *numbers.tens)),
        number_followers=long(cue_words | person_words),
        heads=long(_word_set("glued_words.heads", data["heads"])),
        cues=long(cue_words),
        tails=long(_word_set("glued_words.tails", data["tails"])),
    )


def _glued_regex(glued: _GluedWords, *, for_search: bool = False) -> re.Pattern[str]:
    """Whole lower-cased words run together from two: the named group that matched (``number``,
    ``head`` or ``cue``) is the first piece. ``for_search``: the same words, with the character
    before them consumed instead of looked behind at (search ``" " + text``): a pattern that opens
    with a character class lets the regex engine skip in C to where a word may start, so a search
    of a sentence costs a fraction of the look-behind's."""

    def alt(words: Iterable[str]) -> str:
        return _trie_regex(sorted(words)) or "(?!)"  # an empty list matches nothing

    return re.compile(
        ("[^a-z](?:" if for_search else r"(?<![a-z])(?:")
        + rf"(?P<number>{alt(glued.numbers)})(?:{alt(glued.number_followers)})"
        rf"|(?P<head>{alt(glued.heads)})(?:{alt(glued.cues)})"
        rf"|(?P<cue>{alt(glued.cues)})(?:{alt(glued.tails)})"
        r")(?![a-z])"
    )


def _trie_regex(sequences: Iterable[Iterable[str]], unit_regex: Mapping[str, str] | None = None) -> str:
    """A regex alternation of ``sequences`` (words, or lists of units) factored by common prefixes,
    so matching cost is linear in the text. A unit is written as ``unit_regex[unit]`` when given
    there, else escaped literally."""
    special = unit_regex or {}
    trie: dict[str, Any] = {}
    for sequence in sequences:
        node = trie
        for unit in sequence:
            node = node.setdefault(unit, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [
            (special.get(unit) or re.escape(unit)) + render(child)
            for unit, child in sorted(node.items())
            if unit
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return render(trie)


# --------------------------------------------------------------------------- sections


def _cues(data: Any, not_cues: Any) -> tuple[PhraseTable[tuple[CueRule, ...]], tuple[CueRule, ...]]:
    if not isinstance(data, Mapping):
        raise LexiconError("cues: expected a mapping of categories")
    rules: list[CueRule] = []
    rules_of: dict[tuple[str, ...], list[CueRule]] = {}
    seen_ids: set[str] = set()
    seen_phrases: dict[tuple[tuple[str, ...], str], str] = {}
    for category_name, entries in data.items():
        try:
            category = Category(category_name)
        except ValueError as exc:
            raise LexiconError(f"cues: unknown category {category_name!r}") from exc
        if not isinstance(entries, list):
            raise LexiconError(f"cues.{category_name}: expected a list of cue entries")
        for n, entry in enumerate(entries):
            where = f"cues.{category_name}[{n}]"
            _require_keys(
                where,
                entry,
                {"id", "phrases", "attach", "active", "yields", "subtype", "priority", "status", "part"},
                {"id", "phrases", "attach"},
            )
            rule_id = str(entry["id"])
            if rule_id in seen_ids:
                raise LexiconError(f"{where}: duplicate rule id {rule_id!r}")
            if not rule_id.startswith(category_name + "."):
                raise LexiconError(f"{where}: rule id {rule_id!r} must start with {category_name!r}.")
            seen_ids.add(rule_id)
            attach = frozenset(_words(f"{where}.attach", entry["attach"]))
            if not attach or not attach <= Attach.ALL:
                raise LexiconError(f"{where}: attach must be a non-empty subset of {sorted(Attach.ALL)}")
            subtype = entry.get("subtype")
            if subtype is not None and category is not Category.DISPLACED:
                raise LexiconError(f"{where}: subtype is for displaced cues only")
            try:
                subtype_member = Subtype(subtype) if subtype else None
            except ValueError as exc:
                raise LexiconError(f"{where}: unknown subtype {subtype!r}") from exc
            rule = CueRule(
                rule_id,
                category,
                attach,
                bool(entry.get("active", False)),
                bool(entry.get("yields", False)),
                subtype_member,
                _int(f"{where}.priority", entry.get("priority", 0)),
                _status_of(where, entry.get("status")),
                bool(entry.get("part", False)),
            )
            rules.append(rule)
            for phrase in _words(f"{where}.phrases", entry["phrases"]):
                key = _key(where, phrase)
                for mode in attach:
                    other = seen_phrases.get((key, mode))
                    if other is not None and other != rule_id:
                        raise LexiconError(
                            f"{where}: phrase {phrase!r} ({mode}) is already a cue of {other!r}"
                        )
                    seen_phrases[(key, mode)] = rule_id
                if rule not in rules_of.setdefault(key, []):
                    rules_of[key].append(rule)
    for phrase in _words("not_cues", not_cues):
        key = _key("not_cues", phrase)
        if key in rules_of:
            raise LexiconError(f"not_cues: {phrase!r} is also a cue")
        rules_of[key] = []
    return PhraseTable((key, tuple(found)) for key, found in rules_of.items()), tuple(rules)


def _status_of(where: str, value: Any) -> Status | None:
    if value is None:
        return None
    try:
        return Status(value)
    except ValueError as exc:
        raise LexiconError(f"{where}: unknown status {value!r}") from exc


def _victims(data: Any) -> PhraseTable[str]:
    if not isinstance(data, Mapping):
        raise LexiconError("victims: expected a mapping of groups")
    owner: dict[tuple[str, ...], str] = {}
    for group, phrases in data.items():
        for phrase in _words(f"victims.{group}", phrases):
            key = _key(f"victims.{group}", phrase)
            if owner.get(key, group) != group:
                raise LexiconError(f"victims.{group}: {phrase!r} is already in group {owner[key]!r}")
            owner[key] = group
    return PhraseTable(owner.items())


def _load(language: str) -> Lexicon:
    try:
        raw = resources.files(__name__).joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise LexiconError(f"no lexicon for language {language!r}") from exc
    return parse_lexicon(_parse_yaml(raw), language)


def raw_lexicon(language: str = "en") -> dict[str, Any]:
    """The parsed YAML of a language's lexicon, before validation (for tests and tools)."""
    raw = resources.files(__name__).joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    return _parse_yaml(raw)


#: Keys of ``numbers`` a language may leave out (their defaults keep the behaviour of a lexicon without them).
_OPTIONAL_NUMBER_KEYS = {
    "digit_format",
    "tens_with_teens",
    "tens_joiners",
    "hundreds",
    "bare_scales",
    "not_initial",
    "hyphenated_parts",
    "restated_digits",
}
_REQUIRED_NUMBER_KEYS = {
    "units",
    "tens",
    "scales",
    "scale_abbreviations",
    "word_joiners",
    "indefinite_one",
    "fixed",
    "dozen",
    "vague",
    "indefinite_before",
    "pronoun_before",
    "weak_pronoun_before",
    "weak_words",
    "decade_suffixes",
    "repeat_previous",
}


def _bracket_pair(where: str, value: Any) -> tuple[str, str] | None:
    """An (open, close) pair of one-token marks, or None when the key is absent."""
    if value is None:
        return None
    marks = _words(where, value)
    if len(marks) != 2:
        raise LexiconError(f"{where}: expected [open, close], got {value!r}")
    return (marks[0], marks[1])


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise LexiconError(f"{where}: expected true or false, got {value!r}")
    return value


def _digit_format(data: Any) -> DigitFormat:
    """``numbers.digit_format``: ``thousands`` and ``decimal`` separator lists (default: both "," and
    "." either way, and spaces for thousands). Spaces are written as their names: space, nbsp,
    narrow_nbsp, thin_space."""
    if data is None:
        return DEFAULT_DIGIT_FORMAT
    _require_keys("numbers.digit_format", data, {"thousands", "decimal"})
    names = {"space": " ", "nbsp": "\u00a0", "narrow_nbsp": "\u202f", "thin_space": "\u2009"}
    sets = []
    for key in ("thousands", "decimal"):
        marks = [names.get(m, m) for m in _words(f"numbers.digit_format.{key}", data[key])]
        if not marks or any(len(m) != 1 or m.isalnum() for m in marks):
            raise LexiconError(f"numbers.digit_format.{key}: expected separator characters, got {marks!r}")
        sets.append(frozenset(marks))
    if any(m.isspace() for m in sets[1]):
        raise LexiconError("numbers.digit_format.decimal: a space cannot be a decimal mark")
    return DigitFormat(sets[0], sets[1])


_PART_RE = re.compile(r"\{([a-z0-9_]+)\}")


def _expand_parts(data: Any) -> Any:
    """The lexicon with its named parts composed: a phrase in any list that names a part in braces
    ("{aux_passive} tués") stands for one phrase per phrase of that part, and a part may name
    other parts. Lexicons without ``parts`` come back as they are."""
    if not isinstance(data, Mapping) or "parts" not in data:
        return data
    raw_parts = data["parts"]
    if not isinstance(raw_parts, Mapping):
        raise LexiconError("parts: expected a mapping of names to phrase lists")
    resolved: dict[str, list[str]] = {}

    def part(name: str, stack: tuple[str, ...]) -> list[str]:
        if name in resolved:
            return resolved[name]
        if name not in raw_parts:
            raise LexiconError(f"parts: {{{name}}} is used but not defined")
        if name in stack:
            raise LexiconError(f"parts: {{{name}}} is defined in terms of itself")
        phrases = _words(f"parts.{name}", raw_parts[name])
        resolved[name] = [out for p in phrases for out in expand(p, (*stack, name))]
        return resolved[name]

    def expand(phrase: str, stack: tuple[str, ...] = ()) -> list[str]:
        pieces = _PART_RE.split(phrase)
        if len(pieces) == 1:
            return [phrase]
        choices = [[piece] if k % 2 == 0 else part(piece, stack) for k, piece in enumerate(pieces)]
        return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]

    def walk(node: Any, top: bool = False) -> Any:
        if isinstance(node, Mapping):
            return {k: walk(v) for k, v in node.items() if not (top and k == "parts")}
        if isinstance(node, list):
            out: list[Any] = []
            for item in node:
                out.extend(expand(item) if isinstance(item, str) else [walk(item)])
            return out
        return node

    for name in raw_parts:
        part(str(name), ())
    return walk(data, top=True)


def parse_lexicon(data: Any, language: str) -> Lexicon:
    """Validate and compile lexicon data (the parsed YAML); raises :class:`LexiconError`."""
    _require_keys("lexicon", data, _TOP_KEYS, _TOP_KEYS - _OPTIONAL_TOP_KEYS)
    data = _expand_parts(data)
    if data["language"] != language:
        raise LexiconError(f"language: file says {data['language']!r}, expected {language!r}")
    ortho = data.get("orthography") or {}
    _require_keys("orthography", ortho, {"elisions"}, set())
    written = _words("orthography.elisions", ortho.get("elisions", []))
    elisions = frozenset(w.lower().replace("\u2019", "'") for w in written)
    if any(not w.endswith("'") or len(w) < 2 for w in elisions):
        raise LexiconError('orthography.elisions: every elided word ends in an apostrophe ("d\'")')
    token = _ELISIONS.set(elisions)
    try:
        return _parse(data, language, elisions)
    finally:
        _ELISIONS.reset(token)


def _parse(data: Any, language: str, elisions: frozenset[str]) -> Lexicon:

    num = data["numbers"]
    _require_keys(
        "numbers",
        num,
        _REQUIRED_NUMBER_KEYS | _OPTIONAL_NUMBER_KEYS,
        _REQUIRED_NUMBER_KEYS,
    )
    units, unit_compounds = _split_int_map("numbers.units", num["units"], "unit")
    tens, tens_compounds = _split_int_map("numbers.tens", num["tens"], "tens")
    fixed_qualifiers: dict[tuple[str, ...], Qualifier] = {}
    numbers = NumberWords(
        units=units,
        tens=tens,
        scales=_int_map("numbers.scales", num["scales"]),
        scale_abbreviations=_int_map("numbers.scale_abbreviations", num["scale_abbreviations"]),
        word_joiners=_word_set("numbers.word_joiners", num["word_joiners"]),
        indefinite_one=_word_set("numbers.indefinite_one", num["indefinite_one"]),
        fixed=_value_table("numbers.fixed", num["fixed"], fixed_qualifiers),
        dozen=_word_set("numbers.dozen", num["dozen"]),
        vague=_value_table("numbers.vague", num["vague"]),
        indefinite_before=_word_set("numbers.indefinite_before", num["indefinite_before"]),
        pronoun_before=_word_set("numbers.pronoun_before", num["pronoun_before"]),
        weak_pronoun_before=_word_set("numbers.weak_pronoun_before", num["weak_pronoun_before"]),
        decade_suffixes=_word_set("numbers.decade_suffixes", num["decade_suffixes"]),
        weak_words=frozenset(
            _key("numbers.weak_words", w) for w in _words("numbers.weak_words", num["weak_words"])
        ),
        repeat_previous=_flag_table("numbers.repeat_previous", num["repeat_previous"]),
        digit_format=_digit_format(num.get("digit_format")),
        compounds=PhraseTable(unit_compounds + tens_compounds),
        tens_with_teens=frozenset(
            _key("numbers.tens_with_teens", w)
            for w in _words("numbers.tens_with_teens", num.get("tens_with_teens", []))
        ),
        tens_joiners=_word_set("numbers.tens_joiners", num.get("tens_joiners", [])),
        hundreds=MappingProxyType(_int_map("numbers.hundreds", num.get("hundreds", {}))),
        bare_scales=_word_set("numbers.bare_scales", num.get("bare_scales", [])),
        not_initial=_word_set("numbers.not_initial", num.get("not_initial", [])),
        hyphenated_parts=_bool("numbers.hyphenated_parts", num.get("hyphenated_parts", False)),
        fixed_qualifiers=MappingProxyType(fixed_qualifiers),
        restated_digits=_bracket_pair("numbers.restated_digits", num.get("restated_digits")),
    )
    for where, words, known, section in (
        ("numbers.bare_scales", numbers.bare_scales, numbers.scales, "scales"),
        ("numbers.not_initial", numbers.not_initial, numbers.units, "units"),
    ):
        if not words <= set(known):
            raise LexiconError(f"{where}: {sorted(words - set(known))} are not in numbers.{section}")

    qual = data["qualifiers"]
    _require_keys(
        "qualifiers",
        qual,
        {
            "before",
            "after",
            "range_open",
            "range_joiners",
            "range_joiners_after_open",
            "range_blockers",
            "after_noun",
        },
        {"before", "after", "range_open", "range_joiners", "range_joiners_after_open"},
    )
    roles = data["victim_roles"]
    _require_keys("victim_roles", roles, {"generic", "households"})
    for role, group in roles.items():
        if group not in data["victims"]:
            raise LexiconError(f"victim_roles.{role}: {group!r} is not a group of victims")

    notp = data["not_people"]
    _require_keys(
        "not_people",
        notp,
        {
            "units_after",
            "objects_after",
            "before",
            "date_words",
            "year_range",
            "ratio",
            "date_joiners",
            "ratio_denominators",
            "dotted_units_after",
        },
        {"units_after", "objects_after", "before", "date_words", "year_range", "ratio"},
    )
    year_range = notp["year_range"]
    if not (
        isinstance(year_range, list)
        and len(year_range) == 2
        and all(isinstance(y, int) and not isinstance(y, bool) for y in year_range)
        and year_range[0] < year_range[1]
    ):
        raise LexiconError("not_people.year_range: expected [first, last] as integers")

    link = data["linking"]
    linking_keys = {
        "after_window",
        "relative_pronouns",
        "relative_clause_window",
        "before_window",
        "toll_window",
        "toll_change_before",
        "projection_window",
        "before_fillers",
        "auxiliaries",
        "clause_breaks",
        "object_starts",
        "hard_breaks",
        "breakdown_before",
        "breakdown_after",
        "coordinators",
        "projection_before",
        "negation_before",
        "negation_bridge",
        "prepositions",
        "not_victims_before",
        "earlier_toll_before",
        "cancel_sentence",
        "partitive_openers",
        "partitive",
        "cancel_by_category",
        "cancel_reach",
        "appositive_dashes",
        "toll_references",
        "repeat_cue",
        "list_colons",
        "list_part_followers",
        "respectively",
        "fatal_manner",
    }
    optional_linking_keys = {
        "active_auxiliaries",
        "before_phrase_window",
        "restatement_opens",
        "label_colons",
        "table_separators",
        "table_total_labels",
        "table_row_leaders",
        "table_heading_joiners",
        "table_heading_times",
        "severity_manner",
        "running_total_before",
        "subject_prepositions",
        "copulas",
        "inverted_openers",
        "toll_heads",
        "fronted_toll_before",
        "list_dashes",
    }
    _require_keys("linking", link, linking_keys | optional_linking_keys, linking_keys)
    linking = Linking(
        after_window=_int("linking.after_window", link["after_window"]),
        relative_pronouns=_word_set("linking.relative_pronouns", link["relative_pronouns"]),
        relative_clause_window=_int("linking.relative_clause_window", link["relative_clause_window"]),
        before_window=_int("linking.before_window", link["before_window"]),
        toll_window=_int("linking.toll_window", link["toll_window"]),
        toll_change_before=_word_set("linking.toll_change_before", link["toll_change_before"]),
        projection_window=_int("linking.projection_window", link["projection_window"]),
        before_fillers=_word_set("linking.before_fillers", link["before_fillers"]),
        auxiliaries=_word_set("linking.auxiliaries", link["auxiliaries"]),
        clause_breaks=_word_set("linking.clause_breaks", link["clause_breaks"]),
        object_starts=_word_set("linking.object_starts", link["object_starts"]),
        hard_breaks=frozenset(_words("linking.hard_breaks", link["hard_breaks"])),
        breakdown_before=_flag_table("linking.breakdown_before", link["breakdown_before"]),
        breakdown_after=_flag_table("linking.breakdown_after", link["breakdown_after"]),
        coordinators=_flag_table("linking.coordinators", link["coordinators"]),
        projection_before=_flag_table("linking.projection_before", link["projection_before"]),
        negation_before=_word_set("linking.negation_before", link["negation_before"]),
        negation_bridge=_word_set("linking.negation_bridge", link["negation_bridge"]),
        prepositions=_word_set("linking.prepositions", link["prepositions"]),
        not_victims_before=_flag_table("linking.not_victims_before", link["not_victims_before"]),
        earlier_toll_before=_flag_table("linking.earlier_toll_before", link["earlier_toll_before"]),
        cancel_sentence=_flag_table("linking.cancel_sentence", link["cancel_sentence"]),
        partitive_openers=_flag_table("linking.partitive_openers", link["partitive_openers"]),
        partitive=_flag_table("linking.partitive", link["partitive"]),
        cancel_by_category=_category_tables("linking.cancel_by_category", link["cancel_by_category"]),
        cancel_reach=_int("linking.cancel_reach", link["cancel_reach"]),
        appositive_dashes=_word_set("linking.appositive_dashes", link["appositive_dashes"]),
        toll_references=_flag_table("linking.toll_references", link["toll_references"]),
        repeat_cue=_flag_table("linking.repeat_cue", link["repeat_cue"]),
        list_colons=_word_set("linking.list_colons", link["list_colons"]),
        list_part_followers=_word_set("linking.list_part_followers", link["list_part_followers"]),
        respectively=_word_set("linking.respectively", link["respectively"]),
        fatal_manner=_word_set("linking.fatal_manner", link["fatal_manner"]),
        severity_manner=_word_set("linking.severity_manner", link.get("severity_manner", [])),
        active_auxiliaries=_word_set("linking.active_auxiliaries", link.get("active_auxiliaries", [])),
        before_phrase_window=_int("linking.before_phrase_window", link.get("before_phrase_window", 0)),
        restatement_opens=frozenset(_words("linking.restatement_opens", link.get("restatement_opens", []))),
        table_separators=frozenset(_words("linking.table_separators", link.get("table_separators", []))),
        table_total_labels=frozenset(
            w.lower() for w in _words("linking.table_total_labels", link.get("table_total_labels", []))
        ),
        label_colons=frozenset(_words("linking.label_colons", link.get("label_colons", []))),
        table_row_leaders=tuple(_words("linking.table_row_leaders", link.get("table_row_leaders", []))),
        table_heading_joiners=_word_set(
            "linking.table_heading_joiners", link.get("table_heading_joiners", [])
        ),
        table_heading_times=_flag_table("linking.table_heading_times", link.get("table_heading_times", [])),
        running_total_before=_flag_table(
            "linking.running_total_before", link.get("running_total_before", [])
        ),
        subject_prepositions=_word_set("linking.subject_prepositions", link.get("subject_prepositions", [])),
        copulas=_word_set("linking.copulas", link.get("copulas", [])),
        inverted_openers=_word_set("linking.inverted_openers", link.get("inverted_openers", [])),
        toll_heads=_flag_table("linking.toll_heads", link.get("toll_heads", [])),
        fronted_toll_before=_flag_table("linking.fronted_toll_before", link.get("fronted_toll_before", [])),
        list_dashes=frozenset(_words("linking.list_dashes", link.get("list_dashes", []))),
    )

    ctx = data["context"]
    _require_keys("context", ctx, {"scope", "status", "first_person", "attribution", "earlier_event_openers"})
    attribution = ctx["attribution"]
    _require_keys("context.attribution", attribution, {"speech_verbs", "according_to", "max_tokens"})

    sentences = data.get("sentences") or {}
    _require_keys("sentences", sentences, {"abbreviations"})

    merge_data = data.get("merge") or {}
    merge_keys = {"new_fact_before", "place_prepositions", "caption_labels", "summary_before"}
    _require_keys("merge", merge_data, merge_keys, set())
    merge = MergeWords(
        new_fact_before=_flag_table("merge.new_fact_before", merge_data.get("new_fact_before", [])),
        place_prepositions=_word_set("merge.place_prepositions", merge_data.get("place_prepositions", [])),
        caption_labels=_flag_table("merge.caption_labels", merge_data.get("caption_labels", [])),
        summary_before=_flag_table("merge.summary_before", merge_data.get("summary_before", [])),
    )

    cues, cue_rules = _cues(data["cues"], data["not_cues"])
    _check_cue_content(cues, linking)
    glued = _glued_words(
        data["glued_words"],
        numbers,
        {key[0] for key, rules in cues.entries() if rules and len(key) == 1},
        {key[0] for key, _ in _victims(data["victims"]).entries() if len(key) == 1},
    )
    number_words = (
        set(numbers.units)
        | set(numbers.tens)
        | set(numbers.hundreds)
        | {k[0] for k, _ in numbers.compounds.entries()}
        | set(numbers.scales)
        | set(numbers.dozen)
        | {k[0] for k, _ in numbers.vague.entries()}
        | {k[0] for k, _ in numbers.fixed.entries()}
    )
    qualifiers_before = _enum_table("qualifiers.before", qual["before"], Qualifier)
    return Lexicon(
        language=language,
        elisions=elisions,
        date_joiners=_word_set("not_people.date_joiners", notp.get("date_joiners", [])),
        range_blockers=_flag_table("qualifiers.range_blockers", qual.get("range_blockers", [])),
        qualifiers_after_noun=_bool("qualifiers.after_noun", qual.get("after_noun", False)),
        merge=merge,
        abbreviations=frozenset(
            a.lower() for a in _words("sentences.abbreviations", sentences["abbreviations"])
        ),
        numbers=numbers,
        qualifiers_before=qualifiers_before,
        qualifiers_after=_enum_table("qualifiers.after", qual["after"], Qualifier),
        range_open=_word_set("qualifiers.range_open", qual["range_open"]),
        range_joiners=frozenset(_words("qualifiers.range_joiners", qual["range_joiners"])),
        range_joiners_after_open=frozenset(
            _words("qualifiers.range_joiners_after_open", qual["range_joiners_after_open"])
        ),
        units_after=_word_set("not_people.units_after", notp["units_after"]),
        dotted_units_after=_flag_table("not_people.dotted_units_after", notp.get("dotted_units_after", [])),
        objects_after=_flag_table("not_people.objects_after", notp["objects_after"]),
        not_people_before=_word_set("not_people.before", notp["before"]),
        not_people_ratio=_flag_table("not_people.ratio", notp["ratio"]),
        ratio_denominators=frozenset(
            _words("not_people.ratio_denominators", notp.get("ratio_denominators", []))
        ),
        date_words=_word_set("not_people.date_words", notp["date_words"]),
        year_range=(year_range[0], year_range[1]),
        cues=cues,
        cue_rules=cue_rules,
        linking=linking,
        victims=_victims(data["victims"]),
        generic_victim=str(roles["generic"]),
        households_victim=str(roles["households"]),
        scope_words=_enum_table("context.scope", ctx["scope"], Scope),
        earlier_event_openers=_word_set("context.earlier_event_openers", ctx["earlier_event_openers"]),
        status_words=_enum_table("context.status", ctx["status"], Status),
        first_person=_word_set("context.first_person", ctx["first_person"]),
        speech_verbs=_word_set("context.attribution.speech_verbs", attribution["speech_verbs"]),
        according_to=_flag_table("context.attribution.according_to", attribution["according_to"]),
        attribution_max_tokens=_int("context.attribution.max_tokens", attribution["max_tokens"]),
        cue_prefilter=_phrase_prefilter(
            [key for key, rules in cues.entries() if rules]
            + [(word,) for word in glued.cue_pairs()]
            + [key for key, _ in linking.running_total_before.entries()]  # "That brings the total to 71,000."
            + [
                key for key, _ in linking.breakdown_after.entries()
            ]  # "... were killed. Four of them were children."
        ),
        glued_words=_glued_regex(glued),
        glued_words_search=_glued_regex(glued, for_search=True),
        number_prefilter=re.compile(r"\d|\b" + _trie_regex(sorted(number_words)) + r"\b", re.IGNORECASE),
        quantity_starts=frozenset(
            number_words
            | set(numbers.indefinite_one)
            | {k[0] for k, _ in qualifiers_before.entries()}
            | set(_word_set("qualifiers.range_open", qual["range_open"]))
        ),
        # what ``quantities.read_numeral`` can start at: a vague or fixed phrase, "a" before a scale,
        # a unit, tens or hundreds word (or the first word of one), a scale that counts one on its
        # own; a quantity opening with another word needs a qualifier or a range opener
        numeral_starts=frozenset(
            numbers.vague.first_words
            | numbers.fixed.first_words
            | numbers.indefinite_one
            | set(numbers.units)
            | set(numbers.tens)
            | set(numbers.hundreds)
            | numbers.compounds.first_words
            | numbers.bare_scales
        ),
    )


@functools.cache
def load_lexicon(language: str = "en") -> Lexicon:
    """The compiled lexicon of ``language``; raises :class:`LexiconError` when the file is invalid."""
    return _load(language)


#: A language lexicon is a file named by its language code alone (``en.yaml``, ``fr.yaml``); the word
#: lists of the statistics (``places_en.yaml``, ``dates_en.yaml``, ``report_en.yaml``) are not.
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


@functools.cache
def available_languages() -> frozenset[str]:
    """The codes of the languages that have a lexicon beside this file: the languages ``extract``
    can read. Adding ``<code>.yaml`` adds a language; no list to edit."""
    return frozenset(
        entry.name.removesuffix(".yaml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".yaml") and LANGUAGE_CODE.fullmatch(entry.name.removesuffix(".yaml"))
    )
