"""Before/after setups (a cutover date, two logs, two segments, an optional control) and the cases of each side.

A *side* is the set of cases one period contributes. KPIs use its complete cases only; its running cases
(last activity not an end activity) are counted and excluded. With a cutover date a case belongs to the
side in which it started (its first recorded event, where its cycle time starts); a case that started
before the cutover but had not finished by it *spans* the cutover and is excluded from both sides by
default (``spanning="exclude"``: it mixes the old and the new process), or kept in the before side
(``spanning="before"``). Throughput and work in progress are flows of a period, so for them every case of
the log counts in the periods it completed or was open in, whatever side its start put it on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd

from analytics.kpis import get_kpis
from baton import schema as s
from baton.errors import FilterError
from baton.filters import CaseAttribute, FilterSpec
from baton.log import EventLog

if TYPE_CHECKING:
    from analytics.kpi_catalogue import KpiSettings

Spanning = Literal["exclude", "before"]
_CATALOG = f"SELECT first_timestamp, last_timestamp FROM {s.LOGS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_VARIANTS = f"SELECT {s.VARIANT_ID}, activity_codes FROM {s.VARIANTS} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_NAMES = f"SELECT {s.ACTIVITY_CODE}, {s.ACTIVITY} FROM {s.ACTIVITIES} WHERE {s.LOG_ID} = $log_id"  # noqa: S608
_NOT_AVAILABLE = "not available: "
_FREQ = {"day": "D", "week": "W-SUN", "month": "M"}  # pandas periods: UTC days, weeks from Monday, months


def _check_log(value: object, label: str) -> None:
    if not isinstance(value, EventLog):
        raise FilterError(f"{label}: got {type(value).__name__}; expected an EventLog, e.g. ws.log('name')")


def _check_control(control: object) -> None:
    if control is None:
        return
    if not isinstance(control, CutoverSetup | TwoLogsSetup | SegmentsSetup):
        raise FilterError(
            f"control: got {type(control).__name__}; expected a CutoverSetup, TwoLogsSetup or SegmentsSetup "
            "of a segment that was not changed"
        )
    if control.control is not None:
        raise FilterError(
            "control: a control setup cannot have a control of its own; pass control=None there"
        )


def log_span(log: EventLog) -> tuple[datetime, datetime]:
    """The first and last timestamp of the whole stored log (its catalog row; filters aside)."""
    rows = log.engine().rows(_CATALOG, {"log_id": log.log_id})
    if not rows or rows[0][0] is None:
        raise FilterError(f"log {log.name!r} has no events (or was deleted); import it again")
    return rows[0][0], rows[0][1]


@dataclass(frozen=True, slots=True)
class CutoverSetup:
    """One log split at a cutover date: before = cases started before it, after = started on or after it.

    Cases spanning the cutover (started before, not finished by it) are excluded from both sides unless
    ``spanning="before"`` keeps them in the before side. ``control`` is an optional setup of a segment that
    was not changed (for difference-in-differences).

    Raises:
        FilterError: the log is not an EventLog, the cutover has no time zone or lies outside the log.
    """

    kind: ClassVar[str] = "cutover"
    log: EventLog
    cutover: datetime
    spanning: Spanning = "exclude"
    control: Setup | None = None

    def __post_init__(self) -> None:
        _check_log(self.log, "CutoverSetup.log")
        if not isinstance(self.cutover, datetime) or self.cutover.tzinfo is None:
            raise FilterError(
                f"CutoverSetup.cutover: got {self.cutover!r}; expected a datetime with a time zone, "
                "e.g. datetime(2025, 7, 1, tzinfo=timezone.utc)"
            )
        if self.spanning not in ("exclude", "before"):
            raise FilterError(f"CutoverSetup.spanning: got {self.spanning!r}; expected 'exclude' or 'before'")
        first, last = log_span(self.log)
        if not first < self.cutover <= last:
            raise FilterError(
                f"CutoverSetup.cutover: {self.cutover.isoformat()} lies outside log {self.log.name!r} "
                f"({first.isoformat()} to {last.isoformat()}); pick a date inside it so both sides have cases"
            )
        _check_control(self.control)

    def describe(self) -> str:
        """The setup in one sentence."""
        kept = "kept in the before side" if self.spanning == "before" else "excluded from both sides"
        return (
            f"Log {self.log.name!r} split at {self.cutover.isoformat()}: cases started before vs on/after the "
            f"cutover; cases spanning it are {kept}"
        )


@dataclass(frozen=True, slots=True)
class TwoLogsSetup:
    """Two logs (or filtered logs): ``before`` and ``after``; ``control`` as in `CutoverSetup`.

    Raises:
        FilterError: a side is not an EventLog, or both sides are the same selection.
    """

    kind: ClassVar[str] = "two_logs"
    before: EventLog
    after: EventLog
    control: Setup | None = None

    def __post_init__(self) -> None:
        _check_log(self.before, "TwoLogsSetup.before")
        _check_log(self.after, "TwoLogsSetup.after")
        if self.before.log_id == self.after.log_id and self.before.filters == self.after.filters:
            raise FilterError(
                f"TwoLogsSetup: before and after are the same selection of log {self.before.name!r}; pass two "
                "logs, or use SegmentsSetup with two different filters"
            )
        _check_control(self.control)

    def describe(self) -> str:
        """The setup in one sentence."""
        return f"Two logs: before = {_label(self.before)}, after = {_label(self.after)}"


@dataclass(frozen=True, slots=True)
class SegmentsSetup:
    """Two segments of one log, each a filter spec (see `SegmentsSetup.by_attribute`); ``control`` as above.

    Raises:
        FilterError: a spec is not a FilterSpec, names an attribute the log lacks, or both specs are equal.
    """

    kind: ClassVar[str] = "segments"
    log: EventLog
    before: FilterSpec
    after: FilterSpec
    control: Setup | None = None

    def __post_init__(self) -> None:
        _check_log(self.log, "SegmentsSetup.log")
        for name in ("before", "after"):
            spec = getattr(self, name)
            if not isinstance(spec, FilterSpec):
                raise FilterError(
                    f"SegmentsSetup.{name}: got {type(spec).__name__}; expected a FilterSpec, "
                    "e.g. FilterSpec((CaseAttribute('region', ('Berlin',)),))"
                )
            self.log.filter(*spec.filters)  # raises FilterError naming an unknown attribute
        if self.before == self.after:
            raise FilterError(
                "SegmentsSetup: before and after have the same filters; the segments must differ"
            )
        _check_control(self.control)

    @classmethod
    def by_attribute(
        cls, log: EventLog, name: str, before: tuple[object, ...], after: tuple[object, ...],
        *, control: Setup | None = None,
    ) -> SegmentsSetup:  # fmt: skip
        """Segments by a case attribute: before = cases whose ``name`` is in ``before``, after likewise."""
        return cls(
            log,
            FilterSpec((CaseAttribute(name, tuple(before)),)),
            FilterSpec((CaseAttribute(name, tuple(after)),)),
            control,
        )

    def logs(self) -> tuple[EventLog, EventLog]:
        """The two segments as filtered logs."""
        return self.log.filter(*self.before.filters), self.log.filter(*self.after.filters)

    def describe(self) -> str:
        """The setup in one sentence."""
        before, after = self.logs()
        return f"Two segments of log {self.log.name!r}: before = {_label(before)}, after = {_label(after)}"


Setup = CutoverSetup | TwoLogsSetup | SegmentsSetup


@dataclass(frozen=True, slots=True)
class Side:
    """The cases one period contributes, and what KPIs of that period need.

    ``cases`` holds the side's per-case KPI rows (`get_case_kpis` columns; complete and running cases,
    spanning ones removed); ``flow`` the cases counted for throughput and work in progress, whose whole
    periods inside ``window`` are compared; ``unavailable`` maps KPI keys to the reason they are missing.
    """

    role: str
    log: EventLog
    label: str
    cases: pd.DataFrame = field(repr=False)
    flow: pd.DataFrame = field(repr=False)
    window: tuple[datetime, datetime]
    log_end: datetime
    unavailable: dict[str, str]
    spanning: int = 0
    spanning_running: int = 0

    @property
    def complete(self) -> pd.DataFrame:
        """The side's complete cases (those KPIs are computed from)."""
        return self.cases[self.cases["complete"]]

    @property
    def running(self) -> int:
        """Cases of the side still running at the log end (excluded from the per-case KPIs)."""
        return int((~self.cases["complete"]).sum())

    def variant_labels(self) -> pd.Series:
        """Each complete case's variant as its activity sequence (comparable across logs)."""
        engine, params = self.log.engine(), {"log_id": self.log.log_id}
        names = dict(engine.rows(_NAMES, params))
        seqs = {vid: " > ".join(names[c] for c in codes) for vid, codes in engine.rows(_VARIANTS, params)}
        return self.complete[s.VARIANT_ID].map(seqs)


def _label(log: EventLog) -> str:
    if not log.filters.filters:
        return repr(log.name)
    return f"{log.name!r} filtered by {log.filters.to_json()}"


def _summary(log: EventLog, settings: KpiSettings) -> tuple[pd.DataFrame, dict[str, str]]:
    """The log's per-case KPI rows and the KPIs its settings or data leave unavailable (with why)."""
    summary = get_kpis(log, settings)
    unavailable = {
        v.key: v.note.removeprefix(_NOT_AVAILABLE)
        for v in summary.values
        if not v.available and v.note.startswith(_NOT_AVAILABLE) and "no completed cases" not in v.note
    }
    return summary.per_case.to_pandas(), unavailable


def _whole(role: str, log: EventLog, settings: KpiSettings) -> Side:
    cases, unavailable = _summary(log, settings)
    window = log_span(log)
    return Side(role, log, _label(log), cases, cases, window, window[1], unavailable)


def _split(setup: CutoverSetup, settings: KpiSettings, roles: tuple[str, str]) -> tuple[Side, Side]:
    cases, unavailable = _summary(setup.log, settings)
    first, last = log_span(setup.log)
    started_before = cases["start"] < setup.cutover
    spans = started_before & (~cases["complete"] | (cases["end"] >= setup.cutover))
    keep_before = started_before if setup.spanning == "before" else started_before & ~spans
    n_span, n_span_running = int(spans.sum()), int((spans & ~cases["complete"]).sum())
    label = _label(setup.log)
    before = Side(
        roles[0], setup.log, f"{label} before {setup.cutover.isoformat()}", cases[keep_before], cases,
        (first, setup.cutover), last, unavailable, n_span, n_span_running,
    )  # fmt: skip
    after = Side(
        roles[1], setup.log, f"{label} from {setup.cutover.isoformat()}", cases[~started_before], cases,
        (setup.cutover, last), last, unavailable, n_span, n_span_running,
    )  # fmt: skip
    return before, after


def resolve_sides(
    setup: Setup, settings: KpiSettings, roles: tuple[str, str] = ("before", "after")
) -> tuple[Side, Side]:
    """The before and after sides of a setup (its control is resolved separately, with other roles)."""
    if isinstance(setup, CutoverSetup):
        return _split(setup, settings, roles)
    if isinstance(setup, TwoLogsSetup):
        return _whole(roles[0], setup.before, settings), _whole(roles[1], setup.after, settings)
    before, after = setup.logs()
    return _whole(roles[0], before, settings), _whole(roles[1], after, settings)


def _periods(window: tuple[datetime, datetime], period: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Start and end (exclusive, UTC) of each whole period inside the window."""
    lo, hi = (pd.Timestamp(t).tz_convert("UTC").tz_localize(None) for t in window)
    first, last = lo.to_period(_FREQ[period]), hi.to_period(_FREQ[period])
    if first.start_time < lo:
        first += 1
    if (last + 1).start_time > hi:
        last -= 1
    if last < first:
        return pd.DatetimeIndex([], tz="UTC"), pd.DatetimeIndex([], tz="UTC")
    rng = pd.period_range(first, last, freq=_FREQ[period])
    return rng.start_time.tz_localize("UTC"), (rng + 1).start_time.tz_localize("UTC")


def period_throughput(side: Side, period: str) -> np.ndarray:
    """Complete cases per whole ``period`` inside the side's window, by the period of their end (empty: 0)."""
    starts, ends = _periods(side.window, period)
    done = side.flow.loc[side.flow["complete"], "end"]
    done = done[(done >= starts.min()) & (done < ends.max())] if len(starts) else done.iloc[:0]
    naive = done.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period(_FREQ[period]).dt.start_time
    counts = naive.dt.tz_localize("UTC").value_counts()
    return counts.reindex(starts, fill_value=0).to_numpy(dtype=float)


def period_wip(side: Side, period: str) -> np.ndarray:
    """Time-weighted open cases per whole ``period`` inside the window; a running case is open until the log end."""
    starts, ends = _periods(side.window, period)
    flow = side.flow
    open_at = flow["start"].to_numpy(dtype="datetime64[us]").astype(np.int64)
    close = flow["end"].where(flow["complete"], np.maximum(flow["end"], pd.Timestamp(side.log_end)))
    close_at = close.to_numpy(dtype="datetime64[us]").astype(np.int64)
    out = []
    for a, b in zip(_micros(starts), _micros(ends), strict=True):
        overlap = np.clip(np.minimum(close_at, b) - np.maximum(open_at, a), 0, None)
        out.append(overlap.sum() / (b - a))
    return np.asarray(out, dtype=float)


def _micros(index: pd.DatetimeIndex) -> np.ndarray:
    return index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[us]").astype(np.int64)


__all__ = [
    "CutoverSetup",
    "SegmentsSetup",
    "Setup",
    "Side",
    "TwoLogsSetup",
    "log_span",
    "period_throughput",
    "period_wip",
    "resolve_sides",
]
