"""The Streamlit app on a seeded workspace (AppTest: page logic without a browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from baton.api import open_workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _nodes(dot: str) -> set[str]:
    return set(re.findall(r'^\s+"([^"]+)" \[label=', dot, flags=re.M)) - {"__start__", "__end__"}


def _edges(dot: str) -> list[tuple[str, str]]:
    pairs = re.findall(r'^\s+"([^"]+)" -> "([^"]+)" \[label=" [^"]*", penwidth', dot, flags=re.M)
    return [(a, b) for a, b in pairs]


def test_overview_shows_catalog_numbers_and_map(app: AppTest, workspace_file: Path) -> None:
    """Headline metrics equal the catalog, and the map shows every activity at 100 %."""
    with open_workspace(workspace_file) as ws:
        info = ws.info("after")
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Cases"] == f"{info.cases:,}"
    assert metrics["Events"] == f"{info.events:,}"
    assert metrics["Variants"] == f"{info.variants:,}"
    dot = app.get("graphviz_chart")[0].proto.spec
    assert len(_nodes(dot)) == info.activities


def test_paths_slider_changes_edges(app: AppTest) -> None:
    """Moving the paths slider from 10 % to 100 % shows more edges, and every activity stays connected."""
    app.run()
    few = _edges(app.get("graphviz_chart")[0].proto.spec)
    app.slider(key="paths_pct").set_value(100).run()
    dot = app.get("graphviz_chart")[0].proto.spec
    many = _edges(dot)
    assert len(many) > len(few)
    connected_few = {a for a, _ in few} | {b for _, b in few}
    connected_all = {n for a, b in many if a != b for n in (a, b)}
    assert connected_all <= connected_few  # the sparse map leaves no activity floating


def test_activities_slider_drops_rare_activities(app: AppTest) -> None:
    """At 50 % activities the map keeps the most frequent half (rounded up)."""
    app.run()
    total = len(_nodes(app.get("graphviz_chart")[0].proto.spec))
    app.slider(key="activities_pct").set_value(50).run()
    assert len(_nodes(app.get("graphviz_chart")[0].proto.spec)) == -(-total // 2)


def test_empty_workspace_explains_next_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no logs the page says how to get some instead of failing."""
    import streamlit as st

    monkeypatch.setenv("BATON_WORKSPACE", str(tmp_path / "empty.duckdb"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "No logs in this workspace yet" in at.info[0].value


def test_measure_radio_switches_views(app: AppTest, workspace_file: Path) -> None:
    """Each view labels the busiest edge with its own value: count, case count, median wait."""
    from analytics import get_edge_measures
    from app_pages.map_dot import human_duration

    with open_workspace(workspace_file) as ws:
        top = get_edge_measures(ws.log("after")).edges[0]
    app.run()
    pattern = rf'"{re.escape(top.source)}" -> "{re.escape(top.target)}" \[label=" ([^"]*)"'
    labels = {}
    for measure in ("frequency", "case_frequency", "median_wait", "max_wait"):
        app.radio(key="measure").set_value(measure).run()
        assert not app.exception
        labels[measure] = re.findall(pattern, app.get("graphviz_chart")[0].proto.spec)
    assert labels["frequency"] == [f"{top.frequency:,}"]
    assert labels["case_frequency"] == [f"{top.case_frequency:,}"]
    assert labels["median_wait"] == [human_duration(top.median_wait_us)]
    assert labels["max_wait"] == [human_duration(top.max_wait_us)]


def test_downloads_and_inspector(app: AppTest, workspace_file: Path) -> None:
    """SVG, PNG and CSV download buttons exist; inspecting an edge shows its frequency and its cases."""
    from analytics import get_edge_measures

    with open_workspace(workspace_file) as ws:
        top = get_edge_measures(ws.log("after")).edges[0]
    app.run()
    buttons = [b.proto.label for b in app.get("download_button")]
    assert buttons == ["Map as SVG", "Map as PNG", "DFG as CSV"]
    app.selectbox(key="inspect").set_value(f"{top.source} → {top.target}").run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Frequency"] == f"{top.frequency:,}"
    assert metrics["Case frequency"] == f"{top.case_frequency:,}"
    assert f"{top.case_frequency:,} cases" in app.caption[-1].value
    assert len(app.dataframe[0].value) == min(10, top.case_frequency)
