"""Significance tests and effect sizes for `analytics.stats`: Mann-Whitney U, Welch t, proportions."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st


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


def format_p(p: float) -> str:
    """A p-value as readers expect it: ``p < 0.001``, ``p = 0.003``, ``p = 0.41``."""
    if not math.isfinite(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"
