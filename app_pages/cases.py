"""Cases page: search cases by id or attribute value, then follow one case event by event."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from analytics import CaseTimeline, format_duration
from app_pages.filter_bar import explorer_or_stop
from app_pages.spark_logs import stop_if_spark
from app_pages.state import case_timeline, search_cases
from baton.errors import BatonError

_ANY = "(case id only)"


def timeline_frame(timeline: CaseTimeline) -> pd.DataFrame:
    """The events of one case with waiting and service times in human units."""
    frame = timeline.to_frame()
    frame["waiting"] = [format_duration(us) if pd.notna(us) else "-" for us in frame.pop("waiting_us")]
    frame["service"] = [format_duration(us) if pd.notna(us) else "-" for us in frame.pop("service_us")]
    return frame


def _chart(timeline: CaseTimeline) -> None:
    """Each event as a bar from its start (its timestamp without one) to its timestamp."""
    rows = [
        {
            "activity": ev.activity,
            "start": ev.start_timestamp or ev.timestamp,
            "end": ev.timestamp,
            "resource": ev.resource or "-",
        }
        for ev in timeline.events
    ]
    fig = px.timeline(pd.DataFrame(rows), x_start="start", x_end="end", y="activity", color="resource")
    fig.update_yaxes(autorange="reversed")
    fig.update_traces(marker_line_width=4, marker_line_color="#1e3a8a")  # instants stay visible
    fig.update_layout(height=120 + 28 * len(rows), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(fig, key="case_chart")


st.title("Cases")
ex = explorer_or_stop()
stop_if_spark(ex.keys, "Case search and the case timeline")
attrs = [_ANY, *ex.info.case_attributes, *ex.info.event_attributes]
left, mid, right = st.columns(3)
needle = left.text_input("Case id contains", key="case_search", placeholder="e.g. 0042")
attribute = mid.selectbox("Attribute", attrs, key="case_attr")
value = right.text_input("equals", key="case_value", disabled=attribute == _ANY)
if attribute != _ANY and not value:
    st.info(f"Type the value {attribute!r} must equal, or choose {_ANY}.")
    st.stop()
try:
    found = search_cases(ex.keys, ex.spec_json, needle, "" if attribute == _ANY else attribute, value)
except BatonError as exc:
    st.error(str(exc))
    st.stop()
st.caption(
    f"{found.total:,} cases match" + (f"; the first {len(found.cases)} by id:" if found.total else ".")
)
if not found.cases:
    st.info("No case matches. Shorten the id, check the value, or remove filters in the sidebar.")
    st.stop()
listing = found.to_frame()
listing["duration"] = [format_duration(us) for us in listing.pop("duration_us")]
st.dataframe(listing, hide_index=True, key="case_list", height=240)

case_id = st.selectbox("Open case", [c.case_id for c in found.cases], key="case_pick")
timeline = case_timeline(ex.keys, ex.spec_json, case_id)
cols = st.columns(4)
cols[0].metric("Events", f"{len(timeline.events):,}")
cols[1].metric("Duration", format_duration(timeline.duration_us))
cols[2].metric("Variant", f"#{timeline.variant_id}")
cols[3].metric("Started", f"{timeline.start:%Y-%m-%d}")
if timeline.attributes:
    st.caption(" · ".join(f"{k}: {v}" for k, v in timeline.attributes.items()))
st.dataframe(timeline_frame(timeline), hide_index=True, key="case_events")
_chart(timeline)
