"""Several people on one server: an import by one user never breaks another user's page (real browser)."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARGS, CHROMIUM, ROOT, click_until, open_options, serve, wait_idle

from baton.api import open_workspace

pytestmark = pytest.mark.browser
MAP_EDGES = "[data-testid='stGraphVizChart'] svg g.edge"


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded 100k-event log (bench/generate.py), large enough that its import takes a while."""
    out = tmp_path_factory.mktemp("gen")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--sizes", "100k", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "log_100k.csv"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Iterator[str]:
    """A server on a workspace that holds loans_after."""
    path = tmp_path_factory.mktemp("concurrency") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="loans_after")
    with serve(path) as address:
        yield address


def _move_paths_slider(page, steps: int) -> None:  # type: ignore[no-untyped-def]
    wait_idle(page)  # keys pressed while the script reruns may go to a slider being replaced
    slider = page.get_by_role("slider").nth(1)  # Activities %, then Paths %
    slider.focus()
    for _ in range(steps):
        page.keyboard.press("ArrowRight")


def test_import_by_one_user_leaves_others_working(url: str, big_csv: Path) -> None:
    """While one session imports a 100k-event log, two others keep redrawing their maps without an error;
    afterwards every session can pick the new log."""
    from playwright.sync_api import sync_playwright

    with big_csv.open(newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        viewers = []
        for _ in range(2):
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.locator(MAP_EDGES).first.wait_for()
            viewers.append(page)
        importer = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        importer.set_default_timeout(120_000)
        importer.goto(url + "/data")
        importer.locator("input[type=file]").set_input_files(str(big_csv))
        importer.get_by_text("Data quality (dry run: nothing written yet)").wait_for()
        started = importer.get_by_text("Importing log_100k").or_(importer.get_by_text("Imported log_100k"))
        click_until(importer, importer.get_by_role("button", name="Import as log_100k"), started)
        redraws = []
        for page in viewers:  # the import is running in the server now
            before = page.locator(MAP_EDGES).count()
            began = time.monotonic()
            _move_paths_slider(page, 6)
            page.wait_for_function(f'document.querySelectorAll("{MAP_EDGES}").length > {before}')
            redraws.append(time.monotonic() - began)
        importer.get_by_text(f"Imported log_100k: {rows:,} of {rows:,} rows").wait_for()
        for page in [*viewers, importer]:
            assert page.locator("[data-testid='stException']").count() == 0
        for page in viewers:
            page.reload()
            page.locator(MAP_EDGES).first.wait_for()
            open_options(page, page.locator(".st-key-log"), "log_100k")
            assert page.get_by_role("option", name="log_100k").count() == 1
            page.keyboard.press("Escape")
        browser.close()
    assert all(r < 30 for r in redraws), redraws
