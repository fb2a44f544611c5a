"""The tables every report format shows (KPIs, DiD, scenarios, cash flow, tornado, trace, provenance), cells formatted."""

from __future__ import annotations

from analytics.roi import RoiEstimate, TraceRow
from analytics.verdicts import format_p
from reports.content import KpiRow, ReportContent
from reports.formatting import (
    format_change,
    format_did_change,
    format_did_effect,
    format_did_interval,
    format_interval,
    format_kpi_value,
    format_money,
    format_months,
    format_number,
    format_share,
)

Table = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]
"""A table as (header cells, body rows), every cell already formatted."""

DID_TITLE = "Difference-in-differences (vs control)"
DID_NOTE = (
    "Difference-in-differences compares the change in the changed group with the change in a control group "
    "that was not changed over the same time, so outside shifts that hit both (season, volume, staffing) "
    "cancel out and what remains is the effect of the change itself. Relative KPIs differ by percentage "
    "points of change (-40% against -10% is -30 points); a difference is called only when its interval "
    "excludes zero."
)


def outcome(row: KpiRow) -> str:
    """``improved``, ``worsened`` or ``no detectable change`` (also when the KPI is unavailable)."""
    c = row.comparison
    if c is None or c.n_before == 0 or c.n_after == 0 or not c.detected():
        return "no detectable change"
    return "improved" if (c.change < 0) == (row.better == "lower") else "worsened"


def kpi_table(content: ReportContent) -> Table:
    """One row per KPI: name, before, after, change, interval, p-value, verdict."""
    head = ("KPI", "Before", "After", "Change", f"{_level(content)} CI", "p-value", "Verdict")
    rows = []
    for k in content.kpis:
        c = k.comparison
        if c is None:
            rows.append(
                (k.name, "-", "-", "-", "-", "-", k.verdict or (k.unavailable_reason or "not available"))
            )
            continue
        before, after = format_kpi_value(c.before, k.unit), format_kpi_value(c.after, k.unit)
        change, ci = format_change(c, k.unit), format_interval(c, k.unit)
        rows.append((k.name, before, after, change, ci, format_p(c.p_value), k.verdict))
    return head, tuple(rows)


def has_control(content: ReportContent) -> bool:
    """True when the report compares against a control group (then it shows the DiD table)."""
    return any(k.did_verdict is not None for k in content.kpis) or any(
        s.role.startswith("control") for s in content.sources
    )


def did_outcome(row: KpiRow) -> str:
    """``improved``, ``worsened`` or ``no detectable difference`` against the control group."""
    d = row.did
    if d is None or not d.detected:
        return "no detectable difference"
    return "improved" if (d.effect < 0) == (row.better == "lower") else "worsened"


def did_table(content: ReportContent) -> Table:
    """One row per KPI with a DiD verdict: name, each group's change, the difference, its interval, verdict."""
    levels = {d.confidence for k in content.kpis if (d := k.did) is not None}
    level = f"{levels.pop() * 100:g}% CI" if len(levels) == 1 else "Confidence interval"
    head = ("KPI", "Changed group", "Control group", "Difference", level, "p-value", "Verdict")
    rows = []
    for k in content.kpis:
        d = k.did
        if k.did_verdict is None:
            continue
        if d is None:
            rows.append((k.name, "-", "-", "-", "-", "-", k.did_verdict))
            continue
        changes = (
            format_did_change(d.treated_change, d, k.unit),
            format_did_change(d.control_change, d, k.unit),
        )
        effect, ci = format_did_effect(d, k.unit), format_did_interval(d, k.unit)
        rows.append((k.name, *changes, effect, ci, format_p(d.p_value), k.did_verdict))
    return head, tuple(rows)


def _level(content: ReportContent) -> str:
    levels = {c.confidence for k in content.kpis if (c := k.comparison) is not None}
    return f"{levels.pop() * 100:g}%" if len(levels) == 1 else "Confidence"


def scenario_table(roi: RoiEstimate) -> Table:
    """One row per scenario: saving per case, annual savings, NPV, ROI and payback."""
    cur = roi.inputs.currency
    head = ("Scenario", "Saving per case", "Annual savings", "NPV", "ROI", "Payback")
    rows = tuple(
        (
            s.name,
            f"{cur} {s.saving_per_case:,.2f}",
            format_money(s.annual_savings, cur),
            format_money(s.npv, cur),
            format_share(s.roi),
            format_months(s.payback_months),
        )
        for s in roi.scenarios
    )
    return head, rows


def cash_flow_table(roi: RoiEstimate) -> Table:
    """Cash flow and cumulative cash flow of each year, one column pair per scenario."""
    cur = roi.inputs.currency
    head = ("Year", *(f"{s.name} {part}" for s in roi.scenarios for part in ("flow", "cumulative")))
    rows = []
    for year in range(len(roi.expected.cash_flows)):
        cells = [str(year)]
        for s in roi.scenarios:
            cells += [format_money(s.cash_flows[year], cur), format_money(s.cumulative[year], cur)]
        rows.append(tuple(cells))
    return head, tuple(rows)


def tornado_table(roi: RoiEstimate) -> Table:
    """One row per input, largest NPV swing first."""
    cur = roi.inputs.currency
    head = ("Input", "Range", "Low value", "High value", "NPV at low", "NPV at high", "Swing")
    rows = tuple(
        (
            b.input,
            b.range,
            format_number(b.low_value),
            format_number(b.high_value),
            format_money(b.npv_low, cur),
            format_money(b.npv_high, cur),
            format_money(b.swing, cur),
        )
        for b in roi.tornado
    )
    return head, rows


def trace_table(roi: RoiEstimate) -> Table:
    """Every input and output figure with its formula, value and the input values it used."""
    head = ("Figure", "Formula", "Value", "Inputs used")
    return head, tuple((r.figure, r.formula, trace_value(r), _used(r)) for r in roi.trace())


def trace_value(row: TraceRow) -> str:
    """A trace value: 2 decimals (cents for money), ``-`` when undefined."""
    return "-" if row.value is None else f"{row.value:,.2f}"


def _used(row: TraceRow) -> str:
    return "; ".join(f"{name} = {format_number(value)}" for name, value in row.inputs)


def provenance_table(content: ReportContent) -> Table:
    """One row per compared period: log, source, checksum, filters, date range and cases."""
    head = ("Role", "Log", "Source", "Checksum", "Filters", "From", "To", "Cases")
    rows = tuple(
        (s.role, s.log, s.source, s.checksum, s.filters, s.first_timestamp, s.last_timestamp, f"{s.cases:,}")
        for s in content.sources
    )
    return head, rows
