"""The app in a real browser: Debian chromium driven by playwright against `streamlit run` on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from baton.api import open_workspace

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Iterator[str]:
    """`streamlit run app.py` on a seeded workspace; yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    path = tmp_path_factory.mktemp("browser") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="loans_after")
        ws.import_file(sample_logs / "loans_before.parquet", name="loans_before")
    port = _free_port()
    env = {**os.environ, "BATON_WORKSPACE": str(path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":  # noqa: S310
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not answer /_stcore/health within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    """A headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


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
    assert page.get_by_text("Cases").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "process_map.png"), full_page=True)
    page.close()


def test_paths_slider_adds_edges(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """Dragging the paths slider to the right draws more edges."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    edges = page.locator("[data-testid='stGraphVizChart'] svg g.edge")
    edges.first.wait_for(timeout=60_000)
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
