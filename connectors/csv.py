"""Read a delimited text file into a RawSource with DuckDB, detecting encoding, delimiter and header."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import charset_normalizer
import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from baton.arrowtypes import is_text
from baton.errors import MalformedSourceError
from connectors.base import RawSource, existing_file, file_checksum, with_source_rows

_SAMPLE_BYTES = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")
_NATIVE = {
    "utf_8": "utf-8",
    "ascii": "utf-8",
    "utf_16": "utf-16",
    "utf_16_le": "utf-16",
    "latin_1": "latin-1",
}
_TYPE_CANDIDATES = ["BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR"]
_OPTION_NAME = re.compile(r"[a-z_]+")
_ERROR_LINE = re.compile(r"Line: (\d+)")
_ERROR_COLUMN = re.compile(r'converting column "((?:[^"]|"")*)"')


def _detect_encoding(path: Path, sample: bytes) -> str:
    """Python codec name of the file's encoding, or a MalformedSourceError for binary content."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf_8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf_16"
    if b"\x00" not in sample:
        try:
            codecs.getincrementaldecoder("utf_8")().decode(sample, final=False)
            return "utf_8"
        except UnicodeDecodeError:
            pass
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    names = {name for m in matches for name in m.could_be_from_charset}
    if best is not None and b"\x00" not in sample and names & {"cp1252", "latin_1"}:
        # small samples make charset-normalizer guess exotic code pages; Western ones are far likelier
        return "cp1252" if "cp1252" in names and re.search(b"[\x80-\x9f]", sample) else "latin_1"
    if best is None or (b"\x00" in sample and not best.encoding.startswith("utf_16")):
        raise MalformedSourceError(
            f"{path}: the file does not look like a text CSV (it holds NUL bytes or bytes that decode in no "
            "known text encoding); export it as CSV, or pass encoding='...' if it is text"
        )
    return str(best.encoding)


def _sample_text(sample: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    text = text.lstrip("\ufeff")
    return text[: text.rfind("\n") + 1] if len(sample) == _SAMPLE_BYTES and "\n" in text else text


def _rows(text: str, delimiter: str, quotechar: str) -> list[tuple[int, list[str]]]:
    """Parsed sample records with the physical line each starts on (blank lines skipped, as DuckDB does)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar, strict=False)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if record:
                out.append((line, record))
            line = reader.line_num + 1
    except csv.Error:
        pass  # the sample ends inside a quoted field
    return out


def _detect_delimiter(text: str, quotechar: str) -> str:
    """The candidate splitting the most sample records into the same number (> 1) of fields."""
    best, best_score = ",", (-1, 0)
    for cand in _DELIMITERS:
        rows = _rows(text, cand, quotechar)[:500]
        if not rows:
            continue
        width = len(rows[0][1])
        score = (sum(1 for _, r in rows if len(r) == width), width) if width > 1 else (0, 1)
        if score > best_score:
            best, best_score = cand, score
    return best


def _looks_like_data(value: str) -> bool:
    return value == "" or bool(re.fullmatch(r"[-+]?[\d.,:/ TZ]+", value.strip()))


def _detect_header(rows: list[tuple[int, list[str]]]) -> bool:
    """A first record of distinct non-numeric, non-date names is a header."""
    if not rows:
        return True
    first = rows[0][1]
    return len(set(first)) == len(first) and not any(_looks_like_data(v) for v in first)


def _check_ragged(path: Path, rows: list[tuple[int, list[str]]], delimiter: str) -> None:
    if not rows:
        return
    width = len(rows[0][1])
    for line, record in rows[1:]:
        if len(record) != width:
            raise MalformedSourceError(
                f"{path}: line {line} has {len(record)} fields but the first row has {width} "
                f"(delimiter {delimiter!r}); fix that line, or pass delimiter=/quotechar= if the guess is wrong"
            )


def _transcode(path: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of a file in another encoding to a temporary file (caller deletes it)."""
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="baton-")
    with (
        os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
        path.open(encoding=encoding, newline="", errors="strict") as src,
    ):
        try:
            for block in iter(lambda: src.read(1 << 20), ""):
                out.write(block)
        except UnicodeDecodeError as exc:
            raise MalformedSourceError(
                f"{path}: byte {exc.start} does not decode as {encoding}; pass encoding='...' (e.g. 'cp1252')"
            ) from exc
    return Path(name)


def _query(options: dict[str, Any], types: dict[str, str]) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"path": options.pop("path")}
    args = ["$path"]
    if types:
        options = {**options, "types": types}
    for key, value in options.items():
        if not _OPTION_NAME.fullmatch(key):
            raise ValueError(f"DuckDB read_csv option names are lowercase words, got {key!r}")
        params[f"o_{key}"] = value
        args.append(f"{key} := $o_{key}")
    return f"SELECT * FROM read_csv({', '.join(args)})", params  # noqa: S608


def _read_duckdb(path: Path, shown: Path, options: dict[str, Any]) -> pa.Table:
    """Read with DuckDB; a column typed from the sample that later fails to convert is re-read as text."""
    types: dict[str, str] = {}
    with duckdb.connect() as con:
        con.execute("SET TimeZone='UTC'")
        con.execute("SET preserve_insertion_order=true")
        for _ in range(50):
            sql, params = _query({**options, "path": str(path)}, types)
            try:
                return _owned_table(con.sql(sql, params=params).to_arrow_reader(_BATCH_ROWS))
            except (duckdb.Error, OSError, pa.ArrowException) as exc:
                # streamed batches surface DuckDB's errors through Arrow (OSError) with the same text
                if not isinstance(exc, duckdb.ConversionException) and "Conversion Error" not in str(exc):
                    raise _read_error(shown, exc) from exc
                m = _ERROR_COLUMN.search(str(exc))
                if not m or m.group(1) in types:
                    raise MalformedSourceError(f"{shown}: {_first_line(exc)}") from exc
                types[m.group(1).replace('""', '"')] = "VARCHAR"
    raise MalformedSourceError(f"{shown}: too many columns changed type while reading; pass all_varchar=True")


_BATCH_ROWS = 1_000_000


def _owned_table(reader: pa.RecordBatchReader) -> pa.Table:
    """The CSV's rows in Arrow memory that Baton owns column by column.

    DuckDB exports each record batch as one allocation shared by all its columns, so the loader could not
    free a column it has encoded before the whole source is released. Each batch is therefore copied as it
    arrives: text columns with few distinct values (in the first batch) as dictionaries, which is also
    how the loader wants them, the rest as plain copies. The DuckDB batch is released right after.
    """
    batches: list[pa.RecordBatch] = []
    coded: set[int] | None = None
    for batch in reader:
        if coded is None:
            coded = {i for i, col in enumerate(batch.columns) if _low_cardinality(col)}
        columns = [
            pc.dictionary_encode(col) if i in coded else pa.concat_arrays([col])
            for i, col in enumerate(batch.columns)
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, names=batch.schema.names))
    if not batches:
        return reader.read_all()
    return pa.Table.from_batches(batches) if len({b.schema for b in batches}) == 1 else _unify(batches)


def _low_cardinality(column: pa.Array) -> bool:
    """Text with few distinct values (activities, resources, statuses), judged on one batch."""
    if not is_text(column.type) or pa.types.is_dictionary(column.type):
        return False
    return len(pc.unique(column)) <= max(64, len(column) // 50)


def _unify(batches: list[pa.RecordBatch]) -> pa.Table:
    """Batches whose dictionary columns differ in index type: one table with each column's chunks."""
    names = batches[0].schema.names
    return pa.table({n: pa.chunked_array([b.column(i) for b in batches]) for i, n in enumerate(names)})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _read_error(path: Path, exc: Exception) -> MalformedSourceError:
    text = str(exc)
    line = _ERROR_LINE.search(text)
    if "Expected Number of Columns" in text and line:
        found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
        detail = f" ({found.group(2)} fields, expected {found.group(1)})" if found else ""
        return MalformedSourceError(
            f"{path}: line {line.group(1)} has the wrong number of fields{detail}; fix it"
        )
    if "unicode" in text.lower():
        where = f" at line {line.group(1)}" if line else ""
        return MalformedSourceError(
            f"{path}: invalid text{where} for the detected encoding; pass encoding='...'"
        )
    return MalformedSourceError(f"{path}: DuckDB could not read the CSV: {_first_line(exc)}")


def _duckdb_encoding(path: Path, encoding: str) -> str | None:
    """DuckDB's name for an encoding it reads natively, None when the file must be transcoded."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise MalformedSourceError(
            f"{path}: unknown encoding {encoding!r}; pass e.g. encoding='utf-8'"
        ) from exc
    return {"utf-8": "utf-8", "ascii": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}.get(name)


def read_csv(
    path: str | Path,
    *,
    delimiter: str | None = None,
    quotechar: str | None = None,
    encoding: str | None = None,
    header: bool | None = None,
    **duckdb_overrides: Any,
) -> RawSource:
    """Read a CSV (or other delimited text) file into a RawSource in file order.

    Numbers and booleans are typed; everything else, dates included, stays text for the loader to parse
    with time zones. ``__source_row`` is the 1-based data record number (blank lines are skipped).

    Args:
        path: the file.
        delimiter: field separator; detected among ``, ; TAB |`` when None.
        quotechar: quote character; ``"`` when None.
        encoding: Python codec name; detected with charset-normalizer when None.
        header: whether the first record names the columns; detected when None.
        **duckdb_overrides: further DuckDB ``read_csv`` options (e.g. ``null_padding=True``), which win.

    Returns:
        The table plus what was detected (``encoding``, ``delimiter``, ``quotechar``, ``header``, ``types``).

    Raises:
        SourceNotFoundError: the file does not exist.
        MalformedSourceError: empty, header-only, binary, undecodable or ragged files.
    """
    p = existing_file(path)
    if p.stat().st_size == 0:
        raise MalformedSourceError(f"{p}: the file is empty (0 bytes); export the log again with its rows")
    with p.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    enc = encoding or _detect_encoding(p, sample)
    native = _duckdb_encoding(p, enc)
    text = _sample_text(sample, enc)
    if "\x00" in text:
        raise MalformedSourceError(f"{p}: the file holds NUL bytes and does not look like a text CSV")
    quote = quotechar or '"'
    delim = delimiter or _detect_delimiter(text, quote)
    rows = _rows(text, delim, quote)
    has_header = _detect_header(rows) if header is None else header
    _check_ragged(p, rows, delim)
    options: dict[str, Any] = {
        "delim": delim,
        "quote": quote,
        "escape": quote,
        "header": has_header,
        "encoding": native or "utf-8",
        "auto_type_candidates": _TYPE_CANDIDATES,
        **duckdb_overrides,
    }
    source = p if native else _transcode(p, enc)
    try:
        table = _read_duckdb(source, p, options)
    finally:
        if source != p:
            source.unlink(missing_ok=True)
    keywords = {"delimiter": delimiter, "quotechar": quotechar, "encoding": encoding, "header": header}
    given = [k for k, v in keywords.items() if v is not None] + sorted(duckdb_overrides)
    return _finish(p, table, enc, native, options, given)


def _finish(
    p: Path, table: pa.Table, enc: str, native: str | None, options: dict[str, Any], given: list[str]
) -> RawSource:
    if table.num_rows == 0:
        raise MalformedSourceError(
            f"{p}: the file has a header row but no data rows; export it with its rows"
        )
    if "__source_row" in table.column_names:
        raise MalformedSourceError(f"{p}: the column name '__source_row' is reserved by Baton; rename it")
    detected = {
        "encoding": enc,
        "transcoded_to_utf8": native is None,
        "delimiter": options["delim"],
        "quotechar": options["quote"],
        "header": options["header"],
        "given": given,
        "types": {f.name: str(f.type) for f in table.schema},
    }
    return RawSource(
        path=p, format="csv", table=with_source_rows(table), detected=detected, checksum=file_checksum(p)
    )
