"""The Camunda 8 (Zeebe) exporter connector: exporter records -> element instances, pulled incrementally."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from baton.api import Workspace, open_workspace
from baton.errors import MalformedSourceError
from connectors.sources.base import Source, SourceConfig
from connectors.sources.camunda8 import Camunda8Source
from connectors.sources.config import build_source, read_source_config, register_source_kind
from tests.json_history_fixtures import FIXTURES, ndjson, write_fixtures, zeebe_fixtures

FOLDER = FIXTURES / "camunda8"
ZB = zeebe_fixtures()
KEYS: dict[str, int] = ZB["keys"]


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def touch(path: Path, when: datetime) -> None:
    """Set a file's modification time (the connector's change marker)."""
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The fixture records, each file modified a few minutes after its last record."""
    out = tmp_path / "zeebe"
    shutil.copytree(FOLDER, out)
    touch(out / "partition-1.ndjson", utc(2025, 3, 4, 11, 10))
    touch(out / "partition-2-search.json", utc(2025, 3, 5, 11, 10))
    return out


def source(folder: Path) -> Camunda8Source:
    """A camunda8 source over a folder."""
    return Camunda8Source.from_config(
        SourceConfig(kind="camunda8", name="orders", settings={"folder": str(folder)})
    )


def rows(ws: Workspace, case: str) -> list[dict[str, Any]]:
    """The events of one fixture instance (A..E) in order."""
    return [r for r in ws.log("orders").to_arrow().to_pylist() if r["case_id"] == str(KEYS[case])]


def one(ws: Workspace, case: str, element: str) -> dict[str, Any]:
    """The one event of an element in an instance."""
    (found,) = [r for r in rows(ws, case) if r["activity"] == element]
    return found


ELEMENTS = ["StartEvent_1", "Task_Validate", "Task_Approve", "Task_Ship", "EndEvent_1"]


def test_fixtures_are_what_the_seeded_script_writes(tmp_path: Path) -> None:
    """The committed fixture files are byte for byte what tests/json_history_fixtures.py generates."""
    write_fixtures(tmp_path)
    for path in FOLDER.iterdir():
        assert (tmp_path / "camunda8" / path.name).read_bytes() == path.read_bytes()


def test_first_pull_makes_element_instances(folder: Path) -> None:
    """NDJSON + an Elasticsearch dump -> 15 element instances of 4 process instances with exact values."""
    ws = open_workspace()
    report = ws.pull(source(folder))
    assert (report.rows_read, report.inserted, report.cursor_after) == (
        15,
        15,
        "2025-03-05T11:05:06.096000+00:00",
    )
    assert (ws.info("orders").cases, ws.info("orders").events) == (4, 15)
    assert [r["activity"] for r in rows(ws, "A")] == ELEMENTS
    validate = one(ws, "A", "Task_Validate")
    assert (validate["start_timestamp"], validate["timestamp"]) == (utc(2025, 3, 4, 9, 8, 42, 24000),
                                                                    utc(2025, 3, 4, 9, 15, 18, 36000))  # fmt: skip
    assert (validate["resource"], validate["state"]) == ("validator-1", "completed")
    assert one(ws, "A", "Task_Approve")["resource"] == "dana"  # the user task's assignee
    incident = one(ws, "B", "Task_Validate")  # from the _search dump: a failed job, an incident resolved
    assert (incident["incidents"], incident["job_failures"]) == (1, 1)
    assert incident["resource"] == "validator-1"  # the worker that completed the job, not the one that failed
    waiting = one(ws, "C", "Task_Approve")  # running: timestamp = start, no end
    assert (waiting["state"], waiting["ended_at"], waiting["resource"]) == ("active", None, "dana")
    assert waiting["timestamp"] == waiting["start_timestamp"] == utc(2025, 3, 4, 10, 49, 24, 132000)
    assert [(r["activity"], r["state"]) for r in rows(ws, "D")] == [
        ("StartEvent_1", "completed"), ("Task_Validate", "terminated"),
    ]  # fmt: skip


def test_appended_records_and_new_file_arrive_exactly_once(folder: Path) -> None:
    """Appending C's completion and adding E: 7 inserted, 1 updated, the rest unchanged; no duplicates."""
    ws, src = open_workspace(), source(folder)
    ws.pull(src)
    again = ws.pull(src)  # only the dump is modified at/after the cursor: B's 5 rows, unchanged
    assert (again.rows_read, again.inserted, again.updated, again.unchanged) == (5, 0, 0, 5)
    with (folder / "partition-1.ndjson").open("a", encoding="utf-8") as out:
        out.write(ndjson(ZB["later-c"]))
    (folder / "partition-3.ndjson").write_text(ndjson(ZB["partition-3.ndjson"]), encoding="utf-8")
    for name in ("partition-1.ndjson", "partition-3.ndjson"):
        touch(folder / name, utc(2025, 3, 6, 11, 0))
    report = ws.pull(src)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (22, 7, 1, 14)
    assert (report.cursor_before, report.cursor_after) == (
        "2025-03-05T11:05:06.096000+00:00", "2025-03-06T10:37:30.087000+00:00",
    )  # fmt: skip
    assert (ws.info("orders").cases, ws.info("orders").events) == (5, 22)
    assert [r["activity"] for r in rows(ws, "C")] == ELEMENTS
    approve = one(ws, "C", "Task_Approve")
    assert (approve["state"], approve["start_timestamp"]) == (
        "completed",
        utc(2025, 3, 4, 10, 49, 24, 132000),
    )
    assert approve["timestamp"] == utc(2025, 3, 4, 12, 5, 48, 177000)
    assert one(ws, "E", "Task_Approve")["resource"] == "eve"


def test_malformed_line_is_a_reject_naming_file_and_line(folder: Path) -> None:
    """A broken line in the middle of an NDJSON file is kept as a reject; the records around it load."""
    lines = ndjson(ZB["partition-3.ndjson"]).splitlines(keepends=True)
    lines.insert(10, '{"partitionId":3,"value":{"bpmnProcessId":\n')
    (folder / "partition-3.ndjson").write_text("".join(lines), encoding="utf-8")
    ws = open_workspace()
    report = ws.pull(source(folder))
    assert (report.inserted, report.rows_rejected) == (20, 1)
    (reason,) = report.rejected
    assert reason.startswith("partition-3.ndjson line 11: malformed JSON")
    assert ws.rejects("orders").column("reason").to_pylist() == [reason]
    assert [r["activity"] for r in rows(ws, "E")] == ELEMENTS


def test_truncated_files_are_clear_errors(folder: Path) -> None:
    """A cut-off last NDJSON line or a cut-off search dump stops the pull naming the file; nothing is written."""
    ws, src = open_workspace(), source(folder)
    ws.pull(src)
    text = ndjson(ZB["partition-3.ndjson"])
    (folder / "partition-3.ndjson").write_text(text[:-40], encoding="utf-8")
    with pytest.raises(
        MalformedSourceError, match=r"partition-3\.ndjson: line 30 is an incomplete JSON record"
    ):
        ws.pull(src)
    (folder / "partition-3.ndjson").unlink()
    dump = (folder / "partition-2-search.json").read_text(encoding="utf-8")
    (folder / "partition-2-search.json").write_text(dump[: len(dump) // 2], encoding="utf-8")
    with pytest.raises(MalformedSourceError, match=r"partition-2-search\.json: not complete JSON"):
        ws.pull(src)
    assert ws.info("orders").events == 15 and len(ws.source_loads("orders").to_pylist()) == 1


def test_process_versions_and_element_types_are_attributes(folder: Path) -> None:
    """Each row carries bpmn_process_id, version and element type (conformance per process version)."""
    (batch,) = list(source(folder).read(None))
    got = {(r["process_instance_key"], r["element_id"]): r for r in batch.to_pylist()}
    a, b = got[(KEYS["A"], "Task_Approve")], got[(KEYS["B"], "Task_Approve")]
    assert (a["bpmn_process_id"], a["version"], a["element_type"]) == ("order-process", 1, "USER_TASK")
    assert (b["version"], b["process_definition_key"], b["partition_id"]) == (2, 2251799813685002, 2)
    incident = got[(KEYS["B"], "Task_Validate")]
    assert (incident["incidents"], incident["open_incidents"]) == (1, 0)
    assert incident["incident_error"] == "JOB_NO_RETRIES: no stock"
    assert sorted({r["element_type"] for r in got.values()}) == [
        "END_EVENT",
        "SERVICE_TASK",
        "START_EVENT",
        "USER_TASK",
    ]


def test_commands_and_rejections_are_ignored(tmp_path: Path) -> None:
    """Only EVENT records count: a COMMAND and a COMMAND_REJECTION of the same element change nothing."""
    records = ZB["partition-3.ndjson"][:4]
    command = {**records[2], "recordType": "COMMAND", "intent": "COMPLETE_ELEMENT", "position": 99}
    rejection = {
        **records[2],
        "recordType": "COMMAND_REJECTION",
        "intent": "ELEMENT_COMPLETED",
        "position": 100,
    }
    (tmp_path / "r.json").write_text(json.dumps([*records, command, rejection]), encoding="utf-8")
    (batch,) = list(source(tmp_path).read(None))
    ((row),) = batch.to_pylist()
    assert (row["element_id"], row["state"], row["ended_at"]) == ("StartEvent_1", "active", None)


def test_config_file_builds_the_source(folder: Path, tmp_path: Path) -> None:
    """A YAML config with kind camunda8 builds a Source keyed by element instance, cursor changed_at."""
    register_source_kind("camunda8", "connectors.sources.camunda8:Camunda8Source")
    path = tmp_path / "camunda8.yaml"
    path.write_text(f"kind: camunda8\nname: orders\nsettings:\n  folder: {folder}\n", encoding="utf-8")
    built = build_source(read_source_config(path))
    assert isinstance(built, Source)
    assert (built.primary_key, built.cursor_column) == (("element_instance_key",), "changed_at")
    assert built.mapping["case_id_key"] == "process_instance_key"
    assert [s.name for s in built.discover()][1:] == ["partition-1.ndjson", "partition-2-search.json"]


def test_record_with_wrong_types_is_a_reject(tmp_path: Path) -> None:
    """A well-formed JSON line whose position is not a number is rejected naming the file and line."""
    records = [*ZB["partition-3.ndjson"][:4]]
    records[3] = {**records[3], "position": "late"}
    (tmp_path / "p.ndjson").write_text(ndjson(records), encoding="utf-8")
    batch = pa_rows(source(tmp_path))
    assert [r["__reject_reason"] for r in batch if r["__reject_reason"]] == [
        "p.ndjson line 4: not a Zeebe record (invalid literal for int() with base 10: 'late')"
    ]


def pa_rows(src: Camunda8Source) -> list[dict[str, Any]]:
    """Every row one read yields, rejects included."""
    return [r for b in src.read(None) for r in b.to_pylist()]
