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

On Dask (``--runner dask``: a local cluster of worker processes, or ``--dask-address``) a task
ships its batch of raw documents and a few strings, nothing else: the task's function is imported
by name in the worker, which loads the lake, the lexicon and its patterns itself. A batch that Dask
runs again because its worker died is treated like a retry (counted once, stored once).

Deliberately not here: what a batch does (``casualty_etl.pipeline``), CLI output (``cli``).
"""

from __future__ import annotations

import errno
import logging
import os
import sys
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


#: The local Dask cluster listens here only.
LOOPBACK = "127.0.0.1"

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


def _run_batch(
    batch: Batch,
    batch_key: str,
    lake_root: str,
    lake_id: str,
    run_id: str,
    extractor_version: str,
    reextract: bool,
    language: str | None = None,
) -> BatchSummary:
    """The body of ``process_batch_task``. ``batch_key`` is ``batch.key``, apart so that the run's
    name and the cache key never need the batch itself; ``lake_id`` is ``Lake(lake_root).identity()``.
    It receives plain data only (the raw documents, strings, a flag); the lake, the lexicon and its
    compiled patterns are built in the worker that runs it."""
    return process_batch(
        batch,
        lake_root,
        run_id=run_id,
        extractor_version=extractor_version,
        reextract=reextract,
        retry=prefect.runtime.task_run.run_count > 1 or _on_dask_worker(),
        language=language,
    )


def _on_dask_worker() -> bool:
    """True inside a Dask worker. Dask runs a task again elsewhere when its worker dies (even after
    the batch's commit point), and Prefect does not count that as a retry: such a batch must be
    counted like a retry, or its articles would be counted both as written and as already stored."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


#: The task wraps ``_run_batch`` under another name on purpose: a Dask client pickles the function
#: by reference (``flows.etl._run_batch``, imported in the worker) only when the module attribute of
#: its name is the function itself. Decorating in place shadows it with the Task, and cloudpickle
#: then ships the function by value with every global it reads.
process_batch_task = task(
    name="process-batch",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=transient_only,
    task_run_name="batch-{batch_key}",
    cache_policy=BATCH_CACHE,
    persist_result=True,  # caching needs it; the result is a BatchSummary of a few hundred bytes
)(_run_batch)


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
    if swept.upgraded_files:
        logger.warning(
            "lake upgraded: %d older file(s) given the columns added since (null there)",
            len(swept.upgraded_files),
        )
    summaries: list[BatchSummary] = []
    in_flight = []

    def collect(done_future) -> None:
        summary = done_future.result()
        if done_future.state.name == CACHED:  # finished by an earlier run
            summary = summary.as_already_stored()
        summaries.append(summary)
        _notify_progress(summary)

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


def _notify_progress(summary: BatchSummary) -> None:
    """Tell the CLI's progress bar. The flow reads the listener only through this module-level
    function: every Dask task carries the flow run context, which holds the flow, and cloudpickle
    ships the flow's function by value with the globals it reads (it cannot be found by name: the
    name ``etl`` is the Flow, and deployments need it so). Read there, the CLI's listener would
    travel too, with its ``rich`` console and the console's lock, which cannot be pickled."""
    if _progress_listener is not None:
        _progress_listener(summary)


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
    return DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(workers))


def local_cluster_kwargs(workers: int | None = None) -> dict[str, Any]:
    """The local Dask cluster of ``--runner dask`` without an address: one worker process per core
    (or ``workers``), one thread each (extraction holds the GIL), everything bound to 127.0.0.1 and
    no dashboard. Its workers reach the Prefect API that ``_shared_api`` provides."""
    return {
        "n_workers": workers or os.cpu_count() or 1,
        "processes": True,
        "threads_per_worker": 1,
        "host": LOOPBACK,
        "dashboard_address": None,
    }


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
    with _no_heartbeats_in_local_mode(), _shared_api(runner, dask_address), _quiet_distributed(runner):
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
def _quiet_distributed(runner: Runner):
    """distributed logs every connection, worker start and stop at INFO (with a traceback for the
    comms it closes at shutdown) through Prefect's console handler; a run prints warnings only."""
    if runner is not Runner.DASK:
        yield
        return
    logger = logging.getLogger("distributed")
    level = logger.level
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _shared_api(runner: Runner, dask_address: str | None = None):
    """Worker processes need one Prefect API: without PREFECT_API_URL each worker process (of the
    process pool or of the local Dask cluster) would start an ephemeral server of its own (~250 MB,
    7-10 s, orphaned if the worker dies). Start one temporary local server here and point this
    process and its workers at it (they inherit the environment). Workers of an existing cluster
    (``dask_address``) do not inherit it: they need PREFECT_API_URL set where they were started."""
    local_workers = runner is Runner.PROCESS or (runner is Runner.DASK and not dask_address)
    if not local_workers or os.environ.get("PREFECT_API_URL"):
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
