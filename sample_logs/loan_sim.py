"""Simulation engine for the demo loan logs: branch calendars, resources and a per-case event builder."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

#: Each region is served by branches in one time zone; CSV timestamps carry that zone's offset.
REGION_ZONES: dict[str, str] = {
    "Berlin": "Europe/Berlin",
    "Munich": "Europe/Berlin",
    "London": "Europe/London",
    "New York": "America/New_York",
}
ZONES: dict[str, ZoneInfo] = {region: ZoneInfo(name) for region, name in REGION_ZONES.items()}
WORK_START, WORK_END = 8, 18  # local working hours, Monday to Friday
#: Labour cost in EUR per hour of service time, by role.
RATES: dict[str, float] = {"clerk": 42.0, "underwriter": 68.0, "manager": 95.0, "back_office": 45.0}
RECORD_COST = 2.5  # EUR for a human step logged without a start (a few minutes of clerk time)

CLERKS: dict[str, tuple[str, ...]] = {
    "Berlin": ("Anna Keller", "Ben Wagner", "Jana Vogel"),
    "Munich": ("Clara Hoffmann", "Lukas Huber"),
    "London": ("Emma Clarke", "Oliver Smith", "Ruby Evans"),
    "New York": ("Grace Lee", "Michael Brown"),
}
UNDERWRITERS = ("Sofia Rossi", "Jonas Becker", "Priya Patel", "Tom Fischer")
MANAGER = "Helen Walsh"
BACK_OFFICE = ("Paul Richter", "Nina Roth")


def next_working_time(t: datetime, zone: ZoneInfo) -> datetime:
    """Return ``t`` if it falls in the zone's working hours, else the next working-day 08:00 (as UTC)."""
    local = t.astimezone(zone)
    if local.weekday() < 5 and WORK_START <= local.hour < WORK_END:
        return t
    day = local.date()
    if local.weekday() >= 5 or local.hour >= WORK_END:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, WORK_START, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Event:
    """One activity instance: complete time, optional start time (human work), resource, cost, outcome."""

    activity: str
    timestamp: datetime
    start: datetime | None
    resource: str
    cost: float
    outcome: str = ""


@dataclass
class Case:
    """Builds one case's events in time order; ``t`` is the time the case became ready for its next step."""

    rng: np.random.Generator
    region: str
    t: datetime
    events: list[Event] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone of the case's branch."""
        return ZONES[self.region]

    def lognormal(self, median_hours: float, sigma: float) -> timedelta:
        """A lognormal duration with the given median (hours), rounded to whole seconds."""
        hours = median_hours * math.exp(sigma * float(self.rng.standard_normal()))
        return timedelta(seconds=max(1, round(hours * 3600)))

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return bool(self.rng.random() < p)

    def clerk(self) -> str:
        """A clerk of the case's branch region."""
        pool = CLERKS[self.region]
        return pool[int(self.rng.integers(len(pool)))]

    def pick(self, pool: tuple[str, ...]) -> str:
        """One resource of a pool, uniformly."""
        return pool[int(self.rng.integers(len(pool)))]

    def work_start(self, ready: datetime) -> datetime:
        """When a human picks up work that is ready at ``ready`` (snapped into working hours, jittered)."""
        start = next_working_time(ready, self.zone)
        if start != ready:
            start += timedelta(minutes=int(self.rng.integers(0, 90)))
        return start

    def human(
        self,
        activity: str,
        resource: str,
        role: str,
        *,
        wait: tuple[float, float],
        service: float,
        outcome: str = "",
        start: datetime | None = None,
    ) -> None:
        """A human work step with a start: waits ``wait`` (median h, sigma), then works ~``service`` minutes."""
        if start is None:
            start = self.work_start(self.t + self.lognormal(*wait))
        duration = self.lognormal(service / 60.0, 0.45)
        cost = round(duration.total_seconds() / 3600.0 * RATES[role], 2)
        self.t = start + duration
        self.events.append(Event(activity, self.t, start, resource, cost, outcome))

    def record(self, activity: str, resource: str, *, wait: tuple[float, float], outcome: str = "") -> None:
        """A human step logged without a start (e.g. registering incoming mail), in working hours."""
        self.t = self.work_start(self.t + self.lognormal(*wait))
        self.events.append(Event(activity, self.t, None, resource, RECORD_COST, outcome))

    def system(self, activity: str, resource: str, *, delay_s: int, cost: float, outcome: str = "") -> None:
        """An automated step logged ``delay_s`` seconds after the previous one (0 gives an equal timestamp)."""
        self.t += timedelta(seconds=delay_s)
        self.events.append(Event(activity, self.t, None, resource, cost, outcome))

    def customer_wait(self, median_hours: float, sigma: float) -> None:
        """Time the case waits for the customer (any hour of any day)."""
        self.t += self.lognormal(median_hours, sigma)

    def truncated(self, log_end: datetime) -> list[Event]:
        """The events completed before the log end (later ones are not yet observed)."""
        return [event for event in self.events if event.timestamp < log_end]
