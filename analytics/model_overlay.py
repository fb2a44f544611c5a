"""Model-vs-log map overlay: which directly-follows edges, starts and ends conform, break or go unused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from analytics.dfg import discover_dfg

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog
    from baton.models.types import TargetModel

Status = Literal["conforming", "not_allowed", "never_taken"]
_ORDER: dict[str, int] = {"conforming": 0, "not_allowed": 1, "never_taken": 2}


@dataclass(frozen=True, slots=True)
class OverlayEdge:
    """One directly-follows edge of the log or the model, with its status and the log's frequencies.

    ``frequency`` is how often ``target`` directly follows ``source`` in the log, ``case_frequency`` in
    how many cases; both are 0 for a ``never_taken`` edge.
    """

    source: str
    target: str
    status: Status
    frequency: int
    case_frequency: int


@dataclass(frozen=True, slots=True)
class OverlayEndpoint:
    """A start or end activity of the log or the model; ``cases`` starting (ending) with it in the log."""

    activity: str
    status: Status
    cases: int


@dataclass(frozen=True, slots=True)
class ModelOverlay:
    """The log's process map laid over a target model.

    ``conforming``: in the log and allowed by the model; ``not_allowed``: in the log, not allowed by the
    model; ``never_taken``: allowed by the model, never seen in the log. Edges, starts and ends are ordered
    by status (that order), then by log frequency (descending), then by name. ``unknown_activities`` are
    log activities the model does not know, ``unseen_activities`` model activities absent from the log.
    """

    model_name: str
    edges: tuple[OverlayEdge, ...]
    start_activities: tuple[OverlayEndpoint, ...]
    end_activities: tuple[OverlayEndpoint, ...]
    unknown_activities: tuple[str, ...]
    unseen_activities: tuple[str, ...]

    def edges_with(self, status: Status) -> tuple[OverlayEdge, ...]:
        """The edges of one status."""
        return tuple(e for e in self.edges if e.status == status)

    @property
    def conforming(self) -> frozenset[tuple[str, str]]:
        """``(source, target)`` pairs in the log that the model allows."""
        return frozenset((e.source, e.target) for e in self.edges_with("conforming"))

    @property
    def not_allowed(self) -> frozenset[tuple[str, str]]:
        """``(source, target)`` pairs in the log that the model does not allow."""
        return frozenset((e.source, e.target) for e in self.edges_with("not_allowed"))

    @property
    def never_taken(self) -> frozenset[tuple[str, str]]:
        """``(source, target)`` pairs the model allows that the log never shows."""
        return frozenset((e.source, e.target) for e in self.edges_with("never_taken"))

    def to_frame(self) -> pd.DataFrame:
        """Edges, starts and ends as one table, ``kind`` ``edge``, ``start`` or ``end``.

        Starts have no source, ends no target (missing values); ``frequency`` and ``case_frequency`` are
        the log's counts (for starts and ends both are the number of cases).
        """
        import pandas as pd

        rows: list[tuple[str, str | None, str | None, str, int, int]]
        rows = [("edge", e.source, e.target, e.status, e.frequency, e.case_frequency) for e in self.edges]
        rows += [("start", None, s.activity, s.status, s.cases, s.cases) for s in self.start_activities]
        rows += [("end", s.activity, None, s.status, s.cases, s.cases) for s in self.end_activities]
        cols = ["kind", "source", "target", "status", "frequency", "case_frequency"]
        return pd.DataFrame(rows, columns=cols)


def _status(in_log: bool, allowed: bool) -> Status:
    if in_log:
        return "conforming" if allowed else "not_allowed"
    return "never_taken"


def _model_footprint(model: TargetModel) -> tuple[frozenset[tuple[str, str]], frozenset[str], frozenset[str]]:
    """The model's allowed edges, starts and ends; computed from its net when the importer left them empty."""
    if model.edges or model.start_activities or model.end_activities or not model.net.labels:
        return model.edges, model.start_activities, model.end_activities
    from baton.models.footprint import allowed_edges

    edges, starts, ends = allowed_edges(model.net)
    return frozenset(edges), frozenset(starts), frozenset(ends)


def _endpoints(log_counts: dict[str, int], allowed: frozenset[str]) -> tuple[OverlayEndpoint, ...]:
    out = [OverlayEndpoint(a, _status(True, a in allowed), n) for a, n in log_counts.items()]
    out += [OverlayEndpoint(a, "never_taken", 0) for a in allowed if a not in log_counts]
    return tuple(sorted(out, key=lambda p: (_ORDER[p.status], -p.cases, p.activity)))


def get_model_overlay(log: EventLog, model: TargetModel) -> ModelOverlay:
    """Classify the (filtered) log's directly-follows edges, starts and ends against a target model.

    Args:
        log: the event log (its filters apply).
        model: the target model; its ``edges``/``start_activities``/``end_activities`` say what it
            allows (when all three are empty they are derived from its Petri net).

    Returns:
        Every log edge (``conforming`` or ``not_allowed``, with its frequencies) and every model edge the
        log never takes (``never_taken``), the same for start and end activities, and the activities
        only one side knows.

    Example:
        >>> overlay = get_model_overlay(ws.log("loans_after"), model)  # doctest: +SKIP
        >>> sorted(overlay.not_allowed)[:1]  # doctest: +SKIP
        [('Approve', 'Run KYC Check')]
    """
    dfg = discover_dfg(log)
    allowed, starts, ends = _model_footprint(model)
    edges = [
        OverlayEdge(
            e.source, e.target, _status(True, (e.source, e.target) in allowed), e.frequency, e.case_frequency
        )
        for e in dfg.edges
    ]
    seen = {(e.source, e.target) for e in dfg.edges}
    edges += [OverlayEdge(a, b, "never_taken", 0, 0) for a, b in allowed if (a, b) not in seen]
    edges.sort(key=lambda e: (_ORDER[e.status], -e.frequency, e.source, e.target))
    known = set(model.activities)
    return ModelOverlay(
        model_name=model.name,
        edges=tuple(edges),
        start_activities=_endpoints(dfg.start_activities, starts),
        end_activities=_endpoints(dfg.end_activities, ends),
        unknown_activities=tuple(sorted(a for a in dfg.activities if a not in known)),
        unseen_activities=tuple(sorted(a for a in known if a not in dfg.activities)),
    )
