"""Shared builders of hand-made records for the table, validation and lake tests."""

from __future__ import annotations

from dataclasses import replace

from casualty_etl.model import Category, Figure, Qualifier, Scope, Unit


def figure_in(text: str, phrase: str, category: Category, value: int, **changes) -> Figure:
    """An exact, incident-scope figure whose span is ``phrase`` at its first place in ``text``."""
    start = text.index(phrase)
    figure = Figure(
        category=category,
        value=value,
        lower=None,
        upper=None,
        qualifier=Qualifier.EXACT,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        span=phrase,
        char_start=start,
        char_end=start + len(phrase),
        sentence=text,
        rule_ids=("test.rule",),
    )
    return replace(figure, **changes) if changes else figure
