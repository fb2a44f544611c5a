"""Read one sheet of an Excel or OpenDocument workbook into a RawSource with python-calamine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import python_calamine

from baton.errors import MalformedSourceError
from connectors.base import SOURCE_ROW, RawSource, existing_file, file_checksum


def _cell(value: Any) -> Any:
    if value == "" or value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _column(values: list[Any]) -> pa.Array:
    """Typed where the cells agree (numbers, booleans, naive datetimes), text otherwise."""
    # Excel stores every number as a float; whole numbers (ids, counts) read back as integers
    values = [int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _names(header: list[Any]) -> list[str]:
    names: list[str] = []
    for i, value in enumerate(header):
        base = str(value).strip() if value not in ("", None) else f"column{i}"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def _open(p: Path) -> Any:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types for bad files
        raise MalformedSourceError(
            f"{p}: not a readable workbook (.xlsx, .xlsm, .xls, .ods): {exc}; save it again from Excel"
        ) from exc


def read_excel(path: str | Path, *, sheet: str | int | None = None) -> RawSource:
    """Read one sheet (the first by default) into a RawSource; the first non-empty row is the header.

    Args:
        path: the workbook.
        sheet: sheet name or 0-based index; the first sheet when None.

    Returns:
        The table (``__source_row`` n is the n-th row below the header) with ``detected`` holding
        ``sheets``, ``sheet``, ``header_row`` (1-based spreadsheet row) and ``types``.

    Raises:
        SourceNotFoundError: the file does not exist.
        MalformedSourceError: not a workbook, unknown sheet, or a sheet without data rows.
    """
    p = existing_file(path)
    book = _open(p)
    names = list(book.sheet_names)
    chosen = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
    chosen = names[0] if chosen is None and names else chosen
    if chosen not in names:
        raise MalformedSourceError(f"{p}: no sheet {sheet!r}; the workbook has sheets {names}; pass sheet=")
    rows = book.get_sheet_by_name(str(chosen)).to_python(skip_empty_area=False)
    start = next((i for i, r in enumerate(rows) if any(c not in ("", None) for c in r)), None)
    if start is None or start == len(rows) - 1:
        what = "is empty" if start is None else "has a header row but no data rows"
        raise MalformedSourceError(f"{p}: sheet {chosen!r} {what}; pass sheet= to read another of {names}")
    header = _names(rows[start])
    body = [(n, r) for n, r in enumerate(rows[start + 1 :], start=1) if any(c not in ("", None) for c in r)]
    if SOURCE_ROW in header:
        raise MalformedSourceError(f"{p}: the column name {SOURCE_ROW!r} is reserved by Baton; rename it")
    arrays = [_column([_cell(r[i]) if i < len(r) else None for _, r in body]) for i in range(len(header))]
    arrays.append(pa.array([n for n, _ in body], pa.int64()))
    table = pa.Table.from_arrays(arrays, names=[*header, SOURCE_ROW])
    detected = {
        "sheets": names,
        "sheet": chosen,
        "header_row": start + 1,
        "types": {f.name: str(f.type) for f in table.schema if f.name != SOURCE_ROW},
    }
    return RawSource(path=p, format="excel", table=table, detected=detected, checksum=file_checksum(p))
