"""A self-contained HTML report of a lake's statistics, with the same tables as CSV files.

Contract: ``write_report(lake_root, out_dir) -> ReportFiles`` writes ``report.html`` (one page, no
external file: the chart is an inline base64 PNG drawn by matplotlib's Agg canvas, the style inline)
and one CSV per table: ``timeseries.csv`` (per day and category, from the ``rollups``: people only,
summed over places), ``top_places.csv`` (from the ``incidents``: best estimates per place and
category), ``totals.csv`` (the latest running totals), ``figures_by_qualifier.csv`` and
``figures_by_scope.csv`` (count and share of the current figures), ``rejects_by_reason.csv``. CSV
headers are column ids; the page shows the labels of ``casualty_etl/lexicon/report_<lang>.yaml`` and
escapes every text cell (place names, victims and reasons come from articles and inputs). Each file
is written to a hidden temporary name and renamed into place. ``report_tables(lake_root)`` returns the
tables without writing anything.

Deliberately not here: computing incidents, totals and rollups (``casualty_etl.aggregate`` must have
run: the derived tables are read, never rebuilt), interactivity, and Prefect.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Any

import pandas as pd
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from casualty_etl.aggregate import current_rows, load_derived
from casualty_etl.dates import Period
from casualty_etl.lake import Lake
from casualty_etl.model import Category, Qualifier, Scope, Unit
from schemas import TableName, enum_values
from schemas.derived import DerivedTable

_DATA_PACKAGE = "casualty_etl.lexicon"
_PLACE_COLUMNS = ["place", "country_code", "admin1", "admin1_name"]
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em}"
    "th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".note{color:#555;font-size:.9em}img{max-width:100%}"
)


class ReportError(ValueError):
    """The report labels file is malformed; the message names the key at fault."""


class Section(StrEnum):
    """The sections of the report, in page order; the values are the CSV file stems."""

    TIMESERIES = "timeseries"
    TOP_PLACES = "top_places"
    TOTALS = "totals"
    QUALIFIERS = "figures_by_qualifier"
    SCOPES = "figures_by_scope"
    REJECTS = "rejects_by_reason"


#: The labels file names sections by these keys.
_SECTION_KEYS = {
    Section.TIMESERIES: "timeseries",
    Section.TOP_PLACES: "top_places",
    Section.TOTALS: "totals",
    Section.QUALIFIERS: "qualifiers",
    Section.SCOPES: "scopes",
    Section.REJECTS: "rejects",
}


@dataclass(frozen=True, slots=True)
class ReportLabels:
    language: str
    title: str
    lake: str
    generated: str
    empty: str
    top_places_limit: int
    sections: Mapping[Section, str]
    notes: Mapping[Section, str]
    columns: Mapping[str, str]
    categories: Mapping[Category, str]

    def column(self, name: str) -> str:
        if name in self.columns:
            return self.columns[name]
        return self.categories[Category(name)]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Paths of the files ``write_report`` wrote."""

    html: str
    timeseries_csv: str
    top_places_csv: str
    totals_csv: str
    qualifiers_csv: str
    scopes_csv: str
    rejects_csv: str


@dataclass(frozen=True, eq=False)
class ReportTables:
    """The report's tables, with the CSV column ids."""

    timeseries: pd.DataFrame
    top_places: pd.DataFrame
    totals: pd.DataFrame
    qualifiers: pd.DataFrame
    scopes: pd.DataFrame
    rejects: pd.DataFrame

    def by_section(self) -> dict[Section, pd.DataFrame]:
        return {
            Section.TIMESERIES: self.timeseries,
            Section.TOP_PLACES: self.top_places,
            Section.TOTALS: self.totals,
            Section.QUALIFIERS: self.qualifiers,
            Section.SCOPES: self.scopes,
            Section.REJECTS: self.rejects,
        }


# --- labels --------------------------------------------------------------------------------------------


def _strings(where: str, data: Any, keys: set[str]) -> dict[str, str]:
    if not isinstance(data, Mapping) or set(data) != keys:
        missing = keys - set(data) if isinstance(data, Mapping) else keys
        raise ReportError(f"{where}: expected exactly the keys {sorted(keys)} (missing {sorted(missing)})")
    if not all(isinstance(v, str) and v.strip() for v in data.values()):
        raise ReportError(f"{where}: every label must be a non-empty string")
    return {str(k): str(v) for k, v in data.items()}


#: Column ids of every report table (the CSV headers); categories are columns of ``top_places`` too.
COLUMNS: dict[Section, list[str]] = {
    Section.TIMESERIES: ["date", "category", "best", "low", "high", "n_incidents"],
    Section.TOP_PLACES: [*_PLACE_COLUMNS, "n_incidents", *enum_values(Category)],
    Section.TOTALS: [
        *_PLACE_COLUMNS,
        "category",
        "victim",
        "as_of",
        "value",
        "qualifier",
        "status",
        "n_reports",
    ],
    Section.QUALIFIERS: ["qualifier", "count", "share"],
    Section.SCOPES: ["scope", "count", "share"],
    Section.REJECTS: ["stage", "reason", "rejects"],
}


def parse_labels(data: Any, language: str) -> ReportLabels:
    """Validate report labels (the parsed YAML); raises :class:`ReportError`."""
    top = {
        "language",
        "title",
        "lake",
        "generated",
        "empty",
        "top_places_limit",
        "sections",
        "notes",
        "columns",
        "categories",
    }
    if not isinstance(data, Mapping) or set(data) != top:
        raise ReportError(f"report labels: expected exactly the keys {sorted(top)}")
    if data["language"] != language:
        raise ReportError(f"language: file says {data['language']!r}, expected {language!r}")
    limit = data["top_places_limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ReportError("top_places_limit: expected a positive integer")
    plain = _strings(
        "labels",
        {k: data[k] for k in ("title", "lake", "generated", "empty")},
        {"title", "lake", "generated", "empty"},
    )
    sections = _strings("sections", data["sections"], set(_SECTION_KEYS.values()))
    notes = _strings("notes", data["notes"], set(_SECTION_KEYS.values()))
    needed = {c for cols in COLUMNS.values() for c in cols} - set(enum_values(Category))
    columns = _strings("columns", data["columns"], needed)
    categories = _strings("categories", data["categories"], set(enum_values(Category)))
    return ReportLabels(
        language=language,
        title=plain["title"],
        lake=plain["lake"],
        generated=plain["generated"],
        empty=plain["empty"],
        top_places_limit=limit,
        sections={s: sections[k] for s, k in _SECTION_KEYS.items()},
        notes={s: notes[k] for s, k in _SECTION_KEYS.items()},
        columns=columns,
        categories={Category(k): v for k, v in categories.items()},
    )


def load_labels(language: str = "en") -> ReportLabels:
    """The report labels of ``language`` (read once per process); raises :class:`ReportError`."""
    return _labels(language)


@functools.cache  # keyed on the positional language only, so every spelling of a call shares one entry
def _labels(language: str) -> ReportLabels:
    try:
        raw = resources.files(_DATA_PACKAGE).joinpath(f"report_{language}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReportError(f"no report labels for language {language!r}") from exc
    return parse_labels(yaml.safe_load(raw), language)


# --- tables ----------------------------------------------------------------------------------------------


def _day(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)


def _shares(values: pd.Series, enum: type[StrEnum], column: str) -> pd.DataFrame:
    counts = values.astype(str).value_counts()
    total = int(counts.sum())
    names = enum_values(enum)
    numbers = [int(counts.get(name, 0)) for name in names]
    return pd.DataFrame(
        {column: names, "count": numbers, "share": [round(n / total, 4) if total else 0.0 for n in numbers]}
    )


def _timeseries(rollups: pd.DataFrame) -> pd.DataFrame:
    daily = rollups[(rollups["period"] == Period.DAY.value) & (rollups["unit"] == Unit.PEOPLE.value)]
    if daily.empty:
        return pd.DataFrame({c: [] for c in COLUMNS[Section.TIMESERIES]})
    grouped = (
        daily.assign(category=daily["category"].astype(str))
        .groupby(["period_start", "category"], sort=True)[["best", "low", "high", "n_incidents"]]
        .sum()
        .reset_index()
    )
    grouped["date"] = _day(grouped["period_start"])
    return grouped[COLUMNS[Section.TIMESERIES]].astype(
        {"best": "int64", "low": "int64", "high": "int64", "n_incidents": "int64"}
    )


def _top_places(incidents: pd.DataFrame, limit: int) -> pd.DataFrame:
    people = incidents[incidents["unit"] == Unit.PEOPLE.value]
    columns = COLUMNS[Section.TOP_PLACES]
    if people.empty:
        return pd.DataFrame({c: [] for c in columns})
    frame = people[_PLACE_COLUMNS].astype(object).where(people[_PLACE_COLUMNS].notna(), "")
    frame["category"] = people["category"].astype(str)
    frame["best"] = people["best"].astype("int64")
    pivot = frame.pivot_table(
        index=_PLACE_COLUMNS, columns="category", values="best", aggfunc="sum", fill_value=0
    )
    counts = frame.groupby(_PLACE_COLUMNS).size().rename("n_incidents")
    table = pivot.join(counts).reset_index()
    for category in enum_values(Category):
        table[category] = table[category].astype("int64") if category in table else 0
    table["_total"] = table[enum_values(Category)].sum(axis=1)
    table = table.sort_values(
        [Category.KILLED.value, "_total", "place", "country_code"], ascending=[False, False, True, True]
    )
    return table[columns].head(limit).reset_index(drop=True)


def _totals(totals: pd.DataFrame) -> pd.DataFrame:
    table = totals.copy()
    table["as_of"] = _day(table["as_of"])
    for column in ("category", "qualifier", "status"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table = table.sort_values(["country_code", "place", "category"], na_position="last", kind="stable")
    return table[COLUMNS[Section.TOTALS]].reset_index(drop=True)


def _rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    if rejects.empty:
        return pd.DataFrame({c: [] for c in COLUMNS[Section.REJECTS]})
    grouped = (
        rejects.assign(stage=rejects["stage"].astype(str))
        .groupby(["stage", "reason"], sort=True)
        .size()
        .rename("rejects")
        .reset_index()
        .sort_values(["rejects", "stage", "reason"], ascending=[False, True, True], kind="stable")
    )
    return grouped[COLUMNS[Section.REJECTS]].reset_index(drop=True)


def report_tables(lake_root: str, *, language: str = "en") -> ReportTables:
    """The report's tables (reads the lake and its derived tables; writes nothing)."""
    labels = load_labels(language)
    lake = Lake(lake_root)
    figures = lake.read_table(
        TableName.FIGURES, columns=["article_id", "extractor_version", "qualifier", "scope"]
    )
    articles = lake.read_table(TableName.ARTICLES, columns=["article_id", "extractor_version", "ingested_at"])
    current, _ = current_rows(figures, articles)
    return ReportTables(
        timeseries=_timeseries(load_derived(lake_root, DerivedTable.ROLLUPS)),
        top_places=_top_places(load_derived(lake_root, DerivedTable.INCIDENTS), labels.top_places_limit),
        totals=_totals(load_derived(lake_root, DerivedTable.TOTALS)),
        qualifiers=_shares(current["qualifier"], Qualifier, "qualifier"),
        scopes=_shares(current["scope"], Scope, "scope"),
        rejects=_rejects(lake.read_table(TableName.REJECTS, columns=["stage", "reason"])),
    )


# --- rendering -------------------------------------------------------------------------------------------


def _chart(timeseries: pd.DataFrame, labels: ReportLabels) -> str | None:
    """The time series as small multiples, one panel per category: a bar per day with an incident (best),
    a whisker from low to high (no line between days: a day without incidents is no interpolation), as a
    base64 PNG; None when there is nothing to draw."""
    if timeseries.empty:
        return None
    categories = [c for c in enum_values(Category) if c in set(timeseries["category"])]
    figure = Figure(figsize=(8, 1.9 * len(categories) + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(categories), 1, sharex=True, squeeze=False)[:, 0]
    for ax, category in zip(axes, categories, strict=True):
        rows = timeseries[timeseries["category"] == category]
        days = pd.to_datetime(rows["date"]).dt.date.tolist()
        best, low, high = (rows[c].to_numpy(dtype=float) for c in ("best", "low", "high"))
        ax.bar(days, best, width=0.8, alpha=0.8)
        ax.errorbar(
            days, best, yerr=[best - low, high - best], fmt="none", ecolor="black", capsize=3, linewidth=1
        )
        ax.set_title(labels.categories[Category(category)], loc="left", fontsize=10)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.grid(alpha=0.3)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(value: object) -> tuple[str, bool]:
    """(escaped text, numeric) of one table cell."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return "", False
    if isinstance(value, float):
        return html.escape(f"{value:.4g}"), True
    if isinstance(value, int) or hasattr(value, "dtype"):
        return html.escape(str(value)), True
    return html.escape(str(value)), False


def _table(frame: pd.DataFrame, labels: ReportLabels) -> str:
    if frame.empty:
        return f"<p>{html.escape(labels.empty)}</p>"
    head = "".join(f"<th>{html.escape(labels.column(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            text, numeric = _cell(value)
            cells.append(f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(tables: ReportTables, labels: ReportLabels, *, lake: str, generated_at: datetime) -> str:
    """The report page: every text escaped, the chart inline."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(labels.language)}"><head><meta charset="utf-8">',
        f"<title>{html.escape(labels.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(labels.title)}</h1>",
        f'<p class="note">{html.escape(labels.lake)}: {html.escape(lake)} &middot; '
        f"{html.escape(labels.generated)}: {html.escape(generated_at.isoformat(timespec='seconds'))}</p>",
    ]
    for section, frame in tables.by_section().items():
        parts.append(f'<section id="{section.value}"><h2>{html.escape(labels.sections[section])}</h2>')
        parts.append(f'<p class="note">{html.escape(labels.notes[section])}</p>')
        if section is Section.TIMESERIES:
            png = _chart(frame, labels)
            if png is not None:
                parts.append(
                    f'<img alt="{html.escape(labels.sections[section])}" src="data:image/png;base64,{png}">'
                )
        parts.append(_table(frame, labels))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _write_atomically(path: str, data: bytes) -> None:
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def write_report(
    lake_root: str, out_dir: str, *, language: str = "en", generated_at: datetime | None = None
) -> ReportFiles:
    """Write ``report.html`` and the CSV files into ``out_dir`` (see the module contract)."""
    labels = load_labels(language)
    tables = report_tables(lake_root, language=language)
    os.makedirs(out_dir, exist_ok=True)
    paths = {section: os.path.join(out_dir, f"{section.value}.csv") for section in Section}
    for section, frame in tables.by_section().items():
        _write_atomically(paths[section], frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    page = render_html(tables, labels, lake=lake_root, generated_at=generated_at or datetime.now(UTC))
    html_path = os.path.join(out_dir, "report.html")
    _write_atomically(html_path, page.encode("utf-8"))
    return ReportFiles(
        html=html_path,
        timeseries_csv=paths[Section.TIMESERIES],
        top_places_csv=paths[Section.TOP_PLACES],
        totals_csv=paths[Section.TOTALS],
        qualifiers_csv=paths[Section.QUALIFIERS],
        scopes_csv=paths[Section.SCOPES],
        rejects_csv=paths[Section.REJECTS],
    )
