"""Reading event tables on Spark: Parquet directories, Delta, Iceberg and Hive tables with a column mapping.

Each table's log is compared with the same rows imported into DuckDB (one Parquet file, same mapping).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_pairs import assert_same

import analytics as a
from baton.errors import EngineError, MappingError, SourceNotFoundError

pytestmark = pytest.mark.spark
T0 = datetime(2024, 3, 30, 22, 0, tzinfo=UTC)
MAPPING = {
    "case_id_key": "CaseRef",
    "activity_key": "Step",
    "timestamp_key": "EventTime",
    "resource_key": "Who",
}


def _events(n_cases: int = 40, first_case: int = 0) -> pa.Table:
    """Cases of 3-5 steps; some steps share a timestamp (the file order decides), a rework loop every 7th."""
    rows: dict[str, list[Any]] = {"CaseRef": [], "Step": [], "EventTime": [], "Who": [], "Amount": []}
    for c in range(first_case, first_case + n_cases):
        steps = ["Register", "Check", "Decide"] + (["Check", "Decide"] if c % 7 == 0 else []) + ["Close"]
        for i, step in enumerate(steps):
            same = i == 2 and c % 3 == 0  # Decide at the same instant as Check: file order breaks the tie
            rows["CaseRef"].append(f"C{c:03d}")
            rows["Step"].append(step)
            rows["EventTime"].append(T0 + timedelta(hours=c * 5 + (i - 1 if same else i) * (c % 4 + 1)))
            rows["Who"].append(f"R{(c + i) % 5}")
            rows["Amount"].append(float(c * 10 + i))
    return pa.table({**rows, "EventTime": pa.array(rows["EventTime"], pa.timestamp("us", tz="UTC"))})


def _duck(ws: Any, table: pa.Table, tmp: Path, name: str, **mapping: Any) -> Any:
    path = tmp / f"{name}_duckdb.parquet"
    pq.write_table(table, path)
    ws.import_file(path, name=name, exact_mapping=True, **(MAPPING | mapping))
    return ws.log(name)


def _assert_equal_logs(duck: Any, spark: Any) -> None:
    assert a.discover_dfg(spark) == a.discover_dfg(duck)
    assert_same(a.get_variants(duck), a.get_variants(spark))
    assert_same(a.get_case_durations(duck), a.get_case_durations(spark))


def test_parquet_directory_in_file_order(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """A directory of Parquet files reads as one log, rows in path order then row order (ties included)."""
    table = _events(60)
    folder = tmp_path / "events"
    folder.mkdir()
    for i, lo in enumerate(range(0, table.num_rows, 97)):  # split mid-case: order must carry across files
        pq.write_table(table.slice(lo, 97), folder / f"part-{i:03d}.parquet")
    prepared = spark_ws.read_table(str(folder), name="dir", **MAPPING)
    assert prepared.read_as == "Parquet files" and prepared.rows_loaded == table.num_rows
    _assert_equal_logs(_duck(ws, table, tmp_path, "dir"), spark_ws.log("dir"))


def test_delta_table_current_version(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """A Delta table (two appends) reads its current version; without delta-spark its files are resolved."""
    from deltalake import write_deltalake

    path = tmp_path / "delta_events"
    write_deltalake(str(path), _events(30))
    write_deltalake(str(path), _events(20, first_case=30), mode="append")
    prepared = spark_ws.read_table(str(path), name="delta", **MAPPING)
    assert prepared.read_as.startswith("delta snapshot 1: 2 Parquet files")
    both = pa.concat_tables([_events(30), _events(20, first_case=30)])
    _assert_equal_logs(_duck(ws, both, tmp_path, "delta"), spark_ws.log("delta"))


def test_iceberg_table_current_snapshot(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """An Iceberg table (SQL catalog, two appends) reads its current snapshot from the table directory."""
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/cat.db", warehouse=f"file://{tmp_path}/wh")
    catalog.create_namespace("ns")
    first, second = _events(25), _events(25, first_case=25)
    table = catalog.create_table("ns.events", schema=first.schema)
    table.append(first)
    table.append(second)
    location = table.location().removeprefix("file://")
    prepared = spark_ws.read_table(location, name="iceberg", **MAPPING)
    assert prepared.read_as.startswith("iceberg snapshot") and prepared.cases == 50
    _assert_equal_logs(
        _duck(ws, pa.concat_tables([first, second]), tmp_path, "iceberg"), spark_ws.log("iceberg")
    )


def test_hive_table_with_column_mapping(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """A Hive metastore table (STORED AS PARQUET) reads by name, its own column names mapped."""
    session = spark_ws.session
    table = _events(35)
    session.createDataFrame(table).createOrReplaceTempView("hive_src")
    session.sql("DROP TABLE IF EXISTS baton_hive_events")
    session.sql(
        "CREATE TABLE baton_hive_events (CaseRef STRING, Step STRING, EventTime TIMESTAMP, Who STRING, "
        "Amount DOUBLE) STORED AS PARQUET"
    )
    session.sql("INSERT INTO baton_hive_events SELECT * FROM hive_src")
    prepared = spark_ws.read_table("baton_hive_events", name="hive", event_attributes=["Amount"], **MAPPING)
    assert prepared.read_as == "catalog table baton_hive_events"
    duck = _duck(ws, table, tmp_path, "hive")
    _assert_equal_logs(duck, spark_ws.log("hive"))
    assert_same(
        a.get_attribute_values(duck, "Amount"), a.get_attribute_values(spark_ws.log("hive"), "Amount")
    )


def test_text_timestamps_and_rejects_match_the_import(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """Text times (offsets honoured, naive ones in the source zone), lifecycle pairs, and every reject reason."""
    rows = [
        ("A", "Register", "2024-03-31 01:30:00", None, "complete"),  # naive: Europe/Amsterdam (CET)
        ("A", "Check", "2024-03-31T03:30:00+02:00", None, "start"),  # DST has begun: CEST written
        ("A", "Check", "2024-03-31 04:00:00", None, "complete"),
        ("A", "Decide", "2024-03-31 05:00:00", "2024-03-31 04:30:00", None),
        ("B", "Register", "2024-03-31 06:00:00", None, None),
        ("B", "Register", "2024-03-31 06:00:00", None, None),  # duplicate_event
        (None, "Register", "2024-03-31 06:00:00", None, None),  # missing_case_id
        ("B", "", "2024-03-31 06:00:00", None, None),  # missing_activity
        ("B", "Check", "", None, None),  # missing_timestamp
        ("B", "Check", "yesterday", None, None),  # unparsable_timestamp
        ("B", "Decide", "2024-03-31 07:00:00", "2024-03-31 08:00:00", None),  # start_after_end
        ("B", "Close", "2024-03-31 09:00:00", None, "suspend"),  # unsupported_lifecycle
    ]
    cols = ["case", "act", "ts", "start", "lc"]
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})
    mapping = {"case_id_key": "case", "activity_key": "act", "timestamp_key": "ts",
               "start_timestamp_key": "start", "lifecycle_key": "lc"}  # fmt: skip
    path = tmp_path / "text.parquet"
    pq.write_table(table, path)
    report = ws.import_file(
        path, name="text", exact_mapping=True, source_timezone="Europe/Amsterdam", **mapping
    )
    prepared = spark_ws.read_table(str(path), name="text", source_timezone="Europe/Amsterdam", **mapping)
    assert prepared.rejected == {k: v for k, v in report.rejected.items() if v}
    assert len(prepared.rejected) == 7 and prepared.events == report.events == 5  # start column: no merging
    _assert_equal_logs(ws.log("text"), spark_ws.log("text"))
    table_s = a.get_case_durations(spark_ws.log("text")).table
    assert table_s.column("first_timestamp").to_pylist()[0] == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    # without a start column, the Check start/complete pair (01:30 and 02:00 UTC across DST) is one instance
    pq.write_table(table.drop_columns(["start"]).slice(0, 3), path)
    del mapping["start_timestamp_key"]
    report = ws.import_file(
        path, name="pairs", exact_mapping=True, source_timezone="Europe/Amsterdam", **mapping
    )
    prepared = spark_ws.read_table(str(path), name="pairs", source_timezone="Europe/Amsterdam", **mapping)
    assert prepared.events == report.events == 2
    assert_same(a.get_case_durations(ws.log("pairs")), a.get_case_durations(spark_ws.log("pairs")))
    edge = a.discover_performance_dfg(spark_ws.log("pairs")).edges[0]  # Register 00:30 -> Check 01:30-02:00
    assert (edge.gap.min_us, edge.waiting.min_us) == (5_400_000_000, 3_600_000_000)


def test_bad_sources_say_what_to_fix(spark_ws: Any, tmp_path: Path) -> None:
    """A missing column, path or table gives an error naming it and what to do."""
    path = tmp_path / "ok.parquet"
    pq.write_table(_events(2), path)
    with pytest.raises(MappingError, match=r"no column 'Activity'.*its columns are \['CaseRef'"):
        spark_ws.read_table(str(path), name="x", **(MAPPING | {"activity_key": "Activity"}))
    with pytest.raises(SourceNotFoundError, match="no table of that name"):
        spark_ws.read_table("no_such_db.no_such_table", name="x", **MAPPING)
    with pytest.raises(SourceNotFoundError, match="check the path"):
        spark_ws.read_table(str(tmp_path / "gone.parquet"), name="x", format="parquet", **MAPPING)


def test_duckdb_only_analytics_refuse_on_spark(spark_ws: Any, tmp_path: Path) -> None:
    """An analytic not covered on Spark raises an EngineError pointing to the docs, not a wrong answer."""
    path = tmp_path / "ok.parquet"
    pq.write_table(_events(3), path)
    spark_ws.read_table(str(path), name="small", **MAPPING)
    with pytest.raises(EngineError, match="not covered on Spark"):
        a.get_case_timeline(spark_ws.log("small"), "C001")


def test_prepared_relations_written_to_storage(spark_ws: Any, ws: Any, tmp_path: Path) -> None:
    """With ``storage=``, the prepared relations are written as Parquet there and read back: same results."""
    table = _events(30)
    path = tmp_path / "src.parquet"
    pq.write_table(table, path)
    store = tmp_path / "prepared"
    spark_ws.read_table(str(path), name="stored", storage=str(store), event_attributes=["Amount"], **MAPPING)
    log_id = spark_ws.info("stored").log_id
    assert {f"baton_{log_id}_cases", f"baton_{log_id}_events"} <= {p.name for p in store.iterdir()}
    _assert_equal_logs(_duck(ws, table, tmp_path, "stored"), spark_ws.log("stored"))
