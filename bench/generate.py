"""Generate seeded, realistic benchmark event logs (loops, skips, lognormal waits, ongoing cases) as Parquet and CSV.

Usage: ``.venv/bin/python bench/generate.py [--sizes 100k,1m,10m] [--seed 42] [--out bench/data]``

Each size writes ``log_<size>.parquet`` (timestamps as ``timestamp[us, UTC]``) and ``log_<size>.csv``
(ISO 8601 text with the Europe/Amsterdam offset of each instant, e.g. ``2023-11-14T23:13:20.123+0100``),
with columns ``case_id, activity, timestamp, resource, cost``, rows in timestamp order as a system export
would write them. Every case's timestamps strictly increase (millisecond resolution) so the event order is
unambiguous and no row is a duplicate; cases still running at the export time are cut off (ongoing cases).

``100m`` (``--sizes 100m``, not in the default list) writes Parquet only and is generated in chunks of about
``CHUNK_EVENTS`` events so memory stays near a 10M log's: chunk ``k`` holds the cases arriving in the
``k``-th tenth of the year (case ids numbered on from the previous chunk's), simulated with its own
generator ``default_rng([seed, k])``. The file is still in global timestamp order: each chunk's events are
merged with the events carried over from earlier chunks, the events before the next chunk's first possible
arrival are written (row groups appended by one ``ParquetWriter``) and the later ones carried on. The same
seed gives the same file; 100k, 1m and 10m are generated exactly as before (one pass, same random stream).
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
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
#: Sizes generated chunk by chunk and written as Parquet only (a CSV of 100M rows would take ~7 GB).
CHUNKED = frozenset({"100m"})
CHUNK_EVENTS = 10_000_000
MEAN_EVENTS_PER_CASE = 7.53  # measured on this model; sizes come out within a few percent
T0 = int(np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64))
YEAR_US = 365 * 86400 * 1_000_000
EXPORT_TIME = T0 + YEAR_US + 14 * 86400 * 1_000_000  # two weeks after the last arrival


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


def event_times(
    rng: np.random.Generator,
    case: np.ndarray,
    act: np.ndarray,
    n_cases: int,
    start: int = T0,
    span: int = YEAR_US,
) -> np.ndarray:
    """Microsecond timestamps: arrivals over ``span`` from ``start``, lognormal waits, increasing per case."""
    arrival = start + (rng.random(n_cases) * span).astype(np.int64)
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


def _attributes(rng: np.random.Generator, act: np.ndarray) -> dict[str, np.ndarray]:
    """Resource numbers (some missing) and costs (some missing) per event, drawn in the order given."""
    lo = np.array([p[0] for p in _POOLS])[act]
    size = np.array([p[1] for p in _POOLS])[act]
    res_num = lo + (rng.random(act.size) * np.maximum(size, 1)).astype(np.int64)
    res_missing = (size == 0) | (rng.random(act.size) < 0.01)
    cost = np.round(np.exp(3 + 0.8 * rng.standard_normal(act.size)), 2)
    cost_missing = rng.random(act.size) < 0.05
    return {"res_num": res_num, "res_missing": res_missing, "cost": cost, "cost_missing": cost_missing}


def _to_table(ev: dict[str, np.ndarray]) -> pa.Table:
    """The Arrow table of events given as numpy columns (case, act, ts and the ``_attributes``)."""
    n = ev["act"].size
    resource = pc.if_else(
        pa.array(ev["res_missing"]), pa.nulls(n, pa.string()), _strings("R", ev["res_num"], 3)
    )
    return pa.table(
        {
            "case_id": _strings("C", ev["case"], 8),
            "activity": pa.array(ACTIVITIES).take(pa.array(ev["act"].astype(np.int32))),
            "timestamp": pa.array(ev["ts"], type=pa.timestamp("us", tz="UTC")),
            "resource": resource,
            "cost": pa.array(ev["cost"], mask=ev["cost_missing"]),
        }
    )


def build_table(n_events: int, seed: int) -> pa.Table:
    """A log of about ``n_events`` events: columns case_id, activity, timestamp, resource, cost."""
    rng = np.random.default_rng(seed)
    n_cases = max(1, int(n_events / MEAN_EVENTS_PER_CASE))
    case, act = simulate_sequences(rng, n_cases)
    ts = event_times(rng, case, act, n_cases)
    kept = ts <= EXPORT_TIME  # events after the export are not in the log: those cases are ongoing
    case, act, ts = case[kept], act[kept], ts[kept]
    order = np.argsort(ts, kind="stable")  # file order = time order, cases interleaved
    ev = {"case": case[order], "act": act[order], "ts": ts[order]}
    return _to_table(ev | _attributes(rng, ev["act"]))


def _chunk_events(seed: int, k: int, span: int, n_cases: int) -> dict[str, np.ndarray]:
    """Chunk ``k`` of a chunked log: the cases arriving in ``[T0 + k*span, T0 + (k+1)*span)``, in case order."""
    rng = np.random.default_rng([seed, k])
    case, act = simulate_sequences(rng, n_cases)
    ts = event_times(rng, case, act, n_cases, start=T0 + k * span, span=span)
    kept = ts <= EXPORT_TIME
    ev = {"case": case[kept] + k * n_cases, "act": act[kept], "ts": ts[kept]}
    return ev | _attributes(rng, ev["act"])


def write_chunked(n_events: int, seed: int, out: Path, label: str) -> tuple[Path, int, int]:
    """Write ``log_<label>.parquet`` chunk by chunk in global timestamp order; returns (path, events, cases).

    Every event of a later chunk is at or after that chunk's first arrival (arrivals are whole milliseconds
    and ``span`` is too), so the merged events before it are final and are written; the rest are carried.
    """
    chunks = max(1, round(n_events / CHUNK_EVENTS))
    span = YEAR_US // chunks // 1000 * 1000
    n_cases = max(1, int(n_events / MEAN_EVENTS_PER_CASE / chunks))
    out.mkdir(parents=True, exist_ok=True)
    path, events = out / f"log_{label}.parquet", 0
    carry: dict[str, np.ndarray] = {}
    writer: pq.ParquetWriter | None = None
    try:
        for k in range(chunks):
            ev = _chunk_events(seed, k, span, n_cases)
            if carry:  # carried events first: on equal timestamps the earlier chunk's cases come first
                ev = {key: np.concatenate([carry[key], v]) for key, v in ev.items()}
            order = np.argsort(ev["ts"], kind="stable")
            ev = {key: v[order] for key, v in ev.items()}
            last = k == chunks - 1
            cut = ev["ts"].size if last else int(np.searchsorted(ev["ts"], T0 + (k + 1) * span, side="left"))
            table = _to_table({key: v[:cut] for key, v in ev.items()})
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=1_000_000)
            carry = {key: v[cut:].copy() for key, v in ev.items()}  # copies: free the chunk's arrays
            events += cut
            del ev, order, table
    finally:
        if writer is not None:
            writer.close()
    return path, events, chunks * n_cases


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
    ap.add_argument("--sizes", default="100k,1m,10m", help="comma list of 100k, 1m, 10m, 100m (Parquet only)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    args = ap.parse_args()
    for label in args.sizes.split(","):
        began = time.perf_counter()
        if label in CHUNKED:
            _, events, cases = write_chunked(SIZES[label], args.seed, args.out, label)
        else:
            table = build_table(SIZES[label], args.seed)
            write_files(table, args.out, label)
            events, cases = table.num_rows, pc.count_distinct(table["case_id"]).as_py()
        print(f"{label}: {events:,} events, {cases:,} cases in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
