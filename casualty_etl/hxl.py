"""The rollups as an HXL-tagged CSV file (Humanitarian Exchange Language, hxlstandard.org).

Contract: ``export_hxl(lake_root, path, *, period=Period.DAY) -> HxlExport`` writes one row per period,
country and admin1 of the ``rollups`` (people only) with, per category, the best, low and high
estimates: a header row of column ids, then the HXL hashtag row, then the data. Hashtags follow the
HXL core dictionary:

- ``#date``: the period (ISO 8601: ``2025-03-03``, ``2025-W10``, ``2025-03``);
- ``#country+code``: ISO 3166-1 alpha-3, the default vocabulary of ``#country``;
- ``#adm1+code+v_geonames``: the geonames admin1 key (``AF.13``): not an OCHA p-code, hence the
  vocabulary attribute; ``#adm1+name``: the admin1 name when known (from the text, or a US state);
- ``#affected+killed``, ``+injured``, ``+displaced``, ``+missing``, ``+abducted``: the best estimate;
  the same with ``+min`` and ``+max`` for the low and high estimates. Displaced is ``+displaced``,
  not ``+idps``: the category also counts refugees and evacuees, and HXL reserves ``+idps`` for the
  internally displaced. ``+missing`` is not in the core dictionary but is the attribute in use on HDX.

A category with no incident in a row is left blank (nothing reported), never 0. The file is written
to a hidden temporary name and renamed into place.

Deliberately not here: combined ``casualties`` counts (no HXL attribute, and adding them to killed or
injured would count people twice), households (``unit`` households), running totals (``totals``).
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from dataclasses import dataclass

import pandas as pd

from casualty_etl.aggregate import load_derived
from casualty_etl.dates import Period
from casualty_etl.model import Category, Unit
from casualty_etl.places import iso3_of
from schemas.derived import DerivedTable

#: HXL attribute of each exported category (``casualties`` has none).
CATEGORY_ATTRIBUTES: dict[Category, str] = {
    Category.KILLED: "+killed",
    Category.INJURED: "+injured",
    Category.DISPLACED: "+displaced",
    Category.MISSING: "+missing",
    Category.ABDUCTED: "+abducted",
}
#: The place columns: column id -> hashtag.
PLACE_TAGS = {
    "date": "#date",
    "country_code": "#country+code",
    "admin1_code": "#adm1+code+v_geonames",
    "admin1_name": "#adm1+name",
}
#: Estimate column suffix -> HXL attribute added to the category's hashtag.
ESTIMATES = {"best": "", "low": "+min", "high": "+max"}


@dataclass(frozen=True, slots=True)
class HxlExport:
    path: str
    n_rows: int
    columns: tuple[str, ...]
    hashtags: tuple[str, ...]


def hxl_columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(column ids, hashtags) of the export, in order."""
    columns, tags = list(PLACE_TAGS), list(PLACE_TAGS.values())
    for category, attribute in CATEGORY_ATTRIBUTES.items():
        for estimate, extra in ESTIMATES.items():
            columns.append(f"{category.value}_{estimate}")
            tags.append(f"#affected{attribute}{extra}")
    return tuple(columns), tuple(tags)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    return str(value)


def export_hxl(lake_root: str, path: str, *, period: Period = Period.DAY) -> HxlExport:
    """Write the rollups of ``period`` as an HXL CSV file at ``path`` (see the module contract)."""
    columns, tags = hxl_columns()
    rollups = load_derived(lake_root, DerivedTable.ROLLUPS)
    wanted = rollups[
        (rollups["period"] == Period(period).value)
        & (rollups["unit"] == Unit.PEOPLE.value)
        & (rollups["category"].astype(str).isin([c.value for c in CATEGORY_ATTRIBUTES]))
    ]
    rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
    ordered = wanted.sort_values(
        ["period_start", "country_code", "admin1", "admin1_name"], na_position="first"
    )
    for record in ordered.itertuples(index=False):
        key = (
            record.period_label,
            _cell(iso3_of(_cell(record.country_code) or None)),
            _cell(record.admin1),
            _cell(record.admin1_name),
        )
        row = rows.setdefault(key, dict(zip(PLACE_TAGS, key, strict=True)))
        for estimate in ESTIMATES:
            row[f"{record.category}_{estimate}"] = str(int(getattr(record, estimate)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow(tags)
    for row in rows.values():
        writer.writerow([row.get(column, "") for column in columns])
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    with open(temp, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return HxlExport(path=path, n_rows=len(rows), columns=columns, hashtags=tags)
