"""The completion board in a real browser (issue 16 item 3): the evaluation office's administrator finds it from
"What's due", reads the counts and follows one to the KPIs behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.helpers import SHOTS

pytestmark = pytest.mark.browser


def test_an_administrator_opens_the_board_reads_the_counts_and_follows_one_to_its_kpis(site, page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(site + "/en/accounts/login/")
    page.fill("#id_username", "rdec-admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/due/$"))

    # From "What's due", the board of the city's 109 map (2020): nobody has entered anything of it yet.
    page.click('a.chip[href$="/taipei/2020/completion/"]')
    page.wait_for_url(re.compile(r"/taipei/2020/completion/$"))
    theme_d = page.locator("table.completion >> nth=0").locator(
        "tbody tr", has=page.locator("th", has_text=re.compile(r"^D "))
    )
    expect(theme_d.locator("td").first).to_have_text("20")  # owed
    expect(theme_d).to_contain_text("0% (0 of 20)")
    page.screenshot(path=str(SHOTS / "board-1-counts.png"), full_page=True)

    # 勞動局's results not entered: a link to its seven KPIs, on the same page.
    dol = page.locator("table.completion >> nth=1").locator("tbody tr", has_text="Department of Labor")
    dol.locator("td >> nth=1").locator("a").click()
    page.wait_for_url(re.compile(r"agency=taipei-dol&status=not_entered#kpis$"))
    listed = page.locator("#kpis")
    expect(listed.locator("h2")).to_contain_text("(7)")
    expect(listed.locator("table tbody tr")).to_have_count(7)
    expect(listed).to_contain_text("DP5.1")
    expect(listed).to_contain_text("(late)")
    page.screenshot(path=str(SHOTS / "board-2-kpis.png"), full_page=True)
    assert problems == []
