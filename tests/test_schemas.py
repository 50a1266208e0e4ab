"""The pandera models: closed sets from the enums, count bounds, offsets and spans against the text."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from casualty_etl.model import (
    Article,
    Category,
    ExtractedArticle,
    Figure,
    Qualifier,
    RejectStage,
    Scope,
    Status,
    Subtype,
    Unit,
    article_id_of,
)
from casualty_etl.tables import build_frames
from schemas import (
    MAX_COUNT,
    ArticlesSchema,
    FiguresSchema,
    FiguresWithTextSchema,
    RejectsSchema,
    attach_article_text,
)

REPO = Path(__file__).resolve().parents[1]
TEXT = "Officials said 12 people were killed in the blast."
PHRASE = "12 people were killed"
INGESTED = datetime(2024, 4, 2, 8, 30, tzinfo=UTC)


def _frames():
    start = TEXT.index(PHRASE)
    figure = Figure(
        category=Category.KILLED,
        value=12,
        lower=None,
        upper=None,
        qualifier=Qualifier.EXACT,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        span=PHRASE,
        char_start=start,
        char_end=start + len(PHRASE),
        sentence=TEXT,
        rule_ids=("number.digits", "category.killed"),
    )
    article = Article(
        article_id=article_id_of(TEXT),
        source="wire/blast.txt",
        text=TEXT,
        title="Blast",
        published_at=datetime(2024, 3, 5, 14, 0, tzinfo=UTC),
    )
    return build_frames(
        [ExtractedArticle(article, (figure,))], [], ingested_at=INGESTED, extractor_version="t1"
    )


def _checks_failing(model, frame) -> set[str]:
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        model.validate(frame, lazy=True)
    return set(caught.value.failure_cases["check"].astype(str))


def _figures_with_text(**changes) -> pd.DataFrame:
    frames = _frames()
    figures = attach_article_text(frames.figures, frames.articles)
    figures = figures.astype({"category": "object", "status": "object", "subtype": "object"})
    for column, value in changes.items():
        figures[column] = pd.Series([value], dtype=object)
    return figures


@pytest.mark.parametrize(
    ("column", "enum"),
    [
        ("category", Category),
        ("qualifier", Qualifier),
        ("unit", Unit),
        ("scope", Scope),
        ("status", Status),
        ("subtype", Subtype),
    ],
)
def test_category_columns_take_their_categories_from_the_model_enums(column, enum):
    dtype = FiguresSchema.to_schema().columns[column].dtype.type
    assert list(dtype.categories) == [member.value for member in enum]


def test_reject_stage_takes_its_categories_from_the_enum():
    dtype = RejectsSchema.to_schema().columns["stage"].dtype.type
    assert list(dtype.categories) == [stage.value for stage in RejectStage]


def test_valid_figure_passes_with_its_article_text():
    frames = _frames()
    checked = FiguresWithTextSchema.validate(attach_article_text(frames.figures, frames.articles))
    assert len(checked) == 1


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        pytest.param({"value": -1}, "greater_than_or_equal_to(0)", id="negative-count"),
        pytest.param({"value": MAX_COUNT + 1}, f"less_than_or_equal_to({MAX_COUNT})", id="count-too-large"),
        pytest.param({"lower": 20}, "lower_le_value", id="lower-above-value"),
        pytest.param({"upper": 5}, "value_le_upper", id="upper-below-value"),
        pytest.param({"char_start": 15, "char_end": 15}, "char_start_lt_char_end", id="empty-offsets"),
        pytest.param({"char_end": len(TEXT) + 4}, "char_end_within_text", id="offsets-past-text"),
        pytest.param({"span": "13 people were killed"}, "span_matches_text", id="span-not-text"),
        pytest.param({"category": "wounded"}, "coerce_dtype('category')", id="unknown-category"),
        pytest.param({"alt_qualifiers": ["roughly"]}, "list_of_qualifiers", id="unknown-alt-qualifier"),
        pytest.param(
            {"other_spans": [{"start": 15, "end": 17, "text": "99"}]},
            "other_spans_match_text",
            id="other-span",
        ),
        pytest.param({"subtype": "refugees"}, "subtype_only_for_displaced", id="subtype-not-displaced"),
        pytest.param({"published_month": "2024-04"}, "published_month_matches_article", id="other-partition"),
        pytest.param(
            {"article_text": None, "article_n_chars": None}, "article_in_articles", id="orphan-figure"
        ),
    ],
)
def test_figure_check_fails(changes, check):
    assert check in _checks_failing(FiguresWithTextSchema, _figures_with_text(**changes))


def test_second_copy_of_an_article_fails_uniqueness_only():
    articles = pd.concat([_frames().articles] * 2, ignore_index=True)
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        ArticlesSchema.validate(articles, lazy=True)
    cases = caught.value.failure_cases
    assert set(cases["check"]) == {"unique_article_id"}
    assert set(cases["index"]) == {1}


def test_naive_timestamp_fails_and_other_zones_become_utc():
    articles = _frames().articles
    naive = articles.assign(ingested_at=[datetime(2024, 4, 2, 8, 30)])
    assert any("coerce_dtype" in check for check in _checks_failing(ArticlesSchema, naive))
    offset = articles.assign(ingested_at=[pd.Timestamp("2024-04-02T10:30:00+02:00")])
    assert ArticlesSchema.validate(offset)["ingested_at"].iloc[0] == pd.Timestamp(INGESTED)


def test_n_chars_must_be_the_text_length():
    articles = _frames().articles.assign(n_chars=pd.array([7], dtype="Int64"))
    assert "n_chars_is_text_length" in _checks_failing(ArticlesSchema, articles)


def test_published_month_must_match_published_at():
    articles = _frames().articles.assign(published_month=["2024-04"])
    assert "published_month_matches_published_at" in _checks_failing(ArticlesSchema, articles)


def test_unknown_column_fails_strict_model():
    figures = _frames().figures.assign(confidence=0.9)
    assert "column_in_schema" in _checks_failing(FiguresSchema, figures)


def test_schemas_and_lake_do_not_import_prefect():
    code = (
        "import sys, schemas, casualty_etl.tables, casualty_etl.validate, casualty_etl.lake\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'prefect'], 'prefect imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
