"""Explorer analytics (bottlenecks, case search, timelines, drill-down) on hand-made logs and against pm4py."""

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
from baton.errors import FilterError

BASE = datetime(2024, 1, 1, tzinfo=UTC)
H = 3_600_000_000  # one hour in microseconds
LOANS = Path(__file__).resolve().parents[1] / "sample_logs" / "loans_before.csv"
# case, activity, start hour (or None), complete hour, resource, amount, region
ROWS = [
    ("c1", "A", None, 0, "r1", 10, "north"),
    ("c1", "B", 2, 3, "r2", 20, "north"),
    ("c1", "C", 5, 6, "r1", 30, "north"),
    ("c2", "A", None, 0, "r1", 5, "south"),
    ("c2", "B", 1, 2, "r2", 5, "south"),
    ("c2", "B", 4, 5, "r3", 5, "south"),
    ("c2", "C", 10, 11, "r1", 5, "south"),
    ("X3", "A", None, 0, "r1", 7, "north"),
    ("X3", "C", 1, 3, "r2", 7, "north"),
]


def _iso(hour: int | None) -> str:
    return "" if hour is None else (BASE + timedelta(hours=hour)).isoformat()


@pytest.fixture
def tiny(ws, tmp_path):
    """The nine-event log above, imported (waits: A->B 2h/1h, B->C 2h/5h, B->B 2h, A->C 1h)."""
    path = tmp_path / "tiny.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["case", "activity", "start", "time", "resource", "amount", "region"])
        out.writerows((c, a, _iso(s0), _iso(t), r, amt, reg) for c, a, s0, t, r, amt, reg in ROWS)
    ws.import_file(
        path,
        name="tiny",
        case_id_key="case",
        activity_key="activity",
        timestamp_key="time",
        start_timestamp_key="start",
        resource_key="resource",
    )
    return ws.log("tiny")


def test_transitions_ranked_by_total_time_lost(tiny):
    """Edges carry frequency, cases, share and waiting statistics, ranked by the sum of waiting time."""
    b = an.get_bottlenecks(tiny)
    assert [(t.source, t.target) for t in b.transitions] == [("B", "C"), ("A", "B"), ("B", "B"), ("A", "C")]
    assert b.total_transitions == 4 and b.cases == 3 and b.has_start_timestamps
    bc, ab = b.transitions[0], b.transitions[1]
    assert (bc.frequency, bc.cases, bc.case_share) == (2, 2, pytest.approx(2 / 3))
    assert (bc.waiting.median_us, bc.waiting.p90_us) == (3.5 * H, pytest.approx(4.7 * H))
    assert (bc.waiting.mean_us, bc.waiting.max_us, bc.total_lost_us) == (3.5 * H, 5 * H, 7 * H)
    assert (ab.waiting.median_us, ab.waiting.max_us, ab.total_lost_us) == (1.5 * H, 2 * H, 3 * H)
    assert [t.total_lost_us for t in an.get_bottlenecks(tiny, top=2).transitions] == [7 * H, 3 * H]
    assert an.get_bottlenecks(tiny, top=2).total_transitions == 4
    frame = b.to_frame()
    assert list(frame["total_lost_us"]) == [7 * H, 3 * H, 2 * H, H]


def test_findings_are_plain_sentences(tiny):
    """findings() phrases the top transitions with human durations, case share and total lost."""
    assert an.get_bottlenecks(tiny).findings(2) == [
        "B -> C waits a median 3.5 hours (p90 4.7 hours) in 67% of cases; 7.0 hours lost in total",
        "A -> B waits a median 1.5 hours (p90 1.9 hours) in 67% of cases; 3.0 hours lost in total",
    ]
    assert len(an.get_bottlenecks(tiny).findings()) == 4


def test_format_duration_units():
    """Durations read in seconds, minutes, hours or days, large counts with thousands separators."""
    assert an.format_duration(45e6) == "45 s"
    assert an.format_duration(12 * 60e6) == "12.0 min"
    assert an.format_duration(3.2 * 86400e6) == "3.2 days"
    assert an.format_duration(1234 * 86400e6) == "1,234 days"
    assert an.format_duration(None) == "-"


def test_activities_by_incoming_wait_and_service(tiny):
    """Activities rank by total wait before them; by_service ranks by processing time where starts exist."""
    b = an.get_bottlenecks(tiny)
    assert [a.activity for a in b.activities] == ["C", "B", "A"]
    c, bb, a = b.activities
    assert (c.occurrences, c.cases, c.incoming_wait.sum_us, c.incoming_wait.median_us) == (3, 3, 8 * H, 2 * H)
    assert (bb.occurrences, bb.cases, bb.incoming_wait.sum_us) == (3, 2, 5 * H)
    assert a.incoming_wait is None and a.service is None
    assert [(x.activity, x.service.sum_us) for x in b.by_service()] == [("C", 4 * H), ("B", 3 * H)]
    assert list(b.activities_frame()["wait_sum_us"].fillna(0)) == [8 * H, 5 * H, 0]


def test_rework_hot_spots(tiny):
    """Repeated activities: cases affected, their share, extra executions and self-loops."""
    (hot,) = an.get_bottlenecks(tiny).rework
    assert (hot.activity, hot.cases, hot.case_share, hot.extra, hot.self_loops) == ("B", 1, 1 / 3, 1, 1)
    assert an.get_bottlenecks(tiny).rework_frame().to_dict("records") == [
        {"activity": "B", "cases": 1, "case_share": 1 / 3, "extra": 1, "self_loops": 1}
    ]


def test_find_cases_by_id_and_attribute(tiny):
    """Case ids match as case-insensitive substrings; attributes by equality (event ones via any event)."""
    assert [c.case_id for c in an.find_cases(tiny, case_id="C").cases] == ["c1", "c2"]
    found = an.find_cases(tiny, case_id="x")
    assert (found.total, found.cases[0].case_id, found.cases[0].n_events) == (1, "X3", 2)
    assert found.cases[0].duration_us == 3 * H and found.cases[0].start == BASE
    assert [c.case_id for c in an.find_cases(tiny, attribute="region", value="north").cases] == ["X3", "c1"]
    assert [c.case_id for c in an.find_cases(tiny, attribute="amount", value=20).cases] == ["c1"]
    assert [c.case_id for c in an.find_cases(tiny, attribute="amount", value="5").cases] == ["c2"]
    both = an.find_cases(tiny, case_id="c", attribute="region", value="north")
    assert [c.case_id for c in both.cases] == ["c1"]
    limited = an.find_cases(tiny, limit=1)
    assert (len(limited.cases), limited.total) == (1, 3)
    assert list(limited.to_frame().columns) == [
        "case_id",
        "n_events",
        "start",
        "end",
        "duration_us",
        "variant_id",
    ]


def test_case_timeline(tiny):
    """Events in order with waiting since the previous event, service time and attributes."""
    t = an.get_case_timeline(tiny, "c2")
    assert (t.case_id, t.duration_us, t.attributes) == ("c2", 11 * H, {"region": "south"})
    assert [e.activity for e in t.events] == ["A", "B", "B", "C"]
    assert [e.waiting_us for e in t.events] == [None, H, 2 * H, 5 * H]
    assert [e.service_us for e in t.events] == [None, H, H, H]
    assert [e.resource for e in t.events] == ["r1", "r2", "r3", "r1"]
    assert t.events[2].start_timestamp == BASE + timedelta(hours=4)
    assert t.events[2].timestamp == BASE + timedelta(hours=5)
    assert [e.attributes for e in t.events] == [{"amount": 5}] * 4
    assert list(t.to_frame()["amount"]) == [5] * 4


def test_cases_behind_activity_and_edge(tiny):
    """Drill-down lists the cases with an activity or an edge, longest first, with the total count."""
    behind = an.get_cases_behind(tiny, activity="B")
    assert ([c.case_id for c in behind.cases], behind.total) == (["c2", "c1"], 2)
    assert [c.case_id for c in an.get_cases_behind(tiny, edge=("A", "C")).cases] == ["X3"]
    assert [c.case_id for c in an.get_cases_behind(tiny, edge=("B", "B")).cases] == ["c2"]
    assert an.get_cases_behind(tiny, edge=("C", "A")).total == 0
    one = an.get_cases_behind(tiny, activity="A", limit=1)
    assert ([c.case_id for c in one.cases], one.total) == (["c2"], 3)


def test_filtered_log_is_respected(tiny):
    """A filter restricts bottlenecks, search, drill-down and timelines to the cases it keeps."""
    north = tiny.filter(f.CaseAttribute("region", ("north",)))
    b = an.get_bottlenecks(north)
    assert b.cases == 2 and b.rework == ()
    assert {(t.source, t.target): (t.frequency, t.total_lost_us) for t in b.transitions} == {
        ("A", "B"): (1, 2 * H),
        ("B", "C"): (1, 2 * H),
        ("A", "C"): (1, H),
    }
    assert b.transitions[0].case_share == 0.5
    assert an.find_cases(north, case_id="c").total == 1
    assert an.get_cases_behind(north, activity="B").total == 1
    assert an.get_cases_behind(north, edge=("B", "B")).total == 0
    with pytest.raises(FilterError, match="excluded by the log's filters"):
        an.get_case_timeline(north, "c2")


def test_clear_errors(tiny):
    """Unknown case ids, activities and attribute names raise FilterError naming what was wrong."""
    with pytest.raises(FilterError, match="'nope' does not exist in log 'tiny'"):
        an.get_case_timeline(tiny, "nope")
    with pytest.raises(FilterError, match="no activity 'Z'.*A, B, C"):
        an.get_cases_behind(tiny, edge=("A", "Z"))
    with pytest.raises(FilterError, match="exactly one of activity= or edge="):
        an.get_cases_behind(tiny)
    with pytest.raises(FilterError, match=r"no attribute 'colour'.*\['region'\].*\['amount'\]"):
        an.find_cases(tiny, attribute="colour", value="red")
    with pytest.raises(FilterError, match="needs value="):
        an.find_cases(tiny, attribute="region")


# ---- cross-checks against pm4py on the sample loans log -----------------------------------------


@pytest.fixture(scope="module")
def loans():
    """loans_before.csv in Baton and, read independently, in pm4py's format (missing starts = timestamp)."""
    import pandas as pd

    workspace = open_workspace()
    workspace.import_file(LOANS, name="loans")
    frame = br.read_csv(str(LOANS), case_id_key="case_id", activity_key="activity", timestamp_key="timestamp")
    start = pd.to_datetime(frame["start_timestamp"], utc=True, format="ISO8601")
    frame["start_timestamp"] = start.fillna(frame["time:timestamp"]).astype("datetime64[ns, UTC]")
    frame = br.sort_like_pm4py(frame.drop(columns=["@@index", "@@source_row"]))
    yield workspace.log("loans"), frame
    workspace.close()


def _pm4py_edges(frame, **options):
    from pm4py.algo.discovery.dfg.adapters.pandas import df_statistics

    br._pm4py()  # pm4py imported quietly (no banner)
    return df_statistics.get_dfg_graph(frame.copy(), start_timestamp_key="start_timestamp", **options)


def test_transition_waits_and_case_counts_equal_pm4py(loans):
    """Per edge median and max waiting time equal pm4py's performance DFG; case counts its once-per-case DFG."""
    log, frame = loans
    ours = {(t.source, t.target): t for t in an.get_bottlenecks(log, top=None).transitions}
    median = _pm4py_edges(frame, measure="performance", perf_aggregation_key="median")
    maximum = _pm4py_edges(frame, measure="performance", perf_aggregation_key="max")
    per_case = _pm4py_edges(frame, keep_once_per_case=True)
    assert ours.keys() == median.keys() == per_case.keys()
    for key, t in ours.items():
        assert t.waiting.median_us == pytest.approx(median[key] * 1e6, abs=0.5), key
        assert t.waiting.max_us == round(maximum[key] * 1e6), key
        assert t.cases == per_case[key], key


def test_case_timeline_equals_pm4py(loans):
    """A case's events and its per-edge waiting sums equal pm4py's on that case alone."""
    log, frame = loans
    case_id = an.get_cases_behind(log, activity="Request Missing Documents", limit=1).cases[0].case_id
    timeline = an.get_case_timeline(log, case_id)
    one = frame[frame["case:concept:name"] == case_id]
    assert [e.activity for e in timeline.events] == list(one["concept:name"])
    assert [e.timestamp for e in timeline.events] == list(one["time:timestamp"])
    sums: dict[tuple[str, str], int] = {}
    for prev, ev in zip(timeline.events, timeline.events[1:], strict=False):
        sums[(prev.activity, ev.activity)] = sums.get((prev.activity, ev.activity), 0) + ev.waiting_us
    ref = _pm4py_edges(one, measure="performance", perf_aggregation_key="sum")
    assert sums == {k: round(v * 1e6) for k, v in ref.items()}
    assert timeline.attributes.keys() == {"loan_amount", "product", "channel", "region"}


# ---- properties on random logs -------------------------------------------------------------------

events = st.tuples(st.sampled_from("abc"), st.sampled_from([0, 0, 1, 5, 60, 1440]))
logs = st.lists(st.lists(events, min_size=1, max_size=5), min_size=1, max_size=6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=logs)
def test_bottleneck_invariants(ws, cases):
    """Total time lost sums to the case durations (no starts); shares lie in [0, 1]; drill-down agrees."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        with path.open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["case", "activity", "time"])
            for ci, case in enumerate(cases):
                out.writerows((f"k{ci}", a, (BASE + timedelta(minutes=m)).isoformat()) for a, m in case)
        ws.import_file(path, name="random", case_id_key="case", activity_key="activity", timestamp_key="time")
    log = ws.log("random")
    b = an.get_bottlenecks(log, top=None)
    durations = an.get_case_durations(log).to_frame()["duration_us"]
    assert sum(t.total_lost_us for t in b.transitions) == int(durations.sum())
    info = ws.info("random")  # exact duplicate events are rejected at import
    assert sum(t.frequency for t in b.transitions) == info.events - info.cases == info.events - b.cases
    assert all(0 < t.case_share <= 1 and t.cases <= t.frequency for t in b.transitions)
    assert all(0 < r.case_share <= 1 for r in b.rework)
    for t in b.transitions:
        behind = an.get_cases_behind(log, edge=(t.source, t.target), limit=0)
        assert (behind.cases, behind.total) == ((), t.cases)
    assert an.find_cases(log, case_id="K").total == len(cases)
