"""The pages, as a client sees them: content, languages, downloads, escaping and query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi
from tests.helpers import multiply, page, url

pytestmark = pytest.mark.django_db

PAGES = [
    ("web:home", []),
    ("web:map", ["taipei", 2019]),
    ("web:map", ["taipei", 2020]),
    ("web:map", ["taipei-doed", 2021]),
    ("web:theme", ["taipei", 2019, "D"]),
    ("web:scorecard", ["taipei", 2019]),
    ("web:kpi", ["taipei", 2019, "DP5.1"]),
    ("web:kpi", ["taipei", 2020, "DP3.3"]),
    ("web:plans", ["taipei", 2020]),
    ("web:tows", ["taipei-doed", 2021]),
    ("web:cascade", ["taipei", 2021]),
    ("web:cascade", ["taipei-doed", 2021]),
    ("web:revisions", ["taipei", 2020]),
]


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize(("name", "args"), PAGES, ids=lambda p: str(p))
def test_every_page_opens_in_both_languages(demo, client, name, args, language):
    html = page(client, name, args, language)
    assert ('<html lang="en">' in html) == (language == "en")


def test_a_maps_links_carry_the_year_as_its_organization_types_it_and_either_form_opens(demo, client):
    taipei = client.get("/taipei/108/").content.decode()
    assert 'href="/taipei/108/scorecard/"' in taipei and '"/taipei/2019/' not in taipei
    council = client.get("/en/ashcombe/2024/").content.decode()
    assert 'href="/en/ashcombe/2024/scorecard/"' in council and "/ashcombe/113/" not in council
    assert client.get("/taipei/2019/", follow=True).status_code == 200  # by a redirect to /taipei/108/
    assert client.get("/taipei/99999/").status_code == 404
    assert client.get("/taipei/107/").status_code == 404
    assert client.get("/nowhere/108/").status_code == 404


def test_the_home_page_lists_each_map_with_its_headline_numbers(demo, client):
    html = page(client, "web:home", [])
    assert "臺北市政府" in html and "民國108年" in html and "臺北市政府產業發展局" in html
    assert "/taipei/108/" in html and "/taipei-doed/110/" in html
    assert page(client, "web:home", [], "en").count("2019") >= 1


def test_the_city_map_has_eight_theme_columns(demo, client):
    html = page(client, "web:map", ["taipei", 2019])
    assert html.count('class="theme"') == 8
    assert "為市民服務，替城市創新" in html
    assert 'data-code="DC1"' in html


def test_the_map_downloads_as_svg(demo, client):
    response = client.get(url("web:map-svg", ["taipei", 2019]))
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().startswith(("<svg", "<?xml"))


def test_the_theme_view_lists_objectives_by_perspective_with_lights(demo, client):
    html = page(client, "web:theme", ["taipei", 2019, "D"])
    assert "DP5.1" in html and "●" in html and "未達標" in html
    assert "108年D組KPI除DP5.1外，其餘KPI已達成年度目標值" in html


def test_the_theme_d_scorecard_shows_dp51_as_not_met(demo, client):
    html = page(client, "web:scorecard", ["taipei", 2019], query="theme=D")
    row = html[html.index(">DP5.1<") :]
    row = row[: row.index("</tr>")]
    assert "85.1%" in row and "未達標" in row


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("perspective=C", "DC1.1", "DP5.1"),
        ("agency=taipei-dol", "DP5.1", "DC2.1"),
        ("light=unknown", "DP3.3", "DP5.1"),
        ("theme=D&light=excellent", "DP5.2", "DP5.1"),
    ],
)
def test_the_scorecard_filters(demo, client, query, expected, absent):
    html = page(client, "web:scorecard", ["taipei", 2019], query=query)
    assert f">{expected}<" in html and f">{absent}<" not in html


def test_the_scorecard_sorts_by_rate(demo, client):
    html = page(client, "web:scorecard", ["taipei", 2019], query="sort=-rate")
    assert html.index(">DP5.2<") < html.index(">DP3.1<") < html.index(">DP5.1<")


def test_the_scorecard_downloads_as_csv_that_excel_opens_in_chinese(demo, client):
    response = client.get(url("web:scorecard-csv", ["taipei", 2019], query="theme=D"))
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][2] == "代碼"
    dp51 = next(r for r in rows if r[2] == "DP5.1")
    assert dp51[6] == "85.1" and dp51[3] == "職業災害死亡百萬人率"


def test_the_kpi_page_shows_definition_history_narratives_and_explanation(demo, client):
    html = page(client, "web:kpi", ["taipei", 2019, "DP5.1"])
    expected = ["職業災害死亡百萬人率", "負向", "勞動局", "85.1%", "狀況分析", "臺北市勞動檢查處降災策略"]
    for text in [*expected, "kpi-chart-data", "echarts.min.js"]:
        assert text in html, text
    assert "/taipei/109/kpis/DP5.1/" in html  # the same KPI next year


def test_the_kpi_page_follows_a_change_of_code(demo, client):
    html = page(client, "web:kpi", ["taipei", 2020, "DP3.3"])
    assert "/taipei/108/kpis/DP3.4/" in html
    assert "生技企業營收成長率" not in html  # 108's DP3.3 was another KPI, deleted in 109


#: What each page is for, as a reader checks it: the page, and texts it must show.
SHOWN = {
    "the action plans show a 12-month grid and outcomes": (
        "web:plans", ["taipei", 2020], ["Bravo職涯4年計畫", "12月", "獎勵補助225家"]
    ),
    "TOWS shows the matrix and the policy thrusts": (
        "web:tows", ["taipei-doed", 2021], ["行政資源與經驗豐富", "【掌握機會，發揮優勢】", "創新創業"]
    ),
    "the cascade shows bureau themes and citations": ("web:cascade", ["taipei", 2021], ["DP1", "AC3.1", "DC3.2"]),
    "the revisions page shows changes with reasons and counts": (
        "web:revisions", ["taipei", 2020], ["經評估本項KPI", "7(-1)", "2(-1)", "DP3.4", "DP3.3"]
    ),
}  # fmt: skip


@pytest.mark.parametrize(("name", "args", "shown"), SHOWN.values(), ids=list(SHOWN))
def test_each_page_shows_what_it_is_for(demo, client, name, args, shown):
    html = page(client, name, args)
    assert [text for text in shown if text not in html] == []


def test_a_page_of_a_missing_thing_is_404(demo, client):
    assert client.get(url("web:kpi", ["taipei", 2019, "ZZ9.9"])).status_code == 404
    assert client.get(url("web:theme", ["taipei", 2019, "Z"])).status_code == 404
    assert client.get(url("web:tows", ["taipei", 2019])).status_code == 404


def test_the_language_switch_keeps_the_page(demo, client):
    html = page(client, "web:kpi", ["taipei", "108", "DP5.1"])
    assert 'href="/en/taipei/2019/kpis/DP5.1/"' in html
    english = page(client, "web:kpi", ["taipei", 2019, "DP5.1"], "en")
    assert 'href="/taipei/108/kpis/DP5.1/"' in english


def test_names_with_markup_show_as_text_everywhere(demo, client):
    nasty = '<script>alert("x")</script> & "quotes"'
    Kpi.objects.filter(code="DP5.1", objective__map__year=2019).update(name=nasty)
    from stratmap.strategy.models import Objective

    Objective.objects.filter(code="DP5", map__year=2019).update(name=nasty)
    for name, args in [
        ("web:map", ["taipei", 2019]),
        ("web:theme", ["taipei", 2019, "D"]),
        ("web:scorecard", ["taipei", 2019]),
        ("web:kpi", ["taipei", 2019, "DP5.1"]),
    ]:
        html = page(client, name, args)
        assert "<script>alert" not in html, name
        assert "&lt;script&gt;alert" in html, name
    svg = client.get(url("web:map-svg", ["taipei", 2019])).content.decode()
    assert "<script>alert" not in svg and "&lt;script&gt;alert" in svg


def count_queries(client, name, args) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, name, args)
    return len(queries)


def test_every_page_runs_the_same_queries_for_ten_times_the_kpis(demo, client):
    before = {(name, str(args)): count_queries(client, name, args) for name, args in PAGES}
    kpis = Kpi.objects.count()
    multiply(10)
    assert Kpi.objects.count() == 10 * kpis
    after = {(name, str(args)): count_queries(client, name, args) for name, args in PAGES}
    assert after == before
    assert max(before.values()) < 30


def test_an_organization_without_maps_does_not_show(demo, client):
    Organization.objects.create(code="empty", name="空機關", kind="bureau")
    assert "空機關" not in page(client, "web:home", [])


#: Reports rendered elsewhere; rendering them for every link the crawl finds would cost minutes.
DOWNLOADS = {"report-pptx", "report-pdf", "scorecard-xlsx"}


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_page_type_is_reachable_from_the_home_page_by_following_links(demo, client, prefix):
    """A person who only clicks reaches every kind of page, in each language."""
    import re
    from urllib.parse import urldefrag

    from django.urls import resolve
    from django.utils import translation

    seen, queue, reached = set(), [prefix + "/"], set()
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        with translation.override("en" if prefix else "zh-hant"):
            match = resolve(path.split("?")[0])
        reached.add(match.url_name)
        if match.url_name in DOWNLOADS:
            continue  # each download is tested once in its own module; the crawl only needs its link
        response = client.get(path)
        assert response.status_code == 200, path
        if not response["Content-Type"].startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"]+)"', response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            inside = href.startswith(prefix + "/") and not href.startswith(("/static/", "/admin/", "/en/admin/"))
            same_language = href.startswith("/en/") == (prefix == "/en")
            if inside and same_language and href not in seen:
                queue.append(href)
    expected = {"home", "map", "map-svg", "theme", "scorecard", "scorecard-csv", "kpi", "plans", "tows", "cascade",
                "revisions", *DOWNLOADS}  # fmt: skip
    assert expected <= reached


def test_static_files_are_served_by_the_app_itself_even_without_debug(demo, client, settings):
    settings.DEBUG = False
    response = client.get("/static/stratmap/vendor/echarts-5.6.0/echarts.min.js")
    assert response.status_code == 200
    assert b"echarts" in b"".join(response.streaming_content)[:2000].lower()


def test_a_composite_scorecard_shows_the_self_assessment_scores_and_the_total(demo, client):
    page = client.get("/en/taipei/2019/scorecard/").content.decode()
    assert all(f">{label}</th>" in page for label in ("innov.", "chall.", "contr.")) and ">total</a>" in page
    kpi = client.get("/en/taipei/2019/kpis/DP5.1/").content.decode()
    assert "Self-assessment" in kpi and "innovation / challenge / contribution" in kpi
