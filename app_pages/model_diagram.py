"""Target model diagrams as standalone SVG: BPMN drawn from its own layout (DI), any other model laid out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from app_pages.bpmn_di import Edge, Point, Shape, check_complete, load_bpmn, read_di
from app_pages.diagram_markers import INK, clock
from app_pages.diagram_shapes import (
    HALO,
    activity,
    arrowhead,
    artifact,
    band,
    centred_text,
    container,
    event,
    flow,
    flow_label,
    gateway,
)
from app_pages.map_dot import END_COLOR, START_COLOR
from app_pages.map_layout import END, START, Box, compute_layout
from app_pages.map_svg import curve
from baton.errors import ModelError, SourceNotFoundError
from baton.models.bpmn import BPMN, EVENTS, GATEWAYS, SUBPROCESSES, TASKS, clean
from baton.models.types import TargetModel

__all__ = ["OWNER_STYLE", "Point", "bpmn_svg", "diagram_svg", "model_svg"]

_FONT = "Helvetica, Arial, sans-serif"
_ACTIVITIES = (*TASKS, "callActivity")
_DATA = ("dataObjectReference", "dataObject", "dataStoreReference", "dataInput", "dataOutput")
OWNER_STYLE = {  # fill, stroke, legend text
    "human": ("#fef3c7", "#b45309", "Human task"),
    "system": ("#dbeafe", "#1d4ed8", "System task"),
    "unknown": ("#f1f5f9", "#64748b", "Owner unknown"),
}


# ---------------------------------------------------------------- BPMN document


def bpmn_svg(source: bytes | str | Path) -> str:
    """A BPMN model drawn as modelled: the file's own diagram layout (BPMN DI) as a standalone SVG.

    Pools and lanes are labelled bands, tasks rounded boxes with a user / service / script marker,
    gateways diamonds with X / + / O / pentagon markers, events circles (thin start, thick end, double
    intermediate and boundary) with a clock for timers, sequence flows polylines with arrowheads.

    Args:
        source: a ``.bpmn`` file (``str`` or ``Path``) or the document's bytes (e.g. an upload).

    Returns:
        SVG text whose viewBox fits the diagram (DI coordinates may be negative).

    Raises:
        ModelError: not BPMN, or the file has no or only a partial diagram layout (use ``model_svg``).
        UnsafeSourceError, MalformedSourceError, SourceNotFoundError: see ``baton.models.bpmn.parse_xml``.

    Example:
        >>> svg = bpmn_svg("sample_logs/loans_target.bpmn")  # doctest: +SKIP
    """
    root, file = load_bpmn(source)
    shapes, edges = read_di(root, file)
    check_complete(root, shapes, edges, file)
    title = clean(next((p.get("name") for p in root.iter(f"{{{BPMN}}}process") if p.get("name")), file))
    return _document(title, _extent(shapes, edges), _draw(shapes, edges))


def _draw(shapes: dict[str, Shape], edges: dict[str, Edge]) -> list[str]:
    """SVG elements bottom to top: pools and lanes, expanded subprocesses, nodes, flows, boundary events, labels."""
    layers: dict[str, list[str]] = {
        k: [] for k in ("bands", "containers", "nodes", "flows", "boundary", "labels")
    }
    for s in sorted(shapes.values(), key=lambda s: -s.w * s.h):
        if s.kind in ("participant", "lane"):
            layers["bands"].append(band(s))
        elif s.kind in (*SUBPROCESSES, "callActivity") and s.expanded:
            layers["containers"].append(container(s))
    for s in shapes.values():
        if s.kind in (*_ACTIVITIES, *SUBPROCESSES) and not s.expanded:
            layers["nodes"].append(activity(s))
        elif s.kind in GATEWAYS:
            layers["nodes"].append(gateway(s))
        elif s.kind in EVENTS:
            layers["boundary" if s.kind == "boundaryEvent" else "nodes"].append(event(s))
        elif s.kind in (*_DATA, "textAnnotation", "group"):
            layers["labels" if s.kind == "group" else "nodes"].append(artifact(s))
    for e in edges.values():
        source = e.element.get("sourceRef")
        siblings = [o for o in edges.values() if o is not e and o.element.get("sourceRef") == source]
        layers["flows"].append(flow(e))
        layers["labels"].append(flow_label(e, siblings))
    return [x for layer in layers.values() for x in layer if x]


def _extent(shapes: dict[str, Shape], edges: dict[str, Edge]) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of everything drawn, with room for labels below shapes."""
    xs: list[float] = []
    ys: list[float] = []
    for s in shapes.values():
        xs += [s.x, s.x + s.w]
        ys += [s.y, s.y + s.h + (30 if s.kind in (*EVENTS, *GATEWAYS, *_DATA) and s.label is None else 0)]
        if s.label is not None:
            xs += [s.label[0], s.label[0] + s.label[2]]
            ys += [s.label[1], s.label[1] + s.label[3]]
    for e in edges.values():
        xs += [x for x, _ in e.points]
        ys += [y for _, y in e.points]
    pad = 20.0
    return min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad


def _document(title: str, box: tuple[float, float, float, float], body: list[str]) -> str:
    """A standalone SVG document on a white background."""
    x, y, w, h = box
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="{x:.1f} {y:.1f} {w:.1f} {h:.1f}" font-family={quoteattr(_FONT)}>'
    )
    background = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="white"/>'
    prolog = ['<?xml version="1.0" encoding="UTF-8"?>', head, f"<title>{escape(title)}</title>", background]
    return "\n".join([*prolog, *body, "</svg>"])


# ---------------------------------------------------------------- any model, laid out


def _duration(value: timedelta) -> str:
    """A short duration for a badge: 2 d, 4 h, 30 min, 1 d 12 h."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "min")) if n]
    return " ".join(parts[:2]) or f"{int(value.total_seconds())} s"


def _model_edge(a: Box, b: Box, css: str, color: str, *, dashed: bool = False) -> str:
    """A curved edge between two layout boxes with an arrowhead on ``b`` (the process map's geometry)."""
    p0, p1, p2, p3 = curve(a, b)
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (p1, p2, p3))
    return (
        f'<path d="M{p0[0]:.1f},{p0[1]:.1f} C{path}" fill="none" stroke="{color}" stroke-width="1.3"{dash}/>'
        + (arrowhead(p2 if p2 != p3 else p0, p3, css, size=8, color=color))
    )


def _model_node(box: Box, name: str, owner: str) -> str:
    """An activity box coloured by its owner."""
    fill, stroke, _ = OWNER_STYLE.get(owner, OWNER_STYLE["unknown"])
    left, top = box.x - box.width / 2, box.y - box.height / 2
    return (
        f'<rect class="model-task {owner}" x="{left:.1f}" y="{top:.1f}" width="{box.width:.1f}" '
        f'height="{box.height:.1f}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.3"/>'
        + centred_text(box.x, box.y, [name], 11, css="task-label")
    )


def _sla_badge(box: Box, duration: timedelta) -> str:
    """A clock badge on the box's top-right corner with the SLA's duration beside it."""
    cx, cy = box.x + box.width / 2 - 2, box.y - box.height / 2 - 2
    return (
        f'<g class="sla-badge">{clock(cx, cy, 8)}<text x="{cx + 11:.1f}" y="{cy + 3.5:.1f}" font-size="10" '
        f'fill="#b91c1c" {HALO}>{escape(_duration(duration))}</text></g>'
    )


def _legend(y: float, timers: bool) -> list[str]:
    """Owner colour swatches (and the SLA clock when the model has timers) in one row."""
    out, x = [], 12.0
    for fill, stroke, text in OWNER_STYLE.values():
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="16" height="12" rx="3" fill="{fill}" stroke="{stroke}"/>'
        )
        out.append(
            f'<text class="legend" x="{x + 21:.1f}" y="{y + 10:.1f}" font-size="10" fill="{INK}">{text}</text>'
        )
        x += 30 + len(text) * 6
    if timers:
        out.append(clock(x + 7, y + 6, 7))
        out.append(
            f'<text class="legend" x="{x + 19:.1f}" y="{y + 10:.1f}" font-size="10" fill="{INK}">SLA timer</text>'
        )
    return out


def model_svg(model: TargetModel) -> str:
    """Any target model (YAML spec, PNML, discovered, BPMN without layout) drawn on the process map's layout.

    Activities are boxes coloured by owner (human / system / unknown, with a legend), the model's allowed
    edges curved arrows, start and end activities linked to the map's start and end markers, SLA timers
    clock badges on their task.

    Args:
        model: the target model.

    Returns:
        SVG text (UTF-8, no external references).
    """
    ends = [n for pair in sorted(model.edges) for n in pair] + sorted(
        model.start_activities | model.end_activities
    )
    names = list(dict.fromkeys([t.name for t in model.tasks] + list(model.activities) + ends))
    starts = dict.fromkeys(sorted(model.start_activities), 1)
    layout = compute_layout(names, [(a, b, 1) for a, b in sorted(model.edges)], starts)
    body = _model_body(model, names, layout.boxes) + _legend(layout.height + 4, bool(model.timers))
    return _document(
        model.name or "Target model", (0.0, 0.0, max(layout.width + 60, 460.0), layout.height + 28), body
    )


def _model_body(model: TargetModel, names: list[str], boxes: dict[str, Box]) -> list[str]:
    """Edges, start/end links, owner-coloured boxes, SLA badges and the start/end markers."""
    grey = "#94a3b8"
    body = [_model_edge(boxes[a], boxes[b], "model-arrow", "#475569") for a, b in sorted(model.edges)]
    body += [
        _model_edge(boxes[START], boxes[a], "start-arrow", grey, dashed=True)
        for a in sorted(model.start_activities)
    ]
    body += [
        _model_edge(boxes[a], boxes[END], "end-arrow", grey, dashed=True)
        for a in sorted(model.end_activities)
    ]
    body += [_model_node(boxes[n], n, model.owner_of(n)) for n in names]
    body += [_sla_badge(boxes[t.task], t.duration) for t in model.timers if t.task in boxes]
    start, end = boxes[START], boxes[END]
    return [
        *body,
        f'<circle cx="{start.x:.1f}" cy="{start.y:.1f}" r="{start.width / 2:.1f}" fill="{START_COLOR}"/>',
        f'<circle cx="{end.x:.1f}" cy="{end.y:.1f}" r="{end.width / 2:.1f}" fill="{END_COLOR}"/>'
        f'<circle cx="{end.x:.1f}" cy="{end.y:.1f}" r="{end.width / 2 + 3:.1f}" fill="none" stroke="{END_COLOR}"/>',
    ]


def diagram_svg(model: TargetModel, source: bytes | str | Path | None = None) -> str:
    """The best diagram of a model: its BPMN layout when ``source`` (default: a BPMN model's file) has one.

    Args:
        model: the target model read from ``source``.
        source: the model's BPMN file or bytes; None uses ``model.source`` for a BPMN model.

    Returns:
        ``bpmn_svg(source)`` when that has a full diagram layout, else ``model_svg(model)``.
    """
    implicit = source is None
    if implicit:
        source = model.source if model.format == "bpmn" and model.source else None
    if source is None:
        return model_svg(model)
    try:
        return bpmn_svg(source)
    except SourceNotFoundError:
        if implicit:
            return model_svg(model)
        raise
    except ModelError:
        return model_svg(model)
