"""Attribute values: the distinct values of one case or event attribute with their case and event counts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from analytics._query import LogQuery, is_numeric_type
from baton import schema as s
from baton.errors import FilterError

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

#: Per value (non-null): the cases having it, the events carrying it, most frequent first, then by value.
_VALUES = """
SELECT {col}, count(DISTINCT {case}), count(*) FROM {source}
WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT $limit
"""
#: Selected cases, distinct values, smallest and largest value, cases with at least one value.
_SUMMARY = """
SELECT (SELECT count(*) FROM c), count(DISTINCT {col}), min({col}), max({col}),
       count(DISTINCT {case}) FILTER (WHERE {col} IS NOT NULL)
FROM {source}
"""
_CANONICAL = {s.ACTIVITY: "VARCHAR", s.RESOURCE: "VARCHAR", s.LIFECYCLE: "VARCHAR"}


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One value: ``cases`` cases have it; ``events`` events carry it (None for a case attribute)."""

    value: Any
    cases: int
    events: int | None


@dataclass(frozen=True, slots=True)
class AttributeValues:
    """The values of one attribute in a (filtered) log, most frequent first (by cases, then events, value).

    ``distinct`` counts every distinct non-null value, ``truncated`` says ``values`` was cut at the limit,
    ``missing_cases`` counts selected cases with no value; ``min`` and ``max`` are set for numeric and
    timestamp attributes only (None otherwise or without values).
    """

    name: str
    level: Literal["case", "event"]
    sql_type: str
    values: tuple[AttributeValue, ...]
    distinct: int
    truncated: bool
    missing_cases: int
    min: Any = None
    max: Any = None

    @property
    def numeric(self) -> bool:
        """Whether the attribute holds numbers (integers, floats or decimals)."""
        return is_numeric_type(self.sql_type)

    @property
    def temporal(self) -> bool:
        """Whether the attribute holds dates, times or timestamps."""
        return self.sql_type.startswith(("TIMESTAMP", "DATE", "TIME"))

    def counts(self) -> dict[Any, int]:
        """``{value: cases}`` for the listed values, most frequent first."""
        return {v.value: v.cases for v in self.values}

    def to_frame(self) -> pd.DataFrame:
        """One row per listed value: value, cases and (for event attributes) events."""
        import pandas as pd

        columns = ["value", "cases"] + (["events"] if self.level == "event" else [])
        rows = [(v.value, v.cases, v.events)[: len(columns)] for v in self.values]
        return pd.DataFrame(rows, columns=columns)


def _resolve(q: LogQuery, log: EventLog, name: str) -> tuple[Literal["case", "event"], str, str, str]:
    """(level, SQL type, FROM clause over ``c`` / ``e``, value column) of attribute ``name``."""
    event_attrs, case_attrs = q.attribute_types()
    if name in _CANONICAL:
        if name == s.ACTIVITY:
            source = (
                f"e JOIN {s.ACTIVITIES} x ON x.{s.LOG_ID} = e.{s.LOG_ID} "
                f"AND x.{s.ACTIVITY_CODE} = e.{s.ACTIVITY_CODE}"
            )
            return "event", _CANONICAL[name], source, f"x.{s.ACTIVITY}"
        return "event", _CANONICAL[name], "e", f"e.{s.quote_identifier(name)}"
    col = f"x.{s.quote_identifier(name)}"
    if name in case_attrs:
        table = s.attribute_table("case", log.log_id)
        return "case", case_attrs[name], f"c JOIN {table} x ON x.{s.CASE_INDEX} = c.{s.CASE_INDEX}", col
    if name in event_attrs:
        table = s.attribute_table("event", log.log_id)
        return "event", event_attrs[name], f"e JOIN {table} x ON x.{s.EVENT_ORDER} = e.{s.EVENT_ORDER}", col
    raise FilterError(
        f"log {log.name!r} has no attribute {name!r}; its case attributes are {sorted(case_attrs)}, "
        f"its event attributes are {sorted([*_CANONICAL, *event_attrs])}; pass one of these names"
    )


def get_attribute_values(log: EventLog, name: str, *, limit: int | None = 200) -> AttributeValues:
    """The distinct values of a case or event attribute with the number of cases having each.

    ``name`` is a case attribute, an event attribute, or a canonical event column (``activity``,
    ``resource``, ``lifecycle``). Only the log's selected (filtered) cases and their events count.

    Args:
        log: the event log (its filters apply).
        name: the attribute.
        limit: list at most this many values, most frequent first (None for all).

    Returns:
        The values (non-null), ordered by cases (descending), then events (descending), then value;
        the number of distinct values and whether the list was cut at ``limit``; min and max for numeric
        and timestamp attributes.

    Raises:
        FilterError: the log has no attribute ``name`` (the message lists those it has), or ``limit`` is
            negative.
    """
    if limit is not None and limit < 0:
        raise FilterError(f"limit must be a non-negative number of values or None for all, got {limit}")
    q = LogQuery(log)
    level, sql_type, source, col = _resolve(q, log, name)
    case = f"c.{s.CASE_INDEX}" if level == "case" else f"e.{s.CASE_INDEX}"
    parts = {"col": col, "case": case, "source": source}
    rows = q.rows(_VALUES.format(**parts), {"limit": limit})
    total, distinct, lo, hi, with_value = q.rows(_SUMMARY.format(**parts))[0]
    values = tuple(
        AttributeValue(value, int(cases), int(events) if level == "event" else None)
        for value, cases, events in rows
    )
    found = AttributeValues(
        name, level, sql_type, values, int(distinct), len(values) < distinct, int(total - with_value)
    )
    return replace(found, min=lo, max=hi) if found.numeric or found.temporal else found
