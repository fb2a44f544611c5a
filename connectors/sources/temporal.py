"""Temporal workflow histories (JSON exports in a folder) as activity instances: scheduled, started, ended.

Each file is one workflow execution's history as ``temporal workflow show --output json`` writes it (the
History proto's JSON form ``{"events": [...]}``, also ``{"history": {"events": [...]}}``, a bare list, or
JSON lines with one event each). Event types are read in both spellings (``EVENT_TYPE_ACTIVITY_TASK_STARTED``
and ``ActivityTaskStarted``).

One row per activity instance, keyed by (workflow id, run id, scheduled event id):

- ``scheduled_at`` (ActivityTaskScheduled), ``started_at`` (ActivityTaskStarted; ``attempt`` and the worker
  ``identity`` as resource), ``ended_at`` and ``state`` from Completed / Failed / TimedOut / Canceled
  (``retry_state`` and the ``failure`` message of failures and time-outs).
- ``timestamp`` = ``ended_at``, else ``started_at``, else ``scheduled_at``; ``start_timestamp`` = ``started_at``
  else ``scheduled_at``; ``waiting_seconds`` = started - scheduled.
- Not yet ended instances have ``state = 'scheduled'`` (or ``'started'``) and ``ended_at`` NULL. Temporal
  writes an activity's Started event only when its last attempt ends, so a running or retrying activity shows
  as ``scheduled``; earlier attempts leave no events: only the final ``attempt`` number and the Started
  event's ``last_failure`` tell of them, and ``started_at`` is the last attempt's start (retry time counts
  as waiting).

Workflow id: ``workflowId`` of WorkflowExecutionStarted (servers >= 1.21), else the file name without its
suffix. Run id: ``originalExecutionRunId`` of that event.

Cursor ``changed_at``: the time of an instance's latest event. A pull re-reads every file modified at or
after the cursor (minus ``lookback_seconds``: set it to cover clock skew between the Temporal server and
this file system), whole, so re-exported histories of running workflows update their rows; unchanged rows
count as unchanged. Files copied with an older preserved modification time (``cp -p``) are not seen: touch
them. Rows are never deleted when a file is removed. A file that is not complete JSON (cut off while being
written) stops the pull with an error naming it; a malformed line of a JSON-lines file becomes a reject.

The folder helpers here are shared with ``connectors.sources.camunda8``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import pyarrow as pa

from baton.errors import FatalSourceError, MalformedSourceError
from connectors.sources.base import REJECT_REASON, CursorValue, SourceConfig, Stream

TS = pa.timestamp("us", tz="UTC")
LINE_SUFFIXES = (".jsonl", ".ndjson")
BATCH_ROWS = 5_000


# ---- folder helpers (shared with camunda8) -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FolderSettings:
    """Where the exported files are: a folder and a glob pattern of file names in it (recursive with **)."""

    folder: Path
    pattern: str


def folder_settings(config: SourceConfig, default_pattern: str) -> FolderSettings:
    """The ``folder`` and ``pattern`` settings of a config (FatalSourceError naming an unknown key)."""
    where = f"{config.path or 'source config'}: source {config.name!r}"
    unknown = sorted(set(config.settings) - {"folder", "pattern"})
    if unknown:
        raise FatalSourceError(f"{where}: unknown setting {unknown[0]!r}; the settings are folder, pattern")
    folder = config.settings.get("folder")
    if not isinstance(folder, str) or not folder.strip():
        raise FatalSourceError(f"{where}: settings.folder is missing; give the folder of the exported files")
    pattern = config.settings.get("pattern", default_pattern)
    if not isinstance(pattern, str) or not pattern:
        raise FatalSourceError(f"{where}: settings.pattern must be a glob such as {default_pattern!r}")
    return FolderSettings(Path(folder).expanduser(), pattern)


def check_folder(settings: FolderSettings, name: str) -> None:
    """FatalSourceError when the folder is missing or not a folder."""
    if not settings.folder.is_dir():
        raise FatalSourceError(
            f"source {name!r}: folder {str(settings.folder)!r} does not exist or is not a folder; fix "
            "settings.folder"
        )


def list_files(settings: FolderSettings) -> list[tuple[Path, datetime]]:
    """The matching files, by name, with their modification times (UTC)."""
    found = [p for p in settings.folder.glob(settings.pattern) if p.is_file()]
    return [(p, datetime.fromtimestamp(p.stat().st_mtime_ns / 1e9, tz=UTC)) for p in sorted(found)]


def as_utc(cursor: CursorValue | None) -> datetime | None:
    """A time cursor as an aware UTC datetime (naive means UTC); None stays None."""
    if cursor is None:
        return None
    if not isinstance(cursor, datetime):
        raise FatalSourceError(f"the cursor {cursor!r} is not a time; delete the log and pull again")
    return cursor.replace(tzinfo=UTC) if cursor.tzinfo is None else cursor.astimezone(UTC)


def json_lines(path: Path, text: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, document, None) per JSON line, or (line, None, reason) for a malformed one.

    Raises:
        MalformedSourceError: the last line is incomplete (the file was cut off or is being written).
    """
    lines = text.split("\n")
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield no, json.loads(line), None
        except json.JSONDecodeError as exc:
            if no == len(lines):  # no newline after it: cut off, not a bad record
                raise MalformedSourceError(
                    f"{path}: line {no} is an incomplete JSON record (the file is truncated or still being "
                    "written); complete or remove that line and pull again"
                ) from exc
            yield no, None, f"{path.name} line {no}: malformed JSON ({exc.msg}): {line[:80]!r}"


def read_document(path: Path, text: str) -> Any:
    """The one JSON document of a file, or MalformedSourceError naming the file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedSourceError(
            f"{path}: not complete JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the file is "
            "truncated or still being written: export it again and pull"
        ) from exc


def read_text(path: Path) -> str:
    """A file's text (UTF-8), or MalformedSourceError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise MalformedSourceError(f"{path}: cannot be read as UTF-8 JSON text ({exc})") from exc


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 time (nanoseconds allowed, cut to microseconds) as aware UTC; None for empty."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text)).astimezone(UTC)


def batches(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Rows as record batches of one schema."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(chunk, schema=schema)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


# ---- Temporal --------------------------------------------------------------------------------------------
SCHEMA = pa.schema([
    ("workflow_id", pa.string()), ("run_id", pa.string()), ("scheduled_event_id", pa.int64()),
    ("activity", pa.string()), ("activity_id", pa.string()), ("workflow_type", pa.string()),
    ("task_queue", pa.string()), ("state", pa.string()), ("scheduled_at", TS), ("started_at", TS),
    ("ended_at", TS), ("timestamp", TS), ("start_timestamp", TS), ("resource", pa.string()),
    ("attempt", pa.int64()), ("retry_state", pa.string()), ("failure", pa.string()),
    ("last_failure", pa.string()), ("waiting_seconds", pa.float64()), ("changed_at", TS),
    ("file", pa.string()), (REJECT_REASON, pa.string()),
])  # fmt: skip
ENDS = {
    "ACTIVITY_TASK_COMPLETED": "completed",
    "ACTIVITY_TASK_FAILED": "failed",
    "ACTIVITY_TASK_TIMED_OUT": "timed_out",
    "ACTIVITY_TASK_CANCELED": "canceled",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_kind(event_type: Any) -> str:
    """``EVENT_TYPE_ACTIVITY_TASK_STARTED`` or ``ActivityTaskStarted`` -> ``ACTIVITY_TASK_STARTED``."""
    text = str(event_type or "")
    if text.startswith("EVENT_TYPE_"):
        return text[len("EVENT_TYPE_") :]
    return _CAMEL.sub("_", text).upper()


def attributes(event: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """An event's ``...EventAttributes`` object (``activityTaskStartedEventAttributes`` ...)."""
    head, *rest = kind.lower().split("_")
    found = event.get(head + "".join(w.title() for w in rest) + "EventAttributes")
    return found if isinstance(found, dict) else {}


def _failure(attrs: Mapping[str, Any], key: str = "failure") -> str | None:
    failure = attrs.get(key)
    return str(failure.get("message") or "") or None if isinstance(failure, dict) else None


class TemporalSource:
    """Activity instances of the Temporal workflow histories exported into a folder (see the module doc)."""

    kind: ClassVar[str] = "temporal"
    default_pattern: ClassVar[str] = "*.*json*"

    def __init__(self, config: SourceConfig, settings: FolderSettings) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping) or {
            "case_id_key": "workflow_id", "activity_key": "activity", "timestamp_key": "timestamp",
            "start_timestamp_key": "start_timestamp", "resource_key": "resource",
        }  # fmt: skip
        self.primary_key: tuple[str, ...] = tuple(config.primary_key) or (
            "workflow_id", "run_id", "scheduled_event_id",
        )  # fmt: skip
        self.cursor_column: str = config.cursor_column or "changed_at"
        self.lookback_seconds = config.lookback_seconds
        self.settings = settings

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Build from settings ``folder`` (required) and ``pattern`` (default ``*.*json*``: .json, .jsonl, .ndjson)."""
        return cls(config, folder_settings(config, cls.default_pattern))

    def check(self) -> None:
        """FatalSourceError when the folder is missing."""
        check_folder(self.settings, self.name)

    def discover(self) -> list[Stream]:
        """One stream: the activity instances, with their columns."""
        self.check()
        files = list_files(self.settings)
        cols = {f.name: str(f.type) for f in SCHEMA if f.name != REJECT_REASON}
        return [Stream("activity_instances", cols, None), *(Stream(p.name, {}, None) for p, _ in files)]

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Activity instances of every file modified at or after the cursor (all files when None)."""
        self.check()
        since = as_utc(cursor)
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        rejects: list[dict[str, Any]] = []
        for path, modified in list_files(self.settings):
            if since is not None and modified < since:
                continue
            events, bad = history_events(path)
            rejects += [{"file": path.name, REJECT_REASON: reason} for reason in bad]
            for row in activity_rows(events, path):
                key = (row["workflow_id"], row["run_id"], row["scheduled_event_id"])
                if key not in latest or row["changed_at"] >= latest[key]["changed_at"]:
                    latest[key] = row  # the same execution in two exports: the newer one wins
        yield from batches([*latest.values(), *rejects], SCHEMA)

    def describe(self) -> dict[str, Any]:
        """Folder and pattern (no secrets)."""
        return {"kind": self.kind, "folder": str(self.settings.folder), "pattern": self.settings.pattern}


def history_events(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """A history file's events and the reasons of its malformed lines (JSON lines files only)."""
    text = read_text(path)
    if path.suffix.lower() in LINE_SUFFIXES:
        events, bad = [], []
        for _no, doc, reason in json_lines(path, text):
            if reason is not None:
                bad.append(reason)
            elif isinstance(doc, dict):
                events.append(doc)
        return events, bad
    doc = read_document(path, text)
    if isinstance(doc, dict):
        doc = doc.get("events", (doc.get("history") or {}).get("events"))
    if not isinstance(doc, list):
        raise MalformedSourceError(
            f'{path}: expected a Temporal history ({{"events": [...]}}); export it with '
            "`temporal workflow show --workflow-id ID --output json`"
        )
    return [e for e in doc if isinstance(e, dict)], []


def activity_rows(events: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """One row per ActivityTaskScheduled event of one execution's history, followed to its end."""
    execution = {"workflow_id": path.name.split(".")[0], "run_id": "", "workflow_type": None}
    acts: dict[int, dict[str, Any]] = {}
    for event in events:
        try:
            _apply(event, execution, acts, path)
        except (ValueError, TypeError, AttributeError) as exc:
            raise MalformedSourceError(
                f"{path}: event {event.get('eventId')!r} is not a Temporal history event ({exc}); export the "
                "history again with `temporal workflow show --output json`"
            ) from exc
    return [{**row, **execution, "scheduled_event_id": sid} for sid, row in acts.items()]


def _apply(
    event: Mapping[str, Any], execution: dict[str, Any], acts: dict[int, dict[str, Any]], path: Path
) -> None:
    """Apply one history event to the execution's metadata or its activity instances."""
    kind = event_kind(event.get("eventType"))
    attrs = attributes(event, kind)
    at = parse_time(event.get("eventTime"))
    if kind == "WORKFLOW_EXECUTION_STARTED":
        execution.update({
            "workflow_id": attrs.get("workflowId") or execution["workflow_id"],
            "run_id": attrs.get("originalExecutionRunId") or "",
            "workflow_type": (attrs.get("workflowType") or {}).get("name"),
        })  # fmt: skip
    elif kind == "ACTIVITY_TASK_SCHEDULED":
        acts[int(event.get("eventId", 0))] = _scheduled(attrs, at, path)
    elif kind == "ACTIVITY_TASK_STARTED" or kind in ENDS:
        row = acts.get(int(attrs.get("scheduledEventId", -1)))
        if row is not None:
            _follow(row, kind, attrs, at)


def _scheduled(attrs: Mapping[str, Any], at: datetime | None, path: Path) -> dict[str, Any]:
    return {
        "activity": (attrs.get("activityType") or {}).get("name"),
        "activity_id": attrs.get("activityId"),
        "task_queue": (attrs.get("taskQueue") or {}).get("name"),
        "state": "scheduled", "scheduled_at": at, "started_at": None, "ended_at": None,
        "timestamp": at, "start_timestamp": at, "resource": None, "attempt": None, "retry_state": None,
        "failure": None, "last_failure": None, "waiting_seconds": None, "changed_at": at,
        "file": path.name, REJECT_REASON: None,
    }  # fmt: skip


def _follow(row: dict[str, Any], kind: str, attrs: Mapping[str, Any], at: datetime | None) -> None:
    """Apply a Started or ending event to an instance's row."""
    if kind == "ACTIVITY_TASK_STARTED":
        row.update(started_at=at, start_timestamp=at, attempt=int(attrs.get("attempt", 1)))
        row.update(
            resource=attrs.get("identity") or row["resource"], last_failure=_failure(attrs, "lastFailure")
        )
        if row["state"] == "scheduled":
            row.update(state="started", timestamp=at)
        if at is not None and row["scheduled_at"] is not None:
            row["waiting_seconds"] = (at - row["scheduled_at"]).total_seconds()
    else:
        row.update(state=ENDS[kind], ended_at=at, timestamp=at, failure=_failure(attrs))
        row.update(retry_state=attrs.get("retryState"), resource=row["resource"] or attrs.get("identity"))
    if at is not None and (row["changed_at"] is None or at > row["changed_at"]):
        row["changed_at"] = at
