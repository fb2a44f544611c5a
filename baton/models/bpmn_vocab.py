"""BPMN 2.0 vocabulary: the namespace and the element names Baton maps to tasks, gateways and events."""

from __future__ import annotations

from baton.models.types import Owner, TaskKind

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TASKS: dict[str, tuple[TaskKind, Owner]] = {
    "userTask": ("user", "human"),
    "manualTask": ("manual", "human"),
    "serviceTask": ("service", "system"),
    "scriptTask": ("script", "system"),
    "sendTask": ("send", "system"),
    "receiveTask": ("receive", "system"),
    "businessRuleTask": ("business_rule", "system"),
    "task": ("task", "unknown"),
}
SUBPROCESSES = ("subProcess", "transaction", "adHocSubProcess")
GATEWAYS = {
    "exclusiveGateway": "xor",
    "parallelGateway": "and",
    "inclusiveGateway": "or",
    "eventBasedGateway": "xor",
    "complexGateway": "xor",
}
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
FLOW_NODES = (*TASKS, *SUBPROCESSES, "callActivity", *GATEWAYS, *EVENTS)
LOOPS = ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")
