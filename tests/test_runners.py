"""Task runners end to end: thread, process and dask write the same lake; retries and crashes add nothing.

One corpus (30 invented wire items and an empty file in ``tmp_path``, plus the bundled samples) goes
through ``run_etl`` with each runner into its own temporary lake. The reference is the thread runner
with more batches than the flow keeps in flight. Compared: the sorted figure rows (article_id,
figure_id, category, value, qualifier, char_start), the article and reject ids, and the counts of
each ``RunSummary``.

Failures: a transient error raised once inside ``Lake.commit_batch`` (before and after its commit
point) must be retried and leave the lake equal to the reference; a permanent error must not be
retried. A process-pool worker killed with ``os._exit`` in the middle of a commit (installed through
the pool's initializer, guarded by a marker file so it fires once) fails the run; a re-run
completes (with threads) and the lake has every figure exactly once. Prefect servers that a dead worker leaves
behind are found through ``/proc`` (they carry this session's ``PREFECT_HOME``) and stopped by pid.
"""

from __future__ import annotations

import errno
import math
import os
import pickle
import signal
import threading
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest

import flows.etl as etl_module
from casualty_etl.lake import Lake
from casualty_etl.pipeline import RunSummary
from flows.etl import Runner, run_etl

pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"

#: Batch sizes for the 51 documents: FEW gives 3 batches (fewer than the flow's max_in_flight of 4),
#: MANY gives 9, so the flow has to wait for a finished batch before it submits the next one.
FEW = 20
MANY = 6

FIGURE_COLUMNS = ["article_id", "figure_id", "category", "value", "qualifier", "char_start"]

#: Invented wire items: all places, people and events are made up.
ARTICLES = (
    "Flood waters rose overnight in Pellum. At least 14 people were killed and 200 families fled "
    "to higher ground, the district office said.",
    "A bus fell into a ravine near Corvath on Tuesday, killing 9 passengers. Police said 21 others "
    "were injured.",
    "Gunmen attacked a market in Ostry, killing 6 traders, residents said.",
    "An earthquake struck the hill town of Varnesh, injuring more than 40 people. No deaths were reported.",
    "Fighting around Tamsk has displaced about 3,500 people in the past week, aid workers said.",
    "Twelve fishermen are missing after their boats did not return to Eloa harbour on Sunday.",
    "Police in Drummoch said 2 officers were wounded in a shootout on the ring road.",
    "Armed men abducted 17 students from a boarding school in Kesh Valley overnight, the governor said.",
    "A fire at a textile workshop in Lurin killed seven workers and injured 11, officials said.",
    "Landslides buried part of the village of Ambrey; 23 residents were killed and 5 remain missing.",
    "Heavy snow cut the road to Frostmere for four days. There were no casualties.",
    "The council of Halbrook approved a budget of 12 million for road repairs in 2025.",
    "Officials said 300 households had been evacuated from Marrin Point as the river kept rising.",
    "Two people died when a footbridge collapsed in Ustova on Friday, the mayor said.",
    "Clashes near the border crossing at Rell left 8 soldiers dead and 15 wounded, the army said.",
    "A stampede at a stadium gate in Quorra injured 64 fans, the hospital director said.",
    "Nearly 1,200 people have fled Sarvik since the shelling began, a relief agency said.",
    "The ferry Nightjar capsized off Cape Tolm. Rescuers recovered the bodies of 31 passengers.",
    "An explosion at a fuel depot in Brask killed 4 people, police said. The cause is unknown.",
    "Local officials said dozens of villagers were injured when a grain silo collapsed in Odeny.",
    "Storms in the Marl district destroyed 80 homes, but no one was hurt, the civil defence said.",
    "Four hikers were reported missing on Mount Celder after the weather turned on Saturday.",
    "An air strike on a fuel convoy near Yaresh killed 19 drivers, a transport union said.",
    "Health officials in Pordan said an outbreak of cholera had killed 27 people this month.",
    "Kidnappers seized 5 aid workers on the road between Tiel and Vosk, their agency said.",
    "A mine shaft collapsed in Greslow, trapping 30 miners; 3 were killed, the company said.",
    "The avalanche near Skarn village killed 2 skiers and injured 6 others, rescuers said.",
    "Floods in the Ouren delta have displaced an estimated 45,000 people, the ministry said.",
    "A suicide bomber killed 13 worshippers at a shrine in Hadeen on Thursday, police said.",
    "At least 52 people were wounded when a train derailed outside Kolvo station.",
)


@dataclass(frozen=True)
class Run:
    lake: Path
    summary: RunSummary


@pytest.fixture(scope="module", autouse=True)
def _no_stray_servers():
    """Whatever a test leaves, no Prefect server of this session outlives the module."""
    yield
    if os.path.isdir("/proc"):
        _stop(_stray_prefect_servers())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("corpus")
    for number, text in enumerate(ARTICLES, 1):
        (folder / f"wire-{number:02d}.txt").write_text(text + "\n", encoding="utf-8")
    (folder / "wire-99-empty.txt").write_text("\n", encoding="utf-8")  # a reject
    return [str(folder), str(SAMPLES)]


@pytest.fixture(scope="module")
def n_documents(corpus) -> int:
    from casualty_etl.sources import iter_documents

    return sum(1 for _ in iter_documents(corpus))


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Run:
    lake = tmp_path_factory.mktemp("reference") / "lake"
    summary = run_etl(corpus, str(lake), batch_size=MANY, runner=Runner.THREAD)
    _assert_no_duplicates(lake)
    assert summary.figures_written == len(_figure_rows(lake)) > 0
    return Run(lake, summary)


# --------------------------------------------------------------------------- helpers


def _figure_rows(lake: Path) -> list[tuple]:
    frame = pd.read_parquet(lake / "figures", columns=FIGURE_COLUMNS)
    return sorted(frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None))


def _ids(lake: Path, table: str, column: str) -> list[str]:
    if not (lake / table).is_dir():
        return []
    return sorted(pd.read_parquet(lake / table, columns=[column])[column].astype(str))


def _snapshot(lake: Path) -> dict[str, list]:
    return {
        "figures": _figure_rows(lake),
        "articles": _ids(lake, "articles", "article_id"),
        "rejects": _ids(lake, "rejects", "reject_id"),
    }


def _assert_no_duplicates(lake: Path) -> None:
    figures = pd.read_parquet(lake / "figures", columns=["article_id", "figure_id"])
    assert not figures.duplicated().any(), "a figure is stored twice"
    for table, column in (("articles", "article_id"), ("rejects", "reject_id")):
        ids = _ids(lake, table, column)
        assert len(ids) == len(set(ids)), f"{table}: an id is stored twice"


def _counts(summary: RunSummary) -> dict[str, object]:
    return {
        "documents": summary.documents,
        "articles_written": summary.articles_written,
        "articles_known": summary.articles_known,
        "figures_written": summary.figures_written,
        "figures_by_category": summary.figures_by_category,
        "rejects_by_reason": summary.rejects_by_reason,
    }


def _temp_files(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob(".*.tmp"))


# --------------------------------------------------------------------------- runners agree


@pytest.mark.parametrize(
    ("runner", "batch_size"),
    [
        pytest.param(Runner.THREAD, FEW, id="thread-3-batches"),
        pytest.param(Runner.PROCESS, FEW, id="process-3-batches"),
        pytest.param(Runner.PROCESS, MANY, id="process-9-batches"),
        # the default local Dask cluster (worker processes); tests/test_dask_cluster.py covers the rest
        pytest.param(Runner.DASK, MANY, id="dask-9-batches"),
    ],
)
def test_runner_writes_the_same_lake(
    runner: Runner, batch_size: int, corpus, n_documents, reference: Run, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    summary = run_etl(corpus, str(lake), batch_size=batch_size, runner=runner, workers=2)

    assert summary.batches == math.ceil(n_documents / batch_size)
    assert _counts(summary) == _counts(reference.summary)
    assert summary.documents == n_documents
    _assert_no_duplicates(lake)
    assert _snapshot(lake) == _snapshot(reference.lake)


# --------------------------------------------------------------------------- what a Dask client ships


def test_task_function_pickles_by_reference() -> None:
    """A worker imports the task's function from ``flows.etl``; it is not shipped by value."""
    function = etl_module.process_batch_task.fn
    assert pickle.loads(pickle.dumps(function)) is function


def test_flow_pickles_while_the_progress_listener_holds_a_lock() -> None:
    """Each Dask task carries the flow (in the flow run context), its function by value."""
    lock = threading.RLock()  # the CLI's listener holds a rich console, and so its lock
    etl_module.set_progress_listener(lambda summary: lock)
    try:
        flow = etl_module.etl.with_options(task_runner=etl_module.task_runner_for(Runner.THREAD))
        shipped = cloudpickle.dumps(flow)
    finally:
        etl_module.set_progress_listener(None)
    assert pickle.loads(shipped).name == "casualty-etl"


def test_local_dask_cluster_is_worker_processes_on_loopback() -> None:
    assert etl_module.local_cluster_kwargs(3) == {
        "n_workers": 3,
        "processes": True,
        "threads_per_worker": 1,
        "host": "127.0.0.1",
        "dashboard_address": None,
    }


# --------------------------------------------------------------------------- transient and permanent errors


@dataclass
class FailingRun:
    lake: Path
    summary: RunSummary | None
    error: BaseException | None
    attempts: Counter  # batch key -> calls of process_batch


def _run_failing_once(corpus: list[str], lake: Path, step: str, error: BaseException) -> FailingRun:
    """The thread runner with ``error`` raised the first time any commit reaches ``step``."""
    attempts: Counter = Counter()
    fired: list[str] = []
    lock = threading.Lock()
    original_step, original_process_batch = Lake._step, etl_module.process_batch

    def failing_step(lake_self: Lake, name: str) -> None:
        with lock:
            fire = name == step and not fired
            if fire:
                fired.append(name)
        if fire:
            raise error
        original_step(lake_self, name)

    def counting_process_batch(batch, *args, **kwargs):
        with lock:
            attempts[batch.key] += 1
        return original_process_batch(batch, *args, **kwargs)

    summary, raised = None, None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Lake, "_step", failing_step)
        patch.setattr(etl_module, "process_batch", counting_process_batch)
        try:
            # four task threads: the retried batch waits while others commit around it
            summary = run_etl(corpus, str(lake), batch_size=MANY, runner=Runner.THREAD, workers=4)
        except Exception as exc:  # the permanent case is expected to raise
            raised = exc
    assert fired, f"no commit reached step {step!r}"
    return FailingRun(lake, summary, raised, attempts)


@pytest.fixture(scope="module")
def retried_before_commit(corpus, tmp_path_factory) -> FailingRun:
    lake = tmp_path_factory.mktemp("retry-before") / "lake"
    return _run_failing_once(corpus, lake, "temps_written", TimeoutError("lake stayed locked"))


@pytest.fixture(scope="module")
def retried_after_commit(corpus, tmp_path_factory) -> FailingRun:
    lake = tmp_path_factory.mktemp("retry-after") / "lake"
    return _run_failing_once(corpus, lake, "published:1", OSError(errno.EBUSY, "device busy"))


@pytest.mark.parametrize("which", ["retried_before_commit", "retried_after_commit"])
def test_transient_error_is_retried_without_duplicates(which: str, request, reference: Run) -> None:
    run: FailingRun = request.getfixturevalue(which)
    assert run.error is None
    assert sorted(run.attempts.values())[-2:] == [1, 2], "exactly one batch is run twice"
    _assert_no_duplicates(run.lake)
    assert _snapshot(run.lake) == _snapshot(reference.lake)
    assert run.summary is not None and run.summary.documents == reference.summary.documents


def test_retry_before_the_commit_point_counts_like_a_clean_run(retried_before_commit, reference) -> None:
    assert _counts(retried_before_commit.summary) == _counts(reference.summary)


def test_failed_commit_attempt_leaves_no_temporary_files(retried_before_commit) -> None:
    assert _temp_files(retried_before_commit.lake) == []


def test_retry_after_the_commit_point_counts_like_a_clean_run(retried_after_commit, reference) -> None:
    assert _counts(retried_after_commit.summary) == _counts(reference.summary)


def test_permanent_error_is_not_retried(corpus, tmp_path: Path) -> None:
    run = _run_failing_once(corpus, tmp_path / "lake", "temps_written", ValueError("a bug"))
    assert isinstance(run.error, ValueError)
    assert max(run.attempts.values()) == 1


# --------------------------------------------------------------------------- a process-pool worker dies

#: Run once in every pool worker (through ProcessPoolTaskRunner's initializer, as ``exec(code, names)``
#: so nothing has to import this test module): the worker's second commit kills the worker right after
#: the commit point (intent written, figures published, articles not yet), once per marker file.
CRASH_IN_WORKER = """
import os
from casualty_etl.lake import Lake

then, then_args = chain
if then is not None:
    then(*then_args)
_original_step = Lake._step
_commits = []

def _step(self, name):
    if name == "published:1":
        _commits.append(name)
        if len(_commits) == 2 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(70)
    _original_step(self, name)

Lake._step = _step
"""


def _pids_below(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _stray_prefect_servers() -> list[int]:
    """Prefect servers of this test session's PREFECT_HOME that are not below this process."""
    home = f"PREFECT_HOME={os.environ['PREFECT_HOME']}".encode()
    ours = _pids_below(os.getpid())
    stray = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in ours or int(entry) == os.getpid():
            continue
        try:
            if b"prefect.server.api.server" not in Path(f"/proc/{entry}/cmdline").read_bytes():
                continue
            if home in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                stray.append(int(entry))
        except OSError:
            continue
    return stray


def _stop(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 5
    for pid in pids:
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(f"/proc/{pid}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@dataclass
class CrashedRun:
    error: BaseException | None
    pending_after_crash: list[str]
    stray_servers: list[int]
    rerun: Run


@pytest.fixture(scope="module")
def crashed(corpus, tmp_path_factory) -> CrashedRun:
    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc to find the servers a dead worker leaves")
    folder = tmp_path_factory.mktemp("worker-death")
    lake, marker = folder / "lake", folder / "crashed.marker"

    class CrashingRunner(etl_module.ProcessPoolTaskRunner):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            chain = (self._initializer, self._initargs)
            self._initializer = exec
            self._initargs = (CRASH_IN_WORKER, {"marker": str(marker), "chain": chain})

    error: BaseException | None = None
    stray: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(etl_module, "ProcessPoolTaskRunner", CrashingRunner)
        try:
            run_etl(corpus, str(lake), batch_size=FEW, runner=Runner.PROCESS, workers=1)
        except Exception as exc:  # asserted by the tests
            error = exc
        finally:
            time.sleep(0.5)
            stray = _stray_prefect_servers()
            _stop(stray)
    assert marker.exists(), "the worker never reached its second commit"
    pending = sorted(p.name for p in (lake / "_pending").glob("*.json"))
    # The re-run uses threads: the process pool itself is covered above, and a second pool costs ~10 s.
    summary = run_etl(corpus, str(lake), batch_size=FEW, runner=Runner.THREAD)
    return CrashedRun(error, pending, stray, Run(lake, summary))


def test_worker_death_fails_the_run_mid_commit(crashed: CrashedRun) -> None:
    assert isinstance(crashed.error, BrokenProcessPool)
    assert len(crashed.pending_after_crash) == 1, "the worker died after the commit point"


def test_rerun_after_worker_death_completes_without_duplicates(crashed: CrashedRun, reference: Run) -> None:
    _assert_no_duplicates(crashed.rerun.lake)
    assert _snapshot(crashed.rerun.lake) == _snapshot(reference.lake)
    assert not list((crashed.rerun.lake / "_pending").glob("*.json"))
    assert crashed.rerun.summary.documents == reference.summary.documents


def test_worker_death_leaves_no_prefect_server_behind(crashed: CrashedRun) -> None:
    assert crashed.stray_servers == []
