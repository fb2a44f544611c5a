"""The KPI queries (one row per case, then summaries over that table) and how settings choose their parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from analytics._query import is_numeric_type
from analytics.orchestration_sla import check_sla
from baton import schema as s

if TYPE_CHECKING:
    from analytics._query import LogQuery
    from analytics.kpi_catalogue import KpiSettings
    from baton.log import EventLog

#: Name the per-case table is registered under on the KPI cursor (summary and period queries read it).
CASES_VIEW = "kpi_cases"
#: Name the SLA drill-down rows (from check_sla) are registered under, for the timers mode.
SLA_VIEW = "kpi_sla"
US_PER_HOUR = 3_600_000_000

_SYSTEM = f"(list_contains($sys, {s.RESOURCE}) OR ($prefix <> '' AND starts_with({s.RESOURCE}, $prefix)))"

# Per case, in one pass over the events: waits (from a step's completion to the next step's start,
# negative overlaps clipped to 0), touch time, error steps, resource changes, system steps and step
# costs. {step_cost}, {cost_join}, {case_cost}, {case_cost_join}, {sla_met} and {sla_join} are filled only
# with the constant fragments below (identifiers from baton.schema, the attribute name quoted).
PER_CASE_SQL = f"""
, steps AS (
    SELECT e.{s.CASE_INDEX}, e.{s.ACTIVITY_CODE}, e.{s.RESOURCE}, e.{s.NEXT_WAIT_US}, e.{s.SERVICE_US},
           {{step_cost}} AS step_cost,
           lead(e.{s.RESOURCE}) OVER (PARTITION BY e.{s.CASE_INDEX} ORDER BY e.{s.POSITION}) AS next_resource
    FROM e {{cost_join}}
), per_case AS (
    SELECT {s.CASE_INDEX},
           coalesce(sum(greatest({s.NEXT_WAIT_US}, 0)), 0) AS waiting_us,
           coalesce(sum({s.SERVICE_US}), 0) AS processing_us,
           bool_or(list_contains($errors, {s.ACTIVITY_CODE})) AS has_error,
           count(*) FILTER (WHERE {s.RESOURCE} <> next_resource) AS handoffs,
           count(*) FILTER (WHERE {_SYSTEM}) AS system_events,
           sum(CAST(step_cost AS DECIMAL(38, 12))) AS cost  -- exact: a float sum's order varies by thread
    FROM steps GROUP BY {s.CASE_INDEX}
), rows AS (
    SELECT c.{s.CASE_INDEX}, c.{s.CASE_ID}, c.first_timestamp AS start, c.end_time AS "end",
           CASE WHEN $ends_on THEN list_contains($ends, c.end_activity_code) ELSE true END AS complete,
           CAST(c.duration_us AS BIGINT) AS cycle_time_us,
           CASE WHEN $has_starts THEN CAST(p.waiting_us AS BIGINT) END AS waiting_us,
           CASE WHEN $has_starts THEN CAST(p.processing_us AS BIGINT) END AS processing_us,
           CAST(c.n_events AS BIGINT) AS n_events,
           c.has_rework AS rework,
           CASE WHEN $errors_on THEN p.has_error END AS has_error,
           {{sla_met}} AS sla_met,
           CAST(p.handoffs AS BIGINT) AS handoffs,
           CASE WHEN $sys_on THEN CAST(p.system_events AS BIGINT) END AS system_events,
           CAST({{case_cost}} AS DOUBLE) AS cost,
           CAST(c.{s.VARIANT_ID} AS BIGINT) AS {s.VARIANT_ID}
    FROM c JOIN per_case p ON p.{s.CASE_INDEX} = c.{s.CASE_INDEX} {{case_cost_join}} {{sla_join}}
)
SELECT {s.CASE_ID}, start, "end", complete, cycle_time_us, waiting_us, processing_us, n_events, rework,
       has_error, NOT rework AND NOT coalesce(has_error, false) AS first_time_right, sla_met, handoffs,
       system_events, CAST(system_events AS DOUBLE) / n_events AS automation_share, cost, {s.VARIANT_ID}
FROM rows ORDER BY {s.CASE_INDEX}
"""  # noqa: S608 - identifiers from baton.schema; values bound

# Step cost fragments: none, an event attribute (joined by event order), or touch time x hourly rate.
NO_STEP_COST = "CAST(NULL AS DOUBLE)"
ATTR_STEP_COST = "x.{column}"
ATTR_STEP_JOIN = f"LEFT JOIN {{table}} x ON x.{s.EVENT_ORDER} = e.{s.EVENT_ORDER}"
RATE_STEP_COST = (
    f"coalesce(e.{s.SERVICE_US}, 0) / {US_PER_HOUR}.0 "
    f"* coalesce(list_extract($rate_values, list_position($rate_resources, e.{s.RESOURCE})), 0)"
)
# Case cost fragments: the summed step costs, or a case attribute (joined by case index).
STEP_CASE_COST = "p.cost"
ATTR_CASE_COST = "cx.{column}"
ATTR_CASE_JOIN = f"LEFT JOIN {{table}} cx ON cx.{s.CASE_INDEX} = c.{s.CASE_INDEX}"

# SLA fragments: none, a threshold on cycle time, or the timers' drill-down rows: a case met the SLA
# unless one of its rows breached (measured, open and overdue, or interrupted late); cases with no
# measured row stay NULL (the timers never applied).
NO_SLA = "CAST(NULL AS BOOLEAN)"
THRESHOLD_SLA = "c.duration_us <= $sla_us"
TIMERS_SLA = "sla.met"
TIMERS_SLA_JOIN = f"""
LEFT JOIN (
    SELECT {s.CASE_ID},
           CASE WHEN bool_or(breached) THEN false WHEN bool_or(NOT open AND activation IS NOT NULL) THEN true END
           AS met
    FROM {SLA_VIEW} GROUP BY {s.CASE_ID}
) sla ON sla.{s.CASE_ID} = c.{s.CASE_ID}
"""  # noqa: S608

#: Facts about the selection deciding which KPIs are available (an empty selection lacks nothing), and
#: the log end (the whole log's last timestamp, filters aside): running cases stay open until then.
AVAILABILITY_SQL = f"""
SELECT coalesce(bool_or({s.START_TIMESTAMP} IS NOT NULL), true), count({s.RESOURCE}) > 0 OR count(*) = 0,
       (SELECT last_timestamp FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id)
FROM e
"""  # noqa: S608

#: KPI key -> (value over complete cases, cases with a value); durations in hours.
AGGREGATES: dict[str, tuple[str, str]] = {
    "cycle_time_median": (f"median(cycle_time_us) / {US_PER_HOUR}", "count(cycle_time_us)"),
    "cycle_time_mean": (f"avg(cycle_time_us) / {US_PER_HOUR}", "count(cycle_time_us)"),
    "cycle_time_p90": (f"quantile_cont(cycle_time_us, 0.9) / {US_PER_HOUR}", "count(cycle_time_us)"),
    "waiting_time": (f"avg(waiting_us) / {US_PER_HOUR}", "count(waiting_us)"),
    "processing_time": (f"avg(processing_us) / {US_PER_HOUR}", "count(processing_us)"),
    "rework_rate": ("avg(CAST(rework AS DOUBLE))", "count(rework)"),
    "error_rate": ("avg(CAST(has_error AS DOUBLE))", "count(has_error)"),
    "first_time_right_rate": ("avg(CAST(first_time_right AS DOUBLE))", "count(first_time_right)"),
    "sla_compliance": ("avg(CAST(sla_met AS DOUBLE))", "count(sla_met)"),
    "handoffs_per_case": ("avg(handoffs)", "count(handoffs)"),
    "automation_rate": (
        "sum(system_events) / sum(n_events) FILTER (WHERE system_events IS NOT NULL)",
        "count(system_events)",
    ),
    "cost_per_case": ("avg(cost)", "count(cost)"),
}
_SUMMARY_COLUMNS = ", ".join(f"{v}, {n}" for v, n in AGGREGATES.values())
SUMMARY_SQL = f"SELECT (SELECT count(*) FROM {CASES_VIEW}), count(*), {_SUMMARY_COLUMNS} FROM {CASES_VIEW} WHERE complete"  # noqa: S608, E501

# Periods: UTC calendar periods from the first case's start to the window end (the latest close), each
# clipped to the window. A complete case is open from its start to its end, a running case until the log
# end; started/completed count cases in the period of their start / end (completed: complete cases only).
_WINDOW = f"""
WITH k AS (
    SELECT start, "end", complete,
           CASE WHEN complete THEN "end" ELSE greatest(CAST($log_end AS TIMESTAMPTZ), "end") END AS close
    FROM {CASES_VIEW}
), w AS (SELECT min(start) AS lo, max(close) AS hi FROM k)
"""  # noqa: S608
_PERIODS_BODY = """
, p AS (
    SELECT ps, greatest(ps, w.lo) AS a, least(ps + CAST($step AS INTERVAL), w.hi) AS b
    FROM (SELECT unnest(range(date_trunc($period, lo), date_trunc($period, hi) + CAST($step AS INTERVAL),
                              CAST($step AS INTERVAL))) AS ps FROM w) r, w
), open_time AS (
    SELECT p.ps, sum(epoch_us(least(p.b, k.close)) - epoch_us(greatest(p.a, k.start))) AS open_us
    FROM p JOIN k ON k.start < p.b AND k.close > p.a GROUP BY p.ps
)
SELECT p.ps, coalesce(st.n, 0), coalesce(en.n, 0),
       coalesce(o.open_us, 0) / nullif(epoch_us(p.b) - epoch_us(p.a), 0)
FROM p
LEFT JOIN (SELECT date_trunc($period, start) AS ps, count(*) AS n FROM k GROUP BY 1) st ON st.ps = p.ps
LEFT JOIN (SELECT date_trunc($period, "end") AS ps, count(*) AS n FROM k WHERE complete GROUP BY 1) en
       ON en.ps = p.ps
LEFT JOIN open_time o ON o.ps = p.ps
ORDER BY p.ps
"""
PERIODS_SQL = _WINDOW + _PERIODS_BODY  # noqa: S608 - constant text only
#: Time-weighted average of open cases over the whole window, and the cases counted.
WIP_SQL = (
    _WINDOW
    + """
SELECT sum(epoch_us(close) - epoch_us(start)) / nullif(epoch_us(any_value(w.hi)) - epoch_us(any_value(w.lo)), 0),
       count(*)
FROM k, w
"""
)


_TIMED_RESOURCES = f"""
SELECT DISTINCT {s.RESOURCE} FROM e WHERE {s.RESOURCE} IS NOT NULL AND {s.SERVICE_US} IS NOT NULL ORDER BY 1
"""  # noqa: S608


@dataclass(slots=True)
class QueryPlan:
    """The per-case query's fragments and parameters, and what the settings and the log leave unavailable."""

    fragments: dict[str, str]
    params: dict[str, Any]
    has_starts: bool
    has_resources: bool
    log_end: datetime | None
    unavailable: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cost_source: str | None = None
    sla_rows: pa.Table | None = None


def case_table(q: LogQuery, plan: QueryPlan) -> pa.Table:
    """Run the per-case query of ``plan`` (registering the SLA rows it joins, if any)."""
    sql = PER_CASE_SQL.format(**plan.fragments)
    if plan.sla_rows is None:
        return q.arrow(sql, plan.params)
    with q.registered(SLA_VIEW, plan.sla_rows):
        return q.arrow(sql, plan.params)


def plan_query(q: LogQuery, log: EventLog, cfg: KpiSettings) -> QueryPlan:
    """Resolve the settings against the log: activity codes, availability, cost and SLA fragments."""
    has_starts, has_resources, log_end = q.rows(AVAILABILITY_SQL)[0]
    codes = {name: code for code, name in q.names().items()}
    plan = QueryPlan({}, {}, bool(has_starts), bool(has_resources), log_end)
    for label, names in (("end", cfg.end_activities), ("error", cfg.error_activities)):
        unknown = [a for a in names if a not in codes]
        if unknown:
            plan.notes.append(f"{label} activities not in this log (never matched): {unknown}")
    plan.params = {
        "has_starts": plan.has_starts,
        "ends_on": cfg.completeness_known,
        "ends": [codes[a] for a in cfg.end_activities if a in codes] or [-1],
        "errors_on": bool(cfg.error_activities),
        "errors": [codes[a] for a in cfg.error_activities if a in codes] or [-1],
        "sys_on": cfg.automation_marked,
        "sys": list(cfg.system_resources) or [""],
        "prefix": cfg.system_resource_prefix or "",
    }
    _availability(plan, cfg)
    _cost(q, log, cfg, plan)
    _sla(log, cfg, plan)
    return plan


def _availability(plan: QueryPlan, cfg: KpiSettings) -> None:
    if not plan.has_starts:
        for key in ("waiting_time", "processing_time"):
            plan.unavailable[key] = "the log has no start timestamps"
    if not cfg.error_activities:
        plan.unavailable["error_rate"] = "no error activities marked (KpiSettings.error_activities)"
    if not plan.has_resources:
        plan.unavailable["handoffs_per_case"] = "the log has no resources"
        plan.unavailable["automation_rate"] = "the log has no resources"
    elif not cfg.automation_marked:
        plan.unavailable["automation_rate"] = (
            "no system resources marked (KpiSettings.system_resources or system_resource_prefix)"
        )
    if cfg.sla_threshold is None and not cfg.sla_timers:
        plan.unavailable["sla_compliance"] = "no SLA set (KpiSettings.sla_threshold or sla_timers)"


def _cost(q: LogQuery, log: EventLog, cfg: KpiSettings, plan: QueryPlan) -> None:
    """Choose the cost fragments: hourly rates when given, else the cost attribute, else unavailable."""
    plan.fragments |= {
        "step_cost": NO_STEP_COST, "cost_join": "", "case_cost": STEP_CASE_COST, "case_cost_join": ""
    }  # fmt: skip
    if cfg.cost_from_rates:
        _rate_cost(q, cfg, plan)
        return
    if cfg.cost_attribute is None:
        plan.unavailable["cost_per_case"] = "no cost attribute and no hourly rates set"
        return
    event_attrs, case_attrs = q.attribute_types()
    name, col = cfg.cost_attribute, s.quote_identifier(cfg.cost_attribute)
    level: s.AttrKind = "event" if name in event_attrs else "case"
    sql_type = event_attrs.get(name) if level == "event" else case_attrs.get(name)
    if sql_type is None:
        plan.unavailable["cost_per_case"] = (
            f"log {log.name!r} has no attribute {name!r} (set KpiSettings.cost_attribute or hourly_rates)"
        )
        return
    if not is_numeric_type(sql_type):
        raise ValueError(
            f"KpiSettings.cost_attribute: {level} attribute {name!r} of log {log.name!r} holds {sql_type}, "
            "not numbers; name a numeric attribute or give hourly_rates and resource_roles"
        )
    table = s.attribute_table(level, q.log_id)
    if level == "event":
        plan.fragments |= {"step_cost": ATTR_STEP_COST.format(column=col),
                           "cost_join": ATTR_STEP_JOIN.format(table=table)}  # fmt: skip
        plan.cost_source = f"sum of the event attribute {name!r} over each case's steps"
    else:
        plan.fragments |= {"case_cost": ATTR_CASE_COST.format(column=col),
                           "case_cost_join": ATTR_CASE_JOIN.format(table=table)}  # fmt: skip
        plan.cost_source = f"the case attribute {name!r}"


def _rate_cost(q: LogQuery, cfg: KpiSettings, plan: QueryPlan) -> None:
    if not plan.has_starts:
        plan.unavailable["cost_per_case"] = (
            "hourly rates need start timestamps to measure processing time; the log has none "
            "(use a cost attribute instead)"
        )
        return
    roles = dict(cfg.resource_roles)
    plan.fragments["step_cost"] = RATE_STEP_COST
    plan.params |= {
        "rate_resources": list(roles),
        "rate_values": [float(cfg.hourly_rates[role]) for role in roles.values()],
    }
    plan.cost_source = "processing time x hourly rate of each step's resource role"
    timed = [r for (r,) in q.rows(_TIMED_RESOURCES) if r not in roles]
    if timed:
        shown = ", ".join(repr(r) for r in timed[:10]) + (" ..." if len(timed) > 10 else "")
        plan.notes.append(f"{len(timed)} resources with timed steps have no role and cost 0: {shown}")


def _sla(log: EventLog, cfg: KpiSettings, plan: QueryPlan) -> None:
    plan.fragments |= {"sla_met": NO_SLA, "sla_join": ""}
    if cfg.sla_threshold is not None:
        plan.fragments["sla_met"] = THRESHOLD_SLA
        plan.params["sla_us"] = cfg.sla_threshold // timedelta(microseconds=1)
    elif cfg.sla_timers:
        report = check_sla(log, cfg.sla_timers)
        cols = [s.CASE_ID, "activation", "breached", "open"]
        plan.sla_rows = pa.concat_tables([r.details.select(cols) for r in report.results])
        plan.fragments |= {"sla_met": TIMERS_SLA, "sla_join": TIMERS_SLA_JOIN}
