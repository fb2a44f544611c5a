"""ISO 8601 durations (P2D, PT1H30M, P1W, PT0.5S), timer cycles (R3/PT1H) and BPMN timers as SLA timers."""

from __future__ import annotations

import re
from datetime import timedelta

from lxml import etree

from baton.errors import ModelError
from baton.models.types import ModelNote, SlaTimer

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BATON = "https://baton.dev/bpmn"
TIMER_KINDS = ("timeDuration", "timeCycle", "timeDate")

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)",
    re.IGNORECASE,
)
_CYCLE = re.compile(r"R(\d*)/(P[^/]*)", re.IGNORECASE)
_UNITS = ("weeks", "years", "months", "days", "hours", "minutes", "seconds")


def parse_duration(text: str, *, where: str) -> timedelta:
    """Parse an ISO 8601 duration into a timedelta.

    Weeks, days, hours, minutes and (fractional) seconds are exact; years and months are refused because
    their length depends on the calendar (``is_calendar_duration`` tells them apart beforehand).

    Args:
        text: the duration as written, e.g. ``P2D``, ``PT1H30M``, ``P1W``, ``PT0.5S``.
        where: what to name in an error message (file and element, or a YAML path).

    Raises:
        ModelError: the text is no ISO 8601 duration, is empty (``P``/``PT``) or uses years/months.

    Example:
        >>> parse_duration("P1DT2H30M", where="demo")
        datetime.timedelta(days=1, seconds=9000)
    """
    parts = _parts(text, where)
    if parts["years"] or parts["months"]:
        raise ModelError(
            f"{where}: duration {text.strip()!r} uses years or months, whose length depends on the calendar; "
            "write it in weeks, days or hours (e.g. P30D instead of P1M)"
        )
    return timedelta(
        weeks=parts["weeks"],
        days=parts["days"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )


def is_calendar_duration(text: str) -> bool:
    """True for a well-formed ISO 8601 duration that uses years or months (e.g. ``P1M``, ``P1Y2D``)."""
    match = _DURATION.fullmatch(text.strip())
    return bool(match and (match.group(2) or match.group(3)))


def is_duration(text: str) -> bool:
    """True when ``text`` is a well-formed, non-empty ISO 8601 duration."""
    match = _DURATION.fullmatch(text.strip())
    return bool(match and any(match.groups()))


def parse_cycle(text: str, *, where: str) -> timedelta:
    """The first firing of an ISO 8601 repetition ``R[n]/<duration>`` (``R3/PT1H`` -> 1 hour).

    Raises:
        ModelError: the cycle has a start or end date (``R/2025-01-01T00:00/P1D``), is a cron expression,
            or its duration is not valid.

    Example:
        >>> parse_cycle("R3/PT10M", where="demo")
        datetime.timedelta(seconds=600)
    """
    match = _CYCLE.fullmatch(text.strip())
    if match is None:
        raise ModelError(
            f"{where}: timer cycle {text.strip()!r} is not of the form R[n]/<duration> (e.g. R3/PT1H); "
            "cycles with dates and cron expressions are not checked as SLAs"
        )
    return parse_duration(match.group(2), where=where)


def _parts(text: str, where: str) -> dict[str, float]:
    """The numeric components of a duration, by unit name."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()) or text.strip().upper().endswith("T"):
        raise ModelError(
            f"{where}: {text.strip()!r} is not an ISO 8601 duration; expected e.g. P2D (2 days), "
            "PT4H (4 hours), PT30M, P1W or P1DT12H"
        )
    return {
        unit: float((value or "0").replace(",", "."))
        for unit, value in zip(_UNITS, match.groups(), strict=True)
    }


def timer_from_bpmn(
    boundary: etree._Element, *, task: str, escalation: tuple[str, ...], known: set[str], file: str
) -> SlaTimer | ModelNote:
    """An SlaTimer from a BPMN timer boundary event, or a note when its timer is no usable SLA.

    Reads ``timeDuration`` (ISO 8601), ``timeCycle`` (``R[n]/<duration>``: the first firing is checked)
    and Baton's optional attributes ``baton:slaUntil="start|complete"`` and ``baton:slaStartAfter``
    (namespace ``https://baton.dev/bpmn``). ``timeDate`` and durations in years/months give notes.

    Raises:
        ModelError: ``slaUntil`` is not start/complete or ``slaStartAfter`` names no task of the model.
    """
    eid = str(boundary.get("id", ""))
    where = f"{file}: boundaryEvent {eid!r}"
    definition = boundary.find(f"{{{BPMN}}}timerEventDefinition")
    texts = {k: " ".join((definition.findtext(f"{{{BPMN}}}{k}") or "").split()) for k in TIMER_KINDS}
    cycle = texts["timeCycle"] or None
    text = texts["timeDuration"]
    if text and is_calendar_duration(text):
        return _timer_note(
            eid, f"duration {text!r} is in years/months (calendar-dependent); not an SLA timer"
        )
    if texts["timeDate"] and not text and not cycle:
        return _timer_note(eid, f"timer at the absolute date {texts['timeDate']!r}; not an SLA on the task")
    try:
        duration = parse_duration(text, where=where) if text else parse_cycle(cycle or "", where=where)
    except ModelError as exc:
        return _timer_note(eid, f"timer {text or cycle!r} cannot be checked as an SLA ({exc})")
    until = boundary.get(f"{{{BATON}}}slaUntil", "complete")
    if until not in ("start", "complete"):
        raise ModelError(f'{where}: baton:slaUntil={until!r}; expected "start" or "complete"')
    start_after = boundary.get(f"{{{BATON}}}slaStartAfter")
    if start_after is not None:
        start_after = " ".join(start_after.split())
        if start_after not in known:
            raise ModelError(
                f"{where}: baton:slaStartAfter={start_after!r} names no task of the model; "
                f"expected one of {sorted(known)}"
            )
    return SlaTimer(
        id=eid,
        task=task,
        duration=duration,
        interrupting=boundary.get("cancelActivity", "true") != "false",
        escalation=escalation,
        cycle=cycle if not text else None,
        start_after=start_after,
        until="start" if until == "start" else "complete",
        source=eid,
    )


def _timer_note(element_id: str, message: str) -> ModelNote:
    return ModelNote(element_id, "boundaryEvent", message)
