"""Read a PNML Petri net (ProM, pm4py, WoPeD exports) into a TargetModel."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from baton.errors import ModelError
from baton.models.footprint import explore
from baton.models.types import ModelNote, ModelTask, PetriNetSpec, TargetModel
from baton.models.xml_read import clean, local, parse_xml

INVISIBLE = "$invisible$"  # ProM's / pm4py's toolspecific marker of a silent transition


def read_pnml(path: str | Path, *, name: str | None = None) -> TargetModel:
    """Read a PNML file: places, transitions, arcs, the initial and the final marking.

    A transition without a name, or marked ``activity="$invisible$"`` in a ProM/pm4py ``toolspecific``
    element, is silent. The final marking comes from pm4py's ``<finalmarkings>`` element; without it,
    the places without outgoing arcs get one token each (noted).

    Args:
        path: the ``.pnml`` file.
        name: the model's name (default: the net's name, else the file name).

    Raises:
        ModelError: no net, arcs between unknown nodes or two places, arc weights above 1.
        UnsafeSourceError, MalformedSourceError, SourceNotFoundError: the XML cannot be read safely.
    """
    source = Path(path)
    root = parse_xml(source)
    net_el = next((e for e in root.iter() if local(e)[1] == "net"), None)
    if net_el is None:
        raise ModelError(f"{source.name}: no <net> element; expected a PNML Petri net (<pnml><net>...)")
    places, initial = _places(net_el, source.name)
    transitions = _transitions(net_el)
    arcs = _arcs(net_el, set(places), {t for t, _ in transitions}, source.name)
    final, notes = _final_marking(net_el, places, arcs, source.name)
    net = PetriNetSpec(tuple(places), tuple(transitions), tuple(arcs), tuple(initial), tuple(final))
    try:
        footprint = explore(net)
    except ModelError as exc:
        raise ModelError(f"{source.name}: {exc}") from exc
    tasks = tuple(
        dict.fromkeys(
            ModelTask(label, label, "task", "unknown") for _, label in transitions if label is not None
        )
    )
    title = clean(_text(net_el.find("{*}name")))
    return TargetModel(
        name=name or title or source.stem,
        source=str(source),
        format="pnml",
        tasks=tasks,
        net=net,
        edges=footprint.edges,
        start_activities=footprint.starts,
        end_activities=footprint.ends_at(net.final_marking),
        notes=tuple(notes),
    )


def _text(element: etree._Element | None) -> str:
    """The ``<text>`` child's content of a PNML label element ("" when missing)."""
    if element is None:
        return ""
    return str(element.findtext("{*}text") or element.findtext("text") or "")


def _nodes(net_el: etree._Element, kind: str) -> list[etree._Element]:
    """Every place or transition of the net, on any (nested) page."""
    return [e for e in net_el.iter() if local(e)[1] == kind and e.get("id") is not None]


def _count(text: str, where: str, file: str) -> int:
    """A token count (empty means 0)."""
    try:
        return int(text.strip() or "0")
    except ValueError as exc:
        raise ModelError(
            f"{file}: {where} has token count {text.strip()!r}; expected a whole number"
        ) from exc


def _places(net_el: etree._Element, file: str) -> tuple[list[str], list[tuple[str, int]]]:
    """Place ids and the initial marking."""
    places: list[str] = []
    initial: list[tuple[str, int]] = []
    for el in _nodes(net_el, "place"):
        places.append(str(el.get("id")))
        tokens = _count(_text(el.find("{*}initialMarking")), f"place {el.get('id')!r}", file)
        if tokens > 0:
            initial.append((str(el.get("id")), tokens))
    return places, initial


def _transitions(net_el: etree._Element) -> list[tuple[str, str | None]]:
    """``(id, label)`` per transition; None for silent ones."""
    result: list[tuple[str, str | None]] = []
    for el in _nodes(net_el, "transition"):
        label = clean(_text(el.find("{*}name")))
        invisible = any(
            local(t)[1] == "toolspecific" and t.get("activity") == INVISIBLE for t in el.iterchildren()
        )
        result.append((str(el.get("id")), None if invisible or not label else label))
    return result


def _arcs(
    net_el: etree._Element, places: set[str], transitions: set[str], file: str
) -> list[tuple[str, str]]:
    """Arcs as ``(source, target)``; each joins a place and a transition and has weight 1."""
    arcs: list[tuple[str, str]] = []
    for el in net_el.iter():
        if local(el)[1] != "arc":
            continue
        src, tgt = str(el.get("source")), str(el.get("target"))
        if not ((src in places and tgt in transitions) or (src in transitions and tgt in places)):
            raise ModelError(
                f"{file}: arc {el.get('id')!r} joins {src!r} and {tgt!r}; an arc must join a place of the "
                "net and a transition of the net"
            )
        weight = _text(el.find("{*}inscription")).strip() or "1"
        if weight != "1":
            raise ModelError(f"{file}: arc {el.get('id')!r} has weight {weight}; only weight 1 is supported")
        arcs.append((src, tgt))
    return arcs


def _final_marking(
    net_el: etree._Element, places: list[str], arcs: list[tuple[str, str]], file: str
) -> tuple[list[tuple[str, int]], list[ModelNote]]:
    """pm4py's ``<finalmarkings>`` (first marking), else one token on each place without outgoing arcs."""
    marking_el = next((e for e in net_el.iter() if local(e)[1] == "finalmarkings"), None)
    if marking_el is not None:
        final: list[tuple[str, int]] = []
        first = next((e for e in marking_el if local(e)[1] == "marking"), marking_el)
        for el in first:
            tokens = _count(_text(el), f"final marking of {el.get('idref')!r}", file)
            if tokens and el.get("idref") not in places:
                raise ModelError(f"{file}: the final marking names {el.get('idref')!r}, which is no place")
            if tokens:
                final.append((str(el.get("idref")), tokens))
        return final, []
    sources = {src for src, _ in arcs}
    sinks = [p for p in places if p not in sources]
    note = ModelNote(
        "finalmarkings",
        "net",
        f"no <finalmarkings> in the file: the final marking is one token on each place without outgoing "
        f"arcs ({', '.join(sinks) or 'none'})",
    )
    return [(p, 1) for p in sinks], [note]
