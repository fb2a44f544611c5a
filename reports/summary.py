"""The report's plain-language texts: the executive summary and the assumptions a reader needs to trust it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from analytics.bottlenecks import format_duration
from reports.formatting import format_did_effect, format_did_interval, format_money, format_months

if TYPE_CHECKING:
    from analytics.before_after import BeforeAfter, KpiComparison
    from analytics.kpi_catalogue import KpiSettings
    from analytics.roi import RoiEstimate
    from analytics.stats import DiffInDiff
    from baton.models.types import TargetModel

MAX_IMPROVEMENTS = 3
MAX_DID = 2
_WARNING_CHARS = 220
_CYCLE = "cycle_time_"


def executive_summary(result: BeforeAfter, roi: RoiEstimate | None) -> tuple[str, ...]:
    """Three to six short sentences: the biggest detected improvements, what worsened, the control, NPV, a caveat.

    Improvements are ranked by effect size (Cliff's delta or Cohen's h, largest first; ties in catalogue
    order), with one cycle-time KPI at most; each is quoted as its verdict with the interval. With a control
    group, one sentence quotes the detected differences-in-differences (catalogue order, the same limits).
    """
    improved = _ranked(result, improved=True)
    worsened = _ranked(result, improved=False)
    lines = []
    if improved:
        lines.append("Biggest detected improvements: " + "; ".join(_clause(r) for r in improved) + ".")
    else:
        lines.append("No KPI improved detectably between before and after.")
    if worsened:
        lines.append("Worsened: " + "; ".join(_clause(r) for r in worsened) + ".")
    else:
        lines.append("No KPI got detectably worse.")
    control = _control_sentence(result)
    if control:
        lines.append(control)
    if roi is not None:
        lines.append(_roi_sentence(roi))
    if result.warnings:
        lines.append("Main caveat: " + _main_warning(result.warnings) + ".")
    return tuple(lines)


def _ranked(result: BeforeAfter, *, improved: bool) -> list[KpiComparison]:
    rows = [r for r in result.rows() if r.comparison is not None and r.comparison.improved is improved]
    order = {r.key: i for i, r in enumerate(result.rows())}
    rows.sort(key=lambda r: (-abs(r.comparison.effect_size) if r.comparison else 0.0, order[r.key]))
    out: list[KpiComparison] = []
    for r in rows:
        if r.key.startswith(_CYCLE) and any(o.key.startswith(_CYCLE) for o in out):
            continue
        out.append(r)
    return out[:MAX_IMPROVEMENTS]


def _clause(row: KpiComparison) -> str:
    """The verdict's change and interval only: ``cycle time (median) fell 89% (95% CI 89-90%)``."""
    text = row.verdict.rsplit(": ", 1)[0].rsplit(" from ", 1)[0]
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _control_sentence(result: BeforeAfter) -> str | None:
    """The detected differences against the control group, e.g. ``cycle time (median) fell 30 points more``."""
    rows = [r for r in result.rows() if r.did_verdict is not None]
    if not rows:
        return None
    out: list[KpiComparison] = []
    for r in rows:
        if r.did is None or not r.did.detected:
            continue
        if not (r.key.startswith(_CYCLE) and any(o.key.startswith(_CYCLE) for o in out)):
            out.append(r)
    if not out:
        return "Against the control group, no KPI changed detectably more or less than in the control group."
    clauses = [_did_clause(r, r.did) for r in out[:MAX_DID] if r.did is not None]
    return "Against the control group: " + "; ".join(clauses) + "."


def _did_clause(row: KpiComparison, d: DiffInDiff) -> str:
    """``cycle time (median) fell 30 points more (95% CI -36 to -24 points), an improvement``."""
    name = row.name if row.name[1:2].isupper() else row.name[:1].lower() + row.name[1:]
    moved = "fell" if d.effect < 0 else "rose"
    judged = "an improvement" if (d.effect < 0) == (row.better == "lower") else "a deterioration"
    amount = format_did_effect(d, row.unit).removeprefix("-")
    interval = f"{d.confidence * 100:g}% CI {format_did_interval(d, row.unit)}"
    return f"{name} {moved} {amount} more ({interval}), {judged}"


def _roi_sentence(roi: RoiEstimate) -> str:
    cur = roi.inputs.currency
    low, mid = roi.conservative, roi.expected
    years = roi.inputs.horizon_years
    payback = format_months(low.payback_months)
    pays = f"paying back in {payback}" if low.payback_months is not None else f"not paying back ({payback})"
    return (
        f"Conservative business case: NPV {format_money(low.npv, cur)} over {years} year"
        f"{'s' if years != 1 else ''}, {pays}; expected NPV {format_money(mid.npv, cur)}, payback "
        f"{format_months(mid.payback_months)}."
    )


def _main_warning(warnings: tuple[str, ...]) -> str:
    """The warning that most changes how to read the result: a case-mix shift first, else the first one."""
    mix = [w for w in warnings if w.startswith("the case mix changed")]
    text = (mix or list(warnings))[0]
    if len(text) > _WARNING_CHARS and "; " in text:
        text = text.split("; ", 1)[0]
    return text.rstrip(".")


def assumptions(
    settings: KpiSettings, result: BeforeAfter, model: TargetModel | None, roi_notes: tuple[str, ...]
) -> tuple[str, ...]:
    """What the numbers rest on: the setup, settings, what counts as complete, statistics, ROI input origins."""
    out = [f"Setup: {result.setup_description}."]
    if settings.end_activities:
        out.append(
            "A case counts as complete when its last activity is one of: " + ", ".join(settings.end_activities)
            + "; only complete cases enter the per-case KPIs, running cases are counted and reported."
        )  # fmt: skip
    else:
        out.append("Completeness unknown: no end activities given, so every case counts as complete.")
    out.append(
        "Error activities: " + (", ".join(settings.error_activities) or "none marked (no error rate)") + "."
    )
    systems = [
        *settings.system_resources,
        *([f"{settings.system_resource_prefix}*"] if settings.system_resource_prefix else []),
    ]
    out.append(
        "System resources (automation): " + (", ".join(systems) or "none marked (no automation rate)") + "."
    )
    out.append(_sla_text(settings, model))
    out.append(
        f"Cost per case from: {_cost_text(settings)}; throughput and work in progress per {settings.period}."
    )
    out.append(
        f"Intervals are {result.confidence:.0%} percentile bootstrap intervals from {result.n_boot:,} resamples "
        f"per side with seed {result.seed}; the same inputs and seed give the same numbers in every format."
    )
    out += list(result.notes)
    out += [f"ROI input: {n}." for n in roi_notes]
    return tuple(out)


def _sla_text(settings: KpiSettings, model: TargetModel | None) -> str:
    if settings.sla_threshold is not None:
        return (
            f"SLA: cycle time within {format_duration(settings.sla_threshold / timedelta(microseconds=1))}."
        )
    if settings.sla_timers:
        source = f" of target model {model.name!r}" if model is not None else ""
        timers = ", ".join(
            f"{t.task} within {format_duration(t.duration / timedelta(microseconds=1))}"
            for t in settings.sla_timers
        )
        return f"SLA: the timers{source} ({timers})."
    return "SLA: none set, so SLA compliance is not compared."


def _cost_text(settings: KpiSettings) -> str:
    if settings.hourly_rates:
        return "processing time times the hourly rate of each step's resource role"
    if settings.cost_attribute:
        return f"the attribute {settings.cost_attribute!r} summed per case (when the logs have it)"
    return "nothing (no cost attribute or hourly rates)"


__all__ = ["assumptions", "executive_summary"]
