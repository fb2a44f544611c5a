"""The fast path's writer: events, cases, variants and attribute tables straight from `FastLog` arrays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from baton import schema as s
from baton.store.attributes import attribute_types
from baton.store.fastpath import FastLog, dictionary_encode

_TS = pa.timestamp("us", tz="UTC")


_SLICE_EVENTS = 2_000_000  # events built and inserted per slice: bounds the Arrow copy of the events table


def _event_slices(f: FastLog) -> list[tuple[int, int]]:
    """Ranges [a, b) of sorted events, each holding whole cases and about ``_SLICE_EVENTS`` events."""
    n, starts = len(f.order), f.case_starts()
    cuts = [0]
    while cuts[-1] < n:
        i = int(np.searchsorted(starts, cuts[-1] + _SLICE_EVENTS, side="left"))
        cuts.append(int(starts[i]) if i < len(starts) else n)
    return list(zip(cuts, cuts[1:], strict=False))


def _events_table(f: FastLog, a: int, b: int) -> pa.Table:
    """The varying event columns of sorted events [a, b) (whole cases) in (case, position) order."""
    o = f.order[a:b]
    act, t = f.sorted_act[a:b], f.sorted_ts[a:b]
    n = b - a
    first, stop = np.searchsorted(f.case_starts(), [a, b])
    starts = f.case_starts()[first:stop] - a
    counts = np.diff(np.r_[starts, n])
    case = np.repeat(np.arange(first, stop, dtype=np.int32), counts)
    position = np.arange(n, dtype=np.int32) - np.repeat(starts.astype(np.int32), counts)
    last = np.zeros(n, dtype=bool)
    last[starts + counts - 1] = True
    nxt = np.empty_like(t)
    nxt[:-1], nxt[-1:] = t[1:], t[-1:]
    nxt_act = np.empty_like(act)
    nxt_act[:-1], nxt_act[-1:] = act[1:], act[-1:]
    resource = f.resource.take(pa.array(o)) if f.resource is not None else pa.nulls(n, pa.string())
    return pa.table(
        {
            s.CASE_INDEX: case,
            s.POSITION: position,
            s.ACTIVITY_CODE: act,
            s.TIMESTAMP: pa.array(t, type=_TS),
            s.RESOURCE: resource,
            s.EVENT_ORDER: o + 1 if f.sequential_rows else f.source_row[o],
            s.NEXT_ACTIVITY_CODE: pa.array(nxt_act, mask=last),
            s.NEXT_GAP_US: pa.array(nxt - t, mask=last),
        }
    )


# Constant and repeated columns are filled by DuckDB, not carried through Arrow.
_INSERT_FAST_EVENTS = f"""
INSERT INTO {{events}} ({s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.TIMESTAMP}, {s.RESOURCE},
    {s.EVENT_ORDER}, {s.NEXT_ACTIVITY_CODE}, {s.NEXT_GAP_US})
SELECT {s.CASE_INDEX}, {s.POSITION}, {s.ACTIVITY_CODE}, {s.TIMESTAMP}, {s.RESOURCE},
    {s.EVENT_ORDER}, {s.NEXT_ACTIVITY_CODE}, {s.NEXT_GAP_US}
FROM fast_events
"""  # noqa: S608


def _variants(act: np.ndarray, starts: np.ndarray, log_id: int) -> tuple[pa.Table, np.ndarray, list[bool]]:
    """The variants table, each case's variant id, and each variant's rework flag.

    A case's activity codes as big-endian int32 bytes compare like the code lists, so dictionary
    encoding the byte strings finds the variants exactly and sorting them orders by codes.
    """
    data = act.astype(">i4").tobytes()
    offsets = np.r_[starts, len(act)].astype(np.int64) * 4
    seqs = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    enc = pc.dictionary_encode(seqs)
    idx = enc.indices.to_numpy()
    counts = np.bincount(idx, minlength=len(enc.dictionary))
    words = enc.dictionary.to_pylist()
    ranked = sorted(range(len(words)), key=lambda i: (-counts[i], words[i]))
    variant_id = np.empty(len(words), dtype=np.int32)
    variant_id[ranked] = np.arange(len(words), dtype=np.int32)
    code_lists = [np.frombuffer(words[i], dtype=">i4").astype(np.int32) for i in ranked]
    lengths = np.array([len(c) for c in code_lists], dtype=np.int32)
    flat = np.concatenate(code_lists) if code_lists else np.zeros(0, np.int32)
    lists = pa.ListArray.from_arrays(pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32)), pa.array(flat))
    table = pa.table(
        {
            s.LOG_ID: np.full(len(words), log_id, dtype=np.int32),
            s.VARIANT_ID: np.arange(len(words), dtype=np.int32),
            "activity_codes": lists,
            "n_events": lengths,
            "case_count": counts[ranked].astype(np.int64),
        }
    )
    rework = [len(set(c.tolist())) < len(c) for c in code_lists]
    return table, variant_id[idx], rework


def _insert_events(cur: duckdb.DuckDBPyConnection, log_id: int, f: FastLog) -> None:
    """Insert the events slice by slice; rows carry their order, so each insert may run in parallel."""
    keep_order = cur.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    cur.execute("SET preserve_insertion_order = false")
    cur.execute(s.events_ddl(log_id, intervals=False))  # no start, lifecycle or offsets on this path
    insert = _INSERT_FAST_EVENTS.format(events=s.events_table(log_id))
    try:
        for a, b in _event_slices(f):
            cur.register("fast_events", _events_table(f, a, b))
            cur.execute(insert)
            cur.unregister("fast_events")
    finally:
        cur.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")


def write_log_tables_fast(cur: duckdb.DuckDBPyConnection, log_id: int, f: FastLog) -> None:
    """Fill activities, events, variants and cases of ``log_id`` from the fast path's arrays."""
    cur.executemany(
        f"INSERT INTO {s.ACTIVITIES} VALUES (?, ?, ?)",  # noqa: S608
        [(log_id, i, a) for i, a in enumerate(f.activity_names)],
    )
    # DuckDB writes the events (releasing the GIL) while numpy computes the variants and cases here; the
    # cursor is used by the writer thread only until it is joined below.
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = pool.submit(_insert_events, cur, log_id, f)
        variants, cases = _variants_and_cases(f, log_id)
        writing.result()
    for name, table in ((s.VARIANTS, variants), (s.CASES, cases)):
        cur.register("fast_rows", table)
        cur.execute(f"INSERT INTO {name} SELECT * FROM fast_rows")  # noqa: S608
        cur.unregister("fast_rows")


def _variants_and_cases(f: FastLog, log_id: int) -> tuple[pa.Table, pa.Table]:
    """The variants and cases tables of the log, from the sorted arrays."""
    act, t, starts = f.sorted_act, f.sorted_ts, f.case_starts()
    variants, case_variant, rework = _variants(act, starts, log_id)
    ends = np.r_[starts[1:], len(act)] - 1
    first_t, last_t = t[starts], np.maximum.reduceat(t, starts) if len(t) else t
    cases = pa.table(
        {
            s.LOG_ID: np.full(len(starts), log_id, dtype=np.int32),
            s.CASE_INDEX: np.arange(len(starts), dtype=np.int32),
            s.CASE_ID: f.case_ids,  # case index = position in the dictionary
            s.VARIANT_ID: case_variant,
            "n_events": (ends - starts + 1).astype(np.int32),
            "start_time": pa.array(first_t, type=_TS),
            "end_time": pa.array(last_t, type=_TS),
            "first_timestamp": pa.array(np.minimum.reduceat(t, starts) if len(t) else t, type=_TS),
            "duration_us": last_t - first_t,
            "span_us": last_t - first_t,
            "start_activity_code": act[starts],
            "end_activity_code": act[ends],
            "has_rework": np.array(rework, dtype=bool)[case_variant] if rework else np.zeros(0, bool),
        }
    )
    return variants, cases


def _varies_within_a_case(column: pa.ChunkedArray, order: np.ndarray, starts: np.ndarray) -> bool:
    """Whether some case holds two distinct non-null values; ``order`` groups rows by case from ``starts``."""
    code = pc.fill_null(dictionary_encode(column).indices, -1).to_numpy()[order]
    low = np.minimum.reduceat(np.where(code < 0, np.iinfo(code.dtype).max, code), starts)
    high = np.maximum.reduceat(code, starts)
    seen = high >= 0
    return not bool(np.all(low[seen] == high[seen]))


def constant_per_case(fast: FastLog, column: str, *, probe: int = 100_000) -> bool:
    """At most one distinct non-null value in every case, and some value somewhere.

    The first ``probe`` events (whole cases, in case order) are checked first: an event attribute such as
    a cost varies there already, so the full check runs only for columns that look case-level.
    """
    col = fast.table.column(column)
    if col.null_count == len(col):
        return False
    starts = fast.case_starts()
    head = starts[starts < probe]
    if 0 < len(head) < len(starts):
        rows = fast.order[: int(starts[len(head)])]
        if _varies_within_a_case(col.take(pa.array(rows)), np.arange(len(rows)), head):
            return False
    return not _varies_within_a_case(col, fast.order, starts)


def _create(cur: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    cur.register("fast_attrs", table)
    cur.execute(f"CREATE TABLE {name} AS SELECT * FROM fast_attrs")  # noqa: S608
    cur.unregister("fast_attrs")


def write_attribute_tables_fast(
    cur: duckdb.DuckDBPyConnection, log_id: int, fast: FastLog, event_cols: list[str], case_cols: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The attribute tables straight from the Arrow source: every row loaded, so no join is needed."""
    ev_table, case_table = s.attribute_table("event", log_id), s.attribute_table("case", log_id)
    events = {s.EVENT_ORDER: fast.source_row, s.CASE_INDEX: fast.case_index}
    _create(cur, ev_table, pa.table({**events, **{c: fast.table.column(c) for c in event_cols}}))
    n_cases = len(fast.case_ids)
    cases: dict[str, object] = {s.CASE_INDEX: np.arange(n_cases, dtype=np.int32)}
    starts, never = fast.case_starts(), len(fast.order)
    for c in case_cols:
        col = fast.table.column(c).combine_chunks()
        present = col.is_valid().to_numpy(zero_copy_only=False)[fast.order]
        first = np.minimum.reduceat(np.where(present, fast.order, never), starts)  # smallest source row
        found = first < never
        cases[c] = col.take(pa.array(np.where(found, first, 0), mask=~found))
    _create(cur, case_table, pa.table(cases))
    return attribute_types(cur, ev_table, skip=2), attribute_types(cur, case_table, skip=1)
