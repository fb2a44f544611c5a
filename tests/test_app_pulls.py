"""The Data page's "Source systems" section (AppTest) and its Streamlit-free logic in app_pages/pull_flow.py."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.pull_flow import Failure, PullJobs, source_entries, source_status, sources_dir
from baton.api import Workspace
from baton.errors import FatalSourceError
from baton.store.pull_status import SourceState, list_sources
from connectors.sources.config import register_source_kind

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pull import ListSource  # noqa: E402

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "data.py")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_sqlite(path: Path, n: int) -> None:
    """Table ``steps`` with events 1..n: case k(i % 3), activity A/B/C, at hour i; cursor = id."""
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS steps (id INTEGER PRIMARY KEY, case_id TEXT, step TEXT, at TEXT)"
        )
        con.executemany(
            "INSERT OR IGNORE INTO steps VALUES (?, ?, ?, ?)",
            [(i, f"k{i % 3}", "ABC"[i % 3], f"2025-01-06T{i:02d}:00:00Z") for i in range(1, n + 1)],
        )


def write_config(folder: Path, name: str, db: Path, table: str = "steps") -> Path:
    """A kind: sqlite config named ``name`` over ``db``'s ``table``."""
    folder.mkdir(exist_ok=True)
    config = folder / f"{name}.yaml"
    config.write_text(
        f"kind: sqlite\nname: {name}\nsettings: {{path: '{db}', table: {table}}}\n"
        "mapping: {case_id_key: case_id, activity_key: step, timestamp_key: at}\n"
        "primary_key: [id]\ncursor_column: id\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def ws_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty workspace file with a ``sources/`` folder beside it; Streamlit's caches cleared around."""
    import streamlit as st

    pytest.importorskip("connectors.sources.sql", reason="the SQL connectors are not written yet")
    path = tmp_path / "ws.duckdb"
    monkeypatch.setenv("BATON_WORKSPACE", str(path))
    monkeypatch.delenv("BATON_SOURCES", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    _wait()
    st.cache_resource.clear()
    st.cache_data.clear()


def _wait() -> None:
    from app_pages.data_pulls import wait_for_pulls

    wait_for_pulls(60)


def _shared(path: Path) -> Workspace:
    """The page's own workspace object (the cached connection; DuckDB allows one per file)."""
    from app_pages.state import _workspace

    return _workspace(str(path))


def _pull(at: AppTest, name: str) -> AppTest:
    """Press Pull now, wait for the background thread, and show the page again."""
    at.button(key=f"pull_{name}").click().run()
    assert not at.exception
    _wait()
    return at.run()


def _heads(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and "(sqlite)" in m.value]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_pull_now_loads_then_loads_only_new_rows(ws_path: Path) -> None:
    """Never pulled -> Pull now shows the load report's counts and the log; a second pull inserts only new rows."""
    db = ws_path.parent / "src.sqlite"
    make_sqlite(db, 9)
    write_config(ws_path.parent / "sources", "steps", db)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert _heads(at) == ["**steps** (sqlite): never pulled"]
    assert not at.metric

    _pull(at, "steps")
    assert not at.exception and not at.error
    assert _heads(at)[0].startswith("**steps** (sqlite): ok (last pull ")
    metrics = _metrics(at)
    assert (metrics["Rows read"], metrics["Inserted"], metrics["Updated"], metrics["Rejected"]) == (
        "9", "9", "0", "0",
    )  # fmt: skip
    assert any("cursor (start) -> 9" in c.value for c in at.caption)
    logs = at.dataframe[0].value
    assert list(logs["name"]) == ["steps"] and list(logs["events"]) == [9] and list(logs["cases"]) == [3]
    first_import = _shared(ws_path).info("steps").imported_at

    make_sqlite(db, 12)
    _pull(at, "steps")
    assert not at.exception
    metrics = _metrics(at)
    # the cursor is read inclusively (id >= 9): row 9 comes again, unchanged
    assert (metrics["Rows read"], metrics["Inserted"], metrics["Updated"], metrics["Unchanged"]) == (
        "4", "3", "0", "1",
    )  # fmt: skip
    assert any("cursor 9 -> 12" in c.value for c in at.caption)
    history = at.dataframe[1].value  # after the logs table
    assert list(history["load_no"]) == [2, 1] and list(history["inserted"]) == [3, 9]
    assert list(at.dataframe[0].value["events"]) == [12]
    # the analytics cache key (workspace, log, imported_at) moves, so cached results of the log refresh
    assert _shared(ws_path).info("steps").imported_at > first_import


def test_bad_table_shows_last_pull_failed(ws_path: Path) -> None:
    """A config over a missing table: after Pull now the page says the last pull failed, naming the table."""
    db = ws_path.parent / "src.sqlite"
    make_sqlite(db, 3)
    write_config(ws_path.parent / "sources", "ghost", db, table="no_such_table")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert _heads(at) == ["**ghost** (sqlite): never pulled"]
    _pull(at, "ghost")
    assert not at.exception
    assert _heads(at)[0].startswith("**ghost** (sqlite): last pull failed: ")
    (error,) = at.error
    assert error.value.startswith("Last pull failed (") and "no_such_table" in error.value
    assert _shared(ws_path).source_loads("ghost").num_rows == 0  # rolled back: no history row
    assert _shared(ws_path).logs() == []


def test_source_status_precedence() -> None:
    """Pulling beats a failure; a failure counts only when newer than the last load; no load: never pulled."""
    failed = Failure("boom", T0)
    assert source_status(running=True, failure=failed, last_load_at=T0).state == "pulling"
    assert source_status(running=False, failure=failed, last_load_at=None).label == "last pull failed: boom"
    assert (
        source_status(running=False, failure=failed, last_load_at=T0 - timedelta(minutes=1)).state == "failed"
    )
    later = source_status(running=False, failure=failed, last_load_at=T0 + timedelta(minutes=1))
    assert later.state == "ok" and later.label == "ok (last pull 2025-03-01 12:01:00 UTC)"
    assert source_status(running=False, failure=None, last_load_at=None).state == "never pulled"


def test_source_entries_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Configs by source name, an unreadable or duplicate config with its problem, stored-only sources."""
    folder = tmp_path / "sources"
    write_config(folder, "b_orders", tmp_path / "x.sqlite")
    (folder / "a_broken.yml").write_text("kind: sqlite\nnmae: typo\n", encoding="utf-8")
    (folder / "c_copy.yaml").write_text((folder / "b_orders.yaml").read_text(), encoding="utf-8")
    (folder / "notes.txt").write_text("not a config", encoding="utf-8")
    stored = [
        SourceState("legacy", "postgres", "id", "7", T0),
        SourceState("b_orders", "sqlite", "id", "3", T0),
    ]
    entries = {e.name: e for e in source_entries(folder, stored)}
    assert sorted(entries) == ["a_broken.yml", "b_orders", "c_copy.yaml", "legacy"]
    assert entries["b_orders"].config_path == folder / "b_orders.yaml" and entries["b_orders"].problem is None
    assert "unknown key 'nmae'" in (entries["a_broken.yml"].problem or "")
    assert "keep one config per source" in (entries["c_copy.yaml"].problem or "")
    assert (entries["legacy"].kind, entries["legacy"].config_path) == ("postgres", None)
    monkeypatch.delenv("BATON_SOURCES", raising=False)
    assert sources_dir(tmp_path / "ws.duckdb") == tmp_path / "sources"
    monkeypatch.setenv("BATON_SOURCES", str(tmp_path / "elsewhere"))
    assert sources_dir(tmp_path / "ws.duckdb") == tmp_path / "elsewhere"


@dataclass
class _Gated(ListSource):
    """A source whose check waits for a gate, then refuses with the secret token in its message."""

    gate: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Wait for the gate, then refuse."""
        self.gate.wait(10)
        raise FatalSourceError("login with token tok-app-5a4b refused: bad credentials")


def test_pull_jobs_one_at_a_time_and_failure_masked(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second start of a running source is refused; its failure is kept with the secret masked."""
    monkeypatch.setenv("TEST_APP_TOKEN", "tok-app-5a4b")
    source = _Gated(name="gated")
    register_source_kind("gated_app", lambda cfg: source)
    config = tmp_path / "gated.yaml"
    config.write_text(
        "kind: gated_app\nname: gated\nsettings: {token_env: TEST_APP_TOKEN}\n", encoding="utf-8"
    )
    jobs = PullJobs()
    assert jobs.start(ws, "gated", config) is True
    assert jobs.running("gated") and jobs.busy()
    assert jobs.start(ws, "gated", config) is False
    source.gate.set()
    jobs.wait(10)
    assert not jobs.running("gated") and not jobs.busy()
    failure = jobs.failure(ws, "gated")
    assert failure is not None and failure.message == "login with token *** refused: bad credentials"
    stored = ws.source_failures("gated").to_pylist()  # recorded in the workspace, for every process
    assert [(f["error_type"], f["message"]) for f in stored] == [("FatalSourceError", failure.message)]
    restarted = PullJobs().failure(ws, "gated")  # a restarted app still shows it
    assert restarted is not None and restarted.message == failure.message
    assert list_sources(ws) == []  # nothing written
