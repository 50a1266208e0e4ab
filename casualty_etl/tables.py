"""Records -> typed pandas frames, and the Arrow schemas of the stored tables.

Contract: ``build_frames(extracted, rejects, *, ingested_at, extractor_version) -> Frames`` turns the
records of one batch into the ``articles``, ``figures`` and ``rejects`` frames, every column already in
the dtype of its pandera model (``schemas``): category-like columns as pandas categoricals over the full
enum, counts as ``Int64``, timestamps as ``datetime64[us, UTC]``, list columns as Python lists.
``TABLES`` holds one ``TableSpec`` per table whose Arrow schema is *derived* from the pandera model
(column names, order, nullability and dtypes), so the two cannot drift: a model column without an Arrow
mapping fails at import.

Deliberately not here: validation (``casualty_etl.validate``), deduplication against the lake and any
I/O (``casualty_etl.lake``). Naive ``published_at`` values are taken as UTC; ``ingested_at`` must be
tz-aware.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from pandera.pandas import DataFrameModel

from casualty_etl.model import ExtractedArticle, Figure, Reject
from schemas import (
    SHA256_HEX_PATTERN,
    UNKNOWN_MONTH,
    ArticlesSchema,
    FiguresSchema,
    RejectsSchema,
    RunsSchema,
    TableName,
)

#: Source or reason of a reject that came without one.
UNKNOWN = "unknown"
_SHA256 = re.compile(SHA256_HEX_PATTERN.strip("^$"))
_TABLE_NAMES = frozenset(name.value for name in TableName)

#: Longest excerpt / failure case / detail kept in a reject row, in characters.
EXCERPT_CHARS = 200
DETAIL_CHARS = 2000

#: Arrow type of one entry of ``other_spans``.
SPAN_TYPE = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])

#: Arrow types of the columns pandas holds as Python objects (everything else follows its pandas dtype).
_NESTED_TYPES: dict[TableName, dict[str, pa.DataType]] = {
    TableName.ARTICLES: {},
    TableName.FIGURES: {
        "rule_ids": pa.list_(pa.string()),
        "other_spans": pa.list_(SPAN_TYPE),
        "alt_qualifiers": pa.list_(pa.string()),
    },
    TableName.REJECTS: {},
    TableName.RUNS: {"files": pa.list_(pa.string())},
}

#: Hive partitioning of ``articles`` and ``figures``: ``published_month=YYYY-MM`` (or ``=unknown``).
PARTITION_COLUMN = "published_month"
PARTITIONING = ds.partitioning(pa.schema([pa.field(PARTITION_COLUMN, pa.string())]), flavor="hive")


@dataclass(frozen=True, eq=False)
class Frames:
    """The frames of one batch, on their way to the lake."""

    articles: pd.DataFrame
    figures: pd.DataFrame
    rejects: pd.DataFrame
    extractor_version: str
    ingested_at: datetime


@dataclass(frozen=True)
class TableSpec:
    """One table: its pandera model, its Arrow schema and how it is partitioned."""

    name: TableName
    model: type[DataFrameModel]
    arrow_schema: pa.Schema  # every column of the frame, partition columns included, in model order
    partition_columns: tuple[str, ...]

    @property
    def file_schema(self) -> pa.Schema:
        """The schema of one Parquet file: partition columns live in the folder names, not the file."""
        schema = self.arrow_schema
        for column in self.partition_columns:
            schema = schema.remove(schema.get_field_index(column))
        return schema

    @property
    def dataset_schema(self) -> pa.Schema:
        """The schema a dataset reader sees: the file columns, then the partition columns."""
        schema = self.file_schema
        for column in self.partition_columns:
            schema = schema.append(self.arrow_schema.field(column))
        return schema

    @property
    def columns(self) -> list[str]:
        return list(self.arrow_schema.names)


def _arrow_type(dtype: object, column: str, nested: Mapping[str, pa.DataType]) -> pa.DataType:
    """The Arrow type that stores a pandas dtype of a pandera model column."""
    if column in nested:
        return nested[column]
    if isinstance(dtype, pd.CategoricalDtype):
        return pa.dictionary(pa.int32(), pa.string())
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.timestamp(dtype.unit, tz=str(dtype.tz))
    if isinstance(dtype, pd.Int64Dtype):
        return pa.int64()
    if isinstance(dtype, pd.StringDtype):
        return pa.string()
    if isinstance(dtype, pd.BooleanDtype):
        return pa.bool_()
    if dtype == np.dtype("float64"):
        return pa.float64()
    raise TypeError(f"column {column!r}: no Arrow mapping for pandas dtype {dtype!r}")


def model_dtypes(model: type[DataFrameModel]) -> dict[str, object]:
    """Column name -> pandas dtype, in model order."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def arrow_schema_of(model: type[DataFrameModel], nested: Mapping[str, pa.DataType]) -> pa.Schema:
    """The Arrow schema derived from a pandera model: same names, order, nullability and dtypes."""
    columns = model.to_schema().columns
    unknown = set(nested) - set(columns)
    if unknown:
        raise TypeError(f"{model.__name__}: Arrow types given for unknown columns {sorted(unknown)}")
    return pa.schema(
        [
            pa.field(name, _arrow_type(column.dtype.type, name, nested), nullable=column.nullable)
            for name, column in columns.items()
        ]
    )


def _spec(name: TableName, model: type[DataFrameModel], partition_columns: tuple[str, ...]) -> TableSpec:
    return TableSpec(name, model, arrow_schema_of(model, _NESTED_TYPES[name]), partition_columns)


TABLES: dict[TableName, TableSpec] = {
    TableName.ARTICLES: _spec(TableName.ARTICLES, ArticlesSchema, (PARTITION_COLUMN,)),
    TableName.FIGURES: _spec(TableName.FIGURES, FiguresSchema, (PARTITION_COLUMN,)),
    TableName.REJECTS: _spec(TableName.REJECTS, RejectsSchema, ()),
    TableName.RUNS: _spec(TableName.RUNS, RunsSchema, ()),
}


# --- frames with model dtypes -------------------------------------------------------------------


def _series(values: Sequence[object], dtype: object) -> pd.Series:
    if dtype == np.dtype("O"):
        cells = np.empty(len(values), dtype=object)
        for position, value in enumerate(values):
            cells[position] = value
        return pd.Series(cells, dtype=object)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.Series(pd.to_datetime(pd.Series(list(values), dtype=object), utc=True)).astype(dtype)
    return pd.Series(list(values), dtype=dtype)


def typed_frame(model: type[DataFrameModel], columns: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """A frame with exactly the model's columns, in model order, each in the model's dtype."""
    dtypes = model_dtypes(model)
    if set(columns) != set(dtypes):
        raise ValueError(f"{model.__name__}: columns differ: {sorted(set(columns) ^ set(dtypes))}")
    return pd.DataFrame({name: _series(columns[name], dtype) for name, dtype in dtypes.items()})


def empty_frame(model: type[DataFrameModel]) -> pd.DataFrame:
    """A frame with no rows and the model's columns and dtypes."""
    return typed_frame(model, {name: [] for name in model_dtypes(model)})


def frame_from_arrow(table: pa.Table, spec: TableSpec) -> pd.DataFrame:
    """An Arrow table read from the lake -> a frame in model order and dtypes.

    Categoricals get the full enum as categories. Columns of ``table`` unknown to the spec are dropped;
    spec columns missing from ``table`` are not added.
    """
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    dtypes = model_dtypes(spec.model)
    ordered = [name for name in dtypes if name in frame.columns]
    frame = frame[ordered]
    for name in ordered:
        if dtypes[name] != np.dtype("O") and frame[name].dtype != dtypes[name]:
            frame[name] = frame[name].astype(dtypes[name])
    return frame


def to_arrow(frame: pd.DataFrame, spec: TableSpec) -> pa.Table:
    """The rows of ``frame`` as one Parquet file's table: partition columns dropped, explicit schema."""
    file_columns = spec.file_schema.names
    return pa.Table.from_pandas(frame[file_columns], schema=spec.file_schema, preserve_index=False)


# --- ids ------------------------------------------------------------------------------------------


def _sha256(*parts: object) -> str:
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def figure_id_of(
    article_id: str, category: str, value: int, char_start: int, char_end: int, extractor_version: str
) -> str:
    """Stable id of a figure: the same figure read by the same extractor version gets the same id."""
    return _sha256(article_id, category, value, char_start, char_end, extractor_version)


def reject_id_of(reject: Reject, *, extractor_version: str, subject_id: str | None = None) -> str:
    """Stable id of a reject, without run id or time: a re-run raising the same reject gets the same id.

    ``subject_id`` tells apart rejects of different rows with otherwise equal fields (a figure's id).
    """
    return _sha256(
        extractor_version,
        reject.stage.value,
        reject.table,
        reject.source,
        reject.article_id,
        subject_id,
        reject.reason,
        reject.column,
        reject.failure_case,
        reject.detail,
    )


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def published_month_of(moment: datetime | None) -> str:
    """``published_month`` partition value of a publication time: ``YYYY-MM`` in UTC, or ``unknown``."""
    utc = _utc(moment)
    return UNKNOWN_MONTH if utc is None else utc.strftime("%Y-%m")


# --- records -> frames ----------------------------------------------------------------------------


def _storable(reject: Reject) -> Reject:
    """The reject with every field in the form the ``rejects`` table accepts, so a reject is never lost:
    an empty source or reason becomes ``unknown``, a malformed article id or an unknown table name moves
    into ``detail``, texts are clipped."""
    detail = reject.detail
    article_id = reject.article_id
    if article_id is not None and not _SHA256.fullmatch(article_id):
        detail, article_id = f"{detail} [article_id: {article_id!r}]", None
    table = reject.table
    if table is not None and table not in _TABLE_NAMES:
        detail, table = f"{detail} [table: {table!r}]", None
    return replace(
        reject,
        source=reject.source or UNKNOWN,
        reason=reject.reason or UNKNOWN,
        detail=_clip(detail, DETAIL_CHARS) or "",
        article_id=article_id,
        table=table,
        failure_case=_clip(reject.failure_case, EXCERPT_CHARS),
        excerpt=_clip(reject.excerpt, EXCERPT_CHARS),
    )


def rejects_frame(
    rejects: Sequence[Reject],
    *,
    rejected_at: datetime,
    extractor_version: str,
    subject_ids: Sequence[str | None] | None = None,
    run_id: str | None = None,
) -> pd.DataFrame:
    """Reject records -> rows of the ``rejects`` table (made storable, ids derived)."""
    subjects = list(subject_ids) if subject_ids is not None else [None] * len(rejects)
    if len(subjects) != len(rejects):
        raise ValueError("subject_ids must have one entry per reject")
    rejects = [_storable(reject) for reject in rejects]
    return typed_frame(
        RejectsSchema,
        {
            "reject_id": [
                reject_id_of(r, extractor_version=extractor_version, subject_id=s)
                for r, s in zip(rejects, subjects, strict=True)
            ],
            "run_id": [run_id] * len(rejects),
            "source": [r.source for r in rejects],
            "article_id": [r.article_id for r in rejects],
            "stage": [r.stage.value for r in rejects],
            "reason": [r.reason for r in rejects],
            "detail": [r.detail for r in rejects],
            "table": [r.table for r in rejects],
            "column": [r.column for r in rejects],
            "failure_case": [r.failure_case for r in rejects],
            "excerpt": [r.excerpt for r in rejects],
            "extractor_version": [extractor_version] * len(rejects),
            "rejected_at": [rejected_at] * len(rejects),
        },
    )


def _figure_row(figure: Figure, article_id: str, month: str, extractor_version: str) -> dict[str, object]:
    return {
        "figure_id": figure_id_of(
            article_id,
            figure.category.value,
            figure.value,
            figure.char_start,
            figure.char_end,
            extractor_version,
        ),
        "article_id": article_id,
        "category": figure.category.value,
        "value": figure.value,
        "lower": figure.lower,
        "upper": figure.upper,
        "qualifier": figure.qualifier.value,
        "vague_word": figure.vague_word,
        "unit": figure.unit.value,
        "victim": figure.victim,
        "victim_phrase": figure.victim_phrase,
        "scope": figure.scope.value,
        "status": figure.status.value if figure.status else None,
        "subtype": figure.subtype.value if figure.subtype else None,
        "source": figure.source,
        "span": figure.span,
        "char_start": figure.char_start,
        "char_end": figure.char_end,
        "sentence": figure.sentence,
        "rule_ids": list(figure.rule_ids),
        "other_spans": [{"start": s.start, "end": s.end, "text": s.text} for s in figure.other_spans],
        "alt_qualifiers": [q.value for q in figure.alt_qualifiers],
        "extractor_version": extractor_version,
        "published_month": month,
    }


def _columns(rows: list[dict[str, object]], model: type[DataFrameModel]) -> dict[str, list[object]]:
    return {name: [row[name] for row in rows] for name in model_dtypes(model)}


def build_frames(
    extracted: Sequence[ExtractedArticle],
    rejects: Sequence[Reject],
    *,
    ingested_at: datetime,
    extractor_version: str,
) -> Frames:
    """The frames of one batch: one article row per extracted article, one figure row per figure.

    ``rejects`` are the records raised upstream (read, decode, extract); their ``rejected_at`` is the
    batch's ``ingested_at``. Nothing is validated or dropped here.
    """
    if ingested_at.tzinfo is None:
        raise ValueError("ingested_at must be tz-aware")
    ingested_at = ingested_at.astimezone(UTC)
    article_rows: list[dict[str, object]] = []
    figure_rows: list[dict[str, object]] = []
    for item in extracted:
        article = item.article
        month = published_month_of(article.published_at)
        language = item.language
        article_rows.append(
            {
                "article_id": article.article_id,
                "source": article.source,
                "url": article.url,
                "entry_id": article.entry_id,
                "title": article.title,
                "published_at": _utc(article.published_at),
                "published_month": month,
                "ingested_at": ingested_at,
                "n_chars": len(article.text),
                "n_figures": len(item.figures),
                "language": None if language is None else language.code,
                "language_confidence": None if language is None else language.confidence,
                "language_supported": None if language is None else language.supported,
                "extractor_version": extractor_version,
                "text": article.text,
            }
        )
        figure_rows.extend(_figure_row(f, article.article_id, month, extractor_version) for f in item.figures)
    return Frames(
        articles=typed_frame(ArticlesSchema, _columns(article_rows, ArticlesSchema)),
        figures=typed_frame(FiguresSchema, _columns(figure_rows, FiguresSchema)),
        rejects=rejects_frame(rejects, rejected_at=ingested_at, extractor_version=extractor_version),
        extractor_version=extractor_version,
        ingested_at=ingested_at,
    )
