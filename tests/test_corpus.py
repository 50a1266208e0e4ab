"""The extraction spec: every example in tests/corpus/<lang>/*.yaml, run through ``extract`` with
that folder's language passed explicitly (``extract(text, language="fr")``).

Each YAML file holds the examples of one phenomenon. The format is checked first, so a broken
corpus fails loudly whatever the state of the extractor. Then every example is one test: the
figures extracted from ``text`` must pair one to one with the expected ``figures``. An expected
figure is compared on category, value and qualifier, plus every optional key it gives (a key it
leaves out is not compared). ``figures: []`` means the text must yield nothing.

Run one phenomenon with ``pytest tests/test_corpus.py -k qualifiers``, one language with ``-k fr/``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from casualty_etl.model import Category, Qualifier, Scope, Status, Subtype, Unit

CORPUS_ROOT = Path(__file__).parent / "corpus"
LANGUAGES = sorted(p.name for p in CORPUS_ROOT.iterdir() if p.is_dir())

FILE_KEYS = {"phenomenon", "description", "examples"}
EXAMPLE_KEYS = {"id", "text", "figures", "xfail"}
REQUIRED_KEYS = ("category", "value", "qualifier")
ENUM_KEYS = {
    "category": Category,
    "qualifier": Qualifier,
    "unit": Unit,
    "scope": Scope,
    "status": Status,
    "subtype": Subtype,
}
INT_KEYS = {"value", "lower", "upper"}
STR_KEYS = {"victim", "span"}
FIGURE_KEYS = set(ENUM_KEYS) | INT_KEYS | STR_KEYS
NULLABLE_KEYS = {"lower", "upper", "status", "subtype", "victim"}  # None on a Figure: "not stated"
ID_PATTERN = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def load_corpus() -> dict[str, object]:
    """Every corpus file of every language, parsed, keyed by "<lang>/<file stem>"."""
    return {
        f"{lang}/{p.stem}": yaml.safe_load(p.read_text(encoding="utf-8"))
        for lang in LANGUAGES
        for p in sorted((CORPUS_ROOT / lang).glob("*.yaml"))
    }


CORPUS = load_corpus()
#: (language, example) for every example of every file.
EXAMPLES = [
    (key.split("/")[0], example)
    for key, doc in CORPUS.items()
    if isinstance(doc, dict) and isinstance(doc.get("examples"), list)
    for example in doc["examples"]
    if isinstance(example, dict)
]


# --- format -------------------------------------------------------------------------------


def figure_problems(fig: object, text: str) -> list[str]:
    if not isinstance(fig, dict):
        return [f"figure is not a mapping: {fig!r}"]
    problems = [f"missing {key!r}" for key in REQUIRED_KEYS if key not in fig]
    problems += [f"unknown key {key!r}" for key in sorted(fig.keys() - FIGURE_KEYS)]
    for key, value in fig.items():
        if value is None:
            if key not in NULLABLE_KEYS:
                problems.append(f"{key} may not be null")
        elif key in ENUM_KEYS and value not in {member.value for member in ENUM_KEYS[key]}:
            problems.append(f"{key}={value!r} is not one of {[m.value for m in ENUM_KEYS[key]]}")
        elif key in INT_KEYS and (type(value) is not int or value < 0):
            problems.append(f"{key}={value!r} is not a non-negative integer")
        elif key in STR_KEYS and not (isinstance(value, str) and value.strip()):
            problems.append(f"{key}={value!r} is not a non-empty string")
    if isinstance(fig.get("span"), str) and fig["span"] not in text:
        problems.append(f"span {fig['span']!r} is not a substring of the text")
    if fig.get("subtype") is not None and fig.get("category") != "displaced":
        problems.append("subtype is for displaced figures only")
    if fig.get("qualifier") == "range" and not isinstance(fig.get("upper"), int):
        problems.append("a range must give its upper bound")
    return problems


def example_problems(example: object, phenomenon: str) -> list[str]:
    if not isinstance(example, dict):
        return [f"example is not a mapping: {example!r}"]
    where = example.get("id", "<no id>")
    problems = [f"missing {key!r}" for key in ("id", "text", "figures") if key not in example]
    problems += [f"unknown key {key!r}" for key in sorted(example.keys() - EXAMPLE_KEYS)]
    ex_id = example.get("id")
    if not (isinstance(ex_id, str) and ID_PATTERN.fullmatch(ex_id) and ex_id.startswith(phenomenon + ".")):
        problems.append(f"id must be dotted lowercase and start with '{phenomenon}.'")
    text = example.get("text")
    if not (isinstance(text, str) and text.strip()):
        problems.append("text must be a non-empty string")
        text = ""
    if "xfail" in example and not (isinstance(example["xfail"], str) and example["xfail"].strip()):
        problems.append("xfail must be a reason (a non-empty string)")
    figures = example.get("figures")
    if not isinstance(figures, list):
        problems.append("figures must be a list (use [] for none)")
        figures = []
    for n, fig in enumerate(figures):
        problems += [f"figure {n}: {p}" for p in figure_problems(fig, text)]
    return [f"{where}: {p}" for p in problems]


def test_corpus_exists():
    assert "en" in LANGUAGES and CORPUS, f"no corpus files in {CORPUS_ROOT}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_folder_has_a_lexicon_and_a_negative_file(language):
    from casualty_etl.lexicon import load_lexicon

    assert load_lexicon(language).language == language
    assert f"{language}/negative" in CORPUS


@pytest.mark.parametrize("key", sorted(CORPUS))
def test_corpus_file_is_well_formed(key):
    doc = CORPUS[key]
    stem = key.split("/")[1]
    assert isinstance(doc, dict), f"{stem}.yaml is not a mapping"
    problems = [f"top-level keys must be {sorted(FILE_KEYS)}"] if doc.keys() != FILE_KEYS else []
    if doc.get("phenomenon") != stem:
        problems.append(f"phenomenon {doc.get('phenomenon')!r} must equal the file name {stem!r}")
    if not (isinstance(doc.get("description"), str) and doc["description"].strip()):
        problems.append("description must be a non-empty string")
    if not (isinstance(doc.get("examples"), list) and doc["examples"]):
        problems.append("examples must be a non-empty list")
    for example in doc.get("examples") or []:
        problems += example_problems(example, stem)
    assert not problems, "\n".join(problems)


def test_example_ids_are_unique():
    counts = Counter(f"{lang}/{ex.get('id')}" for lang, ex in EXAMPLES)
    duplicates = sorted(ex_id for ex_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_negative_file_expects_no_figures(language):
    negative = CORPUS.get(f"{language}/negative") or {}
    offenders = [ex.get("id") for ex in negative.get("examples") or [] if ex.get("figures") != []]
    assert negative and not offenders, f"{language}/negative.yaml examples need figures: [] ({offenders})"


# --- behaviour ----------------------------------------------------------------------------


def run_extract(text: str, language: str = "en") -> tuple:
    from casualty_etl.extract import extract  # imported here: the format tests run without it

    return tuple(extract(text, language=language))


def expected_figures(example: dict) -> list[dict]:
    """The expected figures with enum keys turned into the model's enums."""

    def convert(key: str, value: object) -> object:
        return ENUM_KEYS[key](value) if key in ENUM_KEYS and value is not None else value

    return [{key: convert(key, value) for key, value in fig.items()} for fig in example["figures"]]


def matches(expected: dict, figure) -> bool:
    return all(getattr(figure, key) == value for key, value in expected.items())


def pairs_one_to_one(expected: list[dict], extracted: tuple) -> bool:
    """True when each expected figure pairs with its own extracted figure and none is left over."""
    if len(expected) != len(extracted):
        return False
    owner: dict[int, int] = {}  # extracted index -> expected index (bipartite matching, Kuhn)

    def assign(i: int, tried: set[int]) -> bool:
        for j, figure in enumerate(extracted):
            if j not in tried and matches(expected[i], figure):
                tried.add(j)
                if j not in owner or assign(owner[j], tried):
                    owner[j] = i
                    return True
        return False

    return all(assign(i, set()) for i in range(len(expected)))


def describe(figure) -> str:
    """A figure in the corpus's own notation, for failure messages."""
    keys = (*REQUIRED_KEYS, "lower", "upper", "unit", "scope", "status", "subtype", "victim")
    values = {key: getattr(figure, key, None) for key in keys}
    shown = ", ".join(f"{key}: {getattr(v, 'value', v)}" for key, v in values.items() if v is not None)
    return f"{{{shown}}} span={getattr(figure, 'span', None)!r}"


def example_param(language: str, example: dict):
    marks = [pytest.mark.xfail(strict=True, reason=example["xfail"])] if example.get("xfail") else []
    # English ids stay as they were; other languages are prefixed ("fr/number_forms.words")
    ex_id = str(example.get("id")) if language == "en" else f"{language}/{example.get('id')}"
    return pytest.param(language, example, id=ex_id, marks=marks)


@pytest.mark.parametrize(("language", "example"), [example_param(lang, ex) for lang, ex in EXAMPLES])
def test_example(language, example):
    extracted = run_extract(example["text"], language)
    expected = expected_figures(example)
    assert pairs_one_to_one(expected, extracted), (
        f"{example['id']}\n  text: {example['text']!r}\n  expected:\n"
        + "".join(f"    {fig}\n" for fig in example["figures"])
        + "  extracted:\n"
        + ("".join(f"    {describe(fig)}\n" for fig in extracted) or "    (nothing)\n")
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_negative_corpus_yields_nothing(language):
    """All texts with ``figures: []`` (xfail ones aside) at once: one summary of what leaks through."""
    negatives = [
        ex for lang, ex in EXAMPLES if lang == language and ex.get("figures") == [] and not ex.get("xfail")
    ]
    leaks = {ex["id"]: run_extract(ex["text"], language) for ex in negatives}
    leaks = {ex_id: figures for ex_id, figures in leaks.items() if figures}
    assert not leaks, f"{len(leaks)} of {len(negatives)} figure-free texts yield figures:\n" + "".join(
        f"  {ex_id}: {[describe(fig) for fig in figures]}\n" for ex_id, figures in leaks.items()
    )
