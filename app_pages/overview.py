"""Process map page: the chosen log's headline statistics and its map with Disco-style sliders, after the filters."""

from __future__ import annotations

from functools import partial
from typing import cast

import streamlit as st

from analytics import EdgeMeasures, get_cases_behind
from app_pages.filter_bar import explorer_or_stop
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
from app_pages.map_layout import MapLayout
from app_pages.map_svg import to_png, to_svg
from app_pages.state import Explorer, edge_measures, map_layout, map_payload
from baton.log import EventLog

_NONE = "(nothing selected)"
_ARROW = " → "


@st.cache_data(show_spinner=False, max_entries=32)
def _png(svg: str) -> bytes:
    return to_png(svg)


def _inspect(view: MapView, measures: EdgeMeasures, log: EventLog) -> None:
    """Statistics and first cases of the activity or edge picked under the map."""
    options = [_NONE, *view.activities, *(f"{e.source}{_ARROW}{e.target}" for e in view.edges)]
    picked = st.selectbox("Inspect an activity or path", options, key="inspect")
    if picked == _NONE:
        return
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


@st.fragment
def _map_section(ex: Explorer, measures: EdgeMeasures, layout: MapLayout) -> None:
    """Sliders, downloads and the map: a fragment, so a slider change reruns only this part."""
    name = ex.info.name
    left, right = st.columns([1, 4])
    with left:
        measure = cast(Measure, st.radio("Show", list(MEASURES), format_func=MEASURES.get, key="measure"))
        activities_pct = st.slider("Activities %", 0, 100, 100, step=5, key="activities_pct")
        paths_pct = st.slider("Paths %", 0, 100, 10, step=5, key="paths_pct")
    view = simplify(measures, activities_pct=activities_pct, paths_pct=paths_pct)
    svg = to_svg(view, layout, measure=measure, title=name)
    with left:
        st.caption(
            f"{len(view.activities)} of {len(measures.activities)} activities, "
            f"{len(view.edges)} of {len(measures.edges)} paths"
        )
        st.download_button("Map as SVG", svg, f"{name}-map.svg", "image/svg+xml", key="download_svg")
        png = partial(_png, svg)  # rendered only when clicked
        st.download_button("Map as PNG", png, f"{name}-map.png", "image/png", key="download_png")
        st.download_button(
            "DFG as CSV",
            measures.to_frame().to_csv(index=False),
            f"{name}-dfg.csv",
            "text/csv",
            key="download_csv",
        )
    with right:
        st.graphviz_chart(to_dot(view, layout, measure=measure), width="content")
        _inspect(view, measures, ex.log())


st.title("Process map")
ex = explorer_or_stop()
info = ex.info
payload = map_payload(*ex.keys, ex.spec_json)
measures = edge_measures(ex.keys, ex.spec_json)  # the filtered log's measures ...
layout = map_layout(*ex.keys)  # ... drawn on the full log's layout, so filtering never moves a node

cols = st.columns(6)
if ex.spec.filters:
    cases, events = payload.cases, sum(a.frequency for a in measures.activities.values())
    acts, n_variants = len(measures.activities), payload.variant_table.num_rows
else:
    cases, events, acts, n_variants = info.cases, info.events, info.activities, info.variants
cols[0].metric("Cases", f"{cases:,}")
cols[1].metric("Events", f"{events:,}")
cols[2].metric("Activities", f"{acts:,}")
cols[3].metric("Variants", f"{n_variants:,}")
cols[4].metric("Median case duration", human_duration(payload.median_case_duration_us))
cols[5].metric("P90 case duration", human_duration(payload.p90_case_duration_us))
span = f"{info.first_timestamp:%Y-%m-%d} to {info.last_timestamp:%Y-%m-%d}" if info.first_timestamp else "-"
st.caption(
    f"{span} · {info.rows_rejected:,} source rows rejected · source `{info.source}` ({info.source_format})"
)

_map_section(ex, measures, layout)
