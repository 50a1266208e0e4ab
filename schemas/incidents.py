"""pandera models of the derived ``incidents`` table and its ``incident_figures`` link table.

Contract: ``IncidentsSchema``: one row per incident, a cluster of ``incident``-scope figures of one
category and unit from different articles (at most one figure per article) that agree on place, date
(within the window), value and victims. ``low <= best <= high`` are the UCDP-style estimates (the
rules are in ``casualty_etl.aggregate``); ``n_sources`` counts distinct articles, ``n_figures`` the
member figures; the place columns are the incident's most specific member place; ``event_date`` is the
most common member event date (the earliest on a tie), midnight UTC. ``incident_id`` is the sha256 of
the sorted member figure ids. ``IncidentFiguresSchema``: one row per member figure; a figure belongs
to at most one incident.

Deliberately not here: clustering and estimating (``casualty_etl.aggregate``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.model import Category, Unit
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


class IncidentsSchema(pa.DataFrameModel):
    incident_id: Series[str] = sha256_id()
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
    event_date: Series[pd.DatetimeTZDtype] = utc_time()
    best: Series[pd.Int64Dtype] = count()
    low: Series[pd.Int64Dtype] = count()
    high: Series[pd.Int64Dtype] = count()
    n_sources: Series[pd.Int64Dtype] = count(minimum=1)
    n_figures: Series[pd.Int64Dtype] = count(minimum=1)
    first_published: Series[pd.DatetimeTZDtype] = utc_time()
    last_published: Series[pd.DatetimeTZDtype] = utc_time()

    class Config:
        name = "incidents"
        strict = True
        coerce = True

    @pa.dataframe_check(name="unique_incident_id")
    def unique_incident_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["incident_id"].duplicated(keep="first")

    @pa.dataframe_check(name="low_le_best")
    def low_le_best(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["low"], df["best"])

    @pa.dataframe_check(name="best_le_high")
    def best_le_high(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["best"], df["high"])

    @pa.dataframe_check(name="sources_le_figures")
    def sources_le_figures(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["n_sources"], df["n_figures"])

    @pa.dataframe_check(name="first_le_last_published")
    def first_le_last_published(cls, df: pd.DataFrame) -> pd.Series:
        return ordered(df["first_published"], df["last_published"])

    @pa.check("event_date", name="calendar_date")
    def calendar_date(cls, values: pd.Series) -> pd.Series:
        return is_midnight(values)


class IncidentFiguresSchema(pa.DataFrameModel):
    incident_id: Series[str] = sha256_id()
    figure_id: Series[str] = sha256_id()
    article_id: Series[str] = sha256_id()

    class Config:
        name = "incident_figures"
        strict = True
        coerce = True

    @pa.dataframe_check(name="unique_figure_id")
    def unique_figure_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["figure_id"].duplicated(keep="first")

    @pa.dataframe_check(name="one_figure_per_article")
    def one_figure_per_article(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["incident_id", "article_id"], keep="first")
