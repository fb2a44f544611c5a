"""Conformance of a log to a target model: fitness, ETC precision and deviations, computed once per variant.

pm4py's log-level numbers are sums over traces, so replaying each distinct variant once and weighting by its
case count gives exactly pm4py's results on the full log (token replay, alignments, ETC precision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from analytics.canonical_alignment import canonical_moves
from analytics.conformance_cases import (
    ActivityDeviation,
    Deviation,
    GroupStats,
    VariantConformance,
    activity_deviations,
    alignment_deviations,
    case_groups,
    replay_deviations,
)
from analytics.conformance_cases import ConformanceOverTime as ConformanceOverTime
from analytics.conformance_cases import PeriodConformance as PeriodConformance
from analytics.conformance_cases import over_time as _over_time
from analytics.variants import Variant, get_variants
from baton.models.types import PetriNetSpec, TargetModel
from baton.pm4py_bridge import conformance as bc
from baton.pm4py_bridge.nets import spec_to_pm4py

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

__all__ = [
    "ActivityDeviation",
    "BudgetHits",
    "Conformance",
    "ConformanceOverTime",
    "Deviation",
    "FitnessSummary",
    "GroupStats",
    "PeriodConformance",
    "VariantConformance",
    "check_conformance",
    "conformance_over_time",
]
Period = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class FitnessSummary:
    """pm4py's three fitness numbers over ``cases`` cases (``perc_fit_cases`` is a percentage, 0-100)."""

    log_fitness: float
    perc_fit_cases: float
    average_case_fitness: float
    cases: int


@dataclass(frozen=True, slots=True)
class BudgetHits:
    """Variants whose alignment ran out of time: they are left out of the alignment fitness."""

    variants: int
    cases: int
    budget_s: float
    total_budget_s: float | None


@dataclass(frozen=True, slots=True)
class Conformance:
    """Conformance of a (filtered) log to a model.

    ``alignment`` covers the aligned cases only (``budget_hits`` says how many were not); a case fits when
    its alignment has no visible deviation, or, where alignment ran out of time, when token replay fits it.
    ``deviating`` and ``conforming`` compare the cases of both groups (durations, mean cost).
    """

    token: FitnessSummary
    alignment: FitnessSummary
    precision: float
    cases: int
    fit_cases: int
    variants: tuple[VariantConformance, ...]
    deviations_by_activity: tuple[ActivityDeviation, ...]
    deviating: GroupStats
    conforming: GroupStats
    budget_hits: BudgetHits
    cost_attribute: str | None

    @property
    def token_fitness(self) -> float:
        """pm4py's token-based log fitness."""
        return self.token.log_fitness

    @property
    def alignment_fitness(self) -> float:
        """pm4py's alignment-based log fitness over the aligned cases."""
        return self.alignment.log_fitness

    @property
    def perc_fit_cases(self) -> float:
        """Percentage (0-100) of cases that fit."""
        return 100.0 * self.fit_cases / self.cases if self.cases else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: ids, count, fitness values, budget hit and the number of deviations."""
        import pandas as pd

        return pd.DataFrame([v.as_row() for v in self.variants])

    def deviations_frame(self) -> pd.DataFrame:
        """One row per (activity, kind): cases affected, share of cases and moves."""
        import pandas as pd

        cols = ["activity", "kind", "cases", "share", "moves"]
        rows = [(d.activity, d.kind, d.cases, d.share, d.moves) for d in self.deviations_by_activity]
        return pd.DataFrame(rows, columns=cols)


def _spec_of(model: TargetModel | PetriNetSpec) -> PetriNetSpec:
    return model.net if isinstance(model, TargetModel) else model


def _token_summary(vs: list[Variant], rs: list[bc.ReplayResult]) -> FitnessSummary:
    """pm4py's ``replay_fitness`` token-based evaluation, weighted by case counts."""
    n = sum(v.count for v in vs)
    m, c, r, p = (sum(getattr(x, k) * v.count for v, x in zip(vs, rs, strict=True)) for k in _TOKENS)
    if not (n and c and p):
        return FitnessSummary(0.0, 0.0, 0.0, n)
    fit = sum(v.count for v, x in zip(vs, rs, strict=True) if x.is_fit)
    avg = sum(x.fitness * v.count for v, x in zip(vs, rs, strict=True)) / n
    return FitnessSummary(0.5 * (1 - m / c) + 0.5 * (1 - r / p), 100.0 * fit / n, avg, n)


_TOKENS = ("missing", "consumed", "remaining", "produced")


def _alignment_summary(vs: list[Variant], als: list[bc.AlignmentResult | None]) -> FitnessSummary:
    """pm4py's alignment-based evaluation, weighted by case counts, over the aligned variants."""
    pairs = [(v.count, a) for v, a in zip(vs, als, strict=True) if a is not None]
    n = sum(k for k, _ in pairs)
    if not n:
        return FitnessSummary(0.0, 0.0, 0.0, 0)
    fit = sum(k for k, a in pairs if a.fitness == 1.0)
    avg = sum(a.fitness * k for k, a in pairs) / n
    bwc = sum(a.best_worst_cost * k for k, a in pairs)
    log_fitness = 1.0 - (sum(a.cost * k for k, a in pairs) / bwc if bwc > 0 else 0)
    return FitnessSummary(log_fitness, 100.0 * fit / n, avg, n)


def etc_precision(net: bc.Net, traces: dict[tuple[str, ...], int]) -> float:
    """pm4py's ETC precision (``precision_token_based_replay``) from variant-weighted prefix counts.

    Every proper prefix of every variant is replayed once; a fitting prefix adds its enabled visible
    activities (weighted by the cases passing through it) to the activated total and those the log never
    takes after it to the escaping total; the empty prefix counts once per case.
    """
    follows: dict[tuple[str, ...], set[str]] = {}
    weight: Counter[tuple[str, ...]] = Counter()
    for trace, count in traces.items():
        for i in range(1, len(trace)):
            follows.setdefault(trace[:i], set()).add(trace[i])
            weight[trace[:i]] += count
    n = sum(traces.values())
    initial = bc.initially_enabled_labels(net)
    starts = {t[0] for t in traces if t}
    activated, escaping = n * len(initial), n * len(initial - starts)
    prefixes = list(follows)
    for prefix, enabled in zip(prefixes, bc.replay_prefixes(net, prefixes), strict=True):
        if enabled is not None:
            activated += len(enabled) * weight[prefix]
            escaping += len(enabled - follows[prefix]) * weight[prefix]
    return 1 - escaping / activated if activated > 0 else 1.0


def _deviations(
    spec: PetriNetSpec, v: Variant, r: bc.ReplayResult, a: bc.AlignmentResult | None
) -> tuple[Deviation, ...]:
    """Deviations from the alignment (a fixed optimal one, so labels do not vary between runs)."""
    if a is None:
        return replay_deviations(v.activities, r, spec.labels)
    moves = a.moves
    if a.deviations:
        moves = canonical_moves(spec, v.activities, a.cost) or moves
    return alignment_deviations(moves)


def _variant_results(
    vs: list[Variant], rs: list[bc.ReplayResult], als: list[bc.AlignmentResult | None], spec: PetriNetSpec
) -> tuple[VariantConformance, ...]:
    out = []
    for v, r, a in zip(vs, rs, als, strict=True):
        devs = _deviations(spec, v, r, a)
        out.append(
            VariantConformance(
                variant_id=v.variant_id,
                activities=v.activities,
                count=v.count,
                token_fitness=r.fitness,
                token_fit=r.is_fit,
                alignment_fitness=None if a is None else a.fitness,
                alignment_cost=None if a is None else a.deviations,
                fits=r.is_fit if a is None else a.deviations == 0,
                budget_hit=a is None,
                deviations=devs,
            )
        )
    return tuple(out)


def check_conformance(
    log: EventLog,
    model: TargetModel | PetriNetSpec,
    *,
    alignment_budget_s: float = 10.0,
    total_budget_s: float | None = 300.0,
    cost_attribute: str = "cost",
) -> Conformance:
    """Token-replay and alignment fitness, ETC precision, deviations and case effects of a log vs a model.

    Each distinct variant is replayed and aligned once and weighted by its case count, so the fitness and
    precision values equal pm4py's on the whole log. Log activities the model does not know become log
    moves (inserted activities).

    Args:
        log: the event log (its filters apply).
        model: the target model, or just its Petri net.
        alignment_budget_s: seconds one variant's alignment may take; variants that hit it are counted in
            ``budget_hits``, judged by token replay and left out of the alignment fitness.
        total_budget_s: seconds all alignments may take together (None: no limit).
        cost_attribute: a numeric event attribute summed per case for the mean cost of deviating and
            conforming cases (ignored when the log has no such numeric attribute).

    Returns:
        A frozen `Conformance`.

    Raises:
        ModelError: the model's net is inconsistent or cannot reach its final marking.
    """
    spec = _spec_of(model)
    net = spec_to_pm4py(spec)
    vs = list(get_variants(log).variants)
    traces = [v.activities for v in vs]
    replays = bc.token_replay(net, traces) if vs else []
    aligned = bc.align(net, traces, budget_s=alignment_budget_s, total_budget_s=total_budget_s) if vs else []
    variants = _variant_results(vs, replays, aligned, spec)
    hits = [v for v in variants if v.budget_hit]
    total = sum(v.count for v in vs)
    groups = case_groups(log, variants, cost_attribute)
    return Conformance(
        token=_token_summary(vs, replays),
        alignment=_alignment_summary(vs, aligned),
        precision=etc_precision(net, {v.activities: v.count for v in vs}),
        cases=total,
        fit_cases=sum(v.count for v in variants if v.fits),
        variants=variants,
        deviations_by_activity=activity_deviations(variants, total),
        deviating=groups.deviating,
        conforming=groups.conforming,
        budget_hits=BudgetHits(len(hits), sum(v.count for v in hits), alignment_budget_s, total_budget_s),
        cost_attribute=groups.cost_attribute,
    )


def conformance_over_time(
    log: EventLog,
    model: TargetModel | PetriNetSpec | Conformance,
    *,
    period: Period = "month",
    alignment_budget_s: float = 10.0,
) -> ConformanceOverTime:
    """Share of cases that fit the model per UTC day, ISO week or calendar month of the case's start.

    Args:
        log: the event log (its filters apply).
        model: the target model or its net, or a `Conformance` already computed for this log (reused).
        period: ``"day"``, ``"week"`` or ``"month"``.
        alignment_budget_s: per-variant alignment budget when ``model`` is not a `Conformance`.

    Returns:
        One `PeriodConformance` per period with cases, oldest first.

    Raises:
        ValueError: for another period name.
    """
    if period not in ("day", "week", "month"):
        raise ValueError(f"period {period!r} is not supported; use 'day', 'week' or 'month'")
    if not isinstance(model, Conformance):
        model = check_conformance(log, model, alignment_budget_s=alignment_budget_s)
    return _over_time(log, model.variants, period)
