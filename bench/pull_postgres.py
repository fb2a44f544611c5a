"""Benchmark: pull N rows from PostgreSQL into a workspace (issue 6: 1M rows under 10 s, memory bounded by the
batch size, not the table size).

    python bench/pull_postgres.py                 # 250k and 1M rows, batch sizes 50k and 200k, 3 runs each
    python bench/pull_postgres.py --rows 1000000 --runs 5

The table is generated inside PostgreSQL (generate_series, seeded by its row number: the same rows every
run) on 127.0.0.1:5432, database test. Each pull runs in its own process with a fresh workspace file, so the
peak RSS is that pull's own (``ru_maxrss``). The pull includes everything: check, streamed read, upsert,
rejects, rebuilding the log with the import pipeline, cursor and history, the commit and the checkpoint on
close. Results: bench/results/pull_postgres.json and a table printed as Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DSN = "postgresql://postgres@127.0.0.1:5432/test"
TABLE = "bench_pull_events"
MEMORY_LIMIT = os.environ.get("BATON_BENCH_MEMORY_LIMIT", "")  # e.g. 256MB: DuckDB's cap during the pull

_CREATE = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} AS
SELECT i AS id,
       'C' || lpad((i / 8)::text, 8, '0') AS case_id,
       (ARRAY['Register','Check','Decide','Notify','Pay','Archive','Review','Close'])[1 + (i % 8)] AS activity,
       timestamptz '2024-01-01 00:00:00+00' + (i / 8) * interval '7 minutes' + (i % 8) * interval '2 hours'
           AS ts,
       'R' || lpad(((i * 7919) % 40)::text, 3, '0') AS resource,
       ((i * 104729) % 10000) / 100.0 AS cost
FROM generate_series(1::bigint, %(rows)s::bigint) AS i;
ALTER TABLE {TABLE} ADD PRIMARY KEY (id);
"""  # noqa: S608  (the row count is an int from argparse; identifiers are constants)


def create_table(rows: int) -> None:
    """(Re)create the benchmark table with ``rows`` rows inside PostgreSQL."""
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(DSN, autocommit=True) as conn, conn.cursor() as cur:
        for statement in filter(str.strip, _CREATE.replace("%(rows)s", str(int(rows))).split(";")):
            cur.execute(statement)


def one_pull(batch_size: int, out: Path) -> None:
    """Pull the table into a fresh workspace file; write seconds, peak RSS and counts to ``out``."""
    from baton.api import open_workspace
    from connectors.sources.base import SourceConfig
    from connectors.sources.sql import PostgresSource

    config = SourceConfig(
        kind="postgres",
        name="bench",
        settings={"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres",
                  "table": TABLE, "batch_size": batch_size},
        mapping={"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "ts",
                 "resource_key": "resource"},
        primary_key=("id",),
        cursor_column="id",
    )  # fmt: skip
    source = PostgresSource.from_config(config)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        ws = open_workspace(Path(tmp) / "ws.duckdb")
        if MEMORY_LIMIT:
            ws.cursor().execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        report = ws.pull(source)
        ws.close()
        seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "inserted": report.inserted}))


def measure(rows: int, batch_size: int, runs: int) -> dict[str, float]:
    """Median seconds and max peak RSS of ``runs`` pulls, each in its own process."""
    results = []
    for _ in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json") as fh:
            cmd = [sys.executable, __file__, "--one", str(batch_size), fh.name]
            subprocess.run(cmd, check=True, cwd=BENCH.parent)
            results.append(json.loads(Path(fh.name).read_text()))
    assert all(r["inserted"] == rows for r in results), results
    return {
        "rows": rows,
        "batch_size": batch_size,
        "median_s": statistics.median(r["seconds"] for r in results),
        "runs_s": [round(r["seconds"], 2) for r in results],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "duckdb_memory_limit": MEMORY_LIMIT or "default",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[250_000, 1_000_000])
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[50_000, 200_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_pull(int(args.one[0]), Path(args.one[1]))
        return
    table = []
    for rows in args.rows:
        create_table(rows)
        for batch in args.batch_sizes:
            table.append(measure(rows, batch, args.runs))
            print(json.dumps(table[-1]), flush=True)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "pull_postgres.json").write_text(json.dumps(table, indent=2))
    print("\n| rows | batch size | median of runs | runs (s) | peak RSS |\n|---:|---:|---:|---|---:|")
    for r in table:
        print(
            f"| {r['rows']:,} | {r['batch_size']:,} | {r['median_s']:.2f} s | {r['runs_s']} | "
            f"{r['peak_rss_mb']:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()
