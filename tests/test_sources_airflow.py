"""The Airflow metadata-database connector against Airflow's tables on the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from airflow_fixture import (
    MANUAL_RUN,
    AirflowData,
    AirflowDb,
    advance,
    connect,
    create,
    drop,
    generate,
    start_retry,
)

from baton.api import open_workspace
from baton.errors import FatalSourceError
from baton.store.workspace import Workspace
from connectors.sources.airflow import KEY, MAPPING, AirflowSource
from connectors.sources.base import Source, SourceConfig
from connectors.sources.config import build_source, register_source_kind

ENGINES = ["postgres", "mysql"]
MANUAL_CASE = f"etl_daily/{MANUAL_RUN}"


def utc(hms: str, day: int = 15, month: int = 3) -> datetime:
    """2024-<month>-<day> at HH:MM:SS UTC."""
    h, m, s = (int(p) for p in hms.split(":"))
    return datetime(2024, month, day, h, m, s, tzinfo=UTC)


def airflow(db: AirflowDb, name: str = "airflow_runs", **settings: Any) -> AirflowSource:
    """The connector on a fixture database."""
    return AirflowSource.from_config(
        SourceConfig(kind="airflow", name=name, settings=db.settings(**settings))
    )


def rows(source: Source) -> list[dict[str, Any]]:
    """Everything a read without cursor yields, as dicts."""
    return pa.Table.from_batches(list(source.read(None))).to_pylist()


def open_db(engine: str, data: AirflowData | None) -> tuple[Any, AirflowDb]:
    """A connection and a fresh Airflow database, or a skip naming the unreachable server."""
    try:
        conn = connect(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        pytest.skip(f"{engine} test server on 127.0.0.1 is unreachable ({exc}); start it to run these tests")
    return conn, create(conn, engine, data)


@pytest.fixture(scope="module")
def data() -> AirflowData:
    """The seeded rows (generated once)."""
    return generate()


@pytest.fixture(scope="module", params=ENGINES)
def shared_db(request: pytest.FixtureRequest, data: AirflowData) -> Iterator[AirflowDb]:
    """A filled Airflow database per engine that tests only read; dropped after the module."""
    conn, db = open_db(request.param, data)
    yield db
    drop(db)
    conn.close()


@pytest.fixture(params=ENGINES)
def fresh_db(request: pytest.FixtureRequest, data: AirflowData) -> Iterator[AirflowDb]:
    """A filled Airflow database of one's own (the test changes it); dropped after."""
    conn, db = open_db(request.param, data)
    yield db
    drop(db)
    conn.close()


def case_events(ws: Workspace, name: str, case: str) -> list[tuple[Any, ...]]:
    """(activity, start, end, resource) of one case's events in log order."""
    log_id = ws.info(name).log_id
    sql = f"""SELECT a.activity, e.start_timestamp, e.timestamp, e.resource FROM events_{log_id} e
              JOIN cases c ON c.log_id = {log_id} AND c.case_index = e.case_index
              JOIN activities a ON a.log_id = {log_id} AND a.activity_code = e.activity_code
              WHERE c.case_id = ? ORDER BY e.position"""
    return [tuple(r) for r in ws.cursor().execute(sql, [case]).fetchall()]


def test_pull_then_repull_loads_exactly_the_new_and_changed_tries(
    fresh_db: AirflowDb, data: AirflowData
) -> None:
    """Pull 1 loads every started try (1,939 in 320 runs); after a completion, a failure with a retry pending
    and a new run, pull 2 reads exactly those 6 rows (4 new, 2 replaced); pull 3 gets the retry's try 2 once."""
    register_source_kind("airflow", "connectors.sources.airflow:AirflowSource")
    config = SourceConfig(kind="airflow", name="airflow_runs", settings=fresh_db.settings())
    source = build_source(config)
    assert isinstance(source, AirflowSource) and isinstance(source, Source)
    ws = open_workspace()
    first = ws.pull(source)
    assert (first.rows_read, first.inserted, first.cursor_before) == (1939, 1939, None)
    assert len(data.eligible()) == 1939
    assert first.cursor_after == "2024-07-19T00:00:08.500000+00:00"  # the running extract's last change
    assert (ws.info("airflow_runs").events, ws.info("airflow_runs").cases) == (1939, 320)
    assert case_events(ws, "airflow_runs", MANUAL_CASE) == [
        ("extract", utc("09:00:03"), utc("09:01:03"), "worker-1"),
        ("transform", utc("09:01:05"), utc("09:02:05"), "worker-3"),
        ("transform", utc("09:06:07"), utc("09:07:37"), "worker-2"),
        ("load[0]", utc("09:07:40"), utc("09:08:10"), "worker-1"),
        ("load[1]", utc("09:07:41"), utc("09:08:30"), "worker-2"),
        ("load[2]", utc("09:07:45"), utc("09:08:50"), "worker-3"),
        ("notify", utc("09:08:52"), utc("09:08:54"), "worker-1"),
    ]
    expected = advance(fresh_db, data)
    second = ws.pull(source)
    # transform completed and extract try 1 (now in the history, failed) replace their rows; the up_for_retry
    # task_instance row of the same try is not read again; the new run's 4 tries arrive
    assert (second.rows_read, second.inserted, second.updated, second.unchanged) == (6, 4, 2, 0)
    assert second.cursor_before == first.cursor_after
    assert second.cursor_after == expected["cursor_after"].isoformat()
    assert (ws.info("airflow_runs").events, ws.info("airflow_runs").cases) == (1943, 321)
    done = case_events(ws, "airflow_runs", expected["done_case"])
    assert [a for a, *_ in done] == ["extract", "transform"] and done[1][2] == utc("10:00:00", 1, 9)
    try1 = ("extract", utc("00:00:08", 19, 7), utc("10:01:00", 1, 9), "worker-1")  # recorded as failed
    assert case_events(ws, "airflow_runs", expected["retry_case"]) == [try1]
    assert [a for a, *_ in case_events(ws, "airflow_runs", expected["new_case"])] == [
        "list_partners",
        "sync_partner[0]",  # a log with start times orders events by start: [0] began a second before [1]
        "sync_partner[1]",
        "report",
    ]
    start = start_retry(fresh_db, expected["retry_run"])
    third = ws.pull(source)
    # try 2 arrives; the row at the cursor (the new run's report) is read again, unchanged
    assert (third.rows_read, third.inserted, third.updated, third.unchanged) == (2, 1, 0, 1)
    try2 = ("extract", start, start, "worker-2")  # running: its time is its start until it ends
    assert case_events(ws, "airflow_runs", expected["retry_case"]) == [try1, try2]
    assert ws.info("airflow_runs").events == 1944
    assert [h["inserted"] for h in ws.source_loads("airflow_runs").to_pylist()] == [1939, 4, 1]


def test_each_try_is_its_own_instance_with_state_and_waiting(shared_db: AirflowDb) -> None:
    """A retried task gives one row per try (history try 1 failed, latest try 2 success), with Airflow's
    attributes and waiting_seconds = queued -> start."""
    manual = [r for r in rows(airflow(shared_db)) if r["case_id"] == MANUAL_CASE]
    transform = sorted((r for r in manual if r["task_id"] == "transform"), key=lambda r: r["try_number"])
    picked = [
        {
            k: r[k]
            for k in (
                "try_number",
                "state",
                "hostname",
                "operator",
                "waiting_seconds",
                "duration",
                "run_type",
            )
        }
        for r in transform
    ]
    assert picked == [
        {"try_number": 1, "state": "failed", "hostname": "worker-3", "operator": "SQLExecuteQueryOperator",
         "waiting_seconds": 1.0, "duration": 60.0, "run_type": "manual"},
        {"try_number": 2, "state": "success", "hostname": "worker-2", "operator": "SQLExecuteQueryOperator",
         "waiting_seconds": 2.0, "duration": 90.0, "run_type": "manual"},
    ]  # fmt: skip
    load1 = next(r for r in manual if r["activity"] == "load[1]")
    assert (load1["task_id"], load1["map_index"], load1["pool"], load1["waiting_seconds"]) == (
        "load",
        1,
        "default_pool",
        3.0,
    )
    assert sorted({r["activity"] for r in manual}) == [
        "extract",
        "load[0]",
        "load[1]",
        "load[2]",
        "notify",
        "transform",
    ]


def test_running_try_has_start_as_time_and_unstarted_tries_are_left_out(
    shared_db: AirflowDb, data: AirflowData
) -> None:
    """The last etl run's extract is running (end NULL, event_time = start); its scheduled tasks and the queued
    partner_sync task are not read; upstream_failed tasks are read with their state."""
    everything = rows(airflow(shared_db))
    last = [
        r
        for r in everything
        if r["run_id"] == "scheduled__2024-07-18T00:00:00+00:00" and r["dag_id"] == "etl_daily"
    ]
    assert [(r["activity"], r["state"], r["end_date"]) for r in last] == [("extract", "running", None)]
    assert last[0]["event_time"] == last[0]["start_date"] == utc("00:00:08", 19, 7)
    assert not any(r["state"] in (None, "queued", "scheduled") for r in everything)
    queued_run = "partner_sync/manual__2024-01-30T18:00:00+00:00"  # its only started task is queued
    assert not any(r["case_id"] == queued_run for r in everything)
    upstream = [r for r in everything if r["state"] == "upstream_failed"]
    assert upstream and {r["activity"] for r in upstream} == {"load", "notify"}
    assert (
        len(everything) == len(data.eligible())
        and len({tuple(r[k] for k in KEY) for r in everything}) == 1939
    )


def test_dag_filter_and_history_off(shared_db: AirflowDb, data: AirflowData) -> None:
    """dag_ids keeps one DAG's tries; history: false reads task_instance only (latest tries, no failed retries)."""
    only_partner = rows(airflow(shared_db, dag_ids=["partner_sync"]))
    assert {r["dag_id"] for r in only_partner} == {"partner_sync"}
    assert len(only_partner) == sum(1 for r in data.eligible() if r["dag_id"] == "partner_sync")
    latest = rows(airflow(shared_db, dag_ids="etl_daily", history=False))
    assert len(latest) == sum(1 for r in data.eligible() if r["dag_id"] == "etl_daily" and "id" in r)
    manual = sorted((r["activity"], r["try_number"]) for r in latest if r["case_id"] == MANUAL_CASE)
    assert manual == [
        ("extract", 1),
        ("load[0]", 1),
        ("load[1]", 1),
        ("load[2]", 1),
        ("notify", 1),
        ("transform", 2),
    ]


def test_read_from_a_cursor_returns_only_later_changes(shared_db: AirflowDb) -> None:
    """A read from a cursor yields only tries whose updated_at is at or after it, in cursor order."""
    later = pa.Table.from_batches(list(airflow(shared_db).read(utc("00:00:00", 18, 7)))).to_pylist()
    assert [(r["case_id"].split("/")[1][11:21], r["activity"], r["state"]) for r in later] == [
        ("2024-07-17", "extract", "success"),
        ("2024-07-17", "transform", "running"),
        ("2024-07-18", "extract", "running"),
    ]


def test_check_without_the_history_table_says_to_turn_history_off(fresh_db: AirflowDb) -> None:
    """On an Airflow < 2.10 database (no task_instance_history) check() fails naming the fix; history: false
    then checks and reads the latest tries only."""
    fresh_db.execute(f"DROP TABLE {fresh_db.schema}.task_instance_history")
    with pytest.raises(FatalSourceError, match="task_instance_history exists from Airflow 2.10"):
        airflow(fresh_db).check()
    latest = airflow(fresh_db, history=False)
    latest.check()
    assert sum(1 for r in rows(latest) if r["case_id"] == MANUAL_CASE) == 6


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "oracle"}, "'engine' must be one of"),
        ({"engine": "mysql", "schema": "x"}, "'schema' is for PostgreSQL"),
        ({"engine": "postgres", "timezone": "Europe/Berlin"}, "unknown setting 'timezone'"),
        ({"engine": "postgres", "dag_ids": [1]}, "'dag_ids' must be a DAG id"),
        ({"engine": "postgres", "history": "yes"}, "'history' must be true or false"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(settings: dict[str, Any], message: str) -> None:
    """Wrong settings raise FatalSourceError naming the file and the key, before any connection."""
    config = SourceConfig(kind="airflow", name="af", settings=settings, path="sources/af.yaml")
    with pytest.raises(FatalSourceError, match=message):
        AirflowSource.from_config(config)


def test_key_cursor_mapping_and_masked_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connector brings its key, cursor and mapping, refuses another key, and shows no password."""
    monkeypatch.setenv("AF_PW", "s3cret-Pa55")
    settings = {
        "engine": "postgres",
        "host": "db",
        "database": "airflow",
        "user": "ro",
        "password_env": "AF_PW",
    }
    source = AirflowSource.from_config(SourceConfig(kind="airflow", name="af", settings=settings))
    assert (source.primary_key, source.cursor_column, dict(source.mapping)) == (KEY, "updated_at", MAPPING)
    shown = source.describe()
    assert shown["password"] == "$AF_PW (***)" and "s3cret-Pa55" not in repr(shown)
    assert (shown["kind"], shown["engine"], shown["history"]) == ("airflow", "postgres", True)
    with pytest.raises(FatalSourceError, match="remove 'primary_key'"):
        AirflowSource.from_config(
            SourceConfig(kind="airflow", name="af", settings=settings, primary_key=("id",))
        )
