"""Before/after statistics (analytics.stats) and their plain-language verdicts (analytics.verdicts)."""

from __future__ import annotations

import doctest
import math
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs
from scipy import stats as st

from analytics import stats as stats_module
from analytics import verdicts as verdicts_module
from analytics.stats import Comparison, DiffInDiff, case_mix_shift, compare_samples, diff_in_diff
from analytics.verdicts import did_verdict, format_p, format_value, verdict

DAY_US = 86400e6


def _comparison(**overrides: object) -> Comparison:
    """A hand-built comparison for the verdict tests (a 58% fall in cycle time, p < 0.001)."""
    fields: dict[str, object] = {
        "statistic": "median",
        "better": "lower",
        "before": 4.2 * DAY_US,
        "after": 4.2 * 0.42 * DAY_US,
        "change": -4.2 * 0.58 * DAY_US,
        "relative_change": -0.58,
        "ci_change": (-2.6 * DAY_US, -2.3 * DAY_US),
        "ci_relative": (-0.62, -0.54),
        "scale": "relative",
        "confidence": 0.95,
        "p_value": 1e-6,
        "test": "Mann-Whitney U",
        "effect_size": -0.5,
        "effect_name": "Cliff's delta",
        "n_before": 400,
        "n_after": 380,
        "n_boot": 2000,
        "seed": 0,
        "warnings": (),
    }
    fields.update(overrides)
    return Comparison(**fields)  # type: ignore[arg-type]


def test_median_hand_computed_with_scipy_p_value_and_cliffs_delta() -> None:
    """Medians, changes, the Mann-Whitney p-value (as scipy's) and Cliff's delta of small arrays."""
    before, after = [1.0, 2, 3, 4, 100], [1.0, 1, 2, 2]
    c = compare_samples(before, after, n_boot=500)
    assert (c.before, c.after, c.change, c.relative_change) == (3.0, 1.5, -1.5, -0.5)
    assert c.p_value == pytest.approx(st.mannwhitneyu(after, before, alternative="two-sided").pvalue)
    # pairs (after, before): after=1 beats nothing and ties one (0.5) twice, after=2 beats 1 and ties one twice
    assert c.effect_size == pytest.approx(2 * 4.0 / 20 - 1)  # U = 4 of 20 pairs -> -0.6
    assert (c.test, c.effect_name, c.scale, c.n_before, c.n_after) == (
        "Mann-Whitney U",
        "Cliff's delta",
        "relative",
        5,
        4,
    )


def test_p90_interpolates_linearly_and_mean_uses_welch() -> None:
    """p90 of 1..10 is 9.1 (numpy's linear rule); the mean's p-value is scipy's Welch t test."""
    before, after = np.arange(1.0, 11.0), np.arange(1.0, 11.0) * 2
    assert compare_samples(before, after, statistic="p90", n_boot=200).before == pytest.approx(9.1)
    c = compare_samples(before, after, statistic="mean", n_boot=200)
    assert (c.before, c.after, c.relative_change) == (5.5, 11.0, 1.0)
    assert c.p_value == pytest.approx(st.ttest_ind(after, before, equal_var=False).pvalue)
    assert c.test == "Welch t"


def test_two_proportion_z_against_hand_calculation_and_chi_square() -> None:
    """Shares: 30% -> 18% gives z = -1.987, p = 0.0469 (= scipy's chi-square without correction), Cohen's h."""
    before = np.array([True] * 30 + [False] * 70)
    after = np.array([1] * 18 + [0] * 82)
    c = compare_samples(before, after, statistic="share", n_boot=500)
    assert (c.before, c.after, c.scale, c.test) == (0.30, 0.18, "absolute", "two-proportion z")
    assert c.change == pytest.approx(-0.12)
    # pooled 0.24, se = sqrt(0.24 * 0.76 * (1/100 + 1/100)) = 0.060399, z = -0.12 / se = -1.98680
    assert c.p_value == pytest.approx(2 * st.norm.sf(1.9867985355975655), rel=1e-9)
    assert c.p_value == pytest.approx(0.046944726978, rel=1e-9)
    chi = st.chi2_contingency([[18, 82], [30, 70]], correction=False)
    assert c.p_value == pytest.approx(chi.pvalue, rel=1e-9)
    assert c.effect_size == pytest.approx(2 * math.asin(math.sqrt(0.18)) - 2 * math.asin(math.sqrt(0.30)))


def test_small_counts_use_fisher_exact() -> None:
    """An expected count below 5 switches the share test to Fisher's exact test (scipy's p-value)."""
    c = compare_samples([1] * 1 + [0] * 9, [1] * 4 + [0] * 6, statistic="share", n_boot=200)
    assert c.test == "Fisher exact"
    assert c.p_value == pytest.approx(st.fisher_exact([[4, 6], [1, 9]]).pvalue)
    assert any("fewer than 30" in w for w in c.warnings)


def test_bootstrap_is_reproducible_with_a_seed_and_changes_with_another() -> None:
    """The same seed gives the same interval bit for bit; another seed gives another interval."""
    rng = np.random.default_rng(11)
    b, a = rng.lognormal(2, 1, 300), rng.lognormal(1.8, 1, 300)
    first = compare_samples(b, a, seed=5, n_boot=1000)
    assert compare_samples(b.copy(), a.copy(), seed=5, n_boot=1000) == first
    other = compare_samples(b, a, seed=6, n_boot=1000)
    assert other.ci_relative != first.ci_relative
    assert other.relative_change == first.relative_change
    assert abs(other.ci_relative[0] - first.ci_relative[0]) < 0.1  # same data, only Monte Carlo noise


def test_coverage_of_a_known_40_percent_drop_in_the_median() -> None:
    """Over 200 seeded lognormal pairs with a true -40% median change, the 95% CI covers it 90-99% of the time."""
    rng = np.random.default_rng(2024)
    started, hits = time.perf_counter(), 0
    for rep in range(200):
        before = rng.lognormal(3.0, 0.8, 100)
        after = rng.lognormal(3.0, 0.8, 100) * 0.6
        lo, hi = compare_samples(before, after, n_boot=400, seed=rep).ci_relative
        hits += lo <= -0.4 <= hi
    assert 0.90 <= hits / 200 <= 0.99
    assert time.perf_counter() - started < 10


def test_no_change_pairs_give_intervals_containing_zero_and_no_verdict() -> None:
    """Pairs drawn from one distribution: a fixed pair says 'No detectable change'; false calls stay rare."""
    rng = np.random.default_rng(7)
    pair = rng.lognormal(3, 1, 500), rng.lognormal(3, 1, 500)
    c = compare_samples(*pair, seed=1)
    assert c.ci_relative[0] < 0 < c.ci_relative[1]
    assert verdict("cycle time", c, "s").startswith("No detectable change in cycle time (p = ")
    calls = covered = 0
    for _ in range(40):
        for stat in ("median", "mean"):
            c = compare_samples(
                rng.lognormal(3, 1, 200), rng.lognormal(3, 1, 200), statistic=stat, n_boot=300
            )
            calls += c.detected()
            covered += c.ci[0] <= 0 <= c.ci[1]
            text = verdict("cycle time", c, "s")
            assert text.startswith("Cycle time") if c.detected() else text.startswith("No detectable change")
    assert calls <= 8 and covered >= 72  # 80 comparisons at alpha 0.05 expect 4 false calls


def test_diff_in_diff_recovers_a_known_effect() -> None:
    """Treated median -40% and control -10% give an effect of -30 points with an interval around it."""
    rng = np.random.default_rng(3)

    def draw(scale: float) -> np.ndarray:
        return rng.lognormal(4, 0.7, 3000) * scale

    d = diff_in_diff(draw(1.0), draw(0.6), draw(1.0), draw(0.9), n_boot=1000, seed=2)
    assert d.scale == "relative" and d.n == (3000, 3000, 3000, 3000)
    assert d.treated_change == pytest.approx(-0.4, abs=0.05)
    assert d.control_change == pytest.approx(-0.1, abs=0.05)
    assert d.effect == pytest.approx(d.treated_change - d.control_change)
    assert d.ci[0] < -0.30 < d.ci[1] and d.detected
    text = did_verdict("cycle time", d)
    assert text.startswith("Cycle time fell ") and text.endswith(", an improvement")


def test_diff_in_diff_without_effect_is_not_detected() -> None:
    """The same change in both groups gives an interval containing 0 and a 'No detectable difference'."""
    rng = np.random.default_rng(4)
    groups = [rng.lognormal(4, 0.7, 800) * s for s in (1.0, 0.7, 1.0, 0.7)]
    d = diff_in_diff(*groups, n_boot=500, seed=1)
    assert d.ci[0] < 0 < d.ci[1] and not d.detected
    assert did_verdict("cycle time", d).startswith("No detectable difference in cycle time")
    assert d.p_value > 0.05


def test_diff_in_diff_p_value_agrees_with_its_interval() -> None:
    """The bootstrap p-value is below 0.05 exactly when the 95% interval excludes 0 (interval inversion),
    and a large effect gives the smallest p the resamples can show (0: no replicate reaches 0)."""
    rng = np.random.default_rng(7)
    for shift in (0.0, 0.03, 0.06, 0.1, 0.2, 0.4):
        groups = [rng.lognormal(4, 0.7, 600) * s for s in (1.0, 1.0 - shift, 1.0, 1.0)]
        d = diff_in_diff(*groups, n_boot=800, seed=3)
        assert 0 <= d.p_value <= 1
        if abs(d.p_value - 0.05) > 0.01:  # away from the boundary, where quantile interpolation may differ
            assert d.detected == (d.p_value < 0.05), (shift, d.ci, d.p_value)
    assert d.p_value == 0.0 and d.detected


def test_case_mix_shift_hand_example() -> None:
    """A: 50/50 -> 80/20 is a total variation distance of 0.30 and chi-square 19.78 (p = 8.7e-6)."""
    m = case_mix_shift({"A": 50, "B": 50}, ["A"] * 80 + ["B"] * 20)
    assert m.categories == ("A", "B")
    assert (m.before_shares, m.after_shares) == ((0.5, 0.5), (0.8, 0.2))
    assert m.tvd == pytest.approx(0.30)
    # expected counts 65 and 35 in each row: chi2 = 2 * (15^2/65 + 15^2/35) = 19.780
    assert m.p_value == pytest.approx(st.chi2.sf(2 * (15**2 / 65 + 15**2 / 35), 1))
    assert m.p_value == pytest.approx(8.68771e-6, rel=1e-5)
    assert m.material and "case mix changed" in m.warnings[0]


def test_case_mix_shift_groups_rare_variants_and_stays_quiet_when_unchanged() -> None:
    """Variants beyond top_k become '(other)'; equal mixes give tvd 0, p = 1 and no warning."""
    before = ["A"] * 40 + ["B"] * 30 + ["C"] * 20 + ["D"] * 10
    m = case_mix_shift(before, np.array(before), top_k=2)
    assert m.categories == ("A", "B", "(other)")
    assert m.before_shares == pytest.approx((0.4, 0.3, 0.3))
    assert (m.tvd, m.p_value, m.material, m.warnings) == (0.0, 1.0, False, ())


def test_warnings_for_missing_values_small_samples_and_equal_values() -> None:
    """NaN and None are dropped and counted; < 30 values warns; all-equal values give p = 1 and a warning."""
    c = compare_samples([1.0, None, float("nan"), 2.0, 3.0], [5.0] * 40, n_boot=100)
    assert (c.n_before, c.n_after, c.before) == (3, 40, 2.0)
    assert c.warnings[:2] == (
        "2 missing values before were dropped",
        "only 3 cases before (fewer than 30): treat the result with care",
    )
    same = compare_samples([4.0] * 50, [4.0] * 50, n_boot=100)
    assert (same.p_value, same.effect_size, same.change, same.ci_relative) == (1.0, 0.0, 0.0, (0.0, 0.0))
    assert "all values are equal (4)" in same.warnings[0]
    assert verdict("cycle time", same, "s") == "No detectable change in cycle time (p = 1.00)"


def test_empty_side_and_zero_before() -> None:
    """No values on a side says 'Not enough data'; a zero before switches to the absolute scale."""
    empty = compare_samples([1.0, 2.0], [], n_boot=100)
    assert (empty.before, empty.n_after) == (1.5, 0) and math.isnan(empty.p_value)
    assert verdict("rework", empty) == "Not enough data to compare rework (2 cases before, 0 after)"
    zero = compare_samples([0.0] * 60, [0.0] * 20 + [1.0] * 40, n_boot=200)
    assert (zero.scale, zero.estimate, zero.change) == ("absolute", 1.0, 1.0)
    assert any("relative change is undefined" in w for w in zero.warnings)
    assert verdict("waiting time", zero, "h").startswith(
        "Waiting time rose by 1.0 hours (95% CI 1.0 hours to 1.0 hours) from 0 s to 1.0 hours: worsened (p < "
    )


def test_timedeltas_are_microseconds_and_bad_options_are_refused() -> None:
    """timedelta64 values become microseconds; an unknown statistic or non-boolean shares raise ValueError."""
    c = compare_samples(np.array([1, 2, 3], dtype="timedelta64[s]"), np.array([2, "NaT", 4], dtype="m8[s]"))
    assert (c.before, c.after, c.n_after) == (2e6, 3e6, 2)
    with pytest.raises(ValueError, match="statistic='p50' is not supported; pass one of median, mean"):
        compare_samples([1.0], [2.0], statistic="p50")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs booleans or 0/1 values; the after values"):
        compare_samples([0, 1], [0, 2], statistic="share")


@pytest.mark.slow
def test_100k_cases_per_side_is_fast_and_memory_bounded() -> None:
    """A median comparison of 100k cases per side with 2000 resamples stays under 30 s and ~100 MB extra."""
    rng = np.random.default_rng(9)
    before, after = rng.lognormal(10, 1, 100_000), rng.lognormal(10, 1, 100_000) * 0.5
    tracemalloc.start()
    started = time.perf_counter()
    try:
        c = compare_samples(before, after, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 30
    assert peak < 100e6  # unchunked, 2000 x 100k int32 indices alone would take 800 MB
    assert c.ci_relative[0] < -0.5 < c.ci_relative[1]  # the true change of the median is -50%


_values = hs.lists(hs.floats(1.0, 1000.0, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(_values, _values, hs.sampled_from(["median", "mean", "p90"]))
def test_swapping_before_and_after_mirrors_the_result(b: list[float], a: list[float], stat: str) -> None:
    """Swapping the periods flips the change, mirrors its interval, flips the relative change's sign."""
    assume(sorted(a) != sorted(b))  # identical periods are mirrored in distribution only (module docstring)
    fwd = compare_samples(b, a, statistic=stat, n_boot=100, seed=3)  # type: ignore[arg-type]
    rev = compare_samples(a, b, statistic=stat, n_boot=100, seed=3)  # type: ignore[arg-type]
    assert rev.change == -fwd.change
    assert rev.ci_change == pytest.approx((-fwd.ci_change[1], -fwd.ci_change[0]), rel=1e-9, abs=1e-9)
    assert np.sign(rev.relative_change) == -np.sign(fwd.relative_change)
    assert rev.effect_size == pytest.approx(-fwd.effect_size)
    np.testing.assert_allclose(rev.p_value, fwd.p_value, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(_values, _values, hs.sampled_from(["median", "mean", "p90"]), hs.integers(0, 5))
def test_interval_contains_the_estimate(b: list[float], a: list[float], stat: str, seed: int) -> None:
    """On both scales the bootstrap interval's lower bound <= the estimate <= its upper bound."""
    c = compare_samples(b, a, statistic=stat, n_boot=100, seed=seed)  # type: ignore[arg-type]
    assert c.ci_change[0] <= c.change <= c.ci_change[1]
    assert c.ci_relative[0] <= c.relative_change <= c.ci_relative[1]


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.booleans(), min_size=1, max_size=60), hs.lists(hs.booleans(), min_size=1, max_size=60))
def test_share_interval_contains_the_estimate_and_p_is_a_probability(b: list[bool], a: list[bool]) -> None:
    """Shares: the interval holds the change, and the p-value lies in [0, 1]."""
    c = compare_samples(b, a, statistic="share", n_boot=100)
    assert c.ci_change[0] <= c.change <= c.ci_change[1]
    assert 0.0 <= c.p_value <= 1.0


def test_verdict_texts_for_falls_rises_and_shares() -> None:
    """The verdict's exact wording: relative falls and rises, improved/worsened from better, share points."""
    assert verdict("cycle time", _comparison(), "us") == (
        "Cycle time fell 58% (95% CI 54-62%) from 4.2 days to 1.8 days: improved (p < 0.001)"
    )
    rise = _comparison(
        before=100.0, after=112.0, change=12.0, relative_change=0.12, ci_change=(5.0, 19.0),
        ci_relative=(0.05, 0.19), p_value=0.003, better="higher",
    )  # fmt: skip
    assert verdict("throughput", rise, "cases/week") == (
        "Throughput rose 12% (95% CI 5-19%) from 100 cases/week to 112 cases/week: improved (p = 0.003)"
    )
    assert verdict("throughput", rise, "cases/week", better="lower").endswith(": worsened (p = 0.003)")
    small = _comparison(relative_change=-0.043, ci_relative=(-0.075, -0.012), p_value=0.02)
    assert "fell 4.3% (95% CI 1.2-7.5%)" in verdict("cycle time", small, "us")
    share = _comparison(
        statistic="share", before=0.12, after=0.08, change=-0.04, relative_change=-1 / 3,
        ci_change=(-0.051, -0.029), ci_relative=(-0.4, -0.25), scale="absolute", p_value=0.002,
    )  # fmt: skip
    assert verdict("error rate", share) == (
        "Error rate fell 4.0 points (95% CI 2.9-5.1 points) from 12.0% to 8.0%: improved (p = 0.002)"
    )


def test_verdict_calls_a_change_only_when_interval_and_p_agree() -> None:
    """An interval containing 0, or p >= alpha with an interval excluding 0, both read 'No detectable change'."""
    straddles = _comparison(ci_relative=(-0.1, 0.05), p_value=0.41)
    assert verdict("error rate", straddles) == "No detectable change in error rate (p = 0.41)"
    p_too_big = _comparison(p_value=0.2)
    assert verdict("cycle time", p_too_big, "us") == "No detectable change in cycle time (p = 0.20)"
    assert not p_too_big.detected() and p_too_big.improved is None
    assert _comparison().improved is True


def test_formatting_helpers() -> None:
    """p-values, durations for humans, numbers with separators and unit suffixes."""
    assert [format_p(p) for p in (0.0004, 0.0031, 0.412, float("nan"))] == [
        "p < 0.001",
        "p = 0.003",
        "p = 0.41",
        "p not available",
    ]
    assert format_value(90, "min") == "1.5 hours"
    assert format_value(2.5, "days") == "2.5 days"
    assert format_value(12345.678, "EUR") == "12,346 EUR"
    assert format_value(3.14159, "count") == "3.14"


def test_did_verdict_text() -> None:
    """A hand-built difference-in-differences result reads as a difference in points with its interval."""
    d = DiffInDiff("median", "relative", -0.4, -0.1, -0.3, (-0.36, -0.24), 0.95, (99,) * 4, 500, 0, ())
    assert did_verdict("cycle time", d) == (
        "Cycle time fell 40% in the changed group and fell 10% in the control group: a difference of -30 points "
        "(95% CI -36 to -24 points), an improvement"
    )


@pytest.mark.parametrize("module", [stats_module, verdicts_module])
def test_docstring_examples_run(module: object) -> None:
    """The examples in the modules' docstrings give the values they show."""
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted >= 1 and result.failed == 0
