"""Before/after maps on one layout: shares of cases per edge, colours by change, both sides aligned."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from analytics import get_edge_measures
from app_pages.compare_map import (
    FELL,
    GONE,
    NEW,
    ROSE,
    SAME,
    Change,
    activity_changes,
    change_color,
    compare_svg,
    edge_changes,
    union_layout,
)


@pytest.fixture(scope="module")
def measures(sample_logs: Path):  # type: ignore[no-untyped-def]
    from baton.api import open_workspace

    with open_workspace() as ws:
        for name in ("loans_before", "loans_after"):
            ws.import_file(sample_logs / f"{name}.parquet", name=name)
        yield get_edge_measures(ws.log("loans_before")), get_edge_measures(ws.log("loans_after"))


def _share(csv: Path, source: str, target: str) -> float:
    df = pd.read_csv(csv)
    nxt = df.groupby("case_id")["activity"].shift(-1)
    cases = df.loc[(df["activity"] == source) & (nxt == target), "case_id"].nunique()
    return cases / df["case_id"].nunique()


def test_edge_shares_equal_pandas(measures, sample_logs: Path) -> None:  # type: ignore[no-untyped-def]
    """The share of cases taking an edge, before and after, equals a pandas count on the CSVs."""
    before, after = measures
    edge = ("Receive Application", "Re-enter Application Data")
    change = edge_changes(before, after)[edge]
    assert change.before == pytest.approx(_share(sample_logs / "loans_before.csv", *edge))
    assert change.after == pytest.approx(_share(sample_logs / "loans_after.csv", *edge))
    assert change_color(change) == FELL  # every BEFORE case re-keys; only the injected AFTER cases do


def test_new_and_removed_paths_and_activities(measures) -> None:  # type: ignore[no-untyped-def]
    """Paths only AFTER has are new, paths only BEFORE has are gone; activities likewise."""
    before, after = measures
    edges, acts = edge_changes(before, after), activity_changes(before, after)
    assert change_color(acts["Run KYC Check"]) == NEW  # the bots exist only after orchestration
    assert acts["Run KYC Check"].before is None
    gone = [k for k, c in edges.items() if c.after is None]
    assert gone and all(change_color(edges[k]) == GONE for k in gone)
    assert set(edges) == {(e.source, e.target) for m in measures for e in m.edges}


def test_colour_thresholds() -> None:
    """A 2-point rise is red, a 2-point fall green, less is grey."""
    assert change_color(Change(0.40, 0.10)) == FELL
    assert change_color(Change(0.10, 0.13)) == ROSE
    assert change_color(Change(0.10, 0.11)) == SAME
    assert Change(0.40, 0.10).points == pytest.approx(-30.0)


def test_both_sides_share_one_layout(measures) -> None:  # type: ignore[no-untyped-def]
    """Both SVGs place every activity of either log at the same position (one shared layout)."""
    before, after = measures
    layout = union_layout(before, after)
    assert set(before.activities) | set(after.activities) <= set(layout.boxes)
    svgs = [
        etree.fromstring(compare_svg(before, after, layout, side).encode()) for side in ("before", "after")
    ]
    rects = [[(r.get("x"), r.get("y")) for r in svg.iter("{*}rect")] for svg in svgs]
    assert rects[0] == rects[1]
    texts = {t.text for t in svgs[1].iter("{*}text")}
    assert "Run KYC Check" in texts and "Re-enter Application Data" in texts
