"""SLA timers of a target model checked on a log: breaches, escalations, false alarms and overdue open cases.

Per timer, every occurrence of its task is measured from its activation to the clock stop, in a working
calendar (calendar time by default):

* activation: the completion of the last ``start_after`` event before the task (event order); with no
  ``start_after``, the completion of the case's preceding event that is not an escalation activity.
  Task occurrences without one are counted as ``not_activated`` and not measured.
* stop: the task's completion (``until="complete"``) or its start (``until="start"``; its timestamp when
  the event has no start).
* breached: working time from activation to stop is longer than the timer's duration (the timer should
  have fired). For a cycle timer (``R3/PT1H``) the first firing is checked.
* escalations belonging to an occurrence: escalation activities after its activation event and before the
  next occurrence of the task in the case (event order). ``escalated``: one completed no later than the
  clock stop (the timer fired while the task was pending); ``escalated_late``: only after the stop.
* open: the case's last ``start_after`` event was followed by nothing but escalations, so the task is still
  pending at ``as_of`` (default: the log's last timestamp); ``overdue`` when the timer has run out by then.
  Open cases need ``start_after``: without it nothing says the task is the next step.
* interrupting timers (with ``start_after``): a case whose last activation is followed by an escalation
  and then by other steps but never by the task took the escalation path instead of the task (the timer
  fired and cancelled it). Such a case is one more row, ``interrupted``, whose clock stops at the first
  escalation; it counts as breached when that is later than the duration, and as escalated.

Case counts (a case with several occurrences may count in several breach categories):
``breach_cases`` = ``breached_and_escalated`` + ``breached_escalated_late`` + ``breached_not_escalated``
when each case has one occurrence. ``escalated_cases`` counts cases with an escalation belonging to an
occurrence or an open wait, ``escalated_without_breach`` cases with an escalated occurrence that did not
breach (early or false alarms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from analytics._query import DurationStats, LogQuery, stats_columns
from analytics.working_calendar import WorkingCalendar, to_utc_us
from baton import schema as s
from baton.errors import ModelError
from baton.models.types import SlaTimer

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

_ACTIVATOR = (
    f"({s.ACTIVITY_CODE} = $after OR ($any_before AND NOT list_contains($escalation, {s.ACTIVITY_CODE})))"
)
_PRECEDING = (
    f"(PARTITION BY {s.CASE_INDEX} ORDER BY {s.POSITION} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
)
OCCURRENCES_SQL = f"""
, marked AS (
    SELECT {s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.TIMESTAMP},
           coalesce({s.START_TIMESTAMP}, {s.TIMESTAMP}) AS started,
           last_value(CASE WHEN {_ACTIVATOR} THEN {s.TIMESTAMP} END IGNORE NULLS) OVER {_PRECEDING} AS activation,
           last_value(CASE WHEN {_ACTIVATOR} THEN {s.POSITION} END IGNORE NULLS) OVER {_PRECEDING} AS activation_pos
    FROM e
), occ AS (
    SELECT *, CASE WHEN $until_start THEN started ELSE {s.TIMESTAMP} END AS stop,
           lead({s.POSITION}) OVER (PARTITION BY {s.CASE_INDEX} ORDER BY {s.POSITION}) AS next_pos,
           row_number() OVER (PARTITION BY {s.CASE_INDEX} ORDER BY {s.POSITION}) AS occurrence
    FROM marked WHERE {s.ACTIVITY_CODE} = $task
)
SELECT c.{s.CASE_ID}, o.occurrence, o.activation, o.stop,
       coalesce(bool_or(x.{s.TIMESTAMP} <= o.stop), false) AS escalated,
       coalesce(bool_or(x.{s.TIMESTAMP} > o.stop), false) AS escalated_late
FROM occ o
JOIN c ON c.{s.CASE_INDEX} = o.{s.CASE_INDEX}
LEFT JOIN e x ON x.{s.CASE_INDEX} = o.{s.CASE_INDEX} AND list_contains($escalation, x.{s.ACTIVITY_CODE})
     AND x.{s.POSITION} > o.activation_pos AND (o.next_pos IS NULL OR x.{s.POSITION} < o.next_pos)
GROUP BY c.{s.CASE_INDEX}, c.{s.CASE_ID}, o.{s.POSITION}, o.occurrence, o.activation, o.stop
ORDER BY c.{s.CASE_INDEX}, o.{s.POSITION}
"""  # noqa: S608 - identifiers from baton.schema; values bound
OPEN_SQL = f"""
, last_act AS (
    SELECT {s.CASE_INDEX}, max({s.POSITION}) AS pos FROM e WHERE {s.ACTIVITY_CODE} = $after GROUP BY {s.CASE_INDEX}
)
SELECT c.{s.CASE_ID}, a.{s.TIMESTAMP} AS activation,
       EXISTS (SELECT 1 FROM e x WHERE x.{s.CASE_INDEX} = l.{s.CASE_INDEX} AND x.{s.POSITION} > l.pos
               AND list_contains($escalation, x.{s.ACTIVITY_CODE})) AS escalated
FROM last_act l
JOIN e a ON a.{s.CASE_INDEX} = l.{s.CASE_INDEX} AND a.{s.POSITION} = l.pos
JOIN c ON c.{s.CASE_INDEX} = l.{s.CASE_INDEX}
WHERE NOT EXISTS (SELECT 1 FROM e x WHERE x.{s.CASE_INDEX} = l.{s.CASE_INDEX} AND x.{s.POSITION} > l.pos
                  AND NOT list_contains($escalation, x.{s.ACTIVITY_CODE}))
ORDER BY c.{s.CASE_INDEX}
"""  # noqa: S608
INTERRUPTED_SQL = f"""
, last_act AS (
    SELECT {s.CASE_INDEX}, max({s.POSITION}) AS pos FROM e WHERE {s.ACTIVITY_CODE} = $after GROUP BY {s.CASE_INDEX}
), after_act AS (
    SELECT l.{s.CASE_INDEX}, x.{s.ACTIVITY_CODE}, x.{s.TIMESTAMP}
    FROM last_act l JOIN e x ON x.{s.CASE_INDEX} = l.{s.CASE_INDEX} AND x.{s.POSITION} > l.pos
)
SELECT c.{s.CASE_ID}, a.{s.TIMESTAMP} AS activation,
       min(x.{s.TIMESTAMP}) FILTER (WHERE list_contains($escalation, x.{s.ACTIVITY_CODE})) AS stop
FROM last_act l
JOIN e a ON a.{s.CASE_INDEX} = l.{s.CASE_INDEX} AND a.{s.POSITION} = l.pos
JOIN c ON c.{s.CASE_INDEX} = l.{s.CASE_INDEX}
JOIN after_act x ON x.{s.CASE_INDEX} = l.{s.CASE_INDEX}
GROUP BY c.{s.CASE_INDEX}, c.{s.CASE_ID}, a.{s.TIMESTAMP}
HAVING bool_or(list_contains($escalation, x.{s.ACTIVITY_CODE}))
   AND bool_or(NOT list_contains($escalation, x.{s.ACTIVITY_CODE}))
   AND NOT bool_or(x.{s.ACTIVITY_CODE} = $task)
ORDER BY c.{s.CASE_INDEX}
"""  # noqa: S608
LOG_END_SQL = f"SELECT max({s.TIMESTAMP}) FROM e"  # noqa: S608
_MEASURED = "NOT open AND activation IS NOT NULL"
SUMMARY_SQL = f"""
SELECT count(*) FILTER (WHERE {_MEASURED}),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED}),
       count(*) FILTER (WHERE activation IS NULL),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED} AND breached),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED} AND breached AND escalated),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED} AND breached AND NOT escalated AND escalated_late),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED} AND breached AND NOT escalated AND NOT escalated_late),
       count(DISTINCT case_id) FILTER (WHERE escalated OR escalated_late),
       count(DISTINCT case_id) FILTER (WHERE {_MEASURED} AND NOT breached AND (escalated OR escalated_late)),
       count(DISTINCT case_id) FILTER (WHERE open),
       count(DISTINCT case_id) FILTER (WHERE open AND breached),
       count(DISTINCT case_id) FILTER (WHERE open AND breached AND escalated),
       count(DISTINCT case_id) FILTER (WHERE interrupted)
FROM sla_rows
"""  # noqa: S608 - only constant text is formatted in
ELAPSED_SQL = f"SELECT {stats_columns('elapsed_us')} FROM sla_rows WHERE {_MEASURED}"  # noqa: S608
_COUNTS = (
    "occurrences",
    "cases",
    "not_activated",
    "breach_cases",
    "breached_and_escalated",
    "breached_escalated_late",
    "breached_not_escalated",
    "escalated_cases",
    "escalated_without_breach",
    "open_cases",
    "open_overdue_cases",
    "open_overdue_escalated",
    "interrupted_cases",
)


@dataclass(frozen=True, slots=True)
class SlaResult:
    """One timer checked on a log (definitions in the module docstring); ``details`` has one row per
    task occurrence, open wait and interrupted case: case_id, occurrence, activation, stop, due,
    elapsed_us, breached, escalated, escalated_late, open, interrupted."""

    timer: SlaTimer
    occurrences: int
    cases: int
    not_activated: int
    breach_cases: int
    breached_and_escalated: int
    breached_escalated_late: int
    breached_not_escalated: int
    escalated_cases: int
    escalated_without_breach: int
    open_cases: int
    open_overdue_cases: int
    open_overdue_escalated: int
    interrupted_cases: int
    elapsed: DurationStats
    as_of: datetime | None
    details: pa.Table

    @property
    def breach_share(self) -> float:
        """Breached cases over measured cases (0.0 without any)."""
        return self.breach_cases / self.cases if self.cases else 0.0

    def cases_frame(self) -> pd.DataFrame:
        """The per-occurrence drill-down table as a DataFrame (timestamps UTC)."""
        return self.details.to_pandas()

    def as_dict(self) -> dict[str, Any]:
        """The counts and elapsed-time statistics as one flat row."""
        t = self.timer
        head = {"timer": t.id, "task": t.task, "duration_s": t.duration.total_seconds(), "until": t.until}
        return head | {k: getattr(self, k) for k in _COUNTS} | self.elapsed.as_dict("elapsed_")


@dataclass(frozen=True, slots=True)
class SlaReport:
    """SLA results per timer, in the order the timers were given, and the calendar they were measured in."""

    results: tuple[SlaResult, ...]
    calendar: WorkingCalendar

    def to_frame(self) -> pd.DataFrame:
        """One row per timer: counts and elapsed_* statistics (microseconds)."""
        import pandas as pd

        return pd.DataFrame([r.as_dict() for r in self.results])


def check_sla(
    log: EventLog,
    timers: Sequence[SlaTimer],
    *,
    calendar: WorkingCalendar | None = None,
    as_of: datetime | None = None,
) -> SlaReport:
    """Check each SLA timer on the log: which cases breached it, and whether the escalation path was taken.

    Args:
        log: the event log.
        timers: the model's timers (`TargetModel.timers`).
        calendar: working time to measure in; None is calendar time (24/7).
        as_of: when open cases are judged; None is the log's last timestamp.

    Returns:
        An `SlaReport` with one `SlaResult` per timer (definitions in the module docstring).

    Raises:
        ModelError: a timer has a duration that is not positive.
    """
    cal = calendar or WorkingCalendar.always()
    q = LogQuery(log)
    codes = {name: code for code, name in q.names().items()}
    end = as_of if as_of is not None else q.rows(LOG_END_SQL)[0][0]
    return SlaReport(tuple(_check_timer(q, codes, t, cal, end) for t in timers), cal)


def _check_timer(
    q: LogQuery, codes: dict[str, int], timer: SlaTimer, cal: WorkingCalendar, as_of: datetime | None
) -> SlaResult:
    """Measure one timer's occurrences and open waits, then count them in SQL."""
    budget_us = timer.duration // timedelta(microseconds=1)
    if budget_us <= 0:
        raise ModelError(
            f"SLA timer {timer.id!r} ({timer.source or 'no source'}) has duration {timer.duration}; "
            "expected a positive duration such as P2D"
        )
    escalation = [codes[a] for a in timer.escalation if a in codes] or [-1]
    params: dict[str, Any] = {
        "task": codes.get(timer.task, -1),
        "after": None if timer.start_after is None else codes.get(timer.start_after, -1),
        "any_before": timer.start_after is None,
        "escalation": escalation,
        "until_start": timer.until == "start",
    }
    parts = [_measure(q.arrow(OCCURRENCES_SQL, params), cal, budget_us, open_rows=False)]
    if timer.start_after is not None and as_of is not None:
        waiting = q.arrow(OPEN_SQL, {"after": params["after"], "escalation": escalation})
        parts.append(_measure(_open_rows(waiting, as_of), cal, budget_us, open_rows=True))
    if timer.start_after is not None and timer.interrupting:
        cut = q.arrow(INTERRUPTED_SQL, {k: params[k] for k in ("after", "escalation", "task")})
        parts.append(_measure(_interrupted_rows(cut), cal, budget_us, open_rows=False, interrupted=True))
    occ = pa.concat_tables(parts)
    q.local.register("sla_rows", occ)
    try:
        counts = q.local.execute(SUMMARY_SQL).fetchall()[0]
        elapsed = DurationStats.from_row(q.local.execute(ELAPSED_SQL).fetchall()[0])
    finally:
        q.local.unregister("sla_rows")
    values = {k: int(v) for k, v in zip(_COUNTS, counts, strict=True)}
    return SlaResult(timer, **values, elapsed=elapsed, as_of=as_of, details=occ)


def _open_rows(waiting: pa.Table, as_of: datetime) -> pa.Table:
    """Open waits in the occurrence table's shape: clock still running at ``as_of``, no stop yet."""
    n = waiting.num_rows
    ts_type = waiting.schema.field("activation").type
    return pa.table(
        {
            s.CASE_ID: waiting[s.CASE_ID],
            "occurrence": pa.array([None] * n, pa.int64()),
            "activation": waiting["activation"],
            "stop": pa.array([None] * n, ts_type),
            "escalated": waiting["escalated"],
            "escalated_late": pa.array([False] * n, pa.bool_()),
            "as_of": pa.array([as_of] * n, ts_type),
        }
    )


def _interrupted_rows(cut: pa.Table) -> pa.Table:
    """Cases the timer interrupted, in the occurrence table's shape: the clock stops at the escalation."""
    n = cut.num_rows
    return pa.table(
        {
            s.CASE_ID: cut[s.CASE_ID],
            "occurrence": pa.array([None] * n, pa.int64()),
            "activation": cut["activation"],
            "stop": cut["stop"],
            "escalated": pa.array([True] * n, pa.bool_()),
            "escalated_late": pa.array([False] * n, pa.bool_()),
        }
    )


def _measure(
    rows: pa.Table, cal: WorkingCalendar, budget_us: int, *, open_rows: bool, interrupted: bool = False
) -> pa.Table:
    """Add due, elapsed_us, breached and open: working time from activation to stop (or ``as_of``)."""
    start, has_start = to_utc_us(rows["activation"])
    stop, _ = to_utc_us(rows["as_of"] if open_rows else rows["stop"])
    elapsed = np.zeros(rows.num_rows, dtype=np.int64)
    due = np.zeros(rows.num_rows, dtype=np.int64)
    if has_start.any():
        elapsed[has_start] = cal.working_us(start[has_start], stop[has_start])
        due[has_start] = cal.deadline(start[has_start], budget_us / 1e6).astype(np.int64)
    ts_type = pa.timestamp("us", tz="UTC")
    base = rows.select([s.CASE_ID, "occurrence", "activation", "stop", "escalated", "escalated_late"])
    return pa.table(
        {
            s.CASE_ID: base[s.CASE_ID],
            "occurrence": base["occurrence"].cast(pa.int64()),
            "activation": base["activation"].cast(ts_type),
            "stop": base["stop"].cast(ts_type),
            "due": pa.array(due, ts_type, mask=~has_start),
            "elapsed_us": pa.array(elapsed, pa.int64(), mask=~has_start),
            "breached": pa.array(has_start & (elapsed > budget_us)),
            "escalated": base["escalated"],
            "escalated_late": base["escalated_late"],
            "open": pa.array(np.full(rows.num_rows, open_rows)),
            "interrupted": pa.array(np.full(rows.num_rows, interrupted)),
        }
    )


__all__ = ["SlaReport", "SlaResult", "check_sla"]
