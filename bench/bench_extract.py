"""Extraction throughput on one core plus 1 MB adversarial inputs: prints numbers, asserts nothing.

Input: ``--n`` (default 10,000) synthetic ~4 KB articles from ``bench.generate`` (generated before the
clock starts); ``--real-n`` (default 10,000) realistic ~5 KB articles stitched at run time from the
real texts of ``../shared`` (``bench.realistic``; skipped with a message when ``../shared`` is absent),
timed in this process and through the command line (``casualty-etl extract``, process start
included, pinned with ``taskset`` to the same CPU: how users measure it); and a set of 1 MB
adversarial texts (long digit runs, "1,2,3,4,..." separators, repeated
cue words, dense numbers, one endless sentence). Output on stdout: articles/s and MB/s of the best and
the median of ``--repeat`` passes over the corpus (default 3: this machine's speed varies from minute
to minute, and the best pass is the least disturbed), figures found and peak RSS for the corpus;
seconds and figures for each adversarial input, marked SLOW above ``--budget`` seconds (default 1.0)
and FAIL when the extractor raised. Each adversarial input runs in a forked child that is killed
after ``--timeout`` seconds, so a runaway regex cannot hang the benchmark.
With ``--check`` the exit status is 1 when any input is SLOW or FAIL.

Run by ``make bench`` (``python -m bench.bench_extract``), never by the unit tests. Not here: quality
(tests/test_dev_quality.py), multi-process throughput, Prefect.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/bench_extract.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import generate  # noqa: E402
from bench.realistic import SHARED, realistic_articles, write_jsonl  # noqa: E402

ExtractFn = Callable[[str], Sequence[object]]

MB = 1_000_000


def _load(spec: str) -> ExtractFn:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "extract")


def _pin_to_one_core(cpu: int | None) -> str:
    """Keep the process (and any threads the extractor starts) on one CPU: the last allowed one by default."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    chosen = max(os.sched_getaffinity(0)) if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return f"pinned to CPU {chosen}"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)  # KiB on Linux, bytes on macOS


def _repeat_to(unit: str, size: int = MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


_SENTENCE_TOKENS = (
    "at least",
    "more than",
    "1,000",
    "killed",
    "and",
    "2.5",
    "million",
    "wounded",
    "(",
    "dozens",
    "of",
)


def adversarial_inputs(size: int = MB) -> dict[str, str]:
    """Named texts of ``size`` characters that stress number, separator and cue-word handling."""
    counting = ",".join(str(i % 1000) for i in range(size // 3))
    dense = " ".join(f"{i} killed, {i + 1} injured, at least {i + 2} displaced;" for i in range(size // 40))
    mixed = " ".join(_SENTENCE_TOKENS[(i * 7) % len(_SENTENCE_TOKENS)] for i in range(size // 6))
    return {
        "digit run": _repeat_to("1234567890", size),
        "grouped digits 1,000,000,...": "1" + _repeat_to(",000", size - 1),
        "dotted digits 1.000.000...": "1" + _repeat_to(".000", size - 1),
        "spaced digits 1 000 000 ...": "1" + _repeat_to(" 000", size - 1),
        "separators 1,2,3,4,...": counting[:size],
        "cue words killed killed ...": _repeat_to("killed ", size),
        "qualifiers at least at least ...": _repeat_to("at least more than about ", size),
        "number words": _repeat_to("twenty-three hundred thousand million and one ", size),
        "dense figures": dense[:size],
        "one endless sentence": mixed[:size],
        "newlines and digits": _repeat_to("7\n\n", size),
    }


def bench_corpus(extract: ExtractFn, articles: list[str], label: str, repeat: int = 3) -> None:
    """Time ``repeat`` passes of ``extract`` over ``articles`` in this process and print the rates."""
    n = len(articles)
    n_bytes = sum(len(t.encode("utf-8")) for t in articles)
    rss_before = _peak_rss_mb()
    warm = min(20, n)
    for text in articles[:warm]:  # imports, lazy regex compilation, caches
        extract(text)

    times = []
    for _ in range(max(1, repeat)):  # this machine's speed varies by 10-20 % from minute to minute
        figures = 0
        t0 = time.perf_counter()
        for text in articles:
            figures += len(extract(text))
        times.append(time.perf_counter() - t0)
    best, median = min(times), sorted(times)[len(times) // 2]
    print(
        f"{label}: {n} articles, {n_bytes / MB:.1f} MB, {len(times)} passes: "
        + ", ".join(f"{t:.2f} s" for t in times)
    )
    print(f"  best pass:   {n / best:,.0f} articles/s   {n_bytes / MB / best:.2f} MB/s")
    print(f"  median pass: {n / median:,.0f} articles/s   {n_bytes / MB / median:.2f} MB/s")
    print(f"  figures found: {figures:,} ({figures / n:.2f} per article)")
    print(
        f"  peak RSS: {_peak_rss_mb():.0f} MB (before extraction, corpus loaded: {rss_before:.0f} MB)",
        flush=True,
    )


def bench_generated(extract: ExtractFn, n: int, seed: str, size: int, repeat: int) -> None:
    t0 = time.perf_counter()
    articles = [text for _, text in generate(n, seed, size)]
    print(f"generated {n} articles in {time.perf_counter() - t0:.1f} s (not timed)")
    bench_corpus(extract, articles, "generated corpus", repeat)


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("casualty-etl")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from casualty_etl.cli import main; main()"]


def bench_cli(articles: list[tuple[str, str]], cpu: int | None, repeat: int) -> None:
    """``casualty-etl extract`` on the corpus as a user runs it: wall time with process start, peak RSS."""
    with tempfile.TemporaryDirectory(prefix="casualty-etl-bench-") as work:
        corpus, out = Path(work) / "realistic.jsonl", Path(work) / "figures.jsonl"
        n_bytes = write_jsonl(articles, corpus)
        pin = max(os.sched_getaffinity(0)) if cpu is None and hasattr(os, "sched_getaffinity") else cpu
        command = _cli() + ["extract", str(corpus), "-o", str(out)]
        if shutil.which("taskset") and pin is not None:
            command = ["taskset", "-c", str(pin), *command]
        times = []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            if done.returncode != 0:
                print(f"  casualty-etl extract FAILED ({done.returncode}): {done.stderr.strip()[-300:]}")
                return
        n = len(articles)
        best, median = min(times), sorted(times)[len(times) // 2]
        shown = " ".join(command[:3]) + " ... extract" if command[0] == "taskset" else "casualty-etl extract"
        print(
            f"realistic corpus through `{shown}` (process start included), {len(times)} runs: "
            + ", ".join(f"{t:.2f} s" for t in times)
        )
        print(f"  best run:   {n / best:,.0f} articles/s   {n_bytes / MB / best:.2f} MB/s")
        print(f"  median run: {n / median:,.0f} articles/s   {n_bytes / MB / median:.2f} MB/s")
        print(
            f"  peak RSS of the largest run: {_maxrss_children_mb():.0f} MB"
            f"   ({(done.stdout + done.stderr).strip()})",
            flush=True,
        )


def _maxrss_children_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def bench_realistic(
    extract: ExtractFn, n: int, seed: str, repeat: int, cpu: int | None, cli_repeat: int
) -> None:
    t0 = time.perf_counter()
    articles = realistic_articles(n, seed)
    if articles is None:
        print(f"realistic corpus skipped: no texts in {SHARED} (eval/*.jsonl, seed/*.txt)")
        return
    print(f"stitched {n} realistic articles from {SHARED} in {time.perf_counter() - t0:.1f} s (not timed)")
    bench_corpus(extract, [text for _, text in articles], "realistic corpus", repeat)
    if cli_repeat > 0:
        bench_cli(articles, cpu, cli_repeat)


def _timed_call(extract: ExtractFn, text: str) -> tuple[float, int | str]:
    """(seconds, number of figures), or the exception as text instead of the number."""
    t0 = time.perf_counter()
    try:
        found: int | str = len(extract(text))
    except Exception as e:  # a crash is a finding, not the end of the benchmark
        found = f"raised {type(e).__name__}: {e}"[:120]
    return time.perf_counter() - t0, found


def _child(extract: ExtractFn, text: str, conn: Connection) -> None:
    conn.send(_timed_call(extract, text))
    conn.close()


def _run_one(extract: ExtractFn, text: str, timeout: float) -> tuple[float | None, int | str]:
    """``_timed_call`` in a forked child, so that a runaway input cannot hang the benchmark; seconds is
    None when the child was killed after ``timeout``. In-process where fork is unavailable."""
    if "fork" not in mp.get_all_start_methods():
        return _timed_call(extract, text)
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(extract, text, child))
    proc.start()
    child.close()
    if parent.poll(timeout):
        elapsed, found = parent.recv()
        proc.join()
        return elapsed, found
    proc.kill()
    proc.join()
    return None, f"killed after {timeout:.0f} s"


def bench_adversarial(extract: ExtractFn, budget: float, timeout: float) -> bool:
    """Time each adversarial input once; True when all stay within ``budget`` seconds."""
    ok = True
    extract("Two people were hurt.")  # load the lexicon here, not in each forked child's timing
    print(f"adversarial inputs ({MB / 1e6:.0f} MB each, budget {budget:.2f} s):", flush=True)
    for name, text in adversarial_inputs().items():
        elapsed, found = _run_one(extract, text, timeout)
        if elapsed is None or elapsed > budget:
            verdict = "SLOW"
        else:
            verdict = "ok" if isinstance(found, int) else "FAIL"
        ok = ok and verdict == "ok"
        shown = f"{elapsed:8.3f} s" if elapsed is not None else f"> {timeout:.0f} s".rjust(10)
        print(f"  {name:<34} {shown}  {verdict:<4}  figures: {found}", flush=True)
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_extract", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of generated articles")
    ap.add_argument("--seed", default="0")
    ap.add_argument("--size", type=int, default=4096, help="approximate bytes per article")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the corpus (best, median shown)")
    ap.add_argument("--real-n", type=int, default=10_000, help="number of realistic articles (0: none)")
    ap.add_argument("--cli-repeat", type=int, default=3, help="timed `casualty-etl extract` runs (0: none)")
    ap.add_argument("--extractor", default="casualty_etl.extract:extract", help="module:function")
    ap.add_argument("--budget", type=float, default=1.0, help="seconds allowed per adversarial input")
    ap.add_argument("--timeout", type=float, default=30.0, help="kill an adversarial run after this long")
    ap.add_argument("--check", action="store_true", help="exit 1 when an adversarial input is SLOW or fails")
    ap.add_argument("--cpu", type=int, help="CPU to pin to (default: the last allowed one)")
    ap.add_argument("--skip-corpus", action="store_true", help="no generated corpus")
    ap.add_argument("--skip-adversarial", action="store_true")
    a = ap.parse_args(argv)

    print(f"extractor {a.extractor}; {_pin_to_one_core(a.cpu)}; Python {sys.version.split()[0]}", flush=True)
    extract = _load(a.extractor)
    if not a.skip_corpus:
        bench_generated(extract, a.n, a.seed, a.size, a.repeat)
    if a.real_n > 0:
        bench_realistic(extract, a.real_n, a.seed, a.repeat, a.cpu, a.cli_repeat)
    ok = True
    if not a.skip_adversarial:
        ok = bench_adversarial(extract, a.budget, a.timeout)
    print(f"peak RSS (this process; adversarial runs are in child processes): {_peak_rss_mb():.0f} MB")
    return 1 if a.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
