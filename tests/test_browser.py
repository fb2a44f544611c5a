"""The app in a real browser: Debian chromium driven by playwright against `streamlit run` on loopback."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, ROOT, wait_idle

from baton.api import open_workspace

pytestmark = pytest.mark.browser


def test_map_renders_with_every_activity(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """The first page draws the map of the chosen log: one box per activity, plus start and end."""
    with open_workspace() as ws:
        ws.import_file(ROOT / "sample_logs" / "loans_after.parquet", name="x")
        expected = ws.info("x").activities
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    nodes = page.locator("[data-testid='stGraphVizChart'] svg g.node")
    nodes.first.wait_for(timeout=60_000)
    assert nodes.count() == expected + 2  # activities + start and end markers
    page.get_by_text("Cases").first.wait_for(state="visible")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "process_map.png"), full_page=True)
    page.close()


def test_paths_slider_adds_edges(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """Dragging the paths slider to the right draws more edges."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    edges = page.locator("[data-testid='stGraphVizChart'] svg g.edge")
    edges.first.wait_for(timeout=60_000)
    wait_idle(page)  # keys pressed while the script reruns may go to a slider being replaced
    before = edges.count()
    slider = page.get_by_role("slider").nth(1)  # Activities %, then Paths %
    slider.focus()
    for _ in range(18):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"document.querySelectorAll(\"[data-testid='stGraphVizChart'] svg g.edge\").length > {before}",
        timeout=30_000,
    )
    assert edges.count() > before
    page.close()
