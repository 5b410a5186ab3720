"""Phone widths, chart axes and the admin's map form in a real browser (Debian's chromium)
(issue 10, items 27, 29 and 32). Screenshots go to the folder printed at the end of the run."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from stratmap.strategy.models import StrategyMap
from tests.helpers import SHOTS

pytestmark = pytest.mark.browser

PHONES = [320, 390]
PAGES = [
    ("home", "/"),
    ("map", "/taipei/108/"),
    ("theme", "/taipei/108/themes/D/"),
    ("scorecard", "/taipei/108/scorecard/?theme=D"),
    ("kpi", "/taipei/108/kpis/DP5.1/"),
    ("plans", "/taipei/109/plans/"),
    ("tows", "/taipei-doed/110/tows/"),
    ("cascade", "/taipei/110/cascade/"),
    ("revisions", "/taipei/109/revisions/"),
    ("council-map", "/ashcombe/2024/"),
    ("council-scorecard", "/ashcombe/2024/scorecard/?period=Q2"),
    ("council-kpi", "/ashcombe/2024/kpis/H1.1/"),
]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_no_page_is_wider_than_a_phone(site, page, name, path, language):
    prefix = "/en" if language == "en" else ""
    for width in PHONES:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(site + prefix + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"phone-{width}-{name}-{language}.png"), full_page=True)
        assert page_width(page) <= width, f"{prefix + path} is {page_width(page)} px wide at {width} px"


def test_the_kpi_charts_value_axis_starts_at_zero(site, page):
    page.goto(site + "/taipei/108/kpis/DP5.1/")
    page.wait_for_load_state("networkidle")
    low = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('kpi-chart'))"
        ".getModel().getComponent('yAxis').axis.scale.getExtent()[0]"
    )
    assert low == 0


def test_the_admins_map_form_fits_a_1200_px_screen(site, page):
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(site + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.goto(site + f"/admin/strategy/strategymap/{smap.pk}/change/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "admin-map-form-1200.png"), full_page=True)
    assert page.locator("textarea[name=values]").input_value().splitlines() == list(smap.values)
    assert page_width(page) <= 1200
