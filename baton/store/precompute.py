"""Write one log's events, cases, variants and activities with everything analyses need precomputed.

One window sort per import (by case, then sort_ts, timestamp, event order) gives each event its position,
successor and gaps; cases and variants are then group-bys. Analyses never re-sort the log.

The SELECTs are the one definition of the precomputed relations: DuckDB inserts them at import, and the
Spark engine runs them, transpiled, to prepare a lakehouse table (`baton.engine.spark_prepare`). They read
``merged`` (case_id, activity, timestamp, start_timestamp, resource, lifecycle, source_row).
"""

from __future__ import annotations

from typing import Final

import duckdb

from baton import schema as s

_US = "epoch_us"
#: Case sequences are built for this many events at a time. DuckDB's ordered ``list(... ORDER BY ...)``
#: aggregate does not spill to disk, so under a memory limit one pass over a large log fails (10M events
#: need more than 200MB in one pass, about 100MB in chunks); chunks by case index keep it bounded.
SEQUENCE_CHUNK_EVENTS = 4_000_000

ACTIVITIES_SELECT: Final = f"""
SELECT CAST($log_id AS INTEGER) AS {s.LOG_ID},
       CAST(row_number() OVER (ORDER BY {s.ACTIVITY}) - 1 AS INTEGER) AS {s.ACTIVITY_CODE}, {s.ACTIVITY}
FROM (SELECT DISTINCT {s.ACTIVITY} FROM merged) d
"""  # noqa: S608

CASE_MAP_SELECT: Final = f"""
SELECT {s.CASE_ID}, CAST(row_number() OVER (ORDER BY min(source_row)) - 1 AS INTEGER) AS {s.CASE_INDEX}
FROM merged GROUP BY {s.CASE_ID}
"""  # noqa: S608

EVENTS_SELECT: Final = f"""
SELECT c.{s.CASE_INDEX},
       CAST(row_number() OVER w - 1 AS INTEGER) AS {s.POSITION},
       a.{s.ACTIVITY_CODE}, m.{s.TIMESTAMP}, m.{s.START_TIMESTAMP},
       m.{s.RESOURCE}, m.{s.LIFECYCLE}, m.source_row AS {s.EVENT_ORDER},
       lead(a.{s.ACTIVITY_CODE}) OVER w AS {s.NEXT_ACTIVITY_CODE},
       {_US}(lead(m.{s.TIMESTAMP}) OVER w) - {_US}(m.{s.TIMESTAMP}) AS {s.NEXT_GAP_US},
       lead({_US}(m.{s.START_TIMESTAMP}) - {_US}(m.{s.TIMESTAMP})) OVER w AS {s.NEXT_START_OFFSET_US}
FROM merged m
JOIN case_map c ON c.{s.CASE_ID} = m.{s.CASE_ID}
JOIN {s.ACTIVITIES} a ON a.{s.LOG_ID} = $log_id AND a.{s.ACTIVITY} = m.{s.ACTIVITY}
WINDOW w AS (PARTITION BY c.{s.CASE_INDEX}
             ORDER BY coalesce(m.{s.START_TIMESTAMP}, m.{s.TIMESTAMP}), m.{s.TIMESTAMP}, m.source_row)
"""  # noqa: S608

_INSERT_EVENTS: Final = f"""
INSERT INTO {{events}} ({s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.TIMESTAMP},
    {s.START_TIMESTAMP}, {s.RESOURCE}, {s.LIFECYCLE}, {s.EVENT_ORDER}, {s.NEXT_ACTIVITY_CODE}, {s.NEXT_GAP_US},
    {s.NEXT_START_OFFSET_US})
{EVENTS_SELECT}"""

#: Per case, over the events table named ``{events}``: sequence of codes, counts and first/last times.
CASE_SEQUENCES_SELECT: Final = f"""
SELECT {s.CASE_INDEX},
       list({s.ACTIVITY_CODE} ORDER BY {s.POSITION}) AS codes,
       count(*) AS n_events,
       min({s.SORT_TS}) AS start_time,
       max({s.TIMESTAMP}) AS end_time,
       min({s.TIMESTAMP}) AS first_timestamp,
       count(*) > count(DISTINCT {s.ACTIVITY_CODE}) AS has_rework
FROM {{events}}
GROUP BY {s.CASE_INDEX}
"""  # noqa: S608

VARIANTS_SELECT: Final = f"""
SELECT CAST($log_id AS INTEGER) AS {s.LOG_ID},
       CAST(row_number() OVER (ORDER BY count(*) DESC, codes) - 1 AS INTEGER) AS {s.VARIANT_ID},
       codes AS activity_codes, CAST(array_length(codes) AS INTEGER) AS n_events, count(*) AS case_count
FROM case_seq GROUP BY codes
"""  # noqa: S608

CASES_SELECT: Final = f"""
SELECT CAST($log_id AS INTEGER) AS {s.LOG_ID}, cs.{s.CASE_INDEX}, cm.{s.CASE_ID}, v.{s.VARIANT_ID},
       CAST(cs.n_events AS INTEGER) AS n_events,
       cs.start_time, cs.end_time, cs.first_timestamp,
       {_US}(cs.end_time) - {_US}(cs.first_timestamp) AS duration_us,
       {_US}(cs.end_time) - {_US}(cs.start_time) AS span_us,
       cs.codes[1] AS start_activity_code, cs.codes[array_length(cs.codes)] AS end_activity_code, cs.has_rework
FROM case_seq cs
JOIN case_map cm ON cm.{s.CASE_INDEX} = cs.{s.CASE_INDEX}
JOIN {s.VARIANTS} v ON v.{s.LOG_ID} = $log_id AND v.activity_codes = cs.codes
"""  # noqa: S608


def write_log_tables(cur: duckdb.DuckDBPyConnection, log_id: int) -> None:
    """Fill activities, the log's events table, variants and cases of ``log_id`` from the temp table ``merged``."""
    p = {"log_id": log_id}
    events = s.events_table(log_id)
    cur.execute(f"INSERT INTO {s.ACTIVITIES} {ACTIVITIES_SELECT}", p)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE case_map AS {CASE_MAP_SELECT}")
    cur.execute(s.events_ddl(log_id, intervals=True))
    cur.execute(_INSERT_EVENTS.format(events=events), p)
    _case_sequences(cur, events)
    cur.execute(f"INSERT INTO {s.VARIANTS} {VARIANTS_SELECT}", p)
    cur.execute(f"INSERT INTO {s.CASES} {CASES_SELECT}", p)


def _case_sequences(cur: duckdb.DuckDBPyConnection, events: str) -> None:
    """Temp table ``case_seq`` from ``events``, in chunks of whole cases (ranges of case index).

    The events table is stored in case order, so each chunk's range filter skips the other row groups.
    """
    size = f"SELECT count(*), coalesce(max({s.CASE_INDEX}) + 1, 0) FROM {events}"  # noqa: S608
    n_events, n_cases = (int(v) for v in cur.execute(size).fetchall()[0])
    chunks = max(1, -(-n_events // SEQUENCE_CHUNK_EVENTS))
    step = max(1, -(-n_cases // chunks))
    select = CASE_SEQUENCES_SELECT.format(events=events)
    chunk = f"SELECT * FROM ({select}) q WHERE {s.CASE_INDEX} >= $lo AND {s.CASE_INDEX} < $hi"  # noqa: S608
    cur.execute(f"CREATE OR REPLACE TEMP TABLE case_seq AS {chunk}", {"lo": 0, "hi": step})
    for lo in range(step, n_cases, step):
        cur.execute(f"INSERT INTO case_seq {chunk}", {"lo": lo, "hi": lo + step})
