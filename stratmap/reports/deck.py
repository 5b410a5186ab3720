"""The leadership-camp deck (首長領航共識營) as a PowerPoint file.

The slides follow the Taipei 108 report. Part 1, the year's results: cover, divider,
the strategy map, the theme's linkage map (關聯圖), the KPI summary, the scorecard,
one slide per KPI and one per missed KPI with its situation analysis and
countermeasures. Part 2, the next year's map: the map, the table of objectives, KSFs,
KPIs, action plans and agencies, the revision count table and the changes with their
reasons, each objective's multi-year targets and its action plans on a 12-month grid.
Then the closing slide.

Everything is a native, editable shape: rectangles and arrows for maps, text boxes,
tables and ``chart_data`` charts, never pictures. Every run goes through
:func:`cjk_font`, which sets ``lang="zh-TW"`` and the East Asian typeface: without
them LibreOffice draws Traditional Chinese with the Japanese face. Text sizes are
chosen by measuring the wrapped lines (:func:`fitted_size`), so nothing overflows
its box whichever program renders the deck.

The typeface is :data:`DECK_FONT`, Microsoft JhengHei (微軟正黑體): the Traditional Chinese sans-serif every
government Windows PC has, so PowerPoint there draws the deck as laid out (a face it lacks, such as Noto Sans
CJK TC, it replaces by one of its choosing, often the serif PMingLiU). Text is measured with Noto Sans CJK
TC (:mod:`stratmap.text`): a Chinese character is one em in both faces; JhengHei's Latin letters are not
measured (the face is not free to ship). LibreOffice on Linux draws the deck with Noto Sans CJK TC through
the fontconfig alias in ``stratmap/reports/fonts.conf``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import assert_never

from django.utils.translation import get_language
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as Deck  # the class; pptx.Presentation makes one
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

from stratmap.access import Access
from stratmap.core.years import Period
from stratmap.reports.content import (
    COUNT_NOTE,
    LINKAGE_HEAD,
    MIN_SIZE,
    NO_MONTHS,
    TABLE_ROOM,
    ChangesPage,
    ClosingPage,
    CoverPage,
    DeckError,
    DividerPage,
    GridPage,
    KpiPage,
    KpiPairPage,
    LinkagePage,
    MapPage,
    MissedPage,
    NarrativesPage,
    NoResultsPage,
    NoTargetsPage,
    ObjectivePage,
    PlansTablePage,
    Progress,
    ReportContent,
    ReportPage,
    RevisionCountsPage,
    ScorecardPage,
    SummaryPage,
    UnknownPage,
    explanation,
    figures,
    gap,
    kpi_notes,
    light_text,
    linkage_band,
    linkage_kpis,
    linkage_width,
    list_join,
    missed_line,
    name_of,
    narratives,
    no_perspective,
    objective_columns,
    pages,
    paragraphs,
    period_table,
    report_content,
    row_height,
    speaking,
    t,
    target_rows,
    text_lines,
    text_of,
    tf,
    truncate,
)
from stratmap.reports.content import (
    headers as content_headers,
)
from stratmap.reports.content import (
    widths as content_widths,
)
from stratmap.strategy import diagram
from stratmap.strategy.diagram.placement import BOX_PAD_BOTTOM, BOX_PAD_TOP, CODE_SIZE, LIGHT_SIZE, LINE_H
from stratmap.text import LINE_HEIGHT, text_width, unbreakable_width

LANG = "zh-TW"
#: The deck's typeface, Latin and East Asian (see the module's note).
DECK_FONT = "Microsoft JhengHei"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
NAVY = RGBColor(0x1F, 0x38, 0x64)
GREY = RGBColor(0x59, 0x59, 0x59)
PALE = RGBColor(0xDE, 0xEB, 0xF7)
BAND = RGBColor(0xF3, 0xF6, 0xFA)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
PAD_Y = 0.01  # inches above and below the text of a map's header


# --- text ---------------------------------------------------------------------------------------


def cjk_font(font: Font) -> Font:
    """Make ``font`` (a run's, a table cell's or a chart's) Traditional Chinese.

    Sets the Latin typeface, ``lang="zh-TW"``, ``altLang="en-US"`` and ``<a:ea typeface=…/>``.
    """
    font.name = DECK_FONT
    rpr = font._element
    # The deck's language (the active one while it is drawn): an English deck's runs are en-US, so that
    # PowerPoint checks their spelling and a screen reader reads them as English; the East Asian face stays
    # for the Chinese of data without a translation.
    chinese = (get_language() or "zh-hant").startswith("zh")
    rpr.set("lang", LANG if chinese else "en-US")
    rpr.set("altLang", "en-US" if chinese else LANG)
    for ea in rpr.findall(qn("a:ea")):
        rpr.remove(ea)
    ea = etree.SubElement(rpr, qn("a:ea"))
    ea.set("typeface", DECK_FONT)
    rpr.remove(ea)
    rpr.find(qn("a:latin")).addnext(ea)  # the schema wants a:ea right after a:latin
    return font


def colour(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def fitted_size(
    lines: str | Iterable[str],
    width: float,
    height: float,
    size: float,
    smallest: float = 7,
    margins: tuple[float, float] = (0.1, 0.05),
) -> float:
    """The largest font size up to ``size`` (pt) at which ``lines`` fit a ``width`` × ``height`` inch box.

    Lines are wrapped with :func:`stratmap.text.wrap` (the font's own advance widths)
    and take :data:`~stratmap.text.LINE_HEIGHT` × the size each (the font's line height); the box's inner
    ``margins`` (inches on each side, left/right and top/bottom) are taken off first.
    """
    inner_w, inner_h = width - 2 * margins[0], max(height - 2 * margins[1], 0.05) * 72
    while size > smallest:
        if text_lines(lines, inner_w, size) * size * LINE_HEIGHT <= inner_h:
            return size
        size -= 0.25 if size < 8 else 0.5
    return smallest


def add_run(paragraph, text: str, size: float, *, bold: bool = False, fg: RGBColor | None = None):
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    if fg is not None:
        run.font.color.rgb = fg
    cjk_font(run.font)
    return run


def write(
    frame: TextFrame,
    lines: str | Iterable[str],
    size: float = 16,
    *,
    bold: bool = False,
    fg: RGBColor | None = None,
    align=None,
) -> TextFrame:
    """Replace the frame's text with ``lines``, one paragraph each, wrapped."""
    frame.word_wrap = True
    for i, line in enumerate(paragraphs(lines)):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if i == 0:
            for r in list(paragraph.runs):
                paragraph._p.remove(r._r)
        if align is not None:
            paragraph.alignment = align
        add_run(paragraph, line, size, bold=bold, fg=fg)
    return frame


def box(slide, x, y, w, h, lines, size=16, *, bold=False, fg=None, fill=None, align=None, anchor=None, line=None):
    """A text box at (x, y) inches, its text made small enough to fit (never larger than ``size``)."""
    shape = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    if fill is not None:
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
    if line is not None:
        shape.line.color.rgb = line
    frame = shape.text_frame
    frame.auto_size = MSO_AUTO_SIZE.NONE  # keep the box as drawn: the text was sized to fit it
    frame.margin_left = frame.margin_right = Inches(0.1)
    frame.margin_top = frame.margin_bottom = Inches(0.05)
    write(frame, lines, fitted_size(lines, w, h, size, MIN_SIZE), bold=bold, fg=fg, align=align)
    if anchor is not None:
        frame.vertical_anchor = anchor
    return shape


#: The default template's "Title Only" layout: every slide's title is its title placeholder, which PowerPoint's
#: outline view, its accessibility checker and screen readers read as the slide's name.
TITLE_ONLY = 5


def title_box(slide, x, y, w, h, lines, size, *, bold=True, fg=None, fill=None, align=None, margin_left=0.1):
    """The slide's title placeholder placed at (x, y) inches, ``w`` × ``h``, holding ``lines`` at the largest size
    up to ``size`` that fits (a title bar, the cover's title, a divider's band or the closing line)."""
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = Inches(x), Inches(y), Inches(w), Inches(h)
    if fill is not None:
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
    frame = shape.text_frame
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left, frame.margin_right = Inches(margin_left), Inches(0.1)
    frame.margin_top = frame.margin_bottom = Inches(0.05)
    fit = fitted_size(lines, w - margin_left + 0.1, h, size, MIN_SIZE)
    write(frame, lines, fit, bold=bold, fg=fg, align=align or PP_ALIGN.LEFT)
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    return shape


#: The longest title the title bar shows whole, in columns of display width (70 Chinese characters, 140 letters,
#: on two lines at its smallest size); the titles of KPI pages are cut shorter, by the content (TITLE_MAX).
BAR_COLUMNS = 140


def new_slide(prs, name: str, heading: str | None = None):
    """A slide named ``name`` (``kpi:DP5.1``, for tests and tools) with its title placeholder, made the title
    bar with ``heading`` (pages without a bar place and fill the placeholder themselves)."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    slide._element.cSld.set("name", name)
    if heading is not None:
        # a page's title whole where it fits the bar at the smallest size: "(2/3)" at its end is not cut off
        title = truncate(heading, BAR_COLUMNS)
        title_box(slide, 0, 0, WIDTH / 914400, 1.0, title, 28, fg=WHITE, fill=NAVY, margin_left=0.5)
    return slide


def table(
    slide,
    headers: list[str],
    rows: list[list[str]],
    x,
    y,
    w,
    h,
    widths=None,
    size=12,
    colours=None,
    left=(1,),
    *,
    stretch: bool = True,
):
    """A native table at most ``h`` inches high; ``colours`` maps (row, column) of ``rows`` to a text colour,
    ``left`` columns align left.

    One font size for the whole table, the largest up to ``size`` (and not under :data:`MIN_SIZE`) at which
    every row's wrapped cells fit ``h``; each row gets the height its text needs, and with ``stretch`` the rows
    share what is left (without, the table is as tall as its text: ``h`` is the room it may take).
    """
    widths = widths or [1] * len(headers)
    inches = [w * width / sum(widths) for width in widths]
    everything = [headers, *rows]

    def heights(at: float) -> list[float]:
        return [row_height(row, inches, at) for row in everything]

    def breaks_a_word(at: float) -> bool:
        """Whether a word of a cell is wider than its column at ``at`` pt (English headings in columns sized
        for Chinese: "Achievem-ent")."""
        return any(
            unbreakable_width(part, at, bold=i == 0) / 72 > (inches[j] - 0.1) * 0.95
            for i, row in enumerate(everything)
            for j, value in enumerate(row)
            for part in paragraphs(value)
        )

    while size > MIN_SIZE and (sum(heights(size)) > h or breaks_a_word(size)):
        size -= 0.5
    needed = heights(size)
    spare = max(0.0, h - sum(needed)) / len(needed) if stretch else 0.0
    shape = slide.shapes.add_table(len(everything), len(headers), Inches(x), Inches(y), Inches(w), Inches(h))
    grid = shape.table
    for i, width in enumerate(inches):
        grid.columns[i].width = Emu(int(Inches(width)))
    for i, height in enumerate(needed):
        grid.rows[i].height = Emu(int(Inches(height + spare)))
    shape.height = Emu(sum(row.height for row in grid.rows))
    for i, row in enumerate(everything):
        for j, value in enumerate(row):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            if i == 0:
                write(cell.text_frame, value, size, bold=True, align=PP_ALIGN.CENTER)
            else:
                fg = (colours or {}).get((i - 1, j))
                align = PP_ALIGN.LEFT if j in left else PP_ALIGN.CENTER
                write(cell.text_frame, value, size, bold=fg is not None, fg=fg, align=align)
    return shape


# --- maps as shapes -----------------------------------------------------------------------------


def _arrow(slide, points: list[tuple[float, float]], scale: float, x0: float, y0: float) -> None:
    """An orthogonal arrow as a freeform polyline (inches = px × scale, offset by x0, y0) with a head."""
    emu = [(Inches(x0 + x * scale), Inches(y0 + y * scale)) for x, y in points]
    builder = slide.shapes.build_freeform(*emu[0])
    builder.add_line_segments(emu[1:], close=False)
    shape = builder.convert_to_shape()
    shape.fill.background()
    shape.line.color.rgb = colour(diagram.ARROW)
    shape.line.width = Pt(1)
    etree.SubElement(shape.line._get_or_add_ln(), qn("a:tailEnd")).set("type", "triangle")


def map_shapes(slide, spec: diagram.MapSpec, x: float, y: float, w: float, h: float, floor: float = 5) -> None:
    """The strategy map drawn with native shapes inside (x, y, w, h) inches, laid out by the diagram module.

    Perspective bands with their names, theme headers, one rectangle per objective (code,
    name and its light in the light's colour) and the cause-and-effect arrows. No text is smaller than ``floor``
    (pt): the whole map's may be small, its parts' are read when projected.
    """
    lay = diagram.layout(spec)
    if not lay.rows:
        return
    body = lay.body  # the map below its title, mission, vision and values, which the slide shows apart
    scale = min(w / body.w, h / body.h)
    x0 = x + (w - body.w * scale) / 2 - body.x * scale
    y0 = y - body.y * scale
    pad_x = diagram.BOX_PAD_X * scale  # the layout's own padding, so the text wraps as it measured

    def sized(px: float) -> float:
        """A size of the layout (px) on the slide (pt), not under ``floor``."""
        return max(floor, round(px * scale * 72, 2))

    def rect(r: diagram.Rect, fill: RGBColor, line: RGBColor | None = None):
        shape = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE,
            Inches(x0 + r.x * scale),
            Inches(y0 + r.y * scale),
            Inches(r.w * scale),
            Inches(r.h * scale),
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
        if line is None:
            shape.line.fill.background()
        else:
            shape.line.color.rgb = line
            shape.line.width = Pt(1)
        shape.shadow.inherit = False
        frame = shape.text_frame
        frame.margin_left = frame.margin_right = Inches(pad_x)
        frame.margin_top = frame.margin_bottom = Inches(PAD_Y)
        return shape

    def label(shape, lines, size, bold=False, fg=None):
        fit = fitted_size(lines, shape.width / 914400, shape.height / 914400, size, min(floor, size), (pad_x, PAD_Y))
        fit = max(fit, floor)
        write(shape.text_frame, lines, fit, bold=bold, fg=fg, align=PP_ALIGN.CENTER)
        shape.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE

    for code, name in spec.perspectives:
        band = lay.rows.get(code)
        if band is None:
            continue
        rect(band, BAND)
        label(rect(lay.row_heads[code].rect, PALE), f"{name}\n{code}", 14 * scale * 72, bold=True, fg=NAVY)
    if "" in lay.rows:  # the objectives outside the perspectives: a band with no header
        rect(lay.rows[""], BAND)
    for code, name in spec.themes:
        head = lay.theme_heads.get(code)
        if head is not None:
            label(rect(head.rect, NAVY), f"{code} {name}", 14 * scale * 72, bold=True, fg=WHITE)
    for objective in spec.objectives:
        r = lay.boxes.get(objective.code)
        if r is None:
            continue
        light = objective.light
        edge = colour(light.colour) if light else colour(diagram.NEUTRAL)
        shape = rect(r, WHITE, edge)
        # The layout's own lines (code and light on one line, the name below, the light on a line of its own
        # only where the layout put it there) at its sizes and line height, so the box holds what it measured.
        said = lay.texts[objective.code]
        frame = shape.text_frame
        frame.margin_top, frame.margin_bottom = Inches(BOX_PAD_TOP * scale), Inches(BOX_PAD_BOTTOM * scale)
        frame.word_wrap = True
        spacing = max(Pt(LINE_H * scale * 72), Pt(sized(diagram.NAME_SIZE) * 1.2))
        ink = RGBColor(0x1F, 0x23, 0x28)

        def paragraph(first: bool = False, frame=frame, spacing=spacing):
            p = frame.paragraphs[0] if first else frame.add_paragraph()
            p.alignment = PP_ALIGN.CENTER
            p.line_spacing = spacing
            return p

        for i, text in enumerate(said.code_lines):
            p = paragraph(first=i == 0)
            add_run(p, text, sized(CODE_SIZE), bold=True, fg=ink)
            if i == 0 and said.badge and said.badge_inline:
                add_run(p, f" {said.badge}", sized(LIGHT_SIZE), bold=True, fg=edge)
        for text in said.name_lines:  # a line as wrapped keeps the space it broke at: not shown, centred
            add_run(paragraph(), text.rstrip(), sized(diagram.NAME_SIZE), fg=ink)
        if said.badge and not said.badge_inline:
            add_run(paragraph(), said.badge, sized(LIGHT_SIZE), bold=True, fg=edge)
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for _source, _target, points in lay.arrows:
        _arrow(slide, points, scale, x0, y0)


def map_slide(slide, content: ReportContent, page: MapPage) -> None:
    spec = page.spec
    said = gap().join(
        part
        for part in (
            tf("Mission: %(text)s", text=spec.mission) if spec.mission else "",
            tf("Vision: %(text)s", text=spec.vision) if spec.vision else "",
            tf("Values: %(text)s", text=list_join(spec.values)) if spec.values else "",
        )
        if part
    )
    top = 1.1
    if said:
        box(slide, 0.3, 1.05, 12.7, 0.5, said, 12, fg=NAVY, align=PP_ALIGN.CENTER)
        top = 1.55
    whole = page.name in ("map", "next-map")  # the overview; its parts follow, readable when projected
    map_shapes(slide, spec, 0.3, top, 12.7, 7.4 - top, 5 if whole else MIN_SIZE)


def linkage_slide(slide, content: ReportContent, page: LinkagePage) -> None:
    """The theme's linkage map (關聯圖): a band per perspective, a box per objective with its KPIs and lights."""
    linkage = page.linkage
    if not linkage.perspectives:
        box(slide, 0.5, 1.5, 12.3, 1, t("No objectives in this group"), 20, fg=GREY)
        return
    # Each band as tall as its wordiest objective needs at the smallest size (its header and its KPIs), the
    # room left shared in proportion (the pages hold as many bands as fit: see content.linkage_bands).
    measured = [linkage_band(objectives) for _p, objectives in linkage.perspectives]
    heads = [head for head, _height in measured]
    weights = [height for _head, height in measured]
    spare = max(0.0, 7.3 - 1.15 - 0.1 * len(weights) - sum(weights))
    y = 1.15
    places: dict[str, tuple[float, float, float, float]] = {}
    for (perspective, objectives), weight, head in zip(linkage.perspectives, weights, heads, strict=True):
        tall = weight + min(spare * weight / sum(weights), 0.8)  # a little air, not a band of empty boxes
        band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.3), Inches(y), Inches(12.7), Inches(tall))
        band.fill.solid()
        band.fill.fore_color.rgb = BAND
        band.line.fill.background()
        said = f"{name_of(perspective)}\n{perspective.code}" if perspective else no_perspective()
        box(slide, 0.3, y, LINKAGE_HEAD, tall, said, 13, bold=True, fg=NAVY, fill=PALE,
            align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
        gap = 0.15
        w = linkage_width(objectives)
        for i, linked in enumerate(objectives):
            x = 0.4 + LINKAGE_HEAD + i * (w + gap)
            o = linked.objective
            box(slide, x, y + 0.05, w, head, f"{o.code} {name_of(o)}", 13, bold=True, fg=WHITE, fill=NAVY,
                align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
            places[o.code] = (x, y, w, tall)
            if linked.rows:
                lines = linkage_kpis(linked)
                shape = box(slide, x, y + head + 0.1, w, tall - head - 0.15, lines, 14, fill=WHITE, line=PALE)
                for paragraph, row in zip(shape.text_frame.paragraphs, linked.rows, strict=True):
                    run, mark = paragraph.runs[0], light_text(row.score.light)
                    run.text = run.text[: -len(mark)]  # the light again, in its colour
                    add_run(paragraph, mark, run.font.size.pt, bold=True, fg=colour(row.score.light.colour))
        y += tall + 0.1
    for source, target in linkage.links:
        if source in places and target in places:
            (sx, sy, sw, _sh), (tx, ty, tw, th) = places[source], places[target]
            line = slide.shapes.add_connector(
                1, Inches(sx + sw / 2), Inches(sy), Inches(tx + tw / 2), Inches(ty + th)
            )  # upwards: from the cause (lower perspective) to the effect
            line.line.color.rgb = colour(diagram.ARROW)
            etree.SubElement(line.line._get_or_add_ln(), qn("a:tailEnd")).set("type", "triangle")


def cover(slide, content: ReportContent, page: CoverPage) -> None:
    # The organization's name and what the deck is made for, as its map says (Taipei's: 首長領航共識營).
    title = content.cover_line
    title_box(slide, 0.8, 1.3, 11.7, 1.2, title, 40, fg=NAVY, align=PP_ALIGN.CENTER)
    box(slide, 0.8, 2.7, 11.7, 0.9, page.heading, 32, bold=True, align=PP_ALIGN.CENTER)
    if content.heading:
        box(slide, 0.8, 3.8, 11.7, 0.9, content.heading, 30, fg=NAVY, align=PP_ALIGN.CENTER)
    box(slide, 0.8, 5.6, 11.7, 0.6, content.year_label, 20, fg=GREY, align=PP_ALIGN.CENTER)


def divider(slide, content: ReportContent, page: DividerPage) -> None:
    title_box(slide, 0, 2.6, WIDTH / 914400, 2.3, list(page.lines), 32, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)


def bottom(shape) -> float:
    """Where ``shape`` ends, in inches from the top of the slide."""
    return (shape.top + shape.height) / 914400


def summary(slide, content: ReportContent, page: SummaryPage) -> None:
    rows, said = page.rows, page.said
    headers = content_headers(content, page.kind)
    budget = 4.5 - 0.25 * len(said)  # the table shares the space above the sentence with the unknown KPIs
    shape = table(slide, headers, rows, 0.5, 1.3, 12.3, budget, content_widths(content, "summary"), 14, stretch=False)
    top = bottom(shape) + 0.15
    if said:
        box(slide, 0.5, top, 12.3, 5.9 - top, said, 14, fg=GREY)
    box(slide, 0.5, 6.0, 12.3, 1.0, content.sentence, 22, bold=True, fg=NAVY, fill=PALE, align=PP_ALIGN.CENTER,
        anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip


def unknown_slide(slide, content: ReportContent, page: UnknownPage) -> None:
    box(slide, 0.5, 1.3, 12.3, 5.8, page.lines, 14, fg=GREY)


def scorecard_slide(slide, content: ReportContent, page: ScorecardPage) -> None:
    if not page.rows:
        box(slide, 0.5, 1.5, 12.3, 1, t("No KPIs in this group"), 20, fg=GREY)
        return
    headers = content_headers(content, page.kind)
    rows, colours = [], {}
    for i, row in enumerate(page.rows):
        rows.append([row.kpi.code, name_of(row.kpi), *figures(row, content.assessed)])
        colours[(i, len(headers) - 1)] = colour(row.score.light.colour)
    widths = content_widths(content, page.kind)
    w, room = TABLE_ROOM[page.kind]
    table(slide, headers, rows, 0.3, 1.2, w, room, widths, 18, colours, stretch=False)  # as large as fits


def history_chart(slide, content: ReportContent, row, x, y, w, h, *, small: bool = False) -> bool:
    """A line chart of the KPI's targets and actuals over the years; False when there is one year or none."""
    history = content.histories.get(row.kpi.pk, [])
    if len(history) < 2:
        return False
    data = CategoryChartData(number_format="General")
    data.categories = [content.year_text(point.year) for point in history]
    targets = [None if p.target is None else float(p.target) for p in history]
    actuals = [None if p.actual is None else float(p.actual) for p in history]
    data.add_series(t("Target"), targets)
    data.add_series(t("Actual"), actuals)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(x), Inches(y), Inches(w), Inches(h), data)
    chart = frame.chart
    # The value axis always takes in zero: PowerPoint's automatic axis starts near the lowest value,
    # which turns 95 → 94 into a cliff.
    values = [v for v in (*targets, *actuals) if v is not None]
    if values and min(values) >= 0:
        chart.value_axis.minimum_scale = 0
    elif values and max(values) <= 0:
        chart.value_axis.maximum_scale = 0
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.font.size = Pt(12)
    cjk_font(chart.font)
    chart.has_title = not small  # half a slide's chart: its KPI's name above says what it is
    if not small:
        write(chart.chart_title.text_frame, t("Targets and actuals over the years"), 14, bold=True)
    return True


def kpi_slide(slide, content: ReportContent, page: KpiPage) -> None:
    kpi_block(slide, content, page, 1.2, 7.1)


def kpi_pair_slide(slide, content: ReportContent, page: KpiPairPage) -> None:
    """Two brief KPIs, one above the other, each under its code and name."""
    first, second = page.kpis
    kpi_block(slide, content, first, 1.12, 4.12, named=True)
    kpi_block(slide, content, second, 4.27, 7.27, named=True)


def kpi_block(slide, content: ReportContent, page: KpiPage, y: float, end: float, *, named: bool = False) -> None:
    """A KPI's figures, notes, periods, narratives and chart between ``y`` and ``end`` inches; ``named``, under its
    code and name (with its notes beside them), as on a page of two."""
    row = page.row
    s = row.score
    headers = content_headers(content, page.kind)
    values = figures(row, content.assessed)
    light = {(0, len(values) - 1): colour(s.light.colour)}
    notes = kpi_notes(row)
    if named:
        # the name as wide as it is, the notes beside it, on two lines when they need them
        wide = min(8.0, text_width(page.heading, 15, bold=True) / 72 + 0.3)
        box(slide, 0.5, y, wide, 0.42, page.heading, 15, bold=True, fg=NAVY, anchor=MSO_ANCHOR.MIDDLE)
        high = 0.42
        if notes:
            noted = gap().join(notes)
            high = 0.42 if text_lines(noted, 12.3 - wide - 0.2, 12) == 1 else 0.62
            box(slide, 0.5 + wide, y, 12.3 - wide, high, noted, 12, fg=GREY, anchor=MSO_ANCHOR.MIDDLE)
        table(slide, headers, [values], 0.5, y + high, 12.3, 0.7, size=14, colours=light, left=())
        top = y + high + 0.75
    else:
        table(slide, headers, [values], 0.5, y, 12.3, 0.9, size=16, colours=light, left=())
        if notes:
            box(slide, 0.5, y + 0.95, 12.3, 0.45, gap().join(notes), 13, fg=GREY)
        top = y + 1.5
    by_period = period_table(content, row)
    if by_period:  # the year's periods under its figures; the narratives and the chart move down
        header, *rows = by_period
        widths = [1.6] + [1.0] * (len(header) - 1)
        shape = table(slide, header, rows, 0.5, top, 12.3, 0.35 * len(by_period), widths, 12, left=(0,))
        top = round(bottom(shape) + 0.15, 4)
    said = [] if page.said_apart else narratives(row, content.assessed)
    if said:
        has_chart = history_chart(slide, content, row, 8.9, top, 4.1, round(end - top, 4), small=named)
    else:  # nothing beside the chart (a map without a self-assessment, nothing said): it takes the room
        has_chart = history_chart(slide, content, row, 0.5, top, 12.3, round(end - top, 4), small=named)
    area = 8.2 if has_chart else 12.3
    width = (area - 0.2 * (len(said) - 1)) / max(len(said), 1)
    head = 0.35 if named else 0.45
    for i, (label, text) in enumerate(said):
        x = 0.5 + i * (width + 0.2)
        box(slide, x, top, width, head, label, 15, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, top + head, width, round(end - top - head, 4), text or "—", 12, fill=PALE)


def narratives_slide(slide, content: ReportContent, page: NarrativesPage) -> None:
    """A KPI's narratives across the slide, when too long to stand beside its chart."""
    width = (12.3 - 0.2 * (len(page.said) - 1)) / max(len(page.said), 1)
    for i, (label, text) in enumerate(page.said):
        x = 0.5 + i * (width + 0.2)
        box(slide, x, 1.2, width, 0.45, label, 15, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, 1.65, width, 5.55, text or "—", 14, fill=PALE)


def missed_slide(slide, content: ReportContent, page: MissedPage) -> None:
    row = page.row
    box(slide, 0.5, 1.2, 12.3, 0.5, missed_line(row), 16, bold=True, fg=NAVY)
    r = explanation(row)
    said = [(t("Situation analysis"), text_of(r, "situation_analysis")),
            (t("Countermeasures"), text_of(r, "countermeasures"))]  # fmt: skip
    for i, (label, text) in enumerate(said):
        x = 0.5 + i * 6.25
        box(slide, x, 1.9, 6.05, 0.5, label, 18, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, 2.4, 6.05, 4.7, text or "—", 13, fill=PALE)


def plans_table_slide(slide, content: ReportContent, page: PlansTablePage) -> None:
    """策略目標、關鍵成功因素、關鍵績效指標、行動計畫、相關局處, a row per objective."""
    if not page.rows:
        box(slide, 0.5, 1.5, 12.3, 1, t("No objectives with plans in this group"), 20, fg=GREY)
        return
    headers = content_headers(content, page.kind)
    w, room = TABLE_ROOM[page.kind]
    rows = [row for _lines, row in page.rows]
    table(
        slide,
        headers,
        rows,
        0.3,
        1.15,
        w,
        room,
        content_widths(content, "plans-table"),
        16,
        left=(1, 2, 3, 4),
        stretch=False,
    )


def revision_counts_slide(slide, content: ReportContent, page: RevisionCountsPage) -> None:
    """The revision count table as printed, and the changes found by comparing the two maps."""
    rows, found = page.rows, page.found
    if rows:
        height = min(3.4, 0.5 * (len(rows) + 1))
        shape = table(
            slide,
            content_headers(content, page.kind),
            rows,
            0.5,
            1.3,
            12.3,
            height,
            content_widths(content, "revision-counts"),
            16,
            left=(),
        )
        box(slide, 0.5, bottom(shape) + 0.1, 12.3, 0.5, t(COUNT_NOTE), 13, fg=GREY)
    else:
        box(slide, 0.5, 1.5, 12.3, 0.8, t("No revision count table was published this year"), 18, fg=GREY)
    if found:
        box(slide, 0.5, 4.9, 12.3, 2.5, [t("Comparing the two years' maps:"), *found], 13, fg=GREY)


def changes_slide(slide, content: ReportContent, page: ChangesPage) -> None:
    if not page.rows:
        box(slide, 0.5, 1.5, 12.3, 1, t("No revisions were published this year"), 20, fg=GREY)
        return
    w, room = TABLE_ROOM[page.kind]
    headers, widths = content_headers(content, page.kind), content_widths(content, "changes")
    table(slide, headers, page.rows, 0.3, 1.2, w, room, widths, 14, left=(2,), stretch=False)


def objective_slide(slide, content: ReportContent, page: ObjectivePage) -> None:
    """An objective's KPIs with their targets for the next years, its vision goal, key works and outcomes."""
    planned = page.planned
    headers = content_headers(content, page.kind)
    assert content.next is not None  # objective pages are part 2's, which exists only with a next year
    rows = target_rows(planned, content.next.years)
    shape = table(slide, headers, rows, 0.5, 1.2, 12.3, 3.0, content_widths(content, "objective"), 14, left=(0,),
                  stretch=False)  # fmt: skip
    top = bottom(shape) + 0.2
    width, high = (12.3 - 0.4) / 3, 7.2 - top - 0.45
    columns = [(label, lines or ["—"]) for label, lines in objective_columns(planned)]
    # One size for the three, as large as the fullest allows (up to 18 pt): a goal of one line is not left
    # at 13 pt in a box that could hold ten, nor drawn larger than its neighbours.
    size = min(fitted_size(lines, width, high, 18, MIN_SIZE) for _label, lines in columns)
    for i, (label, lines) in enumerate(columns):
        x = 0.5 + i * (width + 0.2)
        box(slide, x, top, width, 0.45, label, 15, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, top + 0.45, width, high, lines, size, fill=PALE)


def grid_slide(slide, content: ReportContent, page: GridPage) -> None:
    """Action plans on a 12-month grid: a row per plan and per task, ■ in the months it runs."""
    lines = page.lines
    headers = content_headers(content, page.kind)
    rows = [
        [line.text if line.is_plan else f"{gap()}{line.text}", *["■" if mark else "" for mark in line.marks()]]
        for line in lines
    ]
    w, room = TABLE_ROOM[page.kind]
    grid = table(
        slide, headers, rows, 0.3, 1.15, w, room, content_widths(content, "grid"), 16, left=(0,), stretch=False
    ).table
    for i, line in enumerate(lines, start=1):
        if line.is_plan:
            cell = grid.cell(i, 0)
            cell.merge(grid.cell(i, 12))
            cell.fill.solid()
            cell.fill.fore_color.rgb = PALE
            for run in cell.text_frame.paragraphs[0].runs:
                run.font.bold = True
        elif line.months is None:
            cell = grid.cell(i, 1)
            cell.merge(grid.cell(i, 12))
            write(cell.text_frame, t(NO_MONTHS), MIN_SIZE, fg=GREY, align=PP_ALIGN.CENTER)
        else:
            for m, mark in enumerate(line.marks(), start=1):
                if mark:
                    grid.cell(i, m).fill.solid()
                    grid.cell(i, m).fill.fore_color.rgb = PALE


def listing_slide(slide, content: ReportContent, page: NoResultsPage | NoTargetsPage) -> None:
    """The KPIs without results, or the objectives without targets or plans: a line each in a table."""
    headers = content_headers(content, page.kind)
    w, room = TABLE_ROOM[page.kind]
    table(slide, headers, page.rows, 0.5, 1.3, w, room, content_widths(content, page.kind), 16, left=(1, 2),
          stretch=False)  # fmt: skip


def closing(slide, content: ReportContent, page: ClosingPage) -> None:
    title_box(slide, 0.8, 3.0, 11.7, 1.2, page.heading, 40, fg=NAVY, align=PP_ALIGN.CENTER)


# --- the deck -------------------------------------------------------------------------------------


def draw(slide, content: ReportContent, page: ReportPage) -> None:
    """Lay ``page`` out on ``slide``, by its class."""
    match page:
        case CoverPage():
            cover(slide, content, page)
        case DividerPage():
            divider(slide, content, page)
        case MapPage():
            map_slide(slide, content, page)
        case LinkagePage():
            linkage_slide(slide, content, page)
        case SummaryPage():
            summary(slide, content, page)
        case UnknownPage():
            unknown_slide(slide, content, page)
        case ScorecardPage():
            scorecard_slide(slide, content, page)
        case KpiPage():
            kpi_slide(slide, content, page)
        case KpiPairPage():
            kpi_pair_slide(slide, content, page)
        case NarrativesPage():
            narratives_slide(slide, content, page)
        case MissedPage():
            missed_slide(slide, content, page)
        case PlansTablePage():
            plans_table_slide(slide, content, page)
        case RevisionCountsPage():
            revision_counts_slide(slide, content, page)
        case ChangesPage():
            changes_slide(slide, content, page)
        case ObjectivePage():
            objective_slide(slide, content, page)
        case GridPage():
            grid_slide(slide, content, page)
        case NoResultsPage() | NoTargetsPage():
            listing_slide(slide, content, page)
        case ClosingPage():
            closing(slide, content, page)
        case _:
            assert_never(page)


def render_deck(content: ReportContent, *, progress: Progress | None = None) -> Deck:
    """The deck of ``content`` (see :func:`stratmap.reports.content.report_content`), a slide per page;
    ``progress(done, total)`` is told of the slides drawn as it begins and after each; in the report's language."""
    with speaking(content.language):
        return _render_deck(content, progress)


def _render_deck(content: ReportContent, progress: Progress | None) -> Deck:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    shown = pages(content)
    if progress is not None:
        progress(0, len(shown))
    for done, page in enumerate(shown, 1):
        slide = new_slide(prs, page.name, page.heading if page.titled else None)
        draw(slide, content, page)
        if progress is not None:
            progress(done, len(shown))
    return prs


def build_deck(
    organization: str,
    year: int,
    theme: str | None = None,
    *,
    access: Access,
    period: Period | None = None,
    progress: Progress | None = None,
    language: str,
) -> Deck:
    """The deck of ``organization``'s ``year`` (AD), of one theme or of the whole map, as ``access`` reads it;
    with ``period``, of the year to date at its end; in ``language`` (``zh-hant``, ``en``)."""
    content = report_content(organization, year, theme, access=access, period=period, language=language)
    return render_deck(content, progress=progress)


def write_deck(
    organization: str,
    year: int,
    theme: str | None,
    path: str | Path,
    *,
    access: Access,
    period: Period | None = None,
    progress: Progress | None = None,
    language: str,
) -> Path:
    path = Path(path)
    deck = build_deck(organization, year, theme, access=access, period=period, progress=progress, language=language)
    deck.save(str(path))
    return path


__all__ = ["DeckError", "build_deck", "cjk_font", "render_deck", "write_deck"]
