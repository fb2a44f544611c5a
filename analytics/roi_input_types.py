"""Validated value types of the ROI business-case inputs (conventions: see ``analytics.roi_inputs``)."""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from baton.errors import RoiInputError

SCENARIOS = ("conservative", "expected", "optimistic")
MAX_HORIZON_YEARS = 30
VOLUME_SOURCES = ("given", "measured")


def check_number(value: Any, field: str, *, minimum: float | None = None, hint: str = "") -> float:
    """``value`` as a finite float, or a RoiInputError naming ``field``, the value and how to fix it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RoiInputError(f"{field}: expected a finite number, got {value!r}; write a plain number like 42")
    if minimum is not None and value < minimum:
        fix = hint or "give a non-negative amount"
        raise RoiInputError(f"{field}: must be >= {minimum:g}, got {value!r}; {fix}")
    return float(value)


@dataclass(frozen=True, slots=True)
class KpiDelta:
    """Change (after - before) of a lower-is-better KPI: expected value and its two confidence bounds."""

    expected: float
    conservative: float
    optimistic: float

    def __post_init__(self) -> None:
        for name in SCENARIOS:
            object.__setattr__(self, name, check_number(getattr(self, name), name))
        if not self.optimistic <= self.expected <= self.conservative:
            raise RoiInputError(
                f"KPI delta (expected={self.expected:g}, conservative={self.conservative:g}, "
                f"optimistic={self.optimistic:g}): need optimistic <= expected <= conservative for a change "
                "(after - before) of a KPI where lower is better; the conservative bound is the larger one - "
                "swap the bounds or use KpiDelta.from_interval(expected, low, high)"
            )

    @classmethod
    def exact(cls, value: float) -> KpiDelta:
        """A change known without uncertainty (all three scenarios use ``value``)."""
        return cls(value, value, value)

    @classmethod
    def from_interval(cls, expected: float, low: float, high: float) -> KpiDelta:
        """From a confidence interval [low, high]: the least favourable bound (high) is the conservative one.

        Example:
            >>> KpiDelta.from_interval(-10.0, -12.0, -8.0)
            KpiDelta(expected=-10.0, conservative=-8.0, optimistic=-12.0)
        """
        return cls(expected, high, low)

    def value(self, scenario: str) -> float:
        """The change used in ``scenario`` (one of SCENARIOS)."""
        if scenario not in SCENARIOS:
            raise RoiInputError(f"scenario {scenario!r} is unknown; use one of {list(SCENARIOS)}")
        return float(getattr(self, scenario))


@dataclass(frozen=True, slots=True)
class RoleSaving:
    """Work per case of one role: hourly cost and the change in minutes of work per case (after - before)."""

    role: str
    hourly_cost: float
    minutes_change: KpiDelta
    minutes_before: float | None = None
    minutes_after: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not self.role.strip():
            raise RoiInputError(f"roles: role name must be a non-empty text, got {self.role!r}")
        where = f"roles[{self.role}]"
        object.__setattr__(
            self, "hourly_cost", check_number(self.hourly_cost, f"{where}.hourly_cost", minimum=0)
        )
        if (self.minutes_before is None) != (self.minutes_after is None):
            raise RoiInputError(
                f"{where}: give both minutes_before and minutes_after, or minutes_change alone"
            )
        if self.minutes_before is not None and self.minutes_after is not None:
            before = check_number(self.minutes_before, f"{where}.minutes_before", minimum=0)
            after = check_number(self.minutes_after, f"{where}.minutes_after", minimum=0)
            if self.minutes_change != KpiDelta.exact(after - before):
                raise RoiInputError(
                    f"{where}: minutes_change {self.minutes_change} does not equal minutes_after - "
                    f"minutes_before = {after - before:g}; build it with RoleSaving.from_minutes(...)"
                )

    @classmethod
    def from_minutes(cls, role: str, hourly_cost: float, before: float, after: float) -> RoleSaving:
        """A role whose minutes of work per case before and after are known (no uncertainty)."""
        change = KpiDelta.exact(check_number(after, f"roles[{role}].minutes_after") - before)
        return cls(role, hourly_cost, change, minutes_before=before, minutes_after=after)


@dataclass(frozen=True, slots=True)
class RateSaving:
    """Errors or SLA breaches: change of their rate per case (after - before) and the cost of each one."""

    rate_change: KpiDelta
    cost_each: float


@dataclass(frozen=True, slots=True)
class RoiInputs:
    """Everything the ROI model needs; validated on construction (RoiInputError names the field)."""

    annual_volume: float
    investment: float
    running_cost_per_year: float
    horizon_years: int
    discount_rate: float
    roles: tuple[RoleSaving, ...] = ()
    errors: RateSaving | None = None
    sla_breaches: RateSaving | None = None
    adoption_ramp: tuple[float, ...] = ()
    volume_source: str = "given"
    currency: str = "EUR"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "roles", tuple(self.roles))
        set_(self, "adoption_ramp", tuple(self.adoption_ramp))
        hint = "give the number of cases per year (or 'measured' with the number counted in the log)"
        set_(self, "annual_volume", check_number(self.annual_volume, "annual_volume", minimum=0, hint=hint))
        set_(self, "investment", check_number(self.investment, "investment", minimum=0))
        set_(
            self,
            "running_cost_per_year",
            check_number(self.running_cost_per_year, "running_cost_per_year", minimum=0),
        )
        self._check_horizon_and_rate()
        self._check_ramp()
        self._check_savings()
        if self.volume_source not in VOLUME_SOURCES:
            raise RoiInputError(
                f"volume_source: {self.volume_source!r} is unknown; use one of {list(VOLUME_SOURCES)}"
            )

    def _check_horizon_and_rate(self) -> None:
        """Horizon: whole years 1..MAX_HORIZON_YEARS; discount rate: a fraction in [0, 1)."""
        h = self.horizon_years
        if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= MAX_HORIZON_YEARS:
            raise RoiInputError(
                f"horizon_years: expected whole years 1..{MAX_HORIZON_YEARS}, got {h!r}; e.g. 3"
            )
        rate = check_number(self.discount_rate, "discount_rate", minimum=0)
        if rate >= 1:
            raise RoiInputError(
                f"discount_rate: must be a fraction below 1, got {rate:g}; write 8% as 0.08, not 8"
            )
        object.__setattr__(self, "discount_rate", rate)

    def _check_ramp(self) -> None:
        """At most one share per year of the horizon, each in [0, 1]."""
        ramp = self.adoption_ramp
        if len(ramp) > self.horizon_years:
            raise RoiInputError(
                f"adoption_ramp: {len(ramp)} yearly shares {list(ramp)} for a horizon of {self.horizon_years} "
                "year(s); give at most one share per year (later years keep the last share)"
            )
        shares = tuple(check_number(v, f"adoption_ramp[{i}]", minimum=0) for i, v in enumerate(ramp))
        for i, share in enumerate(shares):
            if share > 1:
                raise RoiInputError(
                    f"adoption_ramp[{i}]: a share of the benefit in [0, 1], got {share:g}; 90% is 0.9"
                )
        object.__setattr__(self, "adoption_ramp", shares)

    def _check_savings(self) -> None:
        """Role names unique; rates of change in [-1, 1]; costs per error and breach non-negative."""
        names = [r.role for r in self.roles]
        if len(set(names)) != len(names):
            raise RoiInputError(f"roles: each role once, got {names}; merge the duplicate entries")
        for key in ("errors", "sla_breaches"):
            rate: RateSaving | None = getattr(self, key)
            if rate is None:
                continue
            unit = "cost_per_error" if key == "errors" else "cost_per_breach"
            check_number(rate.cost_each, f"{key}.{unit}", minimum=0)
            for scenario in SCENARIOS:
                if abs(rate.rate_change.value(scenario)) > 1:
                    raise RoiInputError(
                        f"{key}.rate_change.{scenario}: a change of a share of cases lies in [-1, 1], got "
                        f"{rate.rate_change.value(scenario):g}; write 12 percentage points as -0.12"
                    )

    def ramp_share(self, year: int) -> float:
        """Share of the full annual saving realised in ``year`` (1-based); beyond the ramp its last share."""
        if not self.adoption_ramp:
            return 1.0
        return self.adoption_ramp[min(year, len(self.adoption_ramp)) - 1]


@dataclass(frozen=True, slots=True)
class ActivityTimes:
    """One activity of the current log: occurrences per case, mean human work and mean wait before it."""

    activity: str
    per_case: float
    processing_minutes: float
    waiting_hours: float
    role: str | None = None  # who does it today; None for a system step

    def __post_init__(self) -> None:
        for field in ("per_case", "processing_minutes", "waiting_hours"):
            value = check_number(getattr(self, field), f"activities[{self.activity}].{field}", minimum=0)
            object.__setattr__(self, field, value)


@dataclass(frozen=True, slots=True)
class TargetChanges:
    """What the target model changes: activities it automates and activities whose preceding wait it removes."""

    automated: AbstractSet[str] = frozenset()
    removed_waits: AbstractSet[str] = frozenset()
    system_minutes: float = 0.0  # system time an automated step takes per occurrence
    system_cost_per_step: float = 0.0  # e.g. a per-call fee

    def __post_init__(self) -> None:
        object.__setattr__(self, "automated", frozenset(self.automated))
        object.__setattr__(self, "removed_waits", frozenset(self.removed_waits))
        for field in ("system_minutes", "system_cost_per_step"):
            object.__setattr__(self, field, check_number(getattr(self, field), field, minimum=0))
