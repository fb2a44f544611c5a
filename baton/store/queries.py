"""Named, parameterised SQL of the catalog (values always bound; identifiers from baton.schema)."""

from __future__ import annotations

from typing import Any, Final

from baton import schema as s

SET_META: Final = "INSERT OR REPLACE INTO baton_meta VALUES (?, ?)"
LIST_LOGS: Final = f"SELECT * FROM {s.LOGS} ORDER BY name"  # noqa: S608
GET_LOG: Final = f"SELECT * FROM {s.LOGS} WHERE name = ?"  # noqa: S608
LOG_COUNTS: Final = f"SELECT events, cases, activities, variants FROM {s.LOGS} WHERE {s.LOG_ID} = ?"  # noqa: S608
NEXT_LOG_ID: Final = "SELECT nextval('log_id_seq')"
HAS_START: Final = f"SELECT count(*) > 0 FROM merged WHERE {s.START_TIMESTAMP} IS NOT NULL"  # noqa: S608
LIST_REJECTS: Final = (
    f"SELECT source_row, reason, detail, raw FROM {s.REJECTS} WHERE {s.LOG_ID} = ? "  # noqa: S608
    "ORDER BY source_row LIMIT ?"
)
LIST_QUALITY: Final = (
    f"SELECT check_name, severity, count, message, samples FROM {s.QUALITY} "  # noqa: S608
    f"WHERE {s.LOG_ID} = ? ORDER BY severity, count DESC, check_name"
)
DELETE_LOG_ROWS: Final = {
    table: f"DELETE FROM {table} WHERE {s.LOG_ID} = ?"  # noqa: S608
    for table in (s.CASES, s.VARIANTS, s.ACTIVITIES, s.REJECTS, s.QUALITY, s.LOGS)
}


def insert_log(log_id: int) -> str:
    """The catalog row of one log, counting its stored rows (the events table name is built from an int)."""
    events = s.events_table(log_id)
    return f"""
INSERT INTO {s.LOGS} VALUES (
    $log_id, $name, $source, $source_format, $mapping, $detected, now(), $checksum,
    $rows_read, $rows_loaded, $rows_rejected,
    (SELECT count(*) FROM {events}),
    (SELECT count(*) FROM {s.CASES} WHERE {s.LOG_ID} = $log_id),
    (SELECT count(*) FROM {s.ACTIVITIES} WHERE {s.LOG_ID} = $log_id),
    (SELECT count(*) FROM {s.VARIANTS} WHERE {s.LOG_ID} = $log_id),
    (SELECT min({s.SORT_TS}) FROM {events}),
    (SELECT max({s.TIMESTAMP}) FROM {events}),
    $has_start, $event_attributes, $case_attributes
)"""  # noqa: S608


def fetch_one(cur: Any, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The first row of a query (the whole result is consumed: DuckDB 2 refuses new work otherwise)."""
    rows = cur.execute(sql, params).fetchall() if params is not None else cur.execute(sql).fetchall()
    return tuple(rows[0]) if rows else ()


def fetch_scalar(cur: Any, sql: str, params: Any = None) -> Any:
    """The first value of the first row, or None."""
    row = fetch_one(cur, sql, params)
    return row[0] if row else None
