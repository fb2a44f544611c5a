"""What `baton report` does: build the before/after setup and settings from options, assemble, write the file.

The logs come from a DuckDB workspace, or with ``--spark-config`` from the tables of a Spark config file
(`baton.engine.spark_config`); the report is built by the same code either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from baton import schema as s
from baton.errors import FilterError, ModelError, UnsupportedFormatError
from baton.filters import CaseAttribute

if TYPE_CHECKING:
    from analytics.before_after_setup import Setup
    from analytics.kpi_catalogue import KpiSettings
    from analytics.roi_inputs import RoiInputs
    from baton.log import EventLog
    from baton.models.types import TargetModel
    from reports.build import ReportRequest

FORMATS = ("html", "pdf", "xlsx")
SPANNING = ("exclude", "before")
_FORMS = (
    "--before LOG --after LOG (two logs); --log LOG --cutover 2025-07-01T00:00Z (one log split at a date); "
    "--log LOG --segment-by ATTR --before-values V1,V2 --after-values V3 (two segments of one log)"
)
_ATTRIBUTE_TYPES = f"SELECT case_attributes FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_INTEGERS = ("INT", "INTEGER")  # endings of DuckDB's integer types: TINYINT ... UHUGEINT, INTEGER, UINTEGER
_FLOATS = ("FLOAT", "REAL", "DOUBLE", "DECIMAL")
_EXAMPLES = {
    "INTEGER": "whole numbers such as 1200",
    "DOUBLE": "numbers such as 12.5",
    "BOOLEAN": "true or false",
    "DATE": "dates such as 2025-07-01",
}


def _typed(text: str, base: str) -> object:
    """One value as a DuckDB ``base`` type holds it (raises ValueError when it does not fit)."""
    if base.endswith(_INTEGERS):
        return int(text)
    if base in _FLOATS:
        return float(text)
    if base == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if base == "DATE":
        return date.fromisoformat(text)
    return datetime.fromisoformat(text) if base.startswith("TIMESTAMP") else text


def _example(base: str) -> str:
    kind = "INTEGER" if base.endswith(_INTEGERS) else "DOUBLE" if base in _FLOATS else base
    return _EXAMPLES.get(kind, "ISO 8601 instants such as 2025-07-01T00:00Z")


class LogSource(Protocol):
    """Where the named logs come from: a DuckDB `Workspace` or a `SparkWorkspace`."""

    def log(self, name: str) -> EventLog: ...


def _case_attribute_types(log: EventLog) -> dict[str, str]:
    """Case attribute -> DuckDB type name, from the log's catalog row (on the log's engine)."""
    rows = log.engine().rows(_ATTRIBUTE_TYPES, {"log_id": log.log_id})
    return dict(json.loads(rows[0][0])) if rows and rows[0][0] else {}


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """The command's options, as typed on the command line (texts not parsed yet)."""

    output: Path
    before: str | None = None
    after: str | None = None
    log: str | None = None
    cutover: str | None = None
    roi: Path | None = None
    model: Path | None = None
    end_activities: str = ""
    error_activities: str = ""
    system_prefix: str | None = None
    fmt: str | None = None
    seed: int = 0
    n_boot: int = 2000
    title: str = "Before and after"
    where: tuple[str, ...] = ()
    segment_by: str | None = None
    before_values: str | None = None
    after_values: str | None = None
    control_where: tuple[str, ...] = ()
    control_before: str | None = None
    control_after: str | None = None
    spanning: str | None = None
    sla_hours: float | None = None
    system_resources: str = ""
    cost_attribute: str | None = None
    period: str = "week"
    cost_rates: Path | None = None


def report_format(fmt: str | None, output: Path) -> str:
    """The format asked for, else the output file's suffix (``.html``, ``.pdf``, ``.xlsx``), else html."""
    chosen = (fmt or output.suffix.lstrip(".") or "html").lower()
    if chosen == "htm":
        chosen = "html"
    if chosen not in FORMATS:
        hint = f"--format {fmt!r}" if fmt else f"output file {output.name!r}"
        raise UnsupportedFormatError(
            f"{hint}: unknown report format {chosen!r}; use --format html, pdf or xlsx"
        )
    return chosen


def parse_cutover(text: str) -> datetime:
    """An ISO 8601 instant with a time zone, e.g. ``2025-07-01T00:00Z`` or ``2025-07-01T00:00+02:00``."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise FilterError(
            f"--cutover {text!r} is not a date; expected ISO 8601 with a time zone such as 2025-07-01T00:00Z"
        ) from exc
    if value.tzinfo is None:
        raise FilterError(
            f"--cutover {text!r} has no time zone; add one, e.g. {text.strip()}Z (UTC) or {text.strip()}+02:00"
        )
    return value


def names(text: str) -> tuple[str, ...]:
    """A comma-separated option as a tuple of names (blanks dropped)."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def typed_values(log: EventLog, name: str, texts: tuple[str, ...], option: str) -> tuple[object, ...]:
    """The values as the type of case attribute ``name`` in ``log`` (numbers, booleans, dates or text).

    Raises:
        FilterError: a value does not fit the attribute's type (the message names the attribute and type).
    """
    dtype = "VARCHAR" if name == s.CASE_ID else _case_attribute_types(log).get(name, "VARCHAR")
    base = dtype.split("(")[0].strip().upper()
    out = []
    for text in texts:
        try:
            out.append(_typed(text, base))
        except ValueError:
            raise FilterError(
                f"{option}: {text!r} does not fit case attribute {name!r} of log {log.name!r}, which holds "
                f"{dtype} values; give {_example(base)}"
            ) from None
    return tuple(out)


def parse_where(log: EventLog, text: str, option: str = "--where") -> CaseAttribute:
    """``ATTR=V1,V2`` as a case-attribute filter on ``log`` (values typed as the attribute is)."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not names(values):
        raise FilterError(
            f"{option} {text!r}: expected ATTRIBUTE=VALUE1,VALUE2 (a case attribute and the values to keep), "
            "e.g. region=Berlin,Munich"
        )
    name = name.strip()
    return CaseAttribute(name, typed_values(log, name, names(values), option))


def restrict(log: EventLog, wheres: tuple[str, ...], option: str = "--where") -> EventLog:
    """``log`` keeping only the cases every ``ATTR=V1,V2`` of ``wheres`` allows."""
    if not wheres:
        return log
    return log.filter(*(parse_where(log, w, option) for w in wheres))


def setup_form(opts: ReportOptions) -> str:
    """Which setup the options describe: ``two_logs``, ``cutover`` or ``segments`` (one, complete)."""
    groups = {
        "two_logs": {"--before": opts.before, "--after": opts.after},
        "cutover": {"--cutover": opts.cutover, "--spanning": opts.spanning},
        "segments": {
            "--segment-by": opts.segment_by,
            "--before-values": opts.before_values,
            "--after-values": opts.after_values,
        },
    }
    given = {form: [o for o, v in group.items() if v is not None] for form, group in groups.items()}
    chosen = [form for form, opts_given in given.items() if opts_given]
    needed = {
        "two_logs": ("--before", "--after"),
        "cutover": ("--cutover",),
        "segments": tuple(groups["segments"]),
    }
    if len(chosen) == 1:
        form = chosen[0]
        if all(o in given[form] for o in needed[form]) and (opts.log is None) == (form == "two_logs"):
            return form
    named = [o for opts_given in given.values() for o in opts_given] + (["--log"] if opts.log else [])
    got = f"got {', '.join(named)}" if named else "got none of them"
    raise FilterError(f"choose what to compare, one of: {_FORMS}; {got}")


def _setup(ws: LogSource, opts: ReportOptions, form: str, wheres: tuple[str, ...], option: str) -> Setup:
    """The setup of ``form`` on the options' log(s), each restricted by ``wheres`` (no control)."""
    from analytics.before_after_setup import CutoverSetup, SegmentsSetup, TwoLogsSetup

    if form == "two_logs":
        before, after = (restrict(ws.log(str(n)), wheres, option) for n in (opts.before, opts.after))
        return TwoLogsSetup(before, after)
    log = restrict(ws.log(str(opts.log)), wheres, option)
    if form == "cutover":
        spanning = opts.spanning or "exclude"
        if spanning not in SPANNING:
            raise FilterError(
                f"--spanning {spanning!r}: expected exclude (cases spanning the cutover count on neither "
                "side) or before (they count on the before side)"
            )
        return CutoverSetup(
            log, parse_cutover(str(opts.cutover)), "before" if spanning == "before" else "exclude"
        )
    attr = str(opts.segment_by)
    before_values, after_values = (
        typed_values(log, attr, names(str(v)), o)
        for v, o in ((opts.before_values, "--before-values"), (opts.after_values, "--after-values"))
    )
    return SegmentsSetup.by_attribute(log, attr, before_values, after_values)


def control_setup(ws: LogSource, opts: ReportOptions, form: str) -> Setup | None:
    """The control (difference-in-differences): two control logs, or the same setup on another segment."""
    from analytics.before_after_setup import TwoLogsSetup

    logs = (opts.control_before, opts.control_after)
    if any(logs) and not all(logs):
        raise FilterError("--control-before and --control-after go together: give both control logs")
    if all(logs):
        before, after = (restrict(ws.log(str(n)), opts.control_where, "--control-where") for n in logs)
        return TwoLogsSetup(before, after)
    if opts.control_where:
        return _setup(ws, opts, form, opts.control_where, "--control-where")
    return None


def build_setup(ws: LogSource, opts: ReportOptions) -> Setup:
    """Two logs, one log split at a cutover, or two segments of one log; ``--where`` restricts the log(s).

    Raises:
        FilterError: a mix of setups or an incomplete one, a bad cutover or value, an unknown attribute.
        LogNotFoundError: a log name the workspace does not hold.
    """
    form = setup_form(opts)
    setup = _setup(ws, opts, form, opts.where, "--where")
    control = control_setup(ws, opts, form)
    return setup if control is None else replace(setup, control=control)


def build_settings(opts: ReportOptions, model: TargetModel | None) -> KpiSettings:
    """KPI settings from the options; a target model's SLA timers measure SLA compliance.

    Raises:
        FilterError: a bad --sla-hours or --period.
        ModelError: --sla-hours with a model that has SLA timers (SLA compliance is measured one way).
    """
    from analytics.kpi_catalogue import PERIODS, KpiSettings
    from baton.cost_rates import read_cost_rates

    timers = model.timers if model is not None else ()
    if opts.sla_hours is not None and not opts.sla_hours > 0:
        raise FilterError(f"--sla-hours {opts.sla_hours}: expected a positive number of hours, e.g. 48")
    if opts.sla_hours is not None and timers:
        raise ModelError(
            f"--sla-hours {opts.sla_hours:g} and --model: the model's SLA timers already measure SLA "
            "compliance; drop --sla-hours (or use a model without timers)"
        )
    if opts.period not in PERIODS:
        raise FilterError(f"--period {opts.period!r}: expected day, week or month")
    rates, roles = read_cost_rates(opts.cost_rates) if opts.cost_rates is not None else ({}, {})
    try:
        return KpiSettings(
            end_activities=names(opts.end_activities),
            error_activities=names(opts.error_activities),
            system_resources=names(opts.system_resources),
            system_resource_prefix=opts.system_prefix or None,
            sla_threshold=timedelta(hours=opts.sla_hours) if opts.sla_hours is not None else None,
            sla_timers=timers,
            cost_attribute="cost" if opts.cost_attribute is None else (opts.cost_attribute or None),
            period=opts.period,  # type: ignore[arg-type]  # checked against PERIODS above
            hourly_rates=rates,
            resource_roles=roles,
        )
    except ValueError as exc:  # KpiSettings names the field; say which option or file it came from
        where = f"--cost-rates {opts.cost_rates.name}: " if opts.cost_rates is not None else ""
        raise FilterError(f"{where}{exc}") from exc


def read_roi(path: Path) -> RoiInputs:
    """ROI inputs from YAML; ``annual_volume: measured`` is filled from the after side when the report is built."""
    from analytics.roi_inputs import load_roi_inputs

    return load_roi_inputs(path, measured_volume=0.0)


def build_request(ws: LogSource, opts: ReportOptions) -> ReportRequest:
    """The report request the options describe: setup (and control), KPI settings, ROI inputs, model."""
    from baton.cli_conformance import read_model_or_fail
    from reports.build import ReportRequest

    model = read_model_or_fail(opts.model) if opts.model is not None else None
    roi = read_roi(opts.roi) if opts.roi is not None else None
    setup = build_setup(ws, opts)
    return ReportRequest(
        setup, build_settings(opts, model), roi, model, title=opts.title, n_boot=opts.n_boot, seed=opts.seed
    )


def run_report(ws: LogSource, opts: ReportOptions) -> Path:
    """Build the report the options describe and write it atomically to ``opts.output``.

    Raises:
        BatonError: an unknown log, a bad setup, value or setting, unreadable ROI inputs or model, an
            unknown format.
        OSError: the output folder does not exist or is not writable.
    """
    from reports.build import build_report
    from reports.render import write_report

    fmt = check_output(opts)
    content, _ = build_report(build_request(ws, opts))
    return write_report(content, opts.output, fmt)


def check_output(opts: ReportOptions) -> str:
    """The report format; raises before any work when it is unknown or the output folder is missing."""
    fmt = report_format(opts.fmt, opts.output)
    if not opts.output.parent.is_dir():
        raise FileNotFoundError(
            f"{opts.output.parent}: no such folder for --output {opts.output.name}; create it first"
        )
    return fmt


def run_spark_report(config: Path, opts: ReportOptions) -> Path:
    """`run_report` on the logs of a Spark config file (``--spark-config``); the session is stopped after.

    Raises:
        BatonError: as `run_report`, or the config is invalid, Spark cannot start, a table cannot be read.
    """
    from baton.engine.spark_config import open_spark_config

    check_output(opts)  # before Spark starts and reads the tables
    sw = open_spark_config(config)
    try:
        return run_report(sw, opts)
    finally:
        sw.stop()
