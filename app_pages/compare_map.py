"""Before/after process maps on one shared layout, each edge and activity coloured by how it changed.

Both maps are drawn on the layout of the union of the two logs' maps, so an activity sits at the same
place in both. What is compared is the share of cases (case frequency over the period's cases), so periods
of different length compare fairly: an edge taken by 40% of cases before and 10% after fell by 30 points.
Edges and activities only one period has are marked as removed (before) or new (after).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from analytics import EdgeMeasures
from app_pages.map_dot import END_COLOR, START_COLOR
from app_pages.map_layout import END, START, MapLayout, compute_layout
from app_pages.map_svg import svg_edge, svg_marker, svg_node

Side = Literal["before", "after"]
FELL, ROSE, SAME, GONE, NEW = "#15803d", "#b91c1c", "#94a3b8", "#cbd5e1", "#7c3aed"
_FONT = "Helvetica, Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class Change:
    """One edge or activity in both periods: share of cases before and after (None: absent)."""

    before: float | None
    after: float | None

    @property
    def points(self) -> float | None:
        """Change in percentage points of cases (None when absent on one side)."""
        return None if self.before is None or self.after is None else 100 * (self.after - self.before)


#: How to read the two maps; shown under them in the app and in every report.
MAP_LEGEND = (
    "Both maps share one layout. Labels give each edge's and activity's share of cases; colour shows the "
    "change between the periods: green fell, red rose, purple is new in this period, faint is gone from it."
)


def union_layout(before: EdgeMeasures, after: EdgeMeasures) -> MapLayout:
    """The layout of both maps together: activities by combined frequency, edges and starts summed.

    Where the two processes order the same activities differently (a redesign), the after period's edges
    count double, so the new process reads top to bottom and activities it dropped sit where they were.
    """
    weight: dict[str, int] = {}
    for m in (before, after):
        for name, a in m.activities.items():
            weight[name] = weight.get(name, 0) + a.frequency
    edges: dict[tuple[str, str], int] = {}
    for m, factor in ((before, 1), (after, 2)):  # the after period's structure leads where the two conflict
        for e in m.edges:
            edges[(e.source, e.target)] = edges.get((e.source, e.target), 0) + factor * e.frequency
    starts: dict[str, int] = {}
    for m in (before, after):
        for name, n in m.start_activities.items():
            starts[name] = starts.get(name, 0) + n
    order = sorted(weight, key=lambda n: (-weight[n], n))
    return compute_layout(order, [(a, b, w) for (a, b), w in edges.items()], starts)


def _cases(m: EdgeMeasures) -> int:
    return sum(m.start_activities.values())


def edge_changes(before: EdgeMeasures, after: EdgeMeasures) -> dict[tuple[str, str], Change]:
    """Per edge of either map: the share of cases taking it before and after."""
    nb, na = max(_cases(before), 1), max(_cases(after), 1)
    b = {(e.source, e.target): e.case_frequency / nb for e in before.edges}
    a = {(e.source, e.target): e.case_frequency / na for e in after.edges}
    return {k: Change(b.get(k), a.get(k)) for k in sorted(b.keys() | a.keys())}


def activity_changes(before: EdgeMeasures, after: EdgeMeasures) -> dict[str, Change]:
    """Per activity of either map: the share of cases with it before and after."""
    nb, na = max(_cases(before), 1), max(_cases(after), 1)
    b = {n: x.case_frequency / nb for n, x in before.activities.items()}
    a = {n: x.case_frequency / na for n, x in after.activities.items()}
    return {k: Change(b.get(k), a.get(k)) for k in sorted(b.keys() | a.keys())}


def change_color(change: Change, *, threshold_points: float = 2.0) -> str:
    """Green when the share fell, red when it rose (by at least ``threshold_points``), grey otherwise;
    light grey when the path is gone, purple when it is new."""
    if change.after is None:
        return GONE
    if change.before is None:
        return NEW
    points = change.points or 0.0
    return FELL if points <= -threshold_points else ROSE if points >= threshold_points else SAME


def _label(change: Change, side: Side) -> str:
    share = change.before if side == "before" else change.after
    if share is None:
        return ""
    delta = change.points
    return f"{100 * share:.0f}%" + (f" ({delta:+.0f} pt)" if side == "after" and delta is not None else "")


def compare_svg(
    before: EdgeMeasures, after: EdgeMeasures, layout: MapLayout, side: Side, *, title: str = ""
) -> str:
    """One period's map on the shared layout, coloured by the change to the other period.

    Args:
        before: the before period's map measures.
        after: the after period's map measures.
        layout: `union_layout(before, after)` (the same for both sides).
        side: which period to draw; its edges and activities are drawn, the other period's missing ones
            faintly (dashed edges) so the reader sees what disappeared or appeared.
        title: the SVG's title.

    Returns:
        A standalone SVG document.
    """
    mine = before if side == "before" else after
    boxes, body = layout.boxes, [f"<title>{escape(title or side)}</title>"]
    for (a, b), change in edge_changes(before, after).items():
        present = (change.before if side == "before" else change.after) is not None
        width = 1.0 + 5.0 * max(change.before or 0.0, change.after or 0.0)
        body += svg_edge(
            boxes[a], boxes[b], _label(change, side), width, change_color(change), dashed=not present
        )
    for name, n in mine.start_activities.items():
        body += svg_edge(boxes[START], boxes[name], f"{n:,}", 1.0, SAME, dashed=True)
    for name, n in mine.end_activities.items():
        body += svg_edge(boxes[name], boxes[END], f"{n:,}", 1.0, SAME, dashed=True)
    for name, change in activity_changes(before, after).items():
        count = mine.activities[name].case_frequency if name in mine.activities else 0
        fill = "white" if name not in mine.activities else "#eff6ff"
        body += svg_node(boxes[name], name, count, fill, change_color(change) if count else GONE)
    body += svg_marker(boxes[START], START_COLOR, double=False) + svg_marker(
        boxes[END], END_COLOR, double=True
    )
    w, h = layout.width + 60, layout.height
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}" font-family={quoteattr(_FONT)}>'
    )
    background = f'<rect width="{w:.1f}" height="{h:.1f}" fill="white"/>'
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, background, *body, "</svg>"])
