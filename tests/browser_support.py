"""The app in a real browser: `streamlit run` on loopback and Debian chromium driven by playwright.

Test modules use the ``server`` and ``browser`` fixtures (re-exported by ``tests/conftest.py``); a module
that needs its own workspace calls ``serve(path)`` in its own fixture.

On a loaded machine a click that lands while Streamlit reruns the script can be lost (the widget under the
pointer is being replaced): a dropdown never opens, a download never starts, a button does nothing. Tests
therefore act through ``pick_option``, ``click_until`` and ``download``, which wait until the app is idle,
act, check that the action took effect and retry when it did not.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from baton.api import open_workspace

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
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
SELECTS = "[data-testid='stSelectbox'], [data-testid='stMultiSelect']"
# The app root carries the script's run state; idle means "notRunning" for IDLE_MS without a break, which
# also covers a run that a click has asked for but the server has not started yet, and chained reruns.
# (The "Running..." status widget is no signal: Streamlit shows it only after a run has lasted 500 ms.)
IDLE_MS = 300
_IDLE_JS = """ms => {
  const app = document.querySelector("[data-testid='stApp']");
  const idle = app !== null && app.dataset.testScriptState === "notRunning"
    && app.dataset.testConnectionState === "CONNECTED";
  if (!idle) { window.__batonIdleSince = undefined; return false; }
  window.__batonIdleSince ??= performance.now();
  return performance.now() - window.__batonIdleSince >= ms;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Iterator[str]:
    """`streamlit run app.py` on a workspace holding the two sample logs; yields its URL."""
    path = tmp_path_factory.mktemp("browser") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="loans_after")
        ws.import_file(sample_logs / "loans_before.parquet", name="loans_before")
    with serve(path) as url:
        yield url


@contextmanager
def serve(path: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `streamlit run app.py` on workspace ``path`` until the block ends; yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    port = _free_port()
    env = {**os.environ, "BATON_WORKSPACE": str(path), **(extra_env or {})}
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


def wait_idle(page: Page, timeout_ms: float | None = None) -> None:
    """Wait until the app has finished every script run and stayed idle for ``IDLE_MS``.

    Args:
        page: a page showing the app.
        timeout_ms: how long to wait at most; the page's default timeout when None.
    """
    page.evaluate("() => { window.__batonIdleSince = undefined; }")
    page.wait_for_function(_IDLE_JS, arg=IDLE_MS, polling=50, timeout=timeout_ms)


def select_widget(page: Page, select: str | Locator) -> Locator:
    """The selectbox or multiselect whose label is exactly ``select``, or ``select`` itself if a locator."""
    if not isinstance(select, str):
        return select
    label = page.get_by_test_id("stWidgetLabel").get_by_text(select, exact=True)
    return page.locator(SELECTS).filter(has=label).first


def open_options(page: Page, select: str | Locator, option: str | Locator, attempts: int = 3) -> Locator:
    """Open a selectbox or multiselect until ``option`` is visible in its list; returns the option.

    Args:
        page: a page showing the app.
        select: the widget's label or a locator of the widget (e.g. ``page.locator(".st-key-log")``).
        option: the option's exact text or a locator of it.
        attempts: how many times to open the list before giving up.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    widget = select_widget(page, select)
    choice = page.get_by_role("option", name=option, exact=True) if isinstance(option, str) else option
    for attempt in range(attempts):
        wait_idle(page)
        widget.click()
        try:
            choice.wait_for(state="visible", timeout=10_000)
            return choice
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
    raise AssertionError("unreachable")


def pick_option(page: Page, select: str | Locator, option: str | Locator, attempts: int = 3) -> None:
    """Choose ``option`` in a selectbox or multiselect and wait for the rerun it starts to finish.

    The choice is retried until the widget shows it, so a click lost during a rerun does not stop a test.

    Args:
        page: a page showing the app.
        select: the widget's label or a locator of the widget.
        option: the option's exact text or a locator of it.
        attempts: how many times to try.
    """
    widget = select_widget(page, select)
    for _ in range(attempts):
        choice = open_options(page, widget, option)
        text = choice.inner_text().strip()
        choice.click()
        if page.locator("[role='listbox']:visible").count():  # a multiselect stays open
            page.keyboard.press("Escape")
        wait_idle(page)
        if text in _shown_value(widget):
            return
    raise AssertionError(
        f"{option!r} was clicked {attempts} times but the widget shows {_shown_value(widget)!r}"
    )


def _shown_value(widget: Locator) -> str:
    """What a select shows: a multiselect's tags are text, a selectbox's choice is its combobox input's value."""
    return str(
        widget.evaluate(
            "e => [e.innerText, ...[...e.querySelectorAll('input')].map(i => i.value)].join('\\n')"
        )
    )


def click_until(
    page: Page, target: Locator, expect: Locator, attempts: int = 3, timeout_ms: float = 15_000
) -> None:
    """Click ``target`` once the app is idle, until ``expect`` is visible; a click that was lost is repeated.

    Args:
        page: a page showing the app.
        target: what to click (a button, a toggle, a link).
        expect: what the click makes visible.
        attempts: how many clicks at most.
        timeout_ms: how long each click has to show ``expect`` before the app is checked again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        wait_idle(page)
        if attempt and expect.first.is_visible():  # the earlier click worked, only slowly
            return
        target.click()
        try:
            expect.first.wait_for(state="visible", timeout=timeout_ms)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


def download(page: Page, target: Locator, attempts: int = 3) -> Path:
    """Click a download button once the app is idle and return the file; a lost click is repeated.

    Args:
        page: a page showing the app.
        target: the download button.
        attempts: how many clicks at most.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        wait_idle(page)
        try:
            with page.expect_download(timeout=15_000) as info:
                target.click()
            return Path(info.value.path())
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
