"""The Temporal history connector: exported workflow histories -> activity instances, pulled incrementally."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from baton.api import Workspace, open_workspace
from baton.errors import FatalSourceError, MalformedSourceError
from connectors.sources.base import Source, SourceConfig
from connectors.sources.config import build_source, read_source_config, register_source_kind
from connectors.sources.temporal import TemporalSource, event_kind
from tests.json_history_fixtures import FIXTURES, temporal_file, write_fixtures

FOLDER = FIXTURES / "temporal"


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def touch(path: Path, when: datetime) -> None:
    """Set a file's modification time (the connector's change marker)."""
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The fixture histories, each modified 10 minutes after its last event (as an export would be)."""
    out = tmp_path / "histories"
    shutil.copytree(FOLDER, out)
    for name, when in (("order-1", utc(2025, 3, 3, 10, 30)), ("order-2", utc(2025, 3, 3, 11, 40))):
        touch(out / f"{name}.json", when)
    touch(out / "order-3.json", utc(2025, 3, 3, 12, 20))
    return out


def source(folder: Path, name: str = "orders") -> TemporalSource:
    """A temporal source over a folder."""
    return TemporalSource.from_config(
        SourceConfig(kind="temporal", name=name, settings={"folder": str(folder)})
    )


def rows(ws: Workspace, name: str = "orders") -> list[dict[str, Any]]:
    """The log's events as dicts (canonical columns and attributes)."""
    return ws.log(name).to_arrow().to_pylist()


def instance(ws: Workspace, case: str, activity: str) -> dict[str, Any]:
    """The one event of a case and activity (fails when there are several)."""
    (found,) = [r for r in rows(ws) if r["case_id"] == case and r["activity"] == activity]
    return found


def test_fixtures_are_what_the_seeded_script_writes(tmp_path: Path) -> None:
    """The committed fixture files are byte for byte what tests/json_history_fixtures.py generates."""
    write_fixtures(tmp_path)
    for path in FOLDER.iterdir():
        assert (tmp_path / "temporal" / path.name).read_bytes() == path.read_bytes()


def test_event_types_in_both_spellings() -> None:
    """EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT and ActivityTaskTimedOut name the same event kind."""
    assert event_kind("EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT") == event_kind("ActivityTaskTimedOut")
    assert event_kind("ActivityTaskTimedOut") == "ACTIVITY_TASK_TIMED_OUT"


def test_first_pull_makes_activity_instances(folder: Path) -> None:
    """3 workflows -> 7 activity instances with exact start, end, worker, attempt and states."""
    ws = open_workspace()
    report = ws.pull(source(folder))
    assert (report.rows_read, report.inserted, report.cursor_after) == (
        7,
        7,
        "2025-03-03T12:11:04.800000+00:00",
    )
    assert (ws.info("orders").cases, ws.info("orders").events) == (3, 7)
    order_1 = [r["activity"] for r in rows(ws) if r["case_id"] == "order-1"]
    assert order_1 == ["ValidateOrder", "ChargeCard", "ShipOrder"]
    charge = instance(ws, "order-1", "ChargeCard")
    assert (charge["start_timestamp"], charge["timestamp"]) == (utc(2025, 3, 3, 10, 7, 4, 800000),
                                                                utc(2025, 3, 3, 10, 9, 4, 800000))  # fmt: skip
    assert (charge["resource"], charge["state"], charge["attempt"], charge["waiting_seconds"]) == (
        "12@worker-b", "completed", 1, 180.0,
    )  # fmt: skip
    failed = instance(ws, "order-2", "ChargeCard")  # old tctl spelling of event types
    assert (failed["state"], failed["attempt"], failed["resource"]) == ("failed", 3, "11@worker-a")
    assert failed["timestamp"] == utc(2025, 3, 3, 11, 30, 4, 800000)
    running = instance(ws, "order-3", "ChargeCard")  # scheduled, no Started event yet
    assert (running["state"], running["ended_at"], running["started_at"]) == ("scheduled", None, None)
    assert running["timestamp"] == running["start_timestamp"] == utc(2025, 3, 3, 12, 11, 4, 800000)


def test_failure_and_retry_state_are_read(folder: Path) -> None:
    """A failed activity carries its retry state, failure message and the previous attempt's failure."""
    (batch,) = list(source(folder).read(None))
    (row,) = [r for r in batch.to_pylist() if r["workflow_id"] == "order-2" and r["activity"] == "ChargeCard"]
    assert (row["retry_state"], row["failure"], row["last_failure"]) == (
        "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED", "card declined", "card gateway timeout",
    )  # fmt: skip
    assert row["run_id"] == "00000002-0000-4000-8000-000000000002" and row["scheduled_event_id"] == 11


def test_repull_reads_changed_files_only_and_updates_instances(folder: Path) -> None:
    """Re-export of a running workflow + a new file: 3 inserted, 1 updated, no duplicates, cursor advances."""
    ws, src = open_workspace(), source(folder)
    ws.pull(src)
    again = ws.pull(src)  # only order-3.json is modified after the cursor: its 2 rows, unchanged
    assert (again.rows_read, again.inserted, again.updated, again.unchanged) == (2, 0, 0, 2)
    (folder / "order-3.json").write_text(json.dumps(temporal_file("order-3")), encoding="utf-8")
    (folder / "order-4.json").write_text(json.dumps(temporal_file("order-4")), encoding="utf-8")
    touch(folder / "order-3.json", utc(2025, 3, 3, 14, 0))
    touch(folder / "order-4.json", utc(2025, 3, 3, 14, 0))
    report = ws.pull(src)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (5, 3, 1, 1)
    assert report.cursor_before == "2025-03-03T12:11:04.800000+00:00"
    assert report.cursor_after == "2025-03-03T13:15:04.800000+00:00"
    assert (ws.info("orders").cases, ws.info("orders").events) == (4, 10)
    retried = instance(ws, "order-3", "ChargeCard")  # completed on its 2nd attempt
    assert (retried["state"], retried["attempt"], retried["resource"]) == ("completed", 2, "12@worker-b")
    assert retried["start_timestamp"] == utc(2025, 3, 3, 12, 23, 4, 800000)
    assert [r["activity"] for r in rows(ws) if r["case_id"] == "order-3"] == [
        "ValidateOrder", "ChargeCard", "ShipOrder",
    ]  # fmt: skip
    assert len(ws.source_loads("orders").to_pylist()) == 3


def test_malformed_json_line_is_a_reject_naming_file_and_line(folder: Path) -> None:
    """A JSON-lines history with a broken line loads its good events and rejects that line by file and line."""
    events = temporal_file("order-4")["events"]
    lines = [json.dumps(e) for e in events]
    lines.insert(3, '{"eventId": "x", broken')
    (folder / "order-4.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = open_workspace()
    report = ws.pull(source(folder))
    assert report.inserted == 9 and report.rows_rejected == 1
    (reason,) = report.rejected
    assert reason.startswith("order-4.jsonl line 4: malformed JSON")
    assert ws.rejects("orders").column("reason").to_pylist() == [reason]
    assert [r["activity"] for r in rows(ws) if r["case_id"] == "order-4"] == ["ValidateOrder", "ShipOrder"]


def test_truncated_file_is_a_clear_error_and_writes_nothing(folder: Path) -> None:
    """A history cut off mid-write stops the pull with an error naming the file; the log stays as it was."""
    ws, src = open_workspace(), source(folder)
    ws.pull(src)
    text = json.dumps(temporal_file("order-4"), indent=2)
    (folder / "order-4.json").write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(MalformedSourceError, match=r"order-4\.json: not complete JSON"):
        ws.pull(src)
    assert ws.info("orders").events == 7 and len(ws.source_loads("orders").to_pylist()) == 1


def test_config_file_builds_the_source(folder: Path, tmp_path: Path) -> None:
    """A YAML config with kind temporal builds a Source with the activity-instance key and cursor."""
    register_source_kind("temporal", "connectors.sources.temporal:TemporalSource")
    path = tmp_path / "temporal.yaml"
    path.write_text(f"kind: temporal\nname: orders\nsettings:\n  folder: {folder}\n", encoding="utf-8")
    built = build_source(read_source_config(path))
    assert isinstance(built, Source)
    assert (built.primary_key, built.cursor_column) == (
        ("workflow_id", "run_id", "scheduled_event_id"),
        "changed_at",
    )
    assert built.describe() == {"kind": "temporal", "folder": str(folder), "pattern": "*.*json*"}
    assert [s.name for s in built.discover()] == [
        "activity_instances",
        "order-1.json",
        "order-2.json",
        "order-3.json",
    ]


def test_missing_folder_and_bad_settings_are_fatal(tmp_path: Path) -> None:
    """A missing folder or an unknown setting is a FatalSourceError saying what to fix."""
    with pytest.raises(FatalSourceError, match="does not exist"):
        source(tmp_path / "nope").check()
    bad = SourceConfig(kind="temporal", name="x", settings={"folder": "f", "dir": "g"})
    with pytest.raises(FatalSourceError, match="unknown setting 'dir'"):
        TemporalSource.from_config(bad)


def test_event_with_wrong_types_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """An event whose scheduledEventId is not a number stops the read with the file and event named."""
    history = temporal_file("order-4")
    history["events"][5]["activityTaskStartedEventAttributes"]["scheduledEventId"] = "five"
    (tmp_path / "order-4.json").write_text(json.dumps(history), encoding="utf-8")
    with pytest.raises(
        MalformedSourceError, match=r"order-4\.json: event '6' is not a Temporal history event"
    ):
        list(source(tmp_path).read(None))
