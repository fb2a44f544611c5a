"""CSV, Parquet and Excel connectors: detection, typing, file order, source rows and clear errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.errors import MalformedSourceError, SourceNotFoundError
from connectors.base import SOURCE_ROW, file_checksum
from connectors.csv import read_csv
from connectors.excel import read_excel
from connectors.parquet import read_parquet


def write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_semicolon_types_and_dates_stay_text(tmp_path: Path) -> None:
    """';' is detected, numbers and booleans typed, dates and leading-zero ids stay text, rows numbered."""
    p = write(
        tmp_path,
        'case;act;ts;n;ok;code\nc1;A;2024-01-01 10:00;1.5;true;007\nc2;"B;x";01/02/2024;2;false;010\n',
    )
    src = read_csv(p)
    assert src.detected["delimiter"] == ";" and src.detected["header"] is True
    assert src.table.to_pylist() == [
        {
            "case": "c1",
            "act": "A",
            "ts": "2024-01-01 10:00",
            "n": 1.5,
            "ok": True,
            "code": "007",
            SOURCE_ROW: 1,
        },
        {"case": "c2", "act": "B;x", "ts": "01/02/2024", "n": 2.0, "ok": False, "code": "010", SOURCE_ROW: 2},
    ]
    assert src.checksum == file_checksum(p) and src.format == "csv"


def test_overrides_win(tmp_path: Path) -> None:
    """delimiter=, header= and DuckDB options given by the caller are used and recorded."""
    p = write(tmp_path, "1|2\n3|4\n")
    src = read_csv(p, delimiter="|", header=False, names=["a", "b"])
    assert src.table.column("a").to_pylist() == [1, 3] and src.table.column(SOURCE_ROW).to_pylist() == [1, 2]
    assert src.detected["given"] == ["delimiter", "header", "names"]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-16", "utf_16"), ("latin-1", "latin_1"), ("cp1252", "cp1252"), ("utf-8-sig", "utf_8")],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    """UTF-16, Latin-1, CP1252 (transcoded) and UTF-8 with BOM decode to the same text."""
    euro = "" if encoding == "latin-1" else " €"
    p = write(tmp_path, f"case,activity\nc1,Prüfung{euro}\nc2,Réception\n", encoding=encoding)
    src = read_csv(p)
    assert src.detected["encoding"] == expected
    assert src.table.column("activity").to_pylist()[1] == "Réception"
    assert src.table.column_names == ["case", "activity", SOURCE_ROW]


def test_missing_empty_header_only_binary(tmp_path: Path) -> None:
    """Missing, 0-byte, header-only and binary files each raise an error naming the file and the problem."""
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(MalformedSourceError, match=r"empty \(0 bytes\)"):
        read_csv(write(tmp_path, "", "e.csv"))
    with pytest.raises(MalformedSourceError, match="header row but no data rows"):
        read_csv(write(tmp_path, "case,activity,time\n", "h.csv"))
    b = tmp_path / "b.csv"
    b.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(MalformedSourceError, match="does not look like a text CSV") as err:
        read_csv(b)
    assert str(b) in str(err.value)


def test_ragged_rows_name_the_line(tmp_path: Path) -> None:
    """A row with too many fields is reported with its line, early in the file or far past the sample."""
    with pytest.raises(MalformedSourceError, match="line 3 has 4 fields but the first row has 3"):
        read_csv(write(tmp_path, "a,b,c\n1,2,3\n4,5,6,7\n"))
    late = "a,b\n" + "".join(f"{i},x\n" for i in range(60_000)) + "1,y,z\n"
    with pytest.raises(MalformedSourceError, match="line 60002"):
        read_csv(write(tmp_path, late, "late.csv"))


def test_late_non_number_becomes_text(tmp_path: Path) -> None:
    """A column typed as integer from the sample is re-read as text when a later value is not a number."""
    text = "a,b\n" + "".join(f"{i},x\n" for i in range(60_000)) + "abc,y\n"
    src = read_csv(write(tmp_path, text))
    assert src.table.schema.field("a").type == pa.string()
    assert src.table.column("a").to_pylist()[-2:] == ["59999", "abc"]


@pytest.mark.slow
def test_parallel_reader_keeps_file_order(tmp_path: Path) -> None:
    """On a 1M-row file DuckDB's parallel reader keeps file order: __source_row equals the written row id."""
    p = tmp_path / "big.csv"
    with p.open("w") as fh:
        fh.write("id,case,activity,ts\n")
        fh.writelines(
            f"{i},c{i % 997},act{i % 13},2024-01-01 00:00:{i % 60:02d}\n" for i in range(1, 1_000_001)
        )
    t = read_csv(p).table
    assert t.num_rows == 1_000_000
    assert t.column("id").equals(t.column(SOURCE_ROW))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.text(
                alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
            ).filter(lambda s: s.strip() == s and s.upper() not in ("TRUE", "FALSE")),
            st.text(alphabet="abcXYZ ,;\"'é€\n", min_size=1, max_size=10).map(lambda s: "v" + s),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_csv_roundtrip_keeps_every_row_and_value(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:
    """Rows written with the csv module come back complete, in order, value for value."""
    p = tmp_path_factory.mktemp("h") / "r.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_name", "activity_name"])
        w.writerows(rows)
    t = read_csv(p, all_varchar=True).table
    assert t.num_rows == len(rows)
    assert (
        list(zip(t.column("case_name").to_pylist(), t.column("activity_name").to_pylist(), strict=True))
        == rows
    )
    assert t.column(SOURCE_ROW).to_pylist() == list(range(1, len(rows) + 1))


@pytest.mark.shared_data
def test_receipt_csv(shared_data: Path) -> None:
    """receipt.csv: 8577 rows, 15 columns, timestamps with offsets kept as text."""
    path = shared_data / "logs" / "receipt.csv"
    t = read_csv(path).table
    assert (t.num_rows, t.num_columns) == (8577, 16)
    assert t.column("time:timestamp")[0].as_py() == "2011-10-11 13:45:40.276000+02:00"


def test_parquet_keeps_types_and_marks_naive(tmp_path: Path) -> None:
    """Parquet keeps typed columns; naive timestamp columns are listed as naive in detected."""
    table = pa.table(
        {
            "case": ["c1", "c2"],
            "ts": pa.array([dt.datetime(2024, 1, 1, 10), dt.datetime(2024, 1, 2)], pa.timestamp("us")),
            "ts_utc": pa.array([dt.datetime(2024, 1, 1, 10), None], pa.timestamp("us", tz="UTC")),
            "n": [1, 2],
        }
    )
    pq.write_table(table, tmp_path / "l.parquet")
    src = read_parquet(tmp_path / "l.parquet")
    got = src.table.drop_columns([SOURCE_ROW])
    assert got.to_pylist() == table.to_pylist()
    assert [f.type for f in got.schema][1:] == [f.type for f in table.schema][1:]
    assert got.schema.field("case").type == pa.dictionary(pa.int32(), pa.string())  # few distinct values
    assert src.table.column(SOURCE_ROW).to_pylist() == [1, 2]
    assert src.detected["naive_timestamps"] == ["ts"] and src.detected["timestamp_zones"]["ts_utc"] == "UTC"


def test_parquet_reads_only_low_cardinality_text_as_dictionary(tmp_path: Path) -> None:
    """Text with few distinct values (activities) arrives dictionary-encoded, unique ids (cases) plain."""
    n = 1000
    table = pa.table({"case": [f"c{i}" for i in range(n)], "act": [f"a{i % 7}" for i in range(n)]})
    pq.write_table(table, tmp_path / "l.parquet")
    src = read_parquet(tmp_path / "l.parquet")
    assert src.table.schema.field("case").type == pa.string()
    assert pa.types.is_dictionary(src.table.schema.field("act").type)
    assert src.table.drop_columns([SOURCE_ROW]).to_pylist() == table.to_pylist()


def test_parquet_errors(tmp_path: Path) -> None:
    """A CSV renamed .parquet and a truncated Parquet file are MalformedSourceErrors naming the file."""
    with pytest.raises(MalformedSourceError, match="not a Parquet file"):
        read_parquet(write(tmp_path, "a,b\n1,2\n", "x.parquet"))
    pq.write_table(pa.table({"a": list(range(1000))}), tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedSourceError, match="cut.parquet: the Parquet file cannot be read"):
        read_parquet(tmp_path / "cut.parquet")


def test_excel_first_sheet_header_and_dates(tmp_path: Path) -> None:
    """Excel: first sheet by default, header is the first non-empty row, datetimes naive, ids integers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append([])
    ws.append(["case", "activity", "ts"])
    ws.append([1001, "A", dt.datetime(2024, 1, 1, 10, 0)])
    ws.append([1001, "B", dt.datetime(2024, 1, 2, 10, 30, 15)])
    wb.create_sheet("Other").append(["x"])
    wb.save(tmp_path / "w.xlsx")
    src = read_excel(tmp_path / "w.xlsx")
    assert src.detected["sheets"] == ["Log", "Other"] and src.detected["sheet"] == "Log"
    assert src.table.to_pylist() == [
        {"case": 1001, "activity": "A", "ts": dt.datetime(2024, 1, 1, 10, 0), SOURCE_ROW: 1},
        {"case": 1001, "activity": "B", "ts": dt.datetime(2024, 1, 2, 10, 30, 15), SOURCE_ROW: 2},
    ]
    with pytest.raises(MalformedSourceError, match="header row but no data rows"):
        read_excel(tmp_path / "w.xlsx", sheet="Other")
    with pytest.raises(
        MalformedSourceError, match=r"no sheet 'Nope'; the workbook has sheets \['Log', 'Other'\]"
    ):
        read_excel(tmp_path / "w.xlsx", sheet="Nope")
    with pytest.raises(MalformedSourceError, match="not a readable workbook"):
        read_excel(write(tmp_path, "a,b\n", "fake.xlsx"))
