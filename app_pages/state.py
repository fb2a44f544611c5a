"""Shared app state: one workspace connection per server process, the chosen log, cached payloads."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from analytics import ProcessMapPayload, get_process_map_payload
from baton.api import Workspace, open_workspace
from baton.errors import BatonError

DEFAULT_WORKSPACE = "workspace/demo.duckdb"


def workspace_path() -> Path:
    """The workspace file: $BATON_WORKSPACE, else the demo workspace."""
    return Path(os.environ.get("BATON_WORKSPACE", DEFAULT_WORKSPACE))


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(path)


def workspace_or_stop() -> Workspace:
    """The shared workspace; on failure a clear message (never a stack trace) and the page stops."""
    try:
        return _workspace(str(workspace_path()))
    except BatonError as exc:
        st.error(f"Cannot open the workspace: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the script run


@st.cache_data(show_spinner="Computing the process map...", max_entries=64)
def map_payload(path: str, log_name: str, imported_at: str, filters_json: str) -> ProcessMapPayload:
    """The process-map payload, cached by log (and its import time) and filter spec."""
    del imported_at, filters_json  # cache keys only
    return get_process_map_payload(_workspace(path).log(log_name))
