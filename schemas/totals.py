"""pandera model of the derived ``totals`` table: the latest running total per place and category.

Contract: one row per series of ``cumulative``-scope figures (not superseded) that share category,
unit, victims (generic and unnamed victims are one group) and place (country, admin1, place name):
the latest figure of the series (latest ``as_of`` date, then the latest publication, then the higher
value), with its ``figure_id``; ``n_reports`` counts the figures of the series. ``as_of`` is the
publication day of that figure (its event date when it has no publication time), midnight UTC.
``total_id`` is the sha256 of the series key. Running totals are never added to incidents or rollups.

Deliberately not here: choosing the figures (``casualty_etl.aggregate``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.model import Category, Qualifier, Status, Unit
from casualty_etl.places import PlaceLevel
from schemas.derived import (
    admin1,
    categorical,
    count,
    country_code,
    is_midnight,
    latitude,
    longitude,
    ordered,
    sha256_id,
    utc_time,
)


class TotalsSchema(pa.DataFrameModel):
    total_id: Series[str] = sha256_id()
    category: Series[pd.CategoricalDtype] = categorical(Category)
    unit: Series[pd.CategoricalDtype] = categorical(Unit)
    victim: Series[str] = pa.Field(nullable=True)
    place: Series[str] = pa.Field(nullable=True)
    place_level: Series[pd.CategoricalDtype] = categorical(PlaceLevel, nullable=True)
    country_code: Series[str] = country_code()
    admin1: Series[str] = admin1()
    admin1_name: Series[str] = pa.Field(nullable=True)
    lat: Series[float] = latitude()
    lon: Series[float] = longitude()
    as_of: Series[pd.DatetimeTZDtype] = utc_time()
    value: Series[pd.Int64Dtype] = count()
    lower: Series[pd.Int64Dtype] = count(nullable=True)
    upper: Series[pd.Int64Dtype] = count(nullable=True)
    qualifier: Series[pd.CategoricalDtype] = categorical(Qualifier)
    status: Series[pd.CategoricalDtype] = categorical(Status, nullable=True)
    figure_id: Series[str] = sha256_id()
    article_id: Series[str] = sha256_id()
    published_at: Series[pd.DatetimeTZDtype] = utc_time()
    n_reports: Series[pd.Int64Dtype] = count(minimum=1)

    class Config:
        name = "totals"
        strict = True
        coerce = True

    @pa.dataframe_check(name="unique_total_id")
    def unique_total_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["total_id"].duplicated(keep="first")

    @pa.dataframe_check(name="lower_le_value")
    def lower_le_value(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["lower"], df["value"])

    @pa.dataframe_check(name="value_le_upper")
    def value_le_upper(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["value"], df["upper"])

    @pa.check("as_of", name="calendar_date")
    def calendar_date(cls, values: pd.Series) -> pd.Series:
        return is_midnight(values)
