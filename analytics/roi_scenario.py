"""One ROI scenario: savings per case, yearly cash flows, NPV, ROI and payback, each with its trace rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analytics.roi_inputs import RoiInputs
from analytics.roi_trace import TraceRow, _ramp, _rate


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
