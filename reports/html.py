"""The report as one self-contained HTML file: Vega bundle, chart data and maps inline, nothing loaded from a network."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html import escape

from app_pages.compare_map import MAP_LEGEND
from reports.charts import ChartSpec, chart_specs
from reports.content import ReportContent
from reports.tables import (
    DID_NOTE,
    DID_TITLE,
    Table,
    cash_flow_table,
    did_outcome,
    did_table,
    has_control,
    kpi_table,
    outcome,
    provenance_table,
    scenario_table,
    tornado_table,
    trace_table,
)

CSS = """
:root { --ink: #0f172a; --muted: #475569; --line: #cbd5e1; --accent: #1d4ed8; }
body { font-family: Helvetica, Arial, sans-serif; color: var(--ink); margin: 2rem auto; max-width: 1100px;
       padding: 0 1.5rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid var(--accent);
     padding-bottom: 0.2rem; margin-top: 2.2rem; } h3 { margin-top: 1.5rem; }
.subtitle, .meta, .definition { color: var(--muted); } .meta { font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f5f9; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.definition { display: block; font-size: 0.78rem; max-width: 22rem; }
.improved { color: #15803d; } .worsened { color: #b91c1c; } .none { color: #64748b; }
.warnings li { color: #92400e; }
.maps { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.maps figure { margin: 0; border: 1px solid var(--line); padding: 0.5rem; overflow: auto; }
.maps svg, .model svg { max-width: 100%; height: auto; }
.chart { margin: 1rem 0; min-height: 60px; }
.trace td:nth-child(2), .trace td:nth-child(4) { font-family: monospace; font-size: 0.78rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; } tr, figure, .chart { break-inside: avoid; }
  thead { display: table-header-group; } .maps { grid-template-columns: 1fr 1fr; }
}
"""
EMBED = """
for (const [id, spec] of Object.entries(JSON.parse(document.getElementById("chart-specs").textContent))) {
  vegaEmbed("#" + id, spec, {actions: false, renderer: "svg"}).catch((err) => console.error(id, err));
}
"""
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_NUMERIC = re.compile(r"^[+-]?(EUR |\d|-)[\d,.]*|^\d")


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (from vl-convert, offline), safe inside a <script> tag."""
    import vl_convert

    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub omits the default snippet
    return _SCRIPT_END.sub(r"<\\/\1", bundle)


def render_html(content: ReportContent) -> str:
    """The whole report as one HTML document that opens with no network (interactive charts, inline maps)."""
    charts = {c.key: c for c in chart_specs(content)}
    body = [
        _header(content),
        _summary(content),
        _kpis(content, charts),
        _did(content),
        _warnings(content),
        _maps(content),
        _roi(content, charts),
        _list_section("Assumptions", content.assumptions),
        _provenance(content),
    ]
    data = json.dumps({key: c.spec for key, c in charts.items()}).replace("<", "\\u003c")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(content.title)}</title><style>{CSS}</style></head><body>",
            *body,
            f'<script type="application/json" id="chart-specs">{data}</script>',
            f"<script>{vega_bundle()}</script>",
            f"<script>{EMBED}</script>",
            "</body></html>",
        ]
    )


def _header(content: ReportContent) -> str:
    return (
        f"<header><h1>{escape(content.title)}</h1><p class='subtitle'>{escape(content.subtitle)}</p>"
        f"<p class='meta'>Generated {escape(content.generated_at)} by Baton {escape(content.baton_version)}"
        "</p></header>"
    )


def _summary(content: ReportContent) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in content.executive_summary)
    return f"<section id='summary'><h2>Executive summary</h2>{paragraphs}</section>"


def table_html(table: Table, *, css_class: str = "") -> str:
    """A formatted table; cells that read as numbers or amounts are right-aligned."""
    head, rows = table
    cls = f" class='{css_class}'" if css_class else ""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    return f"<table{cls}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _cell(text: str) -> str:
    numeric = _NUMERIC.match(text) and len(text) < 24
    return f"<td class='num'>{escape(text)}</td>" if numeric else f"<td>{escape(text)}</td>"


def _chart(chart: ChartSpec | None) -> str:
    if chart is None:
        return ""
    return f"<figure><div class='chart' id='{chart.key}' role='img' aria-label='{escape(chart.title)}'></div></figure>"


def _kpis(content: ReportContent, charts: dict[str, ChartSpec]) -> str:
    head, cells = kpi_table(content)
    rows = []
    for k, row in zip(content.kpis, cells, strict=True):
        name = f"<abbr title='{escape(k.definition)}'>{escape(k.name)}</abbr>"
        name += f"<span class='definition'>{escape(k.definition)}</span>"
        if k.comparison is None:
            rows.append(f"<tr><td>{name}</td><td colspan='6' class='none'>{escape(row[-1])}</td></tr>")
            continue
        cls = {"improved": "improved", "worsened": "worsened"}.get(outcome(k), "none")
        nums = "".join(f"<td class='num'>{escape(n)}</td>" for n in row[1:-1])
        rows.append(f"<tr><td>{name}</td>{nums}<td class='{cls}'>{escape(row[-1])}</td></tr>")
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    table = f"<table class='kpis'><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return (
        "<section id='kpis'><h2>KPIs before and after</h2>"
        "<p class='meta'>Hover a KPI name for its definition. Intervals are seeded bootstrap confidence "
        "intervals of the change; a change is called only when the interval excludes zero.</p>"
        f"{table}{_chart(charts.get('chart-kpis'))}</section>"
    )


def _did(content: ReportContent) -> str:
    """The difference-in-differences table, only when the report has a control group."""
    if not has_control(content):
        return ""
    head, cells = did_table(content)
    shown = [k for k in content.kpis if k.did_verdict is not None]
    rows = []
    for k, row in zip(shown, cells, strict=True):
        cls = {"improved": "improved", "worsened": "worsened"}.get(did_outcome(k), "none")
        nums = "".join(_cell(n) for n in row[1:-1])
        rows.append(f"<tr><td>{escape(row[0])}</td>{nums}<td class='{cls}'>{escape(row[-1])}</td></tr>")
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    table = f"<table class='did'><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f"<section id='did'><h2>{escape(DID_TITLE)}</h2><p class='meta'>{escape(DID_NOTE)}</p>{table}</section>"


def _list_section(title: str, items: tuple[str, ...], css_class: str = "") -> str:
    slug = title.lower().replace(" ", "-")
    if not items:
        return f"<section id='{slug}'><h2>{escape(title)}</h2><p class='meta'>None.</p></section>"
    lis = "".join(f"<li>{escape(i)}</li>" for i in items)
    return f"<section id='{slug}'><h2>{escape(title)}</h2><ul class='{css_class}'>{lis}</ul></section>"


def _warnings(content: ReportContent) -> str:
    return _list_section("Warnings", content.warnings, "warnings")


def inline_svg(svg: str) -> str:
    """An SVG document made embeddable in HTML: XML declaration and doctype removed."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", svg)
    return re.sub(r"<!DOCTYPE[^>]*>", "", text, flags=re.IGNORECASE).strip()


def _maps(content: ReportContent) -> str:
    parts = []
    if content.map_before_svg or content.map_after_svg:
        figures = "".join(
            f"<figure><figcaption><strong>{label}</strong></figcaption>{inline_svg(svg)}</figure>"
            for label, svg in (("Before", content.map_before_svg), ("After", content.map_after_svg))
            if svg
        )
        parts.append(f"<p class='meta'>{escape(MAP_LEGEND)}</p><div class='maps'>{figures}</div>")
    if content.model_svg:
        parts.append(f"<h3>Target model</h3><figure class='model'>{inline_svg(content.model_svg)}</figure>")
    if not parts:
        return ""
    return f"<section id='maps'><h2>Process maps before and after</h2>{''.join(parts)}</section>"


def _roi(content: ReportContent, charts: dict[str, ChartSpec]) -> str:
    roi = content.roi
    if roi is None:
        return ""
    return (
        "<section id='roi'><h2>Business case (ROI)</h2>"
        "<p class='meta'>Conservative uses each KPI change at its least favourable confidence bound, optimistic "
        "at the other bound. Cash flows fall at year ends; year 0 is the investment.</p>"
        f"{table_html(scenario_table(roi))}{_chart(charts.get('chart-scenarios'))}"
        f"<h3>Cash flow</h3>{_chart(charts.get('chart-cash-flow'))}{table_html(cash_flow_table(roi))}"
        f"<h3>Sensitivity</h3>{_chart(charts.get('chart-tornado'))}{table_html(tornado_table(roi))}"
        "<h3>How each figure was computed</h3>"
        f"{table_html(trace_table(roi), css_class='trace')}</section>"
    )


def _provenance(content: ReportContent) -> str:
    return (
        "<section id='provenance'><h2>Data provenance</h2>"
        f"{table_html(provenance_table(content))}"
        f"<p class='meta'>Report generated {escape(content.generated_at)} by Baton "
        f"{escape(content.baton_version)}.</p></section>"
    )
