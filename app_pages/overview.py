"""Process map page: choose a log, see its headline statistics and its map with Disco-style sliders."""

from __future__ import annotations

from typing import cast

import streamlit as st

from analytics import EdgeMeasures, get_cases_behind, get_edge_measures
from app_pages.map_dot import (
    MEASURES,
    MapView,
    Measure,
    edge_value,
    format_value,
    human_duration,
    simplify,
    to_dot,
)
from app_pages.map_layout import MapLayout, compute_layout
from app_pages.map_svg import to_png, to_svg
from app_pages.state import map_payload, workspace_or_stop, workspace_path

_NONE = "(nothing selected)"
_ARROW = " → "


@st.cache_data(show_spinner="Computing the map measures...", max_entries=64)
def _measures(path: str, log_name: str, imported_at: str) -> EdgeMeasures:
    del path, imported_at  # cache keys only
    return get_edge_measures(workspace_or_stop().log(log_name))


@st.cache_data(show_spinner="Laying out the map...", max_entries=64)
def _layout(path: str, log_name: str, imported_at: str) -> MapLayout:
    """The full, unfiltered map's layout: computed once per log so sliders and filters never move nodes."""
    full = _measures(path, log_name, imported_at)
    edges = [(e.source, e.target, e.frequency) for e in full.edges]
    return compute_layout(list(full.activities), edges, full.start_activities)


@st.cache_data(show_spinner=False, max_entries=32)
def _png(svg: str) -> bytes:
    return to_png(svg)


def _inspect(view: MapView, measures: EdgeMeasures, log_name: str) -> None:
    """Statistics and first cases of the activity or edge picked under the map."""
    options = [_NONE, *view.activities, *(f"{e.source}{_ARROW}{e.target}" for e in view.edges)]
    picked = st.selectbox("Inspect an activity or path", options, key="inspect")
    if picked == _NONE:
        return
    log = workspace_or_stop().log(log_name)
    if picked in view.activities:
        act = view.activities[picked]
        cols = list(st.columns(4))
        cols[0].metric("Frequency", f"{act.frequency:,}")
        cols[1].metric("Case frequency", f"{act.case_frequency:,}")
        cols[2].metric("Starts cases", f"{measures.start_activities.get(picked, 0):,}")
        cols[3].metric("Ends cases", f"{measures.end_activities.get(picked, 0):,}")
        cases = get_cases_behind(log, activity=picked, limit=10)
    else:
        source, target = picked.split(_ARROW, 1)
        edge = next(e for e in view.edges if (e.source, e.target) == (source, target))
        cols = list(st.columns(6))
        cols[0].metric("Frequency", f"{edge.frequency:,}")
        cols[1].metric("Case frequency", f"{edge.case_frequency:,}")
        waits: tuple[Measure, ...] = ("mean_wait", "median_wait", "p90_wait", "max_wait")
        for col, key in zip(cols[2:], waits, strict=True):
            col.metric(MEASURES[key], format_value(edge_value(edge, key), key))
        cases = get_cases_behind(log, edge=(source, target), limit=10)
    st.caption(f"{cases.total:,} cases; the longest {len(cases.cases)}:")
    frame = cases.to_frame()
    frame["duration"] = [human_duration(us) for us in frame.pop("duration_us")]
    st.dataframe(frame, hide_index=True, key="inspect_cases")


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
keys = (str(workspace_path()), info.name, info.imported_at.isoformat())
payload = map_payload(*keys, "")
measures = _measures(*keys)
layout = _layout(*keys)

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
    measure = cast(Measure, st.radio("Show", list(MEASURES), format_func=MEASURES.get, key="measure"))
    activities_pct = st.slider("Activities %", 0, 100, 100, step=5, key="activities_pct")
    paths_pct = st.slider("Paths %", 0, 100, 10, step=5, key="paths_pct")
view = simplify(measures, activities_pct=activities_pct, paths_pct=paths_pct)
svg = to_svg(view, layout, measure=measure, title=info.name)
with left:
    st.caption(
        f"{len(view.activities)} of {len(measures.activities)} activities, "
        f"{len(view.edges)} of {len(measures.edges)} paths"
    )
    st.download_button("Map as SVG", svg, f"{info.name}-map.svg", "image/svg+xml", key="download_svg")
    st.download_button("Map as PNG", _png(svg), f"{info.name}-map.png", "image/png", key="download_png")
    st.download_button(
        "DFG as CSV",
        measures.to_frame().to_csv(index=False),
        f"{info.name}-dfg.csv",
        "text/csv",
        key="download_csv",
    )
with right:
    st.graphviz_chart(to_dot(view, layout, measure=measure), width="content")
    _inspect(view, measures, info.name)
