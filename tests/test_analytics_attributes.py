"""Attribute values: per value the cases (and events) having it, filters respected, checked by hand and pm4py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import analytics as an
from baton import pm4py_bridge as br
from baton.api import Workspace, open_workspace
from baton.errors import FilterError
from baton.filters import CaseAttribute, EventAttribute

# region and amount are constant per case (case attributes; c4 has no amount), outcome and cost vary
# within a case (event attributes; c5 has no outcome, c4 and c5 no cost).
CSV = """case,activity,time,resource,region,amount,outcome,cost
c1,A,2024-01-01T10:00:00Z,ann,north,100,ok,1.5
c1,B,2024-01-01T11:00:00Z,bob,north,100,,2.0
c1,C,2024-01-01T12:00:00Z,ann,north,100,ok,1.5
c2,A,2024-01-02T10:00:00Z,bob,south,200,fail,3.0
c2,C,2024-01-02T10:30:00Z,bob,south,200,,
c3,A,2024-01-03T09:00:00Z,ann,north,100,ok,1.5
c3,B,2024-01-03T10:00:00Z,cid,north,100,,
c3,B,2024-01-04T10:00:00Z,cid,north,100,fail,
c3,C,2024-01-05T09:00:00Z,ann,north,100,,
c4,B,2024-01-04T10:00:00Z,bob,east,,fail,
c4,C,2024-01-04T11:00:00Z,bob,east,,,
c5,A,2024-01-06T10:00:00Z,ann,south,300,,
c5,B,2024-01-06T12:00:00Z,bob,south,300,,
c5,C,2024-01-06T13:00:00Z,cid,south,300,,
"""
SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs" / "loans_before.csv"


@pytest.fixture
def tiny(ws: Workspace, tmp_path: Path) -> Workspace:
    """The workspace fixture holding the tiny CSV above as log ``x``."""
    path = tmp_path / "tiny.csv"
    path.write_text(CSV)
    ws.import_file(path, name="x")
    return ws


def _rows(found: an.AttributeValues) -> list[tuple]:
    return [(v.value, v.cases, v.events) for v in found.values]


def test_attributes_split_as_expected(tiny: Workspace) -> None:
    """The tiny log's columns land where the hand-computed counts below assume."""
    info = tiny.info("x")
    assert info.case_attributes == {"region": "VARCHAR", "amount": "BIGINT"}
    assert info.event_attributes == {"outcome": "VARCHAR", "cost": "DOUBLE"}


def test_case_attribute_values_by_hand(tiny: Workspace) -> None:
    """Case attribute: cases per value, most frequent first then by value; no events column."""
    found = an.get_attribute_values(tiny.log("x"), "region")
    assert (found.level, found.sql_type, found.distinct, found.truncated) == ("case", "VARCHAR", 3, False)
    assert _rows(found) == [("north", 2, None), ("south", 2, None), ("east", 1, None)]
    assert (found.missing_cases, found.min, found.max) == (0, None, None)
    assert not found.numeric and not found.temporal
    assert found.to_frame().to_dict("list") == {"value": ["north", "south", "east"], "cases": [2, 2, 1]}


def test_numeric_case_attribute_has_range_and_missing(tiny: Workspace) -> None:
    """A BIGINT case attribute lists integer values with min and max; the case without one is counted."""
    found = an.get_attribute_values(tiny.log("x"), "amount")
    assert _rows(found) == [(100, 2, None), (200, 1, None), (300, 1, None)]
    assert (found.numeric, found.min, found.max, found.missing_cases) == (True, 100, 300, 1)


def test_event_attribute_values_by_hand(tiny: Workspace) -> None:
    """Event attribute: cases and events per value; ties on cases broken by events, then value."""
    outcome = an.get_attribute_values(tiny.log("x"), "outcome")
    assert outcome.level == "event"
    assert _rows(outcome) == [("fail", 3, 3), ("ok", 2, 3)]
    assert outcome.missing_cases == 1  # c5
    cost = an.get_attribute_values(tiny.log("x"), "cost")
    assert _rows(cost) == [(1.5, 2, 3), (2.0, 1, 1), (3.0, 1, 1)]
    assert (cost.min, cost.max, cost.missing_cases) == (1.5, 3.0, 2)
    assert cost.to_frame()["events"].tolist() == [3, 1, 1]


def test_canonical_event_columns_by_hand(tiny: Workspace) -> None:
    """activity and resource come from the events table (activity names via the dictionary)."""
    log = tiny.log("x")
    assert _rows(an.get_attribute_values(log, "resource")) == [("bob", 4, 6), ("ann", 3, 5), ("cid", 2, 3)]
    assert _rows(an.get_attribute_values(log, "activity")) == [("C", 5, 5), ("B", 4, 5), ("A", 4, 4)]


def test_filtered_log_gives_filtered_counts(tiny: Workspace) -> None:
    """Only the filtered cases count: north keeps c1 and c3; resource cid keeps c3 and c5."""
    north = tiny.log("x").filter(CaseAttribute("region", ("north",)))
    assert _rows(an.get_attribute_values(north, "resource")) == [("ann", 2, 4), ("cid", 1, 2), ("bob", 1, 1)]
    assert an.get_attribute_values(north, "region").counts() == {"north": 2}
    assert an.get_attribute_values(north, "amount").missing_cases == 0
    cid = tiny.log("x").filter(EventAttribute("resource", ("cid",)))
    assert an.get_attribute_values(cid, "region").counts() == {"north": 1, "south": 1}
    assert _rows(an.get_attribute_values(cid, "outcome")) == [("fail", 1, 1), ("ok", 1, 1)]


def test_limit_cuts_the_list_and_says_so(tiny: Workspace) -> None:
    """limit keeps the most frequent values; distinct still counts all; truncated flags the cut."""
    log = tiny.log("x")
    two = an.get_attribute_values(log, "resource", limit=2)
    assert ([v.value for v in two.values], two.distinct, two.truncated) == (["bob", "ann"], 3, True)
    three = an.get_attribute_values(log, "resource", limit=3)
    assert (len(three.values), three.truncated) == (3, False)
    everything = an.get_attribute_values(log, "resource", limit=None)
    assert (len(everything.values), everything.truncated) == (3, False)
    none = an.get_attribute_values(log, "resource", limit=0)
    assert (none.values, none.distinct, none.truncated) == ((), 3, True)
    with pytest.raises(FilterError, match="non-negative"):
        an.get_attribute_values(log, "resource", limit=-1)


def test_unknown_attribute_names_the_known_ones(tiny: Workspace) -> None:
    """An unknown name raises FilterError naming it and listing the log's case and event attributes."""
    with pytest.raises(FilterError) as err:
        an.get_attribute_values(tiny.log("x"), "colour")
    message = str(err.value)
    assert "'colour'" in message and "log 'x'" in message
    assert "['amount', 'region']" in message
    assert "['activity', 'cost', 'lifecycle', 'outcome', 'resource']" in message


@pytest.fixture(scope="module")
def loans() -> Iterator[tuple[Workspace, pd.DataFrame]]:
    """loans_before.csv stored by Baton, and the same file read by pandas."""
    ws = open_workspace()
    ws.import_file(SAMPLE, name="before")
    yield ws, pd.read_csv(SAMPLE)
    ws.close()


@pytest.mark.parametrize("name", ["product", "channel", "region", "loan_amount"])
def test_case_attribute_counts_equal_pandas(loans: tuple[Workspace, pd.DataFrame], name: str) -> None:
    """Cases per value of each case attribute equal pandas' distinct case ids per value of the CSV."""
    ws, df = loans
    found = an.get_attribute_values(ws.log("before"), name, limit=None)
    expected = df.groupby(name)["case_id"].nunique()
    assert found.counts() == {k: int(n) for k, n in expected.items()}
    assert found.distinct == len(expected)
    assert found.missing_cases == df.loc[df[name].isna(), "case_id"].nunique()


def test_event_attribute_counts_equal_pm4py(loans: tuple[Workspace, pd.DataFrame]) -> None:
    """Cases and events per outcome and resource equal pm4py.get_event_attribute_values (per case / all)."""
    ws, _ = loans
    frame = br.read_csv(
        str(SAMPLE), case_id_key="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    pm4py = br._pm4py()  # imported quietly (no banner)
    for name, column in (("outcome", "outcome"), ("resource", "resource")):
        found = an.get_attribute_values(ws.log("before"), name, limit=None)
        per_case = pm4py.get_event_attribute_values(frame, column, count_once_per_case=True)
        events = pm4py.get_event_attribute_values(frame, column)
        assert found.counts() == per_case
        assert {v.value: v.events for v in found.values} == events
        assert [v.cases for v in found.values] == sorted(per_case.values(), reverse=True)
