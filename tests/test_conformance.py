"""Conformance per variant, weighted by case counts: equal to pm4py on whole logs; deviations, budgets, cases."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from analytics.conformance import Conformance, check_conformance, conformance_over_time
from baton import pm4py_bridge as br
from baton.errors import ModelError
from baton.filters import VariantSelection
from baton.log import EventLog
from baton.models.types import PetriNetSpec
from baton.pm4py_bridge.nets import from_pm4py, spec_to_pm4py

H = 3_600_000_000  # one hour in microseconds
SEQ_ABC = PetriNetSpec(
    places=("p0", "p1", "p2", "p3"),
    transitions=(("ta", "a"), ("tb", "b"), ("tc", "c")),
    arcs=(("p0", "ta"), ("ta", "p1"), ("p1", "tb"), ("tb", "p2"), ("p2", "tc"), ("tc", "p3")),
    initial_marking=(("p0", 1),),
    final_marking=(("p3", 1),),
)
# case: (start day, activities, hours between events, cost of each event)
HAND_CASES = {
    "c1": ("2024-01-01", "abc", 1, (5, 10, 15)),
    "c2": ("2024-01-02", "abc", 1, (10, 10, 10)),
    "c3": ("2024-01-03", "ac", 1, (5, 15)),  # b skipped
    "c4": ("2024-02-01", "abxc", 2, (25, 25, 25, 25)),  # x inserted
    "c5": ("2024-02-02", "acb", 1, (10, 10, 10)),  # b or c in the wrong order
}


def _pm4py() -> Any:
    return br._pm4py()


@pytest.fixture
def hand_log(ws, tmp_path: Path) -> EventLog:
    """Five cases against a -> b -> c, with a numeric ``cost`` event attribute."""
    lines = ["case_id,activity,timestamp,cost"]
    for case, (day, acts, gap, costs) in HAND_CASES.items():
        lines += [
            f"{case},{a},{day}T{i * gap:02d}:00:00Z,{k}"
            for i, (a, k) in enumerate(zip(acts, costs, strict=True))
        ]
    path = tmp_path / "hand.csv"
    path.write_text("\n".join(lines) + "\n")
    ws.import_file(
        path, name="hand", case_id_key="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    return ws.log("hand")


def _assert_equals_pm4py(
    conf: Conformance, frame: Any, net: tuple[Any, Any, Any], *, aligned: bool = True
) -> None:
    """Token replay, ETC precision and (optionally) alignment numbers equal pm4py's on the whole frame."""
    pm4py = _pm4py()
    tbr = pm4py.fitness_token_based_replay(frame, *net)
    ours = (conf.token.log_fitness, conf.token.perc_fit_cases, conf.token.average_case_fitness)
    assert ours == pytest.approx(
        (tbr["log_fitness"], tbr["perc_fit_traces"], tbr["average_trace_fitness"]), abs=1e-9
    )
    assert abs(conf.precision - pm4py.precision_token_based_replay(frame, *net)) < 1e-9
    if aligned:
        ali = pm4py.fitness_alignments(frame, *net, multi_processing=False)
        ours = (
            conf.alignment.log_fitness,
            conf.alignment.perc_fit_cases,
            conf.alignment.average_case_fitness,
        )
        theirs = (ali["log_fitness"], ali["percentage_of_fitting_traces"], ali["average_trace_fitness"])
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_spec_round_trips_through_pm4py():
    """A PetriNetSpec converted to pm4py and back keeps ids, labels, arcs and markings (arcs sorted)."""
    back = from_pm4py(*spec_to_pm4py(SEQ_ABC))
    assert back.arcs == tuple(sorted(SEQ_ABC.arcs))
    assert (back.places, back.transitions, back.initial_marking, back.final_marking) == (
        SEQ_ABC.places,
        SEQ_ABC.transitions,
        SEQ_ABC.initial_marking,
        SEQ_ABC.final_marking,
    )
    assert from_pm4py(*spec_to_pm4py(back)) == back


def test_inconsistent_spec_raises_model_error():
    """An arc between two places is refused with a ModelError naming the arc."""
    bad = PetriNetSpec(SEQ_ABC.places, SEQ_ABC.transitions, (("p0", "p1"),), (("p0", 1),), (("p3", 1),))
    with pytest.raises(ModelError, match="'p0' -> 'p1'"):
        spec_to_pm4py(bad)


def test_unreachable_final_marking_raises_model_error(hand_log):
    """A net that cannot reach its final marking is refused for alignments with a ModelError."""
    stuck = PetriNetSpec(
        SEQ_ABC.places + ("q",), SEQ_ABC.transitions, SEQ_ABC.arcs, (("p0", 1),), (("q", 1),)
    )
    with pytest.raises(ModelError, match="final marking"):
        check_conformance(hand_log, stuck)


def test_hand_log_deviations_and_fitness(hand_log):
    """Skipped, inserted and wrong-order activities per variant and activity, weighted by cases."""
    conf = check_conformance(hand_log, SEQ_ABC)
    assert (conf.cases, conf.fit_cases, conf.perc_fit_cases) == (5, 2, 40.0)
    by_acts = {v.activities: v for v in conf.variants}
    assert by_acts["a", "b", "c"].count == 2 and by_acts["a", "b", "c"].deviations == ()
    assert [(d.activity, d.kind, d.moves) for d in by_acts["a", "c"].deviations] == [("b", "skipped", 1)]
    assert [(d.activity, d.kind, d.moves) for d in by_acts["a", "b", "x", "c"].deviations] == [
        ("x", "inserted", 1)
    ]
    wrong = by_acts["a", "c", "b"].deviations
    assert len(wrong) == 1 and wrong[0].kind == "wrong_order" and wrong[0].activity in {"b", "c"}
    assert by_acts["a", "c", "b"].alignment_cost == 2  # one log move + one model move, counted as one pair
    per_activity = {(d.activity, d.kind): (d.cases, d.share) for d in conf.deviations_by_activity}
    assert per_activity[("b", "skipped")] == (1, 0.2) and per_activity[("x", "inserted")] == (1, 0.2)
    assert conf.budget_hits.variants == 0
    _assert_equals_pm4py(conf, br.to_pm4py(hand_log), spec_to_pm4py(SEQ_ABC))


def test_deviating_vs_conforming_cases(hand_log):
    """Deviating and conforming cases: counts, mean/median durations and mean summed cost, hand-computed."""
    conf = check_conformance(hand_log, SEQ_ABC)
    assert conf.cost_attribute == "cost"
    assert (conf.conforming.cases, conf.conforming.mean_duration_us, conf.conforming.median_duration_us) == (
        2,
        2 * H,
        2 * H,
    )
    assert conf.conforming.mean_cost == 30.0
    # c3: 1 h, cost 20; c4: 6 h, cost 100; c5: 2 h, cost 30
    assert (conf.deviating.cases, conf.deviating.mean_duration_us, conf.deviating.median_duration_us) == (
        3,
        3 * H,
        2 * H,
    )
    assert conf.deviating.mean_cost == 50.0
    without = check_conformance(hand_log, SEQ_ABC, cost_attribute="no_such_attribute")
    assert without.cost_attribute is None and without.deviating.mean_cost is None


def test_cost_from_a_case_attribute(ws, tmp_path):
    """A cost column constant within each case (stored as a case attribute) gives each case its value."""
    rows = ["case_id,activity,timestamp,amount", "k1,a,2024-01-01T00:00:00Z,7", "k1,b,2024-01-01T01:00:00Z,7"]
    rows += ["k1,c,2024-01-01T02:00:00Z,7", "k2,a,2024-01-02T00:00:00Z,3", "k2,c,2024-01-02T01:00:00Z,3"]
    rows += ["k3,a,2024-01-03T00:00:00Z,5", "k3,c,2024-01-03T01:00:00Z,5"]
    path = tmp_path / "amounts.csv"
    path.write_text("\n".join(rows) + "\n")
    ws.import_file(path, name="k", case_id_key="case_id", activity_key="activity", timestamp_key="timestamp")
    conf = check_conformance(ws.log("k"), SEQ_ABC, cost_attribute="amount")
    assert conf.cost_attribute == "amount"
    assert (conf.conforming.mean_cost, conf.deviating.mean_cost) == (7.0, 4.0)


def test_conformance_over_time(hand_log):
    """Share of fitting cases per month of case start; a Conformance result is reused as is."""
    conf = check_conformance(hand_log, SEQ_ABC)
    months = conformance_over_time(hand_log, conf, period="month")
    rows = [(p.period_start.strftime("%Y-%m"), p.cases, p.fit_cases, p.share) for p in months.periods]
    assert rows == [("2024-01", 3, 2, 2 / 3), ("2024-02", 2, 0, 0.0)]
    days = conformance_over_time(hand_log, SEQ_ABC, period="day")
    assert [p.fit_cases for p in days.periods] == [1, 1, 0, 0, 0]
    assert months.to_frame()["share"].tolist() == [2 / 3, 0.0]
    with pytest.raises(ValueError, match="'year'"):
        conformance_over_time(hand_log, conf, period="year")  # type: ignore[arg-type]


def test_frames(hand_log):
    """Per-variant and per-activity frames carry the result's values."""
    conf = check_conformance(hand_log, SEQ_ABC)
    frame = conf.to_frame().set_index("activities")
    assert frame.loc["a -> c", "alignment_cost"] == 1 and not frame.loc["a -> c", "fits"]
    assert frame["count"].sum() == 5
    dev = conf.deviations_frame()
    assert list(dev.columns) == ["activity", "kind", "cases", "share", "moves"] and dev["cases"].sum() == 3


def test_total_budget_spent_counts_every_variant(hand_log):
    """With no total budget left no variant is aligned: all are counted as hits and judged by token replay."""
    conf = check_conformance(hand_log, SEQ_ABC, total_budget_s=0.0)
    assert (conf.budget_hits.variants, conf.budget_hits.cases) == (4, 5)
    assert conf.alignment.cases == 0 and conf.alignment.log_fitness == 0.0
    assert all(v.alignment_fitness is None and v.fits == v.token_fit for v in conf.variants)
    assert conf.fit_cases == 3  # token replay fits a-b-c (2 cases) and a-b-x-c (it ignores unknown x)
    x = next(v for v in conf.variants if "x" in v.activities)
    assert ("x", "inserted", 1) in [(d.activity, d.kind, d.moves) for d in x.deviations]


def test_tiny_per_variant_budget_times_out(hand_log):
    """A per-variant budget of 1 ns makes pm4py give up on every variant; each hit is counted."""
    conf = check_conformance(hand_log, SEQ_ABC, alignment_budget_s=1e-9)
    assert (conf.budget_hits.variants, conf.budget_hits.cases, conf.budget_hits.budget_s) == (4, 5, 1e-9)
    assert conf.token.log_fitness == check_conformance(hand_log, SEQ_ABC).token.log_fitness


def test_budget_hit_left_out_of_alignment_fitness(hand_log, monkeypatch):
    """A variant whose alignment returns None is counted; alignment fitness equals pm4py's over the rest."""
    _pm4py()
    from pm4py.algo.conformance.alignments.petri_net import algorithm as al

    real = al.apply_trace

    def fake(trace, *args, **kwargs):  # the a-b-x-c variant "runs out of time"
        return None if [e["concept:name"] for e in trace] == list("abxc") else real(trace, *args, **kwargs)

    monkeypatch.setattr(al, "apply_trace", fake)
    conf = check_conformance(hand_log, SEQ_ABC)
    monkeypatch.setattr(al, "apply_trace", real)
    assert (conf.budget_hits.variants, conf.budget_hits.cases, conf.alignment.cases) == (1, 1, 4)
    frame = br.to_pm4py(hand_log)
    rest = frame[frame["case:concept:name"] != "c4"]
    ali = _pm4py().fitness_alignments(rest, *spec_to_pm4py(SEQ_ABC), multi_processing=False)
    assert abs(conf.alignment.log_fitness - ali["log_fitness"]) < 1e-9
    assert conf.alignment.perc_fit_cases == 50.0


# ---- equality with pm4py on the real logs in ../shared/data ---------------------------------------


@pytest.fixture(scope="module")
def shared_ws(shared_data: Path):
    """One workspace for the shared logs of this module."""
    from baton.api import open_workspace

    ws = open_workspace()
    yield ws
    ws.close()


_IMPORTED: set[tuple[int, str]] = set()


def _shared(ws, data: Path, name: str) -> EventLog:
    if (id(ws), name) not in _IMPORTED:
        ws.import_file(data / "logs" / name, name=name)
        _IMPORTED.add((id(ws), name))
    return ws.log(name)


def _im_net(log: EventLog) -> tuple[Any, Any, Any]:
    return _pm4py().discover_petri_net_inductive(br.to_pm4py(log), noise_threshold=0.2)


@pytest.mark.parametrize("model", ["pnml", "inductive"])
def test_running_example_equals_pm4py(shared_ws, shared_data, model):
    """Token, alignment and ETC numbers on running-example equal pm4py's (PNML model and IM net)."""
    log = _shared(shared_ws, shared_data, "running-example.xes")
    if model == "pnml":
        net = _pm4py().read_pnml(str(shared_data / "models" / "running-example.pnml"))
    else:
        net = _im_net(log)
    conf = check_conformance(log, from_pm4py(*net))
    _assert_equals_pm4py(conf, br.to_pm4py(log), net)
    if model == "pnml":  # the textbook model fits all six cases
        assert conf.fit_cases == 6 and math.isclose(conf.token_fitness, 1.0)


def test_receipt_token_replay_and_precision_equal_pm4py(shared_ws, shared_data):
    """On all 1,434 receipt cases (116 variants) token fitness and ETC precision equal pm4py's."""
    log = _shared(shared_ws, shared_data, "receipt.xes.gz")
    net = _im_net(log)
    conf = check_conformance(log, from_pm4py(*net), total_budget_s=0.0)  # alignments: see the next test
    assert conf.cases == 1434 and len(conf.variants) == 116
    _assert_equals_pm4py(conf, br.to_pm4py(log), net, aligned=False)


def test_receipt_alignments_equal_pm4py(shared_ws, shared_data):
    """On receipt's 20 most frequent variants alignment fitness equals pm4py's (the full log takes ~50 s)."""
    log = _shared(shared_ws, shared_data, "receipt.xes.gz")
    net = _im_net(log)
    top = log.filter(VariantSelection(top_k=20))
    conf = check_conformance(top, from_pm4py(*net))
    assert conf.budget_hits.variants == 0 and conf.alignment.cases == conf.cases
    _assert_equals_pm4py(conf, br.to_pm4py(top), net)


def test_purchasing_equals_pm4py(shared_ws, shared_data):
    """On PurchasingExample (interval log, 608 cases) all numbers equal pm4py's against its IM net."""
    log = _shared(shared_ws, shared_data, "PurchasingExample.xes.gz")
    net = _im_net(log)
    conf = check_conformance(log, from_pm4py(*net))
    _assert_equals_pm4py(conf, br.to_pm4py(log), net)
    assert conf.deviating.cases + conf.conforming.cases == 608
    assert conf.cost_attribute is None and conf.deviating.mean_cost is None


@pytest.mark.parametrize(
    ("log_file", "model_file"),
    [("receipt.xes.gz", "receipt.bpmn"), ("PurchasingExample.xes.gz", "PurchasingExample.bpmn")],
)
def test_real_bpmn_models_equal_pm4py_on_the_same_net(shared_ws, shared_data, log_file, model_file):
    """A real log against its real BPMN model as Baton reads it: every number equals pm4py's on that net."""
    from baton.models.load import read_model

    log = _shared(shared_ws, shared_data, log_file)
    model = read_model(shared_data / "models" / model_file)
    conf = check_conformance(log, model)
    assert conf.budget_hits.variants == 0
    _assert_equals_pm4py(conf, br.to_pm4py(log), spec_to_pm4py(model.net))
