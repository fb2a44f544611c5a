"""The generic ADBC source (kind adbc): adbc-driver-sqlite on a file, adbc-driver-postgresql on the test server."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_sources_sql import INJECTION, ROWS, expected, utc

from baton.api import Workspace
from baton.errors import FatalSourceError
from connectors.sources.base import Source, SourceConfig
from connectors.sources.config import build_source, read_source_config
from connectors.sources.sql import SQL_SOURCES, AdbcSource
from connectors.sources.sql_adbc import positional

pytest.importorskip("adbc_driver_sqlite", reason="pip install adbc-driver-sqlite to test the adbc kind")
HOST, PG_PORT = "127.0.0.1", 5432
CANARY = "Canary-adbc-93b1-pa55"
PG_URI = f"postgresql://postgres@{HOST}:{PG_PORT}/test?connect_timeout=5"


def config(name: str = "events", **settings: Any) -> SourceConfig:
    """An adbc source config with the events key and cursor."""
    return SourceConfig(
        "adbc", name, settings, primary_key=("event_id",), cursor_column="ts", path="src.yaml"
    )


def rows_of(source: Source, cursor: Any = None) -> list[dict[str, Any]]:
    """All rows a read yields, as dicts."""
    batches = list(source.read(cursor))
    return pa.Table.from_batches(batches).to_pylist() if batches else []


# ---- SQLite through ADBC (always runs) -------------------------------------------------------------------
@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A SQLite file holding ROWS with ISO-text times."""
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE ev (event_id INT PRIMARY KEY, case_id TEXT, activity TEXT, ts TEXT, resource TEXT)"
        )
        conn.executemany(
            "INSERT INTO ev VALUES (?, ?, ?, ?, ?)", [(*r[:3], r[3].isoformat(), r[4]) for r in ROWS]
        )
    conn.close()
    return path


def lite(db: Path, **settings: Any) -> AdbcSource:
    """An adbc source on the SQLite file (read-only URI)."""
    return AdbcSource.from_config(config(driver="adbc_driver_sqlite", uri=f"file:{db}?mode=ro", **settings))


def texts(rows: list[tuple[Any, ...]] = ROWS) -> list[dict[str, Any]]:
    """expected() with the times as the ISO text SQLite holds."""
    return [{**d, "ts": d["ts"].isoformat()} for d in expected(rows)]


def test_sqlite_reads_all_rows_in_cursor_order_and_batches(db: Path) -> None:
    """A table read yields every row in cursor order; batch_size=2 cuts five rows into 2, 2, 1."""
    assert rows_of(lite(db, table="ev")) == texts()
    batches = list(lite(db, table="ev", batch_size=2).read(None))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert batches[0].schema.field("event_id").type == pa.int64()


def test_sqlite_cursor_reads_rows_at_or_after_it(db: Path) -> None:
    """A text cursor selects exactly the rows at or after it (the equal row included); a time cursor too."""
    source = lite(db, table="ev")
    assert rows_of(source, ROWS[2][3].isoformat()) == texts(ROWS[2:])
    assert rows_of(source, "2024-03-04T00:00:01+00:00") == []
    assert [r["event_id"] for r in rows_of(source, utc(2024, 3, 3, 12))] == [4, 5]


def test_sqlite_query_params_are_bound_as_data(db: Path) -> None:
    """A parameter holding SQL is matched as a value; a repeated placeholder binds twice; the table survives."""
    query = "SELECT * FROM ev WHERE activity = :act OR resource = :act OR case_id = ':act'"
    assert rows_of(lite(db, query=query, params={"act": INJECTION})) == texts(ROWS[4:])
    assert [r["event_id"] for r in rows_of(lite(db, query=query, params={"act": "ann"}))] == [1, 4]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM ev").fetchone() == (5,)


def test_positional_styles_leave_literals_alone() -> None:
    """qmark gives one value per use, numeric one per name; quoted ':a' and casts are untouched."""
    sql = "SELECT ':a', x::int FROM t WHERE a = :a AND b = :b AND c = :a"
    assert positional(sql, {"a": 1, "b": "z"}, "qmark") == (
        "SELECT ':a', x::int FROM t WHERE a = ? AND b = ? AND c = ?",
        (1, "z", 1),
    )
    assert positional(sql, {"a": 1, "b": "z"}, "numeric")[1] == (1, "z")


def test_sqlite_missing_table_and_file_are_fatal(db: Path, tmp_path: Path) -> None:
    """A missing table or an unopenable file is a FatalSourceError saying what to check."""
    with pytest.raises(FatalSourceError, match=r"(?s)'events'.*no such table.*check 'table'"):
        lite(db, table="nope").check()
    with pytest.raises(FatalSourceError, match=r"failed to open 'file:.*missing.*check 'uri'"):
        lite(tmp_path / "missing" / "x.db", table="ev").check()


def test_discover_lists_tables_with_declared_types(db: Path) -> None:
    """discover() uses adbc_get_objects: the table with its declared column types."""
    streams = lite(db, table="ev").discover()
    assert [(s.name, dict(s.columns)) for s in streams] == [
        ("ev", {"event_id": "INT", "case_id": "TEXT", "activity": "TEXT", "ts": "TEXT", "resource": "TEXT"})
    ]


# ---- settings ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"driver": "adbc_driver_nosuch_baton"}, r"not installed.*pip install adbc-driver-nosuch-baton"),
        ({"driver": "os; import sys"}, r"'driver' 'os; import sys' is not an ADBC driver module"),
        ({"driver": "adbc_driver_manager"}, r"not an ADBC driver module"),
        ({}, r"set 'driver'"),
        ({"driver": "adbc_driver_sqlite", "uri": "a", "uri_env": "B"}, r"not both"),
        ({"driver": "adbc_driver_sqlite", "paramstyle": "named"}, r"'paramstyle' must be qmark"),
        ({"driver": "adbc_driver_sqlite", "db_kwargs_env": {"password": "PW"}}, r"db_kwargs_env.password"),
        ({"driver": "adbc_driver_sqlite", "dsn_env": "X"}, r"unknown setting 'dsn_env'"),
    ],
)
def test_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    """from_config refuses bad drivers (naming the pip package), conflicting or malformed settings."""
    with pytest.raises(FatalSourceError, match=message):
        AdbcSource.from_config(config(table="ev", **settings))


def test_config_file_registry_paramstyle_and_describe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config file builds an AdbcSource; paramstyle is detected per driver; describe() shows no secret."""
    monkeypatch.setenv("BATON_TEST_ADBC_URI", f"postgresql://u:{CANARY}@db/x")
    monkeypatch.setenv("BATON_TEST_ADBC_PW", CANARY)
    settings = {"driver": "adbc_driver_postgresql", "uri_env": "BATON_TEST_ADBC_URI", "table": "ev",
                "db_kwargs": {"adbc.postgresql.batch_size_hint_bytes": "65536"},
                "db_kwargs_env": {"password_env": "BATON_TEST_ADBC_PW"}}  # fmt: skip
    path = tmp_path / "src.yaml"
    path.write_text(json.dumps({"kind": "adbc", "name": "ev", "settings": settings, "primary_key": "event_id",
                                "cursor_column": "ts"}), "utf-8")  # fmt: skip
    source = build_source(read_source_config(path))
    assert isinstance(source, AdbcSource) and SQL_SOURCES["adbc"] is AdbcSource
    assert source.options.paramstyle == "numeric" and source.options.db_kwargs_env["password"].env == (
        "BATON_TEST_ADBC_PW"
    )
    shown = source.describe()
    assert CANARY not in repr(shown) and shown["uri"] == "$BATON_TEST_ADBC_URI (***)"
    assert shown["db_kwargs_env"] == {"password": "$BATON_TEST_ADBC_PW (***)"}
    assert lite_style() == "qmark"


def lite_style() -> str:
    """The paramstyle detected for the SQLite driver."""
    return AdbcSource.from_config(config(driver="adbc_driver_sqlite", table="ev")).options.paramstyle


def test_pull_twice_then_new_rows_arrive_once(db: Path) -> None:
    """ws.pull: the second pull inserts 0; rows added to the file arrive once in the next pull."""
    mapping = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "ts"}
    settings = {"driver": "adbc_driver_sqlite", "uri": f"file:{db}?mode=ro", "table": "ev", "batch_size": 2}
    cfg = SourceConfig("adbc", "ev", settings, mapping, ("event_id",), "ts")
    ws = Workspace.open()
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 5
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 0
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO ev VALUES (6, 'c3', 'Ship', '2024-03-05T09:00:00+00:00', NULL)")
    conn.close()
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 1
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 0
    assert int(ws.info("ev").events) == 6


# ---- PostgreSQL through ADBC ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    """A connection to the test database, or a skip naming the server."""
    dbapi = pytest.importorskip("adbc_driver_postgresql.dbapi")
    try:
        conn = dbapi.connect(PG_URI, autocommit=True)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        pytest.skip(
            f"PostgreSQL at {HOST}:{PG_PORT}/test is unreachable ({exc}); start it to run these tests"
        )
    yield conn
    conn.close()


@pytest.fixture
def pg_table(pg: Any) -> Iterator[str]:
    """A fresh events table holding ROWS (timestamptz); dropped after."""
    name = f"baton_adbc_{uuid.uuid4().hex[:10]}"
    with pg.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (event_id int PRIMARY KEY, case_id text, activity text, "
                    "ts timestamptz, resource text)")  # fmt: skip
        for row in ROWS:
            cur.execute(f"INSERT INTO {name} VALUES ($1, $2, $3, $4, $5)", parameters=row)
    yield name
    with pg.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")


def pgs(**settings: Any) -> AdbcSource:
    """An adbc source on the PostgreSQL test database."""
    return AdbcSource.from_config(config(driver="adbc_driver_postgresql", uri=PG_URI, **settings))


def test_pg_reads_all_from_cursor_and_in_batches(pg_table: str) -> None:
    """All rows with UTC times; a cursor read from the third row; batches of 2, 2, 1."""
    assert rows_of(pgs(table=pg_table)) == expected()
    assert rows_of(pgs(table=pg_table), utc(2024, 3, 2, 10)) == expected(ROWS[2:])
    batches = list(pgs(table=pg_table, batch_size=2).read(None))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert batches[0].schema.field("ts").type == pa.timestamp("us", tz="UTC")


def test_pg_query_params_are_bound_as_data(pg: Any, pg_table: str) -> None:
    """A parameter holding SQL matches one row as a value ($1 binding); the table survives."""
    query = f"SELECT * FROM {pg_table} WHERE activity = :act OR resource = :act"
    assert rows_of(pgs(query=query, params={"act": INJECTION})) == expected(ROWS[4:])
    assert rows_of(pgs(query=query, params={"act": "ann"}), utc(2024, 3, 2)) == expected([ROWS[3]])
    with pg.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {pg_table}")
        assert cur.fetchone() == (5,)


def test_pg_bad_credentials_are_fatal_without_the_secret(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused login from a URI in the environment is fatal, names the variable and never shows the password."""
    monkeypatch.setenv(
        "BATON_TEST_ADBC_URI", f"postgresql://no_such_role_baton:{CANARY}@{HOST}:{PG_PORT}/test"
    )
    source = AdbcSource.from_config(
        config(driver="adbc_driver_postgresql", uri_env="BATON_TEST_ADBC_URI", table="t")
    )
    with pytest.raises(FatalSourceError) as info:
        source.check()
    text = str(info.value)
    assert "'events'" in text and "$BATON_TEST_ADBC_URI" in text and "no_such_role_baton" in text
    assert CANARY not in text and "check the credentials" in text


def test_pg_pull_twice_then_new_rows_arrive_once(pg: Any, pg_table: str) -> None:
    """End to end on PostgreSQL: re-pull inserts 0; an added row arrives once."""
    mapping = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "ts"}
    cfg = SourceConfig("adbc", "pgev", {"driver": "adbc_driver_postgresql", "uri": PG_URI, "table": pg_table},
                       mapping, ("event_id",), "ts")  # fmt: skip
    ws = Workspace.open()
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 5
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 0
    with pg.cursor() as cur:
        cur.execute(f"INSERT INTO {pg_table} VALUES (6, 'c3', 'Ship', '2024-03-05 09:00+00', NULL)")
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 1
    assert ws.pull(AdbcSource.from_config(cfg)).inserted == 0
    assert int(ws.info("pgev").events) == 6
