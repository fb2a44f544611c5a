"""The shared filter bar and the explorer pages (AppTest): numbers equal the analytics API on the same spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import analytics as an
from baton.api import open_workspace
from baton.filters import (
    CaseAttribute,
    EndActivities,
    EventAttribute,
    Filter,
    FilterSpec,
    Follows,
    HasRework,
    TimeFrame,
    VariantSelection,
)
from baton.log import EventLog

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LOG = "after"


@pytest.fixture(scope="module")
def ws(workspace_file: Path) -> Iterator:
    """The same workspace opened from Python, as a notebook would."""
    with open_workspace(workspace_file) as workspace:
        yield workspace


def _log(ws, *filters) -> EventLog:  # type: ignore[no-untyped-def]
    return ws.log(LOG).filter(*filters)


def _add_top_variants(at: AppTest, k: int) -> AppTest:
    at.selectbox(key="fb_kind").set_value("variants").run()
    at.number_input(key="fb_var_k").set_value(k).run()
    return at.button(key="fb_add").click().run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _share(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if " cases (" in m.value)


def _chips(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.sidebar.button if b.key and b.key.startswith("fb_chip_")]


def test_variant_filter_reduces_map_cases(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """Top-3 variants: a chip, the kept share and the map's headline numbers equal the Python API's."""
    app.run()
    total = ws.info(LOG).cases
    assert _share(app) == f"**{total:,} of {total:,} cases (100.0%)**"
    _add_top_variants(app, 3)
    assert not app.exception
    flog = _log(ws, VariantSelection(top_k=3))
    kept = an.get_variants(flog).cases
    assert 0 < kept < total
    assert _chips(app) == ["Top 3 variants"]
    assert _share(app) == f"**{kept:,} of {total:,} cases ({kept / total:.1%})**"
    metrics = _metrics(app)
    assert metrics["Cases"] == f"{kept:,}"
    assert metrics["Variants"] == "3"
    measures = an.get_edge_measures(flog)
    assert metrics["Events"] == f"{sum(a.frequency for a in measures.activities.values()):,}"


def _positions(dot: str) -> dict[str, str]:
    return dict(re.findall(r'^\s+"([^"]+)" \[label=.*(pos="[^"]+")', dot, flags=re.M))


def test_filtered_map_keeps_node_positions(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """After a filter the map shows only the filtered activities, each at its unfiltered position."""
    app.run()
    full = _positions(app.get("graphviz_chart")[0].proto.spec)
    _add_top_variants(app, 1)
    part = _positions(app.get("graphviz_chart")[0].proto.spec)
    expected = set(an.get_edge_measures(_log(ws, VariantSelection(top_k=1))).activities)
    assert set(part) - {"__start__", "__end__"} == expected
    assert len(expected) < len(full) - 2
    assert all(full[name] == pos for name, pos in part.items())


def test_filter_persists_on_every_page(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """One rework filter drives the variants, statistics, bottlenecks and cases pages alike."""
    app.run()
    app.selectbox(key="fb_kind").set_value("rework").run()
    app.button(key="fb_add").click().run()
    flog = _log(ws, HasRework())
    variants = an.get_variants(flog)
    app.switch_page("app_pages/variants.py").run()
    assert not app.exception
    assert _chips(app) == ["Rework"]
    assert _metrics(app)["Variants"] == f"{len(variants.variants):,}"
    assert _metrics(app)["Cases"] == f"{variants.cases:,}"
    assert app.dataframe[0].value["cases"].tolist()[:5] == [v.count for v in variants.variants[:5]]

    app.switch_page("app_pages/statistics.py").run()
    assert not app.exception
    weekly = an.get_throughput(flog, period="week")
    metrics = _metrics(app)
    assert metrics["Cases started"] == f"{sum(p.started for p in weekly.periods):,}" == f"{variants.cases:,}"
    assert metrics["Median duration"] == an.format_duration(an.get_case_durations(flog).stats.median_us)
    peak = max(p.in_progress for p in weekly.periods)
    assert metrics["Peak work in progress (week)"] == f"{peak:,}"

    app.switch_page("app_pages/bottlenecks.py").run()
    assert not app.exception
    findings = an.get_bottlenecks(flog).findings()
    assert len(findings) == 5
    assert app.markdown[0].value == "\n".join(f"{i}. {t}" for i, t in enumerate(findings, 1))

    app.switch_page("app_pages/cases.py").run()
    assert not app.exception
    assert app.caption[0].value.startswith(f"{an.find_cases(flog).total:,} cases match")


def test_copy_as_python_gives_same_count(app: AppTest, ws, workspace_file: Path) -> None:  # type: ignore[no-untyped-def]
    """The "Copy as Python" code, run against the same workspace, selects the same number of cases."""
    app.run()
    app.selectbox(key="fb_kind").set_value("case_attribute").run()
    app.selectbox(key="fb_ca_name").set_value("channel").run()
    app.multiselect(key="fb_ca_values").set_value(["branch"]).run()
    app.toggle(key="fb_exclude").set_value(True).run()
    app.button(key="fb_add").click().run()
    _add_top_variants(app, 10)
    assert _chips(app) == ["NOT channel ∈ {branch}", "Top 10 variants"]
    code = app.sidebar.code[0].value
    assert str(workspace_file.resolve()) in code
    namespace: dict = {}
    exec(compile(code, "<copy-as-python>", "exec"), namespace)  # noqa: S102 - the app's own snippet
    expected = an.get_variants(
        _log(ws, CaseAttribute("channel", ("branch",), keep=False), VariantSelection(top_k=10))
    )
    assert namespace["spec"] == namespace["log"].filters
    assert an.get_variants(namespace["log"]).cases == expected.cases
    assert _metrics(app)["Cases"] == f"{expected.cases:,}"


def test_chips_remove_filters(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """Clicking a chip removes that filter only; "Clear all" removes the rest."""
    app.run()
    _add_top_variants(app, 2)
    app.selectbox(key="fb_kind").set_value("rework").run()
    app.radio(key="fb_rw_keep").set_value("without rework").run()
    app.button(key="fb_add").click().run()
    assert _chips(app) == ["Top 2 variants", "NOT Rework"]
    app.button(key="fb_chip_0").click().run()
    assert _chips(app) == ["NOT Rework"]
    kept = an.get_variants(_log(ws, HasRework(keep=False))).cases
    assert _metrics(app)["Cases"] == f"{kept:,}"
    app.button(key="fb_clear").click().run()
    assert _chips(app) == []
    assert _metrics(app)["Cases"] == f"{ws.info(LOG).cases:,}"


def test_time_frame_filter_uses_whole_days(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """A date range "started" in July-August keeps the cases whose first event falls on those days."""
    app.run()
    app.selectbox(key="fb_kind").set_value("time_frame").run()
    app.selectbox(key="fb_tf_mode").set_value("started").run()
    app.date_input(key="fb_tf_range").set_value((date(2025, 7, 1), date(2025, 8, 31))).run()
    app.button(key="fb_add").click().run()
    assert not app.exception
    frame = TimeFrame(
        datetime(2025, 7, 1, tzinfo=UTC), datetime.combine(date(2025, 8, 31), time.max, UTC), "started"
    )
    durations = an.get_case_durations(_log(ws, frame)).to_frame()
    assert durations["start_time"].max() < datetime(2025, 9, 1, tzinfo=UTC)
    assert _chips(app) == ["Started in 2025-07-01 – 2025-08-31"]
    assert _metrics(app)["Cases"] == f"{len(durations):,}"


def test_cases_page_search_and_timeline(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """Searching by attribute value lists find_cases' matches; the picked case shows its timeline."""
    app.run()
    app.switch_page("app_pages/cases.py").run()
    app.selectbox(key="case_attr").set_value("product").run()
    app.text_input(key="case_value").set_value("mortgage").run()
    found = an.find_cases(ws.log(LOG), attribute="product", value="mortgage", limit=200)
    assert app.caption[0].value.startswith(f"{found.total:,} cases match")
    first = found.cases[0].case_id
    assert app.selectbox(key="case_pick").value == first
    timeline = an.get_case_timeline(ws.log(LOG), first)
    assert _metrics(app)["Events"] == str(len(timeline.events))
    events = app.dataframe[1].value
    assert events["activity"].tolist() == [e.activity for e in timeline.events]
    assert events["resource"].tolist() == [e.resource for e in timeline.events]


def test_empty_selection_explains(app: AppTest) -> None:
    """A filter keeping no case says so on every page instead of drawing empty charts."""
    app.run()
    app.selectbox(key="fb_kind").set_value("case_duration").run()
    app.selectbox(key="fb_du_unit").set_value("minutes").run()
    app.number_input(key="fb_du_max").set_value(0.001).run()
    app.button(key="fb_add").click().run()
    assert _share(app).startswith("**0 of")
    for page in ("overview", "variants", "statistics", "bottlenecks", "cases"):
        app.switch_page(f"app_pages/{page}.py").run()
        assert not app.exception
        assert "No case passes the filters" in app.warning[0].value


def test_spec_kept_per_log(app: AppTest) -> None:
    """The session keeps one spec per log: `FilterSpec` values in session state under the log's name."""
    app.run()
    _add_top_variants(app, 4)
    assert app.session_state["filter_specs"] == {LOG: FilterSpec((VariantSelection(top_k=4),))}


KIND_CASES = [
    (
        "event_attribute",
        [("selectbox", "fb_ea_name", "outcome"), ("multiselect", "fb_ea_values", ["approve"])],
        EventAttribute("outcome", ("approve",)),
        "outcome ∈ {approve}",
    ),
    (
        "event_attribute",
        [("selectbox", "fb_ea_name", "cost"), ("multiselect", "fb_ea_values", ["2.5"])],
        EventAttribute("cost", (2.5,)),
        "cost ∈ {2.5}",
    ),
    (
        "end_activities",
        [("multiselect", "fb_end_activities", ["Cancel Application"])],
        EndActivities(("Cancel Application",)),
        "Ends with Cancel Application",
    ),
    (
        "follows",
        [
            ("selectbox", "fb_fo_a", "Run Credit Check"),
            ("selectbox", "fb_fo_b", "Manager Approval"),
            ("radio", "fb_fo_how", "eventually"),
        ],
        Follows("Run Credit Check", "Manager Approval", directly=False),
        "Run Credit Check → Manager Approval (eventually)",
    ),
    (
        "variants",
        [("radio", "fb_var_mode", "pick"), ("multiselect", "fb_var_ids", [1, 2])],
        VariantSelection(variant_ids=(1, 2)),
        "Variants [1, 2]",
    ),
]


@pytest.mark.parametrize(("kind", "steps", "expected", "chip"), KIND_CASES, ids=lambda v: str(v)[:20])
def test_each_filter_kind_matches_api(  # type: ignore[no-untyped-def]
    app: AppTest, ws, kind: str, steps: list, expected: Filter, chip: str
) -> None:
    """Each kind's widgets build the filter a notebook would write, and the map shows its case count."""
    app.run()
    app.selectbox(key="fb_kind").set_value(kind).run()
    for widget, key, value in steps:
        getattr(app, widget)(key=key).set_value(value).run()
    app.button(key="fb_add").click().run()
    assert not app.exception
    assert app.session_state["filter_specs"][LOG] == FilterSpec((expected,))
    assert _chips(app) == [chip]
    kept = an.get_variants(_log(ws, expected)).cases
    assert 0 < kept < ws.info(LOG).cases
    assert _metrics(app)["Cases"] == f"{kept:,}"


def test_stale_filter_is_cleared_with_a_message(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """A stored filter naming an attribute the log no longer has is dropped with a message, not a crash."""
    app.session_state["filter_specs"] = {LOG: FilterSpec((CaseAttribute("gone", ("x",)),))}
    app.run()
    assert not app.exception
    assert "no longer fit log 'after'" in app.sidebar.error[0].value
    assert app.session_state["filter_specs"] == {LOG: FilterSpec()}
    assert _metrics(app)["Cases"] == f"{ws.info(LOG).cases:,}"


def _pick_attribute(at: AppTest, kind: str, name: str) -> AppTest:
    prefix = "fb_ca" if kind == "case_attribute" else "fb_ea"
    at.selectbox(key="fb_kind").set_value(kind).run()
    return at.selectbox(key=f"{prefix}_name").set_value(name).run()


def test_case_attribute_values_picked_with_case_counts(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """The case-attribute filter lists the values that occur, labelled with their case counts; picking one
    keeps exactly that many cases, as the Python API does."""
    app.run()
    _pick_attribute(app, "case_attribute", "product")
    found = an.get_attribute_values(ws.log(LOG), "product")
    picker = app.multiselect(key="fb_ca_values")
    assert picker.options == [f"{v.value} ({v.cases:,} cases)" for v in found.values]
    assert len(picker.options) == 3
    picker.set_value(["mortgage"]).run()
    app.button(key="fb_add").click().run()
    assert not app.exception
    assert _chips(app) == ["product ∈ {mortgage}"]
    kept = an.get_variants(_log(ws, CaseAttribute("product", ("mortgage",)))).cases
    assert kept == found.counts()["mortgage"]
    assert _metrics(app)["Cases"] == f"{kept:,}"


def test_event_attribute_values_picked_from_unfiltered_log(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """With a filter active the resource picker still offers the unfiltered log's values and counts; the
    picked resource's filter combines with the first one."""
    app.run()
    _add_top_variants(app, 3)
    _pick_attribute(app, "event_attribute", "resource")
    full = an.get_attribute_values(ws.log(LOG), "resource")
    picker = app.multiselect(key="fb_ea_values")
    assert picker.options == [f"{v.value} ({v.cases:,} cases)" for v in full.values]
    resource = full.values[0].value
    spec = (VariantSelection(top_k=3), EventAttribute("resource", (resource,)))
    within = an.get_attribute_values(_log(ws, spec[0]), "resource").counts()[resource]
    assert 0 < within < full.counts()[resource]  # the label shows the unfiltered count
    picker.set_value([resource]).run()
    app.button(key="fb_add").click().run()
    assert not app.exception
    assert app.session_state["filter_specs"][LOG] == FilterSpec(spec)
    kept = an.get_variants(_log(ws, *spec)).cases
    assert kept == within
    assert _metrics(app)["Cases"] == f"{kept:,}"


def test_numeric_attribute_keeps_typed_input(app: AppTest, ws) -> None:  # type: ignore[no-untyped-def]
    """A numeric case attribute shows its range and takes typed numbers, converted to its type."""
    app.run()
    _pick_attribute(app, "case_attribute", "loan_amount")
    found = an.get_attribute_values(ws.log(LOG), "loan_amount")
    assert app.sidebar.caption[0].value.startswith(f"loan_amount ranges from {found.min} to {found.max}")
    amount = found.values[0].value
    app.multiselect(key="fb_ca_values").set_value([str(amount)]).run()
    app.button(key="fb_add").click().run()
    assert app.session_state["filter_specs"][LOG] == FilterSpec((CaseAttribute("loan_amount", (amount,)),))
    assert _metrics(app)["Cases"] == f"{found.values[0].cases:,}"


def test_many_values_fall_back_to_typing(app: AppTest, ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """More distinct values than the limit: the bar says so, offers the most frequent and accepts typing."""
    import app_pages.filter_widgets as fw

    monkeypatch.setattr(fw, "VALUE_LIMIT", 2)
    app.run()
    _pick_attribute(app, "case_attribute", "region")
    found = an.get_attribute_values(ws.log(LOG), "region", limit=2)
    assert found.truncated
    assert app.sidebar.caption[0].value.startswith(f"region has {found.distinct:,} distinct values")
    picker = app.multiselect(key="fb_ca_values")
    assert picker.options == [str(v.value) for v in found.values]
    rare = an.get_attribute_values(ws.log(LOG), "region", limit=None).values[-1]
    picker.set_value([rare.value]).run()
    app.button(key="fb_add").click().run()
    assert _metrics(app)["Cases"] == f"{rare.cases:,}"
