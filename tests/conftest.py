"""Shared fixtures: workspaces, the sample and shared logs; skips become failures under BATON_REQUIRE_ALL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LOGS = ROOT / "sample_logs"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def ws() -> Iterator:
    """A fresh in-memory workspace."""
    from baton.api import open_workspace

    workspace = open_workspace()
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real public logs and models); skip when this checkout has none beside it."""
    if not (SHARED_DATA / "logs").is_dir():
        pytest.skip(f"real public logs not found at {SHARED_DATA} (../shared/data beside the project)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_logs() -> Path:
    """The project's generated sample logs."""
    return SAMPLE_LOGS


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Path:
    """A workspace file holding the sample AFTER log (from Parquet) as log ``after``."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("app") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_file(sample_logs / "loans_after.parquet", name="after")
    return path


@pytest.fixture
def app(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """The Streamlit app (AppTest) on ``workspace_file``, Streamlit's caches cleared around each test."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BATON_WORKSPACE", str(workspace_file))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def spark_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One local Spark workspace per test process (local[2], UTC, a Hive metastore in a temp dir).

    Skips with the reason when Java or pyspark is missing (BATON_REQUIRE_ALL turns that into a failure).
    """
    from baton.engine.spark_session import java_missing_reason

    reason = java_missing_reason()
    if reason:
        pytest.skip(f"Spark engine tests need a local Spark: {reason}")
    from baton.api import open_spark

    home = tmp_path_factory.mktemp("spark")
    sw = open_spark(
        master="local[2]",
        config={
            "spark.sql.shuffle.partitions": "1",  # small logs: one task per stage is fastest
            "spark.sql.adaptive.enabled": "false",
            "spark.sql.catalogImplementation": "hive",
            "spark.sql.warehouse.dir": str(home / "warehouse"),
            "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home}/metastore;create=true",
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
        },
    )
    yield sw
    sw.stop()


from browser_support import browser, server  # noqa: E402,F401  (fixtures for the browser tests)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI (BATON_REQUIRE_ALL=1) a skipped test fails: everything must run there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("BATON_REQUIRE_ALL") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped, but BATON_REQUIRE_ALL=1 requires every test to run: {reason}"
