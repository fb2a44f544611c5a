"""Tests of the OCEL 2.0 connector: flattening per object type, compared with pm4py and across encodings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from baton.errors import MalformedSourceError, MappingError, UnsafeSourceError, UnsupportedFormatError
from connectors.base import SOURCE_ROW
from connectors.ocel import list_object_types, read_ocel

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ocel"
ENCODINGS = {
    "json": "ocel20_example.jsonocel",
    "xml": "ocel20_example.xmlocel",
    "sqlite": "ocel20_example.sqlite",
}
TYPES = ["Invoice", "Payment", "Purchase Order", "Purchase Requisition"]
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared OCEL examples absent: {SHARED}")


def _pm4py_flat(encoding: str, object_type: str):  # type: ignore[no-untyped-def]
    """pm4py's own reading and flattening of a trusted shared example."""
    import pm4py

    reader = {"json": pm4py.read_ocel2_json, "xml": pm4py.read_ocel2_xml, "sqlite": pm4py.read_ocel2_sqlite}
    return pm4py.ocel_flattening(reader[encoding](str(SHARED / ENCODINGS[encoding])), object_type)


@needs_shared
@pytest.mark.shared_data
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_object_types_listed(encoding: str) -> None:
    """list_object_types offers the four object types of the example, sorted."""
    assert list_object_types(SHARED / ENCODINGS[encoding]) == TYPES


@needs_shared
@pytest.mark.shared_data
@pytest.mark.parametrize("object_type", TYPES)
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_flattening_matches_pm4py(encoding: str, object_type: str) -> None:
    """Rows, cases, activity counts, (event, object) pairs, times and case attributes equal pm4py's flattening."""
    raw = read_ocel(SHARED / ENCODINGS[encoding], object_type=object_type)
    ref = _pm4py_flat(encoding, object_type)
    rows = raw.table.to_pylist()
    assert len(rows) == len(ref)
    assert len({r["case:concept:name"] for r in rows}) == ref["case:concept:name"].nunique()
    assert Counter(r["concept:name"] for r in rows) == Counter(ref["concept:name"].tolist())
    ours = {(r["ocel:eid"], r["case:concept:name"]): r for r in rows}
    times = ref["time:timestamp"]
    times = times.dt.tz_convert("UTC").dt.tz_localize(None) if times.dt.tz is not None else times
    theirs = dict(zip(zip(ref["ocel:eid"], ref["case:concept:name"], strict=True), times, strict=True))
    assert set(ours) == set(theirs)
    for key, moment in theirs.items():
        assert ours[key]["time:timestamp"].replace(tzinfo=None) == moment.to_pydatetime()
    for column in raw.case_attributes:
        expected = dict(zip(ref["case:concept:name"], ref[column], strict=True))
        got = {r["case:concept:name"]: r[column] for r in rows}
        assert got == {k: (None if v is None or v != v else str(v)) for k, v in expected.items()}
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, len(rows) + 1))


@needs_shared
@pytest.mark.shared_data
@pytest.mark.parametrize("object_type", TYPES)
def test_three_encodings_agree(object_type: str) -> None:
    """JSON, XML and SQLite give the same rows in the same order (XML and SQLite also the same times)."""
    tables = {e: read_ocel(SHARED / f, object_type=object_type).table for e, f in ENCODINGS.items()}
    keep = [n for n in tables["json"].column_names if n != "time:timestamp"]
    assert tables["json"].select(keep).equals(tables["xml"].select(keep))
    assert tables["xml"].equals(tables["sqlite"])
    # The example's JSON says 14:00+00:00 where XML and SQLite say 15:00 without an offset (read as UTC).
    shift = pa.compute.subtract(tables["xml"]["time:timestamp"], tables["json"]["time:timestamp"])
    assert set(shift.to_pylist()) == {pa.scalar(3_600_000_000, pa.duration("us")).as_py()}


@needs_shared
@pytest.mark.shared_data
def test_mapping_and_format() -> None:
    """The flattened source maps case/activity/timestamp and records the object type."""
    raw = read_ocel(SHARED / ENCODINGS["sqlite"], object_type="Invoice")
    assert raw.format == "ocel-sqlite"
    assert raw.default_mapping == {
        "case_id_key": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
    }
    assert raw.detected["object_type"] == "Invoice"
    assert "case:is_blocked" in raw.case_attributes


@needs_shared
@pytest.mark.shared_data
def test_wrong_object_type_lists_choices() -> None:
    """An unknown object type raises MappingError naming it and the available types."""
    with pytest.raises(MappingError, match="'Order'.*Invoice, Payment, Purchase Order, Purchase Requisition"):
        read_ocel(SHARED / ENCODINGS["json"], object_type="Order")


def _small_json(tmp_path: Path) -> Path:
    """A hand-written OCEL 2.0 JSON log with typed attributes and a changing object attribute."""
    data = {
        "objectTypes": [{"name": "order", "attributes": [{"name": "size", "type": "integer"}]}],
        "eventTypes": [
            {
                "name": "pay",
                "attributes": [
                    {"name": "amount", "type": "float"},
                    {"name": "urgent", "type": "boolean"},
                    {"name": "n", "type": "integer"},
                    {"name": "due", "type": "time"},
                ],
            }
        ],
        "objects": [
            {
                "id": "o1",
                "type": "order",
                "attributes": [
                    {"name": "size", "time": "2024-02-01T00:00:00Z", "value": "9"},
                    {"name": "size", "time": "2024-01-01T00:00:00Z", "value": "3"},
                ],
            },
            {"id": "x", "type": "other"},
        ],
        "events": [
            {
                "id": "e1",
                "type": "pay",
                "time": "2024-01-05T10:00:00+01:00",
                "attributes": [
                    {"name": "amount", "value": "12.5"},
                    {"name": "urgent", "value": "true"},
                    {"name": "n", "value": 4},
                    {"name": "due", "value": "2024-01-06T00:00:00Z"},
                ],
                "relationships": [{"objectId": "o1", "qualifier": "a"}, {"objectId": "x", "qualifier": "b"}],
            }
        ],
    }
    path = tmp_path / "small.jsonocel"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_typed_attributes_and_initial_object_values(tmp_path: Path) -> None:
    """Declared types are kept; the case attribute is the object's earliest value; times go to UTC."""
    raw = read_ocel(_small_json(tmp_path), object_type="order")
    (row,) = raw.table.to_pylist()
    assert row["amount"] == 12.5 and row["urgent"] is True and row["n"] == 4
    assert row["due"].isoformat() == "2024-01-06T00:00:00+00:00"
    assert row["time:timestamp"].isoformat() == "2024-01-05T09:00:00+00:00"
    assert row["case:size"] == 3
    assert raw.table.schema.field("case:size").type == pa.int64()
    assert list_object_types(tmp_path / "small.jsonocel") == ["order", "other"]


def test_xml_with_doctype_refused(tmp_path: Path) -> None:
    """An OCEL XML declaring an external entity is refused and the secret file is never read into output."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    path = tmp_path / "evil.xmlocel"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<log><events><event id="e1" type="&s;" time="2024-01-01T00:00:00"/></events></log>',
        encoding="utf-8",
    )
    with pytest.raises(UnsafeSourceError, match="DOCTYPE") as info:
        list_object_types(path)
    assert "TOP-SECRET-42" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.jsonocel", b"", MalformedSourceError, "empty"),
        ("cut.jsonocel", b'{"objectTypes": [{"name": "a"', MalformedSourceError, "not valid JSON"),
        ("junk.sqlite", bytes(range(1, 200)), UnsupportedFormatError, "not an OCEL 2.0 log"),
        ("cut.xmlocel", b"<log><events><event id='e1'", MalformedSourceError, "not well-formed"),
        ("other.sqlite", b"SQLite format 3\x00" + b"\x00" * 200, MalformedSourceError, "SQLite"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: bytes, error: type[Exception], message: str) -> None:
    """Empty, truncated and foreign files raise the matching Baton error naming the problem."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_ocel(path, object_type="a")
