"""The article this project was created from must come out right (../shared/seed; skipped when absent).

The seed text is third-party and never copied here: the test reads it from ../shared.
"""

from __future__ import annotations

import pytest

from casualty_etl.extract import extract
from casualty_etl.model import Category, Figure, Qualifier, Scope, Status, Subtype


@pytest.fixture(scope="module")
def seed_figures(shared_dir) -> tuple[Figure, ...]:
    path = shared_dir / "seed" / "aleppo-2016.txt"
    if not path.exists():
        pytest.skip("seed article not found")
    return extract(path.read_text(encoding="utf-8"))


def _find(figures, category, value) -> Figure:
    found = [f for f in figures if f.category is category and f.value == value]
    assert len(found) == 1, f"expected one {category.value} {value}, got {found}"
    return found[0]


EXPECTED = [
    # (id, category, value, qualifier, scope, status, victim)
    (
        "killed_500_civilians_since",
        Category.KILLED,
        500,
        Qualifier.MORE_THAN,
        Scope.CUMULATIVE,
        None,
        "civilians",
    ),
    ("injured_1700", Category.INJURED, 1700, Qualifier.MORE_THAN, Scope.CUMULATIVE, None, None),
    ("killed_16_civilians", Category.KILLED, 16, Qualifier.MORE_THAN, Scope.INCIDENT, None, "civilians"),
    ("injured_32", Category.INJURED, 32, Qualifier.MORE_THAN, Scope.INCIDENT, None, "people"),
    (
        "killed_10_fighters_claimed",
        Category.KILLED,
        10,
        Qualifier.EXACT,
        Scope.INCIDENT,
        Status.CLAIMED,
        "fighters",
    ),
    (
        "killed_450000_cumulative",
        Category.KILLED,
        450_000,
        Qualifier.EXACT,
        Scope.CUMULATIVE,
        Status.ESTIMATE,
        None,
    ),
    (
        "displaced_12_million",
        Category.DISPLACED,
        12_000_000,
        Qualifier.MORE_THAN,
        Scope.CUMULATIVE,
        Status.ESTIMATE,
        None,
    ),
]


@pytest.mark.parametrize(
    ("category", "value", "qualifier", "scope", "status", "victim"),
    [e[1:] for e in EXPECTED],
    ids=[e[0] for e in EXPECTED],
)
def test_seed_figure(seed_figures, category, value, qualifier, scope, status, victim) -> None:
    figure = _find(seed_figures, category, value)
    assert (figure.qualifier, figure.scope, figure.status, figure.victim) == (
        qualifier,
        scope,
        status,
        victim,
    )


def test_seed_has_no_other_figure(seed_figures) -> None:
    """The caption's dead child, "four years", "five years", dates and "Handarat camp" are not figures."""
    assert sorted((f.category.value, f.value) for f in seed_figures) == sorted(
        (e[1].value, e[2]) for e in EXPECTED
    )


def test_seed_homes_lost_are_homeless_displacement(seed_figures) -> None:
    assert _find(seed_figures, Category.DISPLACED, 12_000_000).subtype is Subtype.HOMELESS


def test_seed_spans_match_offsets(shared_dir, seed_figures) -> None:
    text = (shared_dir / "seed" / "aleppo-2016.txt").read_text(encoding="utf-8")
    assert all(text[f.char_start : f.char_end] == f.span for f in seed_figures)
