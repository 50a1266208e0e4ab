"""pandera model of the ``runs`` table: the ledger, one row per batch committed to the lake.

Contract: a frame with exactly these columns -> the same frame coerced, or ``SchemaErrors``. A row is
written in the same commit as the batch's data files, so the ledger lists exactly the committed batches:
who (``run_id``, ``batch_key``), when, how much (rows per table), what (content hashes of the ids of
each table and of the whole batch, the files written) and how long it took.

Deliberately not here: writing the ledger (``casualty_etl.lake``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import MAX_COUNT, SHA256_HEX_PATTERN, UTC_TIMESTAMP, refuse_naive_timestamps


class RunsSchema(pa.DataFrameModel):
    run_id: Series[str] = pa.Field(str_length={"min_value": 1})
    batch_key: Series[str] = pa.Field(str_length={"min_value": 1})
    content_hash: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    committed_at: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=UTC_TIMESTAMP)
    extractor_version: Series[str] = pa.Field(str_length={"min_value": 1})
    n_articles: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    n_figures: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    n_rejects: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    n_skipped_articles: Series[pd.Int64Dtype] = pa.Field(ge=0, le=MAX_COUNT)
    articles_hash: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    figures_hash: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    rejects_hash: Series[str] = pa.Field(str_matches=SHA256_HEX_PATTERN)
    files: Series[object]
    pipeline_seconds: Series[float] = pa.Field(ge=0, nullable=True)
    lock_wait_seconds: Series[float] = pa.Field(ge=0)
    write_seconds: Series[float] = pa.Field(ge=0)

    class Config:
        name = "runs"
        strict = True
        coerce = True

    @pa.parser("committed_at")
    def tz_aware_timestamps(cls, values: pd.Series) -> pd.Series:
        return refuse_naive_timestamps(values)

    @pa.check("files", name="list_of_paths", element_wise=True)
    def list_of_paths(cls, value: object) -> bool:
        return isinstance(value, list | tuple) or hasattr(value, "tolist")
