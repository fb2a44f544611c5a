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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics.roi_inputs import SCENARIOS, RoiInputs
from analytics.roi_scenario import Scenario as Scenario
from analytics.roi_scenario import evaluate_scenario as evaluate_scenario
from analytics.roi_scenario import npv as npv
from analytics.roi_scenario import payback_months as payback_months
from analytics.roi_sensitivity import TornadoBar as TornadoBar
from analytics.roi_sensitivity import tornado as tornado
from analytics.roi_trace import Inputs as Inputs
from analytics.roi_trace import TraceRow as TraceRow
from analytics.roi_trace import input_rows as input_rows

if TYPE_CHECKING:
    import pandas as pd


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
