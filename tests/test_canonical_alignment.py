"""The fixed choice among optimal alignments: pm4py's cost, hand-checked moves, the same labels every run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.canonical_alignment import canonical_moves
from baton.models.types import PetriNetSpec
from baton.pm4py_bridge import conformance as bc
from baton.pm4py_bridge.nets import from_pm4py, spec_to_pm4py

# a, then b and c in parallel, then an optional loop back through a silent step
NET = PetriNetSpec(
    places=("i", "p1", "p2", "q1", "q2", "o"),
    transitions=(("ta", "a"), ("tb", "b"), ("tc", "c"), ("tj", None), ("tl", "loop")),
    arcs=(
        ("i", "ta"), ("ta", "p1"), ("ta", "p2"), ("p1", "tb"), ("tb", "q1"), ("p2", "tc"), ("tc", "q2"),
        ("q1", "tj"), ("q2", "tj"), ("tj", "o"), ("o", "tl"), ("tl", "i"),
    ),
    initial_marking=(("i", 1),),
    final_marking=(("o", 1),),
)  # fmt: skip


def _pm4py_cost(spec: PetriNetSpec, trace: tuple[str, ...]) -> int:
    (result,) = bc.align(spec_to_pm4py(spec), [trace], budget_s=10.0)
    assert result is not None
    return result.cost


def test_hand_checked_moves() -> None:
    """A fitting trace is all synchronous; a swap and an insertion get the fixed labels."""
    assert canonical_moves(NET, ("a", "c", "b"), _pm4py_cost(NET, ("a", "c", "b"))) == (
        ("sync", "a"), ("sync", "c"), ("sync", "b"), ("silent", None),
    )  # fmt: skip
    swapped = ("b", "a", "c")  # two optimal answers: b too early, or a too late; the fixed one is b
    assert canonical_moves(NET, swapped, _pm4py_cost(NET, swapped)) == (
        ("log", "b"), ("sync", "a"), ("sync", "c"), ("model", "b"), ("silent", None),
    )  # fmt: skip
    inserted = ("a", "x", "b", "c")
    assert canonical_moves(NET, inserted, 10_001) == (
        ("sync", "a"), ("log", "x"), ("sync", "b"), ("sync", "c"), ("silent", None),
    )  # fmt: skip


def test_refuses_a_cost_it_cannot_reach() -> None:
    """Given a cost below the optimum (not pm4py's), no alignment is returned."""
    assert canonical_moves(NET, ("b", "a", "c"), 1) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "loop", "x"]), max_size=7))
def test_cost_equals_pm4py_optimum(trace: list[str]) -> None:
    """For any trace the fixed alignment has exactly pm4py's optimal cost and replays the trace."""
    cost = _pm4py_cost(NET, tuple(trace))
    moves = canonical_moves(NET, tuple(trace), cost)
    assert moves is not None
    assert [a for k, a in moves if k in ("sync", "log")] == trace
    paid = sum(0 if k == "sync" else 1 if k == "silent" else 10_000 for k, _ in moves)
    assert paid == cost


def test_labels_do_not_depend_on_pm4py_object_order(shared_data: Path) -> None:
    """Rebuilding pm4py's net (new object ids, other set orders) gives the same deviation moves."""
    import pm4py

    net = from_pm4py(*pm4py.read_pnml(str(shared_data / "models" / "running-example.pnml")))
    trace = (
        "register request",
        "check ticket",
        "examine casually",
        "decide",
        "reject request",
        "pay compensation",
    )
    runs = {canonical_moves(net, trace, _pm4py_cost(net, trace)) for _ in range(5)}
    assert len(runs) == 1 and None not in runs


@pytest.mark.parametrize("max_states", [1])
def test_gives_up_beyond_the_state_bound(max_states: int) -> None:
    """Past the bound the caller keeps pm4py's own alignment (None here)."""
    assert canonical_moves(NET, ("b", "a", "c"), 20_001, max_states=max_states) is None
