"""Stage 7: one figure per fact in a document.

Input: the figures of all sentences and table cells, in text order (cells last). Output: the same
figures with repeated mentions of one fact merged (guideline section 5: headline, body, caption,
a key-figures box, a table total and a quote that restates the toll are one entry). Two mentions
in different sentences are one fact when they have the same category, value and unit, compatible
victims (unstated or the lexicon's generic group go with any; "kills 10 soldiers" / "10 people
were killed"), and compatible scopes (a breakdown only with a breakdown or a photo caption, which
shows a part of the news: "where 620 people are sheltering" / "among them some 620 at the school";
otherwise equal scopes, except next to a headline), and either

- one stands in a headline-like line: a line without a closing full stop (headline, key-figures
  box line "People killed: 16", bullet), the first line of several, a photo caption (a line that
  opens with a caption label and a colon or holds a bracketed one: lexicon ``merge.caption_labels``,
  "Photo: ...", "(Photo: ...)") or the total row of a table; a headline's toll may repeat a body
  running total or background ("toll rises to 120" / "bringing the total to 120"); or
- the later one follows a summary opener of its sentence (``merge.summary_before``: "Updated
  figures: three killed", "In all, ..."): a summary restates the figures given before, wherever they
  stand (a live blog's later entry), with the same scope, unless another conflict holds; or
- both are in the body, the earlier in the lead (the first ``LEAD_SENTENCES`` sentences, or the
  sentence where the text first states a figure of that category: page furniture or a live blog's
  early entries may come first), with the same scope (not a breakdown), a value of at least
  ``MIN_BODY_REPEAT`` (small counts such as 1 or 2 repeat as different facts); or one is an earlier
  toll named as such (status superseded: "he had earlier given a toll of seven dead"), which refers
  back to where that toll was reported, wherever it stands (a live blog's older entry); or both
  name the same specific victims.

Whatever else holds, two mentions are different facts when the later one is opened by a new-fact
word (``merge.new_fact_before``: "another 15,000"), when both are body sentences that name
different places (``merge.place_prepositions``: "In Kessa, five died" / "four died in Darro"), when
both are cells of tables (each cell of a table is its own fact), or when they stand in one sentence
("two killed in X and two in Y").

A later mention joins a group when it conflicts with none of its mentions (so a running total
equal to an incident count stays apart from the body's incident mention) and repeats at least one
of them (a closing caption repeats the headline or the lead, not each quote in between). The
kept mention is the most informative one (a qualified "at least 12" over a bare "12", then the
body over a headline, then the first; a headline or caption kept for its qualifier takes the
scope of the body's mention); the others go to ``other_spans`` and their differing qualifiers to
``alt_qualifiers``. Displaced households figures
stated next to a person count of the same sentence are dropped (guideline: the person count is
the figure). A mention is compared with at most ``MAX_CANDIDATE_GROUPS`` groups of its number,
so the stage stays linear in the number of mentions.

Deliberately not here: clustering figures across articles (that is the aggregate step).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from casualty_etl.extract.quantities import bounds_of
from casualty_etl.model import Figure, Qualifier, Scope, Span, Status, Unit

#: Farthest apart, in tokens, a households count and the person count restating it may stand.
RESTATEMENT_DISTANCE = 8

#: Smallest value two body mentions (no headline) must have to be taken for one fact.
MIN_BODY_REPEAT = 3

#: A body count repeats an earlier one only when the earlier one stands in the lead, the first
#: sentences of the text, or in the sentence that first states a figure of its category (below
#: page furniture, in a live blog's later entry): news states its toll before the details
#: (per-attack tolls of a multi-attack report, further down, are distinct facts even when equal).
LEAD_SENTENCES = 4

#: Groups (and members) a mention is compared with: keeps a text with thousands of equal
#: numbers linear; real repetitions of one fact (headline, body, caption) are a handful.
MAX_CANDIDATE_GROUPS = 16


@dataclass(frozen=True, slots=True)
class Mention:
    figure: Figure
    sentence_index: int
    token_start: int
    headline: bool  # a first line, a line not ending like a sentence, a caption, a table total
    fresh: bool = False  # opened by a new-fact word ("another 12"): never a repeat of an earlier count
    places: frozenset[str] = frozenset()  # capitalised names after a place preposition in the sentence
    words: frozenset[str] = frozenset()  # every lower-cased word of the sentence
    caption: bool = False  # in a photo caption ("Photo: ...", "(Photo: ...)"); a caption is headline-like
    summary: bool = False  # after a summary opener ("Updated figures: ...", "In all, ...")
    cell: bool = False  # a number cell of a table written as text (``grid``): never a repeat of another cell


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


def _victims_compatible(a: str | None, b: str | None, generic_victim: str) -> bool:
    return a is None or b is None or a == b or a == generic_victim or b == generic_victim


def _scopes_compatible(a: Mention, b: Mention) -> bool:
    sa, sb = a.figure.scope, b.figure.scope
    if sa is sb:
        return True
    if Scope.BREAKDOWN in (sa, sb):
        # a caption shows a part of the news that the body gives as a breakdown (one camp, one family)
        return a.caption or b.caption
    # a headline states the news: the body may call it a running total or word it as background
    # ("a day after the authorities evacuated 1.2 million")
    return a.headline or b.headline


def _conflict(a: Mention, b: Mention, generic_victim: str) -> bool:
    """``a`` and ``b`` (``b`` later in the text) cannot be one fact, whatever else is said."""
    fa, fb = a.figure, b.figure
    return not (
        fa.category is fb.category
        and fa.value == fb.value
        and fa.unit is fb.unit
        and a.sentence_index != b.sentence_index
        and not (a.cell and b.cell)
        and not b.fresh
        and _victims_compatible(fa.victim, fb.victim, generic_victim)
        and _scopes_compatible(a, b)
        and (a.headline or b.headline or (fa.scope is fb.scope and not _different_places(a, b)))
    )


def _repeats(a: Mention, b: Mention, generic_victim: str, leads: dict[object, int]) -> bool:
    """``b`` repeats ``a`` (no conflict assumed): a headline, a summary, the lead restated, the same
    specific victims. ``leads`` gives the sentence of each category's first body mention."""
    fa, fb = a.figure, b.figure
    if a.headline or b.headline or b.summary:
        return True
    if fa.victim is not None and fa.victim == fb.victim and fa.victim != generic_victim:
        return True
    in_lead = a.sentence_index < LEAD_SENTENCES or a.sentence_index == leads.get(fa.category)
    # an earlier toll named as such ("had earlier given a toll of seven dead") refers back to where
    # it was first reported, wherever that stands (a live blog's older entry, further down)
    earlier = Status.SUPERSEDED in (fa.status, fb.status)
    return fa.value >= MIN_BODY_REPEAT and (in_lead or earlier) and fa.scope is not Scope.BREAKDOWN


def _joins(group: list[Mention], m: Mention, generic_victim: str, leads: dict[object, int]) -> bool:
    """``m`` joins ``group`` when it conflicts with none of its mentions and repeats one of them
    (a late caption repeats the headline or the lead, not each quote in between)."""
    members = group[:MAX_CANDIDATE_GROUPS]
    return not any(_conflict(o, m, generic_victim) for o in members) and any(
        _repeats(o, m, generic_victim, leads) for o in members
    )


def _different_places(a: Mention, b: Mention) -> bool:
    """Both sentences name places, and neither names any place of the other anywhere."""
    return bool(a.places and b.places and a.places.isdisjoint(b.words) and b.places.isdisjoint(a.words))


def merge_mentions(mentions: list[Mention], generic_victim: str) -> tuple[Figure, ...]:
    """``generic_victim`` is the lexicon's group that says nothing specific: two equal counts of
    it in the body are not taken for one fact."""
    groups: list[list[Mention]] = []
    candidates: dict[tuple[object, int, object], list[list[Mention]]] = defaultdict(list)
    mentions = drop_household_restatements(mentions)
    leads: dict[object, int] = {}  # category -> sentence of its first body mention
    for m in mentions:
        if not (m.headline or m.cell):
            leads.setdefault(m.figure.category, m.sentence_index)
    for m in mentions:
        f = m.figure
        same_number = candidates[(f.category, f.value, f.unit)]  # only these can be one fact
        for group in same_number[-MAX_CANDIDATE_GROUPS:]:
            if _joins(group, m, generic_victim, leads):
                group.append(m)
                break
        else:
            same_number.append([m])
            groups.append(same_number[-1])
    merged = []
    for group in groups:
        primary = min(group, key=lambda m: (m.figure.qualifier is Qualifier.EXACT, m.headline))
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
                # a headline or caption kept for its qualifier takes the body's scope ("where 620 ..."
                # is the part the body gives as a breakdown)
                scope=f.scope
                if not primary.headline
                else next((m.figure.scope for m in group if not m.headline), f.scope),
                source=f.source or next((o.source for o in others if o.source), None),
            )
        merged.append(f)
    merged.sort(key=lambda fig: (fig.char_start, fig.char_end))
    return tuple(merged)
