"""The lexicon loader: the shipped file loads, every malformed variant fails at start-up naming its key,
and the extractor's Python code holds no English cue words."""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import casualty_etl.extract
from casualty_etl.lexicon import Lexicon, LexiconError, load_lexicon, parse_lexicon, raw_lexicon
from casualty_etl.model import Category

EXTRACT_DIR = Path(casualty_etl.extract.__file__).parent
RULE_ID = re.compile(r"[a-z][a-z_]*(?:\.[a-z][a-z_]*)+")


def _cue(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    category = rule_id.split(".", 1)[0]
    return next(entry for entry in data["cues"][category] if entry["id"] == rule_id)


def test_shipped_lexicon_loads() -> None:
    lexicon = load_lexicon("en")
    assert isinstance(lexicon, Lexicon)
    assert lexicon.language == "en"
    assert lexicon.cue_rules


def test_unmodified_copy_parses() -> None:
    """The control for the broken variants below: a deep copy of the raw data is valid as is."""
    assert parse_lexicon(copy.deepcopy(raw_lexicon("en")), "en").language == "en"


def test_loading_twice_returns_the_cached_object() -> None:
    assert load_lexicon("en") is load_lexicon("en")


def test_unknown_language_is_a_lexicon_error() -> None:
    with pytest.raises(LexiconError, match="xx"):
        load_lexicon("xx")


# --------------------------------------------------------------------------- malformed variants


def _unknown_top_level_key(data: dict[str, Any]) -> None:
    data["casualty_words"] = ["slain"]


def _unknown_cue_entry_key(data: dict[str, Any]) -> None:
    _cue(data, "killed.verb")["weight"] = 3


def _duplicate_rule_id(data: dict[str, Any]) -> None:
    _cue(data, "killed.dead")["id"] = "killed.verb"


def _rule_id_without_category_prefix(data: dict[str, Any]) -> None:
    _cue(data, "injured.verb")["id"] = "wounded.verb"


def _unknown_category(data: dict[str, Any]) -> None:
    data["cues"]["maimed"] = [{"id": "maimed.verb", "phrases": ["mutilated"], "attach": ["after"]}]


def _unknown_subtype(data: dict[str, Any]) -> None:
    _cue(data, "displaced.evacuated")["subtype"] = "sheltered"


def _subtype_on_non_displaced_cue(data: dict[str, Any]) -> None:
    _cue(data, "missing.state")["subtype"] = "evacuated"


def _multi_word_in_single_word_list(data: dict[str, Any]) -> None:
    data["linking"]["auxiliaries"].append("had been")


def _victim_in_two_groups(data: dict[str, Any]) -> None:
    data["victims"]["children"].append("villagers")


def _cue_that_is_also_not_cue(data: dict[str, Any]) -> None:
    data["not_cues"].append("gunned down")


BROKEN = [
    pytest.param(_unknown_top_level_key, ("casualty_words",), id="unknown-top-level-key"),
    pytest.param(_unknown_cue_entry_key, ("cues.killed[0]", "weight"), id="unknown-cue-entry-key"),
    pytest.param(_duplicate_rule_id, ("cues.killed", "duplicate", "killed.verb"), id="duplicate-rule-id"),
    pytest.param(
        _rule_id_without_category_prefix, ("cues.injured", "wounded.verb"), id="rule-id-not-prefixed"
    ),
    pytest.param(_unknown_category, ("cues", "maimed"), id="unknown-category"),
    pytest.param(_unknown_subtype, ("cues.displaced", "sheltered"), id="unknown-subtype"),
    pytest.param(
        _subtype_on_non_displaced_cue, ("cues.missing", "subtype"), id="subtype-on-non-displaced-cue"
    ),
    pytest.param(
        _multi_word_in_single_word_list, ("linking.auxiliaries", "had been"), id="multi-word-in-word-list"
    ),
    pytest.param(_victim_in_two_groups, ("victims.children", "villagers"), id="victim-in-two-groups"),
    pytest.param(_cue_that_is_also_not_cue, ("not_cues", "gunned down"), id="cue-and-not-cue"),
]


@pytest.mark.parametrize(("mutate", "named"), BROKEN)
def test_malformed_lexicon_fails_naming_the_key(
    mutate: Callable[[dict[str, Any]], None], named: tuple[str, ...]
) -> None:
    _assert_fails_naming(mutate, named)


def _assert_fails_naming(mutate: Callable[[dict[str, Any]], None], named: tuple[str, ...]) -> None:
    data = copy.deepcopy(raw_lexicon("en"))
    mutate(data)
    with pytest.raises(LexiconError) as caught:
        parse_lexicon(data, "en")
    message = str(caught.value)
    for part in named:
        assert part in message


def _cue_category_not_a_list(data: dict[str, Any]) -> None:
    data["cues"]["killed"] = None


def _window_not_an_integer(data: dict[str, Any]) -> None:
    data["linking"]["after_window"] = "ten"


def _fixed_value_not_an_integer(data: dict[str, Any]) -> None:
    data["numbers"]["fixed"][0]["value"] = "twelve"


WRONG_TYPES = [
    pytest.param(_cue_category_not_a_list, ("cues.killed",), id="cue-category-not-a-list"),
    pytest.param(_window_not_an_integer, ("linking.after_window",), id="window-not-an-integer"),
    pytest.param(_fixed_value_not_an_integer, ("numbers.fixed",), id="fixed-value-not-an-integer"),
]


@pytest.mark.parametrize(("mutate", "named"), WRONG_TYPES)
def test_wrongly_typed_value_fails_naming_the_key(
    mutate: Callable[[dict[str, Any]], None], named: tuple[str, ...]
) -> None:
    _assert_fails_naming(mutate, named)


# --------------------------------------------------------------------------- shipped content


@pytest.mark.parametrize("rule_id", [rule.rule_id for rule in load_lexicon("en").cue_rules])
def test_rule_id_is_dotted_lowercase_under_its_category(rule_id: str) -> None:
    assert RULE_ID.fullmatch(rule_id)
    assert Category(rule_id.split(".", 1)[0])


def test_prefilters_are_compiled_and_match() -> None:
    lexicon = load_lexicon("en")
    assert isinstance(lexicon.cue_prefilter, re.Pattern)
    assert isinstance(lexicon.number_prefilter, re.Pattern)
    assert lexicon.cue_prefilter.search("Two fishermen DROWNED off the coast".lower())
    assert lexicon.number_prefilter.search("Seventy residents")
    assert lexicon.number_prefilter.search("1,700 residents")
    assert not lexicon.number_prefilter.search("Sunny skies today")


def _written(key: tuple[str, ...], gap: str) -> str:
    """A cue's tokens as text: words parted by ``gap``, punctuation glued to its neighbours."""
    out = key[0]
    for before, token in zip(key, key[1:], strict=False):
        out += gap if before[-1].isalpha() and token[0].isalpha() else ""
        out += token
    return out


@pytest.mark.parametrize(
    "gap", [" ", "  ", "\u00a0", "\t"], ids=["space", "two spaces", "no-break space", "tab"]
)
def test_cue_prefilter_lets_every_cue_phrase_through(gap: str) -> None:
    """The prefilter is exact: every cue phrase of the lexicon, however spaced, is found where it starts."""
    lexicon = load_lexicon("en")
    keys = [key for key, rules in lexicon.cues.entries() if rules]
    missed = []
    for key in keys:
        text = "7, " + _written(key, gap) + " 7"
        if not any(m.start() == 3 for m in lexicon.cue_prefilter.finditer(text)):
            missed.append(text)
    assert missed == []


def test_cue_prefilter_finds_a_cue_glued_to_a_number() -> None:
    """The tokenizer parts digits from letters ("5killed"), so the prefilter must too."""
    assert load_lexicon("en").cue_prefilter.search("5killed")


def test_cue_prefilter_skips_a_cue_inside_a_longer_word() -> None:
    assert not load_lexicon("en").cue_prefilter.search("unkilledness")


def test_cue_prefilter_does_not_cross_a_line_break() -> None:
    """A phrase split over two lines is two sentences: matching across would hide the second line's cue."""
    text = "they were\nkilled"
    assert [m.start() for m in load_lexicon("en").cue_prefilter.finditer(text)] == [text.index("killed")]


# --------------------------------------------------------------------------- words belong in the lexicon

CUE_WORDS = {
    "killed",
    "injured",
    "displaced",
    "wounded",
    "fled",
    "dead",
    "died",
    "missing",
    "abducted",
    "kidnapped",
    "evacuated",
    "hurt",
}
# English function words the code must not hard-code either (a range joiner, a partitive).
FUNCTION_WORDS = {"and", "of", "the"}


def _literal_words(path: Path) -> set[tuple[str, int, str]]:
    """(word, line, literal) for every word of every str constant that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        (word, node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        for word in re.findall(r"[a-z]+", node.value.lower())
    }


def _offending(words: set[str]) -> list[str]:
    return sorted(
        f"{path.name}:{line}: {literal!r}"
        for path in EXTRACT_DIR.glob("*.py")
        for word, line, literal in _literal_words(path)
        if word in words
    )


def test_guard_sees_the_extract_modules() -> None:
    assert {p.name for p in EXTRACT_DIR.glob("*.py")} >= {"quantities.py", "linking.py", "context.py"}


def test_no_cue_words_in_extract_code() -> None:
    assert _offending(CUE_WORDS) == []


def test_no_english_function_words_in_extract_code() -> None:
    assert _offending(FUNCTION_WORDS) == []
