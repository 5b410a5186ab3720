"""The completion board (issue 16 item 3): per theme and per responsible agency of a map, how many results are
owed so far, entered, submitted (and at which step of the review chain), returned, approved, published, not
entered and late; each count a link to the KPIs behind it, and the board as CSV and Excel. For the insiders
who read the map's unpublished data (its administrators, theme coordinators, viewers, and the editors of its
KPIs); the public and outsiders are told nothing (404). Thin views over ``kpis.selectors.completion_board``.
"""

from __future__ import annotations

import codecs
import datetime
import io
from dataclasses import dataclass
from urllib.parse import urlencode

import openpyxl
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from stratmap.access import access_for, get_map_for_user
from stratmap.core.names import local_name, local_text, original_language
from stratmap.core.spreadsheet import SafeWriter, put
from stratmap.kpis.models import PERIOD_CODES, KpiResult
from stratmap.kpis.selectors import NOT_ENTERED, Board, BoardCounts, BoardGroup, BoardRow, completion_board
from stratmap.reports.xlsx import add_styles, header, heading, page_setup, style_body
from stratmap.strategy.models import StrategyMap
from stratmap.web.review import step_name
from stratmap.web.views import map_context

#: The board's columns of counts, in the cycle's order: the ``status`` filter's value and its heading.
COLUMNS = (
    ("expected", gettext_lazy("owed")),
    ("not_entered", gettext_lazy("not entered")),
    ("draft", gettext_lazy("entered (draft)")),
    # The cycle's own names of its statuses (the result's page and /due/ say them so).
    ("submitted", KpiResult.Status.SUBMITTED.label),
    ("returned", KpiResult.Status.RETURNED.label),
    ("approved", KpiResult.Status.APPROVED.label),
    ("published", KpiResult.Status.PUBLISHED.label),
    ("late", gettext_lazy("late")),
)
#: The ``period`` filter's value for the year's own results ("" is every result owed so far).
YEAR = "year"
#: KPI rows on one page of the board.
ROWS_PER_PAGE = 100


def count_of(counts: BoardCounts, column: str) -> int:
    """The number in ``column`` (a key of :data:`COLUMNS`) of a group's counts."""
    if column == "expected":
        return counts.expected
    if column == "late":
        return counts.late
    return counts.statuses[NOT_ENTERED if column == "not_entered" else column]


def status_label(status: str) -> str:
    """A result's status as people read it; "not entered" for none."""
    return str(KpiResult.Status(status).label) if status else _("not entered")


class BadFilter(ValueError):
    """A filter of the board's address that is none it knows (the message says which and what is expected)."""


def asked_period(request: HttpRequest) -> str | None:
    """The ``period`` of the address: None for every result owed so far, "" for the year's, a period code."""
    asked = request.GET.get("period", "")
    if asked == "":
        return None
    if asked == YEAR:
        return ""
    if asked not in PERIOD_CODES:
        raise BadFilter(
            _("The period %(value)s is not one of a year: expected %(year)s, Q1–Q4, H1, H2 or M01–M12.")
            % {"value": repr(asked), "year": YEAR}
        )
    return asked


def asked_status(request: HttpRequest) -> str | None:
    """The ``status`` of the address (a key of :data:`COLUMNS`), None for every row."""
    asked = request.GET.get("status", "")
    if asked in ("", "expected"):
        return None
    if asked not in dict(COLUMNS):
        expected = ", ".join(key for key, _label in COLUMNS)
        raise BadFilter(
            _("The status %(value)s is none of %(expected)s.") % {"value": repr(asked), "expected": expected}
        )
    return asked


def today() -> datetime.date:
    """The board's today (the site's local date); tests fix it."""
    return timezone.localdate()


def _board(request: HttpRequest, org: str, year: int) -> tuple[StrategyMap, Board]:
    """The map's board as of today, for someone who reads the map's unpublished data; else a 404."""
    smap = get_map_for_user(request, org, year)
    access = access_for(request)
    if not access.reads_unpublished(smap):
        raise Http404  # the public's and outsiders' answer, as /revise/ gives it
    return smap, completion_board(smap=smap, access=access, today=today(), period=asked_period(request))


@dataclass
class Cell:
    """A count of the board's table: the number, and where its KPIs are listed (None: nothing to list)."""

    count: int
    url: str | None
    #: The submitted results per step of a configured review chain: (step's name, count).
    steps: list[tuple[str, int]]


@dataclass
class Line:
    """A line of a table of the board: a theme's, an agency's or the total's."""

    key: str | None
    owner: object
    cells: list[Cell]
    percent: int
    handed_in: int
    expected: int


def _lines(board: Board, groups: list[BoardGroup] | None, param: str, period: str) -> list[Line]:
    """The lines of one table (``groups`` None: the total's line), each count linked to its KPIs."""
    named = any(step.row is not None for step in board.chain)
    found = [(g.key, g.owner, g.counts) for g in groups] if groups is not None else [(None, None, board.total)]
    lines = []
    for key, owner, counts in found:
        cells = []
        for column, _label in COLUMNS:
            n = count_of(counts, column)
            query = {"period": period} if period else {}
            if key is not None:
                query[param] = key
            if column != "expected":
                query["status"] = column
            steps = []
            if column == "submitted" and named and n:
                steps = [(step_name(step), counts.steps.get(step.number, 0)) for step in board.chain]
            cells.append(Cell(n, f"?{urlencode(query)}#kpis" if n else None, steps))
        lines.append(Line(key, owner, cells, counts.percent, counts.handed_in, counts.expected))
    return lines


def _filters(request: HttpRequest) -> tuple[str | None, str | None, str | None]:
    """The theme, agency and status the KPI rows are narrowed to (None: not narrowed)."""
    theme = request.GET["theme"] if "theme" in request.GET else None
    agency = request.GET["agency"] if "agency" in request.GET else None
    return theme, agency, asked_status(request)


@login_required
@require_safe
def completion(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The completion board of the map ``org`` ``year``: the counts per theme and per agency, and the KPIs
    behind one count (``?theme=D&status=late``, ``?agency=taipei-dol&status=submitted``), of every result
    owed so far or of one period (``?period=Q2``, ``?period=year``)."""
    try:
        smap, board = _board(request, org, year)
        theme, agency, status = _filters(request)
    except BadFilter as bad:
        return HttpResponseBadRequest(str(bad), content_type="text/plain; charset=utf-8")
    period = request.GET.get("period", "")
    rows = board.matching(theme=theme, agency=agency, status=status)
    narrowed = []
    if theme is not None:
        owner = next((g.owner for g in board.themes if g.key == theme), None)
        narrowed.append(local_name(owner) if owner is not None else (theme or _("no theme")))
    if agency is not None:
        owner = next((g.owner for g in board.agencies if g.key == agency), None)
        narrowed.append(local_name(owner) if owner is not None else (agency or _("no agency")))
    if status is not None:
        narrowed.append(str(dict(COLUMNS)[status]))
    query = urlencode({"period": period} if period else {})
    kept = urlencode({k: v for k, v in request.GET.items() if k in ("period", "theme", "agency", "status")})
    return render(
        request,
        "web/completion.html",
        map_context(
            smap,
            board=board,
            columns=[label for _key, label in COLUMNS],
            themes=_lines(board, board.themes, "theme", period),
            agencies=_lines(board, board.agencies, "agency", period),
            total=_lines(board, None, "", period)[0],
            periods=[("", _("every result owed so far"))]
            + [(code or YEAR, board.period_label(code)) for code in board.periods],
            period=period,
            rows=Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page")),
            narrowed=narrowed,
            query=query,
            kept=kept,
        ),
    )


# --- the exports -----------------------------------------------------------------------------------------------


def summary_headers() -> list[str]:
    """The summary's columns, in the active language (stable: the same for every map)."""
    return [
        _("group"),
        _("code"),
        _("name"),
        *(str(label) for _key, label in COLUMNS),
        _("handed in"),
        _("handed in (%)"),
    ]


def summary_lines(board: Board) -> list[list[object]]:
    """The summary's rows: each theme's, each agency's, then the total."""
    out: list[list[object]] = []
    for kind, groups, none in (
        (_("theme"), board.themes, _("no theme")),
        (_("agency"), board.agencies, _("no agency")),
    ):
        for group in groups:
            name = local_name(group.owner) if group.owner is not None else none
            out.append([kind, group.key, name, *_numbers(group.counts)])
    out.append([_("total"), "", "", *_numbers(board.total)])
    return out


def _numbers(counts: BoardCounts) -> list[object]:
    return [*(count_of(counts, key) for key, _label in COLUMNS), counts.handed_in, counts.percent]


def kpi_headers() -> list[str]:
    """The KPI rows' columns, in the active language (stable: the same for every map)."""
    return [
        _("theme"),
        _("code"),
        _("name"),
        _("responsible agencies"),
        _("period"),
        _("period code"),
        _("status"),
        _("review step"),
        _("results due"),
        _("late"),
    ]


def kpi_lines(board: Board, rows: list[BoardRow]) -> list[list[object]]:
    """One row per result owed: its KPI, period, status, step, due date (ISO) and whether it is late."""
    original = original_language(board.smap.organization)
    out: list[list[object]] = []
    for row in rows:
        theme = row.kpi.objective.theme
        out.append(
            [
                theme.code if theme is not None else "",
                row.kpi.code,
                local_text(row.kpi, original=original),
                "; ".join(local_name(a) for a in row.agencies),
                board.period_label(row.period),
                row.period,
                status_label(row.status),
                step_name(row.step) if row.step is not None else "",
                row.due.isoformat(),
                _("yes") if row.late else _("no"),
            ]
        )
    return out


def _filename(smap: StrategyMap, period: str, kind: str) -> str:
    suffix = f"-{period}" if period else ""
    return f"{smap.organization.code}-{smap.year}{suffix}-completion.{kind}"


@login_required
@require_safe
def completion_csv(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The board as CSV (UTF-8 with a byte-order mark, so Excel reads it so; text never a formula):
    ``?table=summary`` (the default) the counts per theme, per agency and in total, ``?table=kpis`` the
    results owed, narrowed as the page's list is (``theme``, ``agency``, ``status``)."""
    try:
        smap, board = _board(request, org, year)
        theme, agency, status = _filters(request)
    except BadFilter as bad:
        return HttpResponseBadRequest(str(bad), content_type="text/plain; charset=utf-8")
    table = request.GET.get("table", "summary")
    if table not in ("summary", "kpis"):
        return HttpResponseBadRequest(
            _("The table %(value)s is none of summary, kpis.") % {"value": repr(table)},
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = _filename(smap, request.GET.get("period", ""), "csv").replace(".csv", f"-{table}.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write(codecs.BOM_UTF8.decode("utf-8"))
    writer = SafeWriter(response)  # names are people's text: never formulas in Excel
    if table == "summary":
        writer.writerow(summary_headers())
        writer.writerows(summary_lines(board))
    else:
        writer.writerow(kpi_headers())
        writer.writerows(kpi_lines(board, board.matching(theme=theme, agency=agency, status=status)))
    return response


def completion_workbook(board: Board) -> openpyxl.Workbook:
    """The board as a workbook of two sheets, in the active language: the summary and the results owed."""
    smap = board.smap
    title = _("Completion board: %(organization)s %(year)s") % {
        "organization": local_name(smap.organization),
        "year": board.period_label(""),
    }
    note = _("As of %(date)s; %(period)s.") % {
        "date": board.today.isoformat(),
        "period": board.period_label(board.period) if board.period is not None else _("every result owed so far"),
    }
    wb = openpyxl.Workbook()
    add_styles(wb)
    for ws, headers, lines, widths in (
        (wb.active, summary_headers(), summary_lines(board), [10, 16, 36, *([11] * len(COLUMNS)), 11, 11]),
        (wb.create_sheet(), kpi_headers(), kpi_lines(board, board.rows), [8, 10, 48, 30, 16, 8, 14, 14, 12, 8]),
    ):
        assert ws is not None
        heading(ws, title, note, len(headers))
        header(ws, 3, headers, widths)
        for r, line in enumerate(lines, start=4):
            for c, value in enumerate(line, start=1):
                put(ws, r, c, value)
        if lines:
            style_body(ws, 4, 3 + len(lines), len(headers))
        page_setup(ws, 3)
        ws.freeze_panes = "A4"
    wb.worksheets[0].title = _("Summary")[:31]
    wb.worksheets[1].title = _("Results owed")[:31]
    return wb


@login_required
@require_safe
def completion_xlsx(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The board as an Excel workbook: the summary and every result owed (of ``?period=`` only, if given)."""
    try:
        smap, board = _board(request, org, year)
    except BadFilter as bad:
        return HttpResponseBadRequest(str(bad), content_type="text/plain; charset=utf-8")
    buffer = io.BytesIO()
    completion_workbook(board).save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(smap, request.GET.get("period", ""), "xlsx")}"'
    return response
