"""The Conformance page (AppTest): its numbers equal the analytics on the same log and model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import analytics as an
from baton.api import open_workspace
from baton.models.load import read_model

ROOT = Path(__file__).resolve().parents[1]
BPMN = ROOT / "sample_logs" / "loans_target.bpmn"
FACTS = json.loads((ROOT / "sample_logs" / "facts.json").read_text())["loans_after"]
PAGE = "app_pages/conformance.py"
RED = 'color="#dc2626"'


@pytest.fixture(scope="module")
def direct(workspace_file: Path) -> Iterator[tuple[an.Conformance, an.ModelOverlay]]:
    """Conformance and overlay of log ``after`` against the sample BPMN, computed from Python."""
    with open_workspace(workspace_file) as ws:
        log, model = ws.log("after"), read_model(BPMN)
        yield an.check_conformance(log, model), an.get_model_overlay(log, model)


@pytest.fixture
def page(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the Conformance page with the bundled models of sample_logs/ (not yet run)."""
    monkeypatch.setenv("BATON_MODELS_DIR", str(ROOT / "sample_logs"))
    app.run()
    return app.switch_page(PAGE)


def _open_bpmn(page: AppTest) -> AppTest:
    page.run()
    page.selectbox(key="cf_sample").set_value(BPMN.name).run()
    assert not page.exception
    assert not page.error, [e.value for e in page.error]
    return page


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def test_metrics_and_deviations_equal_check_conformance(page: AppTest, direct) -> None:  # type: ignore[no-untyped-def]
    """Fitness, precision and fitting share equal check_conformance; Re-enter is inserted in 72 cases."""
    conf, _ = direct
    _open_bpmn(page)
    metrics = _metrics(page)
    assert metrics["Alignment fitness"] == f"{conf.alignment_fitness:.3f}"
    assert metrics["Token fitness"] == f"{conf.token_fitness:.3f}"
    assert metrics["Precision"] == f"{conf.precision:.3f}"
    assert metrics["Fitting cases"] == f"{conf.perc_fit_cases:.1f}%"
    assert metrics["Cases"] == f"{FACTS['cases']:,}"
    deviations = _table(page, "activity")
    reentry = deviations[deviations["activity"] == "Re-enter Application Data"]
    expected = FACTS["injected_deviations"]["manual_reentry_inserted"]
    assert reentry[["deviation", "cases"]].values.tolist() == [["inserted", expected["cases"]]]
    assert deviations["cases"].sum() == sum(d.cases for d in conf.deviations_by_activity)
    groups = _table(page, "cases").set_index("cases")["count"].to_dict()
    assert groups == {"deviating": conf.deviating.cases, "conforming": conf.conforming.cases}
    variants = _table(page, "variant_id")
    assert variants["count"].sum() == FACTS["cases"] and int(variants["fits"].sum()) == len(
        [v for v in conf.variants if v.fits]
    )


def test_deviation_drill_down_lists_the_affected_cases(page: AppTest, direct) -> None:  # type: ignore[no-untyped-def]
    """Picking "Re-enter Application Data - inserted" lists its 72 cases, first ones as the generator says."""
    conf, _ = direct
    _open_bpmn(page)
    pick = next(
        i for i, d in enumerate(conf.deviations_by_activity) if d.activity == "Re-enter Application Data"
    )
    page.selectbox(key="cf_drill").set_value(pick).run()
    expected = FACTS["injected_deviations"]["manual_reentry_inserted"]
    assert any(c.value.startswith(f"{expected['cases']:,} cases in ") for c in page.caption)
    cases = _table(page, "case_id")
    assert len(cases) == expected["cases"]
    assert cases["case_id"].tolist()[:5] == expected["first_cases"]
    reentry_variants = {v.variant_id for v in conf.variants if "Re-enter Application Data" in v.activities}
    assert set(cases["variant"]) <= reentry_variants


def test_sla_block_and_overlay_map(page: AppTest, direct) -> None:  # type: ignore[no-untyped-def]
    """The SLA block shows the generator's breaches; the overlay draws every not-allowed edge in red."""
    _, overlay = direct
    _open_bpmn(page)
    metrics = _metrics(page)
    assert metrics["Breached"] == f"{FACTS['sla_breach_cases']:,}"
    assert metrics["Breached and escalated"] == f"{FACTS['breached_and_escalated']:,}"
    assert metrics["Breached, nobody escalated"] == f"{FACTS['breached_not_escalated']:,}"
    assert metrics["Measured cases"] == f"{FACTS['underwritten_cases']:,}"
    dot = page.get("graphviz_chart")[0].proto.spec
    red = [line for line in dot.splitlines() if RED in line and "__" not in line]
    assert len(red) == len(overlay.not_allowed) == 7
    green = [line for line in dot.splitlines() if 'class="never_taken"' in line]
    assert len(green) == len(overlay.never_taken)
    assert any("Re-enter Application Data" in m.value and "does not know" in m.value for m in page.markdown)


def test_working_hours_calendar_and_bad_holiday(page: AppTest, workspace_file: Path) -> None:
    """Working hours (24 h Mon-Fri) give check_sla's breaches in that calendar; a bad holiday is an error."""
    _open_bpmn(page)
    page.radio(key="cf_cal").set_value("working hours").run()
    page.text_input(key="cf_from").set_value("00:00").run()
    page.text_input(key="cf_to").set_value("24:00").run()
    assert not page.exception and not page.error
    calendar = an.WorkingCalendar.office(start="00:00", end="24:00")
    with open_workspace(workspace_file) as ws:
        report = an.check_sla(ws.log("after"), read_model(BPMN).timers, calendar=calendar)
    expected = report.results[0].breach_cases
    assert 0 < expected < FACTS["sla_breach_cases"]  # weekends no longer count
    assert _metrics(page)["Breached"] == f"{expected:,}"
    page.text_input(key="cf_holidays").set_value("2025-12-25, 25/12/2025").run()
    assert [e.value for e in page.error] == [
        "Cannot check the SLA timers: holiday '25/12/2025' is not a date; write YYYY-MM-DD, e.g. 2025-12-25"
    ]


def test_yaml_model_checks_four_eyes_and_retries(page: AppTest) -> None:
    """The YAML model's four-eyes rule and KYC retry limit show the generator's violation counts."""
    page.run()
    page.selectbox(key="cf_sample").set_value("loans_target.yaml").run()
    assert not page.exception and not page.error
    four_eyes = _table(page, "first")
    assert four_eyes[["first", "second"]].values.tolist() == [FACTS["four_eyes_pair"]]
    assert four_eyes["violation_cases"].tolist() == [FACTS["four_eyes_violation_cases"]]
    retries = next(d.value for d in page.dataframe if "max_attempts" in d.value.columns)
    assert retries[["activity", "max_attempts", "violation_cases"]].values.tolist() == [
        ["Run KYC Check", FACTS["kyc_policy_max_attempts"], FACTS["kyc_over_policy_cases"]]
    ]


def test_uploaded_broken_bpmn_shows_the_reader_error(page: AppTest) -> None:
    """A truncated BPMN upload shows read_model's message as an error, never a traceback."""
    page.session_state["cf_source"] = "upload"
    page.run()
    assert not page.metric  # nothing computed before a model is uploaded
    page.file_uploader(key="cf_upload").set_value(("broken.bpmn", b"<definitions><task", "text/xml")).run()
    assert not page.exception
    assert len(page.error) == 1
    message = page.error[0].value
    assert message.startswith("Cannot use this model: broken.bpmn: not well-formed XML")
    assert not page.metric


def test_budget_warning_counts_the_variants_left_unaligned(page: AppTest) -> None:
    """A tiny total alignment budget warns with as many variants as the table marks as budget hits."""
    page.session_state["cf_total"] = 0.01
    _open_bpmn(page)
    warning = next(w.value for w in page.warning if w.value.startswith("Alignment ran out of time"))
    hits = _table(page, "variant_id")
    hit = hits[hits["budget_hit"]]
    n, cases = (int(x.replace(",", "")) for x in re.findall(r"([\d,]+) (?:variants|cases)", warning)[:2])
    assert (n, cases) == (len(hit), int(hit["count"].sum()))
    assert n > 0


def test_discovered_model_fits_and_downloads(page: AppTest) -> None:
    """With noise 0 the discovered model fits every case and offers BPMN and PNML downloads."""
    page.session_state["cf_source"] = "discover"
    page.session_state["cf_noise"] = 0.0
    page.run()
    assert not page.exception and not page.error
    assert _metrics(page)["Fitting cases"] == "100.0%"
    labels = {b.proto.label for b in page.get("download_button")}
    assert {"Model as BPMN", "Model as PNML", "Deviations as CSV", "Variants as CSV"} <= labels


def test_overlay_svg_export_colours_edges_by_status(workspace_file: Path, direct) -> None:  # type: ignore[no-untyped-def]
    """The SVG download is well-formed, red for not-allowed, dashed green for never-taken, with a legend."""
    from xml.etree import ElementTree

    from app_pages import conformance_map as cmap
    from app_pages.map_layout import compute_layout

    _, overlay = direct
    with open_workspace(workspace_file) as ws:
        measures = an.get_edge_measures(ws.log("after"))
    edges = [(e.source, e.target, e.frequency) for e in measures.edges]
    layout = compute_layout(list(measures.activities), edges, measures.start_activities)
    svg = cmap.to_svg(cmap.overlay_view(overlay, measures), layout, title="after vs model")
    paths = ElementTree.fromstring(svg.encode()).iter("{http://www.w3.org/2000/svg}path")
    strokes = [(p.get("stroke"), p.get("stroke-dasharray")) for p in paths]
    not_allowed_ends = sum(
        p.status == "not_allowed" for p in (*overlay.start_activities, *overlay.end_activities)
    )
    assert strokes.count((cmap.COLORS["not_allowed"], None)) == len(overlay.not_allowed)
    assert strokes.count((cmap.COLORS["not_allowed"], "5,4")) == not_allowed_ends
    never = sum(p.status == "never_taken" for p in (*overlay.start_activities, *overlay.end_activities))
    assert strokes.count((cmap.COLORS["never_taken"], "5,4")) == len(overlay.never_taken) + never
    assert all(text in svg for text in cmap.LEGEND.values())


def test_target_model_tab_draws_the_bpmn_diagram(page: AppTest) -> None:
    """The Target model tab shows the model as an image and offers it as SVG with every task named."""
    from app_pages.model_diagram import diagram_svg

    _open_bpmn(page)
    assert len(page.get("image")) == 1
    assert "Model diagram as SVG" in {b.proto.label for b in page.get("download_button")}
    svg = diagram_svg(read_model(BPMN))
    assert all(word in svg for t in read_model(BPMN).tasks for word in t.name.split())  # names wrap
