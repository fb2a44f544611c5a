"""Trace rows of the ROI business case: each figure's formula, value and inputs, and the input rows."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.roi_inputs import SCENARIOS, KpiDelta, RoiInputs

Inputs = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One figure of the business case: its formula as text, its value and the input values used."""

    figure: str
    formula: str
    value: float | None
    inputs: Inputs = ()


def _rate(inputs: RoiInputs) -> Inputs:
    """The discount rate and horizon as trace inputs."""
    return (("discount_rate", inputs.discount_rate), ("horizon_years", float(inputs.horizon_years)))


def _ramp(inputs: RoiInputs) -> Inputs:
    """The ramp share of each year as trace inputs."""
    return tuple((f"adoption_ramp[{t}]", inputs.ramp_share(t)) for t in range(1, inputs.horizon_years + 1))


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
