"""Cross-checks of Baton's analytics against pm4py's own results on the real logs in ../shared/data/logs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import analytics as an
from baton import pm4py_bridge as br
from baton.api import open_workspace
from baton.log import EventLog

LOGS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "logs"
FILES = sorted(p.name for p in LOGS.glob("*.xes*")) + [p.name for p in LOGS.glob("receipt.csv")]
CSV_KEYS = {
    "case_id_key": "case:concept:name",
    "activity_key": "concept:name",
    "timestamp_key": "time:timestamp",
}
US = 1e6
pytestmark = pytest.mark.shared_data


@dataclass(frozen=True)
class Pair:
    """One log as stored by Baton and as pm4py sees the same activity instances."""

    log: EventLog
    frame: Any  # pm4py's DataFrame, merged to intervals where the file has start/complete events
    ref: br.Pm4pyPayload
    interval: bool


def _pm4py_frame(path: Path, rejected_rows: list[int]) -> tuple[Any, bool]:
    df = br.read_csv(str(path), **CSV_KEYS) if path.suffix == ".csv" else br.read_xes(str(path))
    if path.suffix == ".csv":  # back to file order, so row numbers index it
        df = df.sort_values("@@source_row").reset_index(drop=True).drop(columns=["@@source_row", "@@index"])
    if rejected_rows:  # rows Baton rejected (exact duplicates): drop the same rows on pm4py's side
        dup = df.duplicated(keep="first")
        assert all(dup.iloc[r - 1] for r in rejected_rows), "Baton rejected a row that is not a duplicate"
        df = df.drop(index=[r - 1 for r in rejected_rows]).reset_index(drop=True)
    lifecycle = df.get("lifecycle:transition")
    if lifecycle is not None and (lifecycle.str.lower() == "start").any():
        df = br.lifecycle_to_interval(df)
    return br.sort_like_pm4py(df), br.START_KEY in df.columns


@pytest.fixture(scope="module")
def workspace():
    if not LOGS.is_dir():
        pytest.skip(f"real logs not found at {LOGS} (../shared/data/logs from the project root)")
    ws = open_workspace()
    yield ws
    ws.close()


_PAIRS: dict[str, Pair] = {}


@pytest.fixture(params=FILES or [pytest.param("none", marks=pytest.mark.skip(reason=f"no logs at {LOGS}"))])
def pair(request, workspace) -> Pair:
    return _load(workspace, request.param)


def _load(workspace, name: str) -> Pair:
    if name not in _PAIRS:
        path = LOGS / name
        report = workspace.import_file(path, name=name, **(CSV_KEYS if path.suffix == ".csv" else {}))
        log = workspace.log(name)
        rejected = sorted(workspace.rejects(name).column("source_row").to_pylist())
        assert len(rejected) == report.rows_rejected
        frame, interval = _pm4py_frame(path, rejected)
        _PAIRS[name] = Pair(log, frame, br.pm4py_reference_payload(frame), interval)
    return _PAIRS[name]


def test_dfg_counts_equal_pm4py(pair):
    """DFG edge frequencies equal pm4py.discover_dfg exactly."""
    assert an.discover_dfg(pair.log).frequencies() == pair.ref.dfg
    assert {
        (e.source, e.target): e.frequency for e in an.get_process_map_payload(pair.log).edges
    } == pair.ref.dfg


def test_start_end_activities_equal_pm4py(pair):
    """Start and end activity counts equal pm4py.get_start_activities / get_end_activities."""
    dfg = an.discover_dfg(pair.log)
    assert dfg.start_activities == pair.ref.start_activities
    assert dfg.end_activities == pair.ref.end_activities
    payload = an.get_process_map_payload(pair.log)
    assert (payload.start_activities, payload.end_activities) == (dfg.start_activities, dfg.end_activities)


def test_variants_equal_pm4py(pair):
    """Variants with their case counts equal pm4py.get_variants exactly."""
    assert an.get_variants(pair.log).counts() == pair.ref.variants
    payload_variants = an.get_process_map_payload(pair.log).variants()
    assert payload_variants == pair.ref.variants
    assert list(payload_variants) == [v.activities for v in an.get_variants(pair.log).variants]  # same order


def test_case_durations_equal_pm4py(pair):
    """Per-case durations equal pm4py's to the microsecond (interval logs: where pm4py's rows are in time order)."""
    ours = dict(
        zip(
            *an.get_case_durations(pair.log)
            .to_arrow()
            .select(["case_id", "duration_us"])
            .to_pydict()
            .values(),
            strict=True,
        )
    )
    theirs = {k: round(v * US) for k, v in br.pm4py_case_durations(pair.frame).items()}
    assert ours.keys() == theirs.keys()
    differ = {k for k in ours if ours[k] != theirs[k]}
    if not pair.interval:
        assert not differ
        assert sorted(ours.values()) == [round(d * US) for d in pair.ref.case_durations_s]
        return
    # pm4py takes the last row's minus the first row's timestamp in start order; Baton the latest minus
    # the earliest timestamp. They differ exactly where an earlier-started instance completes last or first.
    ts = pair.frame.groupby("case:concept:name")["time:timestamp"]
    span = ((ts.max() - ts.min()).dt.total_seconds() * US).round().astype("int64").to_dict()
    in_order = ((ts.last() == ts.max()) & (ts.first() == ts.min())).to_dict()
    assert ours == span
    assert differ == {k for k, ok in in_order.items() if not ok}


def test_case_duration_median_p90_equal_numpy(pair):
    """Median and p90 of case durations equal numpy's median and linear quantile to the microsecond."""
    import numpy as np

    durations_s = pair.ref.case_durations_s
    if pair.interval:  # same definition as Baton's (latest minus earliest timestamp), from pm4py's frame
        ts = pair.frame.groupby("case:concept:name")["time:timestamp"]
        durations_s = (ts.max() - ts.min()).dt.total_seconds().tolist()
    stats = an.get_case_durations(pair.log).stats
    assert stats.median_us == pytest.approx(float(np.median(durations_s)) * US, abs=0.5)
    assert stats.p90_us == pytest.approx(float(np.quantile(durations_s, 0.9)) * US, abs=0.5)
    payload = an.get_process_map_payload(pair.log)
    assert (payload.median_case_duration_us, payload.p90_case_duration_us) == (stats.median_us, stats.p90_us)


def test_performance_dfg_equal_pm4py(pair):
    """Per-edge mean, median, min, max and sum equal pm4py.discover_performance_dfg to the microsecond."""
    perf = an.discover_performance_dfg(pair.log)
    assert perf.has_start_timestamps == pair.interval
    ours = {(e.source, e.target): perf.pm4py_measure(e) for e in perf.edges}
    assert ours.keys() == pair.ref.performance.keys()
    for key, st in ours.items():
        ref = pair.ref.performance[key]
        assert st.mean_us == pytest.approx(ref["mean"] * US, abs=0.5), key
        assert st.median_us == pytest.approx(ref["median"] * US, abs=0.5), key
        assert (st.min_us, st.max_us) == (round(ref["min"] * US), round(ref["max"] * US)), key
        assert st.sum_us == pytest.approx(ref["sum"] * US, rel=1e-12, abs=0.5), key


def test_payload_waiting_times_equal_pm4py(pair):
    """The payload's per-edge mean and median waiting time equal pm4py's performance DFG."""
    for e in an.get_process_map_payload(pair.log).edges:
        key = (e.source, e.target)
        assert e.mean_wait_us == pytest.approx(pair.ref.mean_wait_s[key] * US, abs=0.5), key
        assert e.median_wait_us == pytest.approx(pair.ref.median_wait_s[key] * US, abs=0.5), key


def test_to_pm4py_round_trip(pair):
    """pm4py on `to_pm4py(log)` gives the same DFG and variants as on its own reading of the file."""
    ref = br.pm4py_reference_payload(br.to_pm4py(pair.log))
    assert (ref.dfg, ref.variants) == (pair.ref.dfg, pair.ref.variants)
    assert (ref.start_activities, ref.end_activities) == (pair.ref.start_activities, pair.ref.end_activities)


def test_inductive_miner_wrapper(workspace):
    """The bridge's inductive-miner wrapper returns a net whose visible labels are the log's activities."""
    if "running-example.xes" not in FILES:
        pytest.skip(f"running-example.xes not found in {LOGS}")
    log = _load(workspace, "running-example.xes").log
    net, initial, final = br.discover_petri_net_inductive(log, noise_threshold=0.0)
    labels = {t.label for t in net.transitions if t.label is not None}
    assert labels == set(an.discover_dfg(log).activities)
    assert len(initial) == len(final) == 1


def test_bridge_import_prints_no_banner():
    """Importing pm4py through the bridge prints no licence banner or warnings."""
    import subprocess
    import sys

    code = "import baton.pm4py_bridge as b; b._pm4py()"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Welcome" not in done.stderr and "License" not in done.stderr and done.stdout == ""
