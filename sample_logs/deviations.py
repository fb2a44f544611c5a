"""Known deviations injected into the AFTER log, so conformance and orchestration checks have exact answers.

Each affected case gets exactly one deviation, drawn from its own seeded stream after the simulation, so
every other case of the log stays as simulated. Only cases that reached an end activity are touched.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
from loan_flows import END_ACTIVITIES, CaseAttributes
from loan_sim import CLERKS, Event

#: activities only the injected deviations add (the target model does not know them)
INSERTED_ACTIVITIES = frozenset({"Re-enter Application Data"})
#: deviation -> share of completed cases it is injected into (mutually exclusive per case)
SHARES = {
    "fraud_screening_skipped": 0.02,  # the fraud engine was down and nobody re-ran it: a skipped step
    "manual_reentry_inserted": 0.015,  # a clerk re-keyed the application by habit: an inserted step
    "fraud_before_kyc": 0.01,  # fraud screening ran before the KYC check: wrong order
    "kyc_retried": 0.01,  # the KYC bot timed out twice and was re-run: beyond a 2-attempt retry policy
    "four_eyes_broken": 0.25,  # of referred cases: the underwriter also signed the manager approval
}


def _names(events: list[Event]) -> list[str]:
    return [e.activity for e in events]


def _skip_fraud(events: list[Event], attrs: CaseAttributes) -> list[Event] | None:
    return [e for e in events if e.activity != "Run Fraud Screening"]


def _insert_reentry(events: list[Event], attrs: CaseAttributes) -> list[Event] | None:
    first, second = events[0], events[1]
    when = first.timestamp + timedelta(seconds=(second.timestamp - first.timestamp).total_seconds() // 2)
    clerk = CLERKS[attrs.region][0]
    reentry = Event("Re-enter Application Data", when, None, clerk, 2.5)
    return [first, reentry, *events[1:]]


def _fraud_before_kyc(events: list[Event], attrs: CaseAttributes) -> list[Event] | None:
    names = _names(events)
    i = names.index("Run KYC Check")
    if names[i + 1] != "Run Fraud Screening":
        return None  # a data-entry correction sits between them: leave the case alone
    kyc, fraud = events[i], events[i + 1]
    swapped = [replace(fraud, timestamp=kyc.timestamp), replace(kyc, timestamp=fraud.timestamp)]
    return [*events[:i], *swapped, *events[i + 2 :]]


def _retry_kyc(events: list[Event], attrs: CaseAttributes) -> list[Event] | None:
    """The KYC bot timed out twice and was re-run 30 s later each time: three runs in a row."""
    i = _names(events).index("Run KYC Check")
    kyc = events[i]
    runs = [
        replace(kyc, timestamp=kyc.timestamp + timedelta(seconds=30 * k), outcome="timeout") for k in (0, 1)
    ]
    runs.append(replace(kyc, timestamp=kyc.timestamp + timedelta(seconds=60)))
    shifted = [replace(e, timestamp=e.timestamp + timedelta(seconds=60)) for e in events[i + 1 :]]
    return [*events[:i], *runs, *shifted]


def _four_eyes(events: list[Event], attrs: CaseAttributes) -> list[Event] | None:
    names = _names(events)
    if "Manager Approval" not in names:
        return None
    underwriter = events[names.index("Underwrite Application")].resource
    return [replace(e, resource=underwriter) if e.activity == "Manager Approval" else e for e in events]


_INJECT = {
    "fraud_screening_skipped": _skip_fraud,
    "manual_reentry_inserted": _insert_reentry,
    "fraud_before_kyc": _fraud_before_kyc,
    "kyc_retried": _retry_kyc,
}


def inject(cases: list[tuple[CaseAttributes, list[Event]]], rng: np.random.Generator) -> dict[str, list[str]]:
    """Inject the deviations in place; returns the case ids per deviation (what the facts report)."""
    done: dict[str, list[str]] = {name: [] for name in SHARES}
    kinds = list(_INJECT)
    shares = np.array([SHARES[k] for k in kinds])
    for index, (attrs, events) in enumerate(cases):
        draw, four_eyes_draw = rng.random(), rng.random()
        if events[-1].activity not in END_ACTIVITIES or len(events) < 3:
            continue
        hit = int(np.searchsorted(np.cumsum(shares), draw, side="right"))
        changed = _INJECT[kinds[hit]](events, attrs) if hit < len(kinds) else None
        if changed is not None:
            events = changed
            done[kinds[hit]].append(attrs.case_id)
        elif four_eyes_draw < SHARES["four_eyes_broken"] and (broken := _four_eyes(events, attrs)):
            events = broken
            done["four_eyes_broken"].append(attrs.case_id)
        cases[index] = (attrs, events)
    return done
