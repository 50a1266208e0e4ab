"""The aggregate flow: the lake's figures -> incidents, running totals, rollups (and a report).

Input: a lake root. Output: an :class:`~casualty_etl.aggregate.AggregateSummary`, published as a
Prefect markdown artifact; with ``report_dir`` also the HTML report and its CSV files. The work
is one task (the derived tables are rebuilt whole from the lake each time, so a re-run replaces
them and never duplicates); retries apply to transient I/O errors only.

Deliberately not here: clustering and estimate rules (``casualty_etl.aggregate``).
"""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from casualty_etl.aggregate import DEFAULT_WINDOW_DAYS, AggregateSummary, aggregate
from casualty_etl.report import ReportFiles, write_report
from flows.etl import transient_only


@task(
    name="aggregate-lake",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=transient_only,
    persist_result=False,
)
def aggregate_task(lake: str, window_days: int) -> AggregateSummary:
    return aggregate(lake, window_days=window_days)


@task(
    name="write-report",
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=transient_only,
    persist_result=False,
)
def report_task(lake: str, out_dir: str) -> ReportFiles:
    return write_report(lake, out_dir)


@flow(name="casualty-aggregate", validate_parameters=False, persist_result=False)
def aggregate_flow(
    lake: str = "data/lake", window_days: int = DEFAULT_WINDOW_DAYS, report_dir: str | None = None
) -> tuple[AggregateSummary, ReportFiles | None]:
    """Rebuild the derived tables of ``lake`` (and write the report into ``report_dir``)."""
    summary = aggregate_task(lake, window_days)
    report = report_task(lake, report_dir) if report_dir else None
    create_markdown_artifact(
        key="casualty-aggregate",
        description="Incidents, running totals and rollups rebuilt from the lake",
        markdown=(
            f"# casualty-etl aggregate of `{lake}`\n\n| table | rows |\n|---|---|\n"
            f"| figures read | {summary.n_figures} |\n| incidents | {summary.n_incidents} |\n"
            f"| incidents without a date | {summary.n_undated_incidents} |\n"
            f"| running totals | {summary.n_totals} |\n| rollup rows | {summary.n_rollups} |\n"
        ),
    )
    return summary, report
