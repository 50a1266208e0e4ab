"""The flow on a real Dask cluster: worker processes, one shared Prefect server, a worker killed mid-run.

Set-up (once per module): ``prefect server start`` on 127.0.0.1 (``flows.serve.LocalPrefectServer``,
its own temporary PREFECT_HOME) and a ``distributed.LocalCluster`` of 2 worker processes with one
thread each, bound to 127.0.0.1, started with PREFECT_API_URL in the environment so that every
worker reports to that server. The corpus is 200 generated articles (``bench/generate.py``) plus an
empty and a malformed JSON line (two rejects), cut into 8 batches of 26.

Checks: the flow submitted with ``--dask-address`` writes the same lake as the thread runner on the
same input, with a progress listener holding a lock as the CLI's does (same article and reject
ids, same figure rows; only ``ingested_at``, ``rejected_at`` and ``run_id``
differ between runs). Then the same with one worker killed by SIGKILL in the middle of a commit,
after the first batch has committed (through the worker preload ``tests/_dask_worker_kill.py``,
armed by removing its marker file): the nanny restarts the worker, the scheduler runs its batch
again elsewhere, and the lake still holds every input document exactly once (in ``articles`` or
``rejects``), every figure once, and equals the reference.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("prefect_dask")

from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: E402

from casualty_etl.pipeline import RunSummary  # noqa: E402
from flows.etl import Runner, run_etl, set_progress_listener  # noqa: E402
from flows.serve import LocalPrefectServer  # noqa: E402

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
KILL_PRELOAD = Path(__file__).with_name("_dask_worker_kill.py")
N_ARTICLES = 200
BATCH_SIZE = 26  # 8 batches: more than the flow keeps in flight (4)
#: Columns that tell one run from another, not what was extracted.
RUN_SPECIFIC = {"ingested_at", "rejected_at", "run_id"}


def _kill_module():
    spec = importlib.util.spec_from_file_location("_dask_worker_kill", KILL_PRELOAD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Run:
    lake: Path
    summary: RunSummary


@contextmanager
def _api(url: str) -> Iterator[None]:
    """This process reports to ``url`` (the workers got it in their environment at start)."""
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    path = tmp_path_factory.mktemp("corpus") / "articles.jsonl"
    lines = [json.dumps({"id": ident, "text": text}) for ident, text in generate.generate(N_ARTICLES, 11)]
    lines.insert(57, json.dumps({"id": "empty-one", "text": ""}))
    lines.insert(133, '{"id": "broken", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory) -> Iterator[str]:
    with LocalPrefectServer(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server.api_url


@pytest.fixture(scope="module")
def kill_marker(tmp_path_factory) -> Path:
    marker = tmp_path_factory.mktemp("kill") / "killed"
    marker.write_text("disarmed")
    return marker


@pytest.fixture(scope="module")
def cluster(prefect_api: str, kill_marker: Path) -> Iterator[distributed.LocalCluster]:
    preload = _kill_module()
    with pytest.MonkeyPatch.context() as patch:
        # Worker processes inherit the environment at start: the Prefect server and the kill switch.
        patch.setenv("PREFECT_API_URL", prefect_api)
        patch.setenv(preload.MARKER_ENV, str(kill_marker))
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            preload=[str(KILL_PRELOAD)],
        ) as local_cluster:
            yield local_cluster


@pytest.fixture(scope="module")
def reference(corpus: Path, prefect_api: str, tmp_path_factory) -> Run:
    lake = tmp_path_factory.mktemp("reference") / "lake"
    with _api(prefect_api):
        summary = run_etl([str(corpus)], str(lake), batch_size=BATCH_SIZE, runner=Runner.THREAD)
    return Run(lake, summary)


def _on_cluster(corpus: Path, lake: Path, cluster, prefect_api: str) -> tuple[RunSummary, list[str]]:
    """Run on the cluster with a progress listener like the CLI's: it holds a lock, which must
    stay in this process (a flow that carried it to the workers could not be pickled)."""
    lock, progress = threading.RLock(), []

    def listener(summary) -> None:
        with lock:
            progress.append(summary.batch_key)

    set_progress_listener(listener)
    try:
        with _api(prefect_api):
            summary = run_etl(
                [str(corpus)],
                str(lake),
                batch_size=BATCH_SIZE,
                runner=Runner.DASK,
                dask_address=cluster.scheduler_address,
            )
    finally:
        set_progress_listener(None)
    return summary, progress


# --------------------------------------------------------------------------- helpers


def _table(lake: Path, table: str, key: str) -> pd.DataFrame:
    frame = pd.read_parquet(lake / table)
    frame = frame.drop(columns=[c for c in frame.columns if c in RUN_SPECIFIC])
    frame = frame.astype(object).where(frame.notna(), None)
    for column in frame.columns:  # list columns come back as numpy arrays
        frame[column] = [tuple(v) if isinstance(v, np.ndarray) else v for v in frame[column]]
    return frame.sort_values(key, ignore_index=True)


def _assert_every_document_once(lake: Path, n_documents: int) -> None:
    figures = pd.read_parquet(lake / "figures", columns=["figure_id"])
    articles = pd.read_parquet(lake / "articles", columns=["article_id"])
    rejects = pd.read_parquet(lake / "rejects", columns=["reject_id", "source"])
    assert not figures.figure_id.duplicated().any(), "a figure is stored twice"
    assert not articles.article_id.duplicated().any(), "an article is stored twice"
    assert not rejects.reject_id.duplicated().any(), "a reject is stored twice"
    assert len(articles) + len(rejects) == n_documents, "a document is lost or stored twice"


def _assert_same_lake(lake: Path, reference: Path) -> None:
    for table, key in (("articles", "article_id"), ("figures", "figure_id"), ("rejects", "reject_id")):
        pd.testing.assert_frame_equal(_table(lake, table, key), _table(reference, table, key), obj=table)


def _counts(summary: RunSummary) -> tuple:
    return (
        summary.batches,
        summary.documents,
        summary.articles_written,
        summary.articles_known,
        summary.figures_written,
        summary.figures_by_category,
        summary.rejects_by_reason,
    )


# --------------------------------------------------------------------------- tests


def test_reference_reads_every_document(reference: Run) -> None:
    assert (reference.summary.documents, reference.summary.articles_written) == (N_ARTICLES + 2, N_ARTICLES)
    _assert_every_document_once(reference.lake, N_ARTICLES + 2)


def test_cluster_of_worker_processes_writes_the_thread_runners_lake(
    corpus, cluster, prefect_api, kill_marker, reference: Run, tmp_path: Path
) -> None:
    kill_marker.write_text("disarmed")
    lake = tmp_path / "lake"
    summary, progress = _on_cluster(corpus, lake, cluster, prefect_api)

    assert sorted(progress) == sorted(summary.batch_keys) and len(progress) == summary.batches
    assert _counts(summary) == _counts(reference.summary)
    _assert_every_document_once(lake, N_ARTICLES + 2)
    _assert_same_lake(lake, reference.lake)
    pids = _worker_pids(cluster)
    assert os.getpid() not in pids and len(pids) == 2, "the batches ran in two worker processes"


def test_worker_killed_mid_commit_loses_nothing_and_stores_nothing_twice(
    corpus, cluster, prefect_api, kill_marker, reference: Run, tmp_path: Path
) -> None:
    kill_marker.unlink()  # armed: the first commit after a committed batch kills its worker
    lake = tmp_path / "lake"
    summary, _ = _on_cluster(corpus, lake, cluster, prefect_api)

    killed = int(kill_marker.read_text())
    pids = _worker_pids(cluster)
    assert killed not in pids and len(pids) == 2, "the killed worker was replaced by a new process"
    assert _counts(summary) == _counts(reference.summary)
    assert not list((lake / "_pending").glob("*.json")), "an interrupted commit was not completed"
    _assert_every_document_once(lake, N_ARTICLES + 2)
    _assert_same_lake(lake, reference.lake)


def _worker_pids(cluster) -> set[int]:
    """Pids of the cluster's workers, once both are up (the nanny restarts a killed one)."""
    with distributed.Client(cluster, set_as_default=False) as client:
        deadline = time.monotonic() + 30
        while True:
            pids = client.run(os.getpid)  # worker address -> pid
            if len(pids) == 2 or time.monotonic() > deadline:
                return set(pids.values())
            time.sleep(0.2)
