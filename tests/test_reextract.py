"""Extractor versions: a new version re-extracts only when asked, and both stay apart in the lake."""

from __future__ import annotations

import pandas as pd
import pytest

from casualty_etl.model import RawDocument
from casualty_etl.pipeline import plan_batches, process_batch


@pytest.fixture()
def batch():
    docs = [RawDocument(source="note.txt", body="Officials said 12 people were killed in the flood.")]
    return next(plan_batches(docs, 10))


def test_a_new_version_does_not_reextract_by_default(batch, tmp_path) -> None:
    lake = str(tmp_path / "lake")
    process_batch(batch, lake, run_id="r1", extractor_version="1.0.0")
    assert process_batch(batch, lake, run_id="r2", extractor_version="2.0.0").articles_written == 0


def test_reextract_writes_the_new_version_beside_the_old(batch, tmp_path) -> None:
    lake = str(tmp_path / "lake")
    process_batch(batch, lake, run_id="r1", extractor_version="1.0.0")
    process_batch(batch, lake, run_id="r2", extractor_version="2.0.0", reextract=True)
    figures = pd.read_parquet(tmp_path / "lake" / "figures")
    assert sorted(figures["extractor_version"]) == ["1.0.0", "2.0.0"]


def test_reextract_with_the_same_version_adds_nothing(batch, tmp_path) -> None:
    lake = str(tmp_path / "lake")
    process_batch(batch, lake, run_id="r1", extractor_version="1.0.0")
    assert (
        process_batch(batch, lake, run_id="r2", extractor_version="1.0.0", reextract=True).figures_written
        == 0
    )
