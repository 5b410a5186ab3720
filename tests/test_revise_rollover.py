"""Rolling a map over to the next year and revising it, as the administrator does on the revise page
(issue 10, items 15, 21, 22 and 23)."""

from __future__ import annotations

import re

import pytest

from stratmap.kpis.models import Kpi
from stratmap.strategy.models import Objective, Revision, StrategyMap
from tests.conftest import row_counts
from tests.helpers import field_errors

pytestmark = pytest.mark.django_db

REVISE = "/taipei/109/revise/"


@pytest.fixture
def admin(people, client):
    client.force_login(people["admin"])
    return client


def version_of(url: str) -> int:
    """The version of the map whose revise page is ``url``, as the page's forms carry it."""
    org, roc = re.fullmatch(r"/([\w-]+)/(\d+)/revise/", url).groups()
    return StrategyMap.objects.get(organization__code=org, year=int(roc) + 1911, in_force=True).version


def roll_over(client, url: str, year: str):
    return client.post(url, {"do": "rollover", "year": year, "version": version_of(url)})


def revise(client, url=REVISE, **data):
    return client.post(url, {"do": "revise", "reason": "測試", "version": version_of(url), **data})


def diff_items(page: str) -> list[tuple[str, str]]:
    """The differences found by comparing the maps: (action class, text) per entry."""
    return [
        (action, re.sub(r"<[^>]+>", "", text))
        for action, text in re.findall(r'<li class="diff-(\w+)">(.*?)</li>', page)
    ]


# --- item 15: codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"level": "kpi", "action": "add", "code": "DC1/9", "name": "新指標", "parent": "DC1"}, "code"),
        ({"level": "kpi", "action": "change", "code": "DC1.1", "new_code": "DC1/1"}, "new_code"),
        ({"level": "objective", "action": "change", "code": "DC1", "new_code": "D C1"}, "new_code"),
        ({"level": "action_plan", "action": "add", "code": "DC1.1.9?", "name": "計畫", "parent": "DC1.1"}, "code"),
    ],
)
def test_a_code_with_a_slash_or_other_bad_character_is_refused_under_its_field(admin, data, field):
    before = row_counts()
    response = revise(admin, **data)
    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert list(errors) == [field]
    assert "不是有效的代碼" in errors[field][0]
    assert row_counts() == before
    assert admin.get("/taipei/109/scorecard/").status_code == 200
    assert admin.get("/taipei/109/themes/D/").status_code == 200


@pytest.mark.parametrize("taken", ["DP5.1", "DC1.2"], ids=["under-another-objective", "a-siblings-code"])
def test_changing_a_kpi_code_to_one_used_in_the_map_is_refused_with_a_field_error(admin, taken):
    before = row_counts()
    response = revise(admin, level="kpi", action="change", code="DC1.1", new_code=taken)
    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert list(errors) == ["new_code"]
    assert taken in errors["new_code"][0] and "使用代碼" in errors["new_code"][0]
    assert row_counts() == before
    assert admin.get(f"/taipei/109/kpis/{taken}/").status_code == 200
    assert admin.get("/taipei/109/kpis/DC1.1/").status_code == 200


def test_adding_a_kpi_with_a_code_used_under_another_objective_is_refused(admin):
    before = row_counts()
    response = revise(admin, level="kpi", action="add", code="DP5.1", name="重複", parent="DC1")
    assert response.status_code == 200
    assert list(field_errors(response.content.decode())) == ["code"]
    assert row_counts() == before
    assert admin.get("/taipei/109/kpis/DP5.1/").status_code == 200


def test_a_valid_change_of_code_is_saved_and_the_kpi_page_follows_it(admin):
    response = revise(admin, level="kpi", action="change", code="DC1.1", new_code="DC1.9")
    assert response.status_code == 302
    assert admin.get("/taipei/109/kpis/DC1.9/").status_code == 200
    assert admin.get("/taipei/109/kpis/DC1.1/").status_code == 404
    revision = Revision.objects.get(map__year=2020, map__organization__code="taipei", action="change")
    assert revision.code == "DC1.1 → DC1.9"


# --- item 23: errors in the reader's language, under the field to fix ---------------------------


def test_an_unknown_parent_is_reported_in_chinese_under_belongs_to(admin):
    response = revise(admin, level="kpi", action="add", code="DC1.9", name="新指標", parent="NOPE")
    page = response.content.decode()
    errors = field_errors(page)
    assert list(errors) == ["parent"]
    assert errors["parent"] == ["本策略地圖沒有代碼為 NOPE 的策略目標。"]
    assert "objective。" not in page


def test_an_unknown_code_is_reported_under_code_with_its_level_translated(admin):
    response = revise(admin, level="action_plan", action="delete", code="NOPE")
    assert field_errors(response.content.decode()) == {"code": ["本策略地圖沒有代碼為 NOPE 的行動計畫。"]}


def test_a_new_objectives_unknown_perspective_is_reported_under_perspective(admin):
    response = revise(admin, level="objective", action="add", code="DX1", name="新目標", parent="D", perspective="Q")
    assert list(field_errors(response.content.decode())) == ["perspective"]


def test_the_roll_over_hint_names_the_year_after_the_map(people, client):
    client.force_login(people["admin"])
    page = client.get("/taipei-doed/110/revise/").content.decode()
    assert "民國年（111）或西元年（2022）" in page
    assert 'value="111"' in page
    english = client.get("/en/taipei/2019/revise/").content.decode()
    assert "ROC (109) or AD (2020)" in english


# --- item 21: roll-over ----------------------------------------------------------------------------


def test_the_rolled_over_map_is_titled_with_its_own_year(admin):
    response = roll_over(admin, "/taipei-doed/110/revise/", "111")
    assert response.status_code == 302
    new = StrategyMap.objects.get(organization__code="taipei-doed", year=2022)
    assert new.title == "臺北市政府產業發展局111年度策略地圖"
    heading = re.search(r"<h1>(.*?)</h1>", admin.get("/taipei-doed/111/").content.decode(), re.S).group(1)
    assert "111年度策略地圖" in heading and "110" not in heading


@pytest.mark.parametrize(
    ("title", "rolled"),
    [
        ("產業局2021年度策略地圖", "產業局2022年度策略地圖"),
        ("邁向2030：產業局策略地圖", "邁向2030：產業局策略地圖"),
        ("第1100次會議通過之策略地圖", "第1100次會議通過之策略地圖"),
        ("", ""),
    ],
)
def test_the_year_in_a_title_is_rewritten_only_where_it_is_the_maps_year(admin, title, rolled):
    StrategyMap.objects.filter(organization__code="taipei-doed", year=2021).update(title=title)
    roll_over(admin, "/taipei-doed/110/revise/", "111")
    assert StrategyMap.objects.get(organization__code="taipei-doed", year=2022).title == rolled


def test_rolled_over_kpis_without_a_lineage_are_linked_to_last_years(admin):
    old = Kpi.objects.get(objective__map__organization__code="taipei-doed", objective__map__year=2021, code="BC1.1")
    assert old.lineage is None
    roll_over(admin, "/taipei-doed/110/revise/", "111")
    new = Kpi.objects.get(objective__map__organization__code="taipei-doed", objective__map__year=2022, code="BC1.1")
    old.refresh_from_db()
    assert new.lineage is not None and new.lineage == old.lineage
    assert not Kpi.objects.filter(objective__map__organization__code="taipei-doed", lineage=None).exists()
    page = admin.get("/taipei-doed/111/kpis/BC1.1/").content.decode()
    assert 'href="/taipei-doed/110/kpis/BC1.1/"' in page


@pytest.mark.parametrize("year", ["111", "110", "2022"])
def test_a_map_whose_next_year_exists_does_not_roll_over(admin, year):
    before = row_counts()
    response = roll_over(admin, REVISE, year)
    assert response.status_code == 200
    assert field_errors(response.content.decode()) == {"year": ["臺北市政府已有民國110年的策略地圖，請修訂該地圖。"]}
    assert row_counts() == before


@pytest.mark.parametrize("year", ["112", "2023", "109"])
def test_a_map_rolls_over_only_to_the_year_right_after_its_own(admin, year):
    before = row_counts()
    response = roll_over(admin, "/taipei-doed/110/revise/", year)
    assert response.status_code == 200
    (error,) = field_errors(response.content.decode())["year"]
    assert error.startswith("策略地圖只能滾動至次一年度（民國111年）")
    assert row_counts() == before


# --- item 22: a recorded change of code on the revisions page --------------------------------------


def test_a_recorded_change_of_kpi_code_shows_as_a_change_not_a_deletion_and_an_addition(admin):
    roll_over(admin, "/taipei-doed/110/revise/", "111")
    response = revise(admin, "/taipei-doed/111/revise/", level="kpi", action="change", code="BC1.1", new_code="BC1.9")
    assert response.status_code == 302
    page = admin.get("/taipei-doed/111/revisions/?theme=").content.decode()
    items = diff_items(page)
    assert [a for a, text in items if "BC1.1" in text or "BC1.9" in text] == ["change"]
    assert not any(a in ("add", "delete") for a, _text in items)
    published = re.search(r'<table class="changes">.*?</table>', page, re.S).group(0)
    assert "BC1.1 → BC1.9" in published
    name = Kpi.objects.get(
        objective__map__year=2022, objective__map__organization__code="taipei-doed", code="BC1.9"
    ).name
    assert f"“{name}” → “{name}”" not in published


def test_a_recorded_change_of_objective_code_shows_as_a_change(admin):
    assert Objective.objects.filter(map__year=2020, map__organization__code="taipei", code="DC3").exists()
    revise(admin, level="objective", action="change", code="DC3", new_code="DC9")
    revise(admin, level="objective", action="change", code="DC9", new_code="DC8")  # a chain of renumberings
    items = diff_items(admin.get("/taipei/109/revisions/?theme=D").content.decode())
    objective_items = [(a, t) for a, t in items if re.search(r"\bDC[389](?![.\w])", t)]
    assert [a for a, _t in objective_items] == ["change"]
    assert "DC3" in objective_items[0][1] and "DC8" in objective_items[0][1]


def test_kpi_pages_answer_404_not_500_when_a_code_names_two_kpis_of_a_map(admin):
    # Written past the services (as an old database or a hand edit might hold it).
    objective = Objective.objects.get(map__organization__code="taipei", map__year=2020, code="DC1")
    Kpi.objects.create(objective=objective, code="DP5.1", name="重複代碼", order=99)
    assert admin.get("/taipei/109/kpis/DP5.1/").status_code == 404
    assert admin.get("/taipei/109/kpis/DP5.1/result/").status_code == 404
    assert admin.get("/taipei/109/scorecard/").status_code == 200
