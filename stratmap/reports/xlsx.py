"""The Excel scorecard: a year's KPI results of a map as an openpyxl workbook (see docs/reports.md).

Sheets: 「總表」 (one row per theme: KPIs, met, not met, the lights; under it, when the map
weighs its objectives or themes, their weighted averages and points), one sheet per theme of
the map (one row per KPI, with the achievement rate and the computed total as Excel
formulas), 「分期數值」 when KPIs have figures by period (each period's target and actual, in
the fiscal year's order, and how the year's value was made of them) and 「行動計畫」 (the action
plans' tasks against the twelve months). A workbook of a period (``period``) is the year to date
at its end, as the scorecard page of that period.

openpyxl writes formulas but does not compute them, so the computed values are kept in
:class:`Line` (``line.rate``, ``line.total_computed``): :func:`theme_lines` is what the theme
sheets are written from, and what tests and other callers read.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
from django.utils.translation import get_language, pgettext
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.spreadsheet import put, text_cell
from stratmap.core.years import Period, Unit, format_year, to_roc_year
from stratmap.kpis.presenters import number, period_short
from stratmap.kpis.scoring import Level, Method, Polarity, Policy, Rollup, TargetType, Tolerance
from stratmap.kpis.selectors import Scorecard, ScoredKpi, map_scorecard, scorecard
from stratmap.plans.models import PlanTask
from stratmap.plans.selectors import kpis_with_plans
from stratmap.reports.content import (
    NO_MONTHS,
    agency_name,
    aggregation_text,
    derived_note,
    ended_by,
    light_text,
    list_join,
    name_of,
    report_language,
    speaking,
    t,
    text_of,
    tf,
    zh_target,
)
from stratmap.strategy.models import StrategyMap
from stratmap.text import FONT as FONT_NAME
from stratmap.text import cell_lines

FONT = Font(name=FONT_NAME, size=10)
BOLD = Font(name=FONT_NAME, size=10, bold=True)
TITLE = Font(name=FONT_NAME, size=14, bold=True)
NOTE = Font(name=FONT_NAME, size=9, color="595959")
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
TOTAL_FILL = PatternFill("solid", fgColor="DEEBF7")
PROGRESS_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# The formats of the body's cells, as the workbook's named styles (registered by ``add_styles``): one
# assignment a cell, where setting its font, border and alignment one by one makes openpyxl hash each style
# object again (most of the workbook's time, on a city's thousands of plan tasks).
BODY, CENTRED = "內文", "內文置中"
PROGRESS_BODY, PROGRESS_CENTRED = "進度列", "進度列置中"

# Messages, in the workbook's language when it is made (content.t).
SUMMARY_TITLE = "Summary"
PLANS_TITLE = "Action plans"
PERIODS_TITLE = "Figures by period"
RUNS = "■"
DONE, PLANNED = "✓", "○"
MONTHS = [""] * 12  # the month columns, labelled by the organization's year when the sheet is made
HEADER_ROW = 4  # rows 1–3: title, policy, blank
FIRST_ROW = HEADER_ROW + 1
SHEET_TITLE_MAX = 31
BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")

# (header, width in characters; a Chinese character counts about two)
THEME_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Perspective", 10),
    ("Objective", 26),
    ("Code", 9),
    ("Name", 40),
    ("Unit", 8),
    ("Target", 9),
    ("Actual", 9),
    ("Achievement", 8),
    ("Innovation", 8),
    ("Challenge", 8),
    ("Contribution", 8),
    ("Total (reported)", 10),
    ("Total (computed)", 10),
    ("Light", 7),
    ("Met", 6),
)
COL = {header: get_column_letter(i) for i, (header, _) in enumerate(THEME_COLUMNS, start=1)}
#: The theme sheet's columns of text, wrapped at the left; the others are centred.
WRAPPED_COLUMNS = frozenset({"Perspective", "Objective", "Name"})


class ScorecardError(ValueError):
    """An organization or year the workbook cannot be built for; the message says which."""


# --- the data the sheets are written from ----------------------------------------------------------


@dataclass
class Line:
    """One KPI row of a theme sheet: the values as computed in Python, and the formulas written."""

    perspective: str
    objective: str
    code: str
    name: str
    unit: str
    target: Decimal | None
    actual: Decimal | None
    rate: Decimal | None  # percent, as computed by the scoring engine
    innovation: Decimal | None
    challenge: Decimal | None
    contribution: Decimal | None
    total_reported: Decimal | None
    total_computed: Decimal | None
    light: Level
    met: str  # 是 / 否 / 不明
    negative: bool
    rate_formula: bool  # the rate is actual/target (or target/actual): write it as a formula
    target_printed: str = ""
    actual_printed: str = ""
    #: How the target and the actual were made of the periods' (「年度達成值由第1季–第4季推算（各期加總）」).
    target_derived: str = ""
    actual_derived: str = ""
    #: A range target as it reads (「−1～1」), written as text: a number cell would show its lower bound only.
    target_range: str = ""


def met_text(met: bool | None) -> str:
    return t("unknown") if met is None else (t("yes") if met else t("no"))


def line_of(row: ScoredKpi) -> Line:
    """The row's figures as scored: the year's as entered, or made of its periods' (or, on a workbook of a
    period, the year to date), with the self-assessment scores the engine read."""
    kpi, score, given = row.kpi, row.score, row.score.kpi
    objective = kpi.objective
    target, actual = given.target, given.actual
    # As the source printed it only when the value is the row's own (not made of periods).
    entered_target = row.target if row.target and row.target.value == target and not row.target_from else None
    entered = row.result if row.result and row.result.actual == actual and not row.actual_from else None
    return Line(
        perspective=name_of(objective.perspective) if objective.perspective else "",
        objective=f"{objective.code} {name_of(objective)}",
        code=kpi.code,
        name=name_of(kpi),
        unit=text_of(kpi, "unit"),
        target=target,
        actual=actual,
        rate=score.rate.percent,
        innovation=given.innovation,
        challenge=given.challenge,
        contribution=given.contribution,
        total_reported=score.score_reported,
        total_computed=score.score_computed,
        light=score.light,
        met=met_text(score.met),
        negative=kpi.polarity == Polarity.NEGATIVE,
        rate_formula=(
            score.rate.percent is not None
            and kpi.target_type == TargetType.RATIO
            and target is not None
            and actual is not None
        ),
        target_printed=entered_target.printed if entered_target else "",
        actual_printed=entered.printed if entered else "",
        target_derived=derived_note(row, "target"),
        actual_derived=derived_note(row, "actual"),
        target_range=range_text(target, given.target_upper),
    )


def range_text(target: Decimal | None, upper: Decimal | None) -> str:
    """A range target as the report reads it (「−1～1」); empty for a single value."""
    if target is None or upper is None:
        return ""
    return zh_target(target, upper)


def theme_lines(card: Scorecard, *, language: str | None = None) -> dict[str, list[Line]]:
    """Theme code ("" for KPIs of no theme) → the lines of its sheet, in the map's order, in ``language``
    (default: the organization's own)."""
    with speaking(report_language(language, card.map.organization)):
        return _theme_lines(card)


def _theme_lines(card: Scorecard) -> dict[str, list[Line]]:
    lines: dict[str, list[Line]] = {}
    for row in card.rows:
        theme = row.kpi.objective.theme
        lines.setdefault(theme.code if theme else "", []).append(line_of(row))
    return lines


# --- cells -------------------------------------------------------------------------------------------


def cell_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def number_format(printed: str, value: Decimal | None) -> str:
    """「6.00」 stays 6.00: as many decimals as the source printed, else as the value has."""
    match = re.fullmatch(r"-?[\d,]*\.(\d+)", printed.strip()) if printed else None
    places = len(match.group(1)) if match else 0
    if not match and value is not None and value != value.to_integral_value():
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # a stored number is finite: only NaN and infinities have a letter here
        places = min(max(-exponent, 0), 4)
    return "0." + "0" * places if places else "0"


def weight(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if len(text.partition(".")[2]) >= 2 else f"{value:.2f}"


def rate_formula(line: Line, row: int) -> str | None:
    if not line.rate_formula:
        return None
    target, actual = f"{COL['Target']}{row}", f"{COL['Actual']}{row}"
    return f"={target}/{actual}*100" if line.negative else f"={actual}/{target}*100"


def total_formula(policy: Policy, row: int) -> str:
    rate, i, c, k = (f"{COL[h]}{row}" for h in ("Achievement", "Innovation", "Challenge", "Contribution"))
    cap = format(policy.achievement_cap.normalize(), "f")
    return (
        f"={weight(policy.achievement_weight)}*MIN({rate},{cap})"
        f"+{weight(policy.innovation_weight)}*{i}"
        f"+{weight(policy.challenge_weight)}*{c}"
        f"+{weight(policy.contribution_weight)}*{k}"
    )


def policy_line(policy: Policy) -> str:
    """How the sheet's figures were worked out, by the map's rating method (the sheet's second line)."""
    if policy.method == Method.BANDS:
        unit = "%" if policy.tolerance == Tolerance.PERCENT else t(" (in the KPI's unit)")

        def reach(within: Decimal | None) -> str:
            if within is None:
                return t("the rest")
            return t("met") if within == 0 else tf("short by at most %(gap)s%(unit)s", gap=number(within), unit=unit)

        bands = list_join(
            tf("%(light)s: %(reach)s", light=light_text(policy.lights.get(band.level)), reach=reach(band.within))
            for band in policy.bands
        )
        return tf(
            "Achievement is a formula; the light by achievement bands (%(bands)s); Total (computed) is the "
            "achievement, at most %(cap)s",
            bands=bands,
            cap=number(policy.achievement_cap),
        )
    if policy.method == Method.DATA_ONLY:
        return tf("Monitored only, not rated (%(light)s)", light=light_text(policy.lights.data_only))
    return tf(
        "Achievement and Total (computed) are formulas; Total (computed) = %(a)s×MIN(Achievement,%(cap)s) + "
        "%(i)s×Innovation + %(c)s×Challenge + %(k)s×Contribution; the light by Total (reported), else by Total "
        "(computed)",
        a=weight(policy.achievement_weight),
        cap=format(policy.achievement_cap.normalize(), "f"),
        i=weight(policy.innovation_weight),
        c=weight(policy.challenge_weight),
        k=weight(policy.contribution_weight),
    )


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unused sheet title: no []:*?/\\, at most 31 characters."""
    base = BAD_TITLE_CHARS.sub("_", " ".join(text.split()))[:SHEET_TITLE_MAX].strip() or "Sheet"
    title, n = base, 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        title, n = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def header(ws: Worksheet, row: int, headers: list[str], widths: Sequence[float] | None = None) -> None:
    """The header row; ``headers`` are messages (or labels already made), each in the workbook's language."""
    for col, text in enumerate((t(h) for h in headers), start=1):
        cell = put(ws, row, col, text)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
        if widths:
            ws.column_dimensions[get_column_letter(col)].width = widths[col - 1]
    ws.row_dimensions[row].height = 30


def heading(ws: Worksheet, title: str, note: str, columns: int) -> None:
    # Titles hold names people typed: text, never formulas (so do all cells but the computed columns).
    text_cell(ws["A1"], title).font = TITLE
    text_cell(ws["A2"], note).font = NOTE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)
    ws.row_dimensions[1].height = 24


def add_styles(wb: openpyxl.Workbook) -> None:
    """Register the body's named styles in ``wb`` (each workbook its own: a named style is bound to one)."""
    for name, alignment, fill in (
        (BODY, WRAP, None),
        (CENTRED, CENTER, None),
        (PROGRESS_BODY, WRAP, PROGRESS_FILL),
        (PROGRESS_CENTRED, CENTER, PROGRESS_FILL),
    ):
        wb.add_named_style(NamedStyle(name, font=FONT, border=BORDER, alignment=alignment, fill=fill))


def merge(ws: Worksheet, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
    """``ws.merge_cells`` for a range that overlaps no other and is styled afterwards. openpyxl checks each new
    range against every one merged before and copies the top-left cell's borders to the edges: quadratic in a
    city's thousand plans (a third of the workbook's time), and the borders are the body style's anyway."""
    first, last = f"{get_column_letter(start_column)}{start_row}", f"{get_column_letter(end_column)}{end_row}"
    merged = MergedCellRange(ws, f"{first}:{last}")
    ws.merged_cells.ranges.add(merged)
    cells = merged.cells
    next(cells)  # the top-left cell keeps its value; the others become merged cells, as merge_cells makes them
    for row, column in cells:
        ws._cells[row, column] = MergedCell(ws, row, column)


def style_cell(cell: Cell | MergedCell, name: str) -> None:
    """Give ``cell`` the named style ``name``, which replaces its whole format but for the quote prefix, kept:
    text that reads as a formula stays text (``core.spreadsheet.text_cell``)."""
    quoted = cell.quotePrefix
    cell.style = name
    if quoted:
        cell.quotePrefix = True


def style_body(
    ws: Worksheet,
    first_row: int,
    last_row: int,
    columns: int,
    centred: Collection[int] = (),
    *,
    min_col: int = 1,
    progress: bool = False,
) -> None:
    """Bordered cells in the body font, wrapped, the ``centred`` columns centred (``progress``: on the progress
    rows' fill). A named style replaces a cell's whole format: a number format or a font goes on after it."""
    body, centre = (PROGRESS_BODY, PROGRESS_CENTRED) if progress else (BODY, CENTRED)
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=min_col, max_col=columns):
        for cell in row:
            style_cell(cell, centre if cell.column in centred else body)


def fit_rows(ws: Worksheet, first_row: int, last_row: int, skip: tuple[int, ...] = ()) -> None:
    """Tall enough rows for wrapped text: openpyxl does not size them, and LibreOffice keeps the default."""
    merged = {(c.min_row, c.min_col) for c in ws.merged_cells.ranges if c.min_row != c.max_row or c.min_col in skip}
    # ws.max_column scans every cell of the sheet: once, not once a row (``ws[r]`` would).
    rows = ws.iter_rows(min_row=first_row, max_row=last_row, max_col=ws.max_column)
    for r, cells in enumerate(rows, start=first_row):
        lines = 1
        for cell in cells:
            if not isinstance(cell.value, str) or cell.data_type == "f" or (r, cell.column) in merged:
                continue
            if cell.column in skip:
                continue
            width = ws.column_dimensions[cell.column_letter].width or 8.43
            lines = max(lines, cell_lines(cell.value, width))
        ws.row_dimensions[r].height = 16 * lines + 2


def light_font(light: Level) -> Font:
    """Bold, in the light's colour (a missed target is marked in the colour of ╳)."""
    return Font(name=FONT_NAME, size=10, bold=True, color=light.colour.lstrip("#").upper())


def page_setup(ws: Worksheet, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


# --- sheets ------------------------------------------------------------------------------------------


def theme_sheet(ws: Worksheet, title: str, lines: list[Line], policy: Policy) -> None:
    headers = [h for h, _ in THEME_COLUMNS]
    heading(ws, title, policy_line(policy), len(headers))
    header(ws, HEADER_ROW, headers, [w for _, w in THEME_COLUMNS])
    for r, line in enumerate(lines, start=FIRST_ROW):
        values = {
            "Perspective": line.perspective,
            "Objective": line.objective,
            "Code": line.code,
            "Name": line.name,
            "Unit": line.unit,
            "Target": line.target_range or cell_number(line.target),
            "Actual": cell_number(line.actual),
            "Achievement": cell_number(line.rate),
            "Innovation": cell_number(line.innovation),
            "Challenge": cell_number(line.challenge),
            "Contribution": cell_number(line.contribution),
            "Total (reported)": cell_number(line.total_reported),
            "Total (computed)": cell_number(line.total_computed),
            "Light": light_text(line.light),
            "Met": line.met,
        }
        formulas = {"Achievement": rate_formula(line, r)}
        if line.total_computed is not None and line.rate is not None and policy.self_assessed:
            formulas["Total (computed)"] = total_formula(policy, r)
        cells = {}
        for c, (name, _) in enumerate(THEME_COLUMNS, start=1):
            if formulas.get(name):
                cell = ws.cell(r, c, formulas[name])  # the report's own formula, not text from anyone
            else:
                cell = put(ws, r, c, values[name])
            style_cell(cell, BODY if name in WRAPPED_COLUMNS else CENTRED)  # first: it replaces the whole format
            cells[name] = cell
        cells["Target"].number_format = number_format(line.target_printed, line.target)
        cells["Actual"].number_format = number_format(line.actual_printed, line.actual)
        for name, note in (("Target", line.target_derived), ("Actual", line.actual_derived)):
            if note:  # a value made of the periods' says so where it is read (the periods are on their sheet)
                cells[name].comment = Comment(note, "stratmap")
        for name in ("Achievement", "Total (reported)", "Total (computed)"):
            cells[name].number_format = "0.0"
        cells["Light"].font = light_font(line.light)
        if line.met == met_text(False):
            cells["Met"].font = light_font(policy.lights.rated[-1])
    last = FIRST_ROW + len(lines) - 1
    if not policy.self_assessed:
        # A map rated by its achievement alone has no self-assessment and no published total: their columns
        # are hidden, not removed, so that every theme sheet keeps one layout (and its formulas' letters).
        for name in ("Innovation", "Challenge", "Contribution", "Total (reported)"):
            ws.column_dimensions[COL[name]].hidden = True
    fit_rows(ws, FIRST_ROW, last)
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{max(last, HEADER_ROW)}"
    page_setup(ws, HEADER_ROW)


SUMMARY_HEADERS = ["Theme", "Theme name", "KPIs", "Met", "Not met", "KPIs not met", "Unknown"]
SUMMARY_WIDTHS = [7, 22, 7, 7, 7, 24, 7]


def summary_levels(card: Scorecard) -> list[Level]:
    """A column per level of the map's light set, and one for data only when a KPI is."""
    lights = card.policy.lights
    whole = next(iter(card.rollups["organization"].values()), None)
    return [level for level in lights if level in lights.levels or (whole is not None and whole.lights[level])]


def summary_sheet(ws: Worksheet, card: Scorecard, themes: list[tuple[str, str]], sheets: dict[str, str]) -> None:
    organization = name_of(card.map.organization)
    levels = summary_levels(card)
    headers = [*SUMMARY_HEADERS, *(light_text(level) for level in levels)]
    heading(
        ws,
        tf("%(organization)s %(year)s KPI scorecard summary", organization=organization, year=year_text(card)),
        tf("KPIs met by theme; each theme has its own sheet. Strategy map: %(map)s", map=map_name(card.map)),
        len(headers),
    )
    header(ws, HEADER_ROW, headers, [*SUMMARY_WIDTHS, *(7 for _ in levels)])
    rollups = card.rollups["theme"]
    r = FIRST_ROW
    for code, name in themes:
        rollup = rollups.get(code)
        count = rollup.count if rollup else 0
        values = [
            code or "—",
            name,
            count,
            rollup.met if rollup else 0,
            len(rollup.not_met) if rollup else 0,
            list_join(rollup.not_met) if rollup else "",
            len(rollup.unknown) if rollup else 0,
            *(rollup.lights[light] if rollup else 0 for light in levels),
        ]
        for c, value in enumerate(values, start=1):
            put(ws, r, c, value)
        if code in sheets:
            link = ws.cell(r, 1)
            link.hyperlink = f"#'{sheets[code]}'!A1"
        r += 1
    total = r
    put(ws, total, 1, t("Total"))
    for c in (3, 4, 5, *range(7, len(headers) + 1)):
        letter = get_column_letter(c)
        ws.cell(total, c, f"=SUM({letter}{FIRST_ROW}:{letter}{total - 1})" if total > FIRST_ROW else 0)
    put(ws, total, 6, list_join(rollups_not_met(card)))
    style_body(ws, FIRST_ROW, total, len(headers), centred=set(range(1, len(headers) + 1)) - {2, 6})
    fit_rows(ws, FIRST_ROW, total)
    for c in range(1, len(headers) + 1):
        ws.cell(total, c).font = BOLD
        ws.cell(total, c).fill = TOTAL_FILL
    for offset, light in enumerate(levels):
        ws.cell(HEADER_ROW, 8 + offset).font = light_font(light)
        ws.cell(HEADER_ROW, 8 + offset).fill = PatternFill("solid", fgColor="FFFFFF")
    ws.freeze_panes = f"A{FIRST_ROW}"
    page_setup(ws, HEADER_ROW)
    weights_tables(ws, card, total + 2)


WEIGHT_HEADERS = ["Code", "Name", "Weight", "Points", "Weighted average", "Light"]
#: The weighted groups of a map, as the scorecard page shows them: (caption, its groups' rollups, the whole's).
WEIGHT_LEVELS = (
    ("Scored by the objectives' weights", "objective_points", "organization_by_objective"),
    ("Scored by the themes' weights", "theme_points", "organization_by_theme"),
)


def weights_tables(ws: Worksheet, card: Scorecard, row: int) -> None:
    """Under the summary from ``row``, when the map weighs its objectives or themes: each group's weight
    (配分), the points it earned (得分: an objective of 30 scoring 70 earns 21 of 30) and its weighted average
    (0–100), then the organization's, as the scorecard page's tables; nothing for a map without weights."""
    objectives = {r.kpi.objective.code: name_of(r.kpi.objective) for r in card.rows}
    themes = {r.kpi.objective.theme.code: name_of(r.kpi.objective.theme) for r in card.rows if r.kpi.objective.theme}
    for caption, points, whole in WEIGHT_LEVELS:
        total = next(iter(card.rollups[whole].values()), None)
        if total is None:
            continue
        names = objectives if points == "objective_points" else themes
        put(ws, row, 1, t(caption)).font = BOLD
        header(ws, row + 1, WEIGHT_HEADERS)
        first = row + 2
        groups: list[tuple[str, str, Rollup]] = [
            *((code, names.get(code, ""), rollup) for code, rollup in card.rollups[points].items()),
            (t("Total"), "", total),
        ]
        for r, (code, name, rollup) in enumerate(groups, start=first):
            values = [code, name, cell_number(rollup.possible), cell_number(rollup.points),
                      cell_number(rollup.weighted_average), light_text(rollup.light)]  # fmt: skip
            for c, value in enumerate(values, start=1):
                put(ws, r, c, value)
        last = first + len(groups) - 1
        style_body(ws, first, last, len(WEIGHT_HEADERS), centred=set(range(1, len(WEIGHT_HEADERS) + 1)) - {2})
        for r, (_code, _name, rollup) in enumerate(groups, start=first):
            ws.cell(r, 4).number_format = ws.cell(r, 5).number_format = "0.00"
            ws.cell(r, len(WEIGHT_HEADERS)).font = light_font(rollup.light)
        for c in range(1, len(WEIGHT_HEADERS) + 1):
            ws.cell(last, c).fill = TOTAL_FILL
            if c < len(WEIGHT_HEADERS):
                ws.cell(last, c).font = BOLD
        fit_rows(ws, first, last)
        row = last + 2


def map_name(smap: StrategyMap) -> str:
    """The map as the workbook names it: its title in the workbook's language where translated."""
    return text_of(smap, "title") or str(smap)


def year_text(card: Scorecard) -> str:
    """The year the workbook is of, 「2024/25」, or its period, 「2024/25年第3季（年初至今）」."""
    style, language = card.map.organization.year_style, get_language()
    if card.period is None:
        return format_year(card.year, language, style)
    return tf("%(period)s (year to date)", period=style.period_label(card.period, language))


PERIOD_HEADERS = ["Code", "Name", "Unit", "Aggregation", "Period", "Target", "Actual", "Note"]
PERIOD_WIDTHS = [9, 44, 11, 12, 18, 10, 10, 40]


def periods_sheet(ws: Worksheet, card: Scorecard, rows: list[ScoredKpi]) -> None:
    """「分期數值」: each KPI of figures by period, a row per period in the fiscal year's order labelled as people
    read it (「2024/25年第3季」, 「2024年4月」), then the year's (or the year to date's) figures and how they
    were made of the periods'."""
    style, language = card.map.organization.year_style, get_language()
    heading(
        ws,
        tf("%(organization)s %(year)s targets and actuals by period", organization=name_of(card.map.organization),
           year=year_text(card)),
        t("Each period's figures by the KPI's frequency, in the year's order; a year without its own figure is "
          "made of its periods' by the KPI's aggregation"),
        len(PERIOD_HEADERS),
    )  # fmt: skip
    header(ws, HEADER_ROW, PERIOD_HEADERS, PERIOD_WIDTHS)
    # The year's row: 「2024/25年度」, or the year to date's: 「年初至2024/25年第3季」.
    if card.period is None:
        whole = pgettext("report span of a year", "%(year)s") % {"year": style.in_text(card.year, language)}
    else:
        whole = tf("Year to %(period)s", period=style.period_label(card.period, language))
    r, totals = FIRST_ROW, set()
    formats: list[tuple[int, str, str]] = []  # (row, the target's, the actual's): after the cells' style
    for row in rows:
        kpi, given = row.kpi, row.score.kpi
        how = aggregation_text(kpi) or t("not set")
        for p in ended_by(row, card.period):
            target = p.target.value if p.target else None
            actual = p.result.actual if p.result else None
            note = p.result.unknown_reason if p.result and actual is None else ""
            label = style.period_label(p.period, language)
            for c, value in enumerate([kpi.code, name_of(kpi), text_of(kpi, "unit"), how, label, cell_number(target),
                                       cell_number(actual), note], start=1):  # fmt: skip
                put(ws, r, c, value)
            formats.append(
                (
                    r,
                    number_format(p.target.printed if p.target else "", target),
                    number_format(p.result.printed if p.result else "", actual),
                )
            )
            r += 1
        said = pgettext("report clause separator", "; ").join(
            n for n in (derived_note(row, "target"), derived_note(row, "actual")) if n
        )
        for c, value in enumerate([kpi.code, name_of(kpi), text_of(kpi, "unit"), how, whole,
                                   cell_number(given.target), cell_number(given.actual),
                                   said or t("As entered for the year")], start=1):  # fmt: skip
            put(ws, r, c, value)
        formats.append((r, number_format("", given.target), number_format("", given.actual)))
        totals.add(r)
        r += 1
    style_body(ws, FIRST_ROW, r - 1, len(PERIOD_HEADERS), centred=set(range(1, len(PERIOD_HEADERS) + 1)) - {2, 8})
    for at, target_format, actual_format in formats:
        ws.cell(at, 6).number_format, ws.cell(at, 7).number_format = target_format, actual_format
    for at in totals:
        for c in range(1, len(PERIOD_HEADERS) + 1):
            ws.cell(at, c).font, ws.cell(at, c).fill = BOLD, TOTAL_FILL
    fit_rows(ws, FIRST_ROW, r - 1)
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(PERIOD_HEADERS))}{max(r - 1, HEADER_ROW)}"
    page_setup(ws, HEADER_ROW)


def rollups_not_met(card: Scorecard) -> list[str]:
    return [row.kpi.code for row in card.rows if row.score.met is False]


PLAN_HEADERS = ["Plan code", "Action plan", "Lead and partner agencies", "Task", *MONTHS]
PLAN_WIDTHS = [11, 30, 16, 40, *([5] * 12)]


def plans_sheet(ws: Worksheet, smap: StrategyMap, *, access: Access) -> None:
    style = smap.organization.year_style
    heading(
        ws,
        tf("%(organization)s %(year)s action plans", organization=name_of(smap.organization),
           year=format_year(smap.year, get_language(), style)),
        tf("%(runs)s the months a task runs; progress rows: %(done)s done, %(planned)s planned", runs=RUNS,
           done=DONE, planned=PLANNED),
        len(PLAN_HEADERS),
    )  # fmt: skip
    # The month columns run through the organization's year (April to March for a council's); the months
    # of tasks and progress are calendar months.
    order = [month for _year, month in style.months(smap.year)]
    month_labels = [period_short(p, style, get_language()) for p in style.periods(smap.year, Unit.MONTH)]
    header(ws, HEADER_ROW, [*PLAN_HEADERS[: -len(MONTHS)], *month_labels], PLAN_WIDTHS)
    r = FIRST_ROW
    first_month = 5
    column = {month: first_month + i for i, month in enumerate(order)}
    progress_rows = []
    for kpi in kpis_with_plans(smap=smap, access=access):
        for item in kpi.plans:
            plan, start = item.plan, r
            agencies = plan.agencies_printed or list_join(agency_name(a) for a in item.agencies)
            tasks: list[PlanTask | None] = [*item.tasks] or [None]
            for task in tasks:
                put(ws, r, 4, name_of(task) if task else "")
                months = task.months if task else []
                if task is not None and months is None:
                    put(ws, r, first_month, t(NO_MONTHS))
                    merge(ws, r, first_month, r, first_month + 11)
                else:
                    for m in months or []:
                        if 1 <= int(m) <= 12:
                            ws.cell(r, column[int(m)], RUNS)
                # The task's progress the reader sees, in its months (issue 16: progress is per task).
                for p in item.progress.get(task.pk, []) if task is not None else []:
                    if 1 <= p.month <= 12 and (p.done == p.Done.DONE or p.planned):
                        ws.cell(r, column[p.month], DONE if p.done == p.Done.DONE else PLANNED)
                        progress_rows.append(r)
                r += 1
            put(ws, start, 1, plan.code)
            put(ws, start, 2, name_of(plan))
            put(ws, start, 3, agencies)
            if r - 1 > start:
                for c in (1, 2, 3):
                    merge(ws, start, c, r - 1, c)
    if r == FIRST_ROW:
        put(ws, r, 1, t("This year's strategy map has no action plans"))
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(PLAN_HEADERS))
        r += 1
    centred = {1, *range(first_month, len(PLAN_HEADERS) + 1)}
    style_body(ws, FIRST_ROW, r - 1, len(PLAN_HEADERS), centred)
    for at in progress_rows:  # shaded from the task column on
        style_body(ws, at, at, len(PLAN_HEADERS), centred, min_col=4, progress=True)
    fit_rows(ws, FIRST_ROW, r - 1, skip=(first_month,))
    ws.freeze_panes = f"E{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(PLAN_HEADERS))}{max(r - 1, HEADER_ROW)}"
    page_setup(ws, HEADER_ROW)


# --- the workbook ------------------------------------------------------------------------------------


def load_card(org: str, ad_year: int, *, access: Access, period: Period | None = None) -> Scorecard:
    if not Organization.objects.filter(code=org).exists():
        raise ScorecardError(f"no organization with code {org!r}")
    try:
        return scorecard(organization=org, year=ad_year, access=access, period=period)
    except StrategyMap.DoesNotExist:
        raise ScorecardError(f"{org} has no map in force for {to_roc_year(ad_year)} ({ad_year})") from None


def scorecard_workbook(
    org: str,
    ad_year: int,
    smap: StrategyMap | None = None,
    *,
    access: Access,
    period: Period | None = None,
    language: str,
) -> openpyxl.Workbook:
    """The scorecard workbook of ``org``'s map in force in ``ad_year``: 總表 (Summary), a sheet per theme, 分期數值
    when KPIs have figures by period, 行動計畫; with ``period`` (one of the map's year), the year to date at its
    end; in ``language`` (``zh-hant``, ``en``: its labels, years and the data's names where translated).

    Only what ``access`` may read is in it: the public's workbook has published results only. The
    web passes the map it has already resolved; commands pass ``Access.everything()``.
    """
    organization = smap.organization if smap is not None else Organization.objects.filter(code=org).first()
    try:
        language = report_language(language, organization)
    except ValueError as error:
        raise ScorecardError(str(error)) from None
    with speaking(language):
        return _scorecard_workbook(org, ad_year, smap, access=access, period=period)


def _scorecard_workbook(
    org: str, ad_year: int, smap: StrategyMap | None, *, access: Access, period: Period | None
) -> openpyxl.Workbook:
    if smap is not None:
        card = map_scorecard(smap=smap, access=access, period=period)
    else:
        card = load_card(org, ad_year, access=access, period=period)
    smap = card.map
    lines = _theme_lines(card)
    themes = [(theme.code, name_of(theme)) for theme in smap.themes.order_by("order")]
    if "" in lines:
        themes.append(("", t("No theme")))
    wb = openpyxl.Workbook()
    add_styles(wb)
    summary = wb.active
    taken: set[str] = {t(SUMMARY_TITLE), t(PLANS_TITLE), t(PERIODS_TITLE)}
    summary.title = t(SUMMARY_TITLE)
    sheets: dict[str, str] = {}
    year = year_text(card)
    for code, name in themes:
        ws = wb.create_sheet(sheet_title(f"{code} {name}".strip(), taken))
        sheets[code] = ws.title
        label = tf("%(name)s (%(code)s)", name=name, code=code) if code else name
        title = tf("%(organization)s %(year)s %(theme)s KPI scorecard", organization=name_of(smap.organization),
                   year=year, theme=label)  # fmt: skip
        theme_sheet(ws, title, lines.get(code, []), card.policy)
    summary_sheet(summary, card, themes, sheets)
    by_period = [row for row in card.rows if row.periods]
    if by_period:
        periods_sheet(wb.create_sheet(t(PERIODS_TITLE)), card, by_period)
    plans_sheet(wb.create_sheet(t(PLANS_TITLE)), smap, access=access)
    for ws in wb.worksheets:
        ws.sheet_view.zoomScale = 100
    return wb


__all__ = ["Line", "ScorecardError", "scorecard_workbook", "theme_lines"]
