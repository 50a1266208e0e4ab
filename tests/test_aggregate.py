"""From figures to statistics: incidents, estimates, running totals, rollups and the derived-table writes.

The scenarios (``_scenarios.py``) go through the real pipeline into lakes in temporary folders; the
estimate and compatibility rules are also tested on hand-made records.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from _scenarios import (
    BOMBING,
    BOMBING_DAY,
    BUS_STATION_DAY,
    TWIN_ATTACKS_DAY,
    Story,
    build_lake,
)
from pandera.errors import SchemaErrors

import casualty_etl.aggregate as aggregate_module
from casualty_etl.aggregate import (
    DERIVED_DIR,
    Estimate,
    FigureFacts,
    aggregate,
    cluster_incidents,
    estimate,
    load_derived,
    places_compatible,
)
from casualty_etl.dates import DateHow, EventDate
from casualty_etl.lake import Lake
from casualty_etl.model import Category, Qualifier, Scope, Status, Unit
from casualty_etl.places import NO_PLACE, Place, PlaceHow, PlaceLevel
from schemas.derived import DerivedTable
from schemas.incidents import IncidentsSchema

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("scenario-lake"))
    build_lake(root)
    aggregate(root)
    return root


def _day(value: date) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def _incidents(lake: str, country: str) -> pd.DataFrame:
    incidents = load_derived(lake, DerivedTable.INCIDENTS)
    return incidents[incidents["country_code"] == country].reset_index(drop=True)


# --- the scenarios ------------------------------------------------------------------------------------


def test_three_outlets_reporting_one_bombing_make_one_incident(lake: str) -> None:
    [bombing] = _incidents(lake, "AF").itertuples(index=False)
    assert (bombing.category, bombing.place, bombing.event_date) == ("killed", "Karvani", _day(BOMBING_DAY))
    assert (bombing.low, bombing.best, bombing.high) == (12, 12, 14)
    assert (bombing.n_sources, bombing.n_figures) == (3, 3)
    links = load_derived(lake, DerivedTable.INCIDENT_FIGURES)
    members = links[links["incident_id"] == bombing.incident_id]
    assert members["article_id"].nunique() == 3
    assert bombing.first_published == pd.Timestamp("2025-03-03T15:00:00Z")
    assert bombing.last_published == pd.Timestamp("2025-03-04T10:00:00Z")


def test_a_rising_running_total_is_the_latest_total_and_never_summed(lake: str) -> None:
    totals = load_derived(lake, DerivedTable.TOTALS)
    [flood] = totals.itertuples(index=False)
    assert (flood.place, flood.country_code, flood.category) == ("Dernava", "LY", "killed")
    assert (flood.value, flood.n_reports, flood.as_of) == (71, 3, _day(date(2025, 9, 14)))
    assert _incidents(lake, "LY").empty
    rollups = load_derived(lake, DerivedTable.ROLLUPS)
    assert not (rollups["country_code"] == "LY").any()


def test_two_attacks_on_the_same_day_in_different_towns_stay_apart(lake: str) -> None:
    attacks = _incidents(lake, "IQ").sort_values("place")
    assert list(attacks["place"]) == ["Qasr Amin", "Tel Harun"]
    assert list(attacks["best"]) == [8, 7]
    assert set(attacks["event_date"]) == {_day(TWIN_ATTACKS_DAY)}
    rollups = load_derived(lake, DerivedTable.ROLLUPS)
    day = rollups[(rollups["period"] == "day") & (rollups["country_code"] == "IQ")]
    assert (day["best"].tolist(), day["n_incidents"].tolist()) == ([15], [2])


def test_a_breakdown_does_not_add_to_its_total(lake: str) -> None:
    [bus] = _incidents(lake, "PK").itertuples(index=False)
    assert (bus.low, bus.best, bus.high, bus.n_figures) == (20, 20, 20, 1)
    context = load_derived(lake, DerivedTable.FIGURE_CONTEXT)
    figures = pd.read_parquet(Path(lake) / "figures")
    breakdown = figures[figures["scope"] == Scope.BREAKDOWN.value]
    assert list(breakdown["value"]) == [5]
    linked = set(load_derived(lake, DerivedTable.INCIDENT_FIGURES)["figure_id"])
    assert breakdown["figure_id"].iloc[0] not in linked
    assert breakdown["figure_id"].iloc[0] in set(context["figure_id"])
    rollups = load_derived(lake, DerivedTable.ROLLUPS)
    month = rollups[(rollups["period"] == "month") & (rollups["country_code"] == "PK")]
    assert month["best"].tolist() == [20] and month["period_label"].tolist() == ["2025-05"]
    assert _incidents(lake, "PK")["event_date"].tolist() == [_day(BUS_STATION_DAY)]


def test_figure_context_resolves_weekdays_and_places(lake: str) -> None:
    context = load_derived(lake, DerivedTable.FIGURE_CONTEXT)
    articles = pd.read_parquet(Path(lake) / "articles", columns=["article_id", "source"])
    joined = context.merge(articles, on="article_id")
    times = joined[joined["source"].str.contains("bombing-times")].iloc[0]
    # "Monday's market bombing" in a paper of Tuesday 4 March: Monday 3 March, not the dateline's 4 March.
    assert (times["event_date"], times["date_how"]) == (_day(BOMBING_DAY), DateHow.WEEKDAY.value)
    assert (times["place"], times["country_code"]) == ("Karvani", "AF")  # the country comes from the dateline
    assert set(joined["place_how"]) <= {PlaceHow.SENTENCE.value, PlaceHow.DATELINE.value}
    assert len(context) == len(pd.read_parquet(Path(lake) / "figures"))


def test_the_derived_tables_hold_one_file_each_and_no_hidden_leftovers(lake: str) -> None:
    base = Path(lake) / DERIVED_DIR
    for table in DerivedTable:
        assert len(list((base / table.value).glob("part-*.parquet"))) == 1
        assert not [p for p in (base / table.value).iterdir() if p.name.startswith(".")]
    incidents = pd.read_parquet(base / "incidents")
    assert len(incidents) == len(load_derived(lake, DerivedTable.INCIDENTS)) == 4


# --- re-runs and crashes ---------------------------------------------------------------------------------


def test_a_rerun_replaces_never_duplicates(tmp_path: Path) -> None:
    root = build_lake(str(tmp_path / "lake"), BOMBING)
    first = aggregate(root)
    again = aggregate(root)
    assert (again.generation, again.files, again.removed) == (first.generation, first.files, ())
    extra = Story(
        "bombing-radio",
        "2025-03-04T18:00:00+00:00",
        "KARVANI, March 4 (Sample Radio) - Thirteen people were killed in Monday's car bombing in the "
        "town of Karvani, a hospital official said.",
    )
    build_lake(root, (extra,))
    third = aggregate(root)
    assert third.generation != first.generation and third.removed
    [bombing] = load_derived(root, DerivedTable.INCIDENTS).itertuples(index=False)
    assert (bombing.n_sources, bombing.low, bombing.best, bombing.high) == (4, 12, 12, 14)
    for table in DerivedTable:
        assert len(list((tmp_path / "lake" / DERIVED_DIR / table.value).iterdir())) == 1


def test_a_crash_after_the_manifest_is_completed_by_the_next_run(tmp_path: Path, monkeypatch) -> None:
    root = build_lake(str(tmp_path / "lake"), BOMBING[:2])
    aggregate(root)
    build_lake(root, BOMBING[2:])
    real_replace = os.replace
    calls: list[str] = []

    def crash_on_second(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:  # the manifest is in place, the first table file is not
            raise RuntimeError("killed")
        real_replace(src, dst)

    monkeypatch.setattr(aggregate_module.os, "replace", crash_on_second)
    with pytest.raises(RuntimeError, match="killed"):
        aggregate(root)
    monkeypatch.setattr(aggregate_module.os, "replace", real_replace)
    hidden = [p for p in (tmp_path / "lake" / DERIVED_DIR).rglob(".*.partial")]
    assert hidden  # the new generation waits under hidden names
    Lake(root).sweep_stale()  # the ETL's own clean-up leaves them alone
    assert [p for p in (tmp_path / "lake" / DERIVED_DIR).rglob(".*.partial")] == hidden
    summary = aggregate(root)
    assert not list((tmp_path / "lake" / DERIVED_DIR).rglob(".*.partial"))
    [bombing] = load_derived(root, DerivedTable.INCIDENTS).itertuples(index=False)
    assert bombing.n_sources == 3 and summary.n_incidents == 1


def test_a_crash_before_the_manifest_leaves_the_old_tables_readable(tmp_path: Path, monkeypatch) -> None:
    root = build_lake(str(tmp_path / "lake"), BOMBING[:1])
    aggregate(root)

    def crash(src: str, dst: str) -> None:
        raise RuntimeError("killed")

    build_lake(root, BOMBING[1:])
    monkeypatch.setattr(aggregate_module.os, "replace", crash)
    with pytest.raises(RuntimeError):
        aggregate(root)
    monkeypatch.undo()
    [old] = load_derived(root, DerivedTable.INCIDENTS).itertuples(index=False)
    assert old.n_sources == 1
    assert len(pd.read_parquet(tmp_path / "lake" / DERIVED_DIR / "incidents")) == 1
    aggregate(root)
    assert load_derived(root, DerivedTable.INCIDENTS)["n_sources"].tolist() == [3]


def test_load_derived_needs_an_aggregate_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="aggregate"):
        load_derived(str(tmp_path), DerivedTable.INCIDENTS)


def test_the_incidents_model_refuses_low_above_best(lake: str) -> None:
    incidents = load_derived(lake, DerivedTable.INCIDENTS)
    broken = incidents.assign(low=incidents["best"] + 1)
    with pytest.raises(SchemaErrors):
        IncidentsSchema.validate(broken, lazy=True)


# --- rules on hand-made records ---------------------------------------------------------------------------

KARVANI = Place("Karvani", "AF", None, None, None, PlaceHow.SENTENCE, PlaceLevel.LOCALITY)


def _facts(
    value: int,
    qualifier: Qualifier = Qualifier.EXACT,
    *,
    lower: int | None = None,
    upper: int | None = None,
    article: str = "a",
    day: date | None = date(2025, 3, 3),
    place: Place = KARVANI,
    victim: str | None = None,
) -> FigureFacts:
    if qualifier is Qualifier.EXACT:
        lower = upper = value
    return FigureFacts(
        figure_id=f"{article}-{value}-{qualifier.value}",
        article_id=article,
        category=Category.KILLED,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        status=None,
        victim=victim,
        victim_written=victim,
        value=value,
        lower=lower,
        upper=upper,
        qualifier=qualifier,
        place=place,
        event=EventDate(day, DateHow.WEEKDAY if day else DateHow.NONE),
        published_at=datetime(2025, 3, 4, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ([_facts(12), _facts(12, Qualifier.AT_LEAST, lower=12), _facts(14)], Estimate(12, 12, 14)),
        (
            [_facts(12, Qualifier.AT_LEAST, lower=12), _facts(15, Qualifier.MORE_THAN, lower=15)],
            Estimate(15, 15, 15),
        ),
        ([_facts(10, Qualifier.UP_TO, upper=10)], Estimate(0, 10, 10)),
        ([_facts(10, Qualifier.RANGE, lower=10, upper=15)], Estimate(10, 10, 15)),
        ([_facts(250, Qualifier.ABOUT), _facts(200)], Estimate(200, 200, 250)),
        ([_facts(24, Qualifier.VAGUE, lower=24), _facts(30)], Estimate(24, 24, 30)),
    ],
)
def test_estimates(figures: list[FigureFacts], expected: Estimate) -> None:
    assert estimate(figures) == expected


def test_places_compatibility() -> None:
    country = Place("Afghanistan", "AF", None, None, None, PlaceHow.SENTENCE, PlaceLevel.COUNTRY)
    kabul = Place("Kabul", "AF", "AF.13", 34.5, 69.2, PlaceHow.DATELINE, PlaceLevel.LOCALITY)
    paghman = Place("Paghman", "AF", "AF.13", 34.6, 68.9, PlaceHow.SENTENCE, PlaceLevel.LOCALITY)
    herat = Place("Herat", "AF", "AF.11", 34.3, 62.2, PlaceHow.SENTENCE, PlaceLevel.LOCALITY)
    unknown_country = Place("Karvani", None, None, None, None, PlaceHow.SENTENCE, PlaceLevel.LOCALITY)
    elsewhere = Place("Karvani", "IQ", None, None, None, PlaceHow.SENTENCE, PlaceLevel.LOCALITY)
    assert places_compatible(country, KARVANI) and places_compatible(
        kabul, paghman
    )  # country only; same admin1
    assert places_compatible(KARVANI, unknown_country)  # same name
    assert not places_compatible(kabul, herat) and not places_compatible(KARVANI, herat)
    assert not places_compatible(KARVANI, elsewhere) and not places_compatible(KARVANI, NO_PLACE)


def test_clustering_window_ratio_victims_and_one_figure_per_article() -> None:
    far = [_facts(12, article="a", day=date(2025, 3, 1)), _facts(12, article="b", day=date(2025, 3, 4))]
    assert len(cluster_incidents(far, window_days=2, max_ratio=2.0)) == 2
    assert len(cluster_incidents(far, window_days=3, max_ratio=2.0)) == 1
    assert (
        len(
            cluster_incidents(
                [_facts(10, article="a"), _facts(25, article="b")], window_days=2, max_ratio=2.0
            )
        )
        == 2
    )
    victims = [_facts(10, article="a", victim="soldiers"), _facts(10, article="b", victim="civilians")]
    assert len(cluster_incidents(victims, window_days=2, max_ratio=2.0)) == 2
    generic = [_facts(10, article="a", victim="soldiers"), _facts(11, article="b")]
    assert len(cluster_incidents(generic, window_days=2, max_ratio=2.0)) == 1
    same_article = [_facts(10, article="a"), _facts(11, article="a")]
    assert len(cluster_incidents(same_article, window_days=2, max_ratio=2.0)) == 2
    undated = [_facts(10, article="a", day=None), _facts(10, article="b", day=None)]
    assert len(cluster_incidents(undated, window_days=2, max_ratio=2.0)) == 2
    superseded = replace(_facts(9, article="c"), status=Status.SUPERSEDED)
    clusters = cluster_incidents([_facts(10, article="a"), superseded], window_days=2, max_ratio=2.0)
    assert [len(c) for c in clusters] == [1]


def test_no_prefect_in_the_statistics_modules() -> None:
    code = (
        "import sys, casualty_etl.aggregate, casualty_etl.report, casualty_etl.hxl, casualty_etl.places, "
        "casualty_etl.dates, schemas.incidents, schemas.totals, schemas.rollups, schemas.figure_context; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'prefect'], 'prefect imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
