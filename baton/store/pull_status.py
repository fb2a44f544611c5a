"""The pulled sources a workspace knows (``source_state``): name, kind, cursor and last load time of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from baton import schema as s
from baton.store.workspace import Workspace

LIST_SOURCES: Final = (
    f"SELECT name, kind, cursor_column, cursor_value, last_load_at FROM {s.SOURCE_STATE} "  # noqa: S608
    "ORDER BY name"
)


@dataclass(frozen=True, slots=True)
class SourceState:
    """One pulled source as stored: its name (also its log's), kind, cursor and when it last loaded."""

    name: str
    kind: str
    cursor_column: str
    cursor_value: str | None
    last_load_at: datetime | None


def list_sources(ws: Workspace) -> list[SourceState]:
    """Every source pulled into ``ws`` at least once, by name (empty when none was)."""
    rows = ws.cursor().execute(LIST_SOURCES).fetchall()
    return [SourceState(*row) for row in rows]
