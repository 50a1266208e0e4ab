"""Stage 6: read the context of a link: victims, unit, scope, status and who said it.

Input: a sentence's tokens (``SentenceContext``, built once per sentence) and a :class:`Link`.
Output: a :class:`Context` record. Scope and status come from lexicon phrases (``context``) in the
figure's own clause (bounded by clause-break words, ``;``/``:``/brackets and commas that do not
open a coordination), in a fronted adverbial that opens the sentence ("Since 19 September, ...",
"Ten years ago, ..."), or, for the sentence-wide statuses estimate and unconfirmed ("according
to UN estimates"), anywhere in the sentence. Phrases inside the figure's own cue do not count
("claimed the lives of" is no claim). A breakdown link is always scope breakdown. A first-person sentence
whose cue is active ("we killed 10 soldiers") is a claim by a party. The source is the noun
phrase of "according to X", "X said" or "said X". A pronoun-like number with no person noun of
its own ("both were shot dead") takes the victims of an earlier number of the same value in the
sentence ("Two gunmen opened fire ...; both were shot dead"); a number that shares another's cue
without a noun of its own ("40 families ... and another 25 did likewise") takes the victims of
the nearest earlier number that has one.

Deliberately not here: anything that needs other sentences (see ``merge``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from casualty_etl.extract.linking import Link, LinkKind
from casualty_etl.extract.quantities import Quantity
from casualty_etl.lexicon import Lexicon
from casualty_etl.model import Scope, Status, Unit
from casualty_etl.tokens import Kind, Token


@dataclass(frozen=True, slots=True)
class Context:
    victim: str | None
    victim_phrase: str | None
    victim_end: int  # token index after the victim phrase (or the quantity)
    unit: Unit
    scope: Scope
    status: Status | None
    source: str | None


#: How many earlier numbers of the sentence are tried as the antecedent of a number without a noun.
_ANTECEDENT_MAX_NUMBERS = 6

#: Farthest a clause reaches from its figure, in tokens each way (keeps long lists linear).
MAX_CLAUSE_TOKENS = 60


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    value: object


class SentenceContext:
    """Everything of a sentence that several figures share, scanned once: scope and status phrases
    with their positions, the fronted adverbial, first person, and the attributed source."""

    def __init__(
        self,
        text: str,
        tokens: tuple[Token, ...],
        lows: list[str],
        lexicon: Lexicon,
        quantities: tuple[Quantity, ...] | list[Quantity] = (),
    ) -> None:
        self.text = text
        self.quantities = quantities
        self._quantity_ends = [e.end for e in quantities]
        self.tokens = tokens
        self.lows = lows
        self.lexicon = lexicon
        self.scope_hits = _hits(lows, lexicon.scope_words)
        self.status_hits = _hits(lows, lexicon.status_words)
        self.sentence_wide = [h for h in self.status_hits if h.value in _SENTENCE_WIDE]
        self.first_person = not lexicon.first_person.isdisjoint(lows)
        self.source = _source(text, tokens, lows, lexicon)
        head = lows[: _FRONTED_MAX_TOKENS + 1]
        self.fronted_end = head.index(",") if "," in head else None

    def read(self, link: Link) -> Context:
        lexicon = self.lexicon
        victim, phrase, victim_end = _victim(link, self.text, self.tokens, self.lows, lexicon)
        if victim is None and (link.quantity.weak or link.kind is LinkKind.COORDINATED):
            # "both were shot dead" (the same number before), "another 25 did likewise" (a sibling)
            victim, phrase = self._antecedent_victim(link.quantity, same_value=link.quantity.weak)
        unit = Unit.HOUSEHOLDS if victim == lexicon.households_victim else Unit.PEOPLE
        clause = _clause(link, self.tokens, self.lows, lexicon)
        return Context(
            victim,
            phrase,
            victim_end,
            unit,
            self._scope(link, clause),
            self._status(link, clause),
            self.source,
        )

    def _antecedent_victim(self, q: Quantity, *, same_value: bool) -> tuple[str | None, str | None]:
        """The victims of the last earlier number (of the same value, if asked) followed by a person noun."""
        before = bisect_right(self._quantity_ends, q.start)  # quantities are in text order
        for earlier in reversed(self.quantities[max(0, before - _ANTECEDENT_MAX_NUMBERS) : before]):
            if same_value and earlier.value != q.value:
                continue
            hit = self.lexicon.victims.match(self.lows, earlier.end)
            if hit is not None:
                return hit[1], _span_text(self.text, self.tokens, earlier.end, earlier.end + hit[0])
        return None, None

    def _after_a_year_when(self, link: Link, clause: tuple[int, int]) -> bool:
        """The figure's clause opens with "<year>, when" ("since 2009, when 200 people were killed")."""
        lexicon = self.lexicon
        lo, hi = lexicon.year_range
        for w in range(max(clause[0], 2), link.start):
            if self.lows[w] in lexicon.earlier_event_openers and self.lows[w - 1] == ",":
                year = self.tokens[w - 2]
                return year.kind is Kind.DIGITS and year.text.isdigit() and lo <= int(year.text) <= hi
        return False

    def _in(self, hits: list[_Hit], start: int, end: int, skip: range = range(0)) -> set:
        return {h.value for h in hits if h.end > start and h.start < end and h.start not in skip}

    def _scope(self, link: Link, clause: tuple[int, int]) -> Scope:
        if link.breakdown or link.kind is LinkKind.BREAKDOWN:
            return Scope.BREAKDOWN
        found = self._in(self.scope_hits, *clause)
        if self.fronted_end is not None and link.start > self.fronted_end:
            found |= self._in(self.scope_hits, 0, self.fronted_end)
        if Scope.OTHER_INCIDENT in found or self._after_a_year_when(link, clause):
            return Scope.OTHER_INCIDENT
        if Scope.CUMULATIVE in found:
            return Scope.CUMULATIVE
        return Scope.INCIDENT

    def _status(self, link: Link, clause: tuple[int, int]) -> Status | None:
        cue = range(link.cue.start, link.cue.end) if link.cue is not None else range(0)
        found = self._in(self.status_hits, *clause, skip=cue)
        found |= self._in(self.sentence_wide, 0, len(self.lows), skip=cue)
        if link.kind is LinkKind.BEFORE and self.first_person:
            found.add(Status.CLAIMED)
        if link.cue is not None:
            found.update(rule.status for rule in link.cue.rules if rule.status is not None)
        if link.superseded:
            return Status.SUPERSEDED
        for status in _STATUS_ORDER:
            if status in found:
                return status
        return None


def _hits(lows: list[str], table) -> list[_Hit]:
    """Every phrase of ``table`` in the sentence, left to right, without overlaps."""
    return [_Hit(start, end, value) for start, end, value in table.scan(lows)]


def _is_boundary(j: int, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon) -> bool:
    lw = lexicon.linking
    word = lows[j]
    if word in lw.hard_breaks or word in lw.clause_breaks or tokens[j].text in ";:()":
        return True
    if word == ",":
        return lexicon.linking.coordinators.match(lows, j + 1) is None
    return False


def _clause(link: Link, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon) -> tuple[int, int]:
    """Token range of the clause holding the link, widened by the words before a clause-break
    word that opens it ("a day after ..."), plus the fronted adverbial of the sentence. A clause
    ends at a boundary (``_is_boundary``, written out here: this runs for every figure)."""
    lw = lexicon.linking
    hard, breaks, coordinators = lw.hard_breaks, lw.clause_breaks, lw.coordinators
    start = link.start
    stop = link.start - MAX_CLAUSE_TOKENS
    while start > 0 and start > stop:
        word = lows[start - 1]
        if word in hard or word in breaks or tokens[start - 1].text in ";:()":
            break
        if word == "," and coordinators.match(lows, start) is None:
            break
        start -= 1
    if start > 0 and lows[start - 1] in breaks:
        start = max(0, start - 4)
    end = link.end
    stop = min(len(lows), link.end + MAX_CLAUSE_TOKENS)
    while end < stop:
        word = lows[end]
        if word in hard or word in breaks or tokens[end].text in ";:()":
            break
        if word == "," and coordinators.match(lows, end + 1) is None:
            break
        end += 1
    return start, end


#: Longest sentence-opening phrase, in tokens, read as a fronted adverbial ("Ten years ago, ...").
_FRONTED_MAX_TOKENS = 8


def _victim(
    link: Link, text: str, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon
) -> tuple[str | None, str | None, int]:
    q = link.quantity
    if link.kind is LinkKind.AFTER and link.cue is not None:
        stop = link.cue.start
    else:
        stop = min(len(tokens), q.end + 5)
    group: str | None = None
    end = q.end
    j = q.end
    partitive = lexicon.linking.partitive.match(lows, j)
    if partitive is not None:  # "dozens of fishermen"
        j += partitive[0]
    while j < stop:
        hit = lexicon.victims.match(lows, j)
        if hit is not None:
            length, found = hit
            if group is None or group == lexicon.generic_victim:
                group = found
            end = j + length
            j += length
            continue
        if (
            tokens[j].kind is not Kind.WORD
            or lows[j] in lexicon.linking.auxiliaries
            or lows[j] in lexicon.cues.first_words
        ):
            break
        j += 1
    cue = link.cue
    if group is None and link.kind is LinkKind.AFTER and cue is not None and cue.start == q.end:
        # "1,100 displaced families": a one-word cue used as an adjective, with its noun after it
        # (inside a two-word cue phrase or just after the cue); not "have lost their homes"
        adjective = lexicon.cues.match(lows[cue.start : cue.start + 1], 0)
        noun_at = cue.start + 1 if cue.end == cue.start + 2 else cue.end
        hit = (
            lexicon.victims.match(lows, noun_at)
            if adjective and adjective[1] and noun_at < len(lows)
            else None
        )
        if hit is not None and noun_at + hit[0] >= cue.end:
            end = noun_at + hit[0]
            return hit[1], _span_text(text, tokens, noun_at, end), end
    if group is None:
        return None, None, q.end
    return group, _span_text(text, tokens, q.end, end), end


_STATUS_ORDER = (Status.SUPERSEDED, Status.CLAIMED, Status.FEARED, Status.UNCONFIRMED, Status.ESTIMATE)


#: Statuses that qualify a whole sentence ("..., according to UN estimates").
_SENTENCE_WIDE = (Status.ESTIMATE, Status.UNCONFIRMED)


def _source(text: str, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon) -> str | None:
    """Who the sentence attributes its figures to, or None."""
    n = len(tokens)
    limit = lexicon.attribution_max_tokens
    according = lexicon.according_to.scan(lows)
    if according:
        after = according[0][1]  # the first "according to": the source is the phrase after it
        return _span_text(text, tokens, after, _phrase_end(tokens, after, limit))
    if lexicon.speech_verbs.isdisjoint(lows):
        return None
    for v in range(n - 1, -1, -1):
        if lows[v] not in lexicon.speech_verbs:
            continue
        after_end = _phrase_end(tokens, v + 1, limit)
        if after_end > v + 1 and (after_end >= n or tokens[after_end].text in ".,;"):
            # "..., said the civil defence."
            if v > 0 and tokens[v - 1].text in ",\u201d\"'":
                return _span_text(text, tokens, v + 1, after_end)
        start = v
        while start > 0 and tokens[start - 1].text not in ',\u201d"\u201c;:' and v - start < limit:
            start -= 1
        if start == v and start > 1 and tokens[start - 1].text == ",":
            # ', spokesman for the civil defence, told reporters': take the appositive.
            inner_end = start - 1
            inner = inner_end
            while (
                inner > 0
                and tokens[inner - 1].text not in ',\u201d"\u201c;:'
                and inner_end - inner < limit * 2
            ):
                inner -= 1
            return _span_text(text, tokens, inner, inner_end)
        if start < v and (start == 0 or tokens[start - 1].text in ',\u201d"'):
            return _span_text(text, tokens, start, v)
    return None


def _phrase_end(tokens: tuple[Token, ...], start: int, limit: int) -> int:
    j = start
    while j < len(tokens) and j - start < limit and tokens[j].text not in '.,;:\u201c\u201d"()':
        j += 1
    return j


def _span_text(text: str, tokens: tuple[Token, ...], start: int, end: int) -> str | None:
    if end <= start:
        return None
    return text[tokens[start].start : tokens[end - 1].end]
