"""Stable map layout, DOT pinned positions, view styles and the SVG/PNG exports (no Streamlit needed)."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from analytics import ActivityMeasure, EdgeMeasure, EdgeMeasures, get_edge_measures
from app_pages.map_dot import edge_styles, simplify, to_dot
from app_pages.map_layout import END, START, MapLayout, acyclic_order, compute_layout
from app_pages.map_svg import to_png, to_svg
from baton.api import open_workspace

SVG_NS = "{http://www.w3.org/2000/svg}"
SETTINGS = [(100, 100), (100, 10), (100, 0), (50, 100), (50, 0), (25, 50), (0, 0)]


def _edge(a: str, b: str, n: int, nc: int, wait_s: float) -> EdgeMeasure:
    us = wait_s * 1e6
    return EdgeMeasure(a, b, n, nc, us, us, us, int(us))


# A -> B -> C with a loop back C -> B and a rare shortcut A -> C
TINY = EdgeMeasures(
    edges=(
        _edge("A", "B", 10, 10, 60),
        _edge("B", "C", 8, 6, 3600),
        _edge("C", "B", 3, 2, 30),
        _edge("A", "C", 2, 2, 7200),
    ),
    activities={
        "B": ActivityMeasure("B", 13, 10),
        "A": ActivityMeasure("A", 12, 12),
        "C": ActivityMeasure("C", 10, 8),
    },
    start_activities={"A": 12},
    end_activities={"C": 7, "B": 5},
)


def _layout(m: EdgeMeasures) -> MapLayout:
    return compute_layout(
        list(m.activities), [(e.source, e.target, e.frequency) for e in m.edges], m.start_activities
    )


@pytest.fixture(scope="module")
def after(sample_logs: Path) -> EdgeMeasures:
    """Measures of the sample AFTER log (16 activities, 26 edges)."""
    with open_workspace() as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="after")
        return get_edge_measures(ws.log("after"))


def _positions(dot: str) -> dict[str, str]:
    return dict(re.findall(r'^\s+"([^"]+)" \[.*pos="([^"]+)"', dot, flags=re.M))


def test_tiny_layout_layers_follow_the_flow() -> None:
    """Start activity on top, the loop edge C -> B is the back edge, markers centred above and below."""
    order, back = acyclic_order(
        ["B", "A", "C"], [(e.source, e.target, e.frequency) for e in TINY.edges], ["A"]
    )
    assert order == ["A", "B", "C"] and back == {("C", "B")}
    boxes = _layout(TINY).boxes
    assert boxes["A"].y < boxes["B"].y < boxes["C"].y
    assert boxes[START].y < boxes["A"].y and boxes[END].y > boxes["C"].y
    assert boxes[START].x == boxes[END].x == _layout(TINY).width / 2


def test_positions_never_move_with_the_sliders(after: EdgeMeasures) -> None:
    """Every slider setting pins each kept node at the same DOT position; kept edges join kept nodes."""
    layout = _layout(after)
    seen: dict[str, str] = {}
    for acts, paths in SETTINGS:
        view = simplify(after, activities_pct=acts, paths_pct=paths)
        assert all(e.source in view.activities and e.target in view.activities for e in view.edges)
        pos = _positions(to_dot(view, layout, measure="median_wait"))
        assert set(pos) == set(view.activities) | {START, END}
        for name, p in pos.items():
            assert seen.setdefault(name, p) == p, (name, acts, paths)
    assert len(seen) == len(after.activities) + 2


def test_layout_boxes_do_not_overlap_and_fit(after: EdgeMeasures) -> None:
    """No two boxes overlap, and every box lies inside the full map's bounding box."""
    layout = _layout(after)
    boxes = list(layout.boxes.values())
    for i, a in enumerate(boxes):
        assert a.x - a.width / 2 >= 0 and a.x + a.width / 2 <= layout.width
        assert a.y - a.height / 2 >= 0 and a.y + a.height / 2 <= layout.height
        for b in boxes[i + 1 :]:
            apart_x = abs(a.x - b.x) >= (a.width + b.width) / 2
            apart_y = abs(a.y - b.y) >= (a.height + b.height) / 2
            assert apart_x or apart_y


def test_edge_styles_scale_with_the_measure() -> None:
    """Pen width runs 1..6 pt by value; labels are counts or durations of the chosen view."""
    view = simplify(TINY, activities_pct=100, paths_pct=100)
    freq = edge_styles(view, "frequency")
    assert [s.label for s in freq] == ["10", "8", "3", "2"]
    assert [s.penwidth for s in freq] == pytest.approx([6.0, 5.0, 2.5, 2.0])
    assert [s.label for s in edge_styles(view, "case_frequency")] == ["10", "6", "2", "2"]
    waits = edge_styles(view, "max_wait")
    assert [s.label for s in waits] == ["1.0 min", "1.0 h", "30 s", "2.0 h"]
    assert waits[3].penwidth == 6.0 and waits[3].color != waits[2].color


def test_dot_shows_case_frequency_in_boxes() -> None:
    """In the case-frequency view activity boxes show case counts, start/end edges case counts."""
    dot = to_dot(simplify(TINY, activities_pct=100, paths_pct=100), _layout(TINY), measure="case_frequency")
    assert '"A" [label="A\\n12"' in dot and '"C" [label="C\\n8"' in dot
    assert '"__start__" -> "A" [label=" 12"' in dot and '"B" -> "__end__" [label=" 5"' in dot
    assert "layout=neato" in dot


def test_svg_is_well_formed_with_every_label(after: EdgeMeasures) -> None:
    """The SVG export parses as XML and names every activity; sizes follow the layout."""
    layout = _layout(after)
    view = simplify(after, activities_pct=100, paths_pct=30)
    svg = to_svg(view, layout, measure="p90_wait", title="after & co")
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert set(after.activities) <= texts
    assert root.find(f"{SVG_NS}title").text == "after & co"  # type: ignore[union-attr]
    assert len(root.findall(f"{SVG_NS}rect")) == len(after.activities) + 1  # boxes + background
    assert len(root.findall(f"{SVG_NS}path")) == len(view.edges) + len(view.starts) + len(view.ends)


def test_png_export_has_the_svg_size() -> None:
    """The PNG export is a PNG twice the SVG's size (scale 2)."""
    layout = _layout(TINY)
    svg = to_svg(simplify(TINY, activities_pct=100, paths_pct=100), layout)
    png = to_png(svg)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    root = ET.fromstring(svg.encode("utf-8"))
    assert (width, height) == (2 * int(root.get("width", "0")), 2 * int(root.get("height", "0")))


def test_wide_layers_stack_rare_activities_below() -> None:
    """Eight activities that all follow one start would sit side by side; with four at most per layer the
    four most frequent keep the first layer below the start and the four rarer ones move one layer down."""
    from app_pages.map_layout import compute_layout

    followers = [f"F{i}" for i in range(8)]
    edges = [("S", f, 100 - 10 * i) for i, f in enumerate(followers)]
    boxes = compute_layout(["S", *followers], edges, {"S": 500}).boxes
    ys = sorted({boxes[f].y for f in followers})
    assert len(ys) == 2 and boxes["S"].y < ys[0]
    assert {f for f in followers if boxes[f].y == ys[0]} == {"F0", "F1", "F2", "F3"}
