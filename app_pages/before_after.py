"""Before/After & ROI page: compare KPIs across a cutover, two logs or two segments, then price the change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import analytics as an
from app_pages import before_after_state as bs
from app_pages import conformance_state as cs
from app_pages.filter_bar import explorer_or_stop
from app_pages.roi_inputs_form import edit_inputs
from app_pages.state import (
    Explorer,
    attribute_values,
    edge_measures,
    resource_statistics,
    spec_for,
    workspace_or_stop,
)
from baton.errors import BatonError
from baton.store.workspace import LogInfo
from reports.charts import cash_flow_table, format_money, scenario_table, tornado_table, trace_table

KINDS = {"two_logs": "Two logs", "cutover": "Cutover date", "segments": "Two segments (case attribute)"}
END_SHARE = 0.03  # default end activities: those ending at least 3% of a compared log's cases
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "HUGEINT", "DECIMAL", "SMALLINT")


def _ref(info: LogInfo) -> dict[str, str]:
    spec = spec_for(info.name)
    return bs.log_ref(info.name, info.imported_at.isoformat(), spec.to_json() if spec.filters else "")


def _setup_spec(ex: Explorer, logs: dict[str, LogInfo], p: str) -> dict[str, Any]:
    """The setup chosen with widgets whose keys start with ``p`` (JSON-able; see `before_after_state`)."""
    options = list(KINDS) if len(logs) > 1 else ["cutover", "segments"]
    kind = st.radio("Compare", options, format_func=KINDS.__getitem__, key=f"{p}kind", horizontal=True)
    if kind == "two_logs":
        return _two_logs_spec(logs, p)
    if kind == "cutover":
        return _cutover_spec(ex.info, p)
    return _segments_spec(ex, p)


def _two_logs_spec(logs: dict[str, LogInfo], p: str) -> dict[str, Any]:
    names = list(logs)
    both = {"loans_before", "loans_after"} <= set(logs)
    cols = st.columns(2)
    b = cols[0].selectbox("Before log", names, names.index("loans_before") if both else 0, key=f"{p}before")
    a = cols[1].selectbox("After log", names, names.index("loans_after") if both else 1, key=f"{p}after")
    return {"kind": "two_logs", "before": _ref(logs[b]), "after": _ref(logs[a])}


def _cutover_spec(info: LogInfo, p: str) -> dict[str, Any]:
    first, last = info.first_timestamp, info.last_timestamp
    if first is None or last is None:
        st.info(f"Log {info.name!r} has no events to split; pick another log in the sidebar.")
        st.stop()
        raise AssertionError  # unreachable: st.stop() ends the script run
    mid = first + (last - first) / 2
    label = f"Cutover date (UTC) on log {info.name!r} (the sidebar's log)"
    day = st.date_input(label, mid.date(), first.date(), last.date(), key=f"{p}cutover")
    spanning = st.radio(
        "Cases spanning the cutover",
        ["exclude", "before"],
        key=f"{p}spanning",
        horizontal=True,
        format_func={"exclude": "excluded", "before": "kept in the before side"}.get,
    )
    cutover = datetime.combine(day, time(0), tzinfo=UTC)  # type: ignore[arg-type]
    return {"kind": "cutover", "log": _ref(info), "cutover": cutover.isoformat(), "spanning": spanning}


def _segments_spec(ex: Explorer, p: str) -> dict[str, Any]:
    info = ex.info
    names = sorted(info.case_attributes)
    if not names:
        st.info(f"Log {info.name!r} has no case attributes to segment by; pick another comparison.")
        st.stop()
    attr = st.selectbox(f"Case attribute of log {info.name!r} (the sidebar's log)", names, key=f"{p}attr")
    values = [v.value for v in attribute_values(*ex.keys, attr, 200).values]
    cols = st.columns(2)
    before = cols[0].multiselect("Before: cases with", values, values[:1], key=f"{p}seg_before")
    after = cols[1].multiselect("After: cases with", values, values[1:2], key=f"{p}seg_after")
    return {"kind": "segments", "log": _ref(info), "attribute": attr, "before": before, "after": after}


def _setup(ex: Explorer) -> str:
    logs = {i.name: i for i in _logs()}
    with st.expander("1 · What is compared", expanded=True):
        spec = _setup_spec(ex, logs, "ba_")
        if st.checkbox(
            "Add a control pair that was not changed (difference-in-differences)", key="ba_control"
        ):
            st.caption("Control pair")
            spec["control"] = _setup_spec(ex, logs, "ba_c_")
    return json.dumps(spec, sort_keys=True, default=str)


def _logs() -> list[LogInfo]:
    return workspace_or_stop().logs()


def _names(spec: dict[str, Any]) -> list[str]:
    """The names of the logs a setup compares (its control aside)."""
    return (
        [spec["before"]["name"], spec["after"]["name"]]
        if spec["kind"] == "two_logs"
        else [spec["log"]["name"]]
    )


def _default_ends(ex: Explorer, spec: dict[str, Any], logs: dict[str, LogInfo]) -> list[str]:
    """End activities ending at least `END_SHARE` of the cases of a compared log, most common first."""
    counts: dict[str, int] = {}
    for name in _names(spec):
        info = logs[name]
        ends = edge_measures((ex.keys[0], name, info.imported_at.isoformat()), "").end_activities
        for act, n in ends.items():
            if n >= END_SHARE * info.cases:
                counts[act] = max(counts.get(act, 0), n)
    return sorted(counts, key=lambda a: (-counts[a], a))


def _compared(ex: Explorer, spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The activities and the resources of the compared logs (unfiltered), sorted."""
    logs = {i.name: i for i in _logs()}
    acts: set[str] = set()
    resources: set[str] = set()
    for name in _names(spec):
        keys = (ex.keys[0], name, logs[name].imported_at.isoformat())
        acts |= set(edge_measures(keys, "").activities)
        resources |= {r.resource for r in resource_statistics(keys, "").resources}
    return sorted(acts), sorted(resources)


def _settings(ex: Explorer, spec: dict[str, Any]) -> str:
    acts, resources = _compared(ex, spec)
    defaults = [a for a in _default_ends(ex, spec, {i.name: i for i in _logs()}) if a in acts]
    with st.expander("2 · KPI settings"):
        cols = st.columns(2)
        ends = cols[0].multiselect(
            "End activities (a case ending elsewhere is still running)",
            acts,
            defaults,
            key="ba_ends",
            help=f"Default: activities ending at least {END_SHARE:.0%} of cases",
        )
        errors = cols[1].multiselect("Error / exception activities", acts, key="ba_errors")
        prefix = cols[0].text_input(
            "System resource prefix",
            "sys_" if any(r.startswith("sys_") for r in resources) else "",
            key="ba_prefix",
        )
        systems = cols[1].multiselect("System resources (besides the prefix)", resources, key="ba_systems")
        hours, model_key = _sla(cols)
        cost, rates, roles = _cost(ex, resources)
        period = st.radio(
            "Period for throughput and work in progress",
            ["week", "day", "month"],
            key="ba_period",
            horizontal=True,
        )
    return bs.settings_json(
        end_activities=ends,
        error_activities=errors,
        system_resources=systems,
        system_prefix=prefix.strip(),
        sla_hours=hours,
        sla_model=model_key,
        cost_attribute=cost,
        hourly_rates=rates,
        resource_roles=roles,
        period=period,
    )


def _sla(cols: Any) -> tuple[float, str]:
    how = cols[0].radio(
        "SLA", ["none", "threshold on cycle time", "a target model's timers"], key="ba_sla", horizontal=True
    )
    if how == "threshold on cycle time":
        return float(cols[1].number_input("SLA threshold (hours)", 0.1, None, 48.0, key="ba_sla_hours")), ""
    if how == "none":
        return 0.0, ""
    files = {p.name: p for p in cs.sample_models()}
    if not files:
        st.info(f"No model files in `{cs.models_dir()}`.")
        return 0.0, ""
    return 0.0, cs.file_model_key(files[cols[1].selectbox("Target model", list(files), key="ba_sla_model")])


def _cost(ex: Explorer, resources: list[str]) -> tuple[str, dict[str, float], dict[str, str]]:
    how = st.radio(
        "Cost per case from",
        ["a cost attribute", "hourly rates per role"],
        key="ba_cost_how",
        horizontal=True,
    )
    if how == "a cost attribute":
        attrs = {**ex.info.case_attributes, **ex.info.event_attributes}
        numeric = sorted(n for n, t in attrs.items() if str(t).upper().startswith(_NUMERIC))
        if not numeric:
            st.caption("This log has no numeric attribute: cost per case is not compared.")
            return "", {}, {}
        return st.selectbox("Cost attribute", numeric, key="ba_cost_attr"), {}, {}
    cols = st.columns(2)
    roles = cols[0].data_editor(
        pd.DataFrame({"resource": resources, "role": [""] * len(resources)}),
        hide_index=True,
        disabled=["resource"],
        key="ba_roles",
    )
    mapping = {
        r: str(role).strip()
        for r, role in zip(roles["resource"], roles["role"], strict=True)
        if str(role or "").strip()
    }
    names = sorted(set(mapping.values()))
    rates = cols[1].data_editor(
        pd.DataFrame({"role": names, "EUR per hour": [0.0] * len(names)}),
        hide_index=True,
        disabled=["role"],
        key=f"ba_rates_{'|'.join(names)}",
    )
    return "", {r: float(v) for r, v in zip(rates["role"], rates["EUR per hour"], strict=True)}, mapping


def _results(result: an.BeforeAfter) -> None:
    st.caption(result.setup_description)
    for text in result.warnings:
        st.warning(text)
    table = bs.kpi_frame(result)
    definition = st.column_config.TextColumn(help="What the KPI measures (hover a cell for the full text)")
    st.dataframe(table, hide_index=True, key="ba_kpis", column_config={"definition": definition})
    with st.expander("KPI definitions"):
        for k in result.kpis:
            st.markdown(f"**{k.name}**: {k.definition}", help=k.definition)
    frame = bs.change_frame(result)
    if not frame.empty:
        fig = px.scatter(
            frame,
            x="change",
            y="KPI",
            color="better",
            error_x=frame["ci_high"] - frame["change"],
            error_x_minus=frame["change"] - frame["ci_low"],
            hover_data=["scale"],
        )
        fig.add_vline(x=0, line_dash="dot")
        fig.update_layout(
            height=60 + 32 * len(frame),
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis_title=f"change (% or points) with the {result.confidence:.0%} interval",
        )
        st.plotly_chart(fig, key="ba_changes")
    st.dataframe(bs.sides_frame(result), hide_index=True, key="ba_sides")
    with st.expander("Method notes"):
        for note in result.notes:
            st.markdown(f"- {note}")
        for k in result.kpis:
            st.markdown(f"- **{k.name}**: {k.method}" + (f" · {k.did_verdict}" if k.did_verdict else ""))


def _maps(path: str, setup: str) -> None:
    before, after = bs.maps(path, setup)
    st.caption("Shares of cases per edge and activity; green fell, red rose, purple is new, faint is gone.")
    for col, title, svg in zip(st.columns(2), ("Before", "After"), (before, after), strict=True):
        col.markdown(f"**{title}**")
        col.image(svg, width="stretch")


def _table(table: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], key: str) -> None:
    st.dataframe(pd.DataFrame(list(table[1]), columns=list(table[0])), hide_index=True, key=key)


def _roi(path: str, setup: str, settings: str) -> str:
    inputs = edit_inputs()
    if inputs is None:
        return ""
    roi = bs.roi_json(inputs)
    estimate, notes = bs.roi_estimate(path, setup, settings, roi)
    _measured(estimate.inputs, notes)
    cur = estimate.inputs.currency
    for col, s in zip(st.columns(3), estimate.scenarios, strict=True):
        col.metric(
            f"NPV ({s.name})",
            format_money(s.npv, cur),
            help=f"ROI {s.roi if s.roi is None else f'{s.roi:.1%}'}",
        )
    _table(scenario_table(estimate), "ba_scenarios")
    years = list(range(len(estimate.expected.cash_flows)))
    flows = pd.DataFrame(
        [(s.name, y, c) for s in estimate.scenarios for y, c in zip(years, s.cumulative, strict=True)],
        columns=["scenario", "year", "cumulative cash flow"],
    )
    st.plotly_chart(
        px.line(flows, x="year", y="cumulative cash flow", color="scenario", markers=True, height=320),
        key="ba_cash",
    )
    _table(cash_flow_table(estimate), "ba_cash_table")
    _tornado(estimate)
    with st.expander("Trace: every figure with its formula"):
        _table(trace_table(estimate), "ba_trace")
    return roi


def _measured(inputs: an.RoiInputs, notes: tuple[str, ...]) -> None:
    rows: list[tuple[str, float, float | None, float | None]] = [
        ("annual_volume", inputs.annual_volume, None, None)
    ]
    for key, rate in (
        ("errors.rate_change", inputs.errors),
        ("sla_breaches.rate_change", inputs.sla_breaches),
    ):
        if rate is not None:
            d = rate.rate_change
            rows.append((key, d.expected, d.conservative, d.optimistic))
    st.markdown(
        "**Used in the business case** (measured values replace the inputs where the comparison has them)"
    )
    st.dataframe(
        pd.DataFrame(rows, columns=["input", "expected", "conservative", "optimistic"]),
        hide_index=True,
        key="ba_measured",
    )
    st.caption(" · ".join(notes))


def _tornado(estimate: an.RoiEstimate) -> None:
    base = estimate.expected.npv
    bars = list(reversed(estimate.tornado))
    fig = go.Figure()
    for name, attr, color in (("low end", "npv_low", "#94a3b8"), ("high end", "npv_high", "#2563eb")):
        values = [getattr(b, attr) - base for b in bars]
        fig.add_bar(
            y=[b.input for b in bars], x=values, base=base, orientation="h", name=name, marker_color=color
        )
    fig.update_layout(
        barmode="overlay",
        height=80 + 28 * len(bars),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=f"expected NPV ({estimate.inputs.currency})",
    )
    st.plotly_chart(fig, key="ba_tornado")
    _table(tornado_table(estimate), "ba_tornado_table")


def _downloads(path: str, setup: str, settings: str, roi: str) -> None:
    """HTML, PDF and Excel reports of exactly what the page shows (built when asked for, then cached)."""
    if not st.toggle("Prepare the report downloads (HTML, PDF, Excel)", key="ba_reports"):
        return
    if not roi:
        st.caption("Without valid ROI inputs the report holds the KPI comparison and the maps only.")
    cols = st.columns(3)
    for col, (fmt, mime) in zip(cols, bs.FORMATS.items(), strict=True):
        try:
            data = bs.report_bytes(path, setup, settings, roi, fmt)
        except BatonError as exc:
            col.error(f"Cannot write the {fmt.upper()} report: {exc}")
            continue
        col.download_button(f"Report as {fmt.upper()}", data, f"before-after.{fmt}", mime, key=f"ba_dl_{fmt}")


st.title("Before/After & ROI")
ex = explorer_or_stop()
setup_json = _setup(ex)
settings_text = _settings(ex, json.loads(setup_json))
path = ex.keys[0]
try:
    result = bs.comparison(path, setup_json, settings_text)
except (BatonError, ValueError) as exc:
    st.error(f"Cannot compare: {exc}")
    st.stop()
tabs = st.tabs(["KPIs", "Maps", "ROI", "Report"])
with tabs[0]:
    _results(result)
with tabs[1]:
    _maps(path, setup_json)
roi_text = ""
with tabs[2]:
    try:
        roi_text = _roi(path, setup_json, settings_text)
    except BatonError as exc:
        st.error(f"Cannot estimate the ROI: {exc}")
with tabs[3]:
    _downloads(path, setup_json, settings_text, roi_text)
