"""One fixed choice among a trace's optimal alignments, so deviation labels are the same on every run.

A trace often has several optimal alignments (``b a`` against ``a b``: ``b`` or ``a`` out of order; a
repeated step: inserted, or a skipped loop body). pm4py's A* returns one of them, chosen by the iteration
order of sets of objects hashed by memory address, so the labels could change between runs while the
costs never do. This search re-derives the alignment of a deviating trace with pm4py's standard costs
(synchronous move 0, visible log or model move 10,000, silent step 1) by Dijkstra over (trace position,
marking) with a fixed expansion order: synchronous moves, then model moves by transition id, then the log
move; ties go to the state reached first. It only accepts an alignment of exactly pm4py's optimal cost.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Literal

from baton.models.types import PetriNetSpec

MoveKind = Literal["sync", "log", "model", "silent"]
Move = tuple[MoveKind, str | None]
VISIBLE_COST, SILENT_COST = 10_000, 1
Marking = tuple[int, ...]


class _Net:
    """The net with places as indices and transitions in id order, for fast enabling checks."""

    def __init__(self, spec: PetriNetSpec) -> None:
        index = {p: i for i, p in enumerate(sorted(spec.places))}
        self.size = len(index)
        pre: dict[str, list[int]] = {t: [] for t, _ in spec.transitions}
        post: dict[str, list[int]] = {t: [] for t, _ in spec.transitions}
        for src, dst in spec.arcs:
            if src in index:
                pre[dst].append(index[src])
            else:
                post[src].append(index[dst])
        self.transitions = [(label, tuple(pre[t]), tuple(post[t])) for t, label in sorted(spec.transitions)]
        self.consumers: list[list[int]] = [[] for _ in range(self.size)]  # place -> transitions, in id order
        self.free = [k for k, (_, ins, _) in enumerate(self.transitions) if not ins]  # empty preset
        for k, (_, ins, _) in enumerate(self.transitions):
            for p in set(ins):
                self.consumers[p].append(k)
        self.initial = self._marking(spec.initial_marking, index)
        self.final = self._marking(spec.final_marking, index)

    def _marking(self, items: Sequence[tuple[str, int]], index: dict[str, int]) -> Marking:
        m = [0] * self.size
        for place, n in items:
            m[index[place]] += n
        return tuple(m)

    def fire(self, m: Marking, pre: tuple[int, ...], post: tuple[int, ...]) -> Marking | None:
        """The marking after firing, or None when the transition is not enabled."""
        out = list(m)
        for p in pre:
            out[p] -= 1
            if out[p] < 0:
                return None
        for p in post:
            out[p] += 1
        return tuple(out)


def canonical_moves(
    spec: PetriNetSpec, trace: Sequence[str], optimal_cost: int, *, max_states: int = 100_000
) -> tuple[Move, ...] | None:
    """The fixed optimal alignment of ``trace``, or None when it is not found within ``max_states``.

    Args:
        spec: the model's net.
        trace: the activity sequence.
        optimal_cost: pm4py's optimal alignment cost for the trace (raw, silent steps included).
        max_states: states to settle before giving up (the caller then keeps pm4py's alignment).

    Returns:
        ``(kind, activity)`` moves in order (activity None for silent steps), or None.
    """
    net = _Net(spec)
    start = (0, net.initial)
    best: dict[tuple[int, Marking], int] = {start: 0}
    parent: dict[tuple[int, Marking], tuple[tuple[int, Marking], Move]] = {}
    heap: list[tuple[int, int, tuple[int, Marking]]] = [(0, 0, start)]
    pushed = settled = 0
    while heap:
        g, _, state = heapq.heappop(heap)
        if g > best.get(state, g):
            continue
        i, m = state
        if i == len(trace) and m == net.final:
            return _path(parent, state) if g == optimal_cost else None
        settled += 1
        if settled > max_states:
            return None
        for cost, nxt, move in _successors(net, trace, i, m):
            if g + cost > optimal_cost or g + cost >= best.get(nxt, optimal_cost + 1):
                continue
            best[nxt] = g + cost
            parent[nxt] = (state, move)
            pushed += 1
            heapq.heappush(heap, (g + cost, pushed, nxt))
    return None


def _successors(
    net: _Net, trace: Sequence[str], i: int, m: Marking
) -> list[tuple[int, tuple[int, Marking], Move]]:
    """Moves from one state in the fixed order: synchronous, model (by transition id), then the log move."""
    syncs: list[tuple[int, tuple[int, Marking], Move]] = []
    models: list[tuple[int, tuple[int, Marking], Move]] = []
    candidates = {k for p, n in enumerate(m) if n for k in net.consumers[p]}.union(net.free)
    for k in sorted(candidates):  # only transitions with a marked input place can be enabled
        label, pre, post = net.transitions[k]
        after = net.fire(m, pre, post)
        if after is None:
            continue
        if label is None:
            models.append((SILENT_COST, (i, after), ("silent", None)))
            continue
        if i < len(trace) and trace[i] == label:
            syncs.append((0, (i + 1, after), ("sync", label)))
        models.append((VISIBLE_COST, (i, after), ("model", label)))
    if i < len(trace):
        models.append((VISIBLE_COST, (i + 1, m), ("log", trace[i])))
    return syncs + models


def _path(parent: dict, state: tuple[int, Marking]) -> tuple[Move, ...]:  # type: ignore[type-arg]
    moves: list[Move] = []
    while state in parent:
        state, move = parent[state]
        moves.append(move)
    return tuple(reversed(moves))
