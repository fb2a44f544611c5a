"""Process map as Graphviz DOT: a Disco-style view of `EdgeMeasures` on pinned, precomputed positions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from analytics import ActivityMeasure, EdgeMeasure, EdgeMeasures
from app_pages.map_layout import END, START, MapLayout

Measure = Literal["frequency", "case_frequency", "mean_wait", "median_wait", "p90_wait", "max_wait"]
MEASURES: dict[str, str] = {
    "frequency": "Absolute frequency",
    "case_frequency": "Case frequency",
    "mean_wait": "Mean waiting time",
    "median_wait": "Median waiting time",
    "p90_wait": "P90 waiting time",
    "max_wait": "Max waiting time",
}
BLUES = ["#eff6ff", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8"]
REDS = ["#fde68a", "#fcd34d", "#fdba74", "#fb923c", "#f97316", "#ea580c", "#dc2626", "#b91c1c"]
GREYS = ["#94a3b8", "#64748b", "#475569", "#334155", "#1e293b"]
START_COLOR = "#16a34a"
END_COLOR = "#dc2626"


@dataclass(frozen=True, slots=True)
class MapView:
    """The activities and edges a map shows after the sliders."""

    activities: dict[str, ActivityMeasure]
    edges: tuple[EdgeMeasure, ...]
    starts: dict[str, int]
    ends: dict[str, int]


@dataclass(frozen=True, slots=True)
class EdgeStyle:
    """How one edge is drawn: label text, pen width in points and colour."""

    label: str
    penwidth: float
    color: str


def simplify(measures: EdgeMeasures, *, activities_pct: float, paths_pct: float) -> MapView:
    """Keep the most frequent activities, then the most frequent paths among them.

    Every kept activity keeps its strongest incoming and outgoing path, so the map never shows
    floating boxes; ``paths_pct`` = 100 shows every path between the kept activities.
    """
    ranked = list(measures.activities.items())
    keep_n = max(1, math.ceil(len(ranked) * activities_pct / 100))
    kept = dict(ranked[:keep_n])
    candidates = [e for e in measures.edges if e.source in kept and e.target in kept]
    chosen = set(range(math.ceil(len(candidates) * paths_pct / 100)))
    strongest_out: dict[str, int] = {}
    strongest_in: dict[str, int] = {}
    for i, e in enumerate(candidates):  # candidates are ordered by frequency: first seen is strongest
        if e.source != e.target:
            strongest_out.setdefault(e.source, i)
            strongest_in.setdefault(e.target, i)
    chosen |= set(strongest_out.values()) | set(strongest_in.values())
    edges = tuple(candidates[i] for i in sorted(chosen))
    starts = {a: n for a, n in measures.start_activities.items() if a in kept}
    ends = {a: n for a, n in measures.end_activities.items() if a in kept}
    return MapView(kept, edges, starts, ends)


def human_duration(us: float | None) -> str:
    """Compact duration: 45 s, 12 min, 3.2 h, 4.5 d."""
    if us is None or math.isnan(us):
        return "-"
    sec = us / 1e6
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(sec) >= size:
            return f"{sec / size:.1f} {unit}"
    return f"{sec:.0f} s"


def edge_value(e: EdgeMeasure, measure: Measure) -> float:
    """The edge's value under ``measure`` (a count, or microseconds for waiting times)."""
    return {
        "frequency": float(e.frequency),
        "case_frequency": float(e.case_frequency),
        "mean_wait": e.mean_wait_us,
        "median_wait": e.median_wait_us,
        "p90_wait": e.p90_wait_us,
        "max_wait": float(e.max_wait_us),
    }[measure]


def format_value(value: float, measure: Measure) -> str:
    """A value as shown on the map: counts with thousands separators, durations compact."""
    return f"{value:,.0f}" if measure in ("frequency", "case_frequency") else human_duration(value)


def shade(value: float, top: float, palette: list[str]) -> str:
    """The palette colour for ``value`` on a linear scale from 0 to ``top``."""
    if top <= 0 or value <= 0:
        return palette[0]
    return palette[min(len(palette) - 1, int(len(palette) * value / top * 0.999))]


def edge_styles(view: MapView, measure: Measure) -> list[EdgeStyle]:
    """Label, pen width (1 to 6 pt) and colour of every edge of ``view``, scaled by its value."""
    values = [edge_value(e, measure) for e in view.edges]
    top = max(values, default=0.0)
    palette = GREYS if measure in ("frequency", "case_frequency") else REDS
    return [
        EdgeStyle(
            format_value(v, measure),
            1.0 + 5.0 * max(0.0, v) / top if top > 0 else 1.0,
            shade(v, top, palette),
        )
        for v in values
    ]


def node_count(m: ActivityMeasure, measure: Measure) -> int:
    """The count an activity box shows: case frequency in that view, else absolute frequency."""
    return m.case_frequency if measure == "case_frequency" else m.frequency


def node_fill(view: MapView, name: str, measure: Measure) -> tuple[str, str]:
    """Fill and font colour of an activity box, shaded by its count relative to the busiest activity."""
    top = max((node_count(m, measure) for m in view.activities.values()), default=0)
    fill = shade(node_count(view.activities[name], measure), top, BLUES)
    return fill, "white" if fill in BLUES[5:] else "black"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _pos(layout: MapLayout, name: str) -> str:
    b = layout.boxes[name]
    # Graphviz: inches, y upwards; `!` pins the node, so neato keeps every position as given.
    return (
        f'pos="{b.x / 72:.4f},{-b.y / 72:.4f}!", width={b.width / 72:.4f}, '
        f"height={b.height / 72:.4f}, fixedsize=true"
    )


def to_dot(view: MapView, layout: MapLayout, *, measure: Measure = "frequency") -> str:
    """DOT text with every node pinned at its place in the full map's layout (``layout=neato``).

    Edges are drawn as curves (``splines=curved``), not routed around boxes: routing (``splines=true``)
    made the browser's Graphviz take about a second per redraw even on small maps, curves take a fraction,
    and the issue asks for a redraw within a second of a slider move.
    """
    lines = [
        "digraph process {",
        '  graph [layout=neato, splines=curved, fontname="Helvetica", bgcolor="transparent", pad=0.1];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#1e3a8a"];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
        f'  "{START}" [label="", shape=circle, style=filled, fillcolor="{START_COLOR}", '
        f'color="{START_COLOR}", {_pos(layout, START)}];',
        f'  "{END}" [label="", shape=doublecircle, style=filled, fillcolor="{END_COLOR}", '
        f'color="{END_COLOR}", {_pos(layout, END)}];',
    ]
    for name, m in view.activities.items():
        fill, font = node_fill(view, name, measure)
        label = _quote(f"{name}\n{node_count(m, measure):,}")
        lines.append(
            f"  {_quote(name)} [label={label}, fillcolor={_quote(fill)}, fontcolor={font}, {_pos(layout, name)}];"
        )
    for e, st in zip(view.edges, edge_styles(view, measure), strict=True):
        lines.append(
            f"  {_quote(e.source)} -> {_quote(e.target)} [label={_quote(' ' + st.label)}, "
            f"penwidth={st.penwidth:.2f}, color={_quote(st.color)}];"
        )
    for name, n in view.starts.items():
        lines.append(f'  "{START}" -> {_quote(name)} [label=" {n:,}", style=dashed, color="#cbd5e1"];')
    for name, n in view.ends.items():
        lines.append(f'  {_quote(name)} -> "{END}" [label=" {n:,}", style=dashed, color="#cbd5e1"];')
    lines.append("}")
    return "\n".join(lines)
