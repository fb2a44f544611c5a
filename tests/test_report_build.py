"""Report assembly: KPI rows from the comparison, measured ROI deltas, provenance, and `baton report` in 3 formats."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import astuple, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from typer.testing import CliRunner

from analytics.before_after import BeforeAfter, compare_before_after
from analytics.before_after_setup import CutoverSetup, TwoLogsSetup
from analytics.kpi_catalogue import KpiSettings
from analytics.map_measures import get_edge_measures
from analytics.roi_inputs import KpiDelta, load_roi_inputs
from baton.cli import app
from reports.build import ReportRequest, build_report, side_logs
from reports.charts import format_money
from reports.content import ReportContent

ROOT = Path(__file__).resolve().parents[1]
ROI_YAML = ROOT / "sample_logs" / "roi_inputs.yaml"
END = ("Disburse Loan", "Reject Application", "Cancel Application")
SETTINGS = KpiSettings(
    end_activities=END, error_activities=("Correct Data Entry Error",), system_resource_prefix="sys_"
)
N_BOOT = 300
CLI_ARGS = [
    "report", "--before", "loans_before", "--after", "loans_after", "--roi", str(ROI_YAML),
    "--end-activities", ",".join(END), "--error-activities", "Correct Data Entry Error",
    "--system-prefix", "sys_", "--n-boot", str(N_BOOT), "--seed", "0",
]  # fmt: skip


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Path:
    """A workspace file with the sample BEFORE and AFTER logs (Parquet)."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("report") / "ws.duckdb"
    with open_workspace(path) as ws:
        for name in ("loans_before", "loans_after"):
            ws.import_file(sample_logs / f"{name}.parquet", name=name)
    return path


@pytest.fixture(scope="module")
def ws(ws_path: Path) -> Iterator[Any]:
    """The workspace opened read-only (as `baton report` opens it)."""
    from baton.api import open_workspace

    workspace = open_workspace(ws_path, read_only=True)
    yield workspace
    workspace.close()


def _assert_same(a: object, b: object) -> None:
    """Exactly equal, floats included (per-case costs are summed as exact decimals, so no thread order
    can change a last bit and break a tie in a rank statistic)."""
    assert repr(a) == repr(b)


def _request(ws: Any, **changes: Any) -> ReportRequest:
    setup = TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
    base = ReportRequest(setup, SETTINGS, load_roi_inputs(ROI_YAML), n_boot=N_BOOT, seed=0)
    return replace(base, **changes)


@pytest.fixture(scope="module")
def built(ws: Any) -> tuple[ReportContent, BeforeAfter]:
    """The sample report (two logs, sample ROI inputs, 300 resamples, seed 0)."""
    return build_report(_request(ws))


def test_kpi_rows_equal_compare_before_after(ws: Any, built: tuple[ReportContent, BeforeAfter]) -> None:
    """Each KPI row holds exactly the fields of compare_before_after's row for the same setup and seed."""
    content, _ = built
    direct = compare_before_after(
        TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after")), SETTINGS, n_boot=N_BOOT, seed=0
    )
    assert [k.key for k in content.kpis] == [r.key for r in direct.rows()]
    for row, ref in zip(content.kpis, direct.rows(), strict=True):
        _assert_same(astuple(row), astuple(ref)[: len(astuple(row))])
    cycle = content.kpis[0]
    assert cycle.comparison is not None and cycle.verdict.startswith("Cycle time (median) fell 89%")


def test_same_request_twice_gives_identical_content(
    ws: Any, built: tuple[ReportContent, BeforeAfter]
) -> None:
    """Building the same request again gives the same content, maps and NPV (only the timestamp may move)."""
    again, _ = build_report(_request(ws))
    first = built[0]
    _assert_same(replace(again, generated_at=""), replace(first, generated_at=""))
    assert again.executive_summary == first.executive_summary and again.map_after_svg == first.map_after_svg
    assert (
        again.roi is not None and first.roi is not None and again.roi.expected.npv == first.roi.expected.npv
    )
    assert datetime.fromisoformat(first.generated_at).tzinfo is not None


def test_measured_error_rate_delta_is_the_comparisons_interval(
    built: tuple[ReportContent, BeforeAfter],
) -> None:
    """errors.rate_change = (change, CI high as conservative, CI low as optimistic); SLA breaches stay as given."""
    content, result = built
    c = result["error_rate"].comparison
    assert content.roi is not None and content.roi.inputs.errors is not None and c is not None
    assert content.roi.inputs.errors.rate_change == KpiDelta(c.change, c.ci_change[1], c.ci_change[0])
    assert c.change == pytest.approx(0.051 - 0.171, abs=0.001)  # 17.1% -> 5.1% of complete cases
    assert content.roi.inputs.errors.cost_each == 25.0
    given = load_roi_inputs(ROI_YAML)
    assert content.roi.inputs.sla_breaches == given.sla_breaches  # no SLA in the settings: not measured
    # the expected saving per case moves by exactly the error-rate difference times EUR 25
    expected_shift = -(c.change - given.errors.rate_change.expected) * 25.0  # type: ignore[union-attr]
    from analytics.roi import estimate_roi

    shift = content.roi.expected.saving_per_case - estimate_roi(given).expected.saving_per_case
    assert shift == pytest.approx(expected_shift, abs=1e-9)
    notes = " ".join(content.assumptions)
    assert "errors.rate_change measured from the logs" in notes
    assert "sla_breaches.rate_change given in the ROI inputs" in notes


def test_sources_carry_the_catalog_checksums(ws: Any, built: tuple[ReportContent, BeforeAfter]) -> None:
    """One source per side with the catalog's sha256 (= the file's), source path, window and case count."""
    content, _ = built
    assert [s.role for s in content.sources] == ["before", "after"]
    for src, name in zip(content.sources, ("loans_before", "loans_after"), strict=True):
        info = ws.info(name)
        assert src.log == name and src.checksum == info.checksum and src.source == info.source
        assert src.checksum == hashlib.sha256((ROOT / info.source).read_bytes()).hexdigest()
        assert src.first_timestamp == info.first_timestamp.isoformat()
        assert src.last_timestamp == info.last_timestamp.isoformat()
        assert src.cases == 5000 and src.filters == '{"filters": []}'


def test_summary_names_improvements_worsening_and_conservative_npv(
    built: tuple[ReportContent, BeforeAfter],
) -> None:
    """The summary quotes improvements with intervals, the handoff rise, the conservative NPV and a caveat."""
    content, _ = built
    assert content.roi is not None
    summary = content.executive_summary
    assert 3 <= len(summary) <= 5
    assert "cycle time (median) fell 89% (95% CI 89-90%)" in summary[0]
    assert summary[1].startswith("Worsened: handoffs per case rose 65%")
    assert format_money(content.roi.conservative.npv) in summary[2]
    assert summary[3].startswith("Main caveat: the case mix changed")
    maps = (content.map_before_svg or "", content.map_after_svg or "")
    assert all(
        "Re-enter Application Data" in svg for svg in maps
    )  # one shared layout: every activity in both
    assert (
        "<title>Before</title>" in maps[0] and "<title>After</title>" in maps[1] and content.model_svg is None
    )


def test_measured_annual_volume_is_after_cases_per_year(ws: Any, tmp_path: Path) -> None:
    """annual_volume: measured -> the AFTER log's 5,000 cases over its first-to-last span, per 365.25 days."""
    yaml_text = ROI_YAML.read_text(encoding="utf-8").replace(
        "annual_volume: 10000", "annual_volume: measured"
    )
    path = tmp_path / "roi.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    content, _ = build_report(_request(ws, roi_inputs=load_roi_inputs(path, measured_volume=0.0)))
    info = ws.info("loans_after")
    want = 5000 / ((info.last_timestamp - info.first_timestamp) / timedelta(days=365.25))
    assert content.roi is not None and content.roi.inputs.annual_volume == pytest.approx(want, rel=1e-12)
    assert 9_900 < want < 10_100
    assert content.roi.inputs.volume_source == "measured"


def test_cutover_maps_show_each_sides_cases(ws: Any) -> None:
    """With a cutover, the after map's start counts sum to the after side's cases (started on/after it)."""
    setup = CutoverSetup(ws.log("loans_before"), datetime(2025, 4, 1, tzinfo=UTC))
    result = compare_before_after(setup, SETTINGS, n_boot=N_BOOT, seed=0)
    before_log, after_log = side_logs(setup)
    after_cases = next(s.cases for s in result.sides if s.role == "after")
    assert sum(get_edge_measures(after_log).start_activities.values()) == after_cases
    before_complete = next(s.complete for s in result.sides if s.role == "before")
    assert sum(get_edge_measures(before_log).start_activities.values()) >= before_complete > 0


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def _xlsx_npv(path: Path) -> dict[str, float]:
    sheet = openpyxl.load_workbook(path, data_only=True)["Scenarios"]
    names = [c.value for c in sheet[1][1:4]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "NPV")
    return {str(n): float(c.value) for n, c in zip(names, row[1:4], strict=True)}


def test_cli_report_formats_hold_the_same_npv(
    ws_path: Path, built: tuple[ReportContent, BeforeAfter], tmp_path: Path
) -> None:
    """`baton report` writes HTML, PDF and XLSX whose NPVs equal the in-process build of the same request."""
    content, _ = built
    assert content.roi is not None
    runner = CliRunner()
    files = {}
    for fmt in ("html", "pdf", "xlsx"):
        files[fmt] = tmp_path / f"report.{fmt}"
        res = runner.invoke(app, [*CLI_ARGS, "--output", str(files[fmt]), "--workspace", str(ws_path)])
        assert res.exit_code == 0, res.output
        assert f"wrote {files[fmt]}" in res.output
    html_text = re.sub(r"\s+", " ", files["html"].read_text(encoding="utf-8"))
    pdf_text = _pdf_text(files["pdf"])
    npv = _xlsx_npv(files["xlsx"])
    for s in content.roi.scenarios:
        assert format_money(s.npv) in html_text and format_money(s.npv) in pdf_text
        assert round(npv[s.name], 2) == round(s.npv, 2)
    assert content.roi.inputs.errors is not None
    assert format_money(content.roi.expected.npv) != format_money(load_roi_inputs(ROI_YAML).investment)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log", "loans_before", "--cutover", "2025-13-01"], "--cutover '2025-13-01' is not a date"),
        (["--log", "loans_before", "--cutover", "2025-04-01T00:00"], "has no time zone"),
        (["--log", "loans_before", "--cutover", "2030-01-01T00:00Z"], "lies outside log 'loans_before'"),
        (["--before", "loans_before", "--after", "nope"], "no log named 'nope'"),
        (["--before", "loans_before", "--log", "loans_after"], "choose what to compare"),
        (["--before", "loans_before", "--after", "loans_after", "--format", "docx"], "unknown report format"),
    ],
)
def test_cli_report_bad_input_exits_1_with_one_line(
    ws_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """A bad cutover, an unknown log, a mixed setup or format: exit 1, one clear error line, no file."""
    target = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", *args, "--output", str(target), "--workspace", str(ws_path)])
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], res.output
    assert not target.exists()


def test_model_diagram_and_sla_breach_rate_from_its_timers(ws: Any) -> None:
    """With the target model: its diagram is drawn and the breach-rate change is minus the compliance change."""
    from baton.models.load import read_model

    model = read_model(ROOT / "sample_logs" / "loans_target.bpmn")
    settings = replace(SETTINGS, sla_timers=model.timers)
    content, result = build_report(_request(ws, settings=settings, model=model))
    c = result["sla_compliance"].comparison
    assert c is not None and c.improved is True
    assert content.roi is not None and content.roi.inputs.sla_breaches is not None
    want = KpiDelta(-c.change, -c.ci_change[0], -c.ci_change[1])
    assert content.roi.inputs.sla_breaches.rate_change == want
    assert content.roi.inputs.sla_breaches.cost_each == 40.0
    assert content.model_svg is not None and ">Underwrite<" in content.model_svg  # task labels wrap
    assert "SLA: the timers of target model" in " ".join(content.assumptions)
    assert "Underwrite Application within 2.0 days" in " ".join(content.assumptions)
