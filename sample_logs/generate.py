"""Generate the seeded demo loan logs (BEFORE/AFTER orchestration) and the to-be BPMN: python sample_logs/generate.py."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bpmn_target import write_bpmn  # noqa: E402
from deviations import INSERTED_ACTIVITIES, SHARES, inject  # noqa: E402
from loan_flows import (  # noqa: E402
    END_ACTIVITIES,
    SLA,
    SLA_GO_LIVE,
    draw_attributes,
    simulate_after,
    simulate_before,
)
from loan_sim import UTC, Case  # noqa: E402
from log_writers import CaseEvents, to_arrow, write_csv, write_parquet, write_xes_gz  # noqa: E402

SEED = 20250701
OUT = Path(__file__).resolve().parent
MAX_BYTES = 5_000_000  # every committed output stays below 5 MB
#: name -> (case id prefix, cases, first day, log end (exclusive), channel mix branch/web/partner)
LOGS = {
    "loans_before": ("B", 5_000, "2025-01-01", "2025-07-01", (0.45, 0.35, 0.20)),
    "loans_after": ("A", 5_000, "2025-07-01", "2026-01-01", (0.30, 0.50, 0.20)),
}


def simulate(name: str, rng: np.random.Generator) -> CaseEvents:
    """Simulate one log: arrivals spread over the period, every case cut at the log end."""
    prefix, n, first, end, channels = LOGS[name]
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    log_end = datetime.fromisoformat(end).replace(tzinfo=UTC)
    attrs = draw_attributes(rng, n, prefix, channels)
    span = int((log_end - start).total_seconds()) - 86_400
    offsets = np.sort(rng.integers(0, span, size=n))
    flow = simulate_before if name == "loans_before" else simulate_after
    cases: CaseEvents = []
    for attr, offset in zip(attrs, offsets, strict=True):
        case = Case(rng, attr.region, start + timedelta(seconds=int(offset)))
        flow(case, attr)
        events = case.truncated(log_end)
        if events:
            cases.append((attr, events))
    return cases


def _per_case(df: pd.DataFrame) -> pd.DataFrame:
    """Per-case summary: counts of the marker activities, first/last time, last activity, rework flag."""
    g = df.groupby("case_id", sort=False)
    out = pd.DataFrame(
        {
            "first": g["timestamp"].min(),
            "last": g["timestamp"].max(),
            "last_activity": g["activity"].last(),
            "rework": df.groupby(["case_id", "activity"]).size().gt(1).groupby(level=0).any(),
        }
    )
    for activity in df["activity"].unique():
        out[activity] = df[df["activity"] == activity].groupby("case_id").size()
    return out.fillna({a: 0 for a in df["activity"].unique()})


def log_facts(df: pd.DataFrame) -> dict[str, object]:
    """Facts a test can check, computed from the generated rows (timestamps as UTC)."""
    cases = _per_case(df)
    done = cases[cases["last_activity"].isin(END_ACTIVITIES)]
    ts = df["timestamp"]
    same = (ts.eq(ts.shift()) & df["case_id"].eq(df["case_id"].shift())).sum()
    resources = sorted(df["resource"].unique())
    return {
        "cases": len(cases),
        "events": len(df),
        "events_with_start": int(df["start_timestamp"].notna().sum()),
        "activities": sorted(df["activity"].unique()),
        "resources": len(resources),
        "system_resources": sum(r.startswith("sys_") for r in resources),
        "system_event_share": round(float(df["resource"].str.startswith("sys_").mean()), 4),
        "first_timestamp": ts.min().isoformat(),
        "last_timestamp": ts.max().isoformat(),
        "running_cases": int(len(cases) - len(done)),
        "disbursed_cases": int((cases["last_activity"] == "Disburse Loan").sum()),
        "rejected_cases": int((cases["last_activity"] == "Reject Application").sum()),
        "cancelled_cases": int((cases["last_activity"] == "Cancel Application").sum()),
        "rework_cases": int(cases["rework"].sum()),
        "missing_documents_cases": int((cases.get("Request Missing Documents", 0) > 0).sum()),
        "data_entry_error_cases": int((cases.get("Correct Data Entry Error", 0) > 0).sum()),
        "equal_timestamp_pairs": int(same),
        "median_completed_case_hours": round(
            float((done["last"] - done["first"]).median() / pd.Timedelta(hours=1)), 2
        ),
        "total_cost_eur": round(float(df["cost"].sum()), 2),
    }


def sla_facts(df: pd.DataFrame) -> dict[str, object]:
    """AFTER only: underwriting waits against the P2D SLA and the escalations the monitor raised."""
    ready = df[df["activity"] == "Run Credit Check"].groupby("case_id")["timestamp"].max()
    started = df[df["activity"] == "Underwrite Application"].groupby("case_id")["start_timestamp"].min()
    escalated = set(df.loc[df["activity"] == "Escalate to Team Lead", "case_id"])
    breached = set(started.index[(started - ready.reindex(started.index)) > pd.Timedelta(SLA)])
    return {
        "sla": "P2D",
        "sla_monitor_live_from": SLA_GO_LIVE.isoformat(),
        "underwritten_cases": len(started),
        "sla_breach_cases": len(breached),
        "escalated_cases": len(escalated),
        "breached_and_escalated": len(breached & escalated),
        "breached_not_escalated": len(breached - escalated),
        "escalated_not_yet_underwritten": len(escalated - set(started.index)),
    }


def policy_facts(df: pd.DataFrame) -> dict[str, object]:
    """AFTER only, computed from the rows: four-eyes violations and KYC runs beyond a policy of 2."""
    who = df.pivot_table(index="case_id", columns="activity", values="resource", aggfunc="first")
    same = who["Underwrite Application"].eq(who["Manager Approval"]) & who["Manager Approval"].notna()
    kyc = df[df["activity"] == "Run KYC Check"].groupby("case_id").size()
    following = df.groupby("case_id")["activity"].shift(-1)
    unchecked = df.loc[(df["activity"] == "Receive Documents") & (following == "Run Credit Check"), "case_id"]
    return {
        "four_eyes_pair": ["Underwrite Application", "Manager Approval"],
        "four_eyes_violation_cases": int(same.sum()),
        "kyc_policy_max_attempts": 2,
        "kyc_over_policy_cases": int((kyc > 2).sum()),
        # documents received in the third request round go to the credit check without a last document
        # check (the simulation's loop limit; the to-be model wants every receipt checked)
        "unchecked_documents_cases": int(unchecked.nunique()),
    }


def deviation_facts(injected: dict[str, list[str]]) -> dict[str, object]:
    """AFTER only: which completed cases got which injected deviation (see deviations.py)."""
    return {
        "injected_deviations": {
            name: {"share": SHARES[name], "cases": len(ids), "first_cases": sorted(ids)[:5]}
            for name, ids in injected.items()
        }
    }


def main() -> None:
    """Write every output file into sample_logs/ and print the facts."""
    facts: dict[str, object] = {"seed": SEED}
    for index, name in enumerate(LOGS):
        cases = simulate(name, np.random.default_rng([SEED, index]))
        injected = inject(cases, np.random.default_rng([SEED, index, 1])) if name == "loans_after" else {}
        write_csv(cases, OUT / f"{name}.csv")
        write_parquet(cases, OUT / f"{name}.parquet")
        write_xes_gz(cases, OUT / f"{name}.xes.gz", name)
        df = to_arrow(cases).to_pandas()
        facts[name] = log_facts(df) | (
            sla_facts(df) | policy_facts(df) | deviation_facts(injected) if name == "loans_after" else {}
        )
        after_activities = facts[name]["activities"]  # type: ignore[index]
    write_bpmn(OUT / "loans_target.bpmn", set(after_activities) - INSERTED_ACTIVITIES)
    too_big = [p.name for p in OUT.iterdir() if not p.name.endswith(".py") and p.stat().st_size >= MAX_BYTES]
    if too_big:
        raise SystemExit(
            f"{too_big}: output files must stay under {MAX_BYTES} bytes; lower the case counts in LOGS"
        )
    (OUT / "facts.json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(facts, indent=2))


if __name__ == "__main__":
    main()
