"""A seeded Camunda 7 loan-process history in the published Camunda tables, for the camunda7 connector tests.

The tables are created from an excerpt of Camunda's own DDL (tests/fixtures/camunda7/{postgres,mariadb}.sql;
source: github.com/camunda/camunda-bpm-platform, engine/src/main/resources/org/camunda/bpm/engine/db/create/
activiti.{postgres,mariadb}.create.{history,engine}.sql, commits noted in the files). Activity types are
Camunda's ``ActivityTypes`` constants (engine/src/main/java/org/camunda/bpm/engine/ActivityTypes.java).

The loan process: Application received (start) -> Check application (user task, clerks) -> Complete?
(gateway) -> Request documents (user task; loops back to the check) -> Score credit (external service task;
incidents when the credit bureau fails) -> Approved? (gateway) -> Approve loan / Reject application (user
tasks, managers) -> [version 2 only: Collect signature, a parallel multi-instance user task, 2 signers] ->
Send decision (service task) -> Loan decided (end). Version 2 is deployed after ``V2_FROM`` instances. The
history stops at ``NOW``: instances still at work then are running (END_TIME_ NULL); a few are cancelled.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

DDL_DIR = Path(__file__).resolve().parent / "fixtures" / "camunda7"
T0 = datetime(2024, 1, 2, 8, 0)
INSTANCES = 300
V2_FROM = 180
NOW = T0 + timedelta(hours=2 * INSTANCES)
DEFS = {1: "loan:1:11", 2: "loan:2:21"}
CLERKS, MANAGERS, SIGNERS = ("ann", "bob", "cem"), ("dora", "emil"), ("fay", "gus")
MESSAGE = "Credit bureau unavailable: HTTP 503 from scoring API"

#: act id -> (name, Camunda activity type)
ACTS = {
    "StartEvent_Received": ("Application received", "startEvent"),
    "Task_Check": ("Check application", "userTask"),
    "Gateway_Complete": ("Complete?", "exclusiveGateway"),
    "Task_RequestDocs": ("Request documents", "userTask"),
    "Task_Score": ("Score credit", "serviceTask"),
    "Gateway_Decision": ("Approved?", "exclusiveGateway"),
    "Task_Approve": ("Approve loan", "userTask"),
    "Task_Reject": ("Reject application", "userTask"),
    "Task_Sign#multiInstanceBody": ("Collect signature", "multiInstanceBody"),
    "Task_Sign": ("Collect signature", "userTask"),
    "Task_Notify": ("Send decision", "serviceTask"),
    "EndEvent_Decided": ("Loan decided", "noneEndEvent"),
}


@dataclass
class History:
    """Rows of the five Camunda tables, as column -> value dicts (naive wall-clock times, as Camunda writes)."""

    procdef: list[dict[str, Any]] = field(default_factory=list)
    procinst: list[dict[str, Any]] = field(default_factory=list)
    actinst: list[dict[str, Any]] = field(default_factory=list)
    taskinst: list[dict[str, Any]] = field(default_factory=list)
    incident: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def new_id(self) -> str:
        """The next id, as Camunda's DbIdGenerator makes them (numeric text)."""
        return str(next(self.ids))


#: (act id, assignee, minutes waiting before it starts, minutes it takes); several ids starting together in
#: a tuple are parallel multi-instance children.
Step = tuple[str, str | None, float, float]


def _path(rng: random.Random, version: int) -> tuple[list[Step], bool, bool]:
    """One instance's steps, whether Score credit raises an incident, whether the instance is cancelled."""
    clerk = rng.choice(CLERKS)
    steps: list[Step] = [("StartEvent_Received", None, 0, 0)]
    for _ in range(3):
        steps += [
            ("Task_Check", clerk, rng.uniform(10, 240), rng.uniform(5, 40)),
            ("Gateway_Complete", None, 0, 0),
        ]
        if rng.random() > 0.25:
            break
        steps.append(("Task_RequestDocs", clerk, rng.uniform(5, 30), rng.uniform(60, 1440)))
    if rng.random() < 0.03:
        return steps[:2], False, True
    incident = rng.random() < 0.12
    steps += [("Task_Score", None, 0.1, rng.uniform(45, 120) if incident else rng.uniform(0.2, 3))]
    steps.append(("Gateway_Decision", None, 0, 0))
    approved = rng.random() < 0.7
    steps.append(
        ("Task_Approve" if approved else "Task_Reject", rng.choice(MANAGERS), rng.uniform(30, 600), 15)
    )
    if approved and version == 2:
        steps.append(("Task_Sign", "*", rng.uniform(10, 60), rng.uniform(60, 600)))
    steps += [("Task_Notify", None, 0.1, 0.5), ("EndEvent_Decided", None, 0, 0)]
    return steps, incident, False


#: Instance 1: scripted to the minute (the tests spell out its events).
FIRST: list[Step] = [
    ("StartEvent_Received", None, 0, 0),
    ("Task_Check", "ann", 30, 10),
    ("Gateway_Complete", None, 0, 0),
    ("Task_RequestDocs", "ann", 5, 120),
    ("Task_Check", "ann", 20, 15),
    ("Gateway_Complete", None, 0, 0),
    ("Task_Score", None, 0, 60),
    ("Gateway_Decision", None, 0, 0),
    ("Task_Approve", "dora", 45, 15),
    ("Task_Notify", None, 0, 1),
    ("EndEvent_Decided", None, 0, 0),
]


def generate(seed: int = 7, instances: int = INSTANCES) -> History:
    """The seeded history: ``instances`` loan applications every ~2 hours from T0, cut off at NOW.

    Instance 1 is ``FIRST``; the last two are scripted to be open at NOW (``advance`` moves them on):
    LOAN-0299 waits in an unassigned Check application, LOAN-0300 is in Score credit.
    """
    rng, history = random.Random(seed), History()
    for version, def_id in DEFS.items():
        history.procdef.append(
            {"ID_": def_id, "REV_": 1, "NAME_": "Loan application", "KEY_": "loan", "VERSION_": version,
             "DEPLOYMENT_ID_": str(version * 10), "RESOURCE_NAME_": "loan.bpmn", "SUSPENSION_STATE_": 1,
             "HAS_START_FORM_KEY_": False, "STARTABLE_": True}
        )  # fmt: skip
    add_instance(history, "LOAN-0001", 1, T0, FIRST, incident=True)
    for n in range(1, instances - 2):
        version = 2 if n >= V2_FROM else 1
        start = T0 + timedelta(hours=2 * n) + _min(rng.uniform(0, 90))
        steps, incident, cancelled = _path(rng, version)
        add_instance(history, f"LOAN-{n + 1:04d}", version, start, steps, incident=incident, cancel=cancelled)
    opening = [("StartEvent_Received", None, 0, 0)]
    add_instance(
        history, f"LOAN-{instances - 1:04d}", 2, NOW - _min(40), [*opening, ("Task_Check", None, 10, 600)]
    )
    scoring = [
        *opening,
        ("Task_Check", "cem", 5, 20),
        ("Gateway_Complete", None, 0, 0),
        ("Task_Score", None, 15, 600),
    ]
    add_instance(history, f"LOAN-{instances:04d}", 2, NOW - _min(50), scoring)
    return history


def _min(minutes: float) -> timedelta:
    """``minutes`` as a duration in whole seconds (Camunda keeps milliseconds; MariaDB's datetime(3) too)."""
    return timedelta(seconds=round(minutes * 60))


def _ms(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() * 1000)


def add_activity(
    history: History, pid: str, def_id: str, act: str, who: str | None, start: datetime, end: datetime | None,
    *, execution: str | None = None, parent: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Append one ACT_HI_ACTINST row (and its ACT_HI_TASKINST row for a user task); returns the row."""
    name, kind = ACTS[act]
    row: dict[str, Any] = {
        "ID_": f"{act.split('#')[0]}:{history.new_id()}", "PARENT_ACT_INST_ID_": parent or pid,
        "PROC_DEF_KEY_": "loan", "PROC_DEF_ID_": def_id, "ROOT_PROC_INST_ID_": pid, "PROC_INST_ID_": pid,
        "EXECUTION_ID_": execution or pid, "ACT_ID_": act, "TASK_ID_": None, "ACT_NAME_": name,
        "ACT_TYPE_": kind, "ASSIGNEE_": who, "START_TIME_": start, "END_TIME_": end,
        "DURATION_": _ms(start, end) if end else None, "ACT_INST_STATE_": 1 if end else 0,
        "SEQUENCE_COUNTER_": len(history.actinst) + 1,
    }  # fmt: skip
    if kind == "userTask":
        row["TASK_ID_"] = history.new_id()
        history.taskinst.append(
            {"ID_": row["TASK_ID_"], "TASK_DEF_KEY_": act, "PROC_DEF_KEY_": "loan", "PROC_DEF_ID_": def_id,
             "ROOT_PROC_INST_ID_": pid, "PROC_INST_ID_": pid, "EXECUTION_ID_": row["EXECUTION_ID_"],
             "ACT_INST_ID_": row["ID_"], "NAME_": name, "ASSIGNEE_": who, "START_TIME_": start,
             "END_TIME_": end, "DURATION_": row["DURATION_"], "DELETE_REASON_": "completed" if end else None,
             "PRIORITY_": 50}
        )  # fmt: skip
    history.actinst.append(row)
    return row


def add_incident(
    history: History, act: dict[str, Any], created: datetime, resolved: datetime, now: datetime
) -> None:
    """A failed external task on ``act`` (retries exhausted), resolved by a retry unless still open at ``now``."""
    if created > now:
        return
    iid = history.new_id()
    history.incident.append(
        {"ID_": iid, "PROC_DEF_KEY_": "loan", "PROC_DEF_ID_": act["PROC_DEF_ID_"],
         "ROOT_PROC_INST_ID_": act["PROC_INST_ID_"], "PROC_INST_ID_": act["PROC_INST_ID_"],
         "EXECUTION_ID_": act["EXECUTION_ID_"], "CREATE_TIME_": created,
         "END_TIME_": resolved if resolved <= now else None, "INCIDENT_MSG_": MESSAGE,
         "INCIDENT_TYPE_": "failedExternalTask", "ACTIVITY_ID_": act["ACT_ID_"], "CAUSE_INCIDENT_ID_": iid,
         "ROOT_CAUSE_INCIDENT_ID_": iid, "CONFIGURATION_": history.new_id(),
         "INCIDENT_STATE_": 1 if resolved <= now else 0}
    )  # fmt: skip


def _multi_instance(
    history: History, pid: str, def_id: str, begin: datetime, minutes: float, now: datetime
) -> datetime | None:
    """Collect signature: the multi-instance body and two parallel signers; the body's end or None if open."""
    body = add_activity(history, pid, def_id, "Task_Sign#multiInstanceBody", None, begin, None)
    ends = [begin + _min(minutes * (0.6 + 0.4 * i)) for i in range(len(SIGNERS))]
    for signer, end in zip(SIGNERS, ends, strict=True):
        add_activity(history, pid, def_id, "Task_Sign", signer, begin, end if end <= now else None,
                     execution=history.new_id(), parent=body["ID_"])  # fmt: skip
    if max(ends) > now:
        return None
    body.update(END_TIME_=max(ends), DURATION_=_ms(begin, max(ends)), ACT_INST_STATE_=1)
    return max(ends)


def add_instance(
    history: History, business_key: str, version: int, start: datetime, steps: Sequence[Step], *,
    incident: bool = False, cancel: bool = False, now: datetime = NOW,
) -> str:  # fmt: skip
    """Append one process instance's rows, cut at ``now``; returns its id (ACT_HI_PROCINST.ID_)."""
    pid, def_id = history.new_id(), DEFS[version]
    t, running = start, False
    for act, who, wait, minutes in steps:
        begin = t + _min(wait)
        if begin > now:
            running = True
            break
        if who == "*":
            end = _multi_instance(history, pid, def_id, begin, minutes, now)
        else:
            end = begin + _min(minutes)
            row = add_activity(history, pid, def_id, act, who, begin, end if end <= now else None)
            if act == "Task_Score" and incident:
                add_incident(history, row, begin + _min(2), begin + _min(30), now)
        if end is None or end > now:
            running = True
            break
        t = end
    if cancel and not running:
        t = _cancel(history)
    ended = not running
    history.procinst.append(
        {"ID_": pid, "PROC_INST_ID_": pid, "BUSINESS_KEY_": business_key, "PROC_DEF_KEY_": "loan",
         "PROC_DEF_ID_": def_id, "START_TIME_": start, "END_TIME_": t if ended else None,
         "DURATION_": _ms(start, t) if ended else None, "START_ACT_ID_": "StartEvent_Received",
         "END_ACT_ID_": None if running or cancel else "EndEvent_Decided", "ROOT_PROC_INST_ID_": pid,
         "DELETE_REASON_": "Customer withdrew the application" if cancel and ended else None,
         "STATE_": "ACTIVE" if running else "EXTERNALLY_TERMINATED" if cancel else "COMPLETED"}
    )  # fmt: skip
    return pid


def _cancel(history: History) -> datetime:
    """Cancel the instance's last activity (a withdrawn application): ACT_INST_STATE_ 2, task deleted."""
    last = history.actinst[-1]
    last.update(ACT_INST_STATE_=2)
    task = next((t for t in history.taskinst if t["ID_"] == last["TASK_ID_"]), None)
    if task is not None:
        task["DELETE_REASON_"] = "deleted"
    end: datetime = last["END_TIME_"]
    return end


# ---- the source changes between two pulls -----------------------------------------------------------------
LATER = NOW + timedelta(hours=1)
Changes = tuple[dict[str, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]


def _open_row(history: History, business_key: str, act: str) -> dict[str, Any]:
    pid = next(p["ID_"] for p in history.procinst if p["BUSINESS_KEY_"] == business_key)
    return next(
        a for a in history.actinst if a["PROC_INST_ID_"] == pid and a["ACT_ID_"] == act and not a["END_TIME_"]
    )


def _finish(
    history: History, row: dict[str, Any], end: datetime, assignee: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Complete an open activity instance (and its task); the changed rows as (table, row)."""
    row.update(END_TIME_=end, DURATION_=_ms(row["START_TIME_"], end), ACT_INST_STATE_=1)
    row["ASSIGNEE_"] = row["ASSIGNEE_"] or assignee
    changed = [("actinst", row)]
    for task in history.taskinst:
        if task["ID_"] == row["TASK_ID_"]:
            task.update(
                END_TIME_=end,
                DURATION_=row["DURATION_"],
                ASSIGNEE_=row["ASSIGNEE_"],
                DELETE_REASON_="completed",
            )
            changed.append(("taskinst", task))
    return changed


def advance(history: History) -> Changes:
    """An hour later (LATER): LOAN-0299's check is claimed by bob and completed, its scoring starts;
    LOAN-0300's scoring fails (incident), is retried and succeeds, its approval waits; LOAN-0301 arrives and
    reaches Approve loan. Returns the inserted rows per table and the updated (table, row) pairs."""
    before = {name: len(rows) for name, rows in tables(history).items()}
    check = _open_row(history, "LOAN-0299", "Task_Check")
    updated = _finish(history, check, NOW + _min(15), assignee="bob")
    pid, def_id = check["PROC_INST_ID_"], check["PROC_DEF_ID_"]
    add_activity(history, pid, def_id, "Gateway_Complete", None, NOW + _min(15), NOW + _min(15))
    add_activity(history, pid, def_id, "Task_Score", None, NOW + _min(16), None)
    score = _open_row(history, "LOAN-0300", "Task_Score")
    add_incident(history, score, NOW + _min(5), NOW + _min(20), LATER)
    updated += _finish(history, score, NOW + _min(30))
    pid = score["PROC_INST_ID_"]
    add_activity(history, pid, def_id, "Gateway_Decision", None, NOW + _min(30), NOW + _min(30))
    add_activity(history, pid, def_id, "Task_Approve", None, NOW + _min(40), None)
    steps: list[Step] = [
        ("StartEvent_Received", None, 0, 0), ("Task_Check", "ann", 5, 10), ("Gateway_Complete", None, 0, 0),
        ("Task_Score", None, 0.1, 1), ("Gateway_Decision", None, 0, 0), ("Task_Approve", "dora", 10, 600),
    ]  # fmt: skip
    add_instance(history, "LOAN-0301", 2, NOW + _min(20), steps, now=LATER)
    inserted = {name: rows[before[name] :] for name, rows in tables(history).items()}
    return inserted, updated


# ---- writing the history into a database ---------------------------------------------------------------------
TABLE_NAMES = {
    "procdef": "ACT_RE_PROCDEF",
    "procinst": "ACT_HI_PROCINST",
    "actinst": "ACT_HI_ACTINST",
    "taskinst": "ACT_HI_TASKINST",
    "incident": "ACT_HI_INCIDENT",
}


def tables(history: History) -> dict[str, list[dict[str, Any]]]:
    """The history's rows by table key (``TABLE_NAMES``)."""
    return {name: getattr(history, name) for name in TABLE_NAMES}


def ddl(dialect: str) -> list[str]:
    """The CREATE statements of the DDL excerpt (``postgres`` or ``mariadb``), comments dropped."""
    text = (DDL_DIR / f"{dialect}.sql").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(c for r in rows for c in r))


def _arrow_type(column: str) -> pa.DataType:
    """The Arrow type to bind a column's values with (PostgreSQL wants typed parameters, NULLs too)."""
    if column.endswith("TIME_"):
        return pa.timestamp("us")
    if column in ("DURATION_", "SEQUENCE_COUNTER_"):
        return pa.int64()
    if column in ("REV_", "VERSION_", "SUSPENSION_STATE_", "ACT_INST_STATE_", "INCIDENT_STATE_", "PRIORITY_"):
        return pa.int32()
    if column in ("HAS_START_FORM_KEY_", "STARTABLE_"):
        return pa.bool_()
    return pa.string()


def write_pg(
    conn: Any,
    schema: str,
    inserted: dict[str, list[dict[str, Any]]],
    updated: Sequence[tuple[str, dict[str, Any]]] = (),
) -> None:
    """Insert (ADBC bulk ingest) and update (Arrow-typed parameters) rows in PostgreSQL, in ``schema``."""
    with conn.cursor() as cur:
        for name, rows in inserted.items():
            if rows:  # COPY through ADBC's bulk ingest (PostgreSQL folded Camunda's names to lower case)
                cols = _columns(rows)
                data = pa.table({c.lower(): pa.array([r.get(c) for r in rows], _arrow_type(c)) for c in cols})
                cur.adbc_ingest(TABLE_NAMES[name].lower(), data, mode="append", db_schema_name=schema)
        for name, row in updated:
            cols = [c for c in row if c != "ID_"]
            params = pa.table({c: pa.array([row[c]], _arrow_type(c)) for c in [*cols, "ID_"]})
            sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(cols))
            cur.executemany(
                f'UPDATE "{schema}".{TABLE_NAMES[name]} SET {sets} WHERE ID_ = ${len(cols) + 1}', params
            )


def write_mysql(
    conn: Any, inserted: dict[str, list[dict[str, Any]]], updated: Sequence[tuple[str, dict[str, Any]]] = ()
) -> None:
    """Insert and update rows in MariaDB / MySQL (pymysql) in the connection's database, then commit."""
    with conn.cursor() as cur:
        for name, rows in inserted.items():
            if rows:
                cols = _columns(rows)
                marks = ", ".join(["%s"] * len(cols))
                sql = f"INSERT INTO {TABLE_NAMES[name]} ({', '.join(cols)}) VALUES ({marks})"
                cur.executemany(sql, [tuple(r.get(c) for c in cols) for r in rows])
        for name, row in updated:
            cols = [c for c in row if c != "ID_"]
            sets = ", ".join(f"{c} = %s" for c in cols)
            cur.execute(
                f"UPDATE {TABLE_NAMES[name]} SET {sets} WHERE ID_ = %s", [*(row[c] for c in cols), row["ID_"]]
            )
    conn.commit()


# ---- what the connector should make of it (an independent reading of the rows) -----------------------------
_CATEGORY = {
    "userTask": "task",
    "serviceTask": "task",
    "exclusiveGateway": "gateway",
    "multiInstanceBody": "scope",
}


def expected_rows(history: History, categories: tuple[str, ...] = ("task",)) -> dict[str, dict[str, Any]]:
    """activity instance id -> the values the connector should read (naive times, as stored)."""
    version = {d["ID_"]: d["VERSION_"] for d in history.procdef}
    keys = {p["ID_"]: p["BUSINESS_KEY_"] for p in history.procinst}
    out: dict[str, dict[str, Any]] = {}
    for a in history.actinst:
        if _CATEGORY.get(a["ACT_TYPE_"], "event") not in categories:
            continue
        end = a["END_TIME_"]
        raised = [
            i for i in history.incident
            if i["PROC_INST_ID_"] == a["PROC_INST_ID_"] and i["ACTIVITY_ID_"] == a["ACT_ID_"]
            and i["EXECUTION_ID_"] == a["EXECUTION_ID_"] and a["START_TIME_"] <= i["CREATE_TIME_"]
            and (end is None or i["CREATE_TIME_"] <= end)
        ]  # fmt: skip
        state = "running" if end is None else "canceled" if a["ACT_INST_STATE_"] == 2 else "completed"
        out[a["ID_"]] = {
            "case_id": a["PROC_INST_ID_"], "activity": a["ACT_NAME_"], "event_time": end or a["START_TIME_"],
            "start_time": a["START_TIME_"], "end_time": end, "resource": a["ASSIGNEE_"], "state": state,
            "activity_type": a["ACT_TYPE_"], "process_version": version[a["PROC_DEF_ID_"]],
            "business_key": keys[a["PROC_INST_ID_"]], "incidents": len(raised),
            "incident_message": max(raised, key=lambda i: i["CREATE_TIME_"])["INCIDENT_MSG_"] if raised else None,
        }  # fmt: skip
    return out
