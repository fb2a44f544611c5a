"""One command: benchmark Baton against pm4py on the same generated logs, check exactness, publish the table.

Usage: ``.venv/bin/python bench/run.py [--sizes 100k,1m,10m] [--runs 3] [--pm4py-runs-10m 3]``

Generates missing logs (``bench/generate.py``), runs every measurement in its own subprocess (peak RSS is
that process's ``ru_maxrss``), takes medians, compares Baton's payload with pm4py's exactly, writes
``bench/results/latest.json`` and renders ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
BATON_TASKS = ("import_parquet", "import_csv", "payload", "payload_filtered")


def run_task(task: str, size: str) -> dict[str, Any]:
    """Run one measurement in a fresh process; returns its JSON plus the load average around it."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        load = os.getloadavg()[0]
        began = time.perf_counter()
        subprocess.run([PY, str(BENCH / "tasks.py"), task, size, str(out)], check=True, cwd=ROOT)
        result = json.loads(out.read_text())
    result["wall_s"] = time.perf_counter() - began
    result["load_before"] = load
    print(
        f"  {size:>4} {task:17} {result['seconds']:8.2f} s  {result['peak_rss_mb']:7.0f} MB  "
        f"(load {load:.1f})",
        flush=True,
    )
    return result


def compare(baton: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """Differences between Baton's and pm4py's payloads: counts exact, times within one microsecond."""
    problems: list[str] = []
    b_edges = {(e[0], e[1]): e[2:] for e in baton["edges"]}
    p_edges = {(e[0], e[1]): e[2:] for e in ref["edges"]}
    if set(b_edges) != set(p_edges):
        problems.append(f"edge sets differ: {sorted(set(b_edges) ^ set(p_edges))[:5]}")
    for key in set(b_edges) & set(p_edges):
        (bn, bm, bmd), (pn, pm, pmd) = b_edges[key], p_edges[key]
        if bn != pn or abs(bm - pm) >= 1 or abs(bmd - pmd) >= 1:
            problems.append(f"edge {key}: baton {b_edges[key]} vs pm4py {p_edges[key]}")
    b_var = {tuple(k): v for k, v in baton["variants"]}
    p_var = {tuple(k): v for k, v in ref["variants"]}
    if b_var != p_var:
        problems.append(f"variants differ ({len(b_var)} vs {len(p_var)})")
    for name in ("start", "end", "cases"):
        if baton[name] != ref[name]:
            problems.append(f"{name} differs: {baton[name]} vs {ref[name]}")
    for name in ("median_us", "p90_us"):
        if abs(baton[name] - ref[name]) >= 1:
            problems.append(f"{name}: baton {baton[name]} vs pm4py {ref[name]}")
    return problems


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    secs = [r["seconds"] for r in results]
    return {
        "median_s": statistics.median(secs),
        "min_s": min(secs),
        "max_s": max(secs),
        "runs": len(secs),
        "seconds": secs,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "load": [round(r["load_before"], 2) for r in results],
    }


def bench_size(size: str, runs: int, pm4py_runs: int) -> dict[str, Any]:
    """All measurements of one size; Baton and pm4py interleaved so both see the same machine state."""
    raw: dict[str, list[dict[str, Any]]] = {t: [] for t in (*BATON_TASKS, "pm4py")}
    for i in range(runs):
        for task in BATON_TASKS:
            raw[task].append(run_task(task, size))
        if i < pm4py_runs:
            raw["pm4py"].append(run_task("pm4py", size))
    problems = compare(raw["payload"][0]["payload"], raw["pm4py"][0]["payload"])
    print(f"  {size:>4} exact match with pm4py: {'yes' if not problems else problems[:3]}", flush=True)
    out: dict[str, Any] = {name: _summary(rs) for name, rs in raw.items()}
    first = raw["import_parquet"][0]
    out["log"] = {k: first[k] for k in ("events", "cases", "variants", "rejected")}
    out["filtered_cases"] = raw["payload_filtered"][0]["cases"]
    out["exact_match"] = not problems
    out["mismatches"] = problems[:20]
    baton_e2e = out["import_parquet"]["median_s"] + out["payload"]["median_s"]
    out["baton_end_to_end_s"] = baton_e2e
    out["speedup_vs_pm4py"] = out["pm4py"]["median_s"] / baton_e2e
    out["memory_ratio_vs_pm4py"] = out["pm4py"]["peak_rss_mb"] / max(
        out["import_parquet"]["peak_rss_mb"], out["payload"]["peak_rss_mb"]
    )
    return out


def ensure_data(sizes: list[str]) -> None:
    """Generate the logs that are not there yet."""
    missing = [s for s in sizes if not (BENCH / "data" / f"log_{s}.csv").exists()]
    if missing:
        subprocess.run([PY, str(BENCH / "generate.py"), "--sizes", ",".join(missing)], check=True, cwd=ROOT)


def main() -> None:
    """Parse arguments, run every size, write results and the Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k,1m,10m")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pm4py-runs-10m", type=int, default=3, help="pm4py runs at 10M (each takes minutes)")
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    ensure_data(sizes)
    sys.path.insert(0, str(BENCH))
    from report import machine_info, render  # bench/report.py

    results: dict[str, Any] = {"machine": machine_info(), "runs": args.runs, "sizes": {}}
    for size in sizes:
        pm_runs = args.pm4py_runs_10m if size == "10m" else args.runs
        results["sizes"][size] = bench_size(size, args.runs, min(pm_runs, args.runs))
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.json").write_text(json.dumps(results, indent=1))
    if not args.no_docs:
        (ROOT / "docs" / "benchmarks.md").write_text(render(results))
    print("wrote bench/results/latest.json" + ("" if args.no_docs else " and docs/benchmarks.md"))


if __name__ == "__main__":
    main()
