"""Shared plumbing: run one analytic's SQL over a log's selection and turn codes into names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from baton import schema as s
from baton.errors import EngineError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from baton.engine.base import Engine
    from baton.log import EventLog

_NAMES = f"SELECT {s.ACTIVITY_CODE}, {s.ACTIVITY} FROM {s.ACTIVITIES} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_ATTRIBUTE_TYPES = f"SELECT event_attributes, case_attributes FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL")
_HAS_START = f"SELECT bool_or({s.START_TIMESTAMP} IS NOT NULL) FROM e"  # noqa: S608
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LogQuery:
    """One engine on a log's selection: every query runs as ``WITH c AS (cases), e AS (events) <body>``.

    The engine is DuckDB for a workspace log and Spark for a `SparkWorkspace` log; the SQL is the same.
    """

    def __init__(self, log: EventLog) -> None:
        sel = log.selection()
        self._prefix = f"WITH c AS ({sel.cases_sql}), e AS ({sel.events_sql}) "
        self._params = dict(sel.params)
        self.log_id = log.log_id
        self.filtered = sel.filtered
        self.engine: Engine = log.engine()

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB cursor, for analytics that run on DuckDB only (EngineError on Spark)."""
        cursor = getattr(self.engine, "cursor", None)
        if cursor is None:
            raise EngineError(
                f"this analytic runs on DuckDB only; it is not covered on {self.engine.name.title()} "
                "(docs/scale-out.md lists what runs where)"
            )
        return cursor

    @property
    def local(self) -> duckdb.DuckDBPyConnection:
        """DuckDB for SQL over fetched results (registered Arrow tables), whatever the engine."""
        return self.engine.local

    def registered(self, name: str, table: pa.Table) -> Any:
        """Context manager: ``table`` is readable as ``name`` by this log's SQL while it is open."""
        return self.engine.registered(name, table)

    def rows(self, body: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of ``body`` (a SELECT over the CTEs ``c`` and ``e``) with the selection's parameters."""
        return self.engine.rows(self._prefix + body, {**self._params, **(params or {})})

    def arrow(self, body: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Result of ``body`` as an Arrow table (zero-copy from DuckDB)."""
        return self.engine.arrow(self._prefix + body, {**self._params, **(params or {})})

    def attribute_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """The log's further attributes and their DuckDB types: (event attributes, case attributes)."""
        rows = self.engine.rows(_ATTRIBUTE_TYPES, {"log_id": self.log_id})
        if not rows:
            return {}, {}
        event_attrs, case_attrs = (json.loads(v) for v in rows[0])
        return event_attrs, case_attrs

    def names(self) -> dict[int, str]:
        """Activity code -> name for this log (a small table, joined last in Python)."""
        return dict(self.engine.rows(_NAMES, {"log_id": self.log_id}))

    def has_start_timestamps(self) -> bool:
        """Whether any selected event carries a start timestamp."""
        return bool(self.rows(_HAS_START)[0][0])


def stats_columns(column: str) -> str:
    """SQL select-list of the seven duration statistics of ``column`` (a schema identifier)."""
    return (
        f"count({column}), min({column}), avg({column}), median({column}), "
        f"quantile_cont({column}, 0.9), max({column}), sum({column})"
    )


def _td(us: float | None) -> timedelta | None:
    return None if us is None else timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Statistics of a set of durations, in microseconds (``*_us``) with timedelta properties.

    ``median`` averages the two middle values and ``p90`` interpolates linearly, as numpy does.
    All fields but ``count`` are None when there are no values.
    """

    count: int
    min_us: int | None
    mean_us: float | None
    median_us: float | None
    p90_us: float | None
    max_us: int | None
    sum_us: int | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> DurationStats:
        """Build from the seven values `stats_columns` selects."""
        n, lo, mean, med, p90, hi, total = row
        return cls(
            int(n or 0),
            None if lo is None else int(lo),
            None if mean is None else float(mean),
            None if med is None else float(med),
            None if p90 is None else float(p90),
            None if hi is None else int(hi),
            None if total is None else int(total),
        )

    @property
    def min(self) -> timedelta | None:
        """Shortest duration."""
        return _td(self.min_us)

    @property
    def mean(self) -> timedelta | None:
        """Mean duration (rounded to the microsecond)."""
        return _td(self.mean_us)

    @property
    def median(self) -> timedelta | None:
        """Median duration (rounded to the microsecond)."""
        return _td(self.median_us)

    @property
    def p90(self) -> timedelta | None:
        """90th percentile (linear interpolation, rounded to the microsecond)."""
        return _td(self.p90_us)

    @property
    def max(self) -> timedelta | None:
        """Longest duration."""
        return _td(self.max_us)

    @property
    def total(self) -> timedelta | None:
        """Sum of all durations."""
        return _td(self.sum_us)

    def as_dict(self, prefix: str = "") -> dict[str, Any]:
        """The microsecond fields as a flat dict (column names for frames), keys prefixed."""
        return {
            f"{prefix}count": self.count,
            f"{prefix}min_us": self.min_us,
            f"{prefix}mean_us": self.mean_us,
            f"{prefix}median_us": self.median_us,
            f"{prefix}p90_us": self.p90_us,
            f"{prefix}max_us": self.max_us,
            f"{prefix}sum_us": self.sum_us,
        }


def from_epoch_us(us: int | None) -> datetime | None:
    """UTC datetime of microseconds since the epoch."""
    return None if us is None else _EPOCH + timedelta(microseconds=us)


def name_counts(rows: list[tuple[Any, ...]], names: dict[int, str]) -> dict[str, int]:
    """``{name: count}`` from ``(code, count)`` rows, most frequent first, then by name."""
    pairs = sorted(((names[code], int(n)) for code, n in rows), key=lambda p: (-p[1], p[0]))
    return dict(pairs)


def is_numeric_type(sql_type: object) -> bool:
    """Whether a DuckDB type name holds numbers (integers of any width, signed or not, floats, decimals)."""
    return str(sql_type).upper().removeprefix("U").startswith(_NUMERIC)
