"""Cached before/after comparisons, maps, ROI estimates and reports, keyed by JSON setup, settings and inputs.

A *setup* is named by JSON: ``{"kind": "two_logs", "before": REF, "after": REF}``,
``{"kind": "cutover", "log": REF, "cutover": ISO, "spanning": "exclude"}`` or
``{"kind": "segments", "log": REF, "attribute": NAME, "before": [..], "after": [..]}``, each with an optional
``"control"`` of the same shape. A log reference REF is ``{"name", "imported_at", "filters"}``, so a
re-imported log or changed filters give a new key. The KPI settings are JSON too (`settings_json`) and the
ROI inputs are the YAML layout as JSON (`analytics.roi_inputs.roi_inputs_to_dict`). Everything expensive
is cached by (workspace path, setup JSON, settings JSON, ...), as in `app_pages.conformance_state`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

import analytics as an
from analytics.before_after_setup import Setup
from analytics.roi_inputs import roi_inputs_from_dict, roi_inputs_to_dict
from analytics.verdicts import format_p
from app_pages import compare_map
from app_pages import conformance_state as cs
from app_pages.state import filtered_log
from baton.log import EventLog
from baton.models.types import TargetModel
from reports.build import ReportRequest, build_report, measured_roi_inputs, side_logs
from reports.charts import format_change, format_interval, format_kpi_value
from reports.content import ReportContent
from reports.render import render_bytes

N_BOOT = 2000
SEED = 0
FORMATS = {"html": "text/html", "pdf": "application/pdf", "xlsx": "application/vnd.ms-excel"}
_NO_KEYS = ("", "", "")  # a model file does not depend on the log


def log_ref(name: str, imported_at: str, filters_json: str = "") -> dict[str, str]:
    """A log reference of a setup: the log's name, import time (cache key) and filter spec JSON."""
    return {"name": name, "imported_at": imported_at, "filters": filters_json}


def _log(path: str, ref: dict[str, str]) -> EventLog:
    return filtered_log(path, ref["name"], ref["filters"])


def build_setup(path: str, spec: dict[str, Any]) -> Setup:
    """The analytics setup a setup JSON (parsed) describes, with its control.

    Raises:
        FilterError: the cutover lies outside the log, the segments are equal, an attribute is unknown, ...
    """
    control = build_setup(path, spec["control"]) if spec.get("control") else None
    if spec["kind"] == "two_logs":
        return an.TwoLogsSetup(_log(path, spec["before"]), _log(path, spec["after"]), control)
    log = _log(path, spec["log"])
    if spec["kind"] == "cutover":
        cutover = datetime.fromisoformat(spec["cutover"])
        return an.CutoverSetup(log, cutover, spec.get("spanning", "exclude"), control)
    before, after = tuple(spec["before"]), tuple(spec["after"])
    return an.SegmentsSetup.by_attribute(log, spec["attribute"], before, after, control=control)


def settings_json(
    *,
    end_activities: list[str],
    error_activities: list[str],
    system_resources: list[str],
    system_prefix: str,
    sla_hours: float,
    sla_model: str,
    cost_attribute: str,
    hourly_rates: dict[str, float],
    resource_roles: dict[str, str],
    period: str,
) -> str:
    """The KPI settings as a cache key; "" / 0 / {} mean "not given", ``sla_model`` is a model key."""
    return json.dumps(
        {
            "end_activities": sorted(end_activities),
            "error_activities": sorted(error_activities),
            "system_resources": sorted(system_resources),
            "system_prefix": system_prefix,
            "sla_hours": sla_hours,
            "sla_model": sla_model,
            "cost_attribute": cost_attribute,
            "hourly_rates": hourly_rates,
            "resource_roles": resource_roles,
            "period": period,
        },
        sort_keys=True,
    )


def sla_model(settings: str) -> TargetModel | None:
    """The target model whose SLA timers the settings use (cached by file hash), None without one."""
    key = json.loads(settings)["sla_model"]
    return cs.target_model(_NO_KEYS, "", key) if key else None


def build_settings(settings: str) -> an.KpiSettings:
    """`analytics.KpiSettings` from `settings_json` text.

    Raises:
        ValueError: a setting is invalid (the message names it).
        BatonError: the SLA model file cannot be read.
    """
    d = json.loads(settings)
    model = sla_model(settings)
    rates = d["hourly_rates"] if d["resource_roles"] else {}
    return an.KpiSettings(
        end_activities=tuple(d["end_activities"]),
        error_activities=tuple(d["error_activities"]),
        system_resources=tuple(d["system_resources"]),
        system_resource_prefix=d["system_prefix"] or None,
        sla_threshold=timedelta(hours=d["sla_hours"]) if d["sla_hours"] and model is None else None,
        sla_timers=model.timers if model is not None else (),
        cost_attribute=d["cost_attribute"] or None,
        hourly_rates=rates,
        resource_roles=d["resource_roles"] if rates else {},
        period=d["period"],
    )


@st.cache_data(show_spinner="Comparing before and after (bootstrap intervals)...", max_entries=32)
def comparison(
    path: str, setup_json: str, settings: str, n_boot: int = N_BOOT, seed: int = SEED
) -> an.BeforeAfter:
    """`analytics.compare_before_after` of the setup with the settings (cached)."""
    setup = build_setup(path, json.loads(setup_json))
    return an.compare_before_after(setup, build_settings(settings), n_boot=n_boot, seed=seed)


@st.cache_data(show_spinner="Drawing the before and after maps...", max_entries=32)
def maps(path: str, setup_json: str) -> tuple[str, str]:
    """The before and after maps as SVG on one shared layout, coloured by the change (cached)."""
    logs = side_logs(build_setup(path, json.loads(setup_json)))
    before, after = (an.get_edge_measures(log) for log in logs)
    layout = compare_map.union_layout(before, after)
    return (
        compare_map.compare_svg(before, after, layout, "before", title="Before"),
        compare_map.compare_svg(before, after, layout, "after", title="After"),
    )


def roi_json(inputs: an.RoiInputs) -> str:
    """ROI inputs as a cache key (the YAML layout as JSON)."""
    return json.dumps(roi_inputs_to_dict(inputs), sort_keys=True)


def roi_inputs(text: str) -> an.RoiInputs:
    """ROI inputs from `roi_json` text (validated again)."""
    return roi_inputs_from_dict(json.loads(text))


@st.cache_data(show_spinner="Estimating the ROI...", max_entries=64)
def roi_estimate(
    path: str, setup_json: str, settings: str, roi: str, n_boot: int = N_BOOT, seed: int = SEED
) -> tuple[an.RoiEstimate, tuple[str, ...]]:
    """`analytics.estimate_roi` of the inputs with the deltas the comparison measured (as the report does),
    and the note on each input's origin."""
    result = comparison(path, setup_json, settings, n_boot, seed)
    inputs, notes = measured_roi_inputs(roi_inputs(roi), result)
    return an.estimate_roi(inputs), notes


@st.cache_data(show_spinner="Building the report (comparison, ROI, maps)...", max_entries=16)
def report(
    path: str, setup_json: str, settings: str, roi: str, n_boot: int = N_BOOT, seed: int = SEED
) -> tuple[ReportContent, an.BeforeAfter]:
    """`reports.build.build_report` of the setup, settings and ROI inputs ("" for none), cached."""
    request = ReportRequest(
        setup=build_setup(path, json.loads(setup_json)),
        settings=build_settings(settings),
        roi_inputs=roi_inputs(roi) if roi else None,
        model=sla_model(settings),
        title="Before and after",
        n_boot=n_boot,
        seed=seed,
    )
    return build_report(request)


@st.cache_data(show_spinner="Rendering the report...", max_entries=16)
def report_bytes(
    path: str, setup_json: str, settings: str, roi: str, fmt: str, n_boot: int = N_BOOT, seed: int = SEED
) -> bytes:
    """The report in ``fmt`` (html, pdf or xlsx) as bytes, cached."""
    content, _ = report(path, setup_json, settings, roi, n_boot, seed)
    return render_bytes(content, fmt)


# ---- tables as the page shows them ---------------------------------------------------------------------


def kpi_frame(result: an.BeforeAfter) -> pd.DataFrame:
    """One row per KPI as the page shows it: before, after, change, CI, p-value, verdict (human units)."""
    rows: list[tuple[str, str, str, str, str, float | None, str, str]] = []
    for k in result.kpis:
        c = k.comparison
        if c is None:
            rows.append((k.name, "-", "-", "-", "-", None, k.verdict, k.definition))
            continue
        rows.append(
            (
                k.name,
                format_kpi_value(c.before, k.unit),
                format_kpi_value(c.after, k.unit),
                format_change(c, k.unit),
                format_interval(c, k.unit),
                float(c.p_value),
                k.verdict,
                k.definition,
            )
        )
    cols = [
        "KPI",
        "before",
        "after",
        "change",
        f"{result.confidence:.0%} CI",
        "p-value",
        "verdict",
        "definition",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    if any(k.did_verdict for k in result.kpis):  # a control pair: the difference-in-differences verdicts
        frame.insert(7, "difference-in-differences", [k.did_verdict or "-" for k in result.kpis])
        frame.insert(8, "DiD p-value", [format_p(k.did.p_value) if k.did else "-" for k in result.kpis])
    return frame


def change_frame(result: an.BeforeAfter) -> pd.DataFrame:
    """Each compared KPI's change on its verdict scale (% or points) with the interval, for the chart."""
    rows = []
    for k in result.kpis:
        c = k.comparison
        if c is None:
            continue
        pct = c.scale == "relative"
        unit = "%" if pct or k.unit == "share" else k.unit
        lo, hi = c.ci
        rows.append((k.name, 100 * c.estimate, 100 * lo, 100 * hi, "%" if pct else "points", k.better, unit))
    cols = ["KPI", "change", "ci_low", "ci_high", "scale", "better", "unit"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame[(frame["scale"] == "%") | (frame["unit"] == "%")].drop(columns="unit")


def sides_frame(result: an.BeforeAfter) -> pd.DataFrame:
    """Which cases each side contributed (log, window, cases, complete, running, spanning)."""
    return pd.DataFrame(
        [
            (s.role, s.label, s.window_start, s.window_end, s.cases, s.complete, s.running, s.spanning)
            for s in result.sides
        ],
        columns=["side", "what", "from", "to", "cases", "complete", "running", "spanning"],
    )
