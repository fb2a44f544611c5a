"""Before/after statistics on numpy arrays: seeded bootstrap intervals, tests, effect sizes, case-mix shift.

Choices, so a finance reader can audit them:

* Intervals are **percentile** bootstrap intervals (not BCa: BCa needs a jackknife, O(n^2) for a median on
  100k cases). Each group is resampled independently with its own stream spawned from ``seed``
  (``numpy.random.SeedSequence``); the streams go to the groups in a canonical order (size, then a digest
  of the sorted values), so the same data and seed always give the same interval and swapping before and
  after mirrors it exactly (when both periods hold exactly the same values, only in distribution).
  Resampling is vectorised in chunks of about 4M indices (16 MB); a median or p90 is taken by partitioning
  the resampled indices into the sorted values (about 2 s per 100k-value group at 2000 resamples, one core).
  A share's resampled mean is drawn as Binomial(n, p) / n, which is exactly its bootstrap distribution.
  When a very small or tied sample gives an interval that misses the point estimate, the interval is
  widened to include it (with a warning).
* p-values: Mann-Whitney U (two-sided, scipy's default method) for the median and p90 - it tests a shift
  of the whole distribution, not the quantile itself; Welch's t test for the mean (robust to unequal
  variances, exact enough for the large samples of process logs, and fast where a permutation test on
  100k cases would not be); for shares the pooled two-proportion z test, or Fisher's exact test when an
  expected count is below 5.
* Effect sizes: Cliff's delta (= rank-biserial correlation, 2U/(n1 n2) - 1, positive when after tends to
  be larger) for numeric values; Cohen's h for shares.
* A change is reported on the relative scale ((after - before) / |before|) for median, mean and p90 and on
  the absolute scale (percentage points) for shares, and on the absolute scale whenever before is 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats as st

Statistic = Literal["median", "mean", "p90", "share"]
Better = Literal["lower", "higher"]
STATISTICS: tuple[str, ...] = ("median", "mean", "p90", "share")
MIN_SAMPLE = 30
"""Fewer values than this on a side gives a small-sample warning."""
MIX_TVD_THRESHOLD = 0.10
"""Variant shares moved materially when the total variation distance is at least this (10% of the cases
would have to change variant to make the two mixes equal) and the chi-square test has p < 0.05."""
OTHER = "(other)"
_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True, slots=True)
class Comparison:
    """One KPI before and after: estimates, the bootstrap interval, a test, an effect size, warnings.

    ``change`` is after - before (a share's change is a fraction: 0.04 = 4 percentage points);
    ``relative_change`` is (after - before) / |before| (NaN when before is 0). ``ci_change`` and
    ``ci_relative`` are percentile bootstrap intervals of each; ``scale`` says which one the verdict
    uses ("relative" or "absolute").
    """

    statistic: str
    better: str
    before: float
    after: float
    change: float
    relative_change: float
    ci_change: tuple[float, float]
    ci_relative: tuple[float, float]
    scale: str
    confidence: float
    p_value: float
    test: str
    effect_size: float
    effect_name: str
    n_before: int
    n_after: int
    n_boot: int
    seed: int
    warnings: tuple[str, ...]

    @property
    def estimate(self) -> float:
        """The change on the verdict's scale."""
        return self.relative_change if self.scale == "relative" else self.change

    @property
    def ci(self) -> tuple[float, float]:
        """The interval on the verdict's scale."""
        return self.ci_relative if self.scale == "relative" else self.ci_change

    def detected(self, alpha: float | None = None) -> bool:
        """True when the interval excludes 0 and p < alpha (default: 1 - confidence)."""
        alpha = 1.0 - self.confidence if alpha is None else alpha
        lo, hi = self.ci
        return bool((lo > 0 or hi < 0) and self.p_value < alpha)

    @property
    def improved(self) -> bool | None:
        """True if a detected change goes the ``better`` way, False if the other way, None if none."""
        if not self.detected():
            return None
        return (self.change < 0) == (self.better == "lower")


@dataclass(frozen=True, slots=True)
class DiffInDiff:
    """Difference-in-differences: the treated group's change minus the control group's change."""

    statistic: str
    scale: str
    treated_change: float
    control_change: float
    effect: float
    ci: tuple[float, float]
    confidence: float
    n: tuple[int, int, int, int]
    n_boot: int
    seed: int
    warnings: tuple[str, ...]

    @property
    def detected(self) -> bool:
        """True when the interval of the effect excludes 0."""
        return bool(self.ci[0] > 0 or self.ci[1] < 0)


@dataclass(frozen=True, slots=True)
class MixShift:
    """How far the variant shares moved between two periods (top variants plus ``(other)``)."""

    categories: tuple[str, ...]
    before_shares: tuple[float, ...]
    after_shares: tuple[float, ...]
    tvd: float
    p_value: float
    n_before: int
    n_after: int
    material: bool
    warnings: tuple[str, ...]


def compare_samples(
    before: Any,
    after: Any,
    *,
    statistic: Statistic = "median",
    better: Better = "lower",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare one KPI's per-case values before and after a change.

    Args:
        before: values of the earlier period (numbers; booleans or 0/1 for ``statistic="share"``);
            NaN and None are dropped and counted in the warnings.
        after: values of the later period, as ``before``.
        statistic: ``median``, ``mean``, ``p90`` (linear interpolation, as numpy) or ``share``.
        better: whether a ``lower`` or ``higher`` value is an improvement.
        confidence: level of the bootstrap interval, e.g. 0.95.
        n_boot: bootstrap resamples per group.
        seed: the same seed and data always give the same interval.

    Returns:
        A frozen ``Comparison``.

    Example:
        >>> c = compare_samples([5.0, 6, 7, 8, 9] * 10, [2.0, 3, 4, 5, 6] * 10, n_boot=500)
        >>> c.before, c.after, round(c.relative_change, 2), c.detected(), c.improved
        (7.0, 4.0, -0.43, True, True)
    """
    _check_options(statistic, better, confidence, n_boot)
    b, warn_b = _clean(before, statistic, "before")
    a, warn_a = _clean(after, statistic, "after")
    warnings = warn_b + warn_a
    if len(b) == 0 or len(a) == 0:
        return _empty(statistic, better, confidence, (b, a), n_boot, seed, warnings)
    vb, va = _point(b, statistic), _point(a, statistic)
    rng_b, rng_a = _keyed_generators(seed, [b, a])
    boot_b, boot_a = _bootstrap(b, statistic, n_boot, rng_b), _bootstrap(a, statistic, n_boot, rng_a)
    ci_abs, widened_abs = _percentile_ci(boot_a - boot_b, va - vb, confidence)
    rel = float(_relative(np.float64(va), np.float64(vb))) if vb != 0 else float("nan")
    ci_rel, widened_rel = _percentile_ci(_relative(boot_a, boot_b), rel, confidence)
    if widened_abs or widened_rel:
        warnings.append(
            "the bootstrap interval missed the estimate (tiny or tied sample); widened to include it"
        )
    if vb == 0:
        warnings.append(
            f"the {statistic} before is 0: the relative change is undefined; the absolute is used"
        )
    p, test, effect, effect_name = _test(b, a, statistic, warnings)
    return Comparison(
        statistic, better, vb, va, va - vb, rel, ci_abs, ci_rel,
        "absolute" if statistic == "share" or vb == 0 else "relative",
        confidence, p, test, effect, effect_name, len(b), len(a), n_boot, seed, tuple(warnings),
    )  # fmt: skip


def diff_in_diff(
    before_t: Any,
    after_t: Any,
    before_c: Any,
    after_c: Any,
    *,
    statistic: Statistic = "median",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> DiffInDiff:
    """The treated group's change minus the control group's change, with a bootstrap interval.

    Changes are relative ((after - before) / |before|) except for shares, whose changes are absolute
    (percentage points as fractions). All four groups are resampled independently.

    Args:
        before_t: treated group, before the change.
        after_t: treated group, after.
        before_c: control group (not changed), before.
        after_c: control group, after.
        statistic: ``median``, ``mean``, ``p90`` or ``share``.
        confidence: level of the interval.
        n_boot: bootstrap resamples per group.
        seed: the same seed and data always give the same interval.

    Returns:
        A frozen ``DiffInDiff``; ``detected`` when its interval excludes 0.
    """
    _check_options(statistic, "lower", confidence, n_boot)
    groups, warnings = [], []
    for values, label in zip((before_t, after_t, before_c, after_c), _DID_LABELS, strict=True):
        clean, warn = _clean(values, statistic, label)
        if len(clean) == 0:
            raise ValueError(
                f"diff_in_diff: no values in the {label} group; pass at least one value per group"
            )
        groups.append(clean)
        warnings += warn
    points = [_point(g, statistic) for g in groups]
    gens = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    boots = [_bootstrap(g, statistic, n_boot, r) for g, r in zip(groups, gens, strict=True)]
    scale = "absolute" if statistic == "share" or points[0] == 0 or points[2] == 0 else "relative"
    treated = float(_change(np.float64(points[1]), np.float64(points[0]), scale))
    control = float(_change(np.float64(points[3]), np.float64(points[2]), scale))
    reps = _change(boots[1], boots[0], scale) - _change(boots[3], boots[2], scale)
    ci, widened = _percentile_ci(reps, treated - control, confidence)
    if widened:
        warnings.append(
            "the bootstrap interval missed the estimate (tiny or tied sample); widened to include it"
        )
    n = (len(groups[0]), len(groups[1]), len(groups[2]), len(groups[3]))
    return DiffInDiff(
        statistic,
        scale,
        treated,
        control,
        treated - control,
        ci,
        confidence,
        n,
        n_boot,
        seed,
        tuple(warnings),
    )


_DID_LABELS = ("treated before", "treated after", "control before", "control after")


def case_mix_shift(
    before_variants: Mapping[Any, int] | Sequence[Any] | np.ndarray,
    after_variants: Mapping[Any, int] | Sequence[Any] | np.ndarray,
    *,
    top_k: int = 10,
    threshold: float = MIX_TVD_THRESHOLD,
    alpha: float = 0.05,
) -> MixShift:
    """How much the variant mix moved: total variation distance and a chi-square test.

    Args:
        before_variants: ``{variant: case count}`` or one variant id per case, earlier period.
        after_variants: the same for the later period.
        top_k: the ``top_k`` most frequent variants (over both periods) are kept; the rest are ``(other)``.
        threshold: total variation distance from which the mix moved materially.
        alpha: significance level of the chi-square test of homogeneity (no continuity correction).

    Returns:
        A frozen ``MixShift``; ``material`` when tvd >= threshold and p < alpha.

    Example:
        >>> m = case_mix_shift({"A": 50, "B": 50}, {"A": 80, "B": 20})
        >>> round(m.tvd, 2), m.material
        (0.3, True)
    """
    cb, ca = _counts(before_variants), _counts(after_variants)
    labels = sorted(set(cb) | set(ca), key=lambda k: (-(cb.get(k, 0) + ca.get(k, 0)), k))
    top = labels[:top_k]
    rest = labels[top_k:]
    cats = top + ([OTHER] if rest else [])
    table = np.array(
        [[c.get(k, 0) for k in top] + ([sum(c.get(k, 0) for k in rest)] if rest else []) for c in (cb, ca)],
        dtype=float,
    )
    nb, na = int(table[0].sum()), int(table[1].sum())
    if nb == 0 or na == 0:
        raise ValueError(f"case_mix_shift: {nb} cases before and {na} after; both periods need cases")
    shares = table / table.sum(axis=1, keepdims=True)
    tvd = float(0.5 * np.abs(shares[0] - shares[1]).sum())
    p, warnings = _chi_square(table)
    material = tvd >= threshold and p < alpha
    if material:
        warnings.append(
            f"the case mix changed: variant shares moved by {tvd:.0%} (total variation distance, "
            f"chi-square p = {p:.2g}); part of the KPI change may come from different cases, not the process"
        )
    return MixShift(
        tuple(cats), tuple(shares[0].tolist()), tuple(shares[1].tolist()), tvd, p, nb, na, material,
        tuple(warnings),
    )  # fmt: skip


def _check_options(statistic: str, better: str, confidence: float, n_boot: int) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic={statistic!r} is not supported; pass one of {', '.join(STATISTICS)}")
    if better not in ("lower", "higher"):
        raise ValueError(f"better={better!r} is not supported; pass 'lower' or 'higher'")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r} must lie strictly between 0 and 1, e.g. 0.95")
    if n_boot < 10:
        raise ValueError(f"n_boot={n_boot!r} is too few resamples; pass at least 10 (2000 is usual)")


def _clean(values: Any, statistic: str, label: str) -> tuple[np.ndarray, list[str]]:
    """Float array without NaN (sorted), and warnings about dropped values and sample size."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr.ravel()], dtype=float)
    elif arr.dtype.kind == "m":  # timedeltas become microseconds, as Baton stores durations
        td = arr.astype("timedelta64[us]")
        arr = np.where(np.isnat(td), np.nan, td.astype(np.int64).astype(float))
    arr = np.asarray(arr, dtype=float).ravel()
    keep = ~np.isnan(arr)
    warnings = []
    if not keep.all():
        warnings.append(f"{int((~keep).sum())} missing values {label} were dropped")
    arr = np.sort(arr[keep])
    if statistic == "share" and not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError(f"statistic='share' needs booleans or 0/1 values; the {label} values hold others")
    if 0 < len(arr) < MIN_SAMPLE:
        warnings.append(
            f"only {len(arr)} cases {label} (fewer than {MIN_SAMPLE}): treat the result with care"
        )
    elif len(arr) == 0:
        warnings.append(f"no values {label}")
    return arr, warnings


def _empty(
    statistic: str,
    better: str,
    confidence: float,
    groups: tuple[np.ndarray, np.ndarray],
    n_boot: int,
    seed: int,
    warnings: list[str],
) -> Comparison:
    """A comparison with a side without values: the other side's value, everything else NaN."""
    nan = float("nan")
    b, a = (_point(g, statistic) if len(g) else nan for g in groups)
    return Comparison(
        statistic, better, b, a, nan, nan, (nan, nan), (nan, nan), "absolute", confidence, nan, "none", nan,
        "none", len(groups[0]), len(groups[1]), n_boot, seed, tuple(warnings),
    )  # fmt: skip


def _point(x: np.ndarray, statistic: str) -> float:
    """The statistic of sorted, NaN-free values."""
    if statistic in ("mean", "share"):
        return float(x.mean())
    return float(np.quantile(x, 0.5 if statistic == "median" else 0.9))


def _keyed_generators(seed: int, groups: list[np.ndarray]) -> list[np.random.Generator]:
    """One independent stream per group, handed out in the groups' canonical order (size, digest)."""
    keys = [(len(g), hashlib.sha256(g.tobytes()).hexdigest()) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: keys[i])
    streams = np.random.SeedSequence(seed).spawn(len(groups))
    rank = {i: r for r, i in enumerate(order)}
    return [np.random.default_rng(streams[rank[i]]) for i in range(len(groups))]


def _bootstrap(x: np.ndarray, statistic: str, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` resampled statistics of sorted values ``x``, in chunks of bounded memory."""
    n = len(x)
    if statistic == "share":
        return rng.binomial(n, x.mean(), size=n_boot) / n
    q = {"median": 0.5, "p90": 0.9}.get(statistic, 0.0)
    k, frac = divmod((n - 1) * q, 1.0)
    lo, hi = int(k), min(int(k) + 1, n - 1)
    out = np.empty(n_boot)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(m, n), dtype=np.int32 if n < 2**31 else np.int64)
        if statistic == "mean":
            out[start : start + m] = x.take(idx).mean(axis=1)
            continue
        # x is sorted, so the k-th smallest resampled index points at the k-th smallest resampled value
        part = np.partition(idx, [lo, hi] if hi != lo else [lo], axis=1)
        v_lo, v_hi = x[part[:, lo]], x[part[:, hi]]
        out[start : start + m] = v_lo + frac * (v_hi - v_lo)
    return out


def _relative(a: np.ndarray | np.floating, b: np.ndarray | np.floating) -> np.ndarray:
    """(a - b) / |b|; where b is 0: 0 if a is 0 too, else +-inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a - b) / np.abs(b)
        return np.where(b == 0, np.where(a == b, 0.0, np.sign(a - b) * np.inf), r)


def _change(a: np.ndarray | np.floating, b: np.ndarray | np.floating, scale: str) -> np.ndarray:
    """a - b on the absolute scale, (a - b) / |b| on the relative one."""
    return np.asarray(a - b) if scale == "absolute" else _relative(a, b)


def _percentile_ci(reps: np.ndarray, estimate: float, confidence: float) -> tuple[tuple[float, float], bool]:
    """Percentile interval of the replicates, widened to hold the estimate; and whether it was widened."""
    if np.isnan(estimate):
        return (float("nan"), float("nan")), False
    tail = (1.0 - confidence) / 2
    bounds = []
    for q in (tail, 1.0 - tail):
        with np.errstate(invalid="ignore"):
            v = float(np.quantile(reps, q))
        bounds.append(float(np.quantile(reps, q, method="nearest")) if np.isnan(v) else v)  # inf - inf
    lo, hi = bounds
    widened = lo > estimate or hi < estimate
    return (min(lo, estimate), max(hi, estimate)), bool(widened)


def _test(b: np.ndarray, a: np.ndarray, statistic: str, warnings: list[str]) -> tuple[float, str, float, str]:
    """p-value, test name, effect size and its name (after compared with before)."""
    if statistic == "share":
        return _two_proportions(int(b.sum()), len(b), int(a.sum()), len(a))
    if b[0] == b[-1] == a[0] == a[-1]:
        warnings.append(f"all values are equal ({b[0]:g}): there is no variation to test")
        return 1.0, "none (all values equal)", 0.0, "Cliff's delta"
    u = st.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic" if statistic == "mean" else "auto")
    delta = float(2.0 * u.statistic / (len(a) * len(b)) - 1.0)
    if statistic == "mean":
        p = float(st.ttest_ind(a, b, equal_var=False).pvalue)
        if np.isnan(p):
            warnings.append("Welch's t test is undefined here (a side with one value or no variance)")
        return p, "Welch t", delta, "Cliff's delta"
    return float(u.pvalue), "Mann-Whitney U", delta, "Cliff's delta"


def _two_proportions(xb: int, nb: int, xa: int, na: int) -> tuple[float, str, float, str]:
    """Two-sided two-proportion z test (pooled), or Fisher's exact test when an expected count is < 5."""
    pb, pa = xb / nb, xa / na
    h = float(2 * np.arcsin(np.sqrt(pa)) - 2 * np.arcsin(np.sqrt(pb)))
    pooled = (xb + xa) / (nb + na)
    expected = min(pooled * nb, pooled * na, (1 - pooled) * nb, (1 - pooled) * na)
    if expected < 5:
        p = float(st.fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue)
        return min(p, 1.0), "Fisher exact", h, "Cohen's h"
    z = (pa - pb) / np.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / na))
    return float(2 * st.norm.sf(abs(z))), "two-proportion z", h, "Cohen's h"


def _counts(variants: Mapping[Any, int] | Sequence[Any] | np.ndarray) -> dict[str, int]:
    """Case counts per variant label from a mapping or one id per case."""
    if isinstance(variants, Mapping):
        return {str(k): int(v) for k, v in variants.items() if int(v) > 0}
    ids, counts = np.unique(np.asarray(variants).astype(str), return_counts=True)
    return {str(k): int(v) for k, v in zip(ids, counts, strict=True)}


def _chi_square(table: np.ndarray) -> tuple[float, list[str]]:
    """p-value of the chi-square test of homogeneity on a 2 x k table, and warnings about its reliability."""
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0, []
    res = st.chi2_contingency(table, correction=False)
    warnings = []
    if (res.expected_freq < 5).mean() > 0.2:
        warnings.append("more than 20% of the expected variant counts are below 5: the chi-square p is rough")
    return float(res.pvalue), warnings
