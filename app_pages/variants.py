"""Variants page: the variant table with coverage and durations, the map of chosen variants, a coverage curve."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from analytics import Variants, format_duration
from app_pages.filter_bar import explorer_or_stop
from app_pages.map_dot import simplify, to_dot
from app_pages.state import edge_measures, map_layout, variants
from baton.filters import VariantSelection

_SHOWN = 500  # rows in the table and choices in the picker


def variant_frame(result: Variants, limit: int = _SHOWN) -> pd.DataFrame:
    """The table shown: one row per variant, durations in human units."""
    rows = [
        {
            "variant": v.variant_id,
            "cases": v.count,
            "share %": round(100 * v.share, 2),
            "coverage %": round(100 * v.coverage, 2),
            "events": len(v.activities),
            "mean duration": format_duration(v.mean_duration_us),
            "median duration": format_duration(v.median_duration_us),
            "activities": " → ".join(v.activities),
        }
        for v in result.variants[:limit]
    ]
    return pd.DataFrame(rows)


st.title("Variants")
ex = explorer_or_stop()
result = variants(ex.keys, ex.spec_json)
top10 = result.variants[min(9, len(result.variants) - 1)].coverage if result.variants else 0.0
cols = st.columns(3)
cols[0].metric("Variants", f"{len(result.variants):,}")
cols[1].metric("Cases", f"{result.cases:,}")
cols[2].metric("Top 10 cover", f"{top10:.1%}")

st.dataframe(variant_frame(result), hide_index=True, key="variants_table")
if len(result.variants) > _SHOWN:
    st.caption(f"The {_SHOWN} most frequent of {len(result.variants):,} variants.")

st.subheader("Map of chosen variants")
labels = {
    v.variant_id: f"#{v.variant_id} · {v.count:,} cases ({v.share:.1%})" for v in result.variants[:_SHOWN]
}
picked = st.multiselect(
    "Variants", list(labels), default=list(labels)[:1], format_func=labels.__getitem__, key="variant_pick"
)
if not picked:
    st.info("Pick one or more variants above to see their process map.")
else:
    spec = ex.spec.extend(VariantSelection(variant_ids=tuple(picked)))
    measures = edge_measures(ex.keys, spec.to_json())
    view = simplify(measures, activities_pct=100, paths_pct=100)
    covered = sum(v.count for v in result.variants if v.variant_id in set(picked))
    st.caption(
        f"{len(picked)} variants, {covered:,} cases ({covered / result.cases:.1%} of the filtered cases)"
    )
    st.graphviz_chart(to_dot(view, map_layout(*ex.keys)), width="content")

st.subheader("Coverage curve")
curve = pd.DataFrame(
    {
        "variants": range(1, len(result.variants) + 1),
        "coverage %": [100 * v.coverage for v in result.variants],
    }
)
fig = px.line(curve, x="variants", y="coverage %", markers=len(curve) <= 50)
fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_range=[0, 101])
st.plotly_chart(fig, key="coverage_curve")
st.caption("How many of the most frequent variants it takes to cover a share of the filtered cases.")
