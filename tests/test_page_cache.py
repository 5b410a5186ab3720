"""Pages of maps kept under the data's version (stratmap.web.pagecache, issue 13): the public's and each
person's given again without their queries while nothing they show changed, never stale after a change, never
given to anyone else, and with a nonce and a CSRF token of their own each time."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stratmap.access import access_for
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import kpi_result_transition

pytestmark = pytest.mark.django_db

SCORECARD = "/taipei/108/scorecard/"
KPI = "/taipei/108/kpis/DP5.1/"


def queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def reopen(people, code: str) -> None:
    result = KpiResult.objects.get(kpi__code=code, kpi__objective__map__year=2019, year=2019, period="")
    kpi_result_transition(
        access=access_for(people["admin"]), result=result, action="reopen", version=result.version, text="a recount"
    )


@pytest.mark.parametrize("url", [SCORECARD, KPI, "/taipei/108/", "/taipei/108/plans/", "/taipei/108/themes/D/"])
def test_the_publics_second_visit_to_a_page_runs_two_queries_whatever_the_page(demo, url):
    first, page = queries(Client(), url)
    again, kept = queries(Client(), url)
    assert first > 5
    assert again == 2  # the map's year in the address, the data's version
    assert re.sub(r'nonce="[^"]*"', "", kept) == re.sub(r'nonce="[^"]*"', "", page)


def test_a_result_reopened_leaves_the_publics_kpi_page_at_once(people):
    before = Client().get(KPI).content.decode()
    assert "7.05" in before  # DP5.1's published actual of 108
    reopen(people, "DP5.1")
    after = Client().get(KPI).content.decode()
    assert "7.05" not in after


def test_a_logged_in_viewer_gets_their_own_page_not_the_publics(people):
    reopen(people, "DP5.1")  # now returned: the public does not see it, a viewer does
    public = Client().get(KPI).content.decode()
    viewer = Client()
    viewer.force_login(people["viewer"])
    assert "7.05" not in public
    assert "7.05" in viewer.get(KPI).content.decode()
    assert "7.05" not in Client().get(KPI).content.decode()  # nor the viewer's page given to the public


def test_a_kept_page_carries_the_nonce_of_its_own_response(demo):
    nonces = []
    for _ in range(2):
        response = Client().get("/taipei/108/")  # the map's SVG has a style element with the page's nonce
        body = response.content.decode()
        header = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'nonce="{header}"' in body
        nonces.append(header)
    assert nonces[0] != nonces[1]


def test_a_page_in_the_other_language_is_kept_apart(demo):
    chinese = Client().get(SCORECARD).content.decode()
    english = Client().get("/en/taipei/2019/scorecard/").content.decode()
    assert "計分卡" in chinese and "Scorecard" in english
    assert "Scorecard" not in Client().get(SCORECARD).content.decode().split("<main", 1)[1][:400]


def test_a_kept_form_carries_each_visitors_own_csrf_token(demo, rf):
    from django.http import HttpResponse
    from django.middleware.csrf import _unmask_cipher_token, get_token

    from stratmap.web.pagecache import kept

    rendered = []

    @kept
    def form_page(request):
        rendered.append(get_token(request))  # a form that posts: this visitor's token
        return HttpResponse(f'<form method="post"><input name="csrfmiddlewaretoken" value="{rendered[-1]}"></form>')

    first, second = rf.get("/a-form/"), rf.get("/a-form/")
    first_page, second_page = form_page(first).content.decode(), form_page(second).content.decode()
    assert len(rendered) == 1, "the second visitor was given the kept page"
    token = re.search(r'value="([^"]+)"', second_page).group(1)
    assert rendered[0] in first_page and rendered[0] not in second_page
    assert _unmask_cipher_token(token) == second.META["CSRF_COOKIE"] != first.META["CSRF_COOKIE"]


def person(people, name: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people[name])
    return client


def without_per_response_parts(page: str) -> str:
    return re.sub(r'(nonce|value)="[^"]*"', "", page)


@pytest.mark.parametrize("url", [SCORECARD, KPI, "/taipei/108/"])
def test_a_persons_second_visit_runs_a_few_queries_and_shows_the_same_page(people, url):
    admin = person(people, "admin")
    first, page = queries(admin, url)
    again, kept_page = queries(admin, url)
    assert first > 10
    # the session, the person, the bell's count, their rights, the map's year in the address, the data's version
    assert again <= 6
    assert without_per_response_parts(kept_page) == without_per_response_parts(page)


def test_a_persons_kept_page_is_never_given_to_another_person_or_the_public(people):
    reopen(people, "DP5.1")  # returned: insiders see it, the public and an outsider do not
    viewer, admin, outsider = person(people, "viewer"), person(people, "admin"), person(people, "outsider")
    assert "7.05" in viewer.get(KPI).content.decode()
    assert "7.05" in viewer.get(KPI).content.decode()  # kept for the viewer
    assert "7.05" not in outsider.get(KPI).content.decode()
    assert "7.05" not in Client().get(KPI).content.decode()
    assert people["admin"].username in admin.get(KPI).content.decode()
    assert people["viewer"].username not in admin.get(KPI).content.decode()


def test_a_role_taken_away_changes_the_persons_page_at_once_even_behind_the_services_back(people):
    from stratmap.core.models import Membership

    reopen(people, "DP5.1")
    taipei = Membership.objects.get(user=people["viewer"]).organization
    Membership.objects.create(user=people["outsider"], organization=taipei, role=Membership.Role.VIEWER)
    viewer = person(people, "viewer")
    assert "7.05" in viewer.get(KPI).content.decode()
    # no audit event, and not the newest membership: the data's version holds, the viewer's rights do not
    Membership.objects.filter(user=people["viewer"]).delete()
    assert "7.05" not in viewer.get(KPI).content.decode()


def test_a_new_notification_shows_on_the_bell_of_a_kept_page(people):
    from stratmap.notices.models import Notification

    admin = person(people, "admin")
    bell = re.compile(r'class="bell[^"]*">[^<]*<span class="count">(\d+)</span>')
    assert bell.search(admin.get(SCORECARD).content.decode()).group(1) == "0"
    Notification.objects.create(recipient=people["admin"], kind="digest", key="week", subject="s", body="b")
    assert bell.search(admin.get(SCORECARD).content.decode()).group(1) == "1"


def test_the_csrf_token_of_a_persons_kept_page_is_good_for_its_forms(people):
    admin = person(people, "admin")
    admin.get(SCORECARD)
    page = admin.get(SCORECARD).content.decode()  # kept: its logout form's token put in for this response
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = admin.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in admin.session


def test_a_person_with_messages_waiting_gets_the_page_rendered_with_them(people):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage

    admin = person(people, "admin")
    admin.get(SCORECARD)  # kept
    # a message waiting as the messages framework keeps one between a save and the next page
    storage = CookieStorage(SimpleNamespace(COOKIES={}))
    admin.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Saved: a recount")])
    assert "Saved: a recount" in admin.get(SCORECARD).content.decode()
