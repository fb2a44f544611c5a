"""Reading a BPMN file's diagram layout (DI): shapes' bounds, edges' waypoints, labels, completeness checks."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from baton.errors import MalformedSourceError, ModelError
from baton.models.bpmn import BPMN, FLOW_NODES, SUBPROCESSES, clean, local, parse_xml
from connectors.xmlsafety import reject_dtd

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Shape:
    """One BPMNShape: the semantic element it draws, its bounds and its label's bounds."""

    element: etree._Element
    kind: str
    x: float
    y: float
    w: float
    h: float
    expanded: bool
    horizontal: bool
    label: tuple[float, float, float, float] | None


@dataclass(frozen=True, slots=True)
class Edge:
    """One BPMNEdge: the semantic flow it draws, its waypoints and its label's bounds."""

    element: etree._Element
    kind: str
    points: list[Point]
    label: tuple[float, float, float, float] | None


def load_bpmn(source: bytes | str | Path) -> tuple[etree._Element, str]:
    """The root of a BPMN file (path) or document (bytes), parsed with DTDs and entities refused."""
    if isinstance(source, bytes):
        name = "uploaded BPMN"
        reject_dtd(io.BytesIO(source), source_name=name)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
        )
        try:
            root = etree.fromstring(source, parser)
        except etree.XMLSyntaxError as exc:
            raise MalformedSourceError(f"{name}: not well-formed XML ({exc}); re-export the file") from exc
    else:
        name = Path(source).name
        root = parse_xml(source)
    if local(root) != (BPMN, "definitions"):
        raise ModelError(
            f"{name}: root element is {root.tag!r}, not BPMN 2.0 <definitions> in namespace {BPMN}"
        )
    return root, name


def _child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child with this local name, whatever its namespace prefix."""
    return next((c for c in element if local(c)[1] == name), None)


def _number(element: etree._Element, attribute: str, file: str) -> float:
    """A numeric DI attribute, or a ModelError naming the element."""
    try:
        value = float(element.get(attribute, "0"))
        if not math.isfinite(value):
            raise ValueError(value)
        return value
    except ValueError as exc:
        raise ModelError(
            f"{file}: diagram element {element.getparent().get('id')!r} has {attribute}="
            f"{element.get(attribute)!r}, expected a number; re-export the diagram"
        ) from exc


def _bounds(element: etree._Element | None, file: str) -> tuple[float, float, float, float] | None:
    """``(x, y, width, height)`` of the element's Bounds child, if it has one."""
    bounds = None if element is None else _child(element, "Bounds")
    if bounds is None:
        return None
    return tuple(_number(bounds, a, file) for a in ("x", "y", "width", "height"))  # type: ignore[return-value]


def read_di(root: etree._Element, file: str) -> tuple[dict[str, Shape], dict[str, Edge]]:
    """Shapes and edges of the file's first diagram plane, keyed by the id of the element they draw."""
    semantic = {el.get("id"): el for el in root.iter(f"{{{BPMN}}}*") if el.get("id")}
    plane = next((el for el in root.iter() if local(el)[1] == "BPMNPlane"), None)
    shapes: dict[str, Shape] = {}
    edges: dict[str, Edge] = {}
    for di in [] if plane is None else list(plane):
        ref, what = str(di.get("bpmnElement", "")), local(di)[1]
        element = semantic.get(ref)
        if element is None:
            continue
        label = _bounds(_child(di, "BPMNLabel"), file)
        if what == "BPMNShape" and (box := _bounds(di, file)) is not None:
            x, y, w, h = box
            flag = di.get("isHorizontal")
            horizontal = w >= h if flag is None else flag == "true"
            expanded = di.get("isExpanded", "unset")
            shapes[ref] = Shape(element, local(element)[1], x, y, w, h, expanded == "true", horizontal, label)
            if expanded == "unset" and local(element)[1] in SUBPROCESSES:
                shapes[ref] = _expand_if_drawn(shapes[ref], semantic, plane)
        elif what == "BPMNEdge":
            points = [(_number(p, "x", file), _number(p, "y", file)) for p in di if local(p)[1] == "waypoint"]
            if len(points) >= 2:
                edges[ref] = Edge(element, local(element)[1], points, label)
    return shapes, edges


def _expand_if_drawn(shape: Shape, semantic: dict, plane: etree._Element) -> Shape:
    """A subprocess without ``isExpanded`` counts as expanded when its children have shapes."""
    drawn = {di.get("bpmnElement") for di in plane}
    children = {c.get("id") for c in shape.element if c.get("id") in semantic}
    if children & drawn:
        return replace(shape, expanded=True)
    return shape


def check_complete(root: etree._Element, shapes: dict[str, Shape], edges: dict[str, Edge], file: str) -> None:
    """Refuse a file whose diagram lacks shapes for flow nodes or edges for sequence flows."""
    if not shapes:
        raise ModelError(
            f"{file}: the file has no diagram layout (no BPMNShape with dc:Bounds in a bpmndi:BPMNPlane); "
            "draw it with model_svg instead, or re-export it from a modeler that writes BPMN DI"
        )
    collapsed = {i for i, s in shapes.items() if s.kind in SUBPROCESSES and not s.expanded}
    called = {str(c.get("calledElement")) for c in root.iter(f"{{{BPMN}}}callActivity")}
    collapsed |= {  # processes only called from call activities and drawn nowhere (shown collapsed)
        str(p.get("id"))
        for p in root.iterfind(f"{{{BPMN}}}process")
        if p.get("id") in called and not any(e.get("id") in shapes for e in p)
    }
    wanted = [
        el
        for el in root.iter(f"{{{BPMN}}}*")
        if local(el)[1] in (*FLOW_NODES, "sequenceFlow")
        and not any(a.get("id") in collapsed for a in el.iterancestors())
    ]
    missing = [el for el in wanted if el.get("id") not in shapes and el.get("id") not in edges]
    if missing:
        shown = ", ".join(f"{local(el)[1]} {clean(el.get('name')) or el.get('id')!r}" for el in missing[:5])
        raise ModelError(
            f"{file}: the diagram layout (BPMN DI) is partial: {len(missing)} of {len(wanted)} flow elements have "
            f"no shape or edge (e.g. {shown}); draw it with model_svg instead, or re-export the full diagram"
        )
