"""The strategy map for a screen reader and the keyboard (issue 17, item 5): the drawing is hidden from assistive
technology with nothing focusable in it, and beside it the same map in words: the objectives by perspective and
theme, each a link to its page with its light in words, and the cause-and-effect links; a skip link past it."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from stratmap.strategy.diagram import LightStyle, MapSpec, ObjectiveBox, outline, render_svg
from stratmap.strategy.models import Objective, ObjectiveLink, StrategyMap
from tests.helpers import page

pytestmark = pytest.mark.django_db

MAPS = [
    ("web:map", ["taipei", 2019]),
    ("web:map", ["ashcombe", 2024]),
    ("web:theme", ["taipei", 2019, "D"]),
    ("web:theme", ["ashcombe", 2024, "H"]),
]


@pytest.fixture
def linked(people, client):
    """A link inside theme D of Taipei's 2019 map and inside theme H of the council's 2024 map (the demos link
    only across themes), so that the themes' pages draw their 關聯圖; seen by an administrator, as the public's
    pages are kept per data version."""
    for org, year, pairs in [("taipei", 2019, [("DL1", "DP5"), ("DC1", "DC2")]), ("ashcombe", 2024, [("H1", "H2")])]:
        smap = StrategyMap.objects.filter(organization__code=org, year=year, published=True).latest("pk")
        for source, target in pairs:
            ObjectiveLink.objects.create(
                map=smap,
                source=Objective.objects.get(map=smap, code=source),
                target=Objective.objects.get(map=smap, code=target),
            )
    client.force_login(people["admin"])
    return client


INTERACTIVE = ".//a[@href] | .//button | .//input | .//select | .//textarea | .//*[@tabindex and @tabindex!='-1']"


def _doc(client, name, args, language):
    return lxml_html.fromstring(page(client, name, args, language))


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize(("name", "args"), MAPS, ids=str)
def test_no_image_holds_an_interactive_element_and_the_drawing_is_hidden_with_nothing_tabbable(
    linked, name, args, language
):
    client = linked
    doc = _doc(client, name, args, language)
    for image in doc.xpath("//*[@role='img']"):
        assert not image.xpath(INTERACTIVE), lxml_html.tostring(image)[:200]
    (svg,) = doc.xpath("//figure[contains(@class,'strategy-map')]//*[local-name()='svg']")
    assert svg.get("aria-hidden") == "true"
    anchors = svg.xpath(".//*[local-name()='a']")
    assert anchors, "the boxes stay links for the mouse"
    assert all(a.get("tabindex") == "-1" for a in anchors)


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize(("name", "args"), MAPS, ids=str)
def test_a_skip_link_leads_past_the_map_and_its_words(linked, name, args, language):
    client = linked
    doc = _doc(client, name, args, language)
    (skip,) = doc.xpath("//a[contains(@class,'skip-map')]")
    assert skip.get("href") == "#after-map"
    assert _text(skip) == ("Skip the map" if language == "en" else _text(skip)) and _text(skip)
    (target,) = doc.xpath("//*[@id='after-map']")
    order = list(doc.iter())
    figure = doc.xpath("//figure[contains(@class,'strategy-map')]")[0]
    words = doc.xpath("//details[@id='map-words']")[0]
    assert order.index(skip) < order.index(figure) < order.index(words) < order.index(target)


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_taipei_map_lists_its_objectives_by_perspective_and_theme_each_linked_with_its_light_in_words(
    demo, client, language
):
    doc = _doc(client, "web:map", ["taipei", 2019], language)
    (words,) = doc.xpath("//details[@id='map-words']")
    svg = doc.xpath("//figure[contains(@class,'strategy-map')]//*[local-name()='svg']")[0]
    drawn = {g.get("data-code"): g for g in svg.xpath(".//*[local-name()='g'][@data-light]")}
    perspectives = [_text(h) for h in words.xpath(".//section/h3")]
    drawn_rows = [_text(g) for g in svg.xpath(".//*[local-name()='g'][contains(@class,'perspective')][@data-code]")]
    assert perspectives == drawn_rows
    items = words.xpath(".//section//li")
    assert len(items) == len(drawn) > 30
    linked_items = 0
    for li in items:
        code = _text(li.xpath(".//span[@class='code']")[0])
        box = drawn[code]
        href = box.getparent().get("href")
        links = li.xpath("./a")
        if href is None:  # an objective of no theme has no page of its own, in the drawing as in words
            assert not links
            name = li.xpath("./span")[1]
        else:
            (link,) = links
            assert link.get("href") == href and f"#objective-{code}" in href
            linked_items += 1
            name = link
        title = _text(box.xpath("./*[local-name()='title']")[0])
        assert title.startswith(_text(name) if href else f"{code} {_text(name)}")  # as the drawing's box says
        light = _text(li.xpath(".//span[@class='light-words']")[0])
        if box.get("data-light") == "none":
            assert light == ("no KPI data" if language == "en" else light)
        else:
            assert title.endswith(light)  # symbol and label, in words, as the box says
    assert linked_items > 30
    lit = [box for box in drawn.values() if box.get("data-light") != "none"]
    assert lit, "theme D's objectives have their lights, said in words above"


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize(("org", "year"), [("taipei", 2019), ("ashcombe", 2024)])
def test_every_cause_and_effect_link_of_the_drawing_is_listed_in_words(linked, org, year, language):
    client = linked
    doc = _doc(client, "web:map", [org, year], language)
    svg = doc.xpath("//figure[contains(@class,'strategy-map')]//*[local-name()='svg']")[0]
    arrows = [(p.get("data-from"), p.get("data-to")) for p in svg.xpath(".//*[local-name()='path'][@data-from]")]
    names = {
        g.get("data-code"): _text(g.xpath("./*[local-name()='title']")[0]).split(" — ")[0]
        for g in svg.xpath(".//*[local-name()='g'][@data-light]")
    }
    items = doc.xpath("//details[@id='map-words']//ul[@class='map-words-links']/li")
    said = [_text(li) for li in items]
    arrow_word = "leads to" if language == "en" else None
    listed = []
    for li, text in zip(items, said, strict=True):
        hidden = _text(li.xpath(".//span[@class='visually-hidden']")[0])
        if arrow_word:
            assert hidden == arrow_word
        source, target = (part.strip() for part in text.split(f"→{hidden}"))
        listed.append((source, target))
    assert listed == [(names[s], names[t]) for s, t in dict.fromkeys(arrows)] or sorted(listed) == sorted(
        (names[s], names[t]) for s, t in arrows
    )
    assert listed


def test_taipei_s_map_says_dl1_leads_to_dp5_in_words(linked):
    client = linked
    doc = _doc(client, "web:map", ["taipei", 2019], "zh-hant")
    said = [_text(li) for li in doc.xpath("//ul[@class='map-words-links']/li")]
    names = {o.code: o.name for o in Objective.objects.filter(map__organization__code="taipei", map__year=2019)}
    arrow = _text(doc.xpath("//ul[@class='map-words-links']//span[@class='visually-hidden']")[0])
    assert f"DL1 {names['DL1']} →{arrow} DP5 {names['DP5']}" in said


def test_the_engine_s_outline_groups_by_perspective_then_theme_and_keeps_the_drawing_s_order():
    light = LightStyle("good", "●", "good", "#0969da")
    spec = MapSpec(
        title="t",
        mission="",
        vision="",
        values=[],
        labels={},
        perspectives=[("C", "Customer"), ("F", "Finance")],
        themes=[("A", "Alpha"), ("B", "Beta")],
        objectives=[
            ObjectiveBox("F1", "Money", "F", "B", light, "/f1"),
            ObjectiveBox("C2", "Serve", "C", "B"),
            ObjectiveBox("C1", "Smile", "C", "A", light, "/c1"),
            ObjectiveBox("X1", "Loose", None, None),
        ],
        links=[("F1", "C1"), ("C1", "GONE")],
        langs={"theme:B": "zh-Hant"},
    )
    found = outline(spec)
    assert [(p.code, [(t.code, [o.code for o in t.objectives]) for t in p.themes]) for p in found.perspectives] == [
        ("C", [("A", ["C1"]), ("B", ["C2"])]),
        ("F", [("B", ["F1"])]),
        ("", [("", ["X1"])]),
    ]
    assert found.perspectives[0].themes[1].lang == "zh-Hant"
    assert [(s.code, t.code) for s, t in found.links] == [("F1", "C1")]
    decorative = render_svg(spec, decorative=True)
    assert 'aria-hidden="true"' in decorative and 'role="img"' not in decorative and 'tabindex="-1"' in decorative
    assert decorative.count("<a ") == decorative.count('tabindex="-1"') == 2
