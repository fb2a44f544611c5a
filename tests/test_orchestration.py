"""Orchestration checks from a target model: SLA timers, four-eyes, retries, human vs system time."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from analytics.orchestration import check_four_eyes, check_retries, get_human_system_times
from analytics.orchestration_sla import check_sla
from analytics.working_calendar import WorkingCalendar
from baton.errors import ModelError
from baton.models.types import FourEyesRule, ModelTask, PetriNetSpec, RetryPolicy, SlaTimer, TargetModel

ROOT = Path(__file__).resolve().parents[1]
H = 3600 * 1_000_000  # one hour in microseconds
KEYS = {
    "case_id_key": "case",
    "activity_key": "activity",
    "timestamp_key": "time",
    "start_timestamp_key": "start",
    "resource_key": "resource",
}
# SLA log: 2025-01-06 is a Monday. Timer on B after A, 4 h, escalation E (hand counts in the tests).
SLA_ROWS = [
    ("c1", "A", "2025-01-06T09:00", ""),  # B after 3 h: met
    ("c1", "B", "2025-01-06T12:00", ""),
    ("c2", "A", "2025-01-10T16:00", ""),  # Fri 16:00 -> Mon 13:00: 5 working h, escalated Mon 09:30
    ("c2", "E", "2025-01-13T09:30", ""),
    ("c2", "B", "2025-01-13T13:00", ""),
    ("c3", "A", "2025-01-06T09:00", ""),  # 8.5 working h, nobody escalates; started after 3 h
    ("c3", "B", "2025-01-07T09:30", "2025-01-06T12:00"),
    ("c4", "A", "2025-01-10T15:00", ""),  # 3 working h but 67 calendar h; escalated Fri 20:00
    ("c4", "E", "2025-01-10T20:00", ""),
    ("c4", "B", "2025-01-13T10:00", ""),
    ("c5", "A", "2025-01-06T09:00", ""),  # 6 h, escalated only after B completed
    ("c5", "B", "2025-01-06T15:00", ""),
    ("c5", "E", "2025-01-06T16:00", ""),
    ("c6", "A", "2025-01-07T09:00", ""),  # still waiting at the log end (Mon 13 13:00): 36 working h
    ("c7", "A", "2025-01-13T10:30", ""),  # still waiting, 2.5 h, escalated
    ("c7", "E", "2025-01-13T12:00", ""),
    ("c8", "B", "2025-01-06T10:00", ""),  # B without A: not activated
    ("c9", "A", "2025-01-06T09:00", ""),  # two B: 1 h and 6 h after A
    ("c9", "B", "2025-01-06T10:00", ""),
    ("c9", "B", "2025-01-06T15:00", ""),
]
TIMER = SlaTimer(
    id="t", task="B", duration=timedelta(hours=4), interrupting=False, escalation=("E",), start_after="A"
)


def _import(ws, tmp_path: Path, name: str, rows: Sequence[tuple[str, ...]]):
    """Write (case, activity, time, start, resource) rows as CSV (UTC) and import them as ``name``."""
    path = tmp_path / f"{name}.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["case", "activity", "time", "start", "resource"])
        for case, act, time, start, *res in rows:
            out.writerow([case, act, time + "Z", start + "Z" if start else "", res[0] if res else ""])
    keys = KEYS if any(r[3] for r in rows) else {k: v for k, v in KEYS.items() if v != "start"}
    ws.import_file(path, name=name, exact_mapping=True, **keys)
    return ws.log(name)


@pytest.fixture
def sla_log(ws, tmp_path):
    """The SLA log above."""
    return _import(ws, tmp_path, "sla", SLA_ROWS)


@pytest.fixture(scope="module")
def after():
    """The sample AFTER log imported from CSV, and its generated facts."""
    from baton.api import open_workspace

    with open_workspace() as workspace:
        workspace.import_file(ROOT / "sample_logs" / "loans_after.csv", name="after")
        facts = json.loads((ROOT / "sample_logs" / "facts.json").read_text())["loans_after"]
        yield workspace.log("after"), facts


def _counts(result) -> dict[str, int]:
    keys = ["occurrences", "cases", "not_activated", "breach_cases", "breached_and_escalated"]
    keys += [
        "breached_escalated_late",
        "breached_not_escalated",
        "escalated_cases",
        "escalated_without_breach",
    ]
    keys += ["open_cases", "open_overdue_cases", "open_overdue_escalated"]
    return {k: getattr(result, k) for k in keys}


def test_sla_in_working_hours_hand_computed(sla_log):
    """Mon-Fri 09-17 UTC: breaches, in-window and late escalations, false alarms, open waits, median/p90."""
    r = check_sla(sla_log, [TIMER], calendar=WorkingCalendar.office()).results[0]
    assert _counts(r) == {
        "occurrences": 7, "cases": 6, "not_activated": 1, "breach_cases": 4, "breached_and_escalated": 1,
        "breached_escalated_late": 1, "breached_not_escalated": 2, "escalated_cases": 4,
        "escalated_without_breach": 1, "open_cases": 2, "open_overdue_cases": 1, "open_overdue_escalated": 0,
    }  # fmt: skip
    assert r.elapsed.median_us == 5 * H  # of 1, 3, 3, 5, 6, 6, 8.5 h
    assert r.elapsed.p90_us == pytest.approx(7 * H)  # 6 h + 0.4 * 2.5 h
    rows = r.cases_frame().set_index("case_id")
    assert rows.loc["c2", "due"] == pd.Timestamp("2025-01-13T12:00Z")  # 1 h on Friday, 3 h on Monday
    assert rows.loc["c6", "elapsed_us"] == 36 * H and bool(rows.loc["c6", "open"])


def test_sla_in_calendar_time_hand_computed(sla_log):
    """24/7 (the default): the weekend counts, so c4's alarm is a real breach and nothing is a false alarm."""
    r = check_sla(sla_log, [TIMER]).results[0]
    got = _counts(r)
    assert (got["breach_cases"], got["breached_and_escalated"], got["breached_escalated_late"]) == (5, 2, 1)
    assert (got["breached_not_escalated"], got["escalated_without_breach"], got["open_overdue_cases"]) == (
        2,
        0,
        1,
    )
    elapsed = r.cases_frame().set_index("case_id")["elapsed_us"]
    assert elapsed["c2"] == 69 * H and elapsed["c4"] == 67 * H


def test_sla_until_start_and_preceding_event(sla_log):
    """until='start' stops c3's clock at its start (3 h); without start_after c9's second B counts from the first."""
    by_start = check_sla(sla_log, [replace(TIMER, until="start")]).results[0]
    assert by_start.cases_frame().set_index("case_id").loc["c3", "elapsed_us"] == 3 * H
    preceding = SlaTimer(id="p", task="B", duration=timedelta(hours=4), interrupting=False, escalation=("E",))
    r = check_sla(sla_log, [preceding]).results[0]
    rows = r.cases_frame()
    assert rows[rows.case_id == "c9"]["elapsed_us"].tolist() == [1 * H, 5 * H]
    assert rows[rows.case_id == "c2"]["elapsed_us"].tolist() == [69 * H]  # from A: the escalation is skipped
    assert (r.not_activated, r.open_cases) == (1, 0)  # c8 starts with B; no open waits without start_after


def test_sla_bad_duration_and_unknown_names(sla_log):
    """A zero duration is refused naming the timer; a task the log lacks gives zero occurrences."""
    with pytest.raises(ModelError, match="'z'"):
        check_sla(sla_log, [SlaTimer(id="z", task="B", duration=timedelta(0), interrupting=True)])
    missing = SlaTimer(
        id="m",
        task="Nope",
        duration=timedelta(hours=1),
        interrupting=False,  # interrupting, every escalated case that went on would count as interrupted
        escalation=("E",),
        start_after="A",
    )
    r = check_sla(sla_log, [missing]).results[0]
    assert (r.occurrences, r.not_activated, r.breach_cases) == (0, 0, 0)
    # waiting for the missing task: cases whose last A is followed by escalations only
    assert sorted(r.cases_frame().case_id) == ["c6", "c7"] and r.open_overdue_cases == 2


def test_sla_sample_after_matches_generator_facts(after):
    """The P2D underwriting pick-up SLA on the AFTER sample gives exactly the generator's counts."""
    log, facts = after
    timer = SlaTimer(
        id="sla",
        task="Underwrite Application",
        duration=timedelta(days=2),
        interrupting=False,
        escalation=("Escalate to Team Lead",),
        start_after="Run Credit Check",
        until="start",
    )
    r = check_sla(log, [timer]).results[0]
    assert r.breach_cases == facts["sla_breach_cases"]
    assert r.breached_and_escalated == facts["breached_and_escalated"]
    assert r.breached_not_escalated == facts["breached_not_escalated"]
    assert r.escalated_cases == facts["escalated_cases"]
    assert r.cases == facts["underwritten_cases"]
    assert r.escalated_without_breach == 0 and r.breached_escalated_late == 0


# ---- four-eyes and retries --------------------------------------------------------------------------
POLICY_ROWS = [
    ("x1", "U", "2025-01-06T09:00", "", "ann"),
    ("x1", "A", "2025-01-06T09:10", "", "bot"),
    ("x1", "A", "2025-01-06T09:20", "", "bot"),
    ("x1", "A", "2025-01-06T09:30", "", "bot"),
    ("x1", "M", "2025-01-06T10:00", "", "ann"),  # same person: violation
    ("x2", "U", "2025-01-06T09:00", "", "ann"),
    ("x2", "A", "2025-01-06T09:10", "", "bot"),
    ("x2", "M", "2025-01-06T10:00", "", "bob"),
    ("x3", "U", "2025-01-06T09:00", ""),  # no resources: never a violation
    ("x3", "M", "2025-01-06T10:00", ""),
    ("x4", "U", "2025-01-06T09:00", "", "ann"),  # no M: not checked
    ("x5", "M", "2025-01-06T08:00", "", "bob"),  # bob approves first, then underwrites too
    ("x5", "U", "2025-01-06T09:00", "", "bob"),
    ("x5", "M", "2025-01-06T10:00", "", "cid"),
    *[("x5", "A", f"2025-01-06T11:0{i}", "", "bot") for i in range(4)],
]


@pytest.fixture
def policy_log(ws, tmp_path):
    """The four-eyes / retry log above."""
    return _import(ws, tmp_path, "policy", POLICY_ROWS)


def test_four_eyes_hand_computed(policy_log):
    """x1 and x5 break U/M (any order, any occurrence); x3 has no resources; x4 lacks M."""
    r = check_four_eyes(policy_log, [FourEyesRule("U", "M"), FourEyesRule("U", "Nope")]).results
    assert (r[0].cases_checked, r[0].violation_cases, r[0].share) == (4, 2, 0.5)
    assert r[0].examples == (("x1", "ann"), ("x5", "bob"))
    assert (r[1].cases_checked, r[1].violation_cases, r[1].share) == (0, 0, 0.0)


def test_retries_hand_computed(policy_log):
    """A at most twice: x1 (3) and x5 (4) exceed it, x5 is the worst; a zero limit is refused."""
    r = check_retries(policy_log, [RetryPolicy("A", 2)]).results[0]
    assert (r.cases_with_activity, r.violation_cases, r.max_attempts_seen) == (3, 2, 4)
    assert r.worst_case == ("x5", 4) and r.examples == (("x5", 4), ("x1", 3))
    with pytest.raises(ModelError, match="'A'"):
        check_retries(policy_log, [RetryPolicy("A", 0)])


@pytest.fixture(scope="module")
def after_frame() -> pd.DataFrame:
    """The AFTER CSV read with pandas, in Baton's event order (start or time, then time, then file order)."""
    df = pd.read_csv(ROOT / "sample_logs" / "loans_after.csv")
    for col in ("timestamp", "start_timestamp"):
        df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    df["sort_ts"] = df["start_timestamp"].fillna(df["timestamp"])
    df["row"] = range(len(df))
    return df.sort_values(["case_id", "sort_ts", "timestamp", "row"]).reset_index(drop=True)


def test_four_eyes_and_retries_on_the_sample(after, after_frame):
    """The generator's four-eyes and KYC facts, and pandas counts of the same rules."""
    log, facts = after
    df = after_frame
    first, second = facts["four_eyes_pair"]
    who = df.groupby(["case_id", "activity"])["resource"].agg(set).unstack()
    both = who[first].notna() & who[second].notna()
    same = sum(bool(a & b) for a, b in zip(who.loc[both, first], who.loc[both, second], strict=True))
    eyes = check_four_eyes(log, [FourEyesRule(first, second)]).results[0]
    assert eyes.violation_cases == facts["four_eyes_violation_cases"] == same
    assert eyes.cases_checked == int(both.sum())
    kyc = df[df.activity == "Run KYC Check"].groupby("case_id").size()
    retry = check_retries(log, [RetryPolicy("Run KYC Check", facts["kyc_policy_max_attempts"])]).results[0]
    assert retry.violation_cases == facts["kyc_over_policy_cases"] == int((kyc > 2).sum())
    assert retry.max_attempts_seen == kyc.max()


# ---- human vs system time ---------------------------------------------------------------------------
def _model(owners: dict[str, str]) -> TargetModel:
    kinds = {"human": "user", "system": "service"}
    tasks = tuple(ModelTask(a, a, kinds[o], o) for a, o in owners.items())  # type: ignore[arg-type]
    return TargetModel("m", "test", "yaml", tasks, PetriNetSpec((), (), (), (), ()))


def test_human_system_times_hand_computed(ws, tmp_path):
    """Waiting before and processing of events by owner type, and handoffs with the target's waiting."""
    rows = [
        ("h1", "S", "2025-01-06T09:00", ""),
        ("h1", "B", "2025-01-06T10:30", "2025-01-06T10:00"),  # waits 1 h, works 0.5 h
        ("h1", "S", "2025-01-06T11:00", ""),  # waits 0.5 h
        ("h2", "B", "2025-01-06T10:00", "2025-01-06T09:00"),  # first event: no waiting; works 1 h
        ("h2", "B", "2025-01-06T13:00", "2025-01-06T12:00"),  # waits 2 h, works 1 h
        ("h2", "D", "2025-01-06T14:00", ""),  # unknown owner, waits 1 h
    ]
    log = _import(ws, tmp_path, "hs", rows)
    times = get_human_system_times(log, _model({"S": "system", "B": "human"}))
    human = times.owner("human")
    assert human is not None and human.events == 3
    assert (human.waiting.count, human.waiting.mean_us, human.waiting.median_us) == (2, 1.5 * H, 1.5 * H)
    assert (human.processing.count, human.processing.median_us) == (3, 1 * H)
    assert human.processing.mean_us == pytest.approx(2.5 * H / 3)
    pairs = {(h.source, h.target): (h.count, h.waiting.mean_us) for h in times.handoffs}
    assert pairs == {
        ("system", "human"): (1, 1 * H),
        ("human", "system"): (1, 0.5 * H),
        ("human", "human"): (1, 2 * H),
        ("human", "unknown"): (1, 1 * H),
    }
    assert times.to_frame().set_index("activity").loc["D", "owner"] == "unknown"


def test_human_system_times_on_the_sample(after, after_frame):
    """Mean human waiting and the system->human handoffs on the AFTER sample equal a pandas computation."""
    log, facts = after
    human = {"Underwrite Application", "Manager Approval", "Review Documents", "Correct Data Entry Error"}
    owners = {
        a: ("human" if a in human else "system") for a in facts["activities"] if a != "Escalate to Team Lead"
    }
    times = get_human_system_times(log, _model(owners))
    df = after_frame.copy()
    df["owner"] = df["activity"].map(owners).fillna("unknown")
    same_case = df["case_id"].eq(df["case_id"].shift())
    df["waiting_us"] = ((df["sort_ts"] - df["timestamp"].shift()) / pd.Timedelta(microseconds=1)).where(
        same_case
    )
    df["previous"] = df["owner"].shift().where(same_case)
    got = times.owner("human")
    assert got is not None
    assert got.waiting.mean_us == pytest.approx(df.loc[df.owner == "human", "waiting_us"].mean())
    handoff = times.handoff("system", "human")
    expected = df[(df.previous == "system") & (df.owner == "human")]["waiting_us"]
    assert handoff is not None and handoff.count == len(expected)
    assert handoff.waiting.mean_us == pytest.approx(expected.mean())


INTERRUPT_ROWS = [
    (
        "i1",
        "A",
        "2025-01-06T09:00",
        "",
    ),  # escalated after 5 h, then the escalation path: interrupted, breached
    ("i1", "E", "2025-01-06T14:00", ""),
    ("i1", "C", "2025-01-06T15:00", ""),
    ("i2", "A", "2025-01-06T09:00", ""),  # B after 1 h: met
    ("i2", "B", "2025-01-06T10:00", ""),
    ("i3", "A", "2025-01-06T09:00", ""),  # escalated after 1 h and the task dropped: an early interruption
    ("i3", "E", "2025-01-06T10:00", ""),
    ("i3", "C", "2025-01-06T11:00", ""),
    ("i4", "A", "2025-01-06T09:00", ""),  # escalated, nothing else yet: still waiting (open, overdue)
    ("i4", "E", "2025-01-06T14:00", ""),
]


def test_sla_interrupting_timer_counts_cases_the_escalation_path_replaced(ws, tmp_path):
    """An interrupting timer: cases that took the escalation path instead of the task count as interrupted."""
    log = _import(ws, tmp_path, "interrupt", INTERRUPT_ROWS)
    timer = replace(TIMER, interrupting=True)
    (r,) = check_sla(log, [timer]).results
    assert (r.interrupted_cases, r.cases, r.breach_cases, r.breached_and_escalated) == (2, 3, 1, 1)
    assert (r.escalated_without_breach, r.escalated_cases) == (1, 3)
    assert (r.open_cases, r.open_overdue_cases, r.open_overdue_escalated) == (1, 1, 1)
    frame = r.cases_frame().set_index("case_id")
    assert frame.loc["i1", "elapsed_us"] == 5 * H and bool(frame.loc["i1", "interrupted"])
    (plain,) = check_sla(log, [TIMER]).results  # the same timer non-interrupting: nothing interrupted
    assert (plain.interrupted_cases, plain.cases) == (0, 1)


def test_sla_without_open_waits_or_interruptions(ws, tmp_path):
    """A log where every activation is followed by the task: no open rows, no interrupted rows, no error."""
    log = _import(
        ws, tmp_path, "closed", [("k1", "A", "2025-01-06T09:00", ""), ("k1", "B", "2025-01-06T15:00", "")]
    )
    (r,) = check_sla(log, [replace(TIMER, interrupting=True)]).results
    assert (r.cases, r.breach_cases, r.open_cases, r.interrupted_cases) == (1, 1, 0, 0)
