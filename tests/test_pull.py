"""The source loader (baton.store.pull): incremental, loss-free and atomic pulls of in-test sources."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pytest

from baton.api import Workspace
from baton.errors import (
    FatalSourceError,
    LogNotFoundError,
    MalformedSourceError,
    RetriableSourceError,
    SourceNotFoundError,
    UnsafeSourceError,
    WorkspaceError,
)
from baton.schema import SOURCE_REJECT_REASON
from connectors.sources.base import REJECT_REASON, Source, SourceConfig
from connectors.sources.config import build_source, mask_secrets, read_source_config, register_source_kind
from connectors.sources.retry import backoff_delay, with_retries

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SCHEMA = pa.schema([
    ("id", pa.int64()), ("case", pa.string()), ("step", pa.string()), ("at", pa.timestamp("us", tz="UTC")),
    ("updated", pa.int64()),
])  # fmt: skip


def row(i: int, case: str, step: str, updated: int | None = None) -> dict[str, Any]:
    """One source row: event ``i`` of ``case`` at T0 + i hours, cursor ``updated`` (default i)."""
    return {
        "id": i,
        "case": case,
        "step": step,
        "at": T0 + timedelta(hours=i),
        "updated": i if updated is None else updated,
    }


def base_rows() -> list[dict[str, Any]]:
    """Two cases of three events (A, B, C), ids and cursors 1..6."""
    return [
        row(1, "c1", "A"),
        row(2, "c1", "B"),
        row(3, "c1", "C"),
        row(4, "c2", "A"),
        row(5, "c2", "B"),
        row(6, "c2", "C"),
    ]


@dataclass
class ListSource:
    """An in-test source over a list of rows (the 'source table'), in batches; can fail or sleep mid-way."""

    kind: ClassVar[str] = "fake"
    name: str = "orders"
    rows: list[dict[str, Any]] = field(default_factory=base_rows)
    batch_size: int = 2
    fail_after_batches: int | None = None
    check_error: Exception | None = None
    lookback_seconds: float = 0.0
    extra_columns: dict[str, pa.DataType] = field(default_factory=dict)
    mapping: dict[str, str] = field(
        default_factory=lambda: {"case_id_key": "case", "activity_key": "step", "timestamp_key": "at"}
    )
    primary_key: tuple[str, ...] = ("id",)
    cursor_column: str = "updated"
    reads: list[Any] = field(default_factory=list)

    def check(self) -> None:
        """Raise the configured error, if any."""
        if self.check_error is not None:
            raise self.check_error

    def discover(self) -> list[Any]:
        """Nothing to discover."""
        return []

    def read(self, cursor: Any) -> Iterator[pa.RecordBatch]:
        """Rows with cursor >= ``cursor`` in cursor order, ``batch_size`` at a time."""
        self.reads.append(cursor)
        key = self.cursor_column
        chosen = sorted((r for r in self.rows if cursor is None or (r[key] is not None and r[key] >= cursor)),
                        key=lambda r: (r[key] is None, r[key] or 0))  # fmt: skip
        schema = SCHEMA
        for name, typ in self.extra_columns.items():
            schema = schema.append(pa.field(name, typ))
        for n, start in enumerate(range(0, len(chosen), self.batch_size)):
            if self.fail_after_batches is not None and n >= self.fail_after_batches:
                raise RetriableSourceError("connection reset by peer after 4 retries")
            part = [{c: r.get(c) for c in schema.names} for r in chosen[start : start + self.batch_size]]
            yield pa.RecordBatch.from_pylist(part, schema=schema)

    def describe(self) -> dict[str, Any]:
        """Safe settings."""
        return {"rows": "in-test list", "password": "***"}


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Every table's row count plus the source state and catalog rows (what 'exactly as before' compares).

    ``source_failures`` is left out: a failed pull records itself there, after its rollback.
    """
    cur = ws.cursor()
    tables = [
        r[0]
        for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        if r[0] != "source_failures"
    ]
    counts = {t: cur.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in sorted(tables)}
    state = cur.execute("SELECT name, cursor_value, cursor_type FROM source_state ORDER BY name").fetchall()
    logs = cur.execute("SELECT log_id, name, events FROM logs ORDER BY name").fetchall()
    return {"counts": counts, "state": state, "logs": logs}


def steps(ws: Workspace, name: str) -> list[tuple[str, str]]:
    """(case, activity) of every stored event of a log, sorted."""
    log_id = ws.info(name).log_id
    sql = f"""SELECT c.case_id, a.activity FROM events_{log_id} e
              JOIN cases c ON c.log_id = {log_id} AND c.case_index = e.case_index
              JOIN activities a ON a.log_id = {log_id} AND a.activity_code = e.activity_code ORDER BY 1, 2"""
    return [tuple(r) for r in ws.cursor().execute(sql).fetchall()]


def test_list_source_follows_the_contract() -> None:
    """The in-test source is a Source by the Protocol, and the loader's reject column is the contract's."""
    assert isinstance(ListSource(), Source)
    assert SOURCE_REJECT_REASON == REJECT_REASON


def test_two_pulls_store_no_duplicates_and_advance_the_cursor() -> None:
    """Pulling twice keeps 6 events (the re-read cursor row is unchanged) and the cursor moves to 6."""
    ws, source = Workspace.open(), ListSource()
    first = ws.pull(source)
    assert (first.rows_read, first.inserted, first.updated, first.cursor_before, first.cursor_after) == (
        6,
        6,
        0,
        None,
        "6",
    )
    second = ws.pull(source)
    assert source.reads == [None, 6]
    assert (second.rows_read, second.inserted, second.updated, second.unchanged) == (1, 0, 0, 1)
    assert (second.cursor_before, second.cursor_after) == ("6", "6")
    assert ws.info("orders").events == 6 and ws.info("orders").cases == 2
    history = ws.source_loads("orders").to_pylist()
    assert [(h["load_no"], h["inserted"], h["cursor_after"]) for h in history] == [(1, 6, "6"), (2, 0, "6")]


def test_rows_added_between_pulls_arrive_exactly_once() -> None:
    """Rows added after a pull are loaded by the next one, once: 6 + 2 events, cursor 6 -> 8."""
    ws, source = Workspace.open(), ListSource()
    ws.pull(source)
    source.rows += [row(7, "c3", "A"), row(8, "c3", "B")]
    report = ws.pull(source)
    assert (report.rows_read, report.inserted, report.cursor_after) == (3, 2, "8")
    ws.pull(source)
    assert ws.info("orders").events == 8 and ws.info("orders").cases == 3
    assert steps(ws, "orders").count(("c3", "A")) == 1


def test_updated_row_replaces_the_stored_one() -> None:
    """A row read again with the same key and a later cursor replaces the stored row: same count, new value."""
    ws, source = Workspace.open(), ListSource()
    ws.pull(source)
    source.rows[1] = row(2, "c1", "B-reviewed", updated=9)
    report = ws.pull(source)
    assert (report.inserted, report.updated, report.cursor_after) == (0, 1, "9")
    assert ws.info("orders").events == 6
    assert ("c1", "B-reviewed") in steps(ws, "orders") and ("c1", "B") not in steps(ws, "orders")


def test_same_key_twice_in_one_pull_keeps_the_latest() -> None:
    """Two versions of one key in one read (in one batch or two) store one row, the later version."""
    ws = Workspace.open()
    rows = [*base_rows(), row(3, "c1", "C2", updated=7), row(3, "c1", "C3", updated=8)]
    report = ws.pull(ListSource(rows=rows, batch_size=7))
    assert ws.info("orders").events == 6
    assert ("c1", "C3") in steps(ws, "orders")
    assert (report.rows_read, report.inserted, report.updated) == (8, 6, 1)


def test_failure_mid_way_leaves_the_workspace_exactly_as_before() -> None:
    """A source failing after its first batch rolls everything back; the next pull completes the load."""
    ws, source = Workspace.open(), ListSource()
    ws.pull(source)
    source.rows += [row(7, "c3", "A"), row(8, "c3", "B"), row(9, "c3", "C")]
    source.fail_after_batches = 1
    before = snapshot(ws)
    with pytest.raises(RetriableSourceError, match="connection reset"):
        ws.pull(source)
    assert snapshot(ws) == before
    failures = ws.source_failures("orders").to_pylist()
    assert [(f["kind"], f["error_type"]) for f in failures] == [(source.kind, "RetriableSourceError")]
    assert "connection reset" in failures[0]["message"]
    source.fail_after_batches = None
    report = ws.pull(source)
    assert (report.inserted, report.cursor_after, report.load_no) == (3, "9", 2)
    assert ws.info("orders").events == 9


def test_failed_first_pull_leaves_nothing() -> None:
    """A first pull failing mid-way leaves no state, raw table, history or log behind."""
    ws = Workspace.open()
    before = snapshot(ws)
    with pytest.raises(RetriableSourceError):
        ws.pull(ListSource(fail_after_batches=1))
    assert snapshot(ws) == before
    assert ws.source_loads("orders").num_rows == 0


def test_fatal_check_writes_nothing() -> None:
    """FatalSourceError from check() propagates and nothing is written (the source is not even read)."""
    ws = Workspace.open()
    source = ListSource(check_error=FatalSourceError("password authentication failed for user 'baton'"))
    before = snapshot(ws)
    with pytest.raises(FatalSourceError, match="authentication failed"):
        ws.pull(source)
    assert snapshot(ws) == before and source.reads == []
    assert ws.source_failures("orders").column("error_type").to_pylist() == ["FatalSourceError"]


def test_rejects_are_stored_with_reasons_and_listable() -> None:
    """Rows without key or cursor, or marked by the connector, become rejects (once), not events."""
    rows = [*base_rows(), {**row(7, "c3", "A"), "id": None}, {**row(8, "c3", "B"), "updated": None},
            {**row(9, "c3", "C"), REJECT_REASON: "payload is not JSON"}]  # fmt: skip
    source = ListSource(rows=rows, extra_columns={REJECT_REASON: pa.string()}, batch_size=4)
    ws = Workspace.open()
    report = ws.pull(source)
    assert report.rejected == {"missing_key": 1, "missing_cursor": 1, "payload is not JSON": 1}
    assert (report.rows_read, report.inserted) == (9, 6)
    listed = ws.rejects("orders").to_pylist()
    assert sorted(r["reason"] for r in listed) == ["missing_cursor", "missing_key", "payload is not JSON"]
    assert json.loads(next(r for r in listed if r["reason"] == "missing_key")["raw"])["step"] == "A"
    ws.pull(source)  # the marked row (cursor 9) is read again: kept once
    assert len(ws.rejects("orders").to_pylist()) == 3
    assert ws.info("orders").events == 6


def test_lookback_rereads_before_a_timestamp_cursor() -> None:
    """With a timestamp cursor the next read starts at the cursor minus lookback_seconds."""
    source = ListSource(cursor_column="at", lookback_seconds=3600)
    ws = Workspace.open()
    ws.pull(source)
    report = ws.pull(source)
    assert source.reads[1] == T0 + timedelta(hours=5)
    assert (report.rows_read, report.unchanged, report.cursor_after) == (
        2,
        2,
        (T0 + timedelta(hours=6)).isoformat(),
    )


def test_changed_key_is_refused_until_the_log_is_deleted() -> None:
    """A source pulled again with another key is refused with how to start over; delete_log clears its state."""
    ws = Workspace.open()
    ws.pull(ListSource())
    with pytest.raises(WorkspaceError, match="baton delete orders"):
        ws.pull(ListSource(primary_key=("id", "case")))
    ws.delete_log("orders")
    tables = {r[0] for r in ws.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(t.startswith("source_rows_") for t in tables)
    assert ws.cursor().execute("SELECT count(*) FROM source_state").fetchall()[0][0] == 0
    assert ws.source_loads("orders").num_rows == 0
    with pytest.raises(LogNotFoundError):
        ws.info("orders")
    report = ws.pull(ListSource(primary_key=("id", "case")))
    assert (report.inserted, report.load_no) == (6, 1)


def test_missing_key_column_is_fatal() -> None:
    """A key column the batches do not carry is a FatalSourceError naming it; nothing is written."""
    ws = Workspace.open()
    before = snapshot(ws)
    with pytest.raises(FatalSourceError, match=r"\['event_id'\]"):
        ws.pull(ListSource(primary_key=("event_id",)))
    assert snapshot(ws) == before


KILL_SCRIPT = """
import sys, time
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from test_pull import ListSource, row
from baton.api import Workspace

class Sleepy(ListSource):
    def read(self, cursor):
        for n, batch in enumerate(super().read(cursor)):
            yield batch
            if n == 1:
                Path({marker!r}).write_text("read")
                time.sleep(60)

rows = [row(i, f"k{{i % 3}}", "ABC"[i % 3]) for i in range(1, 21)]
with Workspace.open({db!r}) as ws:
    ws.pull(Sleepy(rows=rows, batch_size=4) if {sleepy} else ListSource(rows=rows, batch_size=4))
"""


def test_killed_pull_leaves_no_partial_batch(tmp_path: Path) -> None:
    """SIGKILL during a pull (after two batches were upserted) leaves the file as before; the next pull completes."""
    db, marker = tmp_path / "ws.duckdb", tmp_path / "marker"
    with Workspace.open(db) as ws:
        ws.pull(ListSource())
        before = snapshot(ws)

    def script(sleepy: bool) -> str:
        return textwrap.dedent(KILL_SCRIPT).format(
            root=str(ROOT), tests=str(ROOT / "tests"), marker=str(marker), db=str(db), sleepy=sleepy
        )

    proc = subprocess.Popen([sys.executable, "-c", script(True)], env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the pulling process never got past its second batch"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Workspace.open(db) as ws:
        assert snapshot(ws) == before
    done = subprocess.run([sys.executable, "-c", script(False)], timeout=120, check=False)
    assert done.returncode == 0
    with Workspace.open(db) as ws:
        assert ws.info("orders").events == 20
        assert [h["load_no"] for h in ws.source_loads("orders").to_pylist()] == [1, 2]


def test_with_retries_backs_off_then_succeeds() -> None:
    """Two transient failures are retried after growing waits; the third call's value is returned."""
    calls: list[int] = []
    waits: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetriableSourceError("HTTP 503")
        return "page"

    assert with_retries(flaky, base_delay=1.0, sleep=waits.append) == "page"
    assert len(calls) == 3 and len(waits) == 2
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0


def test_with_retries_gives_up_with_the_attempt_count() -> None:
    """After ``attempts`` failures the last error is raised with the count; fatal errors are not retried."""
    waits: list[float] = []

    def down() -> None:
        raise RetriableSourceError("timed out after 10 s")

    with pytest.raises(RetriableSourceError, match=r"failed 4 times.*timed out after 10 s"):
        with_retries(down, attempts=4, sleep=waits.append)
    assert len(waits) == 3
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise FatalSourceError("bad credentials")

    with pytest.raises(FatalSourceError):
        with_retries(refused, sleep=waits.append)
    assert len(calls) == 1
    assert backoff_delay(10, base_delay=0.5, max_delay=30.0) <= 30.0


def write_config(tmp_path: Path, text: str) -> Path:
    """A config file with ``text`` (dedented)."""
    path = tmp_path / "src.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_config_is_read_with_its_settings(tmp_path: Path) -> None:
    """A valid config gives a SourceConfig with its key as a tuple and the file's path."""
    path = write_config(
        tmp_path,
        """
        kind: postgres
        name: orders
        settings: {host: 127.0.0.1, password_env: PGPASSWORD, password_file: /run/secrets/pg}
        mapping: {case_id_key: order_id, activity_key: step, timestamp_key: at}
        primary_key: event_id
        cursor_column: changed_at
        lookback_seconds: 60
    """,
    )
    config = read_source_config(path)
    assert (config.kind, config.name, config.primary_key, config.cursor_column) == (
        "postgres",
        "orders",
        ("event_id",),
        "changed_at",
    )
    assert (config.lookback_seconds, config.settings["password_env"], config.path) == (
        60.0,
        "PGPASSWORD",
        str(path),
    )


@pytest.mark.parametrize(
    ("text", "error", "pattern"),
    [
        ("kind: sqlite\nname: o\ntable: x\n", MalformedSourceError, r"src\.yaml: unknown key 'table'"),
        ("kind: postgres\nname: o\nsettings: {password: hunter2}\n", UnsafeSourceError,
         r"src\.yaml: settings\.password holds a secret.*environment variable"),
        ("kind: postgres\nname: o\nsettings: {auth: {api_key: abc}}\n", UnsafeSourceError, r"settings\.auth\.api_key"),
        ("kind: postgres\nname: o\nsettings: {url: 'postgresql://u:pw@h/db'}\n", UnsafeSourceError, r"settings\.url"),
        ("kind: sqlite\nname: o\nmapping: {case_key: x}\n", MalformedSourceError, r"src\.yaml: unknown mapping key 'case_key'"),
        ("kind: sqlite\nname: o\nlookback_seconds: -1\n", MalformedSourceError, r"src\.yaml: key 'lookback_seconds'"),
        ("name: o\n", MalformedSourceError, r"src\.yaml: key 'kind' is missing"),
    ],
)  # fmt: skip
def test_config_errors_name_the_file_and_key(tmp_path: Path, text: str, error: type, pattern: str) -> None:
    """Unknown keys, literal secrets and bad values are refused with the file and the key named."""
    with pytest.raises(error, match=pattern):
        read_source_config(write_config(tmp_path, text))


def test_secret_value_never_in_the_refusal(tmp_path: Path) -> None:
    """The refusal of a literal password does not repeat the password."""
    with pytest.raises(UnsafeSourceError) as info:
        read_source_config(write_config(tmp_path, "kind: postgres\nname: o\nsettings: {password: hunter2}\n"))
    assert "hunter2" not in str(info.value)


def test_unknown_kind_and_missing_file(tmp_path: Path) -> None:
    """An unregistered kind names the file, the key and the kinds there are; a missing file says so."""
    config = read_source_config(write_config(tmp_path, "kind: oracle\nname: o\n"))
    with pytest.raises(
        MalformedSourceError, match=r"src\.yaml: key 'kind': unknown source kind 'oracle'.*postgres"
    ):
        build_source(config)
    with pytest.raises(SourceNotFoundError):
        read_source_config(tmp_path / "nope.yaml")


def test_registered_kind_is_built_and_pulled_from_a_config_path(tmp_path: Path) -> None:
    """register_source_kind adds a connector; Workspace.pull accepts the config file's path."""
    register_source_kind("listtest", lambda cfg: ListSource(name=cfg.name))
    path = write_config(tmp_path, "kind: listtest\nname: from_file\n")
    report = Workspace.open().pull(path)
    assert (report.name, report.kind, report.inserted) == ("from_file", "fake", 6)


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """mask_secrets hides the values of the config's *_env variables and passwords inside URLs."""
    monkeypatch.setenv("TEST_PG_PASSWORD", "s3cr3t!")
    config = SourceConfig(kind="postgres", name="o", settings={"password_env": "TEST_PG_PASSWORD"})
    text = "connect postgresql://baton:s3cr3t!@db/erp failed; password s3cr3t! rejected"
    assert mask_secrets(text, config) == "connect postgresql://baton:***@db/erp failed; password *** rejected"


def _log_tables(ws: Workspace, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of one log without its id: events, cases, variants, activities, attributes, rejects."""
    log_id, cur = ws.info(name).log_id, ws.cursor()
    queries = {
        "events": f"SELECT * EXCLUDE (log_id) FROM events_{log_id} ORDER BY event_order",
        "cases": f"SELECT * EXCLUDE (log_id) FROM cases WHERE log_id = {log_id} ORDER BY case_index",
        "variants": f"SELECT * EXCLUDE (log_id) FROM variants WHERE log_id = {log_id} ORDER BY variant_id",
        "activities": f"SELECT * EXCLUDE (log_id) FROM activities WHERE log_id = {log_id} ORDER BY 1",
        "event_attributes": f"SELECT * FROM attr_event_{log_id} ORDER BY 1",
        "case_attributes": f"SELECT * FROM attr_case_{log_id} ORDER BY 1",
        "rejects": f"SELECT source_row, reason FROM rejects WHERE log_id = {log_id} ORDER BY 1",
        "quality": f"SELECT check_name, count FROM quality WHERE log_id = {log_id} ORDER BY 1",
    }
    return {t: [tuple(r) for r in cur.execute(sql).fetchall()] for t, sql in queries.items()}


@pytest.mark.parametrize(
    ("fast_rows", "defects", "path_taken"),
    [(0, True, "general"), (0, False, "general"), (10**6, False, "fast")],
)
def test_pulled_log_equals_the_same_rows_imported_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_rows: int, defects: bool, path_taken: str
) -> None:
    """A pull rebuilt from a relation (general SQL path) or an Arrow table (fast path) stores exactly the log
    the normal import makes of the same rows in cursor order (ties, a case and an event attribute; with
    defects a duplicate event and a missing activity too); the pull's memory limit is reset afterwards."""
    import pyarrow.parquet as pq

    from baton.store import pull as pull_module
    from baton.store.ingest import SourceData, import_table
    from baton.store.staging import ImportOptions
    from connectors import read_source

    monkeypatch.setattr(pull_module, "FAST_REBUILD_ROWS", fast_rows)
    monkeypatch.delenv(pull_module.FAST_REBUILD_ROWS_ENV, raising=False)
    rows = [row(i, f"c{i % 3}", "ABCD"[i % 4], updated=40 - i // 2) for i in range(1, 25)]
    rows[5]["at"] = rows[2]["at"]  # same case c0 and time as row 3: a tie
    if defects:
        rows.append({**rows[3], "id": 90, "updated": 50})  # the same event again under another key
        rows.append({**row(91, "c1", "A"), "step": None})  # rejected: missing activity
    for r in rows:
        r["region"], r["amount"] = f"region-{r['case']}", r["id"] * 1.5
    extra = {"region": pa.string(), "amount": pa.float64()}
    source = ListSource(rows=rows, batch_size=5, extra_columns=extra)
    ws = Workspace.open(tmp_path / "ws.duckdb")
    limit_sql = "SELECT current_setting('memory_limit')"
    default_limit = ws.cursor().execute(limit_sql).fetchall()[0][0]
    report = ws.pull(source)
    assert report.log is not None and report.log.detected["import_path"] == path_taken
    assert ws.cursor().execute(limit_sql).fetchall()[0][0] == default_limit
    path = tmp_path / "same_rows.parquet"
    schema = pa.schema([*SCHEMA, *(pa.field(n, t) for n, t in extra.items())])
    pq.write_table(
        pa.Table.from_pylist(sorted(rows, key=lambda r: (r["updated"], r["id"])), schema=schema), path
    )
    raw = read_source(path)
    data = SourceData(str(path), raw.format, raw.table, raw.checksum, raw.detected)
    imported = import_table(
        ws, data, name="from_file", mapping=source.mapping, options=ImportOptions(fast_path=False)
    )
    pulled = _log_tables(ws, "orders")
    expected = (26, 24, 2) if defects else (24, 24, 0)
    assert (imported.rows_read, imported.events, imported.rows_rejected) == expected
    assert (report.log.rows_read, report.log.events, report.log.rows_rejected) == expected
    assert pulled["rejects"] == ([(25, "duplicate_event"), (26, "missing_activity")] if defects else [])
    assert pulled == _log_tables(ws, "from_file")
    log_id = ws.info("orders").log_id
    attr_case = ws.cursor().execute(f"DESCRIBE attr_case_{log_id}").fetchall()
    assert [c[0] for c in attr_case] == ["case_index", "region"]


@dataclass
class LimitSpy(ListSource):
    """A source that records the workspace's DuckDB memory limit while it is read."""

    ws: Workspace | None = None
    seen: list[str] = field(default_factory=list)

    def read(self, cursor: Any) -> Iterator[pa.RecordBatch]:
        """Record the limit, then read as ListSource does."""
        assert self.ws is not None
        self.seen.append(self.ws.cursor().execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        yield from super().read(cursor)


def test_pull_bounds_duckdb_memory_unless_the_user_set_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file workspace pulls under 256MB (244.1 MiB) or BATON_PULL_MEMORY_LIMIT and gets its default back;
    a limit the user set is kept; a malformed variable is refused, naming it."""
    monkeypatch.delenv("BATON_PULL_MEMORY_LIMIT", raising=False)
    ws = Workspace.open(tmp_path / "ws.duckdb")
    limit_sql = "SELECT current_setting('memory_limit')"
    default = ws.cursor().execute(limit_sql).fetchall()[0][0]
    source = LimitSpy(ws=ws)
    ws.pull(source)
    monkeypatch.setenv("BATON_PULL_MEMORY_LIMIT", "1GB")
    ws.pull(source)
    assert source.seen == ["244.1 MiB", "953.6 MiB"]
    assert ws.cursor().execute(limit_sql).fetchall()[0][0] == default
    ws.cursor().execute("SET memory_limit = '2GB'")
    ws.pull(source)
    assert source.seen[-1] == "1.8 GiB"
    ws.cursor().execute("RESET memory_limit")
    ws.pull(source, bound_memory=False)  # the app: other sessions share the database, so no cap
    assert source.seen[-1] == default
    monkeypatch.setenv("BATON_PULL_MEMORY_LIMIT", "lots")
    with pytest.raises(WorkspaceError, match="BATON_PULL_MEMORY_LIMIT='lots' is not a memory size"):
        ws.pull(source)
    assert ws.cursor().execute(limit_sql).fetchall()[0][0] == default
