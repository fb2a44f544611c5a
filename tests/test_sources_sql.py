"""SQL source connectors against the real PostgreSQL and MariaDB servers of this machine, and SQLite."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from baton.errors import FatalSourceError, RetriableSourceError
from connectors.sources.base import REJECT_REASON, Source, SourceConfig
from connectors.sources.sql import SQL_SOURCES, MysqlSource, PostgresSource, SqliteSource
from connectors.sources.sql_common import bind

HOST = "127.0.0.1"
PG_PORT, MY_PORT = 5432, 3306
CANARY = "Canary-7f3e-pa55"
INJECTION = "x'); DROP TABLE t; --"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


#: (event_id, case_id, activity, timestamp in UTC, resource) in timestamp order.
ROWS = [
    (1, "c1", "Create order", utc(2024, 3, 1, 8, 0), "ann"),
    (2, "c1", "Check crédit ✓", utc(2024, 3, 1, 8, 30), None),
    (3, "c2", "Create order", utc(2024, 3, 2, 10, 0), "bob"),
    (4, "c2", "Ship", utc(2024, 3, 3, 12, 0), "ann"),
    (5, "c1", INJECTION, utc(2024, 3, 4, 0, 0), "cat"),
]
KEYS = ("event_id", "case_id", "activity", "ts", "resource")


def expected(rows: list[tuple[Any, ...]] = ROWS) -> list[dict[str, Any]]:
    """The rows as the dicts a read should yield."""
    return [dict(zip(KEYS, row, strict=True)) for row in rows]


def config(kind: str, name: str = "events", **settings: Any) -> SourceConfig:
    """A source config with the events key and cursor."""
    return SourceConfig(
        kind=kind,
        name=name,
        settings=settings,
        primary_key=("event_id",),
        cursor_column="ts",
        path=f"sources/{name}.yaml",
    )


def rows_of(source: Source, cursor: Any = None) -> list[dict[str, Any]]:
    """All rows a read yields, as dicts (REJECT_REASON dropped when all NULL)."""
    batches = list(source.read(cursor))
    if not batches:
        return []
    table = pa.Table.from_batches(batches)
    if REJECT_REASON in table.column_names and table[REJECT_REASON].null_count == table.num_rows:
        table = table.drop_columns([REJECT_REASON])
    return table.to_pylist()


# ---- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    """A connection to the test database, or a skip naming the server."""
    dbapi = pytest.importorskip("adbc_driver_postgresql.dbapi")
    try:
        conn = dbapi.connect(
            f"postgresql://postgres@{HOST}:{PG_PORT}/test?connect_timeout=5", autocommit=True
        )
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        pytest.skip(
            f"PostgreSQL at {HOST}:{PG_PORT}/test is unreachable ({exc}); start it to run these tests"
        )
    yield conn
    conn.close()


@pytest.fixture
def pg_table(pg: Any) -> Iterator[str]:
    """A fresh events table holding ROWS (timestamptz, written with non-UTC offsets too); dropped after."""
    name = f"baton_ev_{uuid.uuid4().hex[:10]}"
    with pg.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {name} (event_id int PRIMARY KEY, case_id text, activity text, "
            "ts timestamptz, resource text)"
        )
        for row in ROWS:
            cur.execute(f"INSERT INTO {name} VALUES ($1, $2, $3, $4, $5)", parameters=row)
        cur.execute(f"UPDATE {name} SET ts = '2024-03-01 09:30:00+01' WHERE event_id = 2")
    yield name
    with pg.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")


def pg_source(**settings: Any) -> PostgresSource:
    """A PostgresSource on the local test database."""
    base = {"host": HOST, "port": PG_PORT, "database": "test", "user": "postgres"}
    return PostgresSource.from_config(config("postgres", **{**base, **settings}))


def test_pg_reads_every_row_with_utc_times(pg_table: str) -> None:
    """A table read without cursor yields every row in cursor order, NULLs, unicode and UTC times intact."""
    assert rows_of(pg_source(table=pg_table)) == expected()


def test_pg_cursor_reads_exactly_rows_at_or_after_it(pg_table: str) -> None:
    """A cursor read yields exactly the rows whose cursor value is >= the cursor (the equal one included)."""
    assert rows_of(pg_source(table=pg_table), utc(2024, 3, 2, 10, 0)) == expected(ROWS[2:])
    assert rows_of(pg_source(table=pg_table), utc(2024, 3, 4, 0, 0, 1)) == []


def test_pg_batch_size_is_respected(pg_table: str) -> None:
    """batch_size=2 cuts five rows into batches of 2, 2 and 1, all with the same schema."""
    batches = list(pg_source(table=pg_table, batch_size=2).read(None))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert {b.schema for b in batches} == {batches[0].schema}
    assert batches[0].schema.field("ts").type == pa.timestamp("us", tz="UTC")


class SpyPostgres(PostgresSource):
    """A PostgresSource that records the sizes of the batches the driver hands over."""

    sizes: list[int]

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        self.sizes = []
        for batch in super()._stream(conn, sql, args, schema):
            self.sizes.append(batch.num_rows)
            yield batch


def test_pg_cursor_read_streams(pg: Any) -> None:
    """A cursor read is streamed: ADBC hands over several batches, never the whole result at once."""
    name = f"baton_big_{uuid.uuid4().hex[:10]}"
    with pg.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {name} AS SELECT i AS event_id, repeat('x', 100) AS pad, "
            "timestamptz '2024-01-01' + i * interval '1 second' AS ts FROM generate_series(1, 300000) i"
        )
    try:
        base: dict[str, Any] = {
            "host": HOST,
            "database": "test",
            "user": "postgres",
            "table": name,
            "batch_size": 100_000,
        }
        source = SpyPostgres.from_config(config("postgres", **base))
        assert [b.num_rows for b in source.read(utc(2024, 1, 1, 0, 0, 1))] == [100_000, 100_000, 100_000]
        assert len(source.sizes) > 1 and max(source.sizes) < 300_000
    finally:
        with pg.cursor() as cur:
            cur.execute(f"DROP TABLE {name}")


def test_pg_query_params_are_bound_as_data(pg: Any, pg_table: str) -> None:
    """A query parameter holding SQL is matched as a value (one row) and the table survives."""
    query = f"SELECT * FROM {pg_table} WHERE activity = :act"
    source = pg_source(query=query, params={"act": INJECTION})
    assert rows_of(source) == expected(ROWS[4:])
    assert rows_of(pg_source(query=query, params={"act": "Create order"}), utc(2024, 3, 2)) == expected(
        [ROWS[2]]
    )
    with pg.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {pg_table}")
        assert cur.fetchone() == (5,)


def test_pg_unknown_user_is_fatal_without_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """A login refused (unknown role, password given) is fatal, names source and server, hides the password."""
    monkeypatch.setenv("BATON_TEST_PG_PASSWORD", CANARY)
    source = pg_source(table="t", user="no_such_role_baton", password_env="BATON_TEST_PG_PASSWORD")
    with pytest.raises(FatalSourceError) as info:
        source.check()
    text = str(info.value)
    assert "'events'" in text and f"{HOST}:{PG_PORT}/test" in text and "no_such_role_baton" in text
    assert CANARY not in text and "password_env" in text


def test_pg_dsn_password_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DSN from the environment connects; its password is neither in errors nor in describe()."""
    monkeypatch.setenv("BATON_TEST_PG_DSN", f"postgresql://nobody_baton:{CANARY}@{HOST}:{PG_PORT}/nodb_baton")
    source = PostgresSource.from_config(config("postgres", dsn_env="BATON_TEST_PG_DSN", table="t"))
    with pytest.raises(FatalSourceError) as info:
        source.check()
    assert f"{HOST}:{PG_PORT}/nodb_baton" in str(info.value) and CANARY not in str(info.value)
    assert CANARY not in repr(source.describe()) and source.describe()["dsn"] == "$BATON_TEST_PG_DSN (***)"


def test_pg_unknown_table_and_database_are_fatal(pg: Any) -> None:
    """A missing table or database is a fatal error that says what to check."""
    with pytest.raises(FatalSourceError, match=r"baton_missing_table.*check 'table'"):
        pg_source(table="baton_missing_table").check()
    with pytest.raises(FatalSourceError, match=r"nodb_baton.*check 'database'"):
        pg_source(table="t", database="nodb_baton").check()


def test_pg_refused_connection_is_retriable(pg: Any) -> None:
    """A refused connection (nothing listens on port 1) is retried, then reported as retriable."""
    with pytest.raises(RetriableSourceError, match=rf"failed 3 times in a row.*{HOST}:1/test"):
        pg_source(table="t", port=1).check()


def test_pg_key_or_cursor_column_missing_is_fatal(pg_table: str) -> None:
    """A cursor column the table lacks is a fatal error listing the table's columns."""
    source = PostgresSource.from_config(
        SourceConfig(
            "postgres",
            "ev",
            {"host": HOST, "database": "test", "user": "postgres", "table": pg_table},
            primary_key=("event_id",),
            cursor_column="changed_at",
        )
    )
    with pytest.raises(FatalSourceError, match=r"'changed_at'.*event_id, case_id, activity, ts, resource"):
        source.check()


def test_pg_discover_lists_table_with_columns(pg_table: str) -> None:
    """discover() reports the table with its columns and PostgreSQL types."""
    streams = {s.name: s for s in pg_source(table=pg_table).discover()}
    assert dict(streams[pg_table].columns) == {
        "event_id": "integer",
        "case_id": "text",
        "activity": "text",
        "ts": "timestamp with time zone",
        "resource": "text",
    }


# ---- MariaDB / MySQL --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def my() -> Iterator[Any]:
    """A connection to the test database as root, or a skip naming the server."""
    pymysql = pytest.importorskip("pymysql")
    try:
        conn = pymysql.connect(
            host=HOST, port=MY_PORT, user="root", password="", database="test", autocommit=True
        )
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        pytest.skip(f"MariaDB at {HOST}:{MY_PORT}/test is unreachable ({exc}); start it to run these tests")
    yield conn
    conn.close()


@pytest.fixture
def my_table(my: Any) -> Iterator[str]:
    """A fresh events table: DATETIME wall-clock times in Europe/Berlin, a DECIMAL; dropped after."""
    name = f"baton_ev_{uuid.uuid4().hex[:10]}"
    with my.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {name} (event_id INT PRIMARY KEY, case_id VARCHAR(10), activity VARCHAR(100), "
            "ts DATETIME(3), resource VARCHAR(10), cost DECIMAL(10,2)) CHARACTER SET utf8mb4"
        )
        for i, (key, case, activity, ts, resource) in enumerate(ROWS):
            berlin = ts.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
            cur.execute(
                f"INSERT INTO {name} VALUES (%s, %s, %s, %s, %s, %s)",
                (key, case, activity, berlin, resource, Decimal(f"{i}.25")),
            )
    yield name
    with my.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")


def my_source(**settings: Any) -> MysqlSource:
    """A MysqlSource on the local test database, DATETIMEs declared as Berlin time."""
    base = {"host": HOST, "port": MY_PORT, "database": "test", "user": "root", "timezone": "Europe/Berlin"}
    return MysqlSource.from_config(config("mysql", **{**base, **settings}))


def my_expected(rows: list[tuple[Any, ...]] = ROWS) -> list[dict[str, Any]]:
    """ROWS with the DECIMAL cost column the MariaDB table adds."""
    return [{**d, "cost": Decimal(f"{ROWS.index(r)}.25")} for d, r in zip(expected(rows), rows, strict=True)]


def test_mysql_reads_datetimes_in_declared_zone(my_table: str) -> None:
    """DATETIME wall-clock values in the declared zone leave as the right UTC instants; decimals exact."""
    batches = list(my_source(table=my_table).read(None))
    assert rows_of(my_source(table=my_table)) == my_expected()
    assert batches[0].schema.field("cost").type == pa.decimal128(12, 2)


def test_mysql_cursor_and_batches(my_table: str) -> None:
    """A UTC cursor selects exactly the later rows of a Berlin DATETIME column, in batches of 2."""
    source = my_source(table=my_table, batch_size=2)
    assert [b.num_rows for b in source.read(utc(2024, 3, 1, 8, 30))] == [2, 2]
    assert rows_of(source, utc(2024, 3, 1, 8, 30)) == my_expected(ROWS[1:])


def test_mysql_query_params_bound_as_data(my: Any, my_table: str) -> None:
    """A parameter holding SQL (and a LIKE with %) is data: one row matches and the table survives."""
    query = f"SELECT * FROM {my_table} WHERE activity = :act OR activity LIKE '%:notaparam%'"
    assert rows_of(my_source(query=query, params={"act": INJECTION})) == my_expected(ROWS[4:])
    with my.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {my_table}")
        assert cur.fetchone() == (5,)


def test_mysql_wrong_password_is_fatal_without_password(my: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong password for a real user is fatal, names source and server, and never shows the password."""
    user = f"baton_u_{uuid.uuid4().hex[:8]}"
    with my.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", ("right-pass-9",))
        cur.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY %s", ("right-pass-9",))
    try:
        monkeypatch.setenv("BATON_TEST_MY_PASSWORD", CANARY)
        source = my_source(table="t", user=user, password_env="BATON_TEST_MY_PASSWORD")
        with pytest.raises(FatalSourceError) as info:
            source.check()
        text = str(info.value)
        assert "'events'" in text and f"{HOST}:{MY_PORT}/test" in text and "Access denied" in text
        assert CANARY not in text and "password_env" in text
    finally:
        with my.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
            cur.execute(f"DROP USER IF EXISTS '{user}'@'localhost'")


def test_mysql_unknown_table_is_fatal_and_discover_lists_columns(my_table: str) -> None:
    """A missing table is fatal; discover() lists the real table with its column types."""
    with pytest.raises(FatalSourceError, match=r"baton_missing_table.*check 'table'"):
        my_source(table="baton_missing_table").check()
    streams = {s.name: s for s in my_source(table=my_table).discover()}
    assert dict(streams[my_table].columns) == {
        "event_id": "int(11)",
        "case_id": "varchar(10)",
        "activity": "varchar(100)",
        "ts": "datetime(3)",
        "resource": "varchar(10)",
        "cost": "decimal(10,2)",
    }


# ---- SQLite (always runs) ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    """A SQLite file whose ISO-text timestamps mix 'T', space, 'Z' and offsets; one bad integer."""
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ev (event_id INTEGER PRIMARY KEY, case_id TEXT, qty INTEGER, ts DATETIME)")
        conn.executemany(
            "INSERT INTO ev VALUES (?, ?, ?, ?)",
            [
                (1, "c1", 3, "2024-03-02 09:59:59"),
                (2, "c1", None, "2024-03-02T11:00:00+01:00"),
                (3, "c2", "lots", "2024-03-02 10:00:00"),
                (4, "c2", 7, "2024-03-03T08:00:00Z"),
            ],
        )
    conn.close()
    return path


def test_sqlite_reads_typed_rows_and_rejects_misfits(sqlite_db: Path) -> None:
    """Declared types give int64/text columns; a text in an INTEGER column is NULL with a reject reason."""
    source = SqliteSource.from_config(config("sqlite", path=str(sqlite_db), table="ev"))
    table = pa.Table.from_batches(list(source.read(None))).sort_by("event_id")
    assert table.schema.field("qty").type == pa.int64() and table.schema.field("ts").type == pa.string()
    assert table.column("qty").to_pylist() == [3, None, None, 7]
    assert table.column(REJECT_REASON).to_pylist() == [
        None,
        None,
        "column 'qty': 'lots' is not a int64",
        None,
    ]
    assert table.column("ts").to_pylist()[1] == "2024-03-02T11:00:00+01:00"


def test_sqlite_time_cursor_compares_instants(sqlite_db: Path) -> None:
    """A UTC cursor selects rows at or after it whatever the ISO spelling (offset, 'T', 'Z')."""
    source = SqliteSource.from_config(config("sqlite", path=str(sqlite_db), table="ev", batch_size=1))
    assert [b.num_rows for b in source.read(utc(2024, 3, 2, 10))] == [1, 1, 1]
    assert sorted(r["event_id"] for r in rows_of(source, utc(2024, 3, 2, 10))) == [2, 3, 4]
    assert sorted(r["event_id"] for r in rows_of(source, "2024-03-02T11:00:00+01:00")) == [2, 3, 4]
    assert sorted(r["event_id"] for r in rows_of(source, "2024-03-02 10:00:01")) == [4]


def test_sqlite_query_param_is_data(sqlite_db: Path) -> None:
    """A query parameter holding SQL matches nothing and leaves the table alone; a real value matches."""
    query = "SELECT event_id, case_id, ts FROM ev WHERE case_id = :case"
    assert (
        rows_of(
            SqliteSource.from_config(
                config("sqlite", path=str(sqlite_db), query=query, params={"case": INJECTION})
            )
        )
        == []
    )
    rows = rows_of(
        SqliteSource.from_config(config("sqlite", path=str(sqlite_db), query=query, params={"case": "c2"}))
    )
    assert [r["event_id"] for r in rows] == [3, 4]
    assert sqlite3.connect(sqlite_db).execute("SELECT count(*) FROM ev").fetchone() == (4,)


def test_sqlite_missing_table_or_file_is_fatal(sqlite_db: Path, tmp_path: Path) -> None:
    """A missing table or a missing file is fatal and names what to check."""
    with pytest.raises(FatalSourceError, match=r"no such table: nope.*check 'table'"):
        SqliteSource.from_config(config("sqlite", path=str(sqlite_db), table="nope")).check()
    with pytest.raises(FatalSourceError, match=r"does not exist; check 'path'"):
        SqliteSource.from_config(config("sqlite", path=str(tmp_path / "none.db"), table="ev")).check()


def test_sqlite_discover(sqlite_db: Path) -> None:
    """discover() lists the table with its declared column types."""
    streams = SqliteSource.from_config(config("sqlite", path=str(sqlite_db), table="ev")).discover()
    assert [(s.name, dict(s.columns)) for s in streams] == [
        ("ev", {"event_id": "INTEGER", "case_id": "TEXT", "qty": "INTEGER", "ts": "DATETIME"})
    ]


# ---- settings and binding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"path": "x.db", "table": "ev", "passwd": "x"}, r"sources/events.yaml.*unknown setting 'passwd'"),
        ({"path": "x.db", "table": "ev", "query": "SELECT 1"}, r"exactly one of 'table'.*or 'query'"),
        ({"path": "x.db", "query": "SELECT * FROM ev WHERE a = :a"}, r"missing \['a'\]"),
        ({"path": "x.db", "table": "ev", "batch_size": 0}, r"'batch_size' must be at least 1"),
    ],
)
def test_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    """from_config refuses unknown keys, table and query together, unbound placeholders, bad batch sizes."""
    with pytest.raises(FatalSourceError, match=message):
        SqliteSource.from_config(config("sqlite", **settings))


def test_bind_leaves_literals_comments_and_casts_alone() -> None:
    """Placeholders inside quotes, comments and :: casts are untouched; % is doubled for pyformat."""
    sql = "SELECT ':a', a::int /* :a */ FROM t WHERE b = :a AND c = :b AND d = :a AND e LIKE 'x%'"
    assert bind(sql, {"a": 1, "b": "z"}, "dollar") == (
        "SELECT ':a', a::int /* :a */ FROM t WHERE b = $1 AND c = $2 AND d = $1 AND e LIKE 'x%'",
        (1, "z"),
    )
    text, _args = bind(sql, {"a": 1, "b": "z"}, "pyformat")
    assert text.endswith("b = %(a)s AND c = %(b)s AND d = %(a)s AND e LIKE 'x%%'")


def test_registry_and_describe_masks_password() -> None:
    """Every kind maps to its class (they satisfy Source) and describe() shows no secret value."""
    assert SQL_SOURCES["postgres"] is PostgresSource and SQL_SOURCES["mariadb"] is MysqlSource
    source = PostgresSource.from_config(
        config("postgres", host="db", user="u", password_env="PW", table="ev")
    )
    assert isinstance(source, Source)
    assert source.describe() == {
        "kind": "postgres",
        "name": "events",
        "host": "db",
        "port": 5432,
        "database": "",
        "user": "u",
        "password": "$PW (***)",
        "table": "ev",
        "batch_size": 50_000,
        "cursor_column": "ts",
        "primary_key": ["event_id"],
        "timezone": "UTC",
    }
