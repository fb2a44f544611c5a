"""The report as an Excel workbook (xlsxwriter): the ROI as live formulas on an Inputs sheet, each with its cached value.

Sheets: Inputs (values), KPIs, Difference-in-differences (values, only with a control group), Scenarios
(formulas referencing Inputs, cached values equal to the ``RoiEstimate``), Tornado, Provenance. A finance
reader can change an input and see every figure follow.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Format
from xlsxwriter.worksheet import Worksheet

from analytics.roi import RoiEstimate, Scenario
from analytics.roi_inputs import SCENARIOS, RoiInputs
from reports.content import ReportContent
from reports.excel_did import did_sheet

HOURS = 3600e6
SCEN_COLS = {"conservative": "B", "expected": "C", "optimistic": "D"}


@dataclass
class _Book:
    """The workbook, its formats and the Inputs cell of each named input."""

    wb: Any
    fmt: dict[str, Format]
    cells: dict[str, str] = field(default_factory=dict)


def render_xlsx(content: ReportContent) -> bytes:
    """The workbook as .xlsx bytes."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_urls": False})
    book = _Book(wb, _formats(wb))
    if content.roi is not None:
        _inputs_sheet(book, content.roi.inputs)
    _kpi_sheet(book, content)
    did_sheet(wb, book.fmt["head"], content)
    if content.roi is not None:
        _scenario_sheet(book, content.roi)
        _tornado_sheet(book, content.roi)
    _provenance_sheet(book, content)
    wb.close()
    return out.getvalue()


def _formats(wb: Any) -> dict[str, Format]:
    return {
        "head": wb.add_format({"bold": True, "bg_color": "#E2E8F0", "border": 1, "text_wrap": True}),
        "eur": wb.add_format({"num_format": '#,##0.00 "EUR"'}),
        "pct": wb.add_format({"num_format": "0.0%"}),
        "num": wb.add_format({"num_format": "#,##0.00##"}),
        "int": wb.add_format({"num_format": "#,##0"}),
        "hours": wb.add_format({"num_format": '#,##0.0 "hours"'}),
        "months": wb.add_format({"num_format": '0.0 "months"'}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "bold": wb.add_format({"bold": True}),
    }


def _header(ws: Worksheet, book: _Book, names: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for col, (name, width) in enumerate(zip(names, widths, strict=True)):
        ws.write(0, col, name, book.fmt["head"])
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)


def input_values(inputs: RoiInputs) -> list[tuple[str, float, str]]:
    """Every input of the business case as (name, value, format key), names as in ``RoiEstimate.trace()``."""
    rows: list[tuple[str, float, str]] = [("annual_volume", inputs.annual_volume, "int")]
    for role in inputs.roles:
        rows.append((f"roles[{role.role}].hourly_cost", role.hourly_cost, "eur"))
        rows += [
            (f"roles[{role.role}].minutes_change.{s}", role.minutes_change.value(s), "num") for s in SCENARIOS
        ]
    for key, unit in (("errors", "cost_per_error"), ("sla_breaches", "cost_per_breach")):
        rate = getattr(inputs, key)
        if rate is not None:
            rows += [(f"{key}.rate_change.{s}", rate.rate_change.value(s), "pct") for s in SCENARIOS]
            rows.append((f"{key}.{unit}", rate.cost_each, "eur"))
    rows += [
        ("investment", inputs.investment, "eur"),
        ("running_cost_per_year", inputs.running_cost_per_year, "eur"),
        ("horizon_years", float(inputs.horizon_years), "int"),
        ("discount_rate", inputs.discount_rate, "pct"),
    ]
    rows += [(f"adoption_ramp[{t}]", inputs.ramp_share(t), "pct") for t in range(1, inputs.horizon_years + 1)]
    return rows


def _inputs_sheet(book: _Book, inputs: RoiInputs) -> None:
    ws = book.wb.add_worksheet("Inputs")
    _header(ws, book, ("Input", "Value", "Note"), (42, 18, 60))
    notes = {"annual_volume": f"cases per year ({inputs.volume_source})", "discount_rate": "a year"}
    for i, (name, value, kind) in enumerate(input_values(inputs), start=1):
        ws.write_string(i, 0, name)
        ws.write_number(i, 1, value, book.fmt[kind])
        ws.write_string(
            i, 2, notes.get(name, "minutes per case, after - before" if "minutes" in name else "")
        )
        book.cells[name] = f"Inputs!$B${i + 1}"
    ws.write_string(len(book.cells) + 2, 0, f"Amounts in {inputs.currency}; KPI changes are after - before.")


def _kpi_sheet(book: _Book, content: ReportContent) -> None:
    ws = book.wb.add_worksheet("KPIs")
    names = ("KPI", "Unit", "Before", "After", "Change", "CI low", "CI high", "Change scale", "p-value")
    _header(ws, book, (*names, "Verdict", "Definition"), (28, 11, 14, 14, 12, 12, 12, 20, 10, 60, 70))
    for row, k in enumerate(content.kpis, start=1):
        ws.write_string(row, 0, k.name)
        ws.write_string(row, 1, k.unit)
        ws.write_string(row, 9, k.verdict, book.fmt["wrap"])
        ws.write_string(row, 10, k.definition, book.fmt["wrap"])
        c = k.comparison
        if c is None:
            continue
        value_fmt = {"duration": "hours", "share": "pct", "money": "eur"}.get(k.unit, "num")
        scale = 1 / HOURS if k.unit == "duration" else 1.0
        _number(ws, row, 2, c.before * scale, book.fmt[value_fmt])
        _number(ws, row, 3, c.after * scale, book.fmt[value_fmt])
        relative = c.scale == "relative"
        change_fmt = book.fmt["pct"] if relative or c.statistic == "share" else book.fmt[value_fmt]
        change_scale = 1.0 if relative else scale
        for col, value in ((4, c.estimate), (5, c.ci[0]), (6, c.ci[1])):
            _number(ws, row, col, value * change_scale, change_fmt)
        label = "relative" if relative else "percentage points" if c.statistic == "share" else "absolute"
        ws.write_string(row, 7, label)
        _number(ws, row, 8, c.p_value, book.fmt["num"])


def _number(ws: Worksheet, row: int, col: int, value: float, fmt: Format) -> None:
    """A number cell; an infinite or missing number is written as text."""
    if math.isfinite(value):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, "n/a")


def _scenario_sheet(book: _Book, roi: RoiEstimate) -> None:
    ws = book.wb.add_worksheet("Scenarios")
    _header(ws, book, ("Figure", *SCENARIOS, "Formula"), (44, 18, 18, 18, 80))
    rows = _scenario_rows(book, roi)
    for i, (label, kind, formula_text, per_scenario) in enumerate(rows, start=1):
        ws.write_string(i, 0, label)
        ws.write_string(i, 4, formula_text)
        for s in roi.scenarios:
            formula, cached = per_scenario[s.name]
            col = "BCD".index(SCEN_COLS[s.name]) + 1
            ws.write_formula(i, col, formula, book.fmt[kind], cached)


Row = tuple[str, str, str, dict[str, tuple[str, Any]]]


def _scenario_rows(book: _Book, roi: RoiEstimate) -> list[Row]:
    """Each Scenarios row: label, format, formula text and per scenario (Excel formula, cached value)."""
    per: dict[str, list[tuple[str, str, str, str, Any]]] = {}
    for s in roi.scenarios:
        per[s.name] = _scenario_column(book, roi.inputs, s, SCEN_COLS[s.name])
    rows: list[Row] = []
    for i, (label, kind, text, _, _) in enumerate(per["expected"]):
        rows.append((label, kind, text, {name: (cells[i][3], cells[i][4]) for name, cells in per.items()}))
    return rows


def _scenario_column(
    book: _Book, inputs: RoiInputs, s: Scenario, col: str
) -> list[tuple[str, str, str, str, Any]]:
    """One scenario's rows as (label, format, formula text, Excel formula, cached value); rows start at 2."""
    c, name = book.cells, s.name
    out: list[tuple[str, str, str, str, Any]] = []
    savings = {r.figure.removesuffix(f" ({name})"): r.value for r in s.rows}
    for role in inputs.roles:
        where = f"roles[{role.role}]"
        label = f"labour saving per case, {role.role}"
        formula = f"=-{c[f'{where}.minutes_change.{name}']}/60*{c[f'{where}.hourly_cost']}"
        out.append((label, "eur", "-minutes_change / 60 * hourly_cost", formula, savings[label]))
    for key, unit in (("errors", "cost_per_error"), ("sla_breaches", "cost_per_breach")):
        if getattr(inputs, key) is not None:
            label = f"{key.replace('_', ' ')} saving per case"
            formula = f"=-{c[f'{key}.rate_change.{name}']}*{c[f'{key}.{unit}']}"
            out.append((label, "eur", f"-rate_change * {unit}", formula, savings[label]))
    first, last = 2, len(out) + 1
    out.append(
        (
            "saving per case",
            "eur",
            "sum of the savings per case",
            f"=SUM({col}{first}:{col}{last})",
            s.saving_per_case,
        )
    )
    spc = len(out) + 1
    out.append(
        (
            "annual savings",
            "eur",
            "annual_volume * saving per case",
            f"={c['annual_volume']}*{col}{spc}",
            s.annual_savings,
        )
    )
    annual = len(out) + 1
    horizon = len(s.cash_flows) - 1
    cf0 = len(out) + 2
    out.append(("cash flow year 0", "eur", "-investment", f"=-{c['investment']}", s.cash_flows[0]))
    for t in range(1, horizon + 1):
        formula = f"={c[f'adoption_ramp[{t}]']}*{col}{annual}-{c['running_cost_per_year']}"
        out.append(
            (
                f"cash flow year {t}",
                "eur",
                "adoption_ramp[t] * annual savings - running_cost_per_year",
                formula,
                s.cash_flows[t],
            )
        )
    cum0 = len(out) + 2
    for t, value in enumerate(s.cumulative):
        formula = f"={col}{cf0}" if t == 0 else f"={col}{cum0 + t - 1}+{col}{cf0 + t}"
        out.append(
            (f"cumulative cash flow year {t}", "eur", "cumulative undiscounted cash flow", formula, value)
        )
    df0 = len(out) + 2
    rate = c["discount_rate"]
    for t in range(horizon + 1):
        out.append(
            (
                f"discount factor year {t}",
                "num",
                "1 / (1 + discount_rate)^t",
                f"=1/(1+{rate})^{t}",
                1 / (1 + inputs.discount_rate) ** t,
            )
        )
    cf, df = f"{col}{cf0}:{col}{cf0 + horizon}", f"{col}{df0}:{col}{df0 + horizon}"
    df1 = f"{col}{df0 + 1}:{col}{df0 + horizon}"
    ramp = f"{c['adoption_ramp[1]']}:{c[f'adoption_ramp[{horizon}]'].split('!')[1]}"
    out.append(("NPV", "eur", "sum_t CF_t * discount factor_t", f"=SUMPRODUCT({cf},{df})", s.npv))
    pvb = len(out) + 2
    out.append(
        (
            "PV benefits",
            "eur",
            "annual savings * sum_t adoption_ramp[t] * discount factor_t",
            f"={col}{annual}*SUMPRODUCT({ramp},{df1})",
            s.pv_benefits,
        )
    )
    out.append(
        (
            "PV costs",
            "eur",
            "investment + running_cost_per_year * sum_t discount factor_t",
            f"={c['investment']}+{c['running_cost_per_year']}*SUM({df1})",
            s.pv_costs,
        )
    )
    roi_f = f'=IF({col}{pvb + 1}>0,({col}{pvb}-{col}{pvb + 1})/{col}{pvb + 1},"n/a")'
    out.append(
        ("ROI", "pct", "(PV benefits - PV costs) / PV costs", roi_f, "n/a" if s.roi is None else s.roi)
    )
    out.append(("payback months", "months", "12 * (t - 1) + 12 * -cumulative_{t-1} / CF_t, first t with cumulative >= 0", _payback_formula(col, cf0, cum0, horizon), "never" if s.payback_months is None else s.payback_months))  # fmt: skip
    return out


def _payback_formula(col: str, cf0: int, cum0: int, horizon: int) -> str:
    """Nested IFs: 0 when year 0 is not negative, else linear within the first year the cumulative turns >= 0."""
    text = '"never"'
    for t in range(horizon, 0, -1):
        months = f"12*{t - 1}+12*-{col}{cum0 + t - 1}/{col}{cf0 + t}"
        text = f"IF({col}{cum0 + t}>=0,{months},{text})"
    return f"=IF({col}{cum0}>=0,0,{text})"


def _tornado_sheet(book: _Book, roi: RoiEstimate) -> None:
    ws = book.wb.add_worksheet("Tornado")
    names = (
        "Input",
        "Range",
        "Low value",
        "High value",
        "Expected NPV at low",
        "Expected NPV at high",
        "Swing",
    )
    _header(ws, book, names, (34, 36, 14, 14, 20, 20, 18))
    for row, b in enumerate(roi.tornado, start=1):
        ws.write_string(row, 0, b.input)
        ws.write_string(row, 1, b.range)
        ws.write_number(row, 2, b.low_value, book.fmt["num"])
        ws.write_number(row, 3, b.high_value, book.fmt["num"])
        ws.write_number(row, 4, b.npv_low, book.fmt["eur"])
        ws.write_number(row, 5, b.npv_high, book.fmt["eur"])
        ws.write_formula(row, 6, f"=ABS(F{row + 1}-E{row + 1})", book.fmt["eur"], b.swing)


def _timestamp(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is None else stamp.astimezone(UTC).replace(tzinfo=None)


def _provenance_sheet(book: _Book, content: ReportContent) -> None:
    ws = book.wb.add_worksheet("Provenance")
    names = ("Role", "Log", "Source", "Checksum", "Filters", "First timestamp (UTC)", "Last timestamp (UTC)")
    _header(ws, book, (*names, "Cases"), (16, 22, 40, 30, 40, 22, 22, 10))
    for row, s in enumerate(content.sources, start=1):
        for col, text in enumerate((s.role, s.log, s.source, s.checksum, s.filters)):
            ws.write_string(row, col, text)
        for col, text in ((5, s.first_timestamp), (6, s.last_timestamp)):
            stamp = _timestamp(text)
            if stamp is None:
                ws.write_string(row, col, text)
            else:
                ws.write_datetime(row, col, stamp, book.fmt["date"])
        ws.write_number(row, 7, s.cases, book.fmt["int"])
    row = len(content.sources) + 2
    for label, text in (("Report", content.title), ("Generated (UTC)", content.generated_at)):
        ws.write_string(row, 0, label, book.fmt["bold"])
        ws.write_string(row, 1, text)
        row += 1
    ws.write_string(row, 0, "Baton version", book.fmt["bold"])
    ws.write_string(row, 1, content.baton_version)
    for title, items in (("Warnings", content.warnings), ("Assumptions", content.assumptions)):
        row += 2
        ws.write_string(row, 0, title, book.fmt["bold"])
        for item in items:
            row += 1
            ws.write_string(row, 1, item)
