"""Process map page: choose a log, see its headline statistics and its map with Disco-style sliders."""

from __future__ import annotations

from typing import cast

import streamlit as st

from app_pages.map_dot import Measure, human_duration, simplify, to_dot
from app_pages.state import map_payload, workspace_or_stop, workspace_path

ws = workspace_or_stop()
logs = ws.logs()
st.title("Process map")
if not logs:
    st.info(
        "No logs in this workspace yet. Build the demo workspace with `baton build-demo`, "
        "or import a file with `baton import FILE`."
    )
    st.stop()

names = [i.name for i in logs]
name = st.selectbox("Log", names, index=0, key="log")
info = next(i for i in logs if i.name == name)
payload = map_payload(str(workspace_path()), info.name, info.imported_at.isoformat(), "")

cols = st.columns(6)
cols[0].metric("Cases", f"{info.cases:,}")
cols[1].metric("Events", f"{info.events:,}")
cols[2].metric("Activities", f"{info.activities:,}")
cols[3].metric("Variants", f"{info.variants:,}")
cols[4].metric("Median case duration", human_duration(payload.median_case_duration_us))
cols[5].metric("P90 case duration", human_duration(payload.p90_case_duration_us))
span = f"{info.first_timestamp:%Y-%m-%d} to {info.last_timestamp:%Y-%m-%d}" if info.first_timestamp else "-"
st.caption(
    f"{span} · {info.rows_rejected:,} source rows rejected · source `{info.source}` ({info.source_format})"
)

left, right = st.columns([1, 4])
with left:
    measure = st.radio(
        "Show",
        ["frequency", "median_wait", "mean_wait"],
        format_func={
            "frequency": "Absolute frequency",
            "median_wait": "Median waiting time",
            "mean_wait": "Mean waiting time",
        }.get,
        key="measure",
    )
    activities_pct = st.slider("Activities %", 0, 100, 100, step=5, key="activities_pct")
    paths_pct = st.slider("Paths %", 0, 100, 10, step=5, key="paths_pct")
view = simplify(payload, activities_pct=activities_pct, paths_pct=paths_pct)
with left:
    st.caption(
        f"{len(view.activities)} of {len(payload.activities)} activities, "
        f"{len(view.edges)} of {len(payload.edges)} paths"
    )
with right:
    st.graphviz_chart(to_dot(view, measure=cast(Measure, measure)), width="stretch")
