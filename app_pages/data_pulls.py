"""The Data page's "Source systems" section: each source's status, last load and history, and Pull now."""

from __future__ import annotations

import streamlit as st

from app_pages.pull_flow import (
    LastLoad,
    PullJobs,
    SourceEntry,
    history_frame,
    last_load,
    source_entries,
    source_status,
    sources_dir,
)
from app_pages.state import workspace_path
from baton.api import Workspace
from baton.store.pull_status import list_sources

REFRESH_SECONDS = 1.0


@st.cache_resource(show_spinner=False)
def pull_jobs(workspace: str) -> PullJobs:
    """The background pulls of the workspace file ``workspace``: one executor per app process."""
    del workspace  # cache key only
    return PullJobs()


def wait_for_pulls(timeout: float | None = 120.0) -> None:
    """Join the background pulls of the app's workspace (for tests; the page itself never waits)."""
    pull_jobs(str(workspace_path())).wait(timeout)


def source_systems(ws: Workspace) -> None:
    """The section: refreshed every second while a pull runs, then the whole page once it has ended."""
    jobs = pull_jobs(str(workspace_path()))
    busy = jobs.busy()
    section = st.fragment(_section, run_every=REFRESH_SECONDS if busy else None)
    section(ws, jobs, busy)


def _section(ws: Workspace, jobs: PullJobs, was_busy: bool) -> None:
    if was_busy and not jobs.busy():
        st.rerun()  # a pull ended: the logs table and every cached analytic of its log must refresh
    st.subheader("Source systems")
    folder = sources_dir(ws.path)
    entries = source_entries(folder, list_sources(ws))
    if not entries:
        st.info(
            f"No source configs in {folder} and no pulled source in this workspace. Add a YAML config there "
            "(see `baton pull --help`) or set BATON_SOURCES to another folder."
        )
        return
    st.caption(f"Configs from {folder} (set BATON_SOURCES to use another folder).")
    for entry in entries:
        _source(ws, jobs, entry)


def _source(ws: Workspace, jobs: PullJobs, entry: SourceEntry) -> None:
    loads = ws.source_loads(entry.name)
    last = last_load(loads)
    failure = jobs.failure(ws, entry.name)
    status = source_status(
        running=jobs.running(entry.name), failure=failure, last_load_at=last.loaded_at if last else None
    )
    with st.container(border=True, key=f"source_{entry.name}"):
        head, action = st.columns([4, 1])
        head.markdown(f"**{entry.name}** ({entry.kind}): {status.label}")
        if entry.problem is not None:
            st.error(f"Cannot use this config: {entry.problem}")
        elif entry.config_path is None:
            st.caption(f"No config file for this source in {sources_dir(ws.path)}: add one to pull it again.")
        elif action.button(
            "Pull now", key=f"pull_{entry.name}", icon=":material/sync:", disabled=status.state == "pulling"
        ):
            jobs.start(ws, entry.name, entry.config_path)
            st.rerun()  # the full page: the section then refreshes itself while the pull runs
        if status.state == "pulling":
            st.info(f"Pulling {entry.name}... other pages stay usable; this one refreshes when it is done.")
        if status.state == "failed" and failure is not None:
            st.error(f"Last pull failed ({failure.at:%Y-%m-%d %H:%M:%S} UTC): {failure.message}")
        if last is None:
            return
        _report(entry.name, last)
        st.dataframe(history_frame(loads), hide_index=True, key=f"history_{entry.name}")


def _report(name: str, last: LastLoad) -> None:
    st.markdown(f"**Last load of {name}**")
    cols = st.columns(5)
    values = [
        ("Rows read", last.rows_read),
        ("Inserted", last.inserted),
        ("Updated", last.updated),
        ("Unchanged", last.unchanged),
        ("Rejected", last.rejected),
    ]
    for col, (label, value) in zip(cols, values, strict=True):
        col.metric(label, f"{value:,}")
    st.caption(last.summary())
