"""Before/After page setup widgets: what is compared (two logs, a cutover, two segments) and the KPI settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import before_after_state as bs
from app_pages import conformance_state as cs
from app_pages.state import (
    Explorer,
    attribute_values,
    choice_of,
    edge_measures,
    resource_statistics,
    spec_for,
)
from baton.store.workspace import LogInfo

KINDS = {"two_logs": "Two logs", "cutover": "Cutover date", "segments": "Two segments (case attribute)"}
END_SHARE = 0.03  # default end activities: those ending at least 3% of a compared log's cases
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "HUGEINT", "DECIMAL", "SMALLINT")


def _ref(ex: Explorer, info: LogInfo) -> dict[str, str]:
    spec = spec_for(choice_of(ex.path, info.name))
    return bs.log_ref(info.name, info.imported_at.isoformat(), spec.to_json() if spec.filters else "")


def _setup_spec(ex: Explorer, logs: dict[str, LogInfo], p: str) -> dict[str, Any]:
    """The setup chosen with widgets whose keys start with ``p`` (JSON-able; see `before_after_state`)."""
    options = list(KINDS) if len(logs) > 1 else ["cutover", "segments"]
    kind = st.radio("Compare", options, format_func=KINDS.__getitem__, key=f"{p}kind", horizontal=True)
    if kind == "two_logs":
        return _two_logs_spec(ex, logs, p)
    if kind == "cutover":
        return _cutover_spec(ex, p)
    return _segments_spec(ex, p)


def _two_logs_spec(ex: Explorer, logs: dict[str, LogInfo], p: str) -> dict[str, Any]:
    names = list(logs)
    both = {"loans_before", "loans_after"} <= set(logs)
    cols = st.columns(2)
    b = cols[0].selectbox("Before log", names, names.index("loans_before") if both else 0, key=f"{p}before")
    a = cols[1].selectbox("After log", names, names.index("loans_after") if both else 1, key=f"{p}after")
    return {"kind": "two_logs", "before": _ref(ex, logs[b]), "after": _ref(ex, logs[a])}


def _cutover_spec(ex: Explorer, p: str) -> dict[str, Any]:
    info = ex.info
    first, last = info.first_timestamp, info.last_timestamp
    if first is None or last is None:
        st.info(f"Log {info.name!r} has no events to split; pick another log in the sidebar.")
        st.stop()
        raise AssertionError  # unreachable: st.stop() ends the script run
    mid = first + (last - first) / 2
    label = f"Cutover date (UTC) on log {info.name!r} (the sidebar's log)"
    day = st.date_input(label, mid.date(), first.date(), last.date(), key=f"{p}cutover")
    spanning = st.radio(
        "Cases spanning the cutover",
        ["exclude", "before"],
        key=f"{p}spanning",
        horizontal=True,
        format_func={"exclude": "excluded", "before": "kept in the before side"}.get,
    )
    cutover = datetime.combine(day, time(0), tzinfo=UTC)  # type: ignore[arg-type]
    return {"kind": "cutover", "log": _ref(ex, info), "cutover": cutover.isoformat(), "spanning": spanning}


def _segments_spec(ex: Explorer, p: str) -> dict[str, Any]:
    info = ex.info
    names = sorted(info.case_attributes)
    if not names:
        st.info(f"Log {info.name!r} has no case attributes to segment by; pick another comparison.")
        st.stop()
    attr = st.selectbox(f"Case attribute of log {info.name!r} (the sidebar's log)", names, key=f"{p}attr")
    values = [v.value for v in attribute_values(*ex.keys, attr, 200).values]
    cols = st.columns(2)
    before = cols[0].multiselect("Before: cases with", values, values[:1], key=f"{p}seg_before")
    after = cols[1].multiselect("After: cases with", values, values[1:2], key=f"{p}seg_after")
    return {"kind": "segments", "log": _ref(ex, info), "attribute": attr, "before": before, "after": after}


def choose_setup(ex: Explorer) -> str:
    """The comparison chosen under "1 · What is compared" (with its optional control pair) as JSON text.

    Args:
        ex: the sidebar's log and filters (a cutover or segments split this log).

    Returns:
        The setup as sorted-key JSON, the cache key `before_after_state.comparison` takes.
    """
    logs = {i.name: i for i in ex.siblings()}  # the sidebar log's engine: DuckDB or Spark logs
    with st.expander("1 · What is compared", expanded=True):
        spec = _setup_spec(ex, logs, "ba_")
        if st.checkbox(
            "Add a control pair that was not changed (difference-in-differences)", key="ba_control"
        ):
            st.caption("Control pair")
            spec["control"] = _setup_spec(ex, logs, "ba_c_")
    return json.dumps(spec, sort_keys=True, default=str)


def _names(spec: dict[str, Any]) -> list[str]:
    """The names of the logs a setup compares (its control aside)."""
    return (
        [spec["before"]["name"], spec["after"]["name"]]
        if spec["kind"] == "two_logs"
        else [spec["log"]["name"]]
    )


def _default_ends(ex: Explorer, spec: dict[str, Any], logs: dict[str, LogInfo]) -> list[str]:
    """End activities ending at least `END_SHARE` of the cases of a compared log, most common first."""
    counts: dict[str, int] = {}
    for name in _names(spec):
        info = logs[name]
        ends = edge_measures((ex.keys[0], name, info.imported_at.isoformat()), "").end_activities
        for act, n in ends.items():
            if n >= END_SHARE * info.cases:
                counts[act] = max(counts.get(act, 0), n)
    return sorted(counts, key=lambda a: (-counts[a], a))


def _compared(ex: Explorer, spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The activities and the resources of the compared logs (unfiltered), sorted."""
    logs = {i.name: i for i in ex.siblings()}
    acts: set[str] = set()
    resources: set[str] = set()
    for name in _names(spec):
        keys = (ex.keys[0], name, logs[name].imported_at.isoformat())
        acts |= set(edge_measures(keys, "").activities)
        resources |= {r.resource for r in resource_statistics(keys, "").resources}
    return sorted(acts), sorted(resources)


def choose_settings(ex: Explorer, spec: dict[str, Any]) -> str:
    """The KPI settings chosen under "2 · KPI settings" as `before_after_state.settings_json` text.

    Args:
        ex: the sidebar's log (its attributes offer the cost attribute).
        spec: the setup of `choose_setup`, parsed (its logs offer the activities and resources).

    Returns:
        The settings JSON text.
    """
    acts, resources = _compared(ex, spec)
    defaults = [a for a in _default_ends(ex, spec, {i.name: i for i in ex.siblings()}) if a in acts]
    with st.expander("2 · KPI settings"):
        cols = st.columns(2)
        ends = cols[0].multiselect(
            "End activities (a case ending elsewhere is still running)",
            acts,
            defaults,
            key="ba_ends",
            help=f"Default: activities ending at least {END_SHARE:.0%} of cases",
        )
        errors = cols[1].multiselect("Error / exception activities", acts, key="ba_errors")
        prefix = cols[0].text_input(
            "System resource prefix",
            "sys_" if any(r.startswith("sys_") for r in resources) else "",
            key="ba_prefix",
        )
        systems = cols[1].multiselect("System resources (besides the prefix)", resources, key="ba_systems")
        hours, model_key = _sla(cols)
        cost, rates, roles = _cost(ex, resources)
        period = st.radio(
            "Period for throughput and work in progress",
            ["week", "day", "month"],
            key="ba_period",
            horizontal=True,
        )
    return bs.settings_json(
        end_activities=ends,
        error_activities=errors,
        system_resources=systems,
        system_prefix=prefix.strip(),
        sla_hours=hours,
        sla_model=model_key,
        cost_attribute=cost,
        hourly_rates=rates,
        resource_roles=roles,
        period=period,
    )


def _sla(cols: Any) -> tuple[float, str]:
    how = cols[0].radio(
        "SLA", ["none", "threshold on cycle time", "a target model's timers"], key="ba_sla", horizontal=True
    )
    if how == "threshold on cycle time":
        return float(cols[1].number_input("SLA threshold (hours)", 0.1, None, 48.0, key="ba_sla_hours")), ""
    if how == "none":
        return 0.0, ""
    return 0.0, _sla_model(cols[1])


def _sla_model(col: Any) -> str:
    """The model key of the target model chosen in one selectbox: a bundled one or the uploaded one, which
    is selected when it is uploaded; "" when there is none."""
    pick = col.container()  # the selectbox shows above the uploader but is drawn after it
    up = col.file_uploader(
        "Or upload a target model (BPMN 2.0, PNML or Baton YAML)",
        type=["bpmn", "xml", "pnml", "yaml", "yml"],
        key="ba_sla_upload",
    )
    files = {p.name: p for p in cs.sample_models()}
    uploaded: dict[str, str] = {}
    if up is None:
        st.session_state.pop("ba_sla_uploaded", None)
    else:
        label, key = uploaded_model_choice(up.name, up.getvalue())
        uploaded[label] = key
        if st.session_state.get("ba_sla_uploaded") != key:  # a new upload: select it once
            st.session_state["ba_sla_uploaded"] = key
            st.session_state["ba_sla_model"] = label
    labels = [*files, *uploaded]
    if not labels:
        st.info(f"No model files in `{cs.models_dir()}`; upload a target model.")
        return ""
    if st.session_state.get("ba_sla_model") not in labels:  # e.g. the uploaded model was removed
        st.session_state.pop("ba_sla_model", None)
    label = pick.selectbox("Target model", labels, key="ba_sla_model")
    return uploaded[label] if label in uploaded else cs.file_model_key(files[label])


def uploaded_model_choice(name: str, data: bytes) -> tuple[str, str]:
    """The selectbox label and the model key of an uploaded model file (kept as the Conformance page keeps it).

    Args:
        name: the uploaded file's name, e.g. ``my_process.bpmn``.
        data: its bytes.

    Returns:
        ``("my_process.bpmn (uploaded)", key)`` with the key of `conformance_state.upload_model_key`.
    """
    return f"{name} (uploaded)", cs.upload_model_key(name, data)


def _cost(ex: Explorer, resources: list[str]) -> tuple[str, dict[str, float], dict[str, str]]:
    how = st.radio(
        "Cost per case from",
        ["a cost attribute", "hourly rates per role"],
        key="ba_cost_how",
        horizontal=True,
    )
    if how == "a cost attribute":
        attrs = {**ex.info.case_attributes, **ex.info.event_attributes}
        numeric = sorted(n for n, t in attrs.items() if str(t).upper().startswith(_NUMERIC))
        if not numeric:
            st.caption("This log has no numeric attribute: cost per case is not compared.")
            return "", {}, {}
        return st.selectbox("Cost attribute", numeric, key="ba_cost_attr"), {}, {}
    cols = st.columns(2)
    roles = cols[0].data_editor(
        pd.DataFrame({"resource": resources, "role": [""] * len(resources)}),
        hide_index=True,
        disabled=["resource"],
        key="ba_roles",
    )
    mapping = {
        r: str(role).strip()
        for r, role in zip(roles["resource"], roles["role"], strict=True)
        if str(role or "").strip()
    }
    names = sorted(set(mapping.values()))
    rates = cols[1].data_editor(
        pd.DataFrame({"role": names, "EUR per hour": [0.0] * len(names)}),
        hide_index=True,
        disabled=["role"],
        key=f"ba_rates_{'|'.join(names)}",
    )
    return "", {r: float(v) for r, v in zip(rates["role"], rates["EUR per hour"], strict=True)}, mapping
