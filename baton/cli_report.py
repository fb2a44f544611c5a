"""What `baton report` does: build the before/after setup and settings from options, assemble, write the file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from baton.errors import FilterError, UnsupportedFormatError

if TYPE_CHECKING:
    from analytics.before_after_setup import Setup
    from analytics.kpi_catalogue import KpiSettings
    from analytics.roi_inputs import RoiInputs
    from baton.api import Workspace
    from baton.models.types import TargetModel

FORMATS = ("html", "pdf", "xlsx")


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


def build_setup(ws: Workspace, opts: ReportOptions) -> Setup:
    """Two logs (``--before`` + ``--after``) or one log split at a cutover (``--log`` + ``--cutover``)."""
    from analytics.before_after_setup import CutoverSetup, TwoLogsSetup

    two = opts.before is not None or opts.after is not None
    split = opts.log is not None or opts.cutover is not None
    if two and not split and opts.before and opts.after:
        return TwoLogsSetup(ws.log(opts.before), ws.log(opts.after))
    if split and not two and opts.log and opts.cutover:
        return CutoverSetup(ws.log(opts.log), parse_cutover(opts.cutover))
    raise FilterError(
        "choose what to compare: --before LOG --after LOG (two logs), or --log LOG --cutover "
        "2025-07-01T00:00Z (one log split at a date); not a mix of both"
    )


def build_settings(opts: ReportOptions, model: TargetModel | None) -> KpiSettings:
    """KPI settings from the options; a target model's SLA timers measure SLA compliance."""
    from analytics.kpi_catalogue import KpiSettings

    return KpiSettings(
        end_activities=names(opts.end_activities),
        error_activities=names(opts.error_activities),
        system_resource_prefix=opts.system_prefix or None,
        sla_timers=model.timers if model is not None else (),
    )


def read_roi(path: Path) -> RoiInputs:
    """ROI inputs from YAML; ``annual_volume: measured`` is filled from the after side when the report is built."""
    from analytics.roi_inputs import load_roi_inputs

    return load_roi_inputs(path, measured_volume=0.0)


def run_report(ws: Workspace, opts: ReportOptions) -> Path:
    """Build the report the options describe and write it atomically to ``opts.output``.

    Raises:
        BatonError: an unknown log, a bad cutover, unreadable ROI inputs or model, an unknown format.
        OSError: the output folder does not exist or is not writable.
    """
    from baton.cli_conformance import read_model_or_fail
    from reports.build import ReportRequest, build_report
    from reports.render import write_report

    fmt = report_format(opts.fmt, opts.output)
    if not opts.output.parent.is_dir():
        raise FileNotFoundError(
            f"{opts.output.parent}: no such folder for --output {opts.output.name}; create it first"
        )
    model = read_model_or_fail(opts.model) if opts.model is not None else None
    roi = read_roi(opts.roi) if opts.roi is not None else None
    setup = build_setup(ws, opts)
    request = ReportRequest(
        setup, build_settings(opts, model), roi, model, title=opts.title, n_boot=opts.n_boot, seed=opts.seed
    )
    content, _ = build_report(request)
    return write_report(content, opts.output, fmt)
