"""Data page: the logs in the workspace with provenance, and importing a file through a mapping step and dry run."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages.data_flow import (
    KEY_LABELS,
    ImportRequest,
    SourcePreview,
    dry_run,
    findings_detail,
    friendly_message,
    import_demo,
    logs_frame,
    preview,
    rejects_csv,
    run_import,
    suggested_log_name,
)
from app_pages.data_pulls import source_systems
from app_pages.data_sources import Source, choose_reader_options, choose_source, local_path
from app_pages.spark_logs import data_section
from app_pages.state import workspace_or_stop
from baton.api import Workspace
from baton.errors import BatonError
from baton.schema import MAPPING_KEYS
from baton.store import ImportReport
from baton.store.ingest import Progress

_NONE = "(not mapped)"


@st.cache_data(show_spinner="Reading the file...", max_entries=8)
def _preview(key: str, options: tuple[tuple[str, str], ...], _path: Path) -> SourcePreview:
    del key  # cache key only: upload id or server path and modification time
    return preview(workspace_or_stop(), _path, dict(options))


def _flash() -> None:
    """The outcome of the last import or deletion, shown once after the rerun."""
    message = st.session_state.pop("data_flash", None)
    if message:
        st.success(message)


def _done(message: str) -> None:
    st.session_state["data_flash"] = message
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.session_state.pop("confirm_delete", None)
    st.rerun()


def _empty_state(ws: Workspace) -> None:
    st.info(
        "No logs in this workspace yet. Upload a file below, pick one on the server, "
        "or start with the two demo logs (a loan process before and after a change)."
    )
    if st.button("Import the demo logs", key="import_demo", icon=":material/download:"):
        try:
            with st.spinner("Importing the demo logs..."):
                reports = import_demo(ws)
        except BatonError as exc:
            st.error(f"Cannot import the demo logs: {exc}")
            return
        _done("Imported " + ", ".join(f"{r.name} ({r.events:,} events, {r.cases:,} cases)" for r in reports))


def _manage(ws: Workspace, name: str, rejected: int) -> None:
    """Download the rejected rows of a log, or delete it after a confirmation."""
    left, right = st.columns(2)
    if rejected:
        left.download_button(
            f"Rejected rows of {name} ({rejected:,}) as CSV",
            data=lambda: rejects_csv(ws, name),
            file_name=f"{name}_rejects.csv",
            mime="text/csv",
            key="rejects_download",
            icon=":material/download:",
        )
    else:
        left.caption(f"{name}: no rejected rows.")
    if right.button(f"Delete {name}...", key="delete_log", icon=":material/delete:"):
        st.session_state["confirm_delete"] = name
    if st.session_state.get("confirm_delete") != name:
        return
    st.warning(f"Delete the log **{name}** and everything computed from it? This cannot be undone.")
    yes, no = st.columns(2)
    if yes.button(f"Yes, delete {name}", key="confirm_delete_yes", type="primary"):
        try:
            ws.delete_log(name)
        except BatonError as exc:
            st.error(str(exc))
            return
        _done(f"Deleted {name}.")
    if no.button("Cancel", key="confirm_delete_no"):
        st.session_state.pop("confirm_delete", None)
        st.rerun()


def _logs_section(ws: Workspace) -> None:
    st.subheader("Logs in this workspace")
    infos = ws.logs()
    if not infos:
        _empty_state(ws)
        return
    st.container(key="logs_table").dataframe(logs_frame(infos), hide_index=True)
    name = st.selectbox("Manage log", [i.name for i in infos], key="manage_log")
    info = next(i for i in infos if i.name == name)
    _manage(ws, info.name, info.rows_rejected)


def _mapping_form(pv: SourcePreview, key: str, reader_options: dict[str, str]) -> ImportRequest:
    """A selectbox per mapping key pre-filled with the suggestion, and the source time zone."""
    initial = pv.initial_mapping()
    options = [_NONE, *pv.columns]
    mapping: dict[str, str | None] = {}
    cols = st.columns(3)
    for i, k in enumerate(MAPPING_KEYS):
        column = initial[k]
        start = options.index(column) if column else 0
        choice = cols[i % 3].selectbox(KEY_LABELS[k], options, index=start, key=f"map_{k}_{key}")
        mapping[k] = None if choice == _NONE else choice
    zones = ["UTC", *sorted(zoneinfo.available_timezones() - {"UTC"})]
    zone = st.selectbox(
        "Time zone of timestamps written without an offset", zones, key=f"tz_{key}",
        help="Timestamps with an offset (+02:00, Z) keep it; naive ones are read in this zone, DST included.",
    )  # fmt: skip
    return ImportRequest.of(mapping, zone, reader_options)


def _progress(label: str) -> tuple[DeltaGenerator, Progress]:
    """A progress bar and the import callback that moves it."""
    bar = st.progress(0.0, text=label)

    def tick(stage: str, share: float) -> None:
        bar.progress(min(max(share, 0.0), 1.0), text=f"{label}: {stage}")

    return bar, tick


def _checked(path: Path, source: Source, request: ImportRequest) -> ImportReport | str:
    """The dry run's report (or its error message), recomputed only when file or mapping change."""
    signature = (source.key, request)
    cached = st.session_state.get("dry_run")
    if cached is None or cached[0] != signature:
        bar, tick = _progress("Checking (dry run)")
        try:
            label = source.label if source.data is not None else None  # uploads: their own file name
            result: ImportReport | str = dry_run(path, request, source_label=label, progress=tick)
        except BatonError as exc:
            result = friendly_message(str(exc), path, source.label)
        bar.empty()
        st.session_state["dry_run"] = (signature, result)
        return result
    return cached[1]  # type: ignore[no-any-return]


def _show_report(report: ImportReport, request: ImportRequest) -> None:
    st.markdown("**Data quality (dry run: nothing written yet)**")
    cols = st.columns(5)
    values = [
        ("Rows read", report.rows_read),
        ("Rows loaded", report.rows_loaded),
        ("Rows rejected", report.rows_rejected),
        ("Events", report.events),
        ("Cases", report.cases),
    ]
    for col, (label, value) in zip(cols, values, strict=True):
        col.metric(label, f"{value:,}")
    if report.findings:
        st.table(findings_detail(report).set_index("check"))
    else:
        st.caption("No rejected rows and no warnings.")


def _import_button(ws: Workspace, path: Path, source: Source, request: ImportRequest, key: str) -> None:
    default = suggested_log_name(Path(source.label), request.reader_kwargs())
    name = st.text_input("Log name", value=default, key=f"name_{key}")
    name = name.strip()
    if name in {i.name for i in ws.logs()}:
        st.warning(f"A log named {name!r} exists: importing replaces it (in one transaction).")
    if not st.button(f"Import as {name}", key="import", type="primary", disabled=not name):
        return
    bar, tick = _progress(f"Importing {name}")
    try:
        label = source.label if source.data is not None else None
        report = run_import(ws, path, name, request, source_label=label, progress=tick)
    except BatonError as exc:
        bar.empty()
        st.error(friendly_message(str(exc), path, source.label))
        return
    _done(f"Imported {report.name}: {report.rows_loaded:,} of {report.rows_read:,} rows, "
          f"{report.events:,} events, {report.cases:,} cases.")  # fmt: skip


def _import_section(ws: Workspace) -> None:
    st.subheader("Import a log")
    source = choose_source()
    if source is None:
        return
    with local_path(source) as path:
        try:
            options = choose_reader_options(source, path)
            pv = _preview(source.key, tuple(sorted(options.items())), path)
        except BatonError as exc:
            st.error(friendly_message(str(exc), path, source.label))
            return
        key = "|".join([source.key, *options.values()])  # another object type or sheet: a fresh mapping
        st.markdown(f"**{source.label}**: {pv.format}, {pv.rows:,} rows, {len(pv.columns)} columns")
        st.dataframe(pv.head, hide_index=True, key="preview_rows")
        st.markdown("**Suggested mapping**")
        st.table(pv.suggestions_frame().set_index("key"))
        request = _mapping_form(pv, key, options)
        result = _checked(path, source, request)
        if isinstance(result, str):
            st.error(result)
            return
        _show_report(result, request)
        _import_button(ws, path, source, request, key)


workspace = workspace_or_stop()
st.title("Data")
_flash()
_logs_section(workspace)
data_section()  # the Spark logs of $BATON_SPARK_CONFIG, when set
source_systems(workspace)
_import_section(workspace)
