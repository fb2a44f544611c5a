"""Timestamp detection and DuckDB parsing against hand-computed UTC instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.errors import TimestampError
from baton.timestamps import (
    check_timestamp_column,
    detect_epoch_unit,
    detect_timestamp_format,
    epoch_sql,
    timestamp_sql,
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET TimeZone='UTC'")
    return c


def parse(con: duckdb.DuckDBPyConnection, values: list[str], tz: str, **kw: object) -> list[datetime | None]:
    spec = detect_timestamp_format(values, **kw)  # type: ignore[arg-type]
    con.register("vals", pa.table({"v": values, "i": list(range(len(values)))}))
    sql = f"SELECT {timestamp_sql('v', spec, tz_param='tz')} FROM vals ORDER BY i"
    return [r[0] for r in con.execute(sql, {"tz": tz}).fetchall()]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def test_berlin_dst_transitions(con: duckdb.DuckDBPyConnection) -> None:
    """Naive ISO values are read in Europe/Berlin, across both 2024 DST switches."""
    values = ["2024-03-31 01:59:59", "2024-03-31T03:00:00", "2024-10-27 01:30", "2024-10-27 03:30:00.250"]
    assert parse(con, values, "Europe/Berlin") == [
        utc(2024, 3, 31, 0, 59, 59),
        utc(2024, 3, 31, 1, 0, 0),
        utc(2024, 10, 26, 23, 30),
        utc(2024, 10, 27, 2, 30, 0, 250000),
    ]


def test_new_york_dst_and_date_only(con: duckdb.DuckDBPyConnection) -> None:
    """America/New_York: EST is UTC-5 before 10 March 2024, EDT UTC-4 after; dates are local midnight."""
    values = ["2024-03-10 01:30:00", "2024-03-10 03:30:00", "2024-11-03 12:00:00", "2024-07-04"]
    assert parse(con, values, "America/New_York") == [
        utc(2024, 3, 10, 6, 30),
        utc(2024, 3, 10, 7, 30),
        utc(2024, 11, 3, 17, 0),
        utc(2024, 7, 4, 4, 0),
    ]


def test_mixed_offsets_and_naive_in_one_column(con: duckdb.DuckDBPyConnection) -> None:
    """Each value keeps its own offset (Z, +hh:mm, +hhmm, -hh); naive ones use the source zone."""
    values = [
        "2024-01-15T10:00:00Z",
        "2024-01-15 10:00:00+05:30",
        "2024-01-15T10:00:00.123456789-0500",
        "2024-01-15 10:00:00 +01:00",
        "2024-01-15 10:00:00",
        "2024-07-15 10:00:00-03",
    ]
    assert parse(con, values, "Europe/Berlin") == [
        utc(2024, 1, 15, 10, 0),
        utc(2024, 1, 15, 4, 30),
        utc(2024, 1, 15, 15, 0, 0, 123456),
        utc(2024, 1, 15, 9, 0),
        utc(2024, 1, 15, 9, 0),
        utc(2024, 7, 15, 13, 0),
    ]


def test_day_first_detected_from_a_field_above_12(con: duckdb.DuckDBPyConnection) -> None:
    """One value with day 13 makes the whole '/' column day-first; 31/02 is not a date (NULL)."""
    values = ["01/02/2024 08:00", "13/02/2024 08:00:30", "31/02/2024 08:00"]
    spec = detect_timestamp_format(values)
    assert (spec.dayfirst, spec.ambiguous) == (True, False)
    assert parse(con, values, "UTC") == [utc(2024, 2, 1, 8, 0), utc(2024, 2, 13, 8, 0, 30), None]


def test_ambiguous_defaults_and_override(con: duckdb.DuckDBPyConnection) -> None:
    """Ambiguous '/' dates default to month-first, '.' dates to day-first; dayfirst= overrides."""
    slash = detect_timestamp_format(["01/02/2024", "03/04/2024"])
    dot = detect_timestamp_format(["01.02.2024 10:00"])
    assert (slash.dayfirst, slash.ambiguous, dot.dayfirst, dot.ambiguous) == (False, True, True, True)
    assert parse(con, ["01/02/2024"], "UTC") == [utc(2024, 1, 2)]
    assert parse(con, ["01/02/2024"], "UTC", dayfirst=True) == [utc(2024, 2, 1)]
    assert parse(con, ["01.02.24 10:00"], "UTC") == [utc(2024, 2, 1, 10, 0)]


def test_month_first_from_second_field(con: duckdb.DuckDBPyConnection) -> None:
    """A second field above 12 makes '/' dates month-first; yyyy/mm/dd needs no guess."""
    assert parse(con, ["12/25/2023 23:00", "01/02/2024 01:00"], "America/New_York") == [
        utc(2023, 12, 26, 4, 0),
        utc(2024, 1, 2, 6, 0),
    ]
    assert parse(con, ["2024/02/01 10:00"], "UTC") == [utc(2024, 2, 1, 10, 0)]


def test_given_format_wins(con: duckdb.DuckDBPyConnection) -> None:
    """timestamp_format= replaces detection, including a %z offset and a trailing Z."""
    assert parse(con, ["20240102 1000"], "Europe/Berlin", timestamp_format="%Y%m%d %H%M") == [
        utc(2024, 1, 2, 9, 0)
    ]
    assert parse(con, ["2024-01-02T10:00:00Z"], "Europe/Berlin", timestamp_format="%Y-%m-%dT%H:%M:%S%z") == [
        utc(2024, 1, 2, 10, 0)
    ]


def test_unsafe_format_rejected() -> None:
    """A format with a quote cannot reach SQL."""
    with pytest.raises(TimestampError, match="timestamp_format"):
        detect_timestamp_format(["x"], timestamp_format="%Y' OR 1=1 --")


def test_no_date_at_all_names_column_rows_and_fix() -> None:
    """A column without any date raises TimestampError with the column, rows and timestamp_format hint."""
    with pytest.raises(TimestampError) as err:
        detect_timestamp_format(["abc", "", "def"], column="when", source="log.csv", rows=[2, 3, 4])
    assert "'when' of log.csv" in str(err.value)
    assert "row 2: 'abc', row 4: 'def'" in str(err.value)
    assert "timestamp_format=" in str(err.value)


def test_check_column_counts_failures_with_rows(con: duckdb.DuckDBPyConnection) -> None:
    """check_timestamp_column counts unparsable values and names the first ones by source row."""
    con.register(
        "src",
        pa.table(
            {"ts": ["01/02/2024", "31/02/2024", None, "soon", "13/02/2024"], "__source_row": [1, 2, 3, 4, 5]}
        ),
    )
    spec = detect_timestamp_format(["01/02/2024", "13/02/2024"])
    failures = check_timestamp_column(con, "src", "ts", spec, tz="UTC", source="f.csv")
    assert (failures.count, failures.parsed, failures.examples) == (2, 2, ((2, "31/02/2024"), (4, "soon")))
    msg = failures.message("f.csv")
    assert msg.startswith(
        "timestamp column 'ts' of f.csv has 2 values that are not dates (row 2: '31/02/2024'"
    )
    assert "timestamp_format='%d/%m/%Y %H:%M:%S'" in msg


def test_check_column_raises_when_nothing_parses(con: duckdb.DuckDBPyConnection) -> None:
    """When no value parses with the spec, TimestampError names the column and rows."""
    con.register("src2", pa.table({"ts": ["2024-13-45", "2024-99-01"], "__source_row": [7, 8]}))
    spec = detect_timestamp_format(["2024-13-45"])
    with pytest.raises(TimestampError, match=r"'ts' of f.csv has 2 values, none of them dates \(row 7"):
        check_timestamp_column(con, "src2", "ts", spec, tz="UTC", source="f.csv")


def test_epoch_seconds_and_millis(con: duckdb.DuckDBPyConnection) -> None:
    """Epoch numbers: unit from magnitude, converted to exact UTC instants."""
    assert detect_epoch_unit([1704067200, 1704070800.5]) == "s"
    assert detect_epoch_unit([1704067200123]) == "ms"
    with pytest.raises(TimestampError):
        detect_epoch_unit([42, 43], column="n")
    got = con.execute(
        f"SELECT {epoch_sql('x', 's')}, {epoch_sql('y', 'ms')} FROM (SELECT 1704070800.5 AS x, "
        "1704067200123 AS y)"
    ).fetchone()
    assert got == (utc(2024, 1, 1, 1, 0, 0, 500000), utc(2024, 1, 1, 0, 0, 0, 123000))


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    offset_quarters=st.integers(-48, 56),
    digits=st.integers(0, 6),
    colon=st.booleans(),
    sep=st.sampled_from(["T", " "]),
)
def test_iso_offsets_parse_to_the_exact_instant(
    moment: datetime, offset_quarters: int, digits: int, colon: bool, sep: str
) -> None:
    """ISO 8601 text with any numeric offset (the one-regex fast branch) gives the exact UTC instant."""
    offset = timedelta(minutes=15 * offset_quarters)
    sign = "-" if offset < timedelta(0) else "+"
    hh, mm = divmod(abs(offset_quarters) * 15, 60)
    frac = f"{moment.microsecond:06d}"[:digits]
    text = moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{frac}" if digits else "")
    text += f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"
    truncated = moment.replace(microsecond=int(frac.ljust(6, "0")) if digits else 0)
    expected = (truncated - offset).replace(tzinfo=UTC)
    spec = detect_timestamp_format([text])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    got = con.execute(
        f"SELECT {timestamp_sql('$v', spec, tz_param='tz')}", {"v": text, "tz": "Asia/Tokyo"}
    ).fetchall()
    assert got[0][0] == expected, text
