"""A bulk approval walked in a real browser (issue 16 item 4): a coordinator ticks results on /due/, confirms
once, and every one of them is approved."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from stratmap.core.models import Membership, Organization
from stratmap.exchange.loader import DEMO_PATHS, load_paths
from stratmap.kpis.models import Kpi, KpiResult
from tests.helpers import SHOTS

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"
CODES = ["DC1.1", "DC1.2", "DP5.1"]  # 勞動局's KPIs of theme D on the city's 109 map


@pytest.fixture
def site(live_server, transactional_db):
    load_paths(DEMO_PATHS)
    user = get_user_model().objects.create_user("d-coordinator", password=PASSWORD)
    Membership.objects.create(
        user=user, organization=Organization.objects.get(code="taipei-group-d"), role=Membership.Role.COORDINATOR
    )
    for code in CODES:
        KpiResult.objects.create(
            kpi=Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code=code),
            year=2020,
            actual=Decimal("1"),
            situation_analysis="分析",
            countermeasures="對策",
            status=KpiResult.Status.SUBMITTED,
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def test_a_coordinator_approves_the_ticked_results_with_one_confirmation(site, page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", "d-coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/due/$"))

    # Tick the first two of the results to review, with the keyboard's space as well as a click.
    boxes = page.locator("form.bulk input[type=checkbox][name=item]")
    assert boxes.count() == 3
    boxes.nth(0).check()
    boxes.nth(1).focus()
    page.keyboard.press("Space")
    page.screenshot(path=str(SHOTS / "review-1-due.png"), full_page=True)
    page.click("form.bulk button.action-approve")

    # One confirmation, listing what will change; nothing is approved before it.
    page.wait_for_url(re.compile(r"/due/bulk/$"))
    listed = page.inner_text("table.confirm")
    assert "DC1.1" in listed and "DC1.2" in listed and "DP5.1" not in listed
    assert KpiResult.objects.filter(status=KpiResult.Status.APPROVED).count() == 0
    page.screenshot(path=str(SHOTS / "review-2-confirm.png"), full_page=True)
    page.click("form.cycle button.action-approve")

    page.wait_for_url(re.compile(r"/due/$"))
    assert "2" in page.inner_text("ul.messages")
    approved = KpiResult.objects.filter(status=KpiResult.Status.APPROVED, year=2020)
    assert sorted(approved.values_list("kpi__code", flat=True)) == ["DC1.1", "DC1.2"]
    assert page.locator("form.bulk input[type=checkbox][name=item]").count() == 1  # DP5.1 still waits
    page.screenshot(path=str(SHOTS / "review-3-done.png"), full_page=True)
    assert problems == []
