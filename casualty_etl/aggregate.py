"""From figures to statistics: figure context, incidents, running totals and rollups of a lake.

Contract: ``aggregate(lake_root, *, window_days=2) -> AggregateSummary`` reads the lake's ``figures`` and
``articles`` (per article, the extractor version ingested last), builds the derived tables and writes
them, validated by their pandera models, to ``<lake>/derived/<table>/part-<hash>.parquet``, replacing
the previous ones whole. ``build_derived(figures, articles)`` is the same without I/O;
``load_derived(lake_root, table)`` reads one derived table back in its model's dtypes.

The tables (models in ``schemas/``):

- ``figure_context``: per figure, its place (``casualty_etl.places``) and event date
  (``casualty_etl.dates``); when the first mention of a figure is a headline with neither, the first
  of its other mentions that has them is used.
- ``incidents`` and ``incident_figures``: clusters of figures of scope ``incident`` whose status is not
  ``superseded`` (breakdowns, running totals and background figures never enter), one figure per
  article at most, of one category and unit, pairwise compatible (complete linkage): event dates known
  and at most ``window_days`` apart; places compatible (same place name, or same admin1, or the same
  country when one side knows only the country; never places of different countries, never an unknown
  place); victims compatible (equal, or one generic or unnamed); point values within ``max_ratio`` of
  each other. Figures are taken in (event date, publication, figure id) order and each joins the
  compatible cluster nearest in date, then in value, else starts one: deterministic. Estimates, in the
  manner of UCDP GED:

  * ``low``: the lower of (the lowest point claim: ``exact``, ``about``, ``nearly`` values) and (the
    highest floor claim: ``lower`` of ``at_least``, ``more_than``, ``vague``, ``range`` figures), so
    sources that only give floors add up ("at least 12" and "more than 15" give 15) and sources that
    disagree on exact counts keep the lowest (12 and 14 give 12); 0 when every figure is a ceiling
    ("up to 10").
  * ``high``: the highest figure reported (``upper``, else ``value``), raised to ``low`` if below it.
  * ``best``: the lower median of the figures' point values (``value``: always a reported number),
    clipped to [``low``, ``high``].

  ``incident_id`` is the sha256 of the sorted member figure ids.
- ``totals``: per series of ``cumulative`` figures (not superseded) with the same category, unit,
  victims and place, the latest one (by its publication day, then time, then value), never added to
  anything.
- ``rollups``: per day, ISO week and month, country, admin1, category and unit, the sums of the
  incidents' ``best``, ``low`` and ``high`` (incidents without an event date are left out).

Writing (local lakes only), under the lake's writer lock (``<lake>/_lock``, so no batch commit or
``Lake.sweep_stale`` runs meanwhile): every new file is written to a hidden temporary name
(``.part-<hash>.parquet.<uuid>.partial``; not ``.tmp``, which ``sweep_stale`` deletes), fsynced; then
``derived/_manifest.json`` (the current file of each table and the pending renames) is replaced
atomically: the commit point; then each file is renamed into place and every other file of the derived
folders is deleted. A crash before the manifest leaves only hidden files (deleted by the next run);
after it, the next run completes the renames. ``load_derived`` reads
the files the manifest names, so it never sees two generations; a plain ``pd.read_parquet`` of a
derived folder can, for the instant between a rename and the deletion of the old file, or until the
next run after a crash there. File names hash their content: an unchanged table keeps its file.

Deliberately not here: orchestration and Prefect (the CLI and the flow call ``aggregate``), the report
(``casualty_etl.report``), HXL (``casualty_etl.hxl``), deduplicating articles that are near copies of
each other (two wire copies of one report count as two sources).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem
from pandera.errors import SchemaError, SchemaErrors

from casualty_etl.dates import DateHow, EventDate, Period, event_date, period_label, period_start
from casualty_etl.extract.sentences import split_sentences
from casualty_etl.lake import Lake
from casualty_etl.lexicon import load_lexicon
from casualty_etl.model import Category, Qualifier, Scope, Status, Unit
from casualty_etl.places import NO_PLACE, Place, PlaceHow, PlaceLevel, fold, place_of_span, read_places
from casualty_etl.tables import arrow_schema_of, model_dtypes, typed_frame
from schemas import TableName
from schemas.derived import DerivedTable
from schemas.figure_context import FigureContextSchema
from schemas.incidents import IncidentFiguresSchema, IncidentsSchema
from schemas.rollups import ROLLUP_KEY, RollupsSchema
from schemas.totals import TotalsSchema

DERIVED_DIR = "derived"
MANIFEST_FILE = "_manifest.json"
#: Hidden files being written end so; not ``.tmp``, which ``Lake.sweep_stale`` deletes: a crash after the
#: manifest leaves files the next ``aggregate`` must still find.
TEMP_SUFFIX = ".partial"
#: Default bound on the ratio of two point values of one incident (larger / smaller).
DEFAULT_MAX_RATIO = 2.0
DEFAULT_WINDOW_DAYS = 2

MODELS: dict[DerivedTable, Any] = {
    DerivedTable.FIGURE_CONTEXT: FigureContextSchema,
    DerivedTable.INCIDENTS: IncidentsSchema,
    DerivedTable.INCIDENT_FIGURES: IncidentFiguresSchema,
    DerivedTable.TOTALS: TotalsSchema,
    DerivedTable.ROLLUPS: RollupsSchema,
}
ARROW_SCHEMAS = {table: arrow_schema_of(model, {}) for table, model in MODELS.items()}

#: Qualifiers whose value is a claim of the count itself, a floor under it, or a ceiling over it.
POINT_QUALIFIERS = frozenset({Qualifier.EXACT, Qualifier.ABOUT, Qualifier.NEARLY})
FLOOR_QUALIFIERS = frozenset({Qualifier.AT_LEAST, Qualifier.MORE_THAN, Qualifier.VAGUE, Qualifier.RANGE})
CEILING_QUALIFIERS = frozenset({Qualifier.UP_TO, Qualifier.LESS_THAN})
assert POINT_QUALIFIERS | FLOOR_QUALIFIERS | CEILING_QUALIFIERS == set(Qualifier)

_HOW_RANK = {how: rank for rank, how in enumerate(PlaceHow)}
_SPECIFIC = {PlaceLevel.LOCALITY: 0, PlaceLevel.ADMIN1: 1, PlaceLevel.COUNTRY: 2, None: 3}
_FOUND_DATES = frozenset({DateHow.EXPLICIT, DateHow.WEEKDAY, DateHow.RELATIVE})


class DerivedSchemaError(ValueError):
    """A derived table failed its pandera model: a bug in this module, nothing was written."""


@dataclass(frozen=True, slots=True)
class AggregateSummary:
    """What one ``aggregate`` run read and wrote (small, picklable: what a Prefect task returns)."""

    lake: str
    generation: str  # sha256 over the files written
    window_days: int
    max_ratio: float
    n_articles: int
    n_figures: int
    n_incidents: int
    n_incident_figures: int
    n_undated_incidents: int  # in incidents, in no rollup
    n_totals: int
    n_rollups: int
    files: tuple[str, ...]  # relative to the lake root
    removed: tuple[str, ...]  # files of the previous generation, deleted
    seconds: float


@dataclass(frozen=True, eq=False)
class DerivedTables:
    """The derived frames, each in its model's dtypes."""

    figure_context: pd.DataFrame
    incidents: pd.DataFrame
    incident_figures: pd.DataFrame
    totals: pd.DataFrame
    rollups: pd.DataFrame

    def frames(self) -> dict[DerivedTable, pd.DataFrame]:
        return {
            DerivedTable.FIGURE_CONTEXT: self.figure_context,
            DerivedTable.INCIDENTS: self.incidents,
            DerivedTable.INCIDENT_FIGURES: self.incident_figures,
            DerivedTable.TOTALS: self.totals,
            DerivedTable.ROLLUPS: self.rollups,
        }


@dataclass(frozen=True, slots=True)
class FigureFacts:
    """One figure with its context: what clustering and totals look at."""

    figure_id: str
    article_id: str
    category: Category
    unit: Unit
    scope: Scope
    status: Status | None
    victim: str | None  # None for unnamed and generic victims
    victim_written: str | None
    value: int
    lower: int | None
    upper: int | None
    qualifier: Qualifier
    place: Place
    event: EventDate
    published_at: datetime | None


@dataclass(slots=True)
class _Cluster:
    number: int  # creation order: the last tie-break between equally good clusters
    members: list[FigureFacts]
    articles: set[str]

    @property
    def first_day(self) -> date:
        return self.members[0].event.date  # type: ignore[return-value]  (dated clusters only; members come in date order)

    def add(self, figure: FigureFacts) -> None:
        self.members.append(figure)
        self.articles.add(figure.article_id)


@dataclass(frozen=True, slots=True)
class Estimate:
    low: int
    best: int
    high: int


# --- reading the lake -----------------------------------------------------------------------------


def _none(value: object) -> Any:
    """None for every pandas missing marker, the value otherwise."""
    if value is None:
        return None
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        return value
    return value


def _count(value: object) -> int | None:
    value = _none(value)
    return None if value is None else int(value)  # type: ignore[call-overload]


def _utc_datetime(value: object) -> datetime | None:
    value = _none(value)
    if value is None:
        return None
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def current_rows(figures: pd.DataFrame, articles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per article, the row of the extractor version ingested last, and that version's figures."""
    latest = articles.sort_values(["ingested_at", "extractor_version"], kind="stable").drop_duplicates(
        "article_id", keep="last"
    )
    keys = latest[["article_id", "extractor_version"]]
    chosen = figures.merge(keys, on=["article_id", "extractor_version"], how="inner", sort=False)
    return chosen.reset_index(drop=True), latest.reset_index(drop=True)


def _spans(row: Any) -> list[tuple[int, int]]:
    spans = [(int(row.char_start), int(row.char_end))]
    others = row.other_spans if row.other_spans is not None else ()
    for span in others:
        spans.append((int(span["start"]), int(span["end"])))
    return spans


def _sentence_of(
    sentences: list[tuple[int, int]], starts: list[int], span: tuple[int, int]
) -> tuple[int, int]:
    n = bisect.bisect_right(starts, span[0]) - 1
    if n >= 0 and sentences[n][0] <= span[0] < sentences[n][1]:
        return sentences[n][0], max(sentences[n][1], span[1])
    return span


def figure_facts(figures: pd.DataFrame, articles: pd.DataFrame, *, language: str = "en") -> list[FigureFacts]:
    """Every figure (current versions only) with its place and event date, in figure id order."""
    figures, articles = current_rows(figures, articles)
    lexicon = load_lexicon(language)
    generic = lexicon.generic_victim
    by_article = {row.article_id: row for row in articles.itertuples(index=False)}
    facts: list[FigureFacts] = []
    for article_id, group in figures.groupby("article_id", sort=True):
        article = by_article[article_id]
        text = article.text
        published = _utc_datetime(article.published_at)
        places = read_places(text, language)
        sentences = split_sentences(text, lexicon)
        starts = [start for start, _ in sentences]
        for row in group.itertuples(index=False):
            place: Place | None = None
            found: EventDate | None = None
            first_place = first_date = None
            for span in _spans(row):
                sentence = _sentence_of(sentences, starts, span)
                candidate = place_of_span(places, sentence=sentence, span=span)
                when = event_date(
                    text,
                    sentence=sentence,
                    span=span,
                    published_at=published,
                    ignore=places.dateline_span,
                    language=language,
                )
                first_place = first_place or candidate
                first_date = first_date or when
                if place is None and candidate.how is PlaceHow.SENTENCE:
                    place = candidate
                if found is None and when.how in _FOUND_DATES:
                    found = when
            victim = _none(row.victim)
            facts.append(
                FigureFacts(
                    figure_id=row.figure_id,
                    article_id=row.article_id,
                    category=Category(row.category),
                    unit=Unit(row.unit),
                    scope=Scope(row.scope),
                    status=Status(row.status) if _none(row.status) is not None else None,
                    victim=None if victim in (None, generic) else victim,
                    victim_written=victim,
                    value=int(row.value),
                    lower=_count(row.lower),
                    upper=_count(row.upper),
                    qualifier=Qualifier(row.qualifier),
                    place=place or first_place or NO_PLACE,
                    event=found or first_date or EventDate(None, DateHow.NONE),
                    published_at=published,
                )
            )
    return sorted(facts, key=lambda f: f.figure_id)


# --- incidents ------------------------------------------------------------------------------------


def places_compatible(a: Place, b: Place) -> bool:
    """Same name, same admin1, or the same country when one side knows only the country; never an
    unknown place, never two countries."""
    if a.how is PlaceHow.NONE or b.how is PlaceHow.NONE:
        return False
    if a.country_code is not None and b.country_code is not None and a.country_code != b.country_code:
        return False
    if a.level is PlaceLevel.COUNTRY or b.level is PlaceLevel.COUNTRY:
        return a.country_code is not None and a.country_code == b.country_code
    if a.name is not None and b.name is not None and fold(a.name) == fold(b.name):
        return True
    if a.admin1 is not None and a.admin1 == b.admin1:
        return True
    return (
        a.admin1_name is not None and b.admin1_name is not None and fold(a.admin1_name) == fold(b.admin1_name)
    )


def _ratio(a: int, b: int) -> float:
    return max(a, b) / max(min(a, b), 1)


def figures_compatible(a: FigureFacts, b: FigureFacts, *, window_days: int, max_ratio: float) -> bool:
    """Could two figures of different articles count the same incident (see the module contract)?"""
    if a.event.date is None or b.event.date is None:
        return False
    if abs((a.event.date - b.event.date).days) > window_days:
        return False
    if a.victim is not None and b.victim is not None and a.victim != b.victim:
        return False
    return _ratio(a.value, b.value) <= max_ratio and places_compatible(a.place, b.place)


def estimate(members: Sequence[FigureFacts]) -> Estimate:
    """UCDP-style low, best and high of the figures of one incident (see the module contract)."""
    points = [m.value for m in members if m.qualifier in POINT_QUALIFIERS]
    floors = [m.lower if m.lower is not None else m.value for m in members if m.qualifier in FLOOR_QUALIFIERS]
    bounds = ([min(points)] if points else []) + ([max(floors)] if floors else [])
    low = min(bounds) if bounds else 0
    high = max(max(m.upper if m.upper is not None else m.value for m in members), low)
    best = min(max(statistics.median_low([m.value for m in members]), low), high)
    return Estimate(low, best, high)


def cluster_incidents(
    facts: Sequence[FigureFacts], *, window_days: int, max_ratio: float
) -> list[list[FigureFacts]]:
    """Incident-scope, non-superseded figures -> clusters (see the module contract), deterministic."""
    eligible = [f for f in facts if f.scope is Scope.INCIDENT and f.status is not Status.SUPERSEDED]
    never = datetime.max.replace(tzinfo=UTC)

    def order(f: FigureFacts) -> tuple[object, ...]:
        return (
            f.category.value,
            f.unit.value,
            f.event.date or date.max,
            f.published_at or never,
            f.figure_id,
        )

    clusters: list[_Cluster] = []
    open_clusters: dict[tuple[Category, Unit], list[_Cluster]] = {}
    for figure in sorted(eligible, key=order):
        day = figure.event.date
        if day is None:  # an undated figure is compatible with nothing: an incident of its own
            clusters.append(_Cluster(len(clusters), [figure], {figure.article_id}))
            continue
        key = (figure.category, figure.unit)
        # Figures come in date order, so a cluster whose first day is more than the window before this
        # figure can take no more figures: it is closed.
        live = [c for c in open_clusters.get(key, []) if (day - c.first_day).days <= window_days]
        options = [
            c
            for c in live
            if figure.article_id not in c.articles
            and all(
                figures_compatible(m, figure, window_days=window_days, max_ratio=max_ratio) for m in c.members
            )
        ]
        if options:
            chosen = min(
                options,
                key=lambda c: (
                    (day - c.first_day).days,
                    _ratio(statistics.median_low([m.value for m in c.members]), figure.value),
                    c.number,
                ),
            )
            chosen.add(figure)
        else:
            chosen = _Cluster(len(clusters), [figure], {figure.article_id})
            clusters.append(chosen)
            live.append(chosen)
        open_clusters[key] = live
    return [c.members for c in clusters]


def _hash(parts: Sequence[object]) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()


def incident_id_of(figure_ids: Sequence[str]) -> str:
    """sha256 of the sorted member figure ids: the same members always give the same id."""
    return hashlib.sha256("\n".join(sorted(figure_ids)).encode("utf-8")).hexdigest()


def _representative_place(members: Sequence[FigureFacts]) -> Place:
    """The most specific member place, preferring one with a country, then an admin1, then the one
    found nearest its figure."""
    ordered = sorted(
        enumerate(members),
        key=lambda item: (
            _SPECIFIC[item[1].place.level],
            item[1].place.country_code is None,
            item[1].place.admin1 is None and item[1].place.admin1_name is None,
            _HOW_RANK[item[1].place.how],
            item[0],
        ),
    )
    place = ordered[0][1].place
    for _, other in ordered[1:]:  # fill a missing country from a member of the same place
        if (
            place.country_code is None
            and other.place.country_code is not None
            and places_compatible(place, other.place)
        ):
            place = replace(place, country_code=other.place.country_code)
    return place


def _event_date(members: Sequence[FigureFacts]) -> date | None:
    days = Counter(m.event.date for m in members if m.event.date is not None)
    if not days:
        return None
    return min(days, key=lambda d: (-days[d], d))


def _victim(members: Sequence[FigureFacts]) -> str | None:
    named = Counter(m.victim for m in members if m.victim is not None)
    if named:
        return min(named, key=lambda v: (-named[v], v))
    written = sorted({m.victim_written for m in members if m.victim_written is not None})
    return written[0] if written else None


# --- frames ---------------------------------------------------------------------------------------


def _place_columns(places: Sequence[Place]) -> dict[str, list[object]]:
    return {
        "place": [p.name for p in places],
        "place_level": [p.level.value if p.level else None for p in places],
        "country_code": [p.country_code for p in places],
        "admin1": [p.admin1 for p in places],
        "admin1_name": [p.admin1_name for p in places],
        "lat": [p.lat for p in places],
        "lon": [p.lon for p in places],
    }


def _admin1_names(facts: Sequence[FigureFacts]) -> dict[str, str]:
    """admin1 key -> the name the texts give it most often (names found with the key only)."""
    seen: dict[str, Counter[str]] = {}
    for f in facts:
        if f.place.admin1 is not None and f.place.admin1_name is not None:
            seen.setdefault(f.place.admin1, Counter())[f.place.admin1_name] += 1
    return {key: min(names, key=lambda n: (-names[n], n)) for key, names in seen.items()}


def _named(place: Place, names: Mapping[str, str]) -> Place:
    if place.admin1 is not None and place.admin1_name is None and place.admin1 in names:
        return replace(place, admin1_name=names[place.admin1])
    return place


def _validated(table: DerivedTable, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return MODELS[table].validate(frame, lazy=True)
    except (SchemaError, SchemaErrors) as error:
        raise DerivedSchemaError(f"{table.value}: {error}") from error


def _figure_context_frame(facts: Sequence[FigureFacts]) -> pd.DataFrame:
    places = [f.place for f in facts]
    return typed_frame(
        FigureContextSchema,
        {
            "figure_id": [f.figure_id for f in facts],
            "article_id": [f.article_id for f in facts],
            **_place_columns(places),
            "place_how": [p.how.value for p in places],
            "event_date": [f.event.date for f in facts],
            "date_how": [f.event.how.value for f in facts],
        },
    )


def _incident_frames(
    clusters: Sequence[Sequence[FigureFacts]], names: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, object]] = []
    links: dict[str, list[object]] = {"incident_id": [], "figure_id": [], "article_id": []}
    for members in clusters:
        incident_id = incident_id_of([m.figure_id for m in members])
        estimate_ = estimate(members)
        published = [m.published_at for m in members if m.published_at is not None]
        rows.append(
            {
                "incident_id": incident_id,
                "category": members[0].category.value,
                "unit": members[0].unit.value,
                "victim": _victim(members),
                "place": _named(_representative_place(members), names),
                "event_date": _event_date(members),
                "best": estimate_.best,
                "low": estimate_.low,
                "high": estimate_.high,
                "n_sources": len({m.article_id for m in members}),
                "n_figures": len(members),
                "first_published": min(published) if published else None,
                "last_published": max(published) if published else None,
            }
        )
        for m in sorted(members, key=lambda m: m.figure_id):
            links["incident_id"].append(incident_id)
            links["figure_id"].append(m.figure_id)
            links["article_id"].append(m.article_id)
    rows.sort(key=lambda r: str(r["incident_id"]))
    places = [r.pop("place") for r in rows]  # type: ignore[misc]
    columns: dict[str, list[object]] = {
        name: [r.get(name) for r in rows] for name in model_dtypes(IncidentsSchema)
    }
    columns.update(_place_columns(places))  # type: ignore[arg-type]
    incidents = typed_frame(IncidentsSchema, columns)
    figures = typed_frame(IncidentFiguresSchema, links).sort_values(
        ["incident_id", "figure_id"], ignore_index=True
    )
    return incidents, figures


def _as_of(f: FigureFacts) -> date | None:
    if f.published_at is not None:
        return f.published_at.date()
    return f.event.date


def _totals_frame(facts: Sequence[FigureFacts], names: Mapping[str, str]) -> pd.DataFrame:
    series: dict[tuple[object, ...], list[FigureFacts]] = {}
    for f in facts:
        if f.scope is not Scope.CUMULATIVE or f.status is Status.SUPERSEDED:
            continue
        p = f.place
        key = (
            f.category.value,
            f.unit.value,
            f.victim,
            p.country_code,
            p.admin1,
            fold(p.name) if p.name else None,
        )
        series.setdefault(key, []).append(f)
    latest_first: list[tuple[str, FigureFacts, int]] = []
    for key, members in series.items():
        never = datetime.min.replace(tzinfo=UTC)
        latest = max(
            members,
            key=lambda f: (_as_of(f) or date.min, f.published_at or never, f.value, f.figure_id),
        )
        latest_first.append((_hash(key), latest, len(members)))
    latest_first.sort(key=lambda item: item[0])
    chosen = [f for _, f, _ in latest_first]
    return typed_frame(
        TotalsSchema,
        {
            "total_id": [total_id for total_id, _, _ in latest_first],
            "category": [f.category.value for f in chosen],
            "unit": [f.unit.value for f in chosen],
            "victim": [f.victim for f in chosen],
            **_place_columns([_named(f.place, names) for f in chosen]),
            "as_of": [_as_of(f) for f in chosen],
            "value": [f.value for f in chosen],
            "lower": [f.lower for f in chosen],
            "upper": [f.upper for f in chosen],
            "qualifier": [f.qualifier.value for f in chosen],
            "status": [f.status.value if f.status else None for f in chosen],
            "figure_id": [f.figure_id for f in chosen],
            "article_id": [f.article_id for f in chosen],
            "published_at": [f.published_at for f in chosen],
            "n_reports": [n for _, _, n in latest_first],
        },
    )


def _rollups_frame(incidents: pd.DataFrame) -> pd.DataFrame:
    dated = incidents[incidents["event_date"].notna()]
    parts = []
    for period in Period:
        starts = [period_start(stamp.date(), period) for stamp in dated["event_date"]]
        frame = pd.DataFrame(
            {
                "period": period.value,
                "period_start": starts,
                "country_code": dated["country_code"].astype(object).to_numpy(),
                "admin1": dated["admin1"].astype(object).to_numpy(),
                "admin1_name": dated["admin1_name"].astype(object).to_numpy(),
                "category": dated["category"].astype(str).to_numpy(),
                "unit": dated["unit"].astype(str).to_numpy(),
                "best": dated["best"].astype("int64").to_numpy(),
                "low": dated["low"].astype("int64").to_numpy(),
                "high": dated["high"].astype("int64").to_numpy(),
            }
        )
        parts.append(frame)
    stacked = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if stacked.empty:
        return typed_frame(RollupsSchema, {name: [] for name in model_dtypes(RollupsSchema)})
    grouped = (
        stacked.groupby(list(ROLLUP_KEY), dropna=False, sort=True)
        .agg(best=("best", "sum"), low=("low", "sum"), high=("high", "sum"), n_incidents=("best", "size"))
        .reset_index()
    )
    rows = grouped.to_dict("list")
    rows["period_label"] = [
        period_label(start, Period(period))
        for start, period in zip(rows["period_start"], rows["period"], strict=True)
    ]
    for column in ("country_code", "admin1", "admin1_name"):
        rows[column] = [_none(v) for v in rows[column]]
    return typed_frame(RollupsSchema, {name: rows[name] for name in model_dtypes(RollupsSchema)})


def build_derived(
    figures: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    max_ratio: float = DEFAULT_MAX_RATIO,
    language: str = "en",
) -> DerivedTables:
    """The derived tables of the lake's ``figures`` and ``articles`` frames, validated (no I/O)."""
    if window_days < 0 or max_ratio < 1:
        raise ValueError("window_days must be >= 0 and max_ratio >= 1")
    facts = figure_facts(figures, articles, language=language)
    names = _admin1_names(facts)
    clusters = cluster_incidents(facts, window_days=window_days, max_ratio=max_ratio)
    incidents, incident_figures = _incident_frames(clusters, names)
    tables = {
        DerivedTable.FIGURE_CONTEXT: _figure_context_frame(facts),
        DerivedTable.INCIDENTS: incidents,
        DerivedTable.INCIDENT_FIGURES: incident_figures,
        DerivedTable.TOTALS: _totals_frame(facts, names),
        DerivedTable.ROLLUPS: _rollups_frame(incidents),
    }
    validated = {table: _validated(table, frame) for table, frame in tables.items()}
    return DerivedTables(
        figure_context=validated[DerivedTable.FIGURE_CONTEXT],
        incidents=validated[DerivedTable.INCIDENTS],
        incident_figures=validated[DerivedTable.INCIDENT_FIGURES],
        totals=validated[DerivedTable.TOTALS],
        rollups=validated[DerivedTable.ROLLUPS],
    )


# --- writing and reading the derived folder -------------------------------------------------------


def _local_root(lake_root: str) -> str:
    fs, path = fsspec.core.url_to_fs(lake_root)
    if not isinstance(fs, LocalFileSystem):
        raise NotImplementedError(f"derived tables are written to local lakes only, not {lake_root!r}")
    return os.path.abspath(path)


def _fsync_dir(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _parquet_bytes(table: DerivedTable, frame: pd.DataFrame) -> bytes:
    arrow = pa.Table.from_pandas(frame, schema=ARROW_SCHEMAS[table], preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink)
    return sink.getvalue().to_pybytes()


def _read_manifest(base: str) -> dict[str, Any] | None:
    path = os.path.join(base, MANIFEST_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _table_files(base: str) -> list[str]:
    """Every file in the derived table folders (hidden ones included), relative to ``base``."""
    found = []
    for table in DerivedTable:
        folder = os.path.join(base, table.value)
        if os.path.isdir(folder):
            found += [f"{table.value}/{name}" for name in sorted(os.listdir(folder))]
    return found


def _settle(base: str) -> tuple[str, ...]:
    """Finish the renames the manifest lists, then delete every table file it does not name."""
    manifest = _read_manifest(base)
    keep: set[str] = set()
    if manifest is not None:
        for temp, final in manifest["moves"]:
            if os.path.exists(os.path.join(base, temp)):
                os.replace(os.path.join(base, temp), os.path.join(base, final))
                _fsync_dir(os.path.dirname(os.path.join(base, final)))
        keep = set(manifest["tables"].values())
    removed = tuple(rel for rel in _table_files(base) if rel not in keep)
    for rel in removed:
        os.remove(os.path.join(base, rel))
    return removed


def write_derived(lake_root: str, tables: DerivedTables) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Replace the derived tables of a local lake by ``tables`` (see the module contract).

    Returns (generation, files written, files removed), paths relative to the lake root.
    """
    root = _local_root(lake_root)
    base = os.path.join(root, DERIVED_DIR)
    with Lake(root).writer_lock():
        os.makedirs(base, exist_ok=True)
        _settle(base)
        finals: dict[str, str] = {}
        moves: list[list[str]] = []
        for table, frame in tables.frames().items():
            data = _parquet_bytes(table, frame)
            name = f"part-{hashlib.sha256(data).hexdigest()[:32]}.parquet"
            final = f"{table.value}/{name}"
            temp = f"{table.value}/.{name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}"
            os.makedirs(os.path.join(base, table.value), exist_ok=True)
            _write_file(os.path.join(base, temp), data)
            finals[table.value] = final
            moves.append([temp, final])
        generation = hashlib.sha256("\n".join(sorted(finals.values())).encode("utf-8")).hexdigest()
        manifest = {
            "generation": generation,
            "written_at": datetime.now(UTC).isoformat(),
            "tables": finals,
            "moves": moves,
        }
        manifest_temp = os.path.join(base, f".{MANIFEST_FILE}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")
        _write_file(manifest_temp, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
        os.replace(manifest_temp, os.path.join(base, MANIFEST_FILE))
        _fsync_dir(base)
        removed = _settle(base)
    prefix = f"{DERIVED_DIR}/"
    return generation, tuple(prefix + f for f in finals.values()), tuple(prefix + r for r in removed)


def derived_path(lake_root: str, table: DerivedTable | str) -> str:
    """The folder analysts may point ``pd.read_parquet`` at (``load_derived`` is the safe reader)."""
    return os.path.join(_local_root(lake_root), DERIVED_DIR, DerivedTable(table).value)


def load_derived(lake_root: str, table: DerivedTable | str) -> pd.DataFrame:
    """One derived table, in its model's dtypes, from the files the manifest names.

    Raises ``FileNotFoundError`` when ``aggregate`` never ran on this lake.
    """
    table = DerivedTable(table)
    base = os.path.join(_local_root(lake_root), DERIVED_DIR)
    manifest = _read_manifest(base)
    if manifest is None:
        raise FileNotFoundError(f"no derived tables in {base}: run aggregate first")
    arrow = pq.read_table(os.path.join(base, manifest["tables"][table.value]), schema=ARROW_SCHEMAS[table])
    frame = arrow.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for name, dtype in model_dtypes(MODELS[table]).items():
        if frame[name].dtype != dtype:
            frame[name] = frame[name].astype(dtype)  # type: ignore[call-overload]
    return frame


# --- the entry point ------------------------------------------------------------------------------


def aggregate(
    lake_root: str,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    max_ratio: float = DEFAULT_MAX_RATIO,
    language: str = "en",
) -> AggregateSummary:
    """Rebuild every derived table of the lake at ``lake_root`` (see the module contract)."""
    started = time.perf_counter()
    _local_root(lake_root)  # refuse a remote lake before reading it
    lake = Lake(lake_root)
    figures = lake.read_table(TableName.FIGURES)
    articles = lake.read_table(
        TableName.ARTICLES, columns=["article_id", "extractor_version", "published_at", "ingested_at", "text"]
    )
    tables = build_derived(figures, articles, window_days=window_days, max_ratio=max_ratio, language=language)
    generation, files, removed = write_derived(lake_root, tables)
    return AggregateSummary(
        lake=lake_root,
        generation=generation,
        window_days=window_days,
        max_ratio=max_ratio,
        n_articles=int(articles["article_id"].nunique()),
        n_figures=len(tables.figure_context),
        n_incidents=len(tables.incidents),
        n_incident_figures=len(tables.incident_figures),
        n_undated_incidents=int(tables.incidents["event_date"].isna().sum()),
        n_totals=len(tables.totals),
        n_rollups=len(tables.rollups),
        files=files,
        removed=removed,
        seconds=time.perf_counter() - started,
    )
