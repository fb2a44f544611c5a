"""The to-be BPMN 2.0 model of the orchestrated loan process, with lanes, a P2D timer and a diagram."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

SLA_DURATION = "P2D"
#: the SLA clock starts when this task completes and stops when underwriting STARTS (baton:slaUntil)
SLA_START_AFTER = "Run Credit Check"
#: lane id -> (name, top y, height); lanes are stacked top to bottom inside one pool
LANES = {
    "lane_credit": ("Credit risk (underwriters, manager)", 0, 180),
    "lane_system": ("Automation (system accounts)", 180, 470),
    "lane_ops": ("Operations (clerks)", 650, 180),
}
ROW_Y = {("lane_system", r): 180 + 180 + 110 * r for r in (-1, 0, 1, 2)}
ROW_Y |= {("lane_credit", 0): 90, ("lane_ops", 0): 740}
SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "serviceTask": (100, 80),
    "userTask": (100, 80),
    "boundaryEvent": (36, 36),
}
S, U, G, E = "serviceTask", "userTask", "exclusiveGateway", "endEvent"
#: id -> (element, name, lane, column, row)
NODES: dict[str, tuple[str, str, str, int, int]] = {
    "start": ("startEvent", "Application submitted", "lane_system", 0, 0),
    "t_receive": (S, "Receive Application", "lane_system", 1, 0),
    "g_kyc": (G, "", "lane_system", 2, 0),
    "t_kyc": (S, "Run KYC Check", "lane_system", 3, 0),
    "g_valid": (G, "Identity data match?", "lane_system", 4, 0),
    "t_correct": (U, "Correct Data Entry Error", "lane_ops", 4, 0),
    "t_fraud": (S, "Run Fraud Screening", "lane_system", 5, 0),
    "g_check": (G, "", "lane_system", 6, 0),
    "t_check": (S, "Check Documents", "lane_system", 7, 0),
    "g_docs": (G, "Documents?", "lane_system", 8, 0),
    "t_review": (U, "Review Documents", "lane_ops", 9, 0),
    "g_review": (G, "Complete?", "lane_ops", 10, 0),
    "g_request": (G, "", "lane_system", 11, 0),
    "t_request": (S, "Request Missing Documents", "lane_system", 12, 0),
    "g_customer": (G, "Customer responds?", "lane_system", 13, 0),
    "t_receive_docs": (S, "Receive Documents", "lane_system", 14, 0),
    "g_docs_ok": (G, "", "lane_system", 15, 0),
    "t_credit": (S, "Run Credit Check", "lane_system", 16, 0),
    "g_credit": (G, "Credit decision?", "lane_system", 17, 0),
    "t_underwrite": (U, "Underwrite Application", "lane_credit", 18, 0),
    "t_escalate": (S, "Escalate to Team Lead", "lane_system", 18, -1),
    "end_escalated": (E, "Team lead notified", "lane_system", 19, -1),
    "g_underwrite": (G, "Underwriting decision?", "lane_credit", 20, 0),
    "t_manager": (U, "Manager Approval", "lane_credit", 21, 0),
    "g_manager": (G, "Approved?", "lane_credit", 22, 0),
    "g_contract": (G, "", "lane_system", 23, 0),
    "t_prepare": (S, "Prepare Contract", "lane_system", 24, 0),
    "g_sign": (G, "Customer signs?", "lane_system", 25, 0),
    "t_disburse": (S, "Disburse Loan", "lane_system", 26, 0),
    "end_disbursed": (E, "Loan disbursed", "lane_system", 27, 0),
    "g_cancel": (G, "", "lane_system", 26, 1),
    "t_cancel": (S, "Cancel Application", "lane_system", 27, 1),
    "end_cancelled": (E, "Application cancelled", "lane_system", 28, 1),
    "g_reject": (G, "", "lane_system", 23, 2),
    "t_reject": (S, "Reject Application", "lane_system", 24, 2),
    "end_rejected": (E, "Application rejected", "lane_system", 25, 2),
}
#: (source, target, label, route); routes: "" straight/auto, "vh", "hv", "back", "over"
FLOWS: list[tuple[str, str, str, str]] = [
    ("start", "t_receive", "", ""),
    ("t_receive", "g_kyc", "", ""),
    ("g_kyc", "t_kyc", "", ""),
    ("t_kyc", "g_valid", "", ""),
    ("g_valid", "t_fraud", "match", ""),
    ("g_valid", "t_correct", "mismatch", ""),
    ("t_correct", "g_kyc", "", "back"),
    ("t_fraud", "g_check", "", ""),
    ("g_check", "t_check", "", ""),
    ("t_check", "g_docs", "", ""),
    ("g_docs", "g_request", "missing", ""),
    ("g_docs", "t_review", "unclear", "vh"),
    ("g_docs", "g_docs_ok", "complete", "over"),
    ("t_review", "g_review", "", ""),
    ("g_review", "g_request", "missing", "hv"),
    ("g_review", "g_docs_ok", "complete", "hv"),
    ("g_request", "t_request", "", ""),
    ("t_request", "g_customer", "", ""),
    ("g_customer", "t_receive_docs", "documents received", ""),
    ("g_customer", "g_cancel", "no reply", "vh"),
    ("t_receive_docs", "g_check", "", "over"),
    ("g_docs_ok", "t_credit", "", ""),
    ("t_credit", "g_credit", "", ""),
    ("g_credit", "t_underwrite", "needs underwriting", "vh"),
    ("g_credit", "g_contract", "auto-approve", ""),
    ("g_credit", "g_reject", "band D", "vh"),
    ("t_underwrite", "g_underwrite", "", ""),
    ("timer_sla", "t_escalate", "", ""),
    ("t_escalate", "end_escalated", "", ""),
    ("g_underwrite", "g_contract", "approve", "vh"),
    ("g_underwrite", "t_manager", "refer", ""),
    ("g_underwrite", "g_reject", "reject", "vh"),
    ("t_manager", "g_manager", "", ""),
    ("g_manager", "g_contract", "approve", "vh"),
    ("g_manager", "g_reject", "reject", "vh"),
    ("g_contract", "t_prepare", "", ""),
    ("t_prepare", "g_sign", "", ""),
    ("g_sign", "t_disburse", "signed", ""),
    ("g_sign", "g_cancel", "withdrew", "vh"),
    ("t_disburse", "end_disbursed", "", ""),
    ("g_cancel", "t_cancel", "", ""),
    ("t_cancel", "end_cancelled", "", ""),
    ("g_reject", "t_reject", "", ""),
    ("t_reject", "end_rejected", "", ""),
]
TIMER_FLOW = next(i for i, flow in enumerate(FLOWS) if flow[0] == "timer_sla")
NS = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:baton="https://baton.dev/bpmn"'
)


def _box(node: str) -> tuple[float, float, float, float]:
    """(x, y, width, height) of a node's shape."""
    if node == "timer_sla":
        x, y, w, h = _box("t_underwrite")
        return x + w / 2 - 18, y + h - 18, 36, 36
    kind, _, lane, col, row = NODES[node]
    w, h = SIZES[kind]
    return 110 + 120 * col - w / 2, ROW_Y[(lane, row)] - h / 2, w, h


def _waypoints(src: str, dst: str, route: str) -> list[tuple[float, float]]:
    """Orthogonal waypoints of one sequence flow."""
    sx, sy, sw, sh = _box(src)
    tx, ty, tw, th = _box(dst)
    scx, scy, tcx, tcy = sx + sw / 2, sy + sh / 2, tx + tw / 2, ty + th / 2
    s_edge_v = sy if tcy < scy else sy + sh  # leave through the top or bottom, toward the target
    t_edge_v = ty + th if tcy < scy else ty
    if route == "vh":
        return [(scx, s_edge_v), (scx, tcy), (tx, tcy)]
    if route == "hv":
        return [(sx + sw, scy), (tcx, scy), (tcx, t_edge_v)]
    if route == "back":
        return [(sx, scy), (tcx, scy), (tcx, t_edge_v)]
    if route == "over":
        channel = min(sy, ty) - (40 if dst == "g_check" else 70)
        return [(scx, sy), (scx, channel), (tcx, channel), (tcx, ty)]
    if abs(scx - tcx) < 1:
        return [(scx, s_edge_v), (tcx, t_edge_v)]
    return [(sx + sw, scy), (tx, tcy)]


def _process_xml() -> list[str]:
    """The semantic part: lanes, flow nodes, the timer boundary event and sequence flows."""
    out = [
        '  <process id="loan_process" name="Consumer loan (orchestrated)" isExecutable="false">',
        '    <laneSet id="lanes">',
    ]
    for lane, (name, _, _) in LANES.items():
        refs = [n for n, spec in NODES.items() if spec[2] == lane] + (
            ["timer_sla"] if lane == "lane_credit" else []
        )
        out.append(f'      <lane id="{lane}" name={quoteattr(name)}>')
        out += [f"        <flowNodeRef>{ref}</flowNodeRef>" for ref in refs]
        out.append("      </lane>")
    out.append("    </laneSet>")
    for node, (kind, name, *_) in NODES.items():
        ins = [f"      <incoming>f_{i}</incoming>" for i, f in enumerate(FLOWS) if f[1] == node]
        outs = [f"      <outgoing>f_{i}</outgoing>" for i, f in enumerate(FLOWS) if f[0] == node]
        out += [f'    <{kind} id="{node}" name={quoteattr(name)}>', *ins, *outs, f"    </{kind}>"]
    out += [
        '    <boundaryEvent id="timer_sla" name="Underwriting SLA (P2D)" attachedToRef="t_underwrite" '
        f'cancelActivity="false" baton:slaUntil="start" baton:slaStartAfter={quoteattr(SLA_START_AFTER)}>',
        f"      <outgoing>f_{TIMER_FLOW}</outgoing>",
        f'      <timerEventDefinition id="timer_sla_def"><timeDuration xsi:type="tFormalExpression">'
        f"{SLA_DURATION}</timeDuration></timerEventDefinition>",
        "    </boundaryEvent>",
    ]
    for i, (src, dst, label, _) in enumerate(FLOWS):
        name = f" name={quoteattr(label)}" if label else ""
        out.append(f'    <sequenceFlow id="f_{i}" sourceRef="{src}" targetRef="{dst}"{name}/>')
    out.append("  </process>")
    return out


def _diagram_xml() -> list[str]:
    """The bpmndi part: pool, lane, node shapes and edge waypoints."""
    width = 110 + 120 * 29
    out = [
        '  <bpmndi:BPMNDiagram id="diagram">',
        '    <bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">',
        '      <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">',
        f'        <dc:Bounds x="0" y="0" width="{width}" height="830"/>',
        "      </bpmndi:BPMNShape>",
    ]
    for lane, (_, top, height) in LANES.items():
        out += [
            f'      <bpmndi:BPMNShape id="{lane}_di" bpmnElement="{lane}" isHorizontal="true">',
            f'        <dc:Bounds x="30" y="{top}" width="{width - 30}" height="{height}"/>',
            "      </bpmndi:BPMNShape>",
        ]
    for node in [*NODES, "timer_sla"]:
        x, y, w, h = _box(node)
        marker = ' isMarkerVisible="true"' if node in NODES and NODES[node][0] == G else ""
        out += [
            f'      <bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}"{marker}>',
            f'        <dc:Bounds x="{x:g}" y="{y:g}" width="{w}" height="{h}"/>',
            "      </bpmndi:BPMNShape>",
        ]
    for i, (src, dst, _, route) in enumerate(FLOWS):
        out.append(f'      <bpmndi:BPMNEdge id="f_{i}_di" bpmnElement="f_{i}">')
        out += [f'        <di:waypoint x="{x:g}" y="{y:g}"/>' for x, y in _waypoints(src, dst, route)]
        out.append("      </bpmndi:BPMNEdge>")
    return [*out, "    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]


def task_names() -> set[str]:
    """Names of the model's tasks (service and user tasks)."""
    return {spec[1] for spec in NODES.values() if spec[0] in (S, U)}


def write_bpmn(path: Path, log_activities: set[str]) -> None:
    """Write the model; fail if its task names differ from the AFTER log's activities."""
    if task_names() != log_activities:
        raise ValueError(
            f"{path}: BPMN tasks and AFTER activities differ: "
            f"{sorted(task_names() ^ log_activities)}; align loan_flows.py and bpmn_target.py"
        )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<definitions {NS} id="loans_target" targetNamespace="https://baton.example/loans" '
        'exporter="baton sample_logs/generate.py" exporterVersion="1">',
        '  <collaboration id="collaboration">',
        '    <participant id="pool" name="Consumer loan bank" processRef="loan_process"/>',
        "  </collaboration>",
        *_process_xml(),
        *_diagram_xml(),
        "</definitions>",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
