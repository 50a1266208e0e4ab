"""The extraction engine: ``extract(text, language=None) -> tuple[Figure, ...]``.

Input: one article's text (any length; offsets in the output refer to it) and, optionally, the
code of the language to read it in. Output: every figure of people killed, injured, displaced,
missing or abducted, one per fact, each with its value, bounds, qualifier, unit, victims, scope,
status, source, span, character offsets and the ids of the rules that fired. Pure Python, no I/O,
no Prefect, no pandas; every word it knows comes from the language lexicon
(``casualty_etl/lexicon/<lang>.yaml``).

Without ``language`` the article's language is detected (``casualty_etl.language``: a bounded prefix,
tens of microseconds) and its lexicon is used; an article in a language without a lexicon yields no
figures. ``extract_article`` returns the language with the figures, so a caller can tell an article
that was not read (``language.supported`` is False) from one without figures.

The stages, in order (each module's docstring gives its contract):

1. ``sentences.split_sentences``   text -> sentence ranges
2. prefilter                       skip sentences without both a cue phrase and a number-like token
   ``glued.split_glued_words``       "tendeaths" -> "ten deaths" (only where the text lost a space)
3. ``quantities.find_quantities``  tokens -> quantities (number, qualifier, range; non-people dropped)
4. ``linking.find_cues``           tokens -> cue phrases
5. ``linking.link_sentence``       quantities + cues -> links (``linking.choose_link`` resolves overlaps)
6. ``context.SentenceContext``     link -> victim, unit, scope, status, source
7. ``grid.table_mentions``        tables written as text -> mentions of their number cells
8. ``merge.merge_mentions``        mentions -> one figure per fact
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from casualty_etl.extract.context import Context, SentenceContext
from casualty_etl.extract.glued import split_glued_words
from casualty_etl.extract.grid import table_mentions
from casualty_etl.extract.linking import Link, find_cues, link_sentence
from casualty_etl.extract.merge import Mention, merge_mentions
from casualty_etl.extract.quantities import find_quantities
from casualty_etl.extract.sentences import split_lines, split_sentences
from casualty_etl.language import choose_language
from casualty_etl.lexicon import Lexicon, load_lexicon
from casualty_etl.model import ArticleLanguage, Figure
from casualty_etl.tokens import Token, tokenize

__all__ = ["extract", "extract_article", "ArticleExtraction", "STAGES"]

_SENTENCE_ENDINGS = (".", "!", "?", '"', "\u201d", "'", "\u2019", ")")
#: A decimal digit: what the number prefilter finds first in most sentences, found here at C speed
#: (the prefilter's number words make its own search try every position).
_DIGIT = re.compile(r"\d")
#: A bracket a photo credit opens with ("(Photo: ...)", "[Picture: ...]").
_OPEN_BRACKET = re.compile(r"[(\[]")
#: Characters read for a caption label at the start of a line or bracket (a label is a word or two).
_LABEL_CHARS = 40
#: The first word of a line or bracket, past spaces and marks (checked against the caption labels).
_FIRST_WORD = re.compile(r"[^\w\n]*(\w+)")

STAGES = (
    "sentences.split_sentences",
    "prefilter",
    "glued.split_glued_words",
    "quantities.find_quantities",
    "linking.find_cues",
    "linking.link_sentence",
    "context.SentenceContext",
    "grid.table_mentions",
    "merge.merge_mentions",
)


@dataclass(frozen=True, slots=True)
class ArticleExtraction:
    """The figures of one text and the language they were read in (``figures`` is empty when the
    language has no lexicon: ``language.supported`` is False)."""

    language: ArticleLanguage
    figures: tuple[Figure, ...]


def extract(text: str, language: str | None = None) -> tuple[Figure, ...]:
    """Every casualty figure of ``text``, one per fact, in text order. ``language`` forces a lexicon
    (``LexiconError`` when there is none); None or ``"auto"`` detects the language."""
    return extract_article(text, language).figures


def extract_article(text: str, language: str | None = None) -> ArticleExtraction:
    """The figures of ``text`` with the language chosen for it (see ``extract``)."""
    chosen = choose_language(text, language)
    if not chosen.supported:
        return ArticleExtraction(chosen, ())
    return ArticleExtraction(chosen, _extract(text, load_lexicon(chosen.code)))


def _extract(text: str, lexicon: Lexicon) -> tuple[Figure, ...]:
    """Every casualty figure of ``text`` read with ``lexicon``."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    cue_starts = [m.start() for m in lexicon.cue_prefilter.finditer(lowered)]
    if not cue_starts or not (_DIGIT.search(text) or lexicon.number_prefilter.search(text)):
        return ()
    mentions: list[Mention] = []
    captions: dict[int, bool] = {}  # line start -> the line is a photo caption
    line_start = scanned = 0  # start of the line of the last sentence read; text read up to there
    previous: Link | None = None
    for index, (start, end) in _candidate_sentences(text, cue_starts, lexicon):
        sentence = text[start:end]
        if not (_DIGIT.search(sentence) or lexicon.number_prefilter.search(sentence)):
            previous = None
            continue
        tokens = tokenize(sentence, offset=start, elisions=lexicon.elisions)
        if lexicon.glued_words_search.search(" " + lowered[start:end]):
            tokens = split_glued_words(tokens, lexicon)
        lows = [t.low for t in tokens]
        cues = find_cues(lows, lexicon)
        if not cues and previous is None:
            continue  # nothing to link a number to: no need to read the numbers
        quantities = find_quantities(tokens, lexicon, lows)
        links = link_sentence(tokens, lows, quantities, cues, lexicon, previous)
        if links:
            context = SentenceContext(text, tokens, lows, lexicon, quantities)
            headline = not sentence.rstrip().endswith(_SENTENCE_ENDINGS) or (
                index == 0 and _whole_line(text, start, end)
            )
            # sentences run left to right: each character is searched for a line break once
            newline = text.rfind("\n", scanned, start)
            line_start = line_start if newline == -1 else newline + 1
            scanned = start
            caption = _caption_line(text, lowered, line_start, lexicon, captions)
            places = _places(tokens, lows, lexicon)
            words = frozenset(lows) if places else frozenset()
            summary = lexicon.merge.summary_before.scan(lows)
            summary_end = summary[0][1] if summary else len(lows) + 1
            for link in links:
                figure = _figure(link, context.read(link), text, sentence, tokens)
                at = link.quantity.start
                # "another 12" adds to a count of its kind just before ("five died ... another 12
                # died"); with none ("23 died and a further 57 were injured") it is no new fact
                fresh = lexicon.merge.new_fact_before.match_ending(lows, at) is not None and (
                    any(o.category is link.category and o.quantity.start < at for o in links)
                    or (previous is not None and previous.category is link.category)
                )
                mentions.append(
                    Mention(
                        figure,
                        index,
                        at,
                        headline or caption,
                        fresh,
                        places,
                        words,
                        caption=caption,
                        summary=summary_end <= at,
                    )
                )
        previous = links[-1] if links else None
    mentions.extend(table_mentions(text, lexicon))
    return merge_mentions(mentions, lexicon.generic_victim)


def _whole_line(text: str, start: int, end: int) -> bool:
    """The sentence is a line of its own, with more text after it (a title, even one ending in a
    full stop); a first sentence that runs on in its line is the lead of the body, not a headline."""
    before = text.rfind("\n", 0, start)
    after = text.find("\n", end)
    return not text[before + 1 : start].strip() and after != -1 and not text[end:after].strip()


def _caption_line(text: str, lowered: str, line_start: int, lexicon, seen: dict[int, bool]) -> bool:
    """The line starting at ``line_start`` is a photo caption: it opens with a caption label and a
    colon ("Photo: ...", "Caption: ...") or holds a bracket that opens with one ("(Photo: ...)").
    ``seen`` keeps the answer per line, so a long line is read once."""
    found = seen.get(line_start)
    if found is None:
        labels = lexicon.merge.caption_labels
        line_end = text.find("\n", line_start)
        if line_end == -1:
            line_end = len(text)

        def label_at(k: int, colon: bool) -> bool:  # a caption label opens text[k:] (and a colon follows it)
            word = _FIRST_WORD.match(lowered, k, line_end)
            if word is None or word.group(1) not in labels.first_words:
                return False  # most lines: no tokenizing
            chunk = text[word.start(1) : min(line_end, word.start(1) + _LABEL_CHARS)]
            lows = [t.low for t in tokenize(chunk, elisions=lexicon.elisions)]
            hit = labels.match(lows, 0)
            return hit is not None and (not colon or lows[hit[0] : hit[0] + 1] == [":"])

        found = bool(labels.first_words) and (
            label_at(line_start, True)
            or any(label_at(m.end(), False) for m in _OPEN_BRACKET.finditer(text, line_start, line_end))
        )
        seen[line_start] = found
    return found


def _places(tokens: tuple[Token, ...], lows: list[str], lexicon) -> frozenset[str]:
    """Capitalised words written right after a place preposition (``merge.place_prepositions``)
    past the sentence's first word: the places a sentence names, for telling incidents apart."""
    prepositions = lexicon.merge.place_prepositions
    if not prepositions:
        return frozenset()
    return frozenset(
        lows[i]
        for i in range(1, len(tokens))
        if lows[i - 1] in prepositions
        and tokens[i].text[:1].isupper()
        and tokens[i].text[1:2].islower()
        and lows[i] not in lexicon.date_words
    )


def _candidate_sentences(text: str, cue_starts: list[int], lexicon) -> list[tuple[int, tuple[int, int]]]:
    """(sentence index, range) of the sentences where a cue phrase may start. Lines without one are not
    split at all; the index counts every sentence of the lines before (index 0 is the first)."""
    found = []
    index = 0
    n = len(cue_starts)
    for line_start, line_end in split_lines(text):
        k = bisect_left(cue_starts, line_start)
        if k == n or cue_starts[k] >= line_end:
            index += 1  # at least one sentence; the exact count does not matter past the first line
            continue
        for start, end in split_sentences(text, lexicon, line_start, line_end):
            while k < n and cue_starts[k] < start:  # sentences and cue starts both run left to right
                k += 1
            if k < n and cue_starts[k] < end:
                found.append((index, (start, end)))
            index += 1
    return found


def _figure(link: Link, ctx: Context, text: str, sentence: str, tokens: tuple[Token, ...]) -> Figure:
    q = link.quantity
    first = min(link.start, q.start)
    last = max(link.end, ctx.victim_end)
    char_start, char_end = tokens[first].start, tokens[last - 1].end
    return Figure(
        category=link.category,
        value=q.value,
        lower=q.lower,
        upper=q.upper,
        qualifier=q.qualifier,
        unit=ctx.unit,
        scope=ctx.scope,
        span=text[char_start:char_end],
        char_start=char_start,
        char_end=char_end,
        sentence=sentence,
        rule_ids=tuple(dict.fromkeys(q.rule_ids + link.rule_ids)),
        vague_word=q.vague_word,
        victim=ctx.victim,
        victim_phrase=ctx.victim_phrase,
        status=ctx.status,
        subtype=link.subtype,
        source=ctx.source,
    )
