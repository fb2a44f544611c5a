"""`baton conformance` and `baton discover` on the sample AFTER log: numbers equal the API's, clear errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from analytics import (
    Conformance,
    SlaReport,
    WorkingCalendar,
    check_conformance,
    check_sla,
    discover_target_model,
)
from baton.api import open_workspace
from baton.cli import app
from baton.models.load import read_model
from baton.models.types import TargetModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
YAML_MODEL = SAMPLES / "loans_target.yaml"
FACTS = json.loads((SAMPLES / "facts.json").read_text())["loans_after"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace file holding the sample AFTER log as ``after`` (closed again, so the CLI can open it)."""
    path = tmp_path_factory.mktemp("cli_conformance") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(SAMPLES / "loans_after.parquet", name="after")
    return path


@pytest.fixture(scope="module")
def api(workspace: Path) -> Iterator[tuple[Conformance, SlaReport, TargetModel]]:
    """Conformance and calendar-time SLA of the AFTER log vs the YAML spec, computed with the Python API."""
    model = read_model(YAML_MODEL)
    with open_workspace(workspace, read_only=True) as ws:
        log = ws.log("after")
        yield check_conformance(log, model), check_sla(log, model.timers), model


@pytest.fixture(scope="module")
def doc(workspace: Path) -> dict[str, Any]:
    """`baton conformance after loans_target.yaml --format json`, parsed."""
    result = run("conformance", "after", str(YAML_MODEL), "--format", "json", "-w", str(workspace))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cases(doc: dict[str, Any], activity: str, kind: str) -> int:
    return sum(d["cases"] for d in doc["deviations"] if (d["activity"], d["kind"]) == (activity, kind))


def test_json_fitness_precision_and_groups_equal_the_api(doc, api) -> None:
    """The JSON's fitness, precision, fitting cases, budget hits and case groups equal check_conformance."""
    conf, _, _ = api
    assert doc["fitness"]["token"]["log_fitness"] == pytest.approx(conf.token_fitness, abs=1e-12)
    assert doc["fitness"]["alignment"]["log_fitness"] == pytest.approx(conf.alignment_fitness, abs=1e-12)
    assert doc["fitness"]["token"]["perc_fit_cases"] == pytest.approx(conf.token.perc_fit_cases)
    assert doc["precision"] == pytest.approx(conf.precision, abs=1e-12)
    assert (doc["cases"], doc["fit_cases"]) == (conf.cases, conf.fit_cases) == (5000, conf.fit_cases)
    assert doc["budget_hits"]["cases"] == conf.budget_hits.cases == 0
    assert doc["deviating"]["cases"] == conf.deviating.cases == conf.cases - conf.fit_cases
    assert doc["deviating"]["mean_cost"] == pytest.approx(conf.deviating.mean_cost)
    assert doc["conforming"]["median_duration_us"] == conf.conforming.median_duration_us
    assert doc["cost_attribute"] == "cost"
    fits = {(v["variant_id"], v["count"], v["fits"]) for v in doc["variants"]}
    assert fits == {(v.variant_id, v.count, v.fits) for v in conf.variants}


def test_json_deviations_find_the_injected_ones(doc) -> None:
    """Inserted re-entry, skipped fraud screening and the swapped KYC/fraud order match facts.json."""
    injected = FACTS["injected_deviations"]
    assert (
        _cases(doc, "Re-enter Application Data", "inserted") == injected["manual_reentry_inserted"]["cases"]
    )
    assert _cases(doc, "Run Fraud Screening", "skipped") == injected["fraud_screening_skipped"]["cases"]
    # which of the two swapped activities an alignment moves is a tie; the swapped cases are not
    swapped = _cases(doc, "Run KYC Check", "wrong_order") + _cases(doc, "Run Fraud Screening", "wrong_order")
    assert swapped == injected["fraud_before_kyc"]["cases"]


def test_json_sla_four_eyes_retries_and_notes(doc, api) -> None:
    """SLA counts equal check_sla (breaches as in facts.json); four-eyes and retry rules are reported."""
    _, sla, model = api
    assert doc["sla"] == [json.loads(json.dumps(r.as_dict())) for r in sla.results]
    (timer,) = doc["sla"]
    assert timer["breach_cases"] == FACTS["sla_breach_cases"] == 567
    assert timer["breached_and_escalated"] == FACTS["breached_and_escalated"]
    assert timer["cases"] == FACTS["underwritten_cases"]
    (eyes,) = doc["four_eyes"]
    assert [eyes["first"], eyes["second"]] == FACTS["four_eyes_pair"]
    assert eyes["violation_cases"] == FACTS["four_eyes_violation_cases"]
    (retry,) = doc["retries"]
    assert (retry["max_attempts"], retry["violation_cases"]) == (2, FACTS["kyc_over_policy_cases"])
    assert doc["notes"] == [] and doc["model"]["tasks"] == [t.name for t in model.tasks]
    assert doc["calendar"]["hours"] == [[0, 86400]] * 7


def test_office_hours_sla_csv_equals_check_sla(workspace: Path) -> None:
    """`--calendar office --zone --hours --holidays --format csv --table sla` measures in those hours."""
    result = run(
        "conformance", "after", str(YAML_MODEL), "-w", str(workspace), "--format", "csv", "--table", "sla",
        "--calendar", "office", "--zone", "Europe/Berlin", "--hours", "08:00-20:00",
        "--holidays", "2025-12-25, 2025-12-26",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    cal = WorkingCalendar.office(
        timezone="Europe/Berlin", start="08:00", end="20:00", holidays=["2025-12-25", "2025-12-26"]
    )
    with open_workspace(workspace, read_only=True) as ws:
        expected = check_sla(ws.log("after"), read_model(YAML_MODEL).timers, calendar=cal).results[0]
    assert int(row["breach_cases"]) == expected.breach_cases
    assert int(row["escalated_without_breach"]) == expected.escalated_without_breach
    assert float(row["elapsed_median_us"]) == expected.elapsed.median_us
    # 2 days of 12-hour working days take longer than 2 calendar days: fewer breaches, more early alarms
    assert expected.breach_cases < FACTS["sla_breach_cases"] and expected.escalated_without_breach > 0


def test_table_output_to_file(workspace: Path, tmp_path: Path) -> None:
    """The default table format writes the summary, deviations, SLA and rules to ``--output``."""
    target = tmp_path / "report.txt"
    result = run("conformance", "after", str(YAML_MODEL), "-w", str(workspace), "-o", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "fitting cases" in text and "Re-enter Application Data" in text
    assert "SLA in calendar time" in text and "four-eyes rules" in text and "retry policies" in text
    assert "567" in text and "204" in text


@pytest.mark.parametrize("bad", ["missing.bpmn", "dtd.bpmn", "model.txt"])
def test_unreadable_model_is_one_error_line_exit_1(workspace: Path, tmp_path: Path, bad: str) -> None:
    """A missing model, a BPMN with a DTD or an unknown suffix: exit code 1 and one line naming the file."""
    path = tmp_path / bad
    if bad == "dtd.bpmn":
        path.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d/>\n'
        )
    elif bad == "model.txt":
        path.write_text("a -> b\n")
    result = run("conformance", "after", str(path), "-w", str(workspace))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and bad in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_bad_calendar_options_exit_1(workspace: Path) -> None:
    """Hours that are not HH:MM-HH:MM and holidays that are not dates end with exit code 1 and a hint."""
    for option, value, hint in (("--hours", "9-17", "HH:MM"), ("--holidays", "2025-13-01", "ISO dates")):
        args = ("conformance", "after", str(YAML_MODEL), "-w", str(workspace), "--calendar", "office")
        result = run(*args, option, value)
        assert result.exit_code == 1 and hint in result.stderr, result.output


def test_discover_writes_models_that_read_back(workspace: Path, tmp_path: Path) -> None:
    """`baton discover` writes BPMN and PNML whose activities equal the discovered model's."""
    bpmn, pnml = tmp_path / "found.bpmn", tmp_path / "found.pnml"
    result = run(
        "discover", "after", "--noise", "0.2", "--bpmn", str(bpmn), "--pnml", str(pnml), "-w", str(workspace)
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {bpmn}" in result.stdout and f"wrote {pnml}" in result.stdout
    with open_workspace(workspace, read_only=True) as ws:
        expected = discover_target_model(ws.log("after"), noise_threshold=0.2)
    from_pnml, from_bpmn = read_model(pnml), read_model(bpmn)
    assert from_pnml.net.labels == from_bpmn.net.labels == expected.net.labels
    assert len(from_pnml.net.transitions) == len(expected.net.transitions)
    # IMf at noise 0.2 keeps every AFTER activity but the rare human document review
    assert expected.net.labels == set(FACTS["activities"]) - {"Review Documents"}
    result = run("discover", "after", "--noise", "1.5", "-w", str(workspace))
    assert result.exit_code == 1 and "noise_threshold=1.5" in result.stderr
