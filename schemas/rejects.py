"""pandera model of the ``rejects`` table: everything that could not become a row, with the reason.

Contract: a frame with exactly these columns -> the same frame coerced, or ``SchemaErrors``. One row per
rejected thing: a document that could not be read, decoded or extracted, an article or figure that failed
validation, or a figure that left with its rejected article. ``reject_id`` is a content hash (without
run id or time), so the same reject raised again by a re-run is recognised and not stored twice.

Deliberately not here: building rejects from pandera failure cases (``casualty_etl.validate``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from casualty_etl.model import RejectStage
from schemas import SHA256_HEX_PATTERN, UTC_TIMESTAMP, TableName, enum_values, refuse_naive_timestamps

#: Columns compared by each dataframe-wide check (the first is reported as the failing column).
REJECT_CHECK_COLUMNS: dict[str, tuple[str, ...]] = {"unique_reject_id": ("reject_id",)}


class RejectsSchema(pa.DataFrameModel):
    reject_id: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    run_id: Series[str] = pa.Field(nullable=True)
    source: Series[str] = pa.Field(str_length={"min_value": 1})
    article_id: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN, nullable=True)
    stage: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": enum_values(RejectStage), "ordered": False}
    )
    reason: Series[str] = pa.Field(str_length={"min_value": 1})
    detail: Series[str]
    table: Series[str] = pa.Field(isin=enum_values(TableName), nullable=True)
    column: Series[str] = pa.Field(nullable=True)
    failure_case: Series[str] = pa.Field(nullable=True)
    excerpt: Series[str] = pa.Field(nullable=True)
    extractor_version: Series[str] = pa.Field(str_length={"min_value": 1})
    rejected_at: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=UTC_TIMESTAMP)

    class Config:
        name = "rejects"
        strict = True
        coerce = True

    @pa.parser("rejected_at")
    def tz_aware_timestamps(cls, values: pd.Series) -> pd.Series:
        return refuse_naive_timestamps(values)

    @pa.dataframe_check(name="unique_reject_id")
    def unique_reject_id(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["reject_id"].duplicated(keep="first")
