"""Bad input through the public API: one clear error naming the file and the fix; the workspace unchanged."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from baton.api import Workspace
from baton.errors import (
    BatonError,
    MalformedSourceError,
    MappingError,
    SourceNotFoundError,
    TimestampError,
    UnsafeSourceError,
    UnsupportedFormatError,
)

GOOD = "case,activity,time\n1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00\n2,A,2024-01-02 09:00\n"
XES_DTD = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY secret SYSTEM "file://{secret}">]>
<log xes.version="1.0"><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="&secret;"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>
</trace></log>
"""


def snapshot(ws: Workspace) -> dict[str, list]:
    cur = ws.cursor()
    tables = [r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    return {t: sorted(map(str, cur.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


@pytest.fixture
def seeded(ws: Workspace, tmp_path: Path) -> Workspace:
    """A workspace that already holds one log named 'x'."""
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    ws.import_file(good, name="x")
    return ws


def _cases(tmp_path: Path) -> list[tuple[str, Path, dict, type, str]]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    files = {
        "empty.csv": b"",
        "header_only.csv": b"case,activity,time\n",
        "garbage.csv": bytes(range(256)) * 40,
        "dates.csv": b"case,activity,time\n1,A,soon\n1,B,later\n2,A,never\n",
        "log.xes": XES_DTD.format(secret=secret).encode(),
        "trunc.xes.gz": gzip.compress(b"<log>" + b"<trace></trace>" * 2000)[:300],
        "good.csv": GOOD.encode(),
        "notes.docx": b"PK\x03\x04 not a log",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [
        ("missing file", tmp_path / "nope.csv", {}, SourceNotFoundError, "nope.csv"),
        ("empty file", tmp_path / "empty.csv", {}, MalformedSourceError, "empty"),
        ("header only", tmp_path / "header_only.csv", {}, MalformedSourceError, "no data rows"),
        ("binary garbage", tmp_path / "garbage.csv", {}, MalformedSourceError, "garbage.csv"),
        (
            "unparsable timestamps",
            tmp_path / "dates.csv",
            {"timestamp_key": "time"},
            TimestampError,
            "timestamp_format=",
        ),
        ("no timestamp column", tmp_path / "dates.csv", {}, MappingError, "timestamp_key="),
        ("XES with DTD", tmp_path / "log.xes", {}, UnsafeSourceError, "DOCTYPE"),
        ("truncated gzip", tmp_path / "trunc.xes.gz", {}, MalformedSourceError, "trunc.xes.gz"),
        ("unknown column", tmp_path / "good.csv", {"activity_key": "step"}, MappingError, "did you mean"),
        ("unknown format", tmp_path / "notes.docx", {}, UnsupportedFormatError, ".docx"),
        ("same column twice", tmp_path / "good.csv", {"activity_key": "case"}, MappingError, "case"),
    ]


@pytest.mark.parametrize("index", range(11))
def test_bad_input_is_refused_cleanly(seeded: Workspace, tmp_path: Path, index: int) -> None:
    """Each kind of bad input raises its BatonError naming the problem, and nothing in the workspace changes."""
    label, path, kwargs, error, words = _cases(tmp_path)[index]
    before = snapshot(seeded)
    with pytest.raises(error) as caught:
        seeded.import_file(path, name="x", **kwargs)
    assert isinstance(caught.value, BatonError), label
    message = str(caught.value)
    assert words.lower() in message.lower(), f"{label}: {message}"
    assert path.name in message, f"{label}: the message does not name the file: {message}"
    assert "TOP-SECRET-TOKEN" not in message
    assert snapshot(seeded) == before, f"{label} changed the workspace"
