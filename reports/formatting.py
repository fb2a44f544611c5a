"""Figures formatted for people: money, months, shares, KPI values, changes and intervals, DiD, plain numbers."""

from __future__ import annotations

import math

from analytics.bottlenecks import format_duration
from analytics.stats import Comparison, DiffInDiff
from analytics.verdicts import format_value


def format_money(value: float | None, currency: str = "EUR") -> str:
    """An amount to the whole unit: ``EUR 1,234,567``, ``EUR -420,000``; ``-`` when unknown."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{currency} {round(value):,}"


def format_months(months: float | None) -> str:
    """A payback period: ``31.4 months``, or ``not within the horizon`` when it is never reached."""
    if months is None or not math.isfinite(months):
        return "not within the horizon"
    return f"{months:.1f} months"


def format_share(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.123`` -> ``12.3%``."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value * 100:.{decimals}f}%"


def format_kpi_value(value: float, unit: str, currency: str = "EUR") -> str:
    """A KPI value in its unit (durations in microseconds as days/hours, shares as %, money as EUR)."""
    if not math.isfinite(value):
        return "-"
    if unit == "duration":
        return format_duration(value)
    if unit == "share":
        return format_share(value)
    if unit == "money":
        return format_money(value, currency)
    return format_value(value)


def format_change(c: Comparison, unit: str) -> str:
    """The change on the verdict's scale: ``-58.1%``, ``-4.0 points`` for shares, else in the KPI's unit."""
    return _signed(c.estimate, c, unit)


def format_interval(c: Comparison, unit: str) -> str:
    """The confidence interval on the verdict's scale, its unit once: ``-62.0 to -54.0%``, ``+1.2 to +3.4 points``."""
    lo, hi = (_signed(v, c, unit) for v in c.ci)
    for suffix in (" points", "%"):  # the unit once: "-17.9 to -14.2 points"
        if lo.endswith(suffix) and hi.endswith(suffix):
            return f"{lo.removesuffix(suffix)} to {hi}"
    return f"{lo} to {hi}"


def _signed(value: float, c: Comparison, unit: str) -> str:
    if not math.isfinite(value):
        return "unbounded"
    if c.scale == "relative":
        return f"{value * 100:+.1f}%"
    if c.statistic == "share" or unit == "share":  # a mean of per-case shares too (automation rate)
        return f"{value * 100:+.1f} points"
    sign = "-" if value < 0 else "+"
    return sign + format_kpi_value(abs(value), unit)


def format_did_effect(did: DiffInDiff, unit: str) -> str:
    """A difference-in-differences effect as ``analytics.verdicts.did_verdict`` words it.

    Relative KPIs differ by percentage points of change (-40% against -10% is ``-30 points``), shares by
    percentage points (``-4.0 points``); a KPI compared on its absolute scale is written in its unit.
    """
    return _did_signed(did.effect, did, unit)


def format_did_interval(did: DiffInDiff, unit: str) -> str:
    """The effect's confidence interval, its unit once: ``-36 to -24 points`` (as ``did_verdict`` words it)."""
    lo, hi = (_did_signed(v, did, unit) for v in did.ci)
    if lo.endswith(" points") and hi.endswith(" points"):
        return f"{lo.removesuffix(' points')} to {hi}"
    return f"{lo} to {hi}"


def format_did_change(value: float, did: DiffInDiff, unit: str) -> str:
    """One group's own change on the DiD's scale: ``-40.0%``, ``+1.5 points`` for shares, else in the unit."""
    if not math.isfinite(value):
        return "unbounded"
    if did.scale == "relative":
        return f"{value * 100:+.1f}%"
    if did.statistic == "share" or unit == "share":
        return f"{value * 100:+.1f} points"
    return ("-" if value < 0 else "+") + format_kpi_value(abs(value), unit)


def _did_signed(value: float, did: DiffInDiff, unit: str) -> str:
    if not math.isfinite(value):
        return "unbounded"
    if did.scale == "relative":
        return f"{value * 100:+.0f} points".lstrip("+")
    if did.statistic == "share" or unit == "share":
        return f"{value * 100:+.1f} points".lstrip("+")
    return ("-" if value < 0 else "") + format_kpi_value(abs(value), unit)


def format_number(value: float) -> str:
    """A plain input value: ``12,000``, ``-80.64``, ``0.08`` (up to 6 significant digits)."""
    return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:,.6g}"
