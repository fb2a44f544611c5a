"""The `baton` command line: import, logs, stats, dfg as CSV/JSON, rejects, delete, and clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baton.api import open_workspace
from baton.cli import app

CSV = """case,activity,time
1,A,2024-01-01T10:00:00Z
1,B,2024-01-01T11:00:00Z
1,C,2024-01-01T12:00:00Z
2,A,2024-01-02T10:00:00Z
2,C,2024-01-02T12:00:00Z
3,A,2024-01-03T10:00:00Z
3,,2024-01-03T10:30:00Z
3,B,2024-01-03T11:00:00Z
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "small.csv"
    src.write_text(CSV)
    return src, tmp_path / "ws.duckdb"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_import_prints_quality_report_and_stores(files: tuple[Path, Path]) -> None:
    """`baton import` stores the log and prints counts and the reject reason."""
    src, ws = files
    code, out = run("import", str(src), "--name", "small", "-w", str(ws))
    assert code == 0, out
    assert "8 rows read, 7 loaded, 1 rejected" in out
    assert "missing_activity: 1" in out
    with open_workspace(ws, read_only=True) as w:
        assert w.info("small").cases == 3


def test_dfg_csv_and_json_agree(files: tuple[Path, Path]) -> None:
    """`baton dfg` writes the hand-computed edges as CSV and as JSON."""
    src, ws = files
    run("import", str(src), "--name", "small", "-w", str(ws))
    code, out = run("dfg", "small", "--format", "csv", "-w", str(ws))
    assert code == 0, out
    rows = {(r["source"], r["target"]): int(r["frequency"]) for r in csv.DictReader(io.StringIO(out))}
    assert rows == {("A", "B"): 2, ("B", "C"): 1, ("A", "C"): 1}
    code, out = run("dfg", "small", "--format", "json", "-w", str(ws))
    assert {(r["source"], r["target"]): r["frequency"] for r in json.loads(out)} == rows


def test_logs_stats_rejects_delete(files: tuple[Path, Path]) -> None:
    """`logs`, `stats`, `rejects` and `delete` show and change what they say."""
    src, ws = files
    run("import", str(src), "--name", "small", "-w", str(ws))
    code, out = run("logs", "-w", str(ws))
    assert code == 0 and "small" in out
    code, out = run("stats", "small", "-w", str(ws))
    assert code == 0 and "cases" in out and "2:00:00" in out  # median of 2 h, 2 h, 1 h
    code, out = run("rejects", "small", "-w", str(ws))
    assert code == 0 and "missing_activity" in out and "7" in out
    code, out = run("delete", "small", "-w", str(ws))
    assert code == 0
    with open_workspace(ws, read_only=True) as w:
        assert w.logs() == []


def test_errors_are_one_line_with_exit_code_2(files: tuple[Path, Path]) -> None:
    """A Baton error ends the CLI with exit code 1 and its message, not a traceback."""
    import subprocess
    import sys

    _, ws = files
    proc = subprocess.run(
        [sys.executable, "-m", "baton.cli", "stats", "nope", "-w", str(ws)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "no log named 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr
