"""Notifications (issue 16 item 2): a simulated quarter of the council's year with the clock given to
``stratmap remind`` (reminders before, on and after the due date, escalation, the digest, mails read from
the test outbox, nothing sent twice), review notices from the audit trail, the bell and its page."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command

from stratmap.access import access_for
from stratmap.core.models import Membership, Organization
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import kpi_result_record, kpi_result_transition
from stratmap.notices.models import Notification, NotificationPreference
from stratmap.notices.services import remind

pytestmark = pytest.mark.django_db

Q1_DUE = datetime.date(2024, 7, 15)  # the council's 2024/25 Q1 (April–June) ends 30 June; due 15 days after


@pytest.fixture
def quarter(council_people, settings):
    """The council's 2024/25 with nothing entered yet, its people with email addresses."""
    settings.STRATMAP_DIGEST_WEEKDAY = 0  # Mondays
    KpiResult.objects.filter(kpi__objective__map__organization__code="ashcombe", year=2024).delete()
    for name, user in council_people.items():
        user.email = f"{name}@example.org"
        user.save()
    return council_people


def run(day: datetime.date) -> str:
    out = io.StringIO()
    call_command("remind", f"--today={day.isoformat()}", stdout=out)
    return out.getvalue()


def mails(to: str, about: str = "H1.1 Affordable homes delivered, 2024/25 Q1") -> list[str]:
    return [m.subject for m in mail.outbox if m.to == [to] and about in m.subject]


def test_a_quarter_reminds_its_editor_before_on_and_after_the_due_date_then_escalates(quarter):
    place, admin = "council-place@example.org", "council-admin@example.org"
    run(datetime.date(2024, 7, 1))
    assert mails(place) == []  # two weeks before: nothing yet
    run(datetime.date(2024, 7, 8))
    assert mails(place) == ["[stratmap] Due on 2024-07-15: H1.1 Affordable homes delivered, 2024/25 Q1"]
    run(Q1_DUE)
    assert mails(place)[-1] == "[stratmap] Due today: H1.1 Affordable homes delivered, 2024/25 Q1"
    run(datetime.date(2024, 7, 16))
    assert mails(place)[-1] == "[stratmap] Overdue since 2024-07-15: H1.1 Affordable homes delivered, 2024/25 Q1"
    assert mails(admin) == []
    run(datetime.date(2024, 7, 22))  # 7 days late: the theme's coordinator (the council has none: its office)
    assert mails(admin) == ["[stratmap] Overdue 7 days: H1.1 Affordable homes delivered, 2024/25 Q1"]
    run(datetime.date(2024, 7, 29))  # 14 days late: the evaluation office
    assert mails(admin)[-1] == "[stratmap] Overdue 14 days: H1.1 Affordable homes delivered, 2024/25 Q1"
    assert len(mails(place)) == 3  # each step once, however often remind ran
    assert mails("council-resources@example.org") == []  # not theirs
    # a link to the result's page, in the recipient's language (the council's English)
    body = next(
        m.body for m in mail.outbox if m.to == [place] and "H1.1 Affordable homes delivered, 2024/25 Q1" in m.subject
    )
    assert "http://localhost:8000/en/ashcombe/2024/kpis/H1.1/results/Q1/" in body


def test_run_twice_the_same_day_remind_makes_and_sends_nothing_again(quarter):
    first = run(Q1_DUE)
    sent = len(mail.outbox)
    assert sent > 0 and re.search(r"made [1-9]\d* notification", first)
    again = run(Q1_DUE)
    assert "made 0 notification(s) (none); emailed 0" in again
    assert len(mail.outbox) == sent
    assert Notification.objects.filter(emailed=None, recipient__email__gt="").count() == 0


def test_a_result_submitted_in_time_is_not_reminded(quarter):
    kpi = KpiResult.kpi.field.related_model.objects.get(code="H1.1", objective__map__year=2024)
    editor = access_for(quarter["council-place"])
    kpi_result_record(access=editor, kpi=kpi, year=2024, period="Q1", data={"actual": 55}, version=0)
    result = KpiResult.objects.get(kpi=kpi, year=2024, period="Q1")
    kpi_result_transition(access=editor, result=result, action="submit", version=result.version)
    mail.outbox.clear()
    run(datetime.date(2024, 7, 16))
    assert not [s for s in mails("council-place@example.org") if "Q1" in s]
    # its reviewer is told it waits for them
    assert mails("council-admin@example.org") == [
        "[stratmap] Waiting for your review: H1.1 Affordable homes delivered, 2024/25 Q1"
    ]


def test_a_returned_result_tells_its_editor_why(quarter):
    kpi = KpiResult.kpi.field.related_model.objects.get(code="H1.1", objective__map__year=2024)
    editor, office = access_for(quarter["council-place"]), access_for(quarter["council-admin"])
    kpi_result_record(access=editor, kpi=kpi, year=2024, period="Q1", data={"actual": 55}, version=0)
    result = KpiResult.objects.get(kpi=kpi, year=2024, period="Q1")
    result = kpi_result_transition(access=editor, result=result, action="submit", version=result.version)
    kpi_result_transition(access=office, result=result, action="return", version=result.version, text="Count Q1 again")
    run(datetime.date(2024, 7, 10))
    returned = [m for m in mail.outbox if m.to == ["council-place@example.org"] and "Returned" in m.subject]
    assert len(returned) == 1
    assert "council-admin returned the result of H1.1" in returned[0].body and "Count Q1 again" in returned[0].body


def test_the_weekly_digest_lists_the_persons_week_once_a_week(quarter):
    run(datetime.date(2024, 7, 8))  # a Monday: the week's reminders, then the digest of them
    digests = [m for m in mail.outbox if m.to == ["council-place@example.org"] and "Your week" in m.subject]
    assert len(digests) == 1
    assert "Due on 2024-07-15: H1.1" in digests[0].body
    run(datetime.date(2024, 7, 9))  # not the digest's day
    run(datetime.date(2024, 7, 8))  # the same week again
    assert len([m for m in mail.outbox if m.to == ["council-place@example.org"] and "Your week" in m.subject]) == 1


def test_a_person_who_wants_only_the_digest_gets_no_other_mail_but_sees_them_in_the_app(quarter):
    NotificationPreference.objects.create(user=quarter["council-place"], email_each=False, digest=True)
    run(datetime.date(2024, 7, 8))
    subjects = [m.subject for m in mail.outbox if m.to == ["council-place@example.org"]]
    assert subjects and all("Your week" in s for s in subjects)
    assert Notification.objects.filter(recipient=quarter["council-place"], kind="remind_before").exists()


def test_notifications_are_written_in_the_recipients_language(quarter):
    NotificationPreference.objects.create(user=quarter["council-place"], language="zh-hant")
    run(datetime.date(2024, 7, 8))
    subjects = [m.subject for m in mail.outbox if m.to == ["council-place@example.org"] and "H1.1" in m.subject]
    assert subjects and not [s for s in subjects if "Due on" in s or "Overdue" in s]


def test_the_bell_counts_a_persons_unread_notifications_and_the_page_marks_them_read(quarter, client):
    run(datetime.date(2024, 7, 8))
    client.force_login(quarter["council-place"])
    unread = Notification.objects.filter(recipient=quarter["council-place"], read=None).count()
    assert unread > 0
    page = client.get("/en/notifications/").content.decode()
    bell = f'Notifications <span class="count">{unread}</span><span class="visually-hidden"> unread notification'
    assert bell in page
    assert "Due on 2024-07-15: H1.1" in page
    response = client.post("/en/notifications/read/", {"all": "1"})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=quarter["council-place"], read=None).count() == 0


def test_a_person_sees_and_marks_only_their_own_notifications(quarter, client):
    run(datetime.date(2024, 7, 8))
    theirs = Notification.objects.filter(recipient=quarter["council-place"]).first()
    client.force_login(quarter["council-resources"])
    assert theirs.subject not in client.get("/en/notifications/").content.decode()
    client.post("/en/notifications/read/", {"id": str(theirs.pk)})
    theirs.refresh_from_db()
    assert theirs.read is None


def test_the_public_is_sent_to_log_in_for_notifications(demo, client):
    for url in ("/notifications/", "/en/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 302


def test_preferences_are_saved_audited_and_a_stale_form_is_refused(quarter, client):
    client.force_login(quarter["council-place"])
    form = {"email_each": "", "digest": "on", "language": "en", "version": "0"}
    assert client.post("/en/notifications/preferences/", form).status_code == 302
    saved = NotificationPreference.objects.get(user=quarter["council-place"])
    assert (saved.email_each, saved.digest, saved.language, saved.version) == (False, True, "en", 1)
    stale = client.post("/en/notifications/preferences/", {**form, "email_each": "on"})
    assert stale.status_code == 409
    assert NotificationPreference.objects.get(user=quarter["council-place"]).email_each is False


def test_a_bad_language_in_the_preferences_is_a_400_naming_the_field(quarter, client):
    client.force_login(quarter["council-place"])
    response = client.post("/en/notifications/preferences/", {"language": "xx", "version": "0"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_taipei_editor_is_reminded_in_chinese_of_a_yearly_result(people):
    # Taipei's 2019 (108) map: its year's results are due 30 days after the year, 30 January 2020 (a Thursday).
    KpiResult.objects.filter(kpi__code="DC1.1", year=2019).delete()
    dol = people["dol"]
    dol.email = "dol@example.org"
    dol.save()
    taipei_labour = Organization.objects.get(code="taipei-dol")
    assert Membership.objects.filter(user=dol, organization=taipei_labour).exists()
    remind(today=datetime.date(2020, 1, 31))
    subjects = [m.subject for m in mail.outbox if m.to == ["dol@example.org"] and "DC1.1" in m.subject]
    assert len(subjects) == 1 and "失業率" in subjects[0] and "108" in subjects[0]
    body = next(m.body for m in mail.outbox if m.to == ["dol@example.org"] and "DC1.1" in m.subject)
    assert "http://localhost:8000/taipei/108/kpis/DC1.1/result/" in body  # a Chinese page, its ROC year
