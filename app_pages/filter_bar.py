"""The shared log selector and filter bar: add filters, remove them as chips, see the cases kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import cast

import duckdb
import streamlit as st

from app_pages import spark_logs
from app_pages.filter_widgets import case_attribute_filter, event_attribute_filter
from app_pages.state import (
    Explorer,
    current,
    edge_measures,
    log_choices,
    set_spec,
    spec_for,
    variants,
    workspace_path,
)
from baton.errors import BatonError
from baton.filters import (
    CaseAttribute,
    CaseDuration,
    EndActivities,
    EventAttribute,
    Filter,
    FilterSpec,
    Follows,
    HasRework,
    StartActivities,
    TimeFrame,
    TimeFrameMode,
    VariantSelection,
)

KINDS = {
    "time_frame": "Time frame",
    "case_attribute": "Case attribute",
    "event_attribute": "Event attribute",
    "variants": "Variants",
    "start_activities": "Start activities",
    "end_activities": "End activities",
    "follows": "Follows (a → b)",
    "case_duration": "Case duration",
    "rework": "Rework",
}
_UNITS = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}


def explorer_or_stop() -> Explorer:
    """The current `Explorer`; without logs, or when the filters keep no case, say what to do and stop."""
    ex = current()
    if ex is None:
        st.info(
            "No logs in this workspace yet. Build the demo workspace with `baton build-demo`, "
            "or import a file with `baton import FILE`."
        )
        st.stop()
        raise AssertionError  # unreachable: st.stop() ends the script run
    if ex.spec.filters and ex.kept == 0:
        st.warning("No case passes the filters. Remove a filter chip in the sidebar to see cases again.")
        st.stop()
    return ex


def describe(f: Filter) -> str:
    """A short chip label for one filter."""
    text = _describe(f)
    return text if f.keep else f"NOT {text}"


def _describe(f: Filter) -> str:
    if isinstance(f, TimeFrame):
        return f"{f.mode.capitalize()} in {f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}"
    if isinstance(f, CaseAttribute | EventAttribute):
        return f"{f.name} ∈ {{{', '.join(map(str, f.values))}}}"
    if isinstance(f, VariantSelection):
        return f"Top {f.top_k} variants" if f.top_k is not None else f"Variants {list(f.variant_ids)}"
    if isinstance(f, StartActivities | EndActivities):
        word = "Starts" if isinstance(f, StartActivities) else "Ends"
        return f"{word} with {' / '.join(f.activities)}"
    if isinstance(f, Follows):
        return f"{f.source} → {f.target} ({'directly' if f.directly else 'eventually'})"
    if isinstance(f, CaseDuration):
        lo = "0" if f.min_seconds is None else _seconds(f.min_seconds)
        hi = "∞" if f.max_seconds is None else _seconds(f.max_seconds)
        return f"Duration {lo} – {hi}"
    return f"Rework{'' if f.activity is None else ' of ' + f.activity}"


def _seconds(sec: float) -> str:
    unit, size = next(((u, s) for u, s in reversed(_UNITS.items()) if sec >= s), ("s", 1.0))
    return f"{sec / size:g} {unit}"


def _add(log_name: str, f: Filter) -> None:
    set_spec(log_name, spec_for(log_name).extend(f))
    st.session_state["fb_exclude"] = False  # the next filter keeps its cases unless asked again


def _remove(log_name: str, index: int) -> None:
    filters = list(spec_for(log_name).filters)
    del filters[index]
    set_spec(log_name, FilterSpec(tuple(filters)))


def _time_frame(ex: Explorer) -> Filter | None:
    mode = st.selectbox(
        "Cases that are", ["contained", "intersecting", "started", "completed"], key="fb_tf_mode"
    )
    lo = (ex.info.first_timestamp or datetime.now(UTC)).date()
    hi = (ex.info.last_timestamp or datetime.now(UTC)).date()
    picked = st.date_input("Date range", (lo, hi), key="fb_tf_range")
    if not isinstance(picked, tuple) or len(picked) != 2 or not all(isinstance(d, date) for d in picked):
        st.caption("Pick a start and an end date.")
        return None
    start, end = datetime.combine(picked[0], time(), UTC), datetime.combine(picked[1], time.max, UTC)
    return TimeFrame(start, end, cast(TimeFrameMode, mode))


def _variants(ex: Explorer) -> Filter | None:
    if st.radio("Variants", ["most frequent", "pick"], key="fb_var_mode", horizontal=True) == "most frequent":
        return VariantSelection(top_k=int(st.number_input("How many", 1, None, 5, key="fb_var_k")))
    ranked = variants(ex.keys, "").variants[:500]
    labels = {
        v.variant_id: f"#{v.variant_id} ({v.count:,} cases): {' → '.join(v.activities)}" for v in ranked
    }
    ids = st.multiselect("Variants", list(labels), format_func=labels.__getitem__, key="fb_var_ids")
    return VariantSelection(variant_ids=tuple(ids)) if ids else None


def _endpoints(ex: Explorer, cls: type[StartActivities] | type[EndActivities]) -> Filter | None:
    full = edge_measures(ex.keys, "")
    options = full.start_activities if cls is StartActivities else full.end_activities
    picked = st.multiselect("Activities", list(options), key=f"fb_{cls.kind}")
    return cls(tuple(picked)) if picked else None


def _follows(ex: Explorer) -> Filter | None:
    acts = list(edge_measures(ex.keys, "").activities)
    source = st.selectbox("a", acts, key="fb_fo_a")
    target = st.selectbox("b", acts, key="fb_fo_b")
    how = st.radio("b follows a", ["directly", "eventually"], key="fb_fo_how", horizontal=True)
    return Follows(source, target, directly=how == "directly") if source and target else None


def _duration(ex: Explorer) -> Filter | None:
    unit = st.selectbox("Unit", list(_UNITS), index=2, key="fb_du_unit")
    lo = st.number_input("At least (0: no minimum)", 0.0, None, 0.0, key="fb_du_min")
    hi = st.number_input("At most (0: no maximum)", 0.0, None, 0.0, key="fb_du_max")
    if not lo and not hi:
        return None
    size = _UNITS[unit]
    return CaseDuration(lo * size if lo else None, hi * size if hi else None)


def _rework(ex: Explorer) -> Filter | None:
    keep = st.radio("Cases", ["with rework", "without rework"], key="fb_rw_keep", horizontal=True)
    acts = ["(any activity)", *edge_measures(ex.keys, "").activities]
    act = st.selectbox("Repeated activity", acts, key="fb_rw_act")
    return HasRework(None if act == acts[0] else act, keep=keep == "with rework")


_BUILDERS: dict[str, Callable[[Explorer], Filter | None]] = {
    "time_frame": _time_frame,
    "case_attribute": case_attribute_filter,
    "event_attribute": event_attribute_filter,
    "variants": _variants,
    "start_activities": lambda ex: _endpoints(ex, StartActivities),
    "end_activities": lambda ex: _endpoints(ex, EndActivities),
    "follows": _follows,
    "case_duration": _duration,
    "rework": _rework,
}


def python_snippet(ex: Explorer) -> str:
    """Runnable Python rebuilding the filtered log, for a notebook that must give the same numbers."""
    if ex.spark:
        return spark_logs.python_snippet(ex.path, ex.info.name, ex.spec.to_python())
    path = str(workspace_path().resolve())
    return (
        f"{ex.spec.to_python()}\nimport baton\n\nws = baton.open_workspace({path!r})\n"
        f"log = ws.log({ex.info.name!r}).filter(*spec.filters)\n"
        "print(baton.get_variants(log).cases, 'cases')\n"
    )


def _add_section(ex: Explorer) -> None:
    kind = st.selectbox("Add a filter", list(KINDS), format_func=KINDS.__getitem__, key="fb_kind")
    f = _BUILDERS[kind](ex)
    if f is not None and kind != "rework" and st.toggle("Remove matching cases instead", key="fb_exclude"):
        f = dataclasses.replace(f, keep=False)
    st.button("Add filter", key="fb_add", type="primary", disabled=f is None, on_click=_add, args=(ex.ref, f))


def render() -> Explorer | None:
    """Draw the log selector and the filter bar in the sidebar (once per run, before the page)."""
    spark_logs.show_error()
    logs = log_choices()
    if not logs:
        return None
    with st.sidebar:
        st.selectbox("Log", list(logs), key="log", help="Logs marked (Spark) are computed on Spark")
        ex = current()
        assert ex is not None  # logs exist
        try:
            kept = ex.kept
        except (BatonError, duckdb.Error) as exc:  # e.g. a re-import dropped an attribute the filters name
            st.error(f"The filters no longer fit log {ex.info.name!r} and were cleared: {exc}")
            set_spec(ex.ref, FilterSpec())
            ex, kept = dataclasses.replace(ex, spec=FilterSpec()), ex.info.cases
        total = ex.info.cases
        st.markdown(f"**{kept:,} of {total:,} cases ({kept / total if total else 0.0:.1%})**")
        for i, f in enumerate(ex.spec.filters):
            st.button(
                describe(f),
                key=f"fb_chip_{i}",
                icon=":material/close:",
                on_click=_remove,
                args=(ex.ref, i),
            )
        if ex.spec.filters:
            st.button("Clear all filters", key="fb_clear", on_click=set_spec, args=(ex.ref, FilterSpec()))
        with st.expander("Add a filter", expanded=not ex.spec.filters):
            _add_section(ex)
        with st.expander("Copy as Python"):
            st.code(python_snippet(ex), language="python")
    return ex
