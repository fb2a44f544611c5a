"""Check KPI settings against the logs they are used on: a misspelt activity or resource is an error, not zeros."""

from __future__ import annotations

import difflib

from analytics._query import LogQuery
from analytics.before_after_setup import Setup, TwoLogsSetup
from analytics.kpi_catalogue import KpiSettings
from baton.errors import FilterError
from baton.log import EventLog

_RESOURCES = "SELECT DISTINCT resource FROM e WHERE resource IS NOT NULL"


def setup_logs(setup: Setup) -> list[EventLog]:
    """Every log a setup compares, its control's included (segments and cutovers name one log)."""
    logs = [setup.before, setup.after] if isinstance(setup, TwoLogsSetup) else [setup.log]
    return logs + (setup_logs(setup.control) if setup.control is not None else [])


def check_settings_for_logs(settings: KpiSettings, logs: list[EventLog]) -> None:
    """Raise when a setting names an activity or resource that occurs in none of ``logs``.

    An error activity may be absent from one side (orchestration removed it), so each name is looked up
    in all the compared logs together. Filters are ignored: a name is valid when the whole log has it.

    Raises:
        FilterError: names the setting, the unknown names, close matches and how to fix it.
    """
    queries = [LogQuery(log.unfiltered()) for log in logs]
    labels = "log " + " or ".join(dict.fromkeys(repr(log.name) for log in logs))
    activities = {name for q in queries for name in q.names().values()}
    for field in ("end_activities", "error_activities"):
        _check_names(field, getattr(settings, field), activities, "activity", labels)
    if not settings.system_resources and settings.system_resource_prefix is None:
        return
    resources = {str(r[0]) for q in queries for r in q.rows(_RESOURCES)}
    _check_names("system_resources", settings.system_resources, resources, "resource", labels)
    prefix = settings.system_resource_prefix
    if prefix is not None and not any(r.startswith(prefix) for r in resources):
        sample = ", ".join(repr(r) for r in sorted(resources)[:8]) or "none"
        raise FilterError(
            f"system_resource_prefix {prefix!r}: no resource in {labels} starts with it (resources: {sample}"
            f"{' ...' if len(resources) > 8 else ''}); fix the prefix or leave it empty and list the "
            "system resources by name"
        )


def _check_names(field: str, names: tuple[str, ...], known: set[str], kind: str, labels: str) -> None:
    unknown = [n for n in names if n not in known]
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=2, cutoff=0.6)
        hints.append(
            f"{name!r}" + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
        )
    raise FilterError(
        f"{field}: {', '.join(hints)} {'is' if len(unknown) == 1 else 'are'} no {kind} of {labels}; "
        f"use the {kind} names exactly as the log has them (Baton's Statistics page and `baton stats LOG` "
        f"list them)"
    )
