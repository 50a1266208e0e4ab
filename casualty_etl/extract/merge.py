"""Stage 7: one figure per fact in a document.

Input: the figures of all sentences, in text order. Output: the same figures with repeated
mentions of one fact merged (headline, body, caption): same category, value and unit, in
different sentences, with compatible victims, where one of the two stands in a headline-like
sentence (the first of the text, or a line without a closing full stop, such as a headline
or caption) or both name the same specific victims. Two equal numbers in the body of a long
report are more often two facts than one, so they stay apart. The kept mention
is the most informative one (a qualified "at least 12" over a bare "12", else the first);
the others go to ``other_spans`` and their differing qualifiers to ``alt_qualifiers``.
Mentions in one sentence are distinct facts ("two killed in X and two in Y") and stay apart.
Displaced households figures stated next to a person count of the same sentence are dropped
(guideline: the person count is the figure).

Deliberately not here: clustering figures across articles (that is the aggregate step).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from casualty_etl.extract.quantities import bounds_of
from casualty_etl.model import Figure, Qualifier, Scope, Span, Unit

#: Farthest apart, in tokens, a households count and the person count restating it may stand.
RESTATEMENT_DISTANCE = 8

#: Groups (and members) a mention is compared with: keeps a text with thousands of equal
#: numbers linear; real repetitions of one fact (headline, body, caption) are a handful.
MAX_CANDIDATE_GROUPS = 16


@dataclass(frozen=True, slots=True)
class Mention:
    figure: Figure
    sentence_index: int
    token_start: int
    headline: bool  # in the first sentence, or in a line that does not end like a sentence


def drop_household_restatements(mentions: list[Mention]) -> list[Mention]:
    """Drop a households count when the same sentence gives a person count of the same category
    nearby; the person count takes the households count's qualifier when it has none of its own
    ("Roughly 450 households (2,100 people)" is about 2,100)."""
    people: dict[tuple[int, object], list[Mention]] = defaultdict(list)
    for m in mentions:
        if m.figure.unit is Unit.PEOPLE:
            people[(m.sentence_index, m.figure.category)].append(m)
    restated: set[int] = set()
    governing_of: dict[int, Mention] = {}  # id() of a person count -> the households count it restates
    for k, m in enumerate(mentions):
        if m.figure.unit is not Unit.HOUSEHOLDS:
            continue
        for o in people[(m.sentence_index, m.figure.category)]:
            if abs(o.token_start - m.token_start) <= RESTATEMENT_DISTANCE:
                restated.add(k)
                governing_of.setdefault(id(o), m)
                break
    kept = []
    for k, m in enumerate(mentions):
        if k in restated:
            continue
        governing = governing_of.get(id(m))
        if (
            governing is not None
            and m.figure.qualifier is Qualifier.EXACT
            and governing.figure.qualifier not in (Qualifier.EXACT, Qualifier.RANGE, Qualifier.VAGUE)
            and governing.token_start < m.token_start
        ):
            qualifier = governing.figure.qualifier
            lower, upper = bounds_of(qualifier, m.figure.value)
            m = replace(
                m,
                figure=replace(
                    m.figure,
                    qualifier=qualifier,
                    lower=lower,
                    upper=upper,
                    rule_ids=m.figure.rule_ids + ("merge.households_qualifier",),
                ),
            )
        kept.append(m)
    return kept


def _compatible(a: Mention, b: Mention, generic_victim: str) -> bool:
    fa, fb = a.figure, b.figure
    return (
        fa.category is fb.category
        and fa.value == fb.value
        and fa.unit is fb.unit
        and a.sentence_index != b.sentence_index
        and (fa.victim is None or fb.victim is None or fa.victim == fb.victim)
        and (fa.scope is Scope.BREAKDOWN) == (fb.scope is Scope.BREAKDOWN)
        and (
            a.headline
            or b.headline
            or (fa.victim is not None and fa.victim == fb.victim and fa.victim != generic_victim)
        )
    )


def merge_mentions(mentions: list[Mention], generic_victim: str) -> tuple[Figure, ...]:
    """``generic_victim`` is the lexicon's group that says nothing specific: two equal counts of
    it in the body are not taken for one fact."""
    groups: list[list[Mention]] = []
    candidates: dict[tuple[object, int, object], list[list[Mention]]] = defaultdict(list)
    for m in drop_household_restatements(mentions):
        f = m.figure
        same_number = candidates[(f.category, f.value, f.unit)]  # only these can be one fact
        for group in same_number[-MAX_CANDIDATE_GROUPS:]:
            if all(_compatible(m, other, generic_victim) for other in group[:MAX_CANDIDATE_GROUPS]):
                group.append(m)
                break
        else:
            same_number.append([m])
            groups.append(same_number[-1])
    merged = []
    for group in groups:
        primary = next((m for m in group if m.figure.qualifier is not Qualifier.EXACT), group[0])
        others = [m.figure for m in group if m is not primary]
        f = primary.figure
        if others:
            alt = tuple(dict.fromkeys(o.qualifier for o in others if o.qualifier is not f.qualifier))
            f = replace(
                f,
                other_spans=tuple(Span(o.char_start, o.char_end, o.span) for o in others),
                alt_qualifiers=alt,
                rule_ids=f.rule_ids + ("merge.same_fact",),
                victim=f.victim or next((o.victim for o in others if o.victim), None),
                source=f.source or next((o.source for o in others if o.source), None),
            )
        merged.append(f)
    merged.sort(key=lambda fig: (fig.char_start, fig.char_end))
    return tuple(merged)
