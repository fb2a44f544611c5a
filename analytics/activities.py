"""Activity statistics: occurrences, cases, repetitions and service times per activity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import DurationStats, LogQuery
from analytics.performance import SERVICE_SQL
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

#: Per activity: occurrences, cases, repeats beyond the first per case, cases with a repeat, self-loops.
PER_ACTIVITY_SQL = f"""
SELECT p.{s.ACTIVITY_CODE}, sum(p.n), count(*), sum(p.n - 1), count(*) FILTER (WHERE p.n > 1), sum(p.loops)
FROM (
    SELECT {s.CASE_INDEX}, {s.ACTIVITY_CODE}, count(*) AS n,
           count(*) FILTER (WHERE {s.NEXT_ACTIVITY_CODE} = {s.ACTIVITY_CODE}) AS loops
    FROM e GROUP BY {s.CASE_INDEX}, {s.ACTIVITY_CODE}
) p
GROUP BY p.{s.ACTIVITY_CODE}
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class ActivityStats:
    """One activity: ``occurrences`` in ``cases`` cases; ``rework_occurrences`` counts every occurrence
    after the first in a case; ``service`` is None when no occurrence has a start timestamp."""

    activity: str
    occurrences: int
    cases: int
    rework_occurrences: int
    service: DurationStats | None


@dataclass(frozen=True, slots=True)
class ActivityStatistics:
    """Statistics of every activity, most frequent first."""

    activities: tuple[ActivityStats, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per activity; service-time columns ``service_*`` where start timestamps exist."""
        import pandas as pd

        rows = []
        for a in self.activities:
            row = {
                "activity": a.activity,
                "occurrences": a.occurrences,
                "cases": a.cases,
                "rework_occurrences": a.rework_occurrences,
            }
            if a.service is not None:
                row.update(a.service.as_dict("service_"))
            rows.append(row)
        return pd.DataFrame(rows)


def get_activity_statistics(log: EventLog) -> ActivityStatistics:
    """Occurrences, cases, rework occurrences and service-time statistics per activity.

    Args:
        log: the event log.

    Returns:
        One `ActivityStats` per activity, ordered by occurrences (descending), then name.
    """
    q = LogQuery(log)
    names = q.names()
    service = {row[0]: DurationStats.from_row(row[1:]) for row in q.rows(SERVICE_SQL)}
    out = [
        ActivityStats(names[code], int(n), int(cases), int(repeats), service.get(code))
        for code, n, cases, repeats, _, _ in q.rows(PER_ACTIVITY_SQL)
    ]
    out.sort(key=lambda a: (-a.occurrences, a.activity))
    return ActivityStatistics(tuple(out))
