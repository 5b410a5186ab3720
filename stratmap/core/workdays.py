"""Working days and due dates: which days an office works, N working days after a date, and the date a
period's results are due.

A :class:`WorkCalendar` is a weekend (the weekdays off every week, Saturday and Sunday unless told),
the days off that fall on other days (holidays, 國定假日 and 調整放假) and the days of the weekend that
are worked (Taiwan's make-up working Saturdays, 補行上班). A make-up day outranks the weekend, a holiday
outranks both (the files never give both for one day; a holiday wins if they do).

A :class:`DueRule` is how an evaluation office sets a deadline from the end of a period: "15 days
after", counted in calendar days (then moved on to the next working day if it falls on a day off) or in
working days (the 15th working day after the period's last day).

Pure Python, no Django: :mod:`stratmap.kpis.selectors` turns the stored calendars
(``core.models.CalendarDay``, ``ReportingCalendar``) into these values.
"""

from __future__ import annotations

import datetime
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

#: Monday is 0 … Sunday 6, as ``date.weekday()`` counts.
SATURDAY, SUNDAY = 5, 6
DEFAULT_WEEKEND = frozenset({SATURDAY, SUNDAY})
#: How far a search for a working day goes before it gives up: a calendar with no working day within
#: ten years (a weekend of seven days and no make-up day) is a mistake, not a calendar.
SEARCH_LIMIT = 3660


class WorkdaysError(ValueError):
    """A calendar or a count that gives no working day; the message says why."""


class DayKind(StrEnum):
    """How a rule counts its days."""

    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class WorkCalendar:
    """An office's days: ``weekend`` (weekdays, Monday 0), ``holidays`` (days off besides the weekend) and
    ``working`` (days of the weekend that are worked)."""

    holidays: frozenset[datetime.date] = frozenset()
    working: frozenset[datetime.date] = frozenset()
    weekend: frozenset[int] = DEFAULT_WEEKEND

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "working", frozenset(self.working))
        object.__setattr__(self, "weekend", frozenset(self.weekend))
        wrong = sorted(day for day in self.weekend if not (isinstance(day, int) and 0 <= day <= 6))
        if wrong:
            raise WorkdaysError(f"{wrong!r} are not weekdays; expected 0 (Monday) to 6 (Sunday)")

    @classmethod
    def of(
        cls,
        *,
        holidays: Iterable[datetime.date] = (),
        working: Iterable[datetime.date] = (),
        weekend: Iterable[int] = DEFAULT_WEEKEND,
    ) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(working), frozenset(weekend))

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether the office works on ``day``."""
        if day in self.holidays:
            return False
        return day in self.working or day.weekday() not in self.weekend

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """``day`` if the office works on it, else the first working day after it."""
        for offset in range(SEARCH_LIMIT):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise WorkdaysError(f"no working day within {SEARCH_LIMIT} days of {day.isoformat()}")

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``start`` (``start`` itself does not count, worked or not);
        ``n`` = 0 gives ``start`` if it is a working day, else the next one. Negative ``n`` is refused."""
        if n < 0:
            raise WorkdaysError(f"{n} working days: expected 0 or more")
        day = self.next_working_day(start) if n == 0 else start
        for _ in range(n):
            day = self.next_working_day(day + datetime.timedelta(days=1))
        return day

    def days_off(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """The days from ``first`` to ``last`` (both included) the office does not work, in order."""
        days = (first + datetime.timedelta(days=i) for i in range((last - first).days + 1))
        return [day for day in days if not self.is_working_day(day)]


#: Weekends only: the calendar of an organization that names no holiday calendar.
PLAIN = WorkCalendar()


def is_working_day(day: datetime.date, calendar: WorkCalendar = PLAIN) -> bool:
    """Whether ``calendar``'s office works on ``day`` (see :meth:`WorkCalendar.is_working_day`)."""
    return calendar.is_working_day(day)


def add_working_days(start: datetime.date, n: int, calendar: WorkCalendar = PLAIN) -> datetime.date:
    """The ``n``-th working day after ``start`` (see :meth:`WorkCalendar.add_working_days`)."""
    return calendar.add_working_days(start, n)


@dataclass(frozen=True)
class DueRule:
    """A deadline ``days`` after a period's last day, counted as ``kind`` says."""

    days: int
    kind: DayKind = DayKind.CALENDAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", DayKind(self.kind))
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise WorkdaysError(f"{self.days!r} days: expected a whole number of days, 0 or more")


def due_after(end: datetime.date, rule: DueRule, calendar: WorkCalendar = PLAIN) -> datetime.date:
    """The date results are due for a period ending on ``end`` (its last day) under ``rule``: ``end`` +
    ``rule.days`` calendar days moved on to the next working day if it is a day off, or the
    ``rule.days``-th working day after ``end``. Always a working day of ``calendar``."""
    if rule.kind is DayKind.WORKING:
        return calendar.add_working_days(end, rule.days)
    return calendar.next_working_day(end + datetime.timedelta(days=rule.days))


def month_end(year: int, month: int) -> datetime.date:
    """The last day of a calendar month."""
    return datetime.date(year, month, monthrange(year, month)[1])
