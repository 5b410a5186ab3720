"""Issue 16 item 1: the reporting calendar: holiday calendars from files, each organization's due-date rules,
the due dates of every result of a set of maps, /due/ built on them, the calendar page and its iCalendar."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM, Access
from stratmap.core.calendars import DEMO_CALENDARS, CalendarFileInvalid, load_demo_calendars, read_calendar_file
from stratmap.core.models import AuditEvent, HolidayCalendar, Membership, Organization, ReportingCalendar
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.selectors import due_dates, due_work, reporting_dates
from stratmap.strategy.models import StrategyMap
from tests.test_admin_audit import posted, staff_user, url

D = datetime.date


@pytest.fixture
def calendars(demo):
    """The demo with its holiday calendars loaded, as ``stratmap load --demo`` loads them."""
    return load_demo_calendars(access=SYSTEM)


def a_map(org: str, year: int) -> StrategyMap:
    return StrategyMap.objects.select_related("organization").get(organization__code=org, year=year, in_force=True)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the calendar files --------------------------------------------------------------------------------


def test_the_demo_loads_taiwans_office_calendar_and_englands_bank_holidays(calendars):
    tw = HolidayCalendar.objects.get(code="tw")
    days = {d.date: (d.kind, d.name) for d in tw.days.all()}
    assert days[D(2024, 2, 17)] == ("working", "補行上班")  # a make-up Saturday
    assert days[D(2024, 2, 28)] == ("holiday", "和平紀念日")
    assert days[D(2025, 10, 24)][0] == "holiday"  # the revised 2025 calendar's new days off
    assert {d.year for d in days} == set(range(2019, 2027))
    england = {d.date for d in HolidayCalendar.objects.get(code="england").days.all()}
    assert D(2023, 5, 8) in england and D(2026, 12, 28) in england
    assert ReportingCalendar.objects.get(organization__code="taipei").holidays.code == "tw"
    assert ReportingCalendar.objects.get(organization__code="ashcombe").holidays.code == "england"


def test_the_calendar_files_say_where_they_come_from_and_that_they_are_transcribed():
    for path, _organizations in DEMO_CALENDARS:
        text = path.read_text(encoding="utf-8")
        assert "Source:" in text and "ranscribed" in text
        assert read_calendar_file(path).source


def test_a_bad_calendar_file_is_refused_naming_the_file_the_day_and_the_value(db, tmp_path):
    path = write(
        tmp_path,
        "calendar: mine\nname: Mine\nlanguage: en\ndays:\n"
        "  - {date: 2024-02-30, kind: holiday, name: x}\n"
        "  - {date: 2024-03-01, kind: vacation, name: y}\n"
        "  - {date: 2024-03-04, kind: working, name: z}\n",
    )
    with pytest.raises(CalendarFileInvalid) as refused:
        read_calendar_file(path)
    errors = refused.value.errors
    assert any(str(path) in e and "day 1" in e and "2024-02-30" in e for e in errors)
    assert any("day 2" in e and "'vacation'" in e for e in errors)
    assert any("day 3" in e and "Monday" in e for e in errors)


def test_the_command_loads_a_calendar_then_replaces_its_days_audited(db, tmp_path, capsys):
    path = write(
        tmp_path,
        "calendar: mine\nname: Mine\nlanguage: en\ndays:\n"
        "  - {date: 2024-01-01, name: New Year}\n  - {date: 2024-12-25, name: Christmas}\n",
    )
    call_command("calendar", "load", str(path), "--reason", "first load")
    assert sorted(d.date for d in HolidayCalendar.objects.get(code="mine").days.all()) == [
        D(2024, 1, 1),
        D(2024, 12, 25),
    ]
    path.write_text(
        "calendar: mine\nname: Mine\nlanguage: en\ndays:\n  - {date: 2024-12-25, name: Christmas Day}\n",
        encoding="utf-8",
    )
    call_command("calendar", "load", str(path), "--reason", "corrected")
    days = list(HolidayCalendar.objects.get(code="mine").days.values_list("date", "name"))
    assert days == [(D(2024, 12, 25), "Christmas Day")]
    event = AuditEvent.objects.filter(object_type="core.holidaycalendar", field="days", reason="corrected").get()
    assert "2024-01-01" in event.old and "Christmas Day" in event.new


def test_a_bad_file_given_to_the_command_writes_nothing(db, tmp_path, capsys):
    path = write(tmp_path, "calendar: mine\nname: Mine\ndays:\n  - {date: 2024-01-01}\n  - {date: someday}\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("calendar", "load", str(path))
    assert "someday" in capsys.readouterr().err
    assert not HolidayCalendar.objects.exists()


# --- the rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("period_days", -1), ("period_days", 400), ("remind_before", 91), ("escalate_office_after", 3)],
)
def test_a_reporting_calendar_with_impossible_days_is_refused_on_the_field(demo, field, value):
    rules = ReportingCalendar(organization=Organization.objects.get(code="taipei"), **{field: value})
    with pytest.raises(ValidationError) as refused:
        rules.full_clean()
    assert field in refused.value.message_dict


def test_an_organization_without_a_reporting_calendar_has_the_defaults(demo):
    smap = a_map("ashcombe", 2024)
    rules = reporting_dates(maps=[smap]).rules(smap)
    assert (rules.period.days, rules.year.days, rules.remind_before) == (15, 30, 7)
    assert (rules.escalate_coordinator_after, rules.escalate_office_after) == (7, 14)


# --- due dates -------------------------------------------------------------------------------------------


def test_a_due_date_on_a_make_up_saturday_stays_there_and_one_on_a_holiday_moves_on(calendars):
    smap = a_map("taipei", 2020)
    dates = reporting_dates(maps=[smap])
    # January 2020 ends on the 31st; 15 days later is Saturday 15 February 2020, a make-up working day.
    assert dates.due(smap, "M01") == D(2020, 2, 15)
    ReportingCalendar.objects.filter(organization__code="taipei").update(period_days=1)
    # 1 day after 30 September 2020 is 1 October, 中秋節, and the 2nd is off too: Monday 5 October.
    assert reporting_dates(maps=[smap]).due(smap, "M09") == D(2020, 10, 5)


def test_without_the_holiday_calendar_only_weekends_move_a_due_date(demo):
    smap = a_map("taipei", 2020)
    assert reporting_dates(maps=[smap]).due(smap, "M01") == D(2020, 2, 17)


def test_the_councils_periods_follow_its_april_to_march_year_and_englands_bank_holidays(calendars):
    smap = a_map("ashcombe", 2023)
    dates = reporting_dates(maps=[smap])
    assert dates.due(smap, "Q1") == D(2023, 7, 17)  # 30 June + 15 = Saturday 15 July → Monday
    ReportingCalendar.objects.filter(organization__code="ashcombe").update(period_days=1)
    # Q4 of 2023/24 ends on Sunday 31 March 2024; the 1st of April is Easter Monday.
    assert reporting_dates(maps=[smap]).due(smap, "Q4") == D(2024, 4, 2)


def test_a_maps_own_results_due_date_overrides_the_years_rule(calendars):
    smap = a_map("ashcombe", 2024)
    assert reporting_dates(maps=[smap]).due(smap, "") == D(2025, 4, 30)  # 31 March 2025 + 30 days
    StrategyMap.objects.filter(pk=smap.pk).update(results_due=D(2025, 5, 9))
    assert reporting_dates(maps=[a_map("ashcombe", 2024)]).due(a_map("ashcombe", 2024), "") == D(2025, 5, 9)


def test_due_dates_gives_every_result_of_every_map_in_four_queries(calendars):
    everything = list(StrategyMap.objects.select_related("organization"))
    one = [m for m in everything if m.organization.code == "ashcombe" and m.year == 2024]
    with CaptureQueriesContext(connection) as few:
        small = due_dates(access=SYSTEM, maps=one)
    with CaptureQueriesContext(connection) as many:
        found = due_dates(access=SYSTEM, maps=everything)
    assert len(few) == len(many) == 4
    quarterly = Kpi.objects.filter(objective__map=one[0], frequency="quarterly").first()
    assert {period for kpi, period in small if kpi == quarterly.pk} == {"", "Q1", "Q2", "Q3", "Q4"}
    assert found[(quarterly.pk, "Q4")] == D(2025, 4, 15)
    assert len(found) > len(small)


def test_due_dates_refuses_a_map_the_reader_may_not_read(calendars):
    from django.http import Http404

    smap = a_map("taipei", 2020)
    StrategyMap.objects.filter(pk=smap.pk).update(published=False)
    with pytest.raises(Http404):
        due_dates(access=Access(None), maps=[a_map("taipei", 2020)])


# --- /due/ -----------------------------------------------------------------------------------------------


def test_whats_due_gives_a_periods_row_its_own_due_date_and_flags_it_late(calendars, council_people):
    admin = Access(council_people["council-admin"])
    # The demo publishes every council result: take the 2024/25 quarterly ones out, to be entered again.
    KpiResult.objects.filter(
        kpi__objective__map__organization__code="ashcombe", kpi__frequency="quarterly", year=2024
    ).delete()
    rows = [r for r in due_work(access=admin, today=D(2024, 7, 20)).to_enter if r.period == "Q1"]
    assert rows and all(r.deadline == D(2024, 7, 15) and r.late for r in rows)
    soon = [r for r in due_work(access=admin, today=D(2024, 7, 5)).to_enter if r.period == "Q1"]
    assert soon and all(r.soon and not r.late for r in soon)


# --- the calendar page and its iCalendar ------------------------------------------------------------------


def test_the_calendar_page_shows_the_councils_year_from_april_with_due_dates_and_bank_holidays(calendars, client):
    page = client.get("/en/ashcombe/2024/calendar/")
    assert page.status_code == 200
    html = page.content.decode()
    months = [html.index(m) for m in ("April 2024", "December 2024", "March 2025")]
    assert months == sorted(months)  # the council's year, April to March
    assert "Easter Monday" in html and "Boxing Day" in html
    assert "2024-07-15" in html  # Q1 (April–June) due 15 July 2024
    assert "2025-04-30" in html  # the year's results, 30 days after 31 March 2025
    assert "H1.1" in html


def test_the_calendar_page_names_taiwans_days_off_in_the_readers_language(calendars, client):
    chinese = client.get("/taipei/109/calendar/").content.decode()
    assert "和平紀念日" in chinese and "調整上班" in chinese
    english = client.get("/en/taipei/2020/calendar/").content.decode()
    assert "Peace Memorial Day" in english and "make-up working day" in english
    assert "2021-02-01" in english  # 31 December 2020 + 30 days = Saturday 30 January → Monday 1 February


def test_the_calendar_page_lists_each_kpis_data_release_under_its_period(calendars, client):
    Kpi.objects.filter(objective__map__organization__code="ashcombe", objective__map__year=2024, code="H1.1").update(
        release="Published by DLUHC each quarter, six weeks after it ends"
    )
    html = client.get("/en/ashcombe/2024/calendar/").content.decode()
    assert html.count("Published by DLUHC each quarter, six weeks after it ends") == 4  # one per quarter


def test_the_calendar_page_is_linked_from_the_map_page(calendars, client):
    assert 'href="/en/ashcombe/2024/calendar/"' in client.get("/en/ashcombe/2024/").content.decode()


def test_the_calendar_page_of_an_unpublished_map_is_a_404_for_the_public(calendars, client):
    StrategyMap.objects.filter(organization__code="ashcombe", year=2024).update(published=False)
    assert client.get("/en/ashcombe/2024/calendar/").status_code == 404
    assert client.get("/en/ashcombe/2024/calendar.ics").status_code == 404


def test_the_calendar_page_reads_a_fixed_number_of_queries(calendars, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get("/en/ashcombe/2024/calendar/").status_code == 200


def test_the_icalendar_file_has_an_all_day_event_for_each_due_date(calendars, client):
    response = client.get("/en/ashcombe/2024/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20240715\r\n" in body  # Q1 and June
    assert "DTSTART;VALUE=DATE:20250430\r\n" in body  # the year
    assert body.count("BEGIN:VEVENT") == 12 + 4 + 1  # months, quarters and the year
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


# --- the administration -------------------------------------------------------------------------------


def test_an_administrator_changes_the_reporting_calendar_in_the_admin_audited(calendars, client):
    client.force_login(staff_user("council-boss", "ashcombe", Membership.Role.ADMINISTRATOR))
    rules = ReportingCalendar.objects.get(organization__code="ashcombe")
    page = url("admin:core_reportingcalendar_change", rules.pk)
    data = posted(client.get(page)) | {"period_days": "20", "change_reason": "council decision 12/2024"}
    assert client.post(page, data).status_code == 302
    assert ReportingCalendar.objects.get(pk=rules.pk).period_days == 20
    event = AuditEvent.objects.get(object_type="core.reportingcalendar", field="period_days")
    assert (event.old, event.new, event.reason) == ("15", "20", "council decision 12/2024")


def test_a_reporting_calendar_with_negative_days_is_refused_in_the_admin(calendars, client):
    client.force_login(staff_user("council-boss", "ashcombe", Membership.Role.ADMINISTRATOR))
    rules = ReportingCalendar.objects.get(organization__code="ashcombe")
    page = url("admin:core_reportingcalendar_change", rules.pk)
    data = posted(client.get(page)) | {"period_days": "-3", "change_reason": "typo"}
    assert client.post(page, data).status_code == 200
    assert ReportingCalendar.objects.get(pk=rules.pk).period_days == 15


def test_an_administrator_sees_only_their_organizations_reporting_calendar(calendars, client):
    client.force_login(staff_user("council-boss", "ashcombe", Membership.Role.ADMINISTRATOR))
    taipei = ReportingCalendar.objects.get(organization__code="taipei")
    assert client.get(url("admin:core_reportingcalendar_change", taipei.pk)).status_code == 404
    # A national holiday calendar is the superusers'.
    tw = HolidayCalendar.objects.get(code="tw")
    assert client.get(url("admin:core_holidaycalendar_change", tw.pk)).status_code == 404


def test_an_organizations_own_holiday_calendar_is_edited_by_its_administrators_audited(calendars, client):
    client.force_login(staff_user("council-boss", "ashcombe", Membership.Role.ADMINISTRATOR))
    own = HolidayCalendar.objects.create(
        code="ashcombe-days",
        name="Ashcombe's days",
        language="en",
        organization=Organization.objects.get(code="ashcombe"),
    )
    page = url("admin:core_holidaycalendar_change", own.pk)
    data = posted(client.get(page)) | {
        "days-0-date": "2024-12-24",
        "days-0-kind": "holiday",
        "days-0-name": "Christmas Eve (council closure)",
        "change_reason": "council closure",
    }
    assert client.post(page, data).status_code == 302
    assert list(own.days.values_list("date", flat=True)) == [D(2024, 12, 24)]
    assert AuditEvent.objects.filter(object_type="core.calendarday", reason="council closure").exists()
    assert get_user_model().objects.filter(username="council-boss").exists()


def test_load_demo_loads_the_holiday_calendars_too(db, capsys):
    call_command("load", "--demo")
    assert "holiday calendars: tw (155 days), england (33 days)" in capsys.readouterr().out
    assert ReportingCalendar.objects.get(organization__code="taipei").holidays.code == "tw"
