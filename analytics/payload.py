"""The process-map payload: everything a process map and its side panels need, in one fast call."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from analytics._query import LogQuery, name_counts
from analytics.dfg import END_SQL, START_SQL
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from baton.log import EventLog

# Grouped on integer codes only; names are joined in Python on the small results.
EDGES_SQL = f"""
SELECT {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}, count(*), avg({s.NEXT_WAIT_US}), median({s.NEXT_WAIT_US})
FROM e WHERE {s.NEXT_ACTIVITY_CODE} IS NOT NULL
GROUP BY {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}
"""  # noqa: S608
# Activity codes are assigned in name order, so ordering by the code lists orders by activity names.
VARIANTS_STORED_SQL = f"""
SELECT activity_codes, case_count AS count FROM {s.VARIANTS}
WHERE {s.LOG_ID} = $log_id ORDER BY case_count DESC, activity_codes
"""  # noqa: S608
VARIANTS_FILTERED_SQL = f"""
SELECT v.activity_codes, g.n AS count
FROM (SELECT {s.VARIANT_ID}, count(*) AS n FROM c GROUP BY {s.VARIANT_ID}) g
JOIN {s.VARIANTS} v ON v.{s.VARIANT_ID} = g.{s.VARIANT_ID} AND v.{s.LOG_ID} = $log_id
ORDER BY g.n DESC, v.activity_codes
"""  # noqa: S608
DURATION_SQL = "SELECT count(*), median(duration_us), quantile_cont(duration_us, 0.9) FROM c"


@dataclass(frozen=True, slots=True)
class MapEdge:
    """One process-map edge: frequency and waiting time (next start, or timestamp, minus this timestamp).

    The waiting time is pm4py's performance-DFG measure: with start timestamps it is the time from this
    activity's completion to the next one's start, otherwise the time between the two timestamps.
    """

    source: str
    target: str
    frequency: int
    mean_wait_us: float
    median_wait_us: float


@dataclass(frozen=True, slots=True)
class ProcessMapPayload:
    """DFG counts, waiting times, variants, case-duration median and p90, start and end activities.

    ``variant_table`` holds every variant as Arrow columns ``activity_codes`` (list of int32, indexes
    into ``activity_names``) and ``count``, ordered by count (descending), then activities; it stays
    columnar so logs with a million variants cost no Python objects. `variants` gives names.
    """

    activity_names: tuple[str, ...]
    edges: tuple[MapEdge, ...]
    activities: dict[str, int]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    variant_table: pa.Table
    cases: int
    median_case_duration_us: float | None
    p90_case_duration_us: float | None

    def variants(self, top: int | None = None) -> dict[tuple[str, ...], int]:
        """``{activities: count}`` of the ``top`` most frequent variants (all when None)."""
        table = self.variant_table if top is None else self.variant_table.slice(0, top)
        names = self.activity_names
        codes = table.column("activity_codes").to_pylist()
        return {
            tuple(names[c] for c in seq): n
            for seq, n in zip(codes, table.column("count").to_pylist(), strict=True)
        }

    @property
    def median_case_duration(self) -> timedelta | None:
        """Median case duration."""
        us = self.median_case_duration_us
        return None if us is None else timedelta(microseconds=us)

    @property
    def p90_case_duration(self) -> timedelta | None:
        """90th percentile of case durations (linear interpolation, as numpy)."""
        us = self.p90_case_duration_us
        return None if us is None else timedelta(microseconds=us)

    def to_frame(self) -> pd.DataFrame:
        """Edges as a DataFrame: source, target, frequency, mean_wait_us, median_wait_us."""
        import pandas as pd

        cols = ["source", "target", "frequency", "mean_wait_us", "median_wait_us"]
        rows = [(e.source, e.target, e.frequency, e.mean_wait_us, e.median_wait_us) for e in self.edges]
        return pd.DataFrame(rows, columns=cols)


def get_process_map_payload(log: EventLog) -> ProcessMapPayload:
    """Compute the whole process-map payload with a few grouped queries on one cursor.

    Edges are grouped on integer codes (one pass over the events; activity counts follow as outgoing
    edges plus case ends); variants come straight from the stored variant table when the log is not
    filtered; names are attached last.

    Args:
        log: the event log.

    Returns:
        The payload; edges ordered by frequency (descending), then source and target.
    """
    q = LogQuery(log)
    names = q.names()
    edges = sorted(
        (MapEdge(names[a], names[b], int(n), float(m), float(md)) for a, b, n, m, md in q.rows(EDGES_SQL)),
        key=lambda e: (-e.frequency, e.source, e.target),
    )
    ends = name_counts(q.rows(END_SQL), names)
    activities: Counter[str] = Counter(ends)
    for e in edges:
        activities[e.source] += e.frequency
    n_cases, median, p90 = q.rows(DURATION_SQL)[0]
    return ProcessMapPayload(
        activity_names=tuple(names[i] for i in range(len(names))),
        edges=tuple(edges),
        activities=dict(sorted(activities.items(), key=lambda kv: (-kv[1], kv[0]))),
        start_activities=name_counts(q.rows(START_SQL), names),
        end_activities=ends,
        variant_table=q.arrow(VARIANTS_FILTERED_SQL if q.filtered else VARIANTS_STORED_SQL),
        cases=int(n_cases),
        median_case_duration_us=None if median is None else float(median),
        p90_case_duration_us=None if p90 is None else float(p90),
    )
