"""Seeded generator of the Temporal history and Zeebe exporter record fixtures (tests/fixtures/{temporal,camunda8}).

Shapes follow the published schemas:
- Temporal: temporalio/api temporal/api/history/v1/message.proto (HistoryEvent JSON: eventId and int64 ids as
  strings, eventTime RFC 3339, eventType EVENT_TYPE_* or the older tctl form ActivityTaskScheduled,
  ``<type>EventAttributes`` with activityType.name, scheduledEventId, identity, attempt, retryState, failure).
- Zeebe: camunda/camunda zeebe/exporters/elasticsearch-exporter/src/main/resources/zeebe-record-template.json
  (partitionId, key, position, sourceRecordPosition, timestamp epoch ms, intent, recordType, valueType,
  brokerVersion) with zeebe-record-process-instance/-job/-user-task/-incident-template.json values.

Run ``python tests/json_history_fixtures.py`` to rewrite the files; the tests also build later versions
(a workflow that completes, appended records) with these functions.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


# ---- Temporal --------------------------------------------------------------------------------------------
def _snake_to_camel(kind: str) -> str:
    head, *rest = kind.lower().split("_")
    return head + "".join(w.title() for w in rest)


def _event(no: int, at: datetime, kind: str, attrs: dict[str, Any], *, old_form: bool) -> dict[str, Any]:
    event_type = "".join(w.title() for w in kind.split("_")) if old_form else f"EVENT_TYPE_{kind}"
    return {
        "eventId": str(no),
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",  # nanoseconds, as the server writes
        "eventType": event_type,
        "version": "0",
        "taskId": str(1048576 + no),
        f"{_snake_to_camel(kind)}EventAttributes": attrs,
    }


def temporal_history(
    workflow_id: str,
    steps: list[dict[str, Any]],
    *,
    seed: int,
    upto: int | None = None,
    old_form: bool = False,
) -> dict[str, Any]:
    """One execution's history: a workflow task before each activity, then the activity's events.

    Each step: ``name``, ``outcome`` (completed, failed, running), ``attempt``, ``worker``. ``upto`` cuts the
    history after that many steps' scheduling (the export of a running workflow).
    """
    rng = random.Random(seed)
    at = T0 + timedelta(hours=seed)
    run_id = f"{seed:08x}-0000-4000-8000-{seed:012x}"
    events: list[dict[str, Any]] = []

    def add(kind: str, attrs: dict[str, Any], minutes: float) -> int:
        nonlocal at
        at += timedelta(minutes=minutes)
        events.append(_event(len(events) + 1, at, kind, attrs, old_form=old_form))
        return len(events)

    add("WORKFLOW_EXECUTION_STARTED", {
        "workflowType": {"name": "OrderWorkflow"}, "taskQueue": {"name": "orders", "kind": "TASK_QUEUE_KIND_NORMAL"},
        "workflowId": workflow_id, "originalExecutionRunId": run_id, "firstExecutionRunId": run_id,
        "identity": "1@starter", "attempt": 1,
    }, 0)  # fmt: skip
    for i, step in enumerate(steps):
        wft = add("WORKFLOW_TASK_SCHEDULED", {"taskQueue": {"name": "orders"}, "attempt": 1}, 0.01)
        add("WORKFLOW_TASK_STARTED", {"scheduledEventId": str(wft), "identity": "7@wf-worker"}, 0.01)
        done = add("WORKFLOW_TASK_COMPLETED", {"scheduledEventId": str(wft), "identity": "7@wf-worker"}, 0.01)
        sched = add("ACTIVITY_TASK_SCHEDULED", {
            "activityId": str(i + 1), "activityType": {"name": step["name"]}, "taskQueue": {"name": "orders"},
            "startToCloseTimeout": "60s", "workflowTaskCompletedEventId": str(done),
            "retryPolicy": {"initialInterval": "1s", "backoffCoefficient": 2, "maximumAttempts": 3},
        }, 0.01)  # fmt: skip
        if (upto is not None and i + 1 >= upto) or step["outcome"] == "running":
            return {"events": events}
        attempt = step.get("attempt", 1)
        started: dict[str, Any] = {
            "scheduledEventId": str(sched),
            "identity": step["worker"],
            "attempt": attempt,
        }
        if attempt > 1:
            started["lastFailure"] = {
                "message": "card gateway timeout",
                "applicationFailureInfo": {"type": "Gw"},
            }
        begun = add("ACTIVITY_TASK_STARTED", started, rng.randint(1, 5) + 10 * (attempt - 1))
        ids = {"scheduledEventId": str(sched), "startedEventId": str(begun), "identity": step["worker"]}
        if step["outcome"] == "failed":
            add("ACTIVITY_TASK_FAILED", {
                **ids, "failure": {"message": "card declined", "applicationFailureInfo": {"type": "Declined"}},
                "retryState": "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED",
            }, rng.randint(1, 9))  # fmt: skip
            add("WORKFLOW_EXECUTION_FAILED", {"failure": {"message": "card declined"}}, 0.1)
            return {"events": events}
        add("ACTIVITY_TASK_COMPLETED", {**ids, "result": {"payloads": []}}, rng.randint(1, 9))
    add("WORKFLOW_EXECUTION_COMPLETED", {"result": {"payloads": []}}, 0.1)
    return {"events": events}


def _ok(name: str, worker: str, attempt: int = 1) -> dict[str, Any]:
    return {"name": name, "outcome": "completed", "worker": worker, "attempt": attempt}


#: workflow id -> (steps, seed, old event-type form)
WORKFLOWS: dict[str, tuple[list[dict[str, Any]], int, bool]] = {
    "order-1": ([_ok("ValidateOrder", "11@worker-a"), _ok("ChargeCard", "12@worker-b"),
                 _ok("ShipOrder", "11@worker-a")], 1, False),
    "order-2": ([_ok("ValidateOrder", "12@worker-b"),
                 {"name": "ChargeCard", "outcome": "failed", "worker": "11@worker-a", "attempt": 3}], 2, True),
    "order-3": ([_ok("ValidateOrder", "11@worker-a"), _ok("ChargeCard", "12@worker-b", attempt=2),
                 _ok("ShipOrder", "12@worker-b")], 3, False),
    "order-4": ([_ok("ValidateOrder", "12@worker-b"), _ok("ShipOrder", "11@worker-a")], 4, False),
}  # fmt: skip


def temporal_file(workflow_id: str, upto: int | None = None) -> dict[str, Any]:
    """The history export of one fixture workflow (cut after ``upto`` scheduled activities)."""
    steps, seed, old = WORKFLOWS[workflow_id]
    return temporal_history(workflow_id, steps, seed=seed, upto=upto, old_form=old)


# ---- Zeebe -----------------------------------------------------------------------------------------------
PROCESS = [("StartEvent_1", "START_EVENT"), ("Task_Validate", "SERVICE_TASK"), ("Task_Approve", "USER_TASK"),
           ("Task_Ship", "SERVICE_TASK"), ("EndEvent_1", "END_EVENT")]  # fmt: skip
WORKERS = {"Task_Validate": ("validate", "validator-1"), "Task_Ship": ("ship", "shipper-2")}


class Zeebe:
    """Writes the records of process instances on one partition: keys and positions as the broker makes them."""

    def __init__(self, partition: int, seed: int) -> None:
        self.partition, self.rng = partition, random.Random(seed)
        self.counter, self.position = 0, 0
        self.at = T0 + timedelta(days=seed)

    def key(self) -> int:
        """A new key on this partition (Zeebe keys carry the partition id in their top bits)."""
        self.counter += 1
        return (self.partition << 51) + self.counter

    def record(
        self, value_type: str, intent: str, key: int, value: dict[str, Any], minutes: float = 0.0
    ) -> dict:
        """One exported EVENT record."""
        self.position += 1
        self.at += timedelta(minutes=minutes, milliseconds=3)
        return {
            "partitionId": self.partition, "value": value, "key": key, "position": self.position,
            "sourceRecordPosition": max(self.position - 1, 1), "timestamp": int(self.at.timestamp() * 1000),
            "valueType": value_type, "intent": intent, "recordType": "EVENT", "rejectionType": "NULL_VAL",
            "rejectionReason": "", "brokerVersion": "8.5.0", "recordVersion": 1, "authorizations": {},
        }  # fmt: skip

    def element(self, pi: dict[str, Any], element_id: str, kind: str, intent: str, key: int) -> dict:
        """A PROCESS_INSTANCE record of one element."""
        value = {
            "bpmnProcessId": "order-process", "version": pi["version"], "processDefinitionKey": pi["pdk"],
            "processInstanceKey": pi["key"], "elementId": element_id, "bpmnElementType": kind,
            "flowScopeKey": -1 if kind == "PROCESS" else pi["key"], "bpmnEventType": "UNSPECIFIED",
            "parentProcessInstanceKey": -1, "parentElementInstanceKey": -1, "tenantId": "<default>",
        }  # fmt: skip
        return self.record("PROCESS_INSTANCE", intent, key, value, self.rng.randint(1, 20) / 10)


def zeebe_instance(
    z: Zeebe,
    version: int,
    *,
    stop_at: str | None = None,
    incident: bool = False,
    cancel_at: str | None = None,
    assignee: str = "dana",
) -> tuple[dict[str, Any], list[dict]]:
    """(instance, records) of one order-process run; ``stop_at`` leaves that element active (running)."""  # fmt: skip
    pi = {"key": z.key(), "version": version, "pdk": 2251799813685000 + version, "assignee": assignee}
    out = [
        z.element(pi, "order-process", "PROCESS", i, pi["key"])
        for i in ("ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED")
    ]
    pi["open"] = {}
    for element_id, kind in PROCESS:
        key = z.key()
        pi["open"][element_id] = key
        out += [z.element(pi, element_id, kind, i, key) for i in ("ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED")]
        if cancel_at == element_id:
            out += [z.element(pi, element_id, kind, "ELEMENT_TERMINATED", key)]
            out += [z.element(pi, "order-process", "PROCESS", "ELEMENT_TERMINATED", pi["key"])]
            return pi, out
        out += task_records(z, pi, element_id, key, incident=incident, assignee=assignee)
        if stop_at == element_id:
            return pi, out
        out += element_end(z, pi, element_id, kind, key)
    out += [z.element(pi, "order-process", "PROCESS", "ELEMENT_COMPLETED", pi["key"])]
    return pi, out


def task_records(
    z: Zeebe, pi: dict[str, Any], element_id: str, key: int, *, incident: bool, assignee: str
) -> list:
    """JOB records of a service task (with a failure and an incident) or USER_TASK records of a user task."""  # fmt: skip
    base = {"bpmnProcessId": "order-process", "processDefinitionVersion": pi["version"],
            "processInstanceKey": pi["key"], "processDefinitionKey": pi["pdk"], "elementId": element_id,
            "elementInstanceKey": key, "tenantId": "<default>"}  # fmt: skip
    if element_id in WORKERS:
        job_type, worker = WORKERS[element_id]
        job, out = z.key(), []
        out.append(z.record("JOB", "CREATED", job, {**base, "type": job_type, "worker": "", "retries": 3}))
        if incident and element_id == "Task_Validate":
            failed = {
                **base,
                "type": job_type,
                "worker": "validator-9",
                "retries": 0,
                "errorMessage": "no stock",
            }
            out.append(z.record("JOB", "FAILED", job, failed, 2))
            inc = z.key()
            value = {**base, "errorType": "JOB_NO_RETRIES", "errorMessage": "no stock", "jobKey": job}
            out.append(z.record("INCIDENT", "CREATED", inc, value))
            out.append(z.record("INCIDENT", "RESOLVED", inc, value, 30))
        done = {**base, "type": job_type, "worker": worker, "retries": 3}
        return [*out, z.record("JOB", "COMPLETED", job, done, z.rng.randint(5, 50) / 10)]
    if element_id == "Task_Approve":
        task = z.key()
        user = {**base, "userTaskKey": task, "assignee": "", "candidateGroupsList": ["approvers"]}
        return [z.record("USER_TASK", "CREATED", task, user),
                z.record("USER_TASK", "ASSIGNED", task, {**user, "assignee": assignee}, 5)]  # fmt: skip
    return []


def element_end(z: Zeebe, pi: dict[str, Any], element_id: str, kind: str, key: int) -> list[dict]:
    """COMPLETING / COMPLETED of an element (with the user task's COMPLETED record first)."""
    out = []
    if element_id == "Task_Approve":
        task = {"bpmnProcessId": "order-process", "processInstanceKey": pi["key"], "elementId": element_id,
                "elementInstanceKey": key, "assignee": pi["assignee"], "userTaskKey": key + 1}  # fmt: skip
        out.append(z.record("USER_TASK", "COMPLETED", key + 1, task, 60))
    return out + [
        z.element(pi, element_id, kind, i, key) for i in ("ELEMENT_COMPLETING", "ELEMENT_COMPLETED")
    ]


def zeebe_fixtures() -> dict[str, Any]:
    """Partition 1 (instances A done v1, C waiting at Task_Approve v1, D cancelled v2) and partition 2 (B v2
    with a resolved incident) as an Elasticsearch _search dump; plus the later records (C completes, E new)."""
    p1, p2 = Zeebe(1, 1), Zeebe(2, 2)
    a, rec_a = zeebe_instance(p1, 1)
    c, rec_c = zeebe_instance(p1, 1, stop_at="Task_Approve")
    d, rec_d = zeebe_instance(p1, 2, cancel_at="Task_Validate")
    b, rec_b = zeebe_instance(p2, 2, incident=True)
    later_c = element_end(p1, c, "Task_Approve", "USER_TASK", c["open"]["Task_Approve"])
    for element_id, kind in PROCESS[3:]:
        key = p1.key()
        later_c += [
            p1.element(c, element_id, kind, i, key) for i in ("ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED")
        ]
        later_c += task_records(p1, c, element_id, key, incident=False, assignee="dana")
        later_c += element_end(p1, c, element_id, kind, key)
    later_c += [p1.element(c, "order-process", "PROCESS", "ELEMENT_COMPLETED", c["key"])]
    e, rec_e = zeebe_instance(Zeebe(3, 3), 2, assignee="eve")
    dump = {"took": 3, "timed_out": False, "hits": {"total": {"value": len(rec_b), "relation": "eq"}, "hits": [
        {"_index": "zeebe-record_process-instance_8.5.0_2025-03-05", "_id": f"2-{r['position']}", "_source": r}
        for r in rec_b]}}  # fmt: skip
    keys = {"A": a["key"], "B": b["key"], "C": c["key"], "D": d["key"], "E": e["key"]}
    return {"partition-1.ndjson": rec_a + rec_c + rec_d, "partition-2-search.json": dump,
            "later-c": later_c, "partition-3.ndjson": rec_e, "keys": keys}  # fmt: skip


def ndjson(records: list[dict[str, Any]]) -> str:
    """Records as JSON lines, each ending in a newline."""
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


def write_fixtures(root: Path = FIXTURES) -> None:
    """Write the first-pull fixture files (the tests derive the later versions)."""
    (root / "temporal").mkdir(parents=True, exist_ok=True)
    (root / "camunda8").mkdir(parents=True, exist_ok=True)
    for workflow_id, upto in (("order-1", None), ("order-2", None), ("order-3", 2)):
        text = json.dumps(temporal_file(workflow_id, upto), indent=2) + "\n"
        (root / "temporal" / f"{workflow_id}.json").write_text(text, encoding="utf-8")
    zb = zeebe_fixtures()
    (root / "camunda8" / "partition-1.ndjson").write_text(ndjson(zb["partition-1.ndjson"]), encoding="utf-8")
    dump = json.dumps(zb["partition-2-search.json"], indent=1) + "\n"
    (root / "camunda8" / "partition-2-search.json").write_text(dump, encoding="utf-8")


if __name__ == "__main__":
    write_fixtures()
