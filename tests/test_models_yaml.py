"""Baton's YAML orchestration spec (the sample, validation messages) and read_model's dispatch on suffix."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from baton.errors import MalformedSourceError, ModelError, SourceNotFoundError
from baton.models.load import read_model
from baton.models.types import FourEyesRule, RetryPolicy
from baton.models.yaml_spec import model_from_spec

SPEC: dict[str, Any] = {
    "process": "Demo",
    "steps": [
        {"name": "A", "owner": "system"},
        {"name": "B", "owner": "human", "sla": {"within": "PT4H", "escalate_to": "E"}},
        "C",
        {"name": "E", "owner": "system"},
    ],
    "start": ["A"],
    "transitions": [["A", "B"], ["B", "C"], ["A", "C"]],
    "end": ["C"],
}


def spec(**changes: Any) -> dict[str, Any]:
    """A copy of SPEC with top-level keys replaced."""
    return copy.deepcopy(SPEC) | changes


def test_sample_yaml_matches_the_bpmn_model(sample_logs: Path) -> None:
    """loans_target.yaml allows the same pairs, starts and ends as loans_target.bpmn, with the same tasks."""
    y = read_model(sample_logs / "loans_target.yaml")
    b = read_model(sample_logs / "loans_target.bpmn")
    assert y.format == "yaml" and b.format == "bpmn"
    assert y.edges == b.edges and len(y.edges) == 36
    assert (y.start_activities, y.end_activities) == (b.start_activities, b.end_activities)
    assert {(t.name, t.owner, t.lane) for t in y.tasks} == {(t.name, t.owner, t.lane) for t in b.tasks}
    (timer,) = y.timers
    (bpmn_timer,) = b.timers
    fields = ("task", "duration", "until", "start_after", "escalation", "interrupting")
    assert [getattr(timer, f) for f in fields] == [getattr(bpmn_timer, f) for f in fields]
    assert timer.source == "steps[9].sla" and timer.duration == timedelta(days=2)
    assert y.four_eyes == (FourEyesRule("Underwrite Application", "Manager Approval"),)
    assert y.retries == (RetryPolicy("Run KYC Check", 2),)
    assert y.name == "Consumer loan (orchestrated)" and y.notes == ()


def test_small_spec_net_and_defaults() -> None:
    """Steps may be bare names (owner unknown); the automaton allows exactly the listed pairs."""
    m = model_from_spec(spec(), source="demo.yaml")
    assert m.edges == {("A", "B"), ("B", "C"), ("A", "C")}
    assert m.start_activities == {"A"} and m.end_activities == {"C"}
    assert [(t.name, t.kind, t.owner) for t in m.tasks][2] == ("C", "step", "unknown")
    (timer,) = m.timers
    assert (timer.task, timer.duration, timer.escalation, timer.until) == (
        "B",
        timedelta(hours=4),
        ("E",),
        "complete",
    )
    assert [n.element_id for n in m.notes] == ["steps[3]"]  # E is never reached by a transition
    assert m.net.labels == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"transitions": [["A", "B"], ["B", "Z"]]},
            r"transitions\[1\]\[1\]: unknown step 'Z'; the steps are A, B, C, E",
        ),
        ({"start": ["Q"]}, r"start\[0\]: unknown step 'Q'"),
        ({"four_eyes": [["A"]]}, r"four_eyes\[0\]: expected a pair"),
        ({"retries": {"A": 0}}, r"retries.A: expected a whole number >= 1"),
        ({"retries": {"X": 2}}, r"retries.X: unknown step 'X'"),
        ({"end": []}, r"end: expected a non-empty list"),
        ({"stpes": []}, r"unknown key\(s\) \['stpes'\]"),
        (
            {"steps": [{"name": "A", "owner": "robot"}]},
            r"steps\[0\].owner: 'robot' is not one of human, system",
        ),
        ({"steps": ["A", "A"]}, r"steps\[1\].name: step 'A' is listed twice"),
    ],
)
def test_validation_names_the_yaml_path(changes: dict[str, Any], message: str) -> None:
    """Unknown steps, bad owners, bad pairs and typos raise ModelError naming file and YAML path."""
    with pytest.raises(ModelError, match=f"demo.yaml: {message}"):
        model_from_spec(spec(**changes), source="dir/demo.yaml")


@pytest.mark.parametrize(
    ("sla", "message"),
    [
        ({"within": "P1M"}, r"steps\[1\].sla.within: duration 'P1M' uses years or months"),
        ({"within": "two days"}, r"steps\[1\].sla.within: 'two days' is not an ISO 8601 duration"),
        ({"within": "P1D", "until": "end"}, r"steps\[1\].sla.until: 'end'; expected start or complete"),
        ({"within": "P1D", "after": "Nope"}, r"steps\[1\].sla.after: unknown step 'Nope'"),
        ({"within": "P1D", "escalate_to": ["E", "X"]}, r"steps\[1\].sla.escalate_to\[1\]: unknown step 'X'"),
        ({"after": "A"}, r"steps\[1\].sla: expected a mapping with at least 'within'"),
    ],
)
def test_sla_validation(sla: dict[str, Any], message: str) -> None:
    """Bad SLA durations, until values and step references name the sla's YAML path."""
    data = spec()
    data["steps"][1]["sla"] = sla
    with pytest.raises(ModelError, match=f"demo.yaml: {message}"):
        model_from_spec(data, source="demo.yaml")


def test_read_model_dispatch_and_errors(tmp_path: Path, sample_logs: Path) -> None:
    """read_model picks the reader by suffix; other suffixes, missing files and bad YAML are clear errors."""
    assert read_model(sample_logs / "loans_target.bpmn", name="to-be").name == "to-be"
    copy_xml = tmp_path / "loans.XML"
    copy_xml.write_bytes((sample_logs / "loans_target.bpmn").read_bytes())
    assert read_model(copy_xml).format == "bpmn"
    yml = tmp_path / "m.yml"
    yml.write_text("steps: [A]\nstart: [A]\nend: [A]\n", encoding="utf-8")
    assert read_model(yml).start_activities == {"A"} and read_model(yml).name == "m"
    with pytest.raises(ModelError, match=r"model.json: cannot read a target model from a .json file"):
        (tmp_path / "model.json").write_text("{}")
        read_model(tmp_path / "model.json")
    with pytest.raises(SourceNotFoundError):
        read_model(tmp_path / "gone.bpmn")
    yml.write_text("steps: [A\nstart: [A]\n", encoding="utf-8")
    with pytest.raises(MalformedSourceError, match="m.yml: not valid YAML"):
        read_model(yml)
    yml.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ModelError, match="m.yml: expected a mapping"):
        read_model(yml)
