"""Conformance benchmark: a 100k-case log with a few hundred variants against a 20-activity model.

Usage: ``.venv/bin/python bench/conformance.py [--runs 3] [--cases 100000]``. Generates the log
(``bench/conformance_log.py``) when missing, imports it, takes the 20-activity target model as the inductive
miner's model of the log (noise 0.2: the process without the 1% noise), then times
``check_conformance`` (token replay, alignments, ETC precision, deviations, case groups) and, in the same
run on the same net, pm4py's ``fitness_token_based_replay`` + ``fitness_alignments`` +
``precision_token_based_replay`` on the full log. Writes ``bench/results/conformance.json``; ``bench/report.py``
renders it into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "results" / "conformance.json"


def _baton(path: Path, runs: int) -> tuple[dict[str, Any], Any, Any]:
    import baton
    from analytics import check_conformance, discover_target_model

    ws = baton.open_workspace()
    began = time.perf_counter()
    report = ws.import_file(
        path, name="conf", case_id_key="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    import_s = time.perf_counter() - began
    log = ws.log("conf")
    model = discover_target_model(log, noise_threshold=0.2)
    secs, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = check_conformance(log, model)
        secs.append(time.perf_counter() - began)
    assert result is not None
    out = {
        "cases": report.cases,
        "events": report.events,
        "variants": report.variants,
        "model_activities": len(model.net.labels),
        "model_transitions": len(model.net.transitions),
        "import_s": import_s,
        "seconds": secs,
        "median_s": statistics.median(secs),
        "token_fitness": result.token.log_fitness,
        "alignment_fitness": result.alignment.log_fitness,
        "precision": result.precision,
        "budget_hit_variants": result.budget_hits.variants,
    }
    return out, log, model


def _pm4py(log: Any, model: Any) -> dict[str, Any]:
    from baton.pm4py_bridge import _pm4py, to_pm4py
    from baton.pm4py_bridge.nets import spec_to_pm4py

    pm4py = _pm4py()
    from pm4py.util import constants

    constants.SHOW_PROGRESS_BAR = False
    df = to_pm4py(log)
    net, im, fm = spec_to_pm4py(model.net)
    began = time.perf_counter()
    token = pm4py.fitness_token_based_replay(df, net, im, fm)
    aligned = pm4py.fitness_alignments(df, net, im, fm)
    precision = pm4py.precision_token_based_replay(df, net, im, fm)
    return {
        "seconds": time.perf_counter() - began,
        "token_fitness": token["log_fitness"],
        "alignment_fitness": aligned["log_fitness"],
        "precision": precision,
    }


def main() -> None:
    """Run the benchmark and write the JSON result."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--skip-pm4py", action="store_true")
    args = ap.parse_args()
    path = BENCH / "data" / f"conformance_{args.cases}.parquet"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(BENCH / "conformance_log.py"), "--cases", str(args.cases)], check=True
        )
    baton_res, log, model = _baton(path, args.runs)
    print(f"baton: {baton_res['median_s']:.2f} s (median of {args.runs}), {baton_res['variants']} variants")
    res: dict[str, Any] = {"baton": baton_res, "pm4py": None}
    if not args.skip_pm4py:
        res["pm4py"] = _pm4py(log, model)
        print(f"pm4py: {res['pm4py']['seconds']:.2f} s")
        for key in ("token_fitness", "alignment_fitness", "precision"):
            res[f"equal_{key}"] = abs(res["pm4py"][key] - baton_res[key]) < 1e-9
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
