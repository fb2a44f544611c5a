"""The HTML report in a real Chromium with every network request refused: each chart renders, no console errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, CHROMIUM
from test_reports import build_content

from reports.charts import chart_specs
from reports.render import write_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """No Streamlit server here: the report is a file; this stands in for the `server` the `browser` fixture needs."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    yield ""


def test_report_renders_every_chart_offline(browser: object, tmp_path: Path) -> None:
    """Opened from disk with the network blocked, vega-embed draws one svg per chart, no errors, no requests out."""
    content = build_content()
    path = write_report(content, tmp_path / "report.html", "html")
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    requested: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        requested.append(url)
        r.continue_() if url.startswith("file:") else r.abort()  # type: ignore[attr-defined]

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    keys = [c.key for c in chart_specs(content)]
    assert len(keys) == 4
    selector = ", ".join(f"#{k} svg, #{k} canvas" for k in keys)
    page.wait_for_function(f"document.querySelectorAll({selector!r}).length >= {len(keys)}", timeout=20_000)
    for key in keys:
        assert page.locator(f"#{key} svg").count() == 1, key
    tornado_text = (
        page.locator("#chart-tornado").inner_text() + page.locator("#chart-tornado svg").inner_html()
    )
    assert "annual_volume" in tornado_text
    assert page.locator("#maps svg").count() >= 3
    assert errors == []
    assert requested == [path.as_uri()]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report_html.png"), full_page=True)
    context.close()
