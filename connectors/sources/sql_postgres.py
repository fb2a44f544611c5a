"""PostgreSQL source: ADBC's Arrow-native driver streams record batches (no full load into memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import pyarrow as pa

from connectors.sources.base import CursorValue, Stream
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import (
    COMMON_KEYS,
    SERVER_KEYS,
    Endpoint,
    Style,
    as_datetime,
    setting_text,
    utc_timestamps,
)

try:
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc_pg

    _ERRORS: tuple[type[BaseException], ...] = (adbc_driver_manager.Error,)
except ImportError:  # pragma: no cover - the driver is an optional dependency
    adbc_pg = None
    _ERRORS = ()

#: SQLSTATE classes that are transient: connection exceptions, resources, shutdown, serialization.
_RETRIABLE_STATES = ("08", "53", "57P", "40001", "40P01")
_RETRIABLE_TEXT = ("connection refused", "timeout", "timed out", "server closed", "reset", "broken pipe")
_DISCOVER_SQL = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY c.table_schema, c.table_name, c.ordinal_position
"""


class PostgresSource(SqlSource):
    """A PostgreSQL table or query (settings: host, port, database, user, password_env or dsn_env, schema).

    Naive ``timestamp`` columns are read as wall-clock times in the ``timezone`` setting (default UTC);
    every timestamp leaves as ``timestamp[us, tz=UTC]``.
    """

    kind: ClassVar[str] = "postgres"
    default_port: ClassVar[int] = 5432
    style: ClassVar[Style] = "setting"
    allowed: ClassVar[frozenset[str]] = COMMON_KEYS | SERVER_KEYS | {"schema"}
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = _ERRORS

    def _uri(self, target: Endpoint) -> str:
        if self.settings.dsn is not None:
            return self.settings.dsn.value()
        auth = quote(target.user, safe="")
        if target.password:
            auth += ":" + quote(target.password, safe="")
        query = urlencode({"connect_timeout": self.settings.connect_timeout})
        return f"postgresql://{auth}@{target.host}:{target.port}/{quote(target.database, safe='')}?{query}"

    def _connect(self, target: Endpoint) -> Any:
        if adbc_pg is None:  # pragma: no cover
            raise ImportError("install adbc-driver-postgresql to read PostgreSQL sources")
        conn = adbc_pg.connect(self._uri(target), autocommit=True)
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('TimeZone', $1, false)", parameters=(self.settings.timezone,))
            cur.fetchall()
        return conn

    def _bind(self, conn: Any, args: dict[str, Any]) -> None:
        """Store the values as session settings with bound ``set_config`` calls.

        A query with bound parameters makes ADBC fetch the whole result before the first batch; a query
        reading its values from settings has none, so ADBC streams it with COPY (memory bounded by a batch).
        """
        with conn.cursor() as cur:
            for name, value in args.items():
                if value is not None:
                    cur.execute(
                        "SELECT set_config($1, $2, false)",
                        parameters=(f"baton.{name.lower()}", setting_text(value)),
                    )
                    cur.fetchall()

    def _schema(self, conn: Any, sql: str, args: Any) -> pa.Schema:
        self._bind(conn, args)
        with conn.cursor() as cur:
            cur.execute(sql)
            table = cur.fetch_arrow_table()
        return utc_timestamps(_empty(table), "UTC").schema

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        self._bind(conn, args)
        with conn.cursor() as cur:
            cur.execute(sql)
            for batch in cur.fetch_record_batch():
                yield utc_timestamps(batch, self.settings.timezone)

    def _cursor_arg(self, cursor: CursorValue, field: pa.Field) -> Any:
        if pa.types.is_timestamp(field.type):
            return as_datetime(cursor, self.settings.timezone)
        return cursor

    def _discover(self, conn: Any) -> list[Stream]:
        with conn.cursor() as cur:
            cur.execute(_DISCOVER_SQL)
            rows = cur.fetchall()
        tables: dict[str, dict[str, str]] = {}
        for schema, table, column, dtype in rows:
            name = table if schema == "public" else f"{schema}.{table}"
            tables.setdefault(name, {})[column] = dtype
        return [Stream(name, columns) for name, columns in tables.items()]

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        text = str(exc).lower()
        state = str(getattr(exc, "sqlstate", "") or "")
        if state.startswith(_RETRIABLE_STATES) or any(t in text for t in _RETRIABLE_TEXT):
            return True, "the server is unreachable or busy; it was retried, try again later"
        if "password" in text or "role" in text or state.startswith("28"):
            return False, "check 'user' and the password in the variable named by 'password_env'"
        if "database" in text and "does not exist" in text:
            return False, "check 'database' (psql -l lists the databases)"
        if "translate host name" in text or "could not connect" in text:
            return False, "check 'host' and 'port'"
        if state.startswith("42"):
            return False, "check 'table' / 'query' and 'schema' (the table, view or column must exist)"
        return False, "check the source settings"


def _empty(table: pa.Table) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=table.schema)
