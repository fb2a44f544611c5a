"""Every file format imports through one pipeline: the sample log is the same log from CSV, Parquet and XES."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from baton import schema as s
from baton.api import Workspace, open_workspace


def event_rows(ws: Workspace, name: str) -> list[tuple]:
    log = ws.log(name)
    return (
        ws.cursor()
        .execute(
            "SELECT c.case_id, a.activity, e.timestamp, e.start_timestamp, e.resource, e.position "
            f"FROM {s.events_table(log.log_id)} e JOIN cases c USING (log_id, case_index) "
            "JOIN activities a USING (log_id, activity_code) WHERE e.log_id = ? ORDER BY c.case_id, e.position",
            [log.log_id],
        )
        .fetchall()
    )


@pytest.fixture(scope="module")
def formats(sample_logs: Path) -> Workspace:
    ws = open_workspace()
    for suffix in ("csv", "parquet", "xes.gz"):
        ws.import_file(sample_logs / f"loans_after.{suffix}", name=suffix)
    return ws


def test_csv_parquet_xes_give_identical_events(formats: Workspace) -> None:
    """Case, activity, UTC timestamps, start timestamps, resource and order agree across the three files."""
    csv_rows = event_rows(formats, "csv")
    assert len(csv_rows) == formats.info("csv").events > 40_000
    assert event_rows(formats, "parquet") == csv_rows
    assert event_rows(formats, "xes.gz") == csv_rows


def test_sample_xes_merges_its_lifecycle_pairs(formats: Workspace, sample_logs: Path) -> None:
    """The XES holds start and complete events; after merging it has as many instances as the CSV has rows."""
    import json

    facts = json.loads((sample_logs / "facts.json").read_text())
    info = formats.info("xes.gz")
    after = facts.get("after", facts.get("loans_after", {}))
    assert info.events == after["events"]
    assert info.rows_read == after["events"] + after["events_with_start"]
    assert info.has_start_timestamps


def test_variants_and_case_attributes_agree(formats: Workspace) -> None:
    """Variant counts and case attribute types are the same from every format."""
    infos = [formats.info(n) for n in ("csv", "parquet", "xes.gz")]
    assert len({(i.cases, i.variants, i.activities) for i in infos}) == 1
    assert infos[0].case_attributes["loan_amount"] == infos[1].case_attributes["loan_amount"] == "BIGINT"


def test_excel_naive_dates_read_in_source_zone(ws: Workspace, tmp_path: Path) -> None:
    """An Excel sheet with naive dates imports with times read in the declared zone."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.append(["Case", "Activity", "Time"])
    sheet.append([1, "A", datetime(2024, 7, 1, 9, 0)])
    sheet.append([1, "B", datetime(2024, 7, 1, 10, 30)])
    sheet.append([2, "A", datetime(2024, 12, 1, 9, 0)])
    sheet.append([2, "B", datetime(2024, 12, 1, 9, 45)])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    report = ws.import_file(path, name="xl", source_timezone="Europe/Berlin")
    assert (report.events, report.cases) == (4, 2)
    rows = event_rows(ws, "xl")
    assert [r[2] for r in rows] == [  # summer +02:00, winter +01:00
        datetime(2024, 7, 1, 7, 0, tzinfo=UTC),
        datetime(2024, 7, 1, 8, 30, tzinfo=UTC),
        datetime(2024, 12, 1, 8, 0, tzinfo=UTC),
        datetime(2024, 12, 1, 8, 45, tzinfo=UTC),
    ]
    assert rows[0][0] == "1"


def test_ocel_flattened_on_object_type(ws: Workspace, shared_data: Path) -> None:
    """An OCEL 2.0 log imports flattened on the chosen object type, the same from JSON and SQLite."""
    from connectors.ocel import list_object_types

    path = shared_data / "ocel" / "ocel20_example.sqlite"
    object_type = list_object_types(path)[0]
    a = ws.import_file(path, name="o1", object_type=object_type)
    b = ws.import_file(shared_data / "ocel" / "ocel20_example.jsonocel", name="o2", object_type=object_type)
    assert a.cases == b.cases > 0
    assert a.events == b.events
    assert ws.info("o1").detected.get("reader_options") == {"object_type": object_type}
