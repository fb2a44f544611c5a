"""Read BPMN 2.0 XML (Camunda, bpmn.io, Signavio, OMG MIWG files) into a TargetModel with its workflow net."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lxml import etree

from baton.errors import ModelError
from baton.models.bpmn_net import build_net, complete, first_tasks
from baton.models.bpmn_reader import BpmnReader
from baton.models.bpmn_vocab import BPMN, EVENTS, FLOW_NODES, GATEWAYS, LOOPS, SUBPROCESSES, TASKS
from baton.models.durations import timer_from_bpmn
from baton.models.footprint import Footprint, explore
from baton.models.types import ModelNote, PetriNetSpec, SlaTimer, TargetModel
from baton.models.xml_read import clean, local, parse_xml

__all__ = [
    "BPMN",
    "EVENTS",
    "FLOW_NODES",
    "GATEWAYS",
    "LOOPS",
    "SUBPROCESSES",
    "TASKS",
    "clean",
    "local",
    "parse_xml",
    "read_bpmn",
]


def read_bpmn(path: str | Path, *, name: str | None = None, process: str | None = None) -> TargetModel:
    """Read a BPMN 2.0 file into a TargetModel: tasks with owners and lanes, SLA timers and a workflow net.

    Args:
        path: the ``.bpmn`` file.
        name: the model's name (default: the process or pool name, else the file name).
        process: id or name of the process to read when the file has several pools (default: the one
            with the most tasks; the others are listed in the notes).

    Raises:
        ModelError: not BPMN, no (or no such) process, flows to unknown elements, a bad SLA attribute.
        UnsafeSourceError, MalformedSourceError, SourceNotFoundError: see ``parse_xml``.
    """
    source = Path(path)
    root = parse_xml(source)
    if local(root) != (BPMN, "definitions"):
        raise ModelError(
            f"{source.name}: root element is {root.tag!r}, not BPMN 2.0 <definitions> in namespace {BPMN}"
        )
    chosen, title, notes = _pick_process(root, process, source.name)
    reader = BpmnReader(root, source.name)
    reader.read(chosen)
    notes += reader.notes + complete(reader.graph, reader.scopes)
    net, net_notes = build_net(reader.graph)
    tasks = tuple(t for t in reader.tasks if t.id in reader.graph.nodes)
    timers, timer_notes = _timers(reader, {t.name for t in tasks}, source.name)
    net, footprint, fp_notes = _settle_end(net, source.name)
    return TargetModel(
        name=name or title or source.stem,
        source=str(source),
        format="bpmn",
        tasks=tasks,
        net=net,
        edges=footprint.edges,
        start_activities=footprint.starts,
        end_activities=footprint.ends_at(net.final_marking),
        timers=timers,
        notes=tuple(notes + net_notes + timer_notes + fp_notes),
    )


def _pick_process(
    root: etree._Element, wanted: str | None, file: str
) -> tuple[etree._Element, str, list[ModelNote]]:
    """The process to read, its display name and notes on the pools left out."""
    processes = [el for el in root if local(el) == (BPMN, "process")]
    if not processes:
        raise ModelError(f"{file}: no <process> element; the file holds no process model to compare with")
    pools = {
        p.get("processRef"): clean(p.get("name"))
        for p in root.iterfind(f"{{{BPMN}}}collaboration/{{{BPMN}}}participant")
    }
    label = {p.get("id"): clean(p.get("name")) or pools.get(p.get("id")) or "" for p in processes}
    if wanted is not None:
        match = [p for p in processes if wanted in (p.get("id"), label[p.get("id")])]
        if not match:
            known = ", ".join(f"{p.get('id')!r} ({label[p.get('id')]!r})" for p in processes)
            raise ModelError(f"{file}: no process with id or name {wanted!r}; the file has {known}")
        return match[0], label[match[0].get("id")], []
    candidates = [p for p in processes if p.get("id") in pools] or processes
    counts = {
        p.get("id"): sum(1 for e in p.iter() if local(e)[1] in (*TASKS, "callActivity")) for p in candidates
    }
    chosen = max(candidates, key=lambda p: counts[p.get("id")])
    notes = [
        ModelNote(
            str(p.get("id")),
            "process",
            f"pool/process {label[p.get('id')] or p.get('id')!r} ({counts[p.get('id')]} tasks) not read: the model "
            f"is {label[chosen.get('id')] or chosen.get('id')!r}; pass process={p.get('id')!r} to read it instead",
        )
        for p in candidates
        if p is not chosen
    ]
    return chosen, label[chosen.get("id")], notes


def _timers(reader: BpmnReader, known: set[str], file: str) -> tuple[tuple[SlaTimer, ...], list[ModelNote]]:
    """SLA timers from the timer boundary events attached to tasks; notes for the others."""
    timers: list[SlaTimer] = []
    notes: list[ModelNote] = []
    for nid, element in reader.boundaries:
        node = reader.graph.nodes.get(nid)
        if node is None or node.trigger != "timer":
            continue
        host = reader.graph.nodes.get(str(node.attached))
        if host is None or host.kind != "task" or host.label is None:
            notes.append(
                ModelNote(
                    node.source_id, "boundaryEvent", "timer on a subprocess: not SLA-checked (only on tasks)"
                )
            )
            continue
        result = timer_from_bpmn(
            element, task=host.label, escalation=first_tasks(reader.graph, nid), known=known, file=file
        )
        (timers if isinstance(result, SlaTimer) else notes).append(result)  # type: ignore[arg-type]
    return tuple(timers), notes


def _settle_end(net: PetriNetSpec, file: str) -> tuple[PetriNetSpec, Footprint, list[ModelNote]]:
    """Explore the net; use ``end``:k as final marking when parallel branches each reach an end event."""
    try:
        footprint = explore(net)
    except ModelError as exc:
        raise ModelError(f"{file}: {exc}") from exc
    if net.final_marking in footprint.last_labels:
        return net, footprint, []
    counts = sorted({dict(m)["end"] for m in footprint.dead if m and {p for p, _ in m} == {"end"}})
    if len(counts) == 1:
        note = ModelNote(
            "end",
            "endEvent",
            f"parallel branches end in separate end events: a completed case puts {counts[0]} tokens on the "
            "net's end place, which is used as its final marking",
        )
        return replace(net, final_marking=(("end", counts[0]),)), footprint, [note]
    message = "no run of the net ends with exactly its end events done; end activities are unknown"
    return net, footprint, [ModelNote("end", "endEvent", message)]
