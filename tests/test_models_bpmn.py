"""BPMN 2.0 import: real modeler files, the sample to-be model, hostile XML, constructs and ISO durations."""

from __future__ import annotations

import gzip
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from baton.errors import MalformedSourceError, ModelError, SourceNotFoundError, UnsafeSourceError
from baton.models.bpmn import read_bpmn
from baton.models.durations import is_calendar_duration, parse_cycle, parse_duration
from baton.models.types import TargetModel

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def doc(body: str, *, prefix: str = "", extra: str = "") -> str:
    """A minimal BPMN document around ``body`` (elements written with ``prefix``, e.g. ``bpmn:``)."""
    ns = f'xmlns:{prefix[:-1]}="{BPMN_NS}"' if prefix else f'xmlns="{BPMN_NS}"'
    return f'<?xml version="1.0"?>\n<{prefix}definitions {ns} {extra} id="d">{body}</{prefix}definitions>'


def process(*elements: str, flows: str = "", pid: str = "p", name: str = "") -> str:
    """A ``<process>`` with the given elements and ``a>b`` flow shorthand (space separated)."""
    seq = "".join(
        f'<sequenceFlow id="f{i}" sourceRef="{s}" targetRef="{t}"/>'
        for i, (s, t) in enumerate(pair.split(">") for pair in flows.split())
    )
    label = f' name="{name}"' if name else ""
    return f'<process id="{pid}"{label}>{"".join(elements)}{seq}</process>'


def write(tmp_path: Path, text: str, name: str = "m.bpmn") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def labels(model: TargetModel) -> set[str]:
    return set(model.net.labels)


# ---- real files in ../shared/data/models -------------------------------------------------------------


def test_running_example_edges_match_hand_trace(shared_data: Path) -> None:
    """running-example.bpmn: XOR loop around an AND block gives exactly the 16 hand-traced pairs."""
    m = read_bpmn(shared_data / "models" / "running-example.bpmn")
    reg, cas, tho, tic = "register request", "examine casually", "examine thoroughly", "check ticket"
    dec, rei, pay, rej = "decide", "reinitiate request", "pay compensation", "reject request"
    assert {t.name for t in m.tasks} == {reg, cas, tho, tic, dec, rei, pay, rej}
    assert {(t.kind, t.owner, t.lane) for t in m.tasks} == {("task", "unknown", None)}
    assert m.edges == {
        (reg, cas), (reg, tho), (reg, tic), (tic, cas), (tic, tho), (tic, dec), (cas, tic), (cas, dec),
        (tho, tic), (tho, dec), (dec, rei), (dec, pay), (dec, rej), (rei, cas), (rei, tho), (rei, tic),
    }  # fmt: skip
    assert m.start_activities == {reg} and m.end_activities == {pay, rej}
    assert m.notes == () and m.net.final_marking == (("end", 1),)


def test_simple_parallel_and_ch7(shared_data: Path) -> None:
    """Signavio exports: a 3-way AND block then XOR, and an AND block feeding an assessment loop."""
    m = read_bpmn(shared_data / "models" / "SimpleParallel.bpmn")
    par = {(a, b) for a, b in itertools.permutations("ABC", 2)}
    assert m.edges == par | {("A", "D"), ("B", "D"), ("C", "D"), ("D", "E"), ("D", "F")}
    assert m.start_activities == {"A", "B", "C"} and m.end_activities == {"E", "F"}
    m = read_bpmn(shared_data / "models" / "ch7_CreditAppSimulation.bpmn")
    hist, inc, ass = "Check credit history", "Check income sources", "Assess application"
    offer, notify, feedback = "Make credit offer", "Notify rejection", "Receive customer feedback"
    assert m.edges == {
        (hist, inc), (inc, hist), (hist, ass), (inc, ass), (ass, offer), (ass, notify), (notify, feedback),
        (feedback, ass),
    }  # fmt: skip
    assert m.end_activities == {offer, feedback}


def test_subprocess_with_cancel_boundary(shared_data: Path) -> None:
    """Subprocess1.bpmn: the subprocess is flattened and its cancel end event leads to the boundary path."""
    m = read_bpmn(shared_data / "models" / "Subprocess1.bpmn")
    assert {t.name for t in m.tasks} == {"A", "B", "C", "D", "G"}
    assert m.edges == {("A", "B"), ("B", "C"), ("C", "D"), ("B", "G")}
    assert m.start_activities == {"A"} and m.end_activities == {"D", "G"}
    kinds = {(n.element_id, n.element_type) for n in m.notes}
    assert kinds == {
        ("sid-35F3ABE9-A169-4907-803C-F58E723E538A", "boundaryEvent"),
        ("sid-C3D6723B-94AE-48A7-AFA1-170A9057D764", "endEvent"),
    }


def test_receipt_and_purchasing_labels_are_log_activities(shared_data: Path) -> None:
    """receipt.bpmn and PurchasingExample.bpmn import; every visible label is an activity of their log."""
    for model, log in (("receipt", "receipt"), ("PurchasingExample", "PurchasingExample")):
        m = read_bpmn(shared_data / "models" / f"{model}.bpmn")
        activities = _xes_activities(shared_data / "logs" / f"{log}.xes.gz")
        assert labels(m) and labels(m) <= activities, (model, labels(m) - activities)
    assert len(labels(read_bpmn(shared_data / "models" / "receipt.bpmn"))) == 27
    m = read_bpmn(shared_data / "models" / "PurchasingExample.bpmn")
    assert len(labels(m)) == 21 and m.start_activities == {"Create Purchase Requisition"}
    assert sorted(n.message.split("'")[1] for n in m.notes) == ["End", "Start"]  # artificial markers


def _xes_activities(path: Path) -> set[str]:
    """concept:name of every event in a gzipped XES file (lxml iterparse, no pm4py)."""
    names: set[str] = set()
    with gzip.open(path, "rb") as fh:
        for _, event in etree.iterparse(fh, events=("end",), tag="{*}event", resolve_entities=False):
            names.update(c.get("value") for c in event if c.get("key") == "concept:name")
            event.clear()
    return names


def test_miwg_b10_call_activities_lanes_and_parallel_ends(shared_data: Path) -> None:
    """MIWG B.1.0: the Pool process, called processes inlined, a global task kept, two ends in parallel."""
    m = read_bpmn(shared_data / "models" / "miwg" / "B.1.0.bpmn")
    assert m.name == "Pool"
    assert {(t.name, t.kind, t.owner, t.lane) for t in m.tasks} == {
        ("Call Activity Calling a Global Task", "call_activity", "unknown", "Lane 1"),
        ("Abstract Task 8", "task", "unknown", "Lane 1"),  # inlined from WFP-0- (Call Activity Collapsed)
        ("Abstract Task 4", "task", "unknown", "Lane 1"),  # inlined from Process_ba16... (Expanded)
        ("Collapsed Sub-Process", "task", "unknown", "Lane 2"),
        ("User Task 5", "user", "human", "Lane 2"),
        ("Abstract Task 6", "task", "unknown", "Lane 2"),  # inside the expanded subprocess
        ("Service Task 7", "service", "system", "Lane 2"),
    }
    first = {"Abstract Task 8", "Abstract Task 4", "Call Activity Calling a Global Task"}
    second = {"User Task 5", "Collapsed Sub-Process", "Abstract Task 6", "Service Task 7"}
    inside = {("Abstract Task 8", "Abstract Task 4"), ("User Task 5", "Collapsed Sub-Process")}
    inside |= {("Collapsed Sub-Process", "Abstract Task 6"), ("User Task 5", "Service Task 7")}
    cross = set(itertools.product(first, second)) | set(itertools.product(second, first))
    assert m.edges == inside | cross
    assert m.net.final_marking == (("end", 2),)  # the parallel branches end in two end events
    types = {n.element_type for n in m.notes}
    assert {"process", "callActivity", "subProcess", "endEvent"} <= types


def test_miwg_c10_picks_largest_pool_and_reads_lanes(shared_data: Path) -> None:
    """MIWG C.1.0: the 5-task engine pool is read (multi-line names normalised); process= picks the other."""
    path = shared_data / "models" / "miwg" / "C.1.0.bpmn"
    m = read_bpmn(path)
    assert {(t.name, t.kind, t.lane) for t in m.tasks} == {
        ("Approve Invoice", "user", "Approver"),
        ("Assign Approver", "user", "Team Assistant"),
        ("Rechnung klären", "user", "Team Assistant"),
        ("Prepare Bank Transfer", "user", "Accountant"),
        ("Archive Invoice", "service", "Accountant"),
    }
    assert m.owner_of("Archive Invoice") == "system" and m.owner_of("Approve Invoice") == "human"
    approve = "Approve Invoice"
    assert m.edges == {
        ("Assign Approver", approve), (approve, "Prepare Bank Transfer"), (approve, "Rechnung klären"),
        ("Prepare Bank Transfer", "Archive Invoice"), ("Rechnung klären", approve),
    }  # fmt: skip
    assert [n.element_id for n in m.notes] == ["sid-5FBB6CB3-8A7C-42B5-9024-15BB2684EC57"]
    other = read_bpmn(path, process="Team-Assistant")
    assert labels(other) == {
        "Scan Invoice",
        "Archive original",
        "Assign approver",
        "Review and document result",
    }
    assert {n.element_type for n in other.notes} >= {"eventBasedGateway", "intermediateCatchEvent"}
    with pytest.raises(ModelError, match="C.1.0.bpmn: no process with id or name 'Nope'"):
        read_bpmn(path, process="Nope")


def test_miwg_c20_subprocess_error_boundary(shared_data: Path) -> None:
    """MIWG C.2.0: Customer pool; the checkout subprocess's error end leads to its error boundary event."""
    m = read_bpmn(shared_data / "models" / "miwg" / "C.2.0.bpmn")
    browse, add, pay, receive = "Browse Products on Amazon", "Add Item to Cart", "Pay Order", "Receive items"
    assert m.name == "Customer"
    assert m.edges == {(browse, add), (add, browse), (add, pay), (pay, pay), (pay, receive)}
    assert m.start_activities == {browse} and m.end_activities == {pay, receive}
    assert sum(n.element_type == "process" for n in m.notes) == 3


def test_miwg_c30_timer_boundary_is_an_sla(shared_data: Path) -> None:
    """MIWG C.3.0: the 2-hour interrupting timer on premium repair escalates to emergency repair."""
    m = read_bpmn(shared_data / "models" / "miwg" / "C.3.0.bpmn")
    (timer,) = m.timers
    assert timer.task == "Perform repair (premium level)" and timer.duration == timedelta(hours=2)
    assert timer.interrupting and timer.escalation == ("Perform emergency repair",)
    assert timer.source == "Bpmn_BoundaryEvent_sS9gABqGEeWDuOtG0oS24A" and timer.until == "complete"
    analyse = "Analyse customer request"
    assert m.edges == {
        (analyse, "Replace fridge"), (analyse, "Perform emergency repair"),
        (analyse, "Perform repair (standard level)"), (analyse, "Perform repair (premium level)"),
        ("Perform emergency repair", "Replace fridge"),
    }  # fmt: skip
    assert {n.element_type for n in m.notes} == {"subProcess", "boundaryEvent"}


# ---- the sample to-be model ------------------------------------------------------------------------


def test_sample_model_lanes_owners_timer_and_trace(sample_logs: Path) -> None:
    """loans_target.bpmn: 3 lanes, owners, one pick-up SLA timer and a conforming AFTER trace's pairs."""
    m = read_bpmn(sample_logs / "loans_target.bpmn")
    assert len({t.lane for t in m.tasks}) == 3
    assert {t.name for t in m.tasks if t.owner == "human"} == {
        "Correct Data Entry Error", "Review Documents", "Underwrite Application", "Manager Approval",
    }  # fmt: skip
    assert len(m.tasks) == 16 and all(t.owner == "system" for t in m.tasks if t.kind == "service")
    (timer,) = m.timers
    assert (timer.task, timer.duration, timer.until, timer.start_after) == (
        "Underwrite Application", timedelta(days=2), "start", "Run Credit Check",
    )  # fmt: skip
    assert timer.escalation == ("Escalate to Team Lead",) and not timer.interrupting
    trace = [
        "Receive Application", "Run KYC Check", "Correct Data Entry Error", "Run KYC Check",
        "Run Fraud Screening", "Check Documents", "Request Missing Documents", "Receive Documents",
        "Check Documents", "Review Documents", "Run Credit Check", "Escalate to Team Lead",
        "Underwrite Application", "Manager Approval", "Prepare Contract", "Disburse Loan",
    ]  # fmt: skip
    assert set(itertools.pairwise(trace)) <= m.edges
    assert trace[0] in m.start_activities and trace[-1] in m.end_activities
    assert ("Run Fraud Screening", "Run KYC Check") not in m.edges  # the injected wrong order
    assert ("Receive Application", "Run Fraud Screening") not in m.edges  # the injected skip
    assert m.net.final_marking == (("end", 1),) and m.notes == ()


# ---- hostile and broken files ----------------------------------------------------------------------

MINIMAL = process('<startEvent id="s"/><task id="a" name="A"/><endEvent id="e"/>', flows="s>a a>e")


@pytest.mark.parametrize(
    "prolog",
    [
        "<!DOCTYPE definitions [<!ELEMENT definitions ANY>]>",
        '<!DOCTYPE definitions [<!ENTITY x "boom">]>',
        '<!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_dtd_and_entities_are_refused(tmp_path: Path, prolog: str) -> None:
    """A BPMN file with a DTD, an internal or an external entity is refused before parsing."""
    text = doc(MINIMAL).replace("\n", f"\n{prolog}\n", 1)
    with pytest.raises(UnsafeSourceError, match="m.bpmn"):
        read_bpmn(write(tmp_path, text))


def test_truncated_missing_and_not_bpmn(tmp_path: Path) -> None:
    """Truncated XML, a missing file and a non-BPMN root give errors that name the file."""
    with pytest.raises(MalformedSourceError, match="cut.bpmn"):
        read_bpmn(write(tmp_path, doc(MINIMAL)[:150], "cut.bpmn"))
    with pytest.raises(SourceNotFoundError):
        read_bpmn(tmp_path / "missing.bpmn")
    with pytest.raises(ModelError, match="other.bpmn: root element"):
        read_bpmn(write(tmp_path, "<root/>", "other.bpmn"))
    with pytest.raises(ModelError, match="no <process>"):
        read_bpmn(write(tmp_path, doc(""), "empty.bpmn"))


def test_flow_to_unknown_element_names_flow_and_file(tmp_path: Path) -> None:
    """A sequence flow pointing to a missing id raises ModelError naming the flow and the file."""
    text = doc(process('<startEvent id="s"/><task id="a" name="A"/>', flows="s>a a>ghost"))
    with pytest.raises(ModelError, match=r"bad.bpmn: sequenceFlow 'f1' has targetRef 'ghost'"):
        read_bpmn(write(tmp_path, text, "bad.bpmn"))


# ---- constructs on small hand-written models ---------------------------------------------------------


def test_prefixed_namespace_kinds_and_names(tmp_path: Path) -> None:
    """bpmn2: prefix, task kinds to owners, names with line breaks, a nameless task falls back to its id."""
    body = (
        '<bpmn2:process id="p"><bpmn2:startEvent id="s"/>'
        '<bpmn2:userTask id="u" name="Check&#10;  order"/><bpmn2:scriptTask id="x" name="Score"/>'
        '<bpmn2:manualTask id="m"/><bpmn2:endEvent id="e"/>'
        '<bpmn2:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>'
        '<bpmn2:sequenceFlow id="f2" sourceRef="u" targetRef="x"/>'
        '<bpmn2:sequenceFlow id="f3" sourceRef="x" targetRef="m"/>'
        '<bpmn2:sequenceFlow id="f4" sourceRef="m" targetRef="e"/></bpmn2:process>'
    )
    m = read_bpmn(write(tmp_path, doc(body, prefix="bpmn2:")))
    assert [(t.name, t.kind, t.owner) for t in m.tasks] == [
        ("Check order", "user", "human"), ("Score", "script", "system"), ("m", "manual", "human"),
    ]  # fmt: skip
    assert m.edges == {("Check order", "Score"), ("Score", "m")}
    assert [n.element_id for n in m.notes] == ["m"]


def test_inclusive_gateway_subsets_and_or_join_note(tmp_path: Path) -> None:
    """An OR split allows every non-empty subset of branches; the approximated OR-join is noted.

    The join may fire for one branch while the other is still running (then Z runs twice): the extra
    pairs (Z, A), (Z, B), (Z, Z) are the documented price of the approximation.
    """
    elements = '<startEvent id="s"/><inclusiveGateway id="g1"/><task id="a" name="A"/><task id="b" name="B"/>'
    elements += '<inclusiveGateway id="g2"/><task id="z" name="Z"/><endEvent id="e"/>'
    flows = "s>g1 g1>a g1>b a>g2 b>g2 g2>z z>e"
    m = read_bpmn(write(tmp_path, doc(process(elements, flows=flows))))
    assert m.start_activities == {"A", "B"}
    exact = {("A", "B"), ("B", "A"), ("A", "Z"), ("B", "Z")}
    assert m.edges == exact | {("Z", "A"), ("Z", "B"), ("Z", "Z")}
    assert [n.element_id for n in m.notes] == ["g2"] and "approximated" in m.notes[0].message


def test_non_interrupting_timer_side_branch_and_baton_attributes(tmp_path: Path) -> None:
    """A non-interrupting timer runs its branch alongside; its end event does not break the final marking."""
    elements = (
        '<startEvent id="s"/><task id="a" name="A"/><userTask id="b" name="B"/><task id="c" name="C"/>'
        '<boundaryEvent id="t" attachedToRef="b" cancelActivity="false" baton:slaUntil="start" '
        'baton:slaStartAfter="A"><timerEventDefinition><timeCycle>R3/PT4H</timeCycle></timerEventDefinition>'
        '</boundaryEvent><exclusiveGateway id="g"/><sendTask id="x" name="Remind"/>'
        '<endEvent id="e"/><endEvent id="e2"/>'
    )
    text = doc(
        process(elements, flows="s>a a>b b>c c>e t>g g>x x>e2"), extra='xmlns:baton="https://baton.dev/bpmn"'
    )
    m = read_bpmn(write(tmp_path, text))
    (timer,) = m.timers
    assert (timer.duration, timer.cycle, timer.until, timer.start_after) == (
        timedelta(hours=4), "R3/PT4H", "start", "A",
    )  # fmt: skip
    assert timer.escalation == ("Remind",) and not timer.interrupting
    assert m.net.final_marking == (("end", 1),)
    assert m.edges == {("A", "B"), ("B", "C"), ("A", "Remind"), ("Remind", "B"), ("B", "Remind"),
                       ("Remind", "C"), ("C", "Remind")}  # fmt: skip
    assert m.end_activities == {"C", "Remind"}
    bad = text.replace('slaStartAfter="A"', 'slaStartAfter="Nope"')
    with pytest.raises(ModelError, match=r"baton:slaStartAfter='Nope' names no task"):
        read_bpmn(write(tmp_path, bad))


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("<timeDate>2025-01-01T00:00:00Z</timeDate>", "absolute date"),
        ("<timeDuration>P1M</timeDuration>", "years/months"),
        ("<timeDuration>${sla}</timeDuration>", "cannot be checked"),
        ("<timeCycle>0 0 9 * * ?</timeCycle>", "cannot be checked"),
    ],
)
def test_unusable_timers_become_notes(tmp_path: Path, definition: str, message: str) -> None:
    """Absolute dates, calendar durations, expressions and cron cycles give a note, not a timer."""
    elements = (
        '<startEvent id="s"/><task id="a" name="A"/><task id="b" name="B"/><endEvent id="e"/>'
        f'<boundaryEvent id="t" attachedToRef="a"><timerEventDefinition>{definition}</timerEventDefinition>'
        "</boundaryEvent>"
    )
    m = read_bpmn(write(tmp_path, doc(process(elements, flows="s>a a>e t>b b>e"))))
    assert m.timers == ()
    assert [n.element_id for n in m.notes] == ["t"] and message in m.notes[0].message
    assert m.edges == set() and m.end_activities == {"A", "B"}  # interrupting: B replaces A


def test_call_activity_inlined_and_multi_instance_loop(tmp_path: Path) -> None:
    """A call to a process in the file is inlined; a multi-instance task may repeat (noted)."""
    main = process(
        '<startEvent id="s"/><callActivity id="c" name="Call" calledElement="sub"/>'
        '<task id="m" name="M"><multiInstanceLoopCharacteristics/></task><endEvent id="e"/>',
        flows="s>c c>m m>e",
        pid="main",
        name="Main",
    )
    sub = process('<startEvent id="s"/><task id="x" name="X"/><endEvent id="e"/>', flows="s>x x>e", pid="sub")
    m = read_bpmn(write(tmp_path, doc(main + sub)), process="main")
    assert m.name == "Main" and labels(m) == {"X", "M"}
    assert m.edges == {("X", "M"), ("M", "M")}
    assert [t.multi_instance for t in m.tasks if t.name == "M"] == [True]


def test_nested_lanes_and_adhoc_subprocess(tmp_path: Path) -> None:
    """Nested lanes give the innermost lane name; an ad-hoc subprocess allows any order and repetition."""
    lanes = (
        '<laneSet id="ls"><lane id="outer" name="Outer"><flowNodeRef>s</flowNodeRef><childLaneSet id="c">'
        '<lane id="inner" name="Inner"><flowNodeRef>h</flowNodeRef></lane></childLaneSet></lane></laneSet>'
    )
    elements = (
        lanes + '<startEvent id="s"/><adHocSubProcess id="h" name="Work"><task id="a" name="A"/>'
        '<task id="b" name="B"/></adHocSubProcess><endEvent id="e"/>'
    )
    m = read_bpmn(write(tmp_path, doc(process(elements, flows="s>h h>e"))))
    assert {t.lane for t in m.tasks} == {"Inner"}
    assert m.edges == {("A", "A"), ("A", "B"), ("B", "A"), ("B", "B")}
    assert [n.element_type for n in m.notes] == ["adHocSubProcess"]


# ---- hypothesis: random block-structured models ------------------------------------------------------

Tree = tuple  # ("task", name) | (operator, [children]) with operator seq / xor / and


def trees(counter: itertools.count) -> st.SearchStrategy[Tree]:
    """Random process trees over sequence, exclusive and parallel blocks, with unique task names."""
    leaf = st.builds(lambda: ("task", f"T{next(counter)}"))
    return st.recursive(
        leaf,
        lambda kids: st.tuples(
            st.sampled_from(["seq", "xor", "and"]), st.lists(kids, min_size=2, max_size=3)
        ),
        max_leaves=7,
    )


def render(tree: Tree, out: list[str], ids: itertools.count) -> tuple[str, str]:
    """Append the tree's BPMN elements and flows to ``out``; return its (entry, exit) element ids."""
    if tree[0] == "task":
        out.append(f'<task id="{tree[1]}" name="{tree[1]}"/>')
        return tree[1], tree[1]
    parts = [render(child, out, ids) for child in tree[1]]
    if tree[0] == "seq":
        for (_, a), (b, _) in itertools.pairwise(parts):
            out.append(f'<sequenceFlow id="f{next(ids)}" sourceRef="{a}" targetRef="{b}"/>')
        return parts[0][0], parts[-1][1]
    kind = "exclusiveGateway" if tree[0] == "xor" else "parallelGateway"
    split, join = f"g{next(ids)}", f"g{next(ids)}"
    out += [f'<{kind} id="{split}"/>', f'<{kind} id="{join}"/>']
    for entry, exit_ in parts:
        out.append(f'<sequenceFlow id="f{next(ids)}" sourceRef="{split}" targetRef="{entry}"/>')
        out.append(f'<sequenceFlow id="f{next(ids)}" sourceRef="{exit_}" targetRef="{join}"/>')
    return split, join


def expected(tree: Tree) -> tuple[set[str], set[str], set[tuple[str, str]], set[str]]:
    """Hand rules for a process tree: first labels, last labels, directly-follows pairs, all labels."""
    if tree[0] == "task":
        return {tree[1]}, {tree[1]}, set(), {tree[1]}
    parts = [expected(child) for child in tree[1]]
    alphabet = set().union(*(p[3] for p in parts))
    edges = set().union(*(p[2] for p in parts))
    if tree[0] == "seq":
        edges |= {e for a, b in itertools.pairwise(parts) for e in itertools.product(a[1], b[0])}
        return parts[0][0], parts[-1][1], edges, alphabet
    if tree[0] == "and":
        edges |= {e for a, b in itertools.permutations(parts, 2) for e in itertools.product(a[3], b[3])}
    return set().union(*(p[0] for p in parts)), set().union(*(p[1] for p in parts)), edges, alphabet


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_block_structured_models_footprint(tmp_path: Path, data: st.DataObject) -> None:
    """Random sequence/XOR/AND nestings: starts, ends and edges equal the process-tree rules."""
    tree = data.draw(trees(itertools.count()))
    out: list[str] = ['<startEvent id="s"/>', '<endEvent id="e"/>']
    entry, exit_ = render(tree, out, itertools.count())
    out += [f'<sequenceFlow id="fs" sourceRef="s" targetRef="{entry}"/>']
    out += [f'<sequenceFlow id="fe" sourceRef="{exit_}" targetRef="e"/>']
    m = read_bpmn(write(tmp_path, doc(f'<process id="p">{"".join(out)}</process>')))
    first, last, edges, alphabet = expected(tree)
    assert m.start_activities and m.end_activities
    assert {x for pair in m.edges for x in pair} <= {t.name for t in m.tasks} == alphabet
    assert (m.start_activities, m.end_activities, m.edges) == (first, last, edges)


# ---- ISO 8601 durations ------------------------------------------------------------------------------


def test_iso_durations() -> None:
    """Weeks, days, times and fractional seconds parse; years/months, junk and empty P/PT are refused."""
    assert parse_duration("P2D", where="x") == timedelta(days=2)
    assert parse_duration("P1W", where="x") == timedelta(weeks=1)
    assert parse_duration("PT1H30M", where="x") == timedelta(hours=1, minutes=30)
    assert parse_duration("P1DT0.5S", where="x") == timedelta(days=1, milliseconds=500)
    assert parse_duration(" pt2,5s ", where="x") == timedelta(seconds=2.5)
    assert parse_cycle("R/PT10M", where="x") == timedelta(minutes=10)
    assert is_calendar_duration("P1Y2D") and not is_calendar_duration("P2D")
    for bad in ("P1M", "2 days", "P", "PT", "P1H", "-P1D"):
        with pytest.raises(ModelError, match="where:"):
            parse_duration(bad, where="where")
    with pytest.raises(ModelError, match="R\\[n\\]"):
        parse_cycle("R3/2025-01-01T00:00:00Z/P1D", where="x")
