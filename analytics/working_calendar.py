"""Working calendars: working time between UTC timestamps in a zone's working hours, weekends and holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from baton.errors import ModelError

DAY_S = 86_400
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Working hours of one weekday: (start, end) in seconds after local midnight (end up to 86400), or None.
DayHours = tuple[int, int] | None
OFFICE_HOURS: tuple[DayHours, ...] = ((9 * 3600, 17 * 3600),) * 5 + (None, None)
ALL_DAY: tuple[DayHours, ...] = ((0, DAY_S),) * 7


@dataclass(frozen=True, slots=True)
class _DayTable:
    """Per local day from ``first_day``: working interval start/end (UTC us) and working us before it."""

    first_day: np.datetime64
    start_us: np.ndarray
    length_us: np.ndarray
    before_us: np.ndarray


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working hours per weekday in an IANA time zone, minus holidays; measures working time in real seconds.

    ``hours`` holds seven entries, Monday first: ``(start, end)`` seconds after local midnight or None for a
    day off. Local hours follow the zone's daylight-saving rules, so a working day that contains a DST change
    is an hour shorter or longer. `WorkingCalendar.always()` is calendar time (24/7). Timestamps must lie
    between the years 1678 and 2261 (pandas' nanosecond range).

    Example:
        >>> from datetime import datetime, UTC
        >>> cal = WorkingCalendar.office(timezone="UTC")          # Mon-Fri 09:00-17:00
        >>> fri, mon = datetime(2025, 1, 3, 16, tzinfo=UTC), datetime(2025, 1, 6, 10, tzinfo=UTC)
        >>> float(cal.working_seconds(fri, mon)) / 3600
        2.0
    """

    timezone: str = "UTC"
    hours: tuple[DayHours, ...] = OFFICE_HOURS
    holidays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ModelError(
                f"working calendar time zone {self.timezone!r} is not an IANA zone name; "
                "pass e.g. 'Europe/Amsterdam' or 'UTC'"
            ) from exc
        if len(self.hours) != 7:
            raise ModelError(f"working calendar needs 7 weekday entries (Mon..Sun), got {len(self.hours)}")
        for name, day in zip(WEEKDAYS, self.hours, strict=True):
            if day is not None and not (0 <= day[0] < day[1] <= DAY_S):
                raise ModelError(
                    f"working hours on {name} are {day!r}; expected (start, end) seconds after midnight with "
                    "0 <= start < end <= 86400 (shifts over midnight are not supported), or None for a day off"
                )

    @classmethod
    def always(cls, timezone: str = "UTC") -> WorkingCalendar:
        """Calendar time: every second of every day counts (the default of the SLA checks)."""
        return cls(timezone, ALL_DAY)

    @classmethod
    def office(
        cls,
        *,
        timezone: str = "UTC",
        start: str = "09:00",
        end: str = "17:00",
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[dt.date | str] = (),
    ) -> WorkingCalendar:
        """Equal working hours on ``weekdays`` (0 = Monday), given as ``HH:MM``; ``end`` may be ``24:00``."""
        span = (_seconds(start), _seconds(end))
        days = set(weekdays)
        hours = tuple(span if i in days else None for i in range(7))
        dates = frozenset(d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in holidays)
        return cls(timezone, hours, dates)

    @property
    def is_calendar_time(self) -> bool:
        """True when every second counts (24/7, no holidays): working time equals elapsed time."""
        return self.hours == ALL_DAY and not self.holidays

    def working_us(self, start: Any, end: Any) -> np.ndarray:
        """Working microseconds from ``start`` to ``end`` (0 where ``end`` is before ``start``).

        Args:
            start: UTC instants: an Arrow timestamp array, numpy datetime64 or int64 (UTC microseconds)
                array, pandas Series, a sequence or a single aware datetime. Naive values are read as UTC.
            end: the same shape as ``start``.

        Returns:
            int64 array; raises ModelError when a value is missing (use `working_seconds` to get NaN).
        """
        a, a_ok = to_utc_us(start)
        b, b_ok = to_utc_us(end)
        if not (a_ok.all() and b_ok.all()):
            raise ModelError("working_us got missing timestamps; drop them first or use working_seconds")
        return self._working(a, b)

    def working_seconds(self, start: Any, end: Any) -> Any:
        """Working seconds from ``start`` to ``end`` as float64 (NaN where either is missing).

        Inputs as for `working_us`; two scalars give a numpy float, arrays an array.
        """
        a, a_ok = to_utc_us(start)
        b, b_ok = to_utc_us(end)
        a, b = np.broadcast_arrays(a, b)
        ok = np.broadcast_to(a_ok & b_ok, a.shape)
        out = np.full(a.shape, np.nan)
        out[ok] = self._working(a[ok], b[ok]) / 1e6
        return out[0] if _is_scalar(start) and _is_scalar(end) else out

    def deadline(self, start: Any, seconds: float | np.ndarray) -> Any:
        """The earliest instant at or after ``start`` by which ``seconds`` of working time have passed.

        Returns datetime64[us] values (UTC), a single aware datetime for a scalar ``start``.
        """
        a, ok = to_utc_us(start)
        if not ok.all():
            raise ModelError("deadline got missing start timestamps; drop them first")
        budget = np.broadcast_to(np.round(np.asarray(seconds, dtype=np.float64) * 1e6), a.shape).astype(
            np.int64
        )
        due = a + budget if self.is_calendar_time or a.size == 0 else self._deadline(a, budget)
        if _is_scalar(start):
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(due[0]))
        return due.astype("datetime64[us]")

    # ---- internals -------------------------------------------------------------------------------
    def _working(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.is_calendar_time or a.size == 0:
            return np.maximum(b - a, 0)
        days_a, days_b = self._local_days(a), self._local_days(b)
        table = self._table(min(days_a.min(), days_b.min()), max(days_a.max(), days_b.max()))
        return np.maximum(_cumulative(table, b, days_b) - _cumulative(table, a, days_a), 0)

    def _deadline(self, a: np.ndarray, budget: np.ndarray) -> np.ndarray:
        days = self._local_days(a)
        week_us = sum(e - s for s, e in (h for h in self.hours if h is not None)) * 1_000_000
        if week_us == 0:
            raise ModelError(
                "the working calendar has no working hours on any weekday; no deadline is reached"
            )
        pad = int(np.ceil(max(int(budget.max()), 0) / week_us * 7)) + 14
        while True:
            table = self._table(days.min(), days.max() + np.timedelta64(pad, "D"))
            target = _cumulative(table, a, days) + budget
            ends = table.before_us + table.length_us
            if ends[-1] >= target.max():
                break
            pad *= 2  # holidays used up the margin
        idx = np.searchsorted(ends, target, side="left")
        due = table.start_us[idx] + (target - table.before_us[idx])
        return np.maximum(due, a)

    def _local_days(self, us: np.ndarray) -> np.ndarray:
        """Local calendar date of each UTC instant, as datetime64[D]."""
        local = pd.DatetimeIndex(pd.to_datetime(us, unit="us", utc=True)).tz_convert(self.timezone)
        return local.tz_localize(None).to_numpy().astype("datetime64[D]")

    def _table(self, first: np.datetime64, last: np.datetime64) -> _DayTable:
        """Working interval of every local day from ``first`` to ``last`` (DST-aware, in UTC us)."""
        days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        starts = np.array([h[0] if h else 0 for h in self.hours], dtype=np.int64)[weekday]
        ends = np.array([h[1] if h else 0 for h in self.hours], dtype=np.int64)[weekday]
        if self.holidays:
            off = np.isin(days, np.array(sorted(self.holidays), dtype="datetime64[D]"))
            ends = np.where(off, starts, ends)
        base = days.astype("datetime64[us]")
        start_us = self._to_utc(base + starts.astype("timedelta64[s]"))
        end_us = self._to_utc(base + ends.astype("timedelta64[s]"))
        length = np.maximum(end_us - start_us, 0)
        before = np.concatenate(([0], np.cumsum(length)[:-1]))
        return _DayTable(days[0], start_us, length, before)

    def _to_utc(self, local: np.ndarray) -> np.ndarray:
        """UTC microseconds of local wall-clock times (gaps shift forward; repeated hours take the first)."""
        idx = pd.DatetimeIndex(local).tz_localize(
            self.timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
        )
        return idx.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]").astype(np.int64)


def _cumulative(table: _DayTable, us: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Working microseconds from the table's first day to each instant."""
    i = (days - table.first_day).astype(np.int64)
    return table.before_us[i] + np.clip(us - table.start_us[i], 0, table.length_us[i])


def _seconds(hhmm: str) -> int:
    """Seconds after midnight of ``HH:MM`` (``24:00`` allowed)."""
    try:
        h, m = (int(p) for p in hhmm.split(":"))
    except ValueError as exc:
        raise ModelError(f"working hour {hhmm!r} is not HH:MM; write e.g. '09:00' or '17:30'") from exc
    if not (0 <= m < 60 and 0 <= h * 3600 + m * 60 <= DAY_S):
        raise ModelError(f"working hour {hhmm!r} is outside 00:00-24:00")
    return h * 3600 + m * 60


def _is_scalar(x: Any) -> bool:
    return isinstance(x, dt.datetime | np.datetime64 | int | np.integer)


def to_utc_us(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds (int64) and a valid-mask for any supported timestamp input."""
    if isinstance(x, pa.ChunkedArray):
        x = x.combine_chunks()
    if isinstance(x, pa.Array):
        ok = ~np.asarray(x.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if pa.types.is_timestamp(x.type):
            x = x.cast(pa.timestamp("us", tz=x.type.tz))
        ints = pc.fill_null(x.cast(pa.int64()), 0).to_numpy()
        return ints.astype(np.int64), ok
    if isinstance(x, dt.datetime):
        aware = x if x.tzinfo is not None else x.replace(tzinfo=dt.UTC)
        us = (aware - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        return np.array([us], dtype=np.int64), np.array([True])
    arr = np.asarray(x)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64).reshape(-1), np.ones(arr.size, dtype=bool)
    if arr.dtype.kind != "M":
        arr = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(x), utc=True)).tz_localize(None).to_numpy()
    arr = np.atleast_1d(arr).astype("datetime64[us]")
    ok = ~np.isnat(arr)
    return np.where(ok, arr.astype(np.int64), 0), ok
