"""Language detection (CLD2, then fastText when CLD2 is unsure): accuracy, cost per article, load time
and memory; prints numbers, asserts nothing.

Input: the dev gold sets ``../shared/eval/*.jsonl`` when present and the team's held-out sets
``tests/data/heldout_team*.jsonl`` (each record's ``lang`` is the truth; the shared texts are read,
never copied), the team's examples of ``tests/test_language.py`` (English,
French, Spanish and seven languages without a lexicon), and ``--n`` synthetic ~5 KB articles from
``bench.generate``. Output on stdout: per file, how many texts come out in their language (and the
misses); the detector's microseconds per article on the long articles and on short texts (CPU time of
this process, best of ``--repeat`` passes, so other processes on the machine disturb it little); the
extraction's articles per second with detection and with the language forced (interleaved passes);
the seconds and MB that importing and loading the detector costs in a fresh process.

Run by ``make bench``, never by the unit tests. Not here: the policy's tests (tests/test_language.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/bench_language.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"

_LOAD_PROBE = """
import resource, time
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
import casualty_etl.lexicon, casualty_etl.model  # the project's own part, not counted
before, t0 = rss(), time.perf_counter()
import casualty_etl.language as language
language.detect_language("Officials said that three people were killed when the bridge collapsed.")  # CLD2
first, first_rss = time.perf_counter() - t0, rss() - before
language._detector()  # the second pass, fastText, is loaded on the first text the first pass leaves
print(round(first, 3), round(first_rss, 1), round(time.perf_counter() - t0, 3), round(rss() - before, 1))
"""


def _best_cpu_seconds(fn, texts, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            fn(text)
        best = min(best, time.process_time() - started)
    return best


def _accuracy(detect) -> None:
    files = sorted(SHARED_EVAL.glob("*.jsonl")) if SHARED_EVAL.is_dir() else []
    if not files:
        print(f"accuracy on the dev sets: skipped ({SHARED_EVAL} not found)")
    files += sorted((REPO / "tests" / "data").glob("heldout_team*.jsonl"))
    for path in files:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        misses = Counter()
        for record in records:
            found = detect(record["text"])
            if found.code != record.get("lang", "en"):
                misses[f"{record.get('lang')}->{found.code}"] += 1
        right = len(records) - sum(misses.values())
        print(f"  {path.name:26s} {right}/{len(records)} in their language  {dict(misses) or ''}")
    import casualty_etl.language as language
    from tests.test_language import DETECTED, THREE

    real = language.supported_languages
    language.supported_languages = lambda: THREE
    try:
        wrong = [(i, code, detect(t).code) for i, t, code in DETECTED if detect(t).code != code]
    finally:
        language.supported_languages = real
    right = len(DETECTED) - len(wrong)
    print(f"  team examples (tests/test_language.py) {right}/{len(DETECTED)}  {wrong or ''}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="generated ~5 KB articles for the timings")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes (the best is shown)")
    ap.add_argument("--rounds", type=int, default=15, help="interleaved extraction passes (best shown)")
    ap.add_argument("--cpu", type=int, help="CPU to pin to (default: the last allowed one)")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))})

    first_s, first_mb, both_s, both_mb = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    print(
        f"import and load (fresh process): first pass {first_s} s, +{first_mb} MB RSS; "
        f"with the second pass {both_s} s, +{both_mb} MB RSS"
    )

    from casualty_etl.extract import extract
    from casualty_etl.language import PREFIX_CHARS, detect_language

    print("accuracy:")
    _accuracy(detect_language)

    long_texts = [text for _, text in generate(args.n, "language", size=5000)]
    short_texts = [text.split("\n", 1)[0] for text in long_texts]  # the headlines, 40-90 characters
    for name, texts in (("~5 KB articles", long_texts), ("headlines", short_texts)):
        best = _best_cpu_seconds(detect_language, texts, args.repeat)
        per_text = best / len(texts) * 1e6
        print(f"detection, {name} (prefix of {PREFIX_CHARS} chars): {per_text:.1f} µs per text")
    # Detection costs the extraction after it more than its own time (the model's look-ups evict the
    # extractor's data from the caches), so compare whole extractions, interleaved, smallest pass.
    corpus = long_texts[:200]
    extract(corpus[0])
    passes: dict[str, list[float]] = {"detected": [], "forced": []}
    for _ in range(args.rounds):
        passes["detected"].append(_best_cpu_seconds(extract, corpus, 1))
        passes["forced"].append(_best_cpu_seconds(lambda text: extract(text, "en"), corpus, 1))
    auto, forced = min(passes["detected"]), min(passes["forced"])
    n = len(corpus)
    print(
        f"extraction, one core (CPU time, best of {args.rounds} interleaved passes over {n} articles): "
        f"detected {n / auto:,.0f} articles/s, forced 'en' {n / forced:,.0f} articles/s "
        f"({(auto - forced) / n * 1e6:+.1f} µs per article)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
