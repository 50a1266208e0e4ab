"""Stages 4-5: find the cues of a sentence and link each quantity to what happened to it.

Input: the tokens of one sentence, its quantities (stage 3) and the lexicon. Output:
:class:`Link` records, at most one per quantity, each naming the category, the cue (if
any), how the link was made and the rule ids that fired.

A quantity is linked by one of these rules (ids in ``Link.rule_ids``):

- ``link.after``: the cue follows the number, with at most ``after_window`` tokens between
  them and no clause break ("500 civilians have been killed", "1700 injured"). An active
  verb followed by an object ("two gunmen killed ten people") does not count its subject.
- ``link.before``: the cue precedes the number, with only filler words between ("killed 10
  regime fighters", "injuring another 15", "the bodies of 12").
- ``link.toll``: a toll noun precedes the number within ``toll_window`` tokens ("the death
  toll rose to 43").
- ``link.coordinated``: the number shares the cue of a coordinated number ("12 soldiers and
  three civilians were killed", "killing 35 children and seven adults").
- ``link.earlier``: the number is an earlier toll that a toll before it corrects ("rose to 19
  from 11", "up from 51"); it takes that toll's category and status superseded.
- ``link.revised``: the number is a new value of the figure just before it ("reported four dead
  but later revised the figure to seven"); that figure becomes superseded.
- ``link.breakdown``: the number is a part of another figure ("including five children",
  "seven of them children", "two of the 12 killed"); it takes that figure's category.
- ``link.bracketed``: the number stands alone in brackets right after a cue noun ("most deaths
  (311)"); ``link.label``: the cue is in a label before a colon ("Dead: 11"), the last resort.
- ``link.bracketed_place_part``: the number is an item of a bracketed list of named places right
  after a figure ("9 confirmed (Amsa 6, Tebo 3)"): a part of that figure.
- ``link.named_list_part``: the number is an item of a list of named places after a figure, bare
  or in brackets ("recorded 12 deaths, Dorin 5 and Kessa 3"): a part of that figure.

When a quantity could be linked in several ways, :func:`choose_link` decides: that function
is the one place where competing candidates are resolved.

Deliberately not here: victims, scope, status and source (see ``context``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from casualty_etl.extract.quantities import Quantity
from casualty_etl.lexicon import Attach, CueRule, Lexicon, PhraseTable
from casualty_etl.model import Category, Subtype
from casualty_etl.tokens import Kind, Token


@dataclass(frozen=True, slots=True)
class CueMatch:
    start: int
    end: int
    rules: tuple[CueRule, ...]

    def rule_for(self, attach: str) -> CueRule | None:
        for rule in self.rules:
            if attach in rule.attach:
                return rule
        return None

    @property
    def may_be_active(self) -> bool:
        return any(rule.active for rule in self.rules)


class LinkKind(StrEnum):
    AFTER = "after"
    BEFORE = "before"
    TOLL = "toll"
    COORDINATED = "coordinated"
    BREAKDOWN = "breakdown"
    EARLIER = "earlier"
    REVISED = "revised"


@dataclass(frozen=True, slots=True)
class Link:
    quantity: Quantity
    category: Category
    kind: LinkKind
    distance: int
    cue: CueMatch | None
    rule_ids: tuple[str, ...]
    subtype: Subtype | None = None
    breakdown: bool = False
    priority: int = 0
    superseded: bool = False  # an earlier toll the sentence corrects ("up from 51")

    @property
    def start(self) -> int:
        return min(self.quantity.start, self.cue.start) if self.cue else self.quantity.start

    @property
    def end(self) -> int:
        return max(self.quantity.end, self.cue.end) if self.cue else self.quantity.end


def _derived(source: Link, q: Quantity, kind: LinkKind, *, rule: str | None = None, **changes: bool) -> Link:
    """A link of ``q`` that borrows ``source``'s category and cue rule without a cue of its own
    (coordinated numbers, parts, earlier tolls); ``rule`` (default ``link.<kind>``) replaces the
    link rule id, ``changes`` sets flags such as ``breakdown``."""
    rule_ids = (rule or f"link.{kind.value}",) + source.rule_ids[1:]
    return replace(source, quantity=q, kind=kind, cue=None, rule_ids=rule_ids, **changes)


def _link(q: Quantity, cue: CueMatch, rule: CueRule, kind: LinkKind, distance: int) -> Link:
    return Link(
        q,
        rule.category,
        kind,
        distance,
        cue,
        (f"link.{kind.value}", rule.rule_id),
        rule.subtype,
        priority=rule.priority,
    )


def find_cues(lows: list[str], lexicon: Lexicon) -> list[CueMatch]:
    """Cue phrases of a sentence, longest match first, left to right; fixed non-cue expressions skipped."""
    return [CueMatch(start, end, rules) for start, end, rules in lexicon.cues.scan(lows) if rules]


class _Sentence:
    """Index of one sentence's tokens, quantities and cues for the linking rules."""

    def __init__(
        self,
        tokens: tuple[Token, ...],
        lows: list[str],
        quantities: list[Quantity],
        cues: list[CueMatch],
        lexicon: Lexicon,
    ) -> None:
        self.tokens = tokens
        self.lows = lows
        self.n = len(tokens)
        self.quantities = quantities
        self.cues = cues
        self.lex = lexicon
        self.link_words = lexicon.linking
        self.quantity_at = {q.start: k for k, q in enumerate(quantities)}
        self.cue_at = {c.start: c for c in cues}
        self.cue_ending_at = {c.end - 1: c for c in cues}
        self.in_quantity = {t for q in quantities for t in range(q.start, q.end)}

    # ------------------------------------------------------------------ the number before its cue
    def after_candidate(self, k: int) -> Link | int | None:
        """A cue after quantity ``k``; or the index of a coordinated quantity whose cue it shares."""
        q = self.quantities[k]
        lw = self.link_words
        j = q.end
        steps = 0
        window = lw.after_window
        if lw.subject_prepositions and self._long_subject(q):
            window = lw.after_window + lw.relative_clause_window  # "12 members of the same family from ..."
        while j < self.n and steps <= window:
            relative = self.lows[j] in lw.relative_pronouns and (
                self.lows[j] not in lw.clause_breaks
                or self.lex.victims.match_ending(self.lows, j) is not None
            )
            if relative:
                window = lw.after_window + lw.relative_clause_window  # "fishermen who put to sea ..."
            cue = self.cue_at.get(j)
            if cue is not None:
                if j > q.end and self.lows[j - 1] in self.lex.numbers.indefinite_before:
                    return None  # "40 people on board, several dead": the cue counts "several"
                return self._after_link(q, cue, steps)
            other = self.quantity_at.get(j)
            if (
                other is not None
                and j > q.end
                and (lw.breakdown_before.match_ending(self.lows, j) or self.lows[j - 1] in lw.prepositions)
                and self.lows[j - 1] not in lw.coordinators.first_words
            ):
                # "6,000 people including 4,000 children were staying", "1,900 people in nine centres":
                # a part or a prepositional object does not stop the reach of the number.
                j = self.quantities[other].end
                steps += 1
                continue
            if other is not None:
                between = self.lows[q.end : j]
                coordinator = lw.coordinators.match_ending(self.lows, j)
                if coordinator is not None and self._noun_phrase(q.end, j - coordinator[0]):
                    return other  # "12 soldiers and three civilians were killed"
                if not between or self.is_partitive(q.end, j):
                    return other
                return None
            word = self.lows[j]
            if word == "(":
                close = self._closing_paren(j)
                if close is None:
                    return None
                inner = self.quantity_at.get(j + 1)
                if inner is not None:
                    return inner  # "300 households (1,100 people) were evacuated": an appositive
                j = close + 1
                continue
            if word in lw.appositive_dashes:
                close = self._closing_dash(j)
                if close is not None:
                    inner = self.quantity_at.get(j + 1)
                    if inner is not None:
                        return inner  # "7,200 people — about 1,400 families — were forced out"
                    j = close + 1  # "12 people — most of them children — were killed"
                    continue
                if q.start > 0 and self.lows[q.start - 1] in lw.appositive_dashes:
                    j += 1  # the dash closing the inserted phrase that holds this number
                    continue
                return None
            if word == ",":
                listed = self._listed_after_comma(q, j)
                if listed is not None:
                    return listed  # "Nine soldiers, six policemen and 12 civilians were killed"
                skip_to = self._comma_skip(j)
                if skip_to is None:
                    return None
                if isinstance(skip_to, tuple):
                    return skip_to[0]  # "2,400 families, or 12,000 people, were evacuated"
                j = skip_to
                continue
            if not relative and (
                word in lw.hard_breaks or word in lw.clause_breaks or word in lw.negation_before
            ):
                return None
            steps += 1
            j += 1
        return None

    def _listed_after_comma(self, q: Quantity, comma: int) -> int | None:
        """The next item when ``q`` and its person noun open a list of counts parted by commas:
        the item after ``comma`` is a number, a person noun and a coordinator ("Nine soldiers, six
        policemen and 12 civilians"); not "Of 40 passengers, 12 ..." nor "300 people, 120 of them"."""
        listed = self.quantity_at.get(comma + 1)
        if listed is None or (q.start > 0 and self.lows[q.start - 1] in self.link_words.prepositions):
            return None
        if self.lex.victims.match(self.lows, q.end) is None or not self._noun_phrase(q.end, comma):
            return None
        after = self.quantities[listed].end
        noun = self.lex.victims.match(self.lows, after) if after < self.n else None
        if noun is None or after + noun[0] >= self.n:
            return None
        return listed if self.lows[after + noun[0]] in self.link_words.coordinators.first_words else None

    def _long_subject(self, q: Quantity) -> bool:
        """A person noun right after the number, or after one modifier, then a subject preposition
        ("Twelve members of the same family from ...", "Seventeen young men from ...")."""
        victims = self.lex.victims
        for start in (q.end, q.end + 1):
            hit = victims.match(self.lows, start)
            if hit is not None:
                after = start + hit[0]
                return after < self.n and self.lows[after] in self.link_words.subject_prepositions
        return False

    def _after_link(self, q: Quantity, cue: CueMatch, steps: int) -> Link | None:
        rule = cue.rule_for(Attach.AFTER)
        if rule is None:
            return None
        # "100,000 newly displaced people": right after the number a verb cue is an adjective.
        adjective = steps == 0 and self.lex.victims.match(self.lows, cue.end) is not None
        if not adjective and self._used_actively(cue):
            return None
        if rule.yields:
            # "12 refugees were killed": a noun cue yields to a verb cue shortly after it.
            j = cue.end
            limit = min(self.n, cue.end + 4)
            while j < limit:
                later = self.cue_at.get(j)
                if later is not None:
                    later_rule = later.rule_for(Attach.AFTER)
                    if later_rule is not None and not later_rule.yields and not self._used_actively(later):
                        return _link(q, later, later_rule, LinkKind.AFTER, steps + j - cue.start)
                    break
                if self.lows[j] in self.link_words.hard_breaks or j in self.quantity_at:
                    break
                j += 1
        return _link(q, cue, rule, LinkKind.AFTER, steps)

    def _used_actively(self, cue: CueMatch) -> bool:
        """True when a verb cue takes an object ("gunmen killed ten"), so it cannot count its subject."""
        if not cue.may_be_active or cue.rule_for(Attach.AFTER) is None:
            return False
        before = self.lows[cue.start - 1] if cue.start > 0 else ""
        if before in self.link_words.auxiliaries and before not in self.link_words.active_auxiliaries:
            return False  # "were killed"; but "ont tué 10" (an auxiliary of the active perfect)
        if cue.end >= self.n:
            return False
        nxt = self.lows[cue.end]
        return (
            cue.end in self.quantity_at
            or nxt in self.link_words.object_starts
            or self.lex.victims.match(self.lows, cue.end) is not None
            or self.lex.qualifiers_before.match(self.lows, cue.end) is not None
        )

    def _closing_dash(self, j: int) -> int | None:
        """The dash closing the inserted phrase opened by the dash at ``j``, if it comes soon."""
        lw = self.link_words
        for m in range(j + 1, min(self.n, j + _INSERTION_MAX_TOKENS)):
            if self.lows[m] in lw.appositive_dashes:
                return m
            if self.lows[m] in lw.hard_breaks:
                return None
        return None

    def _closing_paren(self, j: int) -> int | None:
        for m in range(j + 1, min(self.n, j + 12)):
            if self.lows[m] == ")":
                return m
        return None

    def _comma_skip(self, j: int) -> int | tuple[int] | None:
        """Where the reach of a number goes on after the comma at ``j``: past an inserted phrase
        (", including five children,", ", mainly women and children,"), straight on before a verb
        (", were evacuated"); a 1-tuple names an appositive number (", or 12,000 people,")."""
        nxt = j + 1
        if nxt >= self.n:
            return None
        if self._verb_starts(nxt):
            return nxt
        hit = self.link_words.coordinators.match(self.lows, nxt)
        if hit is not None and nxt + hit[0] in self.quantity_at:
            return (self.quantity_at[nxt + hit[0]],)
        close = self._next_comma(nxt)
        if close is None:
            return None
        if self.link_words.breakdown_before.match(self.lows, nxt) or (
            close + 1 < self.n and self._verb_starts(close + 1)
        ):
            if any(
                m in self.cue_at for m in range(nxt, close)
            ) and not self.link_words.breakdown_before.match(self.lows, nxt):
                return None
            return close + 1
        return None

    def _verb_starts(self, j: int) -> bool:
        return self.lows[j] in self.link_words.auxiliaries or (
            j in self.cue_at and self.cue_at[j].rule_for(Attach.AFTER) is not None
        )

    def _next_comma(self, j: int) -> int | None:
        """The comma closing an inserted phrase that starts at ``j``, within 14 tokens; a bracketed
        aside in it counts as one token ("the residents of Rio Claro (Meta department),")."""
        m, seen, n = j, 0, self.n
        while m < n and seen < 14:
            word = self.lows[m]
            if word == ",":
                return m
            if word in self.link_words.hard_breaks:
                return None
            if word == "(":
                close = self._closing_paren(m)
                if close is None:
                    return None
                m = close
            m += 1
            seen += 1
        return None

    # ------------------------------------------------------------------ the cue before its number
    def before_candidate(self, k: int) -> Link | None:
        q = self.quantities[k]
        lw = self.link_words
        j = q.start - 1
        fillers = 0
        while j >= 0:
            cue = self.cue_ending_at.get(j)
            if cue is not None:
                rule = cue.rule_for(Attach.BEFORE)
                if rule is None and fillers == 0:
                    return self._label_without_colon(q, cue)
                return _link(q, cue, rule, LinkKind.BEFORE, fillers) if rule else None
            if self.lows[j] in lw.before_fillers and fillers < lw.before_window and j not in self.in_quantity:
                fillers += 1
                j -= 1
                continue
            if self.lows[j] in lw.label_colons:
                return self._labelled(q, j)
            if self.lows[j] == "(" and j > 0 and q.end < self.n and self.lows[q.end] == ")":
                return self._bracketed_after_cue(q, j)
            if fillers == 0 and self.lows[j] in lw.copulas:
                inverted = self._inverted(q, j)
                if inverted is not None:
                    return inverted
            if fillers == 0 and lw.coordinators.match_ending(self.lows, q.start) is not None:
                across = self._before_across_object(q)
                if across is not None:
                    return across
            return self._before_across_phrase(q, j, fillers) if lw.before_phrase_window else None
        return None

    def _before_across_object(self, q: Quantity) -> Link | None:
        """ "killed the bomber and 12 others", "injuring a policeman and three passers-by": an active
        cue whose first object is a noun phrase without a number, coordinated with this number."""
        lw = self.link_words
        joiner = lw.coordinators.match_ending(self.lows, q.start)
        if joiner is None:
            return None
        end = q.start - joiner[0]  # the first object ends here
        for m in range(end - 2, max(-1, end - _OBJECT_MAX_TOKENS - 2), -1):
            cue = self.cue_ending_at.get(m)
            if cue is not None:
                rule = cue.rule_for(Attach.BEFORE)
                if rule is None or self.lows[m + 1] not in lw.object_starts:
                    return None
                return replace(
                    _link(q, cue, rule, LinkKind.BEFORE, q.start - m),
                    rule_ids=("link.across_object", rule.rule_id),
                )
            word = self.lows[m]
            if (
                word in lw.hard_breaks
                or word in lw.clause_breaks
                or word in lw.coordinators.first_words
                or m in self.in_quantity
                or m in self.cue_at
                or word == ","
            ):
                return None
        return None

    def _inverted(self, q: Quantity, copula: int) -> Link | None:
        """ "Killed in the attack were three police officers", "Still missing are 14 crew members":
        a cue opening the sentence (after ``inverted_openers``) and a short phrase, then a copula
        right before the number: the verb before its subject."""
        lw = self.link_words
        for m in range(copula - 1, max(-1, copula - _INVERTED_MAX_TOKENS - 1), -1):
            cue = self.cue_ending_at.get(m)
            if cue is not None:
                rule = cue.rule_for(Attach.AFTER)
                opens = all(self.lows[i] in lw.inverted_openers for i in range(cue.start))
                if rule is None or rule.yields or not opens:
                    return None
                return replace(
                    _link(q, cue, rule, LinkKind.BEFORE, copula - m),
                    rule_ids=("link.inverted", rule.rule_id),
                )
            word = self.lows[m]
            if (
                word in lw.hard_breaks
                or word in lw.clause_breaks
                or word in lw.copulas
                or m in self.in_quantity
                or m in self.cue_at
            ):
                return None
        return None

    def _label_without_colon(self, q: Quantity, cue: CueMatch) -> Link | None:
        """ "Total deaths 1,204", "Injured 30": a line made of a cue, perhaps after a total label, and
        the number that ends it (key figures and info boxes written without a colon)."""
        if q.end != self.n or len(self.quantities) != 1:
            return None
        rule = cue.rule_for(Attach.AFTER) or cue.rule_for(Attach.TOLL)
        if rule is None or rule.part:
            return None
        if cue.start > 0 and " ".join(self.lows[: cue.start]) not in self.link_words.table_total_labels:
            return None
        return replace(_link(q, cue, rule, LinkKind.BEFORE, 1), rule_ids=("link.label", rule.rule_id))

    def _bracketed_after_cue(self, q: Quantity, open_: int) -> Link | None:
        """ "Most deaths (311) were recorded in the north": a number alone in brackets right after a
        cue noun is the count of that noun."""
        cue = self.cue_ending_at.get(open_ - 1)
        if cue is None:
            return None
        rule = cue.rule_for(Attach.AFTER) or cue.rule_for(Attach.TOLL)
        if rule is None:
            return None
        return replace(_link(q, cue, rule, LinkKind.BEFORE, 1), rule_ids=("link.bracketed", rule.rule_id))

    def _labelled(self, q: Quantity, colon: int) -> Link | None:
        """ "Personas fallecidas: 14", "Homicidios en octubre: 84": a label holding a cue, a colon, the
        number (key figures of a situation report). The cue ends at most ``_LABEL_TAIL_TOKENS`` before
        the colon, with no break or other number between."""
        for m in range(colon - 1, max(-1, colon - _LABEL_TAIL_TOKENS - 2), -1):
            cue = self.cue_ending_at.get(m)
            if cue is not None:
                rule = cue.rule_for(Attach.AFTER) or cue.rule_for(Attach.TOLL) or cue.rule_for(Attach.BEFORE)
                if rule is None or self._number_opens_clause_before(cue.start):
                    return None
                # the label is a last resort: a cue of the number's own clause beats it
                # ("Casualties: two firefighters have suffered minor burns")
                distance = colon - m + self.link_words.after_window + 1
                return replace(
                    _link(q, cue, rule, LinkKind.BEFORE, distance), rule_ids=("link.label", rule.rule_id)
                )
            if self.lows[m] in self.link_words.hard_breaks or m in self.in_quantity or m in self.quantity_at:
                return None
        return None

    def _number_opens_clause_before(self, start: int) -> bool:
        """A number stands between the opening of the clause (the sentence start or a hard break) and
        token ``start``: the colon then opens a list of parts ("forced 9,500 people from their homes:
        6,000 in Lira ..."), not a label."""
        opening = start
        while opening > 0 and self.lows[opening - 1] not in self.link_words.hard_breaks:
            opening -= 1
        return any(opening <= other.start < start for other in self.quantities)

    def _before_across_phrase(self, q: Quantity, j: int, fillers: int) -> Link | None:
        """ "se desplazaron en 20 eventos 9.686 personas": a cue before the number, parted from it by a
        prepositional phrase of at most ``before_phrase_window`` tokens (a verb before its subject)."""
        lw = self.link_words
        for m in range(j - 1, max(-1, j - lw.before_phrase_window - 1), -1):
            cue = self.cue_ending_at.get(m)
            if cue is not None:
                rule = cue.rule_for(Attach.BEFORE)
                nxt = self.lows[m + 1]
                if rule is None or nxt not in lw.prepositions or lw.coordinators.match(self.lows, m + 1):
                    return None
                return _link(q, cue, rule, LinkKind.BEFORE, fillers + j - m)
            word = self.lows[m + 1]
            if (
                word in lw.hard_breaks
                or word in lw.clause_breaks
                or word in lw.coordinators.first_words
                or m + 1 in self.in_quantity
                or m + 1 in self.cue_at
            ):
                return None
        return None

    # ------------------------------------------------------------------ toll nouns
    def toll_candidates(self) -> dict[int, Link]:
        found: dict[int, Link] = {}
        lw = self.link_words
        for cue in self.cues:
            rule = cue.rule_for(Attach.TOLL)
            if rule is None:
                rule = self._toll_phrase(cue)
                if rule is None:
                    continue
            fronted = self._fronted_toll(cue)
            if fronted is not None:
                found.setdefault(fronted, _link(self.quantities[fronted], cue, rule, LinkKind.TOLL, 1))
                continue
            for j in range(cue.end, min(self.n, cue.end + lw.toll_window + 1)):
                k = self.quantity_at.get(j)
                if k is not None:
                    if self.lows[j - 1] not in lw.toll_change_before:
                        found.setdefault(k, _link(self.quantities[k], cue, rule, LinkKind.TOLL, j - cue.end))
                    break
                if self.lows[j] in lw.hard_breaks or (j in self.cue_at and j != cue.end):
                    break
        return found

    def _fronted_toll(self, cue: CueMatch) -> int | None:
        """The quantity fronted before a toll noun ("bringing to 15 the number of people killed")."""
        lw = self.link_words
        if not lw.fronted_toll_before.first_words:
            return None
        m = cue.start
        if m > 0 and self.lows[m - 1] in lw.before_fillers:
            m -= 1
        for k, q in enumerate(self.quantities):
            if q.end == m:
                return k if lw.fronted_toll_before.match_ending(self.lows, q.start) is not None else None
        return None

    def _toll_phrase(self, cue: CueMatch) -> CueRule | None:
        """The rule of a verb cue that ends a toll noun made of a toll head, a person noun and the
        cue ("the number of people wounded", "the number of students kidnapped", "the number of
        people still missing"); the auxiliaries and relative pronouns between noun and cue are skipped."""
        lw = self.link_words
        heads = lw.toll_heads
        if not heads.first_words:
            return None
        rule = cue.rule_for(Attach.AFTER)
        if rule is None or rule.yields:
            return None
        m = cue.start
        while (
            m > 0
            and cue.start - m < 3
            and (self.lows[m - 1] in lw.auxiliaries or self.lows[m - 1] in lw.relative_pronouns)
        ):
            m -= 1
        noun = self.lex.victims.match_ending(self.lows, m)
        if noun is not None:
            m -= noun[0]
        return rule if heads.match_ending(self.lows, m) is not None else None

    # ------------------------------------------------------------------ parts
    def is_participle_part(self, link: Link, before: Link) -> bool:
        """ "The gunman shot seven people, killing two": a cue opening a clause after a comma, whose
        number is smaller than a combined count just before it, names a part of that count."""
        cue = link.cue
        return (
            link.kind is LinkKind.BEFORE
            and cue is not None
            and cue.start > 0
            and self.lows[cue.start - 1] == ","
            and before.category is Category.CASUALTIES
            and link.category in (Category.KILLED, Category.INJURED)
            and before.quantity.end <= cue.start
            and link.quantity.value < before.quantity.value
        )

    def said_fatal(self, q: Quantity) -> bool:
        """A manner word such as "fatally" within a few words after the number."""
        return self._said_manner(q, self.link_words.fatal_manner)

    def said_severity(self, q: Quantity) -> bool:
        """A degree of injury such as "seriously" right after the number ("12 were injured, five
        seriously"), and the clause ends there (not "three slightly older children")."""
        if q.end + 1 > self.n or self.lows[q.end] not in self.link_words.severity_manner:
            return False
        return (
            q.end + 1 == self.n
            or self.lows[q.end + 1] in self.link_words.hard_breaks
            or (self.lows[q.end + 1] in self.link_words.coordinators.first_words)
        )

    def _said_manner(self, q: Quantity, words: frozenset[str]) -> bool:
        lw = self.link_words
        for j in range(q.end, min(self.n, q.end + _FATAL_MANNER_REACH)):
            if self.lows[j] in words:
                return True
            if self.lows[j] in lw.hard_breaks or j in self.quantity_at:
                return False
        return False

    def list_whole(self, q: Quantity, whole: Link | None) -> Link | None:
        """``whole`` (the last figure before ``q`` that is not a part) when a colon after it opens a
        list and ``q`` is an item of that list: followed by a place preposition or a person noun,
        with no other break since the colon, which stands at most ``_LIST_MAX_TOKENS`` before."""
        lw = self.link_words
        if whole is None:
            return None
        follows = self.lows[q.end] if q.end < self.n else ""
        if follows not in lw.list_part_followers and self.lex.victims.match(self.lows, q.end) is None:
            return None
        j = q.start - 1
        stop = max(0, q.start - _LIST_MAX_TOKENS)
        while j >= stop and self.lows[j] not in lw.list_colons:
            if self.lows[j] in lw.hard_breaks and not (j > 0 and self.lows[j - 1] in self.lex.abbreviations):
                return None  # a break; but not the full stop of an abbreviation ("9 at St. Anne's")
            j -= 1
        if j < stop or whole.end > j:
            return None
        return whole

    def dash_list_whole(self, q: Quantity, whole: Link | None) -> Link | None:
        """``whole`` when a dash right after it (and its person noun) opens a list whose first item
        is ``q``, followed by a person noun or a place preposition ("killed 12 - eight women and four
        children", "left three dead — two protesters and a police officer")."""
        lw = self.link_words
        dash = q.start - 1
        if whole is None or dash < 1 or self.lows[dash] not in lw.list_dashes or q.end >= self.n:
            return None
        if (
            self.lows[q.end] not in lw.list_part_followers
            and self.lex.victims.match(self.lows, q.end) is None
        ):
            return None
        end = whole.end
        noun = self.lex.victims.match(self.lows, end)
        if noun is not None:
            end += noun[0]
        return whole if end == dash else None

    def bracketed_place_part(self, q: Quantity, whole: Link | None) -> Link | None:
        """``whole`` when ``q`` is an item of a bracketed list of named places right after it, each
        item a capitalised name then its count ("9 confirmed (Amsa 6, Tebo 3)"): a part of it."""
        if whole is None or q.start < 2 or whole.end > q.start:
            return None
        closes = self.lows[q.end] if q.end < self.n else ""
        if closes != ")" and closes not in self.link_words.coordinators.first_words:
            return None
        if not self._capitalised(q.start - 1):
            return None
        j = q.start - 1
        while j > whole.end and self.lows[j] != "(":
            joins = self.lows[j] in self.link_words.coordinators.first_words
            if not (self._capitalised(j) or joins or j in self.in_quantity):
                return None
            j -= 1
        if self.lows[j] != "(" or not 0 <= j - whole.end <= 1:
            return None
        return whole

    def named_list_part(self, q: Quantity, whole: Link | None) -> Link | None:
        """``whole`` when ``q`` is an item of a list of named places or groups after it, each item a
        capitalised name then its count, bare or in brackets ("recorded 12 deaths, Dorin 5 and Kessa
        3", "killed 20 people: Arvel 12, Dorin 5", "Arvel (12) and Dorin (5)"): a part of it. Between
        the figure (and its noun) and the item stand only names, coordinators, list colons, brackets
        and the counts of earlier items."""
        if whole is None or q.start < 2 or whole.end > q.start:
            return None
        lw = self.link_words
        if q.end < self.n:
            closes = self.lows[q.end]
            if closes != ")" and closes not in lw.coordinators.first_words and closes not in lw.hard_breaks:
                return None
        name = q.start - 1
        if self.lows[name] == "(":
            if q.end >= self.n or self.lows[q.end] != ")":
                return None
            name -= 1
        if not self._capitalised(name):
            return None
        noun = self.lex.victims.match(self.lows, whole.end)
        start = whole.end + (noun[0] if noun is not None else 0)
        if (
            start > name
            or self.lows[start] not in lw.coordinators.first_words
            and self.lows[start] not in lw.list_colons
        ):
            return None
        for j in range(start, name):
            w = self.lows[j]
            if not (
                self._capitalised(j)
                or w in lw.coordinators.first_words
                or w in lw.list_colons
                or w in ("(", ")")
                or j in self.in_quantity
            ):
                return None
        return whole

    def _capitalised(self, j: int) -> bool:
        token = self.tokens[j]
        return token.kind is Kind.WORD and token.text[:1].isupper()

    def is_gapped_sibling(self, q: Quantity, before: Link) -> bool:
        """ "40 dead in Amsa and 12 in Tebo": a number that repeats the shape of the figure before it
        (both followed by a place preposition) without repeating its cue."""
        lw = self.link_words
        followers = lw.list_part_followers
        if before.end >= self.n:
            return False
        # the place preposition follows the figure or its noun ("displaced 3,000 people in Lira"),
        # or closes its cue ("were staying at")
        noun = self.lex.victims.match(self.lows, before.end)
        after = before.end + noun[0] if noun is not None else before.end
        # the sibling repeats the noun when the figure had one ("killed 10 people in Amsa, 5 people in Tebo")
        own_noun = self.lex.victims.match(self.lows, q.end) if noun is not None and q.end < self.n else None
        q_end = q.end + own_noun[0] if own_noun is not None else q.end
        if q_end >= self.n or self.lows[q_end] not in followers:
            return False
        placed = (after < self.n and self.lows[after] in followers) or self.lows[before.end - 1] in followers
        if not placed and own_noun is None:
            # a list item right after the figure ("hay 204 fallecidos, 74 en Morelos y 45 en Puebla")
            joiner = lw.coordinators.match(self.lows, before.end)
            placed = joiner is not None and before.end + joiner[0] == q.start
        gap_start = after if own_noun is not None else before.end  # the repeated noun is part of the shape
        if not placed or q.start - gap_start > _GAPPED_SIBLING_MAX_TOKENS:
            return False
        return not any(
            self.lows[j] in lw.hard_breaks or self.lows[j] in lw.clause_breaks or j in self.cue_at
            for j in range(before.end, q.start)
        )

    def is_parallel_sibling(self, q: Quantity, before: Link) -> bool:
        """ "... with 352 deaths, followed by Balochistan with 241": a number after the same
        preposition as the figure before it, and followed by nothing that could be its own noun,
        repeats that figure's count for another place or group."""
        lw = self.link_words
        b = before.quantity
        if q.start < 1 or b.start < 1 or before.end > q.start or q.start - before.end > _GAPPED_MAX_TOKENS:
            return False
        preposition = self.lows[q.start - 1]
        if preposition not in lw.prepositions or preposition != self.lows[b.start - 1]:
            return False
        if (
            q.end < self.n
            and self.tokens[q.end].kind is Kind.WORD
            and self.lows[q.end] not in lw.coordinators.first_words
        ):
            return False
        return not any(
            self.lows[j] in lw.hard_breaks or self.lows[j] in lw.clause_breaks or j in self.cue_at
            for j in range(before.end, q.start)
        )

    def copula_part(self, q: Quantity, whole: Quantity, links: dict[int, Link]) -> Link | None:
        """The link of ``whole`` (the number a partitive opener opens the sentence with) when ``q``
        opens a clause after it and a copula follows ``q`` ("Of the 21 dead, nine were soldiers")."""
        lw = self.link_words
        link = links.get(self.quantities.index(whole)) if whole is not q else None
        if link is None or q.start <= whole.end or q.end >= self.n or self.lows[q.end] not in lw.copulas:
            return None
        before = self.lows[q.start - 1]
        return link if before == "," or lw.coordinators.match_ending(self.lows, q.start) is not None else None

    def is_part_sibling(self, q: Quantity, before: Link) -> bool:
        """ "Of the dead, five were police officers and two were civilians"; "including 12 in the
        old town and 9 in the port": a number coordinated shortly after a part, in the same clause
        and with no cue of its own, is another part of the same whole."""
        lw = self.link_words
        # a sentence opened by its whole ("Of the wounded, four were ... and two ...") reaches further
        cue = before.cue
        opened = cue is not None and cue.start == 0 and any(rule.part for rule in cue.rules)
        reach = _OPENED_PART_MAX_TOKENS if opened else _GAPPED_MAX_TOKENS
        if not before.breakdown or before.end > q.start or q.start - before.end > reach:
            return False
        if not self.coordinated_before(q):
            return False
        return not any(
            self.lows[j] in lw.hard_breaks or self.lows[j] in lw.clause_breaks or j in self.cue_at
            for j in range(before.end, q.start)
        )

    def restates_households(self, q: Quantity, before: Link) -> bool:
        """ "displaced 1,210 households (5,730 individuals)": a person count opened by a restatement
        mark (``linking.restatement_opens``) right after a households count restates it."""
        b = before.quantity
        k = q.start - 1
        if k < 1 or self.lows[k] not in self.link_words.restatement_opens or not 0 <= k - b.end <= 2:
            return False
        victims = self.lex.victims
        counted = victims.match(self.lows, b.end)
        households = counted is not None and counted[1] == self.lex.households_victim
        if not households and not self.households_label(b.start):
            return False
        person = victims.match(self.lows, q.end)
        return person is not None and person[1] != self.lex.households_victim

    def households_label(self, start: int) -> bool:
        """The number at ``start`` follows a label naming households ("Families evacuated: 520")."""
        colon = start - 1
        if colon < 1 or self.lows[colon] not in self.link_words.label_colons:
            return False
        for m in range(colon - 1, max(-1, colon - _LABEL_TAIL_TOKENS - 2), -1):
            if self.lows[m] in self.link_words.hard_breaks:
                return False
            noun = self.lex.victims.match(self.lows, m)
            if noun is not None and noun[1] == self.lex.households_victim:
                return True
        return False

    def cue_parts(self, cue: CueMatch) -> list[Category]:
        """The categories of the single-word cues inside a cue phrase, in order, when there are
        several different ones ("killed and injured" -> killed, injured)."""
        parts: list[Category] = []
        for j in range(cue.start, cue.end):
            hit = self.lex.cues.match(self.lows[j : j + 1], 0)
            if hit is None or not hit[1]:
                continue
            category = hit[1][0].category
            if category is not Category.CASUALTIES and category not in parts:
                parts.append(category)
        return parts if len(parts) >= 2 else []

    # ------------------------------------------------------------------ filters
    def _month_name(self, j: int) -> bool:
        """The word at ``j`` is a month written with its capital inside the sentence ("the tornado in
        May killed two"), not the modal verb of the same spelling."""
        if not (j > 0 and self.lows[j] in self.lex.date_words and self.tokens[j].text[:1].isupper()):
            return False
        # after a preposition ("in May") or before a day or year ("May 2008"); "Storm May Kill
        # Dozens" stays a projection
        return self.lows[j - 1] in self.link_words.prepositions or (
            j + 1 < self.n and self.tokens[j + 1].kind is Kind.DIGITS
        )

    def is_hypothetical_or_negated(self, link: Link) -> bool:
        """Projections ("could kill 100") and negations ("none of the 40 passengers were hurt")."""
        lw = self.link_words
        q = link.quantity
        cue = link.cue
        if cue is None:
            return False
        if link.kind is LinkKind.AFTER:
            # Between number and cue, a few words before the number ("could leave 5,000 homeless",
            # "sentenced 11 men to death"), and after a weak cue ("8,000 refugees returned").
            before = q.start
            while (
                before > 0
                and q.start - before < 3
                and self.tokens[before - 1].text not in ",;:()"
                and self.lows[before - 1] not in lw.clause_breaks
                and not lw.coordinators.match(self.lows, before - 1)
            ):
                before -= 1
            after = cue.end
            if any(rule.yields for rule in cue.rules):
                after = min(self.n, cue.end + 3)
            window = [*range(before, q.start), *range(q.end, cue.start)]
            # After a noun cue, a negation belongs to another verb ("25,000 IDPs do not have
            # shelter"); a projection or a cancelling verb still counts ("8,000 refugees returned").
            after_noun = range(cue.end, after)
        else:
            window = range(max(0, cue.start - lw.projection_window), cue.start)
            if link.kind is LinkKind.TOLL:
                window = range(window.start, q.start)
            after_noun = range(0)
        cancel = lw.cancel_by_category.get(link.category)
        for j in (*window, *after_noun):
            if j not in self.in_quantity and (
                (lw.projection_before.match(self.lows, j) and not self._month_name(j))
                or (self.lows[j] in lw.negation_before and j not in after_noun)
                or (cancel is not None and cancel.match(self.lows, j))
            ):
                return True
        if (
            cancel is not None
            and link.kind is LinkKind.AFTER
            and lw.partitive.match_ending(self.lows, q.start) is None  # "half of the 111,000 ... returned"
            and self._cancelled_later(cue.end, cancel)
        ):
            return True
        # "none of the 40 passengers": a negation right before the number, across "of the";
        # "sentenced 11 men", "freed 14 hostages": the verb governing the number is no harm done.
        j = q.start - 1
        while j >= 0 and q.start - j <= 3 and self.lows[j] in lw.negation_bridge:
            j -= 1
        if j >= 0 and self.lows[j] in lw.negation_before and j not in self.in_quantity:
            return True
        return q.start > 0 and lw.not_victims_before.match_ending(self.lows, q.start) is not None

    def repeats_the_cue_before(self, q: Quantity) -> bool:
        return q.end < self.n and self.link_words.repeat_cue.match(self.lows, q.end) is not None

    def revises_the_figure_before(self, q: Quantity) -> bool:
        return self.link_words.toll_references.match_ending(self.lows, q.start) is not None

    def _cancelled_later(self, start: int, cancel: PhraseTable[bool]) -> bool:
        """A cancelling verb later in the clause ("57,000 people displaced from the city returned
        home"), unless a negation stands right before it ("have not returned")."""
        lw = self.link_words
        for j in range(start, min(self.n, start + lw.cancel_reach)):
            word = self.lows[j]
            if (
                word in lw.hard_breaks
                or word in lw.clause_breaks
                or j in self.cue_at
                or j in self.quantity_at
            ):
                return False
            if cancel.match(self.lows, j):
                return not any(self.lows[i] in lw.negation_before for i in range(max(start, j - 2), j))
        return False

    def running_total_before(self, q: Quantity) -> bool:
        return self.link_words.running_total_before.match_ending(self.lows, q.start) is not None

    def earlier_toll_before(self, q: Quantity) -> bool:
        return self.link_words.earlier_toll_before.match_ending(self.lows, q.start) is not None

    def counts_a_group(self, link: Link) -> bool:
        """The number of ``link`` is followed by a plain person noun and then its cue, a verb written
        after it ("of the 30 passengers died", not "of the 12 killed" or "of the 40 hostages")."""
        q, cue = link.quantity, link.cue
        if link.kind is not LinkKind.AFTER or cue is None or any(rule.yields for rule in cue.rules):
            return False
        noun = self.lex.victims.match(self.lows, q.end)
        if noun is None or q.end + noun[0] > cue.start:
            return False
        # a finite verb ("were killed", "died"), not a participle after the noun ("the 20 people
        # abducted have escaped": the 20 are the figure)
        return not cue.may_be_active or self.lows[cue.start - 1] in self.link_words.auxiliaries

    def opens_sentence(self, q: Quantity) -> bool:
        """``q`` opens the sentence, or only a part phrase stands before it ("Among them, 4 ...")."""
        if q.start == 0:
            return True
        hit = self.link_words.breakdown_before.match_ending(self.lows, q.start)
        if hit is None and self.lows[q.start - 1] == ",":
            hit = self.link_words.breakdown_before.match_ending(self.lows, q.start - 1)
            return hit is not None and hit[0] == q.start - 1
        return hit is not None and hit[0] == q.start

    def breakdown_before(self, q: Quantity) -> bool:
        return self.link_words.breakdown_before.match_ending(self.lows, q.start) is not None

    def breakdown_after(self, q: Quantity) -> bool:
        return q.end < self.n and self.link_words.breakdown_after.match(self.lows, q.end) is not None

    def _noun_phrase(self, start: int, end: int) -> bool:
        """The tokens [start, end) could be the rest of a counted noun phrase: modifiers
        ("Afghan", "prison") ending in a person noun or a capitalised group name, or nothing. A
        verb ends the phrase, so "78 people had been rescued and 9 bodies recovered" shares no cue."""
        last_noun = start  # token index after the last person noun seen
        j = start
        while j < end:
            hit = self.lex.victims.match(self.lows, j)
            if hit is not None:
                j += hit[0]
                last_noun = j
                continue
            word = self.lows[j]
            if (
                word in self.link_words.auxiliaries
                or word in self.link_words.clause_breaks
                or j in self.cue_at
            ):
                return False
            j += 1
        # ends in a person noun, or in a capitalised group name ("Twenty-three Palestinians and ...")
        return last_noun == end or self.tokens[end - 1].text[:1].isupper()

    def is_partitive(self, start: int, end: int) -> bool:
        """The tokens [start, end) are exactly a partitive phrase ("of the" in "two of the 12")."""
        hit = self.link_words.partitive.match(self.lows, start)
        return hit is not None and start + hit[0] == end

    def person_follows(self, q: Quantity) -> bool:
        """A person noun right after the number, or after one modifier ("one Saudi policeman")."""
        victims = self.lex.victims
        return victims.match(self.lows, q.end) is not None or (
            q.end + 1 < self.n and victims.match(self.lows, q.end + 1) is not None
        )

    def coordinated_before(self, q: Quantity) -> bool:
        return q.start > 0 and self.link_words.coordinators.match_ending(self.lows, q.start) is not None


#: Categories of which a part may be said to have died ("12 of them fatally").
_WOUNDING = (Category.CASUALTIES, Category.INJURED)

#: Longest stretch, in tokens, between a figure and a number that repeats its shape ("in Amsa and").
_GAPPED_MAX_TOKENS = 8
#: The same for another part in a sentence opened by its whole ("Of the wounded, four were taken to
#: the regional medical centre by ambulance and two ..."): the first part's clause may be longer.
_OPENED_PART_MAX_TOKENS = 16
#: The same for a sibling that repeats the figure's place shape ("6 died in clashes in the northern
#: city of X, 5 in the capital"): the place phrase of the figure may be longer.
_GAPPED_SIBLING_MAX_TOKENS = 12
#: Farthest a list item stands from the colon that opens the list, in tokens.
_LIST_MAX_TOKENS = 40
#: Longest phrase, in tokens, inserted between two dashes ("— most of them children —").
_INSERTION_MAX_TOKENS = 14
#: Longest stretch, in tokens, between a label's cue and its colon ("Homicidios en octubre: 84").
_LABEL_TAIL_TOKENS = 6
#: Longest first object, in tokens, of a cue coordinated with a number ("killed the bomber and 12 others").
_OBJECT_MAX_TOKENS = 4
#: Longest phrase, in tokens, between a sentence-opening cue and its copula ("Killed in the attack were").
_INVERTED_MAX_TOKENS = 8
#: How far after a part "fatally" may stand ("12 of them fatally").
_FATAL_MANNER_REACH = 4


def choose_link(candidates: list[Link]) -> Link | None:
    """Resolve competing links of one quantity: a cue of higher lexicon priority wins (the
    resultative "shot three people to death"); then the closest cue; at equal distance a cue
    written after the number beats one before it, and both beat a toll noun.

    This is the single place where overlapping candidate readings are resolved.
    """
    if not candidates:
        return None
    order = {LinkKind.AFTER: 0, LinkKind.BEFORE: 1, LinkKind.TOLL: 2}
    return min(candidates, key=lambda link: (-link.priority, link.distance, order.get(link.kind, 3)))


def link_sentence(
    tokens: tuple[Token, ...],
    lows: list[str],
    quantities: list[Quantity],
    cues: list[CueMatch],
    lexicon: Lexicon,
    previous: Link | None = None,
) -> list[Link]:
    """Link every quantity of a sentence that counts casualties. ``lows`` are the tokens' lower-cased
    texts, ``cues`` what :func:`find_cues` found in them; ``previous`` is the last link of the
    sentence before (a breakdown may refer to it). Every link starts from a cue or from
    ``previous``: without both, the result is empty, and callers may skip the sentence."""
    if not quantities:
        return []
    if lexicon.linking.cancel_sentence.scan(lows):
        return []  # a drill or a simulation: nobody was hurt
    sentence = _Sentence(tokens, lows, quantities, cues, lexicon)
    tolls = sentence.toll_candidates()
    direct: dict[int, Link] = {}
    pending: dict[int, int] = {}
    for k, q in enumerate(quantities):
        candidates: list[Link] = []
        after = sentence.after_candidate(k)
        if isinstance(after, Link):
            candidates.append(after)
        elif isinstance(after, int):
            pending[k] = after
        before = sentence.before_candidate(k)
        if before is not None:
            candidates.append(before)
        if k in tolls:
            candidates.append(tolls[k])
        chosen = choose_link(candidates)
        if chosen is None:
            continue
        if q.weak and chosen.distance > 1 and not sentence.person_follows(q):
            continue
        if sentence.is_hypothetical_or_negated(chosen):
            continue
        direct[k] = chosen

    links: dict[int, Link] = dict(direct)
    # Coordinated and appositive numbers share the cue of the number they lean on.
    for k in sorted(pending, reverse=True):
        if k in links:
            continue
        target = links.get(pending[k])
        if target is not None:
            q = quantities[k]
            is_part = sentence.is_partitive(q.end, quantities[pending[k]].start)
            if is_part and sentence.counts_a_group(target):
                # "Twelve of the 30 passengers died": the cue counts the twelve; 30 is the group
                links[k] = replace(target, quantity=q, rule_ids=("link.group_part",) + target.rule_ids[1:])
                del links[pending[k]]
                continue
            kind = LinkKind.BREAKDOWN if is_part else LinkKind.COORDINATED
            links[k] = _derived(target, q, kind, breakdown=is_part)
    # Parts of another figure, and numbers coordinated after an active verb.
    last: Link | None = previous
    last_here: Link | None = None  # the last link of this sentence (token indices comparable)
    last_whole: Link | None = None  # the last link of this sentence that is not a part of another
    last_here_k = -1  # the quantity index of last_here

    def supersede_last_here() -> None:
        links[last_here_k] = replace(links[last_here_k], superseded=True)

    # "Of the 40 injured, six are in critical condition": the opening number is the whole, the rest parts.
    opener = lexicon.linking.partitive_openers.match(lows, 0)
    whole = quantities[0] if opener is not None and quantities[0].start == opener[0] else None
    whole_link = links.get(0) if whole is not None else None
    if whole_link is None:
        # "Of the 212 people on board, 138 were killed": a whole that is no figure has no parts
        whole = None
    for k, q in enumerate(quantities):
        if (
            whole_link is not None
            and k not in links
            and k > 0
            and q.start >= 1
            and lows[q.start - 1] in lexicon.linking.copulas
            and whole_link.end == q.start - 1
        ):  # "Among the 41 dead were 16 children": the number after the copula is a part
            links[k] = _derived(whole_link, q, LinkKind.BREAKDOWN, rule="link.copula_part", breakdown=True)
        if whole is not None and q is not whole and k in links and links[k].kind is not LinkKind.BREAKDOWN:
            links[k] = replace(links[k], breakdown=True)
        if k in links:
            link = links[k]
            if last_here is not None and last_here.category is link.category:
                if sentence.revises_the_figure_before(q):  # "... later revised the death toll to 7"
                    supersede_last_here()
            names_a_part = (
                sentence.breakdown_before(q)
                or (link.cue is not None and any(rule.part for rule in link.cue.rules))
                or (last_here is not None and sentence.breakdown_after(q))  # "11 hurt, 3 of them in care"
            )
            if names_a_part and link.kind is not LinkKind.BREAKDOWN and last is not None:
                if link.kind is LinkKind.COORDINATED and link.category is not last.category:
                    # "34 people dead, including one soldier, and 193 people injured": the part
                    # belongs to the figure before "including", not to the number after it
                    link = _derived(last, q, LinkKind.BREAKDOWN, breakdown=True)
                else:
                    link = replace(link, breakdown=True)
                links[k] = link
            elif (
                last_here is not None
                and last_here.breakdown
                and link.category is last_here.category
                and sentence.coordinated_before(q)
                and last_here.quantity.end >= q.start - 3
            ):
                # "12 people, including 5 children and 3 women, were killed": a list of parts
                link = replace(link, breakdown=True)
                links[k] = link
            elif last_here is not None and sentence.is_participle_part(link, last_here):
                link = replace(link, breakdown=True, rule_ids=link.rule_ids + ("link.participle_part",))
                links[k] = link
            last = last_here = link
            last_here_k = k
            if not link.breakdown:
                last_whole = link
            continue
        fatal_part = last_here is not None and last_here.category in _WOUNDING and sentence.said_fatal(q)
        # "12 were injured, five seriously": a degree of injury after the number names a part
        fatal_part = fatal_part or (
            last_here is not None and last_here.category is Category.INJURED and sentence.said_severity(q)
        )
        listed_in = sentence.list_whole(q, last_whole) if last_here is not None else None
        if last is None or (q.weak and not fatal_part and listed_in is None):
            continue
        if last_here is not None and sentence.restates_households(q, last_here):
            # "displaced 1,210 households (5,730 individuals)": merge keeps the person count
            links[k] = _derived(last_here, q, LinkKind.COORDINATED, rule="link.households_restated")
            if sentence.households_label(last_here.quantity.start):
                # "Families evacuated: 520 (2,100 persons)": the label counts households
                del links[last_here_k]
        elif last_here is not None and sentence.repeats_the_cue_before(q):
            # "30 people sought refuge in one camp and another 130 did likewise"
            links[k] = _derived(last_here, q, LinkKind.COORDINATED, rule="link.repeated_cue")
        elif last_here is not None and sentence.revises_the_figure_before(q):
            # "reported four dead but later revised the figure to seven"
            supersede_last_here()
            links[k] = _derived(last_here, q, LinkKind.REVISED)
        elif sentence.running_total_before(q):
            # "another 2,100 fled, bringing the total to 48,300": the running total of the same count
            links[k] = _derived(last, q, LinkKind.COORDINATED, rule="link.running_total", breakdown=False)
        elif last_here is not None and sentence.earlier_toll_before(q):
            # "rose to 19 from 11 a day earlier": the earlier toll of the same count, superseded
            links[k] = _derived(last_here, q, LinkKind.EARLIER, superseded=True)
        elif (
            # a part of the figure of the sentence before opens its own sentence ("Four of them were
            # children") or has no number before it in its sentence ("The injured were taken to two
            # hospitals, where five of them are in critical condition"); not "... pulled out 19 people
            # from the debris, of whom 12 were alive", where "them" is the 19 of its own sentence
            (last_here is not None or sentence.opens_sentence(q) or q is quantities[0])
            and (sentence.breakdown_before(q) or sentence.breakdown_after(q))
        ) or fatal_part:
            links[k] = _derived(last, q, LinkKind.BREAKDOWN, breakdown=True)
            if sentence.said_fatal(q) and last.category in _WOUNDING:
                # "killed or injured 50 people, 12 of them fatally", "11 people were shot, one fatally"
                links[k] = replace(
                    links[k], category=Category.KILLED, rule_ids=links[k].rule_ids + ("link.fatally",)
                )
        elif (bracketed := sentence.bracketed_place_part(q, last_whole)) is not None:
            # "Deaths: 9 confirmed (Amsa 6, Tebo 3)": named places and their counts in brackets
            links[k] = _derived(
                bracketed, q, LinkKind.BREAKDOWN, rule="link.bracketed_place_part", breakdown=True
            )
        elif (named := sentence.named_list_part(q, last_whole)) is not None:
            # "recorded 12 deaths, Dorin 5 and Kessa 3": named places and their counts after a figure
            links[k] = _derived(named, q, LinkKind.BREAKDOWN, rule="link.named_list_part", breakdown=True)
        elif (
            listed_in is not None
            or (listed_in := sentence.list_whole(q, last_whole)) is not None
            or (listed_in := sentence.dash_list_whole(q, last_whole)) is not None
        ):
            # "displaced 30,000 people: 18,000 in Amsa and 12,000 in Tebo"; "one in Region 1, ..."
            links[k] = _derived(listed_in, q, LinkKind.BREAKDOWN, rule="link.list_part", breakdown=True)
        elif whole is not None and (part_of := sentence.copula_part(q, whole, links)) is not None:
            # "Of the 21 dead, nine were soldiers": a part of the whole the sentence opens with
            links[k] = _derived(part_of, q, LinkKind.BREAKDOWN, rule="link.copula_part", breakdown=True)
        elif last_here is not None and sentence.is_part_sibling(q, last_here):
            # "of the dead, five were police officers and two were civilians"
            links[k] = _derived(last_here, q, LinkKind.BREAKDOWN, rule="link.part_sibling", breakdown=True)
        elif (
            last_here is not None
            and sentence.coordinated_before(q)
            and last_here.kind in (LinkKind.BEFORE, LinkKind.COORDINATED, LinkKind.BREAKDOWN)
            and last_here.quantity.end >= q.start - 3
        ) or (last_here is not None and sentence.is_parallel_sibling(q, last_here)):
            links[k] = _derived(last_here, q, LinkKind.COORDINATED)
        elif (
            last_whole is not None
            and sentence.coordinated_before(q)
            and sentence.is_gapped_sibling(q, last_whole)
        ):
            # "5 killed in Lira and two in Amsa"; "6,000 people including 4,000 children were staying
            # at the base and about 5,000 at the airstrip" (the sibling of the whole, not of its part)
            links[k] = _derived(last_whole, q, LinkKind.COORDINATED)
        else:
            continue
        last = last_here = links[k]
        last_here_k = k
        if not last_here.breakdown:
            last_whole = last_here
    ordered = [links[k] for k in sorted(links)]
    if lexicon.linking.respectively.intersection(lows):
        ordered = _distribute_respectively(ordered, sentence)
    return ordered


def _distribute_respectively(links: list[Link], sentence: _Sentence) -> list[Link]:
    """ "Seven and 15 people were killed and injured, respectively": the categories of the single
    cues inside one combined cue go to its numbers in order. Left as they are unless there is
    exactly one such cue and as many numbers linked to its category as it has parts."""
    combined = []
    for cue in sentence.cues:
        parts = sentence.cue_parts(cue)
        if len(parts) >= 2:
            combined.append((cue, parts))
    if len(combined) != 1:
        return links
    cue, parts = combined[0]
    whole = cue.rules[0].category
    shared = [i for i, link in enumerate(links) if link.category is whole and not link.breakdown]
    if len(shared) != len(parts):
        return links
    out = list(links)
    for i, category in zip(shared, parts, strict=True):
        out[i] = replace(out[i], category=category, rule_ids=out[i].rule_ids + ("link.respectively",))
    return out
