"""Small BPMN icons drawn inside shapes: task types, event triggers, gateway types, envelope and clock."""

from __future__ import annotations

import math

INK = "#1e293b"


def task_marker(kind: str, x: float, y: float) -> str:
    """A 16 pt icon at ``(x, y)``: person (user), gear (service), scroll (script), envelope, table, hand."""
    if kind == "userTask":
        return (
            f'<g class="marker-user" fill="#e2e8f0" stroke="{INK}"><circle cx="{x + 8}" cy="{y + 5}" r="3.5"/>'
            f'<path d="M{x + 1},{y + 17} Q{x + 1},{y + 9} {x + 8},{y + 9} Q{x + 15},{y + 9} {x + 15},{y + 17} Z"/></g>'
        )
    if kind == "serviceTask":
        cx, cy = x + 8, y + 8
        pts = " ".join(
            f"{cx + (7 if i % 2 == 0 else 4.8) * math.cos(i * math.pi / 8):.1f},"
            f"{cy + (7 if i % 2 == 0 else 4.8) * math.sin(i * math.pi / 8):.1f}"
            for i in range(16)
        )
        return (
            f'<g class="marker-service" stroke="{INK}"><polygon points="{pts}" fill="#e2e8f0"/>'
            f'<circle cx="{cx}" cy="{cy}" r="2.3" fill="white"/></g>'
        )
    if kind == "scriptTask":
        return (
            f'<g class="marker-script" stroke="{INK}" fill="none"><path d="M{x + 4},{y + 1} h10 '
            f'c-3,4 3,10 -1,15 h-10 c4,-5 -2,-11 1,-15 Z" fill="#e2e8f0"/><path d="M{x + 5},{y + 5} h6 '
            f'M{x + 5},{y + 8.5} h6 M{x + 4},{y + 12} h6"/></g>'
        )
    if kind in ("sendTask", "receiveTask"):
        return _envelope(x + 8, y + 7, 14, filled=kind == "sendTask", css=f"marker-{kind[:-4]}")
    if kind == "businessRuleTask":
        return (
            f'<g class="marker-rule" stroke="{INK}" fill="none"><rect x="{x + 1}" y="{y + 2}" width="15" '
            f'height="11"/><rect x="{x + 1}" y="{y + 2}" width="15" height="3" fill="#94a3b8"/>'
            f'<path d="M{x + 1},{y + 9} h15 M{x + 5},{y + 5} v8"/></g>'
        )
    if kind == "manualTask":
        return (
            f'<g class="marker-manual" stroke="{INK}" fill="#e2e8f0"><path d="M{x + 1},{y + 7} h12 '
            f'v2 h-5 h6 v2 h-6 h5 v2 h-5 h4 v2 h-11 Z"/></g>'
        )
    return ""


def _envelope(cx: float, cy: float, width: float, *, filled: bool, css: str) -> str:
    """A letter: filled when sent, hollow when received."""
    w, h = width, width * 0.7
    x, y = cx - w / 2, cy - h / 2
    fill, flap = (INK, "white") if filled else ("white", INK)
    return (
        f'<g class="{css}"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}" '
        f'stroke="{INK}"/><polyline points="{x:.1f},{y:.1f} {cx:.1f},{cy + 1:.1f} {x + w:.1f},{y:.1f}" '
        f'fill="none" stroke="{flap}"/></g>'
    )


def clock(cx: float, cy: float, r: float) -> str:
    """A clock face: the timer marker."""
    ticks = " ".join(
        f"M{cx + r * 0.75 * math.cos(a):.1f},{cy + r * 0.75 * math.sin(a):.1f} "
        f"L{cx + r * math.cos(a):.1f},{cy + r * math.sin(a):.1f}"
        for a in (i * math.pi / 6 for i in range(12))
    )
    return (
        f'<g class="timer-marker" stroke="{INK}"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="white"/>'
        f'<path d="{ticks}" stroke-width="0.8"/><path d="M{cx:.1f},{cy:.1f} L{cx:.1f},{cy - r * 0.6:.1f} '
        f'M{cx:.1f},{cy:.1f} L{cx + r * 0.45:.1f},{cy:.1f}" stroke-width="1.4" fill="none"/></g>'
    )


def event_marker(trigger: str, cx: float, cy: float, r: float, *, thrown: bool) -> str:
    """The inner symbol of an event: clock, envelope, terminate dot, lightning, triangle, arrow."""
    fill = INK if thrown else "white"
    if trigger == "timer":
        return clock(cx, cy, r * 0.62)
    if trigger == "message":
        return _envelope(cx, cy, r * 1.05, filled=thrown, css="marker-message")
    if trigger == "terminate":
        return (
            f'<circle class="marker-terminate" cx="{cx:.1f}" cy="{cy:.1f}" r="{r * 0.6:.1f}" fill="{INK}"/>'
        )
    shapes = {
        "error": [(-0.5, 0.5), (-0.2, -0.5), (0.1, 0.1), (0.5, -0.5), (0.2, 0.5), (-0.1, -0.1)],
        "signal": [(0, -0.55), (0.5, 0.35), (-0.5, 0.35)],
        "escalation": [(0, -0.55), (0.4, 0.45), (0, 0.1), (-0.4, 0.45)],
        "link": [(-0.5, -0.2), (0.1, -0.2), (0.1, -0.45), (0.5, 0), (0.1, 0.45), (0.1, 0.2), (-0.5, 0.2)],
        "conditional": [(-0.35, -0.45), (0.35, -0.45), (0.35, 0.45), (-0.35, 0.45)],
    }
    if trigger not in shapes:
        return ""
    pts = " ".join(f"{cx + dx * r:.1f},{cy + dy * r:.1f}" for dx, dy in shapes[trigger])
    return f'<polygon class="marker-{trigger}" points="{pts}" fill="{fill}" stroke="{INK}"/>'


def gateway_marker(kind: str, cx: float, cy: float, size: float) -> str:
    """X (exclusive), + (parallel), O (inclusive), pentagon in circles (event-based), asterisk (complex)."""
    d = size * 0.2
    line = f'stroke="{INK}" stroke-width="{max(2.5, size / 14):.1f}" fill="none" stroke-linecap="round"'
    cross = f"M{cx - d:.1f},{cy - d:.1f} L{cx + d:.1f},{cy + d:.1f} M{cx + d:.1f},{cy - d:.1f} L{cx - d:.1f},{cy + d:.1f}"
    plus = (
        f"M{cx:.1f},{cy - d * 1.3:.1f} V{cy + d * 1.3:.1f} M{cx - d * 1.3:.1f},{cy:.1f} H{cx + d * 1.3:.1f}"
    )
    if kind == "exclusiveGateway":
        return f'<path class="marker-xor" d="{cross}" {line}/>'
    if kind == "parallelGateway":
        return f'<path class="marker-and" d="{plus}" {line}/>'
    if kind == "complexGateway":
        return f'<path class="marker-complex" d="{cross} {plus}" {line}/>'
    if kind == "inclusiveGateway":
        return f'<circle class="marker-or" cx="{cx:.1f}" cy="{cy:.1f}" r="{d * 1.2:.1f}" {line}/>'
    if kind == "eventBasedGateway":
        r = size * 0.26
        pts = " ".join(
            f"{cx + r * 0.6 * math.sin(i * 2 * math.pi / 5):.1f},{cy - r * 0.6 * math.cos(i * 2 * math.pi / 5):.1f}"
            for i in range(5)
        )
        return (
            f'<g class="marker-event-based" stroke="{INK}" fill="none"><circle cx="{cx:.1f}" cy="{cy:.1f}" '
            f'r="{r:.1f}"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r * 0.82:.1f}"/><polygon points="{pts}"/></g>'
        )
    return ""
