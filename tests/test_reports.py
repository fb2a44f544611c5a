"""Report renderers: the same figures in HTML, PDF (vector, A4) and Excel (formulas on Inputs), written atomically."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pypdf
import pytest

from analytics import ActivityMeasure, EdgeMeasure, EdgeMeasures
from analytics.roi import estimate_roi
from analytics.roi_inputs import load_roi_inputs
from analytics.stats import compare_samples
from analytics.verdicts import verdict
from baton.errors import UnsupportedFormatError
from reports.charts import chart_specs, format_money, format_months, scenario_table
from reports.content import KpiRow, ReportContent, SourceInfo
from reports.excel import input_values
from reports.render import write_report

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
HOURS = 3600e6


def _maps() -> tuple[str, str]:
    """Before/after map SVGs of a tiny process drawn by the app's exporter on one shared layout."""
    from app_pages.map_dot import simplify
    from app_pages.map_layout import compute_layout
    from app_pages.map_svg import to_svg

    def edge(a: str, b: str, n: int, seconds: float) -> EdgeMeasure:
        return EdgeMeasure(a, b, n, n, seconds * 1e6, seconds * 1e6, seconds * 1e6, int(seconds * 1e6))

    def measures(edges: list[EdgeMeasure], counts: dict[str, int]) -> EdgeMeasures:
        acts = {k: ActivityMeasure(k, v, v) for k, v in counts.items()}
        return EdgeMeasures(tuple(edges), acts, {"Submit": 10}, {"Decide": 10})

    before = measures(
        [edge("Submit", "Check", 10, 7200), edge("Check", "Fix", 4, 3600), edge("Fix", "Check", 4, 600)]
        + [edge("Check", "Decide", 10, 86400)],
        {"Submit": 10, "Check": 14, "Fix": 4, "Decide": 10},
    )
    after = measures(
        [edge("Submit", "Check", 10, 60), edge("Check", "Decide", 10, 3600)],
        {"Submit": 10, "Check": 10, "Decide": 10},
    )
    layout = compute_layout(
        list(before.activities),
        [(e.source, e.target, e.frequency) for e in before.edges],
        before.start_activities,
    )
    return tuple(  # type: ignore[return-value]
        to_svg(simplify(m, activities_pct=100, paths_pct=100), layout, title=t)
        for m, t in ((before, "before"), (after, "after"))
    )


def build_content() -> ReportContent:
    """A report on seeded synthetic KPIs, the sample ROI inputs, real map SVGs and the sample target model."""
    from app_pages.model_diagram import bpmn_svg

    rng = np.random.default_rng(7)
    cycle = compare_samples(rng.gamma(2, 50, 400) * HOURS, rng.gamma(2, 20, 400) * HOURS, n_boot=300, seed=1)
    errors = compare_samples(
        rng.random(400) < 0.16, rng.random(400) < 0.05, statistic="share", n_boot=300, seed=2
    )
    same = compare_samples(
        rng.normal(10, 2, 300), rng.normal(10, 2, 300), statistic="mean", n_boot=300, seed=3
    )
    kpis = (
        KpiRow("cycle_time_median", "Cycle time (median)", "Half the cases took less.", "duration", "lower",
               cycle, verdict("cycle time", cycle, "us")),
        KpiRow("error_rate", "Exception / error rate", "Share of cases with an error.", "share", "lower",
               errors, verdict("error rate", errors)),
        KpiRow("handoffs_per_case", "Handoffs per case", "Resource changes per case.", "count", "lower",
               same, verdict("handoffs per case", same)),
        KpiRow("cost_per_case", "Cost per case", "Cost of a case.", "money", "lower", None,
               "Not available: the logs have no cost attribute", "no cost attribute"),
    )  # fmt: skip
    sources = (
        SourceInfo("before", "loans_before", "sample_logs/loans_before.parquet", "sha256:1f2e", "[]",
                   "2024-01-01T00:00:00+00:00", "2024-06-30T23:00:00+00:00", 5000),
        SourceInfo("after", "loans_after", "sample_logs/loans_after.parquet", "sha256:9a8b",
                   '[{"kind": "time_frame"}]', "2024-07-01T00:00:00+00:00", "2024-12-31T23:00:00+00:00", 5000),
    )  # fmt: skip
    before_svg, after_svg = _maps()
    return ReportContent(
        title="Loan process before and after orchestration",
        subtitle="Sample logs loans_before and loans_after",
        generated_at="2025-01-01T12:00:00+00:00",
        baton_version="0.1.0",
        executive_summary=("Cycle time fell by more than half.", "The business case pays back in year 1."),
        kpis=kpis,
        warnings=("Case mix <shifted> & variants moved",),
        sources=sources,
        roi=estimate_roi(load_roi_inputs(ROOT / "sample_logs" / "roi_inputs.yaml")),
        map_before_svg=before_svg,
        map_after_svg=after_svg,
        model_svg=bpmn_svg(ROOT / "sample_logs" / "loans_target.bpmn"),
        assumptions=("Volumes stay at 10,000 cases a year.",),
    )


@pytest.fixture(scope="module")
def content() -> ReportContent:
    """The report content every test renders."""
    return build_content()


@pytest.fixture(scope="module")
def files(content: ReportContent, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report written once in each format."""
    folder = tmp_path_factory.mktemp("reports")
    return {fmt: write_report(content, folder / f"report.{fmt}", fmt) for fmt in ("html", "pdf", "xlsx")}


@pytest.fixture(scope="module")
def pdf_pages(files: dict[str, Path]) -> list[str]:
    """The PDF's text per page (pypdf), whitespace collapsed."""
    reader = pypdf.PdfReader(files["pdf"])
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def test_pdf_holds_npv_payback_and_every_verdict(content: ReportContent, pdf_pages: list[str]) -> None:
    """The PDF text has each scenario's NPV and payback and each KPI verdict, as the shared formatter writes them."""
    assert content.roi is not None
    text = " ".join(pdf_pages)
    assert format_money(content.roi.expected.npv) == "EUR 1,781,246"  # hand-checked against the sample inputs
    for s in content.roi.scenarios:
        assert format_money(s.npv) in text
        assert format_months(s.payback_months) in text
    assert "8.4 months" in text
    for k in content.kpis:
        assert " ".join(k.verdict.split()) in text
    for row in scenario_table(content.roi)[1]:
        assert all(cell in text for cell in row)


def test_pdf_is_vector_a4_with_repeated_table_headers(files: dict[str, Path], pdf_pages: list[str]) -> None:
    """A4 pages, charts and maps drawn as vectors (no raster image anywhere), the trace table's header repeated."""
    reader = pypdf.PdfReader(files["pdf"])
    assert len(reader.pages) >= 4
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert list(page.images) == []
    assert "Expected NPV (EUR 1,781,246) when one input moves" in " ".join(
        pdf_pages
    )  # the tornado's own text
    assert "Submit" in " ".join(pdf_pages)  # a map's activity drawn as text, not pixels
    assert sum("Figure Formula Value Inputs used" in p for p in pdf_pages) >= 2


def test_pdf_without_unicode_font_falls_back_to_latin1(
    content: ReportContent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DejaVu the core Helvetica is used: minus signs become '-' and the figures are still there."""
    import reports.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "dejavu_dir", lambda: None)
    odd = replace(content, executive_summary=("Costs fell \u2212 12 \u20ac \u2014 see \u201cROI\u201d.",))
    data = pdf_module.render_pdf(odd)
    reader = pypdf.PdfReader(__import__("io").BytesIO(data))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Costs fell - 12 EUR - see" in text
    assert content.roi is not None and format_money(content.roi.expected.npv) in text


def _sheet(path: Path, name: str, *, cached: bool) -> Any:
    return openpyxl.load_workbook(path, data_only=cached)[name]


def _scenario_cells(path: Path, *, cached: bool) -> dict[str, dict[str, Any]]:
    """Scenarios sheet as {figure: {scenario: cell}}."""
    ws = _sheet(path, "Scenarios", cached=cached)
    names = [c.value for c in ws[1][1:4]]
    return {row[0].value: dict(zip(names, row[1:4], strict=True)) for row in ws.iter_rows(min_row=2)}


def test_excel_scenarios_are_formulas_on_inputs_with_cached_roi_values(
    content: ReportContent, files: dict[str, Path]
) -> None:
    """Savings, cash flows, NPV, ROI and payback are formulas (chained to Inputs) caching the RoiEstimate to the cent."""
    assert content.roi is not None
    formulas = _scenario_cells(files["xlsx"], cached=False)
    values = _scenario_cells(files["xlsx"], cached=True)
    for s in content.roi.scenarios:
        expected: dict[str, float | None] = {
            "annual savings": s.annual_savings,
            "NPV": s.npv,
            "PV benefits": s.pv_benefits,
        }
        expected |= {"PV costs": s.pv_costs, "saving per case": s.saving_per_case, "ROI": s.roi}
        expected |= {"payback months": s.payback_months}
        expected |= {f"cash flow year {t}": f for t, f in enumerate(s.cash_flows)}
        for figure, want in expected.items():
            assert str(formulas[figure][s.name].value).startswith("="), figure
            assert want is not None and round(values[figure][s.name].value, 2) == round(want, 2), (
                figure,
                s.name,
            )
        assert "Inputs!" in formulas["annual savings"][s.name].value
        assert "Inputs!" in formulas["cash flow year 1"][s.name].value
    assert formulas["NPV"]["expected"].value == "=SUMPRODUCT(C10:C13,C18:C21)"
    assert formulas["NPV"]["expected"].number_format == '#,##0.00 "EUR"'
    assert formulas["ROI"]["expected"].number_format == "0.0%"


def _evaluate(path: Path) -> Any:
    """A tiny evaluator for the workbook's formulas (+ - * / ^, SUM, SUMPRODUCT, IF, ranges, Inputs! refs)."""
    book = openpyxl.load_workbook(path)
    ref = r"(?:(\w+)!)?\$?([A-Z]+)\$?(\d+)"

    def cell(sheet: str, col: str, row: int) -> Any:
        value = book[sheet][f"{col}{row}"].value
        return run(sheet, value[1:]) if isinstance(value, str) and value.startswith("=") else value

    def run(sheet: str, formula: str) -> Any:
        def rng(m: re.Match[str]) -> str:
            s = m.group(1) or sheet
            c1, r1, r2 = m.group(2), int(m.group(3)), int(m.group(5))
            return "[" + ",".join(f"cell({s!r},{c1!r},{r})" for r in range(r1, r2 + 1)) + "]"

        code = re.sub(ref + r":\$?([A-Z]+)\$?(\d+)", rng, formula)
        code = re.sub(
            r"(?<![\w'])" + ref,
            lambda m: f"cell({(m.group(1) or sheet)!r},{m.group(2)!r},{m.group(3)})",
            code,
        )
        code = code.replace("^", "**").replace("SUMPRODUCT(", "sumproduct(").replace("SUM(", "sum(")
        code = code.replace("IF(", "if_(").replace("<>", "!=")
        env = {"cell": cell, "sum": sum, "if_": lambda c, a, b: a if c else b}
        env["sumproduct"] = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))
        return eval(code, env)  # noqa: S307 - formulas this test's own renderer wrote

    return cell


def test_excel_formulas_recompute_their_cached_values(files: dict[str, Path]) -> None:
    """Evaluating each Scenarios formula from the Inputs sheet gives the cached value (so the sheet is live)."""
    cell = _evaluate(files["xlsx"])
    cached = _sheet(files["xlsx"], "Scenarios", cached=True)
    checked = 0
    for row in range(2, cached.max_row + 1):
        for col in "BCD":
            want = cached[f"{col}{row}"].value
            got = cell("Scenarios", col, row)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-9) if isinstance(want, float) else got == want
            checked += 1
    assert checked >= 3 * 25


def test_excel_inputs_kpis_tornado_and_provenance(content: ReportContent, files: dict[str, Path]) -> None:
    """Inputs hold the ROI inputs as values; KPIs one row each; Tornado swings; Provenance dates as dates."""
    assert content.roi is not None
    inputs = _sheet(files["xlsx"], "Inputs", cached=True)
    want = input_values(content.roi.inputs)
    got = [(r[0].value, r[1].value) for r in inputs.iter_rows(min_row=2, max_row=len(want) + 1)]
    assert got == [(name, value) for name, value, _ in want]
    assert ("investment", 420000.0) in got and ("adoption_ramp[1]", 0.6) in got
    kpis = _sheet(files["xlsx"], "KPIs", cached=True)
    rows = list(kpis.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [k.name for k in content.kpis]
    cycle = content.kpis[0].comparison
    assert cycle is not None
    assert rows[0][2] == pytest.approx(cycle.before / HOURS) and rows[0][9] == content.kpis[0].verdict
    assert rows[0][5] == pytest.approx(cycle.ci_relative[0]) and rows[3][2] is None
    tornado = list(_sheet(files["xlsx"], "Tornado", cached=True).iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in tornado] == [b.input for b in content.roi.tornado]
    assert tornado[0][6] == pytest.approx(content.roi.tornado[0].swing)
    prov = _sheet(files["xlsx"], "Provenance", cached=True)
    assert prov["B2"].value == "loans_before" and prov["F3"].value == datetime(2024, 7, 1)
    assert prov["H2"].value == 5000


def test_html_is_self_contained_and_holds_the_figures(content: ReportContent, files: dict[str, Path]) -> None:
    """No network load (no src/href/url/@import to http), every chart spec and map inline, the same figures."""
    html = files["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//|@import|<link\b|<iframe\b", html, re.IGNORECASE)
    assert "window.vegaEmbed" in html
    for chart in chart_specs(content):
        assert f"id='{chart.key}'" in html
    assert html.count("<svg") >= 3  # two maps and the target model, inline
    assert content.roi is not None
    for s in content.roi.scenarios:
        assert format_money(s.npv) in html and format_months(s.payback_months) in html
    for k in content.kpis:
        assert escape(k.verdict) in html and escape(k.definition) in html
    assert "Case mix &lt;shifted&gt; &amp; variants moved" in html
    assert "sha256:9a8b" in html and "2024-07-01T00:00:00+00:00" in html


def test_write_report_is_atomic(
    content: ReportContent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed write or an unknown format leaves the old file untouched and no temporary file behind."""
    target = tmp_path / "r.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match="'docx'"):
        write_report(content, target, "docx")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report(replace(content, roi=None), target, "html")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_pdf_page_as_png_for_a_person(files: dict[str, Path]) -> None:
    """The first PDF pages render to PNG with poppler (kept in test-artifacts/ to look at)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed (apt-get install poppler-utils)")
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "report_pdf_page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "3", str(files["pdf"]), str(prefix)], check=True
    )
    pages = sorted(ARTIFACTS.glob("report_pdf_page-*.png"))
    assert len(pages) >= 3 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pages)
