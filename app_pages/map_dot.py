"""Process map as Graphviz DOT from a `ProcessMapPayload`, simplified Disco-style by two sliders."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from analytics import MapEdge, ProcessMapPayload

Measure = Literal["frequency", "median_wait", "mean_wait"]
_BLUES = ["#eff6ff", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8"]
_REDS = ["#fff7ed", "#ffedd5", "#fed7aa", "#fdba74", "#fb923c", "#f97316", "#ea580c", "#c2410c"]


@dataclass(frozen=True, slots=True)
class MapView:
    """The activities and edges a map shows after the sliders."""

    activities: dict[str, int]
    edges: tuple[MapEdge, ...]
    starts: dict[str, int]
    ends: dict[str, int]


def simplify(payload: ProcessMapPayload, *, activities_pct: float, paths_pct: float) -> MapView:
    """Keep the most frequent activities, then the most frequent paths among them.

    Every kept activity keeps its strongest incoming and outgoing path, so the map never shows
    floating boxes; ``paths_pct`` = 100 shows every path between the kept activities.
    """
    ranked = list(payload.activities.items())
    keep_n = max(1, math.ceil(len(ranked) * activities_pct / 100))
    kept = dict(ranked[:keep_n])
    candidates = [e for e in payload.edges if e.source in kept and e.target in kept]
    n_paths = math.ceil(len(candidates) * paths_pct / 100)
    chosen = set(range(n_paths))
    for node in kept:
        for side in ("source", "target"):
            idx = next(
                (
                    i
                    for i, e in enumerate(candidates)
                    if getattr(e, side) == node
                    and getattr(e, "target" if side == "source" else "source") != node
                ),
                None,
            )
            if idx is not None:
                chosen.add(idx)
    edges = tuple(candidates[i] for i in sorted(chosen))
    starts = {a: n for a, n in payload.start_activities.items() if a in kept}
    ends = {a: n for a, n in payload.end_activities.items() if a in kept}
    return MapView(kept, edges, starts, ends)


def _shade(value: float, top: float, palette: list[str]) -> str:
    if top <= 0:
        return palette[0]
    return palette[min(len(palette) - 1, int(len(palette) * value / top * 0.999))]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def human_duration(us: float | None) -> str:
    """Compact duration: 45 s, 12 min, 3.2 h, 4.5 d."""
    if us is None or math.isnan(us):
        return "-"
    sec = us / 1e6
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(sec) >= size:
            return f"{sec / size:.1f} {unit}"
    return f"{sec:.0f} s"


def _edge_label(e: MapEdge, measure: Measure) -> tuple[str, float]:
    if measure == "frequency":
        return f"{e.frequency:,}", float(e.frequency)
    us = e.median_wait_us if measure == "median_wait" else e.mean_wait_us
    return human_duration(us), float(us)


def to_dot(view: MapView, *, measure: Measure = "frequency") -> str:
    """DOT text: activities as boxes shaded by frequency, edges by the chosen measure, start/end markers."""
    top_act = max(view.activities.values(), default=1)
    labels = [_edge_label(e, measure) for e in view.edges]
    top_edge = max((v for _, v in labels), default=1.0)
    palette = _BLUES if measure == "frequency" else _REDS
    lines = [
        "digraph process {",
        '  graph [rankdir=TB, nodesep=0.35, ranksep=0.45, fontname="Helvetica", bgcolor="transparent"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#1e3a8a"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#475569", arrowsize=0.7];',
        '  "__start__" [label="", shape=circle, width=0.25, style=filled, fillcolor="#16a34a", color="#16a34a"];',
        '  "__end__" [label="", shape=doublecircle, width=0.2, style=filled, fillcolor="#dc2626", color="#dc2626"];',
    ]
    for name, n in view.activities.items():
        fill = _shade(n, top_act, _BLUES)
        font = "white" if fill in _BLUES[5:] else "black"
        label = _quote(name + "\n" + f"{n:,}").replace("\n", "\\n")
        lines.append(f"  {_quote(name)} [label={label}, fillcolor={_quote(fill)}, fontcolor={font}];")
    for e, (label, value) in zip(view.edges, labels, strict=True):
        width = 1 + 5 * (value / top_edge if top_edge else 0)
        color = _shade(value, top_edge, palette) if measure != "frequency" else "#475569"
        lines.append(
            f"  {_quote(e.source)} -> {_quote(e.target)} [label={_quote(' ' + label)}, "
            f"penwidth={width:.2f}, color={_quote(color)}];"
        )
    lines += _endpoint_edges(view.starts.items(), "__start__", outgoing=True)
    lines += _endpoint_edges(view.ends.items(), "__end__", outgoing=False)
    lines.append("}")
    return "\n".join(lines)


def _endpoint_edges(items: Iterable[tuple[str, int]], marker: str, *, outgoing: bool) -> list[str]:
    out = []
    for name, n in items:
        a, b = (marker, _quote(name)) if outgoing else (_quote(name), marker)
        a = _quote(a) if a == marker else a
        b = _quote(b) if b == marker else b
        out.append(f'  {a} -> {b} [label=" {n:,}", style=dashed, color="#94a3b8"];')
    return out
