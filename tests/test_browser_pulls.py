"""A pull started from the Data page runs inside the app process without blocking other users (real browser)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_support import ARGS, CHROMIUM, click_until, open_options, serve

from baton.api import open_workspace

pytestmark = pytest.mark.browser
MAP_EDGES = "[data-testid='stGraphVizChart'] svg g.edge"
ROWS = 800_000  # large enough that the pull takes several seconds on this machine
ACTIVITIES = ("Receive", "Check", "Approve", "Pay")


def _sqlite_source(path: Path) -> None:
    """A table of ROWS events: 200k cases of four steps, one hour apart, cursor = id."""
    t0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
    rows = (
        (i, f"c{i // 4:06d}", ACTIVITIES[i % 4], (t0 + timedelta(minutes=i // 4, hours=i % 4)).isoformat())
        for i in range(ROWS)
    )
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, case_id TEXT, activity TEXT, at TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Iterator[str]:
    """A server on a workspace holding loans_after, with one sqlite source config in its sources folder."""
    root = tmp_path_factory.mktemp("pulls")
    with open_workspace(root / "ws.duckdb") as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="loans_after")
    sources = root / "sources"
    sources.mkdir()
    _sqlite_source(root / "events.sqlite")
    (sources / "events.yaml").write_text(
        f"kind: sqlite\nname: events\nsettings: {{path: '{root / 'events.sqlite'}', table: events}}\n"
        "mapping: {case_id_key: case_id, activity_key: activity, timestamp_key: at}\n"
        "primary_key: [id]\ncursor_column: id\n",
        encoding="utf-8",
    )
    with serve(root / "ws.duckdb", extra_env={"BATON_SOURCES": str(sources)}) as address:
        yield address


def test_pull_now_runs_in_the_app_while_another_user_keeps_working(url: str) -> None:
    """One user presses Pull now; while the pull runs, a second user opens the process map and gets it;
    the first user's page then shows the load report with every row inserted, and the new log is listed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        puller = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        puller.set_default_timeout(180_000)
        puller.goto(url + "/data")
        puller.get_by_text("events (sqlite): never pulled").wait_for()
        pulling = puller.get_by_text("pulling now...").first
        click_until(puller, puller.get_by_role("button", name="Pull now"), pulling)
        viewer = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        viewer.set_default_timeout(60_000)
        began = time.monotonic()
        viewer.goto(url)
        viewer.locator(MAP_EDGES).first.wait_for()
        viewer_seconds = time.monotonic() - began
        still_pulling = pulling.is_visible()
        puller.get_by_text("Last load of events").wait_for()
        pull_seconds = time.monotonic() - began
        inserted = puller.locator("[data-testid='stMetric']", has_text="Inserted").inner_text()
        for page in (puller, viewer):
            assert page.locator("[data-testid='stException']").count() == 0
        puller.get_by_text("events (sqlite): ok").wait_for()
        viewer.reload()
        viewer.locator(MAP_EDGES).first.wait_for()
        offered = open_options(viewer, viewer.locator(".st-key-log"), "events").count()
        browser.close()
    timing = f"map shown after {viewer_seconds:.1f} s, pull done after {pull_seconds:.1f} s"
    assert still_pulling, f"the pull ended before the other user's map appeared ({timing})"
    assert f"{ROWS:,}" in inserted, inserted
    assert offered == 1  # the other user can now pick the pulled log
