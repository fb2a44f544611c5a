"""Convert Baton's pm4py-free `PetriNetSpec` to pm4py's PetriNet and markings, and back."""

from __future__ import annotations

from typing import Any

from baton.errors import ModelError
from baton.models.types import PetriNetSpec
from baton.pm4py_bridge import _pm4py


def check_spec(spec: PetriNetSpec) -> None:
    """Raise `ModelError` when the net's ids clash or an arc or marking names an unknown node.

    Args:
        spec: the net to check.

    Raises:
        ModelError: duplicate ids, an arc not between a place and a transition, a marking on an unknown
            place or with a negative token count.
    """
    places = set(spec.places)
    transitions = {tid for tid, _ in spec.transitions}
    if len(places) != len(spec.places) or len(transitions) != len(spec.transitions) or places & transitions:
        raise ModelError(
            "Petri net has duplicate place or transition ids; every place and transition needs its own id"
        )
    for src, dst in spec.arcs:
        if not ((src in places and dst in transitions) or (src in transitions and dst in places)):
            raise ModelError(
                f"Petri net arc {src!r} -> {dst!r} does not join a known place and a known transition; "
                "fix the arc's source and target ids"
            )
    for which, marking in (("initial", spec.initial_marking), ("final", spec.final_marking)):
        for place, tokens in marking:
            if place not in places or tokens < 0:
                raise ModelError(
                    f"Petri net {which} marking puts {tokens} token(s) on {place!r}, expected a known place "
                    "and a non-negative count"
                )
    if not spec.initial_marking or not spec.final_marking:
        raise ModelError("Petri net needs a non-empty initial and final marking to be replayed on")


def spec_to_pm4py(spec: PetriNetSpec) -> tuple[Any, Any, Any]:
    """pm4py's ``(PetriNet, initial Marking, final Marking)`` for a `PetriNetSpec`.

    Args:
        spec: the net (checked with `check_spec`).

    Returns:
        A new pm4py net whose places and transitions carry the spec's ids as names.

    Raises:
        ModelError: the spec is inconsistent (see `check_spec`).
    """
    check_spec(spec)
    _pm4py()
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    net = PetriNet("baton")
    nodes: dict[str, Any] = {}
    for pid in spec.places:
        nodes[pid] = PetriNet.Place(pid)
        net.places.add(nodes[pid])
    for tid, label in spec.transitions:
        nodes[tid] = PetriNet.Transition(tid, label)
        net.transitions.add(nodes[tid])
    for src, dst in spec.arcs:
        petri_utils.add_arc_from_to(nodes[src], nodes[dst], net)
    im, fm = Marking(), Marking()
    for place, tokens in spec.initial_marking:
        im[nodes[place]] = tokens
    for place, tokens in spec.final_marking:
        fm[nodes[place]] = tokens
    return net, im, fm


def from_pm4py(net: Any, initial_marking: Any, final_marking: Any) -> PetriNetSpec:
    """A `PetriNetSpec` of a pm4py net (places and transitions sorted by name for a stable result).

    Args:
        net: a pm4py ``PetriNet``.
        initial_marking: its initial ``Marking``.
        final_marking: its final ``Marking``.

    Raises:
        ModelError: two nodes share a name, or an arc has a weight other than 1.
    """
    places = sorted(p.name for p in net.places)
    transitions = sorted(((t.name, t.label) for t in net.transitions), key=lambda t: t[0])
    for arc in net.arcs:
        if arc.weight != 1:
            raise ModelError(
                f"pm4py net arc {arc.source.name!r} -> {arc.target.name!r} has weight {arc.weight}; "
                "Baton's nets use weight 1 only (unfold the arc into parallel places)"
            )
    spec = PetriNetSpec(
        places=tuple(places),
        transitions=tuple(transitions),
        arcs=tuple(sorted((a.source.name, a.target.name) for a in net.arcs)),
        initial_marking=tuple(sorted((p.name, int(n)) for p, n in initial_marking.items())),
        final_marking=tuple(sorted((p.name, int(n)) for p, n in final_marking.items())),
    )
    check_spec(spec)
    return spec
