"""The accessibility leftovers of issue 17 (item 5): every page type checked for the other language left
unmarked, plan progress notes readable without a mouse, the KPI chart's unit bracketed as the page's language
writes it, and the agency's accessibility mark shown where it has one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, pgettext
from lxml import html as lxml_html

from stratmap.access import Access
from stratmap.plans.models import ActionPlan, TaskProgress
from stratmap.plans.services import NEW, Cell, task_progress_record
from tests.routes import COUNCIL_ROUTES, EDITORS, POST_ONLY, ROUTES
from tests.test_browser_axe import LOGGED_IN, PUBLIC
from tests.unmarked import unmarked

TEMPLATES = Path(__file__).resolve().parents[1] / "stratmap" / "web" / "templates" / "web"

pytestmark = pytest.mark.django_db

# --- 1. the other language marked on every page type ----------------------------------------------------------------


def pages(client, user, routes: dict[str, str], prefix: str) -> dict[str, tuple[str, bytes]]:
    """Every HTML page of ``routes`` as ``user`` reads it in the language of ``prefix``: name → (url, content)."""
    client.force_login(user)
    found = {}
    for name, url in routes.items():
        if name in POST_ONLY:
            continue
        response = client.get(prefix + url, follow=True)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            found[name] = (prefix + url, response.content)
    return found


def unmarked_texts(council_people, client, prefix: str, language: str, editors: bool) -> list[str]:
    """What :func:`tests.unmarked.unmarked` finds on every route of Taipei (as its administrator) and of the
    council (as its administrator), and on the axe test's pages (the 108 map, a council quarter), in one language:
    the editors' pages alone, or every other page."""

    def chosen(routes: dict[str, str]) -> dict[str, str]:
        return {name: url for name, url in routes.items() if (name in EDITORS) == editors}

    seen = {
        **{f"taipei {n}": p for n, p in pages(client, council_people["admin"], chosen(ROUTES), prefix).items()},
        **{
            f"council {n}": p
            for n, p in pages(client, council_people["council-admin"], chosen(COUNCIL_ROUTES), prefix).items()
        },
    }
    if not editors:
        axe = {f"axe {name}": path for name, path in PUBLIC + LOGGED_IN}
        seen |= pages(client, council_people["admin"], axe, prefix)
    assert len(seen) > (18 if editors else 80), sorted(seen)  # every page type of both, not a handful
    return [f"{name} {url}: {text}" for name, (url, content) in seen.items() for text in unmarked(content, language)]


@pytest.mark.parametrize(("language", "prefix"), [("zh-hant", ""), ("en", "/en")])
def test_no_page_of_taipei_or_the_council_leaves_the_other_language_unmarked(council_people, client, language, prefix):
    found = unmarked_texts(council_people, client, prefix, language, editors=False)
    assert not found, f"{len(found)} unmarked text(s):\n" + "\n".join(found)


@pytest.mark.parametrize(("language", "prefix"), [("zh-hant", ""), ("en", "/en")])
def test_no_editor_page_leaves_the_other_language_unmarked(council_people, client, language, prefix):
    found = unmarked_texts(council_people, client, prefix, language, editors=True)
    assert not found, f"{len(found)} unmarked text(s):\n" + "\n".join(found)


def test_the_check_fails_untranslated_words_and_unmarked_english_data_but_passes_codes_numbers_and_acronyms():
    page = """<html lang="zh-Hant-TW"><body>
        <p>Log out</p><td>Housing Directorate</td><p>指標 expo Taipei 網站</p>
        <p lang="en">Reduce homelessness</p><td>DP5.1</td><p>21項KPI，下載 CSV</p><p>Bravo職涯4年計畫</p>
        <a href="https://data.gov.tw/">https://data.gov.tw/</a><code>organization_code</code>
        <small translate="no">admin</small>
        <script>var English = "words";</script><svg aria-hidden="true"><text>Not read</text></svg>
    </body></html>"""
    assert unmarked(page, "zh-hant") == ["p: Log out", "td: Housing Directorate", "p: 指標 expo Taipei 網站"]
    english = """<html lang="en"><body><p>Labour 勞動局</p><p>The <span lang="zh-Hant-TW">勞動局</span>'s KPI</p>
        <td>？ unknown</td></body></html>"""
    assert unmarked(english, "en") == ["p: Labour 勞動局"]


# --- 2. plan progress notes: in words on the page, not in a tooltip -----------------------------------------------


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_a_month_s_progress_note_is_shown_in_words_under_the_plan_linked_from_its_month_with_no_tooltip(
    council_people, client, language
):
    record(council_people["dol"], "DP5.1.1", 2020, 3, note="宣導會延至4月辦理")
    record(council_people["council-place"], "H1.1.1", 2024, 5, note="Two sites delayed by the utility works")
    prefix = "/en" if language == "en" else ""
    for who, url, note, lang in [
        ("admin", "/taipei/109/plans/", "宣導會延至4月辦理", "zh-Hant-TW"),
        ("council-admin", "/ashcombe/2024/plans/", "Two sites delayed by the utility works", "en"),
    ]:
        client.force_login(council_people[who])
        doc = lxml_html.fromstring(client.get(prefix + url, follow=True).content)
        assert not doc.xpath("//main//*[@title][not(self::abbr)]"), "no information in a tooltip"
        (item,) = [li for li in doc.xpath("//ol[@class='progress-notes']/li") if note in li.text_content()]
        (link,) = doc.xpath(f"//a[@class='note-ref'][@href='#{item.get('id')}']")
        assert link.xpath("ancestor::td[contains(@class,'month')]"), "the link sits in its month's cell"
        written_in = item.xpath(f".//span[@lang='{lang}']")
        # The agency's words, marked with their language where it is not the page's.
        marked_notes = [span.text for span in written_in]
        assert note in marked_notes if lang[:2] != language[:2] else note in item.text_content()


def record(user, plan_code: str, year: int, month: int, *, note: str) -> None:
    plan = ActionPlan.objects.get(code=plan_code, kpi__objective__map__year=year, kpi__objective__map__in_force=True)
    task = plan.tasks.order_by("order").first()
    cell = Cell(planned=True, done=TaskProgress.Done.UNDER_WAY, note=note)
    assert task_progress_record(access=Access(user), task=task, month=month, cell=cell, version=NEW) is not None


@pytest.mark.parametrize("template", ["_editor_take_over.html", "_tows_becomes.html", "embed_scorecard.html"])
def test_no_template_keeps_information_in_a_title_tooltip(template):
    """The tooltips that said something (an abbreviation's meaning, what a link does) are words on the page now;
    a KSF's <abbr title> has its meaning beside it."""
    assert "title=" not in (TEMPLATES / template).read_text(encoding="utf-8")
    for page in ("plans.html", "theme.html"):
        text = (TEMPLATES / page).read_text(encoding="utf-8")
        assert text.count("<abbr title=") == text.count("</abbr> <small>({% translate 'key success factor' %})")


# --- 3. the KPI chart's unit, bracketed as the page's language writes it -----------------------------------------


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize("url", ["/taipei/108/kpis/DC2.1/", "/ashcombe/2024/kpis/H1.1/"])
def test_the_chart_s_unit_is_bracketed_by_the_translatable_format_of_the_page_s_language(demo, client, url, language):
    response = client.get(("/en" if language == "en" else "") + url, follow=True)
    doc = lxml_html.fromstring(response.content)
    chart = json.loads(doc.xpath("//script[@id='kpi-chart-data']")[0].text)
    assert chart["unit"]
    with translation.override(language):
        expected = pgettext("a chart's unit", " (%(unit)s)") % {"unit": chart["unit"]}
    assert chart["unit_shown"] == expected
    if language == "en":
        assert chart["unit_shown"] == f" ({chart['unit']})"


# --- 4. the accessibility mark: the agency's, when it has one --------------------------------------------------------

MARK = {
    "image": "/static/mark/freego-aa.png",
    "url": "https://accessibility.moda.gov.tw/Applications/Detail/1",
    "level": "AA",
}


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_agency_s_mark_is_in_every_footer_and_on_the_statement_linked_to_its_certificate(demo, client, prefix):
    with override_settings(STRATMAP_ACCESSIBILITY_MARK=MARK):
        for path in ("/", "/taipei/109/", "/ashcombe/2024/scorecard/", "/accounts/login/", "/accessibility/"):
            doc = lxml_html.fromstring(client.get(prefix + path, follow=True).content)
            (image,) = doc.xpath("//footer[@class='site']//a[@href=$url]/img", url=MARK["url"])
            assert image.get("src") == MARK["image"] and "AA" in image.get("alt")
            assert not doc.xpath("//header//img[@src=$src]", src=MARK["image"])
        statement = lxml_html.fromstring(client.get(prefix + "/accessibility/").content)
        assert statement.xpath("//main//a[@href=$url]/img[@src=$src]", url=MARK["url"], src=MARK["image"])
    with translation.override("en" if prefix else "zh-hant"):
        said = gettext("Accessibility mark, level %(level)s (its certificate)") % {"level": "AA"}
    assert image.get("alt") == said


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_no_mark_is_shown_where_the_agency_has_none(demo, client, prefix):
    for path in ("/", "/ashcombe/2024/", "/accessibility/"):
        page = client.get(prefix + path, follow=True).content.decode()
        assert "accessibility-mark" not in page and "<img" not in page.split('<footer class="site">')[1]
    assert "Freego" in client.get("/en/accessibility/").content.decode()  # the known limit: no mark yet


def _settings_with(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = (
        "import json, stratmap.settings as s; "
        "print(json.dumps([s.STRATMAP_ACCESSIBILITY_MARK, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_ACCESSIBILITY_MARK")} | environment
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)


def test_the_mark_is_read_from_the_environment_and_its_image_s_site_may_serve_the_image():
    done = _settings_with(
        {
            "STRATMAP_ACCESSIBILITY_MARK_IMAGE": "https://accessibility.moda.gov.tw/Images/mark-aa.png",
            "STRATMAP_ACCESSIBILITY_MARK_URL": "https://accessibility.moda.gov.tw/Applications/Detail/1",
        }
    )
    assert done.returncode == 0, done.stderr
    mark, images = json.loads(done.stdout)
    assert mark == {
        "image": "https://accessibility.moda.gov.tw/Images/mark-aa.png",
        "url": "https://accessibility.moda.gov.tw/Applications/Detail/1",
        "level": "AA",
    }
    assert images == ["'self'", "data:", "https://accessibility.moda.gov.tw"]
    assert json.loads(_settings_with({}).stdout) == [None, ["'self'", "data:"]]


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"STRATMAP_ACCESSIBILITY_MARK_IMAGE": "/static/mark.png"}, "STRATMAP_ACCESSIBILITY_MARK_URL is not set"),
        ({"STRATMAP_ACCESSIBILITY_MARK_URL": "https://a.gov.tw/c"}, "STRATMAP_ACCESSIBILITY_MARK_IMAGE is not set"),
        (
            {
                "STRATMAP_ACCESSIBILITY_MARK_IMAGE": "javascript:x",
                "STRATMAP_ACCESSIBILITY_MARK_URL": "https://a.gov.tw/c",
            },
            "STRATMAP_ACCESSIBILITY_MARK_IMAGE: 'javascript:x'",
        ),
        (
            {
                "STRATMAP_ACCESSIBILITY_MARK_IMAGE": "/m.png",
                "STRATMAP_ACCESSIBILITY_MARK_URL": "https://a.gov.tw/c",
                "STRATMAP_ACCESSIBILITY_MARK_LEVEL": "AAAA",
            },
            "STRATMAP_ACCESSIBILITY_MARK_LEVEL: 'AAAA' is not A, AA or AAA",
        ),
    ],
)
def test_a_half_or_malformed_mark_stops_the_start_naming_the_variable(environment, named):
    done = _settings_with(environment)
    assert done.returncode != 0 and named in done.stderr, done.stderr


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_an_editor_s_texts_say_their_language_and_its_free_notes_say_theirs_is_unknown(
    council_people, client, language
):
    prefix = "/en" if language == "en" else ""
    client.force_login(council_people["council-admin"])
    council = lxml_html.fromstring(client.get(f"{prefix}/ashcombe/2024/edit/objectives/H1/", follow=True).content)
    client.force_login(council_people["admin"])
    taipei = lxml_html.fromstring(client.get(f"{prefix}/taipei/109/edit/objectives/DP5/", follow=True).content)
    for doc, own in [(council, "en"), (taipei, "zh-Hant-TW")]:
        ksf = doc.xpath("//textarea[@name='ksf']")[0].getparent()
        assert ksf.get("lang") == (None if own[:2] == language[:2] else own)  # the organization's own words
        assert doc.xpath("//textarea[@name='note']")[0].getparent().get("lang") == ""  # either language
        (translation,) = doc.xpath("//input[starts-with(@name, 'name_')]")
        written_in = translation.get("name")[len("name_") :]
        wrapper = translation.getparent().get("lang")
        assert wrapper == (None if written_in[:2] == language[:2] else {"en": "en"}.get(written_in, "zh-Hant-TW"))
