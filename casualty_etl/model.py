"""Records passed between the stages of the pipeline.

Contract: plain frozen dataclasses and closed enums, nothing else. Every stage
(sources -> normalise -> extract -> tables -> lake) speaks in these types; no
stage passes dicts to another. The enum *values* are the strings written to
Parquet and to the JSON extract contract, so renaming a value is a breaking
change of the public tables.

Deliberately not here: parsing, I/O, pandas, Prefect.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Category(StrEnum):
    """What happened to the people counted."""

    KILLED = "killed"
    INJURED = "injured"
    DISPLACED = "displaced"
    MISSING = "missing"
    ABDUCTED = "abducted"
    CASUALTIES = "casualties"  # explicit combined counts only ("killed or wounded")


class Qualifier(StrEnum):
    """How the stated number relates to the true count (guideline section 3)."""

    EXACT = "exact"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    ABOUT = "about"
    NEARLY = "nearly"
    UP_TO = "up_to"
    LESS_THAN = "less_than"
    RANGE = "range"
    VAGUE = "vague"


class Unit(StrEnum):
    PEOPLE = "people"
    HOUSEHOLDS = "households"


class Scope(StrEnum):
    """Which count the figure is: this incident, a running total, a part of another figure, or background."""

    INCIDENT = "incident"
    CUMULATIVE = "cumulative"
    BREAKDOWN = "breakdown"
    OTHER_INCIDENT = "other_incident"


class Status(StrEnum):
    """Epistemic status when the text marks one; a figure without a mark has status None."""

    CLAIMED = "claimed"
    FEARED = "feared"
    ESTIMATE = "estimate"
    UNCONFIRMED = "unconfirmed"
    SUPERSEDED = "superseded"


class Subtype(StrEnum):
    """Kind of displacement (displaced figures only)."""

    EVACUATED = "evacuated"
    HOMELESS = "homeless"
    IN_CAMPS = "in_camps"
    REFUGEES = "refugees"
    RELOCATED = "relocated"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) of the article text, with the text it covers."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Figure:
    """One casualty figure read from a text: the public extract contract.

    ``value`` is always an integer. ``lower``/``upper`` follow the guideline table
    (``more_than 500`` has lower 500 and no upper; a range keeps its lower bound as value).
    ``span``/``char_start``/``char_end`` are the first mention; other mentions of the same
    fact are in ``other_spans``. ``rule_ids`` lists the stable ids of every rule that fired.
    """

    category: Category
    value: int
    lower: int | None
    upper: int | None
    qualifier: Qualifier
    unit: Unit
    scope: Scope
    span: str
    char_start: int
    char_end: int
    sentence: str
    rule_ids: tuple[str, ...]
    vague_word: str | None = None
    victim: str | None = None
    victim_phrase: str | None = None
    status: Status | None = None
    subtype: Subtype | None = None
    source: str | None = None
    other_spans: tuple[Span, ...] = ()
    alt_qualifiers: tuple[Qualifier, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The JSON object of the extract contract (``casualty-etl extract``)."""
        return {
            "category": self.category.value,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "qualifier": self.qualifier.value,
            "vague_word": self.vague_word,
            "unit": self.unit.value,
            "victim": self.victim,
            "victim_phrase": self.victim_phrase,
            "scope": self.scope.value,
            "status": self.status.value if self.status else None,
            "subtype": self.subtype.value if self.subtype else None,
            "source": self.source,
            "span": self.span,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "sentence": self.sentence,
            "rule_ids": list(self.rule_ids),
            "other_spans": [{"start": s.start, "end": s.end, "text": s.text} for s in self.other_spans],
            "alt_qualifiers": [q.value for q in self.alt_qualifiers],
        }


class MediaType(StrEnum):
    """How a raw document's body must be read."""

    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A document as a source produced it, before decoding: immutable and carrying its provenance.

    ``source`` names where it came from (a file path, a URL, ``file.jsonl#L12``); ``body`` is
    the undecoded bytes (files, HTTP) or already-decoded text (a JSON field).
    """

    source: str
    body: bytes | str
    media_type: MediaType = MediaType.TEXT
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    entry_id: str | None = None


def normalise_text(text: str) -> str:
    """The canonical form of an article's text: NFC, unix newlines, no trailing blanks per line.

    Offsets of figures refer to this form; ``article_id`` hashes it.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # ASCII is already in NFC
        text = unicodedata.normalize("NFC", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def article_id_of(text: str, *, normalised: bool = False) -> str:
    """sha256 hex digest of the normalised text: the same text from any source is the same article.
    ``normalised=True`` says ``text`` is already :func:`normalise_text`'s output (it is idempotent)."""
    canonical = text if normalised else normalise_text(text)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Article:
    """A decoded, normalised document ready for extraction."""

    article_id: str
    source: str
    text: str
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    entry_id: str | None = None


class RejectStage(StrEnum):
    """Where in the pipeline a reject was raised."""

    READ = "read"
    DECODE = "decode"
    EXTRACT = "extract"
    VALIDATE = "validate"


@dataclass(frozen=True, slots=True)
class Reject:
    """Something that could not become a row: kept, with the reason, never dropped."""

    source: str
    stage: RejectStage
    reason: str  # a short stable code, e.g. "too_large", "undecodable", "schema:value:less_than_or_equal_to"
    detail: str
    table: str | None = None  # table the row was meant for, when it got that far
    article_id: str | None = None
    excerpt: str | None = None
    column: str | None = None
    failure_case: str | None = None


class LanguageChoice(StrEnum):
    """How an article's language was settled (``casualty_etl.language`` gives the policy)."""

    FORCED = "forced"  # given by the caller: extract(text, language="fr"), --language fr
    DETECTED = "detected"  # the detector's first choice
    FALLBACK = "fallback"  # the detector was unsure or the text too short: the likeliest supported one


@dataclass(frozen=True, slots=True)
class ArticleLanguage:
    """The language an article is read in.

    ``code`` is the detector's code: ISO 639-1 where the language has one ("en", "fr", "it"), else
    ISO 639-3 ("ast"). ``confidence`` (0..1) is fastText's probability of ``code``, or the share of
    the text CLD2 gives it when CLD2 decided; None when the language was forced. ``supported`` says
    a lexicon ``casualty_etl/lexicon/<code>.yaml`` exists: an article in an unsupported language
    yields no figures, it is never read with another lexicon.
    """

    code: str
    confidence: float | None
    supported: bool
    choice: LanguageChoice


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """An article with the figures read from it, and the language it was read in (None: not told)."""

    article: Article
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    language: ArticleLanguage | None = None
