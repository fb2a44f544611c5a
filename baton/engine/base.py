"""The engine an analytic's SQL runs on: the `Engine` protocol and `DuckDBEngine`, the embedded default.

Every analytic is written once, in DuckDB SQL over the canonical tables (``cases``, ``events_<id>``,
``variants``, ``activities``, ``logs``, ``attr_*``). An engine runs that SQL where the log lives: DuckDB
directly, Spark after transpiling it (`baton.engine.spark_engine`). Small results (aggregates, one row per
case at most) come back as Python rows or Arrow tables; follow-up SQL over such a result runs on
``local``, an in-process DuckDB connection, whatever the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


class Engine(Protocol):
    """Runs Baton's DuckDB SQL on one log's tables, wherever they are."""

    name: str

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """All rows of ``sql`` with named parameters bound (``$name``)."""
        ...

    def arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """The result of ``sql`` as an Arrow table (timestamps UTC)."""
        ...

    def registered(self, name: str, table: pa.Table) -> Any:
        """Context manager: ``table`` is readable as ``name`` by this engine's SQL while it is open."""
        ...

    @property
    def local(self) -> duckdb.DuckDBPyConnection:
        """An in-process DuckDB cursor for SQL over results already fetched (Arrow tables)."""
        ...


class DuckDBEngine:
    """The embedded engine: SQL runs on a cursor of the workspace's DuckDB connection."""

    name = "duckdb"

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor
        cursor.execute("SET TimeZone = 'UTC'")  # period boundaries (date_trunc) are UTC days

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """All rows of ``sql`` (fetched into Python)."""
        return self._cursor.execute(sql, params).fetchall()

    def arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """The result of ``sql`` as an Arrow table (zero-copy from DuckDB)."""
        return self._cursor.sql(sql, params=params).to_arrow_table()

    @contextmanager
    def registered(self, name: str, table: pa.Table) -> Iterator[None]:
        """Register ``table`` (Arrow) as a view named ``name`` on the cursor while the block runs."""
        self._cursor.register(name, table)
        try:
            yield
        finally:
            self._cursor.unregister(name)

    @property
    def local(self) -> duckdb.DuckDBPyConnection:
        """The same cursor: results and the log live in one DuckDB."""
        return self._cursor

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB cursor itself, for the analytics that only run on DuckDB."""
        return self._cursor
