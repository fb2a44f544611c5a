"""The Data page in a real browser: upload, mapping, dry run, import, rejects download, delete, bad file."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARGS, ARTIFACTS, CHROMIUM, ROOT, click_until, download, pick_option, serve

pytestmark = pytest.mark.browser

SOME_BAD = "case_id,activity,timestamp\nc1,A,2025-01-01 10:00\nc1,B,2025-01-01 11:00\nc2,A,notadate\nc2,,2025-01-02 10:00\nc2,B,2025-01-02 12:00\n"  # noqa: E501
ALL_BAD = "case_id,activity,timestamp\nc1,A,garbage\nc1,B,nope\nc2,A,xx\n"


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A path for an empty workspace of this module's own server."""
    return tmp_path_factory.mktemp("browser_data") / "ws.duckdb"


@pytest.fixture(scope="module")
def page(workspace_file: Path) -> Iterator[object]:
    """A chromium page on the Data page of a server whose workspace starts empty."""
    from playwright.sync_api import sync_playwright

    with serve(workspace_file) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        pg.set_default_timeout(30_000)
        pg.goto(url + "/data")
        pg.get_by_text("No logs in this workspace yet").wait_for()
        yield pg
        browser.close()


def _metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    box = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return str(box.locator("[data-testid='stMetricValue']").inner_text()).strip()


def _upload(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[type=file]").set_input_files(str(path))


def _logs_table(page, names: list[str]) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """The logs list as shown once it lists ``names`` (the grid's accessible table): rows read/loaded/rejected."""
    table = page.locator(".st-key-logs_table table")
    deadline = time.monotonic() + 15
    while True:
        rows = table.evaluate("t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.textContent))")
        if [r[0] for r in rows[1:]] == names or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    cols = [rows[0].index(c) for c in ("rows read", "rows loaded", "rows rejected")]
    return {r[0]: tuple(r[i] for i in cols) for r in rows[1:]}


def test_upload_map_dry_run_import(page, workspace_file: Path) -> None:  # type: ignore[no-untyped-def]
    """Uploading loans_before.csv shows its suggestions and a dry run of every row; Import stores them."""
    source = ROOT / "sample_logs" / "loans_before.csv"
    with source.open(newline="") as fh:
        rows = sum(1 for _ in csv.DictReader(fh))
    _upload(page, source)
    page.get_by_text("Data quality (dry run: nothing written yet)").wait_for()
    suggestions = page.locator("[data-testid='stTable']").first
    assert "column name 'case_id' is a usual name for it" in suggestions.inner_text()
    assert _metric(page, "Rows read") == f"{rows:,}"
    assert _metric(page, "Rows rejected") == "0"
    done = page.get_by_text(f"Imported loans_before: {rows:,} of {rows:,} rows")
    click_until(page, page.get_by_role("button", name="Import as loans_before"), done)
    page.get_by_role("button", name="Delete loans_before...").wait_for(state="visible")
    assert _logs_table(page, ["loans_before"]) == {"loans_before": (str(rows), str(rows), "0")}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "data_page.png"), full_page=True)


def test_rejects_download_and_delete(page, workspace_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A file with bad rows imports the good ones; its rejects download as CSV; delete asks first."""
    bad = tmp_path / "some_bad.csv"
    bad.write_text(SOME_BAD)
    _upload(page, bad)
    page.get_by_text("Data quality (dry run: nothing written yet)").wait_for()
    assert _metric(page, "Rows rejected") == "2"
    click_until(
        page,
        page.get_by_role("button", name="Import as some_bad"),
        page.get_by_text("Imported some_bad: 3 of 5 rows"),
    )
    page.get_by_role("button", name="Delete loans_before...").wait_for()  # the first log is selected
    assert _logs_table(page, ["loans_before", "some_bad"])["some_bad"] == ("5", "3", "2")
    pick_option(page, page.locator(".st-key-manage_log"), "some_bad")
    page.get_by_role("button", name="Delete some_bad...").wait_for(state="visible")
    rejects_csv = download(page, page.get_by_role("button", name="Rejected rows of some_bad (2) as CSV"))
    rejects = list(csv.DictReader(io.StringIO(rejects_csv.read_text())))
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        ("3", "unparsable_timestamp"),
        ("4", "missing_activity"),
    ]
    click_until(
        page, page.get_by_role("button", name="Delete some_bad..."), page.get_by_text("This cannot be undone")
    )
    click_until(
        page, page.get_by_role("button", name="Yes, delete some_bad"), page.get_by_text("Deleted some_bad.")
    )
    assert list(_logs_table(page, ["loans_before"])) == ["loans_before"]


def test_bad_file_shows_error_and_writes_nothing(page, workspace_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A CSV whose timestamps are all garbage shows the API's message; no import button, no new log."""
    bad = tmp_path / "all_bad.csv"
    bad.write_text(ALL_BAD)
    _upload(page, bad)
    alert = page.locator("[data-testid='stAlert']").filter(has_text="no value looks like a date")
    alert.wait_for()
    assert "all_bad.csv" in alert.inner_text()
    assert page.get_by_role("button", name="Import as all_bad").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert list(_logs_table(page, ["loans_before"])) == ["loans_before"]


def _ocel(path: Path) -> Path:
    """A tiny OCEL 2.0 JSON log: order o1 with items i1, i2 over three events."""
    rels = {"e1": ["o1", "i1", "i2"], "e2": ["i1"], "e3": ["o1", "i2"]}
    events = [
        {"id": e, "type": f"step {e}", "time": f"2024-03-01T0{n}:00:00Z", "relationships": [
            {"objectId": o, "qualifier": "q"} for o in objs
        ]}
        for n, (e, objs) in enumerate(rels.items(), start=1)
    ]  # fmt: skip
    objects = [{"id": "o1", "type": "order"}, {"id": "i1", "type": "item"}, {"id": "i2", "type": "item"}]
    path.write_text(json.dumps({"objectTypes": [], "eventTypes": [], "objects": objects, "events": events}))
    return path


def test_ocel_object_type_then_import(page, workspace_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An OCEL upload asks for the object type first; choosing 'order' dry-runs and imports its 2 events."""
    _upload(page, _ocel(tmp_path / "shop.jsonocel"))
    page.get_by_role("button", name="Import as shop_item").wait_for()  # default: the first type
    assert _metric(page, "Rows read") == "4" and _metric(page, "Cases") == "2"
    pick_option(page, "Object type (cases)", "order")
    done = page.get_by_text("Imported shop_order: 2 of 2 rows, 2 events, 1 cases.")
    click_until(page, page.get_by_role("button", name="Import as shop_order"), done)
    assert page.locator("[data-testid='stException']").count() == 0
    assert _logs_table(page, ["loans_before", "shop_order"])["shop_order"] == ("2", "2", "0")
