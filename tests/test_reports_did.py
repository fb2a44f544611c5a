"""Difference-in-differences in reports: the same DiD figures as compare_before_after's in PDF, HTML, Excel, summary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest

from analytics.before_after import BeforeAfter, compare_before_after
from analytics.before_after_setup import CutoverSetup
from analytics.kpi_catalogue import KpiSettings
from analytics.stats import DiffInDiff
from analytics.verdicts import did_verdict, format_p
from baton.filters import CaseAttribute
from reports.build import ReportRequest, build_report
from reports.content import ReportContent
from reports.excel_did import SHEET
from reports.formatting import format_did_change, format_did_effect, format_did_interval
from reports.render import write_report
from reports.tables import DID_NOTE, DID_TITLE, did_table

END = ("Disburse Loan", "Reject Application", "Cancel Application")
SETTINGS = KpiSettings(
    end_activities=END, error_activities=("Correct Data Entry Error",), system_resource_prefix="sys_"
)
CUT = datetime(2025, 10, 1, tzinfo=UTC)
N_BOOT = 200
FORMATS = ("html", "pdf", "xlsx")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Iterator[Any]:
    """A workspace holding the sample AFTER log."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("report_did") / "ws.duckdb"
    with open_workspace(path) as workspace:
        workspace.import_file(sample_logs / "loans_after.parquet", name="loans_after")
    workspace = open_workspace(path, read_only=True)
    yield workspace
    workspace.close()


def _setup(ws: Any, *, control: bool) -> CutoverSetup:
    """loans_after split at 2025-10-01 for region Berlin, with region Munich as the control."""
    log = ws.log("loans_after")
    ctrl = CutoverSetup(log.filter(CaseAttribute("region", ("Munich",))), CUT) if control else None
    return CutoverSetup(log.filter(CaseAttribute("region", ("Berlin",))), CUT, control=ctrl)


def _written(content: ReportContent, folder: Path) -> dict[str, Any]:
    """The report in every format: HTML text (whitespace collapsed), PDF text, the workbook."""
    paths = {fmt: write_report(content, folder / f"r.{fmt}", fmt) for fmt in FORMATS}
    pdf = pypdf.PdfReader(paths["pdf"])
    return {
        "html": re.sub(r"\s+", " ", paths["html"].read_text(encoding="utf-8")),
        "pdf": " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages),
        "xlsx": openpyxl.load_workbook(paths["xlsx"], data_only=True),
    }


@pytest.fixture(scope="module")
def with_control(
    ws: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ReportContent, BeforeAfter, dict[str, Any]]:
    """The report with a control (content, compare_before_after's own result, rendered files)."""
    content, _ = build_report(ReportRequest(_setup(ws, control=True), SETTINGS, n_boot=N_BOOT, seed=0))
    direct = compare_before_after(_setup(ws, control=True), SETTINGS, n_boot=N_BOOT, seed=0)
    return content, direct, _written(content, tmp_path_factory.mktemp("did_files"))


def _shown(result: BeforeAfter) -> list[Any]:
    """The rows with a DiD verdict (every KPI compared on both sides; SLA compliance has no SLA here)."""
    return [r for r in result.rows() if r.did_verdict is not None]


def _expected_cells(direct: BeforeAfter) -> list[tuple[str, ...]]:
    """The DiD table rows formatted straight from compare_before_after's rows."""
    rows: list[tuple[str, ...]] = []
    for r in _shown(direct):
        d = r.did
        assert d is not None and r.did_verdict is not None
        changes = (
            format_did_change(d.treated_change, d, r.unit),
            format_did_change(d.control_change, d, r.unit),
        )
        rows.append(
            (
                r.name, *changes, format_did_effect(d, r.unit), format_did_interval(d, r.unit),
                format_p(d.p_value), r.did_verdict,
            )
        )  # fmt: skip
    return rows


def test_formatting_words_did_as_did_verdict_does() -> None:
    """Relative KPIs differ in points of change, shares in percentage points, both as did_verdict writes them."""
    rel = DiffInDiff("median", "relative", -0.4, -0.1, -0.3, (-0.36, -0.24), 0.95, (99,) * 4, 500, 0, ())
    assert (format_did_effect(rel, "duration"), format_did_interval(rel, "duration")) == (
        "-30 points",
        "-36 to -24 points",
    )
    assert format_did_change(-0.4, rel, "duration") == "-40.0%"
    share = DiffInDiff("share", "absolute", 0.02, -0.025, 0.045, (0.01, 0.08), 0.95, (99,) * 4, 500, 0, ())
    assert (format_did_effect(share, "share"), format_did_interval(share, "share")) == (
        "4.5 points",
        "1.0 to 8.0 points",
    )
    assert format_did_change(-0.025, share, "share") == "-2.5 points"
    for d, unit in ((rel, "duration"), (share, "share")):
        text = did_verdict("x", d)
        assert f"a difference of {format_did_effect(d, unit)} (95% CI {format_did_interval(d, unit)})" in text
    hours = DiffInDiff("median", "absolute", 7.2e9, 0.0, 7.2e9, (3.6e9, 1.08e10), 0.95, (9,) * 4, 500, 0, ())
    assert format_did_effect(hours, "duration") == "2.0 hours"
    assert format_did_interval(hours, "duration") == "1.0 hours to 3.0 hours"


def test_kpi_rows_carry_compare_before_afters_did(
    with_control: tuple[ReportContent, BeforeAfter, dict[str, Any]],
) -> None:
    """Each KpiRow holds exactly compare_before_after's DiD and DiD verdict; the table lists every KPI."""
    content, direct, _ = with_control
    assert [(k.key, repr(k.did), k.did_verdict) for k in content.kpis] == [
        (r.key, repr(r.did), r.did_verdict) for r in direct.rows()
    ]
    assert all((k.did is None) == (k.comparison is None) for k in content.kpis)
    assert [r.key for r in direct.rows() if r.did is None] == ["sla_compliance"]
    assert sum(k.did is not None and k.did.detected for k in content.kpis) >= 1
    assert list(did_table(content)[1]) == _expected_cells(direct)
    assert did_table(content)[0] == (
        "KPI",
        "Changed group",
        "Control group",
        "Difference",
        "95% CI",
        "p-value",
        "Verdict",
    )


def test_pdf_and_html_hold_the_same_did_figures(
    with_control: tuple[ReportContent, BeforeAfter, dict[str, Any]],
) -> None:
    """The PDF text and the HTML hold the DiD section, its explanation and every DiD cell of the API's rows."""
    _, direct, files = with_control
    pdf, html = files["pdf"], files["html"]
    assert DID_TITLE in pdf and " ".join(DID_NOTE.split()) in pdf
    assert f"<h2>{escape(DID_TITLE)}</h2>" in html and escape(DID_NOTE) in html
    assert html.index("id='kpis'") < html.index("id='did'") < html.index("id='warnings'")
    for row in _expected_cells(direct):
        for cell in row[1:]:
            assert " ".join(cell.split()) in pdf, cell
            assert escape(cell) in html, cell
    wip = direct["wip"].did
    assert wip is not None and format_did_effect(wip, "per_period") == "-20 points"  # sample logs, seed 0


def test_excel_did_sheet_holds_the_values_with_units(
    with_control: tuple[ReportContent, BeforeAfter, dict[str, Any]],
) -> None:
    """The DiD sheet: changes as fractions (relative) or points, the difference and CI in points, verdicts."""
    _, direct, files = with_control
    rows = {r[0]: r for r in files["xlsx"][SHEET].iter_rows(min_row=2, values_only=True) if r[1]}
    assert list(rows) == [r.name for r in _shown(direct)]
    for r in _shown(direct):
        d, got = r.did, rows[r.name]
        assert d is not None
        relative = d.scale == "relative"
        change = 1.0 if relative else 100.0
        assert got[1] == ("relative change (%)" if relative else "percentage points")
        assert got[2] == pytest.approx(d.treated_change * change) and got[3] == pytest.approx(
            d.control_change * change
        )
        assert got[4] in ("percentage points of relative change", "percentage points")
        assert got[5:8] == pytest.approx((d.effect * 100, d.ci[0] * 100, d.ci[1] * 100))
        assert got[8] == 0.95 and got[9:13] == d.n and got[14] == r.did_verdict
        assert got[15] == pytest.approx(d.p_value)
    assert rows["Work in progress"][13] == "improved"


def test_summary_quotes_the_detected_differences(
    with_control: tuple[ReportContent, BeforeAfter, dict[str, Any]],
) -> None:
    """The executive summary names the control with the detected DiDs (catalogue order), in every format."""
    content, direct, files = with_control
    line = next(p for p in content.executive_summary if p.startswith("Against the control group: "))
    wip = direct["wip"].did
    assert wip is not None and wip.detected
    interval = format_did_interval(wip, "per_period")
    assert line.startswith(
        f"Against the control group: work in progress fell 20 points more (95% CI {interval})"
    )
    assert interval == "-36 to -5 points" and ", an improvement" in line
    assert escape(line) in files["html"] and line in files["pdf"]


def test_without_a_control_no_did_appears(ws: Any, tmp_path: Path) -> None:
    """The same setup without a control: no DiD fields, section, sheet or summary sentence in any format."""
    content, _ = build_report(ReportRequest(_setup(ws, control=False), SETTINGS, n_boot=N_BOOT, seed=0))
    assert all(k.did is None and k.did_verdict is None for k in content.kpis)
    assert not any("control" in p for p in content.executive_summary)
    files = _written(content, tmp_path)
    assert DID_TITLE not in files["pdf"] and "Difference-in-differences" not in files["pdf"]
    assert "id='did'" not in files["html"] and escape(DID_TITLE) not in files["html"]
    assert SHEET not in files["xlsx"].sheetnames and "KPIs" in files["xlsx"].sheetnames
    bare = replace(content, sources=())
    assert did_table(bare)[1] == ()
