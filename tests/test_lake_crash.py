"""The lake under real processes: a writer killed with SIGKILL mid-batch, and two concurrent writers.

Run as a script, this file is the writer: ``python test_lake_crash.py <root> <group>... [--pause-at N:STEP]``
commits one batch per group (``3`` is the records of batch 3, ``2+3`` those of batches 2 and 3 together),
in order, printing ``COMMITTED <group>`` after each; with ``--pause-at`` it prints ``PAUSED`` when the
N-th commit (from 0) reaches commit step STEP, and waits there to be killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from casualty_etl.lake import Lake
from casualty_etl.model import (
    Article,
    Category,
    ExtractedArticle,
    Figure,
    Qualifier,
    Reject,
    RejectStage,
    Scope,
    Unit,
    article_id_of,
)
from casualty_etl.tables import build_frames
from casualty_etl.validate import validate_frames

REPO = Path(__file__).resolve().parents[1]
INGESTED = datetime(2024, 8, 1, tzinfo=UTC)
ARTICLES_PER_BATCH = 3
BATCHES = range(4)
#: Columns that differ between runs by design (who committed), not by content.
RUN_COLUMNS = {"rejects": ["run_id"]}
KEYS = {"articles": "article_id", "figures": "figure_id", "rejects": "reject_id"}


def _figure(text: str, phrase: str, category: Category, value: int) -> Figure:
    start = text.index(phrase)
    return Figure(
        category=category,
        value=value,
        lower=None,
        upper=None,
        qualifier=Qualifier.EXACT,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        span=phrase,
        char_start=start,
        char_end=start + len(phrase),
        sentence=text,
        rule_ids=("test.rule",),
    )


def batch_records(batch: int) -> tuple[list[ExtractedArticle], list[Reject]]:
    """Three invented articles (one undated) and one unreadable document per batch."""
    extracted = []
    for slot in range(ARTICLES_PER_BATCH):
        killed, injured = 10 * batch + slot + 1, 100 + batch
        text = (
            f"Police in sector {batch}-{slot} said {killed} people were killed in the attack "
            f"and {injured} were injured."
        )
        published = datetime(2024, batch % 3 + 1, 10 + slot, tzinfo=UTC) if slot < 2 else None
        figures = (
            _figure(text, f"{killed} people were killed", Category.KILLED, killed),
            _figure(text, f"{injured} were injured", Category.INJURED, injured),
        )
        article = Article(article_id_of(text), f"wire/{batch}-{slot}.txt", text, published_at=published)
        extracted.append(ExtractedArticle(article, figures))
    return extracted, [Reject(f"inbox/{batch}.bin", RejectStage.DECODE, "undecodable", "no charset matched")]


def write_batches(root: str, groups, *, run_id: str, lake: Lake | None = None) -> None:
    """Commit one batch per group of batch numbers (an int is a group of one)."""
    lake = lake or Lake(root)
    lake.sweep_stale()
    for group in groups:
        numbers = [group] if isinstance(group, int) else list(group)
        extracted, rejects = [], []
        for number in numbers:
            records = batch_records(number)
            extracted += records[0]
            rejects += records[1]
        frames = build_frames(extracted, rejects, ingested_at=INGESTED, extractor_version="t1")
        key = "+".join(map(str, numbers))
        lake.commit_batch(validate_frames(frames).valid, batch_key=key, run_id=run_id)
        print(f"COMMITTED {key}", flush=True)


def _pausing_lake(root: str, pause_batch: int, pause_step: str) -> Lake:
    current = {"batch": -1}

    def on_step(step: str) -> None:
        if step == "temps_written":
            current["batch"] += 1
        if current["batch"] == pause_batch and step == pause_step:
            print("PAUSED", flush=True)
            time.sleep(120)

    return Lake(root, on_commit_step=on_step)


def _writer(root: Path, groups: list[str], *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, __file__, str(root), *groups, *extra]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    lake = Lake(str(root))
    return {
        table: lake.read_table(table)
        .drop(columns=RUN_COLUMNS.get(table, []))
        .sort_values(key, ignore_index=True)
        for table, key in KEYS.items()
    }


def _ids(batches) -> set[str]:
    return {item.article.article_id for batch in batches for item in batch_records(batch)[0]}


def _data_files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for table in KEYS
        for path in (root / table).rglob("*.parquet")
        if not path.name.startswith(".")
    }


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("uninterrupted")
    write_batches(str(root), BATCHES, run_id="reference")
    return root


@pytest.mark.parametrize(
    ("pause_step", "committed_after_repair"),
    [
        pytest.param("temps_written", {0}, id="before-commit-point"),
        pytest.param("published:2", {0, 1}, id="mid-publish"),
    ],
)
def test_writer_killed_mid_batch_leaves_whole_batches_and_reruns_to_the_same_tables(
    tmp_path, uninterrupted, pause_step, committed_after_repair
):
    writer = _writer(tmp_path, [str(batch) for batch in BATCHES], "--pause-at", f"1:{pause_step}")
    lines = []
    for line in writer.stdout:
        lines.append(line.strip())
        if line.strip() == "PAUSED":
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert lines == ["COMMITTED 0", "PAUSED"]

    for table in KEYS:  # every table reads while the damage is still there
        pd.read_parquet(tmp_path / table)
    lake = Lake(str(tmp_path))
    lake.sweep_stale()
    tables = _tables(tmp_path)
    assert set(tables["articles"]["article_id"]) == _ids(committed_after_repair)
    assert len(tables["figures"]) == 2 * ARTICLES_PER_BATCH * len(committed_after_repair)
    assert len(lake.runs()) == len(committed_after_repair)

    write_batches(str(tmp_path), BATCHES, run_id="rerun")
    expected = _tables(uninterrupted)
    for table, frame in _tables(tmp_path).items():
        pd.testing.assert_frame_equal(frame, expected[table])
    assert _data_files(tmp_path) == _data_files(uninterrupted)


def test_two_concurrent_writers_with_overlapping_batches_store_each_row_once(tmp_path):
    # Same records, cut into different batches: without the lock both would store batches 0 to 5.
    singles = _writer(tmp_path, ["0", "1", "2", "3", "4", "5"])
    pairs = _writer(tmp_path, ["0+1", "2+3", "4+5"])
    for writer in (singles, pairs):
        assert writer.wait(timeout=60) == 0
    tables = _tables(tmp_path)
    assert set(tables["articles"]["article_id"]) == _ids(range(6))
    for table, key in KEYS.items():
        assert not tables[table][key].duplicated().any(), table
    assert len(tables["figures"]) == 2 * ARTICLES_PER_BATCH * 6
    assert Lake(str(tmp_path)).runs()["n_articles"].sum() == ARTICLES_PER_BATCH * 6


if __name__ == "__main__":
    arguments = sys.argv[1:]
    pause = None
    if "--pause-at" in arguments:
        position = arguments.index("--pause-at")
        pause = arguments[position + 1]
        del arguments[position : position + 2]
    lake_root = arguments[0]
    batch_groups = [tuple(int(number) for number in group.split("+")) for group in arguments[1:]]
    if pause is None:
        write_batches(lake_root, batch_groups, run_id=f"writer-{os.getpid()}")
    else:
        commit_text, step = pause.split(":", 1)
        paused_lake = _pausing_lake(lake_root, int(commit_text), step)
        write_batches(lake_root, batch_groups, run_id="killed", lake=paused_lake)
