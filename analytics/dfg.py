"""Directly-follows graph: edge frequencies, start and end activities, activity counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import LogQuery, name_counts
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

EDGES_SQL = f"""
SELECT {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}, count(*), count(DISTINCT {s.CASE_INDEX})
FROM e WHERE {s.NEXT_ACTIVITY_CODE} IS NOT NULL
GROUP BY {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}
"""  # noqa: S608
START_SQL = "SELECT start_activity_code, count(*) FROM c GROUP BY start_activity_code"
END_SQL = "SELECT end_activity_code, count(*) FROM c GROUP BY end_activity_code"
ACTIVITY_SQL = f"SELECT {s.ACTIVITY_CODE}, count(*) FROM e GROUP BY {s.ACTIVITY_CODE}"  # noqa: S608


@dataclass(frozen=True, slots=True)
class DfgEdge:
    """One directly-follows relation: ``frequency`` occurrences in ``case_frequency`` cases."""

    source: str
    target: str
    frequency: int
    case_frequency: int


@dataclass(frozen=True, slots=True)
class DFG:
    """A directly-follows graph; edges ordered by frequency (descending), then source and target."""

    edges: tuple[DfgEdge, ...]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    activities: dict[str, int]

    def frequencies(self) -> dict[tuple[str, str], int]:
        """``{(source, target): frequency}``, the shape of ``pm4py.discover_dfg``'s first result."""
        return {(e.source, e.target): e.frequency for e in self.edges}

    def to_frame(self) -> pd.DataFrame:
        """Edges as a DataFrame (source, target, frequency, case_frequency)."""
        import pandas as pd

        cols = ["source", "target", "frequency", "case_frequency"]
        return pd.DataFrame(
            [(e.source, e.target, e.frequency, e.case_frequency) for e in self.edges], columns=cols
        )


def discover_dfg(log: EventLog) -> DFG:
    """Discover the directly-follows graph of a (filtered) log.

    Args:
        log: the event log.

    Returns:
        Edge frequencies (absolute and per case), start, end and activity counts by name.

    Example:
        >>> dfg = discover_dfg(ws.log("running-example"))  # doctest: +SKIP
        >>> dfg.frequencies()[("check ticket", "decide")]  # doctest: +SKIP
        6
    """
    q = LogQuery(log)
    names = q.names()
    edges = [DfgEdge(names[a], names[b], int(n), int(nc)) for a, b, n, nc in q.rows(EDGES_SQL)]
    edges.sort(key=lambda e: (-e.frequency, e.source, e.target))
    return DFG(
        edges=tuple(edges),
        start_activities=name_counts(q.rows(START_SQL), names),
        end_activities=name_counts(q.rows(END_SQL), names),
        activities=name_counts(q.rows(ACTIVITY_SQL), names),
    )


def get_start_activities(log: EventLog) -> dict[str, int]:
    """Start activities with the number of cases starting with each (pm4py.get_start_activities)."""
    q = LogQuery(log)
    return name_counts(q.rows(START_SQL), q.names())


def get_end_activities(log: EventLog) -> dict[str, int]:
    """End activities with the number of cases ending with each (pm4py.get_end_activities)."""
    q = LogQuery(log)
    return name_counts(q.rows(END_SQL), q.names())
