"""Quarantine: frames of one batch -> the rows that pass the pandera models, and rejects for the rest.

Contract: ``validate_frames(frames) -> ValidationResult``. Every article row ends in exactly one of
``valid.articles`` or the rejects; every figure row ends in exactly one of ``valid.figures`` or the
rejects (a figure of a rejected article leaves with it, reason ``article_rejected``). Failures become
one reject per failing row (``stage=validate``, ``reason=schema:<column>:<check>`` for a column check or
``schema:<check>`` for a dataframe-wide one; every failed check of the row is listed in ``detail``).
A failure that concerns the whole table (unknown or missing column, a dtype no row can take) rejects
every row of that table, so a drifted frame never reaches the lake. Bad data never raises (upstream
rejects are stored as they can be, see ``tables.rejects_frame``); only a bug in this module does.

Deliberately not here: whether rows are already in the lake, and writing (``casualty_etl.lake``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from casualty_etl.model import Reject, RejectStage
from casualty_etl.tables import EXCERPT_CHARS, Frames, empty_frame, rejects_frame
from schemas import (
    DATAFRAME_CHECK_COLUMNS,
    SHA256_HEX_PATTERN,
    ArticlesSchema,
    FiguresWithTextSchema,
    RejectsSchema,
    TableName,
    attach_article_text,
)
from schemas.figures import ARTICLE_TEXT_COLUMNS

#: Reason of a figure rejected because its article was.
ARTICLE_REJECTED = "article_rejected"
#: Validation passes before the remaining rows are given up on (each pass removes the failing rows).
MAX_PASSES = 5
UNKNOWN_SOURCE = "unknown"

_TABLE_WIDE_CHECKS = frozenset({"column_in_schema", "column_in_dataframe"})
_CHECK_ARGUMENTS = re.compile(r"\(.*\)$")
_SHA256 = re.compile(SHA256_HEX_PATTERN.strip("^$"))


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """``valid`` holds the passing rows and, in ``valid.rejects``, every reject to store (upstream ones
    and those raised here); ``rejects`` holds only the rejects raised by this validation."""

    valid: Frames
    rejects: pd.DataFrame


@dataclass(frozen=True)
class RowFailure:
    """Why one row failed: its first failure and the list of all of them."""

    row: object  # index label in the validated frame
    reason: str
    column: str | None
    failure_case: str | None
    detail: str


# --- pandera failure cases -> one failure per row -------------------------------------------------


def _check_name(check: object) -> str:
    return _CHECK_ARGUMENTS.sub("", str(check))


def _describe(case: pd.Series, frame: pd.DataFrame) -> tuple[str, str | None, str | None]:
    """(reason, column, failure_case) of one pandera failure case."""
    check = _check_name(case["check"])
    column = None if _is_missing(case["column"]) else str(case["column"])
    failure = None if _is_missing(case["failure_case"]) else str(case["failure_case"])
    if check in _TABLE_WIDE_CHECKS:  # the failure case names the unknown or missing column
        return f"schema:{check}", failure, failure
    if case["schema_context"] != "DataFrameSchema":
        return f"schema:{column}:{check}", column, failure
    compared = DATAFRAME_CHECK_COLUMNS.get(check, ())
    row = case["index"]
    if compared and not _is_missing(row) and row in frame.index:
        failure = ", ".join(f"{name}={_cell(frame, row, name)}" for name in compared)
    return f"schema:{check}", compared[0] if compared else None, failure


def _cell(frame: pd.DataFrame, row: object, column: str) -> str:
    if column not in frame.columns:
        return "<missing>"
    value = frame.at[row, column]
    text = repr(value) if isinstance(value, str) else str(value)
    return text[:EXCERPT_CHARS]


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _real_cases(cases: pd.DataFrame, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Drop pandera's false alarms: once a categorical column has one value outside its categories,
    pandera also reports every null of that column, even where the column is nullable."""
    nullable = {name for name, column in model.to_schema().columns.items() if column.nullable}
    checks = cases["check"].astype(str)
    false_alarm = (
        checks.str.contains("category", regex=False)
        & cases["column"].isin(nullable)
        & cases["failure_case"].map(_is_missing)
        & cases["index"].notna()
    )
    return cases[~false_alarm]


def _row_failures(cases: pd.DataFrame, frame: pd.DataFrame) -> list[RowFailure]:
    # Column checks first, so a row's reported reason is the most specific one.
    ordered = cases.assign(_table_check=cases["schema_context"] != "Column").sort_values(
        "_table_check", kind="stable"
    )
    failures = []
    for row, row_cases in ordered.groupby("index", sort=False):
        described = [_describe(case, frame) for _, case in row_cases.iterrows()]
        reasons = list(dict.fromkeys(reason for reason, _, _ in described))
        reason, column, failure_case = described[0]
        failures.append(RowFailure(row, reason, column, failure_case, "; ".join(reasons)))
    return failures


def validate_rows(
    frame: pd.DataFrame, model: type[pa.DataFrameModel]
) -> tuple[pd.DataFrame, list[RowFailure]]:
    """(passing rows coerced to the model, one failure per failing row) of ``frame`` (unique index).

    Each pass removes the rows pandera named and validates the rest again: a check that errors on an
    uncoerced value otherwise fails the whole table. A table-wide failure left when no row is named
    fails every remaining row.
    """
    remaining = frame
    failures: list[RowFailure] = []
    for _ in range(MAX_PASSES):
        try:
            return model.validate(remaining, lazy=True), failures
        except SchemaErrors as errors:
            cases = _real_cases(errors.failure_cases, model)
            if cases.empty:  # never only false alarms, but if so, they are the failures
                cases = errors.failure_cases
        row_cases = cases[cases["index"].notna()]
        if row_cases.empty:
            first = _describe(cases.iloc[0], remaining)
            detail = "; ".join(dict.fromkeys(_describe(c, remaining)[0] for _, c in cases.iterrows()))
            failures += [RowFailure(row, first[0], first[1], first[2], detail) for row in remaining.index]
            return empty_frame(model), failures
        row_failures = _row_failures(row_cases, remaining)
        failures += row_failures
        remaining = remaining.drop(index=[failure.row for failure in row_failures])
    failures += [
        RowFailure(row, "schema:unstable", None, None, f"still failing after {MAX_PASSES} passes")
        for row in remaining.index
    ]
    return empty_frame(model), failures


# --- failures -> rejects ----------------------------------------------------------------------------


def _value(frame: pd.DataFrame, row: object, column: str) -> str | None:
    if column not in frame.columns:
        return None
    value = frame.at[row, column]
    return None if _is_missing(value) else str(value)


def _article_id(frame: pd.DataFrame, row: object) -> str | None:
    """The row's article id when it is a well-formed one (a reject may only carry those)."""
    value = _value(frame, row, "article_id")
    return value if value is not None and _SHA256.fullmatch(value) else None


def _excerpt(frame: pd.DataFrame, row: object, columns: tuple[str, ...]) -> str | None:
    for column in columns:
        value = _value(frame, row, column)
        if value:
            return value[:EXCERPT_CHARS]
    return None


def _figure_subject(frame: pd.DataFrame, row: object) -> str:
    return _value(frame, row, "figure_id") or f"figure-row:{row}"


def validate_frames(
    frames: Frames, *, source_of_article: Mapping[str, str] | None = None
) -> ValidationResult:
    """Split one batch into valid frames and rejects (see the module contract).

    ``source_of_article`` names the document of each article id, for rejects of figures; by default it
    is read from ``frames.articles``. Rejects raised here carry ``rejected_at = frames.ingested_at``.
    """
    articles = frames.articles.reset_index(drop=True)
    figures = frames.figures.reset_index(drop=True)
    sources = dict(source_of_article or {})
    if {"article_id", "source"} <= set(articles.columns):
        named = articles[["article_id", "source"]].dropna().astype(str)
        for article_id, source in zip(named["article_id"], named["source"], strict=True):
            if article_id and source:
                sources.setdefault(article_id, source)

    def reject(frame: pd.DataFrame, row: object, table: TableName, **fields: str | None) -> Reject:
        is_article = table is TableName.ARTICLES
        own_source = _value(frame, row, "source") if is_article else None  # a figure's source is a speaker
        excerpt_columns = ("text", "title") if is_article else ("span", "sentence")
        return Reject(
            source=own_source or sources.get(_value(frame, row, "article_id") or "", UNKNOWN_SOURCE),
            stage=RejectStage.VALIDATE,
            table=table.value,
            article_id=_article_id(frame, row),
            excerpt=_excerpt(frame, row, excerpt_columns),
            **fields,  # type: ignore[arg-type]
        )

    new_rejects: list[Reject] = []
    subjects: list[str | None] = []

    valid_articles, article_failures = validate_rows(articles, ArticlesSchema)
    for failure in article_failures:
        new_rejects.append(
            reject(
                articles,
                failure.row,
                TableName.ARTICLES,
                reason=failure.reason,
                detail=failure.detail,
                column=failure.column,
                failure_case=failure.failure_case,
            )
        )
        subjects.append(None if _article_id(articles, failure.row) else f"article-row:{failure.row}")

    accepted = set(valid_articles["article_id"])
    has_article_id = "article_id" in figures.columns
    input_ids = set(articles["article_id"]) if "article_id" in articles.columns else set()
    left_with_article = (
        figures["article_id"].isin(input_ids - accepted)
        if has_article_id
        else pd.Series(False, figures.index)
    )
    for row in figures.index[left_with_article]:
        article_id = _value(figures, row, "article_id")
        new_rejects.append(
            reject(
                figures,
                row,
                TableName.FIGURES,
                reason=ARTICLE_REJECTED,
                detail=f"article {article_id} failed validation",
                column="article_id",
                failure_case=article_id,
            )
        )
        subjects.append(_figure_subject(figures, row))

    to_check = figures[~left_with_article]
    if has_article_id:
        to_check = attach_article_text(to_check, valid_articles)
    valid_with_text, figure_failures = validate_rows(to_check, FiguresWithTextSchema)
    for failure in figure_failures:
        new_rejects.append(
            reject(
                to_check,
                failure.row,
                TableName.FIGURES,
                reason=failure.reason,
                detail=failure.detail,
                column=failure.column,
                failure_case=failure.failure_case,
            )
        )
        subjects.append(_figure_subject(to_check, failure.row))
    # FiguresWithTextSchema extends FiguresSchema: every figures check has run on these rows and
    # the columns are coerced, so dropping the article columns leaves valid figures (validating them
    # again cost a quarter of the batch's validation time).
    valid_figures = valid_with_text.drop(columns=list(ARTICLE_TEXT_COLUMNS)).reset_index(drop=True)

    raised = rejects_frame(
        new_rejects,
        rejected_at=frames.ingested_at,
        extractor_version=frames.extractor_version,
        subject_ids=subjects,
    )
    if frames.rejects.empty and raised.empty:  # the usual batch: nothing to validate (a fixed 30 ms)
        all_rejects = raised
    else:
        upstream = RejectsSchema.validate(frames.rejects.reset_index(drop=True))
        all_rejects = RejectsSchema.validate(
            pd.concat([upstream, raised], ignore_index=True)
            .drop_duplicates("reject_id")
            .reset_index(drop=True)
        )
    return ValidationResult(
        valid=Frames(
            articles=valid_articles.reset_index(drop=True),
            figures=valid_figures,
            rejects=all_rejects,
            extractor_version=frames.extractor_version,
            ingested_at=frames.ingested_at,
        ),
        rejects=raised,
    )
