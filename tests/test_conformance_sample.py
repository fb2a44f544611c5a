"""Acceptance: the sample AFTER log against its to-be models finds every injected deviation and SLA breach.

The numbers come from sample_logs/facts.json, which the seeded generator computes from the rows it writes
(sample_logs/deviations.py injects the deviations into completed cases, one per case).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics import check_conformance, check_four_eyes, check_retries, check_sla, get_model_overlay
from baton.filters import EndActivities
from baton.models.load import read_model

ENDS = ("Disburse Loan", "Reject Application", "Cancel Application")


@pytest.fixture(scope="module")
def facts(sample_logs: Path) -> dict:
    return json.loads((sample_logs / "facts.json").read_text())["loans_after"]


@pytest.fixture(scope="module")
def after(sample_logs: Path):  # type: ignore[no-untyped-def]
    from baton.api import open_workspace

    with open_workspace() as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="after")
        yield ws.log("after")


@pytest.fixture(scope="module", params=["loans_target.bpmn", "loans_target.yaml"])
def model(request: pytest.FixtureRequest, sample_logs: Path):  # type: ignore[no-untyped-def]
    return read_model(sample_logs / request.param)


def _cases(result, activity: str, kind: str) -> int:  # type: ignore[no-untyped-def]
    return sum(d.cases for d in result.deviations_by_activity if d.activity == activity and d.kind == kind)


def test_completed_cases_show_exactly_the_injected_deviations(after, model, facts: dict) -> None:  # type: ignore[no-untyped-def]
    """Completed cases: skipped, inserted, wrong-order and retry deviations equal the injected case counts."""
    done = after.filter(EndActivities(ENDS))
    result = check_conformance(done, model)
    injected = {k: v["cases"] for k, v in facts["injected_deviations"].items()}
    assert result.cases == facts["cases"] - facts["running_cases"]
    assert result.budget_hits.variants == 0
    assert _cases(result, "Run Fraud Screening", "skipped") == injected["fraud_screening_skipped"]
    assert _cases(result, "Re-enter Application Data", "inserted") == injected["manual_reentry_inserted"]
    assert _cases(result, "Run KYC Check", "inserted") == injected["kyc_retried"]
    wrong = _cases(result, "Run KYC Check", "wrong_order") + _cases(
        result, "Run Fraud Screening", "wrong_order"
    )
    assert wrong == injected["fraud_before_kyc"]
    assert _cases(result, "Check Documents", "skipped") == facts["unchecked_documents_cases"]
    control_flow = sum(v for k, v in injected.items() if k != "four_eyes_broken")
    assert result.fit_cases == result.cases - control_flow - facts["unchecked_documents_cases"]
    assert result.deviating.cases + result.conforming.cases == result.cases
    assert result.deviating.cases == result.cases - result.fit_cases


def test_overlay_marks_the_injected_paths_as_not_allowed(after, model) -> None:  # type: ignore[no-untyped-def]
    """The map overlay flags the wrong-order and inserted paths and keeps the happy path conforming."""
    overlay = get_model_overlay(after, model)
    status = {(e.source, e.target): e.status for e in overlay.edges}
    assert status[("Run Fraud Screening", "Run KYC Check")] == "not_allowed"
    assert status[("Receive Application", "Re-enter Application Data")] == "not_allowed"
    assert status[("Run KYC Check", "Run KYC Check")] == "not_allowed"
    assert status[("Receive Documents", "Run Credit Check")] == "not_allowed"
    assert status[("Run KYC Check", "Run Fraud Screening")] == "conforming"
    assert status[("Underwrite Application", "Prepare Contract")] == "conforming"


def test_sla_timer_from_the_model_finds_every_breach(after, model, facts: dict) -> None:  # type: ignore[no-untyped-def]
    """The model's P2D underwriting timer (calendar time) gives the generator's breach and escalation counts."""
    (timer,) = model.timers
    (sla,) = check_sla(after, model.timers).results
    assert (timer.task, timer.start_after, timer.until) == (
        "Underwrite Application",
        "Run Credit Check",
        "start",
    )
    assert sla.breach_cases == facts["sla_breach_cases"]
    assert sla.breached_and_escalated == facts["breached_and_escalated"]
    assert sla.breached_not_escalated == facts["breached_not_escalated"]
    assert sla.escalated_cases == facts["escalated_cases"]


def test_yaml_spec_rules_find_four_eyes_and_retry_violations(sample_logs: Path, after, facts: dict) -> None:  # type: ignore[no-untyped-def]
    """The YAML spec's four-eyes pair and KYC retry policy give the violations counted from the rows."""
    spec = read_model(sample_logs / "loans_target.yaml")
    (four_eyes,) = check_four_eyes(after, spec.four_eyes).results
    (retry,) = check_retries(after, spec.retries).results
    assert [four_eyes.rule.first, four_eyes.rule.second] == facts["four_eyes_pair"]
    assert four_eyes.violation_cases == facts["four_eyes_violation_cases"]
    assert retry.policy.max_attempts == facts["kyc_policy_max_attempts"]
    assert retry.violation_cases == facts["kyc_over_policy_cases"]
