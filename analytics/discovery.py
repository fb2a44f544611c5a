"""Discover a target model from a log (inductive miner on its variants) and export it as BPMN or PNML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from analytics.variants import get_variants
from baton.errors import ModelError
from baton.models.types import ModelTask, TargetModel

if TYPE_CHECKING:
    from baton.log import EventLog


def discover_target_model(log: EventLog, *, noise_threshold: float = 0.2) -> TargetModel:
    """Discover a Petri net with the inductive miner (IMf) and wrap it as a ``discovered`` target model.

    The miner runs on the (filtered) log's variants with their case counts, so a log of millions of
    events costs what its distinct variants cost. The result equals pm4py's
    ``discover_petri_net_inductive`` on the same cases with the same noise threshold. ``edges``,
    ``start_activities`` and ``end_activities`` are the directly-follows pairs the net allows
    (`baton.models.footprint.allowed_edges`; the process tree's footprint when the net's state space is
    too large to explore).

    Args:
        log: the event log (its filters apply).
        noise_threshold: IMf's noise threshold in [0, 1]; 0 runs plain IM (every variant fits).

    Returns:
        The model: one task per visible transition (kind ``task``, owner ``unknown``).

    Raises:
        ModelError: the noise threshold is outside [0, 1] or the log has no cases.

    Example:
        >>> model = discover_target_model(ws.log("running-example"), noise_threshold=0.0)  # doctest: +SKIP
        >>> model.activities[:2]  # doctest: +SKIP
        ('check ticket', 'decide')
    """
    if not 0.0 <= noise_threshold <= 1.0:
        raise ModelError(
            f"noise_threshold={noise_threshold!r} is outside [0, 1]; pass e.g. 0.0 (keep all behaviour) or 0.2"
        )
    variants = get_variants(log).counts()
    if not variants:
        raise ModelError(
            f"log {log.name!r} has no cases{' left after its filters' if log.filters.filters else ''}; "
            "discover a model from a log (or filter) that keeps some cases"
        )
    from baton.models.footprint import allowed_edges
    from baton.pm4py_bridge.discovery import discover_net, tree_footprint

    net = discover_net(variants, noise_threshold=noise_threshold)
    try:
        edges, starts, ends = allowed_edges(net)
    except ModelError:  # too many reachable markings: the tree's footprint is exact and cheap
        edges, starts, ends = tree_footprint(variants, noise_threshold=noise_threshold)
    tasks = tuple(
        ModelTask(id=tid, name=label, kind="task", owner="unknown")
        for tid, label in net.transitions
        if label is not None
    )
    return TargetModel(
        name=f"{log.name} (discovered, noise {noise_threshold:g})",
        source=f"inductive miner on log {log.name!r}",
        format="discovered",
        tasks=tasks,
        net=net,
        edges=frozenset(edges),
        start_activities=frozenset(starts),
        end_activities=frozenset(ends),
    )


def export_pnml(model: TargetModel, path: str | Path) -> Path:
    """Write the model's Petri net as PNML (pm4py's writer), atomically: a reader never sees half a file.

    Args:
        model: any target model (discovered or imported).
        path: the file to write (replaced if it exists; its folder must exist).

    Returns:
        The path written.
    """
    from baton.pm4py_bridge.discovery import write_pnml

    return write_pnml(model.net, Path(path))


def export_bpmn(model: TargetModel, path: str | Path) -> Path:
    """Write the model's control flow as BPMN 2.0 (process tree -> BPMN with pm4py), atomically.

    Only the control flow is written: the tasks carry the model's activity names, timers and rules are
    not part of the export. The file has no diagram layout; modelling tools lay it out on opening.

    Args:
        model: a target model whose net is a sound workflow net (every discovered model is).
        path: the file to write (replaced if it exists; its folder must exist).

    Returns:
        The path written.

    Raises:
        ModelError: the net cannot be converted to BPMN.
    """
    from baton.pm4py_bridge.discovery import write_bpmn

    return write_bpmn(model.net, Path(path))
