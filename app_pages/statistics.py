"""Statistics page: throughput over time, case-duration distribution, activities, resources and handovers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from analytics import Handovers, format_duration
from app_pages.filter_bar import explorer_or_stop
from app_pages.state import activity_statistics, case_durations, handovers, resource_statistics, throughput

_TOP_HANDOVERS = 40
_MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}


def humanise(frame: pd.DataFrame) -> pd.DataFrame:
    """Microsecond columns (``*_us``) of a frame as human durations, renamed without the suffix."""
    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_us")]:
        out[col[:-3]] = [format_duration(v) if pd.notna(v) else "-" for v in out.pop(col)]
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def handover_dot(result: Handovers, top: int = _TOP_HANDOVERS) -> str:
    """The ``top`` most frequent handovers as a DOT graph, pen width by count."""
    shown = result.handovers[:top]
    most = max((h.count for h in shown), default=1)
    lines = [
        "digraph handovers {",
        "  graph [rankdir=LR];",
        '  node [shape=box, style="rounded", fontsize=10];',
    ]
    for h in shown:
        width = 1 + 4 * h.count / most
        lines.append(
            f'  {_quote(h.source)} -> {_quote(h.target)} [label=" {h.count:,}", penwidth={width:.1f}];'
        )
    lines.append("}")
    return "\n".join(lines)


def _plot(fig: Any, key: str, height: int = 320) -> None:
    fig.update_layout(height=height, margin=_MARGIN)
    st.plotly_chart(fig, key=key)


st.title("Statistics")
ex = explorer_or_stop()

st.subheader("Throughput")
period = st.radio("Per", ["day", "week", "month"], index=1, key="stats_period", horizontal=True)
flow = throughput(ex.keys, ex.spec_json, period).to_frame()
cols = list(st.columns(3))
cols[0].metric("Cases started", f"{int(flow['started'].sum()):,}")
cols[1].metric("Cases completed", f"{int(flow['completed'].sum()):,}")
cols[2].metric(f"Peak work in progress ({period})", f"{int(flow['in_progress'].max()) if len(flow) else 0:,}")
long = flow.melt(id_vars="period_start", var_name="series", value_name="cases")
_plot(px.line(long, x="period_start", y="cases", color="series"), "throughput_chart")
st.caption("Started and completed per period; work in progress counted at each period's end (UTC periods).")

st.subheader("Case durations")
durations = case_durations(ex.keys, ex.spec_json)
stats = durations.stats
cols = list(st.columns(4))
for col, (label, us) in zip(
    cols,
    [("Min", stats.min_us), ("Median", stats.median_us), ("P90", stats.p90_us), ("Max", stats.max_us)],
    strict=True,
):
    col.metric(f"{label} duration", format_duration(us))
days = pd.DataFrame({"duration (days)": durations.table.column("duration_us").to_numpy() / 86_400e6})
_plot(px.histogram(days, x="duration (days)", nbins=60), "duration_histogram", 280)

st.subheader("Activities")
st.dataframe(
    humanise(activity_statistics(ex.keys, ex.spec_json).to_frame()), hide_index=True, key="activity_table"
)

st.subheader("Resources")
resources = resource_statistics(ex.keys, ex.spec_json)
if not resources.resources:
    st.info("This log records no resources; import it with a resource column to see workload and handovers.")
    st.stop()
st.dataframe(humanise(resources.to_frame()), hide_index=True, key="resource_table")

st.subheader("Handovers of work")
passed = handovers(ex.keys, ex.spec_json)
if not passed.handovers:
    st.info("No work passes between different resources in the filtered cases.")
else:
    st.caption(
        f"The {min(_TOP_HANDOVERS, len(passed.handovers))} most frequent of {len(passed.handovers):,} handovers."
    )
    st.graphviz_chart(handover_dot(passed))
    st.dataframe(passed.to_frame(), hide_index=True, key="handover_table")
