"""SQLite source: the standard library's sqlite3, read-only, fetchmany into Arrow batches by declared type."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import quote

import pyarrow as pa

from baton.errors import FatalSourceError
from connectors.sources.base import REJECT_REASON, CursorValue, SourceConfig, Stream
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import COMMON_KEYS, CURSOR_PARAM, Endpoint, Style, as_datetime

#: A text cursor spelled as an ISO 8601 date or time (the loader keeps text timestamps' cursor as text).
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
_RETRIABLE_TEXT = ("database is locked", "database table is locked", "disk i/o error")


def declared_type(decl: str) -> pa.DataType | None:
    """The Arrow type for a declared SQLite column type (SQLite's affinity rules; dates stay ISO text).

    None for an undeclared column: its type is inferred from the values.
    """
    d = decl.upper()
    if not d:
        return None
    if "INT" in d:
        return pa.int64()
    if any(t in d for t in ("CHAR", "CLOB", "TEXT", "DATE", "TIME")):
        return pa.string()
    if "BLOB" in d:
        return pa.binary()
    if "BOOL" in d:
        return pa.bool_()
    return pa.float64()  # REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL


def convert(values: list[Any], dtype: pa.DataType, name: str, reasons: list[str | None]) -> pa.Array:
    """``values`` as an Arrow array of ``dtype``; a value that does not fit becomes NULL and its row gets a
    reject reason (SQLite lets any column hold any value)."""
    try:
        return pa.array(values, dtype)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
        pass
    out: list[Any] = []
    for i, value in enumerate(values):
        if pa.types.is_string(dtype) and value is not None and not isinstance(value, str):
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        try:
            pa.array([value], dtype)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            reasons[i] = reasons[i] or f"column {name!r}: {value!r} is not a {dtype}"
            value = None
        out.append(value)
    return pa.array(out, dtype)


class SqliteSource(SqlSource):
    """A table or query of a SQLite file (settings: path), opened read-only.

    Columns are typed by their declared type; timestamps stored as text leave as text (the loader parses
    them). A time cursor is compared with ``julianday``, so ISO texts with ``T`` or a space and with or
    without a zone suffix compare as times (texts without a zone count as UTC); so does a text cursor
    spelled as an ISO time. Every batch carries
    ``REJECT_REASON``: a value that does not fit its column's declared type is NULL and its row a reject.
    """

    kind: ClassVar[str] = "sqlite"
    style: ClassVar[Style] = "named"
    allowed: ClassVar[frozenset[str]] = COMMON_KEYS | {"path"}
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.Error,)

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings (``path`` is required) and build the source."""
        if not config.settings.get("path"):
            raise FatalSourceError(
                f"{config.path or 'source config'}: source {config.name!r} (sqlite): set 'path' to the "
                "SQLite database file"
            )
        return super().from_config(config)

    def _connect(self, target: Endpoint) -> Any:
        path = Path(self.settings.path).expanduser()
        if not path.is_file():
            raise FatalSourceError(
                f"source {self.name!r} ({self.where()}): the database file does not exist; check 'path' "
                f"(relative paths start at {Path.cwd()})"
            )
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=self.settings.connect_timeout)

    def _declared(self, conn: sqlite3.Connection) -> dict[str, pa.DataType | None]:
        if not self.settings.table:
            return {}
        rows = conn.execute(f"PRAGMA table_info({self.quote(self.settings.table)})").fetchall()
        return {row[1]: declared_type(row[2] or "") for row in rows}

    def _schema(self, conn: Any, sql: str, args: Any) -> pa.Schema:
        names = [d[0] for d in conn.execute(sql, args).description]
        declared = self._declared(conn)
        # undeclared columns (and every column of a query) are typed by the first batch (pa.null here)
        return pa.schema([pa.field(n, declared.get(n) or pa.null()) for n in names])

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        cur = conn.execute(sql, args)
        types: list[pa.DataType] = list(schema.types)
        while rows := cur.fetchmany(self.settings.batch_size):
            reasons: list[str | None] = [None] * len(rows)
            columns = []
            for i, name in enumerate(schema.names):
                values = [r[i] for r in rows]
                if pa.types.is_null(types[i]) and any(v is not None for v in values):
                    types[i] = _infer(values)
                columns.append(convert(values, types[i], name, reasons))
            columns.append(pa.array(reasons, pa.string()))
            yield pa.RecordBatch.from_arrays(columns, names=[*schema.names, REJECT_REASON])

    def _compare(self, column: str, cursor: CursorValue) -> str:
        if isinstance(cursor, datetime) or _ISO_TIME.match(str(cursor)):
            return f"julianday({column}) >= julianday(:{CURSOR_PARAM})"
        return super()._compare(column, cursor)

    def _cursor_arg(self, cursor: CursorValue, field: pa.Field) -> Any:
        if isinstance(cursor, datetime):
            return as_datetime(cursor, "UTC").astimezone(UTC).isoformat()
        return cursor

    def _discover(self, conn: Any) -> list[Stream]:
        names = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        streams = []
        for (name,) in names:
            info = conn.execute(f"PRAGMA table_info({self.quote(name)})").fetchall()
            streams.append(Stream(name, {row[1]: row[2] or "" for row in info}))
        return streams

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        text = str(exc).lower()
        if any(t in text for t in _RETRIABLE_TEXT):
            return True, "another process holds a lock on the file; try again later"
        if "no such table" in text or "no such column" in text or "syntax error" in text:
            return False, "check 'table' / 'query' (the table, view or column must exist)"
        return False, "check 'path' (a SQLite database file this process may read)"


def _infer(values: list[Any]) -> pa.DataType:
    """The type of an undeclared column from its first values (text when they mix)."""
    try:
        inferred = pa.array(values).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.string()
    return pa.string() if pa.types.is_null(inferred) else inferred
