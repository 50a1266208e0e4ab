"""Records -> frames, and Arrow schemas derived from the pandera models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq
import pytest
from pandera.typing import Series

from casualty_etl.model import (
    Article,
    Category,
    ExtractedArticle,
    Figure,
    Qualifier,
    Reject,
    RejectStage,
    Scope,
    Span,
    Status,
    Unit,
    article_id_of,
)
from casualty_etl.tables import (
    TABLES,
    arrow_schema_of,
    build_frames,
    figure_id_of,
    frame_from_arrow,
    model_dtypes,
    to_arrow,
)
from schemas import TableName

TEXT = "At least 40 people were injured when the bridge collapsed. Police said 40 were hurt."
PHRASE = "At least 40 people were injured"
INGESTED = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def _extracted(published_at: datetime | None = datetime(2024, 2, 29, 23, 30, tzinfo=UTC)) -> ExtractedArticle:
    second = TEXT.index("40 were hurt")
    figure = Figure(
        category=Category.INJURED,
        value=40,
        lower=40,
        upper=None,
        qualifier=Qualifier.AT_LEAST,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        span=PHRASE,
        char_start=0,
        char_end=len(PHRASE),
        sentence="At least 40 people were injured when the bridge collapsed.",
        rule_ids=("qualifier.at_least", "category.injured"),
        status=Status.CLAIMED,
        source="Police",
        other_spans=(Span(second, second + 2, "40"),),
        alt_qualifiers=(Qualifier.EXACT,),
    )
    article = Article(
        article_id=article_id_of(TEXT),
        source="feeds/bridge.json#L3",
        text=TEXT,
        title="Bridge collapse",
        url="https://news.example/bridge",
        published_at=published_at,
    )
    return ExtractedArticle(article, (figure,))


def _frames(**kwargs):
    reject = Reject("feeds/broken.bin", RejectStage.DECODE, "undecodable", "no charset matched")
    return build_frames([_extracted(**kwargs)], [reject], ingested_at=INGESTED, extractor_version="t1")


@pytest.mark.parametrize("table", ["articles", "figures", "rejects"])
def test_built_frames_have_the_model_dtypes_and_validate(table):
    frame = getattr(_frames(), table)
    model = TABLES[TableName(table)].model
    assert dict(frame.dtypes) == model_dtypes(model)
    model.validate(frame)


def test_figure_row_keeps_every_figure_field():
    figure = _extracted().figures[0]
    row = _frames().figures.iloc[0]
    expected = figure.to_json()
    assert set(expected) <= set(row.index)
    assert {
        name: (row[name] if not pd.isna(row[name]) else None) for name in ("lower", "upper", "vague_word")
    } == {
        "lower": 40,
        "upper": None,
        "vague_word": None,
    }
    assert row["other_spans"] == expected["other_spans"]
    assert row["rule_ids"] == expected["rule_ids"]
    assert row["alt_qualifiers"] == ["exact"]
    assert (row["status"], row["source"]) == ("claimed", "Police")


def test_figure_id_is_stable_and_depends_on_the_extractor_version():
    article_id = article_id_of(TEXT)
    assert _frames().figures["figure_id"].iloc[0] == figure_id_of(
        article_id, "injured", 40, 0, len(PHRASE), "t1"
    )
    assert figure_id_of(article_id, "injured", 40, 0, len(PHRASE), "t2") != figure_id_of(
        article_id, "injured", 40, 0, len(PHRASE), "t1"
    )


def test_published_month_is_utc_month_and_unknown_without_date():
    east = timezone(timedelta(hours=3))
    in_march_locally = _frames(published_at=datetime(2024, 3, 1, 1, 0, tzinfo=east))
    assert in_march_locally.articles["published_month"].iloc[0] == "2024-02"
    undated = _frames(published_at=None)
    assert undated.articles["published_month"].iloc[0] == "unknown"
    assert undated.figures["published_month"].iloc[0] == "unknown"


def test_naive_published_at_is_taken_as_utc():
    frames = _frames(published_at=datetime(2024, 3, 1, 12, 0))
    assert frames.articles["published_at"].iloc[0] == pd.Timestamp("2024-03-01T12:00Z")


def test_naive_ingested_at_is_refused():
    with pytest.raises(ValueError, match="tz-aware"):
        build_frames([], [], ingested_at=datetime(2024, 5, 1), extractor_version="t1")


def test_empty_batch_gives_empty_typed_frames():
    frames = build_frames([], [], ingested_at=INGESTED, extractor_version="t1")
    assert frames.figures.empty
    assert dict(frames.figures.dtypes) == model_dtypes(TABLES[TableName.FIGURES].model)


@pytest.mark.parametrize("table", list(TableName))
def test_arrow_schema_follows_the_model(table):
    spec = TABLES[table]
    columns = spec.model.to_schema().columns
    assert spec.arrow_schema.names == list(columns)
    assert [field.nullable for field in spec.arrow_schema] == [column.nullable for column in columns.values()]


def test_model_column_without_arrow_mapping_fails_loudly():
    class Drifted(pa.DataFrameModel):
        payload: Series[object]

    with pytest.raises(TypeError, match="payload"):
        arrow_schema_of(Drifted, {})


@pytest.mark.parametrize("table", ["articles", "figures", "rejects"])
def test_arrow_round_trip_restores_model_dtypes(table):
    spec = TABLES[TableName(table)]
    frame = getattr(_frames(), table)
    restored = frame_from_arrow(to_arrow(frame, spec), spec)
    expected = [name for name in frame.columns if name not in spec.partition_columns]
    assert list(restored.columns) == expected
    assert dict(restored.dtypes) == {name: frame[name].dtype for name in expected}


def test_parquet_file_reads_back_for_analysts(tmp_path):
    spec = TABLES[TableName.FIGURES]
    pq.write_table(to_arrow(_frames().figures, spec), tmp_path / "figures.parquet")
    read = pd.read_parquet(tmp_path / "figures.parquet")
    assert isinstance(read["category"].dtype, pd.CategoricalDtype)
    assert list(read["category"].dtype.categories) == [c.value for c in Category]
    assert read["value"].dtype == pd.Int64Dtype()
    assert read["upper"].isna().all()
    assert list(read["rule_ids"].iloc[0]) == ["qualifier.at_least", "category.injured"]
    assert isinstance(read["rule_ids"].iloc[0], np.ndarray)


def test_odd_upstream_reject_is_still_storable():
    odd = Reject("", RejectStage.EXTRACT, "", "extractor raised", table="graphs", article_id="not-a-hash")
    rejects = build_frames([], [odd], ingested_at=INGESTED, extractor_version="t1").rejects
    row = TABLES[TableName.REJECTS].model.validate(rejects).iloc[0]
    assert (row["source"], row["reason"]) == ("unknown", "unknown")
    assert pd.isna(row["article_id"]) and pd.isna(row["table"])
    assert "not-a-hash" in row["detail"] and "graphs" in row["detail"]
