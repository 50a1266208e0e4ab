"""The casualty-etl command line: exit codes, one-line errors, and the extract/evaluate contracts.

Commands run in-process through ``casualty_etl.cli.main`` (no Prefect is imported by these); one
test runs the installed console script to check the real entry point.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casualty_etl.cli import main

DATA = Path(__file__).parent / "data"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
        raise SystemExit(0)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_unknown_command_is_a_one_line_error(capsys) -> None:
    code, _, err = _run(capsys, "frobnicate")
    assert (code, err.count("\n"), err.startswith("casualty-etl: error:")) == (2, 1, True)


def test_unknown_option_exits_2(capsys) -> None:
    assert _run(capsys, "extract", "--bogus")[0] == 2


def test_run_with_a_missing_source_exits_2(capsys, tmp_path) -> None:
    code, _, err = _run(capsys, "run", str(tmp_path / "nowhere"), "--lake", str(tmp_path / "lake"))
    assert (code, "no such file or folder" in err) == (2, True)


def test_run_with_an_unknown_runner_exits_2(capsys, tmp_path) -> None:
    assert _run(capsys, "run", str(tmp_path), "--runner", "cluster")[0] == 2


def test_help_lists_the_commands(capsys) -> None:
    code, out, _ = _run(capsys, "--help")
    assert (code, all(word in out for word in ("run", "extract", "evaluate"))) == (0, True)


def test_extract_writes_the_contract(capsys, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a1", "text": "Officials said 12 people were killed in the blast."}) + "\n"
    )
    target = tmp_path / "out.jsonl"
    assert _run(capsys, "extract", str(source), "-o", str(target))[0] == 0
    figure = json.loads(target.read_text())["figures"][0]
    required = {
        "category",
        "value",
        "lower",
        "upper",
        "qualifier",
        "unit",
        "victim",
        "scope",
        "span",
        "char_start",
        "char_end",
        "rule_ids",
    }
    assert (required <= figure.keys(), figure["category"], figure["value"]) == (True, "killed", 12)


def test_extract_rejects_a_line_without_text(capsys, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a1"}) + "\n")
    code, _, err = _run(capsys, "extract", str(source), "-o", str(tmp_path / "out.jsonl"))
    assert (code, "in.jsonl:1" in err) == (2, True)


def test_evaluate_scores_a_predictions_file(capsys, tmp_path) -> None:
    report = tmp_path / "scores.json"
    code, out, _ = _run(
        capsys,
        "evaluate",
        str(DATA / "tiny_gold.jsonl"),
        "--predictions",
        str(DATA / "tiny_pred.jsonl"),
        "--json",
        str(report),
    )
    assert (code, "MICRO" in out.upper(), report.exists()) == (0, True, True)


def test_evaluate_missing_gold_exits_2(capsys, tmp_path) -> None:
    assert _run(capsys, "evaluate", str(tmp_path / "none.jsonl"))[0] == 2


@pytest.mark.skipif(
    shutil.which("casualty-etl") is None and not Path(".venv/bin/casualty-etl").exists(),
    reason="console script not installed",
)
def test_console_script_reports_usage_errors_with_exit_2() -> None:
    script = shutil.which("casualty-etl") or ".venv/bin/casualty-etl"
    result = subprocess.run([script, "extract"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr.count("\n")) == (2, 1)


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory) -> Path:
    from casualty_etl.model import RawDocument
    from casualty_etl.pipeline import plan_batches, process_batch

    lake = tmp_path_factory.mktemp("cli") / "lake"
    text = "KABUL, March 3 (Illustrative Wire) - A car bomb killed 12 people in Kabul on Monday, police said."
    docs = [RawDocument(source="a.txt", body=text, published_at=datetime(2025, 3, 3, tzinfo=UTC))]
    for batch in plan_batches(docs, 10):
        process_batch(batch, str(lake), run_id="cli")
    return lake


def test_report_writes_html_and_csv(capsys, small_lake, tmp_path) -> None:
    code, _, _ = _run(capsys, "report", "--lake", str(small_lake), "-o", str(tmp_path / "report"))
    assert (code, (tmp_path / "report" / "report.html").exists()) == (0, True)


def test_export_hxl_second_row_is_hashtags(capsys, small_lake, tmp_path) -> None:
    target = tmp_path / "hxl.csv"
    assert _run(capsys, "export-hxl", "--lake", str(small_lake), "-o", str(target))[0] == 0
    assert target.read_text().splitlines()[1].startswith("#date")


def test_report_without_a_lake_exits_2(capsys, tmp_path) -> None:
    assert _run(capsys, "report", "--lake", str(tmp_path / "none"))[0] == 2


@pytest.mark.prefect
def test_aggregate_runs_the_prefect_flow(capsys, small_lake) -> None:
    code, out, _ = _run(capsys, "aggregate", "--lake", str(small_lake))
    assert (code, "incidents" in out) == (0, True)


def test_evaluate_one_fold_needs_folds(capsys) -> None:
    assert _run(capsys, "evaluate", str(DATA / "tiny_gold.jsonl"), "--fold", "1")[0] == 2


def test_evaluate_prints_a_fold_report(capsys) -> None:
    code, out, _ = _run(
        capsys,
        "evaluate",
        str(DATA / "tiny_gold.jsonl"),
        "--predictions",
        str(DATA / "tiny_pred.jsonl"),
        "--folds",
        "2",
    )
    assert (code, "fold 1:" in out) == (0, True)
