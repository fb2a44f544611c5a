"""Plain-language verdicts for before/after comparisons: deterministic text from ``analytics.stats`` results.

The rule: a change is called only when the confidence interval excludes zero and p < 1 - confidence
(``Comparison.detected``); otherwise the text says "No detectable change". "Improved" or "worsened"
follows from ``better``. Medians, means and p90s are described by their relative change ("fell 58%"),
shares by percentage points ("fell 4.0 points"), and a KPI that was 0 before by its absolute change.
"""

from __future__ import annotations

import math

from analytics.bottlenecks import format_duration
from analytics.stats import Comparison, DiffInDiff
from analytics.stats_significance import format_p

DURATION_UNITS: dict[str, float] = {
    "us": 1.0,
    "ms": 1e3,
    "s": 1e6,
    "min": 60e6,
    "h": 3600e6,
    "hours": 3600e6,
    "days": 86400e6,
}
"""Units whose values are durations, with their size in microseconds; they are written for humans."""


def verdict(kpi_name: str, comparison: Comparison, unit: str = "", better: str | None = None) -> str:
    """One sentence saying whether and how a KPI changed.

    Args:
        kpi_name: the KPI as it reads mid-sentence, e.g. ``"cycle time"`` or ``"SLA compliance"``.
        comparison: the result of ``compare_samples``.
        unit: the values' unit: a duration unit (``us``, ``ms``, ``s``, ``min``, ``h``, ``days``) for
            durations written for humans, ``""`` or ``"count"`` for plain numbers, any other text (``EUR``)
            as a suffix. Shares are always written as percentages.
        better: ``"lower"`` or ``"higher"``; default: the comparison's own.

    Returns:
        The verdict, e.g. ``"Cycle time fell 58% (95% CI 54-62%) from 4.2 days to 1.8 days: improved
        (p < 0.001)"`` or ``"No detectable change in error rate (p = 0.41)"``.

    Example:
        >>> from analytics.stats import compare_samples
        >>> c = compare_samples([50.0, 60, 70, 80, 90] * 10, [20.0, 30, 40, 50, 60] * 10, n_boot=500)
        >>> verdict("cycle time", c, "min")
        'Cycle time fell 43% (95% CI 29-57%) from 1.2 hours to 40.0 min: improved (p < 0.001)'
    """
    c = comparison
    if c.n_before == 0 or c.n_after == 0:
        return f"Not enough data to compare {kpi_name} ({c.n_before} cases before, {c.n_after} after)"
    if not c.detected():
        return f"No detectable change in {kpi_name} ({format_p(c.p_value)})"
    better = better or c.better
    moved = "fell" if c.change < 0 else "rose"
    judged = "improved" if (c.change < 0) == (better == "lower") else "worsened"
    level = _level(c.confidence)
    if c.scale == "relative":
        size = f"{_percent(c.relative_change, c.relative_change)} ({level} {_range(c.ci, c.estimate, '%')})"
    elif c.statistic == "share":
        size = f"{_points(c.change)} points ({level} {_range(c.ci, c.estimate, ' points')})"
    else:
        lo, hi = sorted(abs(v) for v in c.ci)
        size = f"by {format_value(abs(c.change), unit)} ({level} {format_value(lo, unit)} to {format_value(hi, unit)})"
    values = f"from {_value(c.before, c, unit)} to {_value(c.after, c, unit)}"
    return f"{_capital(kpi_name)} {moved} {size} {values}: {judged} ({format_p(c.p_value)})"


def did_verdict(kpi_name: str, did: DiffInDiff, better: str = "lower") -> str:
    """One sentence on a difference-in-differences result (the changed group against the control group).

    Relative changes differ by percentage points of change: -40% against -10% is a difference of -30 points.

    Example:
        >>> from analytics.stats import DiffInDiff
        >>> d = DiffInDiff("median", "relative", -0.4, -0.1, -0.3, (-0.36, -0.24), 0.95, (99,) * 4, 500, 0, ())
        >>> did_verdict("cycle time", d)
        'Cycle time fell 40% in the changed group and fell 10% in the control group: a difference of \
-30 points (95% CI -36 to -24 points), an improvement'
    """
    lo, hi = (_did_amount(v, did) for v in did.ci)
    interval = f"{_level(did.confidence)} {lo.removesuffix(' points')} to {hi}"
    if not did.detected:
        return (
            f"No detectable difference in {kpi_name} between the changed and the control group ({interval})"
        )
    judged = "an improvement" if (did.effect < 0) == (better == "lower") else "a deterioration"
    changes = f"{_did_change(did.treated_change, did)} in the changed group and "
    changes += f"{_did_change(did.control_change, did)} in the control group"
    return f"{_capital(kpi_name)} {changes}: a difference of {_did_amount(did.effect, did)} ({interval}), {judged}"


def _did_change(value: float, did: DiffInDiff) -> str:
    verb = "fell" if value < 0 else "rose"
    if did.scale == "relative":
        return f"{verb} {_percent(value, value)}"
    return f"{verb} {_points(value)} points" if did.statistic == "share" else f"{verb} by {abs(value):.2f}"


def _did_amount(value: float, did: DiffInDiff) -> str:
    if not math.isfinite(value):
        return "unbounded"
    if did.scale == "relative":
        return f"{value * 100:+.0f} points".lstrip("+")
    return (
        f"{value * 100:+.1f} points".lstrip("+") if did.statistic == "share" else f"{value:+.2f}".lstrip("+")
    )


def format_value(value: float, unit: str = "") -> str:
    """A value in its unit: durations for humans (``4.2 days``), numbers with separators, a unit suffix."""
    if not math.isfinite(value):
        return "-"
    if unit in DURATION_UNITS:
        return format_duration(value * DURATION_UNITS[unit])
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:,.{decimals}f}"
    return f"{text} {unit}" if unit and unit != "count" else text


def _value(value: float, c: Comparison, unit: str) -> str:
    return f"{value * 100:.1f}%" if c.statistic == "share" else format_value(value, unit)


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def _level(confidence: float) -> str:
    return f"{confidence * 100:g}% CI"


def _decimals(estimate: float) -> int:
    """Whole percents from 10% on, one decimal below (``58%``, ``4.3%``)."""
    return 0 if abs(estimate) * 100 >= 9.95 else 1


def _percent(value: float, estimate: float) -> str:
    return f"{abs(value) * 100:.{_decimals(estimate)}f}%"


def _points(change: float) -> str:
    return f"{abs(change) * 100:.1f}"


def _range(ci: tuple[float, float], estimate: float, suffix: str) -> str:
    """The interval's magnitudes, smaller first (a fall of 54% to 62% reads ``54-62%``)."""
    lo, hi = sorted(abs(v) for v in ci)
    d = 1 if suffix == " points" else _decimals(estimate)
    if math.isinf(hi):
        return f"{lo * 100:.{d}f}{suffix} or more"
    return f"{lo * 100:.{d}f}-{hi * 100:.{d}f}{suffix}"
