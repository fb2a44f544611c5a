"""SVG for the shapes of a BPMN diagram: pools and lanes, activities, gateways, events, artifacts, flows, labels."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from app_pages.bpmn_di import Edge, Point, Shape
from app_pages.diagram_markers import INK, event_marker, gateway_marker, task_marker
from baton.models.bpmn import SUBPROCESSES, clean, local

HALO = 'stroke="white" stroke-width="3" paint-order="stroke"'
_THROWN = ("endEvent", "intermediateThrowEvent")


# ---------------------------------------------------------------- text


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Words packed into lines that fit ``width`` points at font ``size`` (a long word keeps its own line)."""
    per_line = max(1, int(width / (size * 0.56)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _lines(x: float, y0: float, lines: list[str], size: float, *, css: str, extra: str) -> str:
    """A ``<text>`` of lines whose first baseline is at ``y0`` (anchor and halo in ``extra``)."""
    step = size * 1.2
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else step:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{css}" x="{x:.1f}" y="{y0:.1f}" font-size="{size:g}" fill="{INK}" {extra}>{spans}</text>'


def centred_text(cx: float, cy: float, lines: list[str], size: float, *, css: str, extra: str = "") -> str:
    """A centred multi-line ``<text>`` whose block of lines is vertically centred on ``cy``."""
    y0 = cy - (len(lines) - 1) * size * 1.2 / 2 + size * 0.35
    return _lines(cx, y0, lines, size, css=css, extra=f'text-anchor="middle" {extra}'.strip())


def _fit(name: str, width: float, height: float) -> tuple[list[str], float]:
    """Lines and font size so ``name`` fits inside a box (smaller font when 11 pt needs too many lines)."""
    for size in (11.0, 10.0, 9.0, 8.0):
        lines = _wrap(name, width, size)
        if len(lines) * size * 1.2 <= height:
            return lines, size
    return lines, 8.0


def _outside_label(name: str, shape: Shape) -> str:
    """The label of an event, gateway or data element: in its DI label bounds, else centred below it."""
    if not name:
        return ""
    if shape.label is not None and shape.label[2] > 0:
        x, y, w, h = shape.label
        lines = _wrap(name, max(w, 60.0), 10)
        return centred_text(x + w / 2, y + h / 2, lines, 10, css="label", extra=HALO)
    lines = _wrap(name, 110.0, 10)
    return centred_text(
        shape.x + shape.w / 2,
        shape.y + shape.h + 6 + len(lines) * 6,
        lines,
        10,
        css="label",
        extra=HALO,
    )


# ---------------------------------------------------------------- shapes


def band(s: Shape) -> str:
    """A pool or lane: a labelled band with a header strip on its left (top when drawn vertically)."""
    css = "pool" if s.kind == "participant" else "lane"
    fill = "white" if css == "pool" else "none"
    out = f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{fill}" stroke="{INK}"/>'
    name = clean(s.element.get("name"))
    if not name:
        return out
    lines, size = _fit(name, (s.h if s.horizontal else s.w) - 10, 28)
    if s.horizontal:
        head, cx, cy = f"M{s.x + 30:.1f},{s.y:.1f} V{s.y + s.h:.1f}", s.x + 15, s.y + s.h / 2
        label = centred_text(
            cx, cy, lines, size, css=f"{css}-label", extra=f' transform="rotate(-90 {cx:.1f} {cy:.1f})"'
        )
    else:
        head, cx, cy = f"M{s.x:.1f},{s.y + 30:.1f} H{s.x + s.w:.1f}", s.x + s.w / 2, s.y + 15
        label = centred_text(cx, cy, lines, size, css=f"{css}-label")
    return out + f'<path d="{head}" stroke="{INK}"/>' + label


def activity(s: Shape) -> str:
    """A task, call activity or collapsed subprocess: a rounded box with its name and type markers."""
    call = s.kind == "callActivity"
    out = (
        f'<rect class="activity" x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" rx="10" '
        f'fill="#f8fafc" stroke="{INK}" stroke-width="{3.5 if call else 1.5}"/>'
    )
    below = _loop_markers(s)
    lines, size = _fit(clean(s.element.get("name")), s.w - 12, s.h - (34 if below else 22))
    marker = task_marker(s.kind, s.x + 5, s.y + 5)
    cy = s.y + s.h / 2 - (6 if below else 0) + (3 if marker else 0)
    return out + marker + centred_text(s.x + s.w / 2, cy, lines, size, css="task-label") + below


def _loop_markers(s: Shape) -> str:
    """Bottom-centre markers: [+] for a collapsed subprocess, bars for multi-instance, arrow for loops."""
    markers: list[str] = []
    if not s.expanded and (s.kind in SUBPROCESSES or s.element.get("calledElement")):
        markers.append("plus")
    for c in s.element:
        name = local(c)[1]
        if name == "multiInstanceLoopCharacteristics":
            markers.append("seq" if c.get("isSequential") == "true" else "par")
        elif name == "standardLoopCharacteristics":
            markers.append("loop")
    out, x, y = "", s.x + s.w / 2 - 7 * len(markers), s.y + s.h - 16
    for m in markers:
        if m == "plus":
            out += f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" fill="none" stroke="{INK}"/>'
            out += f'<path d="M{x + 6:.1f},{y + 3:.1f} v6 M{x + 3:.1f},{y + 6:.1f} h6" stroke="{INK}"/>'
        elif m == "loop":
            out += f'<path d="M{x + 3:.1f},{y + 10:.1f} A5,5 0 1 1 {x + 9:.1f},{y + 10:.1f}" fill="none" stroke="{INK}"/>'
        else:
            bars = "".join(
                f"M{x + 2 + 4 * i:.1f},{y + 1:.1f} v10 "
                if m == "par"
                else f"M{x + 1:.1f},{y + 2 + 4 * i:.1f} h10 "
                for i in range(3)
            )
            out += f'<path d="{bars}" stroke="{INK}" stroke-width="1.5"/>'
        x += 14
    return out


def container(s: Shape) -> str:
    """An expanded subprocess: a large rounded box with its name at the top left (dotted: event subprocess)."""
    dash = ' stroke-dasharray="2,3"' if s.element.get("triggeredByEvent") == "true" else ""
    out = (
        f'<rect class="subprocess" x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" rx="12" '
        f'fill="#f8fafc" fill-opacity="0.6" stroke="{INK}" stroke-width="{3.5 if s.kind == "callActivity" else 1.5}"{dash}/>'
    )
    if s.kind == "transaction":
        out += f'<rect x="{s.x + 3:.1f}" y="{s.y + 3:.1f}" width="{s.w - 6:.1f}" height="{s.h - 6:.1f}" rx="10" fill="none" stroke="{INK}"/>'
    name = clean(s.element.get("name"))
    if name:
        out += (
            f'<text class="task-label" x="{s.x + 10:.1f}" y="{s.y + 18:.1f}" font-size="11" fill="{INK}">'
            f"{escape(name)}</text>"
        )
    return out


def gateway(s: Shape) -> str:
    """A diamond with its type marker, its name outside."""
    cx, cy = s.x + s.w / 2, s.y + s.h / 2
    pts = f"{cx:.1f},{s.y:.1f} {s.x + s.w:.1f},{cy:.1f} {cx:.1f},{s.y + s.h:.1f} {s.x:.1f},{cy:.1f}"
    out = f'<polygon class="gateway" points="{pts}" fill="#f8fafc" stroke="{INK}" stroke-width="1.5"/>'
    return (
        out + gateway_marker(s.kind, cx, cy, min(s.w, s.h)) + _outside_label(clean(s.element.get("name")), s)
    )


def event(s: Shape) -> str:
    """Thin circle (start), thick circle (end), double circle (intermediate, boundary; dashed: non-interrupting)."""
    cx, cy, r = s.x + s.w / 2, s.y + s.h / 2, min(s.w, s.h) / 2
    solid = s.element.get("cancelActivity") != "false" and s.element.get("isInterrupting") != "false"
    dash = "" if solid else ' stroke-dasharray="4,3"'
    width = {"startEvent": 1.5, "endEvent": 4.0}.get(s.kind, 1.3)
    fill = {"startEvent": "#dcfce7", "endEvent": "#fee2e2"}.get(s.kind, "white")
    circle = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{{r:.1f}}" fill="{{fill}}" stroke="{INK}" stroke-width="{width}"{dash}/>'
    out = f'<g class="event {s.kind}">' + circle.format(r=r - width / 2, fill=fill)
    if s.kind not in ("startEvent", "endEvent"):
        out += circle.format(r=r - 4, fill="none")
    trigger = next(
        (
            local(c)[1][: -len("EventDefinition")]
            for c in s.element
            if local(c)[1].endswith("EventDefinition")
        ),
        "",
    )
    out += event_marker(trigger, cx, cy, r - 4, thrown=s.kind in _THROWN) + "</g>"
    return out + _outside_label(clean(s.element.get("name")), s)


def artifact(s: Shape) -> str:
    """Data objects (dog-eared page), data stores (cylinder), text annotations (bracket) and groups (dashed)."""
    x, y, w, h = s.x, s.y, s.w, s.h
    name = clean(s.element.get("name") or "".join(s.element.itertext()))
    if s.kind == "textAnnotation":
        lines = _wrap(name, w - 8, 10)
        return (
            f'<path d="M{x + 12:.1f},{y:.1f} H{x:.1f} V{y + h:.1f} H{x + 12:.1f}" fill="none" stroke="{INK}"/>'
            + centred_text(x + w / 2, y + h / 2, lines, 10, css="annotation")
        )
    if s.kind == "group":
        return (
            f'<rect class="group" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="8" fill="none" '
            f'stroke="#64748b" stroke-dasharray="8,4,2,4"/>'
            + centred_text(x + w / 2, y + 12, _wrap(name, w, 10), 10, css="label")
        )
    if s.kind == "dataStoreReference":
        e = min(8.0, h / 5)
        body = (
            f'<path d="M{x:.1f},{y + e:.1f} V{y + h - e:.1f} A{w / 2:.1f},{e:.1f} 0 0 0 {x + w:.1f},{y + h - e:.1f} '
            f'V{y + e:.1f}" fill="white" stroke="{INK}"/><ellipse cx="{x + w / 2:.1f}" cy="{y + e:.1f}" '
            f'rx="{w / 2:.1f}" ry="{e:.1f}" fill="white" stroke="{INK}"/>'
        )
    else:
        f = min(10.0, w / 3)
        body = (
            f'<path d="M{x:.1f},{y:.1f} H{x + w - f:.1f} L{x + w:.1f},{y + f:.1f} V{y + h:.1f} H{x:.1f} Z '
            f'M{x + w - f:.1f},{y:.1f} V{y + f:.1f} H{x + w:.1f}" fill="white" stroke="{INK}"/>'
        )
    return body + _outside_label(name, s)


# ---------------------------------------------------------------- edges


def arrowhead(
    a: Point, b: Point, css: str, *, size: float = 9.0, hollow: bool = False, color: str = INK
) -> str:
    """A triangle pointing from ``a`` to ``b`` with its tip on ``b``."""
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    pts = [b] + [(b[0] - size * math.cos(angle + s), b[1] - size * math.sin(angle + s)) for s in (-0.4, 0.4)]
    path = " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    return f'<path class="{css}" d="M{path} Z" fill="{"white" if hollow else color}" stroke="{color}"/>'


def flow(e: Edge) -> str:
    """A connection's line with its ends: sequence (arrow), message (circle, open arrow), association."""
    pts = e.points
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    style = {
        "sequenceFlow": f'stroke="{INK}" stroke-width="1.5"',
        "messageFlow": f'stroke="{INK}" stroke-dasharray="6,4"',
    }.get(e.kind, 'stroke="#475569" stroke-dasharray="2,3"')
    out = f'<polyline class="{e.kind}" points="{line}" fill="none" {style}/>'
    last = next((p for p in reversed(pts[:-1]) if p != pts[-1]), pts[0])
    if e.kind == "sequenceFlow":
        out += arrowhead(last, pts[-1], "sequence-arrow")
    elif e.kind == "messageFlow":
        out += f'<circle cx="{pts[0][0]:.1f}" cy="{pts[0][1]:.1f}" r="3.5" fill="white" stroke="{INK}"/>'
        out += arrowhead(last, pts[-1], "message-arrow", hollow=True)
    elif e.kind in ("dataInputAssociation", "dataOutputAssociation"):
        out += arrowhead(last, pts[-1], "data-arrow", size=7, hollow=True)
    return out


def _on(p: Point, a: Point, b: Point) -> bool:
    """True when ``p`` lies on the segment from ``a`` to ``b`` (within half a point)."""
    (ax, ay), (bx, by) = a, b
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    t = 0.0 if length2 == 0 else ((p[0] - ax) * (bx - ax) + (p[1] - ay) * (by - ay)) / length2
    t = max(0.0, min(1.0, t))
    return math.dist(p, (ax + t * (bx - ax), ay + t * (by - ay))) < 0.5


def _label_spot(e: Edge, siblings: list[Edge]) -> tuple[Point, Point]:
    """Where a flow parts from the other flows leaving the same element, and the way to its segment's end."""
    shared = [seg for o in siblings for seg in zip(o.points, o.points[1:], strict=False)]
    own = list(zip(e.points, e.points[1:], strict=False))
    for a, b in own:
        length = math.dist(a, b)
        for k in range(1, int(length // 4) + 1):
            p = (a[0] + (b[0] - a[0]) * 4 * k / length, a[1] + (b[1] - a[1]) * 4 * k / length)
            if not any(_on(p, *seg) for seg in shared):
                return p, (b[0] - p[0], b[1] - p[1])
    a, b = max(own, key=lambda seg: math.dist(*seg))
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), ((b[0] - a[0]) / 2, (b[1] - a[1]) / 2)


def flow_label(e: Edge, siblings: list[Edge]) -> str:
    """A flow's name in its DI label bounds, else beside it just where it parts from its siblings."""
    name = clean(e.element.get("name"))
    if not name:
        return ""
    if e.label is not None and e.label[2] > 0:
        x, y, w, h = e.label
        return centred_text(
            x + w / 2, y + h / 2, _wrap(name, max(w, 60.0), 9.5), 9.5, css="flow-label", extra=HALO
        )
    (x, y), (dx, dy) = _label_spot(e, siblings)
    horizontal = abs(dx) >= abs(dy)
    lines = _wrap(name, max(50.0, min(100.0, abs(dx) - 6)) if horizontal else 100.0, 9.5)
    up = (len(lines) - 1) * 9.5 * 1.2
    if horizontal:
        anchor, x, y = ("start", x + 2, y - 5 - up) if dx > 0 else ("end", x - 2, y - 5 - up)
    else:
        below = 10 if math.dist((x, y), e.points[0]) > 6 else 40  # clear of a gateway's name under it
        anchor, x, y = "start", x + 5, (y + below if dy > 0 else y - 16 - up)  # up: clear of a turn
    return _lines(x, y, lines, 9.5, css="flow-label", extra=f'text-anchor="{anchor}" {HALO}')
