"""The workbook's format, shared by the download and the upload: its sheets, columns and rows.

The headers, the about sheet's labels and :data:`FORMAT` are what an upload is checked
against, so they are fixed text in each language a workbook is written in (:class:`Words`), not
gettext translations: a workbook downloaded before a translation changed still uploads. A workbook
is written in one language (an English council's has no Chinese character); the upload takes the
labels in any of them, and the bilingual ones (「達成值 actual」) that workbooks had until 2026-11.

Format 2 (``stratmap-workbook/2``) has a row per KPI and period: the year's row ("" in the hidden
period code), then, for a KPI reported by quarter, month or half year, one row per period of the
year. Its two period columns sit where people need them, not at the end: the period as people read
it after the code and the name (frozen with them, so a monthly KPI's thirteen rows can be told apart
while scrolling), its code hidden beside the KPI id. Workbooks of format 1 (``stratmap-workbook/1``,
downloaded before periods had rows: the same columns without the two, every row a year's) still
upload: the about sheet names the format, and the upload reads the rows by that format's
:class:`Layout`. Inserting the period column among the others was chosen over appending both after
the hidden ones, which would have kept format 1's letters, because a period shown off-screen to the
right is one a person misreads; the cost is this second layout, which the upload alone reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils import translation
from openpyxl.utils import get_column_letter

from stratmap.core.years import Period, YearStyle
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import ENTRY_FIELDS, NUMBERS, SCORES

FORMAT = "stratmap-workbook/2"
#: The format of workbooks downloaded before periods had rows of their own; they still upload.
FORMAT_1 = "stratmap-workbook/1"
RESULTS = "results"
ABOUT = "about"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The kinds of a column whose cells a person fills in.
ENTRY_KINDS = frozenset({"number", "score", "unknown", "text"})


@dataclass(frozen=True)
class Words:
    """A label the upload reads, as a workbook writes it in Chinese and in any other language (English)."""

    zh: str
    en: str

    def __call__(self, language: str | None = None) -> str:
        """The label in ``language`` (the active one by default); English for a language without its own."""
        return self.zh if (language or translation.get_language() or "").startswith("zh") else self.en

    def read(self, found: object) -> bool:
        """Whether a cell says this label: in either language, or both as workbooks wrote it until 2026-11."""
        text = " ".join(found.split()) if isinstance(found, str) else found
        return text in {self.zh, self.en, f"{self.zh} {self.en}"}


@dataclass(frozen=True)
class Column:
    """A column of the results sheet. ``kind``: info (read-only), number, score, unknown, text, id (hidden)."""

    key: str
    words: Words
    kind: str
    width: float
    hidden: bool = False

    @property
    def header(self) -> str:
        """The header in the active language."""
        return self.words()

    @property
    def entry(self) -> bool:
        return self.kind in ENTRY_KINDS


def entry_kind(name: str) -> str:
    """The kind of the column of an entry field: a score, another number, the one choice (why the
    actual is unknown) or a text."""
    if name in SCORES:
        return "score"
    if name in NUMBERS:
        return "number"
    field = KpiResult._meta.get_field(name)
    if isinstance(field, models.Field) and field.choices:
        return "unknown"
    return "text"


#: The header (in each language) and width (in characters) of each entry field's column; the columns come in the
#: order of :data:`stratmap.kpis.services.ENTRY_FIELDS`, and a field without a header here fails at import.
ENTRY_COLUMNS = {
    "actual": (Words("達成值", "actual"), 11),
    "unknown_kind": (Words("不明類別", "unknown kind"), 16),
    "unknown_reason": (Words("不明原因", "unknown reason"), 28),
    "innovation": (Words("創新度", "innovation"), 10),
    "innovation_note": (Words("創新度說明", "innovation narrative"), 32),
    "challenge": (Words("挑戰度", "challenge"), 10),
    "challenge_note": (Words("挑戰度說明", "challenge narrative"), 32),
    "contribution": (Words("貢獻度", "contribution"), 10),
    "contribution_note": (Words("貢獻度說明", "contribution narrative"), 32),
    "situation_analysis": (Words("狀況分析", "situation analysis"), 40),
    "countermeasures": (Words("對策說明", "countermeasures"), 40),
}

_CODE = Column("code", Words("代碼", "code"), "info", 10)
_NAME = Column("name", Words("名稱", "name"), "info", 36)
_INFO = (
    Column("unit", Words("單位", "unit"), "info", 8),
    Column("target", Words("目標值", "target"), "info", 11),
    Column("status", Words("狀態", "status"), "info", 16),
)
_ENTRIES = tuple(
    Column(name, ENTRY_COLUMNS[name][0], entry_kind(name), ENTRY_COLUMNS[name][1]) for name in ENTRY_FIELDS
)
_KPI_ID = Column("kpi_id", Words("KPI id", "KPI id"), "id", 8, hidden=True)
_VERSION = Column("version", Words("版本", "version"), "id", 8, hidden=True)

COLUMNS: tuple[Column, ...] = (
    _CODE,
    _NAME,
    # The period as people read it (2024/25 Q3, 113年第3季; the year's label on the year's row): read-only;
    # the upload takes the period from the hidden code beside the KPI id ("" the year, "Q3", "M10").
    Column("period", Words("期間", "period"), "info", 14),
    *_INFO,
    *_ENTRIES,
    _KPI_ID,
    Column("period_code", Words("期間代碼", "period code"), "id", 8, hidden=True),
    _VERSION,
)
#: The columns of a format-1 workbook: one row per KPI, for the whole year.
COLUMNS_1: tuple[Column, ...] = (_CODE, _NAME, *_INFO, *_ENTRIES, _KPI_ID, _VERSION)


@dataclass(frozen=True)
class Layout:
    """The columns of the results sheet in one format, and where each is."""

    format: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def letter(self, key: str) -> str:
        return get_column_letter(next(i for i, c in enumerate(self.columns, start=1) if c.key == key))


LAYOUT = Layout(FORMAT, COLUMNS)
#: The formats an upload reads, by the about sheet's format row.
LAYOUTS = {FORMAT: LAYOUT, FORMAT_1: Layout(FORMAT_1, COLUMNS_1)}
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
BY_KEY = {c.key: c for c in COLUMNS}


def letter(key: str) -> str:
    """The column letter of ``key`` in the current format."""
    return get_column_letter(INDEX[key] + 1)


#: The rows of the about sheet that identify the workbook: key, label (column A); the value is in column B.
ABOUT_ROWS = (
    ("format", Words("格式", "format")),
    ("organization", Words("機關", "organization")),
    ("agency", Words("填報機關", "agency")),
    ("year", Words("年度", "year")),  # as the organization types years: 109 for Taipei (ROC), 2024 for others
    ("map", Words("策略地圖", "map")),
    ("generated", Words("產製時間", "generated at")),
    ("generated_by", Words("產製者", "generated by")),
)
UNKNOWN_KINDS_LABEL = Words("不明類別", "allowed unknown kinds")


def unknown_kinds() -> list[tuple[str, str, str]]:
    """The allowed unknown kinds: code, Chinese label, English label."""
    kinds = []
    for value, _label in KpiResult.UnknownKind.choices:
        member = KpiResult.UnknownKind(value)
        with translation.override("zh-hant"):
            zh = str(member.label)
        with translation.override("en"):
            en = str(member.label)
        kinds.append((value, zh, en))
    return kinds


def row_label(style: YearStyle, year: int, period: Period | None, language: str | None = None) -> str:
    """What a row's period cell shows: the period as people read it, or the year's label for the year's row."""
    return style.label(year, language) if period is None else style.period_label(period, language)


def excel_number(value: Decimal | None) -> int | float | str | None:
    """A stored decimal as Excel keeps it: 6.1, not 6.1000; as text when a double cannot hold it exactly."""
    if value is None:
        return None
    value = value.normalize()
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    number = float(value)
    return number if Decimal(repr(number)) == value else format(value, "f")
