"""One batch through the engine without Prefect: planning, conservation, idempotence, extractor errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import casualty_etl.pipeline as pipeline
from casualty_etl.extract import ArticleExtraction
from casualty_etl.model import RawDocument, RejectStage
from casualty_etl.pipeline import EXTRACTOR_ERROR, Batch, plan_batches, process_batch

FLOOD = "Officials said 12 people were killed in the flood."
BRIDGE = "Rescuers reported that 30 villagers were injured when the footbridge gave way."
QUAKE = "The governor said 450 families fled after the tremor."


def _docs() -> list[RawDocument]:
    return [
        RawDocument("wire/flood.txt", FLOOD.encode("utf-8")),
        RawDocument("wire/bridge.txt", BRIDGE),
        RawDocument("wire/blank.txt", b"  \n\n  "),
    ]


def _one_batch(docs: list[RawDocument]) -> Batch:
    [batch] = plan_batches(docs, size=len(docs))
    return batch


def _read(tmp_path: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "lake" / table)


# --------------------------------------------------------------------------- plan_batches


def test_plan_batches_is_deterministic() -> None:
    first = [b.key for b in plan_batches(_docs(), size=2)]
    second = [b.key for b in plan_batches(_docs(), size=2)]
    assert first == second
    assert len(set(first)) == len(first)


def test_plan_batches_key_follows_content() -> None:
    changed = _docs()
    changed[0] = RawDocument("wire/flood.txt", b"Officials said 13 people were killed in the flood.")
    assert _one_batch(changed).key != _one_batch(_docs()).key


def test_plan_batches_cuts_at_the_size() -> None:
    docs = _docs() + [RawDocument("wire/quake.txt", QUAKE), RawDocument("wire/extra.txt", "Calm day.")]
    batches = list(plan_batches(docs, size=2))
    assert [len(b.items) for b in batches] == [2, 2, 1]
    assert [item for b in batches for item in b.items] == docs


def test_plan_batches_rejects_size_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(plan_batches(_docs(), size=0))


# --------------------------------------------------------------------------- process_batch


def test_every_document_ends_as_an_article_or_a_reject(tmp_path: Path) -> None:
    summary = process_batch(_one_batch(_docs()), str(tmp_path / "lake"), run_id="run-1")

    articles, rejects = _read(tmp_path, "articles"), _read(tmp_path, "rejects")
    assert summary.documents == 3
    assert summary.articles_written == 2
    assert sorted(articles["source"]) == ["wire/bridge.txt", "wire/flood.txt"]
    assert list(rejects["source"]) == ["wire/blank.txt"]
    assert list(rejects["reason"]) == ["empty"]


def test_figures_are_written(tmp_path: Path) -> None:
    summary = process_batch(_one_batch(_docs()), str(tmp_path / "lake"), run_id="run-1")

    figures = _read(tmp_path, "figures")
    rows = {(str(r.category), int(r.value)) for r in figures.itertuples()}
    assert rows == {("killed", 12), ("injured", 30)}
    assert summary.figures_written == 2
    assert dict(summary.figures_by_category) == {"killed": 1, "injured": 1}
    flood_id = _read(tmp_path, "articles").set_index("source").loc["wire/flood.txt", "article_id"]
    killed = figures[figures["category"] == "killed"].iloc[0]
    assert killed["article_id"] == flood_id
    assert FLOOD[killed["char_start"] : killed["char_end"]] == killed["span"]


def test_running_the_same_batch_twice_adds_nothing(tmp_path: Path) -> None:
    batch = _one_batch(_docs())
    process_batch(batch, str(tmp_path / "lake"), run_id="run-1")
    tables = {t: len(_read(tmp_path, t)) for t in ("articles", "figures", "rejects")}

    again = process_batch(batch, str(tmp_path / "lake"), run_id="run-2")

    assert again.articles_written == 0
    assert again.figures_written == 0
    assert again.articles_known == 2
    assert {t: len(_read(tmp_path, t)) for t in tables} == tables


def test_extractor_error_becomes_a_reject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_extract = pipeline.extract_article

    def flaky_extract(text: str, language: str | None = None) -> ArticleExtraction:
        if "footbridge" in text:
            raise RuntimeError("simulated extractor failure")
        return real_extract(text, language)

    monkeypatch.setattr(pipeline, "extract_article", flaky_extract)
    docs = _docs() + [RawDocument("wire/quake.txt", QUAKE)]
    summary = process_batch(_one_batch(docs), str(tmp_path / "lake"), run_id="run-1")

    rejects = _read(tmp_path, "rejects").set_index("source")
    failed = rejects.loc["wire/bridge.txt"]
    assert failed["reason"] == EXTRACTOR_ERROR
    assert failed["stage"] == RejectStage.EXTRACT.value
    assert "simulated extractor failure" in failed["detail"]
    assert dict(summary.rejects_by_reason) == {EXTRACTOR_ERROR: 1, "empty": 1}

    assert sorted(_read(tmp_path, "articles")["source"]) == ["wire/flood.txt", "wire/quake.txt"]
    figures = _read(tmp_path, "figures")
    assert {(str(r.category), int(r.value)) for r in figures.itertuples()} == {
        ("killed", 12),
        ("displaced", 450),
    }
