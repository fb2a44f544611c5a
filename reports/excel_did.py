"""The workbook's difference-in-differences sheet: each KPI's change against the control group, as values."""

from __future__ import annotations

import math
from typing import Any

from xlsxwriter.workbook import Format
from xlsxwriter.worksheet import Worksheet

from reports.content import KpiRow, ReportContent
from reports.tables import DID_NOTE, did_outcome, has_control

SHEET = "Difference-in-differences"
HEAD = (
    "KPI", "Unit of the changes", "Changed group change", "Control group change", "Unit of the difference",
    "Difference", "CI low", "CI high", "Confidence", "Cases changed before", "Cases changed after",
    "Cases control before", "Cases control after", "Outcome", "Verdict", "p-value",
)  # fmt: skip
WIDTHS = (28, 26, 16, 16, 30, 14, 12, 12, 11, 12, 12, 12, 12, 22, 80, 10)
_HOURS = 3600e6


def did_sheet(wb: Any, head: Format, content: ReportContent) -> None:
    """Add the sheet when the report has a control group: one row per KPI with a DiD verdict.

    Relative KPIs: each group's change as a percentage, the difference and its interval in percentage
    points of change (-40% against -10% is -30 points). Shares: everything in percentage points. A KPI
    compared on its absolute scale: values in its unit (durations in hours).
    """
    if not has_control(content):
        return
    ws = wb.add_worksheet(SHEET)
    fmt = {
        "pct": wb.add_format({"num_format": "0.0%"}),
        "points": wb.add_format({"num_format": '0.0 "points"'}),
        "hours": wb.add_format({"num_format": '#,##0.00 "hours"'}),
        "eur": wb.add_format({"num_format": '#,##0.00 "EUR"'}),
        "num": wb.add_format({"num_format": "#,##0.00##"}),
        "int": wb.add_format({"num_format": "#,##0"}),
        "p": wb.add_format({"num_format": "0.000"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
    }
    for col, (name, width) in enumerate(zip(HEAD, WIDTHS, strict=True)):
        ws.write(0, col, name, head)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    rows = [k for k in content.kpis if k.did_verdict is not None]
    for row, k in enumerate(rows, start=1):
        _did_row(ws, row, k, fmt)
    ws.write_string(len(rows) + 2, 0, DID_NOTE)


def did_units(k: KpiRow) -> tuple[str, str, float, float]:
    """(unit of the changes, unit of the difference, factor of the changes, factor of the difference)."""
    d = k.did
    if d is None:
        return "", "", 1.0, 1.0
    if d.scale == "relative":
        return "relative change (%)", "percentage points of relative change", 1.0, 100.0
    if d.statistic == "share" or k.unit == "share":
        return "percentage points", "percentage points", 100.0, 100.0
    if k.unit == "duration":
        return "hours", "hours", 1 / _HOURS, 1 / _HOURS
    unit = {"money": "EUR", "per_period": "cases per period"}.get(k.unit, k.unit)
    return unit, unit, 1.0, 1.0


def _did_row(ws: Worksheet, row: int, k: KpiRow, fmt: dict[str, Format]) -> None:
    ws.write_string(row, 0, k.name)
    ws.write_string(row, 14, k.did_verdict or "", fmt["wrap"])
    d = k.did
    if d is None:
        return
    change_unit, diff_unit, change_factor, diff_factor = did_units(k)
    unit_fmt = {"hours": "hours", "EUR": "eur"}.get(change_unit, "num")
    change_fmt = fmt["pct" if d.scale == "relative" else "points" if diff_factor == 100.0 else unit_fmt]
    diff_fmt = fmt["points" if diff_factor == 100.0 else unit_fmt]
    ws.write_string(row, 1, change_unit)
    ws.write_string(row, 4, diff_unit)
    for col, value in ((2, d.treated_change), (3, d.control_change)):
        _number(ws, row, col, value * change_factor, change_fmt)
    for col, value in ((5, d.effect), (6, d.ci[0]), (7, d.ci[1])):
        _number(ws, row, col, value * diff_factor, diff_fmt)
    ws.write_number(row, 8, d.confidence, fmt["pct"])
    for col, n in enumerate(d.n, start=9):
        ws.write_number(row, col, n, fmt["int"])
    ws.write_string(row, 13, did_outcome(k))
    _number(ws, row, 15, d.p_value, fmt["p"])


def _number(ws: Worksheet, row: int, col: int, value: float, fmt: Format) -> None:
    """A number cell; an infinite or missing number is written as text."""
    if math.isfinite(value):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, "n/a")
