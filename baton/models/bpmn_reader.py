"""Walk a BPMN 2.0 process (subprocesses and called processes inlined) into a flattened FlowGraph."""

from __future__ import annotations

from lxml import etree

from baton.errors import ModelError
from baton.models.bpmn_net import FlowGraph, FlowNode, Scope
from baton.models.bpmn_vocab import BPMN, EVENTS, FLOW_NODES, GATEWAYS, LOOPS, SUBPROCESSES, TASKS
from baton.models.types import ModelNote, ModelTask, Owner, TaskKind
from baton.models.xml_read import clean, local


def _lanes(process: etree._Element) -> dict[str, str]:
    """Flow node id -> name of the innermost lane listing it (nested lanes via childLaneSet)."""
    result: dict[str, str] = {}

    def visit(lane_set: etree._Element) -> None:
        for lane in lane_set.iterfind(f"{{{BPMN}}}lane"):
            lane_name = clean(lane.get("name")) or str(lane.get("id"))
            for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef"):
                result[clean(ref.text)] = lane_name
            for child in lane.iterfind(f"{{{BPMN}}}childLaneSet"):
                visit(child)

    for lane_set in process.iterfind(f"{{{BPMN}}}laneSet"):
        visit(lane_set)
    return result


class BpmnReader:
    """Walks one process (and, recursively, subprocesses and called processes) into a FlowGraph."""

    def __init__(self, root: etree._Element, file: str) -> None:
        self.file = file
        self.processes = {p.get("id"): p for p in root if local(p) == (BPMN, "process")}
        self.referenced = {
            ref
            for flow in root.iter(f"{{{BPMN}}}sequenceFlow")
            for ref in (flow.get("sourceRef"), flow.get("targetRef"))
        }
        self.graph = FlowGraph()
        self.scopes: list[Scope] = []
        self.tasks: list[ModelTask] = []
        self.notes: list[ModelNote] = []
        self.boundaries: list[tuple[str, etree._Element]] = []
        self.alias: dict[str, str] = {}  # flattened subprocess id -> its exit node (source of outgoing flows)
        self.flows: list[tuple[str, str, str, str]] = []  # flat flow id, flat source, flat target, xml id
        self.links: list[tuple[str, str, str, str]] = []  # prefix, link name, node id, throw/catch
        self.skipped: set[str] = set()

    def note(self, element: etree._Element, message: str) -> None:
        """Record a ModelNote for an element."""
        self.notes.append(ModelNote(str(element.get("id", "")), local(element)[1], message))

    def read(self, process: etree._Element) -> None:
        """Walk the chosen process and resolve its sequence flows and link events."""
        top = Scope(nodes=[])
        self.scopes.append(top)
        self._walk(process, "", _lanes(process), None, (str(process.get("id")),), top)
        self._resolve_links()
        for fid, src, tgt, xml_id in self.flows:
            if src in self.skipped or tgt in self.skipped:
                continue
            src = self.alias.get(src, src)
            for end, ref in (("sourceRef", src), ("targetRef", tgt)):
                if ref not in self.graph.nodes:
                    raise ModelError(
                        f"{self.file}: sequenceFlow {xml_id!r} has {end} {ref.rsplit('/', 1)[-1]!r}, which is "
                        "no flow node of this process; fix the reference in the modeler and export again"
                    )
            self.graph.flows.append((fid, src, tgt))
        self._artificial_markers()
        for nid, element in self.boundaries:
            attached = self.graph.nodes[nid].attached
            if attached not in self.graph.nodes:
                raise ModelError(
                    f"{self.file}: boundaryEvent {element.get('id')!r} is attached to "
                    f"{element.get('attachedToRef')!r}, which is no activity of this process"
                )

    def _artificial_markers(self) -> None:
        """Silence tasks named Start/End right after the start / before the end event (added by miners)."""
        nodes = self.graph.nodes
        for node in list(nodes.values()):
            if node.kind != "task" or (node.label or "").lower() not in ("start", "end"):
                continue
            want = str(node.label).lower()
            if want == "start":  # the sources of its incoming flows
                near = [src for _, src, tgt in self.graph.flows if tgt == node.id]
            else:  # the targets of its outgoing flows
                near = [tgt for _, src, tgt in self.graph.flows if src == node.id]
            if len(near) == 1 and nodes[near[0]].role == want and nodes[near[0]].kind == want:
                node.kind, node.label = "pass", None
                self.tasks = [t for t in self.tasks if t.id != node.id]
                self.notes.append(
                    ModelNote(
                        node.source_id,
                        node.element,
                        f"task named {want.title()!r} directly at the {want} event: an artificial marker that "
                        "discovery tools add; treated as silent (logs do not contain it)",
                    )
                )

    def _walk(
        self,
        container: etree._Element,
        prefix: str,
        lanes: dict[str, str],
        lane: str | None,
        stack: tuple[str, ...],
        scope: Scope,
    ) -> None:
        """Turn the flow elements directly inside ``container`` into nodes of ``scope``."""
        for child in container:
            ns, kind = local(child)
            xml_id = child.get("id")
            if ns != BPMN or xml_id is None:
                continue
            flat = prefix + xml_id
            here = lanes.get(xml_id, lane)
            if kind == "sequenceFlow":
                self.flows.append(
                    (flat, prefix + str(child.get("sourceRef")), prefix + str(child.get("targetRef")), xml_id)
                )
            elif kind in TASKS:
                self._task(child, flat, here, scope, *TASKS[kind])
            elif kind in SUBPROCESSES:
                self._subprocess(child, flat, prefix, lanes, here, stack, scope)
            elif kind == "callActivity":
                self._call(child, flat, here, stack, scope)
            elif kind in GATEWAYS:
                self._add(scope, FlowNode(flat, GATEWAYS[kind], element=kind, source_id=xml_id))
                if kind in ("eventBasedGateway", "complexGateway"):
                    self.note(child, "treated as an exclusive gateway: exactly one outgoing branch is taken")
            elif kind in EVENTS:
                self._event(child, flat, prefix, scope)
            elif xml_id in self.referenced:
                self._add(scope, FlowNode(flat, "pass", element=kind, source_id=xml_id))
                self.note(child, f"unsupported element {kind}: treated as a silent step")

    def _add(self, scope: Scope, node: FlowNode) -> None:
        self.graph.nodes[node.id] = node
        scope.nodes.append(node.id)

    def _task(
        self, el: etree._Element, flat: str, lane: str | None, scope: Scope, kind: TaskKind, owner: Owner
    ) -> None:
        """A task: a visible transition labelled with its name (a loop lets it repeat)."""
        name = clean(el.get("name"))
        if not name:
            name = str(el.get("id"))
            self.note(el, f"task without a name: labelled with its id {name!r}, which a log will not contain")
        loop = any(local(c)[1] in LOOPS for c in el)
        if loop:
            self.note(el, "loop/multi-instance activity: the net lets it repeat any number of times")
        self._add(
            scope,
            FlowNode(flat, "task", name, local(el)[1], str(el.get("id")), loop_to=flat if loop else None),
        )
        self.tasks.append(ModelTask(flat, name, kind, owner, lane, loop))

    def _subprocess(
        self,
        el: etree._Element,
        flat: str,
        prefix: str,
        lanes: dict[str, str],
        lane: str | None,
        stack: tuple[str, ...],
        scope: Scope,
    ) -> None:
        """An embedded subprocess: flattened between an entry and an exit node (collapsed: one task)."""
        kind = local(el)[1]
        if el.get("triggeredByEvent") == "true":
            self.note(
                el, "event subprocess: triggered by an event at any time; its activities are not checked"
            )
            self.skipped.add(flat)
            return
        if not any(local(c)[1] in FLOW_NODES for c in el):
            self.note(el, "collapsed subprocess without content in the file: checked as one activity")
            self._task(el, flat, lane, scope, "task", "unknown")
            return
        if kind == "adHocSubProcess":
            self.note(el, "ad-hoc subprocess: its activities may run in any order, any number of times")
        elif kind == "transaction":
            self.note(el, "transaction: flattened like a subprocess; compensation is not checked")
        self._body(el, flat, prefix, lanes, lane, stack, scope, adhoc=kind == "adHocSubProcess")

    def _body(
        self,
        el: etree._Element,
        flat: str,
        prefix: str,
        lanes: dict[str, str],
        lane: str | None,
        stack: tuple[str, ...],
        scope: Scope,
        *,
        adhoc: bool = False,
    ) -> None:
        """Flatten a (sub)process body found in ``el`` between entry node ``flat`` and its exit node."""
        loop = any(local(c)[1] in LOOPS for c in el)
        exit_id = f"{flat}#exit"
        element, xml_id = local(el)[1], str(el.get("id"))
        self._add(scope, FlowNode(flat, "pass", element=element, source_id=xml_id, role="entry"))
        self._add(scope, FlowNode(exit_id, "pass", element=element, source_id=xml_id, role="exit"))
        self.graph.nodes[exit_id].loop_to = flat if loop else None
        if loop:
            self.note(el, "loop/multi-instance subprocess: the net lets it repeat any number of times")
        self.alias[flat] = exit_id
        inner = Scope(nodes=[], entry=flat, exit=exit_id, adhoc=adhoc)
        self.scopes.append(inner)
        first = len(self.flows)
        self._walk(el, prefix, lanes, lane, stack, inner)
        inner_flows = self.flows[first:]
        splits = [src for _, src, _, _ in inner_flows]
        nested = {local(e)[1] for e in el.iter()} & {"parallelGateway", "inclusiveGateway", "complexGateway"}
        branching = [
            s
            for s in set(splits)
            if splits.count(s) > 1 and self.graph.nodes.get(s, FlowNode(s, "")).kind != "xor"
        ]
        if (
            not nested and not branching
        ):  # sequential body: an interrupting boundary event may end it anywhere
            self.graph.inner[flat] = [fid for fid, _, _, _ in inner_flows]

    def _call(
        self, el: etree._Element, flat: str, lane: str | None, stack: tuple[str, ...], scope: Scope
    ) -> None:
        """A call activity: the called process inlined when it is in this file, else one visible activity."""
        called = str(el.get("calledElement", ""))
        target = self.processes.get(called)
        if target is None or called in stack:
            why = (
                "calls itself (recursion)"
                if target is not None
                else f"calls {called!r}, which is not a process in this file"
            )
            self.note(el, f"call activity {why}: checked as one activity named like the call activity")
            self._task(el, flat, lane, scope, "call_activity", "unknown")
            return
        self._body(target, flat, f"{flat}/", _lanes(target), lane, (*stack, called), scope)

    def _event(self, el: etree._Element, flat: str, prefix: str, scope: Scope) -> None:
        """Start, end, intermediate and boundary events."""
        kind = local(el)[1]
        trigger = next(
            (local(c)[1][: -len("EventDefinition")] for c in el if local(c)[1].endswith("EventDefinition")),
            "",
        )
        node = FlowNode(flat, "pass", element=kind, source_id=str(el.get("id")), trigger=trigger)
        top = scope.entry is None
        if kind == "startEvent":
            node.kind, node.role = ("start" if top else "pass"), "start"
        elif kind == "endEvent":
            node.kind, node.role = ("end" if top else "pass"), "end"
            if trigger == "terminate":
                self.note(
                    el, "terminate end event: treated as a plain end; parallel branches are not cancelled"
                )
        elif kind == "boundaryEvent":
            if trigger == "compensate":
                self.note(el, "compensation boundary event: compensation is not checked")
                self.skipped.add(flat)
                return
            node.kind, node.attached = "boundary", prefix + str(el.get("attachedToRef"))
            node.interrupting = el.get("cancelActivity", "true") != "false"
            self.boundaries.append((flat, el))
            if trigger != "timer":
                self.note(
                    el,
                    f"{trigger or 'none'} boundary event: its path is allowed; only timers are SLA-checked",
                )
        elif trigger == "timer":
            self.note(el, "intermediate timer event: a wait, not an SLA on a task; not time-checked")
        if trigger == "link":
            name = clean(next((c.get("name") for c in el if local(c)[1] == "linkEventDefinition"), None))
            self.links.append(
                (prefix, name or clean(el.get("name")), flat, "throw" if "Throw" in kind else "catch")
            )
        self._add(scope, node)

    def _resolve_links(self) -> None:
        """Connect each link throw event to the catch event of the same name (in the same process)."""
        catches = {(p, n): nid for p, n, nid, role in self.links if role == "catch"}
        for prefix, name, nid, role in self.links:
            if role != "throw":
                continue
            target = catches.get((prefix, name))
            if target is None:
                node = self.graph.nodes[nid]
                self.notes.append(
                    ModelNote(node.source_id, node.element, f"link {name!r} has no catch event")
                )
                continue
            self.flows.append((f"{nid}->{target}", nid, target, f"link {name}"))
