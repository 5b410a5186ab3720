"""Issue 16 item 1: the working-days engine (stratmap.core.workdays), examples and properties."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stratmap.core.workdays import (
    PLAIN,
    DayKind,
    DueRule,
    WorkCalendar,
    WorkdaysError,
    add_working_days,
    due_after,
    is_working_day,
    month_end,
)

D = datetime.date
#: Taiwan's 2024 Lunar New Year (from the office calendar): 8–14 February off, Saturday 17 February worked.
LUNAR_2024 = WorkCalendar.of(
    holidays=[D(2024, 2, d) for d in (8, 9, 12, 13, 14)] + [D(2024, 2, 28)], working=[D(2024, 2, 17)]
)


def test_weekdays_are_worked_and_weekends_are_not_by_default():
    assert is_working_day(D(2024, 6, 7))  # a Friday
    assert not is_working_day(D(2024, 6, 8))  # Saturday
    assert not is_working_day(D(2024, 6, 9))  # Sunday


def test_a_holiday_is_a_day_off_and_a_make_up_saturday_is_worked():
    assert not LUNAR_2024.is_working_day(D(2024, 2, 13))
    assert LUNAR_2024.is_working_day(D(2024, 2, 17))


def test_another_weekend_can_be_given():
    friday_saturday = WorkCalendar.of(weekend=[4, 5])
    assert not friday_saturday.is_working_day(D(2024, 6, 7))
    assert friday_saturday.is_working_day(D(2024, 6, 9))


def test_working_days_are_counted_after_the_start_skipping_days_off():
    # From Wednesday 7 February 2024: 8, 9 off, weekend, 12–14 off, 15, 16, Saturday 17 worked.
    assert add_working_days(D(2024, 2, 7), 1, LUNAR_2024) == D(2024, 2, 15)
    assert add_working_days(D(2024, 2, 7), 3, LUNAR_2024) == D(2024, 2, 17)
    assert add_working_days(D(2024, 2, 7), 0, LUNAR_2024) == D(2024, 2, 7)
    assert add_working_days(D(2024, 2, 10), 0, LUNAR_2024) == D(2024, 2, 15)


def test_a_negative_count_is_refused():
    with pytest.raises(WorkdaysError, match="0 or more"):
        add_working_days(D(2024, 1, 1), -1)
    with pytest.raises(WorkdaysError, match="0 or more"):
        DueRule(-3)


def test_a_calendar_without_any_working_day_is_refused_rather_than_searched_for_ever():
    never = WorkCalendar.of(weekend=range(7))
    with pytest.raises(WorkdaysError, match="no working day"):
        never.next_working_day(D(2024, 1, 1))


def test_calendar_days_after_a_period_move_on_to_the_next_working_day():
    # The quarter ends on Sunday 31 March 2024; 15 days later is Monday 15 April.
    assert due_after(D(2024, 3, 31), DueRule(15)) == D(2024, 4, 15)
    # January 2024 ends on the 31st; +15 days is Thursday 15 February, worked; +13 is the 13th, off.
    assert due_after(D(2024, 1, 31), DueRule(13), LUNAR_2024) == D(2024, 2, 15)


def test_working_days_after_a_period_count_only_working_days():
    # 1, 2, 5, 6, 7 February, then 15, 16, Saturday 17, 19 and 20.
    assert due_after(D(2024, 1, 31), DueRule(10, DayKind.WORKING), LUNAR_2024) == D(2024, 2, 20)


def test_month_end_knows_leap_years():
    assert month_end(2024, 2) == D(2024, 2, 29)
    assert month_end(2025, 2) == D(2025, 2, 28)


# --- properties ----------------------------------------------------------------------------------------

days = st.dates(min_value=D(2019, 1, 1), max_value=D(2027, 12, 31))
calendars = st.builds(
    WorkCalendar.of,
    holidays=st.frozensets(days, max_size=40),
    working=st.frozensets(days, max_size=10),
    weekend=st.frozensets(st.integers(0, 6), max_size=3),
)
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(calendars, days, st.integers(0, 60), st.sampled_from(list(DayKind)))
def test_a_due_date_is_always_a_working_day_on_or_after_the_period_end(calendar, end, n, kind):
    due = due_after(end, DueRule(n, kind), calendar)
    assert calendar.is_working_day(due)
    assert due >= end + datetime.timedelta(days=n if kind is DayKind.CALENDAR else 0)


@PROPERTY
@given(calendars, days, st.integers(0, 60), st.sampled_from(list(DayKind)))
def test_one_day_more_is_never_earlier(calendar, end, n, kind):
    assert due_after(end, DueRule(n + 1, kind), calendar) >= due_after(end, DueRule(n, kind), calendar)


@PROPERTY
@given(calendars, days, st.integers(1, 60))
def test_n_working_days_later_there_were_exactly_n_working_days(calendar, start, n):
    end = add_working_days(start, n, calendar)
    between = (start + datetime.timedelta(days=i) for i in range(1, (end - start).days + 1))
    assert sum(calendar.is_working_day(day) for day in between) == n
    assert calendar.is_working_day(end)


@PROPERTY
@given(days)
def test_without_holidays_only_saturdays_and_sundays_are_off(day):
    assert PLAIN.is_working_day(day) == (day.weekday() < 5)
