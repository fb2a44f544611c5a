"""Frozen results of the before/after statistics in ``analytics.stats``: Comparison, DiffInDiff, MixShift."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
    p_value: float = math.nan  # two-sided bootstrap p-value of "no difference" (NaN: not computed)

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
