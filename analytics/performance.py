"""Performance DFG: time between directly-following events per edge, and service time per activity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import DurationStats, LogQuery, stats_columns
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

_EDGE_PERF = """
SELECT {code}, {next_code}, {measures}
FROM e WHERE {next_code} IS NOT NULL
GROUP BY {code}, {next_code}
"""
#: Gap statistics only: without start timestamps the waiting time equals the gap.
EDGE_GAP_SQL = _EDGE_PERF.format(
    code=s.ACTIVITY_CODE, next_code=s.NEXT_ACTIVITY_CODE, measures=stats_columns(s.NEXT_GAP_US)
)
EDGE_GAP_WAIT_SQL = _EDGE_PERF.format(
    code=s.ACTIVITY_CODE,
    next_code=s.NEXT_ACTIVITY_CODE,
    measures=f"{stats_columns(s.NEXT_GAP_US)}, {stats_columns(s.NEXT_WAIT_US)}",
)
SERVICE_SQL = f"""
SELECT {s.ACTIVITY_CODE}, {stats_columns(s.SERVICE_US)}
FROM e WHERE {s.SERVICE_US} IS NOT NULL GROUP BY {s.ACTIVITY_CODE}
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class EdgePerformance:
    """Times on one edge ``source -> target``.

    ``gap``: next event's timestamp minus this event's timestamp (pm4py's measure on logs without start
    timestamps). ``waiting``: next event's start (its timestamp when it has none) minus this event's
    timestamp (pm4py's measure on interval logs; may be negative when activities overlap); None when
    the log has no start timestamps.
    """

    source: str
    target: str
    frequency: int
    gap: DurationStats
    waiting: DurationStats | None


@dataclass(frozen=True, slots=True)
class PerformanceDFG:
    """Per-edge time statistics and per-activity service times (only where start timestamps exist)."""

    edges: tuple[EdgePerformance, ...]
    service: dict[str, DurationStats]
    has_start_timestamps: bool

    def pm4py_measure(self, edge: EdgePerformance) -> DurationStats:
        """The measure pm4py.discover_performance_dfg reports: waiting with start timestamps, else gap."""
        return edge.waiting if edge.waiting is not None else edge.gap

    def to_frame(self) -> pd.DataFrame:
        """Edges as a DataFrame: source, target, frequency, gap_* and (with starts) waiting_* columns."""
        import pandas as pd

        rows = []
        for e in self.edges:
            row = {"source": e.source, "target": e.target, "frequency": e.frequency, **e.gap.as_dict("gap_")}
            if e.waiting is not None:
                row.update(e.waiting.as_dict("waiting_"))
            rows.append(row)
        return pd.DataFrame(rows)

    def service_frame(self) -> pd.DataFrame:
        """Service-time statistics per activity as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([{"activity": a, **st.as_dict()} for a, st in self.service.items()])


def discover_performance_dfg(log: EventLog) -> PerformanceDFG:
    """Discover the performance DFG: per edge count, min, mean, median, p90, max and sum of times.

    Args:
        log: the event log.

    Returns:
        Edge statistics in microseconds (see `EdgePerformance` for the two measures) and service times.
    """
    q = LogQuery(log)
    names = q.names()
    starts = q.has_start_timestamps()
    edges = []
    for row in q.rows(EDGE_GAP_WAIT_SQL if starts else EDGE_GAP_SQL):
        gap = DurationStats.from_row(row[2:9])
        wait = DurationStats.from_row(row[9:16]) if starts else None
        edges.append(EdgePerformance(names[row[0]], names[row[1]], gap.count, gap, wait))
    edges.sort(key=lambda e: (-e.frequency, e.source, e.target))
    service = (
        {names[row[0]]: DurationStats.from_row(row[1:]) for row in q.rows(SERVICE_SQL)} if starts else {}
    )
    return PerformanceDFG(tuple(edges), dict(sorted(service.items())), starts)
