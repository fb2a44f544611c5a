"""Map a flattened BPMN flow graph onto a workflow net (a place per sequence flow, silent routing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from baton.models.types import ModelNote, PetriNetSpec

START, END = "start", "end"
MAX_INCLUSIVE = 6  # an inclusive gateway with more branches is treated as exclusive (2^n subsets)


@dataclass(slots=True)
class FlowNode:
    """One node of the flattened graph.

    ``kind`` is ``task`` (a visible transition labelled ``label``), ``pass`` (silent pass-through: XOR-join
    in, AND-split out), ``start``, ``end``, ``side_end`` (ends a non-interrupting side branch without
    reaching the sink), ``xor``, ``and``, ``or`` or ``boundary`` (attached to the node ``attached``).
    """

    id: str
    kind: str
    label: str | None = None
    element: str = ""
    source_id: str = ""
    attached: str | None = None
    interrupting: bool = True
    loop_to: str | None = None
    role: str = ""  # start/end events (also inside subprocesses); entry/exit of a flattened subprocess
    trigger: str = ""  # the event definition: timer, error, message, cancel, ... ("" for none)


@dataclass(slots=True)
class FlowGraph:
    """Nodes, sequence flows ``(flow id, source node id, target node id)`` and subprocess interiors.

    ``inner`` maps a flattened subprocess's entry node to the flows inside it, from which an interrupting
    boundary event on the subprocess may end it early (only filled for subprocesses without concurrency).
    """

    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: list[tuple[str, str, str]] = field(default_factory=list)
    inner: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Scope:
    """The nodes of one process or flattened subprocess; ``entry``/``exit`` are None at the top level."""

    nodes: list[str]
    entry: str | None = None
    exit: str | None = None
    adhoc: bool = False


THROWN = ("error", "cancel", "escalation")  # end-event triggers a boundary event on the subprocess can catch


def complete(graph: FlowGraph, scopes: list[Scope]) -> list[ModelNote]:
    """Wire implicit starts and ends, subprocess entries and exits, thrown errors and side branches.

    A node without incoming flow starts its scope, one without outgoing flow ends it (BPMN's implicit
    start and end); a node with neither, in a scope that has flows, is dropped with a note.
    """
    notes: list[ModelNote] = []
    for scope in scopes:
        starts, ends = _scope_ends(graph, scope, notes)
        if scope.entry is None:
            for nid in starts:
                if graph.nodes[nid].role != "start":
                    graph.nodes[f"{nid}#start"] = FlowNode(f"{nid}#start", "start", role="start")
                    _link(graph, f"{nid}#start", nid)
            for nid in ends:
                if graph.nodes[nid].role != "end":
                    graph.nodes[f"{nid}#end"] = FlowNode(f"{nid}#end", "end", role="end")
                    _link(graph, nid, f"{nid}#end")
            continue
        _wire_subprocess(graph, scope, starts, ends)
    _mark_side_ends(graph)
    return notes


def _scope_ends(graph: FlowGraph, scope: Scope, notes: list[ModelNote]) -> tuple[list[str], list[str]]:
    """The scope's first and last nodes (explicit start/end events or implicit); drop unconnected ones."""
    members = [n for n in scope.nodes if n in graph.nodes]
    ins = {n: 0 for n in members}
    outs = {n: 0 for n in members}
    for _, src, tgt in graph.flows:
        outs[src] = outs.get(src, 0) + 1
        ins[tgt] = ins.get(tgt, 0) + 1
    connected = any(ins[n] or outs[n] for n in members)
    starts: list[str] = []
    ends: list[str] = []
    for nid in members:
        node = graph.nodes[nid]
        if node.kind == "boundary":
            if not outs[nid] and not node.interrupting:
                notes.append(
                    ModelNote(node.source_id, node.element, "non-interrupting, no outgoing flow; ignored")
                )
                del graph.nodes[nid]
            elif not outs[nid]:
                ends.append(nid)
            continue
        if connected and not ins[nid] and not outs[nid] and node.role in ("", "entry"):
            notes.append(ModelNote(node.source_id, node.element, "not connected by sequence flows; ignored"))
            del graph.nodes[nid]
            continue
        if not ins[nid] and node.role != "exit":  # an exit's flows come from inside (wired later)
            starts.append(nid)
        if node.role == "end" or (not outs[nid] and node.role != "entry"):
            ends.append(nid)
    for nid in starts:
        node = graph.nodes[nid]
        if node.role != "start" and any(graph.nodes[s].role == "start" for s in starts):
            notes.append(
                ModelNote(
                    node.source_id,
                    node.element,
                    "has no incoming sequence flow although the process has a start event; "
                    "treated as another way to start",
                )
            )
    return starts, ends


def _wire_subprocess(graph: FlowGraph, scope: Scope, starts: list[str], ends: list[str]) -> None:
    """Entry -> start nodes, end nodes -> exit (or the boundary event catching what they throw)."""
    entry, exit_ = scope.entry, scope.exit
    assert entry is not None and exit_ is not None
    first = entry
    if scope.adhoc or len(starts) > 1:
        first = f"{entry}#split"
        graph.nodes[first] = FlowNode(first, "xor")
        _link(graph, entry, first)
    if not starts:
        _link(graph, first, exit_)
    for nid in starts:
        _link(graph, first, nid)
    catchers = {b.trigger: b for b in graph.nodes.values() if b.kind == "boundary" and b.attached == entry}
    for nid in ends:
        catcher = catchers.get(graph.nodes[nid].trigger) if graph.nodes[nid].trigger in THROWN else None
        if catcher is not None:
            catcher.attached = None  # it fires where the error is thrown, not anywhere in the subprocess
            _link(graph, nid, catcher.id)
        else:
            _link(graph, nid, first if scope.adhoc else exit_)
    if scope.adhoc:
        _link(graph, first, exit_)


def _link(graph: FlowGraph, src: str, tgt: str) -> None:
    """Add a synthetic sequence flow (its id cannot clash with an XML id: it contains '>')."""
    graph.flows.append((f"{src}->{tgt}", src, tgt))


def _mark_side_ends(graph: FlowGraph) -> None:
    """End events reached only from non-interrupting boundary events just end their side branch."""
    main = _reach(graph, [n.id for n in graph.nodes.values() if n.kind == "start"])
    side_roots = [n.id for n in graph.nodes.values() if n.kind == "boundary" and not n.interrupting]
    for nid in _reach(graph, side_roots) - main:
        if graph.nodes[nid].kind == "end":
            graph.nodes[nid].kind = "side_end"


def _reach(graph: FlowGraph, roots: list[str]) -> set[str]:
    """Nodes reachable from ``roots`` along flows and interrupting boundary events of reached nodes."""
    succ: dict[str, list[str]] = {}
    for _, src, tgt in graph.flows:
        succ.setdefault(src, []).append(tgt)
    for b in graph.nodes.values():
        if b.kind == "boundary" and b.interrupting and b.attached is not None:
            succ.setdefault(b.attached, []).append(b.id)
    seen, todo = set(roots), list(roots)
    while todo:
        for nxt in succ.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def first_tasks(graph: FlowGraph, node_id: str) -> tuple[str, ...]:
    """Labels of the first tasks reached from a node's outgoing flows, through gateways and events."""
    succ: dict[str, list[str]] = {}
    for _, src, tgt in graph.flows:
        succ.setdefault(src, []).append(tgt)
    found: list[str] = []
    seen, todo = {node_id}, list(succ.get(node_id, []))
    while todo:
        nid = todo.pop(0)
        if nid in seen:
            continue
        seen.add(nid)
        node = graph.nodes[nid]
        if node.kind == "task" and node.label is not None:
            found.append(node.label)
        else:
            todo += succ.get(nid, [])
    return tuple(dict.fromkeys(found))


class _NetBuilder:
    """Accumulates places, transitions and arcs."""

    def __init__(self, graph: FlowGraph) -> None:
        self.graph = graph
        self.places: dict[str, None] = {START: None, END: None}
        self.transitions: list[tuple[str, str | None]] = []
        self.arcs: list[tuple[str, str]] = []
        self.notes: list[ModelNote] = []
        self.place_of = {fid: (f"flow:{fid}" if fid in (START, END) else fid) for fid, _, _ in graph.flows}
        self.ins: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
        self.outs: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
        for fid, src, tgt in graph.flows:
            self.places[self.place_of[fid]] = None
            self.outs[src].append(self.place_of[fid])
            self.ins[tgt].append(self.place_of[fid])
        self.fired = {
            b.attached
            for b in graph.nodes.values()
            if b.kind == "boundary" and not b.interrupting and b.attached is not None
        }

    def transition(self, tid: str, label: str | None, inputs: list[str], outputs: list[str]) -> None:
        """Add a transition with its arcs (places must exist)."""
        self.transitions.append((tid, label))
        self.arcs += [(p, tid) for p in inputs] + [(tid, p) for p in outputs]

    def place(self, pid: str) -> str:
        """Add (or reuse) an extra place."""
        self.places[pid] = None
        return pid

    def input_place(self, node: FlowNode) -> str:
        """The node's own input place: its only incoming flow, or a join place fed by one tau per flow."""
        ins = self.ins[node.id]
        if len(ins) == 1:
            return ins[0]
        pid = f"in:{node.id}"
        if pid not in self.places:
            self.place(pid)
            for k, p in enumerate(ins):
                self.transition(f"t:{node.id}:join{k}", None, [p], [pid])
        return pid


def build_net(graph: FlowGraph) -> tuple[PetriNetSpec, list[ModelNote]]:
    """Translate the graph with the standard workflow-net mapping.

    Returns:
        The net (initial marking ``start``:1, final marking ``end``:1) and notes on approximations.
    """
    b = _NetBuilder(graph)
    for node in graph.nodes.values():
        _HANDLERS[node.kind](b, node)
    net = PetriNetSpec(
        places=tuple(b.places),
        transitions=tuple(b.transitions),
        arcs=tuple(b.arcs),
        initial_marking=((START, 1),),
        final_marking=((END, 1),),
    )
    return net, b.notes


def _activity(b: _NetBuilder, node: FlowNode) -> None:
    """A task (visible) or pass-through (silent): XOR-join in, AND-split out, optional loop back."""
    label = node.label if node.kind == "task" else None
    outs = b.outs[node.id]
    target = outs
    if node.loop_to is not None:
        done = b.place(f"out:{node.id}")
        target = [done]
        b.transition(f"t:{node.id}:again", None, [done], [b.input_place(b.graph.nodes[node.loop_to])])
        b.transition(f"t:{node.id}:next", None, [done], outs)
    b.transition(f"t:{node.id}", label, [b.input_place(node)], target)
    if node.id in b.fired:  # a non-interrupting boundary event fired: the activity still runs once
        b.transition(f"t:{node.id}:after", label, [b.place(f"fired:{node.id}")], target)


def _start(b: _NetBuilder, node: FlowNode) -> None:
    """A start event: the source place, then a silent step to its outgoing flows."""
    b.transition(f"t:{node.id}", None, [START], b.outs[node.id])


def _end(b: _NetBuilder, node: FlowNode) -> None:
    """An end event: each incoming flow leads to the sink (side ends just consume the token)."""
    sink = [] if node.kind == "side_end" else [END]
    for k, p in enumerate(b.ins[node.id]):
        b.transition(f"t:{node.id}:{k}", None, [p], sink)


def _xor(b: _NetBuilder, node: FlowNode) -> None:
    """Exclusive gateway: one silent transition per (incoming, outgoing) pair."""
    for i, p in enumerate(b.ins[node.id]):
        for o, q in enumerate(b.outs[node.id]):
            b.transition(f"t:{node.id}:{i}:{o}", None, [p], [q])


def _and(b: _NetBuilder, node: FlowNode) -> None:
    """Parallel gateway: one silent transition consuming every incoming and producing every outgoing flow."""
    b.transition(f"t:{node.id}", None, b.ins[node.id], b.outs[node.id])


def _or(b: _NetBuilder, node: FlowNode) -> None:
    """Inclusive gateway: a silent transition per non-empty subset of outgoing (and incoming) flows."""
    ins, outs = b.ins[node.id], b.outs[node.id]
    if len(ins) > MAX_INCLUSIVE or len(outs) > MAX_INCLUSIVE:
        b.notes.append(
            ModelNote(
                node.source_id,
                node.element,
                f"inclusive gateway with {max(len(ins), len(outs))} branches (more than {MAX_INCLUSIVE}); "
                "treated as exclusive: runs taking several of its branches at once are reported as deviations",
            )
        )
        _xor(b, node)
        return
    if len(ins) > 1:
        b.notes.append(
            ModelNote(
                node.source_id,
                node.element,
                "inclusive (OR) join approximated: it may fire for any non-empty subset of its incoming "
                "branches without waiting for the others, so the check is more permissive than the model",
            )
        )
    mid = ins[0] if len(ins) == 1 else b.place(f"mid:{node.id}")
    if len(ins) > 1:
        for k, subset in enumerate(_subsets(ins)):
            b.transition(f"t:{node.id}:join{k}", None, list(subset), [mid])
    for k, subset in enumerate(_subsets(outs)):
        b.transition(f"t:{node.id}:split{k}", None, [mid], list(subset))


def _boundary(b: _NetBuilder, node: FlowNode) -> None:
    """A boundary event: an alternative (interrupting) or additional (non-interrupting) path."""
    outs = b.outs[node.id]
    for k, p in enumerate(b.ins[node.id]):  # an error/cancel end event inside a subprocess routed here
        b.transition(f"t:{node.id}:throw{k}", None, [p], outs)
    if node.attached is None:
        return
    host = b.graph.nodes[node.attached]
    entry = b.input_place(host)
    if not node.interrupting:
        b.transition(f"t:{node.id}", None, [entry], [b.place(f"fired:{host.id}"), *outs])
        return
    sources = [entry] + ([f"fired:{host.id}"] if host.id in b.fired else [])
    sources += [b.place_of[fid] for fid in b.graph.inner.get(host.id, [])]
    for k, p in enumerate(sources):
        b.transition(f"t:{node.id}:{k}", None, [b.place(p)], outs)


def _subsets(items: list[str]) -> list[tuple[str, ...]]:
    """Every non-empty subset, smallest first."""
    return [c for size in range(1, len(items) + 1) for c in combinations(items, size)]


_HANDLERS = {
    "task": _activity,
    "pass": _activity,
    "start": _start,
    "end": _end,
    "side_end": _end,
    "xor": _xor,
    "and": _and,
    "or": _or,
    "boundary": _boundary,
}
