"""A realistic benchmark corpus, built at run time from real texts: (n, seed) -> n (id, text) pairs of ~5 KB.

Input: the texts of ``../shared/eval/*.jsonl`` (news and report pages with gold figures) and
``../shared/seed/*.txt``. Each article is stitched from documents of one language, drawn with a
fixed seed (``random.Random``) and joined by blank lines until it reaches ``size`` characters
(about 5 KB on average with the default), so the corpus is as dense in figures as the real pages
(about a dozen candidate sentences per article) and the same on every run. Output: a list of
(id, text), or None when the shared folder is absent (callers then skip the realistic part with a
message).

Deliberately not here: writing the texts anywhere in the repository (callers put the corpus in a
temporary folder or in the git-ignored ``bench/out/``), gold data or scoring.

    python -m bench.realistic 10000 --out /tmp/realistic.jsonl    # {"id", "text"} per line
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

#: Where the shared texts are, relative to the repository root.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_texts(shared: Path = SHARED) -> dict[str, list[str]] | None:
    """The real texts by language code, or None when ``shared`` holds none."""
    by_language: dict[str, list[str]] = {}
    for path in sorted((shared / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                doc = json.loads(line)
                if doc.get("text"):
                    by_language.setdefault(doc.get("lang") or "en", []).append(doc["text"])
    for path in sorted((shared / "seed").glob("*.txt")):
        by_language.setdefault("en", []).append(path.read_text(encoding="utf-8"))
    return by_language or None


def realistic_articles(
    n: int, seed: str = "0", size: int = 4300, shared: Path = SHARED, languages: tuple[str, ...] | None = None
) -> list[tuple[str, str]] | None:
    """``n`` articles of at least ``size`` characters stitched from the shared texts (None without them).
    A language is drawn in proportion to how much text it has; ``languages`` keeps only those."""
    texts = shared_texts(shared)
    if texts is None:
        return None
    if languages is not None:
        texts = {lang: docs for lang, docs in texts.items() if lang in languages}
        if not texts:
            return None
    rng = random.Random(f"realistic:{seed}")
    codes = sorted(texts)
    weights = [sum(len(t) for t in texts[c]) for c in codes]
    out = []
    for i in range(n):
        pool = texts[rng.choices(codes, weights)[0]]
        parts: list[str] = []
        length = 0
        while length < size:
            doc = rng.choice(pool)
            parts.append(doc)
            length += len(doc) + 2
        out.append((f"real-{i:06d}", "\n\n".join(parts)))
    return out


def write_jsonl(articles: list[tuple[str, str]], path: Path) -> int:
    """Write {"id", "text"} lines; returns the number of UTF-8 bytes of text written."""
    n_bytes = 0
    with path.open("w", encoding="utf-8") as f:
        for article_id, text in articles:
            f.write(json.dumps({"id": article_id, "text": text}, ensure_ascii=False) + "\n")
            n_bytes += len(text.encode("utf-8"))
    return n_bytes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realistic", description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", default="0")
    ap.add_argument("--size", type=int, default=4300)
    ap.add_argument("--lang", action="append", help="keep only this language (repeatable)")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    articles = realistic_articles(a.n, a.seed, a.size, languages=tuple(a.lang) if a.lang else None)
    if articles is None:
        print(f"no shared texts in {SHARED}: nothing written", file=sys.stderr)
        return 1
    n_bytes = write_jsonl(articles, a.out)
    print(f"{len(articles)} articles, {n_bytes / 1e6:.1f} MB -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
