"""Model-vs-log overlay: edges, starts and ends classified by hand on a tiny log and on the sample AFTER log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.model_overlay import ModelOverlay, OverlayEdge, OverlayEndpoint, get_model_overlay
from baton import pm4py_bridge as br
from baton.api import open_workspace
from baton.filters import StartActivities
from baton.models.types import ModelTask, PetriNetSpec, TargetModel

NO_NET = PetriNetSpec(places=(), transitions=(), arcs=(), initial_marking=(), final_marking=())
TINY = {  # case -> activities, one minute apart
    "c1": "ABC",
    "c2": "AC",
    "c3": "ABBC",
    "c4": "BC",
    "c5": "AEC",
}


def _model(edges: set[tuple[str, str]], starts: set[str], ends: set[str], names: str) -> TargetModel:
    tasks = tuple(ModelTask(id=n, name=n, kind="task", owner="unknown") for n in names)
    return TargetModel(
        name="hand",
        source="test",
        format="yaml",
        tasks=tasks,
        net=NO_NET,
        edges=frozenset(edges),
        start_activities=frozenset(starts),
        end_activities=frozenset(ends),
    )


HAND = _model({("A", "B"), ("B", "C"), ("A", "D"), ("D", "C")}, {"A"}, {"C", "D"}, "ABCD")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """The TINY log in a workspace."""
    path = tmp_path_factory.mktemp("overlay") / "tiny.csv"
    rows = ["case_id,activity,timestamp"]
    for case, acts in TINY.items():
        rows += [f"{case},{a},2024-01-01T00:{i:02d}:00Z" for i, a in enumerate(acts)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_workspace() as ws:
        ws.import_file(path, name="tiny")
        yield ws.log("tiny")


def test_tiny_edges_by_hand(tiny) -> None:
    """Log edges in the model conform, the others are not allowed, unused model edges are never taken."""
    overlay = get_model_overlay(tiny, HAND)
    assert overlay.edges == (
        OverlayEdge("B", "C", "conforming", 3, 3),  # c1, c3, c4
        OverlayEdge("A", "B", "conforming", 2, 2),  # c1, c3
        OverlayEdge("A", "C", "not_allowed", 1, 1),  # c2
        OverlayEdge("A", "E", "not_allowed", 1, 1),  # c5
        OverlayEdge("B", "B", "not_allowed", 1, 1),  # c3
        OverlayEdge("E", "C", "not_allowed", 1, 1),  # c5
        OverlayEdge("A", "D", "never_taken", 0, 0),
        OverlayEdge("D", "C", "never_taken", 0, 0),
    )
    assert overlay.conforming == {("A", "B"), ("B", "C")}
    assert overlay.not_allowed == {("A", "C"), ("A", "E"), ("B", "B"), ("E", "C")}
    assert overlay.never_taken == {("A", "D"), ("D", "C")}


def test_tiny_starts_ends_and_activities_by_hand(tiny) -> None:
    """Starts and ends carry their case counts; E is unknown to the model, D never seen in the log."""
    overlay = get_model_overlay(tiny, HAND)
    assert overlay.start_activities == (
        OverlayEndpoint("A", "conforming", 4),
        OverlayEndpoint("B", "not_allowed", 1),
    )
    assert overlay.end_activities == (
        OverlayEndpoint("C", "conforming", 5),
        OverlayEndpoint("D", "never_taken", 0),
    )
    assert overlay.unknown_activities == ("E",)
    assert overlay.unseen_activities == ("D",)
    assert overlay.model_name == "hand"


def test_filtered_log_changes_the_overlay(tiny) -> None:
    """The overlay reads the filtered log: without c4 (starts with B) no start is not allowed."""
    overlay = get_model_overlay(tiny.filter(StartActivities(("A",))), HAND)
    assert overlay.start_activities == (OverlayEndpoint("A", "conforming", 4),)
    assert OverlayEdge("B", "C", "conforming", 2, 2) in overlay.edges  # c1, c3


def test_to_frame_rows(tiny) -> None:
    """to_frame has one row per edge, start and end, with kind, status and log frequencies."""
    frame = get_model_overlay(tiny, HAND).to_frame()
    assert list(frame.columns) == ["kind", "source", "target", "status", "frequency", "case_frequency"]
    assert frame["kind"].value_counts().to_dict() == {"edge": 8, "start": 2, "end": 2}
    start_b = frame[(frame["kind"] == "start") & (frame["target"] == "B")].iloc[0]
    assert pd.isna(start_b["source"]) and (start_b["status"], start_b["frequency"]) == ("not_allowed", 1)
    assert frame[frame["kind"] == "edge"]["frequency"].sum() == sum(len(a) - 1 for a in TINY.values())


def test_empty_model_footprint_comes_from_its_net(tiny) -> None:
    """A model with a net but no edges gets them from the net: A -> B -> C as places and transitions."""
    net = PetriNetSpec(
        places=("i", "p1", "p2", "o"),
        transitions=(("ta", "A"), ("tb", "B"), ("tc", "C")),
        arcs=(("i", "ta"), ("ta", "p1"), ("p1", "tb"), ("tb", "p2"), ("p2", "tc"), ("tc", "o")),
        initial_marking=(("i", 1),),
        final_marking=(("o", 1),),
    )
    model = TargetModel(name="abc", source="test", format="pnml", tasks=(), net=net)
    overlay = get_model_overlay(tiny, model)
    assert overlay.conforming == {("A", "B"), ("B", "C")}
    assert overlay.never_taken == set()
    assert [(s.activity, s.status) for s in overlay.start_activities] == [
        ("A", "conforming"),
        ("B", "not_allowed"),
    ]
    assert overlay.unknown_activities == ("E",)


HAPPY = [
    "Receive Application",
    "Run KYC Check",
    "Run Fraud Screening",
    "Check Documents",
    "Run Credit Check",
    "Underwrite Application",
    "Prepare Contract",
    "Disburse Loan",
]
AFTER_EDGES = set(zip(HAPPY, HAPPY[1:], strict=False)) | {
    ("Underwrite Application", "Reject Application"),
    ("Run Credit Check", "Manager Approval"),  # the AFTER log never takes this one
}


@pytest.fixture(scope="module")
def after(sample_logs: Path):
    """The sample AFTER log (CSV) overlaid on a hand-written happy-path model, and pm4py's frame of it."""
    model = TargetModel(
        name="happy path",
        source="test",
        format="yaml",
        tasks=tuple(
            ModelTask(id=f"s{i}", name=n, kind="step", owner="unknown")
            for i, n in enumerate([*HAPPY, "Reject Application", "Manager Approval", "Notify Customer"])
        ),
        net=NO_NET,
        edges=frozenset(AFTER_EDGES),
        start_activities=frozenset({"Receive Application"}),
        end_activities=frozenset({"Disburse Loan", "Reject Application"}),
    )
    with open_workspace() as ws:
        ws.import_file(sample_logs / "loans_after.csv", name="after")
        log = ws.log("after")
        yield get_model_overlay(log, model), br.sort_like_pm4py(br.to_pm4py(log))


def test_after_log_edges_against_hand_model(after) -> None:
    """Happy-path pairs conform, with pm4py's DFG counts; the rest of the log is not allowed."""
    overlay, df = after
    assert isinstance(overlay, ModelOverlay)
    dfg, _, _ = br._pm4py().discover_dfg(df.copy())
    log_edges = {k: int(v) for k, v in dfg.items()}
    assert overlay.conforming == AFTER_EDGES - {("Run Credit Check", "Manager Approval")}
    assert overlay.never_taken == {("Run Credit Check", "Manager Approval")}
    assert overlay.not_allowed == set(log_edges) - AFTER_EDGES
    assert {
        (e.source, e.target): e.frequency for e in overlay.edges if e.status != "never_taken"
    } == log_edges
    nxt = df.groupby("case:concept:name")["concept:name"].shift(-1)
    cases = df.assign(nxt=nxt).dropna(subset=["nxt"]).groupby(["concept:name", "nxt"])["case:concept:name"]
    assert {(e.source, e.target): e.case_frequency for e in overlay.edges if e.frequency} == (
        cases.nunique().to_dict()
    )


def test_after_log_endpoints_and_activities(after) -> None:
    """Starts and ends equal pm4py's counts, classified against the model; unknown and unseen activities."""
    overlay, df = after
    pm4py = br._pm4py()
    starts = {k: int(v) for k, v in pm4py.get_start_activities(df).items()}
    ends = {k: int(v) for k, v in pm4py.get_end_activities(df).items()}
    assert {s.activity: (s.status, s.cases) for s in overlay.start_activities} == {
        a: ("conforming" if a == "Receive Application" else "not_allowed", n) for a, n in starts.items()
    }
    expected_ends = {
        a: ("conforming" if a in {"Disburse Loan", "Reject Application"} else "not_allowed", n)
        for a, n in ends.items()
    }
    assert {s.activity: (s.status, s.cases) for s in overlay.end_activities} == expected_ends
    assert overlay.unseen_activities == ("Notify Customer",)
    assert set(overlay.unknown_activities) == set(df["concept:name"]) - {
        *HAPPY,
        "Reject Application",
        "Manager Approval",
    }
    assert "Escalate to Team Lead" in overlay.unknown_activities
