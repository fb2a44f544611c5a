"""Bottlenecks: transitions ranked by time lost waiting, slow activities and rework hot spots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics._query import DurationStats, LogQuery, stats_columns
from analytics.activities import PER_ACTIVITY_SQL
from analytics.performance import SERVICE_SQL
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

#: Per edge: cases in which it occurs, waiting-time statistics, the number of distinct edges; ranked by
#: total waiting time (codes are dense by name, so ties order by activity name).
TRANSITIONS_SQL = f"""
SELECT {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}, n_cases, n, lo, mean, med, p90, hi, total, n_transitions
FROM (
    SELECT {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}, count(DISTINCT {s.CASE_INDEX}) AS n_cases,
           count({s.NEXT_WAIT_US}) AS n, min({s.NEXT_WAIT_US}) AS lo, avg({s.NEXT_WAIT_US}) AS mean,
           median({s.NEXT_WAIT_US}) AS med, quantile_cont({s.NEXT_WAIT_US}, 0.9) AS p90,
           max({s.NEXT_WAIT_US}) AS hi, sum({s.NEXT_WAIT_US}) AS total, count(*) AS n_rows,
           count(*) OVER () AS n_transitions
    FROM e WHERE {s.NEXT_ACTIVITY_CODE} IS NOT NULL
    GROUP BY {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}
) t
ORDER BY total DESC NULLS LAST, n_rows DESC, {s.ACTIVITY_CODE}, {s.NEXT_ACTIVITY_CODE}
LIMIT $top
"""  # noqa: S608 - ORDER BY names select-list aliases only, so Spark resolves it too
#: Per activity: statistics of the waiting time before it (from the previous event of the case).
INCOMING_WAIT_SQL = f"""
SELECT {s.NEXT_ACTIVITY_CODE}, {stats_columns(s.NEXT_WAIT_US)}
FROM e WHERE {s.NEXT_ACTIVITY_CODE} IS NOT NULL GROUP BY {s.NEXT_ACTIVITY_CODE}
"""  # noqa: S608
CASE_COUNT_SQL = "SELECT count(*) FROM c"
_UNITS = (("days", 86400.0), ("hours", 3600.0), ("min", 60.0))


def format_duration(us: float | None) -> str:
    """A duration in human units: ``45 s``, ``12.0 min``, ``3.2 hours``, ``4.5 days``, ``1,234 days``.

    Example:
        >>> format_duration(3.2 * 86400e6), format_duration(1234 * 86400e6), format_duration(None)
        ('3.2 days', '1,234 days', '-')
    """
    if us is None or math.isnan(us):
        return "-"
    sec = us / 1e6
    for unit, size in _UNITS:
        if abs(sec) >= size:
            value = sec / size
            return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:.1f} {unit}"
    return f"{sec:.0f} s"


def _percent(share: float) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


@dataclass(frozen=True, slots=True)
class Transition:
    """One directly-follows transition ``source -> target`` and the waiting time on it.

    ``waiting`` is the time from ``source``'s (complete) timestamp to ``target``'s start (its timestamp
    when it has none), in microseconds, one value per occurrence; ``cases`` counts the cases in which the
    transition occurs at least once and ``case_share`` their share of the selected cases.
    """

    source: str
    target: str
    frequency: int
    cases: int
    case_share: float
    waiting: DurationStats

    @property
    def total_lost_us(self) -> int:
        """Total time lost: the sum of the waiting time over all occurrences (microseconds)."""
        return self.waiting.sum_us or 0

    def finding(self) -> str:
        """This transition in one plain-language sentence."""
        return (
            f"{self.source} -> {self.target} waits a median {format_duration(self.waiting.median_us)} "
            f"(p90 {format_duration(self.waiting.p90_us)}) in {_percent(self.case_share)} of cases; "
            f"{format_duration(self.total_lost_us)} lost in total"
        )


@dataclass(frozen=True, slots=True)
class ActivityBottleneck:
    """One activity: the waiting time before it (from the previous event; None when it never has a
    predecessor) and its service (processing) time (None without start timestamps); its sojourn time is
    the two together."""

    activity: str
    occurrences: int
    cases: int
    incoming_wait: DurationStats | None
    service: DurationStats | None


@dataclass(frozen=True, slots=True)
class ReworkHotSpot:
    """One activity repeated within cases: ``cases`` affected (and their ``case_share``), ``extra``
    executions beyond the first per case, and ``self_loops`` (the activity directly followed by itself)."""

    activity: str
    cases: int
    case_share: float
    extra: int
    self_loops: int


def _total(stats: DurationStats | None) -> int:
    return -1 if stats is None or stats.sum_us is None else stats.sum_us


@dataclass(frozen=True, slots=True)
class Bottlenecks:
    """Where a process loses time: transitions, activities and rework of the selected cases.

    ``transitions`` are the top transitions by total time lost (sum of waiting time over all
    occurrences, i.e. waiting time x occurrences), ``total_transitions`` how many distinct ones exist;
    ``activities`` are ranked by total waiting time before them (`by_service` ranks by processing time);
    ``rework`` by cases affected.
    """

    transitions: tuple[Transition, ...]
    total_transitions: int
    activities: tuple[ActivityBottleneck, ...]
    rework: tuple[ReworkHotSpot, ...]
    cases: int
    has_start_timestamps: bool

    def by_service(self) -> tuple[ActivityBottleneck, ...]:
        """Activities with start timestamps ranked by total service time, then by name."""
        timed = [a for a in self.activities if a.service is not None]
        return tuple(sorted(timed, key=lambda a: (-_total(a.service), a.activity)))

    def findings(self, n: int = 5) -> list[str]:
        """One sentence for each of the ``n`` transitions losing the most time (none for zero losses)."""
        return [t.finding() for t in self.transitions[:n] if t.total_lost_us > 0]

    def to_frame(self) -> pd.DataFrame:
        """Transitions: source, target, frequency, cases, case_share, the waiting statistics, total_lost_us."""
        import pandas as pd

        rows = [
            {
                "source": t.source,
                "target": t.target,
                "frequency": t.frequency,
                "cases": t.cases,
                "case_share": t.case_share,
                "median_wait_us": t.waiting.median_us,
                "p90_wait_us": t.waiting.p90_us,
                "mean_wait_us": t.waiting.mean_us,
                "max_wait_us": t.waiting.max_us,
                "total_lost_us": t.total_lost_us,
            }
            for t in self.transitions
        ]
        return pd.DataFrame(rows, columns=_TRANSITION_COLUMNS)

    def activities_frame(self) -> pd.DataFrame:
        """Activities: occurrences, cases, ``wait_*`` (before the activity) and ``service_*`` columns."""
        import pandas as pd

        empty = DurationStats.from_row([0, None, None, None, None, None, None])
        rows = [
            {
                "activity": a.activity,
                "occurrences": a.occurrences,
                "cases": a.cases,
                **(a.incoming_wait or empty).as_dict("wait_"),
                **(a.service or empty).as_dict("service_"),
            }
            for a in self.activities
        ]
        return pd.DataFrame(rows)

    def rework_frame(self) -> pd.DataFrame:
        """Rework hot spots: activity, cases, case_share, extra, self_loops."""
        import pandas as pd

        cols = ["activity", "cases", "case_share", "extra", "self_loops"]
        return pd.DataFrame(
            [(r.activity, r.cases, r.case_share, r.extra, r.self_loops) for r in self.rework], columns=cols
        )


_TRANSITION_COLUMNS = [
    "source",
    "target",
    "frequency",
    "cases",
    "case_share",
    "median_wait_us",
    "p90_wait_us",
    "mean_wait_us",
    "max_wait_us",
    "total_lost_us",
]


def _transitions(q: LogQuery, names: dict[int, str], cases: int, top: int | None) -> tuple[list, int]:
    out, total = [], 0
    for row in q.rows(TRANSITIONS_SQL, {"top": top}):
        wait = DurationStats.from_row(row[3:10])
        share = row[2] / cases if cases else 0.0
        out.append(Transition(names[row[0]], names[row[1]], wait.count, int(row[2]), share, wait))
        total = int(row[10])
    return out, total


def _activities(q: LogQuery, names: dict[int, str], per_activity: list[tuple]) -> list[ActivityBottleneck]:
    waits = {row[0]: DurationStats.from_row(row[1:]) for row in q.rows(INCOMING_WAIT_SQL)}
    service = {row[0]: DurationStats.from_row(row[1:]) for row in q.rows(SERVICE_SQL)}
    out = [
        ActivityBottleneck(names[code], int(n), int(n_cases), waits.get(code), service.get(code))
        for code, n, n_cases, *_ in per_activity
    ]
    out.sort(key=lambda a: (-_total(a.incoming_wait), a.activity))
    return out


def _rework(names: dict[int, str], per_activity: list[tuple], cases: int) -> list[ReworkHotSpot]:
    out = [
        ReworkHotSpot(names[code], int(rc), rc / cases if cases else 0.0, int(extra), int(loops))
        for code, _, _, extra, rc, loops in per_activity
        if rc
    ]
    out.sort(key=lambda r: (-r.cases, -r.extra, r.activity))
    return out


def get_bottlenecks(log: EventLog, *, top: int | None = 20) -> Bottlenecks:
    """Transitions ranked by total time lost, activities by the waiting before them, and rework hot spots.

    Total time lost on a transition is the sum of its waiting time over all occurrences ("waiting time x
    cases"): the next event's start (its timestamp without one) minus the previous event's timestamp.

    Args:
        log: the event log (its filters apply).
        top: how many transitions to keep (None for all).

    Returns:
        A `Bottlenecks` result; ``findings()`` phrases the top transitions as sentences.

    Example:
        >>> get_bottlenecks(ws.log("loans_before")).findings(1)  # doctest: +SKIP
        ['Approve -> Pay waits a median 3.2 days (p90 9.1 days) in 41% of cases; 1,234 days lost in total']
    """
    q = LogQuery(log)
    names = q.names()
    cases = int(q.rows(CASE_COUNT_SQL)[0][0])
    transitions, total = _transitions(q, names, cases, top)
    per_activity = q.rows(PER_ACTIVITY_SQL)
    return Bottlenecks(
        tuple(transitions),
        total,
        tuple(_activities(q, names, per_activity)),
        tuple(_rework(names, per_activity, cases)),
        cases,
        q.has_start_timestamps(),
    )
