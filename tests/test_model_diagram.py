"""Model diagrams: BPMN drawn from its own DI, any model on the layered layout; SVG that parses, text escaped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from lxml import etree

from app_pages.map_svg import to_png
from app_pages.model_diagram import bpmn_svg, diagram_svg, model_svg
from baton.errors import ModelError, UnsafeSourceError
from baton.models.bpmn import BPMN, TASKS, clean, parse_xml
from baton.models.load import read_model
from baton.models.types import ModelTask, PetriNetSpec, SlaTimer, TargetModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_BPMN = ROOT / "sample_logs" / "loans_target.bpmn"
SAMPLE_YAML = ROOT / "sample_logs" / "loans_target.yaml"
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = "Check <b>id</b> & \"sign\" 'now'"
BPMN_DI = "http://www.omg.org/spec/BPMN/20100524/DI"

TINY = """<?xml version="1.0" encoding="UTF-8"?>
<b:definitions xmlns:b="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:x="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:y="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:z="http://www.omg.org/spec/DD/20100524/DI" id="d">
  <b:process id="p" name="Tiny &amp; &lt;odd&gt;">
    <b:startEvent id="s"/>
    <b:userTask id="t" name="Check &lt;b&gt;id&lt;/b&gt; &amp; &quot;sign&quot; 'now'"/>
    <b:endEvent id="e"/>
    <b:sequenceFlow id="f1" sourceRef="s" targetRef="t" name="&lt;go&gt; &amp; see"/>
    <b:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </b:process>
  <x:BPMNDiagram id="dg"><x:BPMNPlane id="pl" bpmnElement="p">
    <x:BPMNShape id="s_di" bpmnElement="s"><y:Bounds x="-300" y="-50" width="36" height="36"/></x:BPMNShape>
    <x:BPMNShape id="t_di" bpmnElement="t"><y:Bounds x="-200" y="-72" width="100" height="80"/></x:BPMNShape>
    <x:BPMNShape id="e_di" bpmnElement="e"><y:Bounds x="-50" y="-50" width="36" height="36"/></x:BPMNShape>
    <x:BPMNEdge id="f1_di" bpmnElement="f1"><z:waypoint x="-264" y="-32"/><z:waypoint x="-200" y="-32"/></x:BPMNEdge>
    <x:BPMNEdge id="f2_di" bpmnElement="f2"><z:waypoint x="-100" y="-32"/><z:waypoint x="-50" y="-32"/></x:BPMNEdge>
  </x:BPMNPlane></x:BPMNDiagram>
</b:definitions>
"""


def parse(svg: str) -> etree._Element:
    """The SVG parsed by lxml (fails the test when it is not well-formed XML)."""
    return etree.fromstring(svg.encode("utf-8"))


def texts(svg: etree._Element) -> list[str]:
    """The content of every <text> element, its wrapped lines joined by single spaces."""
    return [" ".join(" ".join(t.itertext()).split()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def classed(svg: etree._Element, name: str) -> list[etree._Element]:
    """Elements whose class attribute lists ``name``."""
    return [el for el in svg.iter() if name in str(el.get("class", "")).split()]


def task_names(path: Path) -> list[str]:
    """Names of the named tasks and call activities in a BPMN file that its diagram draws."""
    root = parse_xml(path)
    drawn = {s.get("bpmnElement") for s in root.iter(f"{{{BPMN_DI}}}BPMNShape")}
    kinds = (*TASKS, "callActivity")
    return [
        clean(el.get("name"))
        for kind in kinds
        for el in root.iter(f"{{{BPMN}}}{kind}")
        if clean(el.get("name")) and el.get("id") in drawn
    ]


@pytest.fixture(scope="module")
def sample_svg() -> etree._Element:
    """The sample target BPMN drawn from its DI."""
    return parse(bpmn_svg(SAMPLE_BPMN))


def test_sample_bpmn_draws_each_task_name_once(sample_svg: etree._Element) -> None:
    """Every one of the sample's 16 tasks has its name (wrapped inside its box) exactly once as text."""
    names = task_names(SAMPLE_BPMN)
    found = texts(sample_svg)
    assert len(names) == 16
    assert {n: found.count(n) for n in names} == dict.fromkeys(names, 1)
    assert len(classed(sample_svg, "activity")) == 16


def test_sample_bpmn_lanes_timer_and_events(sample_svg: etree._Element) -> None:
    """3 lane bands labelled with the lane names, 1 pool, 1 timer clock, 1 start and 4 end events."""
    lanes = [" ".join(" ".join(t.itertext()).split()) for t in classed(sample_svg, "lane-label")]
    assert sorted(lanes) == [
        "Automation (system accounts)",
        "Credit risk (underwriters, manager)",
        "Operations (clerks)",
    ]
    assert texts(sample_svg).count("Consumer loan bank") == 1
    assert len(classed(sample_svg, "timer-marker")) == 1
    assert len(classed(sample_svg, "startEvent")) == 1 and len(classed(sample_svg, "endEvent")) == 4
    assert len(classed(sample_svg, "boundaryEvent")) == 1 and len(classed(sample_svg, "marker-user")) == 4
    xors = list(parse_xml(SAMPLE_BPMN).iter(f"{{{BPMN}}}exclusiveGateway"))
    assert len(classed(sample_svg, "gateway")) == len(classed(sample_svg, "marker-xor")) == len(xors) == 15


def test_sample_bpmn_has_an_arrow_per_sequence_flow(sample_svg: etree._Element) -> None:
    """One arrowhead per sequence flow in the file (44), and the gateways' flow names as labels."""
    flows = list(parse_xml(SAMPLE_BPMN).iter(f"{{{BPMN}}}sequenceFlow"))
    assert len(flows) == 44
    assert (
        len(classed(sample_svg, "sequence-arrow")) == len(flows) == len(classed(sample_svg, "sequenceFlow"))
    )
    named = sorted(clean(f.get("name")) for f in flows if f.get("name"))
    assert (
        sorted(" ".join(" ".join(t.itertext()).split()) for t in classed(sample_svg, "flow-label")) == named
    )


def test_sample_bpmn_viewbox_fits_the_pool(sample_svg: etree._Element) -> None:
    """The viewBox is the pool's bounds (0,0 3590x830, the outermost shape) plus a 20 pt margin."""
    assert sample_svg.get("viewBox") == "-20.0 -20.0 3630.0 870.0"


def test_negative_coordinates_prefixes_and_hostile_text() -> None:
    """Any namespace prefixes and negative DI coordinates; <, &, quotes in names come out as text, not markup."""
    svg_text = bpmn_svg(TINY.encode("utf-8"))
    svg = parse(svg_text)
    # x -300..-14; y -72..16 (the events end at -14, plus 30 pt for their labels); 20 pt margin
    assert svg.get("viewBox") == "-320.0 -92.0 326.0 128.0"
    assert HOSTILE in texts(svg) and "<go> & see" in texts(svg)
    assert not list(svg.iter("{http://www.w3.org/2000/svg}b")) and "<b>" not in svg_text
    assert svg.findtext("{http://www.w3.org/2000/svg}title") == "Tiny & <odd>"
    assert len(classed(svg, "sequence-arrow")) == 2 and len(classed(svg, "marker-user")) == 1


def test_source_as_path_str_or_bytes_gives_the_same_svg() -> None:
    """A Path, a str path and the file's bytes draw the same diagram."""
    assert bpmn_svg(SAMPLE_BPMN) == bpmn_svg(str(SAMPLE_BPMN)) == bpmn_svg(SAMPLE_BPMN.read_bytes())


def test_missing_or_partial_di_is_a_model_error() -> None:
    """No diagram, or a task or flow without a shape or edge, raises ModelError naming what is missing."""
    no_di = TINY[: TINY.index("<x:BPMNDiagram")] + "</b:definitions>"
    with pytest.raises(ModelError, match="uploaded BPMN: the file has no diagram layout"):
        bpmn_svg(no_di.encode())
    task_shape = next(line for line in TINY.splitlines() if 'id="t_di"' in line)
    partial = TINY.replace(task_shape, "")
    with pytest.raises(ModelError, match=r"partial: 1 of 5 flow elements .*userTask 'Check <b>id</b>"):
        bpmn_svg(partial.encode())
    with pytest.raises(ModelError, match="not BPMN 2.0 <definitions>"):
        bpmn_svg(b"<svg/>")


def test_dtd_is_refused_before_parsing() -> None:
    """A BPMN document declaring entities is refused (XXE), as the model reader does."""
    hostile = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    with pytest.raises(UnsafeSourceError):
        bpmn_svg(hostile)


def test_shared_models_render_or_refuse(shared_data: Path) -> None:
    """Every shared .bpmn (and MIWG file) either draws with a text per named task, or raises ModelError."""
    files = sorted((shared_data / "models").glob("**/*.bpmn"))
    drawn = []
    for path in files:
        try:
            svg = parse(bpmn_svg(path))
        except ModelError:
            continue
        found = texts(svg)
        assert [n for n in task_names(path) if n not in found] == [], path.name
        root = parse_xml(path)
        edges = {e.get("bpmnElement") for e in root.iter(f"{{{BPMN_DI}}}BPMNEdge")}
        flows = [f for f in root.iter(f"{{{BPMN}}}sequenceFlow") if f.get("id") in edges]
        assert len(classed(svg, "sequence-arrow")) == len(flows) > 0, path.name
        drawn.append(path.name)
    assert len(drawn) >= 10 and "B.1.0.bpmn" in drawn  # its called process is drawn nowhere: not partial DI


def test_yaml_model_has_a_box_per_step_and_an_arrow_per_edge() -> None:
    """The YAML spec: a box per step coloured by owner, an arrow per transition, start/end links, one SLA badge."""
    model = read_model(SAMPLE_YAML)
    svg = parse(model_svg(model))
    boxes = classed(svg, "model-task")
    assert len(boxes) == len(model.tasks) == 16
    assert len(classed(svg, "human")) == 4 and len(classed(svg, "system")) == 12
    spec = yaml.safe_load(SAMPLE_YAML.read_text(encoding="utf-8"))
    assert len(spec["steps"]) == 16 and len(spec["transitions"]) == 36
    assert len(classed(svg, "model-arrow")) == len(model.edges) == 36
    assert len(classed(svg, "start-arrow")) == 1 and len(classed(svg, "end-arrow")) == 4
    badges = classed(svg, "sla-badge")
    assert len(badges) == 1 and "2 d" in texts(badges[0])
    assert {"Human task", "System task", "Owner unknown", "SLA timer"} <= set(texts(svg))
    assert all(texts(svg).count(t.name) == 1 for t in model.tasks)


def test_pnml_renders_via_model_svg(tmp_path: Path) -> None:
    """A PNML net (no layout) draws its visible transitions; silent ones are no boxes."""
    text = (
        '<pnml><net id="n"><page id="pg"><place id="i"><initialMarking><text>1</text></initialMarking></place>'
        '<place id="m"/><place id="o"/><transition id="a"><name><text>A &amp; B</text></name></transition>'
        '<transition id="t"/><transition id="c"><name><text>C</text></name></transition>'
        '<arc id="1" source="i" target="a"/><arc id="2" source="a" target="m"/><arc id="3" source="m" target="t"/>'
        '<arc id="4" source="t" target="o"/><arc id="5" source="m" target="c"/><arc id="6" source="c" target="o"/>'
        "</page></net></pnml>"
    )
    path = tmp_path / "x.pnml"
    path.write_text(text, encoding="utf-8")
    model = read_model(path)
    svg = parse(diagram_svg(model))
    assert sorted(t for t in texts(svg) if t in {"A & B", "C"}) == ["A & B", "C"]
    assert len(classed(svg, "model-task")) == 2 and len(classed(svg, "unknown")) == 2
    assert len(classed(svg, "model-arrow")) == len(model.edges) == 1  # A -> C (the silent path skipped)


def test_shared_pnml_renders(shared_data: Path) -> None:
    """The shared running-example.pnml draws a box per visible transition label."""
    model = read_model(shared_data / "models" / "running-example.pnml")
    svg = parse(model_svg(model))
    assert len(classed(svg, "model-task")) == len(model.net.labels) == 8
    assert len(classed(svg, "model-arrow")) == len(model.edges)


def test_hostile_names_in_model_svg() -> None:
    """A model whose activity names hold markup characters draws them as text."""
    net = PetriNetSpec(("i", "o"), (("t1", HOSTILE),), (("i", "t1"), ("t1", "o")), (("i", 1),), (("o", 1),))
    model = TargetModel(
        name='<m> & "n"',
        source="",
        format="discovered",
        tasks=(ModelTask("t1", HOSTILE, "user", "human"),),
        net=net,
        edges=frozenset({(HOSTILE, HOSTILE)}),
        start_activities=frozenset({HOSTILE}),
        end_activities=frozenset({HOSTILE}),
        timers=(SlaTimer("s", HOSTILE, timedelta(hours=36), interrupting=True),),
    )
    svg = parse(model_svg(model))
    assert texts(svg).count(HOSTILE) == 1 and "1 d 12 h" in texts(svg)
    assert svg.findtext("{http://www.w3.org/2000/svg}title") == '<m> & "n"'
    assert len(classed(svg, "model-arrow")) == 1 and len(classed(svg, "human")) == 1


def test_diagram_svg_prefers_the_bpmn_layout() -> None:
    """BPMN with DI draws its own layout; YAML, or BPMN bytes without DI, fall back to the layered layout."""
    bpmn_model = read_model(SAMPLE_BPMN)
    assert classed(parse(diagram_svg(bpmn_model)), "lane-label")
    assert not classed(parse(diagram_svg(bpmn_model)), "model-task")
    no_di = SAMPLE_BPMN.read_text(encoding="utf-8")
    no_di = no_di[: no_di.index("<bpmndi:BPMNDiagram")] + "</definitions>"
    fallback = parse(diagram_svg(bpmn_model, no_di.encode()))
    assert len(classed(fallback, "model-task")) == 16 and len(classed(fallback, "sla-badge")) == 1
    assert len(classed(parse(diagram_svg(read_model(SAMPLE_YAML))), "model-task")) == 16


def test_sample_diagrams_saved_as_png() -> None:
    """Both sample diagrams render to PNG (test-artifacts/) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for name, svg in (
        ("model_diagram_bpmn.png", bpmn_svg(SAMPLE_BPMN)),
        ("model_diagram_yaml.png", model_svg(read_model(SAMPLE_YAML))),
    ):
        png = to_png(svg, scale=1.0)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        (ARTIFACTS / name).write_bytes(png)
