"""Time each stage of one Baton import: connector read, mapping, then the pipeline's own progress stages.

Usage: ``.venv/bin/python bench/profile_import.py bench/data/log_10m.parquet [--workspace FILE] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any
from unittest import mock

import baton
import baton.api
from baton.store import fastwrite, ingest


def _timed(marks: dict[str, float], name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            marks[name] = marks.get(name, 0.0) + time.perf_counter() - began

    return wrapper


def profile(path: Path, workspace: str | None) -> dict[str, Any]:
    """Import ``path`` once; seconds per stage, whether the fast path ran, and the peak RSS."""
    marks: dict[str, float] = {}
    ticks: list[tuple[str, float]] = []
    began = time.perf_counter()
    ws = baton.open_workspace(workspace)
    with (
        mock.patch.object(baton.api, "read_source", _timed(marks, "connector read", baton.api.read_source)),
        mock.patch.object(baton.api, "resolve_mapping", _timed(marks, "mapping", baton.api.resolve_mapping)),
        mock.patch.object(
            ingest, "prepare_fast", _timed(marks, "fast-path codes and sort", ingest.prepare_fast)
        ),
        mock.patch.object(
            fastwrite, "_insert_events", _timed(marks, "  events insert (thread)", fastwrite._insert_events)
        ),
        mock.patch.object(
            fastwrite,
            "_variants_and_cases",
            _timed(marks, "  variants and cases arrays", fastwrite._variants_and_cases),
        ),
    ):
        report = ws.import_file(
            path,
            name="log",
            case_id_key="case_id",
            activity_key="activity",
            timestamp_key="timestamp",
            resource_key="resource",
            progress=lambda stage, share: ticks.append((stage, time.perf_counter())),
        )
    closing = time.perf_counter()
    ws.close()
    marks["close (checkpoint)"] = time.perf_counter() - closing
    stages = [(a, tb - ta) for (a, ta), (_, tb) in zip(ticks, ticks[1:], strict=False)]
    return {
        "file": path.name,
        "total_s": time.perf_counter() - began,
        "calls": marks,
        "stages": stages,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "events": report.events,
    }


def main() -> None:
    """Profile one import and print (and optionally write) the stage times."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--workspace", default=None, help="workspace file (default: in memory)")
    ap.add_argument("--json", type=Path, default=None, help="write the result here")
    args = ap.parse_args()
    if args.workspace:
        for p in (Path(args.workspace), Path(args.workspace + ".wal")):
            p.unlink(missing_ok=True)
    result = profile(args.path, args.workspace)
    for name, secs in result["calls"].items():
        print(f"{name:28} {secs:7.2f} s")
    for name, secs in result["stages"]:
        print(f"  stage {name:20} {secs:7.2f} s")
    print(f"{'total':28} {result['total_s']:7.2f} s; peak RSS {result['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
