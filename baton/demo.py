"""The demo workspace: the sample BEFORE and AFTER loan logs imported into one DuckDB file."""

from __future__ import annotations

import os
from pathlib import Path

from baton.api import open_workspace
from baton.errors import SchemaVersionError, WorkspaceError
from baton.store import ImportReport

DEMO_LOGS = {
    "loans_before": "loans_before.csv",
    "loans_after": "loans_after.csv",
}


def demo_is_current(workspace: Path, sample_dir: Path) -> bool:
    """True when the workspace file exists and is newer than every sample log it is built from."""
    if not workspace.is_file():
        return False
    try:
        open_workspace(workspace, read_only=True).close()
    except SchemaVersionError:
        return False  # written by another Baton version: rebuild
    except WorkspaceError:
        pass  # held open by a running app: leave it be
    built = workspace.stat().st_mtime
    return all((sample_dir / f).stat().st_mtime <= built for f in DEMO_LOGS.values())


def build_demo_workspace(workspace: Path, sample_dir: Path) -> list[ImportReport]:
    """(Re)build the demo workspace; written to a temporary file first, then moved into place."""
    tmp = workspace.with_name(workspace.name + ".building")
    tmp.unlink(missing_ok=True)
    reports = []
    with open_workspace(tmp) as ws:
        for name, file in DEMO_LOGS.items():
            reports.append(ws.import_file(sample_dir / file, name=name))
    os.replace(tmp, workspace)
    return reports
