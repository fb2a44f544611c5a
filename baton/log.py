"""`EventLog`: a handle on one stored log plus a filter spec; analytics read it through `selection()`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from baton import schema as s
from baton.engine.base import DuckDBEngine, Engine
from baton.errors import FilterError
from baton.filters import CaseAttribute, EventAttribute, FilterSpec, compile_case_filter

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

_EVENTS_OUT = f"""
WITH c AS ({{cases}}), e AS ({{events}})
SELECT c.{s.CASE_ID}, a.{s.ACTIVITY}, e.{s.TIMESTAMP}, e.{s.START_TIMESTAMP}, e.{s.RESOURCE}, e.{s.LIFECYCLE},
       e.{s.EVENT_ORDER}, x.* EXCLUDE ({s.EVENT_ORDER}, {s.CASE_INDEX})
FROM e
JOIN c ON c.{s.CASE_INDEX} = e.{s.CASE_INDEX}
JOIN {s.ACTIVITIES} a ON a.{s.LOG_ID} = e.{s.LOG_ID} AND a.{s.ACTIVITY_CODE} = e.{s.ACTIVITY_CODE}
LEFT JOIN {{attrs}} x ON x.{s.EVENT_ORDER} = e.{s.EVENT_ORDER}
ORDER BY e.{s.CASE_INDEX}, e.{s.POSITION}
"""  # noqa: S608 - identifiers from baton.schema; the attribute table name is built from an integer


_ATTRIBUTE_NAMES = f"SELECT event_attributes, case_attributes FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_CANONICAL_EVENT_COLUMNS = frozenset({s.ACTIVITY, s.RESOURCE, s.LIFECYCLE})


class CursorSource(Protocol):
    """Anything that hands out DuckDB cursors (a `baton.store.Workspace`; a `SparkWorkspace` also gives
    ``engine(log_id)`` and refuses cursors)."""

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
        """Return a new EventLog with ``filters`` appended to this one's filter spec.

        Raises:
            FilterError: a filter is not a filter, or names an attribute this log does not have.
        """
        spec = self.filters.extend(*filters)
        self._check_attribute_names(filters)
        return replace(self, filters=spec)

    def _check_attribute_names(self, filters: tuple[Any, ...]) -> None:
        """Attribute filters must name one of the log's attributes; say which exist otherwise."""
        named = [
            f
            for f in filters
            if (isinstance(f, CaseAttribute) and f.name != s.CASE_ID)
            or (isinstance(f, EventAttribute) and f.name not in _CANONICAL_EVENT_COLUMNS)
        ]
        if not named:
            return
        rows = self.engine().rows(_ATTRIBUTE_NAMES, {"log_id": self.log_id})
        event_attrs, case_attrs = (sorted(json.loads(v)) for v in rows[0]) if rows else ([], [])
        for f in named:
            kind, known = ("case", case_attrs) if isinstance(f, CaseAttribute) else ("event", event_attrs)
            if f.name not in known:
                other = (
                    "an event attribute: use EventAttribute"
                    if kind == "case"
                    else "a case attribute: use CaseAttribute"
                )
                hint = f" ({f.name!r} is {other})" if f.name in (event_attrs + case_attrs) else ""
                raise FilterError(
                    f"log {self.name!r} has no {kind} attribute {f.name!r}{hint}; its {kind} attributes are "
                    f"{known + ([s.CASE_ID] if kind == 'case' else sorted(_CANONICAL_EVENT_COLUMNS))}"
                )

    def unfiltered(self) -> EventLog:
        """The same log with no filters."""
        return replace(self, filters=FilterSpec())

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the workspace's connection (safe per thread / Streamlit run)."""
        return self.workspace.cursor()

    def engine(self) -> Engine:
        """The engine this log's analytics SQL runs on: DuckDB, or Spark for a `SparkWorkspace` log."""
        make = getattr(self.workspace, "engine", None)
        return make(self.log_id) if make is not None else DuckDBEngine(self.cursor())

    def to_arrow(self) -> pa.Table:
        """The (filtered) events with canonical column names and their further attributes, in case order.

        Columns: case_id, activity, timestamp, start_timestamp, resource, lifecycle, event_order, then the
        log's event attributes with their stored types. Rows are ordered by case, then event order.
        """
        sel = self.selection()
        sql = _EVENTS_OUT.format(
            cases=sel.cases_sql, events=sel.events_sql, attrs=s.attribute_table("event", self.log_id)
        )
        return self.cursor().sql(sql, params=sel.params).to_arrow_table()

    def to_pandas(self) -> pd.DataFrame:
        """`to_arrow()` as a pandas DataFrame (timestamps tz-aware, UTC)."""
        return self.to_arrow().to_pandas()

    def selection(self) -> Selection:
        """SQL selecting this log's cases and events after the filters."""
        params: dict[str, Any] = {"log_id": self.log_id}
        base_cases = f"SELECT * FROM {s.CASES} WHERE {s.LOG_ID} = $log_id"  # noqa: S608 - identifiers from schema
        if not self.filters.filters:
            events = f"SELECT * FROM {s.events_table(self.log_id)}"  # noqa: S608
            return Selection(base_cases, events, params, filtered=False)
        predicate, filter_params = compile_case_filter(self.filters, self.log_id)
        params.update(filter_params)
        cases = f"{base_cases} AND ({predicate})"
        events = (
            f"SELECT e.* FROM {s.events_table(self.log_id)} e SEMI JOIN ({cases}) fc "  # noqa: S608
            f"ON e.{s.CASE_INDEX} = fc.{s.CASE_INDEX}"
        )
        return Selection(cases, events, params, filtered=True)
