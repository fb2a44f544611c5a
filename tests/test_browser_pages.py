"""Every page in a real browser, with a screenshot to look at; the map of a real log at default settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, pick_option, serve

from baton.api import open_workspace

pytestmark = pytest.mark.browser
MAP_NODES = "[data-testid='stGraphVizChart'] svg g.node"
PAGES = {
    "": "Process map",
    "variants": "Variants",
    "cases": "Cases",
    "statistics": "Statistics",
    "bottlenecks": "Bottlenecks",
    "data": "Data",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_error(server: str, browser, path: str) -> None:  # type: ignore[no-untyped-def]
    """Each page draws its title and content with no exception box; its screenshot is kept."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=PAGES[path]).first.wait_for()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # charts finish drawing
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page_{path or 'map'}.png"), full_page=True)
    page.close()


@pytest.fixture(scope="module")
def bpi_server(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[tuple[str, int]]:
    """A server on a workspace holding BPI Challenge 2020 domestic declarations (../shared/data)."""
    path = tmp_path_factory.mktemp("bpi") / "ws.duckdb"
    with open_workspace(path) as ws:
        report = ws.import_file(shared_data / "logs" / "BPI_2020_DomesticDeclarations.xes.gz", name="bpi2020")
    with serve(path) as url:
        yield url, report.activities


def test_real_log_map_is_readable_at_default_settings(bpi_server: tuple[str, int], browser) -> None:  # type: ignore[no-untyped-def]
    """BPI 2020 at the default sliders: every activity drawn, few enough edges to read (Disco's start)."""
    url, activities = bpi_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    nodes = page.locator(MAP_NODES)
    nodes.first.wait_for()
    edges = page.locator("[data-testid='stGraphVizChart'] svg g.edge").count()
    assert nodes.count() == activities + 2  # activities plus start and end
    assert edges <= 3 * activities  # readable: the default paths slider keeps the strongest paths only
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page_map_bpi2020.png"), full_page=True)
    page.close()


def test_variant_selection_updates_the_map(server: str, browser, sample_logs: Path) -> None:  # type: ignore[no-untyped-def]
    """Picking a second variant redraws the variants' map with the activities of both variants."""
    import analytics as an

    with open_workspace() as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="x")
        variants = an.get_variants(ws.log("x")).variants
    first, second = (
        variants[0],
        next(v for v in variants[1:] if set(v.activities) - set(variants[0].activities)),
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(60_000)
    page.goto(f"{server}/variants")
    page.get_by_role("heading", name="Map of chosen variants").wait_for()
    nodes = page.locator(MAP_NODES)
    page.wait_for_function(
        f'document.querySelectorAll("{MAP_NODES}").length === {len(set(first.activities)) + 2}'
    )
    option = page.get_by_role("option", name=f"#{second.variant_id} · {second.count:,} cases")
    pick_option(page, page.locator(".st-key-variant_pick"), option)
    both = len(set(first.activities) | set(second.activities)) + 2
    page.wait_for_function(f'document.querySelectorAll("{MAP_NODES}").length === {both}')
    assert nodes.count() == both
    page.close()
