"""Working calendars: hand-computed working times and deadlines, DST, and hypothesis invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.working_calendar import WorkingCalendar
from baton.errors import ModelError

AMS = ZoneInfo("Europe/Amsterdam")
FRI_16 = datetime(2025, 1, 3, 16, tzinfo=UTC)
MON_10 = datetime(2025, 1, 6, 10, tzinfo=UTC)
H = 3600.0


def test_weekend_is_skipped():
    """Fri 16:00 -> Mon 10:00 in Mon-Fri 09-17 is 1 h on Friday plus 1 h on Monday."""
    assert WorkingCalendar.office().working_seconds(FRI_16, MON_10) == 2 * H


def test_holiday_is_skipped():
    """A Monday holiday leaves only Friday's last hour; a holiday given as ISO text works too."""
    cal = WorkingCalendar.office(holidays=["2025-01-06"])
    assert cal.working_seconds(FRI_16, MON_10) == 1 * H
    assert cal.working_seconds(MON_10, datetime(2025, 1, 7, 10, tzinfo=UTC)) == 1 * H


def test_time_zone_shifts_the_working_day():
    """In Europe/Amsterdam (UTC+1 in winter) 09:00-17:00 local is 08:00-16:00 UTC."""
    cal = WorkingCalendar.office(timezone="Europe/Amsterdam")
    assert cal.working_seconds(datetime(2025, 1, 6, 7, tzinfo=UTC), datetime(2025, 1, 6, 9, tzinfo=UTC)) == H


def test_calendar_time_across_dst_changes():
    """24/7 in Amsterdam: noon to noon is 23 h on the spring-forward day and 25 h on the fall-back day."""
    cal = WorkingCalendar.always("Europe/Amsterdam")
    spring = cal.working_seconds(datetime(2025, 3, 29, 12, tzinfo=AMS), datetime(2025, 3, 30, 12, tzinfo=AMS))
    autumn = cal.working_seconds(
        datetime(2025, 10, 25, 12, tzinfo=AMS), datetime(2025, 10, 26, 12, tzinfo=AMS)
    )
    assert (spring, autumn) == (23 * H, 25 * H)


def test_working_hours_containing_the_dst_gap():
    """Sunday 01:00-05:00 local on 30 March 2025 lasts 3 real hours (02:00-03:00 does not exist)."""
    hours = (None,) * 6 + ((3600, 5 * 3600),)
    cal = WorkingCalendar("Europe/Amsterdam", hours)
    whole_week = cal.working_seconds(datetime(2025, 3, 24, tzinfo=UTC), datetime(2025, 3, 31, tzinfo=UTC))
    assert whole_week == 3 * H
    office = WorkingCalendar.office(timezone="Europe/Amsterdam")  # Fri 16:00 -> Mon 10:00 across the change
    assert (
        office.working_seconds(datetime(2025, 3, 28, 16, tzinfo=AMS), datetime(2025, 3, 31, 10, tzinfo=AMS))
        == 2 * H
    )


def test_deadline_hand_computed():
    """Two working hours after Fri 16:00 is Mon 10:00; Tue 10:00 with a Monday holiday; Sat + 1 h is Mon 10:00."""
    assert WorkingCalendar.office().deadline(FRI_16, 2 * H) == MON_10
    assert WorkingCalendar.office(holidays=[date(2025, 1, 6)]).deadline(FRI_16, 2 * H) == MON_10 + timedelta(
        days=1
    )
    assert WorkingCalendar.office().deadline(datetime(2025, 1, 4, 12, tzinfo=UTC), H) == MON_10


def test_arrays_and_missing_values():
    """Arrow and numpy arrays are measured element-wise; a missing timestamp gives NaN."""
    ts = pa.timestamp("us", tz="UTC")
    start = pa.array([FRI_16, None, MON_10], ts)
    end = pa.array([MON_10, MON_10, MON_10 + timedelta(hours=30)], ts)
    got = WorkingCalendar.office().working_seconds(start, end)
    assert np.isnan(got[1])
    assert list(got[[0, 2]]) == [2 * H, 7 * H + 7 * H]  # Mon 10-17, Tue 09-16
    as_numpy = np.array(["2025-01-03T16:00", "2025-01-06T10:00"], dtype="datetime64[us]")
    assert list(WorkingCalendar.office().working_seconds(as_numpy[:1], as_numpy[1:])) == [2 * H]


def test_bad_calendars_are_refused():
    """An unknown zone, reversed hours or a bad HH:MM raise ModelError naming the value."""
    with pytest.raises(ModelError, match="Mars/Olympus"):
        WorkingCalendar("Mars/Olympus")
    with pytest.raises(ModelError, match="Mon"):
        WorkingCalendar("UTC", ((17 * 3600, 9 * 3600),) + (None,) * 6)
    with pytest.raises(ModelError, match="9h"):
        WorkingCalendar.office(start="9h")
    with pytest.raises(ModelError, match="no working hours"):
        WorkingCalendar("UTC", (None,) * 7).deadline(FRI_16, H)


# ---- invariants ------------------------------------------------------------------------------------
LO = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1e6)
HI = int(datetime(2040, 1, 1, tzinfo=UTC).timestamp() * 1e6)
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
instants = st.lists(st.integers(LO, HI), min_size=3, max_size=3)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    """Random zones, weekday hours (minute resolution, some days off) and holidays."""
    hours: list[tuple[int, int] | None] = []
    for _ in range(7):
        if draw(st.booleans()):
            hours.append(None)
            continue
        a = draw(st.integers(0, 24 * 60 - 1))
        b = draw(st.integers(a + 1, 24 * 60))
        hours.append((a * 60, b * 60))
    days = draw(st.lists(st.dates(date(2000, 1, 1), date(2039, 12, 31)), max_size=5))
    return WorkingCalendar(draw(st.sampled_from(ZONES)), tuple(hours), frozenset(days))


@settings(max_examples=60, deadline=None)
@given(calendars(), st.lists(instants, min_size=1, max_size=20))
def test_never_negative_and_additive(cal: WorkingCalendar, rows: list[list[int]]):
    """w(a, b) >= 0 and w(a, c) = w(a, b) + w(b, c) for a <= b <= c (vectorised)."""
    a, b, c = np.sort(np.array(rows, dtype=np.int64), axis=1).T
    ab, bc, ac = cal.working_us(a, b), cal.working_us(b, c), cal.working_us(a, c)
    assert (ab >= 0).all() and (cal.working_us(b, a) == 0).all()
    assert np.abs(ac - (ab + bc)).max() <= 1
    assert (ac <= c - a).all()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ZONES), st.lists(instants, min_size=1, max_size=20))
def test_calendar_time_equals_elapsed(zone: str, rows: list[list[int]]):
    """A calendar with every hour of every day measures exactly the elapsed time, DST included."""
    a, b, _ = np.sort(np.array(rows, dtype=np.int64), axis=1).T
    full = WorkingCalendar(zone, ((0, 86400),) * 6 + ((0, 86400),))
    assert (full.working_us(a, b) == b - a).all()
    no_fast_path = WorkingCalendar(zone, ((0, 86400),) * 7, frozenset({date(1999, 1, 1)}))
    assert (no_fast_path.working_us(a, b) == b - a).all()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ZONES), st.integers(0, 2000), st.integers(0, 48 * 3600), st.integers(0, 48 * 3600))
def test_zero_on_weekends_and_holidays(zone: str, week: int, x: int, y: int):
    """Two instants within one local weekend, or within one holiday, are 0 working seconds apart."""
    tz = ZoneInfo(zone)
    saturday = date(2000, 1, 1) + timedelta(weeks=week)  # 2000-01-01 was a Saturday
    start = datetime(saturday.year, saturday.month, saturday.day, tzinfo=tz).astimezone(UTC)
    end = (datetime(saturday.year, saturday.month, saturday.day, tzinfo=tz) + timedelta(days=2)).astimezone(
        UTC
    )
    a, b = sorted((start + timedelta(seconds=x), start + timedelta(seconds=y)))
    b = min(b, end)
    cal = WorkingCalendar.office(timezone=zone, holidays=[saturday + timedelta(days=3)])
    assert cal.working_seconds(min(a, b), b) == 0
    tuesday = datetime.combine(saturday + timedelta(days=3), datetime.min.time(), tz)
    assert cal.working_seconds(tuesday, tuesday + timedelta(seconds=min(x, 86399))) == 0


@settings(max_examples=40, deadline=None)
@given(calendars(), st.lists(st.integers(LO, HI - 10**14), min_size=1, max_size=10), st.integers(1, 10**6))
def test_deadline_is_the_inverse(cal: WorkingCalendar, starts: list[int], seconds: int):
    """Working time from a start to its deadline is the budget, and a moment earlier it is less."""
    if all(h is None for h in cal.hours):
        return
    a = np.array(starts, dtype=np.int64)
    due = cal.deadline(a, float(seconds)).astype(np.int64)
    assert (due >= a).all()
    assert (cal.working_us(a, due) == seconds * 1_000_000).all()
    assert (cal.working_us(a, due - 1) < seconds * 1_000_000).all()
