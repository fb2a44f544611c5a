"""Conformance deviations per variant and activity, and their effect on cases (SQL over the log's selection)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from analytics._query import LogQuery, is_numeric_type
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog
    from baton.pm4py_bridge.conformance import MoveKind, ReplayResult

DeviationKind = Literal["skipped", "inserted", "wrong_order", "replay_problem"]
_GROUPS_SQL = """
SELECT NOT v.fits AS deviating, count(*), avg(c.duration_us), median(c.duration_us), avg(k.cost)
FROM c JOIN {fit} v ON v.variant_id = c.{variant_id}
LEFT JOIN ({costs}) k ON k.case_index = c.{case_index}
GROUP BY 1
"""
_EVENT_COSTS_SQL = """
SELECT e.{case_index} AS case_index, sum(x.{col}) AS cost
FROM e JOIN {attrs} x ON x.{event_order} = e.{event_order} GROUP BY 1
"""
_CASE_COSTS_SQL = "SELECT x.{case_index} AS case_index, x.{col} AS cost FROM {attrs} x"
_NO_COSTS_SQL = "SELECT NULL::INTEGER AS case_index, NULL::DOUBLE AS cost WHERE false"
_OVER_TIME_SQL = """
SELECT date_trunc($period, c.start_time) AS ps, count(*), count(*) FILTER (WHERE v.fits)
FROM c JOIN {fit} v ON v.variant_id = c.{variant_id}
GROUP BY ps ORDER BY ps
"""


@dataclass(frozen=True, slots=True)
class Deviation:
    """One kind of deviation on one activity in a variant, with how often it occurs in the variant.

    ``skipped``: the model required the activity and the log lacks it (a visible model move);
    ``inserted``: the log has it where the model does not allow it (a log move); ``wrong_order``: the
    activity has both a log move and a model move in the alignment (counted in pairs, never as skipped plus
    inserted); ``replay_problem``: token replay (used where alignment ran out of time) fired it without
    its input tokens.
    """

    activity: str
    kind: DeviationKind
    moves: int


@dataclass(frozen=True, slots=True)
class VariantConformance:
    """One variant's conformance: token replay and (unless the budget ran out) alignment results.

    ``alignment_cost`` counts visible deviations (pm4py's cost // 10000); ``fits`` is True when the
    alignment has none, or, on a budget hit, when token replay fits.
    """

    variant_id: int
    activities: tuple[str, ...]
    count: int
    token_fitness: float
    token_fit: bool
    alignment_fitness: float | None
    alignment_cost: int | None
    fits: bool
    budget_hit: bool
    deviations: tuple[Deviation, ...]

    def as_row(self) -> dict[str, Any]:
        """The variant as a flat dict (a frame row)."""
        return {
            "variant_id": self.variant_id,
            "activities": " -> ".join(self.activities),
            "count": self.count,
            "token_fitness": self.token_fitness,
            "token_fit": self.token_fit,
            "alignment_fitness": self.alignment_fitness,
            "alignment_cost": self.alignment_cost,
            "fits": self.fits,
            "budget_hit": self.budget_hit,
            "deviations": sum(d.moves for d in self.deviations),
        }


@dataclass(frozen=True, slots=True)
class ActivityDeviation:
    """One kind of deviation on one activity over the log: cases affected, their share and all moves."""

    activity: str
    kind: DeviationKind
    cases: int
    share: float
    moves: int


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Cases of one group (deviating or conforming): count, mean and median duration (microseconds) and
    the mean per-case sum of the cost attribute (None without a numeric cost attribute or without cases
    that carry a cost; cases without any cost value are left out of the mean)."""

    cases: int
    mean_duration_us: float | None
    median_duration_us: float | None
    mean_cost: float | None


@dataclass(frozen=True, slots=True)
class CaseGroups:
    """Deviating and conforming cases, and the cost attribute used (None: none found)."""

    deviating: GroupStats
    conforming: GroupStats
    cost_attribute: str | None


@dataclass(frozen=True, slots=True)
class PeriodConformance:
    """Cases started in one period and how many of them fit the model."""

    period_start: datetime
    cases: int
    fit_cases: int

    @property
    def share(self) -> float:
        """Share (0-1) of the period's cases that fit."""
        return self.fit_cases / self.cases if self.cases else 0.0


@dataclass(frozen=True, slots=True)
class ConformanceOverTime:
    """Share of fitting cases per UTC period of case start (periods without cases are left out)."""

    period: str
    periods: tuple[PeriodConformance, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per period: period_start (UTC), cases, fit_cases, share."""
        import pandas as pd

        rows = [(p.period_start, p.cases, p.fit_cases, p.share) for p in self.periods]
        return pd.DataFrame(rows, columns=["period_start", "cases", "fit_cases", "share"])


def alignment_deviations(moves: Sequence[tuple[MoveKind, str | None]]) -> tuple[Deviation, ...]:
    """Skipped, inserted and wrong-order activities of one alignment (pairs of log and model moves)."""
    log_moves = Counter(a for k, a in moves if k == "log" and a is not None)
    model_moves = Counter(a for k, a in moves if k == "model" and a is not None)
    out = []
    for activity in sorted(log_moves.keys() | model_moves.keys()):
        pairs = min(log_moves[activity], model_moves[activity])
        for kind, n in (
            ("wrong_order", pairs),
            ("skipped", model_moves[activity] - pairs),
            ("inserted", log_moves[activity] - pairs),
        ):
            if n:
                out.append(Deviation(activity, kind, n))  # type: ignore[arg-type]
    return tuple(out)


def replay_deviations(
    activities: Sequence[str], replay: ReplayResult, labels: frozenset[str]
) -> tuple[Deviation, ...]:
    """Token-replay fallback: activities the model lacks are inserted, problem transitions are flagged."""
    unknown = Counter(a for a in activities if a not in labels)
    problems = Counter(replay.problem_labels)
    inserted = [Deviation(a, "inserted", n) for a, n in sorted(unknown.items())]
    return tuple(inserted + [Deviation(a, "replay_problem", n) for a, n in sorted(problems.items())])


def activity_deviations(variants: Sequence[VariantConformance], cases: int) -> tuple[ActivityDeviation, ...]:
    """Per (activity, kind): cases affected (weighted by variant counts), share of all cases, moves.

    Most affected cases first, then by activity and kind.
    """
    affected: Counter[tuple[str, DeviationKind]] = Counter()
    moves: Counter[tuple[str, DeviationKind]] = Counter()
    for v in variants:
        for d in v.deviations:
            affected[d.activity, d.kind] += v.count
            moves[d.activity, d.kind] += d.moves * v.count
    keys = sorted(affected, key=lambda k: (-affected[k], k))
    return tuple(
        ActivityDeviation(a, k, affected[a, k], affected[a, k] / cases, moves[a, k]) for a, k in keys
    )


@contextmanager
def _fit_table(q: LogQuery, variants: Sequence[VariantConformance]) -> Iterator[str]:
    """Register ``(variant_id, fits)`` as an Arrow table on the query's cursor; yield its name."""
    import pyarrow as pa

    table = pa.table(
        {
            "variant_id": pa.array([v.variant_id for v in variants], pa.int32()),
            "fits": pa.array([v.fits for v in variants], pa.bool_()),
        }
    )
    name = f"conformance_fit_{uuid.uuid4().hex}"  # a fresh identifier, not a value
    with q.registered(name, table):
        yield name


def _costs_sql(q: LogQuery, name: str) -> str | None:
    """SQL of ``(case_index, cost)``: a numeric event attribute summed per case, or a numeric case attribute.

    None when the log has no numeric attribute ``name``.
    """
    event_attrs, case_attrs = q.attribute_types()
    col = s.quote_identifier(name)
    if is_numeric_type(event_attrs.get(name, "")):
        attrs = s.attribute_table("event", q.log_id)
        return _EVENT_COSTS_SQL.format(
            case_index=s.CASE_INDEX, col=col, event_order=s.EVENT_ORDER, attrs=attrs
        )
    if is_numeric_type(case_attrs.get(name, "")):
        attrs = s.attribute_table("case", q.log_id)
        return _CASE_COSTS_SQL.format(case_index=s.CASE_INDEX, col=col, attrs=attrs)
    return None


def _stats(row: Sequence[Any] | None, with_cost: bool) -> GroupStats:
    if row is None:
        return GroupStats(0, None, None, None)
    _, n, mean, median, cost = row
    return GroupStats(
        int(n), float(mean), float(median), float(cost) if with_cost and cost is not None else None
    )


def case_groups(log: EventLog, variants: Sequence[VariantConformance], cost_attribute: str) -> CaseGroups:
    """Count, mean and median duration and mean cost of deviating and of conforming cases.

    The cost of a case is the sum of the numeric event attribute ``cost_attribute`` over its events, or the
    value of a numeric case attribute of that name (an importer stores a column that is constant within
    every case as a case attribute).
    """
    q = LogQuery(log)
    costs = _costs_sql(q, cost_attribute)
    with _fit_table(q, variants) as fit:
        sql = _GROUPS_SQL.format(
            fit=fit, variant_id=s.VARIANT_ID, case_index=s.CASE_INDEX, costs=costs or _NO_COSTS_SQL
        )
        rows = {bool(r[0]): r for r in q.rows(sql)}
    found = costs is not None
    return CaseGroups(
        _stats(rows.get(True), found), _stats(rows.get(False), found), cost_attribute if found else None
    )


def over_time(log: EventLog, variants: Sequence[VariantConformance], period: str) -> ConformanceOverTime:
    """Cases and fitting cases per period of case start (``date_trunc`` on the UTC start time)."""
    q = LogQuery(log)
    with _fit_table(q, variants) as fit:
        rows = q.rows(_OVER_TIME_SQL.format(fit=fit, variant_id=s.VARIANT_ID), {"period": period})
    return ConformanceOverTime(period, tuple(PeriodConformance(ps, int(n), int(k)) for ps, n, k in rows))
