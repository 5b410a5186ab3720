"""The leadership-camp report as PDF: the deck's pages as HTML, printed by WeasyPrint.

A4 landscape, one page per slide of the deck (the same :func:`~stratmap.reports.content.pages`),
the strategy maps as the diagram module's SVG and the KPI histories as small SVG line
charts, both embedded as images. Text is set in :data:`stratmap.text.FONT` (Noto Sans CJK TC,
Debian's ``fonts-noto-cjk``), so Chinese renders with Traditional Chinese glyphs.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import translation

from stratmap.access import Access
from stratmap.core.years import Period
from stratmap.kpis.selectors import YearPoint
from stratmap.reports import content as c
from stratmap.strategy import diagram
from stratmap.text import FONT

CHART_W, CHART_H = 360, 250


def svg_image(svg: str) -> str:
    """An SVG document as a ``data:`` URL for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _ticks(low: float, high: float) -> list[float]:
    """About five round values covering low…high."""
    if high == low:
        high, low = high + 1, low - 1
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = (low // step) * step
    # Up to the first tick at or above ``high``: the largest value is never drawn above the axis.
    ticks = [round(start, 10)]
    while ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def history_svg(history: list[YearPoint], year_text: Callable[[int], str] = c.roc) -> str:
    """Targets (blue line) and actuals (red points) across the years, labelled in Chinese, each year as
    ``year_text`` writes it (the report's :meth:`~c.ReportContent.year_text`; Taipei's 「108年」 by default)."""
    values = [float(v) for p in history for v in (p.target, p.actual) if isinstance(v, Decimal | int | float)]
    # The axis always takes in zero, so that a small change looks small.
    ticks = _ticks(min(0, *values), max(0, *values)) if values else [0, 1]
    left, right, top, bottom = 52, CHART_W - 12, 30, CHART_H - 50
    low, high = ticks[0], ticks[-1]

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / len(history)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / ((high - low) or 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" font-family="{FONT}" font-size="11">',
        f'<text x="{CHART_W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">'
        "歷年目標值與實際值</text>",
    ]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#d9d9d9"/>')
        out.append(f'<text x="{left - 4}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i, p in enumerate(history):
        out.append(f'<text x="{x(i):.1f}" y="{bottom + 16}" text-anchor="middle">{year_text(p.year)}</text>')
    for series, colour, line in (("target", "#2f5597", True), ("actual", "#c00000", False)):
        points = [(x(i), y(float(v))) for i, p in enumerate(history) if (v := getattr(p, series)) is not None]
        if line and len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>' for px, py in points]
    legend_y = CHART_H - 14
    for k, (label, colour) in enumerate((("目標值", "#2f5597"), ("實際值", "#c00000"))):
        lx = CHART_W / 2 - 70 + k * 80
        out.append(f'<circle cx="{lx}" cy="{legend_y - 4}" r="4" fill="{colour}"/>')
        out.append(f'<text x="{lx + 8}" y="{legend_y}">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _page_context(content: c.ReportContent, page: c.ReportPage) -> dict[str, object]:
    """What the template needs beyond the page itself: pictures and the rows worked out in Python."""
    widths = c.widths(content, page.kind)
    extra: dict[str, object] = {
        "cols": [f"{100 * w / sum(widths):.2f}%" for w in widths],
        "headers": c.headers(content, page.kind),
    }
    match page:
        case c.MapPage(spec=spec):
            extra["image"] = svg_image(diagram.render_svg(spec))
        case c.KpiPage(row=row):
            history = content.histories.get(row.kpi.pk, [])
            extra.update(
                values=c.figures(row, content.assessed),
                colour=row.score.light.colour,
                notes=c.kpi_notes(row),
                narratives=c.narratives(row, content.assessed),
                chart=svg_image(history_svg(history, content.year_text)) if len(history) > 1 else "",
                periods=c.period_table(content, row),
            )
        case c.MissedPage(row=row):
            said = c.explanation(row)
            extra.update(
                line=c.missed_line(row),
                analysis=said.situation_analysis if said else "",
                measures=said.countermeasures if said else "",
            )
        case c.ScorecardPage(rows=rows):
            extra["rows"] = [(row, c.figures(row, content.assessed)) for row in rows]
        case c.ObjectivePage(planned=planned):
            assert content.next is not None  # objective pages are part 2's, which exists only with a next year
            extra.update(rows=c.target_rows(planned, content.next.years), columns=c.objective_columns(planned))
        case c.LinkagePage(linkage=linkage):
            extra["perspectives"] = [
                (p, [(linked, [(row, c.light_text(row.score.light)) for row in linked.rows]) for linked in objectives])
                for p, objectives in linkage.perspectives
            ]
            extra["no_perspective"] = c.NO_PERSPECTIVE
        case _:
            pass  # the other pages show their own fields, as the template reads them
    return extra


def report_html(content: c.ReportContent) -> str:
    """The report as one HTML document, a ``<section>`` per page."""
    with translation.override("zh-hant"):
        return render_to_string(
            "reports/report.html",
            {
                "content": content,
                "pages": [(page, _page_context(content, page)) for page in c.pages(content)],
                "count_note": c.COUNT_NOTE,
                "font": FONT,
                "no_months": c.NO_MONTHS,
                "year": content.year_label,
            },
        )


def pdf_document(content: c.ReportContent):
    """The report laid out by WeasyPrint (a ``weasyprint.Document``: ``.pages``, ``.write_pdf()``)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    return HTML(string=report_html(content)).render()


def render_pdf(content: c.ReportContent) -> bytes:
    return pdf_document(content).write_pdf()


def build_pdf(
    organization: str, year: int, theme: str | None = None, *, access: Access, period: Period | None = None
) -> bytes:
    """The PDF report of ``organization``'s ``year`` (AD), of one theme or of the whole map, as ``access`` reads
    it; with ``period``, of the year to date at its end."""
    return render_pdf(c.report_content(organization, year, theme, access=access, period=period))


def write_pdf(
    organization: str, year: int, theme: str | None, path: str | Path, *, access: Access, period: Period | None = None
) -> Path:
    path = Path(path)
    path.write_bytes(build_pdf(organization, year, theme, access=access, period=period))
    return path
