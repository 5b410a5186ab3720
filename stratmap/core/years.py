"""Years: ROC and AD numbers, fiscal years and how an organization names them, and the periods of a year.

Taiwan's official documents count years from 1912 (民國1年); the database keeps
AD years and every input accepts either form. A number up to ``ROC_MAX`` is
taken as an ROC year, a number from ``AD_MIN`` as an AD year; anything between
or beyond is refused rather than guessed.

**A fiscal year is stored as the AD year in which it starts.** An organization whose
year runs April 2019 – March 2020 keeps that year as ``2019``; it reads as
``2019/20`` (``span``), ``FY2020`` (``fy_end``, named by the year it ends in) or
``2019`` (``calendar``). Taipei's years start in January and read as ROC years
(``roc``: 民國108年 in Chinese, 2019 in English). :class:`YearStyle` is the pair
(start month, label); :data:`TAIPEI_YEARS` is the default, so that code given no
style reads exactly as it always has.

The periods of a year (months, quarters, halves) follow the fiscal year: Q1 is the
first three months of the organization's year, whichever month that starts in.

Pure Python: the one Django import, of the active language, is made when a year is
labelled without a language (as a page does), never at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROC_OFFSET = 1911
ROC_MAX = 200  # ROC 200 = AD 2111
AD_MIN = 1912
AD_MAX = ROC_MAX + ROC_OFFSET


class YearError(ValueError):
    """A value that is not a year (or a period) stratmap can accept; the message says what was expected."""


def to_ad_year(value: int | str) -> int:
    """Return the AD year for an ROC (``108``, ``"民國108年"``) or AD (``2019``) year."""
    text = str(value).strip().removeprefix("民國").removesuffix("年").strip()
    try:
        number = int(text)
    except ValueError:
        raise YearError(f"{value!r} is not a year; expected e.g. 108 (ROC) or 2019 (AD)") from None
    if 1 <= number <= ROC_MAX:
        return number + ROC_OFFSET
    if AD_MIN <= number <= AD_MAX:
        return number
    raise YearError(f"{value!r} is out of range; expected an ROC year 1–{ROC_MAX} or an AD year {AD_MIN}–{AD_MAX}")


def to_roc_year(ad_year: int) -> int:
    return ad_year - ROC_OFFSET


def _language(language: str | None) -> str:
    if language is None:
        from django.utils.translation import get_language

        language = get_language() or ""
    return language


def _chinese(language: str | None) -> bool:
    return _language(language).lower().startswith("zh")


class YearLabel(StrEnum):
    """How an organization's years read (the choices of ``Organization.year_label``)."""

    #: 民國108年 in Chinese, 2019 in other languages (a year starting in another month than
    #: January: 2019/20 in other languages): Taiwan's government.
    ROC = "roc"
    #: 2019: the AD year the fiscal year starts in.
    CALENDAR = "calendar"
    #: 2019/20 for a year from April 2019 to March 2020 (2019 for a year starting in January).
    SPAN = "span"
    #: FY2020 for a year from April 2019 to March 2020, named by the year it ends in (FY2019 for a
    #: year starting in January).
    FY_END = "fy_end"


class Unit(StrEnum):
    """The periods a fiscal year is cut into."""

    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"


#: How many periods of each unit a year holds, and how many months each is.
PER_YEAR = {Unit.YEAR: 1, Unit.HALF: 2, Unit.QUARTER: 4, Unit.MONTH: 12}
MONTHS_IN = {Unit.YEAR: 12, Unit.HALF: 6, Unit.QUARTER: 3, Unit.MONTH: 1}

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KEY = re.compile(r"(?P<year>[0-9]{1,4})(?:-(?:(?P<unit>[HhQq])(?P<index>[0-9]{1,2})|(?P<month>[0-9]{1,2})))?")
_SPAN = re.compile(r"(?P<start>[0-9]{4})\s*/\s*(?P<end>[0-9]{2}|[0-9]{4})")
_FY = re.compile(r"FY\s*(?P<end>[0-9]{4})", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    """One period of a fiscal year: ``year`` is the fiscal year (the AD year it starts in), ``index``
    the period's place in it from 1 (Q1 is the first three months of the fiscal year; month 1 its first
    month, which is April for a year starting in April)."""

    year: int
    unit: Unit
    index: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", Unit(self.unit))
        if not 1 <= self.index <= PER_YEAR[self.unit]:
            raise YearError(f"{self.index!r} is not a {self.unit.value} of a year; expected 1–{PER_YEAR[self.unit]}")


@dataclass(frozen=True)
class YearStyle:
    """When an organization's year starts and how it is named.

    ``labels`` is the model's ``year_label`` (a :class:`YearLabel` value); the field is not called
    ``label`` because :meth:`label` is the label of a year.
    """

    start_month: int = 1
    labels: YearLabel = YearLabel.ROC

    def __post_init__(self) -> None:
        month = self.start_month
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise YearError(f"{self.start_month!r} is not a month; expected the month a year starts in, 1–12")
        try:
            object.__setattr__(self, "labels", YearLabel(self.labels))
        except ValueError:
            expected = ", ".join(label.value for label in YearLabel)
            raise YearError(f"{self.labels!r} is not a way to name years; expected one of {expected}") from None

    # --- the year ---------------------------------------------------------------------------------

    def end_year(self, ad_year: int) -> int:
        """The AD year in which the fiscal year stored as ``ad_year`` ends."""
        return ad_year + (self.start_month > 1)

    def _span(self, ad_year: int) -> str:
        end = self.end_year(ad_year)
        return str(ad_year) if end == ad_year else f"{ad_year}/{end % 100:02d}"

    def label(self, ad_year: int, language: str | None = None) -> str:
        """The year as a heading names it: 民國108年 / 2019 / 2019/20 / FY2020 (see :class:`YearLabel`)."""
        match self.labels:
            case YearLabel.ROC:
                return f"民國{to_roc_year(ad_year)}年" if _chinese(language) else self._span(ad_year)
            case YearLabel.CALENDAR:
                return str(ad_year)
            case YearLabel.SPAN:
                return self._span(ad_year)
            case YearLabel.FY_END:
                return f"FY{self.end_year(ad_year)}"

    def in_text(self, ad_year: int, language: str | None = None) -> str:
        """The year inside a sentence: in Chinese 「108年」 (as 「108年度施政成果」 writes it), 「2019/20年」;
        in other languages the label."""
        if not _chinese(language):
            return self.label(ad_year, language)
        if self.labels is YearLabel.ROC:
            return f"{to_roc_year(ad_year)}年"
        return f"{self.label(ad_year, language)}年"

    def typed(self, ad_year: int) -> int:
        """The year as a number this organization types and files name: the ROC year (108) for ROC-named
        years, else the AD year it is stored as (2019, for 2019/20 or FY2020). Either reads back as the year."""
        return to_roc_year(ad_year) if self.labels is YearLabel.ROC else ad_year

    def in_address(self, ad_year: int, language: str | None = None) -> str:
        """The year as a page's address writes it in ``language`` (default the active one): in Chinese as
        this organization types it (``typed``: /taipei/108/), in any other language the AD year, a fiscal
        year by the year it starts in (/en/taipei/2019/, /en/ashcombe/2024/ for 2024/25), as period keys
        and files write it, so that a path and its ``?period=2024-Q3`` name the year alike."""
        return str(self.typed(ad_year) if _chinese(language) else ad_year)

    def parse(self, value: int | str) -> int:
        """The stored year (AD, the year it starts in) for what a person typed: an AD or ROC number as
        everywhere (``2019``, ``108``, ``民國108年``: the stored year itself), or a label of this
        style's years (``2019/20``, ``FY2020``)."""
        text = str(value).strip()
        if match := _SPAN.fullmatch(text):
            start, end = int(match["start"]), match["end"]
            ends = self.end_year(start)
            if self.start_month == 1 or int(end) != (ends if len(end) == 4 else ends % 100):
                raise YearError(f"{value!r} is not one of these years; expected e.g. {self._span(2019)}")
            return self._in_range(start, value)
        if match := _FY.fullmatch(text):
            return self._in_range(int(match["end"]) - (self.start_month > 1), value)
        return to_ad_year(text)

    @staticmethod
    def _in_range(ad_year: int, value: object) -> int:
        if not AD_MIN <= ad_year <= AD_MAX:
            raise YearError(f"{value!r} is out of range; expected a year from {AD_MIN} to {AD_MAX}")
        return ad_year

    # --- months, quarters and halves --------------------------------------------------------------

    def months(self, ad_year: int) -> list[tuple[int, int]]:
        """The (year, month) of each month of the fiscal year, in order."""
        first = self.start_month - 1
        return [(ad_year + (first + i) // 12, (first + i) % 12 + 1) for i in range(12)]

    def year_of(self, year: int, month: int) -> int:
        """The fiscal year (as stored) that the calendar month falls in."""
        _check_month(month)
        return year if month >= self.start_month else year - 1

    def _place(self, year: int, month: int) -> tuple[int, int]:
        """The fiscal year of a calendar month and the month's place in it (0–11)."""
        fiscal = self.year_of(year, month)
        return fiscal, (month - self.start_month) % 12

    def period_of(self, year: int, month: int, unit: Unit | str) -> Period:
        """The period of ``unit`` that a calendar month falls in."""
        unit = Unit(unit)
        fiscal, place = self._place(year, month)
        return Period(fiscal, unit, place // MONTHS_IN[unit] + 1)

    def quarter_of(self, year: int, month: int) -> tuple[int, int]:
        """(fiscal year, quarter 1–4) of a calendar month."""
        period = self.period_of(year, month, Unit.QUARTER)
        return period.year, period.index

    def half_of(self, year: int, month: int) -> tuple[int, int]:
        """(fiscal year, half 1–2) of a calendar month."""
        period = self.period_of(year, month, Unit.HALF)
        return period.year, period.index

    def periods(self, ad_year: int, unit: Unit | str) -> list[Period]:
        """Every period of ``unit`` of the fiscal year, in order."""
        unit = Unit(unit)
        return [Period(ad_year, unit, i) for i in range(1, PER_YEAR[unit] + 1)]

    def months_of(self, period: Period) -> list[tuple[int, int]]:
        """The calendar (year, month) of each month of a period, in order."""
        size = MONTHS_IN[period.unit]
        return self.months(period.year)[(period.index - 1) * size : period.index * size]

    # --- period keys and labels -------------------------------------------------------------------

    def period_key(self, period: Period) -> str:
        """How files and URLs write a period: ``2024`` (the year), ``2024-H1``, ``2024-Q3`` (of the fiscal
        year stored as 2024), ``2024-05`` (a month: its calendar year and month, whatever the fiscal year)."""
        match period.unit:
            case Unit.YEAR:
                return str(period.year)
            case Unit.HALF:
                return f"{period.year}-H{period.index}"
            case Unit.QUARTER:
                return f"{period.year}-Q{period.index}"
            case Unit.MONTH:
                year, month = self.months_of(period)[0]
                return f"{year}-{month:02d}"

    def parse_period(self, key: str | int, unit: Unit | str | None = None) -> Period:
        """The period a key names (``2024-Q3``, ``113-Q3``: years as everywhere, AD or ROC); with ``unit``,
        a key of another unit (a month for a quarterly KPI) is refused. The message names the key and
        what was expected."""
        wanted = None if unit is None else Unit(unit)
        text = str(key).strip()
        match = _KEY.fullmatch(text)
        if match is None:
            raise YearError(f"{key!r} is not a period; expected {_examples(wanted)}")
        year = to_ad_year(match["year"])
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise YearError(f"{key!r} is not a month; expected a month 01–12, e.g. {match['year']}-05")
            period = self.period_of(year, month, Unit.MONTH)
        elif match["unit"]:
            found = Unit.HALF if match["unit"] in "Hh" else Unit.QUARTER
            index = int(match["index"])
            if not 1 <= index <= PER_YEAR[found]:
                first, last = f"{match['year']}-{found.value[0].upper()}1", PER_YEAR[found]
                raise YearError(f"{key!r} is not a {found.value}; expected {first} … {first[:-1]}{last}")
            period = Period(year, found, index)
        else:
            period = Period(year, Unit.YEAR)
        if wanted is not None and period.unit is not wanted:
            raise YearError(f"{key!r} is a {period.unit.value}, not a {wanted.value}; expected {_examples(wanted)}")
        return period

    def period_label(self, period: Period, language: str | None = None) -> str:
        """A period as people read it: 2024 Q3 / FY2025 Q3 / 2024/25 Q3 / 113年第3季; 2024 H1 / 113年上半年;
        a month by its calendar name: Apr 2024 / 113年4月."""
        chinese = _chinese(language)
        if period.unit is Unit.YEAR:
            return self.label(period.year, language)
        if period.unit is Unit.MONTH:
            year, month = self.months_of(period)[0]
            if not chinese:
                return f"{_MONTH_NAMES[month - 1]} {year}"
            calendar_year = to_roc_year(year) if self.labels is YearLabel.ROC else year
            return f"{calendar_year}年{month}月"
        if chinese:
            part = f"第{period.index}季" if period.unit is Unit.QUARTER else ("上半年", "下半年")[period.index - 1]
            return f"{self.in_text(period.year, language)}{part}"
        return f"{self.label(period.year, language)} {period.unit.value[0].upper()}{period.index}"


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise YearError(f"{month!r} is not a month; expected 1–12")


def _examples(unit: Unit | None) -> str:
    examples = {
        Unit.YEAR: "a year such as 2024",
        Unit.HALF: "a half such as 2024-H1",
        Unit.QUARTER: "a quarter such as 2024-Q3",
        Unit.MONTH: "a month such as 2024-05",
    }
    return examples[unit] if unit else "2024, 2024-H1, 2024-Q3 or 2024-05"


#: Taipei's years, and every organization's until it says otherwise: calendar years, ROC labels.
TAIPEI_YEARS = YearStyle()


def format_year(ad_year: int, language: str | None = None, style: YearStyle | None = None) -> str:
    """A year as a heading names it in ``style`` (default Taipei's: ``民國108年`` in Chinese, ``2019`` in
    any other language); ``language`` defaults to the active one."""
    return (style or TAIPEI_YEARS).label(ad_year, language)


def period_in_year(value: str, year: int, style: YearStyle) -> Period:
    """The period of the fiscal ``year`` a person names: a key (2024-Q3, 113-Q3, 2025-01) or the short forms
    of a scorecard's address (Q3, H1, M05: the calendar month). YearError naming the value otherwise."""
    key, short = value.strip(), value.strip()[:1].upper()
    if short in ("Q", "H") and key[1:].isdigit():
        key = f"{year}-{short}{key[1:]}"
    elif short == "M" and key[1:].isdigit():
        month = int(key[1:])
        key = f"{year + (1 <= month < style.start_month)}-{month:02d}"
    found = style.parse_period(key)
    if found.year != year:
        raise YearError(f"{value!r} is not a period of {style.label(year, 'en')}; expected e.g. Q3 or {year}-Q3")
    return found
