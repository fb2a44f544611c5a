"""Read XES event logs (.xes, .xes.gz) into a RawSource: rustxes when it can, a safe lxml parser otherwise."""

from __future__ import annotations

import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from baton.errors import MalformedSourceError
from connectors.base import RawSource, existing_file, file_checksum, with_source_rows
from connectors.xmlsafety import is_gzip, open_xml_bytes, reject_dtd

Engine = Literal["auto", "rustxes", "lxml"]

CASE_KEY = "case:concept:name"
ACTIVITY_KEY = "concept:name"
TIMESTAMP_KEY = "time:timestamp"
RESOURCE_KEY = "org:resource"
LIFECYCLE_KEY = "lifecycle:transition"
CASE_PREFIX = "case:"
#: Date attributes that, when present, hold an event's start (interval logs).
START_KEYS = ("start_timestamp", "time:start_timestamp", "time:start", "start_time", "starttime")
_LEADING = (CASE_KEY, ACTIVITY_KEY, TIMESTAMP_KEY, *START_KEYS, RESOURCE_KEY, LIFECYCLE_KEY)
_UTC_US = pa.timestamp("us", tz="UTC")
_SCALARS = {"string", "date", "int", "float", "boolean", "id"}


def read_xes(path: str | Path, *, engine: Engine = "auto") -> RawSource:
    """Read an XES log (plain or gzip) into a RawSource, one row per event in file order.

    Trace attributes become ``case:``-prefixed columns (listed in ``case_attributes``); typed XES
    attributes stay typed (int64, float64, bool, dates as UTC timestamps). Lifecycle start/complete
    events are kept as separate rows: the loader merges them.

    Args:
        path: the .xes or .xes.gz file (gzip is recognised by content, not by name).
        engine: ``"rustxes"`` (fast), ``"lxml"`` (pure iterparse) or ``"auto"``: rustxes, falling back
            to lxml when rustxes cannot read the file.

    Returns:
        The RawSource, with the XES default mapping (``case:concept:name``, ``concept:name``,
        ``time:timestamp``, plus resource, lifecycle and start timestamp when present).

    Raises:
        UnsafeSourceError: the file declares a DTD or entities.
        MalformedSourceError: empty, not XML, not XES, truncated or corrupt (gzip) file, no events.
    """
    p = existing_file(path)
    root = reject_dtd(p, source_name=str(p))
    if root != "log":
        raise MalformedSourceError(
            f"{p}: the XML root element is <{root}>, expected <log>: this is not an XES event log; "
            "export the log as XES (or import it with the matching connector)"
        )
    gz = is_gzip(p)
    detected: dict[str, Any] = {"compressed": "gzip" if gz else "none"}
    table = None
    if engine in ("auto", "rustxes"):
        table, error = _read_rustxes(p, gz)
        if table is None:
            detected["rustxes_error"] = error
            if engine == "rustxes":
                raise MalformedSourceError(f"{p}: rustxes could not read the file ({error})")
        else:
            detected["parser"] = "rustxes"
    if table is None:
        table = read_xes_lxml(p)
        detected["parser"] = "lxml"
    if table.num_rows == 0:
        raise MalformedSourceError(f"{p}: the XES log holds no events (no <event> inside a <trace>)")
    table = with_source_rows(_order_columns(table))
    return RawSource(
        path=p,
        format="xes",
        table=table,
        detected=detected,
        default_mapping=_default_mapping(table.schema),
        case_attributes=tuple(n for n in table.column_names if n.startswith(CASE_PREFIX)),
        checksum=file_checksum(p),
    )


def _read_rustxes(p: Path, gz: bool) -> tuple[pa.Table | None, str]:
    """Read with rustxes; return (None, reason) when it fails (rustxes panics on bad input)."""
    import rustxes

    with tempfile.TemporaryDirectory(prefix="baton-xes-") as tmp:
        # rustxes decides gzip by the file name: hand it a name that tells the truth.
        wanted = ".xes.gz" if gz else ".xes"
        target = p
        if not p.name.lower().endswith(wanted) or (not gz and p.name.lower().endswith(".gz")):
            target = Path(tmp) / f"log{wanted}"
            target.symlink_to(p.resolve())
        try:
            frame, _log_attributes = rustxes.import_xes(str(target))
        except BaseException as exc:  # rustxes raises pyo3 PanicException, a BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            return None, str(exc).splitlines()[0][:300]
    import polars as pl

    return _normalise(frame.to_arrow(compat_level=pl.CompatLevel.oldest())), ""


def _normalise(table: pa.Table) -> pa.Table:
    """Dates to UTC microsecond timestamps, all-null columns to strings, strings to one type."""
    columns = []
    for column in table.columns:
        t = column.type
        if pa.types.is_timestamp(t):
            column = column.cast(pa.timestamp(t.unit, tz=t.tz or "UTC")).cast(_UTC_US, safe=False)
        elif pa.types.is_date(t):
            column = column.cast(pa.timestamp("us")).cast(_UTC_US)
        elif pa.types.is_null(t) or pa.types.is_string_view(t):
            column = column.cast(pa.large_string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _order_columns(table: pa.Table) -> pa.Table:
    """Stable column order: the XES standard keys first, then event, then case attributes, by name."""
    names = table.column_names
    lead = [n for n in _LEADING if n in names]
    rest = sorted(n for n in names if n not in lead)
    events = [n for n in rest if not n.startswith(CASE_PREFIX)]
    cases = [n for n in rest if n.startswith(CASE_PREFIX)]
    return table.select(lead + events + cases)


def _default_mapping(schema: pa.Schema) -> dict[str, str]:
    """The mapping XES implies; optional keys only when the log has them."""
    mapping = {"case_id_key": CASE_KEY, "activity_key": ACTIVITY_KEY, "timestamp_key": TIMESTAMP_KEY}
    names = set(schema.names)
    if RESOURCE_KEY in names:
        mapping["resource_key"] = RESOURCE_KEY
    if LIFECYCLE_KEY in names:
        mapping["lifecycle_key"] = LIFECYCLE_KEY
    for key in START_KEYS:
        if key in names and pa.types.is_timestamp(schema.field(key).type):
            mapping["start_timestamp_key"] = key
            break
    return mapping


# ---- the lxml fallback parser --------------------------------------------------------------------


class _Columns:
    """Column-wise accumulator: raw text values plus the XES types seen per key."""

    def __init__(self) -> None:
        self.values: dict[str, list[str | None]] = {}
        self.types: dict[str, set[str]] = {}
        self.rows = 0

    def add_row(self, row: dict[str, tuple[str, str]]) -> None:
        for key, (xes_type, value) in row.items():
            column = self.values.get(key)
            if column is None:
                column = self.values[key] = []
                self.types[key] = set()
            if len(column) < self.rows:  # pad the events that lacked this attribute
                column.extend([None] * (self.rows - len(column)))
            column.append(value)
            self.types[key].add(xes_type)
        self.rows += 1

    def to_table(self) -> pa.Table:
        for column in self.values.values():
            column.extend([None] * (self.rows - len(column)))
        return pa.table({k: _typed(v, self.types[k]) for k, v in self.values.items()})


def read_xes_lxml(path: Path) -> pa.Table:
    """Parse an XES file with lxml iterparse (no entities, no network, no DTD), one row per event.

    Raises:
        MalformedSourceError: the XML is not well-formed or the gzip is truncated/corrupt.
    """
    columns = _Columns()
    parser_options: dict[str, Any] = {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": True,
    }
    try:
        with open_xml_bytes(path) as fh:
            for _, trace in etree.iterparse(fh, events=("end",), tag="{*}trace", **parser_options):
                _add_trace(trace, columns)
                trace.clear(keep_tail=True)
                while trace.getprevious() is not None:
                    del trace.getparent()[0]
    except (EOFError, zlib.error, OSError) as exc:
        raise MalformedSourceError(
            f"{path}: the .gz file is truncated or corrupt ({exc}); re-download or re-export it"
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise MalformedSourceError(
            f"{path}: not well-formed XML ({exc}); the file may be truncated - re-export it"
        ) from exc
    return _normalise(columns.to_table())


def _attributes(element: Any, prefix: str = "") -> dict[str, tuple[str, str]]:
    """The scalar XES attributes directly under an element, as {key: (type, value)}."""
    found = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        kind = etree.QName(child).localname
        if kind in _SCALARS and child.get("key") is not None:
            found[prefix + child.get("key")] = (kind, child.get("value"))
    return found


def _add_trace(trace: Any, columns: _Columns) -> None:
    """Append one row per event of a trace, with the trace attributes as ``case:`` columns."""
    case = _attributes(trace, CASE_PREFIX)
    for event in trace.iterchildren("{*}event"):
        columns.add_row(case | _attributes(event))


def _typed(values: list[str | None], kinds: set[str]) -> pa.Array:
    """Convert raw attribute text to an Arrow array of the XES type (mixed types stay text)."""
    text = pa.array(values, type=pa.large_string())
    try:
        if kinds == {"int"}:
            return text.cast(pa.int64())
        if kinds <= {"int", "float"}:
            return text.cast(pa.float64())
        if kinds == {"boolean"}:
            return text.cast(pa.bool_())
        if kinds == {"date"}:
            return _dates(values, text)
    except (pa.ArrowInvalid, ValueError):
        return text
    return text


def _dates(values: list[str | None], text: pa.Array) -> pa.Array:
    """ISO 8601 text to UTC timestamps; values without an offset are taken as UTC."""
    try:
        return text.cast(_UTC_US)
    except pa.ArrowInvalid:
        parsed = [None if v is None else datetime.fromisoformat(v) for v in values]
        fixed = [d if d is None or d.tzinfo else d.replace(tzinfo=UTC) for d in parsed]
        return pc.cast(pa.array(fixed, type=_UTC_US), _UTC_US)
