"""The editors' lists of a map's objectives, themes and KPIs (issue 17 item 5, the last leftover): each name is in
the reader's language where translated, else in the organization's, so a list mixes both; each option that is not
in the page's language says its own, and what the lists post is the same codes as before."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from stratmap.core.names import set_translations
from stratmap.strategy.models import Objective, ObjectiveLink, StrategyMap

pytestmark = pytest.mark.django_db


def in_force(org: str, year: int) -> StrategyMap:
    return StrategyMap.objects.get(organization__code=org, year=year, in_force=True)


def translate(smap: StrategyMap, code: str, language: str, text: str) -> None:
    """Give (or, with "", take away) an objective's name in ``language``, as its editor would."""
    objective = Objective.objects.get(map=smap, code=code)
    set_translations(objective, "name", {language: text})
    objective.save(update_fields=["i18n"])


def options(client, user, url: str, select: str) -> dict[str, tuple[str | None, str]]:
    """The options of the page's first list named ``select``: value → (their own lang, their text)."""
    client.force_login(user)
    response = client.get(url, follow=True)
    assert response.status_code == 200
    (chosen, *_others) = lxml_html.fromstring(response.content).xpath(f"//select[@name='{select}']")
    return {o.get("value"): (o.get("lang"), o.text_content()) for o in chosen.xpath("option") if o.get("value")}


@pytest.mark.parametrize(
    ("url", "select"),
    [
        ("/ashcombe/2024/edit/", "source"),
        ("/ashcombe/2024/edit/kpis/H1.1/", "objective"),
        ("/ashcombe/2024/edit/kpis/new/?objective=H1", "objective"),
    ],
)
def test_a_council_s_objectives_are_marked_english_on_a_chinese_page_but_the_one_translated_into_chinese(
    council_people, client, url, select
):
    translate(in_force("ashcombe", 2024), "H2", "zh-hant", "減少無家可歸")
    chinese = options(client, council_people["council-admin"], url, select)
    assert chinese["H2"] == (None, "H2 減少無家可歸")
    assert {code: lang for code, (lang, _text) in chinese.items() if code != "H2"} == dict.fromkeys(
        set(chinese) - {"H2"}, "en"
    )
    english = options(client, council_people["council-admin"], "/en" + url, select)
    assert english.keys() == chinese.keys()
    assert english["H2"] == (None, "H2 Reduce homelessness")  # the original, in the page's language
    assert {lang for lang, _text in english.values()} == {None}


def test_the_kpi_editor_s_list_of_last_year_s_kpis_is_marked_too(council_people, client):
    previous = options(client, council_people["council-admin"], "/ashcombe/2024/edit/kpis/H1.1/", "lineage")
    assert previous and {lang for lang, _text in previous.values()} == {"en"}
    english = options(client, council_people["council-admin"], "/en/ashcombe/2024/edit/kpis/H1.1/", "lineage")
    assert {lang for lang, _text in english.values()} == {None}


def test_a_taipei_objective_left_untranslated_is_marked_chinese_on_an_english_page_the_translated_not(
    council_people, client
):
    smap = in_force("taipei", 2020)
    translate(smap, "DP5", "en", "")
    english = options(client, council_people["admin"], "/en/taipei/109/edit/", "source")
    assert english["DP5"][0] == "zh-Hant-TW"
    assert {lang for code, (lang, _text) in english.items() if code != "DP5"} == {None}
    themes = options(client, council_people["admin"], "/taipei/109/edit/objectives/DP5/", "theme")
    assert themes and {lang for lang, _text in themes.values()} == {None}  # Chinese on a Chinese page


def test_a_council_s_tows_strategy_names_its_objectives_each_in_its_own_language(council_people, client):
    translate(in_force("ashcombe", 2024), "H2", "zh-hant", "減少無家可歸")
    client.force_login(council_people["council-admin"])
    doc = lxml_html.fromstring(client.get("/ashcombe/2024/edit/tows/").content)
    labels = doc.xpath("//input[@type='checkbox'][@name='objectives'][@value='H1']/parent::label")
    assert labels and all(label.xpath("span[@lang='en']/text()") == ["H1 Increase the supply of affordable homes"]
                          for label in labels)  # fmt: skip
    (translated, *_rest) = doc.xpath("//input[@name='objectives'][@value='H2']/parent::label")
    assert not translated.xpath(".//*[@lang]") and "H2 減少無家可歸" in translated.text_content()


def test_a_link_picked_from_the_marked_lists_is_saved_between_the_codes_picked(council_people, client):
    smap = in_force("ashcombe", 2024)
    client.force_login(council_people["council-admin"])
    response = client.post(
        "/ashcombe/2024/edit/", {"do": "link", "source": "S2", "target": "H2", "version": smap.version}
    )
    assert response.status_code == 302
    assert ObjectiveLink.objects.filter(source__map=smap, source__code="S2", target__code="H2").exists()


def test_the_editor_s_drawing_is_for_the_eye_and_the_mouse_the_page_gives_the_map_in_words(council_people, client):
    client.force_login(council_people["council-admin"])
    doc = lxml_html.fromstring(client.get("/ashcombe/2024/edit/").content)
    (drawing,) = doc.xpath("//div[contains(@class,'editor-map')]/*[local-name()='svg']")
    assert drawing.get("aria-hidden") == "true" and drawing.get("aria-label") is None
    boxes = drawing.xpath(".//*[local-name()='a']")
    assert boxes and all(box.get("tabindex") == "-1" for box in boxes)  # nothing focusable hidden
    assert drawing.xpath(".//*[local-name()='g'][@class='objective'][@data-code='H1']")  # clicks still pick it
