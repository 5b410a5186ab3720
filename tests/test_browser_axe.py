"""Accessibility in a real browser (issue 17 item 5): axe-core, vendored, run on every page type in both
languages with the WCAG 2.1 A and AA rules, public and logged in; and no page scrolls sideways at 320 px.

One demo load and one browser per test; each page is visited once. A failure names the page, the rule
and the nodes axe found.
"""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from tests.helpers import SHOTS
from tests.unmarked import unmarked

AXE = "/static/stratmap/vendor/axe-core-4.14.1/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The strategy map's drawing is another task's (`mapa11y`); axe flags nothing in it, so nothing is left out.
EXCLUDE: list[list[str]] = []

#: Pages anyone reads: (name, path in the Chinese site). Taipei's and the council's.
PUBLIC = [
    ("home", "/"),
    ("map", "/taipei/108/"),
    ("theme", "/taipei/108/themes/D/"),
    ("scorecard", "/taipei/108/scorecard/"),
    ("kpi", "/taipei/108/kpis/DP5.1/"),
    ("plans", "/taipei/109/plans/"),
    ("tows", "/taipei-doed/110/tows/"),
    ("cascade", "/taipei/110/cascade/"),
    ("revisions", "/taipei/109/revisions/"),
    ("calendar", "/taipei/109/calendar/"),
    ("open-data", "/taipei/109/open-data/"),
    ("council-map", "/ashcombe/2024/"),
    ("council-scorecard", "/ashcombe/2024/scorecard/?period=Q2"),
    ("council-kpi", "/ashcombe/2024/kpis/H1.1/"),
    ("accessibility", "/accessibility/"),
    ("login", "/accounts/login/"),
]
#: Pages of a person logged in: the city's administrator (the evaluation office).
LOGGED_IN = [
    ("due", "/due/"),
    ("at-risk", "/at-risk/"),
    ("notifications", "/notifications/"),
    ("completion", "/taipei/109/completion/"),
    ("review", "/taipei/109/review/"),
    ("scorecard-insider", "/taipei/109/scorecard/"),
]
#: The pages a phone must show without sideways scrolling.
NARROW = [
    ("home", "/"),
    ("map", "/taipei/108/"),
    ("scorecard", "/taipei/108/scorecard/"),
    ("kpi", "/taipei/108/kpis/DP5.1/"),
]


def violations(page, site: str, name: str) -> list[str]:
    """What axe finds on the page as it is now, one line per rule: page, rule, and the nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=site + AXE)
    found = page.evaluate(
        """([tags, exclude]) => axe.run({exclude}, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => ({passed: r.passes.length, violations: r.violations.map(v => [v.id, v.help,
                v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary.replace(/\\s+/g, ' '))])}))""",
        [TAGS, EXCLUDE],
    )
    assert found["passed"] > 10, f"{name}: axe ran {found['passed']} rules only"  # it did run, on a page
    return [
        f"{name}: {rule} ({help}) on {len(nodes)} node(s):\n    " + "\n    ".join(nodes[:8])
        for rule, help, nodes in found["violations"]
    ]


#: Chinese on an English page: its characters and full-width punctuation (English on a Chinese page: tests/unmarked.py,
#: with what may stand unmarked on it). The full-width ？ is the unknown light's symbol, in no language.
CHINESE = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uff1e\uff20-\uffef]"
#: The notes on the source of the map and theme pages, in English quoting the city's documents: their templates
#: are the task `mapa11y`'s this round; the lead adds ``|scripts`` to their notes (map.html, theme.html) with it.
PENDING: tuple[str, ...] = ()


def unmarked_chinese(page, name: str) -> list[str]:
    """Chinese text outside an element whose ``lang`` says it is Chinese (WCAG 3.1.2)."""
    found = page.evaluate(
        """(pattern) => {
            const chinese = new RegExp(pattern), found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, element = node.parentElement;
                if (!chinese.test(node.textContent)) continue;
                if (element.closest('script, style, [aria-hidden="true"], [hidden]')) continue;
                if (element.closest('[lang]').getAttribute('lang').toLowerCase().startsWith('zh')) continue;
                found.push(element.tagName + ': ' + node.textContent.trim().slice(0, 60));
            }
            return found;
        }""",
        CHINESE,
    )
    found = [text for text in found if not any(pending in text for pending in PENDING)]
    return [f"{name}: Chinese not marked lang=zh: {text}" for text in dict.fromkeys(found)][:10]


def visit(page, site: str, name: str, path: str, language: str) -> list[str]:
    url = ("/en" if language == "en" else "") + path
    response = page.goto(site + url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    found = violations(page, site, f"{name} {url}")
    if language == "en":
        return found + unmarked_chinese(page, f"{name} {url}")
    # English on a Chinese page, as the browser has it once the scripts ran (the chart's words): tests/unmarked.py
    # says what may stand unmarked (codes, numbers, acronyms); tests/test_issue17_a11y_leftovers.py checks every route.
    return found + [f"{name} {url}: English not marked lang=en: {text}" for text in unmarked(page.content(), "zh-hant")]


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh", "en"])
def test_axe_finds_no_wcag_21_aa_violation_on_any_page_type(site, page, language):
    page.set_viewport_size({"width": 1280, "height": 900})
    prefix = "/en" if language == "en" else ""
    found: list[str] = []
    for name, path in PUBLIC:
        found += visit(page, site, name, path, language)
    page.goto(site + prefix + "/accounts/login/")
    page.fill("#id_username", "rdec-admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/due/$"))
    for name, path in LOGGED_IN:
        found += visit(page, site, name, path, language)
    assert not found, f"{len(found)} axe violation(s):\n" + "\n".join(found)


@pytest.mark.browser
def test_no_page_scrolls_sideways_at_320_css_pixels(site, page):
    page.set_viewport_size({"width": 320, "height": 640})
    wider = []
    for language in ("zh", "en"):
        for name, path in NARROW:
            url = ("/en" if language == "en" else "") + path
            page.goto(site + url)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.scrollingElement.scrollWidth")
            page.screenshot(path=str(SHOTS / f"narrow-{name}-{language}.png"), full_page=True)
            if width > 320:
                wider.append(f"{url} is {width} px wide")
    assert not wider, wider


@pytest.mark.browser
def test_the_keyboard_focus_ring_is_seen_against_white(site, page):
    """The focus ring and an input's border stand out 3:1 from the white page (WCAG 1.4.11)."""
    page.goto(site + "/en/accounts/login/")
    page.locator("#id_username").focus()  # in the white form, whatever Tab reached first (the dark header)
    page.keyboard.press("Tab")
    page.screenshot(path=str(SHOTS / "focus-ring.png"))
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    border = page.evaluate("getComputedStyle(document.querySelector('#id_username')).borderTopColor")
    assert contrast(ring, "rgb(255, 255, 255)") >= 3, ring
    assert contrast(border, "rgb(255, 255, 255)") >= 3, border


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- the pages as served (no browser) ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_page_links_to_the_accessibility_statement_from_its_footer(demo, client, prefix):
    for path in ("/", "/taipei/109/", "/ashcombe/2024/scorecard/", "/accounts/login/"):
        footer = client.get(prefix + path, follow=True).content.decode().split('<footer class="site">')[1]
        assert f'href="{prefix}/accessibility/"' in footer, prefix + path


def test_the_statement_names_the_standard_and_how_it_is_checked(client):
    page = client.get("/en/accessibility/").content.decode()
    assert "WCAG 2.1" in page and "axe-core" in page and '<span lang="zh-Hant-TW">網站無障礙規範</span>' in page
    assert "contact the administrators of this site" in page  # no contact set


@override_settings(STRATMAP_ACCESSIBILITY_CONTACT="a11y@example.gov.tw")
def test_the_statement_gives_the_contact_the_site_sets(client):
    page = client.get("/en/accessibility/").content.decode()
    assert '<a href="mailto:a11y@example.gov.tw">a11y@example.gov.tw</a>' in page
    assert "administrators of this site" not in page


@pytest.mark.parametrize(("sort", "order"), [("rate", "ascending"), ("-rate", "descending"), ("-light", "descending")])
def test_the_sorted_scorecard_column_tells_screen_readers_its_order(demo, client, sort, order):
    page = client.get("/en/taipei/2019/scorecard/", {"sort": sort}).content.decode()
    assert page.count("aria-sort=") == 1
    header = re.search(r'<th scope="col"[^>]*aria-sort="(\w+)"[^>]*><a href="[^"]*sort=-?(\w+)"', page)
    assert header and header.groups() == (order, sort.lstrip("-"))


def test_the_scorecards_abbreviations_and_unknown_reasons_are_in_words_not_tooltips(demo, client):
    page = client.get("/en/taipei/2019/scorecard/", {"theme": "D"}).content.decode()
    table = page.split('<table class="scorecard">')[1]
    assert 'title="' not in table  # nothing only in a tooltip
    assert '<th scope="col" class="n" aria-label="innovation">innov.</th>' in table
    assert "innov.: innovation" in page  # the key under the table
    # A reason typed in the city's data, shown beside the light, marked as Chinese on the English page.
    assert (
        '<small class="reason">(<span lang="zh-Hant-TW">本數據由勞保局於每年3月提供，暫無數據</span>)</small>' in table
    )
