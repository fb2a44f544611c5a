"""Before/After & ROI page: compare KPIs across a cutover, two logs or two segments, then price the change."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import analytics as an
from app_pages import before_after_setup as setup
from app_pages import before_after_state as bs
from app_pages.compare_map import MAP_LEGEND
from app_pages.filter_bar import explorer_or_stop
from app_pages.roi_inputs_form import edit_inputs
from baton.errors import BatonError
from reports.charts import cash_flow_table, format_money, scenario_table, tornado_table, trace_table


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
    st.caption(MAP_LEGEND)
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
setup_json = setup.choose_setup(ex)
settings_text = setup.choose_settings(ex, json.loads(setup_json))
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
