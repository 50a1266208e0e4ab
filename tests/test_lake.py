"""The lake in one process: layout, reading back, idempotence, versions, repair, fsspec."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import pytest

from casualty_etl.lake import Lake, SchemaDriftError, load_figures
from casualty_etl.model import (
    Article,
    ArticleLanguage,
    Category,
    ExtractedArticle,
    LanguageChoice,
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


# --- files written before a column was added -------------------------------------------------------------

NEW_ARTICLE_COLUMNS = ["language", "language_confidence", "language_supported"]


def _drop_columns_from_files(lake: Lake, table: str, columns: list[str]) -> list[str]:
    """Rewrite the table's files as an older version wrote them: without ``columns``; forget the
    lake's schema fingerprint, as a lake made before it existed."""
    import pyarrow.parquet as pq

    storage = lake._storage
    filesystem, root = storage.arrow()
    rewritten = [rel for rel in storage.files(table) if rel.endswith(".parquet")]
    for rel in rewritten:
        old = pq.read_table(f"{root}/{rel}", filesystem=filesystem).drop_columns(columns)
        with filesystem.open_output_stream(f"{root}/{rel}") as sink:
            pq.write_table(old, sink)
    if storage.exists("_schema"):
        storage.remove("_schema")
    return rewritten


def test_sweep_gives_older_files_the_columns_added_since(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid((0, 1)), batch_key="old", run_id="run-1")
    older = _drop_columns_from_files(lake, "articles", NEW_ARTICLE_COLUMNS)
    read_in_english = [
        replace(_extracted(i), language=ArticleLanguage("en", 0.99, True, LanguageChoice.DETECTED))
        for i in (2, 3)
    ]
    newer = build_frames(read_in_english, [], ingested_at=INGESTED, extractor_version="t1")
    lake.commit_batch(validate_frames(newer).valid, batch_key="new", run_id="run-2")
    before = lake.read_table("articles").drop(columns=NEW_ARTICLE_COLUMNS)

    assert sorted(lake.sweep_stale().upgraded_files) == sorted(older)

    articles = pd.read_parquet(lake.table_path("articles"))
    assert set(NEW_ARTICLE_COLUMNS) <= set(articles.columns)
    assert articles["language"].tolist().count("en") == 2  # the older rows have none: null
    after = lake.read_table("articles").drop(columns=NEW_ARTICLE_COLUMNS)
    pd.testing.assert_frame_equal(
        after.sort_values("article_id", ignore_index=True),
        before.sort_values("article_id", ignore_index=True),
    )


def test_sweep_of_an_up_to_date_lake_rewrites_nothing(lake_root):
    lake = Lake(lake_root)
    lake.commit_batch(_valid(), batch_key="b1", run_id="run-1")
    lake.sweep_stale()
    assert lake.sweep_stale().upgraded_files == ()


def test_a_file_with_a_column_the_model_does_not_know_is_left_as_it_is(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    lake = Lake(str(tmp_path / "lake"))
    lake.commit_batch(_valid((0,)), batch_key="b1", run_id="run-1")
    (rel,) = [
        r for r in lake._storage.files("rejects") + lake._storage.files("articles") if r.endswith(".parquet")
    ]
    path = tmp_path / "lake" / rel
    newer = pq.read_table(path).drop_columns(["language"])
    newer = newer.append_column("from_a_newer_version", pa.array(["x"] * len(newer)))
    pq.write_table(newer, path)
    (tmp_path / "lake" / "_schema").unlink(missing_ok=True)

    assert lake.sweep_stale().upgraded_files == ()
    assert "from_a_newer_version" in pq.read_schema(path).names
