"""pm4py's conformance algorithms run once per distinct trace: token replay, alignments with budgets, ETC prefixes.

Each function takes a net as returned by `baton.pm4py_bridge.nets.spec_to_pm4py` and a list of distinct
activity sequences, and calls pm4py with the parameters its log-level functions use
(``fitness_token_based_replay``, ``fitness_alignments``, ``precision_token_based_replay``), so weighting the
per-trace results by case counts gives pm4py's log-level numbers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any, Literal

from baton.errors import ModelError
from baton.pm4py_bridge import _pm4py

Net = tuple[Any, Any, Any]  # pm4py (PetriNet, initial Marking, final Marking)
MoveKind = Literal["sync", "log", "model", "silent"]
_SKIP = ">>"


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Token replay of one trace: pm4py's fit flag, fitness and token counts.

    ``problem_labels`` are the visible transitions that fired without all their input tokens.
    """

    is_fit: bool
    fitness: float
    missing: int
    consumed: int
    remaining: int
    produced: int
    problem_labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlignmentResult:
    """An optimal alignment of one trace.

    ``cost`` and ``best_worst_cost`` are pm4py's raw costs (10000 per visible deviation, 1 per silent
    step); ``deviations`` = cost // 10000; ``moves`` are ``(kind, activity)`` pairs in alignment order
    (activity None for a silent model step).
    """

    cost: int
    best_worst_cost: int
    fitness: float
    deviations: int
    moves: tuple[tuple[MoveKind, str | None], ...]


def _trace(activities: Sequence[str]) -> Any:
    from pm4py.objects.log.obj import Event, Trace

    return Trace([Event({"concept:name": a}) for a in activities])


def _event_log(traces: Sequence[Sequence[str]]) -> Any:
    from pm4py.objects.log.obj import EventLog

    return EventLog([_trace(t) for t in traces])


def token_replay(net: Net, traces: Sequence[Sequence[str]]) -> list[ReplayResult]:
    """pm4py's token replay of each trace, with ``fitness_token_based_replay``'s parameters.

    Args:
        net: ``(net, initial marking, final marking)``.
        traces: distinct activity sequences.

    Returns:
        One `ReplayResult` per trace, in order.
    """
    _pm4py()
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    params = {
        tr.Parameters.CONSIDER_REMAINING_IN_FITNESS: True,
        tr.Parameters.CLEANING_TOKEN_FLOOD: False,
        tr.Parameters.SHOW_PROGRESS_BAR: False,
    }
    results = tr.apply(_event_log(traces), *net, parameters=params)
    return [
        ReplayResult(
            bool(r["trace_is_fit"]),
            float(r["trace_fitness"]),
            int(r["missing_tokens"]),
            int(r["consumed_tokens"]),
            int(r["remaining_tokens"]),
            int(r["produced_tokens"]),
            tuple(t.label for t in r["transitions_with_problems"] if t.label is not None),
        )
        for r in results
    ]


def _check_easy_sound(net: Net) -> None:
    from pm4py.objects.petri_net.utils.check_soundness import check_easy_soundness_net_in_fin_marking

    if not check_easy_soundness_net_in_fin_marking(*net):
        raise ModelError(
            "the model's Petri net cannot reach its final marking from its initial marking (not easy "
            "sound), so traces cannot be aligned to it; check the model's end events and gateways"
        )


def _moves(alignment: Sequence[tuple[str, str | None]]) -> tuple[tuple[MoveKind, str | None], ...]:
    out: list[tuple[MoveKind, str | None]] = []
    for log_label, model_label in alignment:
        if log_label == _SKIP:
            out.append(("silent", None) if model_label is None else ("model", model_label))
        elif model_label == _SKIP:
            out.append(("log", log_label))
        else:
            out.append(("sync", log_label))
    return tuple(out)


def align(
    net: Net, traces: Sequence[Sequence[str]], *, budget_s: float, total_budget_s: float | None = None
) -> list[AlignmentResult | None]:
    """pm4py's optimal alignment of each trace (its default algorithm), each within a time budget.

    Args:
        net: ``(net, initial marking, final marking)``.
        traces: distinct activity sequences, aligned in this order.
        budget_s: seconds one trace may take (pm4py's ``max_align_time_trace``).
        total_budget_s: seconds all traces may take together; traces left when it is spent are not tried.

    Returns:
        One `AlignmentResult` per trace, None where the budget ran out.

    Raises:
        ModelError: the net cannot reach its final marking (pm4py refuses to align then).
    """
    _pm4py()
    from pm4py.algo.conformance.alignments.petri_net import algorithm as al
    from pm4py.util import exec_utils

    _check_easy_sound(net)
    variant = al.DEFAULT_VARIANT
    params: dict[Any, Any] = {al.Parameters.SHOW_PROGRESS_BAR: False}
    bwc = exec_utils.get_variant(variant).get_best_worst_cost(*net, parameters=copy(params))
    params[al.Parameters.BEST_WORST_COST_INTERNAL] = bwc
    start, out = time.monotonic(), list[AlignmentResult | None]()
    for trace in traces:
        left = (
            budget_s if total_budget_s is None else min(budget_s, total_budget_s - (time.monotonic() - start))
        )
        if left <= 0:
            out.append(None)
            continue
        params[al.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = left
        with warnings.catch_warnings():  # pm4py's A* uses numpy.matrix: one warning per call
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            ali = al.apply_trace(_trace(trace), *net, parameters=copy(params), variant=variant)
        out.append(None if ali is None else _alignment_result(ali))
    return out


def _alignment_result(ali: dict[str, Any]) -> AlignmentResult:
    from pm4py.objects.petri_net.utils.align_utils import STD_MODEL_LOG_MOVE_COST

    cost = int(ali["cost"])
    return AlignmentResult(
        cost,
        int(ali["bwc"]),
        float(ali["fitness"]),
        cost // STD_MODEL_LOG_MOVE_COST,
        _moves(ali["alignment"]),
    )


def initially_enabled_labels(net: Net) -> frozenset[str]:
    """Labels of the visible transitions reachable from the initial marking through silent ones only."""
    _pm4py()
    from pm4py.objects.petri_net.utils.align_utils import (
        get_visible_transitions_eventually_enabled_by_marking,
    )

    return frozenset(t.label for t in get_visible_transitions_eventually_enabled_by_marking(net[0], net[1]))


def replay_prefixes(net: Net, prefixes: Sequence[Sequence[str]]) -> list[frozenset[str] | None]:
    """Visible labels enabled after replaying each prefix, as pm4py's ETC precision replays them.

    Args:
        net: ``(net, initial marking, final marking)``.
        prefixes: distinct non-empty activity prefixes.

    Returns:
        Per prefix the enabled visible labels, or None when the prefix does not replay (unfit).
    """
    _pm4py()
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    params = {
        tr.Parameters.CONSIDER_REMAINING_IN_FITNESS: False,
        tr.Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
        tr.Parameters.STOP_IMMEDIATELY_UNFIT: True,
        tr.Parameters.WALK_THROUGH_HIDDEN_TRANS: True,
        tr.Parameters.CLEANING_TOKEN_FLOOD: False,
        tr.Parameters.SHOW_PROGRESS_BAR: False,
    }
    results = tr.apply(_event_log(prefixes), *net, parameters=params)
    return [
        frozenset(t.label for t in r["enabled_transitions_in_marking"] if t.label is not None)
        if r["trace_is_fit"]
        else None
        for r in results
    ]
