"""Case filters as a small serialisable spec, compiled to one SQL predicate over the ``cases`` table.

Every filter keeps or removes whole cases, so the precomputed per-event and per-case columns stay valid
and an analysis after a filter is a semi-join plus a group-by. A spec round-trips through JSON
(``FilterSpec.to_dict`` / ``FilterSpec.from_dict``) so the app, the CLI and notebooks share it.

Example:
    >>> spec = FilterSpec((CaseDuration(max_seconds=3600), StartActivities(("Submit",))))
    >>> FilterSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Literal

from baton.errors import FilterError

TimeFrameMode = Literal["contained", "intersecting", "started", "completed"]


@dataclass(frozen=True, slots=True)
class TimeFrame:
    """Cases by time: contained in, intersecting, started in or completed in [start, end] (both bounds
    included, as pm4py's ``filter_time_range``)."""

    kind: ClassVar[str] = "time_frame"
    start: datetime
    end: datetime
    mode: TimeFrameMode = "contained"
    keep: bool = True


@dataclass(frozen=True, slots=True)
class CaseAttribute:
    """Cases whose case attribute ``name`` takes one of ``values``."""

    kind: ClassVar[str] = "case_attribute"
    name: str
    values: tuple[Any, ...]
    keep: bool = True


@dataclass(frozen=True, slots=True)
class EventAttribute:
    """Cases with at least one event whose attribute ``name`` takes one of ``values``.

    ``name`` may be a canonical column (``activity``, ``resource``, ``lifecycle``) or a further attribute.
    """

    kind: ClassVar[str] = "event_attribute"
    name: str
    values: tuple[Any, ...]
    keep: bool = True


@dataclass(frozen=True, slots=True)
class VariantSelection:
    """Cases of the given variants (by id), or of the ``top_k`` most frequent variants."""

    kind: ClassVar[str] = "variants"
    variant_ids: tuple[int, ...] = ()
    top_k: int | None = None
    keep: bool = True


@dataclass(frozen=True, slots=True)
class StartActivities:
    """Cases that start with one of ``activities``."""

    kind: ClassVar[str] = "start_activities"
    activities: tuple[str, ...]
    keep: bool = True


@dataclass(frozen=True, slots=True)
class EndActivities:
    """Cases that end with one of ``activities``."""

    kind: ClassVar[str] = "end_activities"
    activities: tuple[str, ...]
    keep: bool = True


@dataclass(frozen=True, slots=True)
class Follows:
    """Cases where ``target`` directly (or eventually) follows ``source``."""

    kind: ClassVar[str] = "follows"
    source: str
    target: str
    directly: bool = True
    keep: bool = True


@dataclass(frozen=True, slots=True)
class CaseDuration:
    """Cases whose duration lies in [min_seconds, max_seconds] (either bound optional)."""

    kind: ClassVar[str] = "case_duration"
    min_seconds: float | None = None
    max_seconds: float | None = None
    keep: bool = True


@dataclass(frozen=True, slots=True)
class HasRework:
    """Cases in which an activity (any, or the one named) occurs at least ``min_occurrences`` times."""

    kind: ClassVar[str] = "rework"
    activity: str | None = None
    min_occurrences: int = 2
    keep: bool = True


Filter = (
    TimeFrame
    | CaseAttribute
    | EventAttribute
    | VariantSelection
    | StartActivities
    | EndActivities
    | Follows
    | CaseDuration
    | HasRework
)
FILTER_TYPES: dict[str, type] = {
    cls.kind: cls
    for cls in (
        TimeFrame,
        CaseAttribute,
        EventAttribute,
        VariantSelection,
        StartActivities,
        EndActivities,
        Follows,
        CaseDuration,
        HasRework,
    )
}


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """An ordered conjunction of case filters."""

    filters: tuple[Filter, ...] = field(default=())

    def extend(self, *more: Filter) -> FilterSpec:
        """A new spec with ``more`` appended."""
        for f in more:
            if type(f) not in FILTER_TYPES.values():
                raise FilterError(f"{f!r} is not a filter; use one of {sorted(FILTER_TYPES)}")
        return FilterSpec(self.filters + tuple(more))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"filters": [{"kind": ..., ...}, ...]}``."""
        out = []
        for f in self.filters:
            d = asdict(f)
            for k, v in d.items():
                if isinstance(v, datetime):
                    d[k] = v.isoformat()
                elif isinstance(v, tuple):
                    d[k] = list(v)
            out.append({"kind": f.kind, **d})
        return {"filters": out}

    def to_json(self) -> str:
        """The spec as a JSON string (stable key order, usable as a cache key)."""
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterSpec:
        """Rebuild a spec from `to_dict` output; unknown kinds or fields raise FilterError."""
        items = []
        for raw in data.get("filters", []):
            raw = dict(raw)
            kind = raw.pop("kind", None)
            if kind not in FILTER_TYPES:
                raise FilterError(f"unknown filter kind {kind!r}; expected one of {sorted(FILTER_TYPES)}")
            ftype = FILTER_TYPES[kind]
            names = {f.name: f for f in fields(ftype)}
            unknown = set(raw) - set(names)
            if unknown:
                raise FilterError(
                    f"filter {kind!r} has no field(s) {sorted(unknown)}; fields: {sorted(names)}"
                )
            for k, v in raw.items():
                if isinstance(v, list):
                    raw[k] = tuple(v)
                elif k in ("start", "end") and isinstance(v, str):
                    raw[k] = datetime.fromisoformat(v)
            items.append(ftype(**raw))
        return cls(tuple(items))

    def to_python(self) -> str:
        """A runnable Python snippet that rebuilds this spec as ``spec`` (for a notebook)."""
        body = "".join(f"    {f!r},\n" for f in self.filters)
        return (
            f"import datetime\n\nfrom baton.filters import *  # noqa: F403\n\nspec = FilterSpec((\n{body}))\n"
        )


def compile_case_filter(spec: FilterSpec, log_id: int) -> tuple[str, dict[str, Any]]:
    """SQL predicate over a row of ``cases`` (unqualified columns) and its named parameters."""
    from baton.filter_sql import predicate_for  # SQL kept in its own module

    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, f in enumerate(spec.filters):
        sql, p = predicate_for(f, prefix=f"f{i}_", log_id=log_id)
        parts.append(sql if f.keep else f"NOT ({sql})")
        params.update(p)
    return " AND ".join(f"({p})" for p in parts) or "TRUE", params


__all__ = [
    "CaseAttribute",
    "CaseDuration",
    "EndActivities",
    "EventAttribute",
    "Filter",
    "FilterSpec",
    "Follows",
    "HasRework",
    "StartActivities",
    "TimeFrame",
    "VariantSelection",
    "compile_case_filter",
]
