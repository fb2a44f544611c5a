"""ROI sensitivity: the tornado of the expected NPV with one input at a time moved across its range."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from analytics.roi_inputs import KpiDelta, RateSaving, RoiInputError, RoiInputs, RoleSaving, check_number
from analytics.roi_scenario import evaluate_scenario

_MAX_RATE = 0.999


@dataclass(frozen=True, slots=True)
class TornadoBar:
    """The expected NPV with one input at the low and the high end of its stated range."""

    input: str
    range: str
    low_value: float
    high_value: float
    npv_low: float
    npv_high: float

    @property
    def swing(self) -> float:
        """How far the NPV moves across the range (absolute)."""
        return abs(self.npv_high - self.npv_low)


def tornado(inputs: RoiInputs, *, swing: float = 0.2) -> tuple[TornadoBar, ...]:
    """Expected NPV at both ends of each input's range, sorted by swing (largest first, then by name)."""
    check_number(swing, "swing", minimum=0)
    if swing >= 1:
        raise RoiInputError(f"swing: a fraction below 1, got {swing:g}; +-20% is 0.2")
    bars = []
    for name, text, low, high, apply in _moves(inputs, swing):
        npv_low = evaluate_scenario(apply(low), "expected").npv
        npv_high = evaluate_scenario(apply(high), "expected").npv
        bars.append(TornadoBar(name, text, low, high, npv_low, npv_high))
    return tuple(sorted(bars, key=lambda b: (-b.swing, b.input)))


Move = tuple[str, str, float, float, Callable[[float], RoiInputs]]


def _moves(inputs: RoiInputs, swing: float) -> Iterator[Move]:
    """Each input with its range text, low and high values and a function giving the inputs moved there."""
    pct = f"-{swing:.0%} .. +{swing:.0%}"

    def scaled(name: str, value: float, apply: Callable[[float], RoiInputs]) -> Move:
        return (name, pct, value * (1 - swing), value * (1 + swing), apply)

    def delta(name: str, d: KpiDelta, apply: Callable[[float], RoiInputs]) -> Move:
        if d.conservative == d.optimistic:
            return scaled(name, d.expected, apply)
        return (name, "confidence bounds", d.optimistic, d.conservative, apply)

    yield scaled("annual_volume", inputs.annual_volume, lambda v: replace(inputs, annual_volume=v))
    for role in inputs.roles:
        yield scaled(
            f"roles[{role.role}].hourly_cost", role.hourly_cost, _role_mover(inputs, role, "hourly_cost")
        )
        mover = _role_mover(inputs, role, "minutes_change")
        yield delta(f"roles[{role.role}].minutes_change", role.minutes_change, mover)
    for key, unit in (("errors", "cost_per_error"), ("sla_breaches", "cost_per_breach")):
        rate: RateSaving | None = getattr(inputs, key)
        if rate is not None:
            yield delta(f"{key}.rate_change", rate.rate_change, _rate_mover(inputs, key, "rate_change"))
            yield scaled(f"{key}.{unit}", rate.cost_each, _rate_mover(inputs, key, "cost_each"))
    yield scaled("investment", inputs.investment, lambda v: replace(inputs, investment=v))
    yield scaled(
        "running_cost_per_year",
        inputs.running_cost_per_year,
        lambda v: replace(inputs, running_cost_per_year=v),
    )
    r = inputs.discount_rate
    low, high = r * (1 - swing), min(r * (1 + swing), _MAX_RATE)
    yield ("discount_rate", pct, low, high, lambda v: replace(inputs, discount_rate=v))
    ramp = inputs.adoption_ramp or (1.0,)
    yield (
        "adoption_ramp",
        f"each year's share x{1 - swing:g} .. x{1 + swing:g} (at most 1)",
        1 - swing,
        1 + swing,
        lambda f: replace(inputs, adoption_ramp=tuple(min(1.0, s * f) for s in ramp)),
    )


def _role_mover(inputs: RoiInputs, role: RoleSaving, field: str) -> Callable[[float], RoiInputs]:
    """Inputs with one role's hourly cost or minutes change (exact) set to a value."""

    def apply(value: float) -> RoiInputs:
        if field == "hourly_cost":
            moved = replace(role, hourly_cost=value)
        else:
            moved = RoleSaving(role.role, role.hourly_cost, KpiDelta.exact(value))
        return replace(inputs, roles=tuple(moved if r.role == role.role else r for r in inputs.roles))

    return apply


def _rate_mover(inputs: RoiInputs, key: str, field: str) -> Callable[[float], RoiInputs]:
    """Inputs with the error or SLA-breach rate change (exact) or cost each set to a value."""

    def apply(value: float) -> RoiInputs:
        rate: RateSaving = getattr(inputs, key)
        if field == "cost_each":
            moved = replace(rate, cost_each=value)
        else:
            moved = replace(rate, rate_change=KpiDelta.exact(value))
        if key == "errors":
            return replace(inputs, errors=moved)
        return replace(inputs, sla_breaches=moved)

    return apply
