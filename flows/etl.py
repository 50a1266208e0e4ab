"""The ETL flow: sources -> batches -> one Prefect task per batch -> lake -> run summary.

Input: source paths, a lake root, a batch size and a task runner. Output: a
:class:`~casualty_etl.pipeline.RunSummary` (also published as a Prefect markdown artifact).
One task run per batch of documents (thousands), never one per article: Prefect's local
server stalls on thousands of task runs (see NOTES-stack). At most ``max_in_flight`` batches
are in memory at once, so memory stays flat however large the sources are.

Retries apply to transient I/O errors only (a lake lock timeout, a full or busy filesystem);
a bug or bad data is not retried. A finished batch is cached by Prefect under its content key,
the lake's identity (``Lake.identity``), the extractor version and ``reextract``: a re-run after a
crash skips it without reading or extracting anything, and a deleted lake invalidates every entry.
Correctness never depends on the cache: the lake itself skips articles it already holds, and a
retried batch replaces its own files.

Deliberately not here: what a batch does (``casualty_etl.pipeline``), CLI output (``cli``).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import prefect.runtime.task_run
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import INPUTS
from prefect.context import get_run_context
from prefect.futures import as_completed
from prefect.logging.handlers import APILogHandler
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from casualty_etl import EXTRACTOR_VERSION
from casualty_etl.config import DEFAULT_BATCH_SIZE, DEFAULT_THREAD_WORKERS, FetchSettings
from casualty_etl.fetch import Fetcher
from casualty_etl.lake import Lake
from casualty_etl.pipeline import Batch, BatchSummary, RunSummary, plan_batches, process_batch, summarise
from casualty_etl.sources import iter_documents

#: Called after each finished batch (the CLI's progress bar); not a flow parameter, so runs stay serialisable.
_progress_listener: Callable[[BatchSummary], None] | None = None


def set_progress_listener(listener: Callable[[BatchSummary], None] | None) -> None:
    global _progress_listener
    _progress_listener = listener


class Runner(StrEnum):
    THREAD = "thread"
    PROCESS = "process"
    DASK = "dask"


_TRANSIENT = (TimeoutError, ConnectionError, InterruptedError, BlockingIOError)
#: OS errors worth a retry: a busy or stale file, a full disk that may be cleared, "try again".
_TRANSIENT_ERRNOS = frozenset({errno.EAGAIN, errno.EBUSY, errno.ENOSPC, errno.ESTALE})


#: The name Prefect gives the state of a task run answered from the cache.
CACHED = "Cached"


def transient_only(task_, task_run, state) -> bool:
    """Retry a batch only when it failed on an I/O hiccup, not on a bug or bad data."""
    try:
        state.result()
    except _TRANSIENT:
        return True
    except OSError as exc:
        return exc.errno in _TRANSIENT_ERRNOS
    except Exception:
        return False
    return False


#: A finished batch's cache key: its content key, where it was written (the lake's root and its
#: identity), by which extractor and in which mode; never the documents themselves (hashing them
#: would cost as much as reading them) nor the run.
BATCH_CACHE = INPUTS - "batch" - "run_id"


@task(
    name="process-batch",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=transient_only,
    task_run_name="batch-{batch_key}",
    cache_policy=BATCH_CACHE,
    persist_result=True,  # caching needs it; the result is a BatchSummary of a few hundred bytes
)
def process_batch_task(
    batch: Batch,
    batch_key: str,
    lake_root: str,
    lake_id: str,
    run_id: str,
    extractor_version: str,
    reextract: bool,
    language: str | None = None,
) -> BatchSummary:
    """``batch_key`` is ``batch.key``, apart so that the run's name and the cache key never need
    the batch itself; ``lake_id`` is ``Lake(lake_root).identity()``."""
    return process_batch(
        batch,
        lake_root,
        run_id=run_id,
        extractor_version=extractor_version,
        reextract=reextract,
        retry=prefect.runtime.task_run.run_count > 1,
        language=language,
    )


@flow(name="casualty-etl", log_prints=True, validate_parameters=False, persist_result=False)
def etl(
    sources: Sequence[str] = ("data/samples",),
    lake: str = "data/lake",
    batch_size: int = DEFAULT_BATCH_SIZE,
    reextract: bool = False,
    max_in_flight: int = 4,
    fetch: dict[str, Any] | None = None,
    language: str | None = None,
) -> RunSummary:
    """Read ``sources``, extract every casualty figure and commit validated tables to ``lake``.

    ``fetch`` holds the fetch settings of feeds and URLs (``casualty_etl.config.FetchSettings``
    fields); feed entries whose ids the lake already holds are not fetched again. ``language``
    forces one lexicon for every article (None: each article's detected language).
    """
    logger = get_run_logger()
    started = time.perf_counter()
    run_id = str(get_run_context().flow_run.id)
    store = Lake(lake)
    swept = store.sweep_stale()
    if swept.rolled_forward or swept.removed_temp_files:
        logger.warning(
            "lake repaired: %d batch(es) completed, %d stale temporary file(s) removed",
            len(swept.rolled_forward),
            len(swept.removed_temp_files),
        )
    summaries: list[BatchSummary] = []
    in_flight = []

    def collect(done_future) -> None:
        summary = done_future.result()
        if done_future.state.name == CACHED:  # finished by an earlier run
            summary = summary.as_already_stored()
        summaries.append(summary)
        if _progress_listener is not None:
            _progress_listener(summary)

    settings = FetchSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in (fetch or {}).items()})
    known_entries = set() if reextract else store.known_entry_ids()
    lake_id = store.identity()
    with Fetcher(settings.to_policy()) as fetcher:
        documents = iter_documents(list(sources), fetcher=fetcher, skip_entry=known_entries.__contains__)
        for batch in plan_batches(documents, batch_size):
            in_flight.append(
                process_batch_task.submit(
                    batch, batch.key, lake, lake_id, run_id, EXTRACTOR_VERSION, reextract, language
                )
            )
            if len(in_flight) >= max_in_flight:
                # Prefect's as_completed works for thread, process and Dask futures alike.
                finished = next(as_completed(in_flight))
                in_flight.remove(finished)
                collect(finished)
    for future in in_flight:
        collect(future)
    summaries.sort(key=lambda s: s.batch_key)
    summary = summarise(run_id, lake, summaries, time.perf_counter() - started)
    create_markdown_artifact(
        key="casualty-etl-run",
        markdown=_markdown(summary),
        description="What this run read, extracted, rejected and wrote",
    )
    logger.info(
        "run %s: %d documents, %d figures, %d rejects",
        run_id,
        summary.documents,
        summary.figures_written,
        sum(n for _, n in summary.rejects_by_reason),
    )
    return summary


def _markdown(summary: RunSummary) -> str:
    rows = [
        "| measure | value |",
        "|---|---|",
        f"| batches | {summary.batches} |",
        f"| documents read | {summary.documents} |",
        f"| articles written | {summary.articles_written} |",
        f"| articles already in the lake | {summary.articles_known} |",
        f"| figures written | {summary.figures_written} |",
        f"| files written | {summary.files_written} |",
        f"| seconds | {summary.seconds:.1f} |",
    ]
    rows += [f"| figures: {name} | {n} |" for name, n in summary.figures_by_category]
    rows += [f"| rejects: {name} | {n} |" for name, n in summary.rejects_by_reason]
    rows += [f"| articles in {label} | {n} |" for label, n in summary.articles_per_language()]
    return (
        f"# casualty-etl run `{summary.run_id}`\n\nLake: `{summary.lake}`, extractor "
        f"{summary.extractor_version}\n\n" + "\n".join(rows) + "\n"
    )


def task_runner_for(runner: Runner, *, workers: int | None = None, dask_address: str | None = None):
    """The Prefect task runner of a ``--runner`` choice."""
    if runner is Runner.THREAD:
        return ThreadPoolTaskRunner(max_workers=workers or DEFAULT_THREAD_WORKERS)
    if runner is Runner.PROCESS:
        return ProcessPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner  # optional extra: pip install casualty-etl[dask]

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    # Threads in one worker process share this process's Prefect API (an ephemeral server per
    # worker process would be started otherwise); use --dask-address for a real cluster.
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": 1, "processes": False, "threads_per_worker": workers or 2}
    )


def run_etl(
    sources: Sequence[str],
    lake: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    runner: Runner = Runner.THREAD,
    workers: int | None = None,
    dask_address: str | None = None,
    reextract: bool = False,
    fetch: dict[str, Any] | None = None,
    language: str | None = None,
) -> RunSummary:
    """Run the flow with the chosen task runner (what ``casualty-etl run`` calls)."""
    configured = etl.with_options(
        task_runner=task_runner_for(runner, workers=workers, dask_address=dask_address)
    )
    with _no_heartbeats_in_local_mode(), _shared_api(runner):
        return configured(
            sources=list(sources),
            lake=lake,
            batch_size=batch_size,
            reextract=reextract,
            fetch=fetch,
            language=language,
        )


@contextmanager
def _no_heartbeats_in_local_mode():
    """Flow-run heartbeats let a Prefect server notice a run that crashed. In local mode the
    temporary server stops with this process, so nothing can watch them, and the heartbeat thread
    costs up to a second at the end of every run (it is joined between one-second sleeps;
    measured 0.8 s with cProfile). Runs against a configured server keep them."""
    if get_current_settings().api.url:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@contextmanager
def _shared_api(runner: Runner):
    """Worker processes need one Prefect API: without PREFECT_API_URL each process-pool worker
    would start an ephemeral server of its own (~250 MB, 7-10 s, orphaned if the worker dies).
    Start one temporary local server here and point this process and its workers at it."""
    if runner is not Runner.PROCESS or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
    finally:
        APILogHandler().flush()  # send the run's last logs before the server goes away
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
