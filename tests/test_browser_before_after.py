"""The Before/After & ROI page in a real browser: KPI table, both maps, ROI figures and a report download."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, ROOT, click_until, download

import analytics as an
from baton.api import open_workspace
from reports.build import measured_roi_inputs
from reports.charts import format_money

pytestmark = pytest.mark.browser
SETTINGS = an.KpiSettings(
    end_activities=("Disburse Loan", "Reject Application", "Cancel Application"),
    system_resource_prefix="sys_",
    cost_attribute="cost",
)


@pytest.fixture(scope="module")
def expected() -> tuple[an.BeforeAfter, an.RoiEstimate]:
    """The comparison of the two sample logs with the page's default settings, and the ROI it prices."""
    with open_workspace() as ws:
        for name in ("loans_before", "loans_after"):
            ws.import_file(ROOT / "sample_logs" / f"{name}.parquet", name=name)
        setup = an.TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
        result = an.compare_before_after(setup, SETTINGS, n_boot=2000, seed=0)
    inputs, _ = measured_roi_inputs(an.load_roi_inputs(ROOT / "sample_logs" / "roi_inputs.yaml"), result)
    return result, an.estimate_roi(inputs)


def test_page_tables_maps_roi_and_report(server: str, browser, expected) -> None:  # type: ignore[no-untyped-def]
    """The page shows the KPI verdicts, two map SVGs, the expected NPV and downloads a PDF report."""
    result, roi = expected
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.set_default_timeout(90_000)
    page.goto(f"{server}/before_after")
    page.get_by_role("heading", name="Before/After & ROI").first.wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stAlertContentWarning']").count() >= len(result.warnings)
    assert page.get_by_text("the case mix changed", exact=False).count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "page_before_after.png"), full_page=True)

    page.get_by_role("tab", name="Maps").click()
    images = page.locator("[data-testid='stImage'] img")
    images.nth(1).wait_for()
    assert images.count() == 2
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "page_before_after_maps.png"), full_page=True)

    page.get_by_role("tab", name="ROI").click()
    npv = page.locator("[data-testid='stMetric']").filter(has_text="NPV (expected)")
    npv.locator("[data-testid='stMetricValue']").wait_for()
    assert npv.locator("[data-testid='stMetricValue']").inner_text() == format_money(roi.expected.npv)
    page.locator("[data-testid='stPlotlyChart']:visible").first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "page_before_after_roi.png"), full_page=True)

    page.get_by_role("tab", name="Report").click()
    pdf_button = page.get_by_role("button", name="Report as PDF")
    click_until(page, page.get_by_text("Prepare the report downloads"), pdf_button, timeout_ms=60_000)
    assert download(page, pdf_button).read_bytes().startswith(b"%PDF")
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
