"""Read OCEL 2.0 object-centric logs (JSON, XML, SQLite) flattened on one object type into a RawSource."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree

from baton.errors import BatonError, MalformedSourceError, MappingError, UnsupportedFormatError
from baton.schema import quote_identifier
from connectors.base import RawSource, existing_file, file_checksum, with_source_rows
from connectors.xmlsafety import reject_dtd

CASE_KEY = "case:concept:name"
ACTIVITY_KEY = "concept:name"
TIMESTAMP_KEY = "time:timestamp"
EVENT_ID_KEY = "ocel:eid"
_ARROW_TYPES = {
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "time": pa.timestamp("us", tz="UTC"),
}
_SQLITE_TYPES = {"INTEGER": "integer", "REAL": "float", "BOOLEAN": "boolean", "TIMESTAMP": "time"}


@dataclass
class _Event:
    id: str
    type: str
    time: datetime
    attributes: dict[str, Any]
    objects: list[str]


@dataclass
class _Ocel:
    """The parts of an OCEL 2.0 log a flattening needs (values still as read)."""

    format: str
    events: list[_Event] = field(default_factory=list)
    object_type: dict[str, str] = field(default_factory=dict)  # object id -> type
    object_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # initial values
    event_attr_types: dict[str, str] = field(default_factory=dict)
    object_attr_types: dict[str, dict[str, str]] = field(default_factory=dict)


def list_object_types(path: str | Path) -> list[str]:
    """The object types of an OCEL 2.0 log (declared or used), sorted, for choosing a flattening.

    Example:
        ``list_object_types("orders.jsonocel")`` -> ``['Invoice', 'Payment', 'Purchase Order']``
    """
    log = _read(existing_file(path))
    return sorted(set(log.object_attr_types) | set(log.object_type.values()))


def read_ocel(path: str | Path, *, object_type: str) -> RawSource:
    """Read an OCEL 2.0 log flattened on one object type: one row per (event, related object of that type).

    The case id is the object id (``case:concept:name``), the activity the event type
    (``concept:name``), the timestamp the event time (UTC; times without an offset are taken as UTC).
    Event attributes become typed columns; the case object's attributes (their first value) become
    ``case:<name>`` columns. Rows follow the events' file order, then the order of their relations.

    Args:
        path: a .jsonocel/.json, .xmlocel/.xml or .sqlite file (recognised by content).
        object_type: the object type whose objects become the cases.

    Raises:
        MappingError: the object type does not occur in the log (the message lists those that do).
        UnsafeSourceError: an XML file declares a DTD or entities.
        MalformedSourceError, UnsupportedFormatError: the file is not a readable OCEL 2.0 log.
    """
    p = existing_file(path)
    log = _read(p)
    types = sorted(set(log.object_attr_types) | set(log.object_type.values()))
    if object_type not in types:
        raise MappingError(
            f"{p}: object type {object_type!r} is not in this OCEL log; choose one of: {', '.join(types)}"
        )
    table = with_source_rows(_flatten(log, object_type))
    case_columns = tuple(n for n in table.column_names if n.startswith("case:"))
    return RawSource(
        path=p,
        format=f"ocel-{log.format}",
        table=table,
        detected={"object_type": object_type, "object_types": types, "events": len(log.events)},
        default_mapping={
            "case_id_key": CASE_KEY,
            "activity_key": ACTIVITY_KEY,
            "timestamp_key": TIMESTAMP_KEY,
        },
        case_attributes=case_columns,
        checksum=file_checksum(p),
    )


def _flatten(log: _Ocel, object_type: str) -> pa.Table:
    """One row per (event, distinct object of ``object_type``), typed columns."""
    rows: list[tuple[_Event, str]] = []
    for event in log.events:
        seen: set[str] = set()
        for oid in event.objects:
            if log.object_type.get(oid) == object_type and oid not in seen:
                seen.add(oid)
                rows.append((event, oid))
    columns: dict[str, pa.Array] = {
        CASE_KEY: pa.array([oid for _, oid in rows], type=pa.string()),
        ACTIVITY_KEY: pa.array([e.type for e, _ in rows], type=pa.string()),
        TIMESTAMP_KEY: pa.array([e.time for e, _ in rows], type=_ARROW_TYPES["time"]),
        EVENT_ID_KEY: pa.array([e.id for e, _ in rows], type=pa.string()),
    }
    for name in sorted(log.event_attr_types):
        kind = log.event_attr_types[name]
        values = [_cast(e.attributes.get(name), kind, f"event {e.id} attribute {name!r}") for e, _ in rows]
        columns.setdefault(name, pa.array(values, type=_ARROW_TYPES.get(kind, pa.string())))
    for name, kind in sorted(log.object_attr_types.get(object_type, {}).items()):
        values = [
            _cast(log.object_attributes.get(oid, {}).get(name), kind, f"object {oid} attribute {name!r}")
            for _, oid in rows
        ]
        columns.setdefault(f"case:{name}", pa.array(values, type=_ARROW_TYPES.get(kind, pa.string())))
    return pa.table(columns)


def _cast(value: Any, kind: str, where: str) -> Any:
    """An OCEL attribute value as its declared type (text formats give strings)."""
    if value is None or (isinstance(value, str) and value == "" and kind != "string"):
        return None
    try:
        if kind == "integer":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "boolean":
            return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1")
        if kind == "time":
            return _utc(value)
    except (TypeError, ValueError) as exc:
        raise MalformedSourceError(f"{where}: {value!r} is not a valid {kind}") from exc
    return str(value)


def _utc(value: Any) -> datetime:
    """An ISO 8601 time (or datetime) as an aware UTC datetime; no offset means UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- the three encodings -------------------------------------------------------------------------


def _read(p: Path) -> _Ocel:
    """Dispatch on the file's content (SQLite header, JSON object or XML)."""
    with p.open("rb") as fh:
        head = fh.read(64)
    try:
        if head.startswith(b"SQLite format 3\x00"):
            return _read_sqlite(p)
        first = head.lstrip()[:1]
        if first == b"{":
            return _read_json(p)
        if first == b"<" or head.startswith(b"\xef\xbb\xbf"):
            return _read_xml(p)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, BatonError):
            raise
        raise MalformedSourceError(f"{p}: not a valid OCEL 2.0 log ({type(exc).__name__}: {exc})") from exc
    if not head:
        raise MalformedSourceError(f"{p}: the file is empty; expected an OCEL 2.0 log")
    raise UnsupportedFormatError(
        f"{p}: not an OCEL 2.0 log; expected OCEL 2.0 JSON (.jsonocel), XML (.xmlocel) or SQLite (.sqlite)"
    )


def _read_json(p: Path) -> _Ocel:
    """OCEL 2.0 JSON: objectTypes, eventTypes, objects, events."""
    try:
        data = json.loads(p.read_bytes())
    except json.JSONDecodeError as exc:
        raise MalformedSourceError(f"{p}: not valid JSON ({exc}); the file may be truncated") from exc
    log = _Ocel("json")
    for ot in data.get("objectTypes", []):
        log.object_attr_types[ot["name"]] = {a["name"]: a["type"] for a in ot.get("attributes", [])}
    for et in data.get("eventTypes", []):
        for a in et.get("attributes", []):
            _declare(log.event_attr_types, a["name"], a["type"])
    for obj in data.get("objects", []):
        log.object_type[obj["id"]] = obj["type"]
        log.object_attributes[obj["id"]] = _initial_values(
            (a["name"], a.get("time"), a.get("value")) for a in obj.get("attributes", [])
        )
    for ev in data.get("events", []):
        log.events.append(
            _Event(
                id=str(ev["id"]),
                type=ev["type"],
                time=_utc(ev["time"]),
                attributes={a["name"]: a.get("value") for a in ev.get("attributes", [])},
                objects=[r["objectId"] for r in ev.get("relationships", [])],
            )
        )
    return log


def _read_xml(p: Path) -> _Ocel:
    """OCEL 2.0 XML, after refusing any DTD; parsed without entities or network."""
    root_name = reject_dtd(p, source_name=str(p))
    if root_name != "log":
        raise MalformedSourceError(f"{p}: the XML root is <{root_name}>, expected an OCEL 2.0 <log>")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        root = etree.parse(str(p), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise MalformedSourceError(f"{p}: not well-formed XML ({exc}); the file may be truncated") from exc
    log = _Ocel("xml")
    for ot in root.iterfind("object-types/object-type"):
        log.object_attr_types[ot.get("name")] = {
            a.get("name"): a.get("type") for a in ot.iterfind("attributes/attribute")
        }
    for et in root.iterfind("event-types/event-type"):
        for a in et.iterfind("attributes/attribute"):
            _declare(log.event_attr_types, a.get("name"), a.get("type"))
    for obj in root.iterfind("objects/object"):
        log.object_type[obj.get("id")] = obj.get("type")
        log.object_attributes[obj.get("id")] = _initial_values(
            (a.get("name"), a.get("time"), a.text) for a in obj.iterfind("attributes/attribute")
        )
    for ev in root.iterfind("events/event"):
        log.events.append(
            _Event(
                id=ev.get("id"),
                type=ev.get("type"),
                time=_utc(ev.get("time")),
                attributes={a.get("name"): a.text for a in ev.iterfind("attributes/attribute")},
                objects=[r.get("object-id") for r in ev.iterfind("objects/relationship")],
            )
        )
    return log


def _read_sqlite(p: Path) -> _Ocel:
    """OCEL 2.0 SQLite: event/object tables plus one table per event and object type (read-only)."""
    log = _Ocel("sqlite")
    con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        relations: dict[str, list[str]] = {}
        for eid, oid in con.execute("SELECT ocel_event_id, ocel_object_id FROM event_object ORDER BY rowid"):
            relations.setdefault(eid, []).append(oid)
        log.object_type = dict(con.execute("SELECT ocel_id, ocel_type FROM object ORDER BY rowid"))
        details: dict[str, tuple[datetime, dict[str, Any]]] = {}
        for (suffix,) in con.execute("SELECT ocel_type_map FROM event_map_type").fetchall():
            for eid, values in _type_rows(con, "event_" + suffix, log.event_attr_types).items():
                details[eid] = (_utc(values.pop("ocel_time")), values)
        for otype, suffix in con.execute("SELECT ocel_type, ocel_type_map FROM object_map_type").fetchall():
            types = log.object_attr_types.setdefault(otype, {})
            for oid, values in _type_rows(con, "object_" + suffix, types, first_only=True).items():
                values.pop("ocel_time", None)
                values.pop("ocel_changed_field", None)
                log.object_attributes[oid] = values
        for eid, etype in con.execute("SELECT ocel_id, ocel_type FROM event ORDER BY rowid"):
            time, attributes = details[eid]
            log.events.append(_Event(eid, etype, time, attributes, relations.get(eid, [])))
    except sqlite3.DatabaseError as exc:
        raise MalformedSourceError(f"{p}: not an OCEL 2.0 SQLite database ({exc})") from exc
    finally:
        con.close()
    return log


def _type_rows(
    con: sqlite3.Connection, table: str, types: dict[str, str], *, first_only: bool = False
) -> dict[str, dict[str, Any]]:
    """Rows of one per-type table keyed by ocel_id; declares the attribute columns' types."""
    columns = con.execute(f"PRAGMA table_info({quote_identifier(table)})").fetchall()
    names = [c[1] for c in columns]
    for _cid, name, decl, *_ in columns:
        if name not in ("ocel_id", "ocel_time", "ocel_changed_field"):
            _declare(types, name, _SQLITE_TYPES.get(str(decl).upper(), "string"))
    order = "ocel_time, rowid" if "ocel_time" in names else "rowid"
    query = f"SELECT * FROM {quote_identifier(table)} ORDER BY {order}"  # noqa: S608 - quoted identifier
    rows: dict[str, dict[str, Any]] = {}
    for row in con.execute(query):
        values = dict(zip(names, row, strict=True))
        oid = values.pop("ocel_id")
        if first_only and oid in rows:
            continue
        rows[oid] = values
    return rows


def _declare(types: dict[str, str], name: str, kind: str) -> None:
    """Record an attribute's type; the same name with two types across event types becomes text."""
    kind = kind or "string"
    types[name] = kind if types.get(name, kind) == kind else "string"


def _initial_values(attributes: Any) -> dict[str, Any]:
    """An object's attribute values at their earliest time (OCEL 2.0 attributes change over time)."""
    earliest: dict[str, tuple[datetime, Any]] = {}
    for name, time, value in attributes:
        moment = _utc(time) if time else datetime.min.replace(tzinfo=UTC)
        if name not in earliest or moment < earliest[name][0]:
            earliest[name] = (moment, value)
    return {name: value for name, (_, value) in earliest.items()}
