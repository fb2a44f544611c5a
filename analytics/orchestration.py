"""Orchestration checks from a target model: four-eyes rules, retry limits, human vs system time, handoffs.

SLA timers live in `analytics.orchestration_sla` (`check_sla`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics._query import DurationStats, LogQuery, stats_columns
from baton import schema as s
from baton.errors import ModelError
from baton.models.types import FourEyesRule, RetryPolicy, TargetModel

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

_SAME_RESOURCE = f"""
, hits AS (
    SELECT a.{s.CASE_INDEX}, min(a.{s.RESOURCE}) AS resource
    FROM e a JOIN e b ON b.{s.CASE_INDEX} = a.{s.CASE_INDEX} AND b.{s.RESOURCE} = a.{s.RESOURCE}
         AND b.{s.POSITION} <> a.{s.POSITION}
    WHERE a.{s.ACTIVITY_CODE} = $first AND b.{s.ACTIVITY_CODE} = $second AND a.{s.RESOURCE} IS NOT NULL
    GROUP BY a.{s.CASE_INDEX}
)"""  # noqa: S608 - identifiers from baton.schema; values bound
FOUR_EYES_COUNT_SQL = f"""{_SAME_RESOURCE}
, checked AS (
    SELECT {s.CASE_INDEX} FROM e GROUP BY {s.CASE_INDEX}
    HAVING sum(CASE WHEN {s.ACTIVITY_CODE} = $first THEN 1 ELSE 0 END) >= 1
       AND sum(CASE WHEN {s.ACTIVITY_CODE} = $second THEN 1 ELSE 0 END) >= CASE WHEN $first = $second THEN 2 ELSE 1 END
)
SELECT (SELECT count(*) FROM checked), (SELECT count(*) FROM hits)
"""  # noqa: S608
FOUR_EYES_EXAMPLES_SQL = f"""{_SAME_RESOURCE}
SELECT c.{s.CASE_ID}, h.resource FROM hits h JOIN c ON c.{s.CASE_INDEX} = h.{s.CASE_INDEX}
ORDER BY c.{s.CASE_INDEX} LIMIT $limit
"""  # noqa: S608
_ATTEMPTS = f"""
, per_case AS (
    SELECT {s.CASE_INDEX}, count(*) AS n FROM e WHERE {s.ACTIVITY_CODE} = $activity GROUP BY {s.CASE_INDEX}
)"""  # noqa: S608
RETRY_COUNT_SQL = f"""{_ATTEMPTS}
SELECT count(*), count(*) FILTER (WHERE n > $max_attempts), coalesce(max(n), 0) FROM per_case
"""  # noqa: S608
RETRY_EXAMPLES_SQL = f"""{_ATTEMPTS}
SELECT c.{s.CASE_ID}, p.n FROM per_case p JOIN c ON c.{s.CASE_INDEX} = p.{s.CASE_INDEX}
WHERE p.n > $max_attempts ORDER BY p.n DESC, c.{s.CASE_INDEX} LIMIT $limit
"""  # noqa: S608
_OWNED = f"""
, owned AS (
    SELECT {s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.NEXT_WAIT_US}, {s.SERVICE_US},
           CASE WHEN list_contains($human, {s.ACTIVITY_CODE}) THEN 'human'
                WHEN list_contains($system, {s.ACTIVITY_CODE}) THEN 'system' ELSE 'unknown' END AS owner
    FROM e
), timed AS (
    SELECT {s.ACTIVITY_CODE}, owner, {s.SERVICE_US} AS processing_us,
           lag({s.NEXT_WAIT_US}) OVER w AS waiting_us, lag(owner) OVER w AS previous_owner
    FROM owned WINDOW w AS (PARTITION BY {s.CASE_INDEX} ORDER BY {s.POSITION})
)"""  # noqa: S608
_TIMES = f"count(*), {stats_columns('waiting_us')}, {stats_columns('processing_us')}"
ACTIVITY_TIMES_SQL = (
    f"{_OWNED} SELECT {s.ACTIVITY_CODE}, owner, {_TIMES} FROM timed GROUP BY {s.ACTIVITY_CODE}, owner"  # noqa: S608
)
OWNER_TIMES_SQL = f"{_OWNED} SELECT owner, {_TIMES} FROM timed GROUP BY owner"  # noqa: S608
HANDOFF_SQL = f"""{_OWNED}
SELECT previous_owner, owner, count(*), {stats_columns("waiting_us")}
FROM timed WHERE previous_owner IS NOT NULL GROUP BY previous_owner, owner
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class FourEyesResult:
    """One rule: cases where both activities occur, of those the cases where one resource did both."""

    rule: FourEyesRule
    cases_checked: int
    violation_cases: int
    examples: tuple[tuple[str, str], ...]  # (case id, resource), in case order

    @property
    def share(self) -> float:
        """Violating cases over checked cases (0.0 when no case has both activities)."""
        return self.violation_cases / self.cases_checked if self.cases_checked else 0.0


@dataclass(frozen=True, slots=True)
class FourEyesReport:
    """Four-eyes results per rule, in the order given."""

    results: tuple[FourEyesResult, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: first, second, cases_checked, violation_cases, share."""
        import pandas as pd

        cols = ["first", "second", "cases_checked", "violation_cases", "share"]
        rows = [
            (r.rule.first, r.rule.second, r.cases_checked, r.violation_cases, r.share) for r in self.results
        ]
        return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True, slots=True)
class RetryResult:
    """One policy: cases with the activity, cases over the limit, and the worst offenders first."""

    policy: RetryPolicy
    cases_with_activity: int
    violation_cases: int
    max_attempts_seen: int
    examples: tuple[tuple[str, int], ...]  # (case id, attempts), most attempts first

    @property
    def worst_case(self) -> tuple[str, int] | None:
        """The case with the most attempts over the limit (first in case order on ties), or None."""
        return self.examples[0] if self.examples else None


@dataclass(frozen=True, slots=True)
class RetryReport:
    """Retry results per policy, in the order given."""

    results: tuple[RetryResult, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per policy: activity, max_attempts, cases_with_activity, violation_cases, worst case."""
        import pandas as pd

        rows = [
            {
                "activity": r.policy.activity,
                "max_attempts": r.policy.max_attempts,
                "cases_with_activity": r.cases_with_activity,
                "violation_cases": r.violation_cases,
                "max_attempts_seen": r.max_attempts_seen,
                "worst_case": r.worst_case[0] if r.worst_case else None,
            }
            for r in self.results
        ]
        return pd.DataFrame(rows)


def check_four_eyes(log: EventLog, rules: Sequence[FourEyesRule], *, examples: int = 10) -> FourEyesReport:
    """Cases where the same (non-null) resource performed both activities of a four-eyes rule.

    Any pair of occurrences counts, in either order; for a rule naming one activity twice, two different
    occurrences. Events without a resource never violate a rule.

    Args:
        log: the event log.
        rules: the model's rules (`TargetModel.four_eyes`).
        examples: how many (case id, resource) examples to keep per rule.

    Returns:
        A `FourEyesReport` with one `FourEyesResult` per rule.
    """
    q = LogQuery(log)
    codes = {name: code for code, name in q.names().items()}
    out = []
    for rule in rules:
        params = {"first": codes.get(rule.first, -1), "second": codes.get(rule.second, -1)}
        checked, violations = q.rows(FOUR_EYES_COUNT_SQL, params)[0]
        found = q.rows(FOUR_EYES_EXAMPLES_SQL, params | {"limit": examples})
        out.append(FourEyesResult(rule, int(checked), int(violations), tuple((c, r) for c, r in found)))
    return FourEyesReport(tuple(out))


def check_retries(log: EventLog, policies: Sequence[RetryPolicy], *, examples: int = 10) -> RetryReport:
    """Cases where an activity occurs more often than its retry policy allows.

    Args:
        log: the event log.
        policies: the model's policies (`TargetModel.retries`).
        examples: how many (case id, attempts) examples to keep per policy, most attempts first.

    Returns:
        A `RetryReport` with one `RetryResult` per policy.

    Raises:
        ModelError: a policy allows fewer than one attempt.
    """
    q = LogQuery(log)
    codes = {name: code for code, name in q.names().items()}
    out = []
    for policy in policies:
        if policy.max_attempts < 1:
            raise ModelError(
                f"retry policy for {policy.activity!r} allows {policy.max_attempts} attempts; expected 1 or more"
            )
        params = {"activity": codes.get(policy.activity, -1), "max_attempts": policy.max_attempts}
        with_activity, violations, worst = q.rows(RETRY_COUNT_SQL, params)[0]
        found = q.rows(RETRY_EXAMPLES_SQL, params | {"limit": examples})
        out.append(
            RetryResult(
                policy, int(with_activity), int(violations), int(worst), tuple((c, int(n)) for c, n in found)
            )
        )
    return RetryReport(tuple(out))


@dataclass(frozen=True, slots=True)
class OwnerTimes:
    """Waiting and processing times of the events of one owner type or one activity."""

    name: str  # the owner type (human/system/unknown) or the activity
    owner: str
    events: int
    waiting: DurationStats
    processing: DurationStats


@dataclass(frozen=True, slots=True)
class Handoff:
    """Directly-following events whose owners are ``source`` then ``target``; waiting is the target's."""

    source: str
    target: str
    count: int
    waiting: DurationStats


@dataclass(frozen=True, slots=True)
class HumanSystemTimes:
    """Waiting time before and processing time of events, per owner type and per activity, and handoffs.

    Waiting: from the preceding event's completion to the event's start (its completion when it has no
    start); none for a case's first event. Processing: start to completion, only where a start exists.
    """

    by_owner: tuple[OwnerTimes, ...]
    by_activity: tuple[OwnerTimes, ...]
    handoffs: tuple[Handoff, ...]

    def owner(self, name: str) -> OwnerTimes | None:
        """The times of one owner type (``human``, ``system`` or ``unknown``), None if it has no events."""
        return next((t for t in self.by_owner if t.name == name), None)

    def handoff(self, source: str, target: str) -> Handoff | None:
        """The handoff from one owner type to another, None if it never happens."""
        return next((h for h in self.handoffs if (h.source, h.target) == (source, target)), None)

    def to_frame(self) -> pd.DataFrame:
        """One row per activity: activity, owner, events, waiting_* and processing_* (microseconds)."""
        return _times_frame(self.by_activity, "activity")

    def owner_frame(self) -> pd.DataFrame:
        """One row per owner type, columns as in `to_frame`."""
        return _times_frame(self.by_owner, "owner_type")

    def handoff_frame(self) -> pd.DataFrame:
        """One row per owner pair: source, target, count and waiting_* statistics."""
        import pandas as pd

        rows = [
            {"source": h.source, "target": h.target, "count": h.count} | h.waiting.as_dict("waiting_")
            for h in self.handoffs
        ]
        return pd.DataFrame(rows)


def _times_frame(times: tuple[OwnerTimes, ...], key: str) -> pd.DataFrame:
    import pandas as pd

    rows: list[dict[str, Any]] = [
        {key: t.name, "owner": t.owner, "events": t.events}
        | t.waiting.as_dict("waiting_")
        | t.processing.as_dict("processing_")
        for t in times
    ]
    return pd.DataFrame(rows)


def get_human_system_times(log: EventLog, model: TargetModel) -> HumanSystemTimes:
    """Waiting and processing times grouped by who does the work (`TargetModel.owner_of`), and handoffs.

    Args:
        log: the event log.
        model: the target model saying which activities are human and which system work.

    Returns:
        `HumanSystemTimes`: per owner type and per activity (busiest first) and per owner pair.
    """
    q = LogQuery(log)
    names = q.names()
    owners = {code: model.owner_of(name) for code, name in names.items()}
    params = {
        "human": [c for c, o in owners.items() if o == "human"] or [-1],
        "system": [c for c, o in owners.items() if o == "system"] or [-1],
    }

    def times(name: str, owner: str, row: Sequence[Any]) -> OwnerTimes:
        return OwnerTimes(
            name, owner, int(row[0]), DurationStats.from_row(row[1:8]), DurationStats.from_row(row[8:15])
        )

    by_owner = sorted(
        (times(o, o, rest) for o, *rest in q.rows(OWNER_TIMES_SQL, params)), key=lambda t: t.name
    )
    by_activity = sorted(
        (times(names[code], o, rest) for code, o, *rest in q.rows(ACTIVITY_TIMES_SQL, params)),
        key=lambda t: (-t.events, t.name),
    )
    handoffs = sorted(
        (
            Handoff(a, b, int(n), DurationStats.from_row(rest))
            for a, b, n, *rest in q.rows(HANDOFF_SQL, params)
        ),
        key=lambda h: (-h.count, h.source, h.target),
    )
    return HumanSystemTimes(tuple(by_owner), tuple(by_activity), tuple(handoffs))
