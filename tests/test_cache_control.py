"""What a logged-in person is answered is theirs alone (issue 10, item 9).

Pages and downloads answered to someone logged in may hold unpublished maps and draft results;
they carry ``Cache-Control: private, no-store`` so that no shared cache (a proxy, a CDN) keeps
them and serves them to the public. The public's pages stay cacheable, varying on the cookie.
"""

from __future__ import annotations

import pytest
from django.utils.cache import get_max_age

from tests.routes import COUNCIL_ROUTES, NONE_IN_TAIPEI, POST_ONLY, ROUTES

#: A URL of every route that answers GET (tests/routes.py), and more of the pages.
INSIDER_URLS = [
    *(url for name, url in ROUTES.items() if name not in POST_ONLY | NONE_IN_TAIPEI),
    "/",
    "/taipei/108/",
    "/taipei/108/map.svg",
    "/taipei/108/themes/D/",
    "/taipei/108/scorecard/",
    "/taipei/108/scorecard.csv",
    "/taipei/108/scorecard.xlsx",
    "/taipei/108/report.pptx?theme=D",
    "/taipei/108/kpis/DP5.1/",
    "/taipei/109/plans/",
    "/taipei/110/cascade/",
    "/taipei/109/revisions/",
    "/taipei-doed/110/tows/",
    "/taipei/109/kpis/DP5.1/result/",
    "/taipei/109/workbook.xlsx?agency=taipei-dol",
    "/taipei/109/workbook/",
    "/due/",
    "/en/taipei/2019/",
]


def directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("url", INSIDER_URLS)
def test_every_page_and_download_answered_to_a_logged_in_person_is_private_and_not_stored(people, client, url):
    client.force_login(people["admin"])
    response = client.get(url)
    assert response.status_code == 200, url
    assert {"private", "no-store"} <= directives(response), (url, response.get("Cache-Control"))
    assert "public" not in directives(response)


@pytest.mark.parametrize("url", [url for name, url in COUNCIL_ROUTES.items() if name not in POST_ONLY])
def test_every_page_and_download_of_the_councils_map_answered_to_its_administrator_is_private(
    council_people, client, url
):
    client.force_login(council_people["council-admin"])
    response = client.get(url)
    assert response.status_code == 200, url
    assert {"private", "no-store"} <= directives(response), (url, response.get("Cache-Control"))
    assert "public" not in directives(response)


def test_a_logged_in_person_without_a_role_is_answered_privately_too(people, client):
    """Their pages name them (the log-out link): still not for a shared cache."""
    client.force_login(people["outsider"])
    response = client.get("/taipei/108/")
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize("url", ["/", "/taipei/108/", "/taipei/108/scorecard.csv", "/taipei/108/kpis/DP5.1/"])
def test_the_publics_pages_stay_cacheable_and_vary_on_the_cookie(demo, client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert not {"private", "no-store", "no-cache"} & directives(response), response.get("Cache-Control")
    assert get_max_age(response) is None or get_max_age(response) > 0
    assert "cookie" in response.get("Vary", "").lower()
