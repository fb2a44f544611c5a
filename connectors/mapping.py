"""Suggest which source columns hold case id, activity, timestamps, resource and lifecycle; validate user keys."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from baton.arrowtypes import is_text
from baton.errors import MappingError
from baton.schema import MAPPING_KEYS, REQUIRED_KEYS
from baton.timestamps import looks_like_timestamps
from connectors.base import SOURCE_ROW

#: A suggestion at or above this confidence fills a required key the user did not pass.
CONFIDENT = 0.5
#: Optional keys (start timestamp, resource, lifecycle) are filled only from this confidence on.
CONFIDENT_OPTIONAL = 0.6
_SAMPLE_ROWS = 20_000

# key -> (exact normalised names, words that count when contained in a name)
_NAMES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "case_id_key": (
        frozenset(
            {
                "case",
                "caseid",
                "case id",
                "case concept name",
                "case name",
                "ticket",
                "ticket id",
                "order",
                "order id",
                "orderid",
                "process instance",
                "trace",
                "trace id",
                "incident id",
            }
        ),
        ("case", "ticket", "order", "trace"),
    ),
    "activity_key": (
        frozenset(
            {
                "activity",
                "concept name",
                "task",
                "event",
                "activity name",
                "event name",
                "status",
                "action",
                "step",
                "activity id",
            }
        ),
        ("activity", "task", "event"),
    ),
    "timestamp_key": (
        frozenset(
            {
                "timestamp",
                "time timestamp",
                "complete",
                "complete timestamp",
                "end time",
                "end",
                "end timestamp",
                "date",
                "time",
                "datetime",
                "event time",
                "completed",
            }
        ),
        ("time", "date", "complete"),
    ),
    "start_timestamp_key": (
        frozenset({"start", "start timestamp", "start time", "start date", "started"}),
        ("start",),
    ),
    "resource_key": (
        frozenset(
            {
                "resource",
                "org resource",
                "user",
                "performer",
                "agent",
                "employee",
                "owner",
                "assignee",
                "user id",
                "worker",
            }
        ),
        ("resource", "user", "performer"),
    ),
    "lifecycle_key": (
        frozenset({"lifecycle transition", "lifecycle", "transition", "status of event", "event type"}),
        ("lifecycle", "transition"),
    ),
}
_LIFECYCLE_VALUES = {
    "start",
    "complete",
    "schedule",
    "assign",
    "suspend",
    "resume",
    "abort",
    "ate_abort",
    "withdraw",
    "reassign",
    "manualskip",
    "autoskip",
    "pi_abort",
    "end",
    "begin",
}


@dataclass(frozen=True, slots=True)
class KeySuggestion:
    """The column proposed for one mapping key, how sure, and why."""

    key: str
    column: str | None
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class MappingSuggestion:
    """Proposed columns for every mapping key (``baton.schema.MAPPING_KEYS``)."""

    keys: tuple[KeySuggestion, ...]

    def get(self, key: str) -> KeySuggestion:
        """The suggestion for one key (``case_id_key`` ...)."""
        return next(s for s in self.keys if s.key == key)

    def mapping(self) -> dict[str, str]:
        """The confident part as keywords: required keys from CONFIDENT, optional from CONFIDENT_OPTIONAL."""
        return {
            s.key: s.column for s in self.keys if s.column is not None and s.confidence >= _threshold(s.key)
        }


def _threshold(key: str) -> float:
    return CONFIDENT if key in REQUIRED_KEYS else CONFIDENT_OPTIONAL


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-:.]+", " ", name.strip().lower()).strip()


def _name_score(key: str, name: str) -> tuple[float, str]:
    norm = _normalise(name)
    exact, words = _NAMES[key]
    if norm.startswith("case ") and norm not in _NAMES["case_id_key"][0]:
        return 0.0, ""  # other case attributes (case:channel, case:startdate ...) fill no event key
    if norm in exact:
        return 0.8, f"column name {name!r} is a usual name for it"
    if norm.replace(" ", "") in {e.replace(" ", "") for e in exact}:
        return 0.7, f"column name {name!r} is a usual name for it"
    hit = next((w for w in words if w in norm), None)
    return (0.45, f"column name {name!r} contains {hit!r}") if hit else (0.0, "")


def _profile(column: pa.ChunkedArray) -> dict[str, Any]:
    """Value evidence for one column, from the first rows."""
    typ = column.type
    values = column.slice(0, _SAMPLE_ROWS).to_pylist()
    present = [v for v in values if v is not None and str(v).strip() != ""]
    distinct = len({str(v) for v in present})
    is_time = pa.types.is_timestamp(typ) or pa.types.is_date(typ)
    texty = is_text(typ)
    return {
        "n": len(present),
        "distinct": distinct,
        "text": texty,
        "integer": pa.types.is_integer(typ),
        "time": is_time or (texty and looks_like_timestamps(present[:500])),
        "lifecycle": texty
        and bool(present)
        and {str(v).lower() for v in present[:2000]} <= _LIFECYCLE_VALUES,
    }


def _value_score(key: str, p: dict[str, Any]) -> tuple[float, str]:
    """(-1 contradicts .. +1 supports, reason) for a key given a column profile."""
    n, distinct = p["n"], p["distinct"]
    if n == 0:
        return -1.0, "the column is empty"
    if key in ("timestamp_key", "start_timestamp_key"):
        return (1.0, "values are dates") if p["time"] else (-1.0, "values are not dates")
    if p["time"]:
        return -1.0, "values are dates"
    if key == "lifecycle_key":
        return (
            (1.0, "values are lifecycle transitions")
            if p["lifecycle"]
            else (-1.0, "values are not transitions")
        )
    if key == "case_id_key":
        repeated = 1 < distinct < n
        return (
            (0.6, f"{distinct} distinct values repeat over {n} rows")
            if repeated and (p["text"] or p["integer"])
            else (-1.0, f"{distinct} distinct values in {n} rows do not look like case ids")
        )
    if not p["text"]:
        return -1.0, "values are not text"
    if key == "activity_key":
        low = 1 < distinct <= max(10, min(500, n // 5))
        return (
            (0.5, f"{distinct} distinct text values (low cardinality)")
            if low
            else (-0.5, f"{distinct} distinct values is many for activities")
        )
    return (0.3, f"{distinct} distinct text values") if distinct < n else (-0.3, "every value is distinct")


def _candidates(table: pa.Table) -> list[tuple[float, str, str, str]]:
    out = []
    columns = [c for c in table.column_names if c != SOURCE_ROW]
    profiles = {c: _profile(table.column(c)) for c in columns}
    for key in MAPPING_KEYS:
        for col in columns:
            name, why = _name_score(key, col)
            value, vwhy = _value_score(key, profiles[col])
            if name > 0:
                conf = min(1.0, name + 0.2 * value) if value > 0 else name * 0.4
                out.append((conf, key, col, f"{why}; {vwhy}"))
            elif value > 0 and key in ("case_id_key", "activity_key", "timestamp_key"):
                out.append((0.2 + 0.2 * value, key, col, f"from values only: {vwhy}"))
    return sorted(out, key=lambda c: -c[0])


def suggest_mapping(table: pa.Table) -> MappingSuggestion:
    """Propose a column for every mapping key from column names and values, with confidence and reason.

    Args:
        table: a connector's table (``RawSource.table``).

    Returns:
        One ``KeySuggestion`` per key; ``column`` is None where nothing fits.
    """
    chosen: dict[str, KeySuggestion] = {}
    used: set[str] = set()
    for conf, key, col, why in _candidates(table):
        if key in chosen or col in used:
            continue
        chosen[key] = KeySuggestion(key, col, round(conf, 2), why)
        used.add(col)
    return MappingSuggestion(
        tuple(chosen.get(k, KeySuggestion(k, None, 0.0, "no column fits")) for k in MAPPING_KEYS)
    )


def _closest(name: str, columns: list[str]) -> str:
    lowered = {c.lower(): c for c in columns}
    match = lowered.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, columns, n=1, cutoff=0.5)), None
    )
    return f"; did you mean {match!r}?" if match else ""


def _check_user(user: Mapping[str, str | None], columns: list[str], where: str) -> None:
    for key, col in user.items():
        if key not in MAPPING_KEYS:
            raise MappingError(f"{where}: unknown keyword {key}=; use one of {', '.join(MAPPING_KEYS)}")
        if col is not None and col not in columns:
            raise MappingError(
                f"{where}: {key}={col!r} is not a column; available columns: {columns}{_closest(col, columns)}"
            )


def resolve_mapping(
    table: pa.Table,
    user_mapping: Mapping[str, str | None],
    default_mapping: Mapping[str, str],
    *,
    source: str | None = None,
) -> dict[str, str]:
    """The final mapping: user keywords, then the format's defaults, then confident suggestions.

    Args:
        table: a connector's table.
        user_mapping: pm4py-style keywords the user passed (``case_id_key='Case ID'``); None unmaps a key.
        default_mapping: what the format implies (``RawSource.default_mapping``).
        source: the file name, for messages.

    Returns:
        ``{keyword: column}`` holding at least every key of ``REQUIRED_KEYS``.

    Raises:
        MappingError: unknown keyword or column, a required key without a confident column, or one column
            given for two required keys.
    """
    where = source or "source"
    columns = [c for c in table.column_names if c != SOURCE_ROW]
    _check_user(user_mapping, columns, where)
    result = {k: v for k, v in default_mapping.items() if v in columns and k not in user_mapping}
    result.update({k: v for k, v in user_mapping.items() if v is not None})
    decided = all(k in result for k in REQUIRED_KEYS)
    # once the required keys are given, only the remaining columns can fill optional keys: profile just those
    rest = [c for c in columns if c not in result.values()]
    suggestion = suggest_mapping(table.select(rest) if decided else table)
    for s in suggestion.keys:
        taken = s.column in result.values()
        if s.key in result or s.key in user_mapping or s.column is None or taken:
            continue
        if s.confidence >= _threshold(s.key):
            result[s.key] = s.column
    for key in REQUIRED_KEYS:
        if key not in result:
            s = suggestion.get(key)
            owner = next((k for k, v in result.items() if v == s.column), None)
            guess = f" (best guess {s.column!r}, {s.reason})" if s.column else ""
            guess = f" (best guess {s.column!r} is already given as {owner}=)" if owner else guess
            raise MappingError(
                f"{where}: no column is clearly the {MAPPING_KEYS[key]}{guess}; pass {key}='<column>' "
                f"choosing from {columns}"
            )
    required = [result[k] for k in REQUIRED_KEYS]
    if len(set(required)) < len(required):
        raise MappingError(
            f"{where}: one column is mapped to two of {REQUIRED_KEYS}: {required}; pass distinct columns"
        )
    return result
