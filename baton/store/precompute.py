"""Write one log's events, cases, variants and activities with everything analyses need precomputed.

One window sort per import (by case, then sort_ts, timestamp, event order) gives each event its position,
successor and gaps; cases and variants are then group-bys. Analyses never re-sort the log.
"""

from __future__ import annotations

from typing import Final

import duckdb

from baton import schema as s

_US = "epoch_us"

INSERT_ACTIVITIES: Final = f"""
INSERT INTO {s.ACTIVITIES}
SELECT $log_id, CAST(row_number() OVER (ORDER BY {s.ACTIVITY}) - 1 AS INTEGER), {s.ACTIVITY}
FROM (SELECT DISTINCT {s.ACTIVITY} FROM merged)
"""  # noqa: S608

CASE_MAP: Final = f"""
CREATE OR REPLACE TEMP TABLE case_map AS
SELECT {s.CASE_ID}, CAST(row_number() OVER (ORDER BY min(source_row)) - 1 AS INTEGER) AS {s.CASE_INDEX}
FROM merged GROUP BY {s.CASE_ID}
"""  # noqa: S608

_INSERT_EVENTS: Final = f"""
INSERT INTO {{events}} ({s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.TIMESTAMP},
    {s.START_TIMESTAMP}, {s.RESOURCE}, {s.LIFECYCLE}, {s.EVENT_ORDER}, {s.NEXT_ACTIVITY_CODE}, {s.NEXT_GAP_US},
    {s.NEXT_START_OFFSET_US})
SELECT c.{s.CASE_INDEX},
       CAST(row_number() OVER w - 1 AS INTEGER),
       a.{s.ACTIVITY_CODE}, m.{s.TIMESTAMP}, m.{s.START_TIMESTAMP},
       m.{s.RESOURCE}, m.{s.LIFECYCLE}, m.source_row,
       lead(a.{s.ACTIVITY_CODE}) OVER w,
       {_US}(lead(m.{s.TIMESTAMP}) OVER w) - {_US}(m.{s.TIMESTAMP}),
       lead({_US}(m.{s.START_TIMESTAMP}) - {_US}(m.{s.TIMESTAMP})) OVER w
FROM merged m
JOIN case_map c USING ({s.CASE_ID})
JOIN {s.ACTIVITIES} a ON a.{s.LOG_ID} = $log_id AND a.{s.ACTIVITY} = m.{s.ACTIVITY}
WINDOW w AS (PARTITION BY c.{s.CASE_INDEX}
             ORDER BY coalesce(m.{s.START_TIMESTAMP}, m.{s.TIMESTAMP}), m.{s.TIMESTAMP}, m.source_row)
"""  # noqa: S608

_CASE_SEQUENCES: Final = f"""
CREATE OR REPLACE TEMP TABLE case_seq AS
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

INSERT_VARIANTS: Final = f"""
INSERT INTO {s.VARIANTS}
SELECT $log_id, CAST(row_number() OVER (ORDER BY count(*) DESC, codes) - 1 AS INTEGER),
       codes, CAST(len(codes) AS INTEGER), count(*)
FROM case_seq GROUP BY codes
"""  # noqa: S608

INSERT_CASES: Final = f"""
INSERT INTO {s.CASES}
SELECT $log_id, cs.{s.CASE_INDEX}, cm.{s.CASE_ID}, v.{s.VARIANT_ID}, CAST(cs.n_events AS INTEGER),
       cs.start_time, cs.end_time, cs.first_timestamp,
       {_US}(cs.end_time) - {_US}(cs.first_timestamp),
       {_US}(cs.end_time) - {_US}(cs.start_time),
       cs.codes[1], cs.codes[len(cs.codes)], cs.has_rework
FROM case_seq cs
JOIN case_map cm USING ({s.CASE_INDEX})
JOIN {s.VARIANTS} v ON v.{s.LOG_ID} = $log_id AND v.activity_codes = cs.codes
"""  # noqa: S608


def write_log_tables(cur: duckdb.DuckDBPyConnection, log_id: int) -> None:
    """Fill activities, the log's events table, variants and cases of ``log_id`` from the temp table ``merged``."""
    p = {"log_id": log_id}
    events = s.events_table(log_id)
    cur.execute(INSERT_ACTIVITIES, p)
    cur.execute(CASE_MAP)
    cur.execute(s.events_ddl(log_id, intervals=True))
    cur.execute(_INSERT_EVENTS.format(events=events), p)
    cur.execute(_CASE_SEQUENCES.format(events=events))
    cur.execute(INSERT_VARIANTS, p)
    cur.execute(INSERT_CASES, p)
