"""The leadership-camp deck (首長領航共識營): a theme's year of KPI results as a PowerPoint file.

The slides follow the Taipei 108 report: cover, part divider, KPI summary, scorecard
table, one slide per KPI, one slide per missed KPI with its situation analysis and
countermeasures, and a closing slide. Everything is a native, editable shape: text
boxes, tables and ``chart_data`` charts, never pictures.

Every run goes through :func:`cjk_font`, which sets ``lang="zh-TW"`` and the East
Asian typeface: without them LibreOffice draws Traditional Chinese with the Japanese face.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

from stratmap.core.models import Organization
from stratmap.core.years import to_roc_year
from stratmap.kpis.scoring import Light
from stratmap.kpis.selectors import Scorecard, ScoredKpi, kpi_detail, scorecard
from stratmap.strategy.models import StrategyMap
from stratmap.web.presenters import number, summary_sentence

FONT = "Noto Sans CJK TC"
LANG = "zh-TW"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
NAVY = RGBColor(0x1F, 0x38, 0x64)
GREY = RGBColor(0x59, 0x59, 0x59)
PALE = RGBColor(0xDE, 0xEB, 0xF7)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
TITLE_MAX = 40  # characters of a slide title before it is cut with "…"
TABLE_ROWS = 10  # scorecard rows per slide
KPI_PERSPECTIVES = ("C", "P")  # perspectives that get a slide per KPI even without a result


class DeckError(ValueError):
    """An organization, year or theme the deck cannot be built for; the message says which."""


# --- text ---------------------------------------------------------------------------------------


def cjk_font(font: Font) -> Font:
    """Make ``font`` (a run's, a table cell's or a chart's) Traditional Chinese.

    Sets the Latin typeface, ``lang="zh-TW"``, ``altLang="en-US"`` and ``<a:ea typeface=…/>``.
    """
    font.name = FONT
    rpr = font._element
    rpr.set("lang", LANG)
    rpr.set("altLang", "en-US")
    for ea in rpr.findall(qn("a:ea")):
        rpr.remove(ea)
    ea = etree.SubElement(rpr, qn("a:ea"))
    ea.set("typeface", FONT)
    rpr.remove(ea)
    rpr.find(qn("a:latin")).addnext(ea)  # the schema wants a:ea right after a:latin
    return font


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def colour(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


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
    shrink: bool = True,
) -> TextFrame:
    """Replace the frame's text with ``lines``, one paragraph each, wrapped and shrunk to fit."""
    lines = [lines] if isinstance(lines, str) else list(lines)
    lines = [part for line in lines for part in (line.splitlines() or [""])]
    frame.word_wrap = True
    if shrink:
        frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    for i, line in enumerate(lines or [""]):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if i == 0:
            for r in list(paragraph.runs):
                paragraph._p.remove(r._r)
        if align is not None:
            paragraph.alignment = align
        add_run(paragraph, line, size, bold=bold, fg=fg)
    return frame


def box(slide, x, y, w, h, lines, size=16, *, bold=False, fg=None, fill=None, align=None, anchor=None):
    shape = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    if fill is not None:
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
    write(shape.text_frame, lines, size, bold=bold, fg=fg, align=align)
    if anchor is not None:
        shape.text_frame.vertical_anchor = anchor
    return shape


def title(slide, text: str, name: str) -> None:
    """The slide's title bar; ``name`` identifies the slide (``kpi:DP5.1``) for tests and tools."""
    slide._element.cSld.set("name", name)
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDTH, Inches(1.0))
    bar.fill.solid()
    bar.fill.fore_color.rgb = NAVY
    bar.line.fill.background()
    write(bar.text_frame, truncate(text, TITLE_MAX), 28, bold=True, fg=WHITE)
    bar.text_frame.margin_left = Inches(0.5)
    bar.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE


def table(slide, headers: list[str], rows: list[list[str]], x, y, w, h, widths=None, size=12, colours=None):
    """A native table; ``colours`` maps (row, column) of ``rows`` to a text colour."""
    shape = slide.shapes.add_table(len(rows) + 1, len(headers), Inches(x), Inches(y), Inches(w), Inches(h))
    grid = shape.table
    if widths:
        total = sum(widths)
        for i, width in enumerate(widths):
            grid.columns[i].width = Emu(int(Inches(w) * width / total))
    for j, header in enumerate(headers):
        cell = grid.cell(0, j)
        write(cell.text_frame, header, size, bold=True, align=PP_ALIGN.CENTER, shrink=False)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            fg = (colours or {}).get((i - 1, j))
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.05)
            align = PP_ALIGN.LEFT if j == 1 else PP_ALIGN.CENTER
            write(cell.text_frame, value, size, bold=fg is not None, fg=fg, align=align, shrink=False)
    return shape


# --- values as the report writes them -----------------------------------------------------------


def rate_text(row: ScoredKpi) -> str:
    percent = row.score.rate.percent
    return "" if percent is None else f"{number(percent, 1)}%"


def target_text(row: ScoredKpi) -> str:
    if row.target is None:
        return ""
    return row.target.printed or number(row.target.value)


def actual_text(row: ScoredKpi) -> str:
    if row.result is None or row.result.actual is None:
        return "不明"
    return row.result.printed or number(row.result.actual)


def light_text(light: Light) -> str:
    return f"{light.symbol}{light.label_zh}"


def scores(row: ScoredKpi) -> list[str]:
    r, total = row.result, row.score.score
    parts = [number(getattr(r, name)) if r else "" for name in ("innovation", "challenge", "contribution")]
    return [*parts, number(total, 2) if total is not None else ""]


def roc(year: int) -> str:
    return f"{to_roc_year(year)}年"


# --- slides ---------------------------------------------------------------------------------------


def cover(prs, card: Scorecard, theme_name: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    slide._element.cSld.set("name", "cover")
    org = card.map.organization
    box(slide, 0.8, 1.3, 11.7, 1.2, f"{org.name}首長領航共識營", 40, bold=True, fg=NAVY, align=PP_ALIGN.CENTER)
    box(slide, 0.8, 2.7, 11.7, 0.9, f"{roc(card.year)}度施政成果", 32, bold=True, align=PP_ALIGN.CENTER)
    if theme_name:
        box(slide, 0.8, 3.8, 11.7, 0.9, theme_name, 30, fg=NAVY, align=PP_ALIGN.CENTER)
    box(slide, 0.8, 5.6, 11.7, 0.6, f"民國{roc(card.year)}", 20, fg=GREY, align=PP_ALIGN.CENTER)


def divider(prs, card: Scorecard, part: str, heading: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    slide._element.cSld.set("name", "divider")
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(2.6), WIDTH, Inches(2.3))
    band.fill.solid()
    band.fill.fore_color.rgb = NAVY
    band.line.fill.background()
    write(band.text_frame, [part, heading], 32, bold=True, fg=WHITE, align=PP_ALIGN.CENTER)
    band.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE


def summary(prs, card: Scorecard, subject: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    title(slide, f"{roc(card.year)}度{subject}KPI達成情形", "summary")
    names = {p.code: p.name for p in card.map.perspectives.all()}
    rows = []
    for code, r in card.rollups["perspective"].items():
        lights = " ".join(f"{light_text(light)}{r.lights[light]}" for light in Light if r.lights[light])
        rows.append([f"{names.get(code, code)}（{code}）", str(r.count), str(r.met), "、".join(r.not_met) or "—",
                     "、".join(r.unknown) or "—", lights])  # fmt: skip
    (whole,) = card.rollups["organization"].values()
    rows.append(["合計", str(whole.count), str(whole.met), "、".join(whole.not_met) or "—",
                 "、".join(whole.unknown) or "—", ""])  # fmt: skip
    headers = ["構面", "KPI數", "達成", "未達成", "不明", "燈號"]
    table(slide, headers, rows, 0.5, 1.3, 12.3, 0.4 * (len(rows) + 1), [2.2, 1, 1, 2.4, 3, 2.7], 14)
    unknown = [f"{row.kpi.code} {truncate(row.kpi.name, 30)}：{row.score.unknown_reason}"
               for row in card.rows if row.score.met is None]  # fmt: skip
    top = 1.5 + 0.4 * (len(rows) + 1)
    if unknown:
        box(slide, 0.5, top, 12.3, 5.9 - top, ["資料不明：", *unknown], 14, fg=GREY)
    sentence = summary_sentence(whole, card.year, card.theme, "zh-hant") if card.rows else "本組無KPI"
    box(slide, 0.5, 6.0, 12.3, 1.0, sentence, 22, bold=True, fg=NAVY, fill=PALE, align=PP_ALIGN.CENTER,
        anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip


def scorecard_slides(prs, card: Scorecard, subject: str) -> None:
    headers = ["編號", "KPI名稱", "目標值", "實際值", "達成率", "創新性", "挑戰性", "貢獻度", "總分", "燈號"]
    chunks = [card.rows[i : i + TABLE_ROWS] for i in range(0, len(card.rows), TABLE_ROWS)] or [[]]
    for n, chunk in enumerate(chunks, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        suffix = f"（{n}/{len(chunks)}）" if len(chunks) > 1 else ""
        title(slide, f"{roc(card.year)}度{subject}KPI成績{suffix}", f"scorecard:{n}")
        if not chunk:
            box(slide, 0.5, 1.5, 12.3, 1, "本組無KPI", 20, fg=GREY)
            continue
        rows, colours = [], {}
        for i, row in enumerate(chunk):
            rows.append([row.kpi.code, truncate(row.kpi.name, 30), target_text(row), actual_text(row),
                         rate_text(row), *scores(row), light_text(row.score.light)])  # fmt: skip
            colours[(i, 9)] = colour(row.score.light.colour)
        widths = [1.1, 4, 1.1, 1.1, 1.1, 0.9, 0.9, 0.9, 1, 1]
        table(slide, headers, rows, 0.3, 1.2, 12.7, 0.5 * (len(rows) + 1), widths, 13, colours)


def history_chart(slide, smap: StrategyMap, row: ScoredKpi, x, y, w, h) -> bool:
    """A line chart of the KPI's targets and actuals over the years; False when there is one year or none."""
    history = kpi_detail(smap, row.kpi.code).history
    if len(history) < 2:
        return False
    data = CategoryChartData(number_format="General")
    data.categories = [roc(point.year) for point in history]
    data.add_series("目標值", [None if p.target is None else float(p.target) for p in history])
    data.add_series("實際值", [None if p.actual is None else float(p.actual) for p in history])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(x), Inches(y), Inches(w), Inches(h), data)
    chart = frame.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.font.size = Pt(12)
    cjk_font(chart.font)
    chart.has_title = True
    write(chart.chart_title.text_frame, "歷年目標值與實際值", 14, bold=True, shrink=False)
    return True


def kpi_slide(prs, card: Scorecard, row: ScoredKpi) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    kpi, s = row.kpi, row.score
    title(slide, f"{kpi.code} {kpi.name}", f"kpi:{kpi.code}")
    headers = ["目標值", "實際值", "達成率", "創新性", "挑戰性", "貢獻度", "總分", "燈號"]
    values = [target_text(row), actual_text(row), rate_text(row), *scores(row), light_text(s.light)]
    table(slide, headers, [values], 0.5, 1.2, 12.3, 0.9, size=16, colours={(0, 7): colour(s.light.colour)})
    notes = []
    if kpi.polarity == "negative":
        notes.append("（負向指標）")
    if s.met is None and s.unknown_reason:
        notes.append(f"資料不明：{s.unknown_reason}")
    if s.flag and s.score_computed is not None:
        notes.append(f"依計分政策計算之總分為 {number(s.score_computed, 2)}，與填報總分不同")
    if notes:
        box(slide, 0.5, 2.15, 12.3, 0.45, "　".join(notes), 13, fg=GREY)
    has_chart = history_chart(slide, card.map, row, 8.9, 2.7, 4.1, 4.4)
    r = row.result
    narratives = [
        ("創新性", r.innovation_note if r else ""),
        ("挑戰性", r.challenge_note if r else ""),
        ("貢獻度", r.contribution_note if r else ""),
    ]
    area = 8.2 if has_chart else 12.3
    width = (area - 0.2 * 2) / 3
    for i, (label, text) in enumerate(narratives):
        x = 0.5 + i * (width + 0.2)
        box(slide, x, 2.7, width, 0.45, label, 15, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, 3.15, width, 3.95, text or "—", 12, fill=PALE)


def missed_slide(prs, card: Scorecard, row: ScoredKpi) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    kpi, r = row.kpi, row.result
    title(slide, f"{kpi.code} {kpi.name}", f"missed:{kpi.code}")
    line = f"目標值 {target_text(row)}　實際值 {actual_text(row)}　達成率 {rate_text(row)}"
    if kpi.polarity == "negative":
        line += "　（負向指標）"
    box(slide, 0.5, 1.2, 12.3, 0.5, line, 16, bold=True, fg=NAVY)
    for i, (label, text) in enumerate([("狀況分析", r.situation_analysis), ("對策說明", r.countermeasures)]):
        x = 0.5 + i * 6.25
        box(slide, x, 1.9, 6.05, 0.5, label, 18, bold=True, fg=WHITE, fill=NAVY, align=PP_ALIGN.CENTER)
        box(slide, x, 2.4, 6.05, 4.7, text or "—", 13, fill=PALE)


def closing(prs) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    slide._element.cSld.set("name", "closing")
    box(slide, 0.8, 3.0, 11.7, 1.2, "簡報結束，敬請指教！", 40, bold=True, fg=NAVY, align=PP_ALIGN.CENTER)


# --- the deck -------------------------------------------------------------------------------------


def load_scorecard(organization: str, year: int, theme: str | None) -> tuple[Scorecard, str]:
    """The scorecard and the theme's heading (「優化產業勞動（D）組」); DeckError for unknown input."""
    if not Organization.objects.filter(code=organization).exists():
        raise DeckError(f"no organization with code {organization!r}")
    try:
        card = scorecard(organization, year, theme)
    except StrategyMap.DoesNotExist:
        raise DeckError(f"{organization} has no map in force for {to_roc_year(year)} ({year})") from None
    heading = ""
    if theme:
        found = card.map.themes.filter(code=theme).first()
        if found is None:
            raise DeckError(f"the {to_roc_year(year)} map of {organization} has no theme {theme!r}")
        heading = f"{found.name}（{found.code}）組"
    return card, heading


def build_deck(organization: str, year: int, theme: str | None = None) -> Presentation:
    """The deck of ``organization``'s ``year`` (AD), of one theme or of the whole map."""
    card, heading = load_scorecard(organization, year, theme)
    subject = f"{theme}組" if theme else ""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    cover(prs, card, heading)
    divider(prs, card, "第一部份", f"{roc(card.year)}度{subject}策略地圖執行成果")
    summary(prs, card, subject)
    scorecard_slides(prs, card, subject)
    for row in card.rows:
        if row.score.kpi.perspective in KPI_PERSPECTIVES or row.result is not None:
            kpi_slide(prs, card, row)
    for row in card.rows:
        if row.score.met is False and row.result is not None:
            missed_slide(prs, card, row)
    closing(prs)
    return prs


def write_deck(organization: str, year: int, theme: str | None, path: str | Path) -> Path:
    path = Path(path)
    build_deck(organization, year, theme).save(path)
    return path


__all__ = ["DeckError", "build_deck", "cjk_font", "write_deck"]
