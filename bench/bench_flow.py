"""End-to-end throughput of the Prefect flow (read, extract, validate, write): prints, asserts nothing.

Input: ``--n`` (default 10,000) synthetic ~4 KB articles from ``bench.generate``, written to a
``.jsonl`` file in a temporary folder before the clock starts. The whole flow (``flows.etl.run_etl``
with the default runner and batch size of ``casualty_etl.config``) writes them into a temporary
lake, with Prefect in local mode on a throw-away ``PREFECT_HOME`` and telemetry off (set before
Prefect is imported).

Output on stdout: the ephemeral server's start and a one-document warm-up run (both timed apart:
the first flow run of a process pays about 1 s of Prefect set-up that a long-lived scheduled
process does not; the rate "with the server start and warm-up" includes both), articles/s and
wall seconds of the ``run_etl`` call and of the whole measurement, peak RSS (this process and its
largest reaped child from ``getrusage``, and the whole process tree sampled from ``/proc`` every
0.2 s: the flow, the ephemeral Prefect server, pool workers and whatever they start), CPU
seconds, the task runs the Prefect API recorded for the flow run, and the rows and files written.

``--corpus`` chooses the articles: ``generated`` (the default above), ``realistic`` (~5 KB articles
stitched at run time from the real texts of ``../shared`` by ``bench.realistic``, far denser in
figures; skipped with a message when ``../shared`` is absent) or ``both`` (each in a fresh process,
printed side by side; what ``make bench`` runs). ``--cli`` times instead what a user runs,
``casualty-etl run CORPUS --lake L`` as a child process, start-up and Prefect's server included,
with the peak RSS of its whole process tree.

``--also 100000`` runs further corpus sizes after ``--n``, each in a fresh process (so that each peak
RSS is its own), and prints them side by side: the flow keeps at most a few batches in memory, so the
peak should not grow with the corpus. ``--runner process|dask`` chooses another task runner.

    python bench/bench_flow.py                     # 10,000 articles, threads, the default batch size
    python bench/bench_flow.py --also 100000       # and 100,000 (about 400 MB of temporary input)
    python bench/bench_flow.py --runner process --workers 2
    python bench/bench_flow.py --corpus realistic --cli --n 50000   # casualty-etl run, start-up included

Run by ``make bench`` after ``bench/bench_extract.py``, never by the tests. Not here: extraction alone
(``bench_extract``), correctness across runners (``tests/test_runners.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/bench_flow.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casualty_etl.config import DEFAULT_BATCH_SIZE  # noqa: E402  (imports no Prefect)

MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _isolate_prefect(home: str) -> None:
    """Prefect in local mode on a throw-away home, quiet and offline. Call before importing Prefect."""
    if "prefect" in sys.modules:
        raise RuntimeError("Prefect was imported before its environment was set")
    os.environ["PREFECT_HOME"] = home
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.pop("PREFECT_PROFILES_PATH", None)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] = "false"


# --- memory -------------------------------------------------------------------------------------------


def _maxrss_mb(who: int) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / MB  # KiB on Linux, bytes on macOS


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def _rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / MB
    except (OSError, IndexError, ValueError):
        return 0.0


class TreeSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled from /proc every
    ``interval`` seconds by a child process (``--sample-tree``), so that sampling takes no CPU time
    or GIL from the flow it measures. The sampler leaves itself out of the sums."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.available = os.path.isdir("/proc")
        self.peak_total = self.peak_self = self.peak_children = 0.0
        self.processes_at_peak = 0
        self.max_processes = 0
        self._child: subprocess.Popen | None = None

    def start(self, root: int | None = None) -> None:
        if self.available:
            root = os.getpid() if root is None else root
            command = [sys.executable, str(Path(__file__).resolve()), "--sample-tree", str(root)]
            command += ["--interval", str(self.interval)]
            self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self) -> None:
        if self._child is None:
            return
        out, _ = self._child.communicate(input="stop\n", timeout=60)
        peaks = json.loads(out)
        self.peak_total, self.peak_self = peaks["total"], peaks["self"]
        self.peak_children, self.processes_at_peak = peaks["children"], peaks["processes_at_peak"]
        self.max_processes = peaks["max_processes"]


def _sample_tree(root: int, interval: float) -> int:
    """The sampler child: sample until a line arrives on stdin, then print the peaks as JSON."""
    me = os.getpid()
    peaks = {"total": 0.0, "self": 0.0, "children": 0.0, "processes_at_peak": 0, "max_processes": 0}
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    while True:
        others = [pid for pid in _descendants(root) if pid != me]
        own, children = _rss_mb(root), sum(_rss_mb(pid) for pid in others)
        peaks["self"] = max(peaks["self"], own)
        peaks["children"] = max(peaks["children"], children)
        peaks["max_processes"] = max(peaks["max_processes"], 1 + len(others))
        if own + children > peaks["total"]:
            peaks["total"], peaks["processes_at_peak"] = own + children, 1 + len(others)
        if stop.is_set():
            break
        stop.wait(interval)
    print(json.dumps(peaks), flush=True)
    return 0


# --- Prefect records ------------------------------------------------------------------------------------


def _task_runs(run_id: str, expected: int, settle: float = 15.0) -> list:
    """Task runs of the flow run as the API recorded them (recorded from events: wait until they settle)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
    deadline = time.monotonic() + settle
    previous: list = []
    with get_client(sync_client=True) as client:
        while True:
            runs, offset = [], 0
            while True:
                page = client.read_task_runs(flow_run_filter=flow_runs, limit=200, offset=offset)
                runs += page
                offset += len(page)
                if len(page) < 200:
                    break
            final = [r for r in runs if r.state is not None and r.state.is_final()]
            if len(final) >= expected or time.monotonic() > deadline:
                return runs
            if len(runs) == len(previous) and runs and len(final) == len(runs):
                return runs
            previous = runs
            time.sleep(0.5)


def _lake_rows(lake: Path) -> dict[str, tuple[int, int]]:
    """Rows and files of each lake table."""
    import pyarrow.dataset as ds

    found = {}
    for table in ("articles", "figures", "rejects", "runs"):
        folder = lake / table
        if not folder.is_dir():
            found[table] = (0, 0)
            continue
        dataset = ds.dataset(folder, format="parquet", partitioning="hive")
        found[table] = (dataset.count_rows(), len(dataset.files))
    return found


# --- one measurement --------------------------------------------------------------------------------------


def _write_corpus(kind: str, n: int, seed: str, size: int, corpus: Path) -> bool:
    """Write ``n`` articles of the ``kind`` corpus to ``corpus``; False without the realistic texts."""
    t0 = time.perf_counter()
    if kind == "realistic":
        from bench.realistic import SHARED, realistic_articles, write_jsonl

        articles = realistic_articles(n, seed)
        if articles is None:
            print(f"realistic corpus skipped: no texts in {SHARED} (eval/*.jsonl, seed/*.txt)")
            return False
        write_jsonl(articles, corpus)
    else:
        from bench.generate import main as generate_main

        generate_main([str(n), "--seed", seed, "--size", str(size), "--out", str(corpus)])
    input_mb = corpus.stat().st_size / 1e6
    seconds = time.perf_counter() - t0
    print(f"{kind} corpus: {n:,} articles, {input_mb:.1f} MB of JSON lines, in {seconds:.1f} s (not timed)")
    return True


def measure_cli(n: int, *, corpus_kind: str, runner: str, seed: str, size: int) -> dict | None:
    """``casualty-etl run`` on ``n`` articles as a child process: wall time with start-up, peak tree RSS."""
    work = Path(tempfile.mkdtemp(prefix="casualty-etl-bench-cli-"))
    try:
        corpus = work / "articles.jsonl"
        if not _write_corpus(corpus_kind, n, seed, size, corpus):
            return None
        script = Path(sys.executable).with_name("casualty-etl")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "casualty_etl.cli"]
        command += ["run", str(corpus), "--lake", str(work / "lake"), "--runner", runner]
        env = dict(
            os.environ, PREFECT_HOME=str(work / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false"
        )
        env.update(DO_NOT_TRACK="1", PREFECT_LOGGING_LEVEL=env.get("PREFECT_LOGGING_LEVEL", "WARNING"))
        env.pop("PREFECT_API_URL", None)
        t0 = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sampler = TreeSampler()
        sampler.start(child.pid)
        out, _ = child.communicate()
        seconds = time.perf_counter() - t0
        sampler.stop()
        tail = out.decode("utf-8", "replace").strip().splitlines()[-3:]
        result = {
            "n": n,
            "corpus": corpus_kind,
            "runner": runner,
            "returncode": child.returncode,
            "seconds": round(seconds, 2),
            "articles_per_s": round(n / seconds, 1),
            "peak_rss_tree_mb": round(sampler.peak_total) if sampler.available else None,
            "max_processes": sampler.max_processes,
        }
        print(f"`casualty-etl run` on {n:,} {corpus_kind} articles, runner {runner} (start-up included):")
        print(f"  {seconds:.1f} s wall -> {n / seconds:,.0f} articles/s; exit status {child.returncode}")
        if sampler.available:
            print(
                f"  peak RSS of its process tree (sampled): {sampler.peak_total:.0f} MB "
                f"(up to {sampler.max_processes} processes)"
            )
        print("  " + "\n  ".join(tail), flush=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(
    n: int, *, runner: str, batch_size: int, workers: int | None, seed: str, size: int, corpus_kind: str
) -> dict | None:
    """Write ``n`` articles, run the flow on them and print what it cost; returns the figures."""
    work = Path(tempfile.mkdtemp(prefix="casualty-etl-bench-flow-"))
    try:
        _isolate_prefect(str(work / "prefect-home"))
        corpus = work / "articles.jsonl"
        if not _write_corpus(corpus_kind, n, seed, size, corpus):
            return None
        input_mb = corpus.stat().st_size / 1e6

        sampler = TreeSampler()
        sampler.start()
        wall0 = time.perf_counter()
        from prefect.client.orchestration import get_client

        from flows.etl import Runner, run_etl

        t0 = time.perf_counter()
        with get_client(sync_client=True) as client:  # starts the ephemeral server, outside the rate
            client.api_healthcheck()
        server_seconds = time.perf_counter() - t0
        # The first flow run of a process pays about 1 s of Prefect warm-up (the server's first API
        # calls, the client's lazy set-up): a one-document run takes it, outside the rate like the
        # server start, so that the rate is what a long-lived (scheduled) process sees.
        warm_up = work / "warm-up.jsonl"
        warm_up.write_text(json.dumps({"id": "warm-up", "text": "Two people were hurt."}) + "\n", "utf-8")
        t0 = time.perf_counter()
        run_etl([str(warm_up)], str(work / "warm-up-lake"), batch_size=batch_size)
        warm_up_seconds = time.perf_counter() - t0
        rss_before = _rss_mb(os.getpid())

        lake = work / "lake"
        t0 = time.perf_counter()
        error = None
        summary = None
        try:
            summary = run_etl(
                [str(corpus)], str(lake), batch_size=batch_size, runner=Runner(runner), workers=workers
            )
        except Exception as exc:  # a failing runner is a finding, not the end of the benchmark
            error = f"{type(exc).__name__}: {exc}"[:300]
        flow_seconds = time.perf_counter() - t0

        runs = _task_runs(summary.run_id, summary.batches) if summary else []
        states = Counter(r.state.name if r.state else "none" for r in runs)
        attempts = sum(max(r.run_count, 1) for r in runs)
        rows = _lake_rows(lake)
        total_seconds = time.perf_counter() - wall0
        sampler.stop()

        from prefect.server.api.server import SubprocessASGIServer

        SubprocessASGIServer().stop()  # reaped now, so that RUSAGE_CHILDREN includes it
        self_cpu = resource.getrusage(resource.RUSAGE_SELF)
        child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)

        result = {
            "n": n,
            "corpus": corpus_kind,
            "runner": runner,
            "batch_size": batch_size,
            "input_mb": round(input_mb, 1),
            "error": error,
            "server_start_s": round(server_seconds, 2),
            "warm_up_s": round(warm_up_seconds, 2),
            "run_etl_s": round(flow_seconds, 2),
            "flow_body_s": round(summary.seconds, 2) if summary else None,
            "total_s": round(total_seconds, 2),
            "articles_per_s": round(n / flow_seconds, 1),
            "articles_per_s_with_server": round(n / (flow_seconds + server_seconds + warm_up_seconds), 1),
            "rss_self_before_mb": round(rss_before),
            "peak_rss_self_mb": round(_maxrss_mb(resource.RUSAGE_SELF)),
            "peak_rss_largest_child_mb": round(_maxrss_mb(resource.RUSAGE_CHILDREN)),
            "peak_rss_tree_mb": round(sampler.peak_total) if sampler.available else None,
            "peak_rss_children_sum_mb": round(sampler.peak_children) if sampler.available else None,
            "processes_at_peak": sampler.processes_at_peak,
            "max_processes": sampler.max_processes,
            "cpu_self_s": round(self_cpu.ru_utime + self_cpu.ru_stime, 1),
            "cpu_children_s": round(child_cpu.ru_utime + child_cpu.ru_stime, 1),
            "batches": summary.batches if summary else None,
            "task_runs": len(runs),
            "task_run_attempts": attempts,
            "task_run_states": dict(states),
            "documents": summary.documents if summary else None,
            "articles_written": summary.articles_written if summary else None,
            "figures_written": summary.figures_written if summary else None,
            "rejects": sum(k for _, k in summary.rejects_by_reason) if summary else None,
            "lake_rows": {table: rows_files[0] for table, rows_files in rows.items()},
            "lake_files": {table: rows_files[1] for table, rows_files in rows.items()},
        }
        _print_one(result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _print_one(r: dict) -> None:
    print(f"flow: {r['n']:,} {r['corpus']} articles, runner {r['runner']}, batches of {r['batch_size']}")
    if r["error"]:
        print(f"  RUN FAILED: {r['error']}")
    print(f"  ephemeral Prefect server start: {r['server_start_s']:.1f} s (not in the rate)")
    print(f"  Prefect warm-up run (1 document, thread runner): {r['warm_up_s']:.1f} s (not in the rate)")
    print(
        f"  run_etl: {r['run_etl_s']:.1f} s wall  ->  {r['articles_per_s']:,.0f} articles/s end to end "
        f"({r['articles_per_s_with_server']:,.0f}/s with the server start and warm-up); "
        f"flow body {r['flow_body_s']} s"
    )
    print(f"  whole measurement (server, flow, API queries): {r['total_s']:.1f} s wall")
    tree = r["peak_rss_tree_mb"]
    print(
        f"  peak RSS: this process {r['peak_rss_self_mb']} MB (after imports and server start: "
        f"{r['rss_self_before_mb']} MB); largest reaped child {r['peak_rss_largest_child_mb']} MB"
    )
    if tree is not None:
        print(
            f"  peak RSS of the process tree (sampled): {tree} MB over {r['processes_at_peak']} processes "
            f"(children together at most {r['peak_rss_children_sum_mb']} MB; "
            f"up to {r['max_processes']} processes)"
        )
    print(f"  CPU: this process {r['cpu_self_s']} s, children {r['cpu_children_s']} s")
    print(
        f"  task runs: {r['task_runs']} for {r['batches']} batches ({r['task_run_attempts']} attempts; "
        f"states {r['task_run_states']})"
    )
    print(
        f"  written: {r['articles_written']} articles, {r['figures_written']} figures, "
        f"{r['rejects']} rejects of {r['documents']} documents"
    )
    print(f"  lake rows {r['lake_rows']}, files {r['lake_files']}", flush=True)


# --- several sizes ------------------------------------------------------------------------------------------


def _in_fresh_process(n: int, a: argparse.Namespace, corpus: str | None = None) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [sys.executable, str(Path(__file__).resolve()), "--n", str(n), "--json-out", str(out)]
        command += ["--corpus", corpus or a.corpus] + (["--cli"] if a.cli else [])
        command += ["--runner", a.runner, "--batch-size", str(a.batch_size), "--seed", a.seed]
        command += ["--size", str(a.size)] + (["--workers", str(a.workers)] if a.workers else [])
        subprocess.run(command, check=False)
        text = out.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None
    finally:
        out.unlink(missing_ok=True)


def _print_comparison(results: list[dict]) -> None:
    print("\ncorpus vs cost (each in its own process):")
    if results and "run_etl_s" not in results[0]:  # --cli
        print(f"  {'corpus':>10} {'articles':>9} {'wall s':>9} {'art/s':>7} {'tree peak MB':>12}")
        for r in results:
            print(
                f"  {r['corpus']:>10} {r['n']:>9,} {r['seconds']:>9.1f} {r['articles_per_s']:>7,.0f} "
                f"{r['peak_rss_tree_mb']!s:>12}"
                + (f"  FAILED ({r['returncode']})" if r["returncode"] else "")
            )
        return
    header = ("articles", 9), ("run_etl s", 9), ("art/s", 7), ("tree peak MB", 12), ("self peak MB", 12)
    print("  " + " ".join(f"{name:>{width}}" for name, width in (("corpus", 10), *header, ("task runs", 9))))
    for r in results:
        tree = r["peak_rss_tree_mb"] if r["peak_rss_tree_mb"] is not None else "-"
        print(
            f"  {r['corpus']:>10} {r['n']:>9,} {r['run_etl_s']:>9.1f} {r['articles_per_s']:>7,.0f} "
            f"{tree:>12} {r['peak_rss_self_mb']:>12} {r['task_runs']:>9}"
            + (f"  FAILED: {r['error']}" if r["error"] else "")
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python bench/bench_flow.py", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of generated articles")
    ap.add_argument("--also", type=int, nargs="*", default=[], help="further corpus sizes, e.g. 100000")
    ap.add_argument("--runner", choices=("thread", "process", "dask"), default="thread")
    ap.add_argument("--workers", type=int, help="task runner workers (default: the runner's)")
    ap.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    ap.add_argument("--seed", default="0")
    ap.add_argument("--size", type=int, default=4096, help="approximate bytes per article")
    ap.add_argument("--corpus", choices=("generated", "realistic", "both"), default="both")
    ap.add_argument("--cli", action="store_true", help="time `casualty-etl run` as a child process")
    ap.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)  # used for --also
    ap.add_argument("--sample-tree", type=int, help=argparse.SUPPRESS)  # the RSS sampler child
    ap.add_argument("--interval", type=float, default=0.2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.sample_tree:
        return _sample_tree(a.sample_tree, a.interval)

    print(f"casualty-etl flow benchmark; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs", flush=True)
    kinds = ("generated", "realistic") if a.corpus == "both" else (a.corpus,)
    if a.also or len(kinds) > 1:
        results = [
            r for kind in kinds for n in (a.n, *a.also) if (r := _in_fresh_process(n, a, kind)) is not None
        ]
        _print_comparison(results)
        return 0 if results and not any(r.get("error") or r.get("returncode") for r in results) else 1
    if a.cli:
        result = measure_cli(a.n, corpus_kind=kinds[0], runner=a.runner, seed=a.seed, size=a.size)
    else:
        result = measure(
            a.n,
            runner=a.runner,
            batch_size=a.batch_size,
            workers=a.workers,
            seed=a.seed,
            size=a.size,
            corpus_kind=kinds[0],
        )
    if a.json_out:
        a.json_out.write_text(json.dumps(result) if result else "", encoding="utf-8")
    if result is None:
        return 0  # the realistic corpus was skipped
    return 1 if result.get("error") or result.get("returncode") else 0


if __name__ == "__main__":
    sys.exit(main())
