"""The Data page's source systems without Streamlit: source configs, background pulls and their status."""

from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from baton.api import Workspace
from baton.errors import BatonError
from baton.store.pull import LoadReport
from baton.store.pull_status import SourceState
from connectors.sources.base import SourceConfig
from connectors.sources.config import mask_secrets, read_source_config

_log = logging.getLogger(__name__)
CONFIG_SUFFIXES = (".yaml", ".yml")
HISTORY_COLUMNS = (
    "load_no", "loaded_at", "seconds", "rows_read", "inserted", "updated", "unchanged", "rejected",
    "rejected_reasons", "cursor_before", "cursor_after",
)  # fmt: skip
State = Literal["never pulled", "ok", "failed", "pulling"]


def sources_dir(workspace_file: Path | None) -> Path:
    """The folder of source configs: $BATON_SOURCES, else ``sources/`` next to the workspace file."""
    configured = os.environ.get("BATON_SOURCES")
    if configured:
        return Path(configured).expanduser()
    return (workspace_file.parent if workspace_file is not None else Path.cwd()) / "sources"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A source the page lists: from a config file, or only known from the workspace's pull state."""

    name: str
    kind: str
    config_path: Path | None  # None: pulled before, but no config file for it in the folder now
    problem: str | None = None  # why the config file cannot be used (then no pull is offered)


def config_files(folder: Path) -> list[Path]:
    """The YAML files directly in ``folder``, by name; none if it does not exist."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES]
    return sorted(found, key=lambda p: p.name.lower())


def source_entries(folder: Path, stored: list[SourceState]) -> list[SourceEntry]:
    """One entry per config file in ``folder`` plus one per stored source without a config file.

    A config that cannot be read is listed under its file name with the reason; a second file
    naming the same source is listed as a problem (one config per source).
    """
    entries: dict[str, SourceEntry] = {}
    for path in config_files(folder):
        try:
            config = read_source_config(path)
        except BatonError as exc:
            entries[path.name] = SourceEntry(path.name, "?", path, str(exc))
            continue
        if config.name in entries:
            first = entries[config.name].config_path
            problem = f"{path}: names the source {config.name!r} like {first}; keep one config per source"
            entries[path.name] = SourceEntry(path.name, config.kind, path, problem)
            continue
        entries[config.name] = SourceEntry(config.name, config.kind, path)
    for state in stored:
        if state.name not in entries:
            entries[state.name] = SourceEntry(state.name, state.kind, None)
    return sorted(entries.values(), key=lambda e: e.name.lower())


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed pull: its message (secrets masked) and when it ended (kept in the workspace's
    ``source_failures``; failures before the pull began, such as an unreadable config, in memory)."""

    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What the page says about a source: its state and a one-line label."""

    state: State
    label: str


def source_status(*, running: bool, failure: Failure | None, last_load_at: datetime | None) -> SourceStatus:
    """The status of a source: pulling now, else its last pull failed (a failure after the last successful
    load), else ok (loaded at least once), else never pulled."""
    if running:
        return SourceStatus("pulling", "pulling now...")
    if failure is not None and (last_load_at is None or failure.at > last_load_at):
        return SourceStatus("failed", f"last pull failed: {failure.message}")
    if last_load_at is not None:
        return SourceStatus("ok", f"ok (last pull {last_load_at:%Y-%m-%d %H:%M:%S %Z})")
    return SourceStatus("never pulled", "never pulled")


@dataclass(frozen=True, slots=True)
class LastLoad:
    """The newest row of a source's load history."""

    load_no: int
    loaded_at: datetime
    seconds: float
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejected_reasons: dict[str, int]
    cursor_before: str | None
    cursor_after: str | None

    def summary(self) -> str:
        """One line: pull number, time, duration, rejects by reason and the cursor's move."""
        reasons = ", ".join(f"{r}: {n:,}" for r, n in sorted(self.rejected_reasons.items()))
        return (
            f"Pull {self.load_no} at {self.loaded_at:%Y-%m-%d %H:%M:%S %Z} took {self.seconds:.2f} s; "
            f"rejected by reason: {reasons or 'none'}; "
            f"cursor {self.cursor_before or '(start)'} -> {self.cursor_after or '(none)'}"
        )


def last_load(loads: pa.Table) -> LastLoad | None:
    """The newest load of a history table (``Workspace.source_loads``, oldest first); None when empty."""
    if loads.num_rows == 0:
        return None
    row: dict[str, Any] = loads.slice(loads.num_rows - 1).to_pylist()[0]
    values = {f.name: row[f.name] for f in fields(LastLoad)}
    values["rejected_reasons"] = json.loads(row["rejected_reasons"] or "{}")
    return LastLoad(**values)


def history_frame(loads: pa.Table) -> pd.DataFrame:
    """The load history newest first, without the stored report JSON."""
    frame = loads.select(list(HISTORY_COLUMNS)).to_pandas()
    return frame.iloc[::-1].reset_index(drop=True)


class PullJobs:
    """Pulls running in background threads of the app process: one at a time per source, failures kept.

    A pull holds only the workspace's write lock (its own cursor), so other sessions keep reading. A failed
    pull rolls back and records itself in ``source_failures``; a config that cannot be read is kept here.
    """

    def __init__(self, max_workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="baton-pull")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[LoadReport | None]] = {}
        self._failures: dict[str, Failure] = {}

    def start(self, ws: Workspace, name: str, config_path: Path) -> bool:
        """Start pulling source ``name`` from ``config_path``; False when it is already being pulled."""
        with self._lock:
            if self.running(name):
                return False
            self._futures[name] = self._executor.submit(self._run, ws, name, config_path)
            return True

    def running(self, name: str) -> bool:
        """Whether source ``name`` is being pulled now."""
        future = self._futures.get(name)
        return future is not None and not future.done()

    def busy(self) -> bool:
        """Whether any pull is running."""
        return any(not f.done() for f in list(self._futures.values()))

    def failure(self, ws: Workspace, name: str) -> Failure | None:
        """The latest failed pull of ``name``: recorded in the workspace (any process) or in this one."""
        rows = ws.source_failures(name).to_pylist()
        stored = Failure(rows[-1]["message"], rows[-1]["failed_at"]) if rows else None
        here = self._failures.get(name)
        candidates = [f for f in (stored, here) if f is not None]
        return max(candidates, key=lambda f: f.at) if candidates else None

    def wait(self, timeout: float | None = None) -> None:
        """Block until every running pull has ended (tests; a page never waits)."""
        wait_futures(list(self._futures.values()), timeout=timeout)

    def _run(self, ws: Workspace, name: str, config_path: Path) -> LoadReport | None:
        config: SourceConfig | None = None
        try:
            config = read_source_config(config_path)
            # records a failure in source_failures, secrets masked; no memory cap: DuckDB's limit is per
            # database, and the app's other sessions share this one while the pull runs
            report = ws.pull(config_path, bound_memory=False)
        except Exception as exc:  # noqa: BLE001 - any failure is shown on the page, never lost in a thread
            if not isinstance(exc, BatonError):
                _log.exception("pull of source %r from %s failed", name, config_path)
            text = str(exc) if isinstance(exc, BatonError) else f"{type(exc).__name__}: {exc}"
            message = mask_secrets(text, config) if config is not None else text
            self._failures[name] = Failure(message, datetime.now(UTC))
            return None
        self._failures.pop(name, None)
        return report
