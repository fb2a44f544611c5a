"""The part every SQL connector shares: from_config, the cursor query, check, read, describe, errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, ClassVar, Self

import pyarrow as pa

from baton.errors import FatalSourceError, RetriableSourceError, SourceError
from connectors.sources.base import CursorValue, SourceConfig, Stream
from connectors.sources.retry import with_retries
from connectors.sources.sql_common import (
    COMMON_KEYS,
    CURSOR_PARAM,
    Endpoint,
    SqlSettings,
    Style,
    bind,
    endpoint,
    mask,
    parse_settings,
    placeholders,
    rebatch,
    source_error,
)

#: Connection attempts for transient failures (timeouts, refused, resets) before RetriableSourceError.
#: Failures while rows stream are not retried here: the loader's transaction rolls back, the next pull resumes.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5


class SqlSource:
    """A table or a mapping query of one SQL database, read in cursor order as Arrow batches.

    Subclasses give the driver: ``_connect``, ``_schema`` (a zero-row probe), ``_stream``, ``_discover``,
    ``_classify`` (driver error -> fatal or retriable, with a fix) and identifier quoting.
    """

    kind: ClassVar[str] = ""
    default_port: ClassVar[int] = 0
    style: ClassVar[Style] = "named"
    allowed: ClassVar[frozenset[str]] = COMMON_KEYS
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, config: SourceConfig, settings: SqlSettings) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping)
        self.primary_key: tuple[str, ...] = tuple(config.primary_key)
        self.cursor_column: str = config.cursor_column or ""
        #: read by the loader (``LOOKBACK_ATTRIBUTE``), which moves a time cursor back before ``read``
        self.lookback_seconds = config.lookback_seconds
        self.settings = settings
        self.path = config.path

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the config's settings for this kind and build the source (FatalSourceError naming the key)."""
        settings = parse_settings(config, cls.allowed, cls.default_port)
        used = placeholders(settings.query)
        missing, unused = used - set(settings.params), set(settings.params) - used
        if missing or unused:
            raise FatalSourceError(
                f"{config.path or 'source config'}: source {config.name!r}: query placeholders "
                f"{sorted(used)} and 'params' {sorted(settings.params)} differ "
                f"(missing {sorted(missing)}, unused {sorted(unused)}); write :name in the query for each"
            )
        return cls(config, settings)

    # ---- driver hooks ---------------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """Quote an identifier for this database (double quotes doubled)."""
        return '"' + name.replace('"', '""') + '"'

    def _connect(self, target: Endpoint) -> Any:
        raise NotImplementedError

    def _schema(self, conn: Any, sql: str, args: Any) -> pa.Schema:
        raise NotImplementedError

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def _discover(self, conn: Any) -> list[Stream]:
        raise NotImplementedError

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        """(retriable?, how to fix) for a driver error."""
        raise NotImplementedError

    def _cursor_arg(self, cursor: CursorValue, field: pa.Field) -> Any:
        """The cursor value as the driver should bind it for a column of ``field``'s type."""
        return cursor

    # ---- the contract ---------------------------------------------------------------------------------
    def relation(self) -> str:
        """The source rows as a SELECT: of the quoted table, or the user's query (with ``:name`` placeholders)."""
        if self.settings.query:
            return self.settings.query
        table = self.quote(self.settings.table)
        if self.settings.schema:
            table = f"{self.quote(self.settings.schema)}.{table}"
        return f"SELECT * FROM {table}"  # noqa: S608 - a quoted identifier

    def _compare(self, column: str, cursor: CursorValue) -> str:
        """The cursor condition on ``column`` against the bound ``:baton_cursor``."""
        return f"{column} >= :{CURSOR_PARAM}"

    def cursor_sql(self, cursor: CursorValue | None) -> str:
        """The read query: the relation wrapped, filtered on the cursor (bound) and ordered by it."""
        col = f"q.{self.quote(self.cursor_column)}"
        where = "" if cursor is None else f" WHERE {self._compare(col, cursor)}"
        # the relation is the user's own query or a quoted table; values are bound, never formatted in
        return f"SELECT * FROM ({self.relation()}) q{where} ORDER BY {col}"  # noqa: S608

    def check(self) -> None:
        """Connect and run a zero-row probe; the key and cursor columns must exist."""
        with self._session("check") as (conn, _target):
            self._probe(conn)

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Rows with cursor-column value >= ``cursor`` in cursor order, in batches of ``batch_size`` rows.

        The loader has already moved a time cursor back by ``lookback_seconds`` (late commits).
        """
        with self._session("read") as (conn, _target):
            schema = self._probe(conn)
            values: dict[str, Any] = dict(self.settings.params)
            if cursor is not None:
                values[CURSOR_PARAM] = self._cursor_arg(cursor, schema.field(self.cursor_column))
            sql, args = bind(self.cursor_sql(cursor), values, self.style)
            yield from rebatch(self._stream(conn, sql, args, schema), self.settings.batch_size)

    def discover(self) -> list[Stream]:
        """The database's tables and views with their columns and types."""
        with self._session("discover") as (conn, _target):
            return self._discover(conn)

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show: secrets appear as their variable's name and ``***``."""
        s = self.settings
        shown: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if s.dsn is not None:
            shown["dsn"] = f"${s.dsn.env} (***)"
        elif s.path:
            shown["path"] = s.path
        else:
            shown.update(host=s.host, port=s.port, database=s.database, user=s.user)
            if s.password is not None:
                shown["password"] = f"${s.password.env} (***)"
        shown.update({"table": s.table} if s.table else {"query": s.query, "params": dict(s.params)})
        shown.update(
            batch_size=s.batch_size,
            cursor_column=self.cursor_column,
            primary_key=list(self.primary_key),
            timezone=s.timezone,
        )
        return shown

    # ---- helpers --------------------------------------------------------------------------------------
    def _probe(self, conn: Any) -> pa.Schema:
        probe = f"SELECT * FROM ({self.relation()}) q WHERE 1 = 0"  # noqa: S608 - quoted table or user query
        sql, args = bind(probe, self.settings.params, self.style)
        schema = self._schema(conn, sql, args)
        missing = [c for c in (*self.primary_key, self.cursor_column) if c not in schema.names]
        if missing:
            raise FatalSourceError(
                f"source {self.name!r} ({self.where()}): column {missing[0]!r} (key or cursor) is not among "
                f"the columns of {self.settings.table or 'the query'} ({', '.join(schema.names)}); "
                "fix 'primary_key' / 'cursor_column' in the source config"
            )
        return schema

    def where(self, target: Endpoint | None = None) -> str:
        """Where this source connects, for messages (never with the password)."""
        if self.settings.path:
            return f"{self.kind} {self.settings.path}"
        if target is not None:
            return f"{self.kind} at {target.where}"
        if self.settings.dsn is not None:
            return f"{self.kind} at the URL in ${self.settings.dsn.env}"
        s = self.settings
        return f"{self.kind} at {s.host}:{s.port}/{s.database}"

    def _target(self) -> Endpoint:
        if self.settings.path:
            return Endpoint(self.settings.path, 0, "", "", "")
        return endpoint(self.settings)

    def _open(self, target: Endpoint) -> Any:
        """Connect, retrying transient failures (refused, timeouts) with backoff (``with_retries``)."""

        def attempt() -> Any:
            try:
                return self._connect(target)
            except self.driver_errors as exc:
                raise self._translate(exc, "connect", target) from None

        return with_retries(
            attempt, attempts=ATTEMPTS, base_delay=BACKOFF_SECONDS, what=f"connecting source {self.name!r}"
        )

    def _translate(self, exc: BaseException, action: str, target: Endpoint) -> SourceError:
        """A driver error as Fatal- or RetriableSourceError naming the source, with the password masked."""
        retriable, fix = self._classify(exc)
        kind = RetriableSourceError if retriable else FatalSourceError
        what = mask(f"{action} failed: {exc}", target.password)
        return source_error(kind, self.name, self.where(target), what, fix)

    @contextmanager
    def _session(self, action: str) -> Iterator[tuple[Any, Endpoint]]:
        """A connection for ``action``; driver errors leave as Fatal- or RetriableSourceError, masked."""
        target = self._target()
        conn = None
        try:
            conn = self._open(target)
            yield conn, target
        except self.driver_errors as exc:
            # from None: the driver's exception (and its traceback) may carry the password or the DSN
            raise self._translate(exc, action, target) from None
        finally:
            if conn is not None:
                with suppress(*self.driver_errors):
                    conn.close()
