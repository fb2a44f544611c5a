"""Open an event table on Spark: Parquet files, a Delta or Iceberg table, or a catalog (Hive) table.

Delta and Iceberg are read with the session's own connector when it has one (a cluster configured with
delta-spark or iceberg-spark-runtime, Databricks); otherwise the table's current snapshot is resolved to
its Parquet data files with delta-rs / pyiceberg (`baton.engine.lake_files`) and Spark reads those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from baton.errors import EngineError, SourceNotFoundError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TableFormat = Literal["parquet", "delta", "iceberg", "table"]
FORMATS: tuple[TableFormat, ...] = ("parquet", "delta", "iceberg", "table")


@dataclass(frozen=True, slots=True)
class SparkTable:
    """An opened source: its frame, how it was read, and file ranks for the file order (None: not files)."""

    frame: DataFrame
    format: TableFormat
    how: str
    file_ranks: dict[str, int] | None


def open_table(session: SparkSession, source: str, *, format: TableFormat | None = None) -> SparkTable:
    """Open ``source`` (a path or a catalog table name) as a Spark frame.

    Args:
        session: the Spark session.
        source: a Parquet file or directory, a Delta or Iceberg table directory (or an Iceberg
            ``*.metadata.json``), or a table name in the session's catalog (``db.events``: Hive metastore,
            Unity Catalog, Glue ...).
        format: one of `FORMATS`; None detects it (a path with ``_delta_log`` is Delta, with
            ``metadata/*.metadata.json`` Iceberg, another existing path Parquet, anything else a table name).

    Raises:
        SourceNotFoundError: the path or table does not exist.
        EngineError: the format is unknown or the table cannot be read without its Spark connector.
    """
    fmt = format or _detect(source)
    if fmt not in FORMATS:
        raise EngineError(f"format {fmt!r} is not one Baton reads on Spark; use one of {list(FORMATS)}")
    if fmt == "table":
        return SparkTable(_catalog_table(session, source), "table", f"catalog table {source}", None)
    if fmt == "parquet":
        frame = _parquet(session, [source], source)
        return SparkTable(frame, "parquet", "Parquet files", _file_ranks(frame))
    native = _native(session, source, fmt)
    if native is not None:
        return SparkTable(native, fmt, f"{fmt} connector of the session", _file_ranks(native))
    from baton.engine.lake_files import delta_files, iceberg_files

    lake = delta_files(source) if fmt == "delta" else iceberg_files(source)
    frame = _parquet(session, list(lake.files), source).select(*[f"`{c}`" for c in lake.columns])
    how = (
        f"{fmt} snapshot {lake.version}: {len(lake.files)} Parquet files (resolved without a Spark connector)"
    )
    return SparkTable(frame, fmt, how, _file_ranks(frame))


def _detect(source: str) -> TableFormat:
    from baton.engine.lake_files import detect_lake_format

    lake = detect_lake_format(source)
    if lake in ("delta", "iceberg"):
        return lake  # type: ignore[return-value]
    if "://" in source or Path(source).exists():
        return "parquet"
    return "table"


def _parquet(session: SparkSession, paths: list[str], source: str) -> DataFrame:
    if not paths:
        raise EngineError(f"{source}: the table has no data files (it is empty); write events into it first")
    try:
        return session.read.parquet(*paths)
    except Exception as exc:
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            raise SourceNotFoundError(f"{source}: no such Parquet file or directory; check the path") from exc
        raise EngineError(f"{source}: Spark could not read it as Parquet: {exc}") from exc


def _catalog_table(session: SparkSession, name: str) -> DataFrame:
    try:
        return session.table(name)
    except Exception as exc:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(exc):
            raise SourceNotFoundError(
                f"{name!r}: no such file, and no table of that name in the Spark catalog; pass a path to "
                "Parquet/Delta/Iceberg data or an existing table name (db.table)"
            ) from exc
        raise EngineError(f"{name}: Spark could not read the table: {exc}") from exc


def _native(session: SparkSession, source: str, fmt: str) -> DataFrame | None:
    """The table through the session's own Delta/Iceberg connector, or None when it has none."""
    try:
        return session.read.format(fmt).load(source)
    except Exception as exc:
        text = str(exc)
        if "DATA_SOURCE_NOT_FOUND" in text or "ClassNotFoundException" in text or "Failed to find" in text:
            return None
        raise EngineError(f"{source}: Spark's {fmt} connector could not read it: {exc}") from exc


def _file_ranks(frame: DataFrame) -> dict[str, int] | None:
    """{data file path: rank in path order}, or None when the frame has no file metadata."""
    from pyspark.errors import AnalysisException

    try:
        paths = sorted(r[0] for r in frame.select("_metadata.file_path").distinct().collect())
    except AnalysisException:  # not a file source (catalog views, JDBC): Spark's read order is used
        return None
    return {p: i for i, p in enumerate(paths)}
