"""KPIs per case and their summary over completed cases, as defined in `analytics.kpi_catalogue`.

Completeness: with ``KpiSettings.end_activities`` a case is complete when its last activity (event
order) is one of them; without them completeness is unknown and every case counts as complete (the
summary says so). KPI values are computed over complete cases only; running cases are counted as
excluded with the reason, and stay open until the log end for work in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from analytics import kpi_sql as k
from analytics._query import LogQuery
from analytics.kpi_catalogue import CATALOGUE, KpiDefinition, KpiSettings

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from baton.log import EventLog

_STEPS = {"day": "1 day", "week": "7 days", "month": "1 month"}
_NO_VALUE = {"sla_compliance": "the SLA timers never applied to", "cost_per_case": "without any cost value"}
_RUNNING = "still running at the log end (last activity is not an end activity)"


@dataclass(frozen=True, slots=True)
class KpiValue:
    """One KPI's value over complete cases (durations in hours, shares in [0, 1], money in EUR).

    ``cases`` counts the cases the value is computed from, ``excluded`` the others and ``note`` says why
    (running cases, cases a KPI does not apply to), or why the KPI is not available (``value`` None).
    """

    key: str
    value: float | None
    cases: int
    excluded: int
    available: bool
    note: str = ""

    @property
    def definition(self) -> KpiDefinition:
        """The catalogue entry: name, unit, better direction and the written definition."""
        return CATALOGUE[self.key]

    @property
    def duration(self) -> timedelta | None:
        """The value as a timedelta for duration KPIs (None otherwise or without a value)."""
        if self.value is None or self.definition.unit != "duration":
            return None
        return timedelta(hours=self.value)


@dataclass(frozen=True, slots=True)
class PeriodKpis:
    """One calendar period: cases started, complete cases completed, and the average open cases (time-weighted)."""

    period_start: datetime
    started: int
    completed: int
    wip: float | None


@dataclass(frozen=True, slots=True)
class KpiSummary:
    """Every catalogue KPI over a log's complete cases, per-period throughput and work in progress, and
    ``per_case`` (the `get_case_kpis` table it was computed from)."""

    values: tuple[KpiValue, ...]
    periods: tuple[PeriodKpis, ...]
    period: str
    cases: int
    complete_cases: int
    completeness_known: bool
    cost_source: str | None
    notes: tuple[str, ...]
    per_case: pa.Table = field(repr=False)

    def __getitem__(self, key: str) -> KpiValue:
        """The value of KPI ``key`` (a `CATALOGUE` key)."""
        for v in self.values:
            if v.key == key:
                return v
        raise KeyError(f"no KPI {key!r}; the catalogue has {list(CATALOGUE)}")

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI: key, name, value, unit, cases, excluded, note, definition."""
        import pandas as pd

        rows = [
            (v.key, v.definition.name, v.value, v.definition.unit, v.cases, v.excluded, v.note,
             v.definition.definition)
            for v in self.values
        ]  # fmt: skip
        cols = ["key", "name", "value", "unit", "cases", "excluded", "note", "definition"]
        return pd.DataFrame(rows, columns=cols)

    def periods_frame(self) -> pd.DataFrame:
        """One row per period: period_start (UTC), started, completed, wip."""
        import pandas as pd

        rows = [(p.period_start, p.started, p.completed, p.wip) for p in self.periods]
        return pd.DataFrame(rows, columns=["period_start", "started", "completed", "wip"])


def get_case_kpis(log: EventLog, settings: KpiSettings | None = None) -> pa.Table:
    """One row per case of the (filtered) log with every per-case KPI value, computed in DuckDB.

    Columns: case_id, start, end (first and last event time, UTC), complete, cycle_time_us (end - start),
    waiting_us and processing_us (NULL without start timestamps), n_events, rework, has_error (NULL
    without error activities), first_time_right, sla_met (NULL without an SLA, or where the timers never
    applied), handoffs, system_events and automation_share (NULL without marked system resources), cost
    (EUR; NULL when unavailable), variant_id. Definitions: `analytics.kpi_catalogue.CATALOGUE`.

    Args:
        log: the event log (its filters apply).
        settings: end, error and system markers, SLA and cost settings; None uses the defaults.

    Returns:
        An Arrow table in case order, with typed columns (timestamps UTC, durations int64 microseconds).

    Raises:
        ValueError: the cost attribute exists but is not numeric.
    """
    q = LogQuery(log)
    plan = k.plan_query(q, log, settings or KpiSettings())
    return k.case_table(q, plan)


def get_kpis(log: EventLog, settings: KpiSettings | None = None) -> KpiSummary:
    """Every catalogue KPI over the log's complete cases, with the cases used and excluded and why.

    Args:
        log: the event log (its filters apply).
        settings: see `KpiSettings`; None uses the defaults (completeness unknown, week periods).

    Returns:
        A `KpiSummary`; unavailable KPIs are listed with the reason, not dropped.

    Raises:
        ValueError: the cost attribute exists but is not numeric.
    """
    cfg = settings or KpiSettings()
    q = LogQuery(log)
    plan = k.plan_query(q, log, cfg)
    table = k.case_table(q, plan)
    local = q.local  # the per-case table is small: its summaries run in DuckDB whatever the engine
    local.register(k.CASES_VIEW, table)
    try:
        total, complete, *aggs = local.execute(k.SUMMARY_SQL).fetchall()[0]
        period_params = {"log_end": plan.log_end, "period": cfg.period, "step": _STEPS[cfg.period]}
        period_rows = local.execute(k.PERIODS_SQL, period_params).fetchall()
        wip, wip_cases = local.execute(k.WIP_SQL, {"log_end": plan.log_end}).fetchall()[0]
    finally:
        local.unregister(k.CASES_VIEW)
    periods = tuple(
        PeriodKpis(ps, int(a), int(b), None if w is None else float(w)) for ps, a, b, w in period_rows
    )
    values = _values(plan, int(total), int(complete), aggs, periods, (wip, int(wip_cases)))
    notes = list(plan.notes)
    if not cfg.completeness_known:
        notes.insert(0, "completeness unknown: no end activities given, so every case counts as complete")
    return KpiSummary(
        values, periods, cfg.period, int(total), int(complete), cfg.completeness_known, plan.cost_source,
        tuple(notes), table,
    )  # fmt: skip


def _values(
    plan: k.QueryPlan,
    total: int,
    complete: int,
    aggs: list[Any],
    periods: tuple[PeriodKpis, ...],
    wip: tuple[Any, int],
) -> tuple[KpiValue, ...]:
    """One KpiValue per catalogue entry, in catalogue order."""
    running = total - complete
    found: dict[str, KpiValue] = {}
    for i, key in enumerate(k.AGGREGATES):
        value, n = aggs[2 * i], int(aggs[2 * i + 1])
        reasons = [f"{running} {_RUNNING}"] if running else []
        if complete - n:
            reasons.append(f"{complete - n} complete cases {_NO_VALUE.get(key, 'without a value')}")
        found[key] = _value(plan, key, value, n, total - n, "; ".join(reasons))
    completed = sum(p.completed for p in periods)
    throughput = completed / len(periods) if periods else None
    note = f"{running} {_RUNNING}" if running else ""
    found["throughput"] = _value(plan, "throughput", throughput, complete, running, note)
    wip_note = f"{running} running cases count as open until the log end" if running else ""
    found["wip"] = _value(plan, "wip", wip[0], wip[1], total - wip[1], wip_note)
    return tuple(found[key] for key in CATALOGUE)


def _value(plan: k.QueryPlan, key: str, value: Any, cases: int, excluded: int, note: str) -> KpiValue:
    if key in plan.unavailable:
        return KpiValue(key, None, 0, cases + excluded, False, "not available: " + plan.unavailable[key])
    if value is None:
        return KpiValue(key, None, cases, excluded, False, "not available: no completed cases with a value")
    if key == "cost_per_case" and plan.cost_source:
        note = f"{plan.cost_source}; {note}" if note else plan.cost_source
    return KpiValue(key, float(value), cases, excluded, True, note)


__all__ = ["KpiSummary", "KpiValue", "PeriodKpis", "get_case_kpis", "get_kpis"]
