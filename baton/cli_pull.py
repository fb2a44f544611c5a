"""What `baton pull` does: one load from a source config, or a load every interval until Ctrl-C."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from baton.errors import BatonError, MalformedSourceError

if TYPE_CHECKING:
    from baton.store.pull import LoadReport
    from connectors.sources.base import SourceConfig

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)


def parse_interval(text: str) -> float:
    """Seconds in an interval written ``30s``, ``15m``, ``1h`` or ``1d`` (a number and one unit)."""
    match = _INTERVAL.match(text)
    if not match or float(match.group(1)) <= 0:
        raise MalformedSourceError(
            f"--every {text!r} is not an interval; write a positive number and a unit: 30s, 15m, 1h or 1d"
        )
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def pull_once(config_path: Path, workspace: Path) -> LoadReport:
    """Read the config, build its connector and run one pull into the workspace (opened for this pull only).

    The workspace is closed after each pull so other processes (the app) can open the file in between.
    """
    from baton.api import open_workspace
    from connectors.sources.config import build_source, read_source_config

    build_source(read_source_config(config_path))  # a bad config fails before the workspace is opened
    with open_workspace(workspace) as ws:
        return ws.pull(config_path)  # a failure is recorded with the config's secrets masked


def safe_message(exc: BaseException, config_path: Path) -> str:
    """The error's message with the config's secret values masked (a driver may echo a connection string)."""
    from connectors.sources.config import mask_secrets, read_source_config

    text = str(exc)
    try:
        config: SourceConfig | None = read_source_config(config_path)
    except BatonError:
        config = None
    if config is None:
        return text
    return mask_secrets(text, config)


def run_pulls(
    config_path: Path,
    workspace: Path,
    *,
    every: float | None,
    out: Console,
    err: Console,
    sleep: Callable[[float], None] = time.sleep,
    once: Callable[[Path, Path], LoadReport] = pull_once,
) -> int:
    """One pull, or a pull every ``every`` seconds until Ctrl-C; returns the exit code.

    A failed pull prints its error (secrets masked); alone it exits 1, in a loop the next pull still runs.
    """
    failed = False
    try:
        while True:
            try:
                out.print(escape(str(once(config_path, workspace))), soft_wrap=True)
                failed = False
            except Exception as exc:  # noqa: BLE001 - a scheduled loop must outlive any one failed pull
                err.print(f"[red]error:[/red] {escape(safe_message(exc, config_path))}", soft_wrap=True)
                failed = True
            if every is None:
                return 1 if failed else 0
            out.print(f"next pull in {every:g} s (Ctrl-C stops)")
            sleep(every)
    except KeyboardInterrupt:
        out.print("stopped")
        return 0
