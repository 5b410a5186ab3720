"""The public's pages kept under the data's version (stratmap.web.pagecache, issue 13): given again without
their queries while nothing changed, never stale after a change, never given to a logged-in person, and with
a nonce of their own each time."""

from __future__ import annotations

import re

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


def test_a_page_holding_a_csrf_token_is_never_given_to_another_visitor(demo, rf):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from stratmap.web.pagecache import kept_for_the_public

    rendered = []

    @kept_for_the_public
    def form_page(request):
        rendered.append(get_token(request))  # a form that posts: this visitor's token
        return HttpResponse(f'<form method="post"><input name="csrfmiddlewaretoken" value="{rendered[-1]}"></form>')

    first, second = form_page(rf.get("/a-form/")), form_page(rf.get("/a-form/"))
    assert len(rendered) == 2 and rendered[0] not in second.content.decode()
    assert rendered[0] in first.content.decode()
