"""Server-side map export: SVG written from the stable layout (no Graphviz), PNG rendered from that SVG."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from app_pages.map_dot import END_COLOR, START_COLOR, MapView, Measure, edge_styles, node_count, node_fill
from app_pages.map_layout import END, START, Box, MapLayout

_FONT = "Helvetica, Arial, sans-serif"
_DASHED = "#94a3b8"
Point = tuple[float, float]


def curve(a: Box, b: Box) -> tuple[Point, Point, Point, Point]:
    """Bezier control points of an edge: down the page when ``b`` lies lower, else around the right side."""
    if a is b:  # self-loop on the right side of the box
        r = a.x + a.width / 2
        return (r, a.y - 8), (r + 34, a.y - 24), (r + 34, a.y + 24), (r, a.y + 8)
    if b.y - b.height / 2 > a.y + a.height / 2:
        p0, p3 = (a.x, a.y + a.height / 2), (b.x, b.y - b.height / 2)
        d = (p3[1] - p0[1]) * 0.45
        return p0, (p0[0], p0[1] + d), (p3[0], p3[1] - d), p3
    p0, p3 = (a.x + a.width / 2, a.y), (b.x + b.width / 2, b.y)
    k = 40 + 0.25 * abs(b.y - a.y)
    return p0, (p0[0] + k, p0[1]), (p3[0] + k, p3[1]), p3


def svg_edge(a: Box, b: Box, label: str, width: float, color: str, *, dashed: bool = False) -> list[str]:
    """One curved, labelled edge with its arrowhead, as SVG elements."""
    p0, p1, p2, p3 = curve(a, b)
    angle = math.atan2(p3[1] - p2[1], p3[0] - p2[0])
    size = 6 + width
    tip = [
        p3,
        (p3[0] - size * math.cos(angle - 0.4), p3[1] - size * math.sin(angle - 0.4)),
        (p3[0] - size * math.cos(angle + 0.4), p3[1] - size * math.sin(angle + 0.4)),
    ]
    mx = (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8
    my = (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    path = (
        f"M{p0[0]:.1f},{p0[1]:.1f} C{p1[0]:.1f},{p1[1]:.1f} {p2[0]:.1f},{p2[1]:.1f} {p3[0]:.1f},{p3[1]:.1f}"
    )
    return [
        f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{width:.2f}"{dash}/>',
        '<polygon points="{}" fill="{}"/>'.format(" ".join(f"{x:.1f},{y:.1f}" for x, y in tip), color),
        f'<text x="{mx + 4:.1f}" y="{my:.1f}" font-size="9" fill="#334155" stroke="white" '
        f'stroke-width="3" paint-order="stroke">{escape(label)}</text>',
    ]


def svg_node(box: Box, name: str, count: int, fill: str, font: str) -> list[str]:
    """One activity box with its name and count, as SVG elements."""
    left, top = box.x - box.width / 2, box.y - box.height / 2
    return [
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6" '
        f'fill="{fill}" stroke="#1e3a8a"/>',
        f'<text x="{box.x:.1f}" y="{box.y - 3:.1f}" text-anchor="middle" font-size="11" fill="{font}">'
        f"{escape(name)}</text>",
        f'<text x="{box.x:.1f}" y="{box.y + 11:.1f}" text-anchor="middle" font-size="10" fill="{font}">'
        f"{count:,}</text>",
    ]


def svg_marker(box: Box, color: str, *, double: bool) -> list[str]:
    """The start (single) or end (double) circle."""
    r = box.width / 2
    out = [f'<circle cx="{box.x:.1f}" cy="{box.y:.1f}" r="{r:.1f}" fill="{color}"/>']
    if double:
        out.append(
            f'<circle cx="{box.x:.1f}" cy="{box.y:.1f}" r="{r + 3:.1f}" fill="none" stroke="{color}"/>'
        )
    return out


def to_svg(view: MapView, layout: MapLayout, *, measure: Measure = "frequency", title: str = "") -> str:
    """The map as a standalone SVG document, drawn at the same positions as the on-screen map.

    Args:
        view: what the sliders keep.
        layout: the full map's layout.
        measure: the view (edge labels, widths and colours).
        title: text for the SVG ``<title>`` (e.g. the log name).

    Returns:
        SVG text (UTF-8, no external references).
    """
    boxes = layout.boxes
    body: list[str] = [f"<title>{escape(title or 'Process map')}</title>"]
    for e, st in zip(view.edges, edge_styles(view, measure), strict=True):
        body += svg_edge(boxes[e.source], boxes[e.target], st.label, st.penwidth, st.color)
    for name, n in view.starts.items():
        body += svg_edge(boxes[START], boxes[name], f"{n:,}", 1.0, _DASHED, dashed=True)
    for name, n in view.ends.items():
        body += svg_edge(boxes[name], boxes[END], f"{n:,}", 1.0, _DASHED, dashed=True)
    for name, m in view.activities.items():
        fill, font = node_fill(view, name, measure)
        body += svg_node(boxes[name], name, node_count(m, measure), fill, font)
    body += svg_marker(boxes[START], START_COLOR, double=False) + svg_marker(
        boxes[END], END_COLOR, double=True
    )
    w, h = layout.width + 60, layout.height  # room on the right for edges routed around the side
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}" font-family={quoteattr(_FONT)}>'
    )
    background = f'<rect width="{w:.1f}" height="{h:.1f}" fill="white"/>'
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, background, *body, "</svg>"])


def to_png(svg: str, *, scale: float = 2.0) -> bytes:
    """Render an SVG document to PNG bytes with ``vl-convert-python`` (bundled resvg; no system libraries)."""
    import vl_convert

    return bytes(vl_convert.svg_to_png(svg, scale=scale))
