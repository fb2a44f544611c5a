"""Model discovery on variants equals pm4py's inductive miner on the full log; BPMN/PNML export round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from analytics.discovery import discover_target_model, export_bpmn, export_pnml
from analytics.variants import get_variants
from baton import pm4py_bridge as br
from baton.api import open_workspace
from baton.errors import ModelError
from baton.filters import CaseDuration
from baton.models.types import PetriNetSpec, TargetModel
from baton.pm4py_bridge.discovery import discover_net, discover_process_tree
from baton.pm4py_bridge.nets import spec_to_pm4py

FILES = ("running-example.xes", "receipt.xes.gz")
NOISE = (0.0, 0.2)
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def logs(shared_data: Path):
    """Baton's stored logs and pm4py's own reading of the same files (rows Baton rejected dropped)."""
    with open_workspace() as ws:
        out: dict[str, tuple[Any, Any]] = {}
        for name in FILES:
            path = shared_data / "logs" / name
            ws.import_file(path, name=name)
            frame = br.read_xes(str(path))
            rejected = sorted(ws.rejects(name).column("source_row").to_pylist())
            frame = frame.drop(index=[r - 1 for r in rejected]).reset_index(drop=True)
            out[name] = (ws.log(name), br.sort_like_pm4py(frame))
        yield out


def _net_shape(net: Any) -> tuple[frozenset[str], int, int, int]:
    labels = frozenset(t.label for t in net.transitions if t.label is not None)
    return labels, len(net.places), len(net.transitions), len(net.arcs)


@pytest.mark.parametrize("noise", NOISE)
@pytest.mark.parametrize("name", FILES)
def test_tree_on_variants_equals_pm4py_on_events(logs, name: str, noise: float) -> None:
    """The inductive miner on variant counts gives pm4py's tree and net shape on one row per event."""
    log, frame = logs[name]
    pm4py = br._pm4py()
    variants = get_variants(log).counts()
    ours = discover_process_tree(variants, noise_threshold=noise)
    assert str(ours) == str(pm4py.discover_process_tree_inductive(frame.copy(), noise_threshold=noise))
    spec = discover_net(variants, noise_threshold=noise)
    ref = pm4py.discover_petri_net_inductive(frame.copy(), noise_threshold=noise)[0]
    labels, places, transitions, arcs = _net_shape(ref)
    assert spec.labels == labels
    if noise == 0.0:
        assert labels == set(frame["concept:name"])
    assert (len(spec.places), len(spec.transitions), len(spec.arcs)) == (places, transitions, arcs)


@pytest.mark.parametrize("noise", NOISE)
@pytest.mark.parametrize("name", FILES)
def test_target_model_footprint_equals_pm4py(logs, name: str, noise: float) -> None:
    """The model's allowed edges, starts and ends are pm4py's footprint of the discovered tree."""
    log, frame = logs[name]
    pm4py = br._pm4py()
    model = discover_target_model(log, noise_threshold=noise)
    fp = pm4py.discover_footprints(pm4py.discover_process_tree_inductive(frame.copy(), noise_threshold=noise))
    assert model.edges == set(fp["sequence"]) | set(fp["parallel"])
    assert model.start_activities == set(fp["start_activities"])
    assert model.end_activities == set(fp["end_activities"])


def test_target_model_of_running_example(logs) -> None:
    """The running example's model: 8 tasks of unknown owner, its textbook starts, ends and edges."""
    model = discover_target_model(logs["running-example.xes"][0], noise_threshold=0.0)
    assert model.format == "discovered"
    assert len(model.tasks) == 8 and {t.owner for t in model.tasks} == {"unknown"}
    assert {t.name for t in model.tasks} == model.net.labels
    assert model.start_activities == {"register request"}
    assert model.end_activities == {"reject request", "pay compensation"}
    assert ("reinitiate request", "check ticket") in model.edges
    assert ("check ticket", "examine casually") in model.edges  # concurrent: both orders
    assert ("examine casually", "check ticket") in model.edges
    assert ("register request", "decide") not in model.edges


def test_discovered_ids_are_stable(logs) -> None:
    """Two discoveries give the same net, ids included (visible transitions named after their label)."""
    variants = get_variants(logs["running-example.xes"][0]).counts()
    first = discover_net(variants, noise_threshold=0.2)
    assert first == discover_net(variants, noise_threshold=0.2)
    assert ("t_decide", "decide") in first.transitions


def test_bad_noise_and_empty_log_raise(logs) -> None:
    """A noise threshold outside [0, 1] and a filter that keeps no case raise ModelError."""
    log = logs["running-example.xes"][0]
    with pytest.raises(ModelError, match=r"noise_threshold=1.5 is outside \[0, 1\]"):
        discover_target_model(log, noise_threshold=1.5)
    with pytest.raises(ModelError, match="no cases left after its filters"):
        discover_target_model(log.filter(CaseDuration(min_seconds=1e12)), noise_threshold=0.0)


def _model(log: Any, noise: float) -> TargetModel:
    """A discovered model without the footprint (export needs only the net)."""
    net = discover_net(get_variants(log).counts(), noise_threshold=noise)
    return TargetModel(name="m", source="test", format="discovered", tasks=(), net=net)


@pytest.mark.parametrize("name", FILES)
def test_pnml_round_trip_keeps_labels_and_fitness(logs, tmp_path: Path, name: str) -> None:
    """The PNML read back by pm4py has the same labels and token-replay fitness on the log."""
    log, frame = logs[name]
    pm4py = br._pm4py()
    model = _model(log, 0.2)
    path = export_pnml(model, tmp_path / "model.pnml")
    assert path == tmp_path / "model.pnml" and sorted(p.name for p in tmp_path.iterdir()) == ["model.pnml"]
    net, im, fm = pm4py.read_pnml(str(path))
    spec = model.net
    assert _net_shape(net) == (spec.labels, len(spec.places), len(spec.transitions), len(spec.arcs))
    back = pm4py.fitness_token_based_replay(frame.copy(), net, im, fm)
    orig = pm4py.fitness_token_based_replay(frame.copy(), *spec_to_pm4py(model.net))
    assert back == orig
    assert 0.0 < back["log_fitness"] <= 1.0


@pytest.mark.parametrize("name", FILES)
def test_bpmn_export_parses_with_task_names(logs, tmp_path: Path, name: str) -> None:
    """The BPMN file parses with lxml; its task names are the model's visible labels, once each."""
    model = _model(logs[name][0], 0.2)
    path = export_bpmn(model, tmp_path / "model.bpmn")
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    assert root.tag == f"{BPMN_NS}definitions"
    names = [t.get("name") for t in root.iter(f"{BPMN_NS}task")]
    assert sorted(names) == sorted(model.net.labels)
    assert len(list(root.iter(f"{BPMN_NS}startEvent"))) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bpmn"]


def test_export_replaces_existing_file_and_needs_folder(logs, tmp_path: Path) -> None:
    """Export overwrites an existing file whole; a missing folder raises ModelError naming it."""
    model = _model(logs["running-example.xes"][0], 0.0)
    target = tmp_path / "m.pnml"
    target.write_text("old")
    export_pnml(model, target)
    assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with pytest.raises(ModelError, match="missing.* does not exist"):
        export_bpmn(model, tmp_path / "missing" / "m.bpmn")


def test_bpmn_export_of_a_hand_built_sequence(tmp_path: Path) -> None:
    """A hand-built net a -> b exports as BPMN with tasks a and b joined by sequence flows."""
    net = PetriNetSpec(
        places=("i", "m", "o"),
        transitions=(("ta", "a"), ("tb", "b")),
        arcs=(("i", "ta"), ("ta", "m"), ("m", "tb"), ("tb", "o")),
        initial_marking=(("i", 1),),
        final_marking=(("o", 1),),
    )
    model = TargetModel(name="ab", source="test", format="pnml", tasks=(), net=net)
    root = etree.parse(str(export_bpmn(model, tmp_path / "ab.bpmn"))).getroot()
    tasks = {t.get("id"): t.get("name") for t in root.iter(f"{BPMN_NS}task")}
    assert sorted(tasks.values()) == ["a", "b"]
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in root.iter(f"{BPMN_NS}sequenceFlow")}
    by_name = {v: k for k, v in tasks.items()}
    assert (by_name["a"], by_name["b"]) in flows


def test_footprint_falls_back_to_the_tree(logs, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the net's state space is too large, edges come from the tree's footprint, with the same result."""
    from baton.models import footprint

    log = logs["running-example.xes"][0]
    expected = discover_target_model(log, noise_threshold=0.0)

    def too_large(net: PetriNetSpec) -> None:
        raise ModelError("more than 200000 reachable markings")

    monkeypatch.setattr(footprint, "allowed_edges", too_large)
    model = discover_target_model(log, noise_threshold=0.0)
    assert (model.edges, model.start_activities, model.end_activities) == (
        expected.edges,
        expected.start_activities,
        expected.end_activities,
    )
    # register/reinitiate -> 3 first steps (6), check ticket <-> 2 examines (4), 3 -> decide, decide -> 3
    assert len(model.edges) == 16


def test_bpmn_export_of_a_net_that_is_no_process_tree(tmp_path: Path) -> None:
    """An N-shaped net (no block structure) exports via pm4py's net -> BPMN path: 4 tasks, mode 644."""
    net = PetriNetSpec(
        places=("i", "p1", "p2", "p3", "p4", "p5", "o"),
        transitions=(("ta", "a"), ("tb", "b"), ("tc", "c"), ("td", "d")),
        arcs=(
            ("i", "ta"),
            ("ta", "p1"),
            ("ta", "p2"),
            ("p1", "tb"),
            ("tb", "p3"),
            ("tb", "p5"),
            ("p2", "tc"),
            ("p5", "tc"),
            ("tc", "p4"),
            ("p3", "td"),
            ("p4", "td"),
            ("td", "o"),
        ),
        initial_marking=(("i", 1),),
        final_marking=(("o", 1),),
    )
    model = TargetModel(name="n", source="test", format="pnml", tasks=(), net=net)
    path = export_bpmn(model, tmp_path / "n.bpmn")
    root = etree.parse(str(path)).getroot()
    assert sorted(t.get("name") for t in root.iter(f"{BPMN_NS}task")) == ["a", "b", "c", "d"]
    assert path.stat().st_mode & 0o777 == 0o644
