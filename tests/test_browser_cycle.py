"""The yearly cycle walked in a real browser, as the people who do it would."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from stratmap.core.models import Membership, Organization
from stratmap.exchange.loader import DEMO_PATHS, load_paths
from tests.helpers import SHOTS

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"
KPI = "/taipei/109/kpis/DP5.1/"


@pytest.fixture
def site(live_server, transactional_db):
    load_paths(DEMO_PATHS)
    orgs = {o.code: o for o in Organization.objects.all()}
    for name, org, role in [
        ("dol-editor", "taipei-dol", Membership.Role.EDITOR),
        ("d-coordinator", "taipei-group-d", Membership.Role.COORDINATOR),
        ("rdec-admin", "taipei", Membership.Role.ADMINISTRATOR),
    ]:
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        Membership.objects.create(user=user, organization=orgs[org], role=role)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def log_in(page, site, name):
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/due/$"))


def log_out(page):
    page.click("header .account button")
    page.wait_for_load_state()


def open_from_due(page):
    """Follow the link to 109's DP5.1 (產業局 also has a DP5.1, in 110)."""
    page.click('table.due a[href$="/taipei/109/kpis/DP5.1/result/"] >> nth=0')
    page.wait_for_url(re.compile(r"/taipei/109/kpis/DP5\.1/result/$"))


def test_an_editor_enters_a_coordinator_reviews_and_the_administrator_publishes(site, page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # The public sees no 109 result for DP5.1.
    page.goto(site + KPI)
    assert "6.1" not in page.inner_text("main")

    # 勞動局's editor finds DP5.1 in what is due and enters it; the preview reacts as they type.
    log_in(page, site, "dol-editor")
    open_from_due(page)
    page.fill("#id_actual", "6.10")
    page.fill("#id_innovation", "90")
    page.fill("#id_challenge", "95")
    page.fill("#id_contribution", "95")
    # 5.75/6.10. A locator's wait: the pages' Content-Security-Policy refuses wait_for_function's eval.
    expect(page.locator("#preview")).to_contain_text("94.3")
    assert "未達標" in page.inner_text("#preview")
    page.screenshot(path=str(SHOTS / "cycle-1-entry.png"), full_page=True)
    page.click("#result-form button[type=submit]")
    assert "本項說明必填" in page.inner_text("main")  # the missed target needs its explanation
    page.fill("#id_situation_analysis", "營造業公共工程職業災害增加")
    page.fill("#id_countermeasures", "加強公共工程檢查")
    page.click("#result-form button[type=submit]")
    assert "已儲存" in page.inner_text("main")
    page.click("button.action-submit")
    assert "已送審" in page.inner_text("main")
    log_out(page)

    # The theme-D coordinator returns it with a comment.
    log_in(page, site, "d-coordinator")
    open_from_due(page)
    page.fill("form.cycle textarea", "請補充具體對策")
    page.click("button.action-return")
    assert "退回修正" in page.inner_text("main")
    log_out(page)

    # The editor reads the comment, completes the countermeasures and resubmits.
    log_in(page, site, "dol-editor")
    open_from_due(page)
    assert "請補充具體對策" in page.inner_text("main")
    page.fill("#id_countermeasures", "加強公共工程檢查；辦理工地觀摩")
    page.fill("#id_reason", "依審查意見補充")
    page.click("#result-form button[type=submit]")
    page.click("button.action-submit")
    log_out(page)

    # The coordinator approves; the administrator publishes.
    log_in(page, site, "d-coordinator")
    open_from_due(page)
    page.click("button.action-approve")
    assert "已核定" in page.inner_text("main")
    log_out(page)
    log_in(page, site, "rdec-admin")
    open_from_due(page)
    page.click("button.action-publish")
    expect(page.locator("main strong.status")).to_have_text("已公布")  # the result's status, as the page names it
    page.screenshot(path=str(SHOTS / "cycle-2-published.png"), full_page=True)
    history = page.inner_text("table.history")
    assert "依審查意見補充" in history and "請補充具體對策" in history
    log_out(page)

    # Now the public sees it.
    page.goto(site + KPI)
    assert "6.1" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "cycle-3-public.png"), full_page=True)
    assert problems == []
