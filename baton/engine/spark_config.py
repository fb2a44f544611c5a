"""A Spark config file: the session and the lakehouse event tables to read as logs, in one YAML file.

::

    spark:                          # optional; default a local session (local[2])
      master: local[2]              # or remote: sc://host:15002 (Spark Connect)
      config: {spark.driver.memory: 2g}
    tables:
      - name: orders                # the log's name
        source: /data/orders        # Parquet/Delta/Iceberg path (relative to this file) or table name
        format: delta               # optional: parquet, delta, iceberg or table (detected otherwise)
        case_id_key: order_id
        activity_key: step
        timestamp_key: ts
        resource_key: user          # optional: start_timestamp_key, lifecycle_key, event_order_key,
        case_attributes: [segment]  # source_timezone, timestamp_format, event_attributes, storage

`read_spark_config` checks the file without starting Spark; `open_spark_config` opens the session and
reads every table (`SparkWorkspace.read_table`), so ``sw.log("orders")`` is ready for the analytics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baton.engine.spark_read import FORMATS, TableFormat
from baton.errors import BatonError, EngineError, MappingError
from baton.yaml_files import read_yaml

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from baton.engine.spark_workspace import SparkWorkspace

TOP_KEYS = ("spark", "tables")
SPARK_KEYS = ("master", "remote", "config")
REQUIRED_KEYS = ("name", "source", "case_id_key", "activity_key", "timestamp_key")
_TEXT_KEYS = ("start_timestamp_key", "resource_key", "lifecycle_key", "event_order_key", "source_timezone",
              "timestamp_format")  # fmt: skip
_LIST_KEYS = ("case_attributes", "event_attributes")
TABLE_KEYS = (*REQUIRED_KEYS, "format", "storage", *_TEXT_KEYS, *_LIST_KEYS)
_EXAMPLE = (
    "tables:\n  - {name: orders, source: events.parquet, case_id_key: id, activity_key: step, "
    "timestamp_key: ts}"
)


@dataclass(frozen=True, slots=True)
class SparkTable:
    """One event table of the config: where it is, its log name and its column mapping (pm4py's keywords)."""

    name: str
    source: str
    case_id_key: str
    activity_key: str
    timestamp_key: str
    format: TableFormat | None = None
    storage: str | None = None
    mapping: Mapping[str, Any] = field(default_factory=dict)

    def read_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `SparkWorkspace.read_table` for this table (``source`` aside)."""
        return {
            "name": self.name, "case_id_key": self.case_id_key, "activity_key": self.activity_key,
            "timestamp_key": self.timestamp_key, "format": self.format, "storage": self.storage,
            **self.mapping,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class SparkConfig:
    """A checked Spark config file: the session settings and the tables, in the file's order."""

    path: Path
    master: str | None
    remote: str | None
    config: Mapping[str, str]
    tables: tuple[SparkTable, ...]


def read_spark_config(path: str | Path) -> SparkConfig:
    """Read and check a Spark config file (no Spark started).

    Raises:
        SourceNotFoundError, MalformedSourceError: no such file, or not YAML.
        MappingError: an unknown or missing key of the file or of a table, a value of the wrong type, a
            repeated log name (the message names the file, the key and the fix).
        EngineError: a bad ``spark:`` section (unknown key, both master and remote, a nested setting).
    """
    source = Path(path)
    doc = read_yaml(source, what="the Spark config")
    if not isinstance(doc, dict):
        raise MappingError(f"{source}: expected a mapping with the keys {list(TOP_KEYS)}, e.g.\n{_EXAMPLE}")
    _no_unknown(doc, TOP_KEYS, f"{source}", MappingError)
    master, remote, config = _spark_section(doc.get("spark"), source)
    rows = doc.get("tables")
    if not isinstance(rows, list) or not rows:
        raise MappingError(
            f"{source}: key 'tables' is missing or empty; list the event tables, e.g.\n{_EXAMPLE}"
        )
    tables = tuple(_table(row, i, source) for i, row in enumerate(rows))
    names = [t.name for t in tables]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise MappingError(
            f"{source}: tables: the name {repeated[0]!r} is used twice; give each table its own name"
        )
    return SparkConfig(source, master, remote, config, tables)


def open_spark_config(path: str | Path, *, session: SparkSession | None = None) -> SparkWorkspace:
    """Open the config's Spark session (`baton.open_spark`) and read every table as a log.

    Args:
        path: the config file.
        session: an existing SparkSession to use instead of the config's ``spark:`` section (a notebook's).

    Returns:
        The `SparkWorkspace`; ``sw.log(name)`` for each table, ``sw.stop()`` when done.

    Raises:
        BatonError: the config is invalid, Spark cannot start, or a table cannot be read (the message
            names the file and the table).
    """
    from baton.api import open_spark

    cfg = read_spark_config(path)
    if session is not None:
        sw = open_spark(session=session)
    else:
        sw = open_spark(master=cfg.master, remote=cfg.remote, config=dict(cfg.config) or None)
    for table in cfg.tables:
        try:
            sw.read_table(table.source, **table.read_kwargs())
        except BatonError as exc:
            raise type(exc)(f"{cfg.path}: table {table.name!r}: {exc}") from exc
    return sw


def _no_unknown(doc: Mapping[Any, Any], known: tuple[str, ...], where: str, error: type[BatonError]) -> None:
    unknown = [str(k) for k in doc if k not in known]
    if unknown:
        raise error(f"{where}: unknown key {unknown[0]!r}; the known keys are {list(known)}")


def _spark_section(section: Any, source: Path) -> tuple[str | None, str | None, dict[str, str]]:
    """(master, remote, config) of the ``spark:`` section; all empty without one."""
    if section is None:
        return None, None, {}
    where = f"{source}: spark"
    if not isinstance(section, dict):
        raise EngineError(
            f"{where}: expected a mapping with the keys {list(SPARK_KEYS)}, e.g. spark: {{master: local[2]}}"
        )
    _no_unknown(section, SPARK_KEYS, where, EngineError)
    master, remote = (_text(section, k, where, EngineError) for k in ("master", "remote"))
    if master and remote:
        raise EngineError(f"{where}: give master ({master}) or remote ({remote}), not both")
    settings = section.get("config") or {}
    if not isinstance(settings, dict):
        raise EngineError(
            f"{where}.config: expected Spark settings as a mapping, e.g. {{spark.driver.memory: 2g}}"
        )
    config = {}
    for key, value in settings.items():
        if isinstance(value, dict | list) or value is None:
            raise EngineError(
                f"{where}.config.{key}: expected one value (text, number or true/false), got {value!r}"
            )
        config[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return master, remote, config


def _table(row: Any, index: int, source: Path) -> SparkTable:
    where = f"{source}: tables[{index}]"
    if not isinstance(row, dict):
        raise MappingError(
            f"{where}: expected a mapping with the keys {list(REQUIRED_KEYS)} (and optional ones)"
        )
    if isinstance(row.get("name"), str) and row["name"].strip():
        where = f"{source}: table {row['name'].strip()!r}"
    _no_unknown(row, TABLE_KEYS, where, MappingError)
    required = {k: _text(row, k, where, MappingError) for k in REQUIRED_KEYS}
    missing = [k for k, v in required.items() if v is None]
    if missing:
        raise MappingError(f"{where}: key {missing[0]!r} is missing; add it, e.g. {missing[0]}: ...")
    fmt = _text(row, "format", where, MappingError)
    if fmt is not None and fmt not in FORMATS:
        raise MappingError(
            f"{where}: format {fmt!r} is not one of {list(FORMATS)}; or leave it out to detect it"
        )
    mapping: dict[str, Any] = {
        k: v for k in _TEXT_KEYS if (v := _text(row, k, where, MappingError)) is not None
    }
    for key in _LIST_KEYS:
        value = row.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise MappingError(
                f"{where}: {key} must be a list of column names, e.g. {key}: [segment, region]"
            )
        mapping[key] = tuple(value)
    return SparkTable(
        name=str(required["name"]),
        source=_resolve(str(required["source"]), fmt, source.parent),
        case_id_key=str(required["case_id_key"]),
        activity_key=str(required["activity_key"]),
        timestamp_key=str(required["timestamp_key"]),
        format=fmt,  # type: ignore[arg-type]  # checked against FORMATS above
        storage=_text(row, "storage", where, MappingError),
        mapping=mapping,
    )


def _text(doc: Mapping[str, Any], key: str, where: str, error: type[BatonError]) -> str | None:
    """The text value of ``key`` (stripped), None when absent; an error for another type or empty text."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise error(f"{where}: {key} must be text, got {value!r}; e.g. {key}: ...")
    return value.strip()


def _resolve(source: str, fmt: str | None, folder: Path) -> str:
    """A relative path resolved against the config's folder; URLs, absolute paths and table names as given.

    Without a format, a relative source that names no file there and has no ``/`` nor file suffix is taken
    for a catalog table name (``sales.order_events``).
    """
    if fmt == "table" or "://" in source or Path(source).is_absolute():
        return source
    resolved = folder / source
    looks_like_path = "/" in source or Path(source).suffix in (".parquet", ".json")
    if fmt is not None or resolved.exists() or looks_like_path:
        return str(resolved.resolve())
    return source
