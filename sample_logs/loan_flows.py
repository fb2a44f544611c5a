"""The BEFORE (manual) and AFTER (orchestrated) consumer-loan processes, one case at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from loan_sim import BACK_OFFICE, MANAGER, UNDERWRITERS, Case, Event, next_working_time

END_ACTIVITIES = ("Disburse Loan", "Reject Application", "Cancel Application")
SLA = timedelta(days=2)  # underwriting must start within P2D of "Run Credit Check" completing
SLA_GO_LIVE = datetime.fromisoformat("2025-08-01T00:00:00+00:00")  # the SLA monitor's first day
PRODUCTS = ("personal", "auto", "mortgage")
CHANNELS = ("branch", "web", "partner")
REGIONS = ("Berlin", "Munich", "London", "New York")
#: product -> (median amount, sigma, lower bound, upper bound, rounding step)
AMOUNTS = {
    "personal": (8_000, 0.6, 1_000, 50_000, 100),
    "auto": (22_000, 0.45, 5_000, 90_000, 100),
    "mortgage": (240_000, 0.5, 60_000, 900_000, 1_000),
}


@dataclass(frozen=True, slots=True)
class CaseAttributes:
    """Case-level attributes, repeated on every row in CSV/Parquet and trace attributes in XES."""

    case_id: str
    loan_amount: int
    product: str
    channel: str
    region: str


def draw_attributes(
    rng: np.random.Generator, n: int, prefix: str, channel_p: tuple[float, float, float]
) -> list[CaseAttributes]:
    """Draw product, amount, channel and region for ``n`` cases named ``<prefix>-00001`` ..."""
    products = rng.choice(len(PRODUCTS), size=n, p=[0.55, 0.30, 0.15])
    channels = rng.choice(len(CHANNELS), size=n, p=list(channel_p))
    regions = rng.choice(len(REGIONS), size=n, p=[0.30, 0.25, 0.25, 0.20])
    noise = rng.standard_normal(n)
    result = []
    for i in range(n):
        product = PRODUCTS[products[i]]
        median, sigma, low, high, step = AMOUNTS[product]
        amount = int(np.clip(round(median * np.exp(sigma * noise[i]) / step) * step, low, high))
        result.append(
            CaseAttributes(
                f"{prefix}-{i + 1:05d}", amount, product, CHANNELS[channels[i]], REGIONS[regions[i]]
            )
        )
    return result


# ---- BEFORE: manual handoffs, e-mail re-entry, rework, long waits ----------------------------------
def simulate_before(case: Case, attrs: CaseAttributes) -> None:
    """Run one BEFORE case: intake by e-mail/paper, manual checks, underwriting, contract by post."""
    if attrs.channel == "branch":
        case.record("Receive Application", case.clerk(), wait=(0.05, 0.5))
    else:
        case.system("Receive Application", "sys_mail_gateway", delay_s=0, cost=0.05)
    clerk = case.clerk()
    has_error = case.chance(0.18)  # typing errors found later by the underwriter
    case.human("Re-enter Application Data", clerk, "clerk", wait=(20, 0.9), service=25)
    if not _before_documents(case, clerk):
        return
    case.human("Run Credit Check", case.clerk(), "clerk", wait=(24, 0.8), service=20)
    decision = _before_underwriting(case, attrs, has_error)
    if decision == "reject":
        case.system("Reject Application", "sys_los", delay_s=0, cost=0.05)
        return
    case.human("Prepare Contract", clerk, "clerk", wait=(22, 0.8), service=30)
    case.customer_wait(80, 0.8)  # the contract travels by post and comes back signed (or not)
    if case.chance(0.05):
        case.record("Cancel Application", clerk, wait=(2, 0.5), outcome="customer withdrew")
        return
    case.human("Disburse Loan", case.pick(BACK_OFFICE), "back_office", wait=(26, 0.7), service=15)


def _before_documents(case: Case, clerk: str) -> bool:
    """Check documents, chasing missing ones by e-mail up to three times; False if the customer gave up."""
    missing_p = 0.34
    for _ in range(4):
        missing = case.chance(missing_p)
        case.human(
            "Check Documents",
            clerk,
            "clerk",
            wait=(18, 0.9),
            service=15,
            outcome="missing" if missing else "complete",
        )
        if not missing:
            return True
        case.human("Request Missing Documents", clerk, "clerk", wait=(1.5, 1.0), service=10)
        case.customer_wait(110, 0.9)
        if case.chance(0.07):
            case.record("Cancel Application", clerk, wait=(200, 0.3), outcome="no documents")
            return False
        case.record("Receive Documents", clerk, wait=(6, 0.8))
        missing_p = 0.22
    return True


def _before_underwriting(case: Case, attrs: CaseAttributes, has_error: bool) -> str:
    """Underwrite (rework after data-entry errors), then manager approval above 50k; returns the decision."""
    underwriter = case.pick(UNDERWRITERS)
    if has_error:
        case.human(
            "Underwrite Application",
            underwriter,
            "underwriter",
            wait=(40, 0.9),
            service=30,
            outcome="data error",
        )
        case.human("Correct Data Entry Error", case.clerk(), "clerk", wait=(20, 0.8), service=20)
    decision = "reject" if case.chance(0.14) else "approve"
    case.human(
        "Underwrite Application", underwriter, "underwriter", wait=(40, 0.9), service=45, outcome=decision
    )
    if decision == "approve" and attrs.loan_amount > 50_000:
        decision = "reject" if case.chance(0.1) else "approve"
        case.human("Manager Approval", MANAGER, "manager", wait=(30, 0.8), service=20, outcome=decision)
    return decision


# ---- AFTER: orchestrated, system accounts, SLA escalation ------------------------------------------
def simulate_after(case: Case, attrs: CaseAttributes) -> None:
    """Run one AFTER case: portal intake, bots for checks, underwriting under an SLA, e-signature."""
    intake = "sys_partner_api" if attrs.channel == "partner" else "sys_web_portal"
    if attrs.channel == "branch":  # branch staff key the application into the portal during opening hours
        case.t = case.work_start(case.t)
    case.system("Receive Application", intake, delay_s=0, cost=0.05)
    case.system(
        "Run KYC Check", "sys_kyc_bot", delay_s=int(case.rng.integers(5, 40)), cost=1.2, outcome="match"
    )
    if case.chance(0.05):  # identity data do not match the ID document: a clerk fixes the typo
        case.events[-1] = _with_outcome(case.events[-1], "mismatch")
        case.human("Correct Data Entry Error", case.clerk(), "clerk", wait=(3, 0.8), service=10)
        case.system("Run KYC Check", "sys_kyc_bot", delay_s=2, cost=1.2, outcome="match")
    case.system("Run Fraud Screening", "sys_fraud_engine", delay_s=0, cost=0.35)  # same second as KYC
    if not _after_documents(case):
        return
    band = str(case.rng.choice(["A", "B", "C", "D"], p=[0.35, 0.35, 0.22, 0.08]))
    case.system(
        "Run Credit Check", "sys_credit_engine", delay_s=int(case.rng.integers(5, 60)), cost=2.5, outcome=band
    )
    if band == "D":
        case.system("Reject Application", "sys_notify_bot", delay_s=0, cost=0.05)
        return
    auto_approve = band == "A" and attrs.product != "mortgage" and attrs.loan_amount <= 20_000
    if not auto_approve and _after_underwriting(case, attrs) == "reject":
        case.system("Reject Application", "sys_notify_bot", delay_s=0, cost=0.05)
        return
    case.system("Prepare Contract", "sys_contract_bot", delay_s=int(case.rng.integers(30, 300)), cost=0.3)
    case.customer_wait(20, 1.0)  # e-signature
    if case.chance(0.03):
        case.system("Cancel Application", "sys_notify_bot", delay_s=0, cost=0.05, outcome="customer withdrew")
        return
    case.customer_wait(1.0, 0.8)  # signed: the next payment batch pays out
    case.system("Disburse Loan", "sys_payments", delay_s=0, cost=0.8)


def _with_outcome(event: Event, outcome: str) -> Event:
    """A copy of ``event`` with another outcome."""
    return Event(event.activity, event.timestamp, event.start, event.resource, event.cost, outcome)


def _after_documents(case: Case) -> bool:
    """Document AI check, human review when unclear, portal requests for missing ones; False if cancelled."""
    missing_p = 0.18
    for _ in range(3):
        draw = case.rng.random()
        verdict = "missing" if draw < missing_p else ("unclear" if draw < missing_p + 0.08 else "complete")
        case.system(
            "Check Documents",
            "sys_doc_ai",
            delay_s=int(case.rng.integers(10, 120)),
            cost=0.8,
            outcome=verdict,
        )
        if verdict == "unclear":
            verdict = "missing" if case.chance(0.3) else "complete"
            case.human("Review Documents", case.clerk(), "clerk", wait=(3, 0.9), service=10, outcome=verdict)
        if verdict == "complete":
            return True
        case.system("Request Missing Documents", "sys_notify_bot", delay_s=0, cost=0.05)
        case.customer_wait(30, 0.9)
        if case.chance(0.04):
            case.system("Cancel Application", "sys_notify_bot", delay_s=0, cost=0.05, outcome="no documents")
            return False
        case.system("Receive Documents", "sys_web_portal", delay_s=0, cost=0.05)
        missing_p = 0.08
    return True


def _after_underwriting(case: Case, attrs: CaseAttributes) -> str:
    """Underwriting with the P2D SLA timer (escalation once live), manager approval above 100k."""
    ready = case.t
    start = case.work_start(ready + case.lognormal(7, 1.0))
    if start - ready > SLA and ready + SLA >= SLA_GO_LIVE:
        case.system("Escalate to Team Lead", "sys_sla_monitor", delay_s=int(SLA.total_seconds()), cost=0.05)
        escalated = next_working_time(case.t + case.lognormal(1.5, 0.6), case.zone)
        start = min(start, escalated)
    decision = str(case.rng.choice(["approve", "reject", "refer"], p=[0.8, 0.1, 0.1]))
    if attrs.loan_amount > 100_000 and decision != "reject":
        decision = "refer"
    case.human(
        "Underwrite Application",
        case.pick(UNDERWRITERS),
        "underwriter",
        wait=(0, 0),
        service=35,
        outcome=decision,
        start=start,
    )
    if decision == "refer":
        decision = "reject" if case.chance(0.1) else "approve"
        case.human("Manager Approval", MANAGER, "manager", wait=(8, 0.8), service=20, outcome=decision)
    return decision
