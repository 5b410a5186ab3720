"""The leadership-camp report as PDF: the deck's pages as HTML, printed by WeasyPrint.

A4 landscape, one page per slide of the deck (the same :func:`~stratmap.reports.content.pages`),
the strategy maps as the diagram module's SVG and the KPI histories as small SVG line
charts, both embedded as images. Text is set in :data:`stratmap.text.FONT` (Noto Sans CJK TC,
Debian's ``fonts-noto-cjk``), so Chinese renders with Traditional Chinese glyphs.

WeasyPrint's cost grows with the elements it is given: each gets a computed style (and one per
pseudo-element its own style sheet names), a box and a layout. So the template keeps them few: styles are
classes said once in the document's style sheet, never a ``style=`` attribute per cell (a light's colour is
a class per level of the map's light set, :class:`LightClasses`; a column's width a class on its header
cell, :func:`column_widths`, rather than a ``<col>`` element more per column), and the boxes side by side
are tables rather than flexible boxes, which WeasyPrint lays out several times over. The pages are laid out
in batches of :data:`BATCH_PAGES`, each its own HTML document laid out with one font configuration, and each
batch is painted into the one PDF as soon as laid out, then freed (:func:`_paint_as_laid_out`): a whole map's
cascade and boxes are never in memory at once. Python's cycle collector runs rarely meanwhile
(:func:`stratmap.reports.content.rare_collections`): of the three, what saves the most time. A long report's
batches are shared out between processes (:func:`report_processes`, two on two cores), each painting its own into
a PDF of its own, then merged into one file (:class:`_Share`, :class:`_Merged`): laying out is WeasyPrint's, on
one core, and most of the time.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import gc
import hashlib
import io
import itertools
import math
import multiprocessing
import os
import re
import signal
import threading
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.db import connections
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image

from stratmap.access import Access
from stratmap.core.years import Period
from stratmap.kpis.scoring.lights import Level
from stratmap.kpis.selectors import ScoredKpi, YearPoint
from stratmap.reports import content as c
from stratmap.strategy import diagram
from stratmap.text import FONT, text_width

#: The chart's plot in its own units (the SVG's): the values' labels left of ``left``, the years (the page's
#: text) under it; report.html places the years on the plot's width with the same figures.
CHART_W, CHART_H = 360, 186
PLOT = (52, CHART_W - 12, 8, CHART_H - 8)  # left, right, top, bottom
TARGET_COLOUR, ACTUAL_COLOUR = "#2f5597", "#c00000"
#: A chart's width (mm) and its words' size (pt) where a page puts it (report.html's rules are made from these):
#: on a KPI's page beside its texts, alone there, in half a page (a pair of KPIs) beside its texts, alone there.
CHART_PLACES: dict[tuple[bool, bool], tuple[float, float]] = {
    (False, False): (92, 8),
    (False, True): (150, 8),
    (True, False): (62, 7.5),
    (True, True): (110, 7.5),
}
MM_PER_PT = 25.4 / 72
#: Pages laid out in one WeasyPrint document: its cascade and layout hold one batch's elements at a time,
#: and a batch is large enough that what each costs once (the style sheet, the document) does not count. Small
#: enough that the batches shared out between two processes (every other one) take them about as long: a city's
#: report in 13.2 s at 20 pages a batch, 14.4 s at 40 (medians of 5 runs); in one process 20.9 s and 20.4 s.
BATCH_PAGES = 20


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


@dataclass(frozen=True)
class Chart:
    """A KPI's targets and actuals over the years: the plot as an SVG ``data:`` URL, and its words (title,
    the years under the plot, the legend) as the page's own text. WeasyPrint lays an SVG's text out letter by
    letter, a line of the page's text at once: the words cost a tenth as much, and are text a reader can
    select and a screen reader can read."""

    image: str
    #: Each year's label, under its point; "" for a year not named (:func:`year_labels`).
    years: list[str]
    title: str
    target: str
    actual: str

    @property
    def named_years(self) -> list[str]:
        """The years named under the plot, each a cell of the row :attr:`years_row` places."""
        return [year for year in self.years if year]

    @property
    def years_row(self) -> tuple[str, str]:
        """(class, style) of the row of named years under the image: each named year in a cell as wide as the
        step from one to the next, centred on its point (fractions of the chart's width). Only the named years
        are cells: a dozen years in half a page, four of them named, are four cells, not twelve; and a year wider
        than its part of the plot is still centred on its point, where in a cell of its own part it ran past it
        to the right. The same for every chart of as many years named as often: a class of the style sheet."""
        named = [i for i, year in enumerate(self.years) if year]
        step = named[1] - named[0] if len(named) > 1 else 1
        part = (PLOT[1] - PLOT[0]) / CHART_W / len(self.years)
        left = PLOT[0] / CHART_W + (named[0] + 0.5 - step / 2) * part
        return (
            f"yr-{len(self.years)}-{step}",
            f"margin-left: {100 * left:.3f}%; width: {100 * len(named) * step * part:.3f}%;",
        )


def history_svg(history: list[YearPoint]) -> str:
    """Targets (blue line) and actuals (red points) across the years, the values' axis labelled; the years
    are the :class:`Chart`'s, under it, one in each equal part of the plot's width (:data:`PLOT`)."""
    values = [float(v) for p in history for v in (p.target, p.actual) if isinstance(v, Decimal | int | float)]
    # The axis always takes in zero, so that a small change looks small.
    ticks = _ticks(min(0, *values), max(0, *values)) if values else [0, 1]
    left, right, top, bottom = PLOT
    low, high = ticks[0], ticks[-1]

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / len(history)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / ((high - low) or 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" font-family="{FONT}" font-size="11">',
    ]
    # The lines across the plot one path: each SVG element is a drawing of its own for WeasyPrint.
    out.append(f'<path d="{"".join(f"M{left},{y(t):.1f}H{right}" for t in ticks)}" stroke="#d9d9d9"/>')
    for t in ticks:
        out.append(f'<text x="{left - 4}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for series, colour, line in (("target", TARGET_COLOUR, True), ("actual", ACTUAL_COLOUR, False)):
        points = [(x(i), y(float(v))) for i, p in enumerate(history) if (v := getattr(p, series)) is not None]
        if line and len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if points:
            # Every point of the series one path of zero-length strokes with round ends, each painted as a
            # dot 7 wide (the PDF specification's own rule for such a stroke): an SVG element is a drawing
            # of its own for WeasyPrint, and 24 circles a chart cost a city's report half a second.
            dots = "".join(f"M{px:.1f},{py:.1f}h0" for px, py in points)
            out.append(f'<path d="{dots}" stroke="{colour}" stroke-width="7" stroke-linecap="round"/>')
    out.append("</svg>")
    return "".join(out)


def year_labels(years: list[str], width: float, size: float) -> list[str]:
    """The years under a chart ``width`` mm wide, its words ``size`` pt: each in its part of the plot's width,
    or, when they would run into each other (a dozen years in half a page), every second or third, counted back
    from the last (the report's own year is always named); the others blank."""
    part = width * (PLOT[1] - PLOT[0]) / CHART_W / len(years)
    widest = (max(text_width(year, size) for year in years) + size) * MM_PER_PT  # a space of a letter between two
    every = max(1, math.ceil(widest / part))
    return [year if (len(years) - 1 - i) % every == 0 else "" for i, year in enumerate(years)]


def history_chart(
    history: list[YearPoint], year_text: Callable[[int], str] = c.roc, *, pair: bool = False, alone: bool = False
) -> Chart:
    """The chart of ``history``, each year as ``year_text`` writes it (the report's
    :meth:`~c.ReportContent.year_text`; Taipei's 「108年」 by default), its words in the report's language
    (drawn while it renders: report_html); its years as many as fit where it is put (:data:`CHART_PLACES`)."""
    return Chart(
        image=svg_image(history_svg(history)),
        years=year_labels([year_text(p.year) for p in history], *CHART_PLACES[pair, alone]),
        title=c.t("Targets and actuals over the years"),
        target=c.t("Target"),
        actual=c.t("Actual"),
    )


class LightClasses:
    """A CSS class per light level (``lv-good``), its colour said once in the document's style sheet."""

    def __init__(self, levels: Iterable[Level] = ()) -> None:
        self._names: dict[Level, str] = {}
        for level in levels:
            self.of(level)

    def of(self, level: Level) -> str:
        """The class of ``level``; a level met for the first time gets one (the sheet is written after the
        pages' contexts, so it has every class they use)."""
        name = self._names.get(level)
        if name is None:
            # A key is any text a light set gives; only a plain one is a class name as it is.
            name = f"lv-{level.key}" if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", level.key) else ""
            if not name or name in self._names.values():
                name = f"lvn-{len(self._names)}"
            self._names[level] = name
        return name

    def rules(self) -> list[tuple[str, str]]:
        """(class, colour) of every level met so far."""
        return [(name, level.colour) for level, name in self._names.items()]


def _column_classes(kind: str, widths: list[float]) -> list[str]:
    """The width class of each column of a table of ``kind``; "" for the columns as wide as the last, which
    share what the others leave equally (as a fixed table does with columns of no width): the grid's twelve
    months need no class."""
    return ["" if w == widths[-1] else f"w-{kind}-{i}" for i, w in enumerate(widths)]


def column_widths(content: c.ReportContent) -> list[tuple[str, str]]:
    """(class, width) of the columns of each kind of table that have a class, as :func:`~c.widths` gives
    them for ``content``."""
    out = []
    for kind in c.WIDTHS:
        widths = c.widths(content, kind)
        classes = _column_classes(kind, widths)
        out += [(name, f"{100 * w / sum(widths):.2f}%") for name, w in zip(classes, widths, strict=True) if name]
    return out


#: The width of the page's text, in CSS pixels (A4 landscape, 10 mm margins as the template's ``@page`` says):
#: a table's width, from which :func:`grid_lines` places the month grid's lines.
TEXT_WIDTH = (297 - 2 * 10) / 25.4 * 96
#: The lines of the report's tables (0.6 pt): the cells stand this far apart on the table's background.
RULE = 0.6 * 96 / 72


#: Pixels of the month grid's line image per CSS pixel of the row: its 0.6 pt lines are 6 pixels wide.
GRID_SCALE = 8


def _month_geometry() -> tuple[float, float]:
    """(first column, one month) of the month grid's table in CSS pixels: the columns' share of the page's
    width (:data:`c.WIDTHS`) less the spacing between the cells."""
    widths = c.WIDTHS["grid"]
    columns = len(widths)
    first = TEXT_WIDTH * widths[0] / sum(widths)
    return first, (TEXT_WIDTH - (columns + 1) * RULE - first) / (columns - 1)


def _ruled(width: float, lefts: Iterable[float], background: tuple[int, int, int, int]) -> str:
    """A PNG one pixel high (a ``data:`` URL) of ``width`` CSS pixels of ``background``, with a rule of the
    grid's (:data:`RULE` wide) at each of ``lefts``; drawn :data:`GRID_SCALE` times finer, stretched where used."""
    image = Image.new("RGBA", (round(width * GRID_SCALE), 1), background)
    for left in lefts:
        x = round(left * GRID_SCALE)
        image.paste(GRID_RULE, (x, 0, x + round(RULE * GRID_SCALE), 1))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@functools.cache
def grid_lines() -> str:
    """The month grid's vertical lines as an image for its rows' background (a ``data:`` URL): where a row's
    unmarked months are one cell (:func:`_month_runs`), the lines between them are drawn by the row behind
    it, where the cells' own would be. The row spans the table less the spacing on either side.

    A PNG one pixel high, stretched to each row: a raster image is written into the PDF once and each row
    shows it again, where an SVG is drawn again for every row (a whole city's deck has over a thousand)."""
    first, month = _month_geometry()
    lefts = (first + k * (month + RULE) for k in range(len(c.WIDTHS["grid"]) - 1))
    return _ruled(TEXT_WIDTH - 2 * RULE, lefts, (0, 0, 0, 0))  # the row's own colour between the lines


#: The colours of the month grid's lines and of its marked months (report.html's table background and .mark).
GRID_RULE, GRID_MARK = (0xB4, 0xC6, 0xE7, 0xFF), (0xDE, 0xEB, 0xF7, 0xFF)
#: The marks' size: report.html's ``.small td``, 9 pt in CSS pixels.
MARK_SIZE = 9 * 96 / 72


@functools.cache
def marked_months(months: int) -> str:
    """The style of a cell across ``months`` marked months side by side (:func:`_month_runs`): each month's
    colour and the lines between them as its background (a PNG one pixel high, stretched to the cell), and
    its marks, one ■ a month, each in the middle of its month: the letters as far apart as the months are.
    One cell, one line of text, where each month was a cell and a line of its own (a city's grids: 4,000)."""
    _first, month = _month_geometry()
    lines = _ruled(
        months * month + (months - 1) * RULE, (k * month + (k - 1) * RULE for k in range(1, months)), GRID_MARK
    )
    mark = text_width(MARK, MARK_SIZE)
    return (
        f"background: url({lines}) no-repeat 0 0 / 100% 100%; padding-left: {(month - mark) / 2:.3f}px; "
        f"padding-right: 0; letter-spacing: {month + RULE - mark:.3f}px; text-align: left; white-space: nowrap;"
    )


#: A marked month's sign, as the documents' grids have it.
MARK = "■"


def _month_runs(marks: list[bool]) -> list[tuple[bool, int]]:
    """(marked, months) of a grid row: the months side by side that are all marked or all unmarked together,
    one cell across them (the unmarked ones' lines drawn by the row's background, the marked ones' by their
    own: :func:`marked_months`)."""
    runs: list[tuple[bool, int]] = []
    for marked in marks:
        if runs and runs[-1][0] == marked:
            runs[-1] = (marked, runs[-1][1] + 1)
        else:
            runs.append((marked, 1))
    return runs


def _page_context(
    content: c.ReportContent, page: c.ReportPage, lights: LightClasses, *, pair: bool = False
) -> dict[str, object]:
    """What the template needs beyond the page itself: pictures and the rows worked out in Python; ``pair``:
    a KPI's page as half of a pair's."""
    classes = _column_classes(page.kind, c.widths(content, page.kind))
    extra: dict[str, object] = {
        # The header cells carry the widths (a fixed table takes them from its first row): a <col> per column
        # is an element more per column for WeasyPrint to style and box.
        "headers": list(itertools.zip_longest(c.headers(content, page.kind), classes, fillvalue="")),
    }
    match page:
        case c.MapPage(spec=spec):
            extra["image"] = svg_image(diagram.render_svg(spec))
        case c.KpiPage(row=row):
            history = content.histories.get(row.kpi.pk, [])
            narratives = c.narratives(row, content.assessed)
            extra.update(
                values=c.figures(row, content.assessed),
                light=lights.of(row.score.light),
                notes=c.kpi_notes(row),
                narratives=narratives,
                chart=(
                    history_chart(history, content.year_text, pair=pair, alone=not narratives)
                    if len(history) > 1
                    else None
                ),
                periods=c.period_table(content, row),
            )
        case c.KpiPairPage(kpis=halves):  # each as its own page, one above the other
            extra["kpis"] = [(kpi, _page_context(content, kpi, lights, pair=True)) for kpi in halves]
        case c.MissedPage(row=row):
            said = c.explanation(row)
            extra.update(
                line=c.missed_line(row),
                analysis=said.situation_analysis if said else "",
                measures=said.countermeasures if said else "",
            )
        case c.ScorecardPage(rows=rows):
            extra["rows"] = [(row, c.figures(row, content.assessed), lights.of(row.score.light)) for row in rows]
        case c.ObjectivePage(planned=planned):
            assert content.next is not None  # objective pages are part 2's, which exists only with a next year
            extra.update(rows=c.target_rows(planned, content.next.years), columns=c.objective_columns(planned))
        case c.LinkagePage(linkage=linkage):

            def kpis(linked: c.LinkedObjective) -> list[tuple[ScoredKpi, str, str]]:
                return [(row, c.light_text(row.score.light), lights.of(row.score.light)) for row in linked.rows]

            extra["perspectives"] = [
                (p, [(linked, kpis(linked)) for linked in objectives]) for p, objectives in linkage.perspectives
            ]
            extra["no_perspective"] = c.NO_PERSPECTIVE
        case c.GridPage(lines=lines):
            extra["lines"] = [
                (
                    line,
                    [(marked, months, MARK * months if marked else "") for marked, months in _month_runs(line.marks())],
                )
                for line in lines
            ]
        case _:
            pass  # the other pages show their own fields, as the template reads them
    return extra


def _charts(extra: dict[str, object]) -> Iterator[Chart]:
    """The charts of a page's context (:func:`_page_context`): a KPI's, or each of a pair's."""
    if isinstance(chart := extra.get("chart"), Chart):
        yield chart
    halves = extra.get("kpis", [])
    assert isinstance(halves, list)
    for _kpi, half in halves:
        yield from _charts(half)


def report_html(
    content: c.ReportContent, pages: list[c.ReportPage] | None = None, lights: LightClasses | None = None
) -> str:
    """The report as one HTML document, a ``<section>`` per page; of ``pages`` only (a batch) when given."""
    if pages is None:
        pages = c.pages(content)
    if lights is None:
        lights = LightClasses(content.card.policy.lights)
    with translation.override(content.language):
        contexts = [(page, _page_context(content, page, lights)) for page in pages]
        return render_to_string(
            "reports/report.html",
            {
                "content": content,
                "pages": contexts,
                "lights": lights.rules(),
                "widths": column_widths(content),
                "count_note": c.COUNT_NOTE,
                "font": FONT,
                "grid_lines": grid_lines(),
                "marked_months": [(months, marked_months(months)) for months in range(1, 13)],
                "year_rows": sorted({chart.years_row for _page, extra in contexts for chart in _charts(extra)}),
                "chart_places": [
                    (".kpi-pair " * pair + ".alone " * alone + ".chart", width, size)
                    for (pair, alone), (width, size) in CHART_PLACES.items()
                ],
                "target_colour": TARGET_COLOUR,
                "actual_colour": ACTUAL_COLOUR,
                "no_months": c.NO_MONTHS,
                "year": content.year_label,
            },
        )


#: Rules of WeasyPrint's user-agent sheet for pseudo-elements of *every* element (``::footnote-call``,
#: ``::note-marker`` …, and ``::marker``, which only a list item shows): each gives every element a computed
#: style more, six in all, for footnotes and notes the report never has. Dropped, and ``::marker`` kept for
#: ``li``, they cut the cascade's styles by seven (285,000 → 41,000 for a city) and its time by half.
_EVERY_ELEMENTS_PSEUDO = re.compile(r"^::(?:footnote|note)-[^\n]*\n", re.MULTILINE)
#: The sheet's rules for the sixteen boxes in a page's margins (``@top-left``: how their text is aligned): the
#: report puts nothing in its margins, and with a rule WeasyPrint works out each box's style on every page, with
#: none it takes the page's: about 5 % of the report's layout.
_MARGIN_BOXES = re.compile(r"^ *@(?:top|bottom|left|right)-[a-z-]+ *\{[^}\n]*\}\n", re.MULTILINE)


@functools.cache
def _report_html_class() -> type:
    """WeasyPrint's ``HTML`` with its user-agent sheet less the rules the report does not need
    (:data:`_EVERY_ELEMENTS_PSEUDO`, :data:`_MARGIN_BOXES`); WeasyPrint's own class if its sheet is not where it
    was."""
    from importlib.resources import files

    import cssselect2  # type: ignore[import-untyped]
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    try:
        sheet = (files("weasyprint") / "css" / "html5_ua.css").read_text(encoding="utf-8")
    except OSError:
        return HTML
    trimmed = CSS(
        string=_MARGIN_BOXES.sub("", _EVERY_ELEMENTS_PSEUDO.sub("", sheet)).replace("\n::marker {", "\nli::marker {"),
        # Its @counter-style rules go to a set of their own, as WeasyPrint's own sheet's did: the documents
        # take their counter styles from WeasyPrint's.
        counter_style=CounterStyle(),
    )

    class ReportHTML(HTML):
        def __init__(self, *, string: str) -> None:
            # The report's own HTML is well-formed XML (report.html closes its empty elements; people's text
            # in it is escaped, so no element or entity of theirs), read by expat in a quarter of the time
            # WeasyPrint's HTML parser (pure Python) takes, to the same pages (a city's report compared pixel
            # for pixel); WeasyPrint's own parser reads it if ever it is not.
            try:
                root = ElementTree.fromstring(string)
            except ElementTree.ParseError:
                super().__init__(string=string)
                return
            self.base_url, self.url_fetcher, self.media_type = None, URLFetcher(), "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms: bool = False) -> list[object]:
            return [trimmed]

    return ReportHTML


def pdf_document(content: c.ReportContent, *, progress: c.Progress | None = None, batch_pages: int = BATCH_PAGES):
    """The report laid out by WeasyPrint (a ``weasyprint.Document``: ``.pages``, ``.write_pdf()``), in batches
    of ``batch_pages``; ``progress(done, total)`` is told of the pages laid out as it begins and after each
    batch (so, with ``done == total``, when only writing the file is left)."""
    # Imported here: it loads Pango, which only the PDF needs.
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]  # only "weasyprint" is listed untyped

    HTML = _report_html_class()
    pages = c.pages(content)
    lights = LightClasses(content.card.policy.lights)
    # One font configuration for every batch: the combined document embeds each font once, and a
    # configuration's fonts go with it.
    fonts = FontConfiguration()
    first = None
    laid_out = []
    if progress is not None:
        progress(0, len(pages))
    with c.rare_collections():
        for start in range(0, len(pages), batch_pages):
            batch = pages[start : start + batch_pages]
            document = HTML(string=report_html(content, batch, lights)).render(font_config=fonts)
            laid_out += document.pages  # the pages only: the document holds its parsed HTML too
            first = first or document.copy([])
            if progress is not None:
                progress(start + len(batch), len(pages))
    assert first is not None, "a report has at least a cover"
    return first.copy(laid_out)


class _Painted:
    """What writing needs of a page once painted (a ``weasyprint.Page``'s size, links, anchors and bookmarks):
    not its boxes."""

    def __init__(self, page) -> None:
        self.width, self.height, self.bleed = page.width, page.height, page.bleed
        self.links, self.anchors, self.bookmarks, self.forms = page.links, page.anchors, page.bookmarks, page.forms


class _PaintedOnce(_Painted):
    """A laid-out page (``weasyprint.Page``) that lets go of its boxes once painted into the PDF.

    Writing reads a page's size, links, anchors, bookmarks and form fields, and its boxes only to paint it:
    the file grows as the pages are painted, and the boxes of the pages painted before are freed meanwhile
    (a city's report: 570 → 515 MB at the peak)."""

    def __init__(self, page) -> None:
        super().__init__(page)
        self._page = page

    def paint(self, stream, scale: float = 1) -> None:
        page, self._page = self._page, None
        assert page is not None, "a page is painted once"
        page.paint(stream, scale)
        _deflate(stream)


#: How hard the PDF's streams are deflated: zlib's default, where pydyf asks for its most. A city's report's
#: 17 MB of streams take 0.21 s at 6 and 0.9 s at 9, for a file 2 % larger (3.07 MB against 3.00).
DEFLATE_LEVEL = 6


def _deflate(stream) -> None:
    """A stream (a ``pydyf.Stream``: a painted page's content, a font, an image) deflated now, at
    :data:`DEFLATE_LEVEL`, rather than by pydyf when the file is written.

    pydyf keeps a stream's operators, a list of small byte strings, until it writes the file. Deflated as
    pydyf would (the same bytes, at its level of 9), the stream writes the same file."""
    import pydyf  # type: ignore[import-untyped]  # WeasyPrint's PDF writer, installed with it

    if not stream.compress or "Filter" in stream.extra:
        return
    # A one-item array is how pydyf writes any other operand: "[" + the item + "]".
    raw = b"\n".join(item if isinstance(item, bytes) else pydyf.Array([item]).data[1:-1] for item in stream.stream)
    deflate = zlib.compressobj(level=DEFLATE_LEVEL)
    stream.stream = [deflate.compress(raw) + deflate.flush()]
    stream.extra["Filter"] = "/FlateDecode"
    stream.compress = False


def pdf_language(language: str) -> str:
    """The PDF's ``/Lang`` for a report in ``language`` (Django's code): BCP 47 as a reader of PDFs expects it,
    Traditional Chinese as written in Taiwan (``zh-Hant-TW``), which a screen reader picks its voice by."""
    code = language.lower()
    if code in ("zh-hant", "zh-tw", "zh-hant-tw"):
        return "zh-Hant-TW"
    parts = code.split("-")
    return "-".join([parts[0], *(p.title() if len(p) == 4 else p.upper() for p in parts[1:])])


def report_processes() -> int:
    """How many processes lay out and paint a long report at once: ``STRATMAP_REPORT_PROCESSES``, or when it is
    0 (the default) the cores this process may run on, at most two (each holds a batch's boxes of its own: a
    city's report takes 50 MB more in two). One where a process cannot be forked, and while another thread runs
    in this one: a forked process has the forking thread only, and a lock another held at that moment (a
    stream's, while it wrote a progress bar) would stay held in it for ever."""
    if (
        "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon  # which may not start processes
        or threading.active_count() > 1
    ):
        return 1
    chosen = int(getattr(settings, "STRATMAP_REPORT_PROCESSES", 0))
    return chosen or min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass
class _PageRecord:
    """A page as its share (:class:`_Share`) painted it: what the file's page tree, structure tree and outline
    need of it, by object number."""

    #: The page's place in the report, from 0.
    number: int
    #: Its dictionary's object number.
    reference: int
    painted: _Painted
    #: The structure elements at the top of its part of the tree.
    elements: list[int]
    #: The element of each of its marked contents, by their numbers (its entry of the parent tree).
    marked: list[int]

    def renumbered(self, numbers: dict[int, int]) -> _PageRecord:
        return _PageRecord(
            self.number,
            numbers[self.reference],
            self.painted,
            [numbers[n] for n in self.elements],
            [numbers[n] for n in self.marked],
        )


@dataclass
class _Export:
    """What a share painted in a process of its own, sent back to be merged into the report's file (:class:`_Merged`):
    each object as (its number, its dictionary or whole self, its stream's bytes or None); its pages; the numbers
    of the objects that stood in for the file's own there (``"pages"``, the page tree; ``"document"``, the
    structure tree's document; ``"fonts"``, the first share's fonts); and, when its pages use the first share's
    fonts, the glyphs they show of each (by Pango's key: their widths and text)."""

    objects: list[tuple[int, bytes, bytes | None]]
    pages: list[_PageRecord]
    stand_ins: dict[int, str]
    glyphs: dict[object, tuple[dict[int, int], dict[int, str]]] | None


class _Share:
    """Some of a report's batches of pages (every n-th, :func:`_paint_as_laid_out`) laid out and painted into
    ``pdf``, with resources of their own (images, drawings, named in the pages' content streams): the pages of
    a share refer to its resources only, so that shares painted in different processes are merged by numbering
    their objects anew (:class:`_Merged`). A share forked from the first starts from its fonts and, as a rule, has
    its glyphs added to the first's subsets (:meth:`finish`): each font is embedded once. A report made in one
    process is one share."""

    def __init__(
        self, pdf, segment: int, content: c.ReportContent, pages: list[c.ReportPage], *, fonts_of: _Share | None = None
    ) -> None:
        """``fonts_of``: a share whose fonts this one starts from (:meth:`fonts_loaded`)."""
        import pydyf
        from tinycss2.color5 import D50, D65  # type: ignore[import-untyped]
        from weasyprint.text.fonts import FontConfiguration

        self.pdf, self.segment, self.content, self.report_pages = pdf, segment, content, pages
        self.lights = LightClasses(content.card.policy.lights)
        # One font configuration for all the share's batches, and one set of fonts (WeasyPrint's ``Font``, by
        # Pango's key): each font is embedded once, a subset of the glyphs its pages show.
        self.font_config: Any = FontConfiguration() if fonts_of is None else fonts_of.font_config
        self.fonts: dict[object, Any] = {} if fonts_of is None else fonts_of.fonts_loaded()
        self.fonts_from = None if fonts_of is None else set(self.fonts)  # the keys of the fonts it started from
        self.glyphs: dict[object, tuple[dict[int, int], dict[int, str]]] | None = None
        self.fonts_dictionary: Any = None
        #: The numbers of the objects that stand for the file's own in this share's PDF, and what they stand for.
        self.stand_ins: dict[int, str] = {}
        self.images: dict[str, object] = {}
        self.first: Any = None  # the first batch's document: the report's metadata
        self.pages: list[_PageRecord] = []
        lab = {"Range": pydyf.Array((-125, 125, -125, 125))}
        color_space = pydyf.Dictionary(
            {
                "lab-d50": pydyf.Array(("/Lab", pydyf.Dictionary({"WhitePoint": pydyf.Array(D50), **lab}))),
                "lab-d65": pydyf.Array(("/Lab", pydyf.Dictionary({"WhitePoint": pydyf.Array(D65), **lab}))),
            }
        )
        pdf.add_object(color_space)
        self.resources = pydyf.Dictionary(
            {
                "ExtGState": pydyf.Dictionary(),
                "XObject": pydyf.Dictionary(),
                "Pattern": pydyf.Dictionary(),
                "Shading": pydyf.Dictionary(),
                "ColorSpace": color_space.reference,
            }
        )
        pdf.add_object(self.resources)

    def fonts_loaded(self) -> dict[object, Any]:
        """The share's fonts, as a share forked from this process starts from: each font as loaded (its file read
        by Pango, and by WeasyPrint into a copy of 20 MB for Noto Sans CJK, which the processes share as long as
        neither writes it), none of its glyphs shown yet."""
        fonts = {}
        for key, font in self.fonts.items():
            fonts[key] = unused = copy.copy(font)
            unused.widths, unused.to_unicode, unused.missing, unused.used_in_forms = {}, {}, {}, False
        return fonts

    def render(self, batches: list[range], structure_document, told: Callable[[int], None]) -> None:
        """Lay out and paint ``batches`` (ranges of the report's pages), each batch freed once painted; tagged when
        a ``structure_document`` is given; ``told`` the number of pages of each batch once painted."""
        import pydyf
        from weasyprint.pdf.stream import Stream  # type: ignore[import-untyped]

        scale = 0.75  # PDF points per CSS pixel, as write_pdf's zoom of 1 gives
        HTML = _report_html_class()
        content, pages, pdf = self.content, self.report_pages, self.pdf
        gc.freeze()
        try:
            with c.rare_collections():
                for batch in batches:
                    html = report_html(content, pages[batch.start : batch.stop], self.lights)
                    document = HTML(string=html).render(font_config=self.font_config)
                    self.first = self.first or document.copy([])
                    for number, page in zip(batch, document.pages, strict=True):
                        left, top = -scale * page.bleed["left"], -scale * page.bleed["top"]
                        right = left + scale * (page.width + page.bleed["left"] + page.bleed["right"])
                        bottom = top + scale * (page.height + page.bleed["top"] + page.bleed["bottom"])
                        rectangle = (left / scale, top / scale, (right - left) / scale, (bottom - top) / scale)
                        tags: dict[object, object] | None = {} if structure_document is not None else None
                        stream = Stream(
                            self.fonts,
                            rectangle,
                            self.resources,
                            self.images,
                            tags,
                            {},
                            self.first.output_intent,
                            compress=True,
                        )
                        stream.transform(d=-1, f=(page.height * scale))
                        pdf.add_object(stream)
                        pdf_page = pydyf.Dictionary(
                            {
                                "Type": "/Page",
                                "Parent": pdf.pages.reference,
                                "MediaBox": pydyf.Array([left, top, right, bottom]),
                                "Contents": stream.reference,
                                "Resources": self.resources.reference,
                            }
                        )
                        if structure_document is not None:
                            pdf_page["Tabs"] = "/S"
                            pdf_page["StructParents"] = number
                        pdf.add_page(pdf_page)
                        page.paint(stream, scale)
                        _deflate(stream)
                        elements, marked = (
                            _tag_page(pdf, page, pdf_page, tags, structure_document)
                            if structure_document is not None
                            else ([], [])
                        )
                        # The trim box is the page less its bleed, the bleed box at most 10 points beyond it.
                        bleed = {key: value * 0.75 for key, value in page.bleed.items()}
                        trim = (
                            left + bleed["left"],
                            top + bleed["top"],
                            right - bleed["right"],
                            bottom - bleed["bottom"],
                        )
                        pdf_page["TrimBox"] = pydyf.Array(trim)
                        pdf_page["BleedBox"] = pydyf.Array(
                            [
                                trim[0] - min(10, bleed["left"]),
                                trim[1] - min(10, bleed["top"]),
                                trim[2] + min(10, bleed["right"]),
                                trim[3] + min(10, bleed["bottom"]),
                            ]
                        )
                        # The report has no links (a link's annotation would be its page's, in this share).
                        assert not page.links, "a report's page has no links"
                        self.pages.append(_PageRecord(number, pdf_page.number, _Painted(page), elements, marked))
                    del document, page
                    gc.collect()
                    # What the batch left alive (its painted pages, the PDF's objects) frozen in turn: each
                    # collection walks one batch's objects, not every batch's before it again.
                    gc.freeze()
                    told(len(batch))
        finally:
            gc.unfreeze()

    def _glyphs_shown(self) -> dict[object, tuple[dict[int, int], dict[int, str]]] | None:
        """The glyphs this share's pages show of each font, by Pango's key, when they are all fonts of the share it
        started from and none drew a character the font lacks (WeasyPrint numbers such a glyph anew in each
        process): that share's subsets can show them too. None otherwise."""
        if self.fonts_from is None or any(
            key not in self.fonts_from or font.missing for key, font in self.fonts.items()
        ):
            return None
        return {key: (font.widths, font.to_unicode) for key, font in self.fonts.items()}

    def take_glyphs(self, glyphs: dict[object, tuple[dict[int, int], dict[int, str]]]) -> None:
        """The glyphs another share's pages show of this one's fonts added to their subsets; a glyph's text is
        the first it was met for (a subset maps a glyph to one text: "•" and "·" are one glyph of Noto's)."""
        for key, (widths, texts) in glyphs.items():
            font = self.fonts[key]
            font.widths = {**widths, **font.widths}
            font.to_unicode = {**texts, **font.to_unicode}

    def finish(self) -> None:
        """The share's fonts, images and drawings written into its PDF, every stream deflated. A share started
        from another's fonts (:meth:`fonts_loaded`) refers to that share's subsets when they can show its glyphs
        (:meth:`_glyphs_shown`): it writes no font, its pages' fonts are the stand-in ``"fonts"``, its
        glyphs are sent with it (:meth:`export`). Otherwise it embeds its own subsets, tagged apart."""
        import pydyf
        from weasyprint import DEFAULT_OPTIONS
        from weasyprint.pdf import _use_references  # type: ignore[import-untyped]
        from weasyprint.pdf.fonts import build_fonts_dictionary  # type: ignore[import-untyped]

        assert self.first is not None, "a share has at least a batch"
        self.glyphs = self._glyphs_shown()
        if self.glyphs is not None:
            self.fonts_dictionary = pydyf.Dictionary()  # stands for the first share's
            self.pdf.add_object(self.fonts_dictionary)
            self.stand_ins[self.fonts_dictionary.number] = "fonts"
        else:
            if self.segment:
                # A subset's tag (the six letters before "+" in its name) is the subset's own: PDF readers may take
                # two subsets of one tag for the same. The name in the pages' streams (the font's hash) stays.
                for font in self.fonts.values():
                    digest = hashlib.md5(f"{font.name!r}{self.segment}".encode(), usedforsecurity=False).digest()
                    font.name = b"/" + bytes(65 + letter % 26 for letter in digest[:6]) + font.name[7:]
            self.fonts_dictionary = build_fonts_dictionary(self.pdf, self.fonts, True, True, DEFAULT_OPTIONS)
            self.pdf.add_object(self.fonts_dictionary)
        self.resources["Font"] = self.fonts_dictionary.reference
        _use_references(self.pdf, self.resources, self.images, {})
        for stream in self.pdf.objects:  # the fonts and images, as the pages were
            if isinstance(stream, pydyf.Stream):
                _deflate(stream)

    def export(self) -> _Export:
        """The share's objects as bytes, but for the file's own ones (the catalog, and the stand-ins)."""
        import pydyf

        objects: list[tuple[int, bytes, bytes | None]] = []
        for object_ in self.pdf.objects:
            if object_.free == "f" or object_.number in self.stand_ins or object_ is self.pdf.catalog:
                continue
            if isinstance(object_, pydyf.Stream):
                assert not object_.compress, "deflated by finish()"
                body = b"\n".join(item if isinstance(item, bytes) else item.data for item in object_.stream)
                objects.append((object_.number, pydyf.Dictionary({**object_.extra, "Length": len(body)}).data, body))
            else:
                objects.append((object_.number, object_.data, None))
        return _Export(objects, self.pages, self.stand_ins, self.glyphs)


#: A reference to an object ("12 0 R") in a PDF object's bytes as pydyf writes them, or a string, which is skipped
#: (pydyf escapes a literal string's every parenthesis and backslash; another string is hexadecimal).
_REFERENCE = re.compile(rb"\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f]*>|(?<![\w.])(\d+) 0 R(?!\w)", re.DOTALL)


class _Merged:
    """A share's objects (:class:`_Export`) added to ``pdf``, numbered after its own, and its pages as numbered
    there; the objects' bytes are written by :meth:`write`, once every object that stood in for one of the file's
    own has a number (the first share's fonts are written last)."""

    def __init__(self, pdf, export: _Export) -> None:
        self.export = export
        self.numbers: dict[int, int] = {}
        self.objects = []
        for number, _data, stream in export.objects:
            self.numbers[number] = len(pdf.objects)
            self.objects.append(_Written(len(pdf.objects), b"", compressible=stream is None))
            pdf.objects.append(self.objects[-1])
        self.pages = [page.renumbered(self.numbers) for page in export.pages]

    def write(self, stand_ins: dict[str, int]) -> None:
        """The objects' bytes, their references to the stand-ins now to ``stand_ins`` (by name; an untagged file has
        no structure tree's document, which nothing then refers to)."""
        numbers = self.numbers | {n: stand_ins[name] for n, name in self.export.stand_ins.items() if name in stand_ins}

        def renumbered(match: re.Match[bytes]) -> bytes:
            return match[0] if match[1] is None else b"%d 0 R" % numbers[int(match[1])]

        for written, (_number, data, stream) in zip(self.objects, self.export.objects, strict=True):
            data = _REFERENCE.sub(renumbered, data)
            written.data = data if stream is None else b"\n".join((data, b"stream", stream, b"endstream"))


@contextlib.contextmanager
def _without_queries() -> Iterator[None]:
    """Any query refused: a share painted in a process of its own reads nothing from the database, whose
    connection is its parent's (and, in a test, inside the test's transaction); the report's content is read
    before the pages are printed."""

    def refuse(*args: object) -> None:
        raise RuntimeError("a report's pages read the database while printed: their content is read beforehand")

    with contextlib.ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(refuse))
        yield


def _paint_share(connection, first: _Share, batches: list[range], segment: int, tagged: bool) -> None:
    """A process's share (:class:`_Share`): its pages painted into a PDF of its own, with the fonts of the ``first``
    share (forked: this process's copy), the number of pages of each batch sent as done, then its objects (an
    :class:`_Export`), or what went wrong."""
    import pydyf

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the process that started this one, which stops it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a worker's own handler is not this process's
    try:
        with _without_queries():
            pdf = pydyf.PDF()
            document = pydyf.Dictionary()  # stands for the structure tree's document, the file's own
            pdf.add_object(document)
            share = _Share(pdf, segment, first.content, first.report_pages, fonts_of=first)
            share.stand_ins.update({pdf.pages.number: "pages", document.number: "document"})
            share.render(batches, document if tagged else None, lambda done: connection.send(("pages", done)))
            share.finish()
            connection.send(("done", share.export()))
    except BaseException:
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


class _Process:
    """A share painted in a process of its own, forked from this one (so it has the report's content and the code
    loaded here): its progress read as it comes, its objects at the end."""

    def __init__(self, *args: object) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe(duplex=False)
        self._process = context.Process(target=_paint_share, args=(theirs, *args), daemon=True)
        self._process.start()
        theirs.close()
        self.export: _Export | None = None

    def _receive(self, told: Callable[[int], None]) -> None:
        try:
            kind, value = self._connection.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(
                f"a process printing part of the report stopped (exit code {self._process.exitcode})"
            ) from None
        if kind == "pages":
            told(value)
        elif kind == "error":
            raise RuntimeError(f"a process printing part of the report failed:\n{value}")
        else:
            self.export = value

    def read(self, told: Callable[[int], None]) -> None:
        """What it has sent so far, without waiting."""
        while self.export is None and self._connection.poll():
            self._receive(told)

    def wait(self, told: Callable[[int], None]) -> _Export:
        """Its objects, once it has painted its share."""
        while self.export is None:
            self._receive(told)
        self._process.join()
        return self.export

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._connection.close()


def _paint_as_laid_out(
    content: c.ReportContent, progress: c.Progress | None, *, tagged: bool = True, processes: int | None = None
) -> bytes | None:
    """The PDF of ``content``, each batch of pages painted into it as soon as laid out and then freed; None if
    this WeasyPrint's PDF writer is not the one this follows.

    WeasyPrint paints a document's pages only once all are laid out, so a city's report had every page's
    boxes in memory at once (and its fonts, read when the first page is painted, on top): 480 MB at the
    peak. This is WeasyPrint's own writer (``weasyprint.pdf.generate_pdf``, 70.0, with its default options,
    as ``Document.write_pdf`` calls it) with its loop over the pages taken into the batches: the same PDF,
    byte for byte, when one process makes it; a city's peak 290 MB. What the report never has (links, form
    fields, attachments, colour profiles, PDF variants) it leaves out. The batches' garbage, which holds cycles,
    is collected after each: Python's objects of before are frozen meanwhile, so that a collection walks only the
    batch's.

    ``processes`` (:func:`report_processes` when None): how many processes lay out and paint the batches at once,
    each every n-th batch (its :class:`_Share`), this one the first; the others are forked, and their objects
    merged into this one's file (:class:`_Merged`). Laying out is most of the time, and WeasyPrint's one core.

    ``tagged`` (issue 17, item 4): a tagged PDF, as ``write_pdf(pdf_tags=True)`` writes it (its structure tree,
    ``/MarkInfo``, ``/Lang``, the title shown), for screen readers. WeasyPrint builds the tree once every page is
    painted, from every page's boxes (``weasyprint.pdf.tags.add_tags``); here each page's part of the tree is built
    as soon as the page is painted, while its boxes are still there, with the same steps (``_build_box_tree``),
    so that the batches are freed as before."""
    try:
        import pydyf
        from tinycss2.color5 import D50, D65  # noqa: F401  (_Share's)
        from weasyprint import VERSION
        from weasyprint.matrix import Matrix  # type: ignore[import-untyped]
        from weasyprint.pdf import _use_references  # noqa: F401  (_Share's)
        from weasyprint.pdf.anchors import add_links, add_outlines, resolve_links  # type: ignore[import-untyped]
        from weasyprint.pdf.fonts import build_fonts_dictionary  # noqa: F401  (_Share's)
        from weasyprint.pdf.stream import Stream  # noqa: F401  (_Share's)
        from weasyprint.pdf.tags import _build_box_tree  # type: ignore[import-untyped]  # noqa: F401  (_tag_page's)
    except ImportError:
        return None
    if VERSION.split(".")[0] != "70":
        return None

    scale = 0.75  # PDF points per CSS pixel, as write_pdf's zoom of 1 gives
    pages = c.pages(content)
    batches = [range(start, min(start + BATCH_PAGES, len(pages))) for start in range(0, len(pages), BATCH_PAGES)]
    # The first batch is laid out before the others are forked: a process more pays only from a third batch on.
    count = max(1, min(len(batches) - 1, report_processes() if processes is None else processes))
    done = 0

    def told(pages_done: int) -> None:
        nonlocal done
        done += pages_done
        if progress is not None:
            progress(done, len(pages))

    told(0)
    pdf = pydyf.PDF()
    own = _Share(pdf, 0, content, pages)
    structure_document = None
    if tagged:
        # The structure tree's root, as add_tags makes it (PDF 1.7: no namespace).
        parent_tree = pydyf.Dictionary({"Nums": pydyf.Array()})
        pdf.add_object(parent_tree)
        structure_root = pydyf.Dictionary({"Type": "/StructTreeRoot", "ParentTree": parent_tree.reference})
        pdf.add_object(structure_root)
        structure_document = pydyf.Dictionary(
            {"Type": "/StructElem", "S": "/Document", "K": pydyf.Array(), "P": structure_root.reference}
        )
        pdf.add_object(structure_document)
        structure_root["K"] = pydyf.Array([structure_document.reference])
        pdf.catalog["StructTreeRoot"] = structure_root.reference
    # The first batch before the other processes are forked: they start with its fonts loaded (and their 40 MB
    # shared), and the style sheet read.
    mine = batches[::count]
    own.render(mine[:1], structure_document, told)
    others: list[_Process] = []
    try:
        others += [_Process(own, batches[k::count], k, tagged) for k in range(1, count)]

        def told_too(pages_done: int) -> None:  # this process's batch, and what the others have done meanwhile
            for other in others:
                other.read(told)
            told(pages_done)

        own.render(mine[1:], structure_document, told_too)
        merged = [_Merged(pdf, other.wait(told)) for other in others]
    finally:
        for other in others:
            other.stop()
    records = own.pages + [page for share in merged for page in share.pages]
    records.sort(key=lambda page: page.number)
    pdf.pages["Kids"] = pydyf.Array(item for page in records for item in (page.reference, 0, "R"))
    pdf.pages["Count"] = len(records)
    if structure_document is not None:
        structure_document["K"] = pydyf.Array(b"%d 0 R" % n for page in records for n in page.elements)
        for page in records:
            parent_tree["Nums"].extend([page.number, pydyf.Array(b"%d 0 R" % n for n in page.marked)])
    assert own.first is not None, "a report has at least a cover"
    painted = [page.painted for page in records]
    document = own.first.copy(painted)
    # Named destinations (of elements with an id, on any page: so once all are painted) and the outline.
    names: list[list[object]] = []
    for page, links_and_anchors in zip(records, resolve_links(painted), strict=True):
        matrix = Matrix(scale, 0, 0, -scale, 0, page.painted.height * scale)
        add_links(links_and_anchors, matrix, pdf, pdf.objects[page.reference], names, None)
    add_outlines(pdf, document.make_bookmark_tree(scale, transform_pages=True))
    pdf.info["Producer"] = pydyf.String(f"WeasyPrint {VERSION}")
    metadata = document.metadata
    for key, value in (
        ("Title", metadata.title),
        ("Author", ", ".join(metadata.authors or ())),
        ("Subject", metadata.description),
        ("Keywords", ", ".join(metadata.keywords or ())),
        ("Creator", metadata.generator),
    ):
        if value:
            pdf.info[key] = pydyf.String(value)
    if metadata.lang:
        pdf.catalog["Lang"] = pydyf.String(metadata.lang)
    if tagged:
        pdf.catalog["Lang"] = pydyf.String(pdf_language(content.language))
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        pdf.catalog["MarkInfo"] = pydyf.Dictionary({"Marked": "true"})
    for share in merged:
        if share.export.glyphs is not None:
            own.take_glyphs(share.export.glyphs)
    own.finish()
    assert own.fonts_dictionary is not None
    stand_ins = {"pages": pdf.pages.number, "fonts": own.fonts_dictionary.number}
    if structure_document is not None:
        stand_ins["document"] = structure_document.number
    for share in merged:
        share.write(stand_ins)
    if names:
        dests = pydyf.Array()
        for name, destination in sorted(names):
            dests += [pydyf.String(name), destination]
        pdf.catalog["Names"] = pydyf.Dictionary({"Dests": pydyf.Dictionary({"Names": dests})})
    from weasyprint import DEFAULT_OPTIONS

    assert not DEFAULT_OPTIONS["pdf_version"] and not DEFAULT_OPTIONS["pdf_identifier"], "as _file writes it"
    return _file(pdf)


def _file(pdf) -> bytes:
    """The file of ``pdf`` (a ``pydyf.PDF``) as pydyf 0.13 writes it for WeasyPrint (``PDF.write(output, "1.7",
    compress=True)``): the objects that may be, in one object stream, found by a cross-reference stream; those
    two streams deflated at :data:`DEFLATE_LEVEL`, where pydyf deflates them at its most. For a city's report,
    the object stream (61,000 small objects, most of them the structure tree's: 6.7 MB) took 0.4 s at 9 and takes
    0.1 s at 6, for 50 kB more in the file; the cross-reference stream (410 kB of numbers, which level 9 searches
    hardest) 0.36 s at 9 and 0.03 s at 6, to the same size."""
    import pydyf

    if pdf.info:
        pdf.add_object(pdf.info)
    output = io.BytesIO()

    def write_line(content: bytes) -> None:
        output.write(content + b"\n")

    write_line(b"%PDF-1.7")
    write_line(b"%\xf0\x9f\x96\xa4")
    compressed = []
    for object_ in pdf.objects:
        if object_.free == "f":
            continue
        if object_.compressible:
            compressed.append(object_)
        else:
            object_.offset = output.tell()
            write_line(object_.indirect)
    numbers: list[int] = []
    contents: list[bytes] = []
    position = 0
    for object_ in compressed:
        data = object_.data
        contents.append(data)
        numbers += [object_.number, position]
        position += len(data) + 1
    index = " ".join(str(number) for number in numbers).encode()
    object_stream = pydyf.Stream(
        [index, *contents], {"Type": "/ObjStm", "N": len(compressed), "First": len(index) + 1}, compress=True
    )
    _deflate(object_stream)
    object_stream.offset = output.tell()
    pdf.add_object(object_stream)
    write_line(object_stream.indirect)
    xref = []
    in_stream = 0
    for object_ in pdf.objects:
        if object_.compressible:
            xref.append((2, object_stream.number, in_stream))
            in_stream += 1
        else:
            xref.append((int(bool(object_.number)), object_.offset, object_.generation))
    xref_position = output.tell()
    xref.append((1, xref_position, 0))
    widths = (
        1,
        math.ceil(math.log(xref_position + 1, 256)),
        math.ceil(math.log(max(max(o.generation for o in pdf.objects), len(compressed)) + 1, 256)),
    )
    extra = {
        "Type": "/XRef",
        "Index": pydyf.Array((0, len(pdf.objects) + 1)),
        "W": pydyf.Array(widths),
        "Size": len(pdf.objects) + 1,
        "Root": pdf.catalog.reference,
    }
    if pdf.info:
        extra["Info"] = pdf.info.reference
    table = b"".join(value.to_bytes(width, "big") for entry in xref for width, value in zip(widths, entry, strict=True))
    xref_stream = pydyf.Stream([table], extra, compress=True)
    _deflate(xref_stream)
    xref_stream.offset = xref_position
    pdf.add_object(xref_stream)
    write_line(xref_stream.indirect)
    write_line(b"startxref")
    write_line(str(xref_position).encode())
    write_line(b"%%EOF")
    return output.getvalue()


class _PageReferences:
    """``pdf`` as ``_build_box_tree`` uses it, with the page's reference kept: pydyf 0.13's
    ``PDF.page_references`` makes the tuple of every page's reference anew at each call, and the tree asks it
    once per element, so that tagging a city's report (≈ 250 pages, 68,000 elements) spent 17 million steps
    there, a quarter of its time; only this page's reference is ever asked for (as page 0)."""

    def __init__(self, pdf, reference: bytes) -> None:
        self._pdf = pdf
        self.page_references = {0: reference}

    def __getattr__(self, name: str) -> object:
        return getattr(self._pdf, name)


def _tag_page(pdf, page, pdf_page, tags, structure_document) -> tuple[list[int], list[int]]:
    """The page's part of the structure tree, from its boxes and the marked contents its painting recorded in
    ``tags`` (each mapped once, as add_tags of WeasyPrint 70 maps them): (the numbers of its elements at the top,
    the number of the element of each of its marked contents, in their order)."""
    from weasyprint.pdf.tags import _build_box_tree

    nums: dict[int, bytes] = {}
    annotations: list[object] = []
    first = len(pdf.objects)
    the_pdf = _PageReferences(pdf, pdf_page.reference)
    elements = [
        element.number
        for element in _build_box_tree(page._page_box, structure_document, the_pdf, 0, nums, annotations, tags)
    ]
    assert not tags, "every marked content of the page is in the tree"
    assert not annotations, "a report's page has no links nor form fields"
    # The page's elements are final (each refers to its parent, its page and its kids only): kept as the bytes
    # they will be written as, not as dictionaries of arrays until the file is written (a city's report: 68,000
    # elements, 100 MB).
    pdf.objects[first:] = [_Written.of(element) for element in pdf.objects[first:]]
    return elements, [int(reference.split()[0]) for _, reference in sorted(nums.items())]


class _Written:
    """A PDF object (``pydyf.Object``) whose contents are final, as pydyf's writer reads it: its number, its
    bytes, where it was written."""

    __slots__ = ("compressible", "data", "free", "generation", "number", "offset")

    def __init__(self, number: int, data: bytes, *, compressible: bool = True) -> None:
        self.number, self.data, self.compressible = number, data, compressible
        self.offset, self.generation, self.free = 0, 0, "n"

    @classmethod
    def of(cls, element) -> _Written:
        assert element.generation == 0 and element.free == "n" and not element.offset
        return cls(element.number, element.data, compressible=element.compressible)

    @property
    def reference(self) -> bytes:
        return f"{self.number} {self.generation} R".encode()

    @property
    def indirect(self) -> bytes:
        return f"{self.number} {self.generation} obj\n".encode() + self.data + b"\nendobj"


def render_pdf(
    content: c.ReportContent, *, progress: c.Progress | None = None, tagged: bool = True, processes: int | None = None
) -> bytes:
    """The PDF of ``content``; ``progress`` as :func:`pdf_document` tells it; ``tagged``: with its structure tree
    for screen readers (``pdf_tags``), ``False`` and in one process giving WeasyPrint's ``write_pdf()`` byte for
    byte; ``processes``: how many lay it out at once (:func:`report_processes` when None)."""
    data = _paint_as_laid_out(content, progress, tagged=tagged, processes=processes)
    if data is not None:
        return data
    # Another WeasyPrint: its own writer, which paints the pages once all are laid out.
    with c.rare_collections():
        laid_out = pdf_document(content, progress=progress)
        if not tagged:
            document = laid_out.copy([_PaintedOnce(page) for page in laid_out.pages])
            del laid_out  # its list of pages would keep every page's boxes to the end
            return document.write_pdf()
        # Tagged, as the batches are: WeasyPrint's tagging reads every page's boxes once all are painted, so they
        # are kept to the end (_PaintedOnce's saving is lost on this path; the tags are worth more).
        laid_out.metadata.lang = pdf_language(content.language)
        return laid_out.write_pdf(pdf_tags=True)


def build_pdf(
    organization: str,
    year: int,
    theme: str | None = None,
    *,
    access: Access,
    language: str,
    period: Period | None = None,
    progress: c.Progress | None = None,
) -> bytes:
    """The PDF report of ``organization``'s ``year`` (AD), of one theme or of the whole map, as ``access`` reads
    it, in ``language``; with ``period``, of the year to date at its end."""
    content = c.report_content(organization, year, theme, access=access, period=period, language=language)
    return render_pdf(content, progress=progress)


def write_pdf(
    organization: str,
    year: int,
    theme: str | None,
    path: str | Path,
    *,
    access: Access,
    language: str,
    period: Period | None = None,
    progress: c.Progress | None = None,
) -> Path:
    path = Path(path)
    path.write_bytes(
        build_pdf(organization, year, theme, access=access, language=language, period=period, progress=progress)
    )
    return path
