"""Downloading a results workbook: an agency's KPIs of a map's year, with the values entered so far.

Each KPI has its year's row, then, when its frequency cuts the year into periods (quarters, months,
halves), one row per period in the order of the organization's fiscal year, each with its own target
and result. The period column shows the period in the downloader's language (2024/25 Q3,
2024/25年第3季): it is the one cell of a row a person reads to find the month, and the upload takes
the period from the hidden code (checking only that this cell still shows it, in either language),
so a workbook downloaded in English uploads on the Chinese page.
Self-assessment cells of a period row are read-only: innovation, challenge and contribution are
scored for the year, on the year's row.

Everything a person reads in it is in the downloader's language (``language``), the header row and the
about sheet's labels too: those the upload finds its columns and rows by, so they are the fixed
:class:`~stratmap.exchange.workbook.columns.Words` of each language (「達成值」, "actual"), which the upload
reads in any of them.

Which agencies' workbooks a person may download is the access module's rule
(:meth:`stratmap.access.Access.workbook_agencies`); the values in it are those the
person may read. Cells are styled so that what may be filled in stands out; the sheet's
protection only marks that, the upload checks everything again.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import pgettext
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.names import local_name, local_text
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


#: The context of the workbook's own messages in django.po.
CONTEXT = "results workbook"


def _t(message: str) -> str:
    return pgettext(CONTEXT, message)


def _status_text(result: KpiResult | None) -> str:
    """The result's status as the downloader reads it, with its code (``draft``) as the upload names it."""
    if result is None:
        return _t("not entered")
    text = f"{result.get_status_display()} ({result.status})"
    return text if result.status in EDITABLE else _t("%(status)s · locked") % {"status": text}


def _between(low: str, high: str, title: str, error: str) -> DataValidation:
    """Excel's own check of a number column: a number from ``low`` to ``high``, or nothing."""
    return DataValidation(
        type="decimal", operator="between", formula1=low, formula2=high, errorTitle=title, error=error, **CHECKED
    )


def build_workbook(*, access: Access, smap: StrategyMap, agency: Organization, user, language: str) -> bytes:
    """The results workbook of ``agency``'s KPIs of ``smap``, with the current values ``access`` may see, in
    ``language`` (``zh-hant``, ``en``: a language the site does not offer is the site's default)."""
    offered = {code for code, _name in settings.LANGUAGES}
    with translation.override(language if language in offered else settings.LANGUAGE_CODE):
        return _build_workbook(access=access, smap=smap, agency=agency, user=user)


def _build_workbook(*, access: Access, smap: StrategyMap, agency: Organization, user) -> bytes:
    access.require(smap)
    language = translation.get_language()
    original = str(smap.organization.language)
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
    book.properties.title = f"{smap.organization.code} {style.typed(smap.year)} {agency.code} results"
    ws = book.active
    ws.title = RESULTS
    for i, column in enumerate(COLUMNS, start=1):
        cell = _put(ws, 1, i, column.words(language), font=BOLD)
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
            "name": local_text(kpi, "name", language=language, original=original),
            "unit": local_text(kpi, "unit", language=language, original=original),
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
        chinese = language.startswith("zh")
        pick = DataValidation(
            type="list",
            formula1='"' + ",".join(code for code, _zh, _en in kinds) + '"',
            showInputMessage=True,
            errorTitle=_t("Unknown kind"),
            error=_t("Pick a value of the list."),
            promptTitle=_t("Unknown kind"),
            prompt="; ".join(f"{code} = {zh if chinese else en}" for code, zh, en in kinds)[:250],
            **CHECKED,
        )
        pick.add(f"{letter('unknown_kind')}2:{letter('unknown_kind')}{last}")
        score = _between("0", "100", _t("Score"), _t("Enter a number from 0 to 100."))
        for key in SCORES:
            score.add(f"{letter(key)}2:{letter(key)}{last}")
        actual = _between("-999999999999", "999999999999", _t("Actual"), _t("Enter a number, without the unit."))
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
        "format": (FORMAT, _t("stratmap results workbook")),
        "organization": (smap.organization.code, local_name(smap.organization, language=language)),
        "agency": (agency.code, local_name(agency, language=language)),
        # Read back by the upload: the year as the organization types it, and as it reads (民國108年, 2019/20).
        "year": (style.typed(smap.year), f"{format_year(smap.year, language, style)} ({smap.year})"),
        "map": (
            smap.pk,
            local_text(smap, "version_label", language=language, original=original)
            or local_text(smap, "title", language=language, original=original),
        ),
        "generated": (now.strftime("%Y-%m-%d %H:%M:%S"), str(now.tzinfo)),
        "generated_by": (user.get_username() if user is not None else "", ""),
    }
    number = 1
    for key, words in ABOUT_ROWS:
        shown, note = rows[key]
        _put(about, number, 1, words(language), font=BOLD)
        _put(about, number, 2, shown)
        _put(about, number, 3, note)
        number += 1
    number += 1
    _put(about, number, 1, UNKNOWN_KINDS_LABEL(language), font=BOLD)
    for code, zh, en in unknown_kinds():
        _put(about, number, 2, code)
        _put(about, number, 3, zh if language.startswith("zh") else en)
        number += 1
    number += 1
    for i, line in enumerate(
        (
            _t("How to fill in"),
            _t("Grey columns are read-only; dark grey rows are submitted or approved results, locked."),
            _t("Enter the actual, or the unknown kind (and a reason for other)."),
            _t("Innovation, challenge and contribution are numbers from 0 to 100."),
            _t("A missed target needs the situation analysis and countermeasures."),
            _t(
                "A KPI reported by quarter or month has a row for the year and one per period; "
                "self-assessment scores go on the year's row only."
            ),
            _t("The upload is checked as a whole: any error saves nothing."),
        )
    ):
        _put(about, number, 1, line, font=BOLD if i == 0 else FONT)
        number += 1
    about.protection.sheet = True

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
