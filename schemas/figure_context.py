"""pandera model of the derived ``figure_context`` table: where and when each figure happened.

Contract: one row per figure of the figures the aggregation read (``casualty_etl.aggregate``): the
figure's place (name, level, ISO country code, geonames admin1 key and name, coordinates) and how it
was found (``place_how``: sentence, paragraph, dateline, article, none), its event date and how it
was found (``date_how``: explicit, weekday, relative, published, none). A missing place has
``place_how == "none"``, a missing date ``date_how == "none"``; event dates are midnight UTC.

Deliberately not here: finding places and dates (``casualty_etl.places``, ``casualty_etl.dates``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.dates import DateHow
from casualty_etl.places import PlaceHow, PlaceLevel
from schemas.derived import (
    admin1,
    categorical,
    country_code,
    is_midnight,
    latitude,
    longitude,
    sha256_id,
    utc_time,
)


class FigureContextSchema(pa.DataFrameModel):
    figure_id: Series[str] = sha256_id()
    article_id: Series[str] = sha256_id()
    place: Series[str] = pa.Field(nullable=True)
    place_level: Series[pd.CategoricalDtype] = categorical(PlaceLevel, nullable=True)
    country_code: Series[str] = country_code()
    admin1: Series[str] = admin1()
    admin1_name: Series[str] = pa.Field(nullable=True)
    lat: Series[float] = latitude()
    lon: Series[float] = longitude()
    place_how: Series[pd.CategoricalDtype] = categorical(PlaceHow)
    event_date: Series[pd.DatetimeTZDtype] = utc_time()
    date_how: Series[pd.CategoricalDtype] = categorical(DateHow)

    class Config:
        name = "figure_context"
        strict = True
        coerce = True

    @pa.dataframe_check(name="unique_figure_id")
    def unique_figure_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["figure_id"].duplicated(keep="first")

    @pa.dataframe_check(name="place_iff_how")
    def place_iff_how(cls, df: pd.DataFrame) -> pd.Series:
        none = (df["place_how"].astype("str") == PlaceHow.NONE.value).fillna(False)
        return (df["place"].isna() == none).astype(bool)

    @pa.dataframe_check(name="date_iff_how")
    def date_iff_how(cls, df: pd.DataFrame) -> pd.Series:
        none = (df["date_how"].astype("str") == DateHow.NONE.value).fillna(False)
        return (df["event_date"].isna() == none).astype(bool)

    @pa.check("event_date", name="calendar_date")
    def calendar_date(cls, values: pd.Series) -> pd.Series:
        return is_midnight(values)
