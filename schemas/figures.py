"""pandera models of the ``figures`` table: one row per casualty figure.

Contract: ``FiguresSchema`` describes the stored table (every field of ``casualty_etl.model.Figure``,
plus ``figure_id``, ``article_id``, ``extractor_version`` and the ``published_month`` partition value).
``FiguresWithTextSchema`` is the validation-only variant: the same columns plus the article's text,
length and month, joined temporarily by ``attach_article_text``, so that a figure whose article is
missing, whose offsets run past the text, whose span is not the text at its offsets, or whose
``published_month`` differs from its article's (it would land in another partition) fails.

Deliberately not here: deciding what happens to a failing figure (``casualty_etl.validate``).
List columns (``rule_ids``, ``other_spans``, ``alt_qualifiers``) accept lists, tuples or the numpy
arrays that ``pd.read_parquet`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.model import Category, Qualifier, Scope, Status, Subtype, Unit
from schemas import MAX_COUNT, MONTH_PATTERN, SHA256_HEX_PATTERN, enum_values

#: Columns compared by each dataframe-wide check (the first is reported as the failing column).
FIGURE_CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    "unique_figure_id": ("figure_id",),
    "lower_le_value": ("lower", "value"),
    "value_le_upper": ("value", "upper"),
    "char_start_lt_char_end": ("char_start", "char_end"),
    "subtype_only_for_displaced": ("subtype", "category"),
    "article_in_articles": ("article_id",),
    "char_end_within_text": ("char_end", "article_n_chars"),
    "span_matches_text": ("span", "char_start", "char_end"),
    "other_spans_match_text": ("other_spans",),
    "published_month_matches_article": ("published_month", "article_published_month"),
}

_QUALIFIERS = frozenset(enum_values(Qualifier))
_SEQUENCE_TYPES = (list, tuple, np.ndarray)


def _categorical(enum: type) -> dict[str, object]:
    return {"categories": enum_values(enum), "ordered": False}


def _is_sequence_of_str(value: object, allowed: frozenset[str] | None = None) -> bool:
    if not isinstance(value, _SEQUENCE_TYPES):
        return False
    return all(isinstance(item, str) and item and (allowed is None or item in allowed) for item in value)


def _span_parts(span: object) -> tuple[int, int, str] | None:
    """(start, end, text) of a span given as a dict or a ``Span``; None when malformed."""
    if isinstance(span, dict):
        start, end, text = span.get("start"), span.get("end"), span.get("text")
    else:
        start, end, text = (
            getattr(span, "start", None),
            getattr(span, "end", None),
            getattr(span, "text", None),
        )
    ints = (int, np.integer)
    if isinstance(start, ints) and isinstance(end, ints) and isinstance(text, str) and 0 <= start < end:
        return int(start), int(end), text
    return None


def _spans_of(value: object) -> list[tuple[int, int, str]] | None:
    if not isinstance(value, _SEQUENCE_TYPES):
        return None
    parts = [_span_parts(span) for span in value]
    return None if any(part is None for part in parts) else parts  # type: ignore[return-value]


def _text_at(text: object, start: object, end: object) -> str | None:
    if not isinstance(text, str) or pd.isna(start) or pd.isna(end):
        return None
    return text[int(start) : int(end)]


def _rowwise(flags: Iterable[bool], index: pd.Index) -> pd.Series:
    return pd.Series(list(flags), index=index, dtype=bool)


class FiguresSchema(pa.DataFrameModel):
    figure_id: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    article_id: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    category: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Category))
    value: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    lower: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT, nullable=True)
    upper: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT, nullable=True)
    qualifier: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Qualifier))
    vague_word: Series[str] = pa.Field(nullable=True)
    unit: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Unit))
    victim: Series[str] = pa.Field(nullable=True)
    victim_phrase: Series[str] = pa.Field(nullable=True)
    scope: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Scope))
    status: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Status), nullable=True)
    subtype: Series[pd.CategoricalDtype] = pa.Field(dtype_kwargs=_categorical(Subtype), nullable=True)
    source: Series[str] = pa.Field(nullable=True)  # who gave the figure ("police"), not the document
    span: Series[str] = pa.Field(str_length={"min_value": 1})
    char_start: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    char_end: Series[pd.Int64Dtype] = pa.Field(ge=1, le=MAX_COUNT)
    sentence: Series[str]
    rule_ids: Series[object]
    other_spans: Series[object]
    alt_qualifiers: Series[object]
    extractor_version: Series[str] = pa.Field(str_length={"min_value": 1})
    published_month: Series[str] = pa.Field(str_matches=MONTH_PATTERN)

    class Config:
        name = "figures"
        strict = True
        coerce = True

    @pa.check("rule_ids", name="list_of_rule_ids", element_wise=True)
    def list_of_rule_ids(cls, value: object) -> bool:
        return _is_sequence_of_str(value)

    @pa.check("alt_qualifiers", name="list_of_qualifiers", element_wise=True)
    def list_of_qualifiers(cls, value: object) -> bool:
        return _is_sequence_of_str(value, _QUALIFIERS)

    @pa.check("other_spans", name="list_of_spans", element_wise=True)
    def list_of_spans(cls, value: object) -> bool:
        return _spans_of(value) is not None

    @pa.dataframe_check(name="unique_figure_id")
    def unique_figure_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["figure_id"].duplicated(keep="first")

    @pa.dataframe_check(name="lower_le_value")
    def lower_le_value(cls, df: pd.DataFrame) -> pd.Series:
        return (df["lower"].isna() | (df["lower"] <= df["value"]).fillna(False)).astype(bool)

    @pa.dataframe_check(name="value_le_upper")
    def value_le_upper(cls, df: pd.DataFrame) -> pd.Series:
        return (df["upper"].isna() | (df["value"] <= df["upper"]).fillna(False)).astype(bool)

    @pa.dataframe_check(name="char_start_lt_char_end")
    def char_start_lt_char_end(cls, df: pd.DataFrame) -> pd.Series:
        return (df["char_start"] < df["char_end"]).fillna(False).astype(bool)

    @pa.dataframe_check(name="subtype_only_for_displaced")
    def subtype_only_for_displaced(cls, df: pd.DataFrame) -> pd.Series:
        displaced = (df["category"].astype("str") == Category.DISPLACED.value).fillna(False)
        return (df["subtype"].isna() | displaced).astype(bool)


class FiguresWithTextSchema(FiguresSchema):
    """Figures joined with their article's text: checks the offsets and spans against the text."""

    # object, not str: each row holds a reference to its article's one string (a str column would
    # copy a 5 KB text into every figure row: +400 MB on a dense batch of 2,000 articles).
    article_text: Series[object] = pa.Field(nullable=True)
    article_n_chars: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    article_published_month: Series[str] = pa.Field(nullable=True)

    class Config:
        name = "figures_with_text"
        strict = True
        coerce = True

    @pa.dataframe_check(name="article_in_articles")
    def article_in_articles(cls, df: pd.DataFrame) -> pd.Series:
        return df["article_text"].notna().astype(bool)

    @pa.dataframe_check(name="char_end_within_text")
    def char_end_within_text(cls, df: pd.DataFrame) -> pd.Series:
        within = (df["char_end"] <= df["article_n_chars"]).fillna(False)
        return (df["article_n_chars"].isna() | within).astype(bool)

    @pa.dataframe_check(name="published_month_matches_article")
    def published_month_matches_article(cls, df: pd.DataFrame) -> pd.Series:
        same = (df["published_month"] == df["article_published_month"]).fillna(False)
        return (df["article_published_month"].isna() | same).astype(bool)

    @pa.dataframe_check(name="span_matches_text")
    def span_matches_text(cls, df: pd.DataFrame) -> pd.Series:
        flags = (
            text is None or pd.isna(text) or _text_at(text, start, end) == span
            for text, start, end, span in zip(
                df["article_text"], df["char_start"], df["char_end"], df["span"], strict=True
            )
        )
        return _rowwise(flags, df.index)

    @pa.dataframe_check(name="other_spans_match_text")
    def other_spans_match_text(cls, df: pd.DataFrame) -> pd.Series:
        def matches(text: object, spans: object) -> bool:
            parts = _spans_of(spans)
            if not isinstance(text, str) or parts is None:
                return True  # a missing article or a malformed list fails its own check
            return all(text[start:end] == span_text for start, end, span_text in parts)

        flags = (
            matches(text, spans) for text, spans in zip(df["article_text"], df["other_spans"], strict=True)
        )
        return _rowwise(flags, df.index)


#: The columns ``attach_article_text`` adds and validation drops again.
ARTICLE_TEXT_COLUMNS = ("article_text", "article_n_chars", "article_published_month")


def attach_article_text(figures: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """``figures`` plus the text and length of each figure's article (null when it is not in ``articles``)."""
    first = articles.drop_duplicates("article_id", keep="first").set_index("article_id")
    joined = figures.copy()
    texts = first["text"].to_dict()  # one Python string per article, referenced by its figure rows
    joined["article_text"] = pd.Series(
        [texts.get(article_id) for article_id in figures["article_id"]], index=figures.index, dtype=object
    )
    joined["article_n_chars"] = figures["article_id"].map(first["n_chars"]).astype(pd.Int64Dtype())
    joined["article_published_month"] = figures["article_id"].map(first["published_month"])
    return joined
