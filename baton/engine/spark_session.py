"""Open a Spark session for Baton: local mode, a cluster's master URL or a Spark Connect URL (``sc://``)."""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

from baton.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings Baton's SQL relies on: UTC session time (date_trunc periods, timestamps returned as UTC).
REQUIRED_CONFIG: Mapping[str, str] = {"spark.sql.session.timeZone": "UTC"}
#: Sensible defaults for small aggregates; a user's ``config`` overrides them.
DEFAULT_CONFIG: Mapping[str, str] = {"spark.sql.shuffle.partitions": "8"}
#: For sessions Baton starts itself (a local or cluster driver; a Spark Connect server has its own).
_DRIVER_ONLY: Mapping[str, str] = {"spark.ui.showConsoleProgress": "false"}
_LOCAL_ONLY: Mapping[str, str] = {"spark.ui.enabled": "false"}


def java_missing_reason() -> str | None:
    """Why a local Spark cannot start here (no Java, no pyspark), or None when it can."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "Java not found (install a JRE 17, e.g. Debian's openjdk-17-jre-headless, or set JAVA_HOME)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'baton[spark]')"
    return None


def spark_session(
    *,
    master: str | None = None,
    remote: str | None = None,
    config: Mapping[str, str] | None = None,
    app_name: str = "baton",
) -> SparkSession:
    """Get or create the Spark session Baton's Spark engine runs on.

    Args:
        master: a master URL (``local[4]``, ``spark://host:7077``, ``yarn``); default ``local[2]``.
        remote: a Spark Connect URL (``sc://host:15002``) instead of a master; needs ``pyspark[connect]``.
        config: further Spark settings (memory, catalogs such as Delta or Iceberg, a Hive metastore).
        app_name: the application name shown in the cluster's UI.

    Returns:
        The session, with ``spark.sql.session.timeZone`` set to UTC (Baton's timestamps are UTC).

    Raises:
        EngineError: pyspark or Java is missing, or the session cannot start (the cause is chained).
    """
    if master and remote:
        raise EngineError(f"pass master={master!r} or remote={remote!r}, not both")
    reason = None if remote else java_missing_reason()
    if reason:
        raise EngineError(f"cannot start a local Spark session: {reason}")
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    settings = {**DEFAULT_CONFIG, **(config or {}), **REQUIRED_CONFIG}
    if remote:
        builder = builder.remote(remote)
    else:
        target = master or "local[2]"
        builder = builder.master(target)
        settings = {**_DRIVER_ONLY, **settings}
        if target.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no loopback-hostname warning
            settings = {**_LOCAL_ONLY, **settings}
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / grpc errors: wrap at the boundary with the cause
        where = remote or master or "local[2]"
        raise EngineError(f"could not start a Spark session on {where}: {exc}") from exc
    for key, value in REQUIRED_CONFIG.items():
        session.conf.set(key, value)  # an existing session may have been created without them
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed query's plan as JSON before raising; Baton raises an EngineError naming it
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return session
