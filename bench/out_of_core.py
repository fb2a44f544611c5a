"""Out-of-core benchmark: a Parquet log's DFG, variants and case durations on DuckDB under a memory limit and on Spark.

Usage: ``.venv/bin/python bench/out_of_core.py [--size 100m] [--memory-limit 2GB] [--runs 1]
[--engines duckdb,spark] [--spark-driver-memory SIZE] [--spark-storage] [--spark-conf KEY=VALUE ...]``

Generates ``bench/data/log_<size>.parquet`` if missing. Each run of each engine is its own process. DuckDB: the
file is imported into a new workspace file by the import's general SQL path over a relation (``read_parquet``
with ``file_row_number`` as the source row) under ``SET memory_limit`` with a ``temp_directory`` to spill to,
then reopened read-only under the same limit for ``baton.discover_dfg``, ``get_variants`` and
``get_case_durations``. Spark: ``baton.open_spark(master="local[2]", config={"spark.driver.memory": ...})``,
``read_table`` (the prepare step), the same analytics, ``stop()``. Memory: ``ru_maxrss`` of the measuring
process; a thread samples /proc every 0.25 s (this process's RSS, its descendants' RSS: Spark's JVM is a child
of the Python driver, and the spill directory's size), peaks per step; after ``stop()`` the JVM is made to exit
(its stdin closed) and reaped, so ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is its peak. Results must be equal:
DFG edge and case frequencies, start/end activities, variant counts, case-duration count, min and max exactly,
mean, median and p90 within 1 us (interpolated floats: DuckDB's quantile_cont and Spark's percentile may differ
in the last bits). Writes ``bench/results/out_of_core.json`` (``bench/report.py`` renders it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MAPPING = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "timestamp",
    "resource_key": "resource",
}
MIB = 1 << 20
_UNITS = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 1 << 10, "mib": MIB, "gib": 1 << 30}
_STATS = ("count", "min_us", "mean_us", "median_us", "p90_us", "max_us")


def size_bytes(text: str) -> int:
    """Bytes of a DuckDB memory size: ``300MB``, ``2GB`` (powers of 1000) or ``1.5GiB`` (powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b)\s*", text, re.IGNORECASE)
    if m is None or m[2].lower() not in _UNITS:
        raise SystemExit(f"memory size {text!r}: expected e.g. 300MB, 2GB or 1.5GiB")
    return int(float(m[1]) * _UNITS[m[2].lower()])


def _rss_mb(pid: int) -> float:
    """Resident set of one process from /proc/<pid>/status (0 once it has exited)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(x.split()[1]) / 1024 for x in lines if x.startswith("VmRSS:")), 0.0)


def _descendants(root: int) -> set[int]:
    """Ids of the processes below ``root`` (the JVM the Spark driver launches), from /proc/*/stat."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier}
        found |= frontier
    return found


def _dir_mb(path: Path) -> float:
    """MiB of the files under ``path`` (0 when it does not exist); files may vanish while it is walked."""
    total = 0
    try:
        for f in path.rglob("*"):
            try:
                total += f.stat().st_size if f.is_file() else 0
            except OSError:
                continue
    except OSError:
        pass
    return total / MIB


class Sampler:
    """Peaks of this process's RSS, its descendants' RSS and a spill directory's size, per timed step."""

    def __init__(self, spill: Path, every: float = 0.25) -> None:
        self.spill, self.every = spill, every
        self.steps: dict[str, dict[str, float]] = {}
        self._current: dict[str, float] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        """Read the three values now and raise the current step's peaks."""
        step, me = self._current, os.getpid()
        if step is not None:
            step["rss_mb"] = max(step["rss_mb"], _rss_mb(me))
            step["children_rss_mb"] = max(step["children_rss_mb"], sum(map(_rss_mb, _descendants(me))))
            step["spill_mb"] = max(step["spill_mb"], _dir_mb(self.spill))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name`` (the load average before it recorded); print it when done."""
        rec = {
            "seconds": 0.0,
            "load_before": os.getloadavg()[0],
            "rss_mb": 0.0,
            "children_rss_mb": 0.0,
            "spill_mb": 0.0,
        }
        self.steps[name] = self._current = rec
        self.sample()
        began = time.perf_counter()
        try:
            yield
        finally:
            rec["seconds"] = time.perf_counter() - began
            self.sample()
            self._current = None
            print(f"    {name:15} {rec['seconds']:8.2f} s  rss {rec['rss_mb']:6.0f} MiB  children "
                  f"{rec['children_rss_mb']:6.0f} MiB  spill {rec['spill_mb']:6.0f} MiB", flush=True)  # fmt: skip

    def close(self) -> None:
        """Stop the sampling thread."""
        self._stop.set()
        self._thread.join()


def relation_sql(path: Path) -> str:
    """The file as a relation in file order: its columns plus the 1-based source row the import needs."""
    from baton.schema import quote_identifier
    from baton.store.staging import SOURCE_ROW

    literal = "'" + str(path).replace("'", "''") + "'"  # a view's SELECT cannot take bound parameters
    row = quote_identifier(SOURCE_ROW)
    return f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {row} FROM read_parquet({literal}, file_row_number = true)"  # noqa: S608, E501


def _bound(cur: Any, limit: str, spill: Path) -> None:
    """DuckDB's memory limit and spill directory (database-wide settings) on the workspace's database.

    Insertion order is not preserved (DuckDB's advice for large inserts under a limit): the import's window
    sort over all events otherwise keeps its output in order in memory and fails at 100M events under 1 GB.
    Results do not depend on it (positions and codes come from ORDER BY clauses, not from storage order).
    """
    cur.execute("SET memory_limit = ?", [limit])
    cur.execute("SET temp_directory = ?", [str(spill)])
    cur.execute("SET preserve_insertion_order = false")


def _analytics(sampler: Sampler, log: Any) -> dict[str, Any]:
    """The three analytics, each timed; their results in the shape the equality check compares."""
    import baton

    with sampler.step("dfg"):
        dfg = baton.discover_dfg(log)
    with sampler.step("variants"):
        variants = baton.get_variants(log)
    with sampler.step("case_durations"):
        durations = baton.get_case_durations(log)
    return {
        "edges": [[e.source, e.target, e.frequency, e.case_frequency] for e in dfg.edges],
        "start": dfg.start_activities, "end": dfg.end_activities,
        "variants": [[list(acts), n] for acts, n in variants.counts().items()],
        "durations": {k: getattr(durations.stats, k) for k in _STATS},
    }  # fmt: skip


def duckdb_run(sampler: Sampler, path: Path, limit: str, work: Path) -> dict[str, Any]:
    """Import through the general SQL path under ``limit`` into a new workspace file, then the analytics."""
    import baton
    from baton.store.ingest import SourceData, import_table
    from baton.store.staging import ImportOptions
    from connectors.base import file_checksum

    db, began = work / "ooc.duckdb", time.perf_counter()
    with sampler.step("import"):
        ws = baton.open_workspace(db)
        _bound(ws.cursor(), limit, sampler.spill)
        sql = relation_sql(path)
        empty = ws.cursor().sql(f"SELECT * FROM ({sql}) LIMIT 0").to_arrow_table()  # noqa: S608
        source = SourceData(path=str(path), format="parquet", table=empty, checksum=file_checksum(path),
                            detected={"reader": "read_parquet(file_row_number)"}, relation_sql=sql)  # fmt: skip
        report = import_table(ws, source, name="log", mapping=dict(MAPPING), options=ImportOptions())
        ws.close()  # the checkpoint is part of the import
    with sampler.step("open"):
        ws = baton.open_workspace(db, read_only=True)
        _bound(ws.cursor(), limit, sampler.spill)
        log = ws.log("log")
    results = _analytics(sampler, log)
    ws.close()
    facts = {k: getattr(report, k) for k in ("events", "cases", "variants", "rows_read", "rows_rejected")}
    return {
        "steps": sampler.steps, "total_s": time.perf_counter() - began, "results": results,
        "workspace_mb": db.stat().st_size / MIB, "log": facts | {"import_path": report.detected.get("import_path")},
    }  # fmt: skip


def spark_run(
    sampler: Sampler, path: Path, driver_memory: str, work: Path, opts: dict[str, Any]
) -> dict[str, Any]:
    """Spark local[2]: session, read_table (prepare), the analytics, stop; the JVM is reaped for its peak."""
    from pyspark import SparkContext

    import baton

    began = time.perf_counter()
    with sampler.step("session"):
        config = {"spark.driver.memory": driver_memory, "spark.local.dir": str(sampler.spill), **opts["conf"]}
        sw = baton.open_spark(master="local[2]", config=config)
    with sampler.step("read_table"):
        where = str(work / "spark_prepared") if opts["storage"] else None
        prepared = sw.read_table(str(path), name="log", storage=where, **MAPPING)
    results = _analytics(sampler, sw.log("log"))
    with sampler.step("stop"):
        proc = getattr(SparkContext._gateway, "proc", None)
        sw.stop()
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()  # the gateway JVM exits when its stdin closes
            proc.wait(timeout=120)
            SparkContext._gateway = SparkContext._jvm = None
    return {
        "steps": sampler.steps, "total_s": time.perf_counter() - began, "results": results,
        "log": {k: getattr(prepared, k, None) for k in ("events", "cases", "variants", "rows_read")},
        "jvm_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }  # fmt: skip


def _keyed(result: dict[str, Any], key: str) -> dict[Any, list[Any]]:
    """Edges as (source, target) -> [frequency, case frequency]; variants as activities -> [count]."""
    if key == "edges":
        return {(e[0], e[1]): e[2:] for e in result["edges"]}
    return {tuple(v[0]): v[1:] for v in result["variants"]}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Differences between two engines' results (empty: equal)."""
    problems = []
    for key in ("edges", "variants"):
        ka, kb = _keyed(a, key), _keyed(b, key)
        bad = sorted((k for k in ka.keys() | kb.keys() if ka.get(k) != kb.get(k)), key=str)
        if bad:
            shown = [(k, ka.get(k), kb.get(k)) for k in bad[:3]]
            problems.append(f"{len(bad)} {key} differ (of {len(ka)} vs {len(kb)}), e.g. {shown}")
    problems += [f"{k} activities differ: {a[k]} vs {b[k]}" for k in ("start", "end") if a[k] != b[k]]
    for k in _STATS:
        x, y = a["durations"][k], b["durations"][k]
        both = x is not None and y is not None
        floating = k in ("mean_us", "median_us", "p90_us")  # interpolated: equal within 1 us, as tests ask
        if (abs(x - y) >= 1) if (floating and both) else (x != y):
            problems.append(
                f"duration {k}: {x!r} vs {y!r}" + (f" ({abs(x - y):.3g} us apart)" if both else "")
            )
    return problems


def measure(engine: str, args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """One engine's run in a fresh process: its JSON (with ``error`` and the steps done if it failed)."""
    args.work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.work, prefix=f"ooc_{engine}_") as tmp:
        out = Path(tmp) / "result.json"
        memory = args.memory_limit if engine == "duckdb" else spark_memory(args)
        opts = json.dumps({"storage": args.spark_storage, "conf": spark_conf(args)})
        cmd = [sys.executable, __file__, "--one", engine, str(path), memory, tmp, str(out), opts]
        print(f"  {engine} (load {load:.2f})", flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, check=False)
        if not out.exists():  # killed (e.g. by the kernel's OOM killer) before writing
            print(proc.stderr[-3000:], file=sys.stderr)
            return {"error": f"exit status {proc.returncode}, no result written", "load_before": load}
        result: dict[str, Any] = json.loads(out.read_text())
    if "error" in result:
        print(f"    failed: {result['error']}", flush=True)
    return result | {"load_before": load}


def spark_memory(args: argparse.Namespace) -> str:
    """``spark.driver.memory`` in MiB (``1907m`` for 2GB): the same bytes as DuckDB's limit unless given."""
    return f"{size_bytes(args.spark_driver_memory or args.memory_limit) // MIB}m"


def spark_conf(args: argparse.Namespace) -> dict[str, str]:
    """The ``--spark-conf KEY=VALUE`` settings as a dict."""
    pairs = [item.split("=", 1) for item in args.spark_conf]
    if any(len(p) != 2 for p in pairs):
        raise SystemExit(f"--spark-conf takes KEY=VALUE, got {args.spark_conf}")
    return dict(pairs)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median step times and the largest peaks over an engine's runs (the first error if every run failed)."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        done = {k: round(v["seconds"], 2) for k, v in runs[0].get("steps", {}).items()}
        return {
            "error": runs[0]["error"],
            "steps_before_error_s": done,
            "peak_rss_mb": runs[0].get("peak_rss_mb"),
        }
    steps = {
        name: {"median_s": statistics.median(r["steps"][name]["seconds"] for r in ok)}
        | {k: max(r["steps"][name][k] for r in ok) for k in ("rss_mb", "children_rss_mb", "spill_mb", "load_before")}
        for name in ok[0]["steps"]
    }  # fmt: skip
    peaks = {k: max(r.get(k, 0.0) for r in ok) for k in ("peak_rss_mb", "jvm_peak_rss_mb", "workspace_mb")}
    return {
        "steps": steps,
        "total_s": statistics.median(r["total_s"] for r in ok),
        "log": ok[0]["log"],
    } | peaks


def data_facts(path: Path) -> dict[str, Any]:
    """The file's size on disk, Parquet's uncompressed size and the events' size as Arrow in memory."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    md = f.metadata
    return {
        "events": md.num_rows, "row_groups": md.num_row_groups, "parquet_bytes": path.stat().st_size,
        "parquet_uncompressed_bytes": sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups)),
        "arrow_bytes": sum(batch.nbytes for batch in f.iter_batches(batch_size=1_000_000)),  # one batch at a time
    }  # fmt: skip


def _machine(work: Path) -> dict[str, Any]:
    """``bench/report.py``'s machine facts plus Java, pyspark, the load and the free disk for spilling."""
    from importlib.metadata import version

    sys.path.insert(0, str(BENCH))
    from report import machine_info

    info = machine_info()
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    info["versions"] |= {"java": java.splitlines()[0] if java else "not found", "pyspark": version("pyspark")}
    free = shutil.disk_usage(work if work.exists() else BENCH).free
    return info | {"load_at_start": list(os.getloadavg()), "disk_free_gb": round(free / 1e9, 1)}


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    """Every run of every engine, the equality check and the sizes: what is written as JSON."""
    path = BENCH / "data" / f"log_{args.size}.parquet"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), "--sizes", args.size], check=True, cwd=ROOT
        )
    args.work.mkdir(parents=True, exist_ok=True)
    machine, facts, limit = _machine(args.work), data_facts(path), size_bytes(args.memory_limit)
    print(f"{path.name}: {facts['events']:,} events, {facts['parquet_bytes'] / MIB:,.0f} MiB Parquet, "
          f"{facts['arrow_bytes'] / MIB:,.0f} MiB as Arrow; DuckDB limit {limit / MIB:,.0f} MiB", flush=True)  # fmt: skip
    raw: dict[str, list[dict[str, Any]]] = {e: [] for e in args.engines.split(",")}
    for _ in range(args.runs):
        for engine, runs in raw.items():
            runs.append(measure(engine, args, path))
    first = [
        next((r["results"] for r in raw.get(e, []) if "error" not in r), None) for e in ("duckdb", "spark")
    ]
    problems = compare(first[0], first[1]) if first[0] and first[1] else None
    for r in (r for runs in raw.values() for r in runs):
        r.pop("results", None)
    return {
        "machine": machine, "command": shlex.join(["bench/out_of_core.py", *sys.argv[1:]]), "size": args.size, "file": str(path.relative_to(ROOT)), "data": facts,
        "memory_limit": args.memory_limit, "memory_limit_bytes": limit,
        "limit_below_parquet": limit < facts["parquet_bytes"], "limit_below_arrow": limit < facts["arrow_bytes"],
        "spark_driver_memory": spark_memory(args), "spark_storage": args.spark_storage,
        "spark_conf": spark_conf(args), "runs": args.runs,
        "engines": {e: {"summary": _summary(rs), "runs": rs} for e, rs in raw.items()},
        "equal": None if problems is None else not problems, "differences": problems or [],
        "memory_method": "ru_maxrss of the measuring process; /proc sampled every 0.25 s (process, descendants, "
        "spill directory); Spark's JVM: RUSAGE_CHILDREN ru_maxrss after it exited and was reaped",
    }  # fmt: skip


def _one(argv: list[str]) -> None:
    """Child ``--one ENGINE FILE MEMORY WORKDIR OUT OPTIONS_JSON``: one run, its JSON to OUT (exit 1 on error)."""
    engine, path, memory, work, out, opts = argv[:6]
    sys.path.insert(0, str(ROOT))
    sampler = Sampler(Path(work) / f"{engine}_spill")
    try:
        if engine == "duckdb":
            result = duckdb_run(sampler, Path(path), memory, Path(work))
        else:
            result = spark_run(sampler, Path(path), memory, Path(work), json.loads(opts))
    except Exception as exc:  # noqa: BLE001  (any failure: record the step and why; the parent reports it)
        lines = str(exc).strip().splitlines() or [""]
        cause = next((x.strip() for x in lines[1:] if re.search(r"(Exception|Error)\b", x)), "")  # Java's
        result = {"error": f"{type(exc).__name__}: {lines[0]} {cause}"[:600], "steps": sampler.steps}
    sampler.close()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(result))
    if "error" in result:
        raise SystemExit(1)


def main() -> None:
    """Parse arguments, run the engines, write bench/results/out_of_core.json."""
    if sys.argv[1:2] == ["--one"]:
        _one(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100m", help="100k, 1m, 10m or 100m (bench/generate.py)")
    ap.add_argument("--memory-limit", default="2GB", help="DuckDB's memory_limit (and Spark's driver memory)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--spark-driver-memory", default="", help="spark.driver.memory if not the memory limit")
    ap.add_argument("--spark-storage", action="store_true", help="prepared relations as Parquet, not cached")
    ap.add_argument("--spark-conf", action="append", default=[], help="further Spark setting KEY=VALUE")
    ap.add_argument(
        "--work", type=Path, default=BENCH / "data" / "ooc_work", help="workspace and spill files"
    )
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "out_of_core.json")
    args = ap.parse_args()
    result = run_all(args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"equal: {result['equal']} {result['differences'][:3]}; wrote {args.out}")


if __name__ == "__main__":
    main()
