"""Spark Connect: the analytics run through a Spark Connect server (``open_spark(remote=...)``) as well.

pyspark's ``remote("local[2]")`` starts a local Spark Connect server and talks to it over gRPC, as a
client talks to ``sc://host:15002``. It runs in a subprocess: a process holds one kind of Spark session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import analytics as a
from baton.filters import HasRework

pytestmark = pytest.mark.spark

_SCRIPT = """
import json, sys
import analytics as a
import baton
sw = baton.open_spark(remote="local[2]", config={"spark.sql.shuffle.partitions": "1"})
p = sw.read_table(sys.argv[1], name="after", case_id_key="case_id", activity_key="activity",
                  timestamp_key="timestamp", start_timestamp_key="start_timestamp", resource_key="resource")
log = sw.log("after")
dfg, variants, stats = a.discover_dfg(log), a.get_variants(log), a.get_case_durations(log).stats
filtered = a.get_variants(log.filter(baton.HasRework()))
print(json.dumps({
    "session": type(sw.session).__module__, "events": p.events, "cases": p.cases,
    "edges": sorted([e.source, e.target, e.frequency] for e in dfg.edges),
    "variants": [[list(v.activities), v.count] for v in variants.variants],
    "median_us": stats.median_us, "p90_us": stats.p90_us, "rework_cases": filtered.cases,
}))
sw.stop()
"""


def test_analytics_over_spark_connect(ws: object, sample_logs: Path) -> None:
    """Through a Spark Connect session: same DFG, variants, duration percentiles and filtered cases as DuckDB."""
    from baton.engine.spark_session import java_missing_reason

    reason = java_missing_reason()
    if reason:
        pytest.skip(f"Spark Connect test needs a local Spark: {reason}")
    path = sample_logs / "loans_after.parquet"
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    ws.import_file(path, name="after")  # type: ignore[attr-defined]
    log = ws.log("after")  # type: ignore[attr-defined]
    dfg, variants, stats = a.discover_dfg(log), a.get_variants(log), a.get_case_durations(log).stats
    assert got["session"] == "pyspark.sql.connect.session"
    assert (got["events"], got["cases"]) == (42999, stats.count)
    assert got["edges"] == sorted([e.source, e.target, e.frequency] for e in dfg.edges)
    assert got["variants"] == [[list(v.activities), v.count] for v in variants.variants]
    assert abs(got["median_us"] - stats.median_us) < 1 and abs(got["p90_us"] - stats.p90_us) < 1
    assert got["rework_cases"] == a.get_variants(log.filter(HasRework())).cases > 0
