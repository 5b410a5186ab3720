"""The map editor (issue 15 item 1): an organization's administrators build and change its map in the browser,
its texts, perspectives, themes, objectives and cause-and-effect links; each change checked against the map's
version, audited, refused at its field when wrong. Exercised on a new bureau's map, not on the documents'."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import translation

from stratmap.access import SYSTEM
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.exchange.dumper import map_document
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.strategy.models import Objective, ObjectiveLink, Perspective, StrategyMap, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(people):
    """A bureau of the city that is not in the demo (交通局), with an administrator of its own, no map yet."""
    city = Organization.objects.get(code="taipei")
    dot = Organization.objects.create(code="taipei-dot", name="臺北市政府交通局", kind="bureau", parent=city,
                                      language="zh-hant")  # fmt: skip
    people["dot-admin"] = people["admin"].__class__.objects.create_user("dot-admin", password="pw-for-tests-only")
    Membership.objects.create(user=people["dot-admin"], organization=dot, role=Membership.Role.ADMINISTRATOR)
    return dot


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_map(client: Client, year: str = "110") -> StrategyMap:
    response = client.post(reverse("web:map-new", args=["taipei-dot"]), {"year": year, "title": "交通局110年策略地圖"})
    assert response.status_code == 302 and response["Location"].endswith("/taipei-dot/110/edit/steps/")
    return StrategyMap.objects.get(organization__code="taipei-dot", year=2021)


def edit_url(smap: StrategyMap, language: str = "zh-hant") -> str:
    with translation.override(language):
        return reverse("web:edit", args=[smap.organization.code, smap.url_year])


def post(client: Client, smap: StrategyMap, language: str = "zh-hant", **data):
    """Post a form of the editor's page (in ``language``: the messages asserted are English) at the map's version."""
    smap.refresh_from_db()
    return client.post(edit_url(smap, language), {"version": smap.version, **data})


def add_objective(
    client: Client, smap: StrategyMap, code: str, name: str, theme: str, perspective: str, language="zh-hant", **more
):
    smap.refresh_from_db()
    with translation.override(language):
        url = reverse("web:edit-objective-new", args=[smap.organization.code, smap.url_year])
    data = {"version": smap.version, "code": code, "name": name, "theme": theme, "perspective": perspective, **more}
    return client.post(url, data)


@pytest.fixture
def built(bureau, people):
    """The bureau's 110 map built through the editor's pages: 3 perspectives, 2 themes, 6 objectives, 3 links."""
    client = logged_in(people["dot-admin"])
    smap = new_map(client)
    for code, name in [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長")]:
        assert post(client, smap, do="band", kind="perspective", code=code, name=name).status_code == 302
    for code, name in [("A", "便捷交通"), ("B", "安全交通")]:
        assert post(client, smap, do="band", kind="theme", code=code, name=name).status_code == 302
    for code, name, theme, perspective in [
        ("AC1", "提升大眾運輸使用率", "A", "C"),
        ("AP1", "優化公車路網", "A", "P"),
        ("AL1", "培養智慧交通人才", "A", "L"),
        ("BC1", "降低交通事故傷亡", "B", "C"),
        ("BP1", "改善路口設計", "B", "P"),
        ("BL1", "強化執法量能", "B", "L"),
    ]:
        assert add_objective(client, smap, code, name, theme, perspective).status_code == 302
    for source, target in [("AP1", "AC1"), ("AL1", "AP1"), ("BP1", "BC1")]:
        assert post(client, smap, do="link", source=source, target=target).status_code == 302
    smap.refresh_from_db()
    return {"client": client, "map": smap}


def test_a_new_bureau_builds_its_map_from_nothing_and_its_map_page_draws_it(built):
    smap = built["map"]
    assert not smap.published and smap.in_force
    assert list(smap.perspectives.values_list("code", flat=True)) == ["C", "P", "L"]
    assert list(smap.themes.values_list("code", flat=True)) == ["A", "B"]
    assert Objective.objects.filter(map=smap).count() == 6
    assert set(ObjectiveLink.objects.filter(map=smap).values_list("source__code", "target__code")) == {
        ("AP1", "AC1"), ("AL1", "AP1"), ("BP1", "BC1")}  # fmt: skip
    page = built["client"].get(reverse("web:map", args=["taipei-dot", 110])).content.decode()
    assert 'data-code="AC1"' in page and "提升大眾運輸使用率" in page and 'class="links"' in page
    # every change is in the audit trail, as the bureau's administrator's
    events = AuditEvent.objects.filter(object_type="strategy.strategymap", object_id=smap.pk, action="edit")
    assert events.filter(field="link AP1 → AC1").exists() and set(events.values_list("username", flat=True)) == {
        "dot-admin"}  # fmt: skip


def test_the_dump_of_a_map_built_in_the_editor_holds_what_was_built(built):
    doc = map_document(built["map"], access=SYSTEM)
    assert [p["code"] for p in doc["perspectives"]] == ["C", "P", "L"]
    objectives = {o["code"] for t in doc["themes"] for o in t.get("objectives", [])}
    assert objectives == {"AC1", "AP1", "AL1", "BC1", "BP1", "BL1"}
    assert {(link["from"], link["to"]) for link in doc["links"]} == {("AP1", "AC1"), ("AL1", "AP1"), ("BP1", "BC1")}


@pytest.mark.parametrize("who", [None, "outsider", "viewer", "dol", "coord", "dot-admin"])
def test_anyone_but_the_maps_administrators_gets_a_404_on_every_editor_page(built, people, who):
    smap = built["map"]
    # the city's map: its administrators only (the bureau's administrator is not the city's)
    city = StrategyMap.objects.get(organization__code="taipei", year=2020, in_force=True)
    client = Client() if who is None else logged_in(people[who])
    urls = [
        reverse("web:edit", args=["taipei", 109]),
        reverse("web:edit-objective", args=["taipei", 109, "DC1"]),
        reverse("web:edit-objective-new", args=["taipei", 109]),
        reverse("web:map-new", args=["taipei"]),
    ]
    if who != "dot-admin":
        urls += [edit_url(smap), reverse("web:map-new", args=["taipei-dot"])]
    refused = 302 if who is None else 404  # the public is sent to log in, as on every page of work
    for url in urls:
        assert client.get(url).status_code == refused, url
        assert client.post(url, {"do": "texts", "version": city.version}).status_code == refused, url
    assert StrategyMap.objects.get(pk=city.pk).version == city.version


def test_the_citys_administrator_edits_the_citys_and_its_bureaus_maps(built, people):
    client = logged_in(people["admin"])
    assert client.get(reverse("web:edit", args=["taipei", 109])).status_code == 200
    assert client.get(edit_url(built["map"])).status_code == 200
    page = client.get(reverse("web:edit-objective", args=["taipei-dot", 110, "AC1"])).content.decode()
    assert 'value="AC1"' in page and "提升大眾運輸使用率" in page


def test_a_second_administrator_working_from_an_older_page_is_shown_what_changed_and_nothing_is_saved(built, people):
    smap, first = built["map"], built["client"]
    opened = smap.version  # both administrators opened the editor at this version
    second = logged_in(people["admin"])
    assert first.post(edit_url(smap), {"do": "band", "kind": "theme", "band": "A", "code": "A", "name": "綠色交通",
                                       "version": opened, "reason": "市長指示"}).status_code == 302  # fmt: skip
    response = second.post(edit_url(smap), {"do": "link", "source": "BL1", "target": "BC1", "version": opened})
    assert response.status_code == 409
    page = response.content.decode()
    assert "綠色交通" in page and "市長指示" in page  # what changed meanwhile, from the audit trail
    assert not ObjectiveLink.objects.filter(source__code="BL1", map=smap).exists()
    assert 'name="source"' in page  # the form again, to send once the page is reloaded


@pytest.mark.parametrize(
    "data, field, says",
    [
        ({"code": "AC1", "name": "重複"}, "code", "already used"),
        ({"code": "A/1", "name": "斜線"}, "code", "not a valid code"),
        ({"code": "A 1", "name": "空白"}, "code", "not a valid code"),
        ({"code": "AX1", "name": "無此主題", "theme": "Z"}, "theme", ""),
        ({"code": "AX1", "name": ""}, "name", ""),
    ],
)
def test_a_bad_objective_is_refused_at_its_field_and_nothing_is_written(built, data, field, says):
    smap, client = built["map"], built["client"]
    before = (Objective.objects.filter(map=smap).count(), smap.version)
    with_cell = {"theme": "A", "perspective": "C", **data}
    response = add_objective(client, smap, language="en", **with_cell)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says in " ".join(errors[field])
    smap.refresh_from_db()
    assert (Objective.objects.filter(map=smap).count(), smap.version) == before


@pytest.mark.parametrize(
    "source, target, says",
    [("AC1", "AC1", "its own cause"), ("AP1", "AC1", "already has the link"), ("AP1", "ZZ9", "")],
)
def test_a_link_to_itself_a_duplicate_or_to_nothing_is_refused_at_its_field(built, source, target, says):
    smap, client = built["map"], built["client"]
    before = (ObjectiveLink.objects.filter(map=smap).count(), smap.version)
    response = post(client, smap, "en", do="link", source=source, target=target)
    assert response.status_code == 400
    errors = response.context["forms"]["link"].errors
    assert "target" in errors and says in " ".join(errors["target"]), errors
    smap.refresh_from_db()
    assert (ObjectiveLink.objects.filter(map=smap).count(), smap.version) == before


def test_a_cycle_of_links_is_allowed_and_named_on_the_editor_and_in_the_consistency_report(built, tmp_path):
    from stratmap.exchange.consistency import check_files
    from stratmap.exchange.dumper import dump_map
    from stratmap.exchange.parse import parse_paths

    smap, client = built["map"], built["client"]
    assert post(client, smap, do="link", source="AC1", target="AP1").status_code == 302  # AP1 → AC1 → AP1
    assert ObjectiveLink.objects.filter(map=smap, source__code="AC1", target__code="AP1").exists()
    page = client.get(edit_url(smap, "en")).content.decode()
    assert "The links of AP1, AC1 go round in a cycle of cause and effect" in page
    (tmp_path / "taipei-dot-110.yaml").write_text(dump_map("taipei-dot", 2021, access=SYSTEM), encoding="utf-8")
    report = [str(w) for w in check_files(parse_paths([tmp_path]))]
    assert any("links: the links of AP1, AC1 go round in a cycle" in line for line in report), report


def test_a_link_is_removed_and_the_map_page_no_longer_draws_it(built):
    smap, client = built["map"], built["client"]
    assert post(client, smap, do="link-remove", source="BP1", target="BC1", reason="因果不明").status_code == 302
    assert not ObjectiveLink.objects.filter(map=smap, source__code="BP1").exists()
    event = AuditEvent.objects.get(object_id=smap.pk, field="link BP1 → BC1", reason="因果不明")
    assert (event.old, event.new, event.reason) == ("BP1 → BC1", "—", "因果不明")


def test_an_objective_is_moved_renamed_and_translated_and_each_change_is_audited(built):
    smap, client = built["map"], built["client"]
    smap.refresh_from_db()
    url = reverse("web:edit-objective", args=["taipei-dot", 110, "BL1"])
    data = {"version": smap.version, "code": "AL2", "name": "強化交通執法量能", "theme": "A", "perspective": "L",
            "name_en": "Stronger traffic enforcement", "key_works": "科技執法\n\n路口攝影",
            "reason": "主題調整"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    moved = Objective.objects.get(map=smap, code="AL2")
    assert (moved.theme.code, moved.name, moved.key_works) == ("A", "強化交通執法量能", ["科技執法", "路口攝影"])
    fields = dict(AuditEvent.objects.filter(object_id=smap.pk, reason="主題調整").values_list("field", "new"))
    assert fields["objective BL1 code"] == "AL2" and fields["objective BL1 theme"] == "A"
    assert fields["objective AL2 name_en"] == "Stronger traffic enforcement"
    english = Client().get(reverse("web:map", args=["taipei-dot", 2021]))
    assert english.status_code == 404  # not published: the public does not see it
    page = client.get("/en" + reverse("web:map", args=["taipei-dot", 2021])).content.decode()
    assert "Stronger traffic enforcement" in page


def test_perspectives_are_reordered_renamed_and_an_empty_one_deleted_but_not_one_holding_objectives(built):
    smap, client = built["map"], built["client"]
    assert post(client, smap, do="band-action", kind="perspective", band="L", action="up").status_code == 302
    assert list(smap.perspectives.values_list("code", flat=True)) == ["C", "L", "P"]
    assert post(client, smap, do="band", kind="perspective", band="L", code="LG", name="學習與成長").status_code == 302
    assert Perspective.objects.get(map=smap, code="LG").name == "學習與成長"
    refused = post(client, smap, "en", do="band-action", kind="perspective", band="LG", action="delete")
    assert refused.status_code == 400 and "move or delete them first" in refused.content.decode()
    assert post(client, smap, do="band", kind="perspective", code="X", name="暫時").status_code == 302
    assert post(client, smap, do="band-action", kind="perspective", band="X", action="delete").status_code == 302
    assert not Perspective.objects.filter(map=smap, code="X").exists()


def test_an_objective_with_kpis_is_not_deleted_one_without_is_with_its_links(built):
    smap, client = built["map"], built["client"]
    Kpi.objects.create(objective=Objective.objects.get(map=smap, code="AC1"), code="AC1.1", name="運量", order=1)
    smap.refresh_from_db()
    url = "/en" + reverse("web:edit-objective", args=["taipei-dot", 2021, "AC1"])
    common = {"version": smap.version, "code": "AC1", "name": "提升大眾運輸使用率", "theme": "A", "perspective": "C"}
    refused = client.post(url, {**common, "do": "delete"})
    assert refused.status_code == 400 and "move or delete them first" in refused.content.decode()
    assert Objective.objects.filter(map=smap, code="AC1").exists()
    url = reverse("web:edit-objective", args=["taipei-dot", 110, "AP1"])
    smap.refresh_from_db()
    deleted = client.post(url, {**common, "code": "AP1", "name": "優化公車路網", "perspective": "P", "do": "delete",
                                "version": smap.version})  # fmt: skip
    assert deleted.status_code == 302
    assert not Objective.objects.filter(map=smap, code="AP1").exists()
    assert not ObjectiveLink.objects.filter(map=smap, source__code="AL1").exists()  # its link went with it


def test_the_map_texts_are_saved_with_the_values_a_line_each(built):
    smap, client = built["map"], built["client"]
    response = post(client, smap, do="texts", title="交通局策略地圖", mission="安全便捷", vision="人本交通",
                    values="安全\n\n效率\n")  # fmt: skip
    assert response.status_code == 302
    smap.refresh_from_db()
    assert (smap.title, smap.mission, smap.values) == ("交通局策略地圖", "安全便捷", ["安全", "效率"])


def test_a_control_character_in_a_name_is_refused_at_the_field(built):
    smap, client = built["map"], built["client"]
    response = post(client, smap, "en", do="band", kind="theme", code="C", name="壞\x07字")
    assert response.status_code == 400
    assert "U+0007" in " ".join(response.context["forms"]["band"].errors.get("name", []))
    assert not Theme.objects.filter(map=smap, code="C").exists()


def test_a_second_map_of_the_same_year_is_refused_at_the_year(built):
    response = built["client"].post(reverse("web:map-new", args=["taipei-dot"]), {"year": "2021"})
    assert response.status_code == 400 and "year" in response.context["form"].errors


def test_the_editor_page_runs_as_many_queries_for_a_bigger_map(built):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    smap, client = built["map"], built["client"]
    url = edit_url(smap)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(2, 12):
        add_objective(client, smap, f"AC{n}", f"目標{n}", "A", "C")
        post(client, smap, do="link", source=f"AC{n}", target="AC1")
    with CaptureQueriesContext(connection) as bigger:
        assert client.get(url).status_code == 200
    assert len(bigger.captured_queries) == len(small.captured_queries)


def test_an_administrator_finds_where_to_start_a_new_map_on_the_home_page_and_the_public_does_not(bureau, people):
    new = reverse("web:map-new", args=["taipei-dot"])
    assert new in logged_in(people["dot-admin"]).get("/").content.decode()
    assert new in logged_in(people["admin"]).get("/").content.decode()  # the city's administrator: its bureaus too
    for client in (Client(), logged_in(people["viewer"]), logged_in(people["dol"])):
        assert "/maps/new/" not in client.get("/").content.decode()


# --- TOWS and policy thrusts ---------------------------------------------------------------------------------


def tows_post(client: Client, smap: StrategyMap, language: str = "zh-hant", **data):
    smap.refresh_from_db()
    with translation.override(language):
        url = reverse("web:edit-tows", args=[smap.organization.code, smap.url_year])
    return client.post(url, {"version": smap.version, **data})


@pytest.fixture
def analysed(built):
    """The built map with a TOWS analysis (a strength, an opportunity, an SO strategy that becomes AC1 and AP1)
    and a policy thrust, entered through the TOWS editor."""
    smap, client = built["map"], built["client"]
    assert tows_post(client, smap, do="entry", kind="s", code="S1", text="捷運路網密集").status_code == 302
    assert tows_post(client, smap, do="entry", kind="o", code="O1", text="中央補助智慧交通").status_code == 302
    response = tows_post(client, smap, do="entry", kind="so", code="SO1", text="以捷運帶動公車轉乘",
                         heading="【掌握機會，發揮優勢】", objectives=["AC1", "AP1"])  # fmt: skip
    assert response.status_code == 302
    thrust = tows_post(client, smap, do="thrust", code="一", name="人本交通", strategies="公車優先\n步行友善")
    assert thrust.status_code == 302
    return built


def test_a_tows_strategy_becomes_objectives_and_the_tows_page_shows_which(analysed):
    smap, client = analysed["map"], analysed["client"]
    smap.refresh_from_db()
    assert smap.has_tows
    page = client.get(reverse("web:tows", args=["taipei-dot", 110])).content.decode()
    so = page.split("以捷運帶動公車轉乘", 1)[1].split("</li>", 1)[0]
    assert '<span class="code">AC1</span>' in so and '<span class="code">AP1</span>' in so
    assert "人本交通" in page and "步行友善" in page and "【掌握機會，發揮優勢】" in page
    event = AuditEvent.objects.get(object_id=smap.pk, field="TOWS SO SO1")
    assert event.new == "以捷運帶動公車轉乘"


def test_only_a_strategy_becomes_objectives_and_only_the_maps(analysed):
    smap, client = analysed["map"], analysed["client"]
    before = smap.tows_entries.count()
    strength = tows_post(client, smap, "en", do="entry", kind="w", text="停車位不足", objectives=["AC1"])
    assert strength.status_code == 400 and "Only a strategy" in strength.content.decode()
    unknown = tows_post(client, smap, "en", do="entry", kind="wo", text="整合停車資訊", objectives=["DC1"])
    assert unknown.status_code == 400  # DC1 is the city's, not one of this map's: not among the choices
    assert smap.tows_entries.count() == before


def test_a_map_built_in_the_editor_dumps_and_loads_into_an_empty_database_the_same(analysed, tmp_path):
    from stratmap.exchange.dumper import dump_map
    from stratmap.exchange.loader import load_paths

    first = dump_map("taipei-dot", 2021, access=SYSTEM)
    assert "objectives:\n      - AC1\n      - AP1" in first
    (tmp_path / "taipei-dot-110.yaml").write_text(first, encoding="utf-8")
    StrategyMap.objects.filter(organization__code="taipei-dot").delete()
    load_paths([tmp_path])
    assert dump_map("taipei-dot", 2021, access=SYSTEM) == first


# --- STEP 1 to 5, taking over the city's strategy, publishing ---------------------------------------------------


def steps_url(smap: StrategyMap, language: str = "zh-hant") -> str:
    with translation.override(language):
        return reverse("web:edit-steps", args=[smap.organization.code, smap.url_year])


def test_the_steps_page_says_what_each_step_holds_and_lists_the_citys_strategy_to_take_over(analysed):
    smap, client = analysed["map"], analysed["client"]
    page = client.get(steps_url(smap, "en")).content.decode()
    assert "1 policy thrust" in page and "1 strategies, 1 of them linked" in page
    assert "3 perspectives, 2 themes, 6 objectives, 3 cause-and-effect links, 0 KPIs" in page
    # the city's 110 map, whose themes and objectives a bureau theme may take over
    assert '<span class="code">DP1</span>' in page and "Add a theme taking it over" in page


def test_a_bureau_theme_takes_over_a_city_objective_and_not_one_the_city_does_not_have(analysed):
    smap, client = analysed["map"], analysed["client"]
    assert (
        post(client, smap, do="band", kind="theme", band="A", code="A", name="便捷交通", takes_over="DP1").status_code
        == 302
    )
    assert Theme.objects.get(map=smap, code="A").takes_over == "DP1"
    theme_page = client.get(reverse("web:theme", args=["taipei-dot", 110, "A"])).content.decode()
    assert "對應府級DP1" in theme_page
    steps = client.get(steps_url(smap)).content.decode()
    taken = steps.split('<span class="code">DP1</span>', 1)[1].split("</span></span>", 1)[0]
    assert '← <strong><span class="code">A</span> 便捷交通' in taken  # DP1, then the bureau's theme taking it over
    refused = post(client, smap, "en", do="band", kind="theme", band="B", code="B", name="安全交通", takes_over="ZZ9")
    assert refused.status_code == 400 and Theme.objects.get(map=smap, code="B").takes_over == ""


def test_publishing_the_map_lets_the_public_see_it_and_is_audited(analysed):
    smap, client = analysed["map"], analysed["client"]
    assert Client().get(reverse("web:map", args=["taipei-dot", 110])).status_code == 404
    smap.refresh_from_db()
    response = client.post(steps_url(smap), {"version": smap.version, "reason": "局務會議通過"})
    assert response.status_code == 302
    assert Client().get(reverse("web:map", args=["taipei-dot", 110])).status_code == 200
    assert AuditEvent.objects.filter(object_id=smap.pk, field="published", reason="局務會議通過").exists()
    stale = client.post(steps_url(smap), {"version": 1})
    assert stale.status_code == 409  # a page opened before the map was changed does not act on it


# --- a map revising last year's: its structural changes are revisions, each with its reason ---------------------


def test_on_a_map_that_revises_last_years_an_objective_added_or_renamed_needs_its_reason_and_is_a_revision(people):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020, in_force=True)  # 109, revising 108
    client = logged_in(people["admin"])
    before = smap.revisions.count()
    refused = add_objective(client, smap, "DP9", "推動智慧物流", "D", "P", language="en")
    assert refused.status_code == 400 and "needs its reason" in " ".join(refused.context["form"].errors["reason"])
    assert not Objective.objects.filter(map=smap, code="DP9").exists() and smap.revisions.count() == before
    assert add_objective(client, smap, "DP9", "推動智慧物流", "D", "P", reason="新增物流產業目標").status_code == 302
    smap.refresh_from_db()
    url = reverse("web:edit-objective", args=["taipei", 109, "DP9"])
    renamed = {"version": smap.version, "code": "DP9", "name": "推動智慧物流產業", "theme": "D", "perspective": "P",
               "reason": "名稱修正"}  # fmt: skip
    assert client.post(url, renamed).status_code == 302
    added, rename = smap.revisions.order_by("order")[before:]
    assert (added.level, added.action, added.code, added.new_name, added.reason) == (
        "objective", "add", "DP9", "推動智慧物流", "新增物流產業目標")  # fmt: skip
    assert (rename.action, rename.old_name, rename.new_name) == ("rename", "推動智慧物流", "推動智慧物流產業")
    page = client.get(reverse("web:revisions", args=["taipei", 109])).content.decode()
    assert "推動智慧物流產業" in page and "名稱修正" in page


def test_a_change_that_is_not_structural_or_a_first_years_map_makes_no_revision(built, people):
    smap = built["map"]
    assert not smap.revisions.exists()  # the bureau's first map: nothing to revise
    city = StrategyMap.objects.get(organization__code="taipei", year=2020, in_force=True)
    before = city.revisions.count()
    admin = logged_in(people["admin"])
    url = reverse("web:edit-objective", args=["taipei", 109, "DP5"])
    dp5 = Objective.objects.get(map=city, code="DP5")
    data = {"version": city.version, "code": "DP5", "name": dp5.name, "theme": "D", "perspective": "P", "ksf": "新KSF"}
    assert admin.post(url, data).status_code == 302  # a KSF changed: no reason asked, no revision
    assert city.revisions.count() == before


# --- editions: a draft of the year's map, worked on in the editors, published in place of the one in force ------


def council_steps(language: str = "en") -> str:
    with translation.override(language):
        return reverse("web:edit-steps", args=["ashcombe", 2024])


@pytest.fixture
def drafting(council_people):
    """The council's administrator starts a draft edition of its published 2024/25 map (which has results)."""
    client = logged_in(council_people["council-admin"])
    in_force = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    response = client.post(council_steps(), {"do": "edition-start", "label": "Mid-year revision",
                                              "version": in_force.version, "reason": "Cabinet, October"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    draft = StrategyMap.objects.get(organization__code="ashcombe", year=2024, version_label="Mid-year revision")
    return {"client": client, "in_force": in_force, "draft": draft}


def test_a_draft_edition_copies_the_map_without_results_and_the_editors_work_on_it(drafting):
    client, in_force, draft = drafting["client"], drafting["in_force"], drafting["draft"]
    assert (draft.in_force, draft.published) == (False, False)
    codes = lambda m: sorted(Kpi.objects.filter(objective__map=m).values_list("code", flat=True))  # noqa: E731
    assert codes(draft) == codes(in_force) and codes(draft)
    assert not KpiResult.objects.filter(kpi__objective__map=draft).exists()
    editor = client.get(edit_url(draft, "en")).content.decode()
    assert "You are working on the draft edition “Mid-year revision”" in editor
    h1 = Objective.objects.get(map=draft, code="H1")
    data = {"do": "save", "version": draft.version, "code": "H1", "name": "More affordable homes, faster",
            "theme": h1.theme.code, "perspective": h1.perspective.code, "reason": "Cabinet, October"}  # fmt: skip
    assert client.post(reverse("web:edit-objective", args=["ashcombe", 2024, "H1"]), data).status_code == 302
    assert Objective.objects.get(map=draft, code="H1").name == "More affordable homes, faster"
    assert Objective.objects.get(map=in_force, code="H1").name != "More affordable homes, faster"  # unchanged
    public = Client().get("/en/ashcombe/2024/").content.decode()
    assert "More affordable homes, faster" not in public  # the public still reads the edition in force
    steps = client.get(council_steps()).content.decode()
    assert "Changes against the edition in force" in steps and "More affordable homes, faster" in steps


def test_publishing_a_draft_edition_puts_it_in_force_with_the_results_and_keeps_the_one_it_replaces(drafting):
    client, in_force, draft = drafting["client"], drafting["in_force"], drafting["draft"]
    results = {
        code: n
        for code, n in Kpi.objects.filter(objective__map=in_force).annotate(n=Count("results")).values_list("code", "n")
    }
    assert sum(results.values())
    draft.refresh_from_db()
    # another administrator's edit of the draft since this page was opened: the page's publish is refused
    stale = client.post(council_steps(), {"do": "edition-publish", "version": draft.version + 1, "reason": "Adopted"})
    assert stale.status_code == 409 and not StrategyMap.objects.get(pk=draft.pk).in_force
    response = client.post(council_steps(), {"do": "edition-publish", "version": draft.version, "reason": "Adopted"})
    assert response.status_code == 302
    draft.refresh_from_db()
    in_force.refresh_from_db()
    assert (draft.in_force, draft.published, in_force.in_force) == (True, True, False)
    moved = dict(Kpi.objects.filter(objective__map=draft).annotate(n=Count("results")).values_list("code", "n"))
    assert moved == results  # every result followed its KPI by code
    assert AuditEvent.objects.filter(object_id=draft.pk, field="results moved", new=str(sum(results.values())))
    assert Client().get("/en/ashcombe/2024/").status_code == 200
    assert StrategyMap.objects.filter(organization__code="ashcombe", year=2024).count() == 2  # the old one kept
    steps = client.get(council_steps()).content.decode()
    assert "Changes against the edition it replaced" in steps  # the edition in force, compared with the old one


def test_only_the_maps_administrators_start_an_edition_and_a_stale_or_repeated_one_is_refused(council_people, drafting):
    in_force = drafting["in_force"]
    in_force.refresh_from_db()
    for who in ("council-viewer", "council-place", "admin"):
        refused = logged_in(council_people[who]).post(
            council_steps(), {"do": "edition-start", "label": "X", "version": in_force.version}
        )
        assert refused.status_code == 404, who
    client = drafting["client"]
    client.post(council_steps(), {"do": "edition-leave"})
    again = client.post(
        council_steps(), {"do": "edition-start", "label": "Mid-year revision", "version": in_force.version}
    )
    assert again.status_code == 400 and "already has an edition" in again.content.decode()
    stale = client.post(council_steps(), {"do": "edition-start", "label": "Y", "version": in_force.version + 1})
    assert stale.status_code == 409
    assert StrategyMap.objects.filter(organization__code="ashcombe", year=2024).count() == 2


def test_the_tows_and_steps_pages_run_as_many_queries_for_a_bigger_analysis(analysed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    smap, client = analysed["map"], analysed["client"]
    urls = [reverse("web:edit-tows", args=["taipei-dot", 110]), steps_url(smap)]

    def counted() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries.captured_queries))
        return found

    small = counted()
    for n in range(2, 8):
        assert tows_post(client, smap, do="entry", kind="st", code=f"ST{n}", text=f"策略{n}",
                         objectives=["AC1", "BC1"]).status_code == 302  # fmt: skip
        assert tows_post(client, smap, do="thrust", code=f"{n}", name=f"主軸{n}").status_code == 302
    assert counted() == small
