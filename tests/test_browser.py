"""Every page type in a real browser (Debian's chromium), in both languages, as a person would.

Screenshots go to the folder printed at the end of the run; look at them.
"""

from __future__ import annotations

import re

import pytest

from stratmap.exchange.loader import DEMO_DATA, load_paths
from tests.helpers import SHOTS

pytestmark = pytest.mark.browser

PAGES = [
    ("home", "/", ["臺北市政府", "民國108年"], ["Taipei", "2019"]),
    ("map-taipei-108", "/taipei/108/", ["為市民服務", "優化產業勞動"], ["Strategy map", "Industry and Labour"]),
    ("map-doed-110", "/taipei-doed/110/", ["促進產業永續發展"], ["Download the map"]),
    ("theme-d-108", "/taipei/108/themes/D/", ["DP5.1", "未達標"], ["DP5.1", "not met"]),
    ("scorecard-108", "/taipei/108/scorecard/?theme=D", ["85.1%", "未達標"], ["85.1%", "not met"]),
    (
        "kpi-dp51-108",
        "/taipei/108/kpis/DP5.1/",
        ["職業災害死亡百萬人率", "臺北市勞動檢查處降災策略"],
        ["Why the target was missed"],
    ),
    ("kpi-dc11-109", "/taipei/109/kpis/DC1.1/", ["失業率", "民國111年"], ["2022"]),
    ("plans-109", "/taipei/109/plans/", ["Bravo職涯4年計畫", "12月"], ["Bravo職涯4年計畫"]),
    ("tows-doed-110", "/taipei-doed/110/tows/", ["【掌握機會，發揮優勢】", "創新創業"], ["Strengths (S)"]),
    ("cascade-110", "/taipei/110/cascade/", ["AC3.1"], ["City KPIs no bureau KPI supports"]),
    ("revisions-109", "/taipei/109/revisions/", ["7(-1)", "經評估本項KPI"], ["Counts before and after, as published"]),
]


@pytest.fixture
def site(live_server, transactional_db):
    load_paths([DEMO_DATA])
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


@pytest.fixture
def watched(page):
    """A page that records console errors and failed requests, which fail the test."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.problems = problems
    return page


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("name", "path", "zh", "en"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_shows_its_content_without_errors(site, watched, name, path, zh, en, language):
    prefix = "/en" if language == "en" else ""
    watched.set_viewport_size({"width": 1366, "height": 900})
    watched.goto(site + prefix + path)
    watched.wait_for_load_state("networkidle")
    text = watched.inner_text("body")
    for expected in zh if language == "zh" else en:
        assert expected in text, f"{expected!r} not on {prefix + path}"
    watched.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)
    assert watched.problems == []


def test_the_city_map_draws_8_theme_columns_and_links_objectives(site, watched):
    watched.goto(site + "/taipei/108/")
    assert watched.locator("svg .theme").count() == 8
    watched.locator('svg [data-code="DP5"]').first.click()
    watched.wait_for_url(re.compile(r"/taipei/108/themes/D/"))
    assert watched.problems == []


def test_the_kpi_chart_draws_with_the_vendored_echarts(site, watched):
    watched.goto(site + "/taipei/109/kpis/DC1.1/")
    watched.wait_for_selector("#kpi-chart svg")
    assert watched.locator("#kpi-chart svg").count() == 1
    assert watched.problems == []


def test_the_language_switch_keeps_the_page(site, watched):
    watched.goto(site + "/taipei/108/kpis/DP5.1/")
    watched.click("text=English")
    watched.wait_for_url(re.compile(r"/en/taipei/108/kpis/DP5\.1/$"))
    assert "Why the target was missed" in watched.inner_text("main")
    watched.click("text=繁體中文")
    watched.wait_for_url(re.compile(r"/taipei/108/kpis/DP5\.1/$"))
    assert watched.problems == []


def test_the_pages_work_with_the_keyboard(site, watched):
    watched.goto(site + "/taipei/108/scorecard/")
    watched.keyboard.press("Tab")
    assert watched.evaluate("document.activeElement.className") == "skip"
    watched.keyboard.press("Enter")
    for _ in range(30):  # tab to the first KPI link of the scorecard and open it
        watched.keyboard.press("Tab")
        if "/kpis/" in (watched.evaluate("document.activeElement.getAttribute('href') || ''")):
            break
    watched.keyboard.press("Enter")
    watched.wait_for_url(re.compile(r"/kpis/"))
    assert watched.problems == []


def test_the_scorecard_fits_a_phone(site, watched):
    watched.set_viewport_size({"width": 390, "height": 844})
    watched.goto(site + "/taipei/108/scorecard/?theme=D")
    overflow = watched.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1  # the table scrolls inside its own box, the page does not
    watched.screenshot(path=str(SHOTS / "scorecard-phone.png"), full_page=False)
    assert watched.problems == []


def test_a_strategy_map_prints_on_a_clean_a4_page(site, watched):
    watched.goto(site + "/taipei/108/")
    watched.emulate_media(media="print")
    assert watched.locator("header.site").is_hidden()
    assert watched.locator("figure.strategy-map svg").is_visible()
    watched.pdf(path=str(SHOTS / "map-print.pdf"), format="A4", landscape=True, print_background=True)
    assert (SHOTS / "map-print.pdf").stat().st_size > 10_000
