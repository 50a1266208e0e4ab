"""Stage 6: read the context of a link: victims, unit, scope, status and who said it.

Input: a :class:`Link`, the tokens of its sentence and the lexicon. Output: a
:class:`Context` record. Scope and status come from lexicon phrases (``context``) in the
figure's own clause (bounded by clause-break words, ``;``/``:``/brackets and commas that do not
open a coordination), in a fronted adverbial that opens the sentence ("Since 19 September, ...",
"Ten years ago, ..."), or, for the sentence-wide statuses estimate and unconfirmed ("according
to UN estimates"), anywhere in the sentence. Phrases inside the figure's own cue do not count
("claimed the lives of" is no claim). A breakdown link is always scope breakdown. A first-person sentence
whose cue is active ("we killed 10 soldiers") is a claim by a party. The source is the noun
phrase of "according to X", "X said" or "said X".

Deliberately not here: anything that needs other sentences (see ``merge``).
"""

from __future__ import annotations

from dataclasses import dataclass

from casualty_etl.extract.linking import Link, LinkKind
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


def read_context(
    link: Link, text: str, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon
) -> Context:
    """``text`` is the document the token offsets point into."""
    victim, phrase, victim_end = _victim(link, text, tokens, lows, lexicon)
    unit = Unit.HOUSEHOLDS if victim == lexicon.households_victim else Unit.PEOPLE
    clause = _clause(link, tokens, lows, lexicon)
    return Context(
        victim,
        phrase,
        victim_end,
        unit,
        _scope(link, clause, lows, lexicon),
        _status(link, clause, lows, lexicon),
        _source(text, tokens, lows, lexicon),
    )


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
    word that opens it ("a day after ..."), plus the fronted adverbial of the sentence."""
    start = link.start
    while start > 0 and not _is_boundary(start - 1, tokens, lows, lexicon):
        start -= 1
    if start > 0 and lows[start - 1] in lexicon.linking.clause_breaks:
        start = max(0, start - 4)
    end = link.end
    while end < len(lows) and not _is_boundary(end, tokens, lows, lexicon):
        end += 1
    return start, end


#: Longest sentence-opening phrase, in tokens, read as a fronted adverbial ("Ten years ago, ...").
_FRONTED_MAX_TOKENS = 8


def _fronted_adverbial(link: Link, lows: list[str], table) -> list:
    """Context phrases of a short sentence-opening phrase before the first comma, when the figure
    comes after it ("Since 19 September, ...", "Ten years ago, ...")."""
    if "," not in lows[: _FRONTED_MAX_TOKENS + 1]:
        return []
    comma = lows.index(",")
    return _phrases(lows[:comma], table) if link.start > comma else []


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
    if group is None:
        return None, None, q.end
    return group, _span_text(text, tokens, q.end, end), end


def _phrases(lows: list[str], table, skip: range = range(0)) -> list:
    found = []
    i = 0
    while i < len(lows):
        if i in skip:
            i += 1
            continue
        hit = table.match(lows, i)
        if hit is None:
            i += 1
            continue
        found.append(hit[1])
        i += hit[0]
    return found


def _cue_tokens(link: Link) -> range:
    return range(link.cue.start, link.cue.end) if link.cue is not None else range(0)


def _scope(link: Link, clause: tuple[int, int], lows: list[str], lexicon: Lexicon) -> Scope:
    if link.breakdown or link.kind is LinkKind.BREAKDOWN:
        return Scope.BREAKDOWN
    start, end = clause
    found = set(_phrases(lows[start:end], lexicon.scope_words))
    found.update(_fronted_adverbial(link, lows, lexicon.scope_words))
    if Scope.OTHER_INCIDENT in found:
        return Scope.OTHER_INCIDENT
    if Scope.CUMULATIVE in found:
        return Scope.CUMULATIVE
    return Scope.INCIDENT


_STATUS_ORDER = (Status.SUPERSEDED, Status.CLAIMED, Status.FEARED, Status.UNCONFIRMED, Status.ESTIMATE)


#: Statuses that qualify a whole sentence ("..., according to UN estimates").
_SENTENCE_WIDE = (Status.ESTIMATE, Status.UNCONFIRMED)


def _status(link: Link, clause: tuple[int, int], lows: list[str], lexicon: Lexicon) -> Status | None:
    start, end = clause
    cue = _cue_tokens(link)
    own = range(cue.start - start, cue.stop - start) if cue else cue
    found = set(_phrases(lows[start:end], lexicon.status_words, own))
    found.update(s for s in _phrases(lows, lexicon.status_words, cue) if s in _SENTENCE_WIDE)
    if link.kind is LinkKind.BEFORE and any(w in lexicon.first_person for w in lows):
        found.add(Status.CLAIMED)
    if link.cue is not None:
        found.update(rule.status for rule in link.cue.rules if rule.status is not None)
    for status in _STATUS_ORDER:
        if status in found:
            return status
    return None


def _source(text: str, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon) -> str | None:
    """Who the sentence attributes its figures to, or None."""
    n = len(tokens)
    limit = lexicon.attribution_max_tokens
    for i in range(n):
        hit = lexicon.according_to.match(lows, i)
        if hit is not None:
            return _span_text(text, tokens, i + hit[0], _phrase_end(tokens, i + hit[0], limit))
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
