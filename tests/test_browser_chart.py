"""What a screen reader says of the KPI page's ECharts chart (issue 17, item 5): in the page's language, with the
chart's periods and numbers, never ECharts' own Simplified Chinese ("这是一个…图表") nor "NaN"."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def spoken(page) -> str:
    """The chart's accessible name, as ECharts leaves it once drawn."""
    page.wait_for_selector("#kpi-chart svg")
    return page.locator("#kpi-chart").get_attribute("aria-label") or ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh", ["2024/25年第1季：目標值", "2024/25年第4季"]),
        ("en", ["Targets and actuals by period", "2024/25 Q1: target", "2024/25 Q4", "actual"]),
    ],
)
def test_the_council_s_quarterly_chart_is_described_in_the_page_s_language_with_its_numbers(
    site, page, language, expected
):
    page.goto(site + ("/en" if language == "en" else "") + "/ashcombe/2024/kpis/H1.1/")
    said = spoken(page)
    for text in expected:
        assert text in said, said
    assert "NaN" not in said and "这是" not in said and "图表" not in said
    # The numbers are the chart's own: every target and actual ECharts draws is said, as the page's language
    # writes it (or "no value" where there is none).
    option = page.evaluate("echarts.getInstanceByDom(document.getElementById('kpi-chart')).getOption()")
    lang = page.evaluate("document.documentElement.lang")
    for series in option["series"]:
        for value in series["data"]:
            if value is not None:
                written = page.evaluate("([v, l]) => Number(v).toLocaleString(l)", [value, lang])
                assert written in said, (written, said)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_year_without_a_value_is_said_as_no_value_not_nan(site, page, language):
    page.goto(site + ("/en" if language == "en" else "") + "/taipei/109/kpis/DC1.1/")
    said = spoken(page)
    assert "NaN" not in said and "这是" not in said
    years = page.evaluate("echarts.getInstanceByDom(document.getElementById('kpi-chart')).getOption().xAxis[0].data")
    assert years and all(year in said for year in years), said
    if language == "en":
        assert said.startswith("Targets and actuals across the years")
