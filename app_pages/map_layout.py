"""A stable layered layout of a whole process map, computed once per log in pure Python (no Graphviz).

Sugiyama-style: cycles broken by a depth-first search from the start activities (most frequent edges
first), longest-path layering with at most four activities side by side (frequent activities keep their
natural layer, rare ones stack below), weighted barycentre ordering, then boxes packed and centred per
layer. Coordinates are SVG points (y grows downwards). The start marker sits centred above the full map
and the end marker centred below it, so any sub-map that keeps both markers has the same bounding box:
hiding activities or paths never moves or rescales the remaining ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

START = "__start__"
END = "__end__"
NODE_HEIGHT = 40.0
MARKER = 18.0
_CHAR_WIDTH = 6.6  # Helvetica 11 pt, a little generous so labels fit the fixed-size boxes
_MIN_WIDTH = 96.0
_H_GAP = 36.0
_V_GAP = 64.0
_MARGIN = 12.0
_SWEEPS = 6
_MAX_ROW = 4


@dataclass(frozen=True, slots=True)
class Box:
    """A node's centre ``(x, y)`` and size, in points."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class MapLayout:
    """Boxes of every activity and of the start/end markers; the full map spans ``width`` x ``height``."""

    boxes: dict[str, Box]
    width: float
    height: float


def node_width(name: str) -> float:
    """Width in points of an activity's box (fits the name in 11 pt Helvetica)."""
    return max(_MIN_WIDTH, len(name) * _CHAR_WIDTH + 24.0)


def _adjacency(nodes: Sequence[str], edges: Sequence[tuple[str, str, int]]) -> dict[str, list[str]]:
    rank = {n: i for i, n in enumerate(nodes)}
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for a, b, w in edges:
        if a != b and a in rank and b in rank:
            out[a].append((-w, rank[b], b))
    return {a: [b for _, _, b in sorted(v)] for a, v in out.items()}


def acyclic_order(
    nodes: Sequence[str], edges: Sequence[tuple[str, str, int]], roots: Sequence[str]
) -> tuple[list[str], set[tuple[str, str]]]:
    """Depth-first search from ``roots`` then the other nodes: a topological order and the back edges.

    Successors are visited in order of edge weight, so the frequent flow defines what is "forward".
    Removing the returned back edges leaves an acyclic graph that the order sorts topologically.
    """
    succ = _adjacency(nodes, edges)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    post: list[str] = []
    back: set[tuple[str, str]] = set()
    for root in [*roots, *nodes]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ.get(root, [])))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                post.append(node)
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ.get(nxt, []))))
    return post[::-1], back


def _priority_order(
    nodes: Sequence[str], forward: list[tuple[str, str, int]], weight: Mapping[str, int]
) -> list[str]:
    """A topological order of the forward graph that takes the heaviest available node first (Kahn)."""
    indeg: dict[str, int] = dict.fromkeys(nodes, 0)
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b, _ in forward:
        indeg[b] += 1
        succ[a].append(b)
    ready = [n for n in nodes if indeg[n] == 0]
    out: list[str] = []
    while ready:
        ready.sort(key=lambda n: (-weight.get(n, 0), nodes.index(n)))
        node = ready.pop(0)
        out.append(node)
        for b in succ[node]:
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
    return out


def _layers(order: list[str], forward: list[tuple[str, str, int]], max_width: int) -> dict[str, int]:
    """Longest-path layers with at most ``max_width`` activities per layer: in ``order`` (frequent first),
    an activity takes the first layer below all its predecessors that still has room, so a crowd of rare
    activities stacks downwards instead of making the map too wide to read."""
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b, _ in forward:
        preds[b].append(a)
    layer: dict[str, int] = {}
    used: dict[int, int] = defaultdict(int)
    for node in order:
        r = max((layer[p] + 1 for p in preds[node]), default=0)
        while used[r] >= max_width:
            r += 1
        layer[node] = r
        used[r] += 1
    return layer


def _sweep(rows: list[list[str]], forward: list[tuple[str, str, int]]) -> list[list[str]]:
    """Reorder each layer by the weighted barycentre of its neighbours' positions, down then up."""
    for i in range(_SWEEPS):
        down = i % 2 == 0
        pos = {n: k for row in rows for k, n in enumerate(row)}
        layer_of = {n: r for r, row in enumerate(rows) for n in row}
        sequence = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for r in sequence:
            sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for a, b, w in forward:
                me, other = (b, a) if down else (a, b)
                if layer_of[me] == r and (layer_of[other] < r if down else layer_of[other] > r):
                    sums[me][0] += w * pos[other]
                    sums[me][1] += w
            keys = {n: sums[n][0] / sums[n][1] if n in sums else float(pos[n]) for n in rows[r]}
            rows[r] = sorted(rows[r], key=lambda n: (keys[n], pos[n]))
            pos.update({n: k for k, n in enumerate(rows[r])})
    return rows


def compute_layout(
    activities: Sequence[str],
    edges: Sequence[tuple[str, str, int]],
    starts: Mapping[str, int],
    *,
    max_width: int = _MAX_ROW,
) -> MapLayout:
    """Lay out the full map once: every activity and every edge ``(source, target, weight)``.

    Args:
        activities: activity names, most frequent first (ties in the layout follow this order).
        edges: directly-follows edges with their absolute frequency.
        starts: start activities with their case counts (roots of the layering).
        max_width: most activities side by side in one layer.

    Returns:
        A box per activity plus the start and end markers, in points, inside ``width`` x ``height``.
    """
    nodes = list(dict.fromkeys(activities))
    rank = {n: i for i, n in enumerate(nodes)}
    roots = sorted((a for a in starts if a in rank), key=lambda a: (-starts[a], rank[a]))
    order, back = acyclic_order(nodes, edges, roots)
    forward = [(a, b, w) for a, b, w in edges if a != b and a in rank and b in rank and (a, b) not in back]
    weight: dict[str, int] = defaultdict(int)
    for a, b, w in edges:
        weight[a] += w if a in rank else 0
        weight[b] += w if b in rank else 0
    for a, n in starts.items():
        weight[a] += n
    layer = _layers(_priority_order(nodes, forward, weight), forward, max_width)
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in order:  # the DFS order seeds the barycentre sweeps
        rows[layer[node]].append(node)
    rows = _sweep(rows, forward)
    return _place(rows)


def _place(rows: list[list[str]]) -> MapLayout:
    """Pack each layer's boxes left to right, centre the layers, add the markers above and below."""
    widths = [sum(node_width(n) for n in row) + _H_GAP * max(0, len(row) - 1) for row in rows]
    inner = max(widths, default=_MIN_WIDTH)
    boxes: dict[str, Box] = {}
    top = _MARGIN + MARKER + _V_GAP
    for r, (row, row_width) in enumerate(zip(rows, widths, strict=True)):
        x = _MARGIN + (inner - row_width) / 2
        y = top + r * (NODE_HEIGHT + _V_GAP) + NODE_HEIGHT / 2
        for n in row:
            w = node_width(n)
            boxes[n] = Box(round(x + w / 2, 2), round(y, 2), w, NODE_HEIGHT)
            x += w + _H_GAP
    bottom = top + len(rows) * (NODE_HEIGHT + _V_GAP)
    half = MARKER / 2
    centre = _MARGIN + inner / 2
    boxes[START] = Box(centre, _MARGIN + half, MARKER, MARKER)
    boxes[END] = Box(centre, bottom + half, MARKER, MARKER)
    return MapLayout(boxes, round(inner + 2 * _MARGIN, 2), round(bottom + MARKER + _MARGIN, 2))
