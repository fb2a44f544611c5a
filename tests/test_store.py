"""The event store: atomic imports, replace and delete, rejects, lifecycle merging, ordering and time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from baton import schema as s
from baton.errors import LogNotFoundError, MappingError, TimestampError
from baton.store import ImportOptions, SourceData, Workspace, import_table

MAP = {"case_id_key": "case", "activity_key": "act", "timestamp_key": "ts"}


def source(**columns: list) -> SourceData:
    n = len(next(iter(columns.values())))
    table = pa.table({**columns, "__source_row": list(range(1, n + 1))})
    return SourceData("mem.csv", "csv", table, "sha", {})


def load(ws: Workspace, src: SourceData, name: str = "x", mapping: dict | None = None, **opts) -> object:
    return import_table(ws, src, name=name, mapping=mapping or MAP, options=ImportOptions(**opts))


def table_counts(ws: Workspace) -> dict[str, int]:
    cur = ws.cursor()
    names = [r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    return {n: cur.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names}


def events(ws: Workspace) -> str:
    """The events table of the workspace's one log."""
    (info,) = ws.logs()
    return s.events_table(info.log_id)


def events_of(ws: Workspace, case_id: str) -> list[tuple]:
    return (
        ws.cursor()
        .execute(
            f"SELECT a.activity, e.timestamp, e.start_timestamp, e.event_order FROM {events(ws)} e "
            "JOIN cases c USING (log_id, case_index) JOIN activities a USING (log_id, activity_code) "
            "WHERE c.case_id = ? ORDER BY e.position",
            [case_id],
        )
        .fetchall()
    )


SMALL = dict(
    case=["1", "1", "1", "2", "2"],
    act=["A", "B", "C", "A", "C"],
    ts=[
        "2024-01-01T10:00:00Z",
        "2024-01-01T11:00:00Z",
        "2024-01-01T12:00:00Z",
        "2024-01-02T10:00:00Z",
        "2024-01-02T12:30:00Z",
    ],
)


def test_import_counts_and_catalog() -> None:
    """A clean import stores every row and a catalog entry with matching counts."""
    ws = Workspace.open()
    report = load(ws, source(**SMALL))
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 5, 0)
    assert (report.events, report.cases, report.activities, report.variants) == (5, 2, 3, 2)
    info = ws.info("x")
    assert info.first_timestamp == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert info.last_timestamp == datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    durations = dict(ws.cursor().execute("SELECT case_id, duration_us FROM cases").fetchall())
    assert durations == {"1": 2 * 3600 * 10**6, "2": int(2.5 * 3600 * 10**6)}


def test_reimport_replaces_and_delete_removes_everything() -> None:
    """Re-importing a name replaces the log; deleting leaves no row of it in any table."""
    ws = Workspace.open()
    load(ws, source(**SMALL))
    load(ws, source(**SMALL))
    assert [i.name for i in ws.logs()] == ["x"]
    counts = table_counts(ws)
    assert {k: v for k, v in counts.items() if k.startswith("events")} == {events(ws): 5}
    ws.delete_log("x")
    counts = table_counts(ws)
    assert not [k for k in counts if k.startswith(("events_", "attr_"))]  # the log's own tables are dropped
    assert {k: v for k, v in counts.items() if k != "baton_meta"} == dict.fromkeys(
        [k for k in counts if k != "baton_meta"], 0
    )
    with pytest.raises(LogNotFoundError, match="no log named 'x'"):
        ws.log("x")


def test_failed_import_leaves_workspace_unchanged() -> None:
    """An import that fails (unparsable timestamps everywhere) rolls back, also when replacing a log."""
    ws = Workspace.open()
    load(ws, source(**SMALL))
    before = table_counts(ws)
    bad = source(case=["1", "2"], act=["A", "B"], ts=["not a date", "nope"])
    with pytest.raises(TimestampError, match="ts"):
        load(ws, bad)
    with pytest.raises(MappingError, match="'nope' is not a column"):
        load(ws, source(**SMALL), mapping={**MAP, "resource_key": "nope"})
    assert table_counts(ws) == before
    assert ws.info("x").events == 5


def test_rejects_are_kept_with_reasons() -> None:
    """Rows missing a case, activity or timestamp, unparsable or duplicated, are kept as rejects."""
    ws = Workspace.open()
    src = source(
        case=["1", None, "1", "1", "1", "2", "2"],
        act=["A", "B", "", "B", "B", "A", "C"],
        ts=[
            "2024-01-01T10:00:00Z",
            "2024-01-01T11:00:00Z",
            "2024-01-01T11:00:00Z",
            "31/02/2024 xx",
            "2024-01-01T12:00:00Z",
            "2024-01-01T12:00:00Z",
            "2024-01-01T12:00:00Z",
        ],
    )
    src2 = SourceData(
        src.path,
        src.format,
        pa.concat_tables([src.table, src.table.slice(4, 1).set_column(3, "__source_row", pa.array([8]))]),
        "sha",
        {},
    )
    report = load(ws, src2)
    assert report.rejected == {
        "missing_case_id": 1,
        "missing_activity": 1,
        "unparsable_timestamp": 1,
        "duplicate_event": 1,
    }
    rejects = ws.rejects("x").to_pylist()
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        (2, "missing_case_id"),
        (3, "missing_activity"),
        (4, "unparsable_timestamp"),
        (8, "duplicate_event"),
    ]
    assert rejects[2]["detail"] == "31/02/2024 xx"
    assert '"act":"B"' in rejects[0]["raw"]
    assert report.rows_loaded + report.rows_rejected == report.rows_read == 8


def test_equal_timestamps_keep_file_order() -> None:
    """Events with equal timestamps are ordered by their position in the file."""
    ws = Workspace.open()
    same = "2024-01-01T10:00:00Z"
    load(ws, source(case=["1"] * 4, act=["D", "B", "C", "A"], ts=[same] * 4))
    assert [e[0] for e in events_of(ws, "1")] == ["D", "B", "C", "A"]


def test_time_zones_naive_and_offsets() -> None:
    """Offsets are honoured per value; naive values are read in the declared source zone (DST aware)."""
    ws = Workspace.open()
    load(
        ws,
        source(
            case=["1", "1", "1"],
            act=["A", "B", "C"],
            ts=["2024-03-30T12:00:00+01:00", "2024-03-31 12:00:00", "2024-03-31T12:00:00-04:00"],
        ),
        source_timezone="Europe/Berlin",
    )
    got = [e[1] for e in events_of(ws, "1")]
    assert got == [
        datetime(2024, 3, 30, 11, tzinfo=UTC),
        datetime(2024, 3, 31, 10, tzinfo=UTC),
        datetime(2024, 3, 31, 16, tzinfo=UTC),
    ]
    kinds = {r["check_name"] for r in ws.quality("x").to_pylist()}
    assert "mixed_time_zones" in kinds


def test_lifecycle_pairs_merge_into_instances() -> None:
    """start/complete pairs become one instance with a start timestamp; an unpaired start is kept and flagged."""
    ws = Workspace.open()
    report = load(
        ws,
        source(
            case=["1"] * 5,
            act=["A", "A", "B", "B", "C"],
            lc=["start", "complete", "start", "complete", "start"],
            ts=[
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:30:00Z",
                "2024-01-01T11:00:00Z",
                "2024-01-01T12:00:00Z",
                "2024-01-01T13:00:00Z",
            ],
        ),
        mapping={**MAP, "lifecycle_key": "lc"},
    )
    assert report.events == 3
    rows = events_of(ws, "1")
    assert [(a, t.hour, t.minute, st.hour if st else None) for a, t, st, _ in rows] == [
        ("A", 10, 30, 10),
        ("B", 12, 0, 11),
        ("C", 13, 0, 13),
    ]
    assert {f.check: f.count for f in report.findings}["unpaired_start"] == 1
    service = ws.cursor().execute(f"SELECT service_us FROM {events(ws)} ORDER BY position").fetchall()
    assert [r[0] for r in service] == [30 * 60 * 10**6, 3600 * 10**6, 0]


def test_start_after_end_rejected_and_order_by_start() -> None:
    """A start later than its end is rejected; instances are ordered by start time when they have one."""
    ws = Workspace.open()
    report = load(
        ws,
        source(
            case=["1", "1", "1"],
            act=["Long", "Short", "Bad"],
            st=["2024-01-01T08:00:00Z", "2024-01-01T09:00:00Z", "2024-01-01T12:00:00Z"],
            ts=["2024-01-01T11:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"],
        ),
        mapping={**MAP, "start_timestamp_key": "st"},
    )
    assert report.rejected == {"start_after_end": 1}
    assert [e[0] for e in events_of(ws, "1")] == ["Long", "Short"]
    gap = (
        ws.cursor()
        .execute(f"SELECT next_gap_us, next_wait_us FROM {events(ws)} WHERE position = 0")
        .fetchall()
    )
    assert gap == [(-3600 * 10**6, -2 * 3600 * 10**6)]


def test_attributes_keep_types_and_split_case_level() -> None:
    """Further columns keep their types; columns constant within each case become case attributes."""
    ws = Workspace.open()
    load(ws, source(**SMALL, amount=[10, 10, 10, 20, 20], cost=[1.5, 2.0, 0.5, 1.0, 1.0]))
    info = ws.info("x")
    assert info.case_attributes == {"amount": "BIGINT"}
    assert info.event_attributes == {"cost": "DOUBLE"}
    got = ws.cursor().execute("SELECT sum(cost) FROM attr_event_1").fetchall()[0][0]
    assert got == pytest.approx(6.0)


def test_nothing_loadable_is_an_error_naming_reasons() -> None:
    """When every row is rejected the import fails with the reasons and the workspace stays empty."""
    ws = Workspace.open()
    with pytest.raises(MappingError, match=r"missing_case_id: 2 rows \(first at row 1\)"):
        load(ws, source(case=[None, None], act=["A", "B"], ts=["2024-01-01T10:00:00Z"] * 2))
    assert ws.logs() == []


def test_workspace_of_another_schema_version_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A file written with another schema version is refused with a rebuild hint; the demo is rebuilt."""
    from baton.demo import demo_is_current
    from baton.errors import SchemaVersionError

    path = tmp_path / "old.duckdb"
    Workspace.open(path).close()
    ws = Workspace.open(path)
    ws.cursor().execute("UPDATE baton_meta SET value = '1' WHERE key = 'schema_version'")
    ws.close()
    for read_only in (False, True):
        with pytest.raises(SchemaVersionError, match=r"workspace schema 1.*re-import"):
            Workspace.open(path, read_only=read_only)
    assert demo_is_current(path, tmp_path) is False


def test_virtual_columns_derive_wait_and_service() -> None:
    """sort_ts, next_wait_us and service_us are computed from the stored start offset, not stored."""
    ws = Workspace.open()
    src = source(
        case=["c", "c", "c"],
        act=["A", "B", "C"],
        start=[None, "2024-01-01 10:05:00", None],
        ts=["2024-01-01 10:00:00", "2024-01-01 10:30:00", "2024-01-01 11:00:00"],
    )
    load(ws, src, mapping={**MAP, "start_timestamp_key": "start"})
    rows = (
        ws.cursor()
        .execute(
            "SELECT position, next_gap_us, next_start_offset_us, next_wait_us, service_us, sort_ts = coalesce("
            f"start_timestamp, timestamp) FROM {events(ws)} ORDER BY position"
        )
        .fetchall()
    )
    m = 60_000_000
    assert rows == [(0, 30 * m, -25 * m, 5 * m, None, True), (1, 30 * m, None, 30 * m, 25 * m, True),
                    (2, None, None, None, None, True)]  # fmt: skip


@pytest.mark.parametrize("fast_path", [True, False])
def test_future_timestamps_are_loaded_and_reported(fast_path: bool) -> None:
    """Rows dated more than a day ahead load and are reported with their rows, on both import paths."""
    ws = Workspace.open()
    src = source(
        case=["1", "1", "2", "2"],
        act=["A", "B", "A", "B"],
        ts=["2024-01-01T10:00:00Z", "2999-01-01T11:00:00Z", "2024-01-02T10:00:00Z", "2998-05-01T10:00:00Z"],
    )
    report = load(ws, src, fast_path=fast_path)
    assert report.detected["import_path"] == ("fast" if fast_path else "general")
    future = next(f for f in report.findings if f.check == "future_timestamps")
    assert (report.events, future.severity, future.count, future.samples) == (
        4, "warning", 2, ({"row": 2}, {"row": 4})
    )  # fmt: skip
