"""The HTML report, its CSV files and the HXL export, on the scenario lake (``_scenarios.py``)."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from _scenarios import build_lake

from casualty_etl.aggregate import aggregate
from casualty_etl.dates import Period
from casualty_etl.hxl import export_hxl
from casualty_etl.report import (
    COLUMNS,
    ReportError,
    ReportTables,
    Section,
    load_labels,
    parse_labels,
    render_html,
    write_report,
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("report-lake"))
    build_lake(root)
    aggregate(root)
    return root


@pytest.fixture(scope="module")
def report(lake: str, tmp_path_factory: pytest.TempPathFactory):
    return write_report(
        lake, str(tmp_path_factory.mktemp("report")), generated_at=datetime(2025, 10, 1, tzinfo=UTC)
    )


def _rows(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_file_is_written_with_its_columns(report) -> None:
    paths = {
        Section.TIMESERIES: report.timeseries_csv,
        Section.TOP_PLACES: report.top_places_csv,
        Section.TOTALS: report.totals_csv,
        Section.QUALIFIERS: report.qualifiers_csv,
        Section.SCOPES: report.scopes_csv,
        Section.REJECTS: report.rejects_csv,
    }
    for section, path in paths.items():
        with open(path, encoding="utf-8") as handle:
            assert handle.readline().strip().split(",") == COLUMNS[section]
    assert Path(report.html).stat().st_size > 0
    assert not [p for p in Path(report.html).parent.iterdir() if p.name.startswith(".")]


def test_the_time_series_holds_the_incident_estimates(report) -> None:
    rows = {(r["date"], r["category"]): r for r in _rows(report.timeseries_csv)}
    assert set(rows) == {("2025-03-03", "killed"), ("2025-05-23", "killed"), ("2025-06-10", "killed")}
    bombing = rows[("2025-03-03", "killed")]
    assert (bombing["best"], bombing["low"], bombing["high"], bombing["n_incidents"]) == (
        "12",
        "12",
        "14",
        "1",
    )
    twin = rows[("2025-06-10", "killed")]
    assert (twin["best"], twin["n_incidents"]) == ("15", "2")


def test_top_places_totals_and_shares(report) -> None:
    places = _rows(report.top_places_csv)
    assert [(r["place"], r["country_code"], r["killed"]) for r in places] == [
        ("Soraya", "PK", "20"),
        ("Karvani", "AF", "12"),
        ("Qasr Amin", "IQ", "8"),
        ("Tel Harun", "IQ", "7"),
    ]
    [total] = _rows(report.totals_csv)
    assert (total["place"], total["value"], total["as_of"], total["n_reports"]) == (
        "Dernava",
        "71",
        "2025-09-14",
        "3",
    )
    scopes = {r["scope"]: int(r["count"]) for r in _rows(report.scopes_csv)}
    assert scopes == {"incident": 6, "cumulative": 3, "breakdown": 1, "other_incident": 0}
    qualifiers = _rows(report.qualifiers_csv)
    assert sum(int(r["count"]) for r in qualifiers) == 10
    assert sum(float(r["share"]) for r in qualifiers) == pytest.approx(1.0)
    assert _rows(report.rejects_csv) == []


def test_the_page_is_self_contained(report) -> None:
    page = Path(report.html).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r'<img alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}">', page)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch
    assert "Karvani" in page and "Dernava" in page and "2025-10-01T00:00:00+00:00" in page


def test_article_text_is_escaped() -> None:
    hostile = pd.DataFrame(
        {
            "place": ["<script>alert(1)</script>"],
            "country_code": ["AF"],
            "admin1": [None],
            "admin1_name": ["A & B"],
            "n_incidents": [1],
            **{c: [0] for c in COLUMNS[Section.TOP_PLACES][5:]},
        }
    )
    empty = {s: pd.DataFrame({c: [] for c in COLUMNS[s]}) for s in Section}
    tables = ReportTables(
        timeseries=empty[Section.TIMESERIES],
        top_places=hostile,
        totals=empty[Section.TOTALS],
        qualifiers=empty[Section.QUALIFIERS],
        scopes=empty[Section.SCOPES],
        rejects=pd.DataFrame({"stage": ["read"], "reason": ['"><img src=x>'], "rejects": [2]}),
    )
    page = render_html(tables, load_labels(), lake="<lake>", generated_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A &amp; B" in page and "&lt;lake&gt;" in page and "<img src=x>" not in page


def test_the_labels_file_is_validated() -> None:
    labels = load_labels("en")
    assert labels.categories and labels.sections[Section.TOTALS]
    with pytest.raises(ReportError):
        parse_labels({"language": "en"}, "en")


def test_the_hxl_file_has_the_hashtag_row_second(lake: str, tmp_path: Path) -> None:
    export = export_hxl(lake, str(tmp_path / "rollups.hxl.csv"))
    with open(export.path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, tags, *data = rows
    assert header == list(export.columns)
    assert all(tag.startswith("#") for tag in tags)
    assert tags[:4] == ["#date", "#country+code", "#adm1+code+v_geonames", "#adm1+name"]
    for attribute in ("killed", "injured", "displaced", "missing", "abducted"):
        column = tags.index(f"#affected+{attribute}")
        assert tags[column + 1 : column + 3] == [f"#affected+{attribute}+min", f"#affected+{attribute}+max"]
    records = [dict(zip(header, row, strict=True)) for row in data]
    afghanistan = [r for r in records if r["country_code"] == "AFG"]
    assert [
        (r["date"], r["killed_best"], r["killed_low"], r["killed_high"], r["injured_best"])
        for r in afghanistan
    ] == [("2025-03-03", "12", "12", "14", "")]
    assert {r["country_code"] for r in records} == {"AFG", "IRQ", "PAK"}  # the running total is not exported
    monthly = export_hxl(lake, str(tmp_path / "monthly.csv"), period=Period.MONTH)
    with open(monthly.path, encoding="utf-8") as handle:
        assert "2025-06,IRQ,,,15,15,15" in handle.read()
