"""URLs in the reader's years (issue 14, item 3).

A map's year in its addresses follows the page's language: in Chinese as its organization types years
(/taipei/108/, /ashcombe/2024/), in English the AD year (/en/taipei/2019/; a fiscal year by the AD year
it starts in, /en/ashcombe/2024/ for 2024/25, as its period keys and files write it). Every other form
(ROC in English, AD in Chinese, a fiscal year's span 2024-25) is the same page, reached by a permanent
redirect to its one address; a POST is never redirected.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from stratmap.kpis.models import KpiResult
from stratmap.strategy.models import StrategyMap
from tests.helpers import ENTRY


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def switch_to(html: str, language: str) -> str:
    """Where the page's language switch leads."""
    (href,) = re.findall(rf'<a href="([^"]*)"[^>]* hreflang="{language}"', html)
    return href.replace("&amp;", "&")


def canonical(html: str) -> str:
    (href,) = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    return href.replace("&amp;", "&")


def test_english_taipei_pages_link_to_their_maps_with_ad_years(demo, client):
    page = client.get("/en/taipei/2019/")
    assert page.status_code == 200
    html = page.content.decode()
    year_links = [href for href in links(html) if href.startswith("/en/taipei/")]
    assert "/en/taipei/2019/scorecard/" in year_links and "/en/taipei/2019/themes/D/" in year_links
    assert not [href for href in year_links if re.match(r"/en/taipei/1[0-9]{2}/", href)]
    home = client.get("/en/").content.decode()
    assert 'href="/en/taipei/2019/"' in home and 'href="/en/taipei/110/"' not in home
    kpi = client.get("/en/taipei/2020/kpis/DP5.1/").content.decode()
    assert 'href="/en/taipei/2019/kpis/DP5.1/"' in kpi  # the lineage's earlier year


def test_chinese_taipei_pages_keep_roc_years(demo, client):
    html = client.get("/taipei/108/").content.decode()
    assert 'href="/taipei/108/scorecard/"' in html and '"/taipei/2019/' not in html


def test_an_roc_year_in_english_is_redirected_permanently_to_the_ad_year_with_the_path_and_query(demo, client):
    response = client.get("/en/taipei/108/scorecard/?theme=D&light=excellent")
    assert response.status_code == 301
    assert response["Location"] == "/en/taipei/2019/scorecard/?theme=D&light=excellent"
    assert client.get(response["Location"]).status_code == 200
    head = client.head("/en/taipei/108/kpis/DP5.1/")
    assert (head.status_code, head["Location"]) == (301, "/en/taipei/2019/kpis/DP5.1/")


@pytest.mark.parametrize("path", ["/en/taipei/2019/", "/en/taipei/2019/kpis/DP5.1/", "/taipei/108/scorecard/", "/"])
def test_a_head_request_of_a_page_is_answered_like_its_get_without_a_body(demo, client, path):
    head, get = client.head(path), client.get(path)
    assert (head.status_code, head["Content-Type"]) == (200, get["Content-Type"])
    assert head.content == b""


def test_an_ad_year_in_chinese_is_redirected_permanently_to_the_roc_year(demo, client):
    response = client.get("/taipei/2019/")
    assert (response.status_code, response["Location"]) == (301, "/taipei/108/")
    download = client.get("/taipei/2019/scorecard.csv?theme=D")
    assert (download.status_code, download["Location"]) == (301, "/taipei/108/scorecard.csv?theme=D")


def test_a_post_to_a_year_in_another_form_is_served_where_it_was_sent(demo, people, client):
    client.force_login(people["dol"])
    page = client.get("/en/taipei/2020/kpis/DP5.1/result/").content.decode()
    version = re.search(r'<input type="hidden" name="version"(?: value="([^"]*)")?', page).group(1) or ""
    response = client.post("/en/taipei/109/kpis/DP5.1/result/", {**ENTRY, "version": version})
    assert response.status_code == 302  # the form's own answer, not a 301 that would drop its data
    assert response["Location"].startswith("/en/taipei/2020/kpis/DP5.1/")  # and on to the page's address
    result = KpiResult.objects.get(kpi__code="DP5.1", kpi__objective__map__organization__code="taipei", year=2020)
    assert result.actual == Decimal("5.0")


def test_the_language_switch_leads_to_the_pages_address_in_the_other_language(demo, client):
    chinese = client.get("/taipei/108/scorecard/?theme=D").content.decode()
    english = switch_to(chinese, "en")
    assert english == "/en/taipei/2019/scorecard/?theme=D"
    back = client.get(english)
    assert back.status_code == 200
    assert switch_to(back.content.decode(), "zh-Hant") == "/taipei/108/scorecard/?theme=D"
    # From a page reached by its year in another form, too (a POST's page is one).
    kpi = client.get("/en/taipei/2019/kpis/DP5.1/").content.decode()
    assert switch_to(kpi, "zh-Hant") == "/taipei/108/kpis/DP5.1/"


def test_a_map_page_names_its_one_address_as_canonical(demo, client):
    html = client.get("/en/taipei/2019/themes/D/").content.decode()
    assert canonical(html) == "http://testserver/en/taipei/2019/themes/D/"
    chinese = client.get("/taipei/108/scorecard/?theme=D").content.decode()
    assert canonical(chinese) == "http://testserver/taipei/108/scorecard/?theme=D"
    assert 'rel="canonical"' not in client.get("/").content.decode()  # the home page has no map year


def test_the_councils_fiscal_years_are_their_starting_ad_year_in_both_languages(demo, client):
    for path in ("/ashcombe/2024/", "/en/ashcombe/2024/"):
        assert client.get(path).status_code == 200, path
    english = client.get("/en/ashcombe/2024/scorecard/").content.decode()
    assert 'href="/en/ashcombe/2024/plans/"' in english
    assert switch_to(english, "zh-Hant") == "/ashcombe/2024/scorecard/"
    assert switch_to(client.get("/ashcombe/2024/").content.decode(), "en") == "/en/ashcombe/2024/"
    # Its ROC number and its label's span (2024/25) are the same page, in either language.
    for path, address in [
        ("/en/ashcombe/113/", "/en/ashcombe/2024/"),
        ("/ashcombe/113/kpis/H1.1/", "/ashcombe/2024/kpis/H1.1/"),
        ("/en/ashcombe/2024-25/kpis/H1.1/?x=1", "/en/ashcombe/2024/kpis/H1.1/?x=1"),
        ("/ashcombe/2024-25/", "/ashcombe/2024/"),
    ]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (301, address), path


@pytest.mark.parametrize(
    "path",
    [
        "/en/taipei/0/",  # no year
        "/en/taipei/300/",  # past the last ROC year, before the first AD year
        "/en/taipei/9999/",  # past the last AD year
        "/taipei/1999/",  # a year with no map
        "/taipei/abc/",
        "/en/taipei/2019-20/",  # the span of a year that is not a fiscal year of Taipei's
        "/en/ashcombe/2024-26/",  # a span of two years
        "/en/ashcombe/113-14/",
        "/en/nowhere/2019/",
        "/nowhere/108/",
    ],
)
def test_a_year_out_of_range_or_nonsense_is_a_404_in_any_form(demo, client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {}).status_code in (404, 405)  # 405: a map's page takes no POST, whichever year


def test_an_unpublished_map_is_a_404_in_every_form_of_its_year_for_the_public(demo, client):
    StrategyMap.objects.filter(organization__code="taipei", year=2020).update(published=False)
    for path in ("/taipei/109/", "/taipei/2020/", "/en/taipei/109/", "/en/taipei/2020/"):
        assert client.get(path).status_code == 404, path


def test_the_map_drawings_theme_links_carry_the_pages_years(demo, client):
    english = client.get("/en/taipei/2019/map.svg").content.decode()
    chinese = client.get("/taipei/108/map.svg").content.decode()
    assert "/en/taipei/2019/themes/" in english and "/taipei/108/" not in english
    assert "/taipei/108/themes/" in chinese and "/taipei/2019/" not in chinese


def test_the_administrations_link_to_a_result_page_carries_the_years_of_its_language(demo, admin_client):
    result = KpiResult.objects.get(kpi__code="DP5.1", kpi__objective__map__organization__code="taipei", year=2019)
    english = admin_client.get(f"/en/admin/kpis/kpiresult/{result.pk}/change/").content.decode()
    chinese = admin_client.get(f"/admin/kpis/kpiresult/{result.pk}/change/").content.decode()
    assert 'href="/en/taipei/2019/kpis/DP5.1/result/"' in english
    assert 'href="/taipei/108/kpis/DP5.1/result/"' in chinese
