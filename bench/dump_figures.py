"""Dump every field of ``extract()``'s figures for a fixed set of texts, to check that a speed change
leaves the output identical: texts -> one JSON line per text ({"id", "figures": [every field]}).

Input: the shared eval texts (``../shared/eval/*.jsonl``, each with its own ``lang``), the seed
article, the team's held-out sets (``tests/data/heldout*.jsonl``), the generated benchmark corpus
and the realistic one (``bench.realistic``; ``--n`` articles of each). Output: ``--out`` (default
``bench/out/figures-dump.jsonl``, git-ignored); compare two dumps with ``cmp`` or ``diff``.

    python -m bench.dump_figures --out bench/out/before.jsonl
    ... change the extractor ...
    python -m bench.dump_figures --out bench/out/after.jsonl
    cmp bench/out/before.jsonl bench/out/after.jsonl

Deliberately not here: scoring (``make eval``), timing (``bench_extract``).
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import generate  # noqa: E402
from bench.realistic import SHARED, realistic_articles  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def texts(n: int) -> list[tuple[str, str, str]]:
    """(id, language, text) of every text the dump covers."""
    out: list[tuple[str, str, str]] = []
    for path in sorted((SHARED / "eval").glob("*.jsonl")):
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                doc = json.loads(line)
                out.append((f"{path.name}:{k}", doc.get("lang") or "en", doc["text"]))
    for path in sorted((SHARED / "seed").glob("*.txt")):
        out.append((path.name, "en", path.read_text(encoding="utf-8")))
    for heldout in sorted((ROOT / "tests" / "data").glob("heldout*.jsonl")):
        for k, line in enumerate(heldout.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                doc = json.loads(line)
                out.append((f"{heldout.name}:{k}", doc.get("lang") or "en", doc["text"]))
    out.extend((f"gen:{i}", "en", text) for i, text in generate(n, "0", 4096))
    out.extend((f"real:{i}", "en", text) for i, text in realistic_articles(n) or [])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dump_figures", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="generated and realistic articles each")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "figures-dump.jsonl")
    ap.add_argument("--all-english", action="store_true", help="read every text with the English lexicon")
    a = ap.parse_args(argv)
    from casualty_etl.extract import extract
    from casualty_etl.lexicon import LexiconError

    a.out.parent.mkdir(parents=True, exist_ok=True)
    n_figures = 0
    with a.out.open("w", encoding="utf-8") as f:
        for doc_id, language, text in texts(a.n):
            try:
                figures = extract(text, "en" if a.all_english else language)
            except LexiconError:  # no lexicon for this language yet
                figures = extract(text, "en")
            rows = [{k: _plain(v) for k, v in dataclasses.asdict(fig).items()} for fig in figures]
            n_figures += len(rows)
            f.write(json.dumps({"id": doc_id, "figures": rows}, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{n_figures} figures -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
