"""Analytics SQL on hand-made rows written straight into the schema's tables (no store involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

import analytics as an
from baton import schema as s
from baton.filters import CaseDuration
from baton.log import EventLog

BASE = datetime(2024, 1, 1, tzinfo=UTC)
NAMES = ["A", "B", "C"]
# case id -> day offset, events (activity code, complete second, start second or None, resource)
LOG1 = {
    "c1": (0, [(0, 0, None, "r1"), (1, 10, None, "r2"), (2, 30, None, "r1")]),
    "c2": (
        1,
        [(0, 86390, None, "r1"), (1, 86410, None, "r2"), (1, 86415, None, "r2"), (2, 86455, None, "r3")],
    ),
    "c3": (2, [(0, 0, None, "r1"), (2, 100, None, "r1")]),
}
LOG2 = {"i1": (0, [(0, 10, 0, "r1"), (1, 40, 15, "r2"), (2, 50, None, "r1")])}


class _Source:
    """A CursorSource over one in-memory connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()


def _us(sec: float) -> int:
    return int(sec * 1_000_000)


def _insert_case(con, log_id: int, index: int, case_id: str, day: int, events, variants: dict) -> None:
    t0 = BASE + timedelta(days=day)
    ts = [t0 + timedelta(seconds=e[1]) for e in events]
    st = [None if e[2] is None else t0 + timedelta(seconds=e[2]) for e in events]
    sort = [b or a for a, b in zip(ts, st, strict=True)]
    for pos, (code, _, _, res) in enumerate(events):
        nxt = pos + 1 < len(events)
        gap = _us((ts[pos + 1] - ts[pos]).total_seconds()) if nxt else None
        # stored: the next event's start offset; next_wait_us and service_us are virtual columns
        offset = _us((st[pos + 1] - ts[pos + 1]).total_seconds()) if nxt and st[pos + 1] else None
        nxt_code = events[pos + 1][0] if nxt else None
        row = (
            index,
            pos,
            code,
            ts[pos],
            st[pos],
            res,
            None,
            100 * index + pos,
            nxt_code,
            gap,
            offset,
        )
        con.execute(
            f"INSERT INTO {s.events_table(log_id)} ({s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, "
            f"{s.TIMESTAMP}, {s.START_TIMESTAMP}, {s.RESOURCE}, {s.LIFECYCLE}, {s.EVENT_ORDER}, "
            f"{s.NEXT_ACTIVITY_CODE}, {s.NEXT_GAP_US}, {s.NEXT_START_OFFSET_US}) VALUES ({', '.join('?' * 11)})",
            row,
        )
    codes = tuple(e[0] for e in events)
    vid = variants.setdefault(codes, len(variants))
    rework = len(set(codes)) < len(codes)
    dur = _us((max(ts) - min(ts)).total_seconds())
    span = _us((max(ts) - min(sort)).total_seconds())
    row = (
        log_id,
        index,
        case_id,
        vid,
        len(events),
        min(sort),
        max(ts),
        min(ts),
        dur,
        span,
        codes[0],
        codes[-1],
        rework,
    )
    con.execute(f"INSERT INTO {s.CASES} VALUES ({', '.join('?' * 13)})", row)


def _insert_log(con, log_id: int, cases: dict) -> None:
    con.execute(s.events_ddl(log_id, intervals=True))
    variants: dict[tuple[int, ...], int] = {}
    for index, (case_id, (day, events)) in enumerate(cases.items()):
        _insert_case(con, log_id, index, case_id, day, events, variants)
    for codes, vid in variants.items():
        n = con.execute(
            f"SELECT count(*) FROM {s.CASES} WHERE log_id = ? AND variant_id = ?", [log_id, vid]
        ).fetchall()[0][0]
        con.execute(
            f"INSERT INTO {s.VARIANTS} VALUES (?, ?, ?, ?, ?)", [log_id, vid, list(codes), len(codes), n]
        )
    for code, name in enumerate(NAMES):
        con.execute(f"INSERT INTO {s.ACTIVITIES} VALUES (?, ?, ?)", [log_id, code, name])


@pytest.fixture(scope="module")
def logs() -> tuple[EventLog, EventLog]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(s.DDL)
    _insert_log(con, 1, LOG1)
    _insert_log(con, 2, LOG2)
    src = _Source(con)
    return EventLog(src, 1, "plain"), EventLog(src, 2, "interval")


def test_dfg_counts(logs):
    """Edge frequency and case frequency, start, end and activity counts are group-bys on codes."""
    dfg = an.discover_dfg(logs[0])
    assert dfg.frequencies() == {("A", "B"): 2, ("B", "C"): 2, ("A", "C"): 1, ("B", "B"): 1}
    assert {(e.source, e.target): e.case_frequency for e in dfg.edges}[("B", "B")] == 1
    assert dfg.start_activities == {"A": 3} and dfg.end_activities == {"C": 3}
    assert dfg.activities == {"A": 3, "B": 3, "C": 3}
    assert list(dfg.to_frame().columns) == ["source", "target", "frequency", "case_frequency"]
    assert an.get_start_activities(logs[0]) == {"A": 3} and an.get_end_activities(logs[0]) == {"C": 3}


def test_performance_dfg_stats(logs):
    """Per-edge gap statistics: mean, numpy-style median and linear p90, in microseconds."""
    perf = an.discover_performance_dfg(logs[0])
    ab = next(e for e in perf.edges if (e.source, e.target) == ("A", "B"))
    assert (ab.gap.count, ab.gap.min_us, ab.gap.max_us, ab.gap.sum_us) == (
        2,
        10_000_000,
        20_000_000,
        30_000_000,
    )
    assert (ab.gap.mean_us, ab.gap.median_us, ab.gap.p90_us) == (15e6, 15e6, 19e6)
    assert ab.gap.median == timedelta(seconds=15)
    assert ab.waiting is None and perf.service == {} and not perf.has_start_timestamps


def test_performance_dfg_with_start_timestamps(logs):
    """With starts, waiting = next start - this complete; service time = complete - start."""
    perf = an.discover_performance_dfg(logs[1])
    ab = next(e for e in perf.edges if (e.source, e.target) == ("A", "B"))
    assert ab.gap.mean_us == 30e6 and ab.waiting is not None and ab.waiting.mean_us == 5e6
    assert perf.pm4py_measure(ab).median_us == 5e6
    assert {a: st.mean_us for a, st in perf.service.items()} == {"A": 10e6, "B": 25e6}


def test_variants_ordered_with_coverage(logs):
    """Variants ordered by count then activities, with share, coverage and duration."""
    var = an.get_variants(logs[0])
    assert [v.activities for v in var.variants] == [("A", "B", "B", "C"), ("A", "B", "C"), ("A", "C")]
    assert [v.count for v in var.variants] == [1, 1, 1] and var.cases == 3
    assert var.variants[1].coverage == pytest.approx(2 / 3)
    assert var.variants[0].median_duration == timedelta(seconds=65)
    assert var.to_frame()["activities"].iloc[2] == "A -> C"


def test_case_durations(logs):
    """Case durations: latest minus earliest timestamp; median 65 s, linear p90 93 s."""
    cd = an.get_case_durations(logs[0])
    assert cd.cases == 3 and cd.stats.min_us == 30e6 and cd.stats.max_us == 100e6
    assert (cd.stats.mean_us, cd.stats.median_us, cd.stats.p90_us) == (65e6, 65e6, 93e6)
    assert cd.to_frame()["case_id"].tolist() == ["c3", "c2", "c1"]


def test_case_duration_and_span_with_starts(logs):
    """Interval case: duration from the earliest complete (40 s), span from the first start (50 s)."""
    frame = an.get_case_durations(logs[1]).to_frame()
    assert frame["duration_us"].tolist() == [40_000_000] and frame["span_us"].tolist() == [50_000_000]


def test_activity_statistics_and_rework(logs):
    """Occurrences, cases and rework per activity; self-loops counted once per direct repeat."""
    stats = {a.activity: a for a in an.get_activity_statistics(logs[0]).activities}
    assert (stats["B"].occurrences, stats["B"].cases, stats["B"].rework_occurrences) == (3, 2, 1)
    assert stats["A"].service is None
    rw = an.get_rework(logs[0])
    assert [(a.activity, a.cases, a.repeats, a.self_loops) for a in rw.activities] == [("B", 1, 1, 1)]
    assert (rw.cases, rw.cases_with_rework) == (3, 1)
    interval = {a.activity: a.service for a in an.get_activity_statistics(logs[1]).activities}
    assert interval["B"] is not None and interval["B"].median_us == 25e6 and interval["C"] is None


def test_throughput_per_day(logs):
    """A case crossing midnight is in progress at the end of its start day and completed the next."""
    tp = an.get_throughput(logs[0], period="day")
    got = [(p.period_start.day, p.started, p.completed, p.in_progress) for p in tp.periods]
    assert got == [(1, 1, 1, 0), (2, 1, 0, 1), (3, 1, 2, 0)]
    assert [p.started for p in an.get_throughput(logs[0], period="month").periods] == [3]
    week = an.get_throughput(logs[0], period="week").periods  # 2024-01-01 is a Monday
    assert [(p.period_start.date().isoformat(), p.started, p.completed) for p in week] == [
        ("2024-01-01", 3, 3)
    ]
    with pytest.raises(ValueError, match="period"):
        an.get_throughput(logs[0], period="year")  # type: ignore[arg-type]


def test_resources_and_handovers(logs):
    """Resource workload and handovers between different resources of consecutive events."""
    res = {
        r.resource: (r.events, r.cases, r.activities) for r in an.get_resource_statistics(logs[0]).resources
    }
    assert res == {"r1": (5, 3, 2), "r2": (3, 2, 1), "r3": (1, 1, 1)}
    hand = {(h.source, h.target): h.count for h in an.get_handovers(logs[0]).handovers}
    assert hand == {("r1", "r2"): 2, ("r2", "r1"): 1, ("r2", "r3"): 1}
    with_self = {
        (h.source, h.target): h.count for h in an.get_handovers(logs[0], include_self=True).handovers
    }
    assert with_self[("r2", "r2")] == 1 and with_self[("r1", "r1")] == 1


def test_payload_matches_individual_analytics(logs):
    """The one-call payload agrees with the DFG, variants and durations computed separately."""
    for log in logs:
        pay = an.get_process_map_payload(log)
        dfg = an.discover_dfg(log)
        assert {(e.source, e.target): e.frequency for e in pay.edges} == dfg.frequencies()
        assert pay.start_activities == dfg.start_activities and pay.end_activities == dfg.end_activities
        assert pay.activities == dfg.activities
        assert pay.variants() == an.get_variants(log).counts()
    pay = an.get_process_map_payload(logs[0])
    assert pay.median_case_duration == timedelta(seconds=65) and pay.p90_case_duration_us == 93e6
    ab = next(e for e in pay.edges if (e.source, e.target) == ("A", "B"))
    assert (ab.mean_wait_us, ab.median_wait_us) == (15e6, 15e6)
    assert next(e for e in an.get_process_map_payload(logs[1]).edges if e.source == "A").mean_wait_us == 5e6


def test_filtered_log_keeps_whole_cases(logs):
    """A case filter (duration <= 70 s) drops case c3 and its A -> C edge from every analytic."""
    short = logs[0].filter(CaseDuration(max_seconds=70))
    assert an.discover_dfg(short).frequencies() == {("A", "B"): 2, ("B", "C"): 2, ("B", "B"): 1}
    assert an.get_variants(short).cases == 2 and an.get_case_durations(short).stats.max_us == 65e6
    assert an.get_process_map_payload(short).variants() == {("A", "B", "B", "C"): 1, ("A", "B", "C"): 1}


def test_empty_selection(logs):
    """An empty selection yields empty results and None statistics instead of errors."""
    none = logs[0].filter(CaseDuration(max_seconds=1))
    assert an.discover_dfg(none).edges == () and an.get_variants(none).variants == ()
    assert an.get_case_durations(none).stats.median_us is None
    assert an.get_process_map_payload(none).cases == 0 and an.get_throughput(none).periods == ()
