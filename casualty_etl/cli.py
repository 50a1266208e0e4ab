"""The ``casualty-etl`` command line.

Commands:
  run       sources -> Prefect flow -> Parquet lake, with a progress bar and a closing summary
  serve     the same flow on a cron schedule (starts a local Prefect server when none is configured)
  aggregate figures -> incidents, running totals and rollups (a Prefect flow)
  report    HTML report and CSV tables; export-hxl: rollups as HXL CSV
  extract   JSON lines of {"id", "text"} -> JSON lines of {"id", "language", "figures"} (no Prefect, no lake)
  evaluate  score the extractor (or a predictions file) against a gold file

A bad invocation prints one line ``casualty-etl: error: ...`` on stderr and exits 2. Prefect is
imported only by ``run``, after its environment defaults are set: state in a project-local
``.prefect`` folder (unless PREFECT_HOME or PREFECT_API_URL is set), telemetry off, and
Prefect's own logging at WARNING so the terminal shows this tool's output, not Prefect's.

Deliberately not here: any extraction or storage logic; each command calls the engine.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from casualty_etl import EXTRACTOR_VERSION, __version__

err = Console(stderr=True)
out = Console()

#: Prefect settings applied when the user has not set them (see the module docstring).
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}


def configure_prefect_environment(project_dir: Path | None = None) -> None:
    """Set Prefect's environment defaults before Prefect is imported."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if "PREFECT_HOME" not in os.environ and "PREFECT_API_URL" not in os.environ:
        os.environ["PREFECT_HOME"] = str((project_dir or Path.cwd()) / ".prefect")


def _fail(message: str) -> None:
    raise click.UsageError(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casualty-etl")
def app() -> None:
    """Turn news and humanitarian reports into validated casualty statistics."""


_CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Configuration file (default: ./casualty-etl.toml when present).",
)


_LANGUAGE_OPTION = click.option(
    "--language",
    "--lang",
    "language",
    default=None,
    help="Read every article with this language's lexicon (en, fr, ...); "
    "default: detect each article's language (auto).",
)


def _forced_language(language: str | None) -> str | None:
    """A --language value -> the lexicon code it forces, or None to detect; exits 2 when there is
    no lexicon for it."""
    from casualty_etl.language import check_language
    from casualty_etl.lexicon import LexiconError

    try:
        return check_language(language)
    except LexiconError as exc:
        _fail(str(exc))
    return None


def _language_json(language) -> dict[str, object]:
    """The ``language`` object of an ``extract`` output line."""
    return {
        "code": language.code,
        "confidence": None if language.confidence is None else round(language.confidence, 4),
        "supported": language.supported,
        "choice": language.choice.value,
    }


def _load_config(config_path: Path | None, **overrides):
    from casualty_etl.config import ConfigError, load_config

    try:
        return load_config(config_path).with_overrides(**overrides)
    except ConfigError as exc:
        _fail(str(exc))


@app.command()
@click.argument("sources", nargs=-1)
@_CONFIG_OPTION
@click.option("--lake", default=None, help="Lake root: a folder or an fsspec URL [default: data/lake].")
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=None, help="Documents per Prefect task [200]."
)
@click.option(
    "--runner",
    type=click.Choice(["thread", "process", "dask"]),
    default=None,
    help="Prefect task runner [thread].",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Parallel batches (default: per runner)."
)
@click.option("--dask-address", default=None, help="Scheduler address of an existing Dask cluster.")
@click.option(
    "--reextract",
    is_flag=True,
    help="Extract again, with this extractor version, articles stored by an older version.",
)
@_LANGUAGE_OPTION
def run(
    sources: tuple[str, ...],
    config_path: Path | None,
    lake: str | None,
    batch_size: int | None,
    runner: str | None,
    workers: int | None,
    dask_address: str | None,
    reextract: bool,
    language: str | None,
) -> None:
    """Run the ETL flow: read SOURCES (files, folders, feeds, URL lists; default: the configuration's,
    else data/samples), extract casualty figures and write validated Parquet tables into the lake."""
    config = _load_config(
        config_path,
        sources=tuple(sources) or None,
        lake=lake,
        batch_size=batch_size,
        runner=runner,
        workers=workers,
        dask_address=dask_address,
        language=language,
    )
    forced = _forced_language(config.language)
    missing = [p for p in config.sources if "://" not in p and not Path(p).exists()]
    if missing:
        _fail(f"no such file or folder: {missing[0]}")
    configure_prefect_environment()
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from flows.etl import Runner, run_etl, set_progress_listener

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} documents"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        bar = progress.add_task("extracting", total=None)
        set_progress_listener(lambda s: progress.advance(bar, s.documents))
        try:
            summary = run_etl(
                list(config.sources),
                config.lake,
                batch_size=config.batch_size,
                runner=Runner(config.runner),
                workers=config.workers,
                dask_address=config.dask_address,
                reextract=reextract,
                fetch=asdict(config.fetch),
                language=forced,
            )
        finally:
            set_progress_listener(None)
    _print_summary(summary)


@app.command()
@_CONFIG_OPTION
@click.option("--cron", default=None, help='Cron schedule, e.g. "0 * * * *" (default: the configuration\'s).')
@click.option("--lake", default=None, help="Lake root (default: the configuration's).")
def serve(config_path: Path | None, cron: str | None, lake: str | None) -> None:
    """Serve the ETL flow on a cron schedule. Without PREFECT_API_URL a local Prefect server is
    started on 127.0.0.1 (state in ./.prefect) and stopped on Ctrl-C."""
    from dataclasses import replace

    config = _load_config(config_path, lake=lake)
    if cron is not None:
        config = replace(config, schedule=replace(config.schedule, cron=cron))
    configure_prefect_environment()
    from flows.serve import ServerStartError, serve_scheduled

    try:
        serve_scheduled(config, announce=lambda line: out.print(line))
    except ServerStartError as exc:
        print(f"casualty-etl: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        out.print("stopped")


def _print_summary(summary) -> None:
    table = Table(title=f"casualty-etl run into {summary.lake}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("documents read", str(summary.documents))
    table.add_row("articles written", str(summary.articles_written))
    table.add_row("articles already in the lake", str(summary.articles_known))
    table.add_row("figures written", str(summary.figures_written))
    for name, n in summary.figures_by_category:
        table.add_row(f"  {name}", str(n))
    rejects = sum(n for _, n in summary.rejects_by_reason)
    table.add_row("rejects", str(rejects))
    for name, n in summary.rejects_by_reason:
        table.add_row(f"  {name}", str(n))
    languages = summary.articles_per_language()
    if languages:
        table.add_row("articles per language", "")
        for label, n in languages:
            table.add_row(f"  {label}", str(n))
    table.add_row("files written", str(summary.files_written))
    table.add_row("batches", str(summary.batches))
    table.add_row("elapsed", f"{summary.seconds:.1f} s")
    out.print(table)
    out.print(f'Load it: pd.read_parquet("{summary.lake}/figures")')


@app.command()
@click.argument("input_path", metavar="IN.jsonl", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the figures (JSON lines).",
)
@_LANGUAGE_OPTION
def extract(input_path: Path, output: Path, language: str | None) -> None:
    """Extract figures from IN.jsonl (lines of {"id", "text"}) into JSON lines of {"id", "language",
    "figures"}, without Prefect and without a lake: the extractor's public contract. Each document
    is read in its detected language unless --language forces one; a document in a language without
    a lexicon gets no figures and its "language" says so."""
    from casualty_etl.extract import extract_article
    from casualty_etl.language import supported_languages
    from casualty_etl.lexicon import LexiconError, load_lexicon

    if not input_path.is_file():
        _fail(f"no such file: {input_path}")
    forced = _forced_language(language)
    try:  # a broken lexicon fails here, before any output
        for code in [forced] if forced else sorted(supported_languages()):
            load_lexicon(code)
    except LexiconError as exc:
        _fail(str(exc))
    n_docs = n_figures = 0
    languages: Counter[str] = Counter()
    with input_path.open(encoding="utf-8") as fh, output.open("w", encoding="utf-8") as sink:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id, text = record["id"], record["text"]
                if not isinstance(text, str):
                    raise TypeError("text is not a string")
            except (ValueError, KeyError, TypeError) as exc:
                _fail(f'{input_path}:{n}: not a JSON object with "id" and "text" ({exc})')
            result = extract_article(text, forced)
            record = {
                "id": doc_id,
                "language": _language_json(result.language),
                "figures": [f.to_json() for f in result.figures],
            }
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            n_docs += 1
            n_figures += len(result.figures)
            read = result.language.supported
            languages[result.language.code if read else f"{result.language.code} (no lexicon: not read)"] += 1
    counts = ", ".join(f"{code} {n}" for code, n in sorted(languages.items()))
    err.print(f"{n_docs} documents ({counts or 'none'}), {n_figures} figures -> {output}")


@app.command()
@click.argument("gold", metavar="GOLD.jsonl", type=click.Path(path_type=Path))
@click.option(
    "--predictions",
    type=click.Path(path_type=Path),
    default=None,
    help="Score this predictions file instead of running the extractor.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the scores as JSON.",
)
@click.option("--categories", default="", help="Comma-separated categories to score (default: all).")
@click.option("--exclude-qualifiers", default="", help="Gold qualifiers to treat as don't-care.")
@click.option("--exclude-scopes", default="", help="Gold scopes to treat as don't-care.")
@click.option(
    "--folds",
    type=click.IntRange(min=1),
    default=None,
    help="Split GOLD into N deterministic folds (by origin, then a hash of id) and print each fold's score.",
)
@click.option(
    "--fold",
    type=click.IntRange(min=0),
    default=None,
    help="With --folds: score only this fold (0-based).",
)
@_LANGUAGE_OPTION
def evaluate(
    gold: Path,
    predictions: Path | None,
    json_path: Path | None,
    categories: str,
    exclude_qualifiers: str,
    exclude_scopes: str,
    folds: int | None,
    fold: int | None,
    language: str | None,
) -> None:
    """Score the extractor (or a predictions file) against GOLD.jsonl: precision, recall and F1 per
    category and micro-averaged, lenient (category + value) and strict (+ qualifier)."""
    from casualty_etl.evaluate import (
        fold_report,
        format_fold_report,
        load_gold,
        load_predictions,
        predict,
        render,
        score,
        scores_to_json,
        select_fold,
    )

    if not gold.is_file():
        _fail(f"no such file: {gold}")
    if predictions is not None and not predictions.is_file():
        _fail(f"no such file: {predictions}")

    def split(value: str) -> frozenset[str]:
        return frozenset(x.strip() for x in value.split(",") if x.strip())

    if fold is not None and folds is None:
        _fail("--fold needs --folds")
    if fold is not None and folds is not None and fold >= folds:
        _fail(f"--fold {fold} is not in 0..{folds - 1}")
    forced = _forced_language(language)
    documents = load_gold(gold)
    title = f"{gold.name} (extractor {EXTRACTOR_VERSION})"
    if folds is not None and fold is not None:
        documents = select_fold(documents, folds, fold)
        title = f"{gold.name} fold {fold} of {folds} (extractor {EXTRACTOR_VERSION})"
    if predictions is not None:
        preds = load_predictions(predictions)
    else:
        from casualty_etl.extract import extract as extract_figures

        preds = predict(documents, lambda text: extract_figures(text, forced))
    filters = dict(
        categories=split(categories) or None,
        exclude_qualifiers=split(exclude_qualifiers),
        exclude_scopes=split(exclude_scopes),
    )
    scores = score(documents, preds, **filters)
    out.print(render(scores, title=title))
    if folds is not None and fold is None:
        rows = fold_report(documents, preds, folds, **filters)
        out.print(format_fold_report(rows, title=f"{gold.name}: {folds} folds (headline categories)"))
    if json_path is not None:
        json_path.write_text(json.dumps(scores_to_json(scores), indent=2) + "\n", encoding="utf-8")


@app.command("aggregate")
@click.option("--lake", default="data/lake", show_default=True, help="Lake root.")
@click.option(
    "--window-days",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Event dates at most this far apart can be one incident.",
)
def aggregate_command(lake: str, window_days: int) -> None:
    """Rebuild the derived tables (incidents, running totals, rollups) from the lake's figures,
    with a Prefect flow."""
    if not Path(lake).exists():
        _fail(f"no lake at {lake}: run `casualty-etl run` first")
    configure_prefect_environment()
    from flows.aggregate import aggregate_flow

    summary, _ = aggregate_flow(lake=lake, window_days=window_days)
    _print_aggregate(summary)


def _print_aggregate(summary) -> None:
    table = Table(title=f"derived tables of {summary.lake}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_row("figures read", str(summary.n_figures))
    table.add_row("incidents", str(summary.n_incidents))
    table.add_row("  of which without a date", str(summary.n_undated_incidents))
    table.add_row("running totals", str(summary.n_totals))
    table.add_row("rollup rows", str(summary.n_rollups))
    out.print(table)


@app.command()
@click.option("--lake", default="data/lake", show_default=True, help="Lake root.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    default="data/report",
    show_default=True,
    type=click.Path(),
    help="Folder for report.html and its CSV files.",
)
def report(lake: str, out_dir: str) -> None:
    """Write a self-contained HTML report (time series, top places, qualifiers, scopes, rejects)
    and the same tables as CSV. Aggregates the lake first when it has no derived tables yet."""
    from casualty_etl.aggregate import aggregate, load_derived
    from casualty_etl.report import write_report

    if not Path(lake).exists():
        _fail(f"no lake at {lake}: run `casualty-etl run` first")
    try:
        load_derived(lake, "incidents")
    except FileNotFoundError:
        _print_aggregate(aggregate(lake))
    files = write_report(lake, out_dir)
    out.print(f"report: {files.html}")


@app.command("export-hxl")
@click.option("--lake", default="data/lake", show_default=True, help="Lake root.")
@click.option(
    "-o",
    "--output",
    default="data/report/casualties-hxl.csv",
    show_default=True,
    type=click.Path(),
    help="CSV file to write.",
)
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="day", show_default=True)
def export_hxl_command(lake: str, output: str, period: str) -> None:
    """Export the rollups as CSV with a Humanitarian Exchange Language (HXL) hashtag row."""
    from casualty_etl.aggregate import aggregate, load_derived
    from casualty_etl.dates import Period
    from casualty_etl.hxl import export_hxl

    if not Path(lake).exists():
        _fail(f"no lake at {lake}: run `casualty-etl run` first")
    try:
        load_derived(lake, "rollups")
    except FileNotFoundError:
        _print_aggregate(aggregate(lake))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    export = export_hxl(lake, output, period=Period(period))
    out.print(f"{export.n_rows} rows -> {export.path}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: one-line errors and exit code 2 on a bad invocation."""
    try:
        code = app.main(
            args=list(argv) if argv is not None else None, prog_name="casualty-etl", standalone_mode=False
        )
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(2)
    except click.UsageError as exc:
        print(f"casualty-etl: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except click.exceptions.Abort:
        print("casualty-etl: aborted", file=sys.stderr)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print(f"casualty-etl: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
