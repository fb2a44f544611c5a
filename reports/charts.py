"""What every report format shows: figures formatted for people, the shared tables and the Vega-Lite chart specs.

HTML, PDF and Excel all take their numbers from here, so one figure reads the same in every format
(``format_money(roi.expected.npv)`` is the NPV wherever it is printed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from analytics.bottlenecks import format_duration
from analytics.roi import RoiEstimate, TraceRow
from analytics.stats import Comparison
from analytics.verdicts import format_p, format_value
from reports.content import KpiRow, ReportContent

Table = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]
"""A table as (header cells, body rows), every cell already formatted."""
WIDTH = 460
OUTCOME_COLORS = {"improved": "#15803d", "worsened": "#b91c1c", "no detectable change": "#64748b"}
SCENARIO_COLORS = {"conservative": "#b45309", "expected": "#1d4ed8", "optimistic": "#15803d"}


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart: a stable key (the HTML element id), its caption and its Vega-Lite spec."""

    key: str
    title: str
    spec: dict[str, Any]


def format_money(value: float | None, currency: str = "EUR") -> str:
    """An amount to the whole unit: ``EUR 1,234,567``, ``EUR -420,000``; ``-`` when unknown."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{currency} {round(value):,}"


def format_months(months: float | None) -> str:
    """A payback period: ``31.4 months``, or ``not within the horizon`` when it is never reached."""
    if months is None or not math.isfinite(months):
        return "not within the horizon"
    return f"{months:.1f} months"


def format_share(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.123`` -> ``12.3%``."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value * 100:.{decimals}f}%"


def format_kpi_value(value: float, unit: str, currency: str = "EUR") -> str:
    """A KPI value in its unit (durations in microseconds as days/hours, shares as %, money as EUR)."""
    if not math.isfinite(value):
        return "-"
    if unit == "duration":
        return format_duration(value)
    if unit == "share":
        return format_share(value)
    if unit == "money":
        return format_money(value, currency)
    return format_value(value)


def format_change(c: Comparison, unit: str) -> str:
    """The change on the verdict's scale: ``-58.1%``, ``-4.0 points`` for shares, else in the KPI's unit."""
    return _signed(c.estimate, c, unit)


def format_interval(c: Comparison, unit: str) -> str:
    """The confidence interval on the verdict's scale: ``-62.0% to -54.0%``."""
    lo, hi = c.ci
    return f"{_signed(lo, c, unit)} to {_signed(hi, c, unit)}"


def _signed(value: float, c: Comparison, unit: str) -> str:
    if not math.isfinite(value):
        return "unbounded"
    if c.scale == "relative":
        return f"{value * 100:+.1f}%"
    if c.statistic == "share":
        return f"{value * 100:+.1f} points"
    sign = "-" if value < 0 else "+"
    return sign + format_kpi_value(abs(value), unit)


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


def format_number(value: float) -> str:
    """A plain input value: ``12,000``, ``-80.64``, ``0.08`` (up to 6 significant digits)."""
    return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:,.6g}"


def provenance_table(content: ReportContent) -> Table:
    """One row per compared period: log, source, checksum, filters, date range and cases."""
    head = ("Role", "Log", "Source", "Checksum", "Filters", "From", "To", "Cases")
    rows = tuple(
        (s.role, s.log, s.source, s.checksum, s.filters, s.first_timestamp, s.last_timestamp, f"{s.cases:,}")
        for s in content.sources
    )
    return head, rows


def chart_specs(content: ReportContent) -> tuple[ChartSpec, ...]:
    """Every chart of the report (KPI changes, then the ROI charts when there is a business case)."""
    charts = []
    kpi = kpi_chart(content)
    if kpi is not None:
        charts.append(ChartSpec("chart-kpis", "KPI changes with their confidence intervals", kpi))
    if content.roi is not None:
        roi = content.roi
        charts += [
            ChartSpec("chart-scenarios", "Annual savings and NPV per scenario", scenario_chart(roi)),
            ChartSpec("chart-cash-flow", "Cumulative cash flow and payback", cash_flow_chart(roi)),
            ChartSpec("chart-tornado", "Sensitivity of the expected NPV (tornado)", tornado_chart(roi)),
        ]
    return tuple(charts)


def _base(title: str, height: int) -> dict[str, Any]:
    return {"title": title, "width": WIDTH, "height": height, "config": {"font": "sans-serif"}}


def kpi_chart(content: ReportContent) -> dict[str, Any] | None:
    """Each KPI's change (relative %, or points for shares) as a point with its interval; None without any."""
    values = []
    for k in content.kpis:
        c = k.comparison
        if c is None or not (c.scale == "relative" or c.statistic == "share"):
            continue
        lo, hi = c.ci
        if not all(math.isfinite(v) for v in (c.estimate, lo, hi)):
            continue
        values.append(
            {"kpi": k.name, "change": c.estimate * 100, "lo": lo * 100, "hi": hi * 100}
            | {"outcome": outcome(k), "label": format_change(c, k.unit), "ci": format_interval(c, k.unit)}
        )
    if not values:
        return None
    y = {"field": "kpi", "type": "nominal", "title": None, "sort": None}
    color: dict[str, Any] = {"field": "outcome", "type": "nominal", "title": "Verdict"}
    color["scale"] = {"domain": list(OUTCOME_COLORS), "range": list(OUTCOME_COLORS.values())}
    tooltip = [{"field": "kpi", "title": "KPI"}, {"field": "label", "title": "Change"}]
    tooltip += [{"field": "ci", "title": "Interval"}, {"field": "outcome", "title": "Verdict"}]
    x_title = "Change after vs before (%; percentage points for shares)"
    return _base("KPI changes (points) with confidence intervals (bars)", 28 * len(values)) | {
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "rule", "color": "#94a3b8"}, "encoding": {"x": {"datum": 0}}},
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {"y": y, "x": {"field": "lo", "type": "quantitative", "title": x_title}}
                | {"x2": {"field": "hi"}, "color": color, "tooltip": tooltip},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {"y": y, "x": {"field": "change", "type": "quantitative"}}
                | {"color": color, "tooltip": tooltip},
            },
        ],
    }


def scenario_chart(roi: RoiEstimate) -> dict[str, Any]:
    """Grouped bars: annual savings and NPV of the conservative, expected and optimistic scenarios."""
    cur = roi.inputs.currency
    values = [
        {"scenario": s.name, "measure": measure, "value": amount, "label": format_money(amount, cur)}
        for s in roi.scenarios
        for measure, amount in (("Annual savings", s.annual_savings), ("NPV", s.npv))
    ]
    tooltip = [{"field": "scenario"}, {"field": "measure"}, {"field": "label", "title": "Amount"}]
    return _base("Annual savings and NPV per scenario", 220) | {
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "scenario",
                "type": "nominal",
                "sort": None,
                "title": None,
                "axis": {"labelAngle": 0},
            },
            "xOffset": {"field": "measure"},
            "y": {"field": "value", "type": "quantitative", "title": cur, "axis": {"format": ",.0f"}},
            "color": {"field": "measure", "type": "nominal", "title": None},
            "tooltip": tooltip,
        },
    }


def cash_flow_chart(roi: RoiEstimate) -> dict[str, Any]:
    """Cumulative undiscounted cash flow per scenario by year, with each scenario's payback point."""
    cur = roi.inputs.currency
    flows = [
        {"scenario": s.name, "year": year, "cumulative": value, "label": format_money(value, cur)}
        for s in roi.scenarios
        for year, value in enumerate(s.cumulative)
    ]
    paybacks = [
        {"scenario": s.name, "year": s.payback_months / 12, "cumulative": 0.0}
        | {"label": f"payback {format_months(s.payback_months)}"}
        for s in roi.scenarios
        if s.payback_months is not None
    ]
    color: dict[str, Any] = {"field": "scenario", "type": "nominal", "title": "Scenario"}
    color["sort"] = list(SCENARIO_COLORS)
    color["scale"] = {"domain": list(SCENARIO_COLORS), "range": list(SCENARIO_COLORS.values())}
    x = {"field": "year", "type": "quantitative", "title": "Year", "axis": {"tickMinStep": 1}}
    y: dict[str, Any] = {
        "field": "cumulative",
        "type": "quantitative",
        "title": f"Cumulative cash flow ({cur})",
    }
    y["axis"] = {"format": ",.0f"}
    tooltip = [
        {"field": "scenario"},
        {"field": "year", "format": ".1f"},
        {"field": "label", "title": "Amount"},
    ]
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "rule", "color": "#94a3b8"}, "encoding": {"y": {"datum": 0}}},
        {
            "data": {"values": flows},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": x, "y": y, "color": color, "tooltip": tooltip},
        },
    ]
    if paybacks:
        layers.append(
            {
                "data": {"values": paybacks},
                "mark": {"type": "point", "shape": "diamond", "size": 140, "filled": True},
                "encoding": {"x": x, "y": y, "color": color, "tooltip": tooltip},
            }
        )
    return _base("Cumulative cash flow; diamonds mark the payback point", 240) | {"layer": layers}


def tornado_chart(roi: RoiEstimate) -> dict[str, Any]:
    """The expected NPV with each input at the low and the high end of its range, largest swing on top."""
    cur, base = roi.inputs.currency, roi.expected.npv
    values = [
        {"input": b.input, "end": end, "base": base, "npv": npv, "label": format_money(npv, cur)}
        | {"value": format_number(value)}
        for b in roi.tornado
        for end, value, npv in (
            ("input at low end", b.low_value, b.npv_low),
            ("input at high end", b.high_value, b.npv_high),
        )
    ]
    order = [b.input for b in roi.tornado]
    tooltip = [{"field": "input"}, {"field": "end"}, {"field": "value", "title": "Input value"}]
    tooltip.append({"field": "label", "title": "Expected NPV"})
    return _base(f"Expected NPV ({format_money(base, cur)}) when one input moves", 22 * len(order)) | {
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "bar", "opacity": 0.85},
                "encoding": {
                    "y": {"field": "input", "type": "nominal", "sort": order, "title": None},
                    "x": {"field": "base", "type": "quantitative", "title": f"Expected NPV ({cur})"}
                    | {"axis": {"format": ",.0f"}, "scale": {"zero": False}},
                    "x2": {"field": "npv"},
                    "color": {"field": "end", "type": "nominal", "title": None},
                    "tooltip": tooltip,
                },
            },
            {"mark": {"type": "rule", "color": "#0f172a"}, "encoding": {"x": {"datum": base}}},
        ],
    }
