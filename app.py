"""Baton's Streamlit app: page config, the shared workspace connection and the page router."""

from __future__ import annotations

import streamlit as st

from app_pages.state import workspace_or_stop

st.set_page_config(page_title="Baton - process mining", page_icon=":material/account_tree:", layout="wide")
workspace_or_stop()
page = st.navigation(
    [st.Page("app_pages/overview.py", title="Process map", icon=":material/account_tree:", default=True)]
)
page.run()
