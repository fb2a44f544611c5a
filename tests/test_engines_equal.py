"""Every analytic covered on Spark gives DuckDB's result, over the sample logs and the ../shared/data logs.

Both engines read the same Parquet file with the same mapping: DuckDB through the import pipeline, Spark
through `SparkWorkspace.read_table` (local[2]). Counts are compared exactly; floating statistics within
1e-9 relative, microsecond durations within 1 us (sums of floats may be added in another order).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from engine_pairs import SAMPLE, SHARED, Source, assert_same, sample_filters, sample_source, shared_source

import analytics as a
from analytics.kpi_catalogue import KpiSettings
from baton.log import EventLog

pytestmark = pytest.mark.spark
LOGS = [*SAMPLE, *SHARED]
Pair = tuple[EventLog, EventLog]


@pytest.fixture(scope="module")
def pairs(
    spark_ws: Any, tmp_path_factory: pytest.TempPathFactory, sample_logs: Path
) -> Callable[[str], Pair]:
    """``pair(name)``: the log on DuckDB and on Spark, prepared once per module."""
    from baton.api import open_workspace

    ws = open_workspace()
    out = tmp_path_factory.mktemp("engines")
    cache: dict[str, Pair] = {}
    reports: dict[str, Any] = {}

    def pair(name: str, shared: Path | None = None) -> Pair:
        if name not in cache:
            src = sample_source(sample_logs, name) if name in SAMPLE else shared_source(shared, name, out)  # type: ignore[arg-type]
            reports[name] = _load(ws, spark_ws, name, src)
            cache[name] = (ws.log(name), spark_ws.log(name))
        return cache[name]

    pair.reports = reports  # type: ignore[attr-defined]
    yield pair
    ws.close()


def _load(ws: Any, sw: Any, name: str, src: Source) -> tuple[Any, Any]:
    duck = ws.import_file(
        src.path, name=name, case_attributes=list(src.case_attributes), exact_mapping=True, **src.mapping
    )
    spark = sw.read_table(
        str(src.path), name=name, case_attributes=src.case_attributes,
        event_attributes=src.event_attributes, **src.mapping,
    )  # fmt: skip
    return duck, spark


@pytest.fixture(params=LOGS)
def pair(request: pytest.FixtureRequest, pairs: Callable[..., Pair]) -> Pair:
    """Each log in turn (the shared ones skip where ../shared/data is absent)."""
    name = request.param
    shared = request.getfixturevalue("shared_data") if name in SHARED else None
    return pairs(name, shared)


def test_prepare_loads_the_same_rows(pair: Pair, pairs: Any) -> None:
    """Spark's prepare step reads, loads and rejects (by reason) the rows the DuckDB import does."""
    duck_log, _ = pair
    duck, spark = pairs.reports[duck_log.name]
    assert spark.rows_read == duck.rows_read
    assert spark.rows_loaded == duck.rows_loaded
    assert spark.rejected == {k: v for k, v in duck.rejected.items() if v}
    assert (spark.events, spark.cases, spark.variants) == (duck.events, duck.cases, duck.variants)
    assert spark.events > 0


def test_dfg(pair: Pair) -> None:
    """Directly-follows graph: every edge's frequency and case frequency, start, end and activity counts."""
    duck, spark = (a.discover_dfg(log) for log in pair)
    assert spark == duck
    assert sum(e.frequency for e in spark.edges) == sum(spark.activities.values()) - sum(
        spark.start_activities.values()
    )


def test_performance_dfg(pair: Pair) -> None:
    """Performance DFG: gap and waiting statistics per edge (count, min, mean, median, p90, max, sum)."""
    assert_same(*(a.discover_performance_dfg(log) for log in pair))


def test_variants(pair: Pair) -> None:
    """Variants: ids, activity sequences, counts, shares and mean/median durations."""
    duck, spark = (a.get_variants(log) for log in pair)
    assert [v.variant_id for v in spark.variants] == [v.variant_id for v in duck.variants]
    assert_same(duck, spark)


def test_case_durations(pair: Pair) -> None:
    """Case durations: the statistics and the whole per-case table (ids, variant, times, durations)."""
    duck, spark = (a.get_case_durations(log) for log in pair)
    assert spark.stats.count == duck.stats.count and spark.stats.max_us == duck.stats.max_us
    assert_same(duck, spark)
    assert abs(spark.stats.median - duck.stats.median) < timedelta(seconds=1)  # type: ignore[operator]


def test_start_and_end_activities(pair: Pair) -> None:
    """Start and end activities with their case counts."""
    duck, spark = pair
    assert a.get_start_activities(spark) == a.get_start_activities(duck)
    assert a.get_end_activities(spark) == a.get_end_activities(duck)


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_throughput(pair: Pair, period: Any) -> None:
    """Throughput per UTC day, Monday week and month: started, completed and in progress."""
    duck, spark = (a.get_throughput(log, period=period) for log in pair)
    assert spark == duck
    assert sum(p.started for p in spark.periods) == a.get_case_durations(pair[0]).cases


def test_filter_spec(pair: Pair) -> None:
    """Every kind of filter keeps the same cases on both engines (variants and DFG of the filtered log)."""
    duck, spark = pair
    for i, flt in enumerate(
        sample_filters(duck, variations=duck.name in SAMPLE)
    ):  # every form on the samples
        d, s = duck.filter(flt), spark.filter(flt)
        assert_same(a.get_variants(d), a.get_variants(s), f"variants after {flt}")  # the kept cases
        if i % 3 == 0:
            assert a.discover_dfg(s) == a.discover_dfg(d), f"DFG after {flt}"


def test_kpis(pair: Pair) -> None:
    """Before/after KPI tables: the per-case KPI table and every catalogue KPI with its periods."""
    duck, spark = pair
    assert_same(a.get_case_kpis(duck), a.get_case_kpis(spark))
    settings = KpiSettings(period="week", sla_threshold=timedelta(hours=48))
    assert_same(a.get_kpis(duck, settings), a.get_kpis(spark, settings))


def test_more_analytics(pair: Pair) -> None:
    """Process-map payload, edge measures, activity, resource, rework, bottleneck and handover statistics."""
    duck, spark = pair
    for fn in (a.get_process_map_payload, a.get_edge_measures, a.get_activity_statistics,
               a.get_resource_statistics, a.get_rework, a.get_bottlenecks, a.get_handovers):  # fmt: skip
        assert_same(fn(duck), fn(spark), fn.__name__)


def test_pm4py_discovery_from_spark_results(pair: Pair) -> None:
    """pm4py's inductive miner on the Spark log's variants gives the DuckDB log's model."""
    duck, spark = (a.discover_target_model(log, noise_threshold=0.2) for log in pair)
    assert spark == duck


def test_before_after_two_logs(pairs: Any) -> None:
    """compare_before_after over two logs (the sample's before and after) agrees on every KPI."""
    (db, sb), (da, sa) = pairs("loans_before"), pairs("loans_after")
    settings = KpiSettings(period="week")
    duck = a.compare_before_after(a.TwoLogsSetup(db, da), settings, n_boot=200)
    spark = a.compare_before_after(a.TwoLogsSetup(sb, sa), settings, n_boot=200)
    assert_same(duck, spark)
    assert len(spark.kpis) > 10


def test_report_from_spark_results(pairs: Any) -> None:
    """The before/after report (KPI rows, summary, maps) built from Spark logs equals the DuckDB one."""
    from reports.build import ReportRequest, build_report

    (db, sb), (da, sa) = pairs("loans_before"), pairs("loans_after")
    settings = KpiSettings(period="week")
    duck, _ = build_report(ReportRequest(a.TwoLogsSetup(db, da), settings, n_boot=200))
    spark, _ = build_report(ReportRequest(a.TwoLogsSetup(sb, sa), settings, n_boot=200))
    for field in ("executive_summary", "kpis", "warnings", "map_before_svg", "map_after_svg", "assumptions"):
        assert_same(getattr(duck, field), getattr(spark, field), field)
    assert spark.sources[0].source.endswith("loans_before.parquet")
    assert spark.sources[0].checksum == "not computed on Spark (Parquet files)"
