"""Map a registered raw source to canonical columns, parse timestamps and classify rows (SQL in DuckDB).

Produces the temporary table ``stg``: one row per source row with canonical columns, the raw timestamp
text and a ``reason`` (NULL for rows that load). Then ``merged``: the loadable rows with lifecycle
start/complete pairs merged into one activity instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

import duckdb
import pyarrow as pa

from baton import schema as s
from baton import timestamps as ts
from baton.arrowtypes import is_text
from baton.errors import TimestampError

RAW = "raw_src"
SOURCE_ROW = "__source_row"

if TYPE_CHECKING:
    from baton.store.fastpath import FastLog

Check = Callable[[], object]

#: Reject reasons, checked in this order (first that applies wins).
REJECT_REASONS: dict[str, str] = {
    "missing_case_id": "the case id is empty",
    "missing_activity": "the activity is empty",
    "missing_timestamp": "the timestamp is empty",
    "unparsable_timestamp": "the timestamp could not be read as a date and time",
    "unparsable_start_timestamp": "the start timestamp could not be read as a date and time",
    "start_after_end": "the start timestamp is later than the (complete) timestamp",
    "unsupported_lifecycle": "lifecycle transition other than start/complete (only those two are modelled)",
    "duplicate_event": "same case, activity, timestamps, resource and lifecycle as an earlier row",
}


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to read values: time zone of naive timestamps, timestamp format and day-first overrides."""

    source_timezone: str = "UTC"
    timestamp_format: str | None = None
    start_timestamp_format: str | None = None
    dayfirst: bool | None = None
    case_attributes: tuple[str, ...] | None = None  # None: detect columns constant within each case
    fast_path: bool = True  # False forces the general SQL path (same tables; for tests and comparisons)
    detected: dict[str, Any] = field(default_factory=dict)


def timestamp_expression(
    cur: duckdb.DuckDBPyConnection,
    table: pa.Table,
    column: str,
    *,
    fmt: str | None,
    options: ImportOptions,
    source_name: str,
) -> tuple[str, dict[str, Any], Check | None]:
    """SQL yielding TIMESTAMPTZ for ``column`` of the raw source, what was detected, and a deferred check.

    The check (text columns only) scans the whole column and raises TimestampError naming rows and a
    format to pass when no value parses; the caller runs it unless the fast path already parsed every value.
    """
    col = s.quote_identifier(column)
    typ = table.schema.field(column).type
    if pa.types.is_timestamp(typ):
        if typ.tz is not None:
            return f"CAST({col} AS TIMESTAMPTZ)", {"type": str(typ)}, None
        return f"timezone($tz, CAST({col} AS TIMESTAMP))", {"type": str(typ), "naive": True}, None
    if pa.types.is_date(typ):
        return f"timezone($tz, CAST({col} AS TIMESTAMP))", {"type": str(typ), "naive": True}, None
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        unit = ts.detect_epoch_unit(_sample(cur, column, numeric=True), column=column, source=source_name)
        return ts.epoch_sql(col, unit), {"type": str(typ), "epoch_unit": unit}, None
    if not is_text(typ):
        raise TimestampError(
            f"{source_name}: column {column!r} has type {typ}, expected text or a timestamp; map "
            "timestamp_key= to a date/time column"
        )
    values = _sample(cur, column)
    if not values:
        raise TimestampError(
            f"{source_name}: timestamp column {column!r} is empty in every row; map timestamp_key= to the "
            "column that holds event times"
        )
    spec = ts.detect_timestamp_format(
        values, timestamp_format=fmt, dayfirst=options.dayfirst, column=column, source=source_name
    )

    def check() -> object:
        return ts.check_timestamp_column(
            cur, RAW, column, spec, tz=options.source_timezone, source=source_name
        )

    return ts.timestamp_sql(col, spec, tz_param="tz"), asdict(spec), check


def _sample(
    cur: duckdb.DuckDBPyConnection, column: str, *, numeric: bool = False, n: int = 2000
) -> list[Any]:
    col = s.quote_identifier(column)
    where = f"{col} IS NOT NULL" if numeric else f"{col} IS NOT NULL AND trim({col}) <> ''"
    sql = f"SELECT {col} FROM {RAW} WHERE {where} USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE (7)"  # noqa: S608
    head = f"SELECT {col} FROM {RAW} WHERE {where} LIMIT 200"  # noqa: S608
    rows = cur.execute(head).fetchall() + cur.execute(sql).fetchall()
    return [r[0] for r in rows]


def _text(column: str | None) -> str:
    if column is None:
        return "CAST(NULL AS VARCHAR)"
    return f"NULLIF(trim(CAST({s.quote_identifier(column)} AS VARCHAR)), '')"


def build_staging(
    cur: duckdb.DuckDBPyConnection,
    mapping: dict[str, str],
    ts_sql: str,
    start_sql: str | None,
    params: dict[str, Any],
    *,
    fast: bool,
    text_timestamps: bool,
) -> None:
    """Create temp table ``stg`` with canonical columns and the reject reason of each row.

    On the fast path (every row loads, nothing to merge: see `fastpath.prepare_fast`) ``stg`` stays empty
    and only the offsets written in the timestamp text are counted, for the quality report.
    """
    start_raw = _text(mapping.get("start_timestamp_key"))
    sql = f"""
    CREATE OR REPLACE TEMP TABLE stg AS
    WITH m AS (
        SELECT {SOURCE_ROW} AS source_row,
               {_text(mapping["case_id_key"])} AS {s.CASE_ID},
               {_text(mapping["activity_key"])} AS {s.ACTIVITY},
               {_text(mapping["timestamp_key"])} AS ts_raw,
               {ts_sql} AS {s.TIMESTAMP},
               {start_raw} AS start_raw,
               {start_sql or "CAST(NULL AS TIMESTAMPTZ)"} AS {s.START_TIMESTAMP},
               {_text(mapping.get("resource_key"))} AS {s.RESOURCE},
               lower({_text(mapping.get("lifecycle_key"))}) AS {s.LIFECYCLE}
        FROM {RAW} {"WHERE false" if fast else ""}
    ), r AS (
        SELECT *, CASE
            WHEN {s.CASE_ID} IS NULL THEN 'missing_case_id'
            WHEN {s.ACTIVITY} IS NULL THEN 'missing_activity'
            WHEN ts_raw IS NULL THEN 'missing_timestamp'
            WHEN {s.TIMESTAMP} IS NULL THEN 'unparsable_timestamp'
            WHEN start_raw IS NOT NULL AND {s.START_TIMESTAMP} IS NULL THEN 'unparsable_start_timestamp'
            WHEN {s.START_TIMESTAMP} > {s.TIMESTAMP} THEN 'start_after_end'
            WHEN {s.LIFECYCLE} IS NOT NULL AND {s.LIFECYCLE} NOT IN ('start', 'complete')
                THEN 'unsupported_lifecycle'
        END AS reason
        FROM m
    )
    SELECT * FROM r
    """  # noqa: S608 - identifiers from schema or quoted source names; values bound
    cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})  # unused names are an error
    _mark_duplicates(cur)
    if fast and text_timestamps:
        # every value parsed on the fast path, so none is blank; trim() over all rows would cost seconds
        raw_ts = f"CAST({s.quote_identifier(mapping['timestamp_key'])} AS VARCHAR)"
        src = f"(SELECT {raw_ts} AS ts_raw, {SOURCE_ROW} AS source_row FROM {RAW})"  # noqa: S608
        cur.execute(_ZONES.format(src=src))
    else:
        cur.execute(_ZONES.format(src="stg"))


_EVENT_COLUMNS = f"{s.CASE_ID}, {s.ACTIVITY}, {s.TIMESTAMP}, {s.START_TIMESTAMP}, {s.RESOURCE}, {s.LIFECYCLE}"
_ANY_DUPLICATE = f"""
SELECT count(*) FROM (SELECT 1 FROM stg WHERE reason IS NULL GROUP BY {_EVENT_COLUMNS} HAVING count(*) > 1)
"""  # noqa: S608
_MARK_DUPLICATES = f"""
UPDATE stg SET reason = 'duplicate_event' WHERE source_row IN (
    SELECT source_row FROM stg WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY {_EVENT_COLUMNS} ORDER BY source_row) > 1)
"""  # noqa: S608


def _mark_duplicates(cur: duckdb.DuckDBPyConnection) -> None:
    """Reject a loadable row repeating an earlier one (by source row) in every event column.

    The window that finds them costs more than grouping, so it runs only when grouping found a repeat.
    """
    if cur.execute(_ANY_DUPLICATE).fetchall()[0][0]:
        cur.execute(_MARK_DUPLICATES)


# Offsets as written in the source text ('+01:00', 'Z', none): more than one means mixed zones.
_ZONES = r"""
CREATE OR REPLACE TEMP TABLE ts_zones AS
WITH tails AS (
    SELECT right(rtrim(right(ts_raw, 16)), 6) AS tail, count(*) AS n, min(source_row) AS first_row
    FROM {src} WHERE ts_raw IS NOT NULL GROUP BY tail
)
SELECT coalesce(nullif(regexp_extract(tail, '(Z|[+-]\d\d:?\d\d)$'), ''), 'none') AS zone,
       CAST(sum(n) AS BIGINT) AS n, min(first_row) AS first_row
FROM tails GROUP BY zone
"""


MERGED_COLUMNS: Final = (
    f"source_row, {s.CASE_ID}, {s.ACTIVITY}, {s.TIMESTAMP}, {s.START_TIMESTAMP}, {s.RESOURCE}, {s.LIFECYCLE}"
)
MERGED_PLAIN_SELECT: Final = f"SELECT {MERGED_COLUMNS} FROM stg WHERE reason IS NULL"  # noqa: S608
#: Loadable rows of ``stg`` with lifecycle start/complete pairs merged (see `build_merged`); also run by the
#: Spark engine's prepare step, transpiled.
MERGE_LIFECYCLE_SELECT: Final = f"""
WITH w AS (
    SELECT {MERGED_COLUMNS},
           lag({s.LIFECYCLE}) OVER win AS prev_lc, lag({s.TIMESTAMP}) OVER win AS prev_ts,
           lag({s.RESOURCE}) OVER win AS prev_res, lead({s.LIFECYCLE}) OVER win AS next_lc
    FROM stg WHERE reason IS NULL
    WINDOW win AS (PARTITION BY {s.CASE_ID}, {s.ACTIVITY} ORDER BY {s.TIMESTAMP}, source_row)
)
SELECT source_row, {s.CASE_ID}, {s.ACTIVITY}, {s.TIMESTAMP},
       CASE WHEN {s.LIFECYCLE} = 'complete' AND prev_lc = 'start' THEN prev_ts
            WHEN {s.LIFECYCLE} = 'start' THEN {s.TIMESTAMP}
            ELSE {s.START_TIMESTAMP} END AS {s.START_TIMESTAMP},
       CASE WHEN {s.LIFECYCLE} = 'complete' AND prev_lc = 'start' THEN coalesce({s.RESOURCE}, prev_res)
            ELSE {s.RESOURCE} END AS {s.RESOURCE},
       {s.LIFECYCLE}
FROM w
WHERE NOT ({s.LIFECYCLE} = 'start' AND coalesce(next_lc, '') = 'complete')
"""  # noqa: S608


def merges_lifecycle(mapping: Mapping[str, object]) -> bool:
    """Whether lifecycle start/complete rows are merged: a lifecycle column and no start timestamp column."""
    return bool(mapping.get("lifecycle_key")) and not mapping.get("start_timestamp_key")


def build_merged(cur: duckdb.DuckDBPyConnection, *, has_lifecycle: bool, fast: FastLog | None = None) -> int:
    """Create temp table ``merged`` (loadable activity instances); returns the unpaired start count.

    With a lifecycle column, a ``start`` directly followed (same case and activity, by time then file
    order) by a ``complete`` becomes one instance: start timestamp from the start row, everything else
    from the complete row. An unpaired ``start`` stays an instance of its own (still running, or its
    complete is missing) and is counted for the quality report.
    """
    if fast is not None:
        # every row loads unchanged on the fast path; the one check reading ``merged`` afterwards is the
        # future-date check, so ``merged`` holds just the rows it reports
        cur.register("merged", fast.future)
        return 0
    if not has_lifecycle:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE merged AS {MERGED_PLAIN_SELECT}")
        return 0
    cur.execute(f"CREATE OR REPLACE TEMP TABLE merged AS {MERGE_LIFECYCLE_SELECT}")
    rows = cur.execute(f"SELECT count(*) FROM merged WHERE {s.LIFECYCLE} = 'start'").fetchall()  # noqa: S608
    return int(rows[0][0])
