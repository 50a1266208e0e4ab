"""The extraction engine: ``extract(text) -> tuple[Figure, ...]``.

Input: one article's text (any length; offsets in the output refer to it). Output: every
figure of people killed, injured, displaced, missing or abducted, one per fact, each with
its value, bounds, qualifier, unit, victims, scope, status, source, span, character
offsets and the ids of the rules that fired. Pure Python, no I/O, no Prefect, no pandas;
every word it knows comes from the language lexicon (``casualty_etl/lexicon/<lang>.yaml``).

The stages, in order (each module's docstring gives its contract):

1. ``sentences.split_sentences``   text -> sentence ranges
2. prefilter                       skip sentences without both a cue word and a number-like token
3. ``quantities.find_quantities``  tokens -> quantities (number, qualifier, range; non-people dropped)
4. ``linking.find_cues``           tokens -> cue phrases
5. ``linking.link_sentence``       quantities + cues -> links (``linking.choose_link`` resolves overlaps)
6. ``context.read_context``        link -> victim, unit, scope, status, source
7. ``merge.merge_mentions``        mentions -> one figure per fact
"""

from __future__ import annotations

from casualty_etl.extract.context import read_context
from casualty_etl.extract.linking import Link, link_sentence
from casualty_etl.extract.merge import Mention, merge_mentions
from casualty_etl.extract.quantities import find_quantities
from casualty_etl.extract.sentences import split_sentences
from casualty_etl.lexicon import Lexicon, load_lexicon
from casualty_etl.model import Figure
from casualty_etl.tokens import Token, tokenize

__all__ = ["extract", "STAGES"]

_SENTENCE_ENDINGS = (".", "!", "?", '"', "\u201d", "'", "\u2019", ")")

STAGES = (
    "sentences.split_sentences",
    "prefilter",
    "quantities.find_quantities",
    "linking.find_cues",
    "linking.link_sentence",
    "context.read_context",
    "merge.merge_mentions",
)


def extract(text: str, language: str = "en") -> tuple[Figure, ...]:
    """Every casualty figure of ``text``, one per fact, in text order."""
    lexicon = load_lexicon(language)
    if not lexicon.cue_prefilter.search(text) or not lexicon.number_prefilter.search(text):
        return ()
    mentions: list[Mention] = []
    previous: Link | None = None
    for index, (start, end) in enumerate(split_sentences(text, lexicon)):
        sentence = text[start:end]
        if not lexicon.cue_prefilter.search(sentence) or not lexicon.number_prefilter.search(sentence):
            previous = None
            continue
        tokens = tokenize(sentence, offset=start)
        links = link_sentence(tokens, find_quantities(tokens, lexicon), lexicon, previous)
        lows = [t.low for t in tokens]
        headline = index == 0 or not sentence.rstrip().endswith(_SENTENCE_ENDINGS)
        for link in links:
            mentions.append(
                Mention(
                    _figure(link, text, sentence, tokens, lows, lexicon), index, link.quantity.start, headline
                )
            )
        previous = links[-1] if links else None
    return merge_mentions(mentions, lexicon.generic_victim)


def _figure(
    link: Link, text: str, sentence: str, tokens: tuple[Token, ...], lows: list[str], lexicon: Lexicon
) -> Figure:
    q = link.quantity
    ctx = read_context(link, text, tokens, lows, lexicon)
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
