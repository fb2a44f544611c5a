"""`baton pull`: one load from a config file, --every intervals, errors printed without secrets."""

from __future__ import annotations

import io
import sqlite3
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from baton.api import Workspace
from baton.cli import app
from baton.cli_pull import parse_interval, run_pulls
from baton.errors import FatalSourceError, MalformedSourceError
from connectors.sources.config import register_source_kind

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pull import ListSource  # noqa: E402


def make_sqlite(path: Path, n: int) -> None:
    """An SQLite table ``steps`` with events 1..n of cases k0..k2 (activities A, B, C), cursor = id."""
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS steps (id INTEGER PRIMARY KEY, case_id TEXT, step TEXT, at TEXT)"
        )
        con.executemany(
            "INSERT OR IGNORE INTO steps VALUES (?, ?, ?, ?)",
            [(i, f"k{i % 3}", "ABC"[i % 3], f"2025-01-06T{i:02d}:00:00Z") for i in range(1, n + 1)],
        )


def sqlite_config(tmp_path: Path, db: Path) -> Path:
    """A kind: sqlite config over ``db``'s table ``steps``."""
    config = tmp_path / "steps.yaml"
    config.write_text(
        f"kind: sqlite\nname: steps\nsettings: {{path: '{db}', table: steps}}\n"
        "mapping: {case_id_key: case_id, activity_key: step, timestamp_key: at}\n"
        "primary_key: [id]\ncursor_column: id\n",
        encoding="utf-8",
    )
    return config


def test_parse_interval() -> None:
    """30s, 15m, 1h and 1d are seconds; anything else is refused with the forms to use."""
    assert [parse_interval(t) for t in ("30s", "15m", "1h", "1d", "1.5m")] == [30, 900, 3600, 86400, 90]
    for bad in ("15", "m", "0s", "-1m", "15 minutes"):
        with pytest.raises(MalformedSourceError, match="30s, 15m, 1h or 1d"):
            parse_interval(bad)


def test_baton_pull_sqlite_twice(tmp_path: Path) -> None:
    """`baton pull` on a kind: sqlite config loads the table, and a second run only the new rows."""
    pytest.importorskip("connectors.sources.sql", reason="the SQL connectors are not written yet")
    db, ws_path = tmp_path / "src.sqlite", tmp_path / "ws.duckdb"
    make_sqlite(db, 9)
    config = sqlite_config(tmp_path, db)
    runner = CliRunner()
    first = runner.invoke(app, ["pull", str(config), "--workspace", str(ws_path)])
    assert first.exit_code == 0, first.output
    assert "9 rows read, 9 inserted" in first.output
    make_sqlite(db, 12)
    second = runner.invoke(app, ["pull", str(config), "--workspace", str(ws_path)])
    assert second.exit_code == 0, second.output
    assert "3 inserted" in second.output and "cursor 9 -> 12" in second.output
    with Workspace.open(ws_path) as ws:
        assert (ws.info("steps").events, ws.info("steps").cases) == (12, 3)
        assert ws.source_loads("steps").column("inserted").to_pylist() == [9, 3]


def test_baton_pull_error_is_one_line_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing pull exits 1 with the error on stderr and the secret's value masked."""
    monkeypatch.setenv("TEST_CLI_TOKEN", "tok-9f8e7d")

    class Refusing(ListSource):
        def check(self) -> None:
            raise FatalSourceError("login with token tok-9f8e7d refused: bad credentials")

    register_source_kind("refusing", lambda cfg: Refusing(name=cfg.name))
    config = tmp_path / "r.yaml"
    config.write_text("kind: refusing\nname: r\nsettings: {token_env: TEST_CLI_TOKEN}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["pull", str(config), "--workspace", str(tmp_path / "ws.duckdb")])
    assert result.exit_code == 1
    assert "bad credentials" in result.output and "tok-9f8e7d" not in result.output
    assert "login with token *** refused" in result.output


def test_baton_pull_rejects_a_bad_interval(tmp_path: Path) -> None:
    """--every with an unknown unit exits 1 naming the forms to use, before any pull."""
    result = CliRunner().invoke(
        app, ["pull", str(tmp_path / "x.yaml"), "--every", "15x", "-w", str(tmp_path / "w")]
    )
    assert result.exit_code == 1 and "30s, 15m, 1h or 1d" in result.output


def test_every_keeps_pulling_after_a_failure_until_ctrl_c(tmp_path: Path) -> None:
    """In a loop a failed pull prints its error and the next one runs; Ctrl-C stops cleanly (exit 0)."""
    outcomes: list[object] = [FatalSourceError("table steps missing"), "pull 1 ok", "pull 2 ok"]
    waits: list[float] = []

    def once(config: Path, workspace: Path) -> object:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise KeyboardInterrupt

    out, err = io.StringIO(), io.StringIO()
    code = run_pulls(
        tmp_path / "none.yaml", tmp_path / "ws.duckdb", every=900.0, out=Console(file=out), err=Console(file=err),
        sleep=sleep, once=once,  # type: ignore[arg-type]
    )  # fmt: skip
    assert code == 0 and waits == [900.0, 900.0, 900.0]
    assert "table steps missing" in err.getvalue()
    assert "pull 1 ok" in out.getvalue() and "pull 2 ok" in out.getvalue() and "stopped" in out.getvalue()
