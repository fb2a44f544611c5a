"""Before/after KPI comparison: every catalogue KPI with an interval, a test, a verdict, warnings and DiD.

What is compared (the statistics are `analytics.stats.compare_samples`; samples are resampled by case):

* Per-case KPIs use the **complete** cases of each side (see `analytics.before_after_setup`): cycle time
  (median, mean, p90 of per-case values, in microseconds), waiting and processing time and cost per case
  (mean), handoffs per case (mean), and the shares rework, error, first-time-right and SLA compliance
  (cases the SLA timers never applied to, and cases without a cost value, are left out).
* Automation is compared as the **mean of per-case shares** of system steps (each case weighs the same),
  so its bootstrap resamples cases; the catalogue's pooled rate (all system steps / all steps) can differ
  slightly when long cases are more or less automated than short ones.
* Throughput and work in progress are flows: their samples are the completed cases per period and the
  time-weighted open cases per period, over the **whole** periods (``KpiSettings.period``) inside each
  side's window (partial first and last periods are left out). Periods are fewer than cases and follow
  each other, so treat their intervals as rough.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analytics.before_after_setup import (
    CutoverSetup,
    Setup,
    Side,
    period_throughput,
    period_wip,
    resolve_sides,
)
from analytics.kpi_catalogue import CATALOGUE, KpiSettings
from analytics.kpi_settings_check import check_settings_for_logs, setup_logs
from analytics.stats import Comparison, DiffInDiff, MixShift, case_mix_shift, compare_samples, diff_in_diff
from analytics.verdicts import did_verdict, verdict

if TYPE_CHECKING:
    from datetime import datetime

#: KPI key -> (per-case column, statistic); throughput and wip have per-period samples instead.
SAMPLES: dict[str, tuple[str | None, str]] = {
    "cycle_time_median": ("cycle_time_us", "median"),
    "cycle_time_mean": ("cycle_time_us", "mean"),
    "cycle_time_p90": ("cycle_time_us", "p90"),
    "waiting_time": ("waiting_us", "mean"),
    "processing_time": ("processing_us", "mean"),
    "throughput": (None, "mean"),
    "wip": (None, "mean"),
    "rework_rate": ("rework", "share"),
    "error_rate": ("has_error", "share"),
    "first_time_right_rate": ("first_time_right", "share"),
    "sla_compliance": ("sla_met", "share"),
    "handoffs_per_case": ("handoffs", "mean"),
    "automation_rate": ("automation_share", "mean"),
    "cost_per_case": ("cost", "mean"),
}
_AUTOMATION_NOTE = (
    " Before/after compares the mean of each case's share of system steps (every case weighs the same), "
    "which can differ slightly from the pooled rate."
)


@dataclass(frozen=True, slots=True)
class KpiComparison:
    """One KPI before and after: `reports.content.KpiRow`'s fields first, then the method and the DiD.

    Duration values (``comparison.before`` ...) are in microseconds, shares in [0, 1], money in EUR,
    throughput in cases per period, work in progress in open cases. ``comparison`` is None when the KPI is
    not available on a side (``unavailable_reason`` says why); ``did`` is None without a control.
    """

    key: str
    name: str
    definition: str
    unit: str
    better: str
    comparison: Comparison | None
    verdict: str
    unavailable_reason: str | None
    method: str
    did: DiffInDiff | None = None
    did_verdict: str | None = None


@dataclass(frozen=True, slots=True)
class SideSummary:
    """Which cases one side (``before``, ``after``, ``control before``, ``control after``) contributed."""

    role: str
    log: str
    label: str
    filters: str
    window_start: datetime
    window_end: datetime
    cases: int
    complete: int
    running: int
    spanning: int


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """The before/after comparison of every catalogue KPI, with warnings, method notes and the case mix."""

    setup_description: str
    kpis: tuple[KpiComparison, ...]
    sides: tuple[SideSummary, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    mix: MixShift | None
    confidence: float
    n_boot: int
    seed: int

    def rows(self) -> tuple[KpiComparison, ...]:
        """One row per catalogue KPI (what a report's KPI table maps to `reports.content.KpiRow`)."""
        return self.kpis

    def __getitem__(self, key: str) -> KpiComparison:
        """The comparison of KPI ``key`` (a catalogue key)."""
        for row in self.kpis:
            if row.key == key:
                return row
        raise KeyError(f"no KPI {key!r}; the catalogue has {list(CATALOGUE)}")

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI: key, name, before, after, change, CI bounds, p-value, verdict, DiD effect."""
        cols = ["key", "name", "unit", "before", "after", "change", "ci_low", "ci_high", "scale", "p_value",
                "verdict", "did_effect", "did_ci_low", "did_ci_high"]  # fmt: skip
        rows = []
        for r in self.kpis:
            c, d = r.comparison, r.did
            cv = (c.before, c.after, c.estimate, *c.ci, c.scale, c.p_value) if c else (None,) * 7
            dv = (d.effect, *d.ci) if d else (None,) * 3
            rows.append((r.key, r.name, r.unit, *cv, r.verdict, *dv))
        return pd.DataFrame(rows, columns=cols)


def compare_before_after(
    setup: Setup, settings: KpiSettings, *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> BeforeAfter:
    """Compare every catalogue KPI between the before and after side of ``setup`` (and its control).

    Args:
        setup: a `CutoverSetup`, `TwoLogsSetup` or `SegmentsSetup` (optionally with a control setup).
        settings: end activities (completeness), error and system markers, SLA, cost, period.
        confidence: level of the bootstrap intervals.
        n_boot: bootstrap resamples per group (2000 is usual; 500 is enough for a quick look).
        seed: the same inputs and seed always give the same numbers.

    Returns:
        A frozen `BeforeAfter`; KPIs unavailable on a side are listed with the reason, not dropped.
    """
    check_settings_for_logs(settings, setup_logs(setup))
    before, after = resolve_sides(setup, settings)
    control = (
        resolve_sides(setup.control, settings, ("control before", "control after")) if setup.control else None
    )
    opts: dict[str, Any] = {"confidence": confidence, "n_boot": n_boot, "seed": seed}
    rows = tuple(_row(key, (before, after), control, settings, opts) for key in CATALOGUE)
    mix = _mix(before, after)
    sides = (before, after, *(control or ()))
    warnings = [*_edge_warnings(setup, sides), *_sample_warnings(rows), *_mix_warnings(mix, before, after)]
    warnings += _unavailable_warnings(rows)
    return BeforeAfter(
        setup.describe(), rows, tuple(_side_summary(sd) for sd in sides), tuple(warnings),
        _notes(settings), mix, confidence, n_boot, seed,
    )  # fmt: skip


def _row(
    key: str,
    pair: tuple[Side, Side],
    control: tuple[Side, Side] | None,
    cfg: KpiSettings,
    opts: dict[str, Any],
) -> KpiComparison:
    d = CATALOGUE[key]
    statistic = SAMPLES[key][1]
    definition = d.definition + (_AUTOMATION_NOTE if key == "automation_rate" else "")
    method = _method(key, statistic, cfg)
    samples, reasons = _samples(key, pair, cfg)
    if reasons:
        reason = "; ".join(reasons)
        return KpiComparison(
            key, d.name, definition, d.unit, d.better, None, f"Not compared: {reason}", reason, method
        )
    c = compare_samples(*samples, statistic=statistic, better=d.better, **opts)  # type: ignore[arg-type]
    name = _mid_sentence(d.name)
    if key == "automation_rate":  # a mean of per-case shares reads best in points, like a share
        c = replace(c, scale="absolute")
    shown = replace(c, statistic="share") if key == "automation_rate" else c
    text = verdict(name, shown, _verdict_unit(d.unit, cfg))
    did, did_text = None, None
    if control is not None:
        ctrl, why = _samples(key, control, cfg)
        if why:
            did_text = f"No difference-in-differences for {name}: {'; '.join(why)}"
        else:
            did = diff_in_diff(*samples, *ctrl, statistic=statistic, **opts)  # type: ignore[arg-type]
            did_text = did_verdict(name, did, d.better)
    return KpiComparison(key, d.name, definition, d.unit, d.better, c, text, None, method, did, did_text)


def _samples(key: str, pair: tuple[Side, Side], cfg: KpiSettings) -> tuple[list[np.ndarray], list[str]]:
    """Both sides' samples of ``key``, or the reasons it is unavailable (``role: reason``)."""
    out, reasons = [], []
    for side in pair:
        if key in side.unavailable:
            reasons.append(f"{side.role}: {side.unavailable[key]}")
            continue
        values = _side_values(key, side, cfg)
        if len(values) == 0:
            what = "whole periods in the window" if SAMPLES[key][0] is None else "complete cases with a value"
            reasons.append(f"{side.role}: no {what}")
        out.append(values)
    return out, reasons


def _side_values(key: str, side: Side, cfg: KpiSettings) -> np.ndarray:
    column = SAMPLES[key][0]
    if column is not None:
        values = side.complete[column].dropna()
        return values.to_numpy(dtype=float)
    return period_throughput(side, cfg.period) if key == "throughput" else period_wip(side, cfg.period)


def _method(key: str, statistic: str, cfg: KpiSettings) -> str:
    if key == "throughput":
        return f"mean of the complete cases per whole {cfg.period} inside each side's window, by completion"
    if key == "wip":
        return f"mean of the time-weighted open cases per whole {cfg.period} inside each side's window"
    what = {"median": "median", "mean": "mean", "p90": "90th percentile", "share": "share"}[statistic]
    extra = {"automation_rate": " of per-case system-step shares", "sla_compliance": " (cases the SLA applied to)",
             "cost_per_case": " (cases with a cost value)"}.get(key, "")  # fmt: skip
    return f"{what}{extra} over each side's complete cases; bootstrap resamples cases"


def _verdict_unit(unit: str, cfg: KpiSettings) -> str:
    return {"duration": "us", "money": "EUR", "per_period": f"cases per {cfg.period}"}.get(unit, "")


def _mid_sentence(name: str) -> str:
    """``Cycle time (median)`` -> ``cycle time (median)``; acronyms (``SLA compliance``) stay."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def _mix(before: Side, after: Side) -> MixShift | None:
    """Variant shares of the compared complete cases, variants matched by their activity sequences."""
    labels_b, labels_a = before.variant_labels(), after.variant_labels()
    if labels_b.empty or labels_a.empty:
        return None
    return case_mix_shift(labels_b.to_numpy(), labels_a.to_numpy())


def _mix_warnings(mix: MixShift | None, before: Side, after: Side) -> list[str]:
    if mix is None or not mix.material:
        return []
    out = list(mix.warnings)
    acts_b, acts_a = (_activities(sd) for sd in (before, after))
    if acts_b != acts_a:
        out.append(
            f"the two sides use different activities ({len(acts_b - acts_a)} only before, {len(acts_a - acts_b)} "
            "only after), so most variants cannot match: a process redesign naturally changes the mix. Check "
            "the kind of work (e.g. product, channel) is comparable before trusting the KPI changes"
        )
    return out


def _activities(side: Side) -> set[str]:
    return {a for label in side.variant_labels().unique() for a in str(label).split(" > ")}


def _edge_warnings(setup: Setup, sides: tuple[Side, ...]) -> list[str]:
    out = []
    if isinstance(setup, CutoverSetup) and sides[0].spanning:
        sd = sides[0]
        kept = "kept in the before side" if setup.spanning == "before" else "excluded from both sides"
        out.append(
            f"{sd.spanning} cases started before the cutover ({setup.cutover.isoformat()}) but had not finished by "
            f"it ({sd.spanning_running} of them still running at the log end): they are {kept}, as they mix "
            "the old and the new process; throughput and work in progress still count them in their periods"
        )
    for sd in sides:
        if sd.running:
            out.append(
                f"{sd.role} ({sd.label}): {sd.running} cases still running at the log end "
                f"({sd.log_end.isoformat()}) are excluded from every per-case KPI; work in progress counts "
                "them as open until the log end"
            )
    return out


def _sample_warnings(rows: tuple[KpiComparison, ...]) -> list[str]:
    """The comparisons' own warnings, each text once with the KPIs it concerns."""
    seen: dict[str, list[str]] = {}
    for r in rows:
        if r.comparison is None:
            continue
        did_warnings = tuple(f"difference-in-differences: {w}" for w in r.did.warnings) if r.did else ()
        for w in r.comparison.warnings + did_warnings:
            text = w.replace(" cases ", " periods ") if SAMPLES[r.key][0] is None else w
            seen.setdefault(text, []).append(_mid_sentence(r.name))
    return [f"{text} ({', '.join(names)})" for text, names in seen.items()]


def _unavailable_warnings(rows: tuple[KpiComparison, ...]) -> list[str]:
    """KPIs available on one side only: the reader would otherwise not notice they are missing."""
    out = []
    for r in rows:
        reason = r.unavailable_reason
        if reason and not (reason.startswith("before: ") and "; after: " in reason):
            out.append(f"{r.name} is not compared because it is missing on one side: {reason}")
    return out


def _side_summary(side: Side) -> SideSummary:
    return SideSummary(
        side.role, side.log.name, side.label, side.log.filters.to_json(), side.window[0], side.window[1],
        len(side.cases), len(side.complete), side.running, side.spanning,
    )  # fmt: skip


def _notes(cfg: KpiSettings) -> tuple[str, ...]:
    notes = [
        "Per-case KPIs compare the complete cases of each side; the bootstrap resamples cases (seeded).",
        "Automation is the mean of per-case shares of system steps, so every case weighs the same.",
        f"Throughput and work in progress compare whole {cfg.period}s inside each side's window; the first "
        "periods of a log may be low while the process fills up (cases started before the log are not in it).",
    ]
    if not cfg.completeness_known:
        notes.insert(0, "Completeness unknown: no end activities given, so every case counts as complete.")
    return tuple(notes)


__all__ = ["BeforeAfter", "KpiComparison", "SideSummary", "compare_before_after"]
