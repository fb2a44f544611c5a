"""Bottlenecks page: plain-language findings, slowest transitions and activities, rework hot spots."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import Bottlenecks, format_duration
from app_pages.filter_bar import explorer_or_stop
from app_pages.state import bottlenecks

RANKS = {"total_lost_us": "Total time lost", "median_wait_us": "Median wait", "p90_wait_us": "P90 wait"}


def transitions_frame(result: Bottlenecks, rank: str) -> pd.DataFrame:
    """Transitions ranked by ``rank`` (a key of RANKS), durations in human units."""
    raw = result.to_frame().sort_values([rank, "frequency"], ascending=False, kind="stable")
    out = pd.DataFrame(
        {
            "transition": raw["source"] + " → " + raw["target"],
            "frequency": raw["frequency"],
            "cases %": (100 * raw["case_share"]).round(1),
        }
    )
    for col, label in (
        ("median_wait_us", "median wait"),
        ("p90_wait_us", "p90 wait"),
        ("total_lost_us", "time lost"),
    ):
        out[label] = [format_duration(v) for v in raw[col]]
    return out


def activities_frame(result: Bottlenecks) -> pd.DataFrame:
    """Activities ranked by the total waiting before them, with service times where recorded."""
    raw = result.activities_frame()
    out = raw[["activity", "occurrences", "cases"]].copy()
    for col, label in (
        ("wait_median_us", "median wait before"),
        ("wait_p90_us", "p90 wait before"),
        ("wait_sum_us", "total wait before"),
        ("service_median_us", "median service"),
    ):
        out[label] = [format_duration(v) if pd.notna(v) else "-" for v in raw[col]]
    return out


st.title("Bottlenecks")
ex = explorer_or_stop()
result = bottlenecks(ex.keys, ex.spec_json)

st.subheader("Findings")
findings = result.findings()
if findings:
    st.markdown("\n".join(f"{i}. {text}" for i, text in enumerate(findings, 1)))
else:
    st.info("No waiting time between events in the filtered cases: every case is a single event or instant.")

st.subheader("Slowest transitions")
rank = st.radio("Rank by", list(RANKS), format_func=RANKS.__getitem__, key="bn_rank", horizontal=True)
st.dataframe(transitions_frame(result, rank), hide_index=True, key="bn_transitions")
st.caption(
    f"The {len(result.transitions)} transitions losing the most time of {result.total_transitions:,}; "
    "time lost = waiting time summed over every occurrence."
)

st.subheader("Slowest activities")
st.dataframe(activities_frame(result), hide_index=True, key="bn_activities")
if not result.has_start_timestamps:
    st.caption("The log has no start timestamps, so service (processing) times are unknown.")

st.subheader("Rework hot spots")
if result.rework:
    frame = result.rework_frame()
    frame["case_share"] = (100 * frame["case_share"]).round(1)
    st.dataframe(frame.rename(columns={"case_share": "cases %"}), hide_index=True, key="bn_rework")
else:
    st.info("No activity repeats within a case in the filtered cases.")
