"""Process-map measures: hand-computed on a tiny log and equal to pm4py's on the sample BEFORE log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics import ActivityMeasure, EdgeMeasure, get_edge_measures
from baton import pm4py_bridge as br
from baton.api import Workspace, open_workspace

US = 1_000_000
# case -> [(activity, second)]; c4 takes A -> B twice, so that edge's case frequency (3) < frequency (4)
TINY = {
    "c1": [("A", 0), ("B", 10), ("C", 30)],
    "c2": [("A", 0), ("B", 5), ("B", 20), ("C", 60)],
    "c3": [("A", 0), ("C", 100)],
    "c4": [("A", 0), ("B", 1), ("A", 2), ("B", 4)],
}


def write_tiny_log(path: Path) -> Path:
    """The TINY log as a CSV file (case_id, activity, timestamp)."""
    rows = ["case_id,activity,timestamp"]
    for case, events in TINY.items():
        rows += [f"{case},{a},2024-01-01T00:{s // 60:02d}:{s % 60:02d}Z" for a, s in events]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """Measures of the TINY log."""
    with open_workspace() as ws:
        ws.import_file(write_tiny_log(tmp_path_factory.mktemp("tiny") / "tiny.csv"), name="tiny")
        return get_edge_measures(ws.log("tiny"))


def _row(e: EdgeMeasure | None) -> tuple[int, int, int]:
    assert e is not None
    return e.frequency, e.case_frequency, e.max_wait_us


def _waits(e: EdgeMeasure | None) -> list[float]:
    assert e is not None
    return [e.mean_wait_us, e.median_wait_us, e.p90_wait_us]


def test_tiny_edge_measures_by_hand(tiny) -> None:
    """Frequency, case frequency and mean/median/p90/max waits of A -> B and B -> C, computed by hand."""
    # A -> B waits: 10 (c1), 5 (c2), 1 and 2 (c4): sorted 1, 2, 5, 10; p90 = 5 + 0.7 * 5
    assert _row(tiny.edge("A", "B")) == (4, 3, 10 * US)
    assert _waits(tiny.edge("A", "B")) == pytest.approx([4.5 * US, 3.5 * US, 8.5 * US])
    # B -> C waits: 20 (c1), 40 (c2); p90 = 20 + 0.9 * 20
    assert _row(tiny.edge("B", "C")) == (2, 2, 40 * US)
    assert _waits(tiny.edge("B", "C")) == pytest.approx([30 * US, 30 * US, 38 * US])
    assert tiny.edge("B", "B") == EdgeMeasure("B", "B", 1, 1, 15 * US, 15 * US, 15 * US, 15 * US)
    assert tiny.edge("C", "A") is None
    assert [(e.source, e.target) for e in tiny.edges] == [
        ("A", "B"),
        ("B", "C"),
        ("A", "C"),
        ("B", "A"),
        ("B", "B"),
    ]


def test_tiny_activity_and_endpoint_counts(tiny) -> None:
    """Activity frequency counts events, case frequency counts distinct cases; start and end counts."""
    assert tiny.activities == {
        "A": ActivityMeasure("A", 5, 4),
        "B": ActivityMeasure("B", 5, 3),
        "C": ActivityMeasure("C", 3, 3),
    }
    assert tiny.start_activities == {"A": 4}
    assert tiny.end_activities == {"C": 3, "B": 1}
    frame = tiny.to_frame()
    assert list(frame.columns[:4]) == ["source", "target", "frequency", "case_frequency"]
    assert frame["frequency"].sum() == sum(len(ev) - 1 for ev in TINY.values())


@pytest.fixture(scope="module")
def before(sample_logs: Path):
    """The sample BEFORE log (interval log: start timestamps) in Baton, and pm4py's frame of it."""
    ws: Workspace = open_workspace()
    ws.import_file(sample_logs / "loans_before.csv", name="before")
    log = ws.log("before")
    yield get_edge_measures(log), br.sort_like_pm4py(br.to_pm4py(log))
    ws.close()


def test_counts_equal_pm4py(before) -> None:
    """Edge, activity, start and end counts equal pm4py's discover_dfg and friends."""
    ours, df = before
    pm4py = br._pm4py()
    dfg, starts, ends = pm4py.discover_dfg(df.copy())
    assert {(e.source, e.target): e.frequency for e in ours.edges} == {k: int(v) for k, v in dfg.items()}
    assert ours.start_activities == {k: int(v) for k, v in starts.items()}
    assert ours.end_activities == {k: int(v) for k, v in ends.items()}
    counts = df["concept:name"].value_counts().to_dict()
    assert {a: m.frequency for a, m in ours.activities.items()} == counts


def test_case_frequencies_equal_pandas(before) -> None:
    """Case frequency = distinct cases holding the edge or activity, counted again with pandas."""
    ours, df = before
    nxt = df.groupby("case:concept:name")["concept:name"].shift(-1)
    pairs = df.assign(nxt=nxt).dropna(subset=["nxt"])
    expected = pairs.groupby(["concept:name", "nxt"])["case:concept:name"].nunique().to_dict()
    assert {(e.source, e.target): e.case_frequency for e in ours.edges} == expected
    per_activity = df.groupby("concept:name")["case:concept:name"].nunique().to_dict()
    assert {a: m.case_frequency for a, m in ours.activities.items()} == per_activity
    assert any(e.case_frequency < e.frequency for e in ours.edges)  # the loop edges repeat within cases


def test_waiting_times_equal_pm4py(before) -> None:
    """Mean, median and max waits equal pm4py's performance DFG; p90 equals numpy on pm4py's raw values."""
    ours, df = before
    pm4py = br._pm4py()
    perf, _, _ = pm4py.discover_performance_dfg(df.copy())
    raw, _, _ = pm4py.discover_performance_dfg(df.copy(), perf_aggregation_key="raw_values")
    assert {(e.source, e.target) for e in ours.edges} == set(perf)
    for e in ours.edges:
        ref = perf[(e.source, e.target)]
        assert e.mean_wait_us == pytest.approx(ref["mean"] * US, abs=0.5)
        assert e.median_wait_us == pytest.approx(ref["median"] * US, abs=0.5)
        assert e.max_wait_us == round(ref["max"] * US)
        p90 = float(np.quantile(raw[(e.source, e.target)], 0.9))
        assert e.p90_wait_us == pytest.approx(p90 * US, abs=0.5)
