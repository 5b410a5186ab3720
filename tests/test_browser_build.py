"""A new bureau builds its first map in a real browser, without a file, through the guided steps (issue 15):
policy thrusts, a TOWS analysis whose strategy becomes an objective, mission and vision, 3 perspectives,
2 themes (one taking over the city's DP1), 6 objectives, 3 cause-and-effect links, 4 KPIs with targets for
3 years, 2 action plans with monthly schedules; it publishes the map, and the public's map page, scorecard
and the deck show it."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from pptx import Presentation

from stratmap.access import SYSTEM
from stratmap.core.models import Membership, Organization
from stratmap.exchange.loader import DEMO_PATHS, load_paths
from stratmap.kpis.models import Kpi, KpiTarget
from stratmap.plans.models import ActionPlan
from stratmap.reports.deck import build_deck
from stratmap.strategy.models import ObjectiveLink, StrategyMap, TowsEntry
from tests.helpers import SHOTS, saved

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"
MAP = "/taipei-dot/110"


@pytest.fixture
def site(live_server, transactional_db):
    load_paths(DEMO_PATHS)
    city = Organization.objects.get(code="taipei")
    bureau = Organization.objects.create(
        code="taipei-dot", name="臺北市政府交通局", short_name="交通局", kind="bureau", parent=city, language="zh-hant"
    )
    user = get_user_model().objects.create_user("dot-admin", password=PASSWORD)
    Membership.objects.create(user=user, organization=bureau, role=Membership.Role.ADMINISTRATOR)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def submit(page, form: str) -> None:
    """Press the submit button of the form holding ``form`` (a selector inside it) and wait for the next page."""
    with page.expect_navigation():
        page.locator(f"form:has({form}) button[type=submit]").first.click()


def add_band(page, kind: str, code: str, name: str) -> None:
    page.fill(f"#id_new_{kind}_code", code)
    page.fill(f"#id_new_{kind}_name", name)
    submit(page, f"#id_new_{kind}_code")


def test_a_new_bureau_builds_publishes_and_shows_its_first_map_in_the_browser(site, page):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", "dot-admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/due/$"))

    # The home page says where to start; the new map opens on the guide of STEP 1 to 5.
    page.goto(site + "/")
    page.click('a[href="/taipei-dot/maps/new/"]')
    page.fill("#id_year", "110")
    page.fill("#id_title", "臺北市政府交通局110年策略地圖")
    submit(page, "#id_year")
    assert page.url.endswith(f"{MAP}/edit/steps/")
    page.screenshot(path=str(SHOTS / "build-1-steps.png"), full_page=True)

    # STEP 1 and 2: a policy thrust and the TOWS analysis.
    page.click(f'a[href="{MAP}/edit/tows/#thrusts"]')
    page.fill("#id_new_thrust_code", "一")
    page.fill("#id_new_thrust_name", "人本交通")
    page.fill("#id_new_thrust_strategies", "公車優先\n步行友善")
    submit(page, "#id_new_thrust_name")
    for kind, text in [("s", "捷運路網密集"), ("o", "中央補助智慧交通")]:
        page.fill(f"#id_new_{kind}_text", text)
        submit(page, f"#id_new_{kind}_text")
    page.fill("#id_new_so_text", "以捷運帶動公車轉乘")
    page.fill("#id_new_so_heading", "【掌握機會，發揮優勢】")
    submit(page, "#id_new_so_text")

    # STEP 3: mission, vision, values.
    page.goto(site + f"{MAP}/edit/")
    page.fill("#id_mission", "安全、便捷、永續的交通")
    page.fill("#id_vision", "人本交通城市")
    page.fill("#id_values", "安全\n效率")
    submit(page, "#id_mission")

    # STEP 4 and 5: perspectives, themes (one taking over the city's DP1), objectives in their cells.
    for code, name in [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長")]:
        add_band(page, "perspective", code, name)
    page.select_option("#id_new_theme_takes_over", "DP1")
    add_band(page, "theme", "A", "便捷交通")
    add_band(page, "theme", "B", "安全交通")
    objectives = [("AC1", "提升大眾運輸使用率", "A", "C"), ("AP1", "優化公車路網", "A", "P"),
                  ("AL1", "培養智慧交通人才", "A", "L"), ("BC1", "降低交通事故傷亡", "B", "C"),
                  ("BP1", "改善路口設計", "B", "P"), ("BL1", "強化執法量能", "B", "L")]  # fmt: skip
    for code, name, theme, perspective in objectives:
        page.click(f'a.add[href$="?theme={theme}&perspective={perspective}"]')
        page.fill("#id_code", code)
        page.fill("#id_name", name)
        submit(page, "#id_code")

    # Three links: one by clicking the cause and the effect on the drawn map, two with the lists.
    page.click('.editor-map g.objective[data-code="AP1"]')
    page.click('.editor-map g.objective[data-code="AC1"]')
    assert page.input_value("#id_source") == "AP1" and page.input_value("#id_target") == "AC1"
    submit(page, "#id_source")
    for source, target in [("AL1", "AP1"), ("BP1", "BC1")]:
        page.select_option("#id_source", source)
        page.select_option("#id_target", target)
        submit(page, "#id_source")
    page.screenshot(path=str(SHOTS / "build-2-editor.png"), full_page=True)

    # The SO strategy becomes AC1.
    page.goto(site + f"{MAP}/edit/tows/")
    strategy = page.locator("form.editor-item:has(textarea:text('以捷運帶動公車轉乘'))")
    strategy.locator("summary").click()
    strategy.locator('input[name="objectives"][value="AC1"]').check()
    with page.expect_navigation():
        strategy.locator('button[value="entry"]').click()

    # Four KPIs with targets for three years, two action plans with their months.
    for code, name, objective, targets in [
        ("AC1.1", "大眾運輸運量", "AC1", ("1000", "1050", "1100")),
        ("AP1.1", "公車準點率", "AP1", ("90", "92", "94")),
        ("BC1.1", "交通事故死亡人數", "BC1", ("100", "95", "90")),
        ("BP1.1", "路口改善處數", "BP1", ("20", "25", "30")),
    ]:
        page.goto(site + f"{MAP}/edit/kpis/new/?objective={objective}")
        page.fill("#id_code", code)
        page.fill("#id_name", name)
        for row, value in enumerate(targets):
            page.fill(f"#id_targets-{row}-value", value)
        submit(page, "#id_code")
        assert "/edit/kpis/" in page.url and "/new/" not in page.url, page.inner_text("main")[:800]
    for code, name, kpi, task, months in [
        ("AC1.1.1", "公車轉乘優惠", "AC1.1", "規劃轉乘優惠", "1-3"),
        ("BP1.1.1", "路口改善計畫", "BP1.1", "施工", "4-9"),
    ]:
        page.goto(site + f"{MAP}/edit/plans/new/?kpi={kpi}")
        page.fill("#id_code", code)
        page.fill("#id_name", name)
        page.fill("#id_tasks-0-name", task)
        page.fill("#id_tasks-0-ranges", months)
        submit(page, "#id_code")
        assert "/new/" not in page.url, page.inner_text("main")[:800]

    # Publish, from the guide, which now says every step is done.
    page.goto(site + f"{MAP}/edit/steps/")
    assert page.locator("li.step.done").count() == 5
    page.screenshot(path=str(SHOTS / "build-3-steps-done.png"), full_page=True)
    submit(page, 'button:text("公開策略地圖")')

    smap = StrategyMap.objects.get(organization__code="taipei-dot", year=2021)
    assert smap.published and ObjectiveLink.objects.filter(map=smap).count() == 3
    assert KpiTarget.objects.filter(kpi__objective__map=smap, period="").count() == 12
    assert list(ActionPlan.objects.filter(kpi__objective__map=smap).order_by("code").values_list(
        "tasks__months", flat=True)) == [[1, 2, 3], [4, 5, 6, 7, 8, 9]]  # fmt: skip
    assert list(TowsEntry.objects.get(map=smap, kind="so").objectives.values_list("code", flat=True)) == ["AC1"]

    # The public sees it: the map, the scorecard, the deck.
    page.context.clear_cookies()
    page.goto(site + f"{MAP}/")
    assert "提升大眾運輸使用率" in page.inner_text("main") and page.locator("svg g.links path.link").count() == 3
    page.screenshot(path=str(SHOTS / "build-4-public-map.png"), full_page=True)
    page.goto(site + f"{MAP}/scorecard/")
    card = page.inner_text("main")
    assert all(name in card for name in ("大眾運輸運量", "公車準點率", "交通事故死亡人數", "路口改善處數"))
    deck = Presentation(io.BytesIO(saved(build_deck("taipei-dot", 2021, access=SYSTEM, language="zh-hant"))))
    texts = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    assert "臺北市政府交通局" in texts and Kpi.objects.filter(objective__map=smap).count() == 4
    assert problems == []
