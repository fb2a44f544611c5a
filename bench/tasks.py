"""One benchmark measurement per process: Baton import, Baton payload, or pm4py end to end, with peak RSS.

Run by ``bench/run.py`` as ``python bench/tasks.py TASK SIZE OUT_JSON``; prints nothing, writes one JSON file
holding ``seconds``, ``peak_rss_mb`` and the payload (for the exactness check) where the task computes one.
Module imports happen before the clock starts, on both sides (pm4py's own import takes seconds).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
MAPPING = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "timestamp",
    "resource_key": "resource",
}
#: The case-level filter timed after the payload: cases shorter than 30 days (about 85% of them).
FILTER_MAX_SECONDS = 30 * 86400


def workspace_path(size: str) -> Path:
    """The workspace file the Parquet import writes and the payload tasks read."""
    return DATA / f"ws_{size}.duckdb"


def _fresh(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def import_file(size: str, fmt: str) -> dict[str, Any]:
    """Import ``log_<size>.<fmt>`` into a new workspace file; time includes the checkpoint on close."""
    import baton

    target = workspace_path(size) if fmt == "parquet" else DATA / f"ws_{size}_csv.duckdb"
    _fresh(target)
    began = time.perf_counter()
    ws = baton.open_workspace(target)
    report = ws.import_file(DATA / f"log_{size}.{fmt}", name="bench", **MAPPING)
    ws.close()
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "events": report.events,
        "cases": report.cases,
        "variants": report.variants,
        "rejected": report.rows_rejected,
    }


def payload(size: str, filtered: bool) -> dict[str, Any]:
    """Open the imported workspace and time one full process-map payload (optionally after a case filter)."""
    import baton
    from analytics.payload import get_process_map_payload
    from baton.filters import CaseDuration

    ws = baton.open_workspace(workspace_path(size), read_only=True)
    log = ws.log("bench")
    if filtered:
        log = log.filter(CaseDuration(max_seconds=FILTER_MAX_SECONDS))
    began = time.perf_counter()
    result = get_process_map_payload(log)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "payload": None if filtered else _baton_json(result), "cases": result.cases}


def _baton_json(p: Any) -> dict[str, Any]:
    return {
        "edges": [[e.source, e.target, e.frequency, e.mean_wait_us, e.median_wait_us] for e in p.edges],
        "variants": [[list(k), v] for k, v in (p.variants() if callable(p.variants) else p.variants).items()],
        "start": p.start_activities,
        "end": p.end_activities,
        "cases": p.cases,
        "median_us": p.median_case_duration_us,
        "p90_us": p.p90_case_duration_us,
    }


def pm4py_end_to_end(size: str) -> dict[str, Any]:
    """pandas reads the Parquet, pm4py formats it and computes the same payload with its own functions."""
    import pandas as pd

    from baton.pm4py_bridge import _pm4py, pm4py_reference_payload

    pm4py = _pm4py()
    began = time.perf_counter()
    df = pd.read_parquet(DATA / f"log_{size}.parquet")
    df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="timestamp")
    ref = pm4py_reference_payload(df)
    seconds = time.perf_counter() - began
    edges = [
        [a, b, n, ref.mean_wait_s[(a, b)] * 1e6, ref.median_wait_s[(a, b)] * 1e6]
        for (a, b), n in ref.dfg.items()
    ]
    return {
        "seconds": seconds,
        "payload": {
            "edges": edges,
            "variants": [[list(k), v] for k, v in ref.variants.items()],
            "start": ref.start_activities,
            "end": ref.end_activities,
            "cases": len(ref.case_durations_s),
            "median_us": None if ref.median_case_duration_s is None else ref.median_case_duration_s * 1e6,
            "p90_us": None if ref.p90_case_duration_s is None else ref.p90_case_duration_s * 1e6,
        },
    }


TASKS = {
    "import_parquet": lambda size: import_file(size, "parquet"),
    "import_csv": lambda size: import_file(size, "csv"),
    "payload": lambda size: payload(size, filtered=False),
    "payload_filtered": lambda size: payload(size, filtered=True),
    "pm4py": pm4py_end_to_end,
}


def _preimport(task: str) -> None:
    """Load the modules a task uses before timing it (import cost is per process, not per log)."""
    import duckdb  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import analytics.payload  # noqa: F401
    import baton  # noqa: F401
    import baton.store.ingest  # noqa: F401
    import connectors  # noqa: F401
    import connectors.csv  # noqa: F401
    import connectors.mapping  # noqa: F401
    import connectors.parquet  # noqa: F401

    if task == "pm4py":
        from baton.pm4py_bridge import _pm4py

        _pm4py()


def main() -> None:
    """Run one task and write its JSON result."""
    task, size, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    sys.path.insert(0, str(BENCH.parent))
    _preimport(task)
    result = TASKS[task](size)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
