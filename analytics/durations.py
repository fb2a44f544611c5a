"""Case durations: summary statistics and the per-case table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import DurationStats, LogQuery, stats_columns
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from baton.log import EventLog

SUMMARY_SQL = f"SELECT {stats_columns('duration_us')} FROM c"  # noqa: S608
PER_CASE_SQL = f"""
SELECT {s.CASE_ID}, {s.VARIANT_ID}, n_events, first_timestamp, start_time, end_time, duration_us, span_us
FROM c ORDER BY duration_us DESC, {s.CASE_ID}
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class CaseDurations:
    """Case durations of a log.

    A case's duration is its latest timestamp minus its earliest timestamp (complete timestamps, pm4py's
    definition); ``span_us`` in the table also counts the first activity's own work (from its start).
    """

    cases: int
    stats: DurationStats
    table: pa.Table

    def to_arrow(self) -> pa.Table:
        """Per-case table: case_id, variant_id, n_events, first_timestamp, start_time, end_time,
        duration_us, span_us; longest first."""
        return self.table

    def to_frame(self) -> pd.DataFrame:
        """The per-case table as a pandas DataFrame."""
        return self.table.to_pandas()


def get_case_durations(log: EventLog) -> CaseDurations:
    """Case count, min/mean/median/p90/max duration and the per-case durations.

    Args:
        log: the event log.

    Returns:
        Statistics in microseconds (timedelta properties on ``stats``) and the per-case table.
    """
    q = LogQuery(log)
    stats = DurationStats.from_row(q.rows(SUMMARY_SQL)[0])
    return CaseDurations(stats.count, stats, q.arrow(PER_CASE_SQL))
