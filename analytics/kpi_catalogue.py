"""The KPI catalogue (one written definition per KPI, shown wherever it appears) and the settings KPIs need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from baton.models.types import SlaTimer

Unit = Literal["duration", "share", "count", "money", "per_period"]
Better = Literal["lower", "higher"]
KpiPeriod = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """One KPI: its key, display name, unit, which direction is better, a plain definition, and what it needs.

    ``needs`` says what the log or the settings must provide (None: every log has it). Values of
    ``duration`` KPIs are reported in hours, ``share`` as a fraction in [0, 1], ``money`` in EUR.
    """

    key: str
    name: str
    unit: Unit
    better: Better
    definition: str
    needs: str | None = None


_COMPLETE = (
    "Only completed cases count (see the completeness rule); cases still running at the log end are excluded."
)
_CYCLE = (
    "Time from a case's first recorded event to its last (earliest to latest completion timestamp, as pm4py "
    "measures it), in hours. "
)

# Cycle time is three KPIs (median, mean, p90) rather than one KPI with statistics: each row of a
# before/after table is then one number with one interval and one verdict.
_DEFINITIONS = (
    KpiDefinition(
        "cycle_time_median", "Cycle time (median)", "duration", "lower",
        _CYCLE + "Half of the completed cases took less, half took more. " + _COMPLETE,
    ),
    KpiDefinition(
        "cycle_time_mean", "Cycle time (mean)", "duration", "lower",
        _CYCLE + "The average over completed cases; a few very long cases pull it up. " + _COMPLETE,
    ),
    KpiDefinition(
        "cycle_time_p90", "Cycle time (90th percentile)", "duration", "lower",
        _CYCLE + "Nine in ten completed cases finished within this time. " + _COMPLETE,
    ),
    KpiDefinition(
        "waiting_time", "Waiting time per case", "duration", "lower",
        "Average per completed case of the time between one step finishing and the next step starting "
        "(the next step's completion when it has no start), summed over the case; overlapping steps count "
        "as zero wait. " + _COMPLETE,
        "start timestamps (without them every gap between completions would count as waiting)",
    ),
    KpiDefinition(
        "processing_time", "Processing (touch) time per case", "duration", "lower",
        "Average per completed case of the time people or systems actively worked on it: the sum of each "
        "step's completion minus its start; steps recorded without a start count as zero. " + _COMPLETE,
        "start timestamps",
    ),
    KpiDefinition(
        "throughput", "Throughput", "per_period", "higher",
        "Average number of cases completed per calendar period (UTC day, week from Monday, or month), over "
        "every period from the first case's start to the log end, empty periods included; the first and "
        "last periods may be partial. Running cases are not counted.",
    ),
    KpiDefinition(
        "wip", "Work in progress", "count", "lower",
        "Average number of cases open at the same time, weighted by time, from the first case's start to "
        "the log end. A completed case is open from its first to its last event; a case still running is "
        "open until the log end.",
    ),
    KpiDefinition(
        "rework_rate", "Rework rate", "share", "lower",
        "Share of completed cases in which at least one activity was done more than once. " + _COMPLETE,
    ),
    KpiDefinition(
        "error_rate", "Exception / error rate", "share", "lower",
        "Share of completed cases containing at least one of the activities marked as errors or "
        "exceptions in the settings. " + _COMPLETE,
        "error activities marked in the settings",
    ),
    KpiDefinition(
        "first_time_right_rate", "First-time-right rate", "share", "higher",
        "Share of completed cases with no repeated activity and no error activity (errors count only when "
        "error activities are marked in the settings). " + _COMPLETE,
    ),
    KpiDefinition(
        "sla_compliance", "SLA compliance", "share", "higher",
        "Share of completed cases that met the SLA: with a threshold, cases whose cycle time is at most the "
        "threshold; with a target model's timers, cases where no timed step breached its limit (cases the "
        "timers never applied to are left out). " + _COMPLETE,
        "an SLA threshold on cycle time or the target model's SLA timers in the settings",
    ),
    KpiDefinition(
        "handoffs_per_case", "Handoffs per case", "count", "lower",
        "Average per completed case of the number of times work passed from one resource to a different "
        "one between consecutive steps (steps without a resource are not counted). " + _COMPLETE,
        "a resource column",
    ),
    KpiDefinition(
        "automation_rate", "Automation rate", "share", "higher",
        "Share of all steps in completed cases that were performed by system resources (the resources "
        "listed in the settings or whose name starts with the given prefix). " + _COMPLETE,
        "system resources marked in the settings (a list or a name prefix such as 'sys_')",
    ),
    KpiDefinition(
        "cost_per_case", "Cost per case", "money", "lower",
        "Average cost per completed case in EUR: either the sum of the case's cost attribute over its "
        "steps, or processing time times the hourly rate of each step's resource role (the result says "
        "which). " + _COMPLETE,
        "a numeric cost attribute, or hourly rates per role with a resource-to-role map and start timestamps",
    ),
)  # fmt: skip

CATALOGUE: dict[str, KpiDefinition] = {d.key: d for d in _DEFINITIONS}


def _bad(name: str, got: object, expected: str) -> ValueError:
    return ValueError(f"KpiSettings.{name}: got {got!r}; expected {expected}")


def _names(name: str, value: object) -> tuple[str, ...]:
    """A tuple of non-empty strings (a lone string is refused: it would be read letter by letter)."""
    if isinstance(value, str) or not isinstance(value, tuple | list | frozenset | set):
        raise _bad(name, value, f"a tuple of names, e.g. {name}=('Name',)")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise _bad(name, value, "non-empty strings only")
    return tuple(sorted(value)) if isinstance(value, set | frozenset) else tuple(value)


@dataclass(frozen=True, slots=True)
class KpiSettings:
    """What the KPIs need beyond the log; every field is optional and validated when created.

    Attributes:
        end_activities: a case is complete when its last activity is one of these; empty means completeness
            is unknown and every case counts as complete.
        error_activities: activities that mark an error or exception in a case.
        system_resources: resources that are systems (bots, services), for the automation rate.
        system_resource_prefix: resources whose name starts with this are systems too (e.g. ``"sys_"``).
        sla_threshold: SLA on cycle time (a positive timedelta); or use ``sla_timers``, not both.
        sla_timers: a target model's SLA timers (``TargetModel.timers``), checked with ``check_sla``.
        cost_attribute: the numeric case or event attribute holding cost in EUR (summed per case).
        hourly_rates: EUR per hour per role; when given, cost is processing time x rate instead.
        resource_roles: resource -> role, for the hourly rates.
        period: ``"day"``, ``"week"`` or ``"month"`` for throughput and work in progress.

    Raises:
        ValueError: a field has the wrong type or value (the message names the field and how to fix it).
    """

    end_activities: tuple[str, ...] = ()
    error_activities: tuple[str, ...] = ()
    system_resources: tuple[str, ...] = ()
    system_resource_prefix: str | None = None
    sla_threshold: timedelta | None = None
    sla_timers: tuple[SlaTimer, ...] = ()
    cost_attribute: str | None = "cost"
    hourly_rates: Mapping[str, float] = field(default_factory=dict)
    resource_roles: Mapping[str, str] = field(default_factory=dict)
    period: KpiPeriod = "week"

    def __post_init__(self) -> None:
        for name in ("end_activities", "error_activities", "system_resources"):
            object.__setattr__(self, name, _names(name, getattr(self, name)))
        prefix = self.system_resource_prefix
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise _bad("system_resource_prefix", prefix, "a non-empty prefix such as 'sys_', or None")
        self._check_sla()
        if self.cost_attribute is not None and (
            not isinstance(self.cost_attribute, str) or not self.cost_attribute
        ):
            raise _bad("cost_attribute", self.cost_attribute, "an attribute name such as 'cost', or None")
        self._check_rates()
        if self.period not in PERIODS:
            raise _bad("period", self.period, "'day', 'week' or 'month'")

    def _check_sla(self) -> None:
        threshold = self.sla_threshold
        if threshold is not None and (not isinstance(threshold, timedelta) or threshold <= timedelta(0)):
            raise _bad("sla_threshold", threshold, "a positive datetime.timedelta, e.g. timedelta(days=2)")
        timers = self.sla_timers
        if isinstance(timers, SlaTimer) or not isinstance(timers, tuple | list):
            raise _bad("sla_timers", timers, "a tuple of SlaTimer, e.g. sla_timers=model.timers")
        if not all(isinstance(t, SlaTimer) for t in timers):
            raise _bad("sla_timers", timers, "SlaTimer objects only (TargetModel.timers)")
        object.__setattr__(self, "sla_timers", tuple(timers))
        if threshold is not None and timers:
            raise ValueError(
                "KpiSettings: both sla_threshold and sla_timers are set; SLA compliance is measured one way, "
                "so pass only one of them"
            )

    def _check_rates(self) -> None:
        rates, roles = self.hourly_rates, self.resource_roles
        if not isinstance(rates, Mapping) or not all(
            isinstance(r, str) and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            for r, v in rates.items()
        ):
            raise _bad("hourly_rates", rates, "a mapping role -> EUR per hour (a number >= 0)")
        if not isinstance(roles, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in roles.items()
        ):
            raise _bad("resource_roles", roles, "a mapping resource name -> role name")
        if rates and not roles:
            raise _bad("resource_roles", roles, "a resource -> role map when hourly_rates are given")
        if roles and not rates:
            raise _bad("hourly_rates", rates, "EUR per hour for each role when resource_roles are given")
        object.__setattr__(
            self, "hourly_rates", dict(rates)
        )  # a copy: later changes by the caller do not leak in
        object.__setattr__(self, "resource_roles", dict(roles))
        missing = sorted(set(roles.values()) - set(rates))
        if missing:
            raise _bad("hourly_rates", dict(rates), f"a rate for every role in resource_roles; add {missing}")

    @property
    def completeness_known(self) -> bool:
        """Whether end activities say which cases are complete."""
        return bool(self.end_activities)

    @property
    def automation_marked(self) -> bool:
        """Whether any system resources are marked."""
        return bool(self.system_resources) or self.system_resource_prefix is not None

    @property
    def cost_from_rates(self) -> bool:
        """Whether cost comes from processing time x hourly rate (else from the cost attribute)."""
        return bool(self.hourly_rates)


__all__ = ["CATALOGUE", "KpiDefinition", "KpiSettings"]
