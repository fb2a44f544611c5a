"""Before/after comparison: the sample logs' injected improvements, no-change pairs, cutover counts, DiD."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.before_after import BeforeAfter, compare_before_after
from analytics.before_after_setup import CutoverSetup, SegmentsSetup, TwoLogsSetup
from analytics.kpi_catalogue import CATALOGUE, KpiSettings
from baton.errors import FilterError
from baton.filters import CaseAttribute, EventAttribute, FilterSpec

END = ("Disburse Loan", "Reject Application", "Cancel Application")
SETTINGS = KpiSettings(
    end_activities=END, error_activities=("Correct Data Entry Error",), system_resource_prefix="sys_"
)
CUTOVER = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_ws(sample_logs: Path) -> Iterator:
    """Both sample logs (Parquet), plus the AFTER log imported a second time as ``after_copy``."""
    from baton.api import open_workspace

    ws = open_workspace()
    for name in ("loans_before", "loans_after"):
        ws.import_file(sample_logs / f"{name}.parquet", name=name)
    ws.import_file(sample_logs / "loans_after.parquet", name="after_copy")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def sample_result(sample_ws) -> BeforeAfter:  # type: ignore[no-untyped-def]
    """BEFORE vs AFTER (two logs, whole), with the default 2000 resamples."""
    setup = TwoLogsSetup(sample_ws.log("loans_before"), sample_ws.log("loans_after"))
    return compare_before_after(setup, SETTINGS, n_boot=2000, seed=0)


def test_cycle_time_fell_with_an_interval_excluding_zero(sample_result: BeforeAfter) -> None:
    """The redesign's big cycle-time drop is found: verdict says it fell, the CI lies wholly below zero."""
    # True value: the generator draws BEFORE waits of about a working day per handoff and days for the
    # customer (median case 432 h in facts.json) and AFTER bot steps in seconds (median 46 h): a fall of
    # about 89% by design. We assert the direction and that the interval excludes 0, as the brief asks.
    row = sample_result["cycle_time_median"]
    c = row.comparison
    assert c is not None and c.scale == "relative"
    assert c.before / 3_600e6 == pytest.approx(432.01, abs=0.01)  # facts.json median_completed_case_hours
    assert c.after / 3_600e6 == pytest.approx(46.07, abs=0.01)
    assert c.ci[1] < 0 and c.improved is True
    assert row.verdict.startswith("Cycle time (median) fell 89% (95% CI 89-90%) from 18.0 days to 1.9 days")
    assert row.verdict.endswith("improved (p < 0.001)")


def test_automation_interval_contains_the_design_change(sample_result: BeforeAfter) -> None:
    """The automation rise (mean per-case share of system steps) has a CI holding the design's true change."""
    # True value: the expected per-case share of steps done by sys_* resources under the generator's design
    # (loan_flows.py + deviations.py), estimated by simulating 80,000 fresh cases per process (two seeds,
    # no log end so every case completes): BEFORE 0.0895, AFTER 0.8883 (Monte Carlo error < 0.0004 each).
    # The sample's own shares differ by chance and slightly by the log edge (short cases finish first).
    true_change = 0.8883 - 0.0895
    row = sample_result["automation_rate"]
    c = row.comparison
    assert c is not None and c.scale == "absolute" and c.statistic == "mean"
    assert c.ci[0] <= true_change <= c.ci[1]
    assert c.ci[0] > 0.75 and c.improved is True
    assert row.verdict.startswith("Automation rate rose 79.6 points")
    assert "from 9.3% to 88.9%" in row.verdict


def test_error_rate_interval_contains_the_injected_minus_13_points(sample_ws) -> None:  # type: ignore[no-untyped-def]
    """Error share among cases that reached the error-detecting step: the CI contains 0.05 - 0.18."""
    # True value: BEFORE, 18% of applications carry a typing error (case.chance(0.18)) that the first
    # `Underwrite Application` always finds and `Correct Data Entry Error` fixes; AFTER, 5% of identities
    # mismatch at `Run KYC Check` (case.chance(0.05)), fixed by the same activity. Among cases that reached
    # the detecting step the error share's design value is 0.18 before and 0.05 after: a change of -13 points.
    # So each side is the log filtered to cases with its detecting step (a two-logs setup of segments).
    before = sample_ws.log("loans_before").filter(EventAttribute("activity", ("Underwrite Application",)))
    after = sample_ws.log("loans_after").filter(EventAttribute("activity", ("Run KYC Check",)))
    result = compare_before_after(TwoLogsSetup(before, after), SETTINGS, n_boot=2000)
    c = result["error_rate"].comparison
    assert c is not None and c.statistic == "share" and c.test == "two-proportion z"
    assert (c.n_before, c.n_after) == (4317, 4964)
    assert c.before == pytest.approx(0.1760, abs=1e-4) and c.after == pytest.approx(0.0506, abs=1e-4)
    assert c.ci[0] <= -0.13 <= c.ci[1]
    assert result["error_rate"].verdict.startswith("Exception / error rate fell 12.5 points")


def test_sample_warnings_name_running_cases_and_the_redesigned_mix(sample_result: BeforeAfter) -> None:
    """Running cases at each log end are counted (facts.json) and the case-mix warning explains the redesign."""
    sides = {s.role: s for s in sample_result.sides}
    assert (sides["before"].cases, sides["before"].complete, sides["before"].running) == (5000, 4457, 543)
    assert (sides["after"].complete, sides["after"].running) == (4964, 36)
    text = "\n".join(sample_result.warnings)
    assert "543 cases still running at the log end" in text and "36 cases still running" in text
    assert sample_result.mix is not None and sample_result.mix.material
    assert "(0 only before, 4 only after)" in text and "a process redesign naturally changes the mix" in text
    assert "only 25 periods before (fewer than 30)" in text  # weekly throughput: 25 whole weeks


def test_unavailable_kpis_are_rows_with_reasons(sample_result: BeforeAfter) -> None:
    """Every catalogue KPI has a row; SLA (not set) is listed with the reason and no comparison."""
    assert [r.key for r in sample_result.rows()] == list(CATALOGUE)
    sla = sample_result["sla_compliance"]
    assert sla.comparison is None and sla.unavailable_reason is not None
    assert (
        sla.unavailable_reason.startswith("before: no SLA set")
        and "after: no SLA set" in sla.unavailable_reason
    )
    assert sla.verdict.startswith("Not compared: ")
    assert sample_result["throughput"].verdict.startswith("No detectable change in throughput")


def test_rows_map_onto_the_report_kpi_row(sample_result: BeforeAfter) -> None:
    """A row carries exactly the fields `reports.content.KpiRow` needs, so the assembler can map it."""
    from reports.content import KpiRow

    names = [f.name for f in dataclasses.fields(KpiRow)]
    row = sample_result["cost_per_case"]
    mapped = KpiRow(**{n: getattr(row, n) for n in names})
    assert mapped.unit == "money" and mapped.comparison is row.comparison
    assert mapped.verdict.startswith("Cost per case fell 71%")


def test_the_same_log_imported_twice_shows_no_change(sample_ws) -> None:  # type: ignore[no-untyped-def]
    """Identical data on both sides: every interval contains 0 and no verdict improved or worsened."""
    setup = TwoLogsSetup(sample_ws.log("loans_after"), sample_ws.log("after_copy"))
    result = compare_before_after(setup, SETTINGS, n_boot=500)
    _assert_no_change(result)
    assert all(r.comparison.change == 0 for r in result.rows() if r.comparison is not None)
    assert result.mix is not None and result.mix.tvd == 0 and not result.mix.material


def _halves(log, seed: int) -> SegmentsSetup:  # type: ignore[no-untyped-def]
    """AFTER split into two random halves by case id (a seeded permutation)."""
    ids = np.array([f"A-{i:05d}" for i in range(1, 5001)])
    half = np.random.default_rng(seed).permutation(5000) < 2500
    before, after = (FilterSpec((CaseAttribute("case_id", tuple(ids[m])),)) for m in (half, ~half))
    return SegmentsSetup(log, before, after)


def test_random_halves_of_one_log_show_no_change(sample_ws) -> None:  # type: ignore[no-untyped-def]
    """Two random halves of AFTER by case (seeded split 0): intervals contain 0, no improvement verdict."""
    # Each KPI's 95% interval misses 0 for about 1 split in 20 by chance, and the 13 KPIs are correlated
    # (one unlucky split moves cycle time, waiting and cost together), so some splits raise a false alarm
    # on one or several KPIs; this test pins one split, the next test pins the rate over twelve.
    result = compare_before_after(_halves(sample_ws.log("loans_after"), 0), SETTINGS, n_boot=500)
    _assert_no_change(result)
    assert not result.mix.material  # type: ignore[union-attr]
    assert {s.cases for s in result.sides} == {2500}


def test_false_alarms_over_random_halves_stay_near_the_nominal_rate(sample_ws) -> None:  # type: ignore[no-untyped-def]
    """Over 12 random no-change splits, at most 10% of the 156 KPI verdicts claim a change (nominal 5%)."""
    log = sample_ws.log("loans_after")
    claims = 0
    for seed in range(12):
        result = compare_before_after(_halves(log, seed), SETTINGS, n_boot=300)
        claims += sum("improved" in r.verdict or "worsened" in r.verdict for r in result.rows())
    assert claims <= 15  # 9 at n_boot=500 when written: 5.8% of 12 x 13 comparisons


def _assert_no_change(result: BeforeAfter) -> None:
    compared = [r for r in result.rows() if r.comparison is not None]
    assert len(compared) == 13  # all but the SLA, which is not set
    for r in compared:
        lo, hi = r.comparison.ci  # type: ignore[union-attr]
        assert lo <= 0 <= hi, (r.key, r.comparison)
        assert "improved" not in r.verdict and "worsened" not in r.verdict, r.verdict


# ---- a hand-made log: cutover counts and difference-in-differences ------------------------------------


def _write_log(path: Path, cases: list[tuple[str, datetime, float, bool, str]]) -> Path:
    """CSV with cases (id, start, duration in hours, complete, group): Start, then End or Wait."""
    rows = []
    for case_id, start, hours, complete, group in cases:
        rows.append((case_id, "Start", start, "clerk", group))
        last = "End" if complete else "Wait"
        rows.append((case_id, last, start + timedelta(hours=hours), "sys_bot", group))
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "resource", "group"])
    frame["timestamp"] = frame["timestamp"].map(lambda t: t.isoformat())
    frame.to_csv(path, index=False)
    return path


def _day(d: int, h: int = 9) -> datetime:
    return datetime(2025, 2, 1, tzinfo=UTC) + timedelta(days=d - 1, hours=h)


@pytest.fixture
def small_log(ws, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Seven cases around a cutover on 2025-03-01 (day 29), each one a case kind the split must handle."""
    cases = [
        ("c1", _day(1), 48.0, True, "x"),  # before: started and finished before the cutover
        ("c2", _day(2), 24.0, True, "x"),  # before
        ("c3", _day(27), 96.0, True, "x"),  # spans: started before, finished after
        ("c4", _day(28), 5.0, False, "x"),  # spans: started before, still running at the log end
        ("c5", _day(29, 0), 10.0, True, "x"),  # after: starts exactly at the cutover
        ("c6", _day(30), 30.0, True, "x"),  # after
        ("c7", _day(31), 2.0, False, "x"),  # after, still running at the log end
    ]
    ws.import_file(_write_log(tmp_path / "small.csv", cases), name="small")
    return ws.log("small")


def test_cutover_counts_cases_per_side_and_spanning_cases(small_log) -> None:  # type: ignore[no-untyped-def]
    """Hand-checked split: 2 before, 3 after (1 running), 2 spanning (1 running) excluded and warned about."""
    cfg = KpiSettings(end_activities=("End",))
    result = compare_before_after(CutoverSetup(small_log, CUTOVER), cfg, n_boot=200)
    sides = {s.role: s for s in result.sides}
    assert (sides["before"].cases, sides["before"].complete, sides["before"].running) == (2, 2, 0)
    assert (sides["after"].cases, sides["after"].complete, sides["after"].running) == (3, 2, 1)
    assert sides["before"].spanning == 2
    c = result["cycle_time_median"].comparison
    assert c is not None and (c.before, c.after) == (
        36 * 3_600e6,
        20 * 3_600e6,
    )  # medians of (48, 24), (10, 30)
    assert any(w.startswith("2 cases started before the cutover (2025-03-01T00:00:00+00:00) but had not finished")
               and "(1 of them still running at the log end)" in w and "excluded from both sides" in w
               for w in result.warnings)  # fmt: skip
    assert any("only 2 cases before (fewer than 30)" in w for w in result.warnings)
    kept = compare_before_after(CutoverSetup(small_log, CUTOVER, spanning="before"), cfg, n_boot=200)
    before = next(s for s in kept.sides if s.role == "before")
    assert (before.cases, before.complete, before.running) == (4, 3, 1)


def test_setups_are_validated(small_log) -> None:  # type: ignore[no-untyped-def]
    """Naive or out-of-range cutovers, identical sides and nested controls are refused with a fix."""
    with pytest.raises(FilterError, match="with a time zone"):
        CutoverSetup(small_log, datetime(2025, 3, 1))  # noqa: DTZ001
    with pytest.raises(FilterError, match="lies outside log 'small'"):
        CutoverSetup(small_log, datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(FilterError, match="the same selection"):
        TwoLogsSetup(small_log, small_log)
    with pytest.raises(FilterError, match="has no case attribute 'colour'"):
        SegmentsSetup.by_attribute(small_log, "colour", ("a",), ("b",))
    inner = CutoverSetup(small_log, CUTOVER)
    with pytest.raises(FilterError, match="cannot have a control of its own"):
        CutoverSetup(small_log, CUTOVER, control=CutoverSetup(small_log, CUTOVER, control=inner))


def test_difference_in_differences_when_the_control_changed_too(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Treated cycle time halves, the control's falls 20%: DiD recovers about -30 points, CI excludes 0."""
    # True value: every case's duration is base x factor x lognormal noise (sigma 0.3, seeded); the factor
    # is 0.5 for treated cases after the cutover and 0.8 for control cases after it, so the median's
    # relative change is -50% and -20% by design, and the DiD effect is -30 points.
    rng = np.random.default_rng(5)
    cases = []
    for group, factor in (("treated", 0.5), ("control", 0.8)):
        for i in range(300):
            after = i % 2 == 1
            start = _day(40 if after else 1) + timedelta(hours=int(rng.integers(0, 20 * 24)))
            hours = 40.0 * (factor if after else 1.0) * float(np.exp(0.3 * rng.standard_normal()))
            cases.append((f"{group[0]}{i}", start, hours, True, group))
    ws.import_file(_write_log(tmp_path / "did.csv", cases), name="did")
    log = ws.log("did")
    cutover = _day(30)
    control = CutoverSetup(log.filter(CaseAttribute("group", ("control",))), cutover)
    setup = CutoverSetup(log.filter(CaseAttribute("group", ("treated",))), cutover, control=control)
    result = compare_before_after(setup, KpiSettings(end_activities=("End",)), n_boot=1000)
    row = result["cycle_time_median"]
    did = row.did
    assert did is not None and did.scale == "relative"
    assert did.treated_change == pytest.approx(-0.5, abs=0.06)
    assert did.control_change == pytest.approx(-0.2, abs=0.06)
    assert did.ci[0] <= -0.30 <= did.ci[1] and did.ci[1] < 0
    assert row.did_verdict is not None and row.did_verdict.endswith("an improvement")
    assert [s.role for s in result.sides] == ["before", "after", "control before", "control after"]
    assert (
        result["rework_rate"].did is not None and not result["rework_rate"].did.detected
    )  # no rework at all
