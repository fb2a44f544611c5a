"""`SparkWorkspace`: event tables prepared on Spark, handed out as `EventLog`s the analytics take as they are."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from baton import schema as s
from baton.engine.spark_engine import SparkEngine
from baton.engine.spark_prepare import PreparedLog, log_tables, prepare_log
from baton.engine.spark_read import TableFormat, open_table
from baton.engine.spark_stage import SparkMapping, stage
from baton.errors import EngineError, LogNotFoundError
from baton.log import EventLog
from baton.store.workspace import LogInfo

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

_CATALOG = (
    f"SELECT first_timestamp, last_timestamp, has_start_timestamps, event_attributes, case_attributes "  # noqa: S608
    f"FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"
)
_LOG_IDS = itertools.count(1)  # view names are per session: ids unique within this process


class SparkWorkspace:
    """Logs prepared on a Spark session; ``log(name)`` gives an `EventLog` every covered analytic accepts.

    Example:
        >>> sw = baton.open_spark(master="local[2]")                       # doctest: +SKIP
        >>> sw.read_table("s3a://lake/events", name="orders", case_id_key="order_id",
        ...               activity_key="step", timestamp_key="ts")           # doctest: +SKIP
        >>> baton.discover_dfg(sw.log("orders")).to_frame()                 # doctest: +SKIP
    """

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._logs: dict[str, PreparedLog] = {}

    def read_table(
        self,
        source: str,
        *,
        name: str,
        case_id_key: str,
        activity_key: str,
        timestamp_key: str,
        format: TableFormat | None = None,
        storage: str | None = None,
        **mapping: Any,
    ) -> PreparedLog:
        """Read an event table with a column mapping and prepare it as log ``name`` (replacing one of that name).

        Args:
            source: Parquet path, Delta/Iceberg table path, or a catalog table name (see `open_table`).
            name: the log's name in this workspace.
            case_id_key: column of the case id (pm4py's keyword names throughout).
            activity_key: column of the activity name.
            timestamp_key: column of the (complete) timestamp.
            format: ``parquet``, ``delta``, ``iceberg`` or ``table``; None detects it.
            storage: a directory (``hdfs://``, ``s3a://``, local) to write the prepared relations to as
                Parquet instead of caching them in the cluster's memory.
            **mapping: the other `SparkMapping` fields: start_timestamp_key, resource_key, lifecycle_key,
                event_order_key, source_timezone, timestamp_format, case_attributes, event_attributes.

        Returns:
            What was prepared: rows read, loaded and rejected by reason (`REJECT_REASONS` of the DuckDB
            import), events, cases, variants and activities.
        """
        for key in ("case_attributes", "event_attributes"):
            mapping[key] = tuple(mapping.get(key) or ())
        cols = SparkMapping(case_id_key, activity_key, timestamp_key, **mapping)
        table = open_table(self.session, source, format=format)
        staged = stage(table.frame, cols, source=source, file_ranks=table.file_ranks)
        log_id = next(_LOG_IDS)
        prepared = prepare_log(
            self.session, staged, cols, log_id=log_id, name=name, source=source, read_as=table.how,
            storage=storage,
        )  # fmt: skip
        old = self._logs.pop(name, None)
        if old is not None:
            self._drop_views(old)
        self._logs[name] = prepared
        return prepared

    def log(self, name: str) -> EventLog:
        """The prepared log ``name`` as an EventLog (filters work as on DuckDB)."""
        return EventLog(self, self.info(name).log_id, name)

    def info(self, name: str) -> PreparedLog:
        """What preparing log ``name`` produced (source, counts, rejects by reason)."""
        if name not in self._logs:
            raise LogNotFoundError(f"no log {name!r} on this Spark workspace; prepared: {sorted(self._logs)}")
        return self._logs[name]

    def catalog(self, name: str) -> LogInfo:
        """Log ``name``'s catalog row, shaped like a DuckDB workspace's (``imported_at``: when it was prepared)."""
        p = self.info(name)
        first, last, has_start, event_attrs, case_attrs = self.engine(p.log_id).rows(
            _CATALOG, {"log_id": p.log_id}
        )[0]
        return LogInfo(
            log_id=p.log_id, name=name, source=p.source, source_format=f"Spark, {p.read_as}", mapping={},
            detected={}, imported_at=p.prepared_at, checksum=p.checksum, rows_read=p.rows_read,
            rows_loaded=p.rows_loaded, rows_rejected=p.rows_rejected, events=p.events, cases=p.cases,
            activities=p.activities, variants=p.variants, first_timestamp=first, last_timestamp=last,
            has_start_timestamps=bool(has_start), event_attributes=json.loads(event_attrs),
            case_attributes=json.loads(case_attrs),
        )  # fmt: skip

    def logs(self) -> list[PreparedLog]:
        """Every prepared log, in the order they were read."""
        return list(self._logs.values())

    def engine(self, log_id: int) -> SparkEngine:
        """The engine running analytics SQL on one log's views."""
        return SparkEngine(self.session, log_tables(log_id))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Refused: an analytic asked for a DuckDB cursor, so it is not covered on Spark."""
        raise EngineError(
            "this analytic runs on DuckDB only and is not covered on Spark (see docs/scale-out.md for what "
            "runs where); import the log into a DuckDB workspace (baton.open_workspace) to use it"
        )

    def stop(self) -> None:
        """Drop this workspace's views and stop the Spark session."""
        for prepared in self._logs.values():
            self._drop_views(prepared)
        self._logs.clear()
        self.session.stop()

    def _drop_views(self, prepared: PreparedLog) -> None:
        for view in prepared.tables.values():
            self.session.catalog.dropTempView(view)
