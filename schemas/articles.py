"""pandera model of the ``articles`` table: one row per (article, extractor version).

Contract: a frame with exactly these columns -> the same frame coerced to the table dtypes, or a
``SchemaErrors`` naming every failing row. Within one batch ``article_id`` is unique (a repeated
article fails from its second occurrence on); across extractor versions the lake holds one row per
version. ``text`` is the normalised article text: figures' spans are checked against it and it allows
re-extraction. ``language`` is the code the article was read in (ISO 639-1, or 639-3 without one),
``language_confidence`` the detector's probability of it (null when the language was forced) and
``language_supported`` whether it has a lexicon (False: no figures were read). The three are null in
rows written before they existed.

Deliberately not here: whether an article is already in the lake (``casualty_etl.lake``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import (
    LANGUAGE_CODE_PATTERN,
    MAX_COUNT,
    MONTH_PATTERN,
    SHA256_HEX_PATTERN,
    UNKNOWN_MONTH,
    UTC_TIMESTAMP,
    refuse_naive_timestamps,
)

#: Columns compared by each dataframe-wide check (the first is reported as the failing column).
ARTICLE_CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    "unique_article_id": ("article_id",),
    "n_chars_is_text_length": ("n_chars", "text"),
    "published_month_matches_published_at": ("published_month", "published_at"),
    "unsupported_language_has_no_figures": ("n_figures", "language_supported"),
}


def month_of(published_at: pd.Series) -> pd.Series:
    """``YYYY-MM`` of each UTC timestamp, ``unknown`` where there is none: the partition value."""
    months = published_at.dt.strftime("%Y-%m")
    return months.where(published_at.notna(), UNKNOWN_MONTH).astype("str")


class ArticlesSchema(pa.DataFrameModel):
    article_id: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    source: Series[str] = pa.Field(str_length={"min_value": 1})
    url: Series[str] = pa.Field(nullable=True)
    entry_id: Series[str] = pa.Field(nullable=True)  # a feed entry's id: later runs skip the entry
    title: Series[str] = pa.Field(nullable=True)
    published_at: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=UTC_TIMESTAMP, nullable=True)
    published_month: Series[str] = pa.Field(str_matches=MONTH_PATTERN)
    ingested_at: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=UTC_TIMESTAMP)
    n_chars: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    n_figures: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    language: Series[str] = pa.Field(nullable=True, str_matches=LANGUAGE_CODE_PATTERN)
    language_confidence: Series[float] = pa.Field(nullable=True, ge=0.0, le=1.0)
    language_supported: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    extractor_version: Series[str] = pa.Field(str_length={"min_value": 1})
    text: Series[str]

    class Config:
        name = "articles"
        strict = True
        coerce = True

    @pa.parser("published_at", "ingested_at")
    def tz_aware_timestamps(cls, values: pd.Series) -> pd.Series:
        return refuse_naive_timestamps(values)

    @pa.dataframe_check(name="unique_article_id")
    def unique_article_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["article_id"].duplicated(keep="first")

    @pa.dataframe_check(name="n_chars_is_text_length")
    def n_chars_is_text_length(cls, df: pd.DataFrame) -> pd.Series:
        return (df["n_chars"] == df["text"].str.len()).fillna(False).astype(bool)

    @pa.dataframe_check(name="published_month_matches_published_at")
    def published_month_matches_published_at(cls, df: pd.DataFrame) -> pd.Series:
        return (df["published_month"] == month_of(df["published_at"])).astype(bool)

    @pa.dataframe_check(name="unsupported_language_has_no_figures")
    def unsupported_language_has_no_figures(cls, df: pd.DataFrame) -> pd.Series:
        read = df["language_supported"].astype("boolean").fillna(True).astype(bool)
        return (read | (df["n_figures"] == 0).fillna(False)).astype(bool)
