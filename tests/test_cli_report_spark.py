"""`baton report --spark-config`: the before/after report of a Spark config's tables equals the DuckDB-built one."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from test_spark_config import sample_config
from typer.testing import CliRunner

from baton.cli import app
from baton.engine.spark_workspace import SparkWorkspace

END = ("Disburse Loan", "Reject Application", "Cancel Application")
#: Two logs, restricted to web cases (--where types the value on the log's engine), 200 seeded resamples.
ARGS = ["report", "--before", "loans_before", "--after", "loans_after", "--where", "channel=web",
        "--end-activities", ",".join(END), "--n-boot", "200", "--seed", "0"]  # fmt: skip


def _kpi_rows(path: Path) -> list[list[str]]:
    """The cells of the HTML report's KPI table (header row first), tags stripped."""
    found = re.search(r"<table class='kpis'>(.*?)</table>", path.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"no KPI table in {path}"
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


@pytest.mark.spark
def test_spark_report_kpis_equal_duckdb(
    spark_ws: Any, sample_logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--spark-config names the config's tables: its HTML KPI rows equal those of the DuckDB workspace's report."""
    from baton.api import open_workspace

    ws_path = tmp_path / "ws.duckdb"
    with open_workspace(ws_path) as ws:
        for name in ("loans_before", "loans_after"):
            ws.import_file(sample_logs / f"{name}.parquet", name=name)
    stopped: list[SparkWorkspace] = []
    monkeypatch.setattr(
        SparkWorkspace, "stop", lambda sw: stopped.append(sw)
    )  # spark_ws's session outlives this test
    config = sample_config(tmp_path, sample_logs, spark_ws)
    spark = CliRunner().invoke(
        app, [*ARGS, "--spark-config", str(config), "--output", str(tmp_path / "s.html")]
    )
    assert spark.exit_code == 0, spark.output
    assert len(stopped) == 1  # the command stops the Spark workspace it opened
    duck = CliRunner().invoke(app, [*ARGS, "--workspace", str(ws_path), "--output", str(tmp_path / "d.html")])
    assert duck.exit_code == 0, duck.output
    rows = _kpi_rows(tmp_path / "s.html")
    assert rows == _kpi_rows(tmp_path / "d.html")
    assert rows[0][:3] == ["KPI", "Before", "After"]
    assert len(rows) > 5 and rows[1][1] != rows[1][2]  # KPIs were compared, and the sides differ


def test_bad_spark_config_fails_before_spark(tmp_path: Path) -> None:
    """A config with a misspelt key fails with exit code 1 and the file, key and known keys; no Spark starts."""
    config = tmp_path / "lake.yaml"
    config.write_text("tables:\n  - {name: a, source: x.parquet, case: c}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, [*ARGS, "--spark-config", str(config), "--output", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 1
    assert "lake.yaml: table 'a': unknown key 'case'; the known keys are" in " ".join(result.output.split())


def test_missing_output_folder_fails_before_spark(tmp_path: Path) -> None:
    """An output folder that does not exist is refused before the config is even read."""
    out = tmp_path / "no" / "r.html"
    result = CliRunner().invoke(
        app, [*ARGS, "--spark-config", str(tmp_path / "absent.yaml"), "--output", str(out)]
    )
    assert result.exit_code == 1
    assert "no such folder for --output r.html" in " ".join(result.output.split())
