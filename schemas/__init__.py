"""pandera models of the four public tables, and the conventions they share.

Contract: ``ArticlesSchema``, ``FiguresSchema`` (plus ``FiguresWithTextSchema``, the validation-only
variant that carries the article text so spans can be checked), ``RejectsSchema`` and ``RunsSchema``
describe the pandas frames that become the Parquet tables. Every model is strict (an unknown column
fails) and coercing (a value that cannot take the column's dtype fails). Closed sets come from the
enums of ``casualty_etl.model``, never retyped here.

Deliberately not here: building frames (``casualty_etl.tables``), routing failures to rejects
(``casualty_etl.validate``), I/O, and Prefect (importing it reconfigures logging in analysts' notebooks).

The shared conventions are defined before the models are imported, because the model modules read them
from this package.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

#: Upper bound for every count (roughly the world population): anything above is a parse error.
MAX_COUNT = 9_000_000_000

#: Timestamps are tz-aware UTC with microsecond resolution: what Parquet stores natively, what
#: pandas 3 parses to, and wide enough for any date (nanoseconds overflow after 2262).
TIMESTAMP_UNIT = "us"
UTC_TIMESTAMP = {"unit": TIMESTAMP_UNIT, "tz": "UTC"}

#: ``published_month`` of an article without a publication date.
UNKNOWN_MONTH = "unknown"
MONTH_PATTERN = r"^(\d{4}-(0[1-9]|1[0-2])|unknown)$"
SHA256_HEX_PATTERN = r"^[0-9a-f]{64}$"
#: An article's language: an ISO 639-1 code, or ISO 639-3 for a language without one.
LANGUAGE_CODE_PATTERN = r"^[a-z]{2,3}$"


class TableName(StrEnum):
    """The tables of the lake; the values are folder names and the ``rejects.table`` column."""

    ARTICLES = "articles"
    FIGURES = "figures"
    REJECTS = "rejects"
    RUNS = "runs"


def refuse_naive_timestamps(values: pd.Series) -> pd.Series:
    """A parser for timestamp columns: every value without a time zone becomes a marker string that
    coercion then rejects row by row, instead of pandera silently taking it as UTC."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values

    def mark(value: object) -> object:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return value
        try:
            stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return value  # unparseable: coercion rejects it as it is
        return f"naive timestamp {value}" if stamp.tzinfo is None else value

    return values.astype(object).map(mark)


def enum_values(enum: type[StrEnum]) -> list[str]:
    """The values of a closed set, in declaration order: the categories of a categorical column."""
    return [member.value for member in enum]


from schemas.articles import ARTICLE_CHECK_COLUMNS, ArticlesSchema  # noqa: E402
from schemas.figures import (  # noqa: E402
    FIGURE_CHECK_COLUMNS,
    FiguresSchema,
    FiguresWithTextSchema,
    attach_article_text,
)
from schemas.rejects import REJECT_CHECK_COLUMNS, RejectsSchema  # noqa: E402
from schemas.runs import RunsSchema  # noqa: E402

#: For each dataframe-wide check, the columns it compares (the first one is reported as the column).
DATAFRAME_CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    **ARTICLE_CHECK_COLUMNS,
    **FIGURE_CHECK_COLUMNS,
    **REJECT_CHECK_COLUMNS,
}

__all__ = [
    "DATAFRAME_CHECK_COLUMNS",
    "MAX_COUNT",
    "MONTH_PATTERN",
    "SHA256_HEX_PATTERN",
    "TIMESTAMP_UNIT",
    "UNKNOWN_MONTH",
    "UTC_TIMESTAMP",
    "ArticlesSchema",
    "FiguresSchema",
    "FiguresWithTextSchema",
    "RejectsSchema",
    "RunsSchema",
    "TableName",
    "attach_article_text",
    "enum_values",
    "refuse_naive_timestamps",
]
