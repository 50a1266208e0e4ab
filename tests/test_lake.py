"""The lake in one process: layout, reading back, idempotence, versions, repair, fsspec."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pandas as pd
import pytest

from casualty_etl.lake import Lake, SchemaDriftError, load_figures
from casualty_etl.model import (
    Article,
    Category,
    ExtractedArticle,
    Reject,
    RejectStage,
    article_id_of,
)
from casualty_etl.tables import PARTITIONING, Frames, build_frames
from casualty_etl.validate import validate_frames
from tests._records import figure_in

INGESTED = datetime(2024, 7, 1, tzinfo=UTC)

MARCH_5, MARCH_28, APRIL_2 = (
    datetime(2024, 3, 5, tzinfo=UTC),
    datetime(2024, 3, 28, tzinfo=UTC),
    datetime(2024, 4, 2, tzinfo=UTC),
)
# (text, counted phrase, category, value, published_at)
STORIES = [
    ("Officials said 12 people were killed in the blast.", "12 people were killed", Category.KILLED, 12,
     MARCH_5),
    ("Rescuers said 7 miners were missing after the collapse.", "7 miners were missing", Category.MISSING, 7,
     MARCH_28),
    ("At least 40 people were injured when the ferry capsized.", "40 people were injured", Category.INJURED,
     40, APRIL_2),
    ("Gunmen abducted 9 students from a school, the governor said.", "abducted 9 students", Category.ABDUCTED,
     9, None),
]  # fmt: skip


def _extracted(index: int) -> ExtractedArticle:
    text, phrase, category, value, published_at = STORIES[index]
    figure = figure_in(text, phrase, category, value)
    article = Article(
        article_id_of(text), f"wire/story-{index}.txt", text, f"Story {index}", None, published_at
    )
    return ExtractedArticle(article, (figure,))


def _valid(indexes=(0, 1, 2, 3), *, version="t1", rejects=()) -> Frames:
    frames = build_frames(
        [_extracted(i) for i in indexes], list(rejects), ingested_at=INGESTED, extractor_version=version
    )
    return validate_frames(frames).valid


@pytest.fixture(params=["local", "memory"])
def lake_root(request, tmp_path):
    if request.param == "local":
        yield str(tmp_path / "lake")
        return
    root = f"memory://lake-{uuid.uuid4().hex}"
    yield root
    import fsspec

    fsspec.filesystem("memory").rm(root.removeprefix("memory://"), recursive=True)


def test_committed_batch_reads_back_with_analyst_dtypes(lake_root):
    lake = Lake(lake_root)
    result = lake.commit_batch(_valid(), batch_key="b1", run_id="run-1")
    assert (result.n_articles, result.n_figures) == (4, 4)
    figures = pd.read_parquet(lake.table_path("figures"))
    assert len(figures) == 4
    assert isinstance(figures["category"].dtype, pd.CategoricalDtype)
    assert figures["char_start"].dtype == pd.Int64Dtype()
    articles = pd.read_parquet(lake.table_path("articles"))
    assert str(articles["published_at"].dtype) == "datetime64[us, UTC]"


def test_month_partitions_prune_and_undated_articles_go_to_unknown(tmp_path):
    lake = Lake(str(tmp_path))
    lake.commit_batch(_valid(), batch_key="b1", run_id="run-1")
    assert sorted(os.listdir(tmp_path / "figures")) == [
        "published_month=2024-03",
        "published_month=2024-04",
        "published_month=unknown",
    ]
    march = pd.read_parquet(
        lake.table_path("figures"), filters=[("published_month", "=", "2024-03")], partitioning=PARTITIONING
    )
    assert sorted(march["value"]) == [7, 12]
    assert march["published_month"].dtype == "str"


def test_rerunning_the_same_batch_adds_nothing(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid(), batch_key="b1", run_id="run-1")
    again = lake.commit_batch(_valid(), batch_key="b1", run_id="run-2")
    assert not again.committed and again.n_skipped_articles == 4
    assert len(lake.read_table("articles")) == 4
    assert len(lake.runs()) == 1


def test_known_article_ids_are_per_extractor_version(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid((0, 1)), batch_key="b1", run_id="run-1")
    assert lake.known_article_ids("t1") == {article_id_of(STORIES[i][0]) for i in (0, 1)}
    assert lake.known_article_ids("t2") == set()


def test_new_extractor_version_writes_alongside(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid((0, 1)), batch_key="b1", run_id="run-1")
    lake.commit_batch(_valid((0, 1), version="t2"), batch_key="b1", run_id="run-2")
    everything = load_figures(lake_root)
    assert everything.groupby("extractor_version").size().to_dict() == {"t1": 2, "t2": 2}
    assert len(load_figures(lake_root, extractor_version="t2")) == 2


def test_load_figures_joins_article_metadata_and_filters(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid(), batch_key="b1", run_id="run-1")
    march = load_figures(lake_root, since="2024-03-01", until=datetime(2024, 4, 1, tzinfo=UTC))
    assert sorted(march["value"]) == [7, 12]
    assert set(march["article_source"]) == {"wire/story-0.txt", "wire/story-1.txt"}
    assert {"title", "url", "published_at", "source"} <= set(march.columns)
    killed = load_figures(lake_root, categories=["killed", "abducted"])
    assert sorted(killed["value"]) == [9, 12]
    assert list(killed["category"].dtype.categories) == [c.value for c in Category]


def test_rejects_are_stored_once_across_reruns(lake_root):
    unreadable = Reject("inbox/scan.pdf", RejectStage.READ, "unsupported_media", "a PDF")
    lake = Lake(lake_root)
    lake.commit_batch(_valid((0,), rejects=(unreadable,)), batch_key="b1", run_id="run-1")
    lake.commit_batch(_valid((0, 1), rejects=(unreadable,)), batch_key="b2", run_id="run-2")
    rejects = lake.read_table("rejects")
    assert list(rejects["run_id"]) == ["run-1"]


def test_schema_drift_raises_before_any_file_is_written(tmp_path):
    valid = _valid()
    drifted = Frames(valid.articles, valid.figures.assign(confidence=0.5), valid.rejects, "t1", INGESTED)
    with pytest.raises(SchemaDriftError, match="confidence"):
        Lake(str(tmp_path / "lake")).commit_batch(drifted, batch_key="b1", run_id="run-1")
    assert not (tmp_path / "lake").exists()


def test_same_batch_gets_the_same_file_names_in_any_lake(tmp_path):
    first = Lake(str(tmp_path / "a")).commit_batch(_valid(), batch_key="b1", run_id="run-1")
    second = Lake(str(tmp_path / "b")).commit_batch(_valid(), batch_key="other", run_id="run-2")
    assert first.files == second.files


def test_interrupted_commit_is_rolled_forward_by_sweep(lake_root):
    def crash_after_intent(step: str) -> None:
        if step == "published:1":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Lake(lake_root, on_commit_step=crash_after_intent).commit_batch(
            _valid(), batch_key="b1", run_id="run-1"
        )
    lake = Lake(lake_root)
    repaired = lake.sweep_stale()
    assert len(repaired.rolled_forward) == 1 and not repaired.missing_files
    assert len(lake.read_table("articles")) == 4 and len(lake.runs()) == 1


def test_commit_interrupted_before_intent_removes_its_temp_files(tmp_path):
    """An exception before the commit point cleans up in-process (a killed process cannot: then
    ``sweep_stale`` does it, see test_lake_crash.py)."""

    def crash_before_intent(step: str) -> None:
        if step == "temps_written":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Lake(str(tmp_path), on_commit_step=crash_before_intent).commit_batch(
            _valid(), batch_key="b1", run_id="r"
        )
    hidden = [name for _, _, names in os.walk(tmp_path) for name in names if name.startswith(".")]
    assert (pd.read_parquet(tmp_path / "figures").empty, hidden) == (True, [])
