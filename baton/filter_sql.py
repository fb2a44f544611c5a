"""SQL predicates for each filter kind, over one row of the ``cases`` table (``$log_id`` is bound)."""

from __future__ import annotations

from typing import Any

from baton import schema as s
from baton.errors import FilterError
from baton.filters import (
    CaseAttribute,
    CaseDuration,
    EndActivities,
    EventAttribute,
    Filter,
    Follows,
    HasRework,
    StartActivities,
    TimeFrame,
    VariantSelection,
)

_CODES = f"SELECT {s.ACTIVITY_CODE} FROM {s.ACTIVITIES} WHERE {s.LOG_ID} = $log_id AND {s.ACTIVITY} IN (SELECT unnest(${{p}}))"
_EVENT_COLUMNS = {s.ACTIVITY, s.RESOURCE, s.LIFECYCLE}


def _codes(param: str) -> str:
    return _CODES.replace("${p}", "$" + param)


def predicate_for(f: Filter, *, prefix: str, log_id: int) -> tuple[str, dict[str, Any]]:
    """SQL predicate (true for kept cases when ``keep``) and its parameters, names prefixed."""
    handler = _HANDLERS.get(type(f))
    if handler is None:
        raise FilterError(f"no SQL for filter {f!r}")
    return handler(f, prefix, log_id)


def _time_frame(f: TimeFrame, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    if f.start.tzinfo is None or f.end.tzinfo is None:
        raise FilterError(
            f"time frame bounds must carry a time zone (got {f.start!r}, {f.end!r}); "
            "use datetime(..., tzinfo=timezone.utc)"
        )
    a, b = f"${p}start", f"${p}end"
    sql = {
        "contained": f"start_time >= {a} AND end_time <= {b}",
        "intersecting": f"start_time <= {b} AND end_time >= {a}",
        "started": f"start_time >= {a} AND start_time <= {b}",
        "completed": f"end_time >= {a} AND end_time <= {b}",
    }.get(f.mode)
    if sql is None:
        raise FilterError(
            f"time frame mode {f.mode!r}; expected contained, intersecting, started or completed"
        )
    return sql, {f"{p}start": f.start, f"{p}end": f.end}


def _case_attribute(f: CaseAttribute, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    col = s.quote_identifier(f.name)
    if f.name == s.CASE_ID:
        return f"{s.CASE_ID} IN (SELECT unnest(${p}v))", {f"{p}v": list(f.values)}
    sql = (
        f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM {s.attribute_table('case', log_id)} "
        f"WHERE {col} IN (SELECT unnest(${p}v)))"
    )
    return sql, {f"{p}v": list(f.values)}


def _event_attribute(f: EventAttribute, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    if f.name in _EVENT_COLUMNS:
        if f.name == s.ACTIVITY:
            cond = f"{s.ACTIVITY_CODE} IN ({_codes(p + 'v')})"
        else:
            cond = f"{s.quote_identifier(f.name)} IN (SELECT unnest(${p}v))"
        sql = f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM {s.events_table(log_id)} WHERE {cond})"
        return sql, {f"{p}v": list(f.values)}
    col = s.quote_identifier(f.name)
    sql = (
        f"{s.CASE_INDEX} IN (SELECT {s.CASE_INDEX} FROM {s.attribute_table('event', log_id)} "
        f"WHERE {col} IN (SELECT unnest(${p}v)))"
    )
    return sql, {f"{p}v": list(f.values)}


def _variants(f: VariantSelection, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    if f.top_k is not None:
        top = (
            f"SELECT {s.VARIANT_ID} FROM {s.VARIANTS} WHERE {s.LOG_ID} = $log_id "
            f"ORDER BY case_count DESC, {s.VARIANT_ID} LIMIT ${p}k"
        )
        return f"{s.VARIANT_ID} IN ({top})", {f"{p}k": int(f.top_k)}
    return f"{s.VARIANT_ID} IN (SELECT unnest(${p}v))", {f"{p}v": [int(v) for v in f.variant_ids]}


def _endpoints(column: str, activities: tuple[str, ...], p: str) -> tuple[str, dict[str, Any]]:
    return f"{column} IN ({_codes(p + 'a')})", {f"{p}a": list(activities)}


def _follows(f: Follows, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    src, tgt = (
        f"(SELECT min({s.ACTIVITY_CODE}) FROM ({_codes(p + 's')}))",
        f"(SELECT min({s.ACTIVITY_CODE}) FROM ({_codes(p + 't')}))",
    )
    params = {f"{p}s": [f.source], f"{p}t": [f.target]}
    if f.directly:
        inner = (
            f"SELECT {s.CASE_INDEX} FROM {s.events_table(log_id)} "
            f"WHERE {s.ACTIVITY_CODE} = {src} AND {s.NEXT_ACTIVITY_CODE} = {tgt}"
        )
    else:
        inner = (
            f"SELECT {s.CASE_INDEX} FROM {s.events_table(log_id)} GROUP BY {s.CASE_INDEX} "
            f"HAVING min({s.POSITION}) FILTER ({s.ACTIVITY_CODE} = {src}) "
            f"< max({s.POSITION}) FILTER ({s.ACTIVITY_CODE} = {tgt})"
        )
    return f"{s.CASE_INDEX} IN ({inner})", params


def _duration(f: CaseDuration, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    parts, params = [], {}
    if f.min_seconds is not None:
        parts.append(f"duration_us >= ${p}lo")
        params[f"{p}lo"] = int(round(f.min_seconds * 1e6))
    if f.max_seconds is not None:
        parts.append(f"duration_us <= ${p}hi")
        params[f"{p}hi"] = int(round(f.max_seconds * 1e6))
    return " AND ".join(parts) or "TRUE", params


def _rework(f: HasRework, p: str, log_id: int) -> tuple[str, dict[str, Any]]:
    if f.activity is None and f.min_occurrences == 2:
        return "has_rework", {}
    cond = "" if f.activity is None else f"AND {s.ACTIVITY_CODE} IN ({_codes(p + 'a')})"
    inner = (
        f"SELECT DISTINCT {s.CASE_INDEX} FROM {s.events_table(log_id)} WHERE TRUE {cond} "
        f"GROUP BY {s.CASE_INDEX}, {s.ACTIVITY_CODE} HAVING count(*) >= ${p}n"
    )
    params: dict[str, Any] = {f"{p}n": int(f.min_occurrences)}
    if f.activity is not None:
        params[f"{p}a"] = [f.activity]
    return f"{s.CASE_INDEX} IN ({inner})", params


_HANDLERS: dict[type, Any] = {
    TimeFrame: _time_frame,
    CaseAttribute: _case_attribute,
    EventAttribute: _event_attribute,
    VariantSelection: _variants,
    StartActivities: lambda f, p, _: _endpoints("start_activity_code", f.activities, p),
    EndActivities: lambda f, p, _: _endpoints("end_activity_code", f.activities, p),
    Follows: _follows,
    CaseDuration: _duration,
    HasRework: _rework,
}
