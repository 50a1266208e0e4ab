"""Tables written as text: a header row of cue cells over rows of numbers -> mentions.

Input: the whole text and the lexicon. Output: one :class:`~casualty_etl.extract.merge.Mention` per
number cell that stands under a header cell which is a cue phrase and nothing else ("Dead",
"Injured", "People displaced"), in lines whose cells are parted by a ``linking.table_separators``
mark ("|" of Markdown or plain-text tables, a tab) or aligned with runs of two spaces or more (plain-
text reports, text taken from PDFs: such a header is a short line of short cells with a row right
under it, so that prose with double spaces is never one). The header row is the first such line with a
cue cell; the table ends at the first line without a separator. A row whose first cell is one of
``linking.table_total_labels`` ("Total") is the whole (scope of its sentence words, usually the
incident); every other row is a part of it (scope breakdown). A cell must hold exactly one
number, at its start ("12", "about 12"); a row must have as many cells as the header.

Lists under a heading (``heading_mentions``): a line that names a category and what its rows are
counted by ("People displaced by province", "Deaths by district (as of 12 May)", "IDPs"), followed
right away by rows of a label, a leader (``linking.table_row_leaders``: "Tesh: 38,900", "Upper
Kivara ...... 512,300") and one number. Each row is a part of the heading's figure (scope breakdown;
a total label gives the whole). The heading is either nothing but cue and person nouns, or a cue
before a ``linking.table_heading_joiners`` word ("by", "per"), perhaps dated after a
``linking.table_heading_times`` word ("Deaths by province as of 5 p.m.:"); rows whose label or value
holds a cue of their own are left to the label rule of the sentence stages ("Dead: 11"). Under a
heading with a joiner, rows may also be written without a leader ("Amsel 14") or with the number in
brackets ("Amsel (14)"); under a bare cue ("Victims") such lines are as often names and ages.

Deliberately not here: tables whose row labels are the cues (transposed), cells that span several
columns, and sentences inside cells: those go through the sentence stages.
"""

from __future__ import annotations

import re

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


#: Columns aligned with spaces (plain-text reports, text taken from PDFs): cells parted by a run of at
#: least two spaces or a tab. Such a header must have several short cells, so that prose with two
#: spaces after a full stop is never a header.
_COLUMN_GAP = re.compile(r"\S(?: {2,}|\t)\S")
_SPACED_SPLIT = re.compile(r"(?: {2,}|\t)+")
#: Longest header cell of a space-aligned table, and longest header line, in characters.
_MAX_HEADER_CELL = 30
_MAX_HEADER_LINE = 160


def _spaced_cells(line: str, offset: int) -> list[tuple[int, int]]:
    """(start, end) of every cell of a space-aligned line starting at ``offset`` in the text."""
    cells = []
    k = 0
    for gap in _SPACED_SPLIT.finditer(line):
        if gap.start() > k:
            cells.append((k, gap.start()))
        k = gap.end()
    if k < len(line):
        cells.append((k, len(line)))
    return [(offset + a, offset + b) for a, b in cells if line[a:b].strip()]


def _header_like(text: str, cells: list[tuple[int, int]]) -> bool:
    """A space-aligned line can head a table: two cells or more, each short, none a sentence."""
    return len(cells) >= 2 and all(
        b - a <= _MAX_HEADER_CELL and not any(ch in ".!?" for ch in text[a:b]) for a, b in cells
    )


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
    lines = text.split("\n")
    mentions = heading_mentions(text, lexicon, lines)
    separators = lexicon.linking.table_separators
    if not separators:
        return mentions
    marked = any(s in text for s in separators)
    starts = []  # lines that may be rows: marked ones, and short ones with a gap of spaces
    line_start = 0
    for line in lines:
        if (marked and any(s in line for s in separators)) or (
            len(line) <= _MAX_ROW and ("  " in line or "\t" in line) and _COLUMN_GAP.search(line)
        ):
            starts.append(line_start)
        line_start += len(line) + 1
    if not starts:
        return mentions
    candidates = set(starts)
    header: dict[int, tuple[CueRule, Unit]] | None = None
    width = 0
    row = 0
    last_end = -2
    for start in starts:
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        if start != last_end + 1:  # a line that is no row stands between: the table has ended
            header = None
        last_end = end
        line = text[start:end]
        spaced = False
        if marked and any(s in line for s in separators):
            cells = _cells(text, start, end, separators)
        elif len(line) <= _MAX_ROW and _COLUMN_GAP.search(line) is not None:
            spaced = True
            # a space-aligned header is short and has a row right under it
            header_like = len(line) <= _MAX_HEADER_LINE and end + 1 in candidates
            cells = [] if header is None and not header_like else _spaced_cells(line, start)
        else:
            cells = []
        if not cells:
            header = None
        elif any(ch.isalnum() for ch in line):
            if header is None:
                columns = {}
                if not spaced or _header_like(text, cells):
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
    return mentions


#: A character of a row label, or a whole bracketed note ("Koro (new site)"): a leader inside an
#: open bracket ("(as of 18:00)") does not end the label.
_LABEL_PART = r"(?:[^\n()]|\([^\n()]*\))"
#: Longest row label, in characters: keeps the search linear on a long line without a leader.
_MAX_LABEL = 80
#: Longest line taken for a row, in characters (a label, its leader, a value and a short note).
_MAX_ROW = 200
#: A heading without a joiner has at most this many tokens, and this many words that are neither its
#: cue nor person nouns ("Confirmed deaths", "New IDP arrivals").
_HEADING_TOKENS = 6
_HEADING_MODIFIERS = 2
_ROW_RES: dict[tuple[str, ...], tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _row_re(leaders: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A line of a label, a run of one leader mark and a value starting with a digit; and a quick
    search for a leader before a digit, without which no line is a row."""
    found = _ROW_RES.get(leaders)
    if found is None:
        marks = "|".join(f"(?:{re.escape(m)})+" for m in sorted(leaders, key=len, reverse=True))
        quick = re.compile("(?:" + "|".join(re.escape(m) for m in leaders) + r")[^\S\n]*\d")
        found = (
            quick,
            re.compile(
                rf"^[^\S\n]*(?P<label>{_LABEL_PART}{{1,{_MAX_LABEL}}}?)[^\S\n]*(?:{marks})[^\S\n]*(?P<value>\d[^\n]*)$",
                re.MULTILINE,
            ),
        )
        _ROW_RES[leaders] = found
    return found


#: A row with no leader mark: a label and one number that ends the line ("Amsel 14"), or that number
#: in round brackets ("Amsel (14)"). Taken only under a heading that says what its rows are counted by
#: ("Deaths by province"): under a bare cue ("Victims") such rows are as often names and ages.
_BARE_ROW = re.compile(
    rf"^[^\S\n]*(?P<label>[^\W\d_](?:[^\n()]){{0,{_MAX_LABEL}}}?)[^\S\n]*"
    r"(?:(?P<value>\d[\d.,]*)|\((?P<bracketed>\d[\d.,]*)\))[^\S\n]*$",
    re.MULTILINE,
)
#: Last characters of a line that may end a bare row (a digit, a bracket, trailing blanks).
_ROW_ENDS = frozenset("0123456789) \t\r")


def _ends_with_digit(line: str) -> bool:
    """The quick test for a bare row: the line ends with a digit, perhaps in a closing bracket."""
    end = line.rstrip()
    if end.endswith(")"):
        end = end[:-1]
    return end[-1:].isdigit()


def _leads_a_number(line: str, hit: re.Match[str]) -> bool:
    """The leader found by ``hit`` is not glued between digits (a clock time or ratio: "at 2:09")."""
    return not (hit.start() > 0 and line[hit.start() - 1].isdigit() and not line[hit.end() - 2].isspace())


def heading_mentions(text: str, lexicon: Lexicon, lines: list[str] | None = None) -> list[Mention]:
    """Mentions of the rows of every list under a heading in ``text`` (see the module docstring);
    ``lines``: ``text`` split at its newlines, if the caller has it."""
    link = lexicon.linking
    if not link.table_row_leaders:
        return []
    quick, row_re = _row_re(link.table_row_leaders)
    rows: list[tuple[re.Match[str], bool]] = []  # (row, written without a leader mark)
    line_start = 0
    for line in text.split("\n") if lines is None else lines:  # rows are short lines
        start, line_start = line_start, line_start + len(line) + 1
        if len(line) > _MAX_ROW:
            continue
        row = None
        if any(_leads_a_number(line, hit) for hit in quick.finditer(line)):
            row = row_re.match(text, start, start + len(line))
        if row is not None:
            rows.append((row, False))
        elif line[-1:] in _ROW_ENDS and _ends_with_digit(line):
            bare = _BARE_ROW.match(text, start, start + len(line))
            if bare is not None:
                rows.append((bare, True))
    if not rows:
        return []
    mentions: list[Mention] = []
    column: tuple[CueRule, Unit] | None = None
    counted_by = False
    last_end = -2
    for k, (m, bare) in enumerate(rows):
        if m.start() != last_end + 1:  # a run of rows starts: its heading is the line right before
            heading = _heading_rule(text, m.start(), lexicon)
            column, counted_by = (heading[0], heading[1]) if heading else None, bool(heading and heading[2])
        last_end = m.end()
        if column is None or (bare and not counted_by):
            continue
        a, b = m.span("label")
        if not any(ch.isalpha() for ch in text[a:b]):
            continue
        row_tokens = tokenize(text[a : m.end()], offset=a, elisions=lexicon.elisions)
        if find_cues([t.low for t in row_tokens], lexicon):
            continue
        label = text[a:b].strip(" \t-\u2022*\u2013" + "".join(link.table_row_leaders)).lower()
        scope = Scope.INCIDENT if label in link.table_total_labels else Scope.BREAKDOWN
        value = "bracketed" if bare and m.group("bracketed") is not None else "value"
        va, vb = m.start(value), m.end(value) if bare else m.end()
        mention = _cell_mention(
            text,
            va,
            vb,
            text[m.start() : m.end()],
            column[0],
            column[1],
            scope,
            lexicon,
            ROW_INDEX_BASE + (1 << 20) + k,
            whole=bare,
        )
        if mention is not None:
            mentions.append(mention)
    return mentions


def _heading_rule(text: str, row_start: int, lexicon: Lexicon) -> tuple[CueRule, Unit, bool] | None:
    """The cue of the heading line before ``row_start`` (one blank line may stand between), if that
    line is a heading: a cue before a heading joiner ("Deaths by district"), or a short line of a cue,
    person nouns and at most ``_HEADING_MODIFIERS`` other words ("Confirmed deaths"); and whether it
    says what its rows are counted by (a joiner). What follows a ``linking.table_heading_times`` word
    is the date of the list, not part of the heading ("Deaths by province as of 5 p.m.:")."""
    end = row_start - 1
    for _ in range(2):
        if end < 1:
            return None
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if len(line) > _MAX_ROW:
            return None
        if line.strip():
            break
        end = start - 1
    else:
        return None
    lows = []
    depth = 0
    times = lexicon.linking.table_heading_times
    for t in tokenize(line, offset=start, elisions=lexicon.elisions):
        w = t.low  # bracketed notes ("(as of 18:00)") are not part of the heading
        if w == "(":
            depth += 1
        elif w == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            lows.append(w)
    when = next((hit[0] for hit in times.scan(lows) if hit[0] > 0), None)
    if when is not None:
        lows = lows[:when]
    if any(ch.isdigit() for w in lows for ch in w):
        return None
    while lows and lows[-1] in lexicon.linking.label_colons:
        lows.pop()
    joiners = lexicon.linking.table_heading_joiners
    cut = next((i for i, w in enumerate(lows) if w in joiners and i > 0), None)
    if cut is not None:
        before, after = lows[:cut], lows[cut + 1 :]
        if not after or find_cues(after, lexicon):
            return None
    elif len(lows) > _HEADING_TOKENS:
        return None
    else:
        before = lows
    cues = find_cues(before, lexicon)
    if not cues or not cues[0].rules:
        return None
    thing = lexicon.objects_after.match(before, cues[0].start)
    if thing is not None and thing[0] >= cues[0].end - cues[0].start:
        return None  # "Relief camps open": the heading counts places, not people
    covered = {j for c in cues for j in range(c.start, c.end)}
    unit = Unit.PEOPLE
    others = 0
    j = 0
    while j < len(before):
        if j in covered:
            j += 1
            continue
        noun = lexicon.victims.match(before, j)
        if noun is None:
            others += 1
            j += 1
            continue
        if noun[1] == lexicon.households_victim:
            unit = Unit.HOUSEHOLDS
        j += noun[0]
    if cut is None and others > _HEADING_MODIFIERS:
        return None
    return cues[0].rules[0], unit, cut is not None


def _unbracketed(line: str) -> str:
    """``line`` without what stands in round brackets."""
    return re.sub(r"\([^)]*\)", "", line)


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
    whole: bool = True,
) -> Mention | None:
    """The mention of the number at the start of text[a:b]; ``whole``: the cell holds nothing else."""
    tokens = tokenize(text[a:b], offset=a, elisions=lexicon.elisions)
    quantities = find_quantities(tokens, lexicon)
    if not quantities or quantities[0].start != 0 or (whole and len(quantities) != 1):
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
