"""Hypothesis properties of the analytics on random small logs imported through the store."""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analytics as an
from baton import filters as f
from baton import pm4py_bridge as br
from baton.api import open_workspace

BASE = datetime(2024, 3, 1, tzinfo=UTC)
KEYS = {
    "case_id_key": "case",
    "activity_key": "activity",
    "timestamp_key": "time",
    "resource_key": "resource",
}

# A case: 1-6 events of (activity, minutes after the log start, resource); few distinct minutes, so
# timestamps often tie (order then comes from the file) and cases cross midnight.
events = st.tuples(
    st.sampled_from("abcd"),
    st.sampled_from([0, 0, 1, 2, 60, 1440, 2000]),
    st.sampled_from(["r1", "r2", "r3"]),
)
logs = st.lists(st.lists(events, min_size=1, max_size=6), min_size=1, max_size=8)
case_filters = st.one_of(
    st.builds(f.CaseDuration, max_seconds=st.integers(0, 130_000)),
    st.builds(f.StartActivities, activities=st.tuples(st.sampled_from("abcd"))),
    st.builds(f.EndActivities, activities=st.tuples(st.sampled_from("abcd")), keep=st.booleans()),
    st.builds(f.VariantSelection, top_k=st.integers(1, 3)),
    st.builds(f.HasRework, activity=st.sampled_from([None, "a", "b"])),
    st.builds(f.Follows, source=st.sampled_from("ab"), target=st.sampled_from("cd"), directly=st.booleans()),
)


@pytest.fixture(scope="module")
def workspace():
    ws = open_workspace()
    yield ws
    ws.close()


def _write_csv(cases: list[list[tuple[str, int, str]]], folder: str) -> Path:
    """Rows in file order, cases interleaved by event index so file order is not case order."""
    path = Path(folder) / "log.csv"
    rows = [
        (f"c{ci}", act, (BASE + timedelta(minutes=m)).isoformat(), res)
        for depth in range(6)
        for ci, case in enumerate(cases)
        if depth < len(case)
        for act, m, res in [case[depth]]
    ]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["case", "activity", "time", "resource"])
        writer.writerows(rows)
    return path


def _import(workspace, cases):
    with tempfile.TemporaryDirectory() as folder:
        path = _write_csv(cases, folder)
        workspace.import_file(path, name="random", **KEYS)
        frame = br.read_csv(str(path), case_id_key="case", activity_key="activity", timestamp_key="time")
        rejected = workspace.rejects("random").column("source_row").to_pylist()
        frame = frame[~frame["@@source_row"].isin(rejected)]
    return workspace.log("random"), frame


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=logs)
def test_counting_invariants(workspace, cases):
    """Edges sum to events minus cases; starts, ends and variants sum to cases; durations are >= 0."""
    log, _ = _import(workspace, cases)
    n_cases, n_events = workspace.info("random").cases, workspace.info("random").events
    dfg = an.discover_dfg(log)
    assert sum(e.frequency for e in dfg.edges) == n_events - n_cases
    assert sum(dfg.start_activities.values()) == sum(dfg.end_activities.values()) == n_cases
    assert sum(dfg.activities.values()) == n_events
    assert sum(v.count for v in an.get_variants(log).variants) == n_cases
    durations = an.get_case_durations(log)
    assert durations.cases == n_cases and durations.stats.min_us >= 0
    assert all(e.gap.min_us >= 0 for e in an.discover_performance_dfg(log).edges)
    tp = an.get_throughput(log, period="day")
    assert sum(p.started for p in tp.periods) == sum(p.completed for p in tp.periods) == n_cases


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=logs)
def test_payload_equals_pm4py_with_ties(workspace, cases):
    """On random logs with equal timestamps, DFG, variants, starts and ends equal pm4py's (file order breaks ties)."""
    log, frame = _import(workspace, cases)
    ref = br.pm4py_reference_payload(br.sort_like_pm4py(frame))
    payload = an.get_process_map_payload(log)
    assert {(e.source, e.target): e.frequency for e in payload.edges} == ref.dfg
    assert payload.variants() == ref.variants
    assert (payload.start_activities, payload.end_activities) == (ref.start_activities, ref.end_activities)
    assert sorted(an.get_case_durations(log).to_frame()["duration_us"]) == [
        round(d * 1e6) for d in ref.case_durations_s
    ]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=logs, flt=case_filters)
def test_filters_never_add_cases(workspace, cases, flt):
    """A filtered log's cases are a subset of the log's, and every analytic sees only those cases."""
    log, _ = _import(workspace, cases)
    kept = log.filter(flt)
    all_ids = set(an.get_case_durations(log).to_frame()["case_id"])
    kept_ids = set(an.get_case_durations(kept).to_frame()["case_id"])
    assert kept_ids <= all_ids
    payload = an.get_process_map_payload(kept)
    assert payload.cases == len(kept_ids) == sum(payload.start_activities.values())
    assert sum(payload.variant_table.column("count").to_pylist()) == len(kept_ids)
