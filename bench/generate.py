"""Generate seeded, realistic benchmark event logs (loops, skips, lognormal waits, ongoing cases) as Parquet and CSV.

Usage: ``.venv/bin/python bench/generate.py [--sizes 100k,1m,10m] [--seed 42] [--out bench/data]``

Each size writes ``log_<size>.parquet`` (timestamps as ``timestamp[us, UTC]``) and ``log_<size>.csv``
(ISO 8601 text with the Europe/Amsterdam offset of each instant, e.g. ``2023-11-14T23:13:20.123+0100``),
with columns ``case_id, activity, timestamp, resource, cost``, rows in timestamp order as a system export
would write them. Every case's timestamps strictly increase (millisecond resolution) so the event order is
unambiguous and no row is a duplicate; cases still running at the export time are cut off (ongoing cases).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ACTIVITIES = (
    "Register request",  # 0
    "Check completeness",  # 1
    "Request missing documents",  # 2
    "Assess risk",  # 3
    "Manual review",  # 4
    "Approve",  # 5
    "Reject",  # 6
    "Notify customer",  # 7
    "Disburse payment",  # 8
    "Close case",  # 9
    "Reopen case",  # 10
)
END = len(ACTIVITIES)
# Transition probabilities from each activity to the next (last column: the case ends).
_T = {
    0: {1: 0.93, 3: 0.05, END: 0.02},  # skip straight to risk; a few cases stop after registration
    1: {2: 0.25, 3: 0.65, 5: 0.08, END: 0.02},  # loop via missing documents; skip the risk check
    2: {1: 0.9, END: 0.1},  # documents requested -> checked again (loop), or the customer gives up
    3: {4: 0.3, 5: 0.5, 6: 0.2},
    4: {3: 0.25, 5: 0.5, 6: 0.25},  # manual review sends back to assessment (loop)
    5: {7: 0.7, 8: 0.3},  # notify or pay first (concurrency-like reordering)
    6: {7: 0.95, 9: 0.05},
    7: {8: 0.55, 9: 0.45},
    8: {7: 0.2, 9: 0.8},
    9: {END: 0.92, 10: 0.08},
    10: {3: 0.6, 1: 0.4},  # rework loop after closing
}
# Median waiting time before each activity (seconds) and lognormal spread.
_WAIT_MEDIAN_S = np.array([0, 3600, 86400 * 3, 7200, 86400, 14400, 10800, 600, 86400 * 2, 3600, 86400 * 5])
_WAIT_SIGMA = 1.1
# Resources per activity: (first resource number, pool size); 0 means automated (no resource).
_POOLS = [(1, 20), (21, 30), (0, 0), (51, 15), (66, 6), (72, 5), (72, 5), (0, 0), (77, 4), (81, 10), (91, 3)]
MAX_LEN = 80
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
MEAN_EVENTS_PER_CASE = 7.53  # measured on this model; sizes come out within a few percent
T0 = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
YEAR_US = 365 * 86400 * 1_000_000


def _transition_table() -> np.ndarray:
    cum = np.zeros((END, END + 1))
    for src, dests in _T.items():
        row = np.zeros(END + 1)
        for dst, p in dests.items():
            row[dst] = p
        cum[src] = np.cumsum(row / row.sum())
    return cum


def simulate_sequences(rng: np.random.Generator, n_cases: int) -> tuple[np.ndarray, np.ndarray]:
    """Walk the transition table for all cases at once; returns (case index, activity code) per event."""
    cum = _transition_table()
    state = np.zeros(n_cases, dtype=np.int64)
    alive = np.arange(n_cases)
    cases, acts = [], []
    for step in range(MAX_LEN):
        cases.append(alive)
        acts.append(state)
        u = rng.random(alive.size)
        nxt = (u[:, None] > cum[state]).sum(axis=1)
        if step == MAX_LEN - 1:
            break
        keep = nxt < END
        alive, state = alive[keep], nxt[keep]
        if alive.size == 0:
            break
    case = np.concatenate(cases)
    act = np.concatenate(acts)
    order = np.argsort(case, kind="stable")  # steps were appended in order, so stable keeps each case's order
    return case[order], act[order]


def event_times(rng: np.random.Generator, case: np.ndarray, act: np.ndarray, n_cases: int) -> np.ndarray:
    """Microsecond timestamps: case arrivals over a year, lognormal waits, strictly increasing per case."""
    arrival = T0 + (rng.random(n_cases) * YEAR_US).astype(np.int64)
    wait_s = _WAIT_MEDIAN_S[act] * np.exp(_WAIT_SIGMA * rng.standard_normal(act.size))
    wait_ms = np.maximum(np.round(wait_s * 1000).astype(np.int64), 1)  # at least 1 ms: no ties within a case
    first = np.r_[True, case[1:] != case[:-1]]
    wait_ms[first] = 0
    cum = np.cumsum(wait_ms)
    starts = np.flatnonzero(first)
    offset = cum - np.repeat(cum[starts], np.diff(np.r_[starts, case.size]))
    return arrival[case] // 1000 * 1000 + offset * 1000


def _strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, built once per distinct value and expanded by dictionary take."""
    uniq, inverse = np.unique(numbers, return_inverse=True)
    dictionary = pa.array([f"{prefix}{n:0{width}d}" for n in uniq])
    return dictionary.take(pa.array(inverse.astype(np.int32)))


def build_table(n_events: int, seed: int) -> pa.Table:
    """A log of about ``n_events`` events: columns case_id, activity, timestamp, resource, cost."""
    rng = np.random.default_rng(seed)
    n_cases = max(1, int(n_events / MEAN_EVENTS_PER_CASE))
    case, act = simulate_sequences(rng, n_cases)
    ts = event_times(rng, case, act, n_cases)
    export_time = T0 + YEAR_US + 14 * 86400 * 1_000_000  # two weeks after the last arrival
    kept = ts <= export_time  # events after the export are not in the log: those cases are ongoing
    case, act, ts = case[kept], act[kept], ts[kept]
    order = np.argsort(ts, kind="stable")  # file order = time order, cases interleaved
    case, act, ts = case[order], act[order], ts[order]
    lo = np.array([p[0] for p in _POOLS])[act]
    size = np.array([p[1] for p in _POOLS])[act]
    res_num = lo + (rng.random(act.size) * np.maximum(size, 1)).astype(np.int64)
    res_missing = (size == 0) | (rng.random(act.size) < 0.01)
    resource = pc.if_else(pa.array(res_missing), pa.nulls(act.size, pa.string()), _strings("R", res_num, 3))
    cost = np.round(np.exp(3 + 0.8 * rng.standard_normal(act.size)), 2)
    cost_arr = pa.array(cost, mask=rng.random(act.size) < 0.05)
    activity = pa.array(ACTIVITIES).take(pa.array(act.astype(np.int32)))
    return pa.table(
        {
            "case_id": _strings("C", case, 8),
            "activity": activity,
            "timestamp": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
            "resource": resource,
            "cost": cost_arr,
        }
    )


def write_files(table: pa.Table, out: Path, label: str) -> tuple[Path, Path]:
    """Write ``log_<label>.parquet`` and ``log_<label>.csv`` (offset ISO timestamps) under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    parquet_path, csv_path = out / f"log_{label}.parquet", out / f"log_{label}.csv"
    pq.write_table(table, parquet_path, compression="zstd", row_group_size=1_000_000)
    local = table["timestamp"].cast(pa.timestamp("ms", tz="Europe/Amsterdam"))
    text = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S%z")
    csv_table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp", text)
    pacsv.write_csv(csv_table, csv_path)
    return parquet_path, csv_path


def main() -> None:
    """Parse arguments and write each requested size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k,1m,10m", help="comma list of 100k, 1m, 10m")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    args = ap.parse_args()
    for label in args.sizes.split(","):
        began = time.perf_counter()
        table = build_table(SIZES[label], args.seed)
        write_files(table, args.out, label)
        cases = pc.count_distinct(table["case_id"]).as_py()
        print(f"{label}: {table.num_rows:,} events, {cases:,} cases in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
