"""Tables written as text: a header row of cue cells over rows of numbers -> mentions.

Input: the whole text and the lexicon. Output: one :class:`~casualty_etl.extract.merge.Mention` per
number cell that stands under a header cell which is a cue phrase and nothing else ("Dead",
"Injured", "People displaced"), in lines whose cells are parted by a ``linking.table_separators``
mark ("|" of Markdown or plain-text tables, a tab). The header row is the first such line with a
cue cell; the table ends at the first line without a separator. A row whose first cell is one of
``linking.table_total_labels`` ("Total") is the whole (scope of its sentence words, usually the
incident); every other row is a part of it (scope breakdown). A cell must hold exactly one
number, at its start ("12", "about 12"); a row must have as many cells as the header.

Deliberately not here: tables whose row labels are the cues (transposed), cells that span several
columns, and sentences inside cells: those go through the sentence stages.
"""

from __future__ import annotations

from casualty_etl.extract.linking import find_cues
from casualty_etl.extract.merge import Mention
from casualty_etl.extract.quantities import find_quantities
from casualty_etl.lexicon import CueRule, Lexicon
from casualty_etl.model import Figure, Scope, Unit
from casualty_etl.tokens import tokenize

#: Sentence indices given to table rows: after any sentence, so a row is never taken for the lead.
ROW_INDEX_BASE = 1 << 40


def _cells(text: str, start: int, end: int, separators: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of every cell of the line text[start:end], stripped; outer empty cells dropped."""
    cells = []
    k = start
    for i in range(start, end + 1):
        if i == end or text[i] in separators:
            a, b = k, i
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            cells.append((a, b))
            k = i + 1
    if cells and cells[0][0] == cells[0][1]:
        cells = cells[1:]
    if cells and cells[-1][0] == cells[-1][1]:
        cells = cells[:-1]
    return cells


def _column_rule(text: str, cell: tuple[int, int], lexicon: Lexicon) -> tuple[CueRule, Unit] | None:
    tokens = tokenize(text[cell[0] : cell[1]], offset=cell[0], elisions=lexicon.elisions)
    if not tokens:
        return None
    lows = [t.low for t in tokens]
    cues = find_cues(lows, lexicon)
    if not cues:
        return None
    # the cell is a cue, perhaps with a person noun before or after it ("People displaced", "IDPs")
    covered = set()
    for c in cues:
        covered.update(range(c.start, c.end))
    unit = Unit.PEOPLE
    j = 0
    while j < len(lows):
        if j in covered:
            j += 1
            continue
        noun = lexicon.victims.match(lows, j)
        if noun is None:
            return None
        if noun[1] == lexicon.households_victim:
            unit = Unit.HOUSEHOLDS
        j += noun[0]
    rules = cues[0].rules
    return (rules[0], unit) if rules else None


def table_mentions(text: str, lexicon: Lexicon) -> list[Mention]:
    """Mentions of the number cells of every table of ``text`` (see the module docstring)."""
    separators = lexicon.linking.table_separators
    if not separators or not any(s in text for s in separators):
        return []
    mentions: list[Mention] = []
    header: dict[int, tuple[CueRule, Unit]] | None = None
    width = 0
    row = 0
    start = 0
    n = len(text)
    while start <= n:
        end = text.find("\n", start)
        if end == -1:
            end = n
        line = text[start:end]
        if not any(s in line for s in separators):
            header = None
        elif any(ch.isalnum() for ch in line):
            cells = _cells(text, start, end, separators)
            if header is None:
                columns = {}
                for c, cell in enumerate(cells):
                    found = _column_rule(text, cell, lexicon)
                    if found is not None:
                        columns[c] = found
                if columns:
                    header, width = columns, len(cells)
            elif len(cells) == width:
                row += 1
                label = text[cells[0][0] : cells[0][1]].lower()
                scope = Scope.INCIDENT if label in lexicon.linking.table_total_labels else Scope.BREAKDOWN
                for c, (rule, unit) in header.items():
                    a, b = cells[c]
                    mention = _cell_mention(
                        text, a, b, line, rule, unit, scope, lexicon, ROW_INDEX_BASE + row
                    )
                    if mention is not None:
                        mentions.append(mention)
        start = end + 1
    return mentions


def _cell_mention(
    text: str,
    a: int,
    b: int,
    line: str,
    rule: CueRule,
    unit: Unit,
    scope: Scope,
    lexicon: Lexicon,
    index: int,
) -> Mention | None:
    tokens = tokenize(text[a:b], offset=a, elisions=lexicon.elisions)
    quantities = find_quantities(tokens, lexicon)
    if len(quantities) != 1 or quantities[0].start != 0:
        return None
    q = quantities[0]
    start, end = tokens[q.start].start, tokens[q.end - 1].end
    figure = Figure(
        category=rule.category,
        value=q.value,
        lower=q.lower,
        upper=q.upper,
        qualifier=q.qualifier,
        unit=unit,
        scope=scope,
        span=text[start:end],
        char_start=start,
        char_end=end,
        sentence=line,
        rule_ids=tuple(dict.fromkeys((*q.rule_ids, "link.table", rule.rule_id))),
        vague_word=q.vague_word,
        status=rule.status,
        subtype=rule.subtype,
    )
    # the total row sums the table up like a key-figures box; a part row stays a part of its own row
    return Mention(figure, index, q.start, scope is not Scope.BREAKDOWN, cell=True)
