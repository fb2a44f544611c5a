"""The Conformance page in a real browser: sample model, fitness metric, red overlay edges, CSV download."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, ROOT, download, pick_option

import analytics as an
from baton.api import open_workspace
from baton.models.load import read_model

pytestmark = pytest.mark.browser
BPMN = ROOT / "sample_logs" / "loans_target.bpmn"
RED_EDGES = "[data-testid='stGraphVizChart'] svg g.edge path[stroke='#dc2626']"


@pytest.fixture(scope="module")
def expected() -> tuple[an.Conformance, int]:
    """Conformance of the sample AFTER log to the sample BPMN, and how many overlay edges must be red."""
    with open_workspace() as ws:
        ws.import_file(ROOT / "sample_logs" / "loans_after.parquet", name="x")
        model = read_model(BPMN)
        conf = an.check_conformance(ws.log("x"), model)
        overlay = an.get_model_overlay(ws.log("x"), model)
    ends = (*overlay.start_activities, *overlay.end_activities)
    return conf, len(overlay.not_allowed) + sum(p.status == "not_allowed" for p in ends)


def test_conformance_page_model_overlay_and_download(server: str, browser, expected) -> None:  # type: ignore[no-untyped-def]
    """Choosing the sample BPMN shows its alignment fitness, red not-allowed edges and a deviations CSV."""
    conf, red = expected
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    page.set_default_timeout(60_000)
    page.goto(f"{server}/conformance")
    page.get_by_role("heading", name="Conformance").first.wait_for()
    pick_option(page, "Log", "loans_after")
    pick_option(page, "Model", BPMN.name)
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Alignment fitness")
    value = metric.locator("[data-testid='stMetricValue']")
    page.wait_for_function(
        "v => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")].some(e => e.innerText === v)",
        arg=f"{conf.alignment_fitness:.3f}",
    )
    assert value.inner_text() == f"{conf.alignment_fitness:.3f}"

    csv = download(page, page.get_by_role("button", name="Deviations as CSV")).read_text()
    reentry = next(d for d in conf.deviations_by_activity if d.activity == "Re-enter Application Data")
    assert f"Re-enter Application Data,inserted,{reentry.cases}," in csv

    page.get_by_role("tab", name="Overlay map").click()
    page.locator("[data-testid='stGraphVizChart'] svg").first.wait_for()  # visible once the tab shows
    page.locator(RED_EDGES).first.wait_for(state="attached")  # a vertical edge has no width: "hidden"
    assert page.locator(RED_EDGES).count() == red
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page_conformance_overlay.png"), full_page=True)
    page.get_by_role("tab", name="Deviations").click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "page_conformance.png"), full_page=True)
    page.close()
