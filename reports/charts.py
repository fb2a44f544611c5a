"""The Vega-Lite chart specs every report format draws (KPI changes, scenarios, cash flow, tornado).

HTML, PDF and Excel all take their numbers from here and from `reports.formatting` / `reports.tables`, so
one figure reads the same in every format (``format_money(roi.expected.npv)`` is the NPV wherever it is
printed). The formatting functions and tables are re-exported here for the callers that import them from
this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from analytics.roi import RoiEstimate
from reports.content import ReportContent
from reports.formatting import (
    format_change,
    format_interval,
    format_kpi_value,
    format_money,
    format_months,
    format_number,
    format_share,
)
from reports.tables import (
    Table,
    cash_flow_table,
    kpi_table,
    outcome,
    provenance_table,
    scenario_table,
    tornado_table,
    trace_table,
    trace_value,
)

__all__ = [
    "OUTCOME_COLORS",
    "SCENARIO_COLORS",
    "WIDTH",
    "ChartSpec",
    "Table",
    "cash_flow_chart",
    "cash_flow_table",
    "chart_specs",
    "format_change",
    "format_interval",
    "format_kpi_value",
    "format_money",
    "format_months",
    "format_number",
    "format_share",
    "kpi_chart",
    "kpi_table",
    "outcome",
    "provenance_table",
    "scenario_chart",
    "scenario_table",
    "tornado_chart",
    "tornado_table",
    "trace_table",
    "trace_value",
]

WIDTH = 460
OUTCOME_COLORS = {"improved": "#15803d", "worsened": "#b91c1c", "no detectable change": "#64748b"}
SCENARIO_COLORS = {"conservative": "#b45309", "expected": "#1d4ed8", "optimistic": "#15803d"}


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart: a stable key (the HTML element id), its caption and its Vega-Lite spec."""

    key: str
    title: str
    spec: dict[str, Any]


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
