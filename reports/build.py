"""Assemble a before/after + ROI report: compare, feed the measured deltas into the ROI, draw maps, cite sources."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from analytics.before_after import compare_before_after
from analytics.before_after_setup import CutoverSetup, SegmentsSetup, TwoLogsSetup
from analytics.kpi_catalogue import KpiSettings
from analytics.map_measures import get_edge_measures
from analytics.roi import estimate_roi
from analytics.roi_inputs import KpiDelta, RateSaving, RoiInputs
from baton.filters import TimeFrame
from reports.content import KpiRow, ReportContent, SourceInfo
from reports.summary import assumptions, executive_summary

if TYPE_CHECKING:
    from analytics.before_after import BeforeAfter, KpiComparison, SideSummary
    from analytics.before_after_setup import Setup
    from analytics.roi import RoiEstimate
    from baton.log import EventLog
    from baton.models.types import TargetModel

_YEAR = timedelta(days=365.25)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """Everything that determines a before/after + ROI report (same request -> same numbers everywhere)."""

    setup: CutoverSetup | TwoLogsSetup | SegmentsSetup
    settings: KpiSettings
    roi_inputs: RoiInputs | None = None
    model: TargetModel | None = None
    title: str = "Before and after"
    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0


def build_report(request: ReportRequest) -> tuple[ReportContent, BeforeAfter]:
    """Compare before/after, price the measured changes, draw the maps and write the summary and provenance.

    The ROI inputs' error-rate and SLA-breach-rate changes are replaced by the comparison's estimate and
    confidence interval when the comparison measures them (and the inputs price them); an annual volume
    marked ``measured`` becomes the after side's cases per year. Everything else comes from the inputs as
    given; the report's assumptions list which input came from where.

    Args:
        request: the setup, KPI settings, optional ROI inputs and target model, and the bootstrap options.

    Returns:
        The report content (render it with ``reports.render.write_report``) and the comparison itself.

    Raises:
        FilterError: the setup's logs cannot be compared (see ``compare_before_after``).
        RoiInputError: a measured change does not fit the ROI model (e.g. a rate change beyond [-1, 1]).
    """
    result = compare_before_after(
        request.setup,
        request.settings,
        confidence=request.confidence,
        n_boot=request.n_boot,
        seed=request.seed,
    )
    roi: RoiEstimate | None = None
    roi_notes: tuple[str, ...] = ()
    if request.roi_inputs is not None:
        inputs, roi_notes = measured_roi_inputs(request.roi_inputs, result)
        roi = estimate_roi(inputs)
    before_svg, after_svg = _maps(request.setup)
    model_svg = None
    if request.model is not None:
        from app_pages.model_diagram import diagram_svg

        model_svg = diagram_svg(request.model)
    content = ReportContent(
        title=request.title,
        subtitle=result.setup_description,
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        baton_version=_version(),
        executive_summary=executive_summary(result, roi),
        kpis=tuple(_kpi_row(r) for r in result.rows()),
        warnings=result.warnings,
        sources=sources(request.setup, result),
        roi=roi,
        map_before_svg=before_svg,
        map_after_svg=after_svg,
        model_svg=model_svg,
        assumptions=assumptions(request.settings, result, request.model, roi_notes),
    )
    return content, result


def _version() -> str:
    from baton import __version__

    return __version__


def _kpi_row(r: KpiComparison) -> KpiRow:
    """A comparison row as the report's KPI row (the same fields, the DiD included)."""
    return KpiRow(
        r.key, r.name, r.definition, r.unit, r.better, r.comparison, r.verdict, r.unavailable_reason,
        r.method, r.did, r.did_verdict,
    )  # fmt: skip


# ---------------------------------------------------------------- measured ROI inputs


def measured_roi_inputs(inputs: RoiInputs, result: BeforeAfter) -> tuple[RoiInputs, tuple[str, ...]]:
    """The ROI inputs with the KPI deltas the comparison measured, and one note per input saying its origin.

    Error rate -> ``errors.rate_change``; SLA compliance -> ``sla_breaches.rate_change`` (a breach rate is
    1 - compliance, so its change and interval are the compliance's negated); ``annual_volume: measured`` ->
    the after side's cases per year. A change measured but not priced (no ``errors`` / ``sla_breaches``
    section with a cost) is noted and left out of the business case.
    """
    notes: list[str] = []
    errors = _rate_input(inputs.errors, result["error_rate"], "errors", "error rate", 1.0, notes)
    sla = _rate_input(
        inputs.sla_breaches, result["sla_compliance"], "sla_breaches", "SLA breach rate", -1.0, notes
    )
    updated = replace(inputs, errors=errors, sla_breaches=sla)
    if inputs.volume_source == "measured":
        volume, text = measured_volume(result)
        updated = replace(updated, annual_volume=volume)
        notes.append(f"annual_volume measured from the logs: {text}")
    else:
        notes.append(f"annual_volume given in the ROI inputs: {inputs.annual_volume:,.0f} cases a year")
    roles = ", ".join(r.role for r in inputs.roles)
    if roles:
        notes.append(f"minutes of work per case of each role ({roles}) given in the ROI inputs, not measured")
    notes.append(
        "investment, running costs, hourly costs, cost per error and per breach, horizon, discount rate and "
        "adoption ramp are given in the ROI inputs"
    )
    return updated, tuple(notes)


def _rate_input(
    given: RateSaving | None, row: KpiComparison, field: str, what: str, sign: float, notes: list[str]
) -> RateSaving | None:
    """``given`` with its rate change replaced by the measured one (sign -1 turns compliance into breaches)."""
    c = row.comparison
    if c is None:
        if given is not None:
            notes.append(
                f"{field}.rate_change given in the ROI inputs ({what} not measured: {row.unavailable_reason})"
            )
        return given
    low, high = sorted((sign * c.ci_change[0], sign * c.ci_change[1]))
    delta = KpiDelta.from_interval(sign * c.change, low, high)
    level = f"{c.confidence:.0%} CI"
    measured = (
        f"{delta.expected:+.4f} ({level} {low:+.4f} to {high:+.4f}; {c.n_before:,} vs {c.n_after:,} cases)"
    )
    if given is None:
        notes.append(
            f"{what} change measured ({measured}) but not priced: the ROI inputs have no {field} section"
        )
        return None
    notes.append(
        f"{field}.rate_change measured from the logs: {measured}; conservative = the CI's upper bound"
    )
    return replace(given, rate_change=delta)


def measured_volume(result: BeforeAfter) -> tuple[float, str]:
    """The after side's cases per year (all its cases, complete and running, over its window) and how."""
    side = _side(result, "after")
    years = (side.window_end - side.window_start) / _YEAR
    if years <= 0 or not math.isfinite(years):
        return float(side.cases), f"{side.cases:,} cases of the after side (its window has no length)"
    volume = side.cases / years
    text = (
        f"{side.cases:,} cases of the after side in {years * 365.25:.1f} days "
        f"({side.window_start.date().isoformat()} to {side.window_end.date().isoformat()}) = {volume:,.0f} a year"
    )
    return volume, text


def _side(result: BeforeAfter, role: str) -> SideSummary:
    return next(s for s in result.sides if s.role == role)


# ---------------------------------------------------------------- maps and sources


def side_logs(setup: Setup) -> tuple[EventLog, EventLog]:
    """Each side's cases as a (filtered) log, for the maps: a cutover splits by case start.

    With a cutover the before map shows the cases contained before it (or started before it, when
    spanning cases are kept there) and the after map the cases started on or after it.
    """
    if isinstance(setup, TwoLogsSetup):
        return setup.before, setup.after
    if isinstance(setup, SegmentsSetup):
        return setup.logs()
    first, last = _span(setup)
    kept = TimeFrame(first, setup.cutover - _TICK, "started")  # spanning cases kept in the before side
    contained = TimeFrame(first, setup.cutover - _TICK, "contained")
    before = setup.log.filter(kept if setup.spanning == "before" else contained)
    after = setup.log.filter(TimeFrame(setup.cutover, last, "started"))
    return before, after


def _span(setup: CutoverSetup) -> tuple[datetime, datetime]:
    from analytics.before_after_setup import log_span

    return log_span(setup.log)


def _maps(setup: Setup) -> tuple[str, str]:
    """The before and after maps on one shared layout, coloured by the change."""
    from app_pages.compare_map import compare_svg, union_layout

    before_log, after_log = side_logs(setup)
    before, after = get_edge_measures(before_log), get_edge_measures(after_log)
    layout = union_layout(before, after)
    return (
        compare_svg(before, after, layout, "before", title="Before"),
        compare_svg(before, after, layout, "after", title="After"),
    )


def _setup_logs(setup: Setup) -> list[EventLog]:
    logs = [setup.before, setup.after] if isinstance(setup, TwoLogsSetup) else [setup.log]
    if setup.control is not None:
        logs += _setup_logs(setup.control)
    return logs


def sources(setup: Setup, result: BeforeAfter) -> tuple[SourceInfo, ...]:
    """One SourceInfo per compared side: log, source file and sha256 from the catalog, filters, window, cases."""
    catalog = {}
    for log in _setup_logs(setup):
        info = getattr(log.workspace, "info", None)
        if info is not None and log.name not in catalog:
            catalog[log.name] = info(log.name)
    out = []
    for side in result.sides:
        entry = catalog.get(side.log)
        out.append(
            SourceInfo(
                role=side.role,
                log=side.log,
                source=entry.source if entry else "unknown",
                checksum=entry.checksum if entry else "unknown",
                filters=side.filters,
                first_timestamp=side.window_start.isoformat(),
                last_timestamp=side.window_end.isoformat(),
                cases=side.cases,
            )
        )
    return tuple(out)


__all__ = ["ReportRequest", "build_report", "measured_roi_inputs", "measured_volume", "side_logs", "sources"]
