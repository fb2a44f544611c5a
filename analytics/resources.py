"""Resources: workload per resource and handovers of work between resources within cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import DurationStats, LogQuery, stats_columns
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

RESOURCE_SQL = f"""
SELECT {s.RESOURCE}, count(*), count(DISTINCT {s.CASE_INDEX}), count(DISTINCT {s.ACTIVITY_CODE}),
       {stats_columns(s.SERVICE_US)}
FROM e WHERE {s.RESOURCE} IS NOT NULL GROUP BY {s.RESOURCE}
"""  # noqa: S608
HANDOVER_SQL = f"""
SELECT a.{s.RESOURCE}, b.{s.RESOURCE}, count(*), count(DISTINCT a.{s.CASE_INDEX})
FROM e a JOIN e b ON b.{s.CASE_INDEX} = a.{s.CASE_INDEX} AND b.{s.POSITION} = a.{s.POSITION} + 1
WHERE a.{s.RESOURCE} IS NOT NULL AND b.{s.RESOURCE} IS NOT NULL
  AND ($include_self OR a.{s.RESOURCE} <> b.{s.RESOURCE})
GROUP BY a.{s.RESOURCE}, b.{s.RESOURCE}
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class ResourceStats:
    """One resource: events it performed, cases and distinct activities it touched, service times
    (``service.count`` is 0 without start timestamps)."""

    resource: str
    events: int
    cases: int
    activities: int
    service: DurationStats


@dataclass(frozen=True, slots=True)
class ResourceStatistics:
    """Per-resource statistics, busiest first; events without a resource are left out."""

    resources: tuple[ResourceStats, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per resource: resource, events, cases, activities, service_* columns."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"resource": r.resource, "events": r.events, "cases": r.cases, "activities": r.activities}
                | r.service.as_dict("service_")
                for r in self.resources
            ]
        )


@dataclass(frozen=True, slots=True)
class Handover:
    """Work passing from ``source`` to ``target`` (directly following events of one case)."""

    source: str
    target: str
    count: int
    cases: int


@dataclass(frozen=True, slots=True)
class Handovers:
    """Handovers between resources, most frequent first."""

    handovers: tuple[Handover, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per resource pair: source, target, count, cases."""
        import pandas as pd

        cols = ["source", "target", "count", "cases"]
        return pd.DataFrame([(h.source, h.target, h.count, h.cases) for h in self.handovers], columns=cols)


def get_resource_statistics(log: EventLog) -> ResourceStatistics:
    """Events, cases, distinct activities and service times per resource.

    Args:
        log: the event log.

    Returns:
        One `ResourceStats` per resource, ordered by events (descending), then name.
    """
    rows = LogQuery(log).rows(RESOURCE_SQL)
    out = [
        ResourceStats(r, int(n), int(nc), int(na), DurationStats.from_row(rest))
        for r, n, nc, na, *rest in rows
    ]
    out.sort(key=lambda r: (-r.events, r.resource))
    return ResourceStatistics(tuple(out))


def get_handovers(log: EventLog, *, include_self: bool = False) -> Handovers:
    """Counts of work passing from one resource to the resource of the next event in the same case.

    Args:
        log: the event log.
        include_self: also count a resource followed by itself (not a handover in the usual sense).

    Returns:
        Resource pairs with the number of handovers and of cases they occur in.
    """
    rows = LogQuery(log).rows(HANDOVER_SQL, {"include_self": include_self})
    out = [Handover(a, b, int(n), int(nc)) for a, b, n, nc in rows]
    out.sort(key=lambda h: (-h.count, h.source, h.target))
    return Handovers(tuple(out))
