"""Process-map measures: per edge and activity absolute and case frequency, waiting-time statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import LogQuery, name_counts
from analytics.dfg import END_SQL, START_SQL
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

# Grouped on integer codes; names are attached in Python on the small result.
EDGE_MEASURES_SQL = f"""
SELECT {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}, count(*), count(DISTINCT {s.CASE_INDEX}),
       avg({s.NEXT_WAIT_US}), median({s.NEXT_WAIT_US}), quantile_cont({s.NEXT_WAIT_US}, 0.9),
       max({s.NEXT_WAIT_US})
FROM e WHERE {s.NEXT_ACTIVITY_CODE} IS NOT NULL
GROUP BY {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}
"""  # noqa: S608
ACTIVITY_MEASURES_SQL = f"""
SELECT {s.ACTIVITY_CODE}, count(*), count(DISTINCT {s.CASE_INDEX}) FROM e GROUP BY {s.ACTIVITY_CODE}
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class EdgeMeasure:
    """One directly-follows edge: ``frequency`` occurrences in ``case_frequency`` cases, waiting times.

    Waiting time is pm4py's performance-DFG measure (the next event's start, or its timestamp when it
    has none, minus this event's timestamp), in microseconds; p90 interpolates linearly, as numpy does.
    """

    source: str
    target: str
    frequency: int
    case_frequency: int
    mean_wait_us: float
    median_wait_us: float
    p90_wait_us: float
    max_wait_us: int


@dataclass(frozen=True, slots=True)
class ActivityMeasure:
    """One activity: ``frequency`` occurrences in ``case_frequency`` distinct cases."""

    activity: str
    frequency: int
    case_frequency: int


@dataclass(frozen=True, slots=True)
class EdgeMeasures:
    """All measures a process map can show; edges and activities ordered by frequency, then name."""

    edges: tuple[EdgeMeasure, ...]
    activities: dict[str, ActivityMeasure]
    start_activities: dict[str, int]
    end_activities: dict[str, int]

    def edge(self, source: str, target: str) -> EdgeMeasure | None:
        """The edge ``source -> target``, or None when it does not occur."""
        return next((e for e in self.edges if e.source == source and e.target == target), None)

    def to_frame(self) -> pd.DataFrame:
        """Edges as a DataFrame: source, target, frequency, case_frequency and the *_wait_us columns."""
        import pandas as pd

        cols = [
            "source",
            "target",
            "frequency",
            "case_frequency",
            "mean_wait_us",
            "median_wait_us",
            "p90_wait_us",
            "max_wait_us",
        ]
        return pd.DataFrame([[getattr(e, c) for c in cols] for e in self.edges], columns=cols)


def get_edge_measures(log: EventLog) -> EdgeMeasures:
    """Compute every process-map measure of a (filtered) log with two grouped queries.

    Args:
        log: the event log.

    Returns:
        Per edge: absolute and case frequency, mean, median, p90 and max waiting time (microseconds);
        per activity: absolute and case frequency; start and end activities with their case counts.
    """
    q = LogQuery(log)
    names = q.names()
    edges = [
        EdgeMeasure(names[a], names[b], int(n), int(nc), float(mean), float(med), float(p90), int(top))
        for a, b, n, nc, mean, med, p90, top in q.rows(EDGE_MEASURES_SQL)
    ]
    edges.sort(key=lambda e: (-e.frequency, e.source, e.target))
    acts = sorted(
        (ActivityMeasure(names[a], int(n), int(nc)) for a, n, nc in q.rows(ACTIVITY_MEASURES_SQL)),
        key=lambda m: (-m.frequency, m.activity),
    )
    return EdgeMeasures(
        edges=tuple(edges),
        activities={m.activity: m for m in acts},
        start_activities=name_counts(q.rows(START_SQL), names),
        end_activities=name_counts(q.rows(END_SQL), names),
    )
