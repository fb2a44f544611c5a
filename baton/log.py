"""`EventLog`: a handle on one stored log plus a filter spec; analytics read it through `selection()`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from baton import schema as s
from baton.filters import FilterSpec, compile_case_filter

if TYPE_CHECKING:
    import duckdb


class CursorSource(Protocol):
    """Anything that hands out DuckDB cursors (a `baton.store.Workspace`)."""

    def cursor(self) -> duckdb.DuckDBPyConnection: ...


@dataclass(frozen=True, slots=True)
class Selection:
    """SQL for the selected cases and events of a log, with its bound parameters.

    ``cases_sql`` selects rows of the ``cases`` table, ``events_sql`` rows of the ``events`` table,
    both restricted to the log and its filters. Use them as CTEs: ``WITH c AS ({cases_sql}) ...``
    and pass ``params`` (named parameters) to ``execute``.
    """

    cases_sql: str
    events_sql: str
    params: dict[str, Any]
    filtered: bool


@dataclass(frozen=True, slots=True)
class EventLog:
    """One log of a workspace, optionally filtered. Filters return a new EventLog; nothing mutates.

    Example:
        >>> log = ws.log("loans_before")            # doctest: +SKIP
        >>> short = log.filter(CaseDuration(max_seconds=86400))   # doctest: +SKIP
    """

    workspace: CursorSource = field(repr=False, compare=False)
    log_id: int
    name: str
    filters: FilterSpec = field(default_factory=FilterSpec)

    def filter(self, *filters: Any) -> EventLog:
        """Return a new EventLog with ``filters`` appended to this one's filter spec."""
        return replace(self, filters=self.filters.extend(*filters))

    def unfiltered(self) -> EventLog:
        """The same log with no filters."""
        return replace(self, filters=FilterSpec())

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the workspace's connection (safe per thread / Streamlit run)."""
        return self.workspace.cursor()

    def selection(self) -> Selection:
        """SQL selecting this log's cases and events after the filters."""
        params: dict[str, Any] = {"log_id": self.log_id}
        base_cases = f"SELECT * FROM {s.CASES} WHERE {s.LOG_ID} = $log_id"  # noqa: S608 - identifiers from schema
        if not self.filters.filters:
            events = f"SELECT * FROM {s.EVENTS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
            return Selection(base_cases, events, params, filtered=False)
        predicate, filter_params = compile_case_filter(self.filters, self.log_id)
        params.update(filter_params)
        cases = f"{base_cases} AND ({predicate})"
        events = (
            f"SELECT e.* FROM {s.EVENTS} e SEMI JOIN ({cases}) fc "  # noqa: S608
            f"ON e.{s.CASE_INDEX} = fc.{s.CASE_INDEX} WHERE e.{s.LOG_ID} = $log_id"
        )
        return Selection(cases, events, params, filtered=True)
