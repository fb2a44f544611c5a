"""MySQL / MariaDB source: pymysql's unbuffered SSCursor, fetchmany into typed Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa

from connectors.sources.base import CursorValue, Stream
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import (
    COMMON_KEYS,
    SERVER_KEYS,
    Endpoint,
    Style,
    as_datetime,
    naive_in,
)

try:
    import pymysql
    import pymysql.cursors
    from pymysql.constants import FIELD_TYPE as FT

    _ERRORS: tuple[type[BaseException], ...] = (pymysql.err.Error,)
except ImportError:  # pragma: no cover - the driver is an optional dependency
    pymysql = None  # type: ignore[assignment]
    _ERRORS = ()

#: Error numbers that are transient: can't connect, server gone, lost connection, lock wait, deadlock.
_RETRIABLE_CODES = {2003, 2006, 2013, 1040, 1205, 1213, 1927}
_NOT_A_HOST = ("name or service not known", "nodename nor servname", "no address associated")
_BINARY_CHARSET = 63
UTC_TS = pa.timestamp("us", tz="UTC")
_DISCOVER_SQL = """
SELECT table_name, column_name, column_type FROM information_schema.columns
WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position
"""


def _arrow_type(type_code: int, length: int, scale: int, charset: int) -> pa.DataType:
    """The Arrow type for a column from pymysql's field description."""
    if type_code in (FT.TINY, FT.SHORT, FT.LONG, FT.INT24, FT.LONGLONG, FT.YEAR):
        return pa.int64()
    if type_code in (FT.FLOAT, FT.DOUBLE):
        return pa.float64()
    if type_code in (FT.DECIMAL, FT.NEWDECIMAL):
        return pa.decimal128(min(38, max(length, scale + 1)), scale)
    if type_code == FT.TIMESTAMP:  # read with the session in UTC
        return UTC_TS
    if type_code == FT.DATETIME:  # wall-clock time in the ``timezone`` setting
        return pa.timestamp("us")
    if type_code in (FT.DATE, FT.NEWDATE):
        return pa.date32()
    if type_code == FT.TIME:
        return pa.duration("us")
    if type_code in (FT.BIT, FT.GEOMETRY) or charset == _BINARY_CHARSET and type_code != FT.JSON:
        return pa.binary()
    return pa.string()


class MysqlSource(SqlSource):
    """A MySQL or MariaDB table or query (settings: host, port, database, user, password_env or dsn_env).

    ``DATETIME`` values have no zone: they are read as wall-clock times in the ``timezone`` setting
    (default UTC). ``TIMESTAMP`` values are read with the session in UTC. Both leave as UTC timestamps.
    """

    kind: ClassVar[str] = "mysql"
    default_port: ClassVar[int] = 3306
    style: ClassVar[Style] = "pyformat"
    allowed: ClassVar[frozenset[str]] = COMMON_KEYS | SERVER_KEYS
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = _ERRORS

    def quote(self, name: str) -> str:
        """Quote an identifier with backticks (backticks doubled)."""
        return "`" + name.replace("`", "``") + "`"

    def _connect(self, target: Endpoint) -> Any:
        if pymysql is None:  # pragma: no cover
            raise ImportError("install pymysql to read MySQL / MariaDB sources")
        return pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            database=target.database,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=600,  # a large ORDER BY may sort for minutes before the first row
            charset="utf8mb4",
            init_command="SET time_zone = '+00:00'",
            cursorclass=pymysql.cursors.SSCursor,
        )

    def _schema(self, conn: Any, sql: str, args: Any) -> pa.Schema:
        """Arrow types from the probe's description; TIMESTAMP columns (read in UTC) carry tz=UTC."""
        with conn.cursor() as cur:
            cur.execute(sql, args)
            cur.fetchall()
            fields = cur._result.fields if cur._result is not None else []
            return pa.schema(
                [
                    pa.field(d[0], _arrow_type(d[1], d[4] or 0, d[5] or 0, getattr(f, "charsetnr", 0)))
                    for d, f in zip(cur.description, fields, strict=True)
                ]
            )

    def _zone(self, field: pa.Field) -> str:
        """The zone of a time column's wall-clock values: UTC for TIMESTAMP, the setting for DATETIME."""
        return "UTC" if getattr(field.type, "tz", None) else self.settings.timezone

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        out = pa.schema(
            [pa.field(f.name, UTC_TS if pa.types.is_timestamp(f.type) else f.type) for f in schema]
        )
        with conn.cursor() as cur:
            cur.execute(sql, args)
            while rows := cur.fetchmany(self.settings.batch_size):
                columns = [_column([r[i] for r in rows], f.type, self._zone(f)) for i, f in enumerate(schema)]
                yield pa.RecordBatch.from_arrays(columns, schema=out)

    def _cursor_arg(self, cursor: CursorValue, field: pa.Field) -> Any:
        if pa.types.is_timestamp(field.type):
            return naive_in(as_datetime(cursor, self.settings.timezone), self._zone(field))
        return cursor

    def _discover(self, conn: Any) -> list[Stream]:
        with conn.cursor() as cur:
            cur.execute(_DISCOVER_SQL)
            rows = cur.fetchall()
        tables: dict[str, dict[str, str]] = {}
        for table, column, ctype in rows:
            tables.setdefault(table, {})[column] = ctype.decode() if isinstance(ctype, bytes) else str(ctype)
        return [Stream(name, columns) for name, columns in tables.items()]

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        text = str(exc).lower()
        if any(t in text for t in _NOT_A_HOST):
            return False, "check 'host' (the name does not resolve)"
        if code in _RETRIABLE_CODES or "timed out" in text:
            return True, "the server is unreachable or busy; it was retried, try again later"
        if code in (1044, 1045, 1698):
            return False, "check 'user' and the password in the variable named by 'password_env'"
        if code == 1049:
            return False, "check 'database' (SHOW DATABASES lists them)"
        if code in (1054, 1064, 1146):
            return False, "check 'table' / 'query' (the table, view or column must exist)"
        return False, "check the source settings"


def _column(values: list[Any], dtype: pa.DataType, zone: str) -> pa.Array:
    """One column of a fetched batch as Arrow; naive DATETIME values are localised to ``zone``."""
    import pyarrow.compute as pc

    if pa.types.is_timestamp(dtype):
        naive = pa.array(values, pa.timestamp("us"))
        return pc.assume_timezone(naive, timezone=zone, ambiguous="earliest", nonexistent="earliest").cast(
            pa.timestamp("us", tz="UTC")
        )
    return pa.array(values, dtype)
