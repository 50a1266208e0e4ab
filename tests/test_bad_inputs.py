"""A generated corpus of bad inputs through the whole engine (sources -> pipeline -> lake).

Every document ends in exactly one of ``articles`` or ``rejects``, with a specific reason, and
nothing raises. Runs the pipeline directly (the flow adds only orchestration; see
test_samples_e2e.py for the Prefect path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from casualty_etl.extract import extract
from casualty_etl.pipeline import plan_batches, process_batch
from casualty_etl.sources import iter_documents

FIGURE = "Officials said 12 people were killed in the blast."


def _write_corpus(folder: Path) -> None:
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    utf16 = "Officials said 12 people were killed in the landslide."
    (folder / "utf16.txt").write_bytes("\ufeff".encode("utf-16-le") + utf16.encode("utf-16-le"))
    cp1252 = "Caf\xe9 owners said \u201c12 people were killed\u201d."
    (folder / "cp1252.txt").write_bytes(cp1252.encode("cp1252"))
    # Invalid UTF-8 that is not cp1252 either (0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned there).
    (folder / "invalid-utf8.txt").write_bytes(b"Officials said \xc3\x28 \x81\x8d\x8f\x90\x9d killed" * 4)
    with (folder / "huge.txt").open("wb") as fh:  # 100 MB, one line, written sparsely
        fh.seek(100 * 1024 * 1024 - 1)
        fh.write(b"x")
    lines = [
        json.dumps({"id": "ok", "text": FIGURE}),
        '{"id": "cut", "text": "Twelve people were',
        '{"id": "nan", "text": NaN}',
        '{"id": "big", "text": 1e400}',
        '{"id": "dup", "text": "a", "text": "b"}',
    ]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    nested = "<div>" * 5000 + "<p>Officials said 12 people were killed.</p>" + "</div>" * 5000
    page = f"<html><body><script>var x = '500 killed';</script>{nested}</body></html>"
    (folder / "page.html").write_text(page, encoding="utf-8")
    for name, text in {
        "overflow.txt": "Officials said 99999999999999999999 killed in the raid.",
        "negative.txt": "Officials said -5 killed in the raid.",
        "commas.txt": "Officials said 1,2,3 killed in the raid.",
    }.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    corpus = root / "corpus"
    _write_corpus(corpus)
    lake = root / "lake"
    items = list(iter_documents([str(corpus)]))
    summaries = [process_batch(b, str(lake), run_id="bad-inputs") for b in plan_batches(items, 4)]
    articles = pd.read_parquet(lake / "articles")
    rejects = pd.read_parquet(lake / "rejects")
    figures = pd.read_parquet(lake / "figures")
    return items, summaries, articles, rejects, figures


def _reason_of(rejects: pd.DataFrame, fragment: str) -> str:
    rows = rejects[rejects["source"].str.contains(fragment, regex=False)]
    return ",".join(sorted(set(rows["reason"])))


def test_every_document_ends_in_articles_or_rejects(outcome) -> None:
    items, _, articles, rejects, _ = outcome
    assert len(articles) + len(rejects) == len(items)


@pytest.mark.parametrize(
    ("fragment", "reason"),
    [
        ("empty.txt", "empty"),
        ("binary.txt", "binary"),
        ("invalid-utf8.txt", "undecodable"),
        ("huge.txt", "too_large"),
        ("records.jsonl#L2", "malformed_json"),
        ("records.jsonl#L3", "malformed_json"),
        ("records.jsonl#L4", "malformed_json"),
        ("records.jsonl#L5", "malformed_json"),
    ],
    ids=["empty", "binary", "invalid-utf8", "100mb-line", "truncated-json", "nan", "1e400", "duplicate-key"],
)
def test_bad_input_is_rejected_with_its_reason(outcome, fragment: str, reason: str) -> None:
    assert _reason_of(outcome[3], fragment) == reason


@pytest.mark.parametrize("name", ["utf16.txt", "cp1252.txt", "page.html"])
def test_readable_encodings_and_deep_html_give_the_figure(outcome, name: str) -> None:
    _, _, articles, _, figures = outcome
    article_ids = set(articles[articles["source"].str.endswith(name)]["article_id"])
    found = figures[figures["article_id"].isin(article_ids)]
    assert list(zip(found["category"], found["value"], strict=True)) == [("killed", 12)]


@pytest.mark.parametrize(
    "text",
    [
        "Officials said 99999999999999999999 killed in the raid.",
        "Officials said -5 killed in the raid.",
        "Officials said 1,2,3 killed in the raid.",
    ],
    ids=["overflow", "negative", "bad-separators"],
)
def test_impossible_numbers_give_no_figure(text: str) -> None:
    assert extract(text) == ()


def test_script_text_never_reaches_the_figures(outcome) -> None:
    assert 500 not in set(outcome[4]["value"])
