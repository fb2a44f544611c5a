"""The source contract over every registered connector: re-pulls, new rows, killed pulls, bad credentials, retries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from source_harnesses import (
    CANARY,
    HARNESSES,
    MARKER_ENV,
    NAME,
    PAUSE_ENV,
    SECRET_ENV,
    Harness,
)
from test_pull import snapshot

from baton.api import Workspace
from baton.errors import FatalSourceError
from baton.schema import quote_identifier, source_rows_table
from connectors.sources.config import SOURCE_KINDS, build_source, read_source_config

ROOT = Path(__file__).resolve().parents[1]
KINDS = sorted(SOURCE_KINDS)
HTTP_KINDS = [k for k in KINDS if k in HARNESSES and HARNESSES[k].http]
#: kind -> (contract point, reason): cases a connector fails, marked xfail(strict=True) for the lead
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def case(kind: str, point: str, label: str = "") -> Any:
    """The parameter of one kind (id ``kind`` or ``kind-label``), xfail(strict) when known to fail the point."""
    reason = KNOWN_FAILURES.get((kind, point))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(kind, marks=marks, id=f"{kind}-{label}" if label else kind)


def cases(point: str, kinds: list[str] = KINDS) -> list[Any]:
    """Every kind with a harness as a parameter of one contract point (bad credentials: what is bad, in the id)."""
    label = (lambda k: HARNESSES[k].bad) if point == "bad_credentials" else (lambda k: "")
    return [case(k, point, label(k)) for k in kinds if k in HARNESSES]


@pytest.fixture
def harness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """The kind's harness, with its secrets in the environment (the wrong one as SECRET_ENV); cleaned up."""
    made = HARNESSES[request.param]()
    for var, value in {**made.env, SECRET_ENV: CANARY}.items():
        monkeypatch.setenv(var, value)
    yield made
    made.cleanup()


def duplicate_keys(ws: Workspace) -> int:
    """Raw rows of the source sharing a primary key with another."""
    cur = ws.cursor()
    source_id, key = cur.execute(
        "SELECT source_id, primary_key FROM source_state WHERE name = ?", [NAME]
    ).fetchone()
    cols = ", ".join(quote_identifier(c) for c in json.loads(key))
    table = source_rows_table(source_id)
    return int(cur.execute(f"SELECT count(*) - count(DISTINCT ({cols})) FROM {table}").fetchone()[0])


def events(ws: Workspace) -> int:
    """The events of the source's log."""
    return int(ws.info(NAME).events)


@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_kind_has_a_harness(kind: str) -> None:
    """A registered connector without a contract harness fails here, naming the kind."""
    assert kind in HARNESSES, f"source kind {kind!r} has no harness in tests/source_harnesses.py"


@pytest.mark.parametrize("harness", cases("two_pulls"), indirect=True)
def test_two_pulls_add_nothing_and_keep_the_cursor(harness: Harness, tmp_path: Path) -> None:
    """A second pull of an unchanged source inserts 0 rows: no duplicate keys, cursor not back, log unchanged."""
    path = harness.config(tmp_path)
    ws = Workspace.open()
    first = ws.pull(path)
    assert (first.inserted, events(ws)) == (harness.expected_events(), harness.expected_events())
    log = ws.log(NAME).to_arrow().to_pylist()
    second = ws.pull(path)
    assert (second.inserted, second.updated, second.cursor_before) == (0, 0, first.cursor_after)
    assert read_cursor(second.cursor_after) >= read_cursor(first.cursor_after)
    assert duplicate_keys(ws) == 0 and events(ws) == harness.expected_events()
    assert ws.log(NAME).to_arrow().to_pylist() == log


def read_cursor(text: str | None) -> Any:
    """A stored cursor text as a comparable value (a time, a number or the text)."""
    assert text is not None
    for parse in (int, datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


@pytest.mark.parametrize("harness", cases("new_rows"), indirect=True)
def test_rows_added_between_pulls_arrive_exactly_once(harness: Harness, tmp_path: Path) -> None:
    """Source data added after a pull is inserted by the next pull, once; a third pull inserts nothing."""
    path = harness.config(tmp_path)
    ws = Workspace.open()
    ws.pull(path)
    added = harness.add_rows()
    assert added > 0
    report = ws.pull(path)
    assert report.inserted == added
    assert events(ws) == harness.expected_events() + added
    assert ws.pull(path).inserted == 0 and duplicate_keys(ws) == 0
    assert events(ws) == harness.expected_events() + added


def kill_after_first_batch(config: Path, db: Path, marker: Path) -> None:
    """Pull ``config`` into ``db`` in a subprocess whose source sleeps after its first batch; SIGKILL it there."""
    marker.unlink(missing_ok=True)
    script = f"import source_harnesses as h; h.pull_config({str(config)!r}, {str(db)!r})"
    env = {**os.environ, PAUSE_ENV: "1", MARKER_ENV: str(marker),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert marker.exists(), f"the pulling process ended (code {proc.returncode}) before its first batch"


@pytest.mark.parametrize("harness", cases("killed"), indirect=True)
def test_killed_pull_leaves_nothing_and_the_next_completes(harness: Harness, tmp_path: Path) -> None:
    """SIGKILL after a pull's first batch was loaded (a first pull, then a re-pull after new rows) leaves the
    workspace file exactly as before; the next pull completes the load."""
    path, db, marker = harness.config(tmp_path), tmp_path / "ws.duckdb", tmp_path / "marker"
    with Workspace.open(db) as ws:
        before = snapshot(ws)
    kill_after_first_batch(path, db, marker)
    with Workspace.open(db) as ws:
        assert snapshot(ws) == before
        report = ws.pull(path)
        assert report.load_no == 1 and report.inserted == events(ws) == harness.expected_events()
        before = snapshot(ws)
    added = harness.add_rows()
    kill_after_first_batch(path, db, marker)
    with Workspace.open(db) as ws:
        assert snapshot(ws) == before
        report = ws.pull(path)
        assert (report.load_no, report.inserted) == (2, added)
        assert events(ws) == harness.expected_events() + added and duplicate_keys(ws) == 0


@pytest.mark.parametrize("harness", cases("bad_credentials"), indirect=True)
def test_bad_credentials_are_fatal_and_write_nothing(harness: Harness, tmp_path: Path) -> None:
    """Wrong credentials (or, for files, a missing folder or file): FatalSourceError naming the source, no secret,
    nothing written but one source_failures row."""
    bad = harness.bad_credentials(harness.config(tmp_path))
    ws = Workspace.open()
    before = snapshot(ws)
    with pytest.raises(FatalSourceError) as info:
        ws.pull(bad)
    assert NAME in str(info.value) and CANARY not in str(info.value)
    assert snapshot(ws) == before
    failures = ws.source_failures(NAME).to_pylist()
    assert [f["error_type"] for f in failures] == ["FatalSourceError"]
    assert CANARY not in failures[0]["message"]


@pytest.mark.parametrize("harness", cases("flaky", HTTP_KINDS), indirect=True)
def test_flaky_server_is_retried_to_the_complete_result(harness: Harness, tmp_path: Path) -> None:
    """Timeouts, 500s and a 429 are retried; the pull is as complete as a clean one."""
    path = harness.config(tmp_path)
    clean = Workspace.open()
    clean.pull(path)
    faults = harness.make_flaky()
    source: Any = build_source(read_source_config(path))
    ws = Workspace.open()
    report = ws.pull(source)
    assert report.inserted == events(ws) == harness.expected_events()
    assert ws.log(NAME).to_arrow().to_pylist() == clean.log(NAME).to_arrow().to_pylist()
    assert source.http.stats.retries == faults > 0
    assert any("no answer within" in e for e in source.http.stats.errors)  # the timeouts were among them
