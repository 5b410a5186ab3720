"""The pages in the reader's language: the data's translations where it has them, the original otherwise,
marked with its language (``lang``) so that a screen reader reads it in that language (issue 14, items 1
and 6, the pages)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import Objective, StrategyMap
from tests.helpers import page, url

pytestmark = pytest.mark.django_db

CHINESE = 'lang="zh-Hant-TW"'  # as the site's own <html lang> names its Chinese


def translate(obj, **texts: str) -> None:
    """Give ``obj`` these translations (``name_en="…"``) and no other, saved on its row."""
    obj.i18n = dict(texts)
    obj.save()


def objective(org: str, year: int, code: str) -> Objective:
    return Objective.objects.get(map__organization__code=org, map__year=year, map__in_force=True, code=code)


def kpi(org: str, year: int, code: str) -> Kpi:
    return Kpi.objects.get(
        objective__map__organization__code=org, objective__map__year=year, objective__map__in_force=True, code=code
    )


def svg_box(html: str, code: str) -> str:
    """The SVG group that draws objective ``code`` on a map page."""
    found = re.search(rf'<g class="objective" data-code="{re.escape(code)}".*?</g>', html, re.S)
    assert found, code
    return found.group(0)


def spans_around(html: str, text: str) -> list[str]:
    """The ``lang`` of every span that directly holds ``text``."""
    return re.findall(rf'<span lang="([^"]+)">{re.escape(text)}</span>', html)


@pytest.fixture
def translated(demo):
    """Taipei's 2019 objective DP5 and KPI DP5.1 (name and unit), and a 2020 plan and its first task, with
    English given here (whatever the demo data says), one with markup in it."""
    dp5 = objective("taipei", 2019, "DP5")
    translate(dp5, name_en="Jobs & <growth> for all")
    dp51 = kpi("taipei", 2019, "DP5.1")
    translate(dp51, name_en="Employment service placements", unit_en="people")
    plan = ActionPlan.objects.filter(kpi__objective__map__organization__code="taipei", kpi__objective__map__year=2020)
    plan = plan.exclude(tasks=None).order_by("pk").first()
    assert plan is not None
    translate(plan, name_en="Job fair programme")
    task = plan.tasks.order_by("pk").first()
    translate(task, name_en="Book the exhibition hall")
    return {"objective": dp5, "kpi": dp51, "plan": plan, "task": task}


def test_the_english_pages_show_the_english_names_and_units_not_marked_as_chinese(translated, client):
    theme = page(client, "web:theme", ["taipei", 2019, "D"], "en")
    assert '<span class="code">DP5</span> Jobs &amp; &lt;growth&gt; for all</h3>' in theme
    assert '<span class="code">DP5.1</span> Employment service placements</a>' in theme
    card = page(client, "web:scorecard", ["taipei", 2019], "en")
    assert "<td>Employment service placements</td>" in card
    assert '<span class="unit">people</span>' in card
    assert "Jobs &amp; &lt;growth&gt; for all</td>" in card
    assert not spans_around(card, "Employment service placements")
    detail = page(client, "web:kpi", ["taipei", 2019, "DP5.1"], "en")
    assert '<span class="code">DP5.1</span> Employment service placements <span class="light' in detail
    assert "<dd>people</dd>" in detail
    assert translated["kpi"].name not in detail.split("<main", 1)[1].split("</h1>", 1)[0]
    plans = page(client, "web:plans", ["taipei", 2020], "en")
    assert f'<span class="code">{translated["plan"].code}</span> Job fair programme</h3>' in plans
    assert '<th scope="row">Book the exhibition hall</th>' in plans
    assert translated["task"].name not in plans


def test_the_english_map_draws_the_english_name_in_its_box_unmarked(translated, client):
    html = page(client, "web:map", ["taipei", 2019], "en")
    box = svg_box(html, "DP5")
    assert "<title>DP5 Jobs &amp; &lt;growth&gt; for all" in box
    assert '<text class="name" text-anchor="middle">' in box  # no lang: it is the page's language
    assert translated["objective"].name not in box
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'aria-label="' in html
    svg = client.get(url("web:map-svg", ["taipei", 2019], "en")).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in svg and ' lang="en">' in svg.split("<title>", 1)[0]


def test_an_untranslated_objective_on_an_english_page_shows_its_chinese_marked_as_chinese(demo, client):
    untranslated = objective("taipei", 2019, "DP1")
    translate(untranslated)  # no English, whatever the demo gives it
    theme = page(client, "web:theme", ["taipei", 2019, "D"], "en")
    assert spans_around(theme, untranslated.name) == ["zh-Hant-TW"]
    box = svg_box(page(client, "web:map", ["taipei", 2019], "en"), "DP1")
    assert f'<text class="name" text-anchor="middle" {CHINESE}>' in box
    # The same text on the Chinese page is in the page's language: not marked.
    chinese = page(client, "web:theme", ["taipei", 2019, "D"])
    assert not spans_around(chinese, untranslated.name) and untranslated.name in chinese


def test_the_councils_english_on_the_chinese_pages_is_marked_english(demo, client):
    Organization.objects.filter(code="ashcombe").update(language="en")  # the council writes in English
    homes = objective("ashcombe", 2024, "H1")
    translate(homes)  # no Chinese
    measure = kpi("ashcombe", 2024, "H1.1")
    translate(measure)
    theme = page(client, "web:theme", ["ashcombe", 2024, "H"])
    assert spans_around(theme, homes.name) == ["en"]
    assert spans_around(theme, measure.name) == ["en"]
    card = page(client, "web:scorecard", ["ashcombe", 2024])
    assert spans_around(card, measure.name) == ["en"]
    box = svg_box(page(client, "web:map", ["ashcombe", 2024]), "H1")
    assert '<text class="name" text-anchor="middle" lang="en">' in box
    # On the English page the council's English is the page's language: nothing marked.
    english = page(client, "web:theme", ["ashcombe", 2024, "H"], "en")
    assert not spans_around(english, homes.name) and homes.name in english


def test_a_chinese_translation_of_the_councils_data_shows_on_the_chinese_page(demo, client):
    Organization.objects.filter(code="ashcombe").update(language="en")
    homes = objective("ashcombe", 2024, "H1")
    translate(homes, name_zh_hant="增加可負擔住宅供給")
    theme = page(client, "web:theme", ["ashcombe", 2024, "H"])
    assert '<span class="code">H1</span> 增加可負擔住宅供給</h3>' in theme
    assert homes.name not in theme


def test_a_light_named_only_in_another_language_is_marked_with_it(demo, client):
    from stratmap.kpis.models import LightLevel

    LightLevel.objects.filter(light_set__key="ashcombe-rag", key="green").update(names={"en": "Green"})
    html = page(client, "web:scorecard", ["ashcombe", 2024])
    assert '<span aria-hidden="true">●</span> <span lang="en">Green</span></span>' in html
    english = page(client, "web:scorecard", ["ashcombe", 2024], "en")
    assert '<span aria-hidden="true">●</span> Green</span>' in english


def test_the_page_says_who_translated_the_data_into_the_readers_language(demo, client):
    StrategyMap.objects.filter(organization__code="taipei", year=2019).update(
        translation_notes={"en": "English names translated by the stratmap project, not by Taipei City Government"}
    )
    english = page(client, "web:map", ["taipei", 2019], "en")
    assert (
        '<p class="translated-by">Translation: English names translated by the stratmap project, '
        "not by Taipei City Government</p>"
    ) in english
    # The city's own language is no translation: nothing said on the Chinese page.
    assert 'class="translated-by"' not in page(client, "web:map", ["taipei", 2019])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("web:map", ["taipei", 2019]),
        ("web:theme", ["taipei", 2019, "D"]),
        ("web:scorecard", ["taipei", 2019]),
        ("web:kpi", ["taipei", 2019, "DP5.1"]),
        ("web:plans", ["taipei", 2020]),
        ("web:scorecard", ["ashcombe", 2024]),
    ],
)
def test_a_page_in_english_runs_no_more_queries_than_in_chinese(translated, client, name, args):
    counts = {}
    for language in ("zh-hant", "en"):
        page(client, name, args, language)  # once before, so that both are counted alike
        with CaptureQueriesContext(connection) as queries:
            page(client, name, args, language)
        counts[language] = len(queries)
    # No query a translated text: English costs no more than Chinese (which also finds the map of a ROC year).
    assert counts["en"] <= counts["zh-hant"], counts


def test_the_maps_version_label_is_in_the_readers_language_on_the_map_and_the_home_page(demo, client):
    english = page(client, "web:map", ["taipei", 2019], "en").split("</h1>", 1)[0]
    assert "2019 edition" in english and "108年度" not in english
    assert "108年度" in page(client, "web:map", ["taipei", 2019], "zh-hant").split("</h1>", 1)[0]
    home = page(client, "web:home", [], "en")
    assert '<td class="version">2021 edition</td>' in home and "110年度" not in home
