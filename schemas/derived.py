"""Conventions shared by the pandera models of the derived tables (``<lake>/derived/<table>``).

Contract: field factories and checks used by ``schemas.figure_context``, ``schemas.incidents``,
``schemas.totals`` and ``schemas.rollups``, so the place, date and estimate columns mean the same in
every derived table. Calendar dates (event dates, period starts) are stored in the lake's one
timestamp type (``datetime64[us, UTC]``) at midnight UTC, and checked to be exactly that.

Deliberately not here: the models themselves, building the tables (``casualty_etl.aggregate``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pandas as pd
import pandera.pandas as pa

from schemas import MAX_COUNT, SHA256_HEX_PATTERN, UTC_TIMESTAMP, enum_values

#: ISO 3166-1 alpha-2 country codes.
COUNTRY_CODE_PATTERN = r"^[A-Z]{2}$"
#: geonames admin1 keys: the country code, a dot, the geonames admin1 code ("AF.13", "US.TX").
ADMIN1_PATTERN = r"^[A-Z]{2}\.[0-9A-Z]{1,20}$"


class DerivedTable(StrEnum):
    """The derived tables; the values are folder names under ``<lake>/derived``."""

    FIGURE_CONTEXT = "figure_context"
    INCIDENTS = "incidents"
    INCIDENT_FIGURES = "incident_figures"
    TOTALS = "totals"
    ROLLUPS = "rollups"


def categorical(enum: type[StrEnum], *, nullable: bool = False) -> Any:
    return pa.Field(dtype_kwargs={"categories": enum_values(enum), "ordered": False}, nullable=nullable)


def sha256_id(*, nullable: bool = False) -> Any:
    return pa.Field(str_matches=SHA256_HEX_PATTERN, nullable=nullable)


def count(*, minimum: int = 0, nullable: bool = False) -> Any:
    return pa.Field(ge=minimum, le=MAX_COUNT, nullable=nullable)


def utc_time(*, nullable: bool = True) -> Any:
    return pa.Field(dtype_kwargs=UTC_TIMESTAMP, nullable=nullable)


def country_code() -> Any:
    return pa.Field(str_matches=COUNTRY_CODE_PATTERN, nullable=True)


def admin1() -> Any:
    return pa.Field(str_matches=ADMIN1_PATTERN, nullable=True)


def latitude() -> Any:
    return pa.Field(ge=-90.0, le=90.0, nullable=True)


def longitude() -> Any:
    return pa.Field(ge=-180.0, le=180.0, nullable=True)


def is_midnight(values: pd.Series) -> pd.Series:
    """True where a timestamp is missing or exactly midnight UTC (a calendar date)."""
    return (values.isna() | (values == values.dt.normalize())).astype(bool)


def ordered(low: pd.Series, high: pd.Series) -> pd.Series:
    """True where ``low <= high`` or either is missing."""
    return (low.isna() | high.isna() | (low <= high).fillna(False)).astype(bool)


def same_nullness(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.isna() == b.isna()).astype(bool)
