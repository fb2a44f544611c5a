"""The one canonical event-log schema: column names, table names and DuckDB DDL.

Every other module takes identifiers from here; nothing else spells a table or column name in SQL.

Tables (one workspace = one DuckDB database, many logs):

``logs``        catalog, one row per log, with provenance (source, mapping, import time, counts, checksum).
``activities``  activity dictionary per log: integer code -> name (codes are dense, 0-based, by name).
``events_<id>`` one table per log: one row per activity instance (start/complete pairs merged), ordered per case by
                (``sort_ts``, ``event_order``); precomputed successor columns make the DFG a group-by.
``cases``       one row per case: variant, start, end, duration, first and last activity.
``variants``    one row per distinct activity sequence, with its case count.
``rejects``     source rows that were not loaded, with the reason and the raw values as JSON.
``quality``     the data-quality findings of each import (rejects and warnings, with counts and samples).
``attr_<kind>_<log_id>``  typed further attributes per log (``kind`` is ``event`` or ``case``), keyed by
                ``event_order`` or ``case_index``.
``source_state``  one row per pulled source system: its settings (secrets masked), key, cursor, last load.
``source_rows_<source_id>``  a pulled source's rows as read (upserted on its primary key); its log is
                rebuilt from this table at every pull.
``source_rejects``  source rows a pull could not keep (no key, no cursor, a connector's reject reason).
``source_loads``  the load history: one row per successful pull (its load report).
``source_failures``  one row per failed pull (rolled back, so it wrote nothing else): when, why.

Ordering: within a case, events are ordered by ``sort_ts`` (the start timestamp where the event has one,
otherwise its timestamp), then ``timestamp``, then ``event_order`` (position in the source file), so equal
timestamps keep file order deterministically.
"""

from __future__ import annotations

from typing import Final, Literal

# ---- canonical column names (the public vocabulary of an event log) ------------------------------
LOG_ID: Final = "log_id"
CASE_ID: Final = "case_id"
ACTIVITY: Final = "activity"
TIMESTAMP: Final = "timestamp"
START_TIMESTAMP: Final = "start_timestamp"
RESOURCE: Final = "resource"
LIFECYCLE: Final = "lifecycle"
EVENT_ORDER: Final = "event_order"

# ---- precomputed columns ------------------------------------------------------------------------
CASE_INDEX: Final = "case_index"
ACTIVITY_CODE: Final = "activity_code"
SORT_TS: Final = "sort_ts"
POSITION: Final = "position"
NEXT_ACTIVITY_CODE: Final = "next_activity_code"
NEXT_GAP_US: Final = "next_gap_us"  # next event's timestamp minus this event's timestamp (microseconds)
NEXT_WAIT_US: Final = "next_wait_us"  # next event's sort_ts minus this event's timestamp (microseconds)
NEXT_START_OFFSET_US: Final = "next_start_offset_us"  # next event's start minus its timestamp; NULL: no start
SERVICE_US: Final = "service_us"  # timestamp minus start_timestamp, NULL without a start
VARIANT_ID: Final = "variant_id"

# The mapping keys users pass (pm4py's vocabulary) and the canonical column each fills.
MAPPING_KEYS: Final[dict[str, str]] = {
    "case_id_key": CASE_ID,
    "activity_key": ACTIVITY,
    "timestamp_key": TIMESTAMP,
    "start_timestamp_key": START_TIMESTAMP,
    "resource_key": RESOURCE,
    "lifecycle_key": LIFECYCLE,
}
REQUIRED_KEYS: Final = ("case_id_key", "activity_key", "timestamp_key")
CANONICAL_COLUMNS: Final = tuple(MAPPING_KEYS.values())

# ---- tables --------------------------------------------------------------------------------------
LOGS: Final = "logs"
ACTIVITIES: Final = "activities"
EVENTS: Final = "events"
CASES: Final = "cases"
VARIANTS: Final = "variants"
REJECTS: Final = "rejects"
QUALITY: Final = "quality"
SOURCE_STATE: Final = "source_state"
SOURCE_REJECTS: Final = "source_rejects"
SOURCE_LOADS: Final = "source_loads"
SOURCE_FAILURES: Final = "source_failures"
#: The column a connector adds to mark a skippable record (``connectors.sources.base.REJECT_REASON``).
SOURCE_REJECT_REASON: Final = "__reject_reason"
SCHEMA_VERSION: Final = 4  # 2: virtual derived columns; 3: one events table per log; 4: pulled sources

AttrKind = Literal["event", "case"]


def events_table(log_id: int) -> str:
    """Name of one log's events table (identifier built from an integer only)."""
    return f"{EVENTS}_{int(log_id)}"


#: Event columns derived when read (DuckDB virtual columns; the Spark engine selects the same expressions).
DERIVED_EVENT_COLUMNS: Final = (
    (SORT_TS, "TIMESTAMPTZ", f"coalesce({START_TIMESTAMP}, {TIMESTAMP})"),
    (NEXT_WAIT_US, "BIGINT", f"{NEXT_GAP_US} + coalesce({NEXT_START_OFFSET_US}, 0)"),
    (SERVICE_US, "BIGINT", f"epoch_us({TIMESTAMP}) - epoch_us({START_TIMESTAMP})"),
)


def events_ddl(log_id: int, *, intervals: bool) -> str:
    """DDL of one log's events table, one row per activity instance in (case, position) order.

    Each log has its own table, created at import: DuckDB's append costs about the same per column
    whether it holds data or NULLs, so a log without start timestamps or lifecycle values (``intervals``
    False) derives those columns as constant NULLs instead of storing them. ``log_id`` and the ordering and
    waiting-time columns are derived too (virtual columns, computed when read).
    """
    n = int(log_id)
    derived = ",\n    ".join(
        f"{name} {typ} GENERATED ALWAYS AS ({sql}) VIRTUAL" for name, typ, sql in DERIVED_EVENT_COLUMNS
    )
    if intervals:
        interval_cols = f"""{START_TIMESTAMP} TIMESTAMPTZ,
    {LIFECYCLE} VARCHAR,
    {NEXT_START_OFFSET_US} BIGINT,  -- next event's start minus its timestamp; NULL: it has no start"""
    else:
        interval_cols = f"""{START_TIMESTAMP} TIMESTAMPTZ GENERATED ALWAYS AS (CAST(NULL AS TIMESTAMPTZ)) VIRTUAL,
    {LIFECYCLE} VARCHAR GENERATED ALWAYS AS (CAST(NULL AS VARCHAR)) VIRTUAL,
    {NEXT_START_OFFSET_US} BIGINT GENERATED ALWAYS AS (CAST(NULL AS BIGINT)) VIRTUAL,"""
    return f"""
CREATE TABLE {events_table(n)} (
    {CASE_INDEX} INTEGER NOT NULL,
    {POSITION} INTEGER NOT NULL,
    {ACTIVITY_CODE} INTEGER NOT NULL,
    {TIMESTAMP} TIMESTAMPTZ NOT NULL,
    {RESOURCE} VARCHAR,
    {EVENT_ORDER} BIGINT NOT NULL,
    {NEXT_ACTIVITY_CODE} INTEGER,
    {NEXT_GAP_US} BIGINT,
    {interval_cols}
    {LOG_ID} INTEGER GENERATED ALWAYS AS ({n}) VIRTUAL,
    {derived}
)"""


def attribute_table(kind: AttrKind, log_id: int) -> str:
    """Name of the typed attribute table of one log (identifier built from an integer only)."""
    if kind not in ("event", "case"):
        raise ValueError(f"attribute kind must be 'event' or 'case', got {kind!r}")
    return f"attr_{kind}_{int(log_id)}"


def source_rows_table(source_id: int) -> str:
    """Name of one pulled source's raw-row table (identifier built from an integer only)."""
    return f"source_rows_{int(source_id)}"


def quote_identifier(name: str) -> str:
    """Quote a source column name for use as a DuckDB identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


DDL: Final = f"""
CREATE SEQUENCE IF NOT EXISTS log_id_seq START 1;
CREATE TABLE IF NOT EXISTS baton_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS {LOGS} (
    {LOG_ID} INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    source VARCHAR NOT NULL,
    source_format VARCHAR NOT NULL,
    mapping VARCHAR NOT NULL,          -- JSON: mapping and options used
    detected VARCHAR NOT NULL,         -- JSON: what the connector detected (delimiter, encoding, formats)
    imported_at TIMESTAMPTZ NOT NULL,
    checksum VARCHAR NOT NULL,         -- sha256 of the source file
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    events BIGINT NOT NULL,            -- activity instances stored (after merging lifecycle pairs)
    cases BIGINT NOT NULL,
    activities INTEGER NOT NULL,
    variants BIGINT NOT NULL,
    first_timestamp TIMESTAMPTZ,
    last_timestamp TIMESTAMPTZ,
    has_start_timestamps BOOLEAN NOT NULL,
    event_attributes VARCHAR NOT NULL, -- JSON: {{name: duckdb type}}
    case_attributes VARCHAR NOT NULL   -- JSON: {{name: duckdb type}}
);
CREATE TABLE IF NOT EXISTS {ACTIVITIES} (
    {LOG_ID} INTEGER NOT NULL,
    {ACTIVITY_CODE} INTEGER NOT NULL,
    {ACTIVITY} VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS {CASES} (
    {LOG_ID} INTEGER NOT NULL,
    {CASE_INDEX} INTEGER NOT NULL,
    {CASE_ID} VARCHAR NOT NULL,
    {VARIANT_ID} INTEGER NOT NULL,
    n_events INTEGER NOT NULL,
    start_time TIMESTAMPTZ NOT NULL,   -- earliest sort_ts
    end_time TIMESTAMPTZ NOT NULL,     -- latest timestamp
    first_timestamp TIMESTAMPTZ NOT NULL,  -- earliest (complete) timestamp, pm4py's case start
    duration_us BIGINT NOT NULL,       -- latest minus earliest timestamp (pm4py's case duration)
    span_us BIGINT NOT NULL,           -- end_time minus start_time (includes the first activity's work)
    start_activity_code INTEGER NOT NULL,
    end_activity_code INTEGER NOT NULL,
    has_rework BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS {VARIANTS} (
    {LOG_ID} INTEGER NOT NULL,
    {VARIANT_ID} INTEGER NOT NULL,
    activity_codes INTEGER[] NOT NULL,
    n_events INTEGER NOT NULL,
    case_count BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS {REJECTS} (
    {LOG_ID} INTEGER NOT NULL,
    source_row BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR,
    raw VARCHAR NOT NULL               -- JSON of the source row as read
);
CREATE TABLE IF NOT EXISTS {QUALITY} (
    {LOG_ID} INTEGER NOT NULL,
    check_name VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,         -- 'rejected' (rows not loaded) or 'warning' (loaded, worth a look)
    count BIGINT NOT NULL,
    message VARCHAR NOT NULL,
    samples VARCHAR NOT NULL           -- JSON list of sample rows
);
CREATE SEQUENCE IF NOT EXISTS source_id_seq START 1;
CREATE TABLE IF NOT EXISTS {SOURCE_STATE} (
    source_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,      -- the source's name, also its log's name
    kind VARCHAR NOT NULL,
    settings VARCHAR NOT NULL,         -- JSON: the source's describe() (secrets masked)
    primary_key VARCHAR NOT NULL,      -- JSON list of the key columns
    cursor_column VARCHAR NOT NULL,
    cursor_value VARCHAR,              -- the largest cursor value loaded, as text (NULL: nothing loaded)
    cursor_type VARCHAR,               -- 'timestamp', 'timestamptz', 'int', 'float' or 'text'
    last_load_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS {SOURCE_REJECTS} (
    source_id INTEGER NOT NULL,
    load_no INTEGER NOT NULL,          -- the pull that read the row
    source_row BIGINT NOT NULL,        -- 1-based position among the rows that pull read
    reason VARCHAR NOT NULL,
    raw VARCHAR NOT NULL               -- JSON of the source row as read
);
CREATE TABLE IF NOT EXISTS {SOURCE_LOADS} (
    source_id INTEGER NOT NULL,
    load_no INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    seconds DOUBLE NOT NULL,
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    rejected_reasons VARCHAR NOT NULL, -- JSON {{reason: count}}
    cursor_before VARCHAR,
    cursor_after VARCHAR,
    log_id INTEGER,                    -- the rebuilt log (NULL when no row is stored yet)
    report VARCHAR NOT NULL            -- JSON of the whole load report, with the log's import report
);
CREATE TABLE IF NOT EXISTS {SOURCE_FAILURES} (
    name VARCHAR NOT NULL,             -- the source's name (it may never have loaded: no source_id yet)
    kind VARCHAR NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL,
    seconds DOUBLE NOT NULL,
    error_type VARCHAR NOT NULL,       -- FatalSourceError, RetriableSourceError, MappingError ...
    message VARCHAR NOT NULL           -- the error's message, secrets masked
);
"""
