"""ROI business-case arithmetic (payback, NPV, ROI, ramp, tornado, trace), its inputs, YAML and projection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.roi import estimate_roi, evaluate_scenario, npv, payback_months
from analytics.roi_inputs import (
    ActivityTimes,
    KpiDelta,
    RateSaving,
    RoiInputError,
    RoiInputs,
    RoleSaving,
    TargetChanges,
    load_roi_inputs,
    roi_inputs_from_dict,
    roi_inputs_to_dict,
    save_roi_inputs,
)
from analytics.roi_projection import projected_case
from baton.errors import BatonError, MalformedSourceError, SourceNotFoundError

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs" / "roi_inputs.yaml"


def case(saving_per_case: float = 10.0, **changes: Any) -> RoiInputs:
    """Inputs with one clerk role worth ``saving_per_case`` EUR a case (minutes change at 60 EUR/h)."""
    clerk = RoleSaving("clerk", 60.0, KpiDelta.exact(-saving_per_case))  # -m min / 60 * 60 EUR = m EUR
    base = RoiInputs(
        annual_volume=12_000,
        investment=120_000,
        running_cost_per_year=0,
        horizon_years=3,
        discount_rate=0.08,
        roles=(clerk,),
    )
    return replace(base, **changes)


def test_payback_of_120k_with_10k_a_month_is_12_months() -> None:
    """Investment 120k and savings of 10k a month (120k a year) pay back after exactly 12 months."""
    # 12,000 cases * 10 EUR = 120,000 a year; cumulative -120,000 + 120,000 = 0 at the end of year 1
    # -> 12 * (1 - 1) + 12 * 120,000 / 120,000 = 12
    result = estimate_roi(case())
    assert result.expected.annual_savings == pytest.approx(120_000)
    assert result.expected.payback_months == pytest.approx(12.0, abs=1e-9)
    # 150k investment: -150k + 120k = -30k after year 1 -> 12 + 12 * 30,000 / 120,000 = 15 months
    assert estimate_roi(case(investment=150_000)).expected.payback_months == pytest.approx(15.0, abs=1e-9)
    assert payback_months([0.0, -5.0]) == 0.0  # nothing invested: paid back at once


def ramp_case() -> RoiInputs:
    """S = 80,000 a year (8,000 cases * 10 EUR), running 10,000, investment 100,000, ramp 50/75/100%."""
    return case(
        annual_volume=8_000, investment=100_000, running_cost_per_year=10_000, adoption_ramp=(0.5, 0.75, 1)
    )


def test_npv_roi_and_payback_at_8_percent_over_3_years() -> None:
    """NPV, ROI and payback of a ramped case equal the hand computation to 1e-6."""
    # cash flows: year 0 -100,000; year t = ramp_t * 80,000 - 10,000 -> 30,000, 50,000, 70,000
    # NPV = -100,000 + 30,000/1.08 + 50,000/1.1664 + 70,000/1.259712
    #     = -100,000 + 27,777.777778 + 42,866.941015 + 55,568.256871 = 26,212.975664
    # annuity 1/1.08 + 1/1.1664 + 1/1.259712 = 0.925926 + 0.857339 + 0.793832 = 2.577097
    # PV costs = 100,000 + 10,000 * 2.577097 = 125,770.969872
    # PV benefits = 40,000/1.08 + 60,000/1.1664 + 80,000/1.259712 = 151,983.945537
    # ROI = (151,983.945537 - 125,770.969872) / 125,770.969872 = 0.208418331
    # payback: cumulative -100k, -70k, -20k, +50k -> 24 + 12 * 20,000 / 70,000 = 27.428571 months
    s = estimate_roi(ramp_case()).expected
    assert s.cash_flows == pytest.approx((-100_000, 30_000, 50_000, 70_000))
    assert s.npv == pytest.approx(26_212.97566427882, abs=1e-6)
    assert npv([-100_000, 30_000, 50_000, 70_000], 0.08) == pytest.approx(26_212.97566427882, abs=1e-6)
    assert s.pv_costs == pytest.approx(125_770.96987247879, abs=1e-6)
    assert s.pv_benefits == pytest.approx(151_983.94553675762, abs=1e-6)
    assert s.roi == pytest.approx(0.2084183312799176, abs=1e-9)
    assert s.payback_months == pytest.approx(24 + 12 * 20_000 / 70_000, abs=1e-9)
    assert s.cumulative == pytest.approx((-100_000, -70_000, -20_000, 50_000))


def test_ramp_shorter_than_horizon_repeats_its_last_share() -> None:
    """A ramp of [0.5] over 3 years realises half the saving every year; no ramp means 100% from year 1."""
    # 120,000 a year: with ramp [0.5] -> 60,000 each year; payback 24 months (cumulative -120k, -60k, 0)
    half = estimate_roi(case(adoption_ramp=(0.5,))).expected
    assert half.cash_flows == pytest.approx((-120_000, 60_000, 60_000, 60_000))
    assert half.payback_months == pytest.approx(24.0, abs=1e-9)
    full = estimate_roi(case()).expected
    assert full.cash_flows == pytest.approx((-120_000, 120_000, 120_000, 120_000))
    assert full.npv - half.npv == pytest.approx(60_000 * 2.5770969872478793, abs=1e-6)


def test_never_paying_back_within_the_horizon_gives_none() -> None:
    """A case still under water at the horizon has no payback and its trace says so; ROI is negative."""
    # 1,000,000 invested, 120,000 a year for 3 years: cumulative -640,000 at the end
    s = estimate_roi(case(investment=1_000_000)).expected
    assert s.payback_months is None
    row = next(r for r in s.rows if r.figure == "payback months (expected)")
    assert row.value is None and row.formula.startswith("never")
    assert row.inputs == (("cumulative cash flow at the horizon (expected)", -640_000.0),)
    # ROI = (120,000 * 2.577097 - 1,000,000) / 1,000,000 = -0.690748
    assert s.roi == pytest.approx(120_000 * 2.5770969872478793 / 1_000_000 - 1, abs=1e-9)
    assert estimate_roi(case(investment=0, running_cost_per_year=0)).expected.roi is None


def test_scenarios_take_each_kpi_delta_at_its_bound() -> None:
    """Conservative uses the least favourable bound of every delta, optimistic the other one."""
    clerk = RoleSaving("clerk", 60.0, KpiDelta.from_interval(-10.0, -12.0, -7.0))
    errors = RateSaving(KpiDelta(-0.10, -0.05, -0.15), cost_each=20.0)
    result = estimate_roi(case(roles=(clerk,), errors=errors, annual_volume=1_000))
    # per case: conservative 7 + 0.05 * 20 = 8; expected 10 + 2 = 12; optimistic 12 + 3 = 15
    assert [s.saving_per_case for s in result.scenarios] == pytest.approx([8.0, 12.0, 15.0])
    assert [s.annual_savings for s in result.scenarios] == pytest.approx([8_000, 12_000, 15_000])


def tornado_case() -> RoiInputs:
    """The clerk's minutes change has a wide interval (-19 .. -1 around -10); everything else is small."""
    clerk = RoleSaving("clerk", 60.0, KpiDelta(-10.0, -1.0, -19.0))
    return case(roles=(clerk,), annual_volume=1_000, investment=20_000)


def test_tornado_puts_the_dominating_input_first() -> None:
    """The input with the widest range leads the tornado with the hand-computed swing; swings never grow."""
    bars = estimate_roi(tornado_case()).tornado
    # clerk minutes -19 vs -1: 18 EUR a case * 1,000 cases * annuity 2.577097 = 46,387.745770
    assert bars[0].input == "roles[clerk].minutes_change" and bars[0].range == "confidence bounds"
    assert (bars[0].low_value, bars[0].high_value) == (-19.0, -1.0)
    assert bars[0].swing == pytest.approx(46_387.74577046182, abs=1e-6)
    assert bars[0].npv_low > bars[0].npv_high  # more minutes saved is worth more
    swings = [b.swing for b in bars]
    assert swings == sorted(swings, reverse=True)
    # volume and hourly cost both move savings by +-20% (4,000 a year): equal swings, ordered by name
    assert [b.input for b in bars[1:3]] == ["annual_volume", "roles[clerk].hourly_cost"]
    assert bars[1].swing == pytest.approx(4_000 * 2.5770969872478793, abs=1e-6)
    names = {b.input for b in bars}
    assert {"investment", "running_cost_per_year", "discount_rate", "adoption_ramp"} <= names


def test_trace_gives_formula_value_and_inputs_for_every_figure() -> None:
    """Each output figure is in the trace with its formula text, its value and the input values used."""
    result = estimate_roi(ramp_case())
    rows = {r.figure: r for r in result.trace()}
    npv_row = rows["NPV (expected)"]
    assert npv_row.value == result.expected.npv and "(1 + discount_rate)^t" in npv_row.formula
    assert dict(npv_row.inputs)["cash flow year 3 (expected)"] == pytest.approx(70_000)
    year1 = rows["cash flow year 1 (conservative)"]
    assert year1.formula == "adoption_ramp[1] * annual savings - running_cost_per_year"
    assert dict(year1.inputs) == pytest.approx(
        {"adoption_ramp[1]": 0.5, "annual savings (conservative)": 80_000, "running_cost_per_year": 10_000}
    )
    labour = rows["labour saving per case, clerk (optimistic)"]
    assert labour.value == pytest.approx(10.0)
    assert labour.formula == "-roles[clerk].minutes_change.optimistic / 60 * roles[clerk].hourly_cost"
    assert rows["discount_rate"].value == 0.08 and rows["adoption_ramp[3]"].value == 1.0
    for name in ("annual savings", "PV benefits", "PV costs", "ROI", "payback months"):
        assert all(f"{name} ({s})" in rows for s in ("conservative", "expected", "optimistic"))


def test_sample_yaml_round_trips(tmp_path: Path) -> None:
    """sample_logs/roi_inputs.yaml loads, saves and loads back to equal inputs with the numbers written."""
    inputs = load_roi_inputs(SAMPLE)
    assert inputs.annual_volume == 10_000 and inputs.volume_source == "given"
    assert [r.role for r in inputs.roles] == ["clerk", "underwriter", "manager", "back office"]
    assert inputs.roles[0].minutes_change.expected == pytest.approx(1.5 - 102.3)
    assert inputs.roles[2].minutes_change == KpiDelta(1.2, 1.7, 0.7)
    assert inputs.adoption_ramp == (0.6, 0.9, 1.0) and inputs.discount_rate == 0.08
    saved = save_roi_inputs(inputs, tmp_path / "case.yaml")
    assert load_roi_inputs(saved) == inputs
    assert roi_inputs_from_dict(roi_inputs_to_dict(inputs)) == inputs
    result = estimate_roi(inputs)
    assert result.conservative.npv < result.expected.npv < result.optimistic.npv


def test_measured_volume_comes_from_the_caller_and_round_trips(tmp_path: Path) -> None:
    """annual_volume: measured takes the number passed in, is saved as measured and needs a number."""
    data = roi_inputs_to_dict(load_roi_inputs(SAMPLE)) | {"annual_volume": "measured"}
    inputs = roi_inputs_from_dict(data, measured_volume=9_876)
    assert (inputs.annual_volume, inputs.volume_source) == (9_876, "measured")
    assert load_roi_inputs(save_roi_inputs(inputs, tmp_path / "m.yaml")) == inputs
    assert estimate_roi(inputs).trace()[0].formula == "input (measured in the log)"
    with pytest.raises(RoiInputError, match="measured_volume="):
        roi_inputs_from_dict(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"annual_volume": -5}, r"annual_volume: must be >= 0 cases per year|annual_volume: must be >= 0"),
        ({"adoption_ramp": (0.5, 0.8, 1.0, 1.0)}, r"adoption_ramp: 4 yearly shares .* horizon of 3"),
        ({"discount_rate": 1.0}, r"discount_rate: must be a fraction below 1, got 1; write 8% as 0.08"),
        ({"discount_rate": 8}, r"discount_rate: .*got 8; write 8% as 0.08"),
        ({"horizon_years": 0}, r"horizon_years: expected whole years 1\.\.30"),
        ({"adoption_ramp": (1.5,)}, r"adoption_ramp\[0\]: a share of the benefit in \[0, 1\]"),
        ({"investment": "lots"}, r"investment: expected a finite number, got 'lots'"),
    ],
)
def test_invalid_inputs_raise_errors_naming_the_field(changes: dict[str, Any], message: str) -> None:
    """Bad inputs raise RoiInputError (a BatonError and ValueError) naming the field and the fix."""
    with pytest.raises(RoiInputError, match=message) as info:
        case(**changes)
    assert isinstance(info.value, ValueError) and isinstance(info.value, BatonError)


def test_yaml_errors_name_the_file_and_the_path(tmp_path: Path) -> None:
    """Errors from a YAML file name the file and the field path; unknown keys and missing files are refused."""
    text = SAMPLE.read_text(encoding="utf-8")
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text(
        text.replace("conservative: -20.5, optimistic: -26.0", "conservative: -26.0, optimistic: -20.5")
    )
    with pytest.raises(RoiInputError, match=r"swapped\.yaml: roles\[1\]\.minutes_change: .*swap the bounds"):
        load_roi_inputs(swapped)
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("discount_rate:", "discount_rat:"))
    with pytest.raises(RoiInputError, match=r"typo\.yaml: unknown key\(s\) \['discount_rat'\]"):
        load_roi_inputs(typo)
    broken = tmp_path / "broken.yaml"
    broken.write_text("roles: [unclosed\n")
    with pytest.raises(MalformedSourceError, match="broken.yaml: not valid YAML"):
        load_roi_inputs(broken)
    with pytest.raises(SourceNotFoundError):
        load_roi_inputs(tmp_path / "absent.yaml")


def test_kpi_delta_bounds_must_bracket_the_expected_value() -> None:
    """from_interval picks the larger bound as conservative; a conservative bound below expected is refused."""
    assert KpiDelta.from_interval(-0.1, -0.15, -0.05) == KpiDelta(-0.1, -0.05, -0.15)
    with pytest.raises(RoiInputError, match="optimistic <= expected <= conservative"):
        KpiDelta(-10.0, -12.0, -8.0)


savings = st.floats(min_value=-50, max_value=200, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    low=savings,
    extra=st.floats(min_value=0, max_value=100),
    spread=st.tuples(st.floats(0, 40), st.floats(0, 40)),
    volume=st.floats(min_value=0, max_value=1e5),
    rate=st.floats(min_value=0, max_value=0.5),
    ramp=st.lists(st.floats(min_value=0, max_value=1), max_size=3),
)
def test_npv_is_monotone_in_savings_and_scenarios_are_ordered(
    low: float, extra: float, spread: tuple[float, float], volume: float, rate: float, ramp: list[float]
) -> None:
    """More saving per case never lowers the NPV; conservative <= expected <= optimistic NPV."""
    base = case(
        low, annual_volume=volume, discount_rate=rate, adoption_ramp=tuple(ramp), running_cost_per_year=5_000
    )
    more = case(
        low + extra,
        annual_volume=volume,
        discount_rate=rate,
        adoption_ramp=tuple(ramp),
        running_cost_per_year=5_000,
    )
    eps = 1e-9 * (1 + abs(low) + extra) * (1 + volume) * 3
    assert evaluate_scenario(more, "expected").npv >= evaluate_scenario(base, "expected").npv - eps
    delta = KpiDelta(-low, -low + spread[0], -low - spread[1])
    result = estimate_roi(replace(base, roles=(RoleSaving("clerk", 60.0, delta),)))
    npvs = [s.npv for s in result.scenarios]
    assert npvs[0] <= npvs[1] + eps and npvs[1] <= npvs[2] + eps


def test_projected_case_is_labelled_and_hand_computed() -> None:
    """Automating re-keying and removing its wait saves the clerk minutes, minus bot fees, as a projection."""
    acts = [
        ActivityTimes("Re-enter Application Data", 1.0, 15.0, 8.0, "clerk"),
        ActivityTimes("Check Documents", 1.5, 10.0, 4.0, "clerk"),
        ActivityTimes("Underwrite Application", 1.0, 30.0, 24.0, "underwriter"),
    ]
    changes = TargetChanges(
        automated={"Re-enter Application Data", "Check Documents"},
        removed_waits={"Check Documents"},
        system_minutes=1.0,
        system_cost_per_step=0.5,
    )
    p = projected_case(acts, changes, annual_volume=10_000, hourly_cost={"clerk": 42.0, "underwriter": 68.0})
    # clerk minutes saved per case: 1 * 15 + 1.5 * 10 = 30 -> 30 / 60 * 42 = 21 EUR
    # bot fees: (1 + 1.5) steps * 0.5 = 1.25 EUR -> 19.75 EUR a case, 197,500 a year
    # cycle time: wait 1.5 * 4 = 6 h + 0.5 h human work - 2.5 * 1 min = 6.5 - 0.041667 h
    assert p.saving_per_case == pytest.approx(19.75) and p.annual_saving == pytest.approx(197_500)
    assert p.labour_hours_per_year == pytest.approx(5_000)
    assert p.waiting_hours_removed_per_case == pytest.approx(6.0)
    assert p.cycle_time_reduction_hours == pytest.approx(6.5 - 2.5 / 60)
    assert p.label.startswith("PROJECTION") and any("not a measured" in a for a in p.assumptions)
    assert p.roles == (RoleSaving("clerk", 42.0, KpiDelta.exact(-30.0)),)
    rows = {r.figure: r for r in p.trace()}
    assert dict(rows["system cost per case"].inputs) == {
        "automated steps per case": 2.5,
        "system_cost_per_step": 0.5,
    }
    with pytest.raises(RoiInputError, match=r"automated: \['Re-key'\] not among the log's activities"):
        projected_case(acts, TargetChanges({"Re-key"}), annual_volume=1, hourly_cost={})
    with pytest.raises(RoiInputError, match=r"hourly_cost\[clerk\]"):
        projected_case(acts, changes, annual_volume=1, hourly_cost={})
