"""Map a Spark table's columns onto Baton's canonical event columns, with a reject reason per row.

The reasons and their order are those of the DuckDB import (`baton.store.staging.REJECT_REASONS`), so a
table read on Spark loads the same rows as the same data imported into DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from baton import schema as s
from baton.errors import MappingError, TimestampError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_OFFSET = r"(Z|[+-]\d\d:?\d\d)$"
#: source_row = file rank * 2**40 + row index in the file: file order without a global sort.
_FILE_STRIDE = 2**40


@dataclass(frozen=True, slots=True)
class SparkMapping:
    """Which source column holds each canonical field; pm4py's keyword names.

    ``source_timezone`` is the zone of timestamps without one (``TIMESTAMP_NTZ``, dates, text without an
    offset); ``timestamp_format`` a Spark datetime pattern (``dd/MM/yyyy HH:mm``) for text timestamps.
    ``event_order_key`` orders events with equal timestamps (file order otherwise). Attribute columns are
    kept with their Spark types.
    """

    case_id_key: str
    activity_key: str
    timestamp_key: str
    start_timestamp_key: str | None = None
    resource_key: str | None = None
    lifecycle_key: str | None = None
    event_order_key: str | None = None
    source_timezone: str = "UTC"
    timestamp_format: str | None = None
    case_attributes: tuple[str, ...] = ()
    event_attributes: tuple[str, ...] = ()

    def columns(self) -> dict[str, str]:
        """{keyword: source column} of every mapped column."""
        keys = ("case_id_key", "activity_key", "timestamp_key", "start_timestamp_key", "resource_key",
                "lifecycle_key", "event_order_key")  # fmt: skip
        return {k: getattr(self, k) for k in keys if getattr(self, k)}

    def check(self, available: list[str], source: str) -> None:
        """Raise a MappingError naming each mapped column the source lacks, or a name clash."""
        wanted = [*self.columns().values(), *self.case_attributes, *self.event_attributes]
        missing = [c for c in wanted if c not in available]
        if missing:
            raise MappingError(
                f"{source}: no column {', '.join(map(repr, missing))}; its columns are {available}; fix the "
                "mapping (case_id_key=, activity_key=, timestamp_key=, ... case_attributes=)"
            )
        attrs = [*self.case_attributes, *self.event_attributes]
        clash = [c for c in attrs if c.lower() in (s.CASE_INDEX, s.EVENT_ORDER)]
        twins = sorted({c for c in attrs if sum(o.lower() == c.lower() for o in attrs) > 1})
        if clash or twins:
            raise MappingError(
                f"{source}: attribute columns {clash or twins} "
                f"{'clash with the key columns of attribute tables' if clash else 'differ only in case'} "
                "(Spark compares names case-insensitively); leave one out or rename it in a view"
            )

    def attribute_columns(self) -> dict[str, str]:
        """{staged column: source column} of the attributes, case attributes first.

        Staged under neutral names: Spark resolves names case-insensitively, so an XES attribute ``Activity``
        would clash with the canonical ``activity`` column.
        """
        return {f"__attr_{i}": c for i, c in enumerate((*self.case_attributes, *self.event_attributes))}


def stage(raw: DataFrame, m: SparkMapping, *, source: str, file_ranks: dict[str, int] | None) -> DataFrame:
    """Canonical columns, ``source_row``, attribute columns and ``reason`` (NULL: the row loads).

    Args:
        raw: the source table.
        m: the column mapping.
        source: the table's name or path, for messages.
        file_ranks: {file path: rank} to number rows in file order from Spark's ``_metadata``; None when
            the source is not a file table (rows are then numbered in Spark's read order).
    """
    from pyspark.sql import functions as F

    m.check(raw.columns, source)
    ts_raw = _text(raw, m.timestamp_key)
    ts = _timestamp(raw, m.timestamp_key, m, source=source)
    start_raw = _text(raw, m.start_timestamp_key) if m.start_timestamp_key else F.lit(None).cast("string")
    start = _timestamp(raw, m.start_timestamp_key, m, source=source) if m.start_timestamp_key else None
    staged = raw.select(
        _source_row(raw, m, file_ranks).alias("source_row"),
        _text(raw, m.case_id_key).alias(s.CASE_ID),
        _text(raw, m.activity_key).alias(s.ACTIVITY),
        ts_raw.alias("ts_raw"),
        ts.alias(s.TIMESTAMP),
        start_raw.alias("start_raw"),
        (start if start is not None else F.lit(None).cast("timestamp")).alias(s.START_TIMESTAMP),
        (_text(raw, m.resource_key) if m.resource_key else F.lit(None).cast("string")).alias(s.RESOURCE),
        (F.lower(_text(raw, m.lifecycle_key)) if m.lifecycle_key else F.lit(None).cast("string")).alias(
            s.LIFECYCLE
        ),
        *[F.col(_q(c)).alias(staged) for staged, c in m.attribute_columns().items()],
    )
    c = F.col
    reason = (
        F.when(c(s.CASE_ID).isNull(), "missing_case_id")
        .when(c(s.ACTIVITY).isNull(), "missing_activity")
        .when(c("ts_raw").isNull(), "missing_timestamp")
        .when(c(s.TIMESTAMP).isNull(), "unparsable_timestamp")
        .when(c("start_raw").isNotNull() & c(s.START_TIMESTAMP).isNull(), "unparsable_start_timestamp")
        .when(c(s.START_TIMESTAMP) > c(s.TIMESTAMP), "start_after_end")
        .when(c(s.LIFECYCLE).isNotNull() & ~c(s.LIFECYCLE).isin("start", "complete"), "unsupported_lifecycle")
    )
    return staged.withColumn("reason", reason)


def _q(column: str) -> str:
    """A source column name quoted for ``F.col`` (dots and spaces are legal in Parquet names)."""
    return "`" + column.replace("`", "``") + "`"


def _text(raw: DataFrame, column: str) -> Column:
    from pyspark.sql import functions as F

    return F.nullif(F.trim(F.col(_q(column)).cast("string")), F.lit(""))


def _timestamp(raw: DataFrame, column: str, m: SparkMapping, *, source: str) -> Column:
    """UTC timestamp of ``column``: instants as they are, naive values in ``m.source_timezone``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    typ = raw.schema[column].dataType
    col = F.col(_q(column))
    tz = F.lit(m.source_timezone)
    if isinstance(typ, T.TimestampType):
        return col
    if isinstance(typ, T.TimestampNTZType | T.DateType):
        return F.to_utc_timestamp(col.cast("timestamp"), tz)
    if isinstance(typ, T.StringType):
        text = _text(raw, column)
        fmt = F.lit(m.timestamp_format) if m.timestamp_format else None
        parsed = F.try_to_timestamp(text, fmt) if fmt is not None else F.try_to_timestamp(text)
        return F.when(text.rlike(_OFFSET), parsed).otherwise(F.to_utc_timestamp(parsed, tz))
    raise TimestampError(
        f"{source}: column {column!r} has Spark type {typ.simpleString()}, expected a timestamp, a date or "
        "text; map timestamp_key= to a date/time column (convert epoch numbers with timestamp_seconds())"
    )


def _source_row(raw: DataFrame, m: SparkMapping, file_ranks: dict[str, int] | None) -> Column:
    """A number per row that orders rows as the source does (the event order for equal timestamps)."""
    from pyspark.sql import functions as F

    if m.event_order_key:
        return F.col(_q(m.event_order_key)).cast("bigint")
    if file_ranks is not None:
        ranks = F.create_map(*[F.lit(x) for kv in sorted(file_ranks.items()) for x in kv])
        rank = ranks[F.col("_metadata.file_path")].cast("bigint")
        return rank * F.lit(_FILE_STRIDE) + F.col("_metadata.row_index")
    return F.monotonically_increasing_id()


_EVENT_COLUMNS = (s.CASE_ID, s.ACTIVITY, s.TIMESTAMP, s.START_TIMESTAMP, s.RESOURCE, s.LIFECYCLE)


def has_duplicates(staged: DataFrame) -> bool:
    """Whether a loadable row repeats another in every event column (a group-by: cheaper than the window)."""
    from pyspark.sql import functions as F

    loadable = staged.where(F.col("reason").isNull())
    return bool(loadable.groupBy(*_EVENT_COLUMNS).count().where(F.col("count") > 1).limit(1).count())


def mark_duplicates(staged: DataFrame) -> DataFrame:
    """Reject (``duplicate_event``) each loadable row repeating an earlier one (by source row), as DuckDB does."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    reason = F.col("reason")
    window = Window.partitionBy(reason.isNull(), *_EVENT_COLUMNS).orderBy("source_row")
    later = reason.isNull() & (F.row_number().over(window) > 1)
    return staged.withColumn("reason", F.when(later, F.lit("duplicate_event")).otherwise(reason))
