"""Prepare a staged Spark table once: the same precomputed relations the DuckDB import writes, on Spark.

Every relation comes from the DuckDB import's own SQL (`baton.store.staging`, `baton.store.precompute`),
transpiled; only reading and staging the source (`baton.engine.spark_stage`) and the catalog row are
Spark's own. Each relation is materialised once (cached, or written as Parquet under ``storage``) and
registered as a temp view named ``baton_<log id>_<relation>``; analytics then read those views.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from baton import schema as s
from baton.engine.spark_engine import SparkEngine
from baton.engine.spark_stage import has_duplicates, mark_duplicates
from baton.store.precompute import (
    ACTIVITIES_SELECT,
    CASE_MAP_SELECT,
    CASE_SEQUENCES_SELECT,
    CASES_SELECT,
    EVENTS_SELECT,
    VARIANTS_SELECT,
)
from baton.store.staging import MERGE_LIFECYCLE_SELECT, MERGED_PLAIN_SELECT, merges_lifecycle

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from baton.engine.spark_stage import SparkMapping

_WORK = ("stg", "merged", "case_map", "case_seq")
_DUCKDB_TYPES = {
    "string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT", "tinyint": "TINYINT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PreparedLog:
    """What preparing a table produced: its views and counts (rows read, loaded, rejected by reason)."""

    log_id: int
    name: str
    source: str
    read_as: str
    tables: dict[str, str]
    rows_read: int
    rows_loaded: int
    rejected: dict[str, int]
    events: int
    cases: int
    variants: int
    activities: int
    prepared_at: datetime

    @property
    def rows_rejected(self) -> int:
        """Rows not loaded, all reasons together."""
        return sum(self.rejected.values())

    @property
    def checksum(self) -> str:
        """What identifies the data read (reports' provenance): no file checksum on Spark, the snapshot read."""
        return f"not computed on Spark ({self.read_as})"


def log_tables(log_id: int) -> dict[str, str]:
    """{name in Baton's DuckDB SQL: Spark view name} for one log's relations."""
    prefix = f"baton_{int(log_id)}_"
    names = {
        s.ACTIVITIES: "activities", s.events_table(log_id): "events", s.VARIANTS: "variants",
        s.CASES: "cases", s.LOGS: "logs", s.attribute_table("event", log_id): "attr_event",
        s.attribute_table("case", log_id): "attr_case", "rejects": "rejects",
    }  # fmt: skip
    return {k: prefix + v for k, v in names.items()} | {w: prefix + w for w in _WORK}


def prepare_log(
    session: SparkSession,
    staged: DataFrame,
    mapping: SparkMapping,
    *,
    log_id: int,
    name: str,
    source: str,
    read_as: str,
    storage: str | None = None,
) -> PreparedLog:
    """Materialise one log's relations from a staged table (`spark_stage.stage`) and register their views."""
    tables = log_tables(log_id)
    engine = SparkEngine(session, tables)
    store = _Materialiser(session, tables, storage)
    p = {"log_id": log_id}
    store.put("stg", staged, count=False)
    if has_duplicates(session.table(tables["stg"])):
        store.put("stg", mark_duplicates(session.table(tables["stg"])), count=False)
    by_reason = {r: int(n) for r, n in session.table(tables["stg"]).groupBy("reason").count().collect()}
    rows_read = sum(by_reason.values())
    rejected = {r: n for r, n in by_reason.items() if r is not None}
    store.put("rejects", session.table(tables["stg"]).where("reason IS NOT NULL"), count=False)
    merged_sql = MERGE_LIFECYCLE_SELECT if merges_lifecycle(mapping.columns()) else MERGED_PLAIN_SELECT
    store.put("merged", engine.dataframe(merged_sql, {}), count=False)
    activities = store.put(s.ACTIVITIES, engine.dataframe(ACTIVITIES_SELECT, p))
    store.put("case_map", engine.dataframe(CASE_MAP_SELECT, {}), count=False)
    derived = ", ".join(f"{sql} AS {col}" for col, _, sql in s.DERIVED_EVENT_COLUMNS)
    events_sql = f"SELECT b.*, CAST($log_id AS INTEGER) AS {s.LOG_ID}, {derived} FROM ({EVENTS_SELECT}) b"  # noqa: S608
    events_name = s.events_table(log_id)
    events = store.put(events_name, engine.dataframe(events_sql, p))
    store.put("case_seq", engine.dataframe(CASE_SEQUENCES_SELECT.format(events=events_name), {}), count=False)
    variants = store.put(s.VARIANTS, engine.dataframe(VARIANTS_SELECT, p))
    cases = store.put(s.CASES, engine.dataframe(CASES_SELECT, p))
    event_types, case_types = _attribute_tables(engine, store, mapping, log_id)
    catalog = {
        "log_id": log_id, "name": name, "source": source, "rows_read": rows_read,
        "rows_rejected": sum(rejected.values()), "event_attributes": json.dumps(event_types),
        "case_attributes": json.dumps(case_types),
    }  # fmt: skip
    store.put(s.LOGS, engine.dataframe(_LOG_ROW.format(events=events_name), catalog))
    store.release("stg", "merged", "case_map", "case_seq")
    return PreparedLog(
        log_id, name, source, read_as, tables, rows_read, rows_read - sum(rejected.values()), rejected,
        events, cases, variants, activities, datetime.now(UTC),
    )  # fmt: skip


_LOG_ROW = f"""
SELECT CAST($log_id AS INTEGER) AS {s.LOG_ID}, CAST($name AS VARCHAR) AS name, CAST($source AS VARCHAR) AS source,
       'spark' AS source_format, CAST($rows_read AS BIGINT) AS rows_read,
       CAST($rows_rejected AS BIGINT) AS rows_rejected, count(*) AS events,
       min({s.SORT_TS}) AS first_timestamp, max({s.TIMESTAMP}) AS last_timestamp,
       coalesce(bool_or({s.START_TIMESTAMP} IS NOT NULL), false) AS has_start_timestamps,
       CAST($event_attributes AS VARCHAR) AS event_attributes, CAST($case_attributes AS VARCHAR) AS case_attributes
FROM {{events}}
"""  # noqa: S608


def _attribute_tables(
    engine: SparkEngine, store: _Materialiser, mapping: SparkMapping, log_id: int
) -> tuple[dict[str, str], dict[str, str]]:
    """``attr_event_<id>`` and ``attr_case_<id>`` as the DuckDB import builds them; {column: DuckDB type}."""
    q = s.quote_identifier
    staged = {c: name for name, c in mapping.attribute_columns().items()}  # source column -> staged name
    ev_cols = "".join(f", r.{staged[c]} AS {q(c)}" for c in mapping.event_attributes)
    ev_sql = (
        f"SELECT e.{s.EVENT_ORDER}, e.{s.CASE_INDEX}{ev_cols} FROM {s.events_table(log_id)} e "  # noqa: S608
        f"JOIN stg r ON r.source_row = e.{s.EVENT_ORDER}"
    )
    ev = engine.dataframe(ev_sql, {})
    case_cols = "".join(
        f", arg_min(r.{staged[c]}, r.source_row) FILTER (WHERE r.{staged[c]} IS NOT NULL) AS {q(c)}"
        for c in mapping.case_attributes
    )
    case_sql = (
        f"SELECT cm.{s.CASE_INDEX}{case_cols} FROM merged m "  # noqa: S608
        f"JOIN case_map cm ON cm.{s.CASE_ID} = m.{s.CASE_ID} JOIN stg r ON r.source_row = m.source_row "
        f"GROUP BY cm.{s.CASE_INDEX}"
    )
    case = engine.dataframe(case_sql, {})
    store.put(s.attribute_table("event", log_id), ev)
    store.put(s.attribute_table("case", log_id), case)
    return _types(ev, skip=2), _types(case, skip=1)


def _types(df: DataFrame, *, skip: int) -> dict[str, str]:
    """{column: DuckDB type name} (what `analytics` expects in the catalog) of a Spark frame's columns."""
    out = {}
    for field in df.schema.fields[skip:]:
        spark = field.dataType.simpleString()
        out[field.name] = _DUCKDB_TYPES.get(spark, spark.upper())
    return out


class _Materialiser:
    """Materialise frames once (cache, or Parquet under ``storage``) and register them as temp views."""

    def __init__(self, session: SparkSession, tables: dict[str, str], storage: str | None) -> None:
        self._session, self._tables, self._storage = session, tables, storage
        self._cached: dict[str, Any] = {}

    def put(self, key: str, df: DataFrame, *, count: bool = True) -> int:
        """Materialise ``df`` as the view of ``key``; return its row count (-1 with ``count=False``: the
        cache then fills when the view is first read)."""
        from pyspark import StorageLevel

        view, old = self._tables[key], self._cached.pop(key, None)
        if self._storage and key not in _WORK:
            path = f"{self._storage.rstrip('/')}/{view}"
            df.write.mode("overwrite").parquet(path)
            df = self._session.read.parquet(path)
        else:
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
            self._cached[key] = df
        df.createOrReplaceTempView(view)
        n = int(df.count()) if count or old is not None else -1
        if old is not None:  # replaced by a frame computed from it: release it once the new one is cached
            old.unpersist()
        return n

    def release(self, *keys: str) -> None:
        """Free the working relations' cached data once the log's own relations are materialised.

        Their views stay registered (dropped with the log): on Spark Connect a frame refers to the views it
        was built from by name, so a lazily read relation (``rejects``) must still resolve them.
        """
        for key in keys:
            frame = self._cached.pop(key, None)
            if frame is not None:
                frame.unpersist()
