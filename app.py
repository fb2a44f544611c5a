"""Baton's Streamlit app: page config, the shared workspace connection and the page router."""

from __future__ import annotations

import streamlit as st

from app_pages import filter_bar
from app_pages.state import workspace_or_stop

st.set_page_config(page_title="Baton - process mining", page_icon=":material/account_tree:", layout="wide")
workspace_or_stop()
filter_bar.render()  # the log selector and the filter bar, shared by every page
page = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Process map", icon=":material/account_tree:", default=True),
        st.Page("app_pages/variants.py", title="Variants", icon=":material/alt_route:"),
        st.Page("app_pages/cases.py", title="Cases", icon=":material/search:"),
        st.Page("app_pages/statistics.py", title="Statistics", icon=":material/bar_chart:"),
        st.Page("app_pages/bottlenecks.py", title="Bottlenecks", icon=":material/hourglass_bottom:"),
        st.Page("app_pages/conformance.py", title="Conformance", icon=":material/rule:"),
        st.Page("app_pages/before_after.py", title="Before/After & ROI", icon=":material/compare_arrows:"),
        st.Page("app_pages/data.py", title="Data", icon=":material/database:"),
    ]
)
page.run()
