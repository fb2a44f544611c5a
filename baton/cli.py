"""The ``baton`` command line: import, logs, statistics, DFG, conformance, model discovery, the demo app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from baton import cli_conformance as cc
from baton import cli_pull as cp
from baton import cli_report as cr
from baton.errors import BatonError

DEFAULT_WORKSPACE = Path(os.environ.get("BATON_WORKSPACE", "workspace/baton.duckdb"))
DEMO_WORKSPACE = Path("workspace/demo.duckdb")
ROOT = Path(__file__).resolve().parents[1]

app = typer.Typer(help="Baton: process mining and orchestration analytics on DuckDB.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="workspace DuckDB file")]


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"
    table = "table"


def _open(path: Path, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    from baton.api import open_workspace

    return open_workspace(path, read_only=read_only)


def _fail(exc: Exception) -> NoReturn:
    """Print an error as one line on stderr (no traceback, no wrapping) and exit with code 1."""
    err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(1)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="CSV, Parquet, Excel, XES(.gz) or OCEL 2.0 file")],
    name: Annotated[str | None, typer.Option(help="log name (default: file name)")] = None,
    case_id_key: str | None = None,
    activity_key: str | None = None,
    timestamp_key: str | None = None,
    start_timestamp_key: str | None = None,
    resource_key: str | None = None,
    lifecycle_key: str | None = None,
    source_timezone: Annotated[str, typer.Option(help="zone of timestamps without an offset")] = "UTC",
    timestamp_format: Annotated[
        str | None, typer.Option(help="strptime format, e.g. '%d/%m/%Y %H:%M'")
    ] = None,
    dayfirst: Annotated[bool | None, typer.Option("--dayfirst/--monthfirst")] = None,
    object_type: Annotated[str | None, typer.Option(help="OCEL: object type to flatten on")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Import a file as a log (re-importing a name replaces it) and print the data-quality report."""
    ws = _open(workspace)
    reader = {"object_type": object_type} if object_type else {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(f"importing {path.name}", total=1.0)
        report = ws.import_file(
            path,
            name=name,
            case_id_key=case_id_key,
            activity_key=activity_key,
            timestamp_key=timestamp_key,
            start_timestamp_key=start_timestamp_key,
            resource_key=resource_key,
            lifecycle_key=lifecycle_key,
            source_timezone=source_timezone,
            timestamp_format=timestamp_format,
            dayfirst=dayfirst,
            progress=lambda stage, share: bar.update(task, completed=share, description=stage),
            **reader,
        )
    out.print(str(report))


@app.command("logs")
def logs(workspace: WorkspaceOpt = DEFAULT_WORKSPACE) -> None:
    """List the logs in the workspace with their provenance."""
    table = Table("name", "events", "cases", "activities", "variants", "rejected", "source", "imported")
    for i in _open(workspace).logs():
        table.add_row(
            i.name,
            f"{i.events:,}",
            f"{i.cases:,}",
            str(i.activities),
            f"{i.variants:,}",
            f"{i.rows_rejected:,}",
            i.source,
            i.imported_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


@app.command("stats")
def stats(log: str, workspace: WorkspaceOpt = DEFAULT_WORKSPACE) -> None:
    """Headline statistics of a log: cases, events, activities, variants, case durations."""
    from analytics import get_case_durations

    ws = _open(workspace)
    info = ws.info(log)
    d = get_case_durations(ws.log(log)).stats
    table = Table("measure", "value")
    rows = [
        ("cases", f"{info.cases:,}"),
        ("events", f"{info.events:,}"),
        ("activities", f"{info.activities:,}"),
        ("variants", f"{info.variants:,}"),
        ("first event", str(info.first_timestamp)),
        ("last event", str(info.last_timestamp)),
        ("case duration median", str(d.median)),
        ("case duration mean", str(d.mean)),
        ("case duration p90", str(d.p90)),
        ("case duration max", str(d.max)),
        ("rows rejected at import", f"{info.rows_rejected:,}"),
        ("source", f"{info.source} ({info.source_format}, sha256 {info.checksum[:12]})"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    out.print(table)


@app.command("dfg")
def dfg(
    log: str,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """The directly-follows graph of a log (edges with frequency and case frequency)."""
    from analytics import discover_dfg

    frame = discover_dfg(_open(workspace).log(log)).to_frame()
    if format is OutputFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    elif format is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dict(orient="records"), default=str, indent=1) + "\n")
    else:
        table = Table(*[str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            table.add_row(*[str(v) for v in row])
        out.print(table)


@app.command("rejects")
def rejects(log: str, limit: int = 20, workspace: WorkspaceOpt = DEFAULT_WORKSPACE) -> None:
    """Rejected source rows of a log, with the reason and the raw values."""
    table = Table("row", "reason", "detail", "raw")
    for r in _open(workspace).rejects(log, limit=limit).to_pylist():
        table.add_row(str(r["source_row"]), r["reason"], str(r["detail"] or ""), r["raw"])
    out.print(table)


@app.command("delete")
def delete(log: str, workspace: WorkspaceOpt = DEFAULT_WORKSPACE) -> None:
    """Delete a log and all its rows."""
    _open(workspace).delete_log(log)
    out.print(f"deleted {log}")


@app.command("conformance")
def conformance(
    log: str,
    model: Annotated[Path, typer.Argument(help="target model: .bpmn/.xml, .pnml or .yaml/.yml")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    table: Annotated[cc.ConformanceTable, typer.Option(help="the table --format csv writes")] = (
        cc.ConformanceTable.variants
    ),
    budget: Annotated[float, typer.Option(help="seconds one variant's alignment may take")] = 10.0,
    calendar: Annotated[cc.CalendarKind, typer.Option(help="SLA clock: calendar time or office hours")] = (
        cc.CalendarKind.always
    ),
    zone: Annotated[str, typer.Option(help="IANA time zone of the SLA calendar")] = "UTC",
    hours: Annotated[str, typer.Option(help="office hours HH:MM-HH:MM, Monday to Friday")] = "09:00-17:00",
    holidays: Annotated[str, typer.Option(help="days off, ISO dates separated by commas")] = "",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Check a log against a target model: fitness, precision, deviations, SLA timers, four-eyes, retries."""
    try:
        target = cc.read_model_or_fail(model)
        cal = cc.calendar_from_options(calendar, zone, hours, holidays)
        with _open(workspace, read_only=True) as ws:
            run = cc.run_checks(ws.log(log), target, budget, cal)
        if format is OutputFormat.json:
            cc.write_text_or_print(json.dumps(cc.conformance_doc(run), default=str, indent=1) + "\n", output)
        elif format is OutputFormat.csv:
            frames = {
                cc.ConformanceTable.variants: run.conformance.to_frame,
                cc.ConformanceTable.deviations: run.conformance.deviations_frame,
                cc.ConformanceTable.sla: run.sla.to_frame,
            }
            cc.write_text_or_print(frames[table]().to_csv(index=False), output)
        elif output is None:
            cc.print_conformance(out, run)
        else:
            with output.open("w", encoding="utf-8") as fh:
                cc.print_conformance(Console(file=fh, width=160), run)
    except (BatonError, OSError) as exc:
        _fail(exc)


@app.command("discover")
def discover(
    log: str,
    noise: Annotated[float, typer.Option(help="inductive miner noise threshold in [0, 1]")] = 0.2,
    bpmn: Annotated[Path | None, typer.Option(help="write the model as BPMN 2.0 to this file")] = None,
    pnml: Annotated[
        Path | None, typer.Option(help="write the model's Petri net as PNML to this file")
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Discover a target model from a log (inductive miner) and write it as BPMN and/or PNML."""
    from analytics import discover_target_model, export_bpmn, export_pnml

    try:
        with _open(workspace, read_only=True) as ws:
            model = discover_target_model(ws.log(log), noise_threshold=noise)
        written = [export(model, path) for export, path in ((export_bpmn, bpmn), (export_pnml, pnml)) if path]
    except (BatonError, OSError) as exc:
        _fail(exc)
    silent = sum(1 for _, label in model.net.transitions if label is None)
    table = Table("measure", "value", title=model.name)
    for key, value in (
        ("activities", str(len(model.activities))),
        ("places", str(len(model.net.places))),
        ("transitions", f"{len(model.net.transitions)} ({silent} silent)"),
        ("allowed edges", str(len(model.edges))),
        ("start activities", ", ".join(sorted(model.start_activities))),
        ("end activities", ", ".join(sorted(model.end_activities))),
    ):
        table.add_row(key, value)
    out.print(table)
    for path in written:
        out.print(f"wrote {path}", soft_wrap=True)


@app.command("report")
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="the report file to write")],
    before: Annotated[str | None, typer.Option(help="the BEFORE log (with --after)")] = None,
    after: Annotated[str | None, typer.Option(help="the AFTER log (with --before)")] = None,
    log: Annotated[str | None, typer.Option(help="one log, split at --cutover or by --segment-by")] = None,
    cutover: Annotated[str | None, typer.Option(help="ISO 8601 with a zone, e.g. 2025-07-01T00:00Z")] = None,
    roi: Annotated[
        Path | None, typer.Option(help="ROI inputs YAML (see sample_logs/roi_inputs.yaml)")
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="target model (.bpmn, .pnml, .yaml): diagram, SLA timers")
    ] = None,
    end_activities: Annotated[str, typer.Option(help="activities ending a complete case, 'A,B'")] = "",
    error_activities: Annotated[str, typer.Option(help="activities marking an error, 'X,Y'")] = "",
    system_prefix: Annotated[
        str | None, typer.Option(help="resources starting with this are systems")
    ] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="html, pdf or xlsx")] = None,
    seed: Annotated[int, typer.Option(help="bootstrap seed (same seed, same numbers)")] = 0,
    n_boot: Annotated[int, typer.Option(help="bootstrap resamples per side")] = 2000,
    title: Annotated[str, typer.Option(help="the report's title")] = "Before and after",
    where: Annotated[list[str] | None, typer.Option(help="keep cases with 'ATTR=V1,V2' (repeat)")] = None,
    segment_by: Annotated[str | None, typer.Option(help="case attribute splitting --log in two")] = None,
    before_values: Annotated[str | None, typer.Option(help="--segment-by values of BEFORE")] = None,
    after_values: Annotated[str | None, typer.Option(help="--segment-by values of AFTER")] = None,
    control_where: Annotated[
        list[str] | None, typer.Option(help="control segment, same setup: 'ATTR=V' (diff-in-diff)")
    ] = None,
    control_before: Annotated[str | None, typer.Option(help="control BEFORE log (diff-in-diff)")] = None,
    control_after: Annotated[str | None, typer.Option(help="control AFTER log (diff-in-diff)")] = None,
    spanning: Annotated[str | None, typer.Option(help="cases spanning --cutover: exclude|before")] = None,
    sla_hours: Annotated[float | None, typer.Option(help="SLA on cycle time in hours")] = None,
    system_resources: Annotated[str, typer.Option(help="resources that are systems, 'A,B'")] = "",
    cost_attribute: Annotated[str | None, typer.Option(help="cost attribute (default cost)")] = None,
    period: Annotated[str, typer.Option(help="throughput/WIP period: day|week|month")] = "week",
    cost_rates: Annotated[
        Path | None, typer.Option(help="YAML: hourly_rates per role + resource_roles (cost from time)")
    ] = None,
    spark_config: Annotated[
        Path | None, typer.Option(help="Spark config YAML: the logs are its tables, computed on Spark")
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Write a before/after report with KPIs, intervals, maps and the ROI business case (HTML, PDF or Excel)."""
    opts = cr.ReportOptions(
        output, before, after, log, cutover, roi, model, end_activities, error_activities, system_prefix,
        format, seed, n_boot, title, tuple(where or ()), segment_by, before_values, after_values,
        tuple(control_where or ()), control_before, control_after, spanning, sla_hours, system_resources,
        cost_attribute, period, cost_rates,
    )  # fmt: skip
    try:
        if spark_config is not None:  # the logs named are the config's tables; --workspace is not read
            written = cr.run_spark_report(spark_config, opts)
        else:
            with _open(workspace, read_only=True) as ws:
                written = cr.run_report(ws, opts)
    except (BatonError, OSError, ValueError) as exc:
        _fail(exc)
    out.print(f"wrote {written}", soft_wrap=True)


@app.command("pull")
def pull(
    config: Annotated[Path, typer.Argument(help="source config YAML (kind, name, settings, mapping ...)")],
    every: Annotated[
        str | None, typer.Option(help="pull again every interval (30s, 15m, 1h, 1d) until Ctrl-C")
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Pull a source system's new and changed rows into its log (incremental, one transaction) and report."""
    try:
        seconds = cp.parse_interval(every) if every is not None else None
    except BatonError as exc:
        _fail(exc)
    raise typer.Exit(cp.run_pulls(config, workspace, every=seconds, out=out, err=err))


@app.command("build-demo")
def build_demo(workspace: WorkspaceOpt = DEMO_WORKSPACE) -> None:
    """Build the demo workspace from sample_logs/ (the BEFORE and AFTER loan logs)."""
    from baton.demo import build_demo_workspace

    for report in build_demo_workspace(workspace, ROOT / "sample_logs"):
        out.print(str(report))


@app.command("demo")
def demo(port: int = 8501, workspace: WorkspaceOpt = DEMO_WORKSPACE) -> None:
    """Build the demo workspace if needed and start the app on it."""
    from baton.demo import build_demo_workspace, demo_is_current

    if not demo_is_current(workspace, ROOT / "sample_logs"):
        for report in build_demo_workspace(workspace, ROOT / "sample_logs"):
            out.print(str(report))
    env = {**os.environ, "BATON_WORKSPACE": str(workspace.resolve())}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    out.print(f"Baton on http://localhost:{port}  (workspace {workspace})")
    raise typer.Exit(subprocess.call(cmd, env=env))


def main() -> None:
    """Entry point: run the CLI, turning Baton errors into one clear line and exit code 1 (2: bad usage)."""
    try:
        app()
    except BatonError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
