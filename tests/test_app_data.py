"""The Data page (AppTest on app_pages/data.py) and its Streamlit-free helpers in app_pages/data_flow.py."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import data_flow
from baton.api import Workspace
from connectors.ocel import read_ocel

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "data.py")
SOME_BAD = "case_id,activity,timestamp\nc1,A,2025-01-01 10:00\nc1,B,2025-01-01 11:00\nc2,A,notadate\nc2,,2025-01-02 10:00\nc2,B,2025-01-02 12:00\n"  # noqa: E501
ALL_BAD = "case_id,activity,timestamp\nc1,A,garbage\nc1,B,nope\nc2,A,xx\n"


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.fixture
def ws_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty workspace file for the page; Streamlit's caches cleared around each test."""
    import streamlit as st

    path = tmp_path / "ws.duckdb"
    monkeypatch.setenv("BATON_WORKSPACE", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def _page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def _shared(path: Path) -> Workspace:
    """The page's own workspace object (the cached connection; DuckDB allows one per file)."""
    from app_pages.state import _workspace

    return _workspace(str(path))


def test_empty_state_imports_demo_logs(ws_path: Path, sample_logs: Path) -> None:
    """No logs: the page says so; the demo button imports both demo CSVs with every row."""
    at = _page()
    assert not at.exception
    assert "No logs in this workspace yet" in at.info[0].value
    at.button(key="import_demo").click().run()
    assert not at.exception
    infos = {i.name: i for i in _shared(ws_path).logs()}
    assert sorted(infos) == ["loans_after", "loans_before"]
    assert infos["loans_before"].rows_read == _csv_rows(sample_logs / "loans_before.csv")
    assert infos["loans_after"].rows_loaded == _csv_rows(sample_logs / "loans_after.csv")
    assert "Imported loans_before" in at.success[0].value
    assert list(at.dataframe[0].value["name"]) == ["loans_after", "loans_before"]


def test_upload_dry_run_then_import(ws_path: Path, sample_logs: Path) -> None:
    """An upload shows suggestions and a dry run with the CSV's row count; only the button writes."""
    source = sample_logs / "loans_before.csv"
    rows = _csv_rows(source)
    at = _page()
    at.file_uploader(key="upload_0").set_value(("loans_before.csv", source.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    suggested = at.table[0].value["suggested column"].to_dict()
    assert suggested["Case id"] == "case_id" and suggested["Timestamp (end)"] == "timestamp"
    assert at.selectbox(key="map_activity_key_" + _source_key(at)).value == "activity"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows read"] == f"{rows:,}" and metrics["Rows rejected"] == "0"
    assert metrics["Cases"] == f"{len({r['case_id'] for r in csv.DictReader(source.open())}):,}"
    assert _shared(ws_path).logs() == []  # the dry run wrote nothing
    at.button(key="import").click().run()
    assert not at.exception
    (info,) = _shared(ws_path).logs()
    assert (info.name, info.rows_read, info.rows_loaded, info.rows_rejected) == (
        "loans_before",
        rows,
        rows,
        0,
    )
    assert Path(info.source).name == "loans_before.csv"
    assert not Path(info.source).exists()  # the temporary copy is removed after the import
    assert at.success[0].value.startswith(f"Imported loans_before: {rows:,} of {rows:,} rows")


def _source_key(at: AppTest) -> str:
    key = next(s.key for s in at.selectbox if s.key and s.key.startswith("map_case_id_key_"))
    return key.removeprefix("map_case_id_key_")


def test_garbage_timestamps_show_error_and_write_nothing(ws_path: Path) -> None:
    """A CSV whose timestamps never parse gets the API's TimestampError text, no import button, no log."""
    at = _page()
    at.file_uploader(key="upload_0").set_value(("all_bad.csv", ALL_BAD.encode(), "text/csv")).run()
    assert not at.exception
    (error,) = at.error
    assert "column 'timestamp' of all_bad.csv: no value looks like a date" in error.value
    assert "baton-upload-" not in error.value  # the temporary path is not shown
    assert [b.key for b in at.button if b.key == "import"] == []
    assert _shared(ws_path).logs() == []


def test_rejects_then_delete_with_confirmation(ws_path: Path) -> None:
    """Dry run lists each reject reason; the rejects CSV holds those rows; delete needs a confirmation."""
    at = _page()
    at.file_uploader(key="upload_0").set_value(("some_bad.csv", SOME_BAD.encode(), "text/csv")).run()
    findings = at.table[1].value  # after the suggestions
    assert findings.loc["missing_activity", "count"] == 1
    assert findings.loc["unparsable_timestamp", "count"] == 1
    assert "notadate" in findings.loc["unparsable_timestamp", "samples"]
    at.button(key="import").click().run()
    ws = _shared(ws_path)
    assert [(i.name, i.rows_loaded, i.rows_rejected) for i in ws.logs()] == [("some_bad", 3, 2)]
    rejects = list(csv.DictReader(io.StringIO(data_flow.rejects_csv(ws, "some_bad").decode())))
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        ("3", "unparsable_timestamp"),
        ("4", "missing_activity"),
    ]
    assert at.get("download_button")[0].proto.label == "Rejected rows of some_bad (2) as CSV"
    at.button(key="delete_log").click().run()
    assert "This cannot be undone" in at.warning[0].value
    assert [i.name for i in ws.logs()] == ["some_bad"]  # asking is not deleting
    at.button(key="confirm_delete_yes").click().run()
    assert not at.exception
    assert ws.logs() == []
    assert at.success[0].value == "Deleted some_bad."


def test_server_files_listed_and_mapping_changes_dry_run(
    ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BATON_DATA_DIR lists supported files only; mapping the activity to 'case_id' fails clearly."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "some_bad.csv").write_text(SOME_BAD)
    (folder / "notes.md").write_text("not a log")
    (folder / "b.xes.gz").write_bytes(b"")
    monkeypatch.setenv("BATON_DATA_DIR", str(folder))
    at = _page()
    at.radio(key="origin").set_value("A file on the server").run()
    assert at.selectbox(key="server_file").options == ["b.xes.gz", "some_bad.csv"]
    at.selectbox(key="server_file").set_value(folder / "some_bad.csv").run()
    assert {m.label: m.value for m in at.metric}["Rows rejected"] == "2"
    at.selectbox(key="map_activity_key_" + _source_key(at)).set_value("case_id").run()
    assert not at.exception
    assert "one column is mapped to two" in at.error[0].value
    assert _shared(ws_path).logs() == []


def test_helpers_upload_copy_and_dry_run(sample_logs: Path) -> None:
    """Uploads keep their name and double suffix and vanish after; a dry run reports every CSV row."""
    with data_flow.uploaded_copy("C:\\Users\\me\\log.xes.gz", b"x") as path:
        assert path.name == "log.xes.gz" and path.read_bytes() == b"x"
    assert not path.exists() and not path.parent.exists()
    request = data_flow.ImportRequest.of({"case_id_key": "case_id", "activity_key": "activity"})
    report = data_flow.dry_run(sample_logs / "loans_after.csv", request)
    assert report.rows_read == _csv_rows(sample_logs / "loans_after.csv")
    assert report.mapping["timestamp_key"] == "timestamp"


def _orders_ocel(path: Path) -> Path:
    """A small OCEL 2.0 JSON log: 2 orders, 3 items, 1 customer related to 6 events."""
    ts = "2024-03-0{}T{:02d}:00:00Z".format

    def event(eid: str, kind: str, day: int, hour: int, objects: list[str]) -> dict[str, object]:
        rels = [{"objectId": o, "qualifier": "q"} for o in objects]
        return {"id": eid, "type": kind, "time": ts(day, hour), "attributes": [], "relationships": rels}

    data = {
        "objectTypes": [
            {"name": "customer", "attributes": []},
            {"name": "item", "attributes": [{"name": "weight", "type": "float"}]},
            {"name": "order", "attributes": []},
        ],
        "eventTypes": [{"name": n, "attributes": []} for n in ("place", "pick", "ship", "pay")],
        "objects": [
            {"id": "c1", "type": "customer"},
            {"id": "o1", "type": "order"},
            {"id": "o2", "type": "order"},
            *(
                {
                    "id": i,
                    "type": "item",
                    "attributes": [{"name": "weight", "time": ts(1, 0), "value": "1.5"}],
                }
                for i in ("i1", "i2", "i3")
            ),
        ],  # fmt: skip
        "events": [
            event("e1", "place", 1, 9, ["c1", "o1", "i1", "i2"]),
            event("e2", "pick", 1, 10, ["i1"]),
            event("e3", "pick", 1, 11, ["i2", "o1"]),
            event("e4", "ship", 2, 9, ["o1", "i1", "i2"]),
            event("e5", "place", 2, 10, ["c1", "o2", "i3"]),
            event("e6", "pay", 3, 12, ["o2"]),
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _selectbox(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(s for s in at.selectbox if s.label == label)


def _flat_counts(path: Path, object_type: str) -> tuple[int, int]:
    """Rows and cases of the connector's own flattening of ``path`` on ``object_type``."""
    table = read_ocel(path, object_type=object_type).table
    return table.num_rows, len(set(table.column("case:concept:name").to_pylist()))


def test_ocel_object_type_chosen_before_mapping_then_imported(ws_path: Path, tmp_path: Path) -> None:
    """An OCEL upload offers its object types; the dry run and import follow the type chosen."""
    source = _orders_ocel(tmp_path / "orders.jsonocel")
    at = _page()
    at.file_uploader(key="upload_0").set_value(
        ("orders.jsonocel", source.read_bytes(), "application/json")
    ).run()
    assert not at.exception and not at.error
    box = _selectbox(at, "Object type (cases)")
    assert box.options == ["customer", "item", "order"] and box.value == "customer"
    labels = [s.label for s in at.selectbox]
    assert labels.index("Object type (cases)") < labels.index("Case id")  # chosen before the mapping
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Cases"]) == ("2", "1")  # customer c1: events e1 and e5
    box.set_value("item").run()
    assert not at.exception and not at.error
    rows, cases = _flat_counts(source, "item")
    assert (rows, cases) == (7, 3)  # i1: e1 e2 e4, i2: e1 e3 e4, i3: e5
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows loaded"], metrics["Cases"]) == (
        str(rows),
        str(rows),
        str(cases),
    )
    assert "case:weight" in at.selectbox(key="map_case_id_key_" + _source_key(at)).options
    assert at.text_input[0].value == "orders_item"
    at.button(key="import").click().run()
    assert not at.exception
    (info,) = _shared(ws_path).logs()
    assert (info.name, info.rows_read, info.cases, info.events) == ("orders_item", rows, cases, rows)
    assert info.source_format == "ocel-json"


def test_ocel_on_the_server_shared_example(
    ws_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OCEL 2.0 example in SQLite, picked on the server and flattened on Purchase Order, dry-runs as read."""
    monkeypatch.setenv("BATON_DATA_DIR", str(shared_data / "ocel"))
    source = shared_data / "ocel" / "ocel20_example.sqlite"
    at = _page()
    at.radio(key="origin").set_value("A file on the server").run()
    at.selectbox(key="server_file").set_value(source).run()
    box = _selectbox(at, "Object type (cases)")
    assert box.options == ["Invoice", "Payment", "Purchase Order", "Purchase Requisition"]
    box.set_value("Purchase Order").run()
    assert not at.exception and not at.error
    rows, cases = _flat_counts(source, "Purchase Order")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Cases"]) == (f"{rows:,}", f"{cases:,}")
    assert at.text_input[0].value == "ocel20_example_Purchase_Order"


def _two_sheet_workbook(path: Path) -> Path:
    """Sheet 'first': 2 rows of case a; sheet 'second': 5 rows of cases b1, b2, b3."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "first"
    second = book.create_sheet("second")
    first.append(["case_id", "activity", "timestamp"])
    for hour, act in ((9, "A"), (10, "B")):
        first.append(["a", act, datetime(2025, 1, 1, hour)])
    second.append(["case_id", "activity", "timestamp"])
    for case, act, hour in (
        ("b1", "X", 8),
        ("b1", "Y", 9),
        ("b2", "X", 10),
        ("b3", "X", 11),
        ("b3", "Z", 12),
    ):
        second.append([case, act, datetime(2025, 2, 1, hour)])
    book.save(path)
    return path


def test_excel_second_sheet_imported(ws_path: Path, tmp_path: Path) -> None:
    """A two-sheet workbook offers both sheets; choosing the second imports its 5 rows and 3 cases."""
    source = _two_sheet_workbook(tmp_path / "book.xlsx")
    at = _page()
    at.file_uploader(key="upload_0").set_value(
        ("book.xlsx", source.read_bytes(), "application/vnd.ms-excel")
    ).run()
    box = _selectbox(at, "Sheet")
    assert box.options == ["first", "second"] and box.value == "first"
    assert {m.label: m.value for m in at.metric}["Rows read"] == "2"
    box.set_value("second").run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows loaded"], metrics["Cases"]) == ("5", "5", "3")
    at.button(key="import").click().run()
    assert not at.exception
    (info,) = _shared(ws_path).logs()
    assert (info.name, info.rows_read, info.rows_loaded, info.cases) == ("book", 5, 5, 3)
    events = _shared(ws_path).log("book").to_arrow()
    assert list(zip(events["case_id"].to_pylist(), events["activity"].to_pylist(), strict=True)) == [
        ("b1", "X"), ("b1", "Y"), ("b2", "X"), ("b3", "X"), ("b3", "Z"),
    ]  # fmt: skip


def test_reader_choices_and_json_uploads(tmp_path: Path, sample_logs: Path) -> None:
    """OCEL lists object types (a .json upload too), one-sheet workbooks and CSVs need no choice."""
    source = _orders_ocel(tmp_path / "orders.jsonocel")
    with data_flow.uploaded_copy("orders.json", source.read_bytes()) as path:
        choice = data_flow.reader_choice(path)
        assert choice == data_flow.ReaderChoice(
            "object_type", "Object type (cases)", ("customer", "item", "order")
        )
    assert "json" in data_flow.UPLOAD_TYPES
    book = _two_sheet_workbook(tmp_path / "book.xlsx")
    assert data_flow.reader_choice(book) == data_flow.ReaderChoice("sheet", "Sheet", ("first", "second"))
    from openpyxl import load_workbook

    one = load_workbook(book)
    one.remove(one["first"])
    one.save(tmp_path / "one.xlsx")
    assert data_flow.reader_choice(tmp_path / "one.xlsx") is None
    assert data_flow.reader_choice(sample_logs / "loans_after.csv") is None
    request = data_flow.ImportRequest.of({}, reader_options={"object_type": "order"})
    report = data_flow.dry_run(source, request)
    assert (report.rows_read, report.cases) == (_flat_counts(source, "order"))
    assert data_flow.suggested_log_name(source, {"object_type": "Purchase Order"}) == "orders_Purchase_Order"
