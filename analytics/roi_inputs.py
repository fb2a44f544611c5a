"""Inputs of the ROI business case (KPI deltas with bounds, costs, horizon, ramp), validated; YAML in and out.

Conventions a finance reader can check:

* A KPI delta is the change of a lower-is-better KPI, *after minus before* (``-32`` minutes of clerk work per
  case, ``-0.11`` error rate). It carries three numbers: ``expected`` (the point estimate),
  ``conservative`` (the confidence bound least favourable to the business case, i.e. the larger one) and
  ``optimistic`` (the other bound), so ``optimistic <= expected <= conservative``.
  ``KpiDelta.from_interval(expected, low, high)`` picks the bounds from a confidence interval.
* Labour saving per case and role = ``-(minutes change) / 60 x hourly cost``; error and SLA-breach saving
  per case = ``-(rate change) x cost per error (breach)``.
* ``annual_volume`` is the number of cases per year, given or ``measured`` from a log (pass the measured
  number when loading: ``load_roi_inputs(path, measured_volume=10_000)``).
* ``adoption_ramp[t-1]`` is the share of the full annual saving realised in year ``t``; years beyond the
  ramp keep its last share (no ramp: 100% from year 1). Running costs are paid in full from year 1.

Example YAML: ``sample_logs/roi_inputs.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from baton.errors import RoiInputError
from baton.yaml_files import read_yaml

SCENARIOS = ("conservative", "expected", "optimistic")
MAX_HORIZON_YEARS = 30
VOLUME_SOURCES = ("given", "measured")
TOP_KEYS = {
    "currency",
    "annual_volume",
    "measured_annual_volume",
    "roles",
    "errors",
    "sla_breaches",
    "investment",
    "running_cost_per_year",
    "horizon_years",
    "discount_rate",
    "adoption_ramp",
}
ROLE_KEYS = {"role", "hourly_cost", "minutes_before", "minutes_after", "minutes_change"}
DELTA_KEYS = {"expected", "conservative", "optimistic"}


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


def load_roi_inputs(path: str | Path, *, measured_volume: float | None = None) -> RoiInputs:
    """Read business-case inputs from a YAML file (``yaml.safe_load``); see sample_logs/roi_inputs.yaml.

    Raises:
        SourceNotFoundError: no such file.
        MalformedSourceError: the file is not valid YAML.
        RoiInputError: an input is missing or invalid; the message names the file and the field.
    """
    source = Path(path)
    data = read_yaml(source, what="the ROI inputs")
    try:
        return roi_inputs_from_dict(data, measured_volume=measured_volume)
    except RoiInputError as exc:
        raise RoiInputError(f"{source.name}: {exc}") from exc


def save_roi_inputs(inputs: RoiInputs, path: str | Path) -> Path:
    """Write ``inputs`` as YAML that ``load_roi_inputs`` reads back to an equal RoiInputs."""
    target = Path(path)
    text = "# Baton ROI business-case inputs (written by analytics.roi_inputs.save_roi_inputs)\n"
    text += yaml.safe_dump(roi_inputs_to_dict(inputs), sort_keys=False, allow_unicode=True)
    target.write_text(text, encoding="utf-8")
    return target


def roi_inputs_to_dict(inputs: RoiInputs) -> dict[str, Any]:
    """Plain data (the YAML layout) for ``inputs``."""
    data: dict[str, Any] = {"currency": inputs.currency}
    if inputs.volume_source == "measured":
        data |= {"annual_volume": "measured", "measured_annual_volume": inputs.annual_volume}
    else:
        data["annual_volume"] = inputs.annual_volume
    data["roles"] = [_role_dict(r) for r in inputs.roles]
    for key, unit in (("errors", "cost_per_error"), ("sla_breaches", "cost_per_breach")):
        rate: RateSaving | None = getattr(inputs, key)
        if rate is not None:
            data[key] = {"rate_change": _delta_dict(rate.rate_change), unit: rate.cost_each}
    data |= {
        "investment": inputs.investment,
        "running_cost_per_year": inputs.running_cost_per_year,
        "horizon_years": inputs.horizon_years,
        "discount_rate": inputs.discount_rate,
        "adoption_ramp": list(inputs.adoption_ramp),
    }
    return data


def _role_dict(role: RoleSaving) -> dict[str, Any]:
    """One role entry: minutes before/after when known, else the minutes change with its bounds."""
    data: dict[str, Any] = {"role": role.role, "hourly_cost": role.hourly_cost}
    if role.minutes_before is not None:
        return data | {"minutes_before": role.minutes_before, "minutes_after": role.minutes_after}
    return data | {"minutes_change": _delta_dict(role.minutes_change)}


def _delta_dict(delta: KpiDelta) -> dict[str, float]:
    """A KPI delta as its three named numbers."""
    return {name: delta.value(name) for name in SCENARIOS}


def roi_inputs_from_dict(data: Any, *, measured_volume: float | None = None) -> RoiInputs:
    """Validate plain data (as ``yaml.safe_load`` returns it) and build RoiInputs."""
    if not isinstance(data, dict):
        raise RoiInputError(
            f"expected a mapping with keys {sorted(TOP_KEYS)} at the top, got {type(data).__name__}"
        )
    _no_unknown(data, TOP_KEYS, "")
    volume, source = _volume(data, measured_volume)
    for key in ("investment", "running_cost_per_year", "horizon_years", "discount_rate"):
        if key not in data:
            raise RoiInputError(f"{key}: missing; add it at the top level (see sample_logs/roi_inputs.yaml)")
    ramp = data.get("adoption_ramp") or []
    if not isinstance(ramp, list):
        raise RoiInputError(
            f"adoption_ramp: expected a list of yearly shares like [0.5, 0.9, 1.0], got {ramp!r}"
        )
    return RoiInputs(
        annual_volume=volume,
        investment=data["investment"],
        running_cost_per_year=data["running_cost_per_year"],
        horizon_years=data["horizon_years"],
        discount_rate=data["discount_rate"],
        roles=tuple(_role(v, i) for i, v in enumerate(_as_list(data.get("roles"), "roles"))),
        errors=_rate(data.get("errors"), "errors", "cost_per_error"),
        sla_breaches=_rate(data.get("sla_breaches"), "sla_breaches", "cost_per_breach"),
        adoption_ramp=tuple(ramp),
        volume_source=source,
        currency=str(data.get("currency", "EUR")),
    )


def _volume(data: dict[str, Any], measured: float | None) -> tuple[float, str]:
    """The annual volume and where it came from; ``measured`` takes the number passed in (or the recorded one)."""
    value = data.get("annual_volume")
    if value is None:
        raise RoiInputError("annual_volume: missing; give cases per year (e.g. 10000) or 'measured'")
    if value != "measured":
        return check_number(value, "annual_volume"), "given"
    number = measured if measured is not None else data.get("measured_annual_volume")
    if number is None:
        raise RoiInputError(
            "annual_volume: 'measured' but no measured number; pass measured_volume= (cases per year counted "
            "in the log) or record it as measured_annual_volume"
        )
    return check_number(number, "measured_annual_volume"), "measured"


def _as_list(value: Any, field: str) -> Sequence[Any]:
    """A list-valued key (absent = empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RoiInputError(f"{field}: expected a list, got {type(value).__name__}")
    return value


def _no_unknown(mapping: dict[Any, Any], allowed: set[str], field: str) -> None:
    """Refuse misspelt keys."""
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        where = f"{field}: " if field else ""
        raise RoiInputError(f"{where}unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def _delta(value: Any, field: str) -> KpiDelta:
    """A KPI delta from a plain number (exact) or {expected, conservative, optimistic}."""
    if not isinstance(value, dict):
        return KpiDelta.exact(check_number(value, field))
    _no_unknown(value, DELTA_KEYS, field)
    missing = sorted(DELTA_KEYS - set(value))
    if missing:
        raise RoiInputError(f"{field}: missing {missing}; give expected, conservative and optimistic")
    nums = {k: check_number(value[k], f"{field}.{k}") for k in DELTA_KEYS}
    try:
        return KpiDelta(nums["expected"], nums["conservative"], nums["optimistic"])
    except RoiInputError as exc:
        raise RoiInputError(f"{field}: {exc}") from exc


def _role(value: Any, index: int) -> RoleSaving:
    """One entry of ``roles``."""
    field = f"roles[{index}]"
    if not isinstance(value, dict):
        raise RoiInputError(f"{field}: expected a mapping with keys {sorted(ROLE_KEYS)}, got {value!r}")
    _no_unknown(value, ROLE_KEYS, field)
    for key in ("role", "hourly_cost"):
        if key not in value:
            raise RoiInputError(f"{field}: missing {key}")
    has_minutes = "minutes_before" in value or "minutes_after" in value
    if has_minutes == ("minutes_change" in value):
        raise RoiInputError(f"{field}: give either minutes_before and minutes_after, or minutes_change")
    if has_minutes:
        before = check_number(value.get("minutes_before"), f"{field}.minutes_before", minimum=0)
        after = check_number(value.get("minutes_after"), f"{field}.minutes_after", minimum=0)
        return RoleSaving.from_minutes(value["role"], value["hourly_cost"], before, after)
    return RoleSaving(
        value["role"], value["hourly_cost"], _delta(value["minutes_change"], f"{field}.minutes_change")
    )


def _rate(value: Any, field: str, unit: str) -> RateSaving | None:
    """``errors`` or ``sla_breaches``: {rate_change, cost_per_error | cost_per_breach}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RoiInputError(f"{field}: expected a mapping with rate_change and {unit}, got {value!r}")
    _no_unknown(value, {"rate_change", unit}, field)
    if "rate_change" not in value or unit not in value:
        raise RoiInputError(f"{field}: needs rate_change and {unit}")
    cost = check_number(value[unit], f"{field}.{unit}", minimum=0)
    return RateSaving(_delta(value["rate_change"], f"{field}.rate_change"), cost)
