"""The one source loader: read a source since its cursor, upsert on its key, keep rejects, rebuild its log.

Everything a pull writes happens in one DuckDB transaction under the workspace's write lock: the raw rows
(``source_rows_<id>``), the rejects, the rebuilt log, the cursor and the load history. On any error (or a
killed process) nothing of it remains. Batches are streamed: memory is bounded by the batch size.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol

import duckdb
import pyarrow as pa

from baton import schema as s
from baton.errors import FatalSourceError, WorkspaceError
from baton.store import pull_queries as pq
from baton.store import queries as q
from baton.store.ingest import ImportReport, Progress, SourceData, import_table
from baton.store.staging import SOURCE_ROW, ImportOptions
from baton.store.workspace import Workspace

#: DuckDB's memory limit during a pull of a file workspace whose limit is DuckDB's default: the env variable
#: (e.g. 512MB; none: no limit) or the default, measured on bench/pull_postgres.py (peak RSS ~510 MiB at
#: 1M and 3M rows with it, ~720 MiB at 1M with 512MB).
PULL_MEMORY_LIMIT_ENV = "BATON_PULL_MEMORY_LIMIT"
PULL_MEMORY_LIMIT = "256MB"
#: Raw tables up to this many rows are rebuilt through the fast path (an Arrow table in memory: ~2x faster,
#: same peak at 250k rows); larger ones through the general SQL path over a relation, which stays within
#: DuckDB's memory limit. Override: the env variable.
FAST_REBUILD_ROWS = 200_000
FAST_REBUILD_ROWS_ENV = "BATON_PULL_FAST_ROWS"


class PullSource(Protocol):
    """What the loader needs of a source (``connectors.sources.base.Source`` has it; the store cannot import
    connectors). ``lookback_seconds`` is optional: how far before the cursor each pull re-reads."""

    kind: ClassVar[str]
    name: str
    mapping: Mapping[str, str]
    primary_key: tuple[str, ...]
    cursor_column: str

    def check(self) -> None: ...

    def read(self, cursor: Any) -> Iterator[pa.RecordBatch]: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What one pull did: rows read, inserted, updated, rejected (by reason), cursor before and after."""

    name: str
    kind: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: dict[str, int]
    cursor_before: str | None
    cursor_after: str | None
    seconds: float
    load_no: int
    log: ImportReport | None = None

    @property
    def rows_rejected(self) -> int:
        """Rows this pull read but could not keep."""
        return sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as plain values (the log's import report summarised)."""
        out = {k: v for k, v in asdict(self).items() if k != "log"}
        if self.log is not None:
            lg = self.log
            out["log"] = {
                "log_id": lg.log_id,
                "events": lg.events,
                "cases": lg.cases,
                "rejected": lg.rejected,
            }
        return out

    def __str__(self) -> str:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in sorted(self.rejected.items()))
        lines = [
            f"{self.name} ({self.kind}) pull {self.load_no}: {self.rows_read:,} rows read, {self.inserted:,} "
            f"inserted, {self.updated:,} updated, {self.unchanged:,} unchanged, {self.rows_rejected:,} rejected"
            + (f" ({reasons})" if reasons else "")
            + f"; cursor {self.cursor_before} -> {self.cursor_after} ({self.seconds:.2f} s)"
        ]
        if self.log is not None:
            lines.append(str(self.log))
        return "\n".join(lines)


@dataclass(slots=True)
class _Load:
    """A pull in progress: the source's id, its columns and the counts so far."""

    source_id: int
    load_no: int
    key: tuple[str, ...]
    cursor_column: str
    raw_exists: bool
    columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    rejected: dict[str, int] = field(default_factory=dict)


def pull(
    ws: Workspace,
    source: PullSource,
    *,
    progress: Progress | None = None,
    mask: Callable[[str], str] = lambda text: text,
    bound_memory: bool = True,
) -> LoadReport:
    """Pull a source's rows since its stored cursor into the workspace and rebuild its log, atomically.

    A failed pull writes nothing but one ``source_failures`` row (when, which error, the message passed
    through ``mask``, which hides the config's secret values) in its own transaction after the rollback.
    With ``bound_memory`` a file workspace runs the pull under ``BATON_PULL_MEMORY_LIMIT`` (256MB by
    default): DuckDB's limit is per database, so a process whose other users share the connection (the
    app) passes False rather than cap their queries while it pulls.

    Raises:
        FatalSourceError: the source refuses (credentials, missing table or column); nothing is written.
        RetriableSourceError: the source failed transiently after its retries; nothing is written.
        MappingError, TimestampError: the rows do not make a log with the source's mapping; nothing written.
    """
    tick = progress or (lambda stage, share: None)
    began = time.perf_counter()
    key = tuple(source.primary_key)
    if not key or not source.cursor_column:
        raise FatalSourceError(
            f"source {source.name!r}: a primary key and a cursor column are needed to pull"
        )
    try:
        source.check()
        with ws.write_lock(), _bounded_memory(ws, enabled=bound_memory) as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                report = _pull(cur, ws, source, key, tick, began)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
    except Exception as exc:
        _record_failure(ws, source, exc, time.perf_counter() - began, mask)
        raise
    tick("done", 1.0)
    return report


@functools.cache
def _default_memory_limit() -> str:
    """DuckDB's own default ``memory_limit`` on this machine (a share of its RAM)."""
    return str(duckdb.connect().execute(pq.MEMORY_LIMIT).fetchall()[0][0])


@contextlib.contextmanager
def _bounded_memory(ws: Workspace, *, enabled: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor whose database keeps ``PULL_MEMORY_LIMIT`` (or the env variable's) for the pull, then resets.

    Only for a file workspace whose limit is DuckDB's default (a limit the user set is kept): DuckDB then
    spills to disk instead of growing with the table. An in-memory workspace cannot spill its tables.
    """
    cur = ws.cursor()
    limit = os.environ.get(PULL_MEMORY_LIMIT_ENV, PULL_MEMORY_LIMIT).strip()
    if (
        not enabled
        or ws.path is None
        or limit.lower() in ("", "none")
        or q.fetch_scalar(cur, pq.MEMORY_LIMIT) != _default_memory_limit()
    ):
        yield cur
        return
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, flags=re.IGNORECASE):
        raise WorkspaceError(
            f"{PULL_MEMORY_LIMIT_ENV}={limit!r} is not a memory size; set e.g. 512MB or 2GB, or none for "
            "DuckDB's default"
        )
    cur.execute(f"SET memory_limit = '{limit}'")
    cur.execute("SET preserve_insertion_order = false")  # large window-sorted inserts stay within the limit
    try:
        yield cur
    except duckdb.OutOfMemoryException as exc:
        raise WorkspaceError(
            f"the pull ran out of DuckDB's memory limit {limit} ({exc}); set {PULL_MEMORY_LIMIT_ENV} higher "
            "(e.g. 1GB) or to none and pull again - nothing was written"
        ) from exc
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.execute("RESET memory_limit")
            cur.execute("RESET preserve_insertion_order")


def _record_failure(
    ws: Workspace, source: PullSource, exc: Exception, seconds: float, mask: Callable[[str], str]
) -> None:
    """One ``source_failures`` row for a failed pull (best effort: a read-only workspace records nothing)."""
    row = [source.name, source.kind, seconds, type(exc).__name__, mask(str(exc))]
    with ws.write_lock(), contextlib.suppress(duckdb.Error):  # read-only: the caller still gets the error
        ws.cursor().execute(pq.INSERT_FAILURE, row)


def _pull(
    cur: duckdb.DuckDBPyConnection,
    ws: Workspace,
    source: PullSource,
    key: tuple[str, ...],
    tick: Progress,
    began: float,
) -> LoadReport:
    load, before = _open_state(cur, source, key)
    since = _since(before, float(getattr(source, "lookback_seconds", 0.0) or 0.0))
    for batch in source.read(since):
        _load_batch(cur, load, batch, source.name)
        tick(f"read {load.rows_read:,} rows", 0.0)
    after = before
    log: ImportReport | None = None
    stored = int(q.fetch_scalar(cur, pq.count_rows(load.source_id))) if load.raw_exists else 0
    if stored:
        after = q.fetch_scalar(cur, pq.max_cursor(load.source_id, load.cursor_column))
        tick("rebuilding the log", 0.5)
        log = _rebuild_log(cur, ws, source, load, stored, tick)
        cur.execute(pq.COPY_REJECTS, {"log_id": log.log_id, "source_id": load.source_id})
    after_text, after_type = encode_cursor(after)
    cur.execute(
        pq.UPDATE_STATE, [source.kind, _settings_json(source), after_text, after_type, load.source_id]
    )
    inserted, updated, unchanged = load.counts
    report = LoadReport(
        name=source.name, kind=source.kind, rows_read=load.rows_read, inserted=inserted, updated=updated,
        unchanged=unchanged, rejected=dict(load.rejected), cursor_before=encode_cursor(before)[0],
        cursor_after=after_text, seconds=time.perf_counter() - began, load_no=load.load_no, log=log,
    )  # fmt: skip
    cur.execute(pq.INSERT_LOAD, _load_row(load, report))
    return report


def _open_state(
    cur: duckdb.DuckDBPyConnection, source: PullSource, key: tuple[str, ...]
) -> tuple[_Load, Any]:
    """The source's stored state (created on its first pull) and its cursor; refuses a changed key."""
    row = q.fetch_one(cur, pq.GET_STATE, [source.name])
    if not row:
        source_id = int(q.fetch_scalar(cur, pq.NEXT_SOURCE_ID))
        cur.execute(pq.INSERT_STATE, [
            source_id, source.name, source.kind, _settings_json(source), json.dumps(list(key)),
            source.cursor_column,
        ])  # fmt: skip
        before = None
    else:
        source_id, _kind, stored_key, stored_cursor, value, typ = row
        if tuple(json.loads(stored_key)) != key or stored_cursor != source.cursor_column:
            raise WorkspaceError(
                f"source {source.name!r} was pulled with primary key {json.loads(stored_key)} and cursor "
                f"{stored_cursor!r}, now {list(key)} and {source.cursor_column!r}; delete its log "
                f"(`baton delete {source.name}`) to pull it again from the start"
            )
        before = decode_cursor(value, typ)
    raw_exists = bool(q.fetch_scalar(cur, pq.TABLE_EXISTS, [s.source_rows_table(source_id)]))
    load_no = int(q.fetch_scalar(cur, pq.NEXT_LOAD_NO, [source_id]))
    return _Load(int(source_id), load_no, key, source.cursor_column, raw_exists), before


def _load_batch(cur: duckdb.DuckDBPyConnection, load: _Load, batch: pa.RecordBatch, name: str) -> None:
    """Keep one batch's unusable rows as rejects and upsert the others on the key, counting changes."""
    if batch.num_rows == 0:
        return
    if not load.columns:
        _first_batch(cur, load, batch.schema, name)
    elif [c for c in batch.schema.names if c != s.SOURCE_REJECT_REASON] != load.columns:
        raise FatalSourceError(
            f"source {name!r}: a batch has columns {batch.schema.names}, the first had {load.columns}; a "
            "connector must yield one schema"
        )
    params = {"source_id": load.source_id, "load_no": load.load_no, "first_row": load.rows_read}
    cols, key, cursor = load.columns, load.key, load.cursor_column
    has_reason = s.SOURCE_REJECT_REASON in batch.schema.names
    good = pq.good_rows(key, cursor, has_reason)
    _on_batch(cur, pq.insert_rejects(key, cursor, cols, has_reason), params, batch)
    bad = _on_batch(cur, pq.reject_counts(key, cursor, has_reason), None, batch)
    for reason, n in bad:
        load.rejected[reason] = load.rejected.get(reason, 0) + int(n)
    dedupe = bool(_on_batch(cur, pq.duplicate_keys(key, good), None, batch)[0][0])
    rows = pq.batch_rows(key, cursor, cols, good, dedupe=dedupe)
    counts = [
        int(n) for n in _on_batch(cur, pq.count_changes(load.source_id, key, cols, rows), None, batch)[0]
    ]
    load.counts = [a + b for a, b in zip(load.counts, counts, strict=True)]
    replace = counts[1] + counts[2] > 0  # a key already stored: INSERT alone would violate the primary key
    _on_batch(cur, pq.upsert(load.source_id, cols, rows, replace=replace), None, batch)
    load.rows_read += batch.num_rows


def _on_batch(
    cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None, pull_batch: pa.RecordBatch
) -> list[tuple[Any, ...]]:
    """Run SQL over one batch, which the SQL names ``pull_batch``.

    DuckDB finds the batch as this frame's local variable (a replacement scan). Registering it instead would
    keep every batch alive until the transaction ends (DuckDB pins objects registered in a transaction).
    """
    rows = cur.execute(sql, params).fetchall() if params is not None else cur.execute(sql).fetchall()
    return [tuple(r) for r in rows]


def _first_batch(cur: duckdb.DuckDBPyConnection, load: _Load, schema: pa.Schema, name: str) -> None:
    """Check the first batch's columns and create the raw table from its schema on the first pull."""
    load.columns = [c for c in schema.names if c != s.SOURCE_REJECT_REASON]
    missing = [c for c in (*load.key, load.cursor_column) if c not in load.columns]
    if missing:
        raise FatalSourceError(
            f"source {name!r}: key or cursor column(s) {missing} are not among the columns read "
            f"{load.columns}; fix primary_key / cursor_column in its config"
        )
    if SOURCE_ROW in load.columns:
        raise FatalSourceError(
            f"source {name!r}: the column name {SOURCE_ROW!r} is reserved by Baton; rename it"
        )
    if load.raw_exists:
        return
    rel = cur.from_arrow(schema.empty_table())
    types = [(c, str(t)) for c, t in zip(rel.columns, rel.types, strict=True) if c != s.SOURCE_REJECT_REASON]
    cur.execute(pq.create_raw_table(load.source_id, types, load.key))
    load.raw_exists = True


def _rebuild_log(
    cur: duckdb.DuckDBPyConnection, ws: Workspace, source: PullSource, load: _Load, rows: int, tick: Progress
) -> ImportReport:
    """Import the whole raw table as the source's log with the one import pipeline, in this transaction.

    Up to ``FAST_REBUILD_ROWS`` rows (or env ``BATON_PULL_FAST_ROWS``) are read back as one Arrow table (the import's fast path); more stay in
    DuckDB, read as a relation by the general SQL path, so memory does not grow with the table.
    """
    relation = rows > int(os.environ.get(FAST_REBUILD_ROWS_ENV, FAST_REBUILD_ROWS))
    sql = pq.read_back(load.source_id, load.key, load.cursor_column, SOURCE_ROW, ordered=not relation)
    table = cur.sql(f"SELECT * FROM ({sql}) LIMIT 0" if relation else sql).to_arrow_table()  # noqa: S608
    settings = _settings_json(source)
    data = SourceData(
        path=f"{source.kind}:{source.name}",
        format=f"source:{source.kind}",
        table=table,
        checksum=hashlib.sha256(f"{settings}|{load.load_no}|{rows}".encode()).hexdigest(),
        detected={
            "source": json.loads(settings),
            "primary_key": list(load.key),
            "cursor": load.cursor_column,
        },
        relation_sql=sql if relation else None,
    )
    del table
    return import_table(
        ws, data, name=source.name, mapping=dict(source.mapping), options=ImportOptions(),
        progress=lambda stage, share: tick(stage, 0.5 + share / 2), in_transaction=cur,
    )  # fmt: skip


def _since(cursor: Any, lookback_seconds: float) -> Any:
    """The value to read from: the cursor minus the look-back for timestamps (None: read everything)."""
    if isinstance(cursor, datetime) and lookback_seconds > 0:
        return cursor - timedelta(seconds=lookback_seconds)
    return cursor


def encode_cursor(value: Any) -> tuple[str | None, str | None]:
    """A cursor value as stored text and its type (``timestamp``, ``timestamptz``, ``int``, ``float``, ``text``)."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return value.isoformat(), "timestamp" if value.tzinfo is None else "timestamptz"
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat(), "timestamp"
    if isinstance(value, bool | int):
        return str(int(value)), "int"
    if isinstance(value, float):
        return repr(value), "float"
    return str(value), "text"


def decode_cursor(text: str | None, typ: str | None) -> Any:
    """The stored cursor back as a value (the inverse of ``encode_cursor``)."""
    if text is None:
        return None
    if typ in ("timestamp", "timestamptz"):
        return datetime.fromisoformat(text)
    if typ == "int":
        return int(text)
    if typ == "float":
        return float(text)
    return text


def _settings_json(source: PullSource) -> str:
    return json.dumps(source.describe(), default=str, sort_keys=True)


def _load_row(load: _Load, report: LoadReport) -> dict[str, Any]:
    return {
        "source_id": load.source_id, "load_no": load.load_no, "name": report.name, "kind": report.kind,
        "seconds": report.seconds, "rows_read": report.rows_read, "inserted": report.inserted,
        "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rows_rejected,
        "rejected_reasons": json.dumps(report.rejected), "cursor_before": report.cursor_before,
        "cursor_after": report.cursor_after, "log_id": report.log.log_id if report.log else None,
        "report": json.dumps(report.to_dict(), default=str),
    }  # fmt: skip
