"""The behaviour a Petri net allows, as directly-follows pairs of visible labels, from its reachability graph."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from baton.errors import ModelError
from baton.models.types import PetriNetSpec

MAX_MARKINGS = 200_000
MAX_TOKENS = 3  # a place holding more tokens than this makes the net count as unbounded

Marking = bytes  # token count per place index (each count <= MAX_TOKENS fits a byte)


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a net allows: directly-follows pairs, first labels and, per reachable marking, the last labels.

    ``last_labels`` maps a marking (as ``{place: tokens}`` items, sorted) to the visible labels that can
    be the last one fired when the net reaches it; ``None`` in the set means "reachable firing no visible
    transition". ``dead`` lists the reachable markings that enable no transition.
    """

    edges: frozenset[tuple[str, str]]
    starts: frozenset[str]
    last_labels: dict[tuple[tuple[str, int], ...], frozenset[str | None]]
    dead: tuple[tuple[tuple[str, int], ...], ...]

    def ends_at(self, marking: tuple[tuple[str, int], ...]) -> frozenset[str]:
        """The visible labels that can come last in a run reaching ``marking`` (empty if unreachable)."""
        key = tuple(sorted((p, n) for p, n in marking if n))
        return frozenset(a for a in self.last_labels.get(key, frozenset()) if a is not None)


def allowed_edges(net: PetriNetSpec) -> tuple[frozenset[tuple[str, str]], frozenset[str], frozenset[str]]:
    """The directly-follows pairs of visible labels the net allows, and its possible first and last labels.

    Silent (``None``-labelled) transitions are skipped: ``a -> tau -> b`` allows the pair ``(a, b)``. The
    last labels are those of runs that reach the net's final marking.

    Args:
        net: a labelled Petri net with initial and final marking.

    Returns:
        ``(edges, start labels, end labels)``.

    Raises:
        ModelError: the net has more than 200,000 reachable markings or a place can hold more than 3 tokens.

    Example:
        >>> net = PetriNetSpec(("i", "m", "o"), (("a", "A"), ("b", "B")),
        ...     (("i", "a"), ("a", "m"), ("m", "b"), ("b", "o")), (("i", 1),), (("o", 1),))
        >>> allowed_edges(net)
        (frozenset({('A', 'B')}), frozenset({'A'}), frozenset({'B'}))
    """
    footprint = explore(net)
    return footprint.edges, footprint.starts, footprint.ends_at(net.final_marking)


def explore(net: PetriNetSpec) -> Footprint:
    """Explore the reachability graph breadth-first and propagate the last visible label to every marking.

    Raises:
        ModelError: beyond ``MAX_MARKINGS`` markings or ``MAX_TOKENS`` tokens in one place.
    """
    index = {place: i for i, place in enumerate(net.places)}
    pre, post = _arcs(net, index)
    initial = _marking(net.initial_marking, index, "initial")
    graph = _reachability(net, index, pre, post, initial)
    last: dict[Marking, set[str | None]] = {initial: {None}}
    edges: set[tuple[str, str]] = set()
    starts: set[str] = set()
    work = deque([initial])
    queued = {initial}
    while work:
        marking = work.popleft()
        queued.discard(marking)
        seen = last[marking]
        for label, target in graph[marking]:
            if label is None:
                new: set[str | None] = seen
            else:
                edges.update((a, label) for a in seen if a is not None)
                if None in seen:
                    starts.add(label)
                new = {label}
            known = last.setdefault(target, set())
            if not new <= known:
                known |= new
                if target not in queued:
                    queued.add(target)
                    work.append(target)
    names = net.places
    return Footprint(
        edges=frozenset(edges),
        starts=frozenset(starts),
        last_labels={_items(m, names): frozenset(s) for m, s in last.items()},
        dead=tuple(_items(m, names) for m, succ in graph.items() if not succ),
    )


def _arcs(net: PetriNetSpec, index: dict[str, int]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Input and output place indexes per transition id."""
    pre: dict[str, list[int]] = {t: [] for t, _ in net.transitions}
    post: dict[str, list[int]] = {t: [] for t, _ in net.transitions}
    for source, target in net.arcs:
        if source in index and target in pre:
            pre[target].append(index[source])
        elif source in pre and target in index:
            post[source].append(index[target])
        else:
            raise ModelError(f"arc {source} -> {target}: expected one place and one transition of the net")
    return pre, post


def _marking(items: tuple[tuple[str, int], ...], index: dict[str, int], what: str) -> Marking:
    """A marking as bytes; unknown places or token counts above the bound are model errors."""
    counts = bytearray(len(index))
    for place, tokens in items:
        if place not in index:
            raise ModelError(f"the {what} marking names place {place!r}, which the net does not have")
        if not 0 <= tokens <= MAX_TOKENS:
            raise ModelError(f"the {what} marking puts {tokens} tokens on {place!r}; at most 3 are supported")
        counts[index[place]] = tokens
    return bytes(counts)


def _reachability(
    net: PetriNetSpec,
    index: dict[str, int],
    pre: dict[str, list[int]],
    post: dict[str, list[int]],
    initial: Marking,
) -> dict[Marking, list[tuple[str | None, Marking]]]:
    """Every reachable marking with its (label, successor) pairs, breadth-first and bounded."""
    consumers: list[list[tuple[str, str | None]]] = [[] for _ in index]
    always: list[tuple[str, str | None]] = []  # transitions without input places are always enabled
    for tid, label in net.transitions:
        (consumers[pre[tid][0]] if pre[tid] else always).append((tid, label))
    graph: dict[Marking, list[tuple[str | None, Marking]]] = {}
    queue = deque([initial])
    graph[initial] = []
    while queue:
        marking = queue.popleft()
        candidates = [*always, *(t for i, n in enumerate(marking) if n for t in consumers[i])]
        for tid, label in candidates:
            target = _fire(marking, pre[tid], post[tid])
            if target is None:
                continue
            _check_bound(target, net.places, tid)
            graph[marking].append((label, target))
            if target not in graph:
                if len(graph) >= MAX_MARKINGS:
                    raise ModelError(
                        f"the model has more than {MAX_MARKINGS:,} reachable states (markings); it is too "
                        "large or unbounded to check - simplify it or split it into smaller models"
                    )
                graph[target] = []
                queue.append(target)
    return graph


def _fire(marking: Marking, inputs: list[int], outputs: list[int]) -> Marking | None:
    """The marking after firing, or None when the transition is not enabled."""
    counts = bytearray(marking)
    for i in inputs:
        if counts[i] == 0:
            return None
        counts[i] -= 1
    for i in outputs:
        counts[i] = min(counts[i] + 1, 255)
    return bytes(counts)


def _check_bound(marking: Marking, places: tuple[str, ...], tid: str) -> None:
    """Refuse markings with more than ``MAX_TOKENS`` tokens in a place (the net is likely unbounded)."""
    if max(marking, default=0) > MAX_TOKENS:
        place = places[max(range(len(marking)), key=marking.__getitem__)]
        raise ModelError(
            f"place {place!r} gets more than {MAX_TOKENS} tokens after transition {tid!r}: the model is "
            "unbounded (e.g. a parallel split without a matching join inside a loop); fix the model"
        )


def _items(marking: Marking, names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """A bytes marking as sorted ``(place, tokens)`` items without empty places."""
    return tuple(sorted((names[i], n) for i, n in enumerate(marking) if n))
