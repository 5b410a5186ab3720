"""Uploading a filled-in results workbook: checked as a whole, saved all or nothing.

Every row is read and checked first (the workbook is ours and for this map, each KPI is
one this person enters, numbers are numbers, scores 0–100, the business rules of
:func:`stratmap.kpis.services.validate_entry`, locked results unchanged, the version still
the stored one, and who changed it meanwhile if not); only when nothing is wrong are the
changed rows saved, each through :func:`stratmap.kpis.services.kpi_result_record`, in one
transaction. Nothing here writes a result itself.

A row is a KPI's year or one of its periods (the hidden period code: "" the year, "Q3", "M10"),
checked against the KPI's frequency and saved with ``period=`` against that period's own row:
its version, its lock, its target. A period row's self-assessment cells are read-only (scores
are for the year): a change to one is a problem, and the stored values are saved unchanged.
Workbooks of format 1, from before periods had rows, are read by their own column layout, every
row a year's (see :mod:`~stratmap.exchange.workbook.columns`).

The file is untrusted: its size, what it unpacks to, its rows and texts are limited, and its
XML is parsed with defusedxml before openpyxl sees it. The same workbook saved as OpenDocument (.ods)
is read into the same rows by :mod:`~stratmap.exchange.workbook.ods` and checked the same way.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.models import AuditEvent
from stratmap.core.years import Period, to_ad_year
from stratmap.exchange.workbook import ods
from stratmap.exchange.workbook.columns import (
    ABOUT,
    ABOUT_ROWS,
    FORMAT,
    LAYOUT,
    LAYOUTS,
    RESULTS,
    Column,
    Layout,
    excel_number,
    row_label,
    unknown_kinds,
)
from stratmap.kpis.models import EDITABLE, Kpi, KpiResult
from stratmap.kpis.selectors import policy_of
from stratmap.kpis.services import (
    ENTRY_FIELDS,
    NEW,
    SELF_ASSESSMENT,
    StaleEdit,
    kpi_result_record,
    validate_entry,
)
from stratmap.strategy.models import StrategyMap

#: Limits of an upload: the file, what it unpacks to, the rows of the results sheet, a text cell.
MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024
MAX_ROWS = 2000
MAX_TEXT = 20000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload: where (sheet, row, column) and what was expected instead."""

    sheet: str
    expected: str
    row: int | None = None
    column: str = ""  # the column's letter
    header: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = self.sheet + (
            f"!{self.column}{self.row or ''}" if self.column else (f" row {self.row}" if self.row else "")
        )
        header = f" ({self.header})" if self.header else ""
        return f"{where}{header}: “{self.value}” — {self.expected}"


@dataclass(frozen=True)
class Saved:
    """A result an upload created or changed: its KPI and period ("" the year, "Q3"), and the period as
    people read it ("" for the year)."""

    kpi: Kpi
    period: str = ""
    label: str = ""

    @property
    def code(self) -> str:
        return self.kpi.code

    @property
    def name(self) -> str:
        return self.kpi.name


@dataclass
class Outcome:
    """What an upload did: the problems (then nothing was saved) or the results created and changed."""

    problems: list[Problem] = field(default_factory=list)
    created: list[Saved] = field(default_factory=list)
    changed: list[Saved] = field(default_factory=list)
    unchanged: int = 0
    empty: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class _Bad(Exception):
    def __init__(self, expected: str):
        self.expected = expected
        super().__init__(expected)


@dataclass
class _Write:
    row: int
    kpi: Kpi
    period: str
    label: str
    data: dict
    existing: KpiResult | None
    layout: Layout


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _show(value) -> str:
    """A cell's value as an error message quotes it."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = excel_number(Decimal(repr(value))) if math.isfinite(value) else value
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _norm_text(value) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _field(column: Column) -> models.Field:
    """The model field of an entry column."""
    field = KpiResult._meta.get_field(column.key)
    assert isinstance(field, models.Field)  # a result's own column, never a reverse relation
    return field


def _text(column: Column, cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        value = excel_number(Decimal(repr(value)))
    elif isinstance(value, datetime | date | time):
        value = value.isoformat()
    text = _norm_text(str(value))
    if len(text) > MAX_TEXT:
        raise _Bad(_("at most %(n)d characters") % {"n": MAX_TEXT})
    # The column's own rules (no control characters, its length), here where the cell is known: the
    # service would refuse the same at save time, under no cell and only the first of them.
    try:
        _field(column).run_validators(text)
    except ValidationError as error:
        raise _Bad(" ".join(error.messages)) from None
    return text


def _number(column: Column, cell) -> Decimal | None:
    value = cell.value
    if _blank(value):
        return None
    expected = (
        _("a number from 0 to 100")
        if column.kind == "score"
        else _("a number, e.g. 6.1 (no unit, no thousands separator)")
    )
    if "%" in (getattr(cell, "number_format", None) or ""):
        raise _Bad(
            expected
            + " "
            + _("in a cell not formatted as a percentage (Excel keeps 85% as 0.85); type the plain number")
        )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _Bad(expected)
    try:
        number = (
            Decimal(value.strip())
            if isinstance(value, str)
            else Decimal(repr(value) if isinstance(value, float) else value)
        )
    except InvalidOperation:
        raise _Bad(expected) from None
    if not number.is_finite():
        raise _Bad(expected)
    if column.kind == "score" and not Decimal(0) <= number <= Decimal(100):
        raise _Bad(expected)
    try:
        _field(column).clean(number, None)
    except ValidationError as error:
        raise _Bad(" ".join(error.messages)) from None
    return number


def _unknown_kind(column: Column, cell) -> str:
    value = cell.value
    if _blank(value):
        return ""
    kinds = unknown_kinds()
    if isinstance(value, str):
        text = value.strip().casefold()
        for code, zh, en in kinds:
            if text in {code.casefold(), zh.casefold(), en.casefold()}:
                return code
    raise _Bad(_("empty, or one of: %(kinds)s") % {"kinds": ", ".join(code for code, _zh, _en in kinds)})


def _integer(value) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    return int(str(value).strip())


PARSERS = {"number": _number, "score": _number, "unknown": _unknown_kind, "text": _text}


def _stored(result: KpiResult, name: str):
    value = getattr(result, name)
    return excel_number(value) if isinstance(value, Decimal) else value


def _same(old, new) -> bool:
    """Whether an uploaded value equals the stored one (6.1 = 6.1000; text compared trimmed)."""
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return _norm_text("" if old is None else str(old)) == _norm_text("" if new is None else str(new))


#: The parts of an .xlsx that are XML, and that openpyxl parses.
XML_PARTS = (".xml", ".rels")


def _unsafe_xml(archive: zipfile.ZipFile) -> Problem | None:
    """The first XML part of the workbook that is not plain, well-formed XML, as a problem.

    Excel never writes a document type declaration: one is where entities hide (an entity
    bomb, an external entity reading a file of the server), so it is refused outright.
    Each part is parsed with defusedxml, streaming, so a large sheet costs no memory.
    """
    for info in archive.infolist():
        if not info.filename.lower().endswith(XML_PARTS):
            continue
        try:
            with archive.open(info) as part:
                for _event, element in safe_iterparse(part, forbid_dtd=True):
                    element.clear()
        except DefusedXmlException:
            expected = _(
                "XML without a document type declaration (<!DOCTYPE …>): Excel never writes one, and it can "
                "declare entities that read the server's files or never end; save the workbook again with Excel"
            )
        except ParseError as error:
            expected = _(
                "well-formed XML, as Excel writes it (%(error)s); save the workbook again with Excel, "
                "or download a fresh one"
            ) % {"error": error}
        else:
            continue
        return Problem(sheet="", expected=expected, value=info.filename)
    return None


@dataclass(frozen=True)
class _Cell:
    """What the check uses of a cell, taken out of the file while it was being read."""

    value: object = None
    number_format: str = ""


@dataclass
class _Read:
    """The parts of an uploaded workbook that the check reads, all read before checking begins."""

    sheetnames: list[str]
    about: list[tuple] = field(default_factory=list)
    header: tuple = ()
    #: The results sheet's non-empty rows, numbered; None when the workbook lacks one of its sheets.
    rows: list[tuple[int, tuple[_Cell, ...]]] | None = None
    #: The number of the first row past MAX_ROWS, if the sheet has that many.
    overflow: int | None = None
    #: The columns of the format the about sheet names (the current one if it names none we read).
    layout: Layout = LAYOUT


def _format_of(about: list[tuple]) -> object:
    """The value of the about sheet's format row, None without one."""
    label = dict(ABOUT_ROWS)["format"]
    for row in about:
        if row and label.read(row[0]):
            return row[1] if len(row) > 1 else None
    return None


def _read(book) -> _Read:
    read = _Read(sheetnames=list(book.sheetnames))
    if RESULTS not in book.sheetnames or ABOUT not in book.sheetnames:
        return read
    read.about = [tuple(row) for row in book[ABOUT].iter_rows(min_row=1, max_row=60, max_col=2, values_only=True)]
    found = _format_of(read.about)
    read.layout = LAYOUTS[found] if isinstance(found, str) and found in LAYOUTS else LAYOUT
    width = len(read.layout.columns)
    ws = book[RESULTS]
    read.header = tuple(next(ws.iter_rows(min_row=1, max_row=1, max_col=width, values_only=True), ()))
    read.rows = []
    for number, row in enumerate(ws.iter_rows(min_row=2, max_col=width), start=2):
        cells = [_Cell(cell.value, getattr(cell, "number_format", None) or "") for cell in row]
        if all(_blank(cell.value) for cell in cells):
            continue
        if len(read.rows) == MAX_ROWS:
            read.overflow = number
            break
        cells += [_Cell()] * (width - len(cells))
        read.rows.append((number, tuple(cells)))
    return read


class _Check:
    """Reads an uploaded workbook and collects every problem; changes nothing."""

    def __init__(self, access: Access, smap: StrategyMap):
        self.access, self.smap = access, smap
        # Whether the map is rated with the self-assessment (the composite method): its year rows take scores.
        self.assessed = policy_of(smap=smap).self_assessed
        self.outcome = Outcome()
        self.writes: list[_Write] = []
        self.layout = LAYOUT

    def problem(self, sheet: str, expected: str, *, row: int | None = None, key: str = "", value="") -> None:
        column = self.layout.column(key) if key else None
        self.outcome.problems.append(
            Problem(
                sheet=sheet,
                expected=expected,
                row=row,
                column=self.layout.letter(key) if column else "",
                header=column.header if column else "",
                value=_show(value),
            )
        )

    def run(self, content: bytes) -> None:
        opendocument = False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                    self.problem("", _("a workbook of at most %(n)d MB unpacked") % {"n": MAX_UNPACKED // 2**20})
                    return
                unsafe = _unsafe_xml(archive)
                opendocument = ods.is_ods(archive)
            if unsafe is not None:
                self.outcome.problems.append(unsafe)
                return
            # Everything openpyxl reads, it reads here: in read-only mode a sheet's XML is parsed only as
            # its rows are iterated, so the rows are taken out of the file inside this try. An .ods file is
            # read into the same rows (stratmap.exchange.workbook.ods).
            book = (
                ods.load(content)
                if opendocument
                else openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            )
            try:
                read = _read(book)
            finally:
                book.close()
        except ods.OdsError as error:
            self.problem("", str(error))
            return
        except Exception:  # openpyxl, odfpy and zipfile raise many kinds of error for a file that is not a workbook
            if opendocument:
                self.problem("", _("an OpenDocument spreadsheet (.ods) saved from the workbook downloaded here"))
            else:
                self.problem("", _("an Excel workbook (.xlsx) downloaded from this page"))
            return
        if read.rows is None:
            self.problem(
                "",
                _("a stratmap results workbook, with the sheets “%(results)s” and “%(about)s”")
                % {"results": RESULTS, "about": ABOUT},
                value=", ".join(read.sheetnames),
            )
            return
        self.layout = read.layout
        if self.about(read.about) and self.header(read.header):
            self.rows(read)

    def about(self, rows: list[tuple]) -> bool:
        found: dict[str, tuple[int, object]] = {}
        for number, row in enumerate(rows, start=1):
            if not row:
                continue
            key = next((key for key, label in ABOUT_ROWS if label.read(row[0])), None)
            if key is not None and key not in found:
                found[key] = (number, row[1] if len(row) > 1 else None)
        smap = self.smap

        def check(key: str, ok, expected: str) -> bool:
            number, value = found.get(key, (None, None))
            try:
                good = key in found and ok(value)
            except (TypeError, ValueError):
                good = False
            if not good:
                self.outcome.problems.append(
                    Problem(
                        sheet=ABOUT, row=number, column="B" if number else "", expected=expected, value=_show(value)
                    )
                )
            return good

        if not check(
            "format",
            lambda v: isinstance(v, str) and v in LAYOUTS,
            _("%(format)s: a workbook downloaded from stratmap") % {"format": FORMAT},
        ):
            return False
        roc = smap.organization.year_style.typed(smap.year)  # as the workbook writes it: 108, or 2019 for 2019/20
        good = check(
            "organization",
            lambda v: str(v).strip() == smap.organization.code,
            _("%(org)s: this page is for %(org)s's map of %(year)s") % {"org": smap.organization.code, "year": roc},
        )
        good &= check(
            "year",
            lambda v: to_ad_year(v) == smap.year,
            _("%(year)s: this page is for the year %(year)s") % {"year": roc},
        )
        good &= check(
            "map",
            lambda v: _integer(v) == smap.pk,
            _("%(map)s: this workbook was made for another version of this map; download a fresh one")
            % {"map": smap.pk},
        )
        return good

    def header(self, first: tuple) -> bool:
        columns = self.layout.columns
        first = tuple(first) + (None,) * (len(columns) - len(first))
        good = True
        for column, found in zip(columns, first, strict=True):
            if not column.words.read(found):
                self.problem(
                    RESULTS,
                    _("the header “%(header)s”: do not add, remove or move columns") % {"header": column.header},
                    row=1,
                    key=column.key,
                    value=found,
                )
                good = False
        return good

    def rows(self, read: _Read) -> None:
        smap = self.smap
        self.style = smap.organization.year_style
        self.kpis = {k.pk: k for k in Kpi.objects.filter(objective__map=smap).prefetch_related("agencies")}
        # Every period's results with the year's: a row is a KPI's year or one of its periods.
        self.results = {
            (r.kpi_id, r.period): r for r in KpiResult.objects.filter(kpi__in=self.kpis.values(), year=smap.year)
        }
        self.seen: dict[tuple[int, str], int] = {}
        columns = self.layout.columns
        for number, cells in read.rows or []:
            self.row(number, {c.key: cell for c, cell in zip(columns, cells, strict=True)})
        if read.overflow is not None:
            self.problem(RESULTS, _("at most %(n)d rows") % {"n": MAX_ROWS}, row=read.overflow)

    def period(self, number: int, kpi: Kpi, cells: dict) -> tuple[str, Period | None] | None:
        """The period of a row: ("", None) for the year's; None, with its problem, when the hidden period code
        is not one of the KPI's periods (a quarter of a monthly KPI, Q5, a period of a yearly KPI)."""
        cell = cells.get("period_code")
        raw = None if cell is None else cell.value  # a format-1 workbook: every row is the year's
        if _blank(raw):
            return "", None
        periods = kpi.periods(self.smap.year, self.style)
        code = raw.strip().upper() if isinstance(raw, str) else None
        if code in periods:
            return code, periods[code]
        names = {"code": kpi.code, "frequency": kpi.get_frequency_display(), "periods": ", ".join(periods)}
        expected = (
            _(
                "empty on the year's row, or a period of %(code)s (reported %(frequency)s): %(periods)s; "
                "do not edit this column"
            )
            % names
            if periods
            else _("empty: %(code)s is reported %(frequency)s, for the whole year only; do not edit this column")
            % names
        )
        self.problem(RESULTS, expected, row=number, key="period_code", value=raw)
        return None

    def labelled(self, value, period: Period | None) -> bool:
        """Whether a period cell still shows its row's period, as a download in any language wrote it."""
        if isinstance(value, float) and math.isfinite(value):
            value = excel_number(Decimal(repr(value)))
        shown = _norm_text("" if value is None else str(value))
        return shown in {row_label(self.style, self.smap.year, period, code) for code, _name in settings.LANGUAGES}

    def row(self, number: int, cells: dict) -> None:
        smap = self.smap
        raw_id = cells["kpi_id"].value
        try:
            kpi_id = _integer(raw_id)
        except ValueError:
            kpi_id = -1
        if kpi_id is None:
            self.problem(
                RESULTS,
                _("the KPI id the downloaded workbook put here: rows cannot be added"),
                row=number,
                key="kpi_id",
                value=raw_id,
            )
            return
        kpi = self.kpis.get(kpi_id)
        if kpi is None:
            self.problem(
                RESULTS,
                _("the id of a KPI of %(org)s's map of %(year)s")
                % {"org": smap.organization, "year": smap.organization.year_style.typed(smap.year)},
                row=number,
                key="kpi_id",
                value=raw_id,
            )
            return
        found = self.period(number, kpi, cells)
        if found is None:
            return
        period, when = found
        label = row_label(self.style, smap.year, when)
        if (kpi_id, period) in self.seen:
            first = self.seen[(kpi_id, period)]
            self.problem(
                RESULTS,
                _("each KPI's period once: %(code)s %(period)s is on row %(row)d too")
                % {"code": kpi.code, "period": label, "row": first}
                if period
                else _("each KPI once: %(code)s is on row %(row)d too") % {"code": kpi.code, "row": first},
                row=number,
                key="period_code" if period else "kpi_id",
                value=cells["period_code"].value if period else raw_id,
            )
            return
        self.seen[(kpi_id, period)] = number
        if not self.access.edits(kpi):
            self.problem(
                RESULTS,
                _("a KPI whose results you enter: %(code)s is %(agencies)s's; upload your own agency's workbook")
                % {"code": kpi.code, "agencies": "、".join(str(a) for a in kpi.agencies.all()) or "?"},
                row=number,
                key="code",
                value=cells["code"].value,
            )
            return
        # From here on, every problem of the row is listed, not only the first: one upload shows them all.
        problems_before = len(self.outcome.problems)
        if _norm_text(str(cells["code"].value or "")) != kpi.code:
            self.problem(
                RESULTS,
                _("%(code)s, the code of the KPI with this row's id: do not edit read-only columns")
                % {"code": kpi.code},
                row=number,
                key="code",
                value=cells["code"].value,
            )
        if "period" in cells and not self.labelled(cells["period"].value, when):
            self.problem(
                RESULTS,
                _("%(period)s, the period of this row's hidden code: do not edit read-only columns")
                % {"period": label},
                row=number,
                key="period",
                value=cells["period"].value,
            )

        data: dict[str, object] = {}
        bad: set[str] = set()
        for name in ENTRY_FIELDS:
            column = self.layout.column(name)
            assert column is not None  # every layout has every entry field
            try:
                data[name] = PARSERS[column.kind](column, cells[name])
            except _Bad as error:
                self.problem(RESULTS, error.expected, row=number, key=name, value=cells[name].value)
                data[name], bad = None, bad | {name}
        try:
            version = _integer(cells["version"].value)
            version_read = True
        except ValueError:
            self.problem(
                RESULTS,
                _("the version the downloaded workbook put here: do not edit this column"),
                row=number,
                key="version",
                value=cells["version"].value,
            )
            version, version_read = None, False

        existing = self.results.get((kpi.pk, period))
        if period or not self.assessed:
            # Scores are for the year, of a map rated with them: elsewhere the self-assessment stays as stored,
            # read-only as downloaded.
            for name in SELF_ASSESSMENT:
                stored = getattr(existing, name, None)
                if name not in bad and not _same(stored, data[name]):
                    shown = _show(_stored(existing, name)) if existing is not None else ""
                    if not self.assessed:
                        why = _("the map is rated by its achievement alone, without a self-assessment")
                    else:
                        why = _("self-assessment is for the whole year; enter it on the year's row of %(code)s") % {
                            "code": kpi.code
                        }
                    self.problem(
                        RESULTS,
                        _("“%(old)s”, the stored value: %(why)s") % {"old": shown, "why": why}
                        if shown
                        else _("empty: %(why)s") % {"why": why},
                        row=number,
                        key=name,
                        value=cells[name].value,
                    )
                data[name] = stored
        changed = [name for name in ENTRY_FIELDS if name in bad or not _same(getattr(existing, name, None), data[name])]
        if not changed:
            if len(self.outcome.problems) == problems_before:
                if existing is None:
                    self.outcome.empty += 1
                else:
                    self.outcome.unchanged += 1
            return
        if existing is not None and existing.status not in EDITABLE:
            for name in changed:
                if name in bad:
                    continue
                self.problem(
                    RESULTS,
                    _("“%(old)s”, the stored value: this result is %(status)s and locked")
                    % {"old": _show(_stored(existing, name)), "status": existing.get_status_display()},
                    row=number,
                    key=name,
                    value=cells[name].value,
                )
            return
        stored_version = existing.version if existing else None
        if version_read and version != stored_version:
            self.stale(number, existing, version)
        try:
            # The cells that could not be read count as empty here; their own problem is listed already.
            validate_entry(kpi=kpi, year=smap.year, data=data, period=period)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = name if self.layout.column(name) else "status"
                # "an actual or an unknown kind" is not a second problem when one of the two is unreadable
                either = {"actual", "unknown_kind"}
                if key in bad or (key in either and bad & either):
                    continue
                self.problem(
                    RESULTS, " ".join(messages), row=number, key=key, value=cells[key].value if key in cells else ""
                )
        if len(self.outcome.problems) == problems_before:
            self.writes.append(
                _Write(
                    row=number,
                    kpi=kpi,
                    period=period,
                    label=label if period else "",
                    data=data,
                    existing=existing,
                    layout=self.layout,
                )
            )

    def stale(self, number: int, existing: KpiResult | None, version: int | None) -> None:
        if existing is None:
            expected = _("empty: the result this row was downloaded with no longer exists; download a fresh workbook")
        else:
            meanwhile = AuditEvent.objects.filter(
                object_type="kpis.kpiresult", object_id=existing.pk, object_version__gt=version or 0
            ).order_by("-at", "-pk")
            who = sorted({e.username for e in meanwhile if e.username})
            expected = _(
                "%(version)d: someone changed this result after the workbook was downloaded%(who)s; "
                "download a fresh workbook and enter the row again"
            ) % {"version": existing.version, "who": f" ({', '.join(who)})" if who else ""}
        self.problem(RESULTS, expected, row=number, key="version", value=version)


def upload(*, access: Access, smap: StrategyMap, content: bytes, filename: str) -> Outcome:
    """Check an uploaded workbook as a whole; when nothing is wrong, save its changed rows.

    All or nothing: the check and the writes share one transaction, and nothing is
    written unless every row passed. Each changed row is saved through
    :func:`kpi_result_record` with the reason ``Excel upload <filename>``.
    """
    reason = f"Excel upload {filename}"[:500]
    try:
        with transaction.atomic():
            check = _Check(access, smap)
            if len(content) > MAX_BYTES:
                check.problem("", _("a file of at most %(n)d MB") % {"n": MAX_BYTES // 2**20})
            else:
                check.run(content)
            outcome = check.outcome
            if outcome.problems:
                return outcome
            for write in check.writes:
                _save(access, smap, write, reason)
                saved = Saved(write.kpi, write.period, write.label)
                (outcome.changed if write.existing else outcome.created).append(saved)
            return outcome
    except _Refused as refused:
        return Outcome(problems=[refused.problem])


def _save(access: Access, smap: StrategyMap, write: _Write, reason: str) -> None:
    """One checked row through the service; anything it refuses undoes the whole upload."""

    def refuse(expected: str, key: str = "version") -> _Refused:
        column = write.layout.column(key)
        return _Refused(Problem(sheet=RESULTS, row=write.row, column=write.layout.letter(key),
                                header=column.header if column else "", value="", expected=expected))  # fmt: skip

    exists = KpiResult.objects.filter(kpi=write.kpi, year=smap.year, period=write.period).exists()
    if write.existing is None and exists:
        raise refuse(_("empty: someone entered this result while the upload was being checked; upload again"))
    try:
        kpi_result_record(
            access=access,
            kpi=write.kpi,
            year=smap.year,
            data=write.data,
            version=write.existing.version if write.existing else NEW,
            reason=reason,
            period=write.period,
        )
    except StaleEdit as stale:
        # No result: it was removed meanwhile, and an entry made now would be a first one.
        stored = stale.result.version if stale.result is not None else NEW
        raise refuse(
            _("%(version)d: someone changed this result while the upload was being checked; upload again")
            % {"version": stored}
        ) from None
    except (ValidationError, PermissionDenied, IntegrityError) as error:
        messages = getattr(error, "messages", None) or [_("this row could not be saved")]
        raise refuse(" ".join(messages), key="status") from None
