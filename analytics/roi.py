"""ROI business case: scenario savings, cash flows, payback, NPV, ROI, tornado; every figure with its formula.

Conventions (each figure's formula is also in ``RoiEstimate.trace()``):

* Scenarios: every KPI delta at its conservative bound, its expected value or its optimistic bound (see
  ``analytics.roi_inputs``); costs, volume, investment and rates are the same in all three.
* Saving per case = sum over roles of ``-(minutes change) / 60 * hourly cost``
  ``- (error-rate change) * cost per error - (SLA-breach-rate change) * cost per breach``;
  annual savings = ``annual volume * saving per case`` (full adoption, before running costs).
* Cash flows fall at year ends: year 0 = ``-investment`` (not discounted), year t = 1..H =
  ``ramp_t * annual savings - running cost per year``.
* NPV = ``sum_{t=0..H} CF_t / (1 + r)^t``.
* ROI = ``(PV benefits - PV costs) / PV costs`` with PV benefits = ``sum_{t=1..H} ramp_t * annual savings /
  (1 + r)^t`` and PV costs = ``investment + sum_{t=1..H} running cost / (1 + r)^t`` (so ROI = NPV / PV
  costs); None when PV costs are 0.
* Payback (undiscounted): months until the cumulative cash flow reaches 0, linear within the year it does
  (the year's flow accrues evenly over its 12 months); 0 without investment; None when the cumulative
  cash flow is still negative at the end of the horizon.
* Tornado: the expected scenario's NPV with one input at a time moved to the ends of its range (a KPI
  delta to its confidence bounds, or +-``swing`` when it has none; everything else +-``swing``, a ramp's
  shares capped at 1, the discount rate below 1), bars sorted by swing (largest first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from analytics.roi_inputs import (
    SCENARIOS,
    KpiDelta,
    RateSaving,
    RoiInputError,
    RoiInputs,
    RoleSaving,
    check_number,
)

if TYPE_CHECKING:
    import pandas as pd

Inputs = tuple[tuple[str, float], ...]
_MAX_RATE = 0.999


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One figure of the business case: its formula as text, its value and the input values used."""

    figure: str
    formula: str
    value: float | None
    inputs: Inputs = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario's savings, yearly cash flows (year 0 first), NPV, ROI and payback."""

    name: str
    saving_per_case: float
    annual_savings: float
    cash_flows: tuple[float, ...]
    npv: float
    pv_benefits: float
    pv_costs: float
    roi: float | None
    payback_months: float | None
    rows: tuple[TraceRow, ...]

    @property
    def cumulative(self) -> tuple[float, ...]:
        """Cumulative undiscounted cash flow at the end of each year (year 0 first)."""
        out: list[float] = []
        for flow in self.cash_flows:
            out.append(flow + (out[-1] if out else 0.0))
        return tuple(out)


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


@dataclass(frozen=True, slots=True)
class RoiEstimate:
    """The business case: the three scenarios and the tornado for the inputs given."""

    inputs: RoiInputs
    conservative: Scenario
    expected: Scenario
    optimistic: Scenario
    tornado: tuple[TornadoBar, ...]

    @property
    def scenarios(self) -> tuple[Scenario, Scenario, Scenario]:
        """Conservative, expected, optimistic."""
        return (self.conservative, self.expected, self.optimistic)

    def trace(self) -> tuple[TraceRow, ...]:
        """Every input and every output figure with its formula, value and the inputs it used."""
        return input_rows(self.inputs) + tuple(r for s in self.scenarios for r in s.rows)

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario: savings, NPV, ROI, payback and the cash flow of each year."""
        import pandas as pd

        records = []
        for s in self.scenarios:
            flows = {f"cash_flow_year_{t}": v for t, v in enumerate(s.cash_flows)}
            records.append(
                {"scenario": s.name, "saving_per_case": s.saving_per_case, "annual_savings": s.annual_savings}
                | {"npv": s.npv, "roi": s.roi, "payback_months": s.payback_months}
                | flows
            )
        return pd.DataFrame.from_records(records)


def estimate_roi(inputs: RoiInputs, *, swing: float = 0.2) -> RoiEstimate:
    """The three scenarios and the tornado (inputs without a confidence interval moved by +-``swing``).

    Example:
        >>> from analytics.roi_inputs import KpiDelta, RoleSaving
        >>> clerk = RoleSaving("clerk", 60.0, KpiDelta.exact(-10.0))  # 10 minutes less at 60/h = 10 a case
        >>> case = RoiInputs(annual_volume=12_000, investment=120_000, running_cost_per_year=0,
        ...                  horizon_years=3, discount_rate=0.0, roles=(clerk,))
        >>> estimate_roi(case).expected.payback_months
        12.0
    """
    cons, exp, opt = (evaluate_scenario(inputs, name) for name in SCENARIOS)
    return RoiEstimate(inputs, cons, exp, opt, tornado=tornado(inputs, swing=swing))


def npv(cash_flows: Sequence[float], rate: float) -> float:
    """Net present value of year-end cash flows, ``cash_flows[0]`` at year 0 (not discounted)."""
    return sum(flow / (1 + rate) ** year for year, flow in enumerate(cash_flows))


def payback_months(cash_flows: Sequence[float]) -> float | None:
    """Months until the cumulative cash flow reaches 0 (linear within the year); None if never in the horizon.

    Example:
        >>> payback_months([-120_000, 120_000, 120_000])
        12.0
    """
    found = _payback(cash_flows)
    return None if found is None else found[0]


def _payback(cash_flows: Sequence[float]) -> tuple[float, int, float, float] | None:
    """(months, year reached, cumulative flow before that year, that year's flow) or None."""
    cumulative = cash_flows[0]
    if cumulative >= 0:
        return (0.0, 0, cumulative, cumulative)
    for year, flow in enumerate(cash_flows[1:], start=1):
        if cumulative + flow >= 0:  # flow > 0 here since cumulative < 0
            return (12.0 * (year - 1) + 12.0 * -cumulative / flow, year, cumulative, flow)
        cumulative += flow
    return None


def evaluate_scenario(inputs: RoiInputs, scenario: str) -> Scenario:
    """Savings, cash flows, NPV, ROI and payback with every KPI delta at ``scenario`` (see SCENARIOS)."""
    per_case, rows = _saving_per_case(inputs, scenario)
    annual = inputs.annual_volume * per_case
    tag = f" ({scenario})"
    rows.append(
        TraceRow(
            "annual savings" + tag,
            "annual_volume * saving per case",
            annual,
            (("annual_volume", inputs.annual_volume), ("saving per case" + tag, per_case)),
        )
    )
    flows, flow_rows = _cash_flows(inputs, annual, tag)
    rows += flow_rows
    rate, running = inputs.discount_rate, inputs.running_cost_per_year
    years = range(1, inputs.horizon_years + 1)
    pv_benefits = sum(inputs.ramp_share(t) * annual / (1 + rate) ** t for t in years)
    pv_costs = inputs.investment + sum(running / (1 + rate) ** t for t in years)
    value = npv(flows, rate)
    roi = (pv_benefits - pv_costs) / pv_costs if pv_costs > 0 else None
    flow_inputs = tuple((f"cash flow year {t}{tag}", f) for t, f in enumerate(flows))
    rows += [
        TraceRow(
            "NPV" + tag, "sum_{t=0..H} CF_t / (1 + discount_rate)^t", value, flow_inputs + _rate(inputs)
        ),
        TraceRow(
            "PV benefits" + tag,
            "sum_{t=1..H} adoption_ramp[t] * annual savings / (1 + discount_rate)^t",
            pv_benefits,
            (("annual savings" + tag, annual), *_rate(inputs), *_ramp(inputs)),
        ),
        TraceRow(
            "PV costs" + tag,
            "investment + sum_{t=1..H} running_cost_per_year / (1 + discount_rate)^t",
            pv_costs,
            (("investment", inputs.investment), ("running_cost_per_year", running), *_rate(inputs)),
        ),
        TraceRow(
            "ROI" + tag,
            "(PV benefits - PV costs) / PV costs (undefined when PV costs are 0)",
            roi,
            (("PV benefits" + tag, pv_benefits), ("PV costs" + tag, pv_costs)),
        ),
        _payback_row(flows, tag),
    ]
    months = payback_months(flows)
    return Scenario(scenario, per_case, annual, flows, value, pv_benefits, pv_costs, roi, months, tuple(rows))


def _rate(inputs: RoiInputs) -> Inputs:
    """The discount rate and horizon as trace inputs."""
    return (("discount_rate", inputs.discount_rate), ("horizon_years", float(inputs.horizon_years)))


def _ramp(inputs: RoiInputs) -> Inputs:
    """The ramp share of each year as trace inputs."""
    return tuple((f"adoption_ramp[{t}]", inputs.ramp_share(t)) for t in range(1, inputs.horizon_years + 1))


def _saving_per_case(inputs: RoiInputs, scenario: str) -> tuple[float, list[TraceRow]]:
    """Saving per case from each role, errors and SLA breaches, with one trace row each plus the total."""
    rows: list[TraceRow] = []
    tag = f" ({scenario})"
    for role in inputs.roles:
        change, where = role.minutes_change.value(scenario), f"roles[{role.role}]"
        rows.append(
            TraceRow(
                f"labour saving per case, {role.role}{tag}",
                f"-{where}.minutes_change.{scenario} / 60 * {where}.hourly_cost",
                -change / 60.0 * role.hourly_cost,
                ((f"{where}.minutes_change.{scenario}", change), (f"{where}.hourly_cost", role.hourly_cost)),
            )
        )
    for key, unit, rate in (
        ("errors", "cost_per_error", inputs.errors),
        ("sla_breaches", "cost_per_breach", inputs.sla_breaches),
    ):
        if rate is not None:
            change = rate.rate_change.value(scenario)
            rows.append(
                TraceRow(
                    f"{key.replace('_', ' ')} saving per case{tag}",
                    f"-{key}.rate_change.{scenario} * {key}.{unit}",
                    -change * rate.cost_each,
                    ((f"{key}.rate_change.{scenario}", change), (f"{key}.{unit}", rate.cost_each)),
                )
            )
    total = sum(r.value or 0.0 for r in rows)
    parts = tuple((r.figure, r.value or 0.0) for r in rows)
    rows.append(TraceRow("saving per case" + tag, "sum of the savings per case above", total, parts))
    return total, rows


def _cash_flows(inputs: RoiInputs, annual: float, tag: str) -> tuple[tuple[float, ...], list[TraceRow]]:
    """Year-end cash flows (year 0 = -investment) with a trace row per year."""
    flows = [-inputs.investment]
    rows = [TraceRow(f"cash flow year 0{tag}", "-investment", flows[0], (("investment", inputs.investment),))]
    running = inputs.running_cost_per_year
    for t in range(1, inputs.horizon_years + 1):
        share = inputs.ramp_share(t)
        flows.append(share * annual - running)
        used = (
            (f"adoption_ramp[{t}]", share),
            ("annual savings" + tag, annual),
            ("running_cost_per_year", running),
        )
        rows.append(
            TraceRow(
                f"cash flow year {t}{tag}",
                f"adoption_ramp[{t}] * annual savings - running_cost_per_year",
                flows[-1],
                used,
            )
        )
    return tuple(flows), rows


def _payback_row(flows: Sequence[float], tag: str) -> TraceRow:
    """The payback figure with the year it is reached and the flows the interpolation used."""
    found = _payback(flows)
    figure = "payback months" + tag
    if found is None:
        cumulative = sum(flows)
        text = "never: the cumulative cash flow is still negative at the end of the horizon"
        return TraceRow(figure, text, None, (("cumulative cash flow at the horizon" + tag, cumulative),))
    months, year, before, flow = found
    if year == 0:
        return TraceRow(figure, "0: no investment to pay back", 0.0, (("cash flow year 0" + tag, before),))
    return TraceRow(
        figure,
        "12 * (t - 1) + 12 * -(cumulative cash flow to year t-1) / CF_t, t = first year the cumulative is >= 0",
        months,
        (
            ("t", float(year)),
            (f"cumulative cash flow year {year - 1}{tag}", before),
            (f"CF_{year}{tag}", flow),
        ),
    )


def input_rows(inputs: RoiInputs) -> tuple[TraceRow, ...]:
    """Every input of the business case as a trace row (formula: where the number comes from)."""
    source = "measured in the log" if inputs.volume_source == "measured" else "given"
    rows = [TraceRow("annual_volume", f"input ({source})", inputs.annual_volume)]
    for role in inputs.roles:
        where = f"roles[{role.role}]"
        rows.append(TraceRow(f"{where}.hourly_cost", "input", role.hourly_cost))
        if role.minutes_before is not None and role.minutes_after is not None:
            rows += [
                TraceRow(f"{where}.minutes_before", "input", role.minutes_before),
                TraceRow(f"{where}.minutes_after", "input", role.minutes_after),
            ]
        used: Inputs = ()
        if role.minutes_before is not None and role.minutes_after is not None:
            used = (
                (f"{where}.minutes_after", role.minutes_after),
                (f"{where}.minutes_before", role.minutes_before),
            )
        rows += _delta_rows(f"{where}.minutes_change", role.minutes_change, used)
    for key, unit, rate in (
        ("errors", "cost_per_error", inputs.errors),
        ("sla_breaches", "cost_per_breach", inputs.sla_breaches),
    ):
        if rate is not None:
            rows += _delta_rows(f"{key}.rate_change", rate.rate_change, ())
            rows.append(TraceRow(f"{key}.{unit}", "input", rate.cost_each))
    for name in ("investment", "running_cost_per_year", "horizon_years", "discount_rate"):
        rows.append(TraceRow(name, "input", float(getattr(inputs, name))))
    rows += [TraceRow(name, "input (last share repeats after the ramp)", v) for name, v in _ramp(inputs)]
    return tuple(rows)


def _delta_rows(field: str, delta: KpiDelta, derived_from: Inputs) -> list[TraceRow]:
    """The three numbers of a KPI delta as trace rows (derived from minutes before/after when given)."""
    if derived_from:
        text = "minutes_after - minutes_before (no interval: the same in every scenario)"
        return [TraceRow(f"{field}.{name}", text, delta.value(name), derived_from) for name in SCENARIOS]
    kinds = {"expected": "input (point estimate)", "conservative": "input (least favourable bound)"}
    return [
        TraceRow(f"{field}.{name}", kinds.get(name, "input (most favourable bound)"), delta.value(name))
        for name in SCENARIOS
    ]


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
