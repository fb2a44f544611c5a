"""The data-quality report of an import: rejected rows by reason and warnings, with counts and samples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

import duckdb
import pandas as pd

from baton import schema as s
from baton.store.staging import RAW, REJECT_REASONS, SOURCE_ROW

SAMPLES: Final = 5
Severity = Literal["rejected", "warning"]


@dataclass(frozen=True, slots=True)
class QualityFinding:
    """One check's result: how many rows or cases, what it means, and a few sample rows."""

    check: str
    severity: Severity
    count: int
    message: str
    samples: tuple[dict[str, Any], ...]


WRITE_REJECTS: Final = f"""
INSERT INTO {s.REJECTS}
SELECT $log_id, st.source_row, st.reason,
       CASE st.reason WHEN 'unparsable_timestamp' THEN st.ts_raw
                      WHEN 'unparsable_start_timestamp' THEN st.start_raw END,
       to_json(r)
FROM stg st JOIN {RAW} r ON r.{SOURCE_ROW} = st.source_row
WHERE st.reason IS NOT NULL
"""  # noqa: S608

REJECT_COUNTS: Final = f"""
SELECT reason, count(*) AS n,
       list({{'row': source_row, 'detail': detail, 'raw': raw}} ORDER BY source_row)[1:{SAMPLES}] AS samples
FROM {s.REJECTS} WHERE {s.LOG_ID} = $log_id GROUP BY reason ORDER BY n DESC, reason
"""  # noqa: S608

SINGLE_EVENT_CASES: Final = f"""
SELECT count(*), list({s.CASE_ID} ORDER BY {s.CASE_INDEX})[1:{SAMPLES}]
FROM {s.CASES} WHERE {s.LOG_ID} = $log_id AND n_events = 1
"""  # noqa: S608

FUTURE_EVENTS: Final = f"""
SELECT count(*), list(source_row ORDER BY source_row)[1:{SAMPLES}]
FROM merged WHERE {s.TIMESTAMP} > now() + INTERVAL 1 DAY
"""  # noqa: S608

# Offsets as written in the source text, counted by staging (``ts_zones``): more than one means mixed zones.
ZONES_IN_TEXT: Final = "SELECT zone, n, first_row FROM ts_zones ORDER BY n DESC, zone"


def write_rejects(cur: duckdb.DuckDBPyConnection, log_id: int) -> None:
    """Keep every rejected source row, with its reason and raw values, in the ``rejects`` table."""
    cur.execute(WRITE_REJECTS, {"log_id": log_id})


def collect_findings(
    cur: duckdb.DuckDBPyConnection, log_id: int, *, unpaired_starts: int, notes: list[QualityFinding]
) -> list[QualityFinding]:
    """Run the checks; returns rejected-row findings first, then warnings."""
    p = {"log_id": log_id}
    out = [
        QualityFinding(
            reason, "rejected", int(n), REJECT_REASONS.get(reason, reason), tuple(_sample(x) for x in samples)
        )
        for reason, n, samples in cur.execute(REJECT_COUNTS, p).fetchall()
    ]
    n, sample = cur.execute(SINGLE_EVENT_CASES, p).fetchall()[0]
    if n:
        out.append(
            QualityFinding(
                "single_event_cases",
                "warning",
                int(n),
                "cases with a single event (loaded; they have no flow)",
                tuple({"case_id": c} for c in sample),
            )
        )
    n, sample = cur.execute(FUTURE_EVENTS).fetchall()[0]
    if n:
        out.append(
            QualityFinding(
                "future_timestamps",
                "warning",
                int(n),
                "events dated more than a day after the import (loaded; check the clock or zone)",
                tuple({"row": r} for r in sample),
            )
        )
    zones = cur.execute(ZONES_IN_TEXT).fetchall()
    if len(zones) > 1:
        out.append(
            QualityFinding(
                "mixed_time_zones",
                "warning",
                sum(z[1] for z in zones),
                "timestamps written with different UTC offsets (all converted to UTC; "
                "naive ones read in the source time zone)",
                tuple({"offset": z[0], "rows": z[1], "first_row": z[2]} for z in zones),
            )
        )
    if unpaired_starts:
        out.append(
            QualityFinding(
                "unpaired_start",
                "warning",
                unpaired_starts,
                "start events without a matching complete (kept as instances of their own)",
                (),
            )
        )
    return out + notes


def store_findings(cur: duckdb.DuckDBPyConnection, log_id: int, findings: list[QualityFinding]) -> None:
    """Persist the findings in the ``quality`` table."""
    for f in findings:
        cur.execute(
            f"INSERT INTO {s.QUALITY} VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
            [log_id, f.check, f.severity, f.count, f.message, json.dumps(list(f.samples), default=str)],
        )


def _sample(x: dict[str, Any]) -> dict[str, Any]:
    raw = x.get("raw")
    return {"row": x["row"], "detail": x.get("detail"), "raw": json.loads(raw) if raw else None}


def findings_frame(findings: list[QualityFinding] | tuple[QualityFinding, ...]) -> pd.DataFrame:
    """The findings as a table (check, severity, count, message)."""
    return pd.DataFrame(
        [(f.check, f.severity, f.count, f.message) for f in findings],
        columns=["check", "severity", "count", "message"],
    )
