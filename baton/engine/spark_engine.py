"""`SparkEngine`: runs the analytics' DuckDB SQL on Spark, transpiled, against one prepared log's views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import duckdb

from baton.engine.spark_sql import to_spark
from baton.errors import EngineError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession


class SparkEngine:
    """Runs SQL on a Spark session, with the canonical table names mapped to one log's Spark views."""

    name = "spark"

    def __init__(self, session: SparkSession, tables: dict[str, str]) -> None:
        self._session = session
        self._tables = tuple(sorted(tables.items()))

    def dataframe(self, sql: str, params: dict[str, Any]) -> DataFrame:
        """The Spark DataFrame of ``sql`` (DuckDB dialect, translated), parameters bound by name."""
        spark_sql = to_spark(sql, self._tables)
        args = {k: v for k, v in params.items() if f":{k}" in spark_sql}
        try:
            return self._session.sql(spark_sql, args=args)
        except Exception as exc:  # AnalysisException and friends: name the query
            short = " ".join(spark_sql.split())[:300]
            raise EngineError(f"Spark could not run Baton's query ({exc}); translated SQL: {short}") from exc

    def arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """The result as an Arrow table (timestamps UTC: the session's time zone is UTC)."""
        import pyarrow as pa

        df = self.dataframe(sql, params)
        try:
            table = df.toArrow()
        except Exception as exc:
            raise EngineError(f"Spark failed while running Baton's query: {exc}") from exc
        # DuckDB's Arrow: every column nullable, list items named "l"; the same here, for equal schemas
        return table.cast(pa.schema([pa.field(f.name, _duckdb_style(f.type)) for f in table.schema]))

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """All rows of ``sql`` as tuples of Python values, like DuckDB's ``fetchall()``."""
        table = self.arrow(sql, params)
        return list(zip(*(col.to_pylist() for col in table.columns), strict=True))

    @contextmanager
    def registered(self, name: str, table: pa.Table) -> Iterator[None]:
        """Upload a small Arrow table to Spark as the temp view ``name`` while the block runs."""
        self._session.createDataFrame(table).createOrReplaceTempView(name)
        try:
            yield
        finally:
            self._session.catalog.dropTempView(name)

    @cached_property
    def local(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB for SQL over fetched results (per-case tables), in UTC."""
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        return con


def _duckdb_style(typ: pa.DataType) -> pa.DataType:
    """``typ`` with nullable nested fields and list items named ``l``, as DuckDB returns Arrow."""
    import pyarrow as pa

    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return pa.list_(pa.field("l", _duckdb_style(typ.value_type)))
    if pa.types.is_struct(typ):
        return pa.struct([pa.field(f.name, _duckdb_style(f.type)) for f in typ])
    return typ
