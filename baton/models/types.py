"""The typed target model every importer (BPMN, PNML, YAML, discovery) produces; frozen, pm4py-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

TaskKind = Literal[
    "user", "manual", "service", "script", "send", "receive", "business_rule", "task", "call_activity", "step"
]
Owner = Literal["human", "system", "unknown"]
ModelFormat = Literal["bpmn", "pnml", "yaml", "discovered"]


@dataclass(frozen=True, slots=True)
class ModelTask:
    """One activity of the model, matched to log activities by ``name``.

    ``owner`` is ``human`` for user and manual tasks (or YAML ``owner: human``), ``system`` for service,
    script, send, receive and business-rule tasks, else ``unknown``.
    """

    id: str
    name: str
    kind: TaskKind
    owner: Owner
    lane: str | None = None
    multi_instance: bool = False


@dataclass(frozen=True, slots=True)
class SlaTimer:
    """A time limit the model states for one task (a BPMN timer boundary event or a YAML step SLA).

    The clock starts when ``task`` becomes active (``start_after`` completes; None: the case's preceding
    event that is not an escalation step completes) and stops when ``task`` completes (``until="start"``:
    when work on it starts, where the log has start timestamps; a pick-up SLA). ``escalation`` lists the activities that
    show the escalation path was taken (the boundary event's outgoing tasks, or the YAML escalation step).
    """

    id: str
    task: str
    duration: timedelta
    interrupting: bool
    escalation: tuple[str, ...] = ()
    cycle: str | None = None  # an ISO 8601 repetition as written (R3/PT1H); the first firing is checked
    start_after: str | None = None
    until: Literal["complete", "start"] = "complete"
    source: str = ""  # element id or YAML path it came from


@dataclass(frozen=True, slots=True)
class FourEyesRule:
    """Two activities that must not be performed by the same resource within one case."""

    first: str
    second: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """An activity may occur at most ``max_attempts`` times per case."""

    activity: str
    max_attempts: int


@dataclass(frozen=True, slots=True)
class ModelNote:
    """A model element that cannot be used (fully) for a check: which, why, and what is checked instead."""

    element_id: str
    element_type: str
    message: str


@dataclass(frozen=True, slots=True)
class PetriNetSpec:
    """A labelled Petri net with initial and final marking, free of pm4py (the bridge converts it).

    Transitions are ``(id, label)``; a label of None is a silent (tau) transition. Arcs are
    ``(source id, target id)`` between a place and a transition, weight 1.
    """

    places: tuple[str, ...]
    transitions: tuple[tuple[str, str | None], ...]
    arcs: tuple[tuple[str, str], ...]
    initial_marking: tuple[tuple[str, int], ...]
    final_marking: tuple[tuple[str, int], ...]

    @property
    def labels(self) -> frozenset[str]:
        """The visible activity labels."""
        return frozenset(label for _, label in self.transitions if label is not None)


@dataclass(frozen=True, slots=True)
class TargetModel:
    """One target model: its control flow as a Petri net plus what an orchestration model says beyond it.

    ``edges`` are the (from activity, to activity) pairs the model allows directly one after the other
    (silent steps skipped), ``start_activities``/``end_activities`` the ones it allows first and last.
    """

    name: str
    source: str
    format: ModelFormat
    tasks: tuple[ModelTask, ...]
    net: PetriNetSpec
    edges: frozenset[tuple[str, str]] = frozenset()
    start_activities: frozenset[str] = frozenset()
    end_activities: frozenset[str] = frozenset()
    timers: tuple[SlaTimer, ...] = ()
    four_eyes: tuple[FourEyesRule, ...] = ()
    retries: tuple[RetryPolicy, ...] = ()
    notes: tuple[ModelNote, ...] = field(default_factory=tuple)

    @property
    def activities(self) -> tuple[str, ...]:
        """Activity names the model knows, sorted."""
        return tuple(sorted({t.name for t in self.tasks} | self.net.labels))

    def owner_of(self, activity: str) -> str:
        """``human``, ``system`` or ``unknown`` for a log activity."""
        return next((t.owner for t in self.tasks if t.name == activity), "unknown")
