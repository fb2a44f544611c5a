"""Model overlay map: the log's map on the process map's stable layout, its edges coloured by conformance.

Built on the process map's own drawing: `map_dot.to_dot` and `map_svg.to_svg` draw the boxes and the
start/end markers at their pinned places (a view without edges), and the overlay's edges are added to
that output - conforming in grey, not allowed by the model in red, allowed by the model but never taken
in dashed green.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from analytics import EdgeMeasures, ModelOverlay, OverlayEdge, OverlayEndpoint
from app_pages import map_dot, map_svg
from app_pages.map_layout import END, START, MapLayout

COLORS = {"conforming": "#64748b", "not_allowed": "#dc2626", "never_taken": "#16a34a"}
LEGEND = {
    "conforming": "in the log and allowed by the model",
    "not_allowed": "in the log, not allowed by the model",
    "never_taken": "allowed by the model, never taken in the log",
}
_ENDPOINT_GREY = "#cbd5e1"
_LEGEND_HEIGHT = 64.0


@dataclass(frozen=True, slots=True)
class OverlayView:
    """What the overlay map draws: the log's activities (boxes), the kept edges, starts and ends.

    ``hidden_never_taken`` counts model edges not drawn because one of their activities is not on the map.
    """

    boxes: map_dot.MapView
    edges: tuple[OverlayEdge, ...]
    starts: tuple[OverlayEndpoint, ...]
    ends: tuple[OverlayEndpoint, ...]
    hidden_never_taken: int


def overlay_view(overlay: ModelOverlay, measures: EdgeMeasures, *, paths_pct: float = 100) -> OverlayView:
    """Pick what to draw: every log activity, conforming edges thinned like the process map's paths slider
    (``paths_pct``), every edge the model does not allow, and the never-taken model edges between
    activities on the map.

    Args:
        overlay: the log's edges classified against the model.
        measures: the same (filtered) log's map measures (box counts and the paths ranking).
        paths_pct: share of the log's paths to keep (`map_dot.simplify`); deviations are always kept.
    """
    simple = map_dot.simplify(measures, activities_pct=100, paths_pct=paths_pct)
    kept = {(e.source, e.target) for e in simple.edges}
    on_map = set(measures.activities)
    edges, hidden = [], 0
    for e in overlay.edges:
        if e.status == "never_taken" and not (e.source in on_map and e.target in on_map):
            hidden += 1
        elif e.status != "conforming" or (e.source, e.target) in kept:
            edges.append(e)
    boxes = map_dot.MapView(dict(measures.activities), (), {}, {})
    return OverlayView(
        boxes,
        tuple(edges),
        tuple(p for p in overlay.start_activities if p.activity in on_map),
        tuple(p for p in overlay.end_activities if p.activity in on_map),
        hidden,
    )


def _width(e: OverlayEdge, top: int) -> float:
    return 1.5 if e.status == "never_taken" or top <= 0 else 1.0 + 5.0 * e.frequency / top


def _label(e: OverlayEdge) -> str:
    return "" if e.status == "never_taken" else f"{e.frequency:,}"


def _endpoint_color(p: OverlayEndpoint) -> str:
    return _ENDPOINT_GREY if p.status == "conforming" else COLORS[p.status]


def _endpoints(view: OverlayView) -> list[tuple[str, str, OverlayEndpoint]]:
    """(source, target, endpoint) of every start and end arrow."""
    return [(START, p.activity, p) for p in view.starts] + [(p.activity, END, p) for p in view.ends]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(view: OverlayView, layout: MapLayout) -> str:
    """DOT for the screen: the process map's pinned boxes plus the overlay's coloured edges."""
    base = map_dot.to_dot(view.boxes, layout).rstrip()
    assert base.endswith("}")
    top = max((e.frequency for e in view.edges), default=0)
    lines = [base[:-1].rstrip()]
    for e in view.edges:
        dashed = ", style=dashed" if e.status == "never_taken" else ""
        lines.append(
            f"  {_q(e.source)} -> {_q(e.target)} [label={_q(' ' + _label(e))}, penwidth={_width(e, top):.2f}, "
            f'color="{COLORS[e.status]}", fontcolor="{COLORS[e.status]}", class="{e.status}"{dashed}];'
        )
    for a, b, p in _endpoints(view):
        label = f" {p.cases:,}" if p.cases else ""
        lines.append(f'  {_q(a)} -> {_q(b)} [label="{label}", style=dashed, color="{_endpoint_color(p)}"];')
    lines.append("}")
    return "\n".join(lines)


def _legend(y: float) -> list[str]:
    out = []
    for i, (status, text) in enumerate(LEGEND.items()):
        row = y + 14 + 16 * i
        dash = ' stroke-dasharray="5,4"' if status == "never_taken" else ""
        out += [
            f'<line x1="12" y1="{row - 4:.1f}" x2="44" y2="{row - 4:.1f}" stroke="{COLORS[status]}" '
            f'stroke-width="2.5"{dash}/>',
            f'<text x="52" y="{row:.1f}" font-size="11" fill="#334155">{escape(text)}</text>',
        ]
    return out


def to_svg(view: OverlayView, layout: MapLayout, *, title: str = "") -> str:
    """A standalone SVG of the overlay at the process map's positions, with a legend below the map."""
    base = map_svg.to_svg(view.boxes, layout, title=title or "Model overlay").splitlines()
    boxes = layout.boxes
    top = max((e.frequency for e in view.edges), default=0)
    edges: list[str] = []
    for e in view.edges:
        edges += map_svg.svg_edge(  # the export's own curves and arrows, coloured by status
            boxes[e.source],
            boxes[e.target],
            _label(e),
            _width(e, top),
            COLORS[e.status],
            dashed=e.status == "never_taken",
        )
    for a, b, p in _endpoints(view):
        label = f"{p.cases:,}" if p.cases else ""
        edges += map_svg.svg_edge(boxes[a], boxes[b], label, 1.0, _endpoint_color(p), dashed=True)
    at = next(i for i, line in enumerate(base) if line.startswith("<title>")) + 1
    inner = base[1:at] + edges + base[at:]  # edges under the boxes; the XML declaration goes outside
    size = re.search(r'width="([\d.]+)" height="([\d.]+)"', inner[0])
    assert size is not None
    w, h = float(size.group(1)), float(size.group(2))
    total = h + _LEGEND_HEIGHT
    return "\n".join(
        [
            base[0],
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{total:.0f}" '
            f'viewBox="0 0 {w:.1f} {total:.1f}" font-family="Helvetica, Arial, sans-serif">',
            f'<rect width="{w:.1f}" height="{total:.1f}" fill="white"/>',
            *inner,
            f'<g transform="translate(0,{h:.1f})">',
            *_legend(0.0),
            "</g>",
            "</svg>",
        ]
    )
