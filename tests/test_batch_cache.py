"""The flow's batch cache: a re-run skips finished batches without processing them, and never
outlives the lake it describes.

The real flow (thread runner, local Prefect) runs over three small files in batches of one, with
``process_batch`` counted. A second run over the same lake answers every batch from Prefect's cache
(no call) and reports it as already in the lake; after the lake is deleted, every batch runs again,
because the cache key holds the lake's identity.
"""

from __future__ import annotations

import shutil
from collections import Counter

import pandas as pd
import pytest

pytestmark = pytest.mark.prefect

TEXTS = (
    "Officials in Tarvin said 14 people were killed when the dam gave way.",
    "About 2,000 residents of Tarvin were evacuated overnight.",
    "Nine people were injured when a footbridge collapsed in Osmer.",
)


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for i, text in enumerate(TEXTS):
        (folder / f"note-{i}.txt").write_text(text + "\n", encoding="utf-8")
    return [str(folder)]


@pytest.fixture()
def calls(monkeypatch) -> Counter:
    import flows.etl as etl_module

    counted: Counter = Counter()
    original = etl_module.process_batch

    def counting(batch, *args, **kwargs):
        counted[batch.key] += 1
        return original(batch, *args, **kwargs)

    monkeypatch.setattr(etl_module, "process_batch", counting)
    return counted


def _run(corpus, lake):
    from flows.etl import run_etl

    return run_etl(corpus, str(lake), batch_size=1)


def test_a_rerun_takes_every_batch_from_the_cache(corpus, calls, tmp_path) -> None:
    lake = tmp_path / "lake"
    _run(corpus, lake)
    calls.clear()
    again = _run(corpus, lake)
    assert (sum(calls.values()), again.articles_written, again.articles_known) == (0, 0, 3)


def test_the_cache_does_not_outlive_the_lake(corpus, calls, tmp_path) -> None:
    lake = tmp_path / "lake"
    _run(corpus, lake)
    shutil.rmtree(lake)
    calls.clear()
    again = _run(corpus, lake)
    assert (sum(calls.values()), again.articles_written, len(pd.read_parquet(lake / "articles"))) == (3, 3, 3)


def test_a_new_batch_beside_cached_ones_is_processed(corpus, calls, tmp_path) -> None:
    lake = tmp_path / "lake"
    _run(corpus, lake)
    (tmp_path / "articles" / "note-new.txt").write_text(
        "Two fishermen drowned off Osmer.\n", encoding="utf-8"
    )
    calls.clear()
    again = _run(corpus, lake)
    assert (sum(calls.values()), again.articles_written) == (1, 1)
