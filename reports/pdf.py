"""The report as a vector A4 PDF (fpdf2): the HTML report's sections, charts and maps embedded as vector SVG.

Text uses DejaVu Sans (Unicode) from the fonts matplotlib ships (installed with pm4py) when found, else the
core Helvetica with characters outside Latin-1 replaced. Tables repeat their header row on every page.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy
from fpdf.fonts import FontFace
from lxml import etree

from app_pages.compare_map import MAP_LEGEND
from reports.charts import ChartSpec, chart_specs
from reports.content import ReportContent
from reports.tables import (
    DID_NOTE,
    DID_TITLE,
    Table,
    cash_flow_table,
    did_table,
    has_control,
    kpi_table,
    provenance_table,
    scenario_table,
    tornado_table,
    trace_table,
)

FAMILY = "baton-sans"
SVG = "{http://www.w3.org/2000/svg}"
_LATIN1_SWAPS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'"})
_SVG_ERRORS = (ValueError, KeyError, TypeError, AttributeError, NotImplementedError, etree.XMLSyntaxError)


def dejavu_dir() -> Path | None:
    """matplotlib's bundled TrueType folder holding DejaVu Sans, without importing matplotlib; None if absent."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        folder = Path(base) / "mpl-data" / "fonts" / "ttf"
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            return folder
    return None


class _Report(FPDF):
    """A4 portrait with a footer: the report title and the page number."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = title
        fonts = dejavu_dir()
        self.unicode = fonts is not None
        if fonts is not None:
            self.add_font(FAMILY, "", str(fonts / "DejaVuSans.ttf"))
            self.add_font(FAMILY, "B", str(fonts / "DejaVuSans-Bold.ttf"))
            self.add_font(FAMILY, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self.family = FAMILY if self.unicode else "helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(title)
        self.set_creator("Baton")

    def text_of(self, text: str) -> str:
        """``text`` as the current font can draw it (Latin-1 only for the core font)."""
        if self.unicode:
            return text
        swapped = text.translate(_LATIN1_SWAPS).replace("\u20ac", "EUR")
        return swapped.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 7.5)
        self.set_text_color(100, 116, 139)
        self.cell(0, 5, self.text_of(self.report_title), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def render_pdf(content: ReportContent) -> bytes:
    """The whole report as PDF bytes: summary, KPIs (and DiD), warnings, maps, ROI with charts and trace, provenance."""
    pdf = _Report(content.title)
    pdf.add_page()
    charts = {c.key: c for c in chart_specs(content)}
    _title(pdf, content)
    _heading(pdf, "Executive summary")
    for paragraph in content.executive_summary:
        _paragraph(pdf, paragraph)
    _kpis(pdf, content, charts)
    _bullets(pdf, "Warnings", content.warnings)
    _maps(pdf, content)
    _roi(pdf, content, charts)
    _bullets(pdf, "Assumptions", content.assumptions)
    _heading(pdf, "Data provenance")
    _table(pdf, provenance_table(content), (17, 22, 34, 24, 24, 22, 22, 15), size=6.5)
    _paragraph(pdf, f"Generated {content.generated_at} by Baton {content.baton_version}.", size=8)
    return bytes(pdf.output())


def _title(pdf: _Report, content: ReportContent) -> None:
    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(0, 9, pdf.text_of(content.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 11)
    pdf.set_text_color(71, 85, 105)
    pdf.multi_cell(0, 6, pdf.text_of(content.subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _heading(pdf: _Report, text: str, size: float = 13, *, keep: float = 30) -> None:
    """A section heading, moved to the next page unless ``keep`` mm of what follows fit below it."""
    if pdf.get_y() + 12 + keep > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(pdf.family, "B", size)
    pdf.set_text_color(29, 78, 216)
    pdf.multi_cell(0, 7, pdf.text_of(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _paragraph(pdf: _Report, text: str, size: float = 10) -> None:
    pdf.set_font(pdf.family, "", size)
    pdf.multi_cell(0, size * 0.5, pdf.text_of(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _bullets(pdf: _Report, title: str, items: Sequence[str]) -> None:
    _heading(pdf, title)
    if not items:
        _paragraph(pdf, "None.")
    for item in items:
        _paragraph(pdf, "\u2022 " + item if pdf.unicode else "- " + item)


def _table(pdf: _Report, table: Table, widths: Sequence[float], *, size: float = 8) -> None:
    """A table whose header row repeats on every page it spans."""
    head, rows = table
    pdf.set_font(pdf.family, "", size)
    style = FontFace(emphasis="BOLD", fill_color=(226, 232, 240))
    with pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        text_align="LEFT",
        line_height=size * 0.48,
        headings_style=style,
        repeat_headings=1,
        padding=0.8,
    ) as t:
        for cells in (head, *rows):
            row = t.row()
            for cell in cells:
                row.cell(pdf.text_of(cell))
    pdf.ln(2)


def _kpis(pdf: _Report, content: ReportContent, charts: dict[str, ChartSpec]) -> None:
    _heading(pdf, "KPIs before and after")
    _table(pdf, kpi_table(content), (30, 17, 17, 18, 30, 15, 53), size=7.5)
    if "chart-kpis" in charts:
        _chart(pdf, charts["chart-kpis"])
    if has_control(content):
        _heading(pdf, DID_TITLE)
        _paragraph(pdf, DID_NOTE, size=9)
        _table(pdf, did_table(content), (30, 18, 18, 20, 28, 18, 48), size=7.5)
    _heading(pdf, "KPI definitions", size=11)
    for k in content.kpis:
        pdf.set_font(pdf.family, "B", 8.5)
        pdf.multi_cell(0, 4.2, pdf.text_of(k.name), new_x="LMARGIN", new_y="NEXT")
        _paragraph(pdf, k.definition, size=8.5)


def _roi(pdf: _Report, content: ReportContent, charts: dict[str, ChartSpec]) -> None:
    roi = content.roi
    if roi is None:
        return
    _heading(pdf, "Business case (ROI)")
    _paragraph(
        pdf,
        "Conservative uses each KPI change at its least favourable confidence bound, optimistic at the other "
        "bound. Cash flows fall at year ends; year 0 is the investment.",
        size=9,
    )
    _table(pdf, scenario_table(roi), (28, 28, 32, 32, 22, 38))
    _chart(pdf, charts["chart-scenarios"])
    _chart(pdf, charts["chart-cash-flow"], "Cash flow")
    _table(pdf, cash_flow_table(roi), (12, *([28] * 6)), size=7)
    _chart(pdf, charts["chart-tornado"], "Sensitivity (tornado)")
    _table(pdf, tornado_table(roi), (40, 30, 18, 18, 25, 25, 24), size=7)
    _heading(pdf, "How each figure was computed", size=11)
    _table(pdf, trace_table(roi), (45, 60, 22, 53), size=6.5)


def _maps(pdf: _Report, content: ReportContent) -> None:
    maps = [
        (label, svg)
        for label, svg in (("Before", content.map_before_svg), ("After", content.map_after_svg))
        if svg
    ]
    if maps:
        width = (pdf.epw - 6) / len(maps)
        sizes = [_fit(svg, width, 190) for _, svg in maps]
        height = max(h for _, h in sizes)
        _heading(pdf, "Process maps before and after", keep=height + 20)
        _paragraph(pdf, MAP_LEGEND, size=8)
        top = pdf.get_y() + 2
        for i, ((label, svg), (w, h)) in enumerate(zip(maps, sizes, strict=True)):
            x = pdf.l_margin + i * (width + 6)
            pdf.set_xy(x, top)
            pdf.set_font(pdf.family, "B", 9)
            pdf.cell(w, 5, label)
            embed_svg(pdf, svg, x, top + 6, w, h)
        pdf.set_xy(pdf.l_margin, top + height + 8)
    if content.model_svg:
        w, h = _fit(content.model_svg, pdf.epw, 200)
        _heading(pdf, "Target model", size=11, keep=h)
        top = pdf.get_y()
        embed_svg(pdf, content.model_svg, pdf.l_margin, top, w, h)
        pdf.set_xy(pdf.l_margin, top + h + 4)


def _chart(pdf: _Report, chart: ChartSpec, heading: str = "") -> None:
    """A chart drawn by vl-convert as SVG and embedded as vector graphics (with its heading on the same page)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.spec)
    w, h = _fit(svg, min(pdf.epw, 180), 150)
    if heading:
        _heading(pdf, heading, size=11, keep=h)
    elif pdf.get_y() + h > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    embed_svg(pdf, svg, pdf.l_margin + (pdf.epw - w) / 2, top, w, h)
    pdf.set_xy(pdf.l_margin, top + h + 3)


def _size(svg: str) -> tuple[float, float]:
    root = etree.fromstring(svg.encode("utf-8"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        return float(box[2]), float(box[3])
    return float(str(root.get("width", "400")).rstrip("px")), float(
        str(root.get("height", "300")).rstrip("px")
    )


def _fit(svg: str, max_w: float, max_h: float) -> tuple[float, float]:
    """Width and height (mm) of ``svg`` scaled to fit the box, never enlarged beyond 0.3 mm per SVG pixel."""
    w, h = _size(svg)
    scale = min(max_w / w, max_h / h, 0.3)
    return w * scale, h * scale


def pdf_ready_svg(svg: str, family: str, clean: Callable[[str], str] = str) -> bytes:
    """The SVG cleaned for fpdf2: empty paths dropped, line ends defaulted, text set in ``family``, ``clean``-ed."""
    root = etree.fromstring(svg.encode("utf-8"))
    for path in list(root.iter(f"{SVG}path")):
        parent = path.getparent()
        if not (path.get("d") or "").strip() and parent is not None:
            parent.remove(path)
    for line in root.iter(f"{SVG}line"):
        for attr in ("x1", "y1", "x2", "y2"):
            if line.get(attr) is None:
                line.set(attr, "0")
    root.attrib.pop("font-family", None)
    if root.get("stroke") is None:  # SVG's default; fpdf2 would otherwise stroke marks that set only a width
        root.set("stroke", "none")
    for title in list(root.iter(f"{SVG}title")):
        parent = title.getparent()
        if parent is not None:
            parent.remove(title)
    for el in root.iter(f"{SVG}text", f"{SVG}tspan", f"{SVG}g"):
        if el.tag != f"{SVG}g" or el.get("font-family"):
            el.set("font-family", family)
        if el.tag != f"{SVG}g" and el.text:
            el.text = clean(el.text)
    return bytes(etree.tostring(root))


def embed_svg(pdf: _Report, svg: str, x: float, y: float, w: float, h: float) -> None:
    """Draw ``svg`` as vector graphics at (x, y); an SVG fpdf2 cannot read is drawn as a 3x PNG instead."""
    try:
        data = pdf_ready_svg(svg, pdf.family, pdf.text_of)
        pdf.image(io.BytesIO(data), x=x, y=y, w=w, h=h, resource_access_policy=ResourceAccessPolicy.NONE)
    except _SVG_ERRORS:
        import vl_convert

        png = bytes(vl_convert.svg_to_png(svg, scale=3.0))
        pdf.image(io.BytesIO(png), x=x, y=y, w=w, h=h)
