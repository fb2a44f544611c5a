"""The one import pipeline: raw source -> staged, validated, merged, precomputed log, in one transaction.

On any error the transaction rolls back and the workspace is exactly as before. Importing under an
existing name replaces that log inside the same transaction.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from baton import schema as s
from baton.arrowtypes import is_text
from baton.errors import MappingError
from baton.store import queries as q
from baton.store.attributes import split_attributes, write_attribute_tables
from baton.store.fastpath import FastLog, prepare_fast
from baton.store.fastwrite import constant_per_case, write_attribute_tables_fast, write_log_tables_fast
from baton.store.precompute import write_log_tables
from baton.store.quality import (
    QualityFinding,
    collect_findings,
    findings_frame,
    store_findings,
    write_rejects,
)
from baton.store.staging import (
    RAW,
    SOURCE_ROW,
    ImportOptions,
    build_merged,
    build_staging,
    merges_lifecycle,
    timestamp_expression,
)
from baton.store.workspace import Workspace, delete_log_rows

Progress = Callable[[str, float], None]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: counts, every reject reason and warning, and the provenance stored."""

    name: str
    log_id: int
    source: str
    source_format: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    events: int
    cases: int
    activities: int
    variants: int
    mapping: dict[str, str]
    detected: dict[str, Any]
    findings: tuple[QualityFinding, ...]
    seconds: float
    replaced: bool = False
    rejected: dict[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The data-quality findings as a table."""
        return findings_frame(self.findings)

    def __str__(self) -> str:
        lines = [
            f"{self.name}: {self.rows_read:,} rows read, {self.rows_loaded:,} loaded, "
            f"{self.rows_rejected:,} rejected -> {self.events:,} events, {self.cases:,} cases, "
            f"{self.activities} activities, {self.variants:,} variants ({self.seconds:.2f} s)"
        ]
        if self.events < self.rows_loaded:
            lines.append(
                f"  merged   {self.rows_loaded - self.events:,} lifecycle start/complete pairs into activity instances"
            )
        lines += [f"  {f.severity:8} {f.check}: {f.count:,} - {f.message}" for f in self.findings]
        return "\n".join(lines)


@dataclass(slots=True)
class SourceData:
    """What the loader needs from a connector's RawSource (kept free of the connectors package).

    Not frozen: once the fast path has encoded the mapped columns, the pipeline replaces ``table`` by the
    columns still needed (attributes and source rows) so the large text columns are freed mid-import.

    With ``relation_sql`` (a SELECT giving the source columns and ``SOURCE_ROW``) the rows stay in DuckDB:
    ``table`` holds only their (empty) schema, staging reads the SELECT as a view and takes the general SQL
    path, which works under DuckDB's memory limit (a pull's rebuild: memory independent of the table size).
    """

    path: str
    format: str
    table: pa.Table
    checksum: str
    detected: dict[str, Any]
    case_attributes: tuple[str, ...] = ()
    relation_sql: str | None = None


def import_table(
    ws: Workspace,
    source: SourceData,
    *,
    name: str,
    mapping: dict[str, str],
    options: ImportOptions,
    progress: Progress | None = None,
    in_transaction: duckdb.DuckDBPyConnection | None = None,
) -> ImportReport:
    """Import one source under ``name`` (replacing a log of that name), atomically.

    ``in_transaction`` is a cursor whose transaction the caller has begun while holding the workspace's
    write lock (``baton.store.pull``): the import then stages and writes inside that transaction and
    neither commits nor rolls back; the caller does.
    """
    _check_mapping(source, mapping)
    tick = progress or (lambda stage, share: None)
    began = time.perf_counter()
    if in_transaction is not None:
        try:
            staged = _stage(in_transaction, source, mapping, options, tick)
            report = _run(in_transaction, source, name, mapping, options, staged, tick, began)
        finally:
            _drop_temp_in_transaction(in_transaction, relation=source.relation_sql is not None)
        tick("done", 1.0)
        return report
    with ws.write_lock():
        cur = ws.cursor()
        try:
            # Staging writes temp tables only, so it runs before the transaction: DuckDB keeps every object
            # registered during a transaction alive until it ends, which would pin the whole source table.
            staged = _stage(cur, source, mapping, options, tick)
            cur.execute("BEGIN TRANSACTION")
            try:
                report = _run(cur, source, name, mapping, options, staged, tick, began)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        finally:
            _drop_temp(cur, relation=source.relation_sql is not None)
    tick("done", 1.0)
    return report


@dataclass(slots=True)
class _Staged:
    """What staging hands to the writing transaction."""

    detected: dict[str, Any]
    unpaired: int
    fast: FastLog | None


def _stage(
    cur: duckdb.DuckDBPyConnection,
    source: SourceData,
    mapping: dict[str, str],
    options: ImportOptions,
    tick: Progress,
) -> _Staged:
    """Register the source, parse and classify its rows; on the fast path, free the encoded columns."""
    if source.relation_sql is None:
        cur.register(RAW, source.table)
    else:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW {RAW} AS {source.relation_sql}")
    tick("validating rows", 0.1)
    detected: dict[str, Any] = dict(source.detected)
    unpaired, fast = _stage_rows(cur, source, mapping, options, detected)
    if fast is not None:
        _drop_encoded_columns(cur, source, mapping, fast)
    return _Staged(detected, unpaired, fast)


def _run(
    cur: duckdb.DuckDBPyConnection,
    source: SourceData,
    name: str,
    mapping: dict[str, str],
    options: ImportOptions,
    staged: _Staged,
    tick: Progress,
    began: float,
) -> ImportReport:
    old = q.fetch_one(cur, q.GET_LOG, [name]) or None
    if old is not None:
        delete_log_rows(cur, int(old[0]))
    log_id = int(q.fetch_scalar(cur, q.NEXT_LOG_ID))
    detected, unpaired, fast = staged.detected, staged.unpaired, staged.fast
    staged.fast = None  # this frame holds the arrays now; they are dropped after the attributes
    tick("precomputing", 0.45)
    if fast is None:
        write_log_tables(cur, log_id)
    else:
        write_log_tables_fast(cur, log_id, fast)
    tick("attributes", 0.75)
    ev_types, case_types = _write_attributes(cur, log_id, source, mapping, options, fast)
    fast_path = fast is not None
    del fast  # the arrays are large; the rest of the import needs none of them
    tick("quality report", 0.9)
    write_rejects(cur, log_id)
    rejected = int(q.fetch_scalar(cur, "SELECT count(*) FROM stg WHERE reason IS NOT NULL"))
    findings = collect_findings(cur, log_id, unpaired_starts=unpaired, notes=[])
    store_findings(cur, log_id, findings)
    rows_read = source.table.num_rows  # a relation's rows: ``stg`` holds one per source row (general path)
    if source.relation_sql is not None:
        rows_read = int(q.fetch_scalar(cur, "SELECT count(*) FROM stg"))
    cur.execute(q.insert_log(log_id), {
        "log_id": log_id, "name": name, "source": source.path, "source_format": source.format,
        "mapping": json.dumps({"mapping": mapping, "source_timezone": options.source_timezone,
                               "timestamp_format": options.timestamp_format, "dayfirst": options.dayfirst}),
        "detected": json.dumps(detected, default=str), "checksum": source.checksum, "rows_read": rows_read,
        "rows_loaded": rows_read - rejected, "rows_rejected": rejected,
        "has_start": fast_path is False and bool(q.fetch_scalar(cur, q.HAS_START)),
        "event_attributes": json.dumps(ev_types), "case_attributes": json.dumps(case_types),
    })  # fmt: skip
    events, cases, activities, variants = q.fetch_one(cur, q.LOG_COUNTS, [log_id])
    return ImportReport(
        name=name, log_id=log_id, source=source.path, source_format=source.format, rows_read=rows_read,
        rows_loaded=rows_read - rejected, rows_rejected=rejected, events=int(events), cases=int(cases),
        activities=int(activities), variants=int(variants), mapping=dict(mapping), detected=detected,
        findings=tuple(findings), seconds=time.perf_counter() - began, replaced=old is not None,
        rejected={f.check: f.count for f in findings if f.severity == "rejected"},
    )  # fmt: skip


def _stage_rows(
    cur: duckdb.DuckDBPyConnection,
    source: SourceData,
    mapping: dict[str, str],
    options: ImportOptions,
    detected: dict[str, Any],
) -> tuple[int, FastLog | None]:
    """Parse timestamps, classify rows, merge lifecycles; returns unpaired starts and the fast path's arrays."""
    params: dict[str, Any] = {"tz": options.source_timezone}
    key = mapping["timestamp_key"]
    ts_sql, detected["timestamp"], ts_check = timestamp_expression(
        cur, source.table, key, fmt=options.timestamp_format, options=options, source_name=source.path
    )
    start_sql, start_check = None, None
    if "start_timestamp_key" in mapping:
        start_sql, detected["start_timestamp"], start_check = timestamp_expression(
            cur, source.table, mapping["start_timestamp_key"], fmt=options.start_timestamp_format,
            options=options, source_name=source.path,
        )  # fmt: skip
    fast = None
    if options.fast_path and start_sql is None and source.relation_sql is None:
        iso = detected["timestamp"].get("family") == "iso" and options.timestamp_format is None
        fast = prepare_fast(cur, source.table, mapping, ts_sql, params, iso_text=iso)
    detected["import_path"] = "fast" if fast is not None else "general"
    if fast is None:
        for check in (ts_check, start_check):
            if check is not None:
                check()  # raises TimestampError naming rows and a format when no value parses
    text_ts = is_text(source.table.schema.field(key).type)
    build_staging(cur, mapping, ts_sql, start_sql, params, fast=fast is not None, text_timestamps=text_ts)
    unpaired = build_merged(cur, has_lifecycle=merges_lifecycle(mapping), fast=fast)
    if fast is None and int(q.fetch_scalar(cur, "SELECT count(*) FROM merged")) == 0:
        _raise_nothing_loaded(cur, source.path, mapping)
    return unpaired, fast


def _drop_encoded_columns(
    cur: duckdb.DuckDBPyConnection, source: SourceData, mapping: dict[str, str], fast: FastLog
) -> None:
    """Free the mapped source columns the fast path has encoded: only attributes and source rows remain."""
    mapped = set(mapping.values())
    # Copies, not slices: a connector's record batches may share one allocation across columns (DuckDB's
    # Arrow export does), and a slice of one column would keep the whole batch alive.
    kept = [c for c in source.table.column_names if c not in mapped]
    slim = pa.table({c: source.table.column(c).combine_chunks() for c in kept})
    cur.unregister(RAW)
    cur.register(RAW, slim)
    source.table = fast.table = slim
    pa.default_memory_pool().release_unused()  # hand the freed text columns back to the OS now


def _write_attributes(
    cur: duckdb.DuckDBPyConnection,
    log_id: int,
    source: SourceData,
    mapping: dict[str, str],
    options: ImportOptions,
    fast: FastLog | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Split further columns into event and case attributes and write their typed tables."""
    attr_cols = [c for c in source.table.column_names if c not in set(mapping.values()) | {SOURCE_ROW}]
    declared = options.case_attributes
    if declared is None and source.case_attributes:
        declared = source.case_attributes
    if fast is None:
        ev_cols, case_cols = split_attributes(cur, attr_cols, declared)
        return write_attribute_tables(cur, log_id, ev_cols, case_cols)
    if declared is None:
        declared = tuple(c for c in attr_cols if constant_per_case(fast, c))
    case_cols = [c for c in attr_cols if c in declared]
    ev_cols = [c for c in attr_cols if c not in case_cols]
    return write_attribute_tables_fast(cur, log_id, fast, ev_cols, case_cols)


def _check_mapping(source: SourceData, mapping: dict[str, str]) -> None:
    missing = [k for k in s.REQUIRED_KEYS if k not in mapping]
    if missing:
        raise MappingError(
            f"{source.path}: the mapping lacks {missing}; pass e.g. {missing[0]}='<column>' "
            f"(columns: {[c for c in source.table.column_names if c != SOURCE_ROW]})"
        )
    unknown_keys = set(mapping) - set(s.MAPPING_KEYS)
    if unknown_keys:
        raise MappingError(f"unknown mapping keyword(s) {sorted(unknown_keys)}; use {sorted(s.MAPPING_KEYS)}")
    for key, col in mapping.items():
        if col not in source.table.column_names:
            raise MappingError(
                f"{source.path}: {key}={col!r} is not a column; columns are "
                f"{[c for c in source.table.column_names if c != SOURCE_ROW]}"
            )


def _raise_nothing_loaded(cur: duckdb.DuckDBPyConnection, path: str, mapping: dict[str, str]) -> None:
    rows = cur.execute(
        "SELECT reason, count(*) n, min(source_row) FROM stg GROUP BY reason ORDER BY n DESC"
    ).fetchall()
    if not rows:
        raise MappingError(f"{path}: the file has a header but no data rows; nothing to import")
    detail = "; ".join(f"{r}: {n:,} rows (first at row {first})" for r, n, first in rows)
    raise MappingError(
        f"{path}: no row could be loaded ({detail}); check the mapping {mapping} - each of case id, activity "
        "and timestamp must point at a column that is filled"
    )


def _drop_temp(cur: duckdb.DuckDBPyConnection, *, relation: bool = False) -> None:
    # Best effort: after a failed import this must not hide the original error.
    with contextlib.suppress(duckdb.Error):
        for t in ("stg", "merged", "case_map", "case_seq"):
            cur.execute(f"DROP TABLE IF EXISTS temp.{t}")
        _drop_raw(cur, relation=relation)


def _drop_raw(cur: duckdb.DuckDBPyConnection, *, relation: bool) -> None:
    """Drop the raw source: the view over a relation, else the registered Arrow table."""
    if relation:
        cur.execute(f"DROP VIEW IF EXISTS temp.{RAW}")
    else:
        cur.unregister(RAW)


def _drop_temp_in_transaction(cur: duckdb.DuckDBPyConnection, *, relation: bool = False) -> None:
    """Drop the staging objects by their actual kind: inside a transaction a failed DROP would abort it."""
    with contextlib.suppress(duckdb.Error):  # after a failed import the caller rolls back anyway
        names = ["stg", "merged", "case_map", "case_seq"]
        for kind, table in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
            found = cur.execute(
                f"SELECT DISTINCT {kind.lower()}_name FROM {table} WHERE temporary AND list_contains(?, {kind.lower()}_name)",  # noqa: S608
                [names],
            ).fetchall()
            for (obj,) in found:
                cur.execute(f"DROP {kind} IF EXISTS temp.{obj}")
        _drop_raw(cur, relation=relation)
