"""Tests of the XES connector and the XML safety check, cross-checked with pm4py on the shared real logs."""

from __future__ import annotations

import gzip
import io
from functools import cache
from pathlib import Path

import pyarrow as pa
import pytest

from baton.errors import MalformedSourceError, SourceNotFoundError, UnsafeSourceError
from connectors.base import SOURCE_ROW
from connectors.xes import read_xes
from connectors.xmlsafety import reject_dtd

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LOGS = sorted((SHARED / "logs").glob("*.xes*")) if (SHARED / "logs").is_dir() else []
needs_shared = pytest.mark.skipif(not LOGS, reason=f"shared logs absent: {SHARED / 'logs'}")

SMALL_XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace><string key="concept:name" value="c1"/><int key="priority" value="2"/>
    <event><string key="concept:name" value="a &amp; b"/><date key="time:timestamp" value="2020-01-01T10:00:00.123456+02:00"/>
      <int key="n" value="7"/><float key="x" value="1.5"/><boolean key="ok" value="true"/>
      <string key="lifecycle:transition" value="start"/></event>
    <event><string key="concept:name" value="c"/><date key="time:timestamp" value="2020-01-01T09:00:00Z"/>
      <int key="n" value="8"/><float key="x" value="2"/><boolean key="ok" value="false"/>
      <string key="lifecycle:transition" value="complete"/></event>
  </trace>
  <trace><string key="concept:name" value="c2"/>
    <event><string key="concept:name" value="a &amp; b"/><date key="time:timestamp" value="2020-01-02T00:00:00+00:00"/></event>
  </trace>
</log>
"""


@cache
def _pm4py_frame(path: Path):  # type: ignore[no-untyped-def]
    """pm4py's own (iterparse, i.e. independent of rustxes) reading of a trusted shared file."""
    import pm4py

    return pm4py.read_xes(str(path), variant="iterparse")


@needs_shared
@pytest.mark.shared_data
@pytest.mark.parametrize("engine", ["rustxes", "lxml"])
@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name)
def test_shared_logs_match_pm4py(path: Path, engine: str) -> None:
    """Rows, cases, activities and every (case, activity, timestamp) in file order equal pm4py's reading."""
    raw = read_xes(path, engine=engine)  # type: ignore[arg-type]
    ref = _pm4py_frame(path)
    table = raw.table
    assert raw.detected["parser"] == engine
    assert table.num_rows == len(ref)
    assert len(pa.compute.unique(table["case:concept:name"])) == ref["case:concept:name"].nunique()
    assert len(pa.compute.unique(table["concept:name"])) == ref["concept:name"].nunique()
    assert table["case:concept:name"].to_pylist() == ref["case:concept:name"].astype(str).tolist()
    assert table["concept:name"].to_pylist() == ref["concept:name"].tolist()
    ours = table["time:timestamp"].cast(pa.int64()).to_pylist()  # microseconds since epoch, UTC
    theirs = ref["time:timestamp"].dt.tz_convert("UTC").dt.as_unit("us").astype("int64").tolist()
    assert ours == theirs
    assert table[SOURCE_ROW].to_pylist() == list(range(1, len(ref) + 1))


@needs_shared
@pytest.mark.shared_data
def test_typed_attributes_and_default_mapping() -> None:
    """Typed XES attributes stay typed; resource, lifecycle and case attributes are detected."""
    raw = read_xes(SHARED / "logs" / "roadtraffic100traces.xes")
    schema = raw.table.schema
    assert schema.field("amount").type == pa.float64()
    assert schema.field("points").type == pa.int64()
    assert schema.field("time:timestamp").type == pa.timestamp("us", tz="UTC")
    assert raw.default_mapping == {
        "case_id_key": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
        "resource_key": "org:resource",
        "lifecycle_key": "lifecycle:transition",
    }
    receipt = read_xes(SHARED / "logs" / "receipt.xes.gz")
    assert receipt.table.schema.field("case:deadline").type == pa.timestamp("us", tz="UTC")
    assert "case:channel" in receipt.case_attributes and "org:group" not in receipt.case_attributes


@needs_shared
@pytest.mark.shared_data
def test_interval_log_maps_start_timestamp() -> None:
    """A log with a start_timestamp date attribute gets start_timestamp_key and no lifecycle key."""
    raw = read_xes(SHARED / "logs" / "interval_event_log.xes")
    assert raw.default_mapping["start_timestamp_key"] == "start_timestamp"
    assert "lifecycle_key" not in raw.default_mapping
    first = raw.table.slice(0, 1).to_pylist()[0]
    assert first["start_timestamp"].isoformat() == "2015-01-05T09:00:07+00:00"
    assert first["time:timestamp"].isoformat() == "2015-01-05T09:02:50+00:00"


@pytest.mark.parametrize("engine", ["rustxes", "lxml"])
def test_small_log_values(tmp_path: Path, engine: str) -> None:
    """Hand-checked values: entities decoded, dates to UTC microseconds, ints, floats, bools, lifecycle kept."""
    path = tmp_path / "small.xes"
    path.write_text(SMALL_XES, encoding="utf-8")
    raw = read_xes(path, engine=engine)  # type: ignore[arg-type]
    rows = raw.table.to_pylist()
    assert [r["concept:name"] for r in rows] == ["a & b", "c", "a & b"]
    assert [r["case:concept:name"] for r in rows] == ["c1", "c1", "c2"]
    assert rows[0]["time:timestamp"].isoformat() == "2020-01-01T08:00:00.123456+00:00"
    assert [r["n"] for r in rows] == [7, 8, None]
    assert [r["x"] for r in rows] == [1.5, 2.0, None]
    assert [r["ok"] for r in rows] == [True, False, None]
    assert [r["case:priority"] for r in rows] == [2, 2, None]
    assert [r["lifecycle:transition"] for r in rows] == ["start", "complete", None]
    assert [r[SOURCE_ROW] for r in rows] == [1, 2, 3]
    assert raw.default_mapping["lifecycle_key"] == "lifecycle:transition"
    assert set(raw.case_attributes) == {"case:concept:name", "case:priority"}


def test_gzip_recognised_by_content(tmp_path: Path) -> None:
    """A gzip file named .xes and a plain file named .xes.gz are both read by content."""
    gz_named_plain = tmp_path / "log.xes"
    gz_named_plain.write_bytes(gzip.compress(SMALL_XES.encode()))
    plain_named_gz = tmp_path / "log.xes.gz"
    plain_named_gz.write_text(SMALL_XES, encoding="utf-8")
    assert read_xes(gz_named_plain).table.num_rows == 3
    assert read_xes(plain_named_gz).table.num_rows == 3
    assert read_xes(gz_named_plain).detected["compressed"] == "gzip"


@pytest.mark.parametrize("engine", ["auto", "lxml"])
@pytest.mark.parametrize("compress", [False, True])
def test_external_entity_refused_and_secret_not_leaked(tmp_path: Path, engine: str, compress: bool) -> None:
    """An XES with a DOCTYPE declaring an external entity is refused before parsing; the secret never shows."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
        '<log><trace><string key="concept:name" value="1"/><event>'
        '<string key="concept:name" value="&leak;"/>'
        '<date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event></trace></log>'
    ).encode()
    path = tmp_path / ("evil.xes.gz" if compress else "evil.xes")
    path.write_bytes(gzip.compress(xml) if compress else xml)
    with pytest.raises(UnsafeSourceError, match="DOCTYPE") as info:
        read_xes(path, engine=engine)  # type: ignore[arg-type]
    assert "TOP-SECRET-42" not in str(info.value)
    assert str(path) in str(info.value) and "XXE" in str(info.value)


@pytest.mark.parametrize("engine", ["auto", "lxml"])
def test_truncated_gzip(tmp_path: Path, engine: str) -> None:
    """A truncated .xes.gz raises MalformedSourceError saying it is truncated and to re-download."""
    body = SMALL_XES.replace("</log>", "") + "<trace>" * 0
    traces = body + "".join(
        f'<trace><string key="concept:name" value="t{i}"/><event><string key="concept:name" value="a"/>'
        f'<date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event></trace>'
        for i in range(3000)
    )
    data = gzip.compress((traces + "</log>").encode())
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedSourceError, match="truncated or corrupt.*re-download"):
        read_xes(path, engine=engine)  # type: ignore[arg-type]


def test_truncated_plain_xes(tmp_path: Path) -> None:
    """A plain XES cut in the middle is reported as malformed, naming the file."""
    path = tmp_path / "cut.xes"
    path.write_text(SMALL_XES[: len(SMALL_XES) // 2], encoding="utf-8")
    with pytest.raises(MalformedSourceError, match="cut.xes.*not well-formed"):
        read_xes(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 20, "not well-formed XML"),
        (b"<?xml version='1.0'?><html><body/></html>", "root element is <html>, expected <log>"),
        (b"<log></log>", "no events"),
        (gzip.compress(b""), "empty"),
    ],
    ids=["empty", "garbage", "not-xes", "no-events", "empty-gzip"],
)
def test_bad_content(tmp_path: Path, content: bytes, message: str) -> None:
    """Empty, binary, non-XES and event-less files raise MalformedSourceError with a clear reason."""
    path = tmp_path / "bad.xes"
    path.write_bytes(content)
    with pytest.raises(MalformedSourceError, match=message):
        read_xes(path)


def test_missing_file(tmp_path: Path) -> None:
    """A missing path raises SourceNotFoundError (also a FileNotFoundError)."""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_xes(tmp_path / "nope.xes")
    with pytest.raises(SourceNotFoundError):
        read_xes(tmp_path)


def test_reject_dtd_stream_is_rewound_and_returns_root() -> None:
    """reject_dtd returns the root's local name and leaves a seekable stream where it was."""
    stream = io.BytesIO(b'<?xml version="1.0"?><x:log xmlns:x="urn:x"><trace/></x:log>')
    assert reject_dtd(stream, source_name="s.xes") == "log"
    assert stream.tell() == 0
    with pytest.raises(UnsafeSourceError, match="s.xml"):
        reject_dtd(io.BytesIO(b"<!DOCTYPE a><a/>"), source_name="s.xml")


@needs_shared
@pytest.mark.shared_data
def test_reject_dtd_reads_only_the_prolog() -> None:
    """The safety scan stops at the first start tag: it reads a few kB of a 20 MB log, not the whole file."""
    body = b'<?xml version="1.0"?>\n<log xes.version="1.0">' + b"<trace></trace>" * 1_400_000 + b"</log>"

    class CountingStream(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            CountingStream.consumed += len(chunk)
            return chunk

    stream = CountingStream(body)
    assert reject_dtd(stream, source_name="big.xes") == "log"
    assert len(body) > 20_000_000
    assert 0 < CountingStream.consumed < 1_000_000
