"""What `baton conformance` computes and prints: the checks of one log against one model, as tables or JSON."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from baton.errors import BatonError, ModelError

if TYPE_CHECKING:
    import pandas as pd

    from analytics import Conformance, FourEyesReport, RetryReport, SlaReport, WorkingCalendar
    from baton.log import EventLog
    from baton.models.types import TargetModel


class ConformanceTable(StrEnum):
    deviations = "deviations"
    sla = "sla"
    variants = "variants"


class CalendarKind(StrEnum):
    always = "24x7"
    office = "office"


@dataclass(frozen=True, slots=True)
class ConformanceRun:
    """Everything `baton conformance` reports for one log and one model."""

    log: str
    model: TargetModel
    calendar: WorkingCalendar
    conformance: Conformance
    sla: SlaReport
    four_eyes: FourEyesReport | None
    retries: RetryReport | None


def calendar_from_options(kind: CalendarKind, zone: str, hours: str, holidays: str) -> WorkingCalendar:
    """The SLA calendar from the command-line options (24x7 keeps every hour, minus any holidays)."""
    from analytics import WorkingCalendar

    try:
        days = [dt.date.fromisoformat(d.strip()) for d in holidays.split(",") if d.strip()]
    except ValueError as exc:
        raise ModelError(
            f"--holidays {holidays!r} holds a value that is not a date; expected ISO dates such as "
            "2025-12-25,2025-12-26"
        ) from exc
    if kind is CalendarKind.always:
        return WorkingCalendar.office(
            timezone=zone, start="00:00", end="24:00", weekdays=range(7), holidays=days
        )
    start, sep, end = hours.partition("-")
    if not sep:
        raise ModelError(f"--hours {hours!r} is not a range; expected HH:MM-HH:MM such as 09:00-17:00")
    return WorkingCalendar.office(timezone=zone, start=start.strip(), end=end.strip(), holidays=days)


def read_model_or_fail(path: Path) -> TargetModel:
    """Read a target model; the error names the file even where the reader's message does not."""
    from baton.models.load import read_model

    try:
        return read_model(path)
    except (BatonError, OSError) as exc:
        text = str(exc)
        raise ModelError(text if path.name in text else f"{path}: {text}") from exc


def run_checks(log: EventLog, model: TargetModel, budget: float, cal: WorkingCalendar) -> ConformanceRun:
    from analytics import check_conformance, check_four_eyes, check_retries, check_sla

    return ConformanceRun(
        log=log.name,
        model=model,
        calendar=cal,
        conformance=check_conformance(log, model, alignment_budget_s=budget),
        sla=check_sla(log, model.timers, calendar=cal),
        four_eyes=check_four_eyes(log, model.four_eyes) if model.four_eyes else None,
        retries=check_retries(log, model.retries) if model.retries else None,
    )


def conformance_doc(run: ConformanceRun) -> dict[str, Any]:
    """The whole report as one JSON-ready document (durations in microseconds, shares in 0-1)."""
    c, m, cal = run.conformance, run.model, run.calendar
    eyes = run.four_eyes.results if run.four_eyes else ()
    retries = run.retries.results if run.retries else ()
    return {
        "log": run.log,
        "model": {"name": m.name, "source": m.source, "format": m.format, "tasks": [t.name for t in m.tasks]},
        "cases": c.cases,
        "fit_cases": c.fit_cases,
        "perc_fit_cases": c.perc_fit_cases,
        "fitness": {"token": asdict(c.token), "alignment": asdict(c.alignment)},
        "precision": c.precision,
        "budget_hits": asdict(c.budget_hits),
        "deviations": [asdict(d) for d in c.deviations_by_activity],
        "deviating": asdict(c.deviating),
        "conforming": asdict(c.conforming),
        "cost_attribute": c.cost_attribute,
        "variants": [v.as_row() for v in c.variants],
        "calendar": {
            "timezone": cal.timezone,
            "hours": [list(h) if h else None for h in cal.hours],
            "holidays": sorted(d.isoformat() for d in cal.holidays),
        },
        "sla": [r.as_dict() for r in run.sla.results],
        "four_eyes": [
            {"first": r.rule.first, "second": r.rule.second, "cases_checked": r.cases_checked}
            | {
                "violation_cases": r.violation_cases,
                "share": r.share,
                "examples": [list(e) for e in r.examples],
            }
            for r in eyes
        ],
        "retries": [
            {"activity": r.policy.activity, "max_attempts": r.policy.max_attempts}
            | {"cases_with_activity": r.cases_with_activity, "violation_cases": r.violation_cases}
            | {"max_attempts_seen": r.max_attempts_seen, "worst_case": r.worst_case and list(r.worst_case)}
            for r in retries
        ],
        "notes": [asdict(n) for n in m.notes],
    }


def frame_table(title: str, frame: pd.DataFrame) -> Table:
    table = Table(*[str(col) for col in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    return table


def summary_table(run: ConformanceRun) -> Table:
    from analytics import format_duration

    c = run.conformance
    hits = c.budget_hits
    rows = [
        ("cases", f"{c.cases:,}"),
        ("fitting cases", f"{c.fit_cases:,} ({c.perc_fit_cases:.1f}%)"),
        ("token-replay fitness", f"{c.token_fitness:.4f}"),
        ("alignment fitness", f"{c.alignment_fitness:.4f} over {c.alignment.cases:,} aligned cases"),
        ("precision (ETC)", f"{c.precision:.4f}"),
        (
            "alignment budget hits",
            f"{hits.variants} variants, {hits.cases:,} cases ({hits.budget_s:g} s each)",
        ),
    ]
    for name, g in (("deviating", c.deviating), ("conforming", c.conforming)):
        cost = "-" if g.mean_cost is None else f"{c.cost_attribute} {g.mean_cost:,.2f}"
        rows.append(
            (
                f"{name} cases",
                f"{g.cases:,}; duration mean {format_duration(g.mean_duration_us)}, "
                f"median {format_duration(g.median_duration_us)}; mean {cost}",
            )
        )
    table = Table("measure", "value", title=f"{run.log} vs {run.model.name}")
    for key, value in rows:
        table.add_row(key, value)
    return table


def sla_table(run: ConformanceRun) -> Table:
    """One column per SLA timer, one row per count (narrow terminals keep it readable)."""
    cal = run.calendar
    kind = "calendar time" if cal.is_calendar_time else f"working time ({cal.timezone})"
    results = run.sla.results
    table = Table("SLA timer", *[f"{r.timer.id}: {r.timer.task}" for r in results], title=f"SLA in {kind}")
    table.add_row("limit", *[str(r.timer.duration) for r in results])
    for label, key in _SLA_ROWS:
        table.add_row(label, *[f"{getattr(r, key):,}" for r in results])
    return table


_SLA_ROWS = (
    ("cases measured", "cases"),
    ("breached", "breach_cases"),
    ("breached and escalated", "breached_and_escalated"),
    ("breached, escalated late", "breached_escalated_late"),
    ("breached, not escalated", "breached_not_escalated"),
    ("escalated", "escalated_cases"),
    ("escalated without breach", "escalated_without_breach"),
    ("open", "open_cases"),
    ("open and overdue", "open_overdue_cases"),
)


def print_conformance(console: Console, run: ConformanceRun) -> None:
    """The report as rich tables: summary, deviations, SLA, four-eyes, retries, model notes."""
    c = run.conformance
    console.print(summary_table(run))
    console.print(frame_table("deviations by activity", c.deviations_frame()))
    if run.sla.results:
        console.print(sla_table(run))
    if run.four_eyes:
        console.print(frame_table("four-eyes rules", run.four_eyes.to_frame()))
    if run.retries:
        console.print(frame_table("retry policies", run.retries.to_frame()))
    for note in run.model.notes:
        console.print(f"note: {note.element_type} {note.element_id}: {escape(note.message)}", soft_wrap=True)


def write_text_or_print(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
