"""The camunda7 connector against Camunda's published history tables on the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import camunda7_fixture as fx
import pyarrow as pa
import pytest

from baton.api import open_workspace
from baton.errors import FatalSourceError
from connectors.sources.base import Source, SourceConfig
from connectors.sources.camunda7 import Camunda7Mysql, Camunda7Postgres, Camunda7Source
from connectors.sources.config import SOURCE_KINDS, build_source, read_source_config, register_source_kind

HOST, PG_PORT, MY_PORT = "127.0.0.1", 5432, 3306
ENGINES = ("postgres", "mariadb")
#: the hand-scripted first application (fixture FIRST), tasks only
FIRST_TASKS = [
    "Check application",
    "Request documents",
    "Check application",
    "Score credit",
    "Approve loan",
    "Send decision",
]


def utc(value: datetime) -> datetime:
    """A naive fixture time (written in UTC) as the aware UTC time the connector yields."""
    return value.replace(tzinfo=UTC)


@dataclass
class Db:
    """One Camunda database holding a fixture history: where it is, and how to build sources and change it."""

    engine: str
    conn: Any
    where: str
    history: fx.History

    def config(self, name: str = "loans", **settings: Any) -> SourceConfig:
        """A camunda7 source config for this database."""
        if self.engine == "postgres":
            base = {
                "engine": "postgres",
                "host": HOST,
                "port": PG_PORT,
                "database": "test",
                "user": "postgres",
            }
            base["schema"] = self.where
        else:
            base = {
                "engine": "mariadb",
                "host": HOST,
                "port": MY_PORT,
                "database": self.where,
                "user": "root",
            }
        return SourceConfig(
            kind="camunda7", name=name, settings={**base, **settings}, path=f"sources/{name}.yaml"
        )

    def source(self, name: str = "loans", **settings: Any) -> Camunda7Source:
        """The connector on this database."""
        return Camunda7Source.from_config(self.config(name, **settings))

    def apply(self, changes: fx.Changes) -> None:
        """Write the inserted and updated rows of ``fx.advance``."""
        inserted, updated = changes
        if self.engine == "postgres":
            fx.write_pg(self.conn, self.where, inserted, updated)
        else:
            self.conn.select_db(self.where)
            fx.write_mysql(self.conn, inserted, updated)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    """Connections to both servers (a missing one is recorded as the reason to skip its tests)."""
    found: dict[str, Any] = {}
    try:
        import adbc_driver_postgresql.dbapi as pg

        found["postgres"] = pg.connect(
            f"postgresql://postgres@{HOST}:{PG_PORT}/test?connect_timeout=5", autocommit=True
        )
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        found["postgres"] = (
            f"PostgreSQL at {HOST}:{PG_PORT}/test is unreachable ({exc}); start it to run these tests"
        )
    try:
        import pymysql

        found["mariadb"] = pymysql.connect(host=HOST, port=MY_PORT, user="root", password="", autocommit=True)
    except Exception as exc:  # noqa: BLE001
        found["mariadb"] = f"MariaDB at {HOST}:{MY_PORT} is unreachable ({exc}); start it to run these tests"
    yield found
    for conn in found.values():
        if not isinstance(conn, str):
            conn.close()


def create(servers: dict[str, Any], engine: str, history: fx.History | None) -> Db:
    """A fresh uuid-named schema (PostgreSQL) or database (MariaDB) with Camunda's DDL and the history."""
    conn = servers[engine]
    if isinstance(conn, str):
        pytest.skip(conn)
    where = f"camunda7_{uuid.uuid4().hex[:10]}"
    if engine == "postgres":
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {where}")
            cur.execute(f"SET search_path TO {where}")
            for statement in fx.ddl("postgres"):
                cur.execute(statement)
            cur.execute("SET search_path TO public")
    else:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {where}")
        conn.select_db(where)
        with conn.cursor() as cur:
            for statement in fx.ddl("mariadb"):
                cur.execute(statement)
    db = Db(engine, conn, where, history or fx.History())
    if history is not None:
        db.apply((fx.tables(history), []))
    return db


def drop(db: Db) -> None:
    """Remove the schema or database again."""
    with db.conn.cursor() as cur:
        cur.execute(
            f"DROP SCHEMA {db.where} CASCADE" if db.engine == "postgres" else f"DROP DATABASE {db.where}"
        )


@pytest.fixture(scope="module", params=ENGINES)
def loaded(request: pytest.FixtureRequest, servers: dict[str, Any]) -> Iterator[Db]:
    """The seeded history in each server (read-only tests share it)."""
    db = create(servers, request.param, fx.generate())
    yield db
    drop(db)


@pytest.fixture(params=ENGINES)
def fresh(request: pytest.FixtureRequest, servers: dict[str, Any]) -> Iterator[Db]:
    """A private copy of the seeded history that the test may change."""
    db = create(servers, request.param, fx.generate())
    yield db
    drop(db)


def read_rows(source: Source, cursor: Any = None) -> dict[str, dict[str, Any]]:
    """activity instance id -> row, of everything a read yields."""
    batches = list(source.read(cursor))
    rows = pa.Table.from_batches(batches).to_pylist() if batches else []
    return {r["activity_instance_id"]: r for r in rows}


def comparable(expected: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The fixture's expectation with times as aware UTC values, as the connector yields them."""
    times = ("event_time", "start_time", "end_time")
    return {
        k: {c: utc(v) if c in times and v is not None else v for c, v in row.items()}
        for k, row in expected.items()
    }


# ---- reading ------------------------------------------------------------------------------------------------


def test_reads_every_task_instance_with_its_context(loaded: Db) -> None:
    """Default read: one row per task instance, values equal to an independent reading of the fixture rows."""
    rows = read_rows(loaded.source())
    expected = comparable(fx.expected_rows(loaded.history))
    assert len(rows) == len(expected) == 1545
    assert {k: {c: r[c] for c in expected[k]} for k, r in rows.items()} == expected


def test_running_and_cancelled_instances_are_marked(loaded: Db) -> None:
    """An open instance has timestamp = start, no end, state running; a withdrawn one is 'canceled'."""
    rows = read_rows(loaded.source())
    waiting = [
        r for r in rows.values() if r["business_key"] == "LOAN-0299" and r["activity"] == "Check application"
    ]
    assert [(r["state"], r["end_time"], r["resource"]) for r in waiting] == [("running", None, None)]
    assert waiting[0]["event_time"] == waiting[0]["start_time"] == utc(fx.NOW - timedelta(minutes=30))
    states = [r["state"] for r in rows.values()]
    assert (states.count("running"), states.count("canceled")) == (6, 8)


def test_events_gateways_and_process_key_filters(loaded: Db) -> None:
    """include_events / include_gateways add exactly those instances; a process key filter keeps only its key."""
    everything = read_rows(loaded.source(include_events=True, include_gateways=True))
    expected = fx.expected_rows(loaded.history, ("task", "event", "gateway"))
    bodies = [a for a in loaded.history.actinst if a["ACT_TYPE_"] == "multiInstanceBody"]
    assert set(everything) == set(expected) and (len(everything), len(bodies)) == (2818, 82)
    kinds = {r["activity_type"] for r in everything.values()}
    assert kinds == {"startEvent", "userTask", "exclusiveGateway", "serviceTask", "noneEndEvent"}
    assert len(read_rows(loaded.source(include_events=True))) == len(
        fx.expected_rows(loaded.history, ("task", "event"))
    )
    assert read_rows(loaded.source(process_keys=["invoice"])) == {}
    assert len(read_rows(loaded.source(process_keys="loan"))) == 1545


def test_versions_and_incidents_per_instance(loaded: Db) -> None:
    """Process versions come from ACT_RE_PROCDEF; incidents count only those raised while the instance ran."""
    rows = read_rows(loaded.source())
    versions = {r["process_version"] for r in rows.values()}
    assert versions == {1, 2}
    first = sorted(
        (r for r in rows.values() if r["business_key"] == "LOAN-0001"), key=lambda r: r["start_time"]
    )
    assert [r["activity"] for r in first] == FIRST_TASKS
    score = first[3]
    assert (score["start_time"], score["end_time"]) == (
        datetime(2024, 1, 2, 11, 20, tzinfo=UTC),
        datetime(2024, 1, 2, 12, 20, tzinfo=UTC),
    )
    assert (score["incidents"], score["incident_message"], score["duration_ms"]) == (1, fx.MESSAGE, 3_600_000)
    assert first[4]["resource"] == "dora" and first[4]["incidents"] == 0
    assert sum(r["incidents"] for r in rows.values()) == len(loaded.history.incident) == 29


def test_cursor_read_returns_changed_and_open_instances(loaded: Db) -> None:
    """A read from a cursor yields instances changed at or after it plus every still-open instance."""
    cursor = datetime(2024, 1, 20, tzinfo=UTC)
    rows = read_rows(loaded.source(), cursor)
    expected = comparable(fx.expected_rows(loaded.history))
    want = {k for k, r in expected.items() if r["event_time"] >= cursor or r["end_time"] is None}
    assert set(rows) == want and 0 < len(want) < len(expected)
    times = [r["event_time"] for r in rows.values()]
    assert times == sorted(times)


def test_timezone_setting_reads_wall_clock_times(loaded: Db) -> None:
    """timezone: Europe/Berlin reads Camunda's naive times as Berlin time (UTC+1 in January)."""
    rows = read_rows(loaded.source(timezone="Europe/Berlin"))
    first = min((r for r in rows.values() if r["business_key"] == "LOAN-0001"), key=lambda r: r["start_time"])
    assert first["start_time"] == datetime(2024, 1, 2, 7, 30, tzinfo=UTC)


def test_discover_and_describe(loaded: Db) -> None:
    """discover names the activity_instances stream; describe shows the options and masks the password."""
    [stream] = loaded.source().discover()
    assert stream.name == "activity_instances"
    assert {"case_id", "activity", "event_time", "resource", "incidents", "changed_at"} <= set(stream.columns)
    shown = loaded.source(password_env="CAMUNDA_PW", process_keys=["loan"]).describe()
    assert shown["password"] == "$CAMUNDA_PW (***)" and "query" not in shown
    assert (shown["kind"], shown["process_keys"], shown["include_events"], shown["lookback_seconds"]) == (
        "camunda7",
        ["loan"],
        False,
        300.0,
    )


# ---- pulling into a workspace -------------------------------------------------------------------------------


def log_rows(ws: Any, name: str) -> list[dict[str, Any]]:
    """The log's events with attributes."""
    return ws.log(name).to_arrow().to_pylist()


def test_pull_then_pull_the_changes(fresh: Db) -> None:
    """A pull builds the log; after the source moves on, the next pull brings exactly the new and changed rows."""
    ws = open_workspace()
    first = ws.pull(fresh.source())
    assert (first.inserted, first.updated, first.cursor_before) == (1545, 0, None)
    latest = max(r["event_time"] for r in fx.expected_rows(fresh.history).values())
    assert first.cursor_after == utc(latest).isoformat() == "2024-01-27T07:50:12+00:00"
    info = ws.info("loans")
    assert (info.cases, info.events) == (300, 1545)
    events = log_rows(ws, "loans")
    case1 = next(p["ID_"] for p in fresh.history.procinst if p["BUSINESS_KEY_"] == "LOAN-0001")
    assert [e["activity"] for e in events if e["case_id"] == case1] == FIRST_TASKS
    approve = next(e for e in events if e["case_id"] == case1 and e["activity"] == "Approve loan")
    assert (approve["start_timestamp"], approve["timestamp"], approve["resource"]) == (
        datetime(2024, 1, 2, 13, 5, tzinfo=UTC),
        datetime(2024, 1, 2, 13, 20, tzinfo=UTC),
        "dora",
    )

    fresh.apply(fx.advance(fresh.history))
    second = ws.pull(fresh.source())
    assert (second.inserted, second.updated) == (5, 2)
    assert second.cursor_before == first.cursor_after
    assert second.cursor_after == utc(fx.NOW + timedelta(minutes=46, seconds=6)).isoformat()
    expected = comparable(fx.expected_rows(fresh.history))
    since = utc(latest - timedelta(seconds=300))
    reread = {k for k, r in expected.items() if r["event_time"] >= since or r["end_time"] is None}
    assert second.rows_read == len(reread) and second.unchanged == len(reread) - 7
    assert ws.info("loans").events == len(expected) == 1550 and ws.info("loans").cases == 301
    events = log_rows(ws, "loans")
    assert len({e["activity_instance_id"] for e in events}) == len(events) == 1550  # no duplicates
    cases = {p["BUSINESS_KEY_"]: p["ID_"] for p in fresh.history.procinst}
    check = next(
        e for e in events if e["case_id"] == cases["LOAN-0299"] and e["activity"] == "Check application"
    )
    assert (check["resource"], check["timestamp"]) == ("bob", utc(fx.NOW + timedelta(minutes=15)))
    scored = next(e for e in events if e["case_id"] == cases["LOAN-0300"] and e["activity"] == "Score credit")
    assert (scored["state"], scored["incidents"], scored["timestamp"]) == (
        "completed",
        1,
        utc(fx.NOW + timedelta(minutes=30)),
    )
    assert [e["activity"] for e in events if e["case_id"] == cases["LOAN-0301"]] == [
        "Check application",
        "Score credit",
        "Approve loan",
    ]

    third = ws.pull(fresh.source())
    assert (third.inserted, third.updated, third.cursor_after) == (0, 0, second.cursor_after)
    assert ws.info("loans").events == 1550


# ---- settings and errors ------------------------------------------------------------------------------------


def test_registry_builds_the_engine_driver_from_yaml(loaded: Db, tmp_path: Path) -> None:
    """A camunda7 YAML config, once the kind is registered, builds the configured engine's driver (a Source)."""
    settings = "\n".join(f"  {k}: {v}" for k, v in loaded.config().settings.items())
    path = tmp_path / "loans.yaml"
    path.write_text(f"kind: camunda7\nname: loans\nsettings:\n{settings}\n  process_keys: [loan]\n")
    registered = SOURCE_KINDS.get("camunda7")
    register_source_kind("camunda7", "connectors.sources.camunda7:Camunda7Source")
    try:
        source = build_source(read_source_config(path))
    finally:
        if registered is None:
            SOURCE_KINDS.pop("camunda7", None)
        else:
            SOURCE_KINDS["camunda7"] = registered
    expected = Camunda7Postgres if loaded.engine == "postgres" else Camunda7Mysql
    assert type(source) is expected and isinstance(source, Source)
    assert (source.kind, source.primary_key, source.cursor_column) == (
        "camunda7",
        ("activity_instance_id",),
        "changed_at",
    )
    assert len(read_rows(source)) == 1545


@pytest.mark.parametrize(
    ("settings", "config_extra", "message"),
    [
        ({"engine": "oracle"}, {}, "'engine' 'oracle' is not one of"),
        ({"table": "ACT_HI_ACTINST"}, {}, "unknown setting 'table'"),
        ({"include_events": "yes"}, {}, "'include_events' must be true or false"),
        ({"process_keys": [1]}, {}, "'process_keys' must be a key or a list of keys"),
        ({}, {"primary_key": ("ID_",)}, "remove 'primary_key' / 'cursor_column'"),
    ],
)
def test_bad_settings_are_refused(
    settings: dict[str, Any], config_extra: dict[str, Any], message: str
) -> None:
    """Wrong settings raise FatalSourceError naming the file and the key, before any connection."""
    config = SourceConfig(
        kind="camunda7",
        name="loans",
        settings={"host": HOST, **settings},
        path="sources/loans.yaml",
        **config_extra,
    )
    with pytest.raises(FatalSourceError, match=message) as info:
        Camunda7Source.from_config(config)
    assert "sources/loans.yaml" in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_tables_name_the_camunda_tables(servers: dict[str, Any], engine: str) -> None:
    """A database without Camunda's tables fails check() with a message naming them and what to check."""
    db = create(servers, engine, None)
    try:
        with db.conn.cursor() as cur:
            cur.execute(
                f"DROP TABLE {db.where}.ACT_HI_INCIDENT"
                if engine == "postgres"
                else "DROP TABLE ACT_HI_INCIDENT"
            )
        with pytest.raises(FatalSourceError, match="ACT_HI_INCIDENT.*'database' and 'schema'"):
            db.source().check()
    finally:
        drop(db)
