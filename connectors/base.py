"""The file-connector contract: a connector reads one source into a `RawSource`; it never writes DuckDB.

The loader (``baton.store.ingest``) does all validation, timestamp parsing, lifecycle merging,
rejects and writing, the same way for every connector.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from baton.errors import SourceNotFoundError

#: Name of the column every connector adds: the 1-based row (or event) number in the source.
SOURCE_ROW = "__source_row"


@dataclass(frozen=True, slots=True)
class RawSource:
    """One source as read, before mapping.

    Attributes:
        path: the file read.
        format: ``csv``, ``parquet``, ``excel``, ``xes``, ``ocel-json``, ``ocel-xml``, ``ocel-sqlite``.
        table: the source columns, typed where the format is typed (numbers, booleans, timestamps);
            timestamp columns from text formats stay strings so the loader parses them with zones.
            Always holds ``SOURCE_ROW`` (int64, 1-based, file order).
        detected: what the connector detected or was told (delimiter, encoding, sheet, object type ...),
            stored in the catalog as provenance.
        default_mapping: the mapping a format implies (XES: ``concept:name`` ...), keys as in
            ``baton.schema.MAPPING_KEYS``; user keywords override it.
        case_attributes: columns that hold case-level attributes (XES trace attributes ...).
        checksum: sha256 hex digest of the source file's bytes.
    """

    path: Path
    format: str
    table: pa.Table
    detected: dict[str, Any] = field(default_factory=dict)
    default_mapping: dict[str, str] = field(default_factory=dict)
    case_attributes: tuple[str, ...] = ()
    checksum: str = ""


def existing_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, or raise a SourceNotFoundError that says what to check."""
    p = Path(path).expanduser()
    if not p.is_file():
        where = "is a directory" if p.is_dir() else "does not exist"
        raise SourceNotFoundError(
            f"{p}: the file {where}; check the path (relative paths start at {Path.cwd()})"
        )
    return p


def file_checksum(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def with_source_rows(table: pa.Table, first: int = 1) -> pa.Table:
    """Append the ``SOURCE_ROW`` column (file order) to a table that lacks it."""
    if SOURCE_ROW in table.column_names:
        return table
    import numpy as np

    return table.append_column(SOURCE_ROW, pa.array(np.arange(first, first + table.num_rows, dtype="int64")))
