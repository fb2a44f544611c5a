"""Cases: search by id or attribute, one case's timeline, and the cases behind an activity or edge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from analytics._query import LogQuery
from baton import schema as s
from baton.errors import FilterError

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

_SUMMARY = f"""
SELECT {s.CASE_ID}, n_events, start_time, end_time, duration_us, {s.VARIANT_ID}
FROM c WHERE {{where}} ORDER BY {{order}} LIMIT $limit
"""  # noqa: S608 - filled only with the fixed fragments below
_COUNT = "SELECT count(*) FROM c WHERE {where}"
_BY_ID = f"{s.CASE_ID}"
_LONGEST = f"duration_us DESC, {s.CASE_ID}"
_ID_CONTAINS = f"position(lower($needle) IN lower({s.CASE_ID})) > 0"
_IN_ATTR = f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM {{table}} WHERE {{cmp}})"  # noqa: S608
_HAS_ACTIVITY = f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM e WHERE {s.ACTIVITY_CODE} = $a)"  # noqa: S608
_HAS_EDGE = (
    f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM e "  # noqa: S608
    f"WHERE {s.ACTIVITY_CODE} = $a AND {s.NEXT_ACTIVITY_CODE} = $b)"
)
_ATTRIBUTE_NAMES = f"SELECT case_attributes, event_attributes FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_CASE = f"""
SELECT {s.CASE_INDEX}, {s.CASE_ID}, {s.VARIANT_ID}, start_time, end_time, duration_us FROM c
WHERE {s.CASE_ID} = $case_id
"""  # noqa: S608
_CASE_ANYWHERE = f"SELECT count(*) FROM {s.CASES} WHERE {s.LOG_ID} = $log_id AND {s.CASE_ID} = $case_id"  # noqa: S608
_TIMELINE = f"""
SELECT e.{s.POSITION}, a.{s.ACTIVITY}, e.{s.TIMESTAMP}, e.{s.START_TIMESTAMP}, e.{s.RESOURCE},
       lag(e.{s.NEXT_WAIT_US}) OVER (ORDER BY e.{s.POSITION}), e.{s.SERVICE_US}, x.*
FROM e
JOIN {s.ACTIVITIES} a ON a.{s.LOG_ID} = $log_id AND a.{s.ACTIVITY_CODE} = e.{s.ACTIVITY_CODE}
LEFT JOIN {{attrs}} x ON x.{s.EVENT_ORDER} = e.{s.EVENT_ORDER}
WHERE e.{s.CASE_INDEX} = $case_index
ORDER BY e.{s.POSITION}
"""  # noqa: S608 - the attribute table name is built from an integer
_CASE_ATTRS = f"SELECT * FROM {{attrs}} WHERE {s.CASE_INDEX} = $case_index"  # noqa: S608
_ATTR_KEYS = {s.CASE_INDEX, s.EVENT_ORDER}


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One case: its events, first start (``start``), last timestamp (``end``) and duration (latest minus
    earliest complete timestamp, pm4py's definition) in microseconds."""

    case_id: str
    n_events: int
    start: datetime
    end: datetime
    duration_us: int
    variant_id: int

    @property
    def duration(self) -> timedelta:
        """The case duration."""
        return timedelta(microseconds=self.duration_us)


@dataclass(frozen=True, slots=True)
class CaseList:
    """Some cases of a search or drill-down (at most the limit) and ``total``, how many matched."""

    cases: tuple[CaseSummary, ...]
    total: int

    def to_frame(self) -> pd.DataFrame:
        """One row per case: case_id, n_events, start, end, duration_us, variant_id."""
        import pandas as pd

        cols = ["case_id", "n_events", "start", "end", "duration_us", "variant_id"]
        rows = [(c.case_id, c.n_events, c.start, c.end, c.duration_us, c.variant_id) for c in self.cases]
        return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of a case: ``waiting_us`` since the previous event (its timestamp to this event's start,
    or timestamp; None for the first event), ``service_us`` (None without a start) and event attributes."""

    position: int
    activity: str
    timestamp: datetime
    start_timestamp: datetime | None
    resource: str | None
    waiting_us: int | None
    service_us: int | None
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseTimeline:
    """One case's events in order, with the case's attributes."""

    case_id: str
    variant_id: int
    start: datetime
    end: datetime
    duration_us: int
    events: tuple[TimelineEvent, ...]
    attributes: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per event: position, activity, timestamp, start_timestamp, resource, waiting_us,
        service_us, then the event attributes."""
        import pandas as pd

        rows = [{**_event_row(ev), **ev.attributes} for ev in self.events]
        return pd.DataFrame(rows, columns=None if rows else _TIMELINE_COLUMNS)


_TIMELINE_COLUMNS = [
    "position",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "waiting_us",
    "service_us",
]


def _event_row(ev: TimelineEvent) -> dict[str, Any]:
    values = (
        ev.position,
        ev.activity,
        ev.timestamp,
        ev.start_timestamp,
        ev.resource,
        ev.waiting_us,
        ev.service_us,
    )
    return dict(zip(_TIMELINE_COLUMNS, values, strict=True))


def _limit(limit: int | None) -> int | None:
    if limit is not None and limit < 0:
        raise FilterError(f"limit must be a non-negative number of cases or None for all, got {limit}")
    return limit


def _case_list(q: LogQuery, where: str, order: str, params: dict[str, Any], limit: int | None) -> CaseList:
    rows = q.rows(_SUMMARY.format(where=where, order=order), {**params, "limit": _limit(limit)})
    cases = tuple(CaseSummary(r[0], int(r[1]), r[2], r[3], int(r[4]), int(r[5])) for r in rows)
    return CaseList(cases, int(q.rows(_COUNT.format(where=where), params)[0][0]))


def _attribute_condition(q: LogQuery, log: EventLog, name: str, value: Any) -> str:
    """The predicate matching cases whose case attribute, or one of whose events' attribute, equals $value."""
    case_json, event_json = q.cursor.execute(_ATTRIBUTE_NAMES, {"log_id": q.log_id}).fetchall()[0]
    case_attrs, event_attrs = json.loads(case_json), json.loads(event_json)
    kind: s.AttrKind
    if name in case_attrs:
        kind = "case"
    elif name in event_attrs:
        kind = "event"
    else:
        raise FilterError(
            f"log {log.name!r} has no attribute {name!r}; case attributes: {sorted(case_attrs)}, "
            f"event attributes: {sorted(event_attrs)}; pass one of these names as attribute="
        )
    col = s.quote_identifier(name)
    # a text value matches the attribute's text form (so '19400' finds a BIGINT 19400)
    cmp = f"CAST({col} AS VARCHAR) = $value" if isinstance(value, str) else f"{col} = $value"
    return _IN_ATTR.format(table=s.attribute_table(kind, q.log_id), cmp=cmp)


def find_cases(
    log: EventLog,
    *,
    case_id: str | None = None,
    attribute: str | None = None,
    value: Any = None,
    limit: int | None = 100,
) -> CaseList:
    """Cases whose id contains ``case_id`` (ignoring case) and/or whose ``attribute`` equals ``value``.

    Args:
        log: the event log (its filters apply).
        case_id: a substring of the case id, matched case-insensitively.
        attribute: a case attribute, or an event attribute (then a case matches when any event does).
        value: the value ``attribute`` must equal; a string also matches the text form of a number.
        limit: at most this many cases, ordered by case id (None for all).

    Returns:
        The matching cases and their total count.

    Raises:
        FilterError: for an unknown attribute, or an attribute without a value.
    """
    q = LogQuery(log)
    where, params = ["TRUE"], {}
    if case_id is not None:
        where.append(_ID_CONTAINS)
        params["needle"] = case_id
    if attribute is not None:
        if value is None:
            raise FilterError(f"find_cases(attribute={attribute!r}) needs value=, the value to match")
        where.append(_attribute_condition(q, log, attribute, value))
        params["value"] = value
    return _case_list(q, " AND ".join(where), _BY_ID, params, limit)


def _code(names: dict[str, int], activity: str, log: EventLog) -> int:
    if activity not in names:
        known = ", ".join(sorted(names)[:10])
        raise FilterError(f"log {log.name!r} has no activity {activity!r}; its activities include: {known}")
    return names[activity]


def get_cases_behind(
    log: EventLog,
    *,
    activity: str | None = None,
    edge: tuple[str, str] | None = None,
    limit: int | None = 100,
) -> CaseList:
    """The cases containing an activity, or a directly-follows edge ``(source, target)``, longest first.

    Args:
        log: the event log (its filters apply).
        activity: an activity name (give this or ``edge``).
        edge: ``(source, target)``: cases where ``target`` directly follows ``source`` at least once.
        limit: at most this many cases, longest first, then by case id (None for all).

    Returns:
        The cases and their total count.

    Raises:
        FilterError: for an unknown activity, or unless exactly one of ``activity`` and ``edge`` is given.
    """
    if (activity is None) == (edge is None):
        raise FilterError("get_cases_behind needs exactly one of activity= or edge=(source, target)")
    q = LogQuery(log)
    codes = {name: code for code, name in q.names().items()}
    if edge is not None:
        params = {"a": _code(codes, edge[0], log), "b": _code(codes, edge[1], log)}
        return _case_list(q, _HAS_EDGE, _LONGEST, params, limit)
    return _case_list(q, _HAS_ACTIVITY, _LONGEST, {"a": _code(codes, str(activity), log)}, limit)


def _row_dicts(cursor: Any, rows: list[tuple[Any, ...]], skip: int) -> list[dict[str, Any]]:
    """Columns after the first ``skip`` of each row as ``{name: value}``, without the attribute keys."""
    names = [d[0] for d in cursor.description][skip:]
    return [{n: v for n, v in zip(names, r[skip:], strict=True) if n not in _ATTR_KEYS} for r in rows]


def _event(row: tuple[Any, ...], attributes: dict[str, Any]) -> TimelineEvent:
    pos, activity, ts, start, resource, waiting, service = row[:7]
    return TimelineEvent(pos, activity, ts, start, resource, waiting, service, attributes)


def get_case_timeline(log: EventLog, case_id: str) -> CaseTimeline:
    """One case's events in order, with waiting and service times, event and case attributes.

    Args:
        log: the event log (its filters apply: a case they exclude is not found).
        case_id: the exact case id.

    Returns:
        The `CaseTimeline`.

    Raises:
        FilterError: when the case is not in the log, or is excluded by the log's filters.
    """
    q = LogQuery(log)
    found = q.rows(_CASE, {"case_id": case_id})
    if not found:
        exists = q.cursor.execute(_CASE_ANYWHERE, {"log_id": q.log_id, "case_id": case_id}).fetchall()[0][0]
        why = "is excluded by the log's filters" if exists else "does not exist"
        raise FilterError(
            f"case {case_id!r} {why} in log {log.name!r}; find ids with find_cases(log, case_id=...)"
        )
    index, cid, variant, start, end, duration = found[0]
    params = {"case_index": index}
    rows = q.rows(_TIMELINE.format(attrs=s.attribute_table("event", q.log_id)), params)
    event_attrs = _row_dicts(q.cursor, rows, 7)
    events = tuple(_event(r, a) for r, a in zip(rows, event_attrs, strict=True))
    case_rows = q.cursor.execute(
        _CASE_ATTRS.format(attrs=s.attribute_table("case", q.log_id)), params
    ).fetchall()
    case_attrs = _row_dicts(q.cursor, case_rows, 0)
    return CaseTimeline(
        cid, int(variant), start, end, int(duration), events, case_attrs[0] if case_attrs else {}
    )
