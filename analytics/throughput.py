"""Throughput over calendar periods: cases started, completed and in progress at each period's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from analytics._query import LogQuery

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

Period = Literal["day", "week", "month"]
_STEPS: dict[str, str] = {"day": "1 day", "week": "7 days", "month": "1 month"}

# Periods are UTC calendar periods (weeks start on Monday). started/completed are counted in the period
# of the case's start_time / end_time; work in progress at a period's end = started so far - completed so far.
THROUGHPUT_SQL = """
SELECT p.period_start, coalesce(st.n, 0), coalesce(en.n, 0),
       sum(coalesce(st.n, 0) - coalesce(en.n, 0)) OVER (ORDER BY p.period_start) AS wip
FROM (
    SELECT unnest(range(date_trunc($period, min(start_time)), date_trunc($period, max(end_time))
                        + CAST($step AS INTERVAL), CAST($step AS INTERVAL))) AS period_start
    FROM c
) p
LEFT JOIN (SELECT date_trunc($period, start_time) AS ps, count(*) AS n FROM c GROUP BY ps) st
       ON st.ps = p.period_start
LEFT JOIN (SELECT date_trunc($period, end_time) AS ps, count(*) AS n FROM c GROUP BY ps) en
       ON en.ps = p.period_start
ORDER BY p.period_start
"""


@dataclass(frozen=True, slots=True)
class PeriodThroughput:
    """One period: cases started and completed in it, and cases in progress at its end."""

    period_start: datetime
    started: int
    completed: int
    in_progress: int


@dataclass(frozen=True, slots=True)
class Throughput:
    """Throughput per period from the first case's start to the last case's end (empty periods included).

    A case counts as started in the period of its first event (``start_time``: earliest start or
    timestamp) and as completed in the period of its last event (``end_time``). A log cannot tell
    whether a case is still running, so every case is treated as completed at its last recorded event:
    work in progress at the end of the last period is therefore always 0.
    """

    period: str
    periods: tuple[PeriodThroughput, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per period: period_start (UTC), started, completed, in_progress."""
        import pandas as pd

        cols = ["period_start", "started", "completed", "in_progress"]
        rows = [(p.period_start, p.started, p.completed, p.in_progress) for p in self.periods]
        return pd.DataFrame(rows, columns=cols)


def get_throughput(log: EventLog, *, period: Period = "day") -> Throughput:
    """Cases started, completed and in progress per UTC day, ISO week (from Monday) or calendar month.

    Args:
        log: the event log.
        period: ``"day"``, ``"week"`` or ``"month"``.

    Returns:
        One `PeriodThroughput` per period, oldest first; see `Throughput` for the definitions.

    Raises:
        ValueError: for another period name.
    """
    if period not in _STEPS:
        raise ValueError(f"period {period!r} is not supported; use 'day', 'week' or 'month'")
    q = LogQuery(log)
    rows = q.rows(THROUGHPUT_SQL, {"period": period, "step": _STEPS[period]})
    return Throughput(period, tuple(PeriodThroughput(ps, int(a), int(b), int(w)) for ps, a, b, w in rows))
