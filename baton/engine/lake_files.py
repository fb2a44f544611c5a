"""Resolve a Delta Lake or Iceberg table's current snapshot to its Parquet data files, without Spark jars."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from baton.errors import EngineError, MalformedSourceError, SourceNotFoundError

_DELTA_FIX = "open it with a Spark session that has Delta Lake configured (delta-spark, Databricks)"
_ICEBERG_FIX = "open it with a Spark session that has the Iceberg runtime configured (iceberg-spark-runtime)"
_METADATA_VERSION = re.compile(r"^v?(\d+)[.-]")  # v12.metadata.json, 00012-<uuid>.metadata.json


@dataclass(frozen=True, slots=True)
class LakeFiles:
    """The Parquet files holding one snapshot of a lake table, ready for ``spark.read.parquet(*files)``."""

    format: str
    files: tuple[str, ...]
    version: int | str
    columns: tuple[str, ...]


def _local_path(path: str) -> Path | None:
    """``path`` as a local path (plain or ``file:`` URI); None for other URI schemes (s3://, abfss://)."""
    parsed = urlparse(path)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    if len(parsed.scheme) > 1:  # a one-letter "scheme" is a Windows drive
        return None
    return Path(path)


def _metadata_jsons(directory: Path) -> list[Path]:
    """The ``*.metadata.json`` files of an Iceberg table directory's ``metadata/`` folder."""
    folder = directory / "metadata"
    return sorted(folder.glob("*.metadata.json")) if folder.is_dir() else []


def detect_lake_format(path: str) -> str | None:
    """The table format stored at a local ``path`` (or ``file:`` URI; other URIs give None).

    Returns:
        ``"delta"`` when ``<path>/_delta_log`` exists, ``"iceberg"`` for a ``*.metadata.json`` file or a
        directory whose ``metadata/`` folder holds one, else None (plain Parquet).
    """
    local = _local_path(path)
    if local is None:
        return None
    if (local / "_delta_log").is_dir():
        return "delta"
    if (local.name.endswith(".metadata.json") and local.is_file()) or _metadata_jsons(local):
        return "iceberg"
    return None


def check_delta_protocol(
    path: str,
    *,
    reader_features: Iterable[str] | None,
    configuration: Mapping[str, str | None],
    partition_columns: Iterable[str],
) -> None:
    """Refuse a Delta table (``path``, named in messages) whose Parquet files alone do not hold its rows.

    Raises EngineError for deletion vectors (deleted rows stay in the files), column mapping (files use
    physical column names) or partition columns (their values live in the log, not in the files).
    """
    enabled = str(configuration.get("delta.enableDeletionVectors")).lower() == "true"
    if enabled or "deletionVectors" in set(reader_features or ()):
        raise EngineError(
            f"Delta table {path} has deletion vectors enabled: rows deleted through them are still in its "
            f"Parquet files, so reading the files alone would bring them back; {_DELTA_FIX}, or purge them "
            "(REORG TABLE ... APPLY (PURGE); ALTER TABLE ... DROP FEATURE deletionVectors)"
        )
    mode = configuration.get("delta.columnMapping.mode") or "none"
    if mode != "none":
        raise EngineError(
            f"Delta table {path} uses column mapping mode '{mode}': its Parquet files name columns by "
            f"physical ids, not by the table's column names; {_DELTA_FIX}"
        )
    if partitions := list(partition_columns):
        raise EngineError(
            f"Delta table {path} is partitioned by {', '.join(repr(c) for c in partitions)}: those "
            f"columns' values are not in its Parquet files; {_DELTA_FIX}, or rewrite it unpartitioned"
        )


def delta_files(path: str, *, version: int | None = None) -> LakeFiles:
    """The data files of a Delta table's current version (or of ``version``), read with ``deltalake``.

    Args:
        path: The table directory (local path or URI ``deltalake`` can open).
        version: An older table version to read (time travel); None for the latest.

    Raises:
        SourceNotFoundError: No Delta table at ``path``.
        EngineError: No such ``version``, or the table needs a Delta reader (see `check_delta_protocol`).
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    local = _local_path(path)
    if local is not None and not (local / "_delta_log").is_dir():
        raise SourceNotFoundError(f"no Delta table at {path}: expected a directory holding _delta_log/")
    try:
        table = DeltaTable(path)
        if version is not None and not 0 <= version <= table.version():
            raise EngineError(f"Delta table {path} has no version {version}; pass 0 to {table.version()}")
        if version is not None:
            table.load_as_version(version)
    except TableNotFoundError as exc:
        raise SourceNotFoundError(f"no Delta table at {path} ({exc}); check the path") from exc
    except DeltaError as exc:  # unsupported reader features, vacuumed or corrupt log files
        raise EngineError(f"cannot open Delta table {path} (version {version}): {exc}; {_DELTA_FIX}") from exc
    meta = table.metadata()
    check_delta_protocol(
        path,
        reader_features=table.protocol().reader_features,
        configuration=meta.configuration,
        partition_columns=meta.partition_columns,
    )
    return LakeFiles(
        format="delta",
        files=tuple(sorted(table.file_uris())),
        version=table.version(),
        columns=tuple(field.name for field in table.schema().fields),
    )


def iceberg_metadata_file(path: str) -> str:
    """The metadata JSON to open for an Iceberg table given as a metadata file or a table directory.

    A directory's current metadata is the one ``metadata/version-hint.text`` names, else the highest
    version number (``v10`` > ``v9``; ``00010-<uuid>``). For a catalog-managed table the catalog's pointer
    is authoritative (a rollback or failed commit can leave a higher orphan): pass that JSON to be exact.
    Raises SourceNotFoundError when there is no metadata, EngineError for a remote directory.
    """
    local = _local_path(path)
    if path.endswith(".metadata.json"):
        if local is not None and not local.is_file():
            raise SourceNotFoundError(f"Iceberg metadata file {path} does not exist; check the path")
        return path
    if local is None:
        raise EngineError(
            f"cannot list the remote Iceberg directory {path}; pass its current *.metadata.json"
        )
    candidates = _metadata_jsons(local)
    if not candidates:
        raise SourceNotFoundError(
            f"no Iceberg table at {path}: expected a metadata/ folder of *.metadata.json"
        )
    numbered = [(int(m[1]), c.name, c) for c in candidates if (m := _METADATA_VERSION.match(c.name))]
    hint = local / "metadata" / "version-hint.text"
    text = hint.read_text(encoding="utf-8").strip() if hint.is_file() else ""
    hinted = [c for n, name, c in numbered if name == text or (text.isdigit() and n == int(text))]
    if hinted:
        return str(hinted[0])
    if not numbered:
        names = ", ".join(c.name for c in candidates)
        raise EngineError(f"cannot tell the current Iceberg metadata in {path} ({names}); pass one of them")
    return str(max(numbered)[2])


def _spark_uri(file_path: str) -> str:
    """``file:/x`` and ``file://x`` written by other engines as ``file:///x``; other paths unchanged."""
    if file_path.startswith("file:") and not file_path.startswith("file:///"):
        return "file:///" + file_path.removeprefix("file:").lstrip("/")
    return file_path


def check_iceberg_tasks(path: str, tasks: Iterable[Any]) -> tuple[str, ...]:
    """The sorted data file URIs of planned scan tasks (pyiceberg ``FileScanTask``).

    Raises:
        EngineError: A task carries position or equality delete files (merge-on-read deletes).
    """
    files: list[str] = []
    for task in tasks:
        if task.delete_files:
            raise EngineError(
                f"Iceberg table {path} has delete files (merge-on-read deletes) for {task.file.file_path}: "
                f"reading the data files alone would bring deleted rows back; {_ICEBERG_FIX}, or compact it "
                "(CALL system.rewrite_data_files / rewrite_position_delete_files)"
            )
        files.append(_spark_uri(task.file.file_path))
    return tuple(sorted(files))


def _check_no_renames(path: str, metadata: Any) -> None:
    """Refuse a table whose column ids were ever known by another name (Spark reads Parquet by name)."""
    from pyiceberg.schema import index_name_by_id

    current = index_name_by_id(metadata.schema())
    for schema in metadata.schemas:
        for field_id, name in index_name_by_id(schema).items():
            if field_id in current and current[field_id] != name:
                raise EngineError(
                    f"Iceberg table {path} renamed column '{name}' to '{current[field_id]}': older data "
                    f"files still name it '{name}', and Spark's plain Parquet reader matches columns by "
                    f"name; {_ICEBERG_FIX}, or rewrite the data files"
                )


def iceberg_files(path: str, *, snapshot_id: int | None = None) -> LakeFiles:
    """The data files of an Iceberg table's current snapshot (or of ``snapshot_id``), read with pyiceberg.

    Spark reads the returned Parquet files by column name, whereas Iceberg matches field ids: a table
    whose metadata shows a rename is refused; a column dropped and re-added under the same name is not
    detected. Identity-partition values are expected inside the data files (as Iceberg writers do).

    Args:
        path: A ``*.metadata.json`` file (path or URI) or a local table directory.
        snapshot_id: An older snapshot to read; None for the current one. The result's ``version`` is the
            snapshot id read, -1 for a table without snapshots (as Iceberg writes it).

    Raises:
        SourceNotFoundError: No Iceberg table at ``path``.
        EngineError: Unknown ``snapshot_id``, delete files, or renamed columns.
    """
    from pyiceberg.table import StaticTable

    metadata_file = iceberg_metadata_file(path)
    try:
        table = StaticTable.from_metadata(metadata_file)
    except OSError as exc:
        raise SourceNotFoundError(f"cannot read Iceberg metadata {metadata_file}: {exc}") from exc
    except ValueError as exc:  # pydantic's ValidationError: not table metadata
        raise MalformedSourceError(f"{metadata_file} is not Iceberg table metadata JSON: {exc}") from exc
    if snapshot_id is not None and table.snapshot_by_id(snapshot_id) is None:
        known = ", ".join(str(s.snapshot_id) for s in table.metadata.snapshots[-5:])
        raise EngineError(
            f"Iceberg table {path} has no snapshot {snapshot_id}; its latest snapshots are: {known or 'none'}"
        )
    _check_no_renames(path, table.metadata)
    scan = table.scan(snapshot_id=snapshot_id)
    current = table.metadata.current_snapshot_id
    return LakeFiles(
        format="iceberg",
        files=check_iceberg_tasks(path, scan.plan_files()),
        version=next((s for s in (snapshot_id, current) if s is not None), -1),
        columns=tuple(field.name for field in scan.projection().fields),
    )
