"""The workspace: one DuckDB database (a file, or in-memory) holding many logs and their catalog."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import duckdb
import pyarrow as pa

from baton import schema as s
from baton.errors import LogNotFoundError, SchemaVersionError, WorkspaceError
from baton.log import EventLog
from baton.store import pull_queries as pq
from baton.store import queries as q


@dataclass(frozen=True, slots=True)
class LogInfo:
    """One catalog row: a stored log and its provenance."""

    log_id: int
    name: str
    source: str
    source_format: str
    mapping: dict[str, Any]
    detected: dict[str, Any]
    imported_at: datetime
    checksum: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    events: int
    cases: int
    activities: int
    variants: int
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    has_start_timestamps: bool
    event_attributes: dict[str, str]
    case_attributes: dict[str, str]


_JSON_FIELDS = ("mapping", "detected", "event_attributes", "case_attributes")


class Workspace:
    """A DuckDB workspace. One connection per process; `cursor()` per thread or Streamlit run.

    Example:
        >>> ws = Workspace.open()          # in-memory
        >>> ws.logs()
        []
    """

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, path: Path | None, *, read_only: bool = False
    ) -> None:
        self._con = connection
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.Lock()
        cur = self.cursor()
        _check_schema_version(cur, path)
        if read_only:
            tables = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if s.LOGS not in tables:
                raise WorkspaceError(f"{path} holds no Baton workspace; open it writable once to create one")
            return
        cur.execute(s.DDL)
        cur.execute(q.SET_META, ["schema_version", str(s.SCHEMA_VERSION)])

    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> Self:
        """Open (or create) a workspace file; ``None`` or ``":memory:"`` gives an in-memory workspace."""
        target = None if path in (None, ":memory:") else Path(path).expanduser()
        try:
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(target) if target else ":memory:", read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(
                f"cannot open workspace {target}: {exc}; another process may hold it open for writing "
                "(DuckDB allows one writer): close that process or open a copy"
            ) from exc
        except duckdb.ConnectionException as exc:
            raise WorkspaceError(
                f"cannot open workspace {target}: this process already has it open "
                f"{'writable' if read_only else 'read-only'} ({exc}); reuse that workspace object"
            ) from exc
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"{target} is not a Baton workspace (DuckDB said: {exc}); pass a new file name or an existing "
                "workspace written by DuckDB 2.x"
            ) from exc
        return cls(con, target, read_only=read_only)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the shared connection, with the session time zone set to UTC."""
        cur = self._con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def close(self) -> None:
        """Close the connection (checkpointing a file workspace)."""
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- catalog -------------------------------------------------------------------------------
    def logs(self) -> list[LogInfo]:
        """All stored logs, by name."""
        rows = self.cursor().sql(q.LIST_LOGS).to_arrow_table().to_pylist()
        return [_log_info(r) for r in rows]

    def info(self, name: str) -> LogInfo:
        """The catalog row of one log, or LogNotFoundError listing the logs there are."""
        rows = self.cursor().sql(q.GET_LOG, params=[name]).to_arrow_table().to_pylist()
        if not rows:
            names = [i.name for i in self.logs()]
            raise LogNotFoundError(
                f"no log named {name!r} in this workspace; logs here: {names or 'none yet - import a file first'}"
            )
        return _log_info(rows[0])

    def log(self, name: str) -> EventLog:
        """An EventLog handle on the named log (no filters)."""
        info = self.info(name)
        return EventLog(self, info.log_id, info.name)

    def delete_log(self, name: str) -> None:
        """Remove a log and every row that belongs to it, atomically (a pulled source's rows and state too)."""
        info = self.info(name)
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                delete_log_rows(cur, info.log_id)
                delete_source_rows(cur, name)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def rejects(self, name: str, *, limit: int | None = None) -> pa.Table:
        """Rejected source rows of a log: source_row, reason, detail and the raw values as JSON."""
        log_id = self.info(name).log_id
        return self.cursor().sql(q.LIST_REJECTS, params=[log_id, limit]).to_arrow_table()

    def quality(self, name: str) -> pa.Table:
        """The data-quality findings stored with a log's import."""
        log_id = self.info(name).log_id
        return self.cursor().sql(q.LIST_QUALITY, params=[log_id]).to_arrow_table()

    def source_loads(self, name: str) -> pa.Table:
        """The load history of a pulled source: one row per successful pull, oldest first (empty if none)."""
        return self.cursor().sql(pq.LIST_LOADS, params=[name]).to_arrow_table()

    def source_failures(self, name: str) -> pa.Table:
        """The failed pulls of a source (each rolled back): when, the error type and message, oldest first."""
        return self.cursor().sql(pq.LIST_FAILURES, params=[name]).to_arrow_table()

    def write_lock(self) -> threading.Lock:
        """The lock that serialises writers inside this process."""
        return self._write_lock


def delete_log_rows(cur: duckdb.DuckDBPyConnection, log_id: int) -> None:
    """Delete every row of one log (inside the caller's transaction)."""
    for table in (s.CASES, s.VARIANTS, s.ACTIVITIES, s.REJECTS, s.QUALITY, s.LOGS):
        cur.execute(q.DELETE_LOG_ROWS[table], [log_id])
    cur.execute(f"DROP TABLE IF EXISTS {s.events_table(log_id)}")
    for kind in ("event", "case"):
        cur.execute(f"DROP TABLE IF EXISTS {s.attribute_table(kind, log_id)}")


def delete_source_rows(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete a pulled source's raw rows, rejects, history and state (inside the caller's transaction)."""
    cur.execute(pq.DELETE_FAILURES, [name])
    row = q.fetch_one(cur, pq.GET_STATE, [name])
    if not row:
        return
    source_id = int(row[0])
    cur.execute(f"DROP TABLE IF EXISTS {s.source_rows_table(source_id)}")
    for sql in pq.DELETE_SOURCE:
        cur.execute(sql, [source_id])


def _log_info(row: dict[str, Any]) -> LogInfo:
    for key in _JSON_FIELDS:
        row[key] = json.loads(row[key])
    return LogInfo(**row)


def _check_schema_version(cur: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """Refuse a workspace written with another schema version, saying how to rebuild it."""
    has_meta = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'baton_meta'").fetchall()
    if not has_meta[0][0]:
        return
    rows = cur.execute("SELECT value FROM baton_meta WHERE key = 'schema_version'").fetchall()
    if rows and rows[0][0] != str(s.SCHEMA_VERSION):
        raise SchemaVersionError(
            f"{path} was written by another Baton version (workspace schema {rows[0][0]}, this Baton reads "
            f"schema {s.SCHEMA_VERSION}); re-import its logs into a new workspace file "
            "(`baton build-demo` rebuilds the demo workspace)"
        )
