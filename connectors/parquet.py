"""Read a Parquet file into a RawSource with pyarrow, keeping its types (timestamps stay typed)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from baton.arrowtypes import is_text
from baton.errors import MalformedSourceError
from connectors.base import SOURCE_ROW, RawSource, existing_file, file_checksum, with_source_rows


def _timestamp_zones(schema: pa.Schema) -> dict[str, str | None]:
    """Each timestamp column's zone; None marks naive timestamps the loader reads in the source zone."""
    return {f.name: f.type.tz for f in schema if pa.types.is_timestamp(f.type)}


_PROBE_ROWS = 65_536


def _low_cardinality_text(path: Path) -> list[str]:
    """Text columns with few distinct values in the first rows (activities, resources, statuses).

    They are read dictionary-encoded, as Parquet stores them: decoding 10M activity strings only for the
    loader to encode them again costs time and about 200 MB per column. High-cardinality text (case ids)
    is read plain, since unifying many per-row-group dictionaries is slower than encoding once.
    """
    try:
        pf = pq.ParquetFile(path)
        text = [f.name for f in pf.schema_arrow if is_text(f.type) and not pa.types.is_dictionary(f.type)]
        if not text or pf.metadata.num_rows == 0:
            return []
        probe = pq.ParquetFile(path, read_dictionary=text)
        batch = next(probe.iter_batches(batch_size=_PROBE_ROWS, columns=text))
    except (pa.ArrowInvalid, OSError, StopIteration):
        return []  # the full read reports what is wrong with the file
    limit = max(64, batch.num_rows // 50)
    return [c for c in text if len(batch.column(c).dictionary) <= limit]


def read_parquet(path: str | Path) -> RawSource:
    """Read a Parquet file into a RawSource in file order.

    Args:
        path: the file.

    Returns:
        The typed table; ``detected`` holds ``types``, ``timestamp_zones`` (None = naive) and
        ``naive_timestamps`` (columns the loader interprets in the declared source zone).

    Raises:
        SourceNotFoundError: the file does not exist.
        MalformedSourceError: the file is empty, not Parquet, or truncated.
    """
    p = existing_file(path)
    if p.stat().st_size == 0:
        raise MalformedSourceError(f"{p}: the file is empty (0 bytes); write the Parquet file again")
    with p.open("rb") as fh:
        head = fh.read(4)
    if head != b"PAR1":
        raise MalformedSourceError(
            f"{p}: not a Parquet file (it does not start with 'PAR1'); pass a .parquet file or use read_csv"
        )
    try:
        table = pq.read_table(p, read_dictionary=_low_cardinality_text(p))
    except (pa.ArrowInvalid, OSError) as exc:
        raise MalformedSourceError(
            f"{p}: the Parquet file cannot be read (truncated or damaged: {exc}); write it again"
        ) from exc
    if SOURCE_ROW in table.column_names:
        raise MalformedSourceError(f"{p}: the column name {SOURCE_ROW!r} is reserved by Baton; rename it")
    zones = _timestamp_zones(table.schema)
    detected = {
        "types": {f.name: str(f.type) for f in table.schema},
        "timestamp_zones": zones,
        "naive_timestamps": [name for name, tz in zones.items() if tz is None],
    }
    return RawSource(
        path=p, format="parquet", table=with_source_rows(table), detected=detected, checksum=file_checksum(p)
    )
