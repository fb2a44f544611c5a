"""Case filters: each kind keeps exactly the hand-computed cases; specs round-trip; filters never add cases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.api import Workspace, open_workspace
from baton.errors import FilterError
from baton.filters import (
    CaseAttribute,
    CaseDuration,
    EndActivities,
    EventAttribute,
    FilterSpec,
    Follows,
    HasRework,
    StartActivities,
    TimeFrame,
    VariantSelection,
)

# c1: A B C        (2024-01-01 10:00 -> 12:00, 2 h), region north
# c2: A C          (2024-01-02 10:00 -> 10:30, 30 min), region south
# c3: A B B C      (2024-01-03 09:00 -> 2024-01-05 09:00, 48 h), region north
# c4: B C          (2024-01-04 10:00 -> 11:00, 1 h), region east
# c5: A B C        (2024-01-06 10:00 -> 13:00, 3 h), region south
CSV = """case,activity,time,resource,region
c1,A,2024-01-01T10:00:00Z,ann,north
c1,B,2024-01-01T11:00:00Z,bob,north
c1,C,2024-01-01T12:00:00Z,ann,north
c2,A,2024-01-02T10:00:00Z,bob,south
c2,C,2024-01-02T10:30:00Z,bob,south
c3,A,2024-01-03T09:00:00Z,ann,north
c3,B,2024-01-03T10:00:00Z,cid,north
c3,B,2024-01-04T10:00:00Z,cid,north
c3,C,2024-01-05T09:00:00Z,ann,north
c4,B,2024-01-04T10:00:00Z,bob,east
c4,C,2024-01-04T11:00:00Z,bob,east
c5,A,2024-01-06T10:00:00Z,ann,south
c5,B,2024-01-06T12:00:00Z,bob,south
c5,C,2024-01-06T13:00:00Z,cid,south
"""


@pytest.fixture(scope="module")
def wsf(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("f") / "log.csv"
    path.write_text(CSV)
    ws = open_workspace()
    ws.import_file(path, name="x")
    return ws


def kept(ws: Workspace, *filters: object) -> set[str]:
    log = ws.log("x").filter(*filters)
    sel = log.selection()
    rows = log.cursor().execute(f"SELECT case_id FROM ({sel.cases_sql})", sel.params).fetchall()
    return {r[0] for r in rows}


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


CASES = [
    (TimeFrame(t(1), t(3)), {"c1", "c2"}),
    (TimeFrame(t(3), t(5), mode="intersecting"), {"c3", "c4"}),
    (TimeFrame(t(3), t(5), mode="started"), {"c3", "c4"}),
    (TimeFrame(t(4), t(6), mode="completed"), {"c3", "c4"}),
    (TimeFrame(t(1), t(3), keep=False), {"c3", "c4", "c5"}),
    (CaseAttribute("region", ("north",)), {"c1", "c3"}),
    (CaseAttribute("case_id", ("c2", "c5")), {"c2", "c5"}),
    (EventAttribute("resource", ("cid",)), {"c3", "c5"}),
    (EventAttribute("activity", ("B",), keep=False), {"c2"}),
    (VariantSelection(top_k=1), {"c1", "c5"}),
    (StartActivities(("B",)), {"c4"}),
    (EndActivities(("C",)), {"c1", "c2", "c3", "c4", "c5"}),
    (Follows("A", "C"), {"c2"}),
    (Follows("A", "C", directly=False), {"c1", "c2", "c3", "c5"}),
    (Follows("C", "A", directly=False), set()),
    (CaseDuration(min_seconds=3600, max_seconds=3 * 3600), {"c1", "c4", "c5"}),
    (CaseDuration(min_seconds=86400), {"c3"}),
    (HasRework(), {"c3"}),
    (HasRework(activity="B", min_occurrences=2), {"c3"}),
    (HasRework(activity="A"), set()),
]


@pytest.mark.parametrize(
    ("flt", "expected"), CASES, ids=[f"{type(f).__name__}-{i}" for i, (f, _) in enumerate(CASES)]
)
def test_filter_keeps_hand_computed_cases(wsf: Workspace, flt: object, expected: set[str]) -> None:
    """Each filter kind keeps exactly the cases worked out by hand."""
    assert kept(wsf, flt) == expected


def test_filters_compose_as_and(wsf: Workspace) -> None:
    """Several filters keep the cases every one of them keeps."""
    assert kept(wsf, CaseAttribute("region", ("south",)), EventAttribute("resource", ("cid",))) == {"c5"}


def test_spec_round_trips_and_rejects_unknown() -> None:
    """A spec survives JSON and Python source; unknown kinds and fields are refused with the valid ones."""
    spec = FilterSpec(tuple(f for f, _ in CASES))
    assert FilterSpec.from_dict(spec.to_dict()) == spec
    namespace: dict = {}
    exec(spec.to_python(), namespace)  # noqa: S102 - our own generated snippet
    assert namespace["spec"] == spec
    with pytest.raises(FilterError, match="unknown filter kind 'nope'"):
        FilterSpec.from_dict({"filters": [{"kind": "nope"}]})
    with pytest.raises(FilterError, match="has no field"):
        FilterSpec.from_dict({"filters": [{"kind": "rework", "colour": 1}]})


def test_naive_time_frame_is_refused(wsf: Workspace) -> None:
    """Time frames need zone-aware bounds; a naive datetime gets an error that says how to fix it."""
    with pytest.raises(FilterError, match="tzinfo=timezone.utc"):
        kept(wsf, TimeFrame(datetime(2024, 1, 1), datetime(2024, 1, 2)))


filters_strategy = st.lists(
    st.one_of(
        st.builds(
            CaseDuration, min_seconds=st.none() | st.floats(0, 2e5), max_seconds=st.none() | st.floats(0, 2e5)
        ),
        st.builds(
            StartActivities, st.lists(st.sampled_from("ABC"), min_size=1).map(tuple), keep=st.booleans()
        ),
        st.builds(
            Follows,
            st.sampled_from("ABC"),
            st.sampled_from("ABC"),
            directly=st.booleans(),
            keep=st.booleans(),
        ),
        st.builds(VariantSelection, top_k=st.integers(0, 5)),
        st.builds(HasRework, keep=st.booleans()),
        st.builds(
            TimeFrame,
            st.integers(1, 6).map(t),
            st.integers(1, 7).map(t),
            mode=st.sampled_from(["contained", "intersecting", "started", "completed"]),
            keep=st.booleans(),
        ),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters_strategy)
def test_filters_never_add_cases(wsf: Workspace, filters: list) -> None:
    """Adding a filter never adds a case, and the spec's result equals the intersection of its parts."""
    everything = kept(wsf)
    result = kept(wsf, *filters)
    assert result <= everything
    expected = everything.copy()
    for f in filters:
        expected &= kept(wsf, f)
    assert result == expected


def test_filtered_log_drives_analytics(wsf: Workspace) -> None:
    """Analytics on a filtered log count only the kept cases' events."""
    from analytics import discover_dfg

    dfg = discover_dfg(wsf.log("x").filter(CaseAttribute("region", ("north",))))
    assert dfg.frequencies() == {("A", "B"): 2, ("B", "C"): 2, ("B", "B"): 1}
    assert dfg.start_activities == {"A": 2}


def test_sample_csv_path_exists(sample_logs: Path) -> None:
    """The sample logs the other filter tests rely on exist (guards a renamed file)."""
    assert (sample_logs / "loans_after.csv").is_file()


def test_unknown_attribute_names_are_refused_with_the_known_ones(wsf: Workspace) -> None:
    """A case or event attribute the log lacks is a FilterError listing what exists (not a SQL error)."""
    log = wsf.log("x")
    with pytest.raises(
        FilterError, match=r"no case attribute 'regoin'; its case attributes are \['region', 'case_id'\]"
    ):
        log.filter(CaseAttribute("regoin", ("north",)))
    with pytest.raises(
        FilterError, match=r"no event attribute 'region' \('region' is a case attribute: use CaseAttribute\)"
    ):
        log.filter(EventAttribute("region", ("north",)))
    assert kept(wsf, EventAttribute("resource", ("cid",))) == {"c3", "c5"}
    assert kept(wsf, CaseAttribute("region", ("east",))) == {"c4"}
