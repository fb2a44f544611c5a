"""Rework: activities that repeat within a case, and direct self-loops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import LogQuery
from analytics.activities import PER_ACTIVITY_SQL

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

CASES_SQL = "SELECT count(*), count(*) FILTER (WHERE has_rework) FROM c"


@dataclass(frozen=True, slots=True)
class ActivityRework:
    """Rework of one activity: ``cases`` in which it occurs more than once, ``repeats`` (occurrences
    after the first in each case) and ``self_loops`` (the activity directly followed by itself)."""

    activity: str
    cases: int
    repeats: int
    self_loops: int


@dataclass(frozen=True, slots=True)
class Rework:
    """Rework per activity (only activities that repeat), most affected cases first."""

    activities: tuple[ActivityRework, ...]
    cases: int
    cases_with_rework: int

    @property
    def share(self) -> float:
        """Share of cases with any rework (0.0 for an empty selection)."""
        return self.cases_with_rework / self.cases if self.cases else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per repeating activity: activity, cases, repeats, self_loops."""
        import pandas as pd

        cols = ["activity", "cases", "repeats", "self_loops"]
        return pd.DataFrame(
            [(a.activity, a.cases, a.repeats, a.self_loops) for a in self.activities], columns=cols
        )


def get_rework(log: EventLog) -> Rework:
    """Activities repeated within cases: cases affected, repeat counts and self-loops.

    Args:
        log: the event log.

    Returns:
        Per activity with at least one repeat; the total and reworked case counts.
    """
    q = LogQuery(log)
    names = q.names()
    out = [
        ActivityRework(names[code], int(rc), int(repeats), int(loops))
        for code, _, _, repeats, rc, loops in q.rows(PER_ACTIVITY_SQL)
        if rc
    ]
    out.sort(key=lambda a: (-a.cases, -a.repeats, a.activity))
    total, reworked = q.rows(CASES_SQL)[0]
    return Rework(tuple(out), int(total), int(reworked))
