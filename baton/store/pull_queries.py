"""Named SQL of the source loader (values bound; identifiers from baton.schema or quoted source columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from baton import schema as s

#: The relation name one batch has inside the loader's queries (``DuckDBPyRelation.query``).
BATCH: Final = "pull_batch"

GET_STATE: Final = (
    f"SELECT source_id, kind, primary_key, cursor_column, cursor_value, cursor_type "  # noqa: S608
    f"FROM {s.SOURCE_STATE} WHERE name = ?"
)
NEXT_SOURCE_ID: Final = "SELECT nextval('source_id_seq')"
INSERT_STATE: Final = (
    f"INSERT INTO {s.SOURCE_STATE} (source_id, name, kind, settings, primary_key, cursor_column) "  # noqa: S608
    "VALUES (?, ?, ?, ?, ?, ?)"
)
UPDATE_STATE: Final = (
    f"UPDATE {s.SOURCE_STATE} SET kind = ?, settings = ?, cursor_value = ?, cursor_type = ?, "  # noqa: S608
    "last_load_at = now() WHERE source_id = ?"
)
NEXT_LOAD_NO: Final = f"SELECT coalesce(max(load_no), 0) + 1 FROM {s.SOURCE_LOADS} WHERE source_id = ?"  # noqa: S608
INSERT_LOAD: Final = (
    f"INSERT INTO {s.SOURCE_LOADS} VALUES ($source_id, $load_no, $name, $kind, now(), $seconds, "  # noqa: S608
    "$rows_read, $inserted, $updated, $unchanged, $rejected, $rejected_reasons, $cursor_before, "
    "$cursor_after, $log_id, $report)"
)
INSERT_FAILURE: Final = f"INSERT INTO {s.SOURCE_FAILURES} VALUES (?, ?, now(), ?, ?, ?)"  # noqa: S608
LIST_FAILURES: Final = f"SELECT * EXCLUDE (name) FROM {s.SOURCE_FAILURES} WHERE name = ? ORDER BY failed_at"  # noqa: S608
DELETE_FAILURES: Final = f"DELETE FROM {s.SOURCE_FAILURES} WHERE name = ?"  # noqa: S608
LIST_LOADS: Final = (
    f"SELECT l.* EXCLUDE (source_id) FROM {s.SOURCE_LOADS} l "  # noqa: S608
    f"JOIN {s.SOURCE_STATE} st USING (source_id) WHERE st.name = ? ORDER BY l.load_no"
)
MEMORY_LIMIT: Final = "SELECT current_setting('memory_limit')"
TABLE_EXISTS: Final = "SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = ? AND NOT temporary"
COPY_REJECTS: Final = (
    f"INSERT INTO {s.REJECTS} SELECT $log_id, source_row, reason, 'pull ' || load_no, raw "  # noqa: S608
    f"FROM {s.SOURCE_REJECTS} WHERE source_id = $source_id"
)
DELETE_SOURCE: Final = tuple(
    f"DELETE FROM {table} WHERE source_id = ?"  # noqa: S608
    for table in (s.SOURCE_REJECTS, s.SOURCE_LOADS, s.SOURCE_STATE)
)


def _q(names: Sequence[str]) -> list[str]:
    return [s.quote_identifier(n) for n in names]


def good_rows(key: Sequence[str], cursor: str, has_reason: bool) -> str:
    """The condition a batch row must meet to be stored: key and cursor present, no reject reason."""
    parts = [f"{c} IS NOT NULL" for c in _q([*key, cursor])]
    if has_reason:
        parts.append(f"{s.quote_identifier(s.SOURCE_REJECT_REASON)} IS NULL")
    return " AND ".join(parts)


def create_raw_table(source_id: int, columns: Sequence[tuple[str, str]], key: Sequence[str]) -> str:
    """DDL of a source's raw-row table: the first batch's columns and types, the key as primary key."""
    cols = ",\n    ".join(f"{s.quote_identifier(name)} {typ}" for name, typ in columns)
    return (
        f"CREATE TABLE {s.source_rows_table(source_id)} (\n    {cols},\n"
        f"    PRIMARY KEY ({', '.join(_q(key))})\n)"
    )


def _reject_reason(key: Sequence[str], cursor: str, has_reason: bool) -> str:
    """A batch row's reject reason: the connector's, else a missing key or cursor; NULL for a good row."""
    reason_col = s.quote_identifier(s.SOURCE_REJECT_REASON)
    when_reason = f"WHEN {reason_col} IS NOT NULL THEN CAST({reason_col} AS VARCHAR) " if has_reason else ""
    key_null = " OR ".join(f"{c} IS NULL" for c in _q(key))
    return (
        f"CASE {when_reason}WHEN {key_null} THEN 'missing_key' "
        f"WHEN {s.quote_identifier(cursor)} IS NULL THEN 'missing_cursor' END"
    )


def reject_counts(key: Sequence[str], cursor: str, has_reason: bool) -> str:
    """How many of a batch's rows are rejected, by reason."""
    return (
        f"SELECT reason, count(*) FROM (SELECT {_reject_reason(key, cursor, has_reason)} AS reason "  # noqa: S608
        f"FROM {BATCH}) WHERE reason IS NOT NULL GROUP BY reason"
    )


def insert_rejects(key: Sequence[str], cursor: str, columns: Sequence[str], has_reason: bool) -> str:
    """Keep a batch's unusable rows with their reason (a row already kept for this source is not kept twice)."""
    return f"""
INSERT INTO {s.SOURCE_REJECTS}
SELECT $source_id, $load_no, $first_row + pos, reason, raw FROM (
    SELECT row_number() OVER () AS pos,
           {_reject_reason(key, cursor, has_reason)} AS reason,
           to_json(struct_pack({", ".join(f"{c} := {c}" for c in _q(columns))})) AS raw
    FROM {BATCH}
) b
WHERE reason IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {s.SOURCE_REJECTS} r WHERE r.source_id = $source_id AND r.raw = b.raw)
"""  # noqa: S608


def duplicate_keys(key: Sequence[str], good: str) -> str:
    """How many of a batch's good rows repeat a key of an earlier row in the batch."""
    return f"SELECT count(*) - count(DISTINCT row({', '.join(_q(key))})) FROM {BATCH} WHERE {good}"  # noqa: S608


def batch_rows(key: Sequence[str], cursor: str, columns: Sequence[str], good: str, *, dedupe: bool) -> str:
    """A batch's rows to store; with ``dedupe`` one per key, the one with the largest cursor value.

    The window that picks one row per key costs more than the upsert itself, so it runs only when
    ``duplicate_keys`` found a repeated key.
    """
    sql = f"SELECT {', '.join(_q(columns))} FROM {BATCH} WHERE {good}"  # noqa: S608
    if dedupe:
        sql += (
            f" QUALIFY row_number() OVER (PARTITION BY {', '.join(_q(key))} "
            f"ORDER BY {s.quote_identifier(cursor)} DESC) = 1"
        )
    return sql


def count_changes(source_id: int, key: Sequence[str], columns: Sequence[str], rows: str) -> str:
    """How many of the rows are new keys, replace a different stored row, or equal the stored row."""
    raw = s.source_rows_table(source_id)
    qk, qcols = _q(key), _q(columns)
    on = " AND ".join(f"b.{c} = r.{c}" for c in qk)
    differs = f"row({', '.join(f'b.{c}' for c in qcols)}) IS DISTINCT FROM row({', '.join(f'r.{c}' for c in qcols)})"
    return f"""
SELECT count(*) FILTER (WHERE r.{qk[0]} IS NULL),
       count(*) FILTER (WHERE r.{qk[0]} IS NOT NULL AND {differs}),
       count(*) FILTER (WHERE r.{qk[0]} IS NOT NULL AND NOT ({differs}))
FROM ({rows}) b LEFT JOIN {raw} r ON {on}
"""  # noqa: S608


def upsert(source_id: int, columns: Sequence[str], rows: str, *, replace: bool) -> str:
    """Insert the rows; with ``replace`` a stored row with the same key is replaced (slower: only when needed)."""
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    return f"{verb} INTO {s.source_rows_table(source_id)} ({', '.join(_q(columns))}) {rows}"  # noqa: S608


def read_back(
    source_id: int, key: Sequence[str], cursor: str, source_row: str, *, ordered: bool = True
) -> str:
    """A source's stored rows numbered 1.. in cursor order as the import pipeline's source rows; sorted so
    unless ``ordered`` is false (a relation read by SQL needs the numbers, not the order)."""
    order = ", ".join(_q([cursor, *key]))
    return (
        f"SELECT *, row_number() OVER (ORDER BY {order}) AS {s.quote_identifier(source_row)} "  # noqa: S608
        f"FROM {s.source_rows_table(source_id)}" + (f" ORDER BY {order}" if ordered else "")
    )


def max_cursor(source_id: int, cursor: str) -> str:
    """The largest stored cursor value (the cursor after a pull)."""
    return f"SELECT max({s.quote_identifier(cursor)}) FROM {s.source_rows_table(source_id)}"  # noqa: S608


def count_rows(source_id: int) -> str:
    """How many rows a source has stored."""
    return f"SELECT count(*) FROM {s.source_rows_table(source_id)}"  # noqa: S608
