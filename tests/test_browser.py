"""Every page type in a real browser (Debian's chromium), in both languages, as a person would, for
Taipei and for the invented council (its scorecard of a quarter, a KPI charted by quarter, its map).

Screenshots go to the folder printed at the end of the run; look at them. Each page is checked as it
was shot: its content, no console error, no page wider than the window, every light with its symbol
and its name.
"""

from __future__ import annotations

import re

import pytest

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
    ("plans-109", "/taipei/109/plans/", ["Bravo職涯4年計畫", "12月"], ["Bravo Career Four-Year Programme"]),
    ("tows-doed-110", "/taipei-doed/110/tows/", ["【掌握機會，發揮優勢】", "創新創業"], ["Strengths (S)"]),
    ("cascade-110", "/taipei/110/cascade/", ["AC3.1"], ["City KPIs no bureau KPI supports"]),
    ("revisions-109", "/taipei/109/revisions/", ["7(-1)", "經評估本項KPI"], ["Counts before and after, as published"]),
    # The council: its own year (2024/25), RAG key, quarters and months.
    (
        "council-scorecard-q2",
        "/ashcombe/2024/scorecard/?period=Q2",
        ["2024/25年第2季", "年初至今", "由第1季、第2季推算", "由4月–9月推算"],
        ["2024/25 Q2", "year to date", "derived from Q1, Q2", "derived from Apr–Sep"],
    ),
    (
        "council-kpi-h11",
        "/ashcombe/2024/kpis/H1.1/",
        ["2024/25各期目標值與達成值", "由第1季–第4季推算"],
        ["Targets and actuals by period, 2024/25", "derived from Q1–Q4"],
    ),
    ("council-map-2024", "/ashcombe/2024/", ["住宅與社區", "13項KPI"], ["Homes and Communities", "13 KPIs, 4 met"]),
]
#: The council's symbols and names of its lights, as its light set gives them.
COUNCIL_LIGHTS = {
    "zh": {"●": "綠", "▲": "黃", "■": "紅", "?": "無資料", "◇": "僅供監測"},
    "en": {"●": "Green", "▲": "Amber", "■": "Red", "?": "N/A", "◇": "Data only"},
}
#: The period chart's categories, where a page has one.
CHARTS = {
    "council-kpi-h11": {
        "zh": [f"2024/25年第{n}季" for n in range(1, 5)],
        "en": [f"2024/25 Q{n}" for n in range(1, 5)],
    }
}


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
    assert overflow(watched) <= 1, f"{prefix + path} is wider than the window by {overflow(watched)} px"
    shown = lights(watched)
    assert all(symbol and label and label != symbol for symbol, label in shown), shown
    if name.startswith("council-"):
        assert shown and set(shown) <= set(COUNCIL_LIGHTS[language].items()), shown  # the council's key, not Taipei's
    if name in CHARTS:
        assert chart_categories(watched) == CHARTS[name][language]
    assert watched.problems == []


def overflow(page) -> int:
    """How far the page is wider than the window (its tables scroll inside their own boxes)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def lights(page) -> list[tuple[str, str]]:
    """Each light on the page (badges, and the map's lights drawn in its SVG) as (symbol, name)."""
    found = page.evaluate(
        """() => Array.from(document.querySelectorAll('.light')).map(light => {
            const symbol = light.querySelector('.symbol, [aria-hidden="true"]');
            const label = light.querySelector('.label');
            const shown = symbol ? symbol.textContent.trim() : '';
            return [shown, (label ? label.textContent : light.textContent.replace(shown, '')).trim()];
        })"""
    )
    return [(symbol, label) for symbol, label in found]


def chart_categories(page) -> list[str]:
    """The categories of the KPI page's chart, as ECharts holds them once drawn."""
    page.wait_for_selector("#kpi-chart svg")
    return page.evaluate("echarts.getInstanceByDom(document.getElementById('kpi-chart')).getOption().xAxis[0].data")


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
    watched.wait_for_url(re.compile(r"/en/taipei/2019/kpis/DP5\.1/$"))
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
