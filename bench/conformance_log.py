"""A seeded 100k-case log of a 20-activity process with noise, for the conformance benchmark.

Usage: ``.venv/bin/python bench/conformance_log.py [--cases 100000]`` writes
``bench/data/conformance_<cases>.parquet``. The process: intake, a choice of two checks, three parallel
reviews, a rework loop, a three-way decision and closing steps (20 activities); 1% of cases get noise
(a skipped, a repeated or a swapped step), which gives a few hundred variants.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parent / "data"
NOISE = 0.01
T0 = 1_735_689_600_000_000  # 2025-01-01T00:00Z in microseconds


def _trace(rng: np.random.Generator) -> list[str]:
    """One noise-free trace of the 20-activity process."""
    t = ["Register", "Validate Input"]
    t.append("Automated Check" if rng.random() < 0.7 else "Manual Check")
    reviews = ["Review Legal", "Review Finance", "Review Risk"]
    t += list(rng.permutation(reviews))
    t.append("Consolidate")
    for _ in range(2):  # at most two rework rounds
        if rng.random() >= 0.25:
            break
        t += ["Request Rework", "Receive Rework", "Consolidate"]
    t.append("Decide")
    decision = rng.choice(3, p=[0.6, 0.25, 0.15])
    if decision == 0:
        t += ["Prepare Offer", "Send Offer", "Receive Acceptance", "Archive Case", "Close Case"]
    elif decision == 1:
        t += ["Notify Rejection", "Archive Case", "Close Case"]
    else:
        t += ["Escalate", "Senior Review", "Final Approval", "Prepare Offer", "Send Offer", "Close Case"]
    return t


def _noisy(t: list[str], rng: np.random.Generator) -> list[str]:
    i = int(rng.integers(1, len(t) - 1))
    kind = rng.integers(3)
    if kind == 0:
        return t[:i] + t[i + 1 :]  # skipped
    if kind == 1:
        return t[: i + 1] + [t[i]] + t[i + 1 :]  # repeated
    return t[:i] + [t[i + 1], t[i]] + t[i + 2 :]  # swapped


def generate(cases: int, seed: int = 7) -> pa.Table:
    """The log as an Arrow table (case_id, activity, timestamp UTC)."""
    rng = np.random.default_rng(seed)
    ids: list[str] = []
    acts: list[str] = []
    starts = np.sort(rng.integers(0, 365 * 86_400_000_000, cases))
    times: list[np.ndarray] = []
    for c in range(cases):
        t = _trace(rng)
        if rng.random() < NOISE:
            t = _noisy(t, rng)
        ids += [f"c{c:06d}"] * len(t)
        acts += t
        gaps = rng.lognormal(8, 1.2, len(t)).astype(np.int64) * 1_000_000
        gaps[0] = 0
        times.append(T0 + starts[c] + np.cumsum(gaps))
    ts = pa.array(np.concatenate(times), type=pa.timestamp("us", tz="UTC"))
    return pa.table({"case_id": ids, "activity": acts, "timestamp": ts})


def main() -> None:
    """Write the log."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    args = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    out = DATA / f"conformance_{args.cases}.parquet"
    pq.write_table(generate(args.cases), out)
    print(out)


if __name__ == "__main__":
    main()
