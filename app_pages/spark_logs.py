"""Spark logs in the app: the tables of ``$BATON_SPARK_CONFIG`` opened once per server process, listed in the
log selector as "name (Spark)", and the notices of pages that need a DuckDB log.

A Spark log's cache keys (`app_pages.state.Keys`) are ``("spark:<config path>", name, prepared at)``, so a
Spark log never shares a cached result with a DuckDB log of the same name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from baton.errors import BatonError, LogNotFoundError
from baton.store.workspace import LogInfo

if TYPE_CHECKING:  # the Spark engine (pyspark, sqlglot: the optional "spark" extra) loads only with a config
    from baton.engine.spark_workspace import SparkWorkspace
    from baton.log import EventLog

SPARK_ENV = "BATON_SPARK_CONFIG"
PREFIX = "spark:"  # the "workspace path" part of a Spark log's cache keys
LABEL = " (Spark)"


@dataclass(frozen=True, slots=True)
class SparkLogs:
    """The opened Spark workspace of one config file and a catalog row per log; or why it could not open."""

    path: str
    workspace: SparkWorkspace | None = None
    infos: dict[str, LogInfo] = field(default_factory=dict)
    error: str | None = None


def config_path() -> Path | None:
    """The Spark config file named by ``$BATON_SPARK_CONFIG``, None when it is not set."""
    value = os.environ.get(SPARK_ENV, "").strip()
    return Path(value).resolve() if value else None


def is_spark(path: str) -> bool:
    """Whether the first cache key ``path`` names a Spark config rather than a workspace file."""
    return path.startswith(PREFIX)


def label(name: str) -> str:
    """The log selector's entry of Spark log ``name``."""
    return f"{name}{LABEL}"


@st.cache_resource(show_spinner="Opening the Spark logs (starting Spark, reading the tables)...")
def _open(config: str) -> SparkLogs:
    """Open the config's Spark workspace once per server process; a failure is kept (and shown) too."""
    path = PREFIX + config
    try:
        from baton.engine.spark_config import open_spark_config

        sw = open_spark_config(config)
        return SparkLogs(path, sw, {p.name: sw.catalog(p.name) for p in sw.logs()})
    except BatonError as exc:
        message = f"Cannot open the Spark logs of {config} (${SPARK_ENV}): {exc}. Fix it and restart the app."
        return SparkLogs(path, error=message)
    except ImportError as exc:  # the engine's packages are an extra
        return SparkLogs(path, error=f"Cannot open the Spark logs: {exc}; pip install 'baton[spark]'")


def spark_logs() -> SparkLogs | None:
    """The Spark logs of ``$BATON_SPARK_CONFIG`` (opened on first use), None when it is not set."""
    config = config_path()
    return _open(str(config)) if config is not None else None


def choices() -> dict[str, tuple[str, LogInfo]]:
    """{log selector entry: (first cache key, catalog row)} of every Spark log; {} without a config."""
    logs = spark_logs()
    if logs is None:
        return {}
    return {label(name): (logs.path, info) for name, info in logs.infos.items()}


def spark_log(path: str, name: str) -> EventLog:
    """The Spark log ``name`` of the config whose cache key is ``path`` (``spark:<config>``)."""
    logs = _open(path.removeprefix(PREFIX))
    if logs.workspace is None:
        raise LogNotFoundError(logs.error or f"no Spark workspace for {path}")
    return logs.workspace.log(name)


def show_error() -> None:
    """In the sidebar: why the Spark logs could not be opened (nothing without a config or an error)."""
    logs = spark_logs()
    if logs is not None and logs.error:
        st.sidebar.error(logs.error, icon=":material/error:")


def stop_if_spark(keys: tuple[str, str, str], what: str) -> None:
    """On a Spark log: say that ``what`` needs a DuckDB log and how to get one, then stop the page."""
    path, name, _ = keys
    if not is_spark(path):
        return
    logs = _open(path.removeprefix(PREFIX))
    source = logs.infos[name].source if name in logs.infos else "<source>"
    st.info(
        f"{what} is not available for Spark logs: it runs on DuckDB only. To use it on **{name}**, import "
        f"the table into the workspace (`baton import {source} --name {name}`, or the Data page's import) "
        "and choose that log in the sidebar.",
        icon=":material/info:",
    )
    st.stop()


def python_snippet(path: str, name: str, spec_python: str) -> str:
    """Runnable Python rebuilding a filtered Spark log, for a notebook that must give the same numbers."""
    config = path.removeprefix(PREFIX)
    return (
        f"{spec_python}\nfrom baton.engine.spark_config import open_spark_config\nimport baton\n\n"
        f"sw = open_spark_config({config!r})\nlog = sw.log({name!r}).filter(*spec.filters)\n"
        "print(baton.get_variants(log).cases, 'cases')\n"
    )


def data_section() -> None:
    """The Data page's Spark section: the config's logs with provenance, and why import and pull skip them."""
    logs = spark_logs()
    if logs is None:
        return
    st.subheader("Spark logs")
    config = logs.path.removeprefix(PREFIX)
    if logs.error:
        st.error(logs.error)
        return
    rows = [
        {"log": label(i.name), "source": i.source, "read as": i.source_format, "prepared at": i.imported_at,
         "rows read": i.rows_read, "rows loaded": i.rows_loaded, "rows rejected": i.rows_rejected,
         "events": i.events, "cases": i.cases}
        for i in logs.infos.values()
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="spark_logs_table")
    st.info(
        f"These logs are read from the tables in `{config}` (${SPARK_ENV}) and computed on Spark; the "
        "import, pull and delete below apply to the DuckDB workspace only and are not available for Spark "
        "logs. To search cases or check conformance on one, import its table into the workspace (below, or "
        "`baton import SOURCE --name NAME`); restart the app to read the tables again.",
        icon=":material/info:",
    )
