"""Downloading a results workbook: an agency's KPIs of a map's year, with the values entered so far.

Each KPI has its year's row, then, when its frequency cuts the year into periods (quarters, months,
halves), one row per period in the order of the organization's fiscal year, each with its own target
and result. The period column shows the period in the downloader's language (2024/25 Q3,
2024/25年第3季): it is the one cell of a row a person reads to find the month, and the upload takes
the period from the hidden code (checking only that this cell still shows it, in either language),
so a workbook downloaded in English uploads on the Chinese page.
Self-assessment cells of a period row are read-only: innovation, challenge and contribution are
scored for the year, on the year's row.

Which agencies' workbooks a person may download is the access module's rule
(:meth:`stratmap.access.Access.workbook_agencies`); the values in it are those the
person may read. Cells are styled so that what may be filled in stands out; the sheet's
protection only marks that, the upload checks everything again.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from django.utils import timezone, translation
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.spreadsheet import put
from stratmap.core.years import format_year
from stratmap.exchange.workbook.columns import (
    ABOUT,
    ABOUT_ROWS,
    COLUMNS,
    FORMAT,
    RESULTS,
    UNKNOWN_KINDS_LABEL,
    excel_number,
    letter,
    row_label,
    unknown_kinds,
)
from stratmap.kpis.models import EDITABLE, Kpi, KpiResult, KpiTarget
from stratmap.kpis.selectors import policy_of
from stratmap.kpis.services import ENTRY_FIELDS, SCORES, SELF_ASSESSMENT
from stratmap.strategy.models import StrategyMap
from stratmap.text import FONT as FONT_NAME

FONT = Font(name=FONT_NAME)
BOLD = Font(name=FONT_NAME, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")
LOCKED_FILL = PatternFill("solid", fgColor="BFBFBF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
EDITABLE_CELL = Protection(locked=False)
LOCKED_CELL = Protection(locked=True)
#: How Excel checks an entry cell: an empty cell is allowed, a wrong value refused with a message.
CHECKED = {"allow_blank": True, "showErrorMessage": True}


def workbook_kpis(smap: StrategyMap, agency: Organization) -> list[Kpi]:
    """The KPIs of ``smap`` that ``agency`` is responsible for, in the map's order."""
    return list(
        Kpi.objects.filter(objective__map=smap, agencies=agency)
        .order_by("objective__order", "order", "pk")
        .prefetch_related("agencies")
    )


def filename(smap: StrategyMap, agency: Organization) -> str:
    return f"{smap.organization.code}-{smap.organization.year_style.typed(smap.year)}-{agency.code}-results.xlsx"


def _put(ws, row: int, column: int, value, *, font: Font = FONT):
    """Write a cell; text is always text, so a narrative starting with = never becomes a formula."""
    cell = put(ws, row, column, value)
    cell.font = font
    return cell


def _status_text(result: KpiResult | None) -> str:
    if result is None:
        return "未填 not entered"
    with translation.override("zh-hant"):
        zh = str(result.get_status_display())
    text = f"{zh} {result.status}"
    return text if result.status in EDITABLE else f"{text} · 鎖定 locked"


def _between(low: str, high: str, title: str, error: str) -> DataValidation:
    """Excel's own check of a number column: a number from ``low`` to ``high``, or nothing."""
    return DataValidation(
        type="decimal", operator="between", formula1=low, formula2=high, errorTitle=title, error=error, **CHECKED
    )


def build_workbook(*, access: Access, smap: StrategyMap, agency: Organization, user) -> bytes:
    """The results workbook of ``agency``'s KPIs of ``smap``, with the current values ``access`` may see."""
    access.require(smap)
    kpis = workbook_kpis(smap, agency)
    # Every period's rows with the year's, in one query each.
    results = {(r.kpi_id, r.period): r for r in access.results(KpiResult.objects.filter(kpi__in=kpis, year=smap.year))}
    targets = {(t.kpi_id, t.period): t for t in KpiTarget.objects.filter(kpi__in=kpis, year=smap.year)}
    style = smap.organization.year_style
    assessed = policy_of(smap=smap).self_assessed
    lines = [
        (kpi, code, row_label(style, smap.year, period))
        for kpi in kpis
        for code, period in [("", None), *kpi.periods(smap.year, style).items()]
    ]

    book = openpyxl.Workbook()
    book.properties.creator = "stratmap"
    book.properties.title = f"{smap.organization} {style.typed(smap.year)} {agency} results"
    ws = book.active
    ws.title = RESULTS
    for i, column in enumerate(COLUMNS, start=1):
        cell = _put(ws, 1, i, column.header, font=BOLD)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        cell.protection = LOCKED_CELL
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = column.width
        dimension.hidden = column.hidden
    ws.row_dimensions[1].height = 34

    for number, (kpi, code, label) in enumerate(lines, start=2):
        result = results.get((kpi.pk, code))
        target = targets.get((kpi.pk, code))
        locked = result is not None and result.status not in EDITABLE
        # Scores are for the year, and only of a map rated with them: elsewhere a row shows what is stored,
        # read-only.
        read_only = SELF_ASSESSMENT if code or not assessed else ()
        values = {
            "code": kpi.code,
            "period": label,
            "period_code": code or None,
            "name": kpi.name,
            "unit": kpi.unit,
            "target": (
                excel_number(target.value)
                if target and target.value is not None
                else (target.printed if target else "")
            ),
            "status": _status_text(result),
            "kpi_id": kpi.pk,
            "version": result.version if result else None,
        }
        for name in ENTRY_FIELDS:
            stored = getattr(result, name) if result else None
            values[name] = excel_number(stored) if isinstance(stored, Decimal) else stored
        for i, column in enumerate(COLUMNS, start=1):
            value = values[column.key]
            cell = _put(ws, number, i, value)
            cell.alignment = WRAP if column.kind in {"text", "info"} else TOP
            if column.entry and not locked and column.key not in read_only:
                cell.protection = EDITABLE_CELL
            else:
                cell.protection = LOCKED_CELL
                cell.fill = LOCKED_FILL if locked and column.entry else READ_ONLY_FILL
            if column.kind in {"number", "score"}:
                cell.number_format = "General"

    last = len(lines) + 1
    if lines:
        kinds = unknown_kinds()
        pick = DataValidation(
            type="list",
            formula1='"' + ",".join(code for code, _zh, _en in kinds) + '"',
            showInputMessage=True,
            errorTitle="不明類別 unknown kind",
            error="請選擇清單中的值 Pick a value of the list.",
            promptTitle="不明類別 unknown kind",
            prompt="; ".join(f"{code} = {zh}" for code, zh, _en in kinds)[:250],
            **CHECKED,
        )
        pick.add(f"{letter('unknown_kind')}2:{letter('unknown_kind')}{last}")
        score = _between("0", "100", "分數 score", "請輸入 0 至 100 的數字 Enter a number from 0 to 100.")
        for key in SCORES:
            score.add(f"{letter(key)}2:{letter(key)}{last}")
        actual = _between(
            "-999999999999", "999999999999", "達成值 actual", "請輸入數字，不含單位 Enter a number, without the unit."
        )
        actual.add(f"{letter('actual')}2:{letter('actual')}{last}")
        for validation in (pick, score, actual):
            ws.add_data_validation(validation)
    ws.freeze_panes = f"{letter('unit')}2"  # the code, the name and the period stay in view
    # Protection marks what is read-only; it has no password and is no security: the upload checks everything.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False

    about = book.create_sheet(ABOUT)
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 28
    about.column_dimensions["C"].width = 48
    now = timezone.localtime()
    rows = {
        "format": (FORMAT, "stratmap 成果填報檔 results workbook"),
        "organization": (smap.organization.code, str(smap.organization)),
        "agency": (agency.code, str(agency)),
        # Read back by the upload: the year as the organization types it, and as it reads (民國108年, 2019/20).
        "year": (style.typed(smap.year), f"{format_year(smap.year, 'zh-hant', style)} ({smap.year})"),
        "map": (smap.pk, smap.version_label or smap.title),
        "generated": (now.strftime("%Y-%m-%d %H:%M:%S"), str(now.tzinfo)),
        "generated_by": (user.get_username() if user is not None else "", ""),
    }
    number = 1
    for key, label in ABOUT_ROWS:
        shown, note = rows[key]
        _put(about, number, 1, label, font=BOLD)
        _put(about, number, 2, shown)
        _put(about, number, 3, note)
        number += 1
    number += 1
    _put(about, number, 1, UNKNOWN_KINDS_LABEL, font=BOLD)
    for code, zh, en in unknown_kinds():
        _put(about, number, 2, code)
        _put(about, number, 3, f"{zh} {en}")
        number += 1
    number += 1
    for line in (
        "填寫說明 How to fill in",
        "灰底欄位唯讀；深灰列為已送審或已核定之成果，已鎖定不可修改。",
        "Grey columns are read-only; dark grey rows are submitted or approved results, locked.",
        "達成值與不明類別擇一填寫。Enter the actual, or the unknown kind (and a reason for other).",
        "創新度、挑戰度、貢獻度為 0 至 100 之數字。Scores are numbers from 0 to 100.",
        "未達目標者須填寫狀況分析與對策說明。A missed target needs the situation analysis and countermeasures.",
        "按季、按月等填報之指標，全年一列，各期間各一列；自評分數僅填於全年列。",
        "A KPI reported by quarter or month has a row for the year and one per period; "
        "self-assessment scores go on the year's row only.",
        "上傳時全部檢查，有任何錯誤即不儲存任何資料。The upload is checked as a whole: any error saves nothing.",
    ):
        _put(about, number, 1, line, font=BOLD if line.startswith("填寫") else FONT)
        number += 1
    about.protection.sheet = True

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
