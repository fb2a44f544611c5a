"""The Before/After & ROI page (AppTest): its KPI table, ROI figures and reports equal the analytics' own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import analytics as an
from baton.api import open_workspace
from baton.models.types import SlaTimer
from reports.build import measured_roi_inputs
from reports.charts import format_change, format_interval, format_kpi_value, format_money, format_share

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/before_after.py"
FACTS = json.loads((ROOT / "sample_logs" / "facts.json").read_text())
ENDS = ("Disburse Loan", "Reject Application", "Cancel Application")
ERROR = "Correct Data Entry Error"
SETTINGS = an.KpiSettings(
    end_activities=ENDS, error_activities=(ERROR,), system_resource_prefix="sys_", cost_attribute="cost"
)


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Path:
    """A workspace file with both sample logs, ``loans_before`` and ``loans_after`` (overrides conftest's)."""
    path = tmp_path_factory.mktemp("app_ba") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(sample_logs / "loans_before.parquet", name="loans_before")
        ws.import_file(sample_logs / "loans_after.parquet", name="loans_after")
    return path


@pytest.fixture(scope="module")
def direct(workspace_file: Path) -> Iterator[an.BeforeAfter]:
    """compare_before_after of the two sample logs with the settings the test chooses on the page."""
    with open_workspace(workspace_file) as ws:
        setup = an.TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
        yield an.compare_before_after(setup, SETTINGS, n_boot=2000, seed=0)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Bytes of every file the page hands to the media storage (download buttons), by file id."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    seen: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        file_id = original(self, data, mimetype, kind, filename)
        seen[file_id] = data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return seen


@pytest.fixture
def page(app: AppTest) -> AppTest:
    """The app on the Before/After page with the error activity marked, run once."""
    app.run()
    app.switch_page(PAGE)
    app.session_state["ba_errors"] = [ERROR]
    app.run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def _table(at: AppTest, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_defaults_two_logs_and_common_end_activities(page: AppTest) -> None:
    """With loans_before and loans_after the page compares the two logs, ending cases at the 3 final steps."""
    assert page.radio(key="ba_kind").value == "two_logs"
    assert (page.selectbox(key="ba_before").value, page.selectbox(key="ba_after").value) == (
        "loans_before",
        "loans_after",
    )
    assert page.multiselect(key="ba_ends").value == list(ENDS)  # Cancel ends 7% before, 3.5% after
    assert page.selectbox(key="ba_cost_attr").value == "cost"


def test_kpi_table_equals_compare_before_after(page: AppTest, direct: an.BeforeAfter) -> None:
    """The cycle-time (median) row shows compare_before_after's before, after, change, CI, p and verdict."""
    row = _table(page, "KPI").set_index("KPI").loc["Cycle time (median)"]
    kpi = direct["cycle_time_median"]
    c = kpi.comparison
    assert c is not None
    assert c.before / 3_600e6 == pytest.approx(FACTS["loans_before"]["median_completed_case_hours"], abs=0.01)
    assert row["before"] == format_kpi_value(c.before, "duration") == "18.0 days"
    assert row["after"] == format_kpi_value(c.after, "duration")
    assert row["change"] == format_change(c, "duration")
    assert row["95% CI"] == format_interval(c, "duration")
    assert row["p-value"] == pytest.approx(c.p_value)
    assert row["verdict"] == kpi.verdict and row["verdict"].startswith("Cycle time (median) fell 89%")
    assert row["definition"] == an.CATALOGUE["cycle_time_median"].definition
    errors = _table(page, "KPI").set_index("KPI").loc["Exception / error rate"]
    assert errors["verdict"] == direct["error_rate"].verdict


def test_warnings_are_shown(page: AppTest, direct: an.BeforeAfter) -> None:
    """Every warning of the comparison is shown, e.g. the 543 running cases and the case-mix shift."""
    shown = [w.value for w in page.warning]
    assert shown[: len(direct.warnings)] == list(direct.warnings)
    running = FACTS["loans_before"]["running_cases"]
    assert any(w.startswith(f"before ('loans_before'): {running} cases still running") for w in shown)
    assert any(w.startswith("the case mix changed") for w in shown)


def test_roi_npv_equals_estimate_roi_with_measured_deltas(page: AppTest, direct: an.BeforeAfter) -> None:
    """The expected NPV shown is estimate_roi of the sample inputs with the measured error-rate change."""
    sample = an.load_roi_inputs(ROOT / "sample_logs" / "roi_inputs.yaml")
    inputs, _ = measured_roi_inputs(sample, direct)
    estimate = an.estimate_roi(inputs)
    assert _metric(page, "NPV (expected)") == format_money(estimate.expected.npv)
    assert _metric(page, "NPV (conservative)") == format_money(estimate.conservative.npv)
    measured = _table(page, "input").set_index("input").loc["errors.rate_change"]
    c = direct["error_rate"].comparison
    assert c is not None and measured["expected"] == pytest.approx(c.change)
    assert sample.errors is not None
    assert measured["expected"] != pytest.approx(sample.errors.rate_change.expected)
    assert measured["conservative"] == pytest.approx(max(c.ci_change))


def test_editing_the_investment_moves_npv_by_the_same_amount(page: AppTest) -> None:
    """+100,000 investment (paid in year 0, not discounted) lowers every scenario's NPV by exactly 100,000."""
    before = {s: _metric(page, f"NPV ({s})") for s in ("conservative", "expected", "optimistic")}
    assert page.number_input(key="roi_f_investment").value == 420_000
    page.number_input(key="roi_f_investment").set_value(520_000.0)
    page.button(key="roi_apply_money").click().run()
    assert not page.exception and not page.error

    def amount(text: str) -> int:
        return int(text.removeprefix("EUR ").replace(",", ""))

    for name, text in before.items():
        assert amount(_metric(page, f"NPV ({name})")) == amount(text) - 100_000
    trace = _table(page, "Figure").set_index("Figure")
    assert trace.loc["investment", "Value"] == "520,000.00"
    assert trace.loc["cash flow year 0 (expected)", "Value"] == "-520,000.00"


def test_invalid_ramp_shows_the_validator_message(page: AppTest) -> None:
    """A ramp share above 1 is refused with the ROI validator's message, and no ROI is drawn."""
    page.text_input(key="roi_f_ramp").set_value("0.5, 1.5, 1")
    page.button(key="roi_apply_money").click().run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        "The ROI inputs are not valid: adoption_ramp[1]: a share of the benefit in [0, 1], got 1.5; "
        "90% is 0.9"
    ]
    assert not [m for m in page.metric if m.label.startswith("NPV")]


def test_report_downloads_html_pdf_excel(page: AppTest, downloads: dict[str, bytes]) -> None:
    """With the downloads prepared the page offers HTML, PDF and Excel reports; the PDF starts with %PDF."""
    page.toggle(key="ba_reports").set_value(True).run()
    assert not page.exception and not page.error
    buttons = {
        b.proto.label: b.proto.url.rsplit("/", 1)[-1].split(".")[0] for b in page.get("download_button")
    }
    assert {"Report as HTML", "Report as PDF", "Report as XLSX", "ROI inputs as YAML"} <= set(buttons)
    assert downloads[buttons["Report as PDF"]].startswith(b"%PDF")
    assert downloads[buttons["Report as XLSX"]].startswith(b"PK")  # a zip: the xlsx container
    html = downloads[buttons["Report as HTML"]].decode()
    assert "Cycle time (median)" in html and "<svg" in html
    yaml_text = downloads[buttons["ROI inputs as YAML"]].decode()
    assert an.roi_inputs.roi_inputs_from_dict(__import__("yaml").safe_load(yaml_text)).investment == 420_000


def test_cutover_and_equal_segments(page: AppTest) -> None:
    """A cutover on the after log compares its halves; two equal segments show the setup's error."""
    page.radio(key="ba_kind").set_value("cutover").run()
    assert not page.exception and not page.error
    assert page.caption[0].value.startswith("Log 'loans_") and "split at" in page.caption[0].value
    page.radio(key="ba_kind").set_value("segments").run()
    page.selectbox(key="ba_attr").set_value("channel").run()
    value = page.multiselect(key="ba_seg_before").value
    page.multiselect(key="ba_seg_after").set_value(value).run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        "Cannot compare: SegmentsSetup: before and after have the same filters; the segments must differ"
    ]


def test_control_pair_adds_difference_in_differences(page: AppTest) -> None:
    """A control pair (the after log split at its cutover) adds the DiD verdicts to the KPI table."""
    page.checkbox(key="ba_control").check().run()
    page.radio(key="ba_c_kind").set_value("cutover").run()
    assert not page.exception and not page.error, [e.value for e in page.error]
    row = _table(page, "KPI").set_index("KPI").loc["Cycle time (median)"]
    assert "in the control group: a difference of" in row["difference-in-differences"]
    assert row["difference-in-differences"] in next(
        m.value for m in page.markdown if m.value.startswith("- **Cycle time (median)**")
    )


def test_sla_from_model_timers_and_cost_from_rates(page: AppTest, workspace_file: Path) -> None:
    """SLA compliance from the sample BPMN's timers equals compare_before_after's; rates without roles
    leave cost per case uncompared."""
    from baton.models.load import read_model

    page.radio(key="ba_sla").set_value("a target model's timers").run()
    page.selectbox(key="ba_sla_model").set_value("loans_target.bpmn").run()
    page.radio(key="ba_cost_how").set_value("hourly rates per role").run()
    assert not page.exception and not page.error, [e.value for e in page.error]
    timers = read_model(ROOT / "sample_logs" / "loans_target.bpmn").timers
    settings = an.KpiSettings(
        end_activities=ENDS, error_activities=(ERROR,), system_resource_prefix="sys_", sla_timers=timers,
        cost_attribute=None,
    )  # fmt: skip
    with open_workspace(workspace_file) as ws:
        setup = an.TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
        result = an.compare_before_after(setup, settings, n_boot=2000, seed=0)
    table = _table(page, "KPI").set_index("KPI")
    assert table.loc["SLA compliance", "verdict"] == result["sla_compliance"].verdict
    assert result["sla_compliance"].comparison is not None
    assert table.loc["Cost per case", "verdict"] == result["cost_per_case"].verdict
    assert table.loc["Cost per case", "before"] == "-"


def test_uploaded_roi_inputs_replace_the_sample(page: AppTest) -> None:
    """An uploaded YAML with investment 0 is used (payback 0 months); a misspelt key shows the error."""
    text = (
        (ROOT / "sample_logs" / "roi_inputs.yaml").read_text().replace("investment: 420000", "investment: 0")
    )
    page.radio(key="roi_source").set_value("upload").run()
    page.file_uploader(key="roi_upload").set_value(("case.yaml", text.encode(), "application/yaml")).run()
    assert not page.exception and not page.error
    assert page.number_input(key="roi_f_investment").value == 0
    scenarios = _table(page, "Scenario").set_index("Scenario")
    assert scenarios.loc["expected", "Payback"] == "0.0 months"
    bad = text.replace("horizon_years:", "horizon_yeers:")
    page.file_uploader(key="roi_upload").set_value(("bad.yaml", bad.encode(), "application/yaml")).run()
    assert [e.value for e in page.error][0].startswith(
        "Cannot use the ROI inputs: unknown key(s) ['horizon_yeers']"
    )


def _sla_shares(workspace_file: Path, timers: tuple[SlaTimer, ...]) -> tuple[str, str]:
    """get_kpis' SLA compliance of loans_before and loans_after with the page's settings and these timers."""
    settings = an.KpiSettings(
        end_activities=ENDS, error_activities=(ERROR,), system_resource_prefix="sys_", sla_timers=timers,
        cost_attribute="cost",
    )  # fmt: skip
    with open_workspace(workspace_file) as ws:
        values = [
            an.get_kpis(ws.log(n), settings)["sla_compliance"].value for n in ("loans_before", "loans_after")
        ]
    assert all(v is not None and 0 < v < 1 for v in values), values
    return format_share(values[0]), format_share(values[1])


def test_sla_compliance_row_from_a_sample_models_timers(page: AppTest, workspace_file: Path) -> None:
    """Timers of the bundled loans_target.bpmn: the SLA compliance row shows get_kpis' shares before/after."""
    from baton.models.load import read_model

    assert _table(page, "KPI").set_index("KPI").loc["SLA compliance", "before"] == "-"  # no SLA by default
    page.radio(key="ba_sla").set_value("a target model's timers").run()
    page.selectbox(key="ba_sla_model").set_value("loans_target.bpmn").run()
    assert not page.exception and not page.error, [e.value for e in page.error]
    timers = read_model(ROOT / "sample_logs" / "loans_target.bpmn").timers
    assert len(timers) == 1
    row = _table(page, "KPI").set_index("KPI").loc["SLA compliance"]
    assert (row["before"], row["after"]) == _sla_shares(workspace_file, timers)


def test_uploaded_target_model_is_selected_and_its_timers_used(
    page: AppTest, workspace_file: Path, tmp_path: Path
) -> None:
    """An uploaded YAML model (SLA 12 hours, not 2 days) joins the selectbox, is selected and sets the SLA row."""
    from baton.models.load import read_model

    text = (ROOT / "sample_logs" / "loans_target.yaml").read_text()
    assert text.count("within: P2D") == 1
    data = text.replace("within: P2D", "within: PT12H").encode()
    page.radio(key="ba_sla").set_value("a target model's timers").run()
    sample = _table(page, "KPI").set_index("KPI").loc["SLA compliance", "before"]
    page.file_uploader(key="ba_sla_upload").set_value(("strict.yaml", data, "application/yaml")).run()
    assert not page.exception and not page.error, [e.value for e in page.error]
    assert page.selectbox(key="ba_sla_model").value == "strict.yaml (uploaded)"
    assert "loans_target.bpmn" in page.selectbox(key="ba_sla_model").options
    (tmp_path / "strict.yaml").write_bytes(data)
    timers = read_model(tmp_path / "strict.yaml").timers
    row = _table(page, "KPI").set_index("KPI").loc["SLA compliance"]
    assert (row["before"], row["after"]) == _sla_shares(workspace_file, timers)
    assert row["before"] != sample  # 12 hours is stricter than the bundled model's 2 days
    page.selectbox(key="ba_sla_model").set_value("loans_target.yaml").run()  # back to a bundled model
    assert _table(page, "KPI").set_index("KPI").loc["SLA compliance", "before"] == sample


def test_uploaded_model_choice_reuses_the_conformance_upload_key() -> None:
    """The uploaded model's label ends in "(uploaded)" and its key is conformance_state.upload_model_key's."""
    from app_pages import conformance_state as cs
    from app_pages.before_after_setup import uploaded_model_choice

    data = (ROOT / "sample_logs" / "loans_target.yaml").read_bytes()
    label, key = uploaded_model_choice("mine.yaml", data)
    assert label == "mine.yaml (uploaded)"
    assert key == cs.upload_model_key("mine.yaml", data)
    assert Path(json.loads(key)["path"]).read_bytes() == data
