"""Camunda 8 (Zeebe) exporter records (JSON files in a folder) as BPMN element instances with start and end.

Records are read as the Elasticsearch / OpenSearch exporter writes them, one document per record
(``partitionId``, ``key``, ``position``, ``timestamp`` in epoch ms, ``valueType``, ``intent``, ``recordType``,
``value``): from JSON-lines files (``*.ndjson``, ``*.jsonl``: one record a line), or ``*.json`` files holding an
Elasticsearch ``_search`` response (``hits.hits[]._source``), a list of records, or one record.

One row per element instance (PROCESS_INSTANCE records' ``key``), for every BPMN element but the process
itself and sequence flows:

- case ``process_instance_key``; activity ``element_id``; ``bpmn_process_id``, ``version`` and
  ``process_definition_key`` (conformance per version), ``element_type``, ``flow_scope_key``.
- ``start_timestamp`` = ELEMENT_ACTIVATED (else ACTIVATING); ``ended_at`` = ELEMENT_COMPLETED or
  ELEMENT_TERMINATED, ``state`` = completed / terminated, else ``active`` with ``ended_at`` NULL;
  ``timestamp`` = ``ended_at``, else the start.
- ``resource``: the user task's ``assignee`` (USER_TASK records) or the job ``worker`` (JOB records) of the
  latest record that names one; ``job_type``, ``job_failures`` (JOB FAILED records);
  ``incidents`` / ``open_incidents`` and the last ``incident_error`` (INCIDENT CREATED / RESOLVED).
- Only ``recordType: EVENT`` records count (commands and rejections say nothing happened).

Cursor ``changed_at``: the time of an instance's latest record. The records of one instance may lie in
several files (an exporter dump per day), so every pull parses every file and yields the instances with a
record in a file modified at or after the cursor (minus ``lookback_seconds``: set it to cover clock skew
between Zeebe and this file system) or a record at or after the cursor: appended records and new files
update or add their instances; unchanged rows count as unchanged. A malformed line becomes a reject naming
the file and line (reported while its file is new or changed); a cut-off last line or a ``.json`` file
that is not complete JSON stops the pull with an error naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import pyarrow as pa

from baton.errors import MalformedSourceError
from connectors.sources.base import REJECT_REASON, CursorValue, SourceConfig, Stream
from connectors.sources.temporal import (
    LINE_SUFFIXES,
    TS,
    FolderSettings,
    as_utc,
    batches,
    check_folder,
    folder_settings,
    json_lines,
    list_files,
    read_document,
    read_text,
)

SCHEMA = pa.schema([
    ("element_instance_key", pa.int64()), ("process_instance_key", pa.int64()), ("element_id", pa.string()),
    ("element_type", pa.string()), ("bpmn_process_id", pa.string()), ("version", pa.int64()),
    ("process_definition_key", pa.int64()), ("flow_scope_key", pa.int64()), ("state", pa.string()),
    ("start_timestamp", TS), ("ended_at", TS), ("timestamp", TS), ("resource", pa.string()),
    ("job_type", pa.string()), ("job_failures", pa.int64()), ("incidents", pa.int64()),
    ("open_incidents", pa.int64()), ("incident_error", pa.string()), ("partition_id", pa.int64()),
    ("position", pa.int64()), ("changed_at", TS), ("file", pa.string()), (REJECT_REASON, pa.string()),
])  # fmt: skip
SKIPPED_ELEMENTS = frozenset({"PROCESS", "SEQUENCE_FLOW"})
ENDS = {"ELEMENT_COMPLETED": "completed", "ELEMENT_TERMINATED": "terminated"}


def _ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC) if isinstance(value, int | float) else None


class _Instance:
    """What the records of one element instance say so far (order-independent: latest position wins)."""

    def __init__(self) -> None:
        self.row: dict[str, Any] = {k: None for k in SCHEMA.names}
        self.row.update(state="active", job_failures=0, incidents=0, open_incidents=0)
        self.activated: datetime | None = None
        self.activating: datetime | None = None
        self.resource_at: dict[str, int] = {}
        self.incident_keys: dict[int, bool] = {}
        self.touched = False  # has a record in a file changed since the cursor

    def add_element(self, rec: Mapping[str, Any], value: Mapping[str, Any], at: datetime | None) -> None:
        intent = rec.get("intent")
        row = self.row
        row.update(
            element_instance_key=rec.get("key"), process_instance_key=value.get("processInstanceKey"),
            element_id=value.get("elementId"), element_type=value.get("bpmnElementType"),
            bpmn_process_id=value.get("bpmnProcessId"), version=value.get("version"),
            process_definition_key=value.get("processDefinitionKey"), flow_scope_key=value.get("flowScopeKey"),
        )  # fmt: skip
        if intent == "ELEMENT_ACTIVATED":
            self.activated = at
        elif intent == "ELEMENT_ACTIVATING":
            self.activating = at
        elif intent in ENDS:
            row.update(state=ENDS[str(intent)], ended_at=at)

    def add_resource(self, field: str, who: Any, position: int) -> None:
        if isinstance(who, str) and who and position >= self.resource_at.get(field, -1):
            self.resource_at[field] = position
            self.row[field] = who

    def add_incident(self, key: int, intent: Any, value: Mapping[str, Any]) -> None:
        if intent == "CREATED":
            self.incident_keys.setdefault(key, True)
            self.row["incident_error"] = f"{value.get('errorType')}: {value.get('errorMessage')}"
        elif intent == "RESOLVED":
            self.incident_keys[key] = False

    def stamp(self, rec: Mapping[str, Any], at: datetime | None, path: Path) -> None:
        row = self.row
        position = int(rec.get("position") or 0)
        if row["position"] is None or position >= row["position"]:
            row.update(partition_id=rec.get("partitionId"), position=position, file=path.name)
        if at is not None and (row["changed_at"] is None or at > row["changed_at"]):
            row["changed_at"] = at

    def finish(self) -> dict[str, Any]:
        row = dict(self.row)
        start = self.activated or self.activating
        row.update(start_timestamp=start, timestamp=row["ended_at"] or start)
        row["resource"] = row.pop("assignee", None) or row.pop("worker", None)
        row["incidents"] = len(self.incident_keys)
        row["open_incidents"] = sum(self.incident_keys.values())
        return {k: row.get(k) for k in SCHEMA.names}


class Camunda8Source:
    """Element instances from Zeebe exporter records in a folder (see the module doc)."""

    kind: ClassVar[str] = "camunda8"
    default_pattern: ClassVar[str] = "*.*json*"

    def __init__(self, config: SourceConfig, settings: FolderSettings) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping) or {
            "case_id_key": "process_instance_key", "activity_key": "element_id", "timestamp_key": "timestamp",
            "start_timestamp_key": "start_timestamp", "resource_key": "resource",
        }  # fmt: skip
        self.primary_key: tuple[str, ...] = tuple(config.primary_key) or ("element_instance_key",)
        self.cursor_column: str = config.cursor_column or "changed_at"
        self.lookback_seconds = config.lookback_seconds
        self.settings = settings

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Build from settings ``folder`` (required) and ``pattern`` (default ``*.*json*``)."""
        return cls(config, folder_settings(config, cls.default_pattern))

    def check(self) -> None:
        """FatalSourceError when the folder is missing."""
        check_folder(self.settings, self.name)

    def discover(self) -> list[Stream]:
        """One stream: the element instances, with their columns; then the files."""
        self.check()
        cols = {f.name: str(f.type) for f in SCHEMA if f.name != REJECT_REASON}
        files = list_files(self.settings)
        return [Stream("element_instances", cols, None), *(Stream(p.name, {}, None) for p, _ in files)]

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Instances with a record in a file modified at or after the cursor, or a record at or after it."""
        self.check()
        since = as_utc(cursor)
        instances: dict[int, _Instance] = {}
        rejects: list[dict[str, Any]] = []
        for path, modified in list_files(self.settings):
            changed = since is None or modified >= since
            for where, rec, reason in _records(path):
                try:
                    if reason is None:
                        _collect(rec, path, changed, instances)
                except (ValueError, TypeError) as exc:
                    reason = f"{where}: not a Zeebe record ({exc})"
                if reason is not None and changed:
                    rejects.append({"file": path.name, REJECT_REASON: reason})
        rows = (
            inst.finish()
            for inst in instances.values()
            if inst.row["element_instance_key"] is not None
            and (inst.touched or since is None or (inst.row["changed_at"] or since) >= since)
        )
        yield from batches([*rows, *rejects], SCHEMA)

    def describe(self) -> dict[str, Any]:
        """Folder and pattern (no secrets)."""
        return {"kind": self.kind, "folder": str(self.settings.folder), "pattern": self.settings.pattern}


def _collect(rec: Mapping[str, Any], path: Path, changed: bool, instances: dict[int, _Instance]) -> None:
    """File one EVENT record under its element instance (element, job, user task or incident record)."""
    value = rec.get("value")
    if rec.get("recordType") != "EVENT" or not isinstance(value, dict):
        return
    kind, at, position = rec.get("valueType"), _ms(rec.get("timestamp")), int(rec.get("position") or 0)
    if kind == "PROCESS_INSTANCE":
        if value.get("bpmnElementType") in SKIPPED_ELEMENTS or not isinstance(rec.get("key"), int):
            return
        inst = instances.setdefault(int(rec["key"]), _Instance())
        inst.add_element(rec, value, at)
    elif kind in ("JOB", "USER_TASK", "INCIDENT") and isinstance(value.get("elementInstanceKey"), int):
        inst = instances.setdefault(int(value["elementInstanceKey"]), _Instance())
        if kind == "JOB":
            inst.add_resource("worker", value.get("worker"), position)
            inst.row["job_type"] = value.get("type") or inst.row["job_type"]
            inst.row["job_failures"] += rec.get("intent") == "FAILED"
        elif kind == "USER_TASK":
            inst.add_resource("assignee", value.get("assignee"), position)
        else:
            inst.add_incident(int(rec.get("key") or 0), rec.get("intent"), value)
    else:
        return
    inst.stamp(rec, at, path)
    inst.touched = inst.touched or changed


def _records(path: Path) -> Iterator[tuple[str, Mapping[str, Any], str | None]]:
    """(where, record, None) per record of a file; (where, {}, reason) per malformed line."""
    text = read_text(path)
    if path.suffix.lower() in LINE_SUFFIXES:
        for no, doc, reason in json_lines(path, text):
            where = f"{path.name} line {no}"
            if reason is not None:
                yield where, {}, reason
            else:
                yield from ((where, r, None) for r in _unwrap(doc, path))
    else:
        records = _unwrap(read_document(path, text), path)
        yield from ((f"{path.name} record {i}", r, None) for i, r in enumerate(records, 1))


def _unwrap(doc: Any, path: Path) -> list[Mapping[str, Any]]:
    """The records of a document: a record, a list of them, or an Elasticsearch search response."""
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict)]
    if isinstance(doc, dict) and isinstance(doc.get("hits"), dict):
        return [h["_source"] for h in doc["hits"].get("hits", []) if isinstance(h, dict) and "_source" in h]
    if isinstance(doc, dict) and "valueType" in doc:
        return [doc]
    raise MalformedSourceError(
        f"{path}: expected Zeebe exporter records (documents with valueType, intent, value) or an "
        "Elasticsearch _search response (hits.hits[]._source)"
    )
