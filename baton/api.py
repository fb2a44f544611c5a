"""The notebook facade: open a workspace, import files, pick a log, filter, compute.

Example:
    >>> import baton
    >>> ws = baton.open_workspace()                                  # in-memory
    >>> report = ws.import_file("sample_logs/loans_after.csv", name="after")   # doctest: +SKIP
    >>> log = ws.log("after")                                        # doctest: +SKIP
    >>> baton.discover_dfg(log).to_frame().head()                    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from baton.schema import REQUIRED_KEYS
from baton.store import ImportOptions, ImportReport, SourceData, import_table
from baton.store import Workspace as _StoreWorkspace
from baton.store.ingest import Progress
from baton.store.pull import LoadReport, PullSource, pull
from connectors import read_source
from connectors.base import RawSource
from connectors.mapping import resolve_mapping
from connectors.sources.config import build_source, mask_secrets, read_source_config

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from baton.engine.spark_workspace import SparkWorkspace

FORMATS = (
    "csv",
    "tsv",
    "txt",
    "parquet",
    "xlsx",
    "xls",
    "xlsm",
    "ods",
    "xes",
    "xes.gz",
    "jsonocel",
    "xmlocel",
    "sqlite",
)


class Workspace(_StoreWorkspace):
    """A workspace with file import: the object notebooks and the app work with."""

    def read(self, path: str | Path, **reader_options: Any) -> RawSource:
        """Read a file without storing it (for previews and mapping suggestions)."""
        return read_source(path, **reader_options)

    def import_file(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        case_id_key: str | None = None,
        activity_key: str | None = None,
        timestamp_key: str | None = None,
        start_timestamp_key: str | None = None,
        resource_key: str | None = None,
        lifecycle_key: str | None = None,
        source_timezone: str = "UTC",
        timestamp_format: str | None = None,
        start_timestamp_format: str | None = None,
        dayfirst: bool | None = None,
        case_attributes: list[str] | tuple[str, ...] | None = None,
        progress: Progress | None = None,
        exact_mapping: bool = False,
        source_label: str | None = None,
        **reader_options: Any,
    ) -> ImportReport:
        """Import a CSV, Parquet, Excel, XES or OCEL 2.0 file as log ``name`` (replacing one of that name).

        Column keywords follow pm4py (``case_id_key=`` ...); unset ones are suggested from the column
        names and values. ``source_timezone`` is the zone of timestamps written without an offset.
        Reader options go to the connector (``delimiter=``, ``encoding=``, ``sheet=``, ``object_type=``).
        ``exact_mapping=True`` leaves optional keys not given unmapped (no suggestion fills them);
        ``source_label`` is stored as the log's source instead of ``path`` (e.g. an uploaded file's name).

        Returns:
            The ImportReport: counts, reject reasons and warnings (also stored in the workspace).
        """
        raw = self.read(path, **reader_options)
        user = {
            "case_id_key": case_id_key,
            "activity_key": activity_key,
            "timestamp_key": timestamp_key,
            "start_timestamp_key": start_timestamp_key,
            "resource_key": resource_key,
            "lifecycle_key": lifecycle_key,
        }
        given: dict[str, str | None] = {k: v for k, v in user.items() if v}
        if exact_mapping:  # optional keys not given stay unmapped; required ones may still be suggested
            given |= {k: None for k in user if k not in given and k not in REQUIRED_KEYS}
        mapping = resolve_mapping(raw.table, given, raw.default_mapping, source=source_label or str(raw.path))
        options = ImportOptions(
            source_timezone=source_timezone,
            timestamp_format=timestamp_format,
            start_timestamp_format=start_timestamp_format,
            dayfirst=dayfirst,
            case_attributes=tuple(case_attributes) if case_attributes is not None else None,
        )
        source = SourceData(
            path=source_label or str(raw.path),
            format=raw.format,
            table=raw.table,
            checksum=raw.checksum,
            detected={**raw.detected, **({"reader_options": reader_options} if reader_options else {})},
            case_attributes=raw.case_attributes,
        )
        name = name or default_log_name(raw.path)
        del raw  # the pipeline drops source columns it has encoded; nothing else may hold the table
        return import_table(
            self,
            source,
            name=name,
            mapping=mapping,
            options=options,
            progress=progress,
        )

    def pull(
        self, source: PullSource | str | Path, *, progress: Progress | None = None, bound_memory: bool = True
    ) -> LoadReport:
        """Pull a source system into the log named after it: only rows since the last pull, in one transaction.

        Args:
            source: a source config file (``sources/orders.yaml``, see ``connectors.sources.config``) or a
                connector object (``connectors.sources.base.Source``).
            progress: called with (stage, share done).
            bound_memory: run under ``BATON_PULL_MEMORY_LIMIT`` (256MB by default; see ``baton.store.pull``).

        Returns:
            The LoadReport (rows read, inserted, updated, rejected by reason, cursor before and after); the
            history is ``source_loads(name)``.
        """
        if isinstance(source, str | Path):
            config = read_source_config(source)
            return pull(
                self, build_source(config), progress=progress, mask=lambda text: mask_secrets(text, config),
                bound_memory=bound_memory,
            )  # fmt: skip
        return pull(self, source, progress=progress, bound_memory=bound_memory)


def default_log_name(path: Path) -> str:
    """The file name without its format suffixes: ``loans_after.xes.gz`` -> ``loans_after``."""
    name = path.name
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.lower().endswith("." + suffix):
            return name[: -len(suffix) - 1]
    return path.stem


def open_workspace(path: str | Path | None = None, *, read_only: bool = False) -> Workspace:
    """Open or create a workspace file; no path gives an in-memory workspace (notebooks, tests)."""
    return Workspace.open(path, read_only=read_only)


def open_spark(
    *,
    master: str | None = None,
    remote: str | None = None,
    config: dict[str, str] | None = None,
    session: SparkSession | None = None,
) -> SparkWorkspace:
    """A Spark workspace: read lakehouse event tables there and run Baton's analytics on Spark.

    Args:
        master: a master URL (``spark://host:7077``, ``yarn``, ``k8s://...``); default ``local[2]``.
        remote: a Spark Connect URL (``sc://host:15002``) instead of a master.
        config: Spark settings (driver memory, Delta/Iceberg catalogs, a Hive metastore URI ...).
        session: an existing SparkSession to use instead (a notebook's ``spark``); its time zone is set to UTC.

    Returns:
        A `baton.engine.spark_workspace.SparkWorkspace`: ``read_table(...)`` then ``log(name)``.

    Raises:
        EngineError: pyspark or Java is missing, or the session cannot start.
    """
    from baton.engine.spark_session import REQUIRED_CONFIG, spark_session
    from baton.engine.spark_workspace import SparkWorkspace

    if session is not None:
        for key, value in REQUIRED_CONFIG.items():
            session.conf.set(key, value)
        return SparkWorkspace(session)
    return SparkWorkspace(spark_session(master=master, remote=remote, config=config))
