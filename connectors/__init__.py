"""File connectors: read a source file into a `RawSource` (never write DuckDB, never compute metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baton.errors import UnsupportedFormatError
from connectors.base import RawSource, existing_file

SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".ods": "excel",
    ".xes": "xes",
    ".xes.gz": "xes",
    ".jsonocel": "ocel",
    ".xmlocel": "ocel",
    ".sqlite": "ocel",
    ".sqlite3": "ocel",
}


def detect_format(path: Path) -> str:
    """The connector for a file, by its suffix (``.xes.gz`` counts as one)."""
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    raise UnsupportedFormatError(
        f"{path}: cannot tell the format from the suffix {path.suffix!r}; Baton reads "
        f"{', '.join(sorted(SUFFIXES))}; rename the file or export it in one of these formats"
    )


def read_source(path: str | Path, **options: Any) -> RawSource:
    """Read any supported file; ``options`` go to the format's reader (delimiter=, sheet=, object_type=)."""
    p = existing_file(path)
    fmt = detect_format(p)
    if fmt == "csv":
        from connectors.csv import read_csv

        return read_csv(p, **options)
    if fmt == "parquet":
        from connectors.parquet import read_parquet

        return read_parquet(p, **options)
    if fmt == "excel":
        from connectors.excel import read_excel

        return read_excel(p, **options)
    if fmt == "xes":
        from connectors.xes import read_xes

        return read_xes(p, **options)
    from connectors.ocel import read_ocel

    return read_ocel(p, **options)


__all__ = ["RawSource", "detect_format", "read_source"]
