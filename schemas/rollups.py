"""pandera model of the derived ``rollups`` table: incident estimates summed per period and place.

Contract: one row per period (``day``, ISO ``week``, ``month``; ``period_start`` its first day at
midnight UTC, ``period_label`` its ISO 8601 name: ``2025-03-03``, ``2025-W10``, ``2025-03``), country,
admin1 (key and name), category and unit: the sums of the ``best``, ``low`` and ``high`` estimates of
the incidents dated in that period, and their number. Incidents without an event date are in no
rollup; running totals (``totals``) never are. A missing country or admin1 is its own group.

Deliberately not here: computing the sums (``casualty_etl.aggregate``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.dates import Period
from casualty_etl.model import Category, Unit
from schemas.derived import admin1, categorical, count, country_code, is_midnight, ordered, utc_time

#: The columns that identify a rollup row.
ROLLUP_KEY = ("period", "period_start", "country_code", "admin1", "admin1_name", "category", "unit")


class RollupsSchema(pa.DataFrameModel):
    period: Series[pd.CategoricalDtype] = categorical(Period)
    period_start: Series[pd.DatetimeTZDtype] = utc_time(nullable=False)
    period_label: Series[str] = pa.Field(str_matches=r"^\d{4}-(\d{2}-\d{2}|W\d{2}|\d{2})$")
    country_code: Series[str] = country_code()
    admin1: Series[str] = admin1()
    admin1_name: Series[str] = pa.Field(nullable=True)
    category: Series[pd.CategoricalDtype] = categorical(Category)
    unit: Series[pd.CategoricalDtype] = categorical(Unit)
    best: Series[pd.Int64Dtype] = count()
    low: Series[pd.Int64Dtype] = count()
    high: Series[pd.Int64Dtype] = count()
    n_incidents: Series[pd.Int64Dtype] = count(minimum=1)

    class Config:
        name = "rollups"
        strict = True
        coerce = True

    @pa.dataframe_check(name="unique_rollup_key")
    def unique_rollup_key(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(list(ROLLUP_KEY), keep="first")

    @pa.dataframe_check(name="low_le_best")
    def low_le_best(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["low"], df["best"])

    @pa.dataframe_check(name="best_le_high")
    def best_le_high(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["best"], df["high"])

    @pa.check("period_start", name="calendar_date")
    def calendar_date(cls, values: pd.Series) -> pd.Series:
        return is_midnight(values)
