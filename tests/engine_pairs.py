"""The same event data on both engines, for the engine-equality tests: logs, filters and a deep comparison."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from baton import filters as f
from baton.log import EventLog

SAMPLE_ATTRS = (("loan_amount", "product", "channel", "region"), ("cost", "outcome"))
SAMPLE = ("loans_before", "loans_after")
#: ../shared/data logs: file, and the mapping where the file does not carry one (CSV).
SHARED: dict[str, tuple[str, dict[str, str]]] = {
    "running-example": ("running-example.xes", {}),
    "receipt-csv": ("receipt.csv", {
        "case_id_key": "case:concept:name", "activity_key": "concept:name", "timestamp_key": "time:timestamp",
        "resource_key": "org:resource", "lifecycle_key": "lifecycle:transition"}),
    "helpdesk": ("helpdesk.xes.gz", {}),
    "bpi2020": ("BPI_2020_DomesticDeclarations.xes.gz", {}),
    "interval": ("interval_event_log.xes", {}),
    "reviewing": ("reviewing.xes", {}),
    "purchasing": ("PurchasingExample.xes.gz", {}),
    "roadtraffic": ("roadtraffic100traces.xes", {}),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Source:
    """One Parquet file both engines read, with its mapping and attribute columns."""

    path: Path
    mapping: dict[str, str]
    case_attributes: tuple[str, ...]
    event_attributes: tuple[str, ...]


def sample_source(sample_logs: Path, name: str) -> Source:
    """A sample log's own Parquet file (start timestamps, case and event attributes)."""
    mapping = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "timestamp",
               "start_timestamp_key": "start_timestamp", "resource_key": "resource"}  # fmt: skip
    return Source(sample_logs / f"{name}.parquet", mapping, *SAMPLE_ATTRS)


def shared_source(shared_data: Path, name: str, out: Path) -> Source:
    """A shared log's rows as Baton's reader gives them (before any staging), written to Parquet."""
    from connectors import read_source

    file, mapping = SHARED[name]
    raw = read_source(shared_data / "logs" / file)
    table = raw.table.drop_columns([c for c in raw.table.column_names if c.startswith("__")])
    table = pa.table({c: _plain(table.column(c)) for c in table.column_names})
    mapping = mapping or dict(raw.default_mapping)
    mapped = set(mapping.values())
    case = tuple(c for c in table.column_names if c.startswith("case:") and c not in mapped)
    event = tuple(c for c in table.column_names if c not in mapped and c not in case)
    path = out / f"{name}.parquet"
    pq.write_table(table, path)
    return Source(path, mapping, case, event)


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary and large strings as plain strings (what a lakehouse table would hold)."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = column.cast(typ.value_type)
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return column


def sample_filters(log: EventLog, *, variations: bool = True) -> list[Any]:
    """Filters of every kind, with values taken from the log itself (so each keeps some cases).

    ``variations=False`` leaves out the second form of a kind (exclusion, eventually-follows, intersecting).
    """
    from analytics import discover_dfg, get_case_durations

    dfg, durations = discover_dfg(log), get_case_durations(log)
    start, end = next(iter(dfg.start_activities)), next(iter(dfg.end_activities))
    top = dfg.edges[0]
    median_s = (durations.stats.median_us or 0) / 1e6
    first, last = (durations.table.column(c).to_pylist() for c in ("start_time", "end_time"))
    lo, hi = min(first), max(last)
    mid = lo + (hi - lo) / 2
    out: list[Any] = [
        f.CaseDuration(max_seconds=median_s),
        f.CaseDuration(min_seconds=median_s, keep=False),
        f.StartActivities((start,)),
        f.EndActivities((end,), keep=False),
        f.Follows(top.source, top.target),
        f.Follows(top.target, top.source, directly=False),
        f.HasRework(),
        f.VariantSelection(top_k=3),
        f.TimeFrame(lo, mid, mode="contained"),
        f.TimeFrame(mid, hi, mode="intersecting"),
    ]
    if not variations:
        out = [flt for i, flt in enumerate(out) if i not in (1, 5, 9)]
    return out + _attribute_filters(log)


def _attribute_filters(log: EventLog) -> list[Any]:
    """A case- and an event-attribute filter on the log's first attribute of each kind with a value."""
    from analytics import get_attribute_values
    from analytics._query import LogQuery

    event_attrs, case_attrs = LogQuery(log).attribute_types()
    out: list[Any] = []
    for names, kind in ((case_attrs, f.CaseAttribute), (event_attrs, f.EventAttribute)):
        for name in names:
            values = get_attribute_values(log, name, limit=3).values
            if values:
                out.append(kind(name, (values[0].value,)))
                break
    return out


def assert_same(a: Any, b: Any, path: str = "result") -> None:
    """Equal results: exact except floats (rel 1e-9; microsecond fields within 1 us, sums may reorder)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
        for fld in dataclasses.fields(a):
            assert_same(getattr(a, fld.name), getattr(b, fld.name), f"{path}.{fld.name}")
    elif isinstance(a, pa.Table):
        assert a.schema == b.schema, f"{path}: schema {a.schema} vs {b.schema}"
        assert_same(a.to_pydict(), b.to_pydict(), path)
    elif hasattr(a, "to_dict") and hasattr(a, "columns"):  # pandas frames
        assert list(a.columns) == list(b.columns), f"{path}: columns differ"
        assert_same(a.to_dict("list"), b.to_dict("list"), path)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)[:8]} vs {list(b)[:8]}"
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        if math.isnan(a):
            assert math.isnan(b), f"{path}: nan vs {b}"
            return
        tol = 1.0 if "_us" in path or "us'" in path else 1e-9
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=tol), f"{path}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"
