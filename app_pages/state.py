"""Shared app state: one workspace connection per process, the chosen log and its filters, cached analytics."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import streamlit as st

from analytics import (
    ActivityStatistics,
    AttributeValues,
    Bottlenecks,
    CaseDurations,
    CaseList,
    CaseTimeline,
    EdgeMeasures,
    Handovers,
    ProcessMapPayload,
    ResourceStatistics,
    Throughput,
    Variants,
    find_cases,
    get_activity_statistics,
    get_attribute_values,
    get_bottlenecks,
    get_case_durations,
    get_case_timeline,
    get_edge_measures,
    get_handovers,
    get_process_map_payload,
    get_resource_statistics,
    get_throughput,
    get_variants,
)
from app_pages import spark_logs
from app_pages.map_layout import MapLayout, compute_layout
from baton.api import Workspace, open_workspace
from baton.errors import BatonError
from baton.filters import FilterSpec
from baton.log import EventLog
from baton.store.workspace import LogInfo

DEFAULT_WORKSPACE = "workspace/demo.duckdb"
SPECS = "filter_specs"  # session_state[SPECS] = {log selector entry: FilterSpec}, shared by every page
#: What identifies a stored log version: (workspace path, log name, import time as ISO text); for a Spark
#: log ("spark:<config path>", log name, time it was prepared), see `app_pages.spark_logs`.
Keys = tuple[str, str, str]
_ANALYTICS: dict[str, Callable[..., Any]] = {
    "activities": get_activity_statistics,
    "bottlenecks": get_bottlenecks,
    "durations": get_case_durations,
    "edge_measures": get_edge_measures,
    "handovers": get_handovers,
    "resources": get_resource_statistics,
    "throughput": get_throughput,
    "variants": get_variants,
}


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


def filtered_log(path: str, log_name: str, filters_json: str) -> EventLog:
    """The log ``log_name`` of workspace ``path`` (or Spark config ``spark:<path>``) with the filter spec
    ``filters_json`` ("" for none)."""
    log = (
        spark_logs.spark_log(path, log_name) if spark_logs.is_spark(path) else _workspace(path).log(log_name)
    )
    if not filters_json:
        return log
    return log.filter(*FilterSpec.from_dict(json.loads(filters_json)).filters)


@st.cache_data(show_spinner="Computing the process map...", max_entries=64)
def map_payload(path: str, log_name: str, imported_at: str, filters_json: str) -> ProcessMapPayload:
    """The process-map payload, cached by log (and its import time) and filter spec."""
    del imported_at  # cache key only
    return get_process_map_payload(filtered_log(path, log_name, filters_json))


@st.cache_data(show_spinner="Computing...", max_entries=256)
def _analytic(
    kind: str, path: str, log_name: str, imported_at: str, filters_json: str, options_json: str
) -> Any:
    del imported_at  # cache key only
    return _ANALYTICS[kind](filtered_log(path, log_name, filters_json), **json.loads(options_json))


def analytic(kind: str, keys: Keys, filters_json: str, **options: Any) -> Any:
    """Result of the analytic ``kind`` (a key of ``_ANALYTICS``) on the filtered log, cached by
    (workspace path, log name, import time, filter spec JSON, options)."""
    return _analytic(kind, *keys, filters_json, json.dumps(options, sort_keys=True))


def edge_measures(keys: Keys, filters_json: str) -> EdgeMeasures:
    """Process-map measures of the filtered log (cached)."""
    return cast(EdgeMeasures, analytic("edge_measures", keys, filters_json))


def variants(keys: Keys, filters_json: str) -> Variants:
    """Variants of the filtered log (cached)."""
    return cast(Variants, analytic("variants", keys, filters_json))


def case_durations(keys: Keys, filters_json: str) -> CaseDurations:
    """Case durations of the filtered log (cached)."""
    return cast(CaseDurations, analytic("durations", keys, filters_json))


def throughput(keys: Keys, filters_json: str, period: str) -> Throughput:
    """Started / completed / in-progress cases per period of the filtered log (cached)."""
    return cast(Throughput, analytic("throughput", keys, filters_json, period=period))


def activity_statistics(keys: Keys, filters_json: str) -> ActivityStatistics:
    """Per-activity statistics of the filtered log (cached)."""
    return cast(ActivityStatistics, analytic("activities", keys, filters_json))


def resource_statistics(keys: Keys, filters_json: str) -> ResourceStatistics:
    """Per-resource statistics of the filtered log (cached)."""
    return cast(ResourceStatistics, analytic("resources", keys, filters_json))


def handovers(keys: Keys, filters_json: str) -> Handovers:
    """Handovers between resources in the filtered log (cached)."""
    return cast(Handovers, analytic("handovers", keys, filters_json))


def bottlenecks(keys: Keys, filters_json: str) -> Bottlenecks:
    """Bottlenecks (top 20 transitions) of the filtered log (cached)."""
    return cast(Bottlenecks, analytic("bottlenecks", keys, filters_json))


def case_count(keys: Keys, filters_json: str) -> int:
    """How many cases pass the filters (cached with the variants)."""
    return variants(keys, filters_json).cases


@st.cache_data(show_spinner="Laying out the map...", max_entries=64)
def map_layout(path: str, log_name: str, imported_at: str) -> MapLayout:
    """The full, unfiltered map's layout: computed once per log so sliders and filters never move nodes."""
    full = edge_measures((path, log_name, imported_at), "")
    edges = [(e.source, e.target, e.frequency) for e in full.edges]
    return compute_layout(list(full.activities), edges, full.start_activities)


@st.cache_data(show_spinner="Reading attribute values...", max_entries=128)
def attribute_values(path: str, log_name: str, imported_at: str, name: str, limit: int) -> AttributeValues:
    """The values of attribute ``name`` in the UNFILTERED log with their case counts (at most ``limit``
    listed), cached by (workspace path, log name, import time, attribute, limit)."""
    del imported_at  # cache key only
    return get_attribute_values(filtered_log(path, log_name, ""), name, limit=limit)


@st.cache_data(show_spinner="Searching cases...", max_entries=64)
def search_cases(keys: Keys, filters_json: str, case_id: str, attribute: str, value: str) -> CaseList:
    """`find_cases` on the filtered log (at most 200 cases); empty strings mean "not given"."""
    return find_cases(
        filtered_log(keys[0], keys[1], filters_json),
        case_id=case_id or None,
        attribute=attribute or None,
        value=value if attribute else None,
        limit=200,
    )


@st.cache_data(show_spinner="Loading the case...", max_entries=64)
def case_timeline(keys: Keys, filters_json: str, case_id: str) -> CaseTimeline:
    """One case's timeline in the filtered log (cached)."""
    return get_case_timeline(filtered_log(keys[0], keys[1], filters_json), case_id)


@dataclass(frozen=True, slots=True)
class Explorer:
    """The log every page shows and the filter spec shared by all pages."""

    info: LogInfo
    spec: FilterSpec
    path: str  # the workspace file, or "spark:<config path>" for a Spark log

    @property
    def keys(self) -> Keys:
        """Cache keys of the log version: (workspace path, log name, import time)."""
        return (self.path, self.info.name, self.info.imported_at.isoformat())

    @property
    def ref(self) -> str:
        """The log selector's entry of this log (its filter specs are kept under it)."""
        return choice_of(self.path, self.info.name)

    @property
    def spark(self) -> bool:
        """Whether the log is computed on Spark."""
        return spark_logs.is_spark(self.path)

    def siblings(self) -> list[LogInfo]:
        """The logs on the same engine as this one (DuckDB workspace or Spark config), this one included."""
        return [info for path, info in log_choices().values() if path == self.path]

    @property
    def spec_json(self) -> str:
        """The spec as JSON, "" without filters (the cache key of the unfiltered log)."""
        return self.spec.to_json() if self.spec.filters else ""

    @property
    def kept(self) -> int:
        """Cases passing the filters."""
        return self.info.cases if not self.spec.filters else case_count(self.keys, self.spec_json)

    def log(self) -> EventLog:
        """The filtered EventLog."""
        return filtered_log(self.keys[0], self.info.name, self.spec_json)


def spec_for(log_name: str) -> FilterSpec:
    """The filter spec of ``log_name`` (a log selector entry: "name (Spark)" for a Spark log) in this
    session (empty when none was set)."""
    return st.session_state.setdefault(SPECS, {}).get(log_name, FilterSpec())


def set_spec(log_name: str, spec: FilterSpec) -> None:
    """Store ``spec`` as the filters of ``log_name`` for every page of this session."""
    st.session_state.setdefault(SPECS, {})[log_name] = spec


def choice_of(path: str, name: str) -> str:
    """The log selector's entry of log ``name`` of workspace ``path``: the name, "name (Spark)" on Spark."""
    return spark_logs.label(name) if spark_logs.is_spark(path) else name


def log_choices() -> dict[str, tuple[str, LogInfo]]:
    """{log selector entry: (workspace path or spark:<config>, catalog row)}, the DuckDB logs first."""
    path = str(workspace_path())
    duck = {info.name: (path, info) for info in workspace_or_stop().logs()}
    return duck | {k: v for k, v in spark_logs.choices().items() if k not in duck}


def current() -> Explorer | None:
    """The chosen log (the sidebar's "Log" choice, else the first) and its filters; None without logs."""
    logs = log_choices()
    if not logs:
        return None
    ref = st.session_state.get("log")
    path, info = logs[ref] if ref in logs else next(iter(logs.values()))
    return Explorer(info, spec_for(choice_of(path, info.name)), path)
