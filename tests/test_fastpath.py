"""The import's fast path writes exactly the tables the general SQL path writes, and is taken when it may be."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton import schema as s
from baton.api import open_workspace
from baton.store import ImportOptions, SourceData, import_table
from baton.store.fastpath import dictionary_encode, prepare_fast
from baton.store.fastwrite import constant_per_case
from baton.store.staging import RAW
from connectors import read_source
from connectors.mapping import resolve_mapping

MAP_NO_RESOURCE = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "timestamp"}
KEYS = {
    s.ACTIVITIES: "activity_code",
    "events": "event_order",
    s.CASES: "case_index",
    s.VARIANTS: "variant_id",
    s.REJECTS: "source_row",
    s.QUALITY: "check_name",
}
MAP = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "timestamp",
    "resource_key": "resource",
}


def dump(path: Path, mapping: dict[str, str] | None, *, fast: bool) -> tuple[str, dict[str, list]]:
    """Import ``path`` one way; return the path taken and every table's rows."""
    ws = open_workspace()
    raw = read_source(path)
    m = mapping or resolve_mapping(raw.table, {}, raw.default_mapping)
    src = SourceData(str(path), raw.format, raw.table, raw.checksum, raw.detected, raw.case_attributes)
    report = import_table(ws, src, name="x", mapping=m, options=ImportOptions(fast_path=fast))
    cur = ws.cursor()
    tables = {t: s.events_table(report.log_id) if t == "events" else t for t in KEYS}
    out = {
        t: cur.execute(f"SELECT * EXCLUDE (log_id) FROM {tables[t]} ORDER BY {k}").fetchall()
        for t, k in KEYS.items()
    }
    for kind in ("event", "case"):
        out[kind] = cur.execute(
            f"SELECT * FROM {s.attribute_table(kind, report.log_id)} ORDER BY 1"
        ).fetchall()
    out["catalog"] = [(report.events, report.cases, report.variants, report.rows_rejected)]
    ws.close()
    return report.detected["import_path"], out


def synthetic(tmp: Path) -> dict[str, Path]:
    """Small logs with ties, duplicates, padded keys, nulls and case attributes."""
    ts = pa.array([10, 10, 20, 10, 30, 30, 40, 5], type=pa.timestamp("s", tz="UTC"))
    base = {
        "case_id": ["a", "a", "a", "b", "b", "b", "a", "c"],
        "activity": ["X", "Y", "Z", "X", "Y", "Y", "X", "Z"],
        "timestamp": ts,
        "resource": ["r1", None, "r2", "r1", "r3", "r4", "r1", None],
        "region": ["n", "n", None, "s", "s", "s", "n", None],
        "amount": [1.5, 2.0, 1.0, 3.0, None, 4.0, 5.0, 6.0],
    }
    logs = {
        "ties": base,
        "duplicates": {**base, "resource": ["r1", None, "r2", "r1", "r3", "r3", "r1", None]},
        "padded": {**base, "case_id": ["a", "a ", "a", "b", "b", "b", "a", "c"]},
        "missing": {**base, "activity": ["X", None, "Z", "X", "Y", "Y", "X", "Z"]},
    }
    out = {}
    for name, cols in logs.items():
        out[name] = tmp / f"{name}.parquet"
        pq.write_table(pa.table(cols), out[name])
    return out


@pytest.mark.parametrize(
    ("name", "path_expected"),
    [("ties", "fast"), ("duplicates", "general"), ("padded", "general"), ("missing", "general")],
)
def test_synthetic_logs_same_both_ways(tmp_path: Path, name: str, path_expected: str) -> None:
    """Ties, duplicates, padded ids and missing values: same tables; the fast path only where it applies."""
    path = synthetic(tmp_path)[name]
    taken, fast = dump(path, MAP, fast=True)
    general_taken, general = dump(path, MAP, fast=False)
    assert (taken, general_taken) == (path_expected, "general")
    assert fast == general


SAMPLE_MAP = {**MAP}  # the sample logs without their start timestamps: eligible for the fast path


@pytest.mark.parametrize(
    ("file", "slice_events"), [("loans_before.parquet", 2_000_000), ("loans_after.csv", 997)]
)
def test_sample_logs_same_both_ways(
    sample_logs: Path, file: str, slice_events: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample logs (mapped without start timestamps) give identical tables on both paths, also when the
    fast path inserts the events in many slices (997 events each, an odd size so slices end mid-way)."""
    monkeypatch.setattr("baton.store.fastwrite._SLICE_EVENTS", slice_events)
    taken, fast = dump(sample_logs / file, SAMPLE_MAP, fast=True)
    assert taken == "fast"
    assert fast == dump(sample_logs / file, SAMPLE_MAP, fast=False)[1]


@pytest.mark.parametrize(
    ("file", "path_expected"),
    [
        ("BPI_2020_DomesticDeclarations.xes.gz", "fast"),
        ("receipt.xes.gz", "fast"),
        ("helpdesk.xes.gz", "general"),
    ],
)
def test_real_logs_same_both_ways(shared_data: Path, file: str, path_expected: str) -> None:
    """Real logs give identical tables on both paths; helpdesk has duplicate events, so it takes the general one."""
    mapping = {
        "case_id_key": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
    }
    taken, fast = dump(shared_data / "logs" / file, mapping, fast=True)
    assert taken == path_expected
    assert fast == dump(shared_data / "logs" / file, mapping, fast=False)[1]


def test_case_sequences_in_chunks_same_tables(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Case sequences built in chunks of cases (as under a memory limit) give the same tables as one pass."""
    from baton.store import precompute

    mapping = {
        "case_id_key": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
    }
    path = shared_data / "logs" / "receipt.xes.gz"
    one_pass = dump(path, mapping, fast=False)[1]
    monkeypatch.setattr(precompute, "SEQUENCE_CHUNK_EVENTS", 997)  # 8,577 events: 9 chunks of cases
    assert dump(path, mapping, fast=False)[1] == one_pass == dump(path, mapping, fast=True)[1]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.none() | st.sampled_from(["a", "b", "c", "é", ""]), max_size=30), min_size=1, max_size=6
    )
)
def test_parallel_dictionary_encode_equals_one_encode(chunks: list[list[str | None]]) -> None:
    """Chunk-wise encoding on threads then unifying gives the codes and dictionary of one whole encode."""
    column = pa.chunked_array([pa.array(c, type=pa.string()) for c in chunks])
    ours = dictionary_encode(column)
    whole = pc.dictionary_encode(column.combine_chunks())
    assert ours.dictionary.equals(whole.dictionary)
    assert ours.indices.equals(whole.indices)


def test_case_attribute_probe_does_not_hide_late_variation() -> None:
    """A column constant in the probed first cases but varying in a later one is not a case attribute."""
    ws = open_workspace()
    table = pa.table(
        {
            "case_id": ["a", "a", "b", "b", "c", "c"],
            "activity": ["X", "Y", "X", "Y", "X", "Y"],
            "timestamp": pa.array([1, 2, 3, 4, 5, 6], type=pa.timestamp("s", tz="UTC")),
            "late": ["p", "p", "q", "q", "r", "s"],
            "same": ["p", "p", "q", "q", "r", "r"],
            "__source_row": list(range(1, 7)),
        }
    )
    cur = ws.cursor()
    cur.register(RAW, table)
    fast = prepare_fast(cur, table, MAP_NO_RESOURCE, "CAST(timestamp AS TIMESTAMPTZ)", {})
    assert fast is not None
    assert not constant_per_case(fast, "late", probe=2)
    assert constant_per_case(fast, "same", probe=2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 200_000), st.integers(0, 5)), min_size=1, max_size=300),
    st.booleans(),
)
def test_case_time_order_is_a_stable_sort_by_case_then_time(
    rows: list[tuple[int, int]], presorted: bool
) -> None:
    """The radix ordering equals numpy's lexsort by (case, timestamp, row), codes above 2**16 included."""
    import numpy as np

    from baton.store.fastpath import _case_time_order

    case = np.array([c for c, _ in rows], dtype=np.int32)
    ts = np.array([t for _, t in rows], dtype=np.int64)
    if presorted:
        ts = np.sort(ts)
    expected = np.lexsort((np.arange(len(rows)), ts, case))
    assert _case_time_order(case, ts).tolist() == expected.tolist()


def test_dictionary_columns_with_unused_and_unordered_values_same_both_ways(tmp_path: Path) -> None:
    """A pandas categorical (sorted categories, unused ones) read dictionary-encoded: codes still follow
    first appearance and unused categories never become activities, exactly as on the general path."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "case_id": pd.Categorical(["z", "z", "a", "a", "m"], categories=["a", "m", "q", "z"]),
            "activity": pd.Categorical(["B", "A", "B", "C", "A"], categories=["A", "B", "C", "Unused"]),
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 11:00",
                    "2024-01-02 09:00",
                    "2024-01-03 09:00",
                    "2024-01-04 09:00",
                ],
                utc=True,
            ),
        }
    )
    path = tmp_path / "cat.parquet"
    frame.to_parquet(path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("activity").type)
    taken, fast = dump(path, MAP_NO_RESOURCE, fast=True)
    assert taken == "fast"
    assert fast == dump(path, MAP_NO_RESOURCE, fast=False)[1]
    assert [r[1] for r in fast[s.ACTIVITIES]] == ["A", "B", "C"]
    assert [r[1] for r in fast[s.CASES]] == ["z", "a", "m"]  # case index by first appearance


_ISO_VALUE = st.builds(
    lambda day, sec, frac, sep, off: (
        f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}{sep}"
        f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}{frac}{off}"
    ),
    st.integers(0, 12 * 28 - 1),
    st.integers(0, 86_399),
    st.sampled_from(["", ".5", ".123", ".123456"]),
    st.sampled_from(["T", " "]),
    st.sampled_from(["Z", "+01:00", "+0200", "-0330", "+05:45", "", "+01"]),
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(_ISO_VALUE, min_size=2, max_size=12, unique=True), st.sampled_from(["UTC", "Europe/Amsterdam"])
)
def test_iso_text_timestamps_parse_alike_on_both_paths(
    tmp_path_factory, values: list[str], zone: str
) -> None:  # type: ignore[no-untyped-def]
    """ISO text with offsets (Arrow's cast on the fast path) and without (SQL in the source zone) gives
    the same UTC instants as the general path's SQL parser, for every offset form."""
    path = tmp_path_factory.mktemp("iso") / "log.csv"
    lines = ["case_id,activity,timestamp"] + [f"c{i % 3},A{i},{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    runs = {}
    for fast in (True, False):
        ws = open_workspace()
        raw = read_source(path)
        src = SourceData(str(path), raw.format, raw.table, raw.checksum, raw.detected, raw.case_attributes)
        opts = ImportOptions(fast_path=fast, source_timezone=zone)
        report = import_table(ws, src, name="x", mapping=MAP_NO_RESOURCE, options=opts)
        events = s.events_table(report.log_id)
        rows = ws.cursor().execute(f"SELECT event_order, {s.TIMESTAMP} FROM {events} ORDER BY 1").fetchall()
        runs[fast] = (report.detected["import_path"], rows)
        ws.close()
    assert runs[True][0] == "fast" and runs[True][1] == runs[False][1]


def test_iso_text_with_offsets_is_parsed_by_arrow_without_sql() -> None:
    """Offset-bearing ISO text never reaches DuckDB (no cursor needed); values equal hand-computed instants."""
    from baton.store.fastpath import _epoch_us

    column = pa.chunked_array(
        [["2024-03-31T01:30:00.5+01:00", "2024-03-31 03:30:00+0200", "2024-01-01T00:00:00Z"]]
    )
    got = _epoch_us(None, column, "unused", {}, iso_text=True).to_pylist()  # type: ignore[arg-type]
    assert got == [1711845000_500000, 1711848600_000000, 1704067200_000000]
