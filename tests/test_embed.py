"""Embedding (issue 17 item 6): a map and a scorecard other sites may frame, from the origins the deployment
lists (STRATMAP_FRAME_ANCESTORS); every other page may be framed by no one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from stratmap.settings import _frame_ancestors
from stratmap.strategy.models import StrategyMap

EMBEDS = [
    "/taipei/109/embed/map/",
    "/taipei/109/embed/scorecard/",
    "/en/ashcombe/2024/embed/map/",
    "/en/ashcombe/2024/embed/scorecard/",
]
#: Pages, downloads and the open-data files, which no other site may frame.
OTHERS = ["/", "/taipei/109/", "/taipei/109/scorecard/", "/en/ashcombe/2024/", "/taipei/109/open-data/"]
OTHERS += ["/taipei/109/open-data/scorecard.json", "/accounts/login/", "/schema/dataset/v1.json"]


def directive(response, name: str) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith(name + " "))


@pytest.mark.parametrize("url", EMBEDS)
def test_an_embeddable_view_may_be_framed_by_the_listed_origins_and_nobody_else(demo, client, settings, url):
    settings.STRATMAP_FRAME_ANCESTORS = ["https://www.gov.taipei", "https://*.gov.tw"]
    response = client.get(url)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert directive(response, "frame-ancestors") == "frame-ancestors 'self' https://www.gov.taipei https://*.gov.tw"


@pytest.mark.parametrize("url", OTHERS)
def test_every_other_page_stays_unframeable(demo, client, settings, url):
    settings.STRATMAP_FRAME_ANCESTORS = ["https://www.gov.taipei"]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["X-Frame-Options"] == "DENY"
    assert directive(response, "frame-ancestors") == "frame-ancestors 'none'"


def test_without_origins_an_embeddable_view_is_framed_by_the_site_alone(demo, client, settings):
    settings.STRATMAP_FRAME_ANCESTORS = []
    response = client.get("/taipei/109/embed/map/")
    assert directive(response, "frame-ancestors") == "frame-ancestors 'self'"


def test_an_embeddable_view_has_no_site_navigation_and_links_back_to_the_full_page(demo, client):
    page = client.get("/taipei/109/embed/scorecard/").content.decode()
    assert 'class="map-nav"' not in page and 'class="site"' not in page and "<form" not in page
    assert 'href="/taipei/109/scorecard/"' in page
    assert '<base target="_blank">' in page
    assert "/taipei/109/kpis/DP5.1/" in page  # the table is the scorecard's
    page = client.get("/en/ashcombe/2024/embed/map/").content.decode()
    assert 'href="/en/ashcombe/2024/"' in page
    assert "<svg" in page and "Log in" not in page


def test_an_embeddable_view_of_an_unpublished_map_is_a_404_for_the_public(demo, client, council_people):
    StrategyMap.objects.filter(organization__code="ashcombe", year=2024, in_force=True).update(published=False)
    for url in EMBEDS[2:]:
        assert client.get(url).status_code == 404
    client.force_login(council_people["council-viewer"])
    assert client.get(EMBEDS[2]).status_code == 200


def test_the_origins_are_read_from_the_environment_and_anything_else_is_refused():
    assert _frame_ancestors("https://www.gov.taipei, https://*.gov.tw  http://localhost:8080") == [
        "https://www.gov.taipei",
        "https://*.gov.tw",
        "http://localhost:8080",
    ]
    assert _frame_ancestors("") == []
    for bad in ("'none'", "https://a.gov.tw; script-src *", "javascript:alert(1)", "*"):
        with pytest.raises(ImproperlyConfigured, match="STRATMAP_FRAME_ANCESTORS"):
            _frame_ancestors(bad)
