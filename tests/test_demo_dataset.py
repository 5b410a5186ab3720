"""The Taipei demo dataset holds what a reader can count in the two documents."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import Objective, RevisionCount, StrategyMap, Theme
from tests.conftest import row_counts

pytestmark = pytest.mark.django_db


def theme_d(year: int):
    return Objective.objects.filter(map__organization__code="taipei", map__year=year, theme__code="D")


def test_the_city_maps_of_108_109_and_110_have_eight_themes(demo):
    for year in (2019, 2020, 2021):
        themes = Theme.objects.filter(map__organization__code="taipei", map__year=year)
        assert list(themes.values_list("code", flat=True)) == list("ABCDEFGH")
        assert StrategyMap.objects.get(organization__code="taipei", year=year).mission == "為市民服務，替城市創新"


def test_the_city_row_across_themes_holds_tc1_to_tc4(demo):
    codes = Objective.objects.filter(map__organization__code="taipei", map__year=2019, theme=None)
    assert sorted(codes.values_list("code", flat=True)) == ["TC1", "TC2", "TC3", "TC4"]


def test_the_108_map_keeps_both_objectives_printed_cc1(demo):
    printed = Objective.objects.filter(map__organization__code="taipei", map__year=2019, theme__code="C")
    cc1 = [o for o in printed if (o.printed_code or o.code) == "CC1"]
    assert {o.name for o in cc1} == {"鼓勵參與多元藝文活動", "成為亞洲必遊城市"}


def test_theme_d_108_has_3_customer_and_5_internal_process_objectives_with_18_kpis(demo):
    per_perspective = Counter(theme_d(2019).values_list("perspective__code", flat=True))
    assert per_perspective["C"] == 3
    assert per_perspective["P"] == 5
    kpis = Kpi.objects.filter(objective__in=theme_d(2019), objective__perspective__code__in=["C", "P"])
    assert kpis.count() == 18


def test_the_108_results_are_as_published(demo):
    result = {r.kpi.code: r for r in KpiResult.objects.filter(kpi__objective__in=theme_d(2019), year=2019)}
    assert result["DC1.1"].actual == Decimal("3.6")
    assert result["DC1.1"].rate_reported == Decimal("105.6")
    assert result["DP5.1"].actual == Decimal("7.05")
    assert result["DP5.1"].rate_reported == Decimal("85.1")
    assert result["DP5.1"].light_reported == "good"
    assert result["DP5.1"].situation_analysis and result["DP5.1"].countermeasures
    assert result["DP3.2"].score_reported == Decimal("88.88")
    assert result["DP4.2"].score_reported == Decimal("87.5")
    assert (result["DP3.2"].innovation, result["DP3.2"].challenge, result["DP3.2"].contribution) == (80, 85, 85)
    assert result["DP5.2"].light_reported == "excellent"


def test_the_two_unknowns_of_108_have_no_actual_and_keep_their_reason(demo):
    unknown = KpiResult.objects.filter(kpi__objective__in=theme_d(2019), year=2019, actual=None)
    unknown = unknown.filter(kpi__objective__perspective__code__in=["C", "P"])
    assert sorted(unknown.values_list("kpi__code", flat=True)) == ["DP3.3", "DP4.1"]
    reasons = dict(unknown.values_list("kpi__code", "unknown_reason"))
    assert "兩年一次" in reasons["DP3.3"]
    assert "勞保局" in reasons["DP4.1"]
    assert set(unknown.values_list("light_reported", flat=True)) == {"unknown"}


def test_the_mice_kpi_is_followed_across_its_change_of_code(demo):
    kpi108 = Kpi.objects.get(objective__in=theme_d(2019), code="DP3.4")
    kpi109 = Kpi.objects.get(objective__in=theme_d(2020), code="DP3.3")
    assert kpi108.lineage_id is not None
    assert kpi108.lineage_id == kpi109.lineage_id
    assert "MICE" in kpi109.name


def test_the_109_kpis_have_targets_for_109_110_and_111(demo):
    kpis = Kpi.objects.filter(objective__in=theme_d(2020), objective__perspective__code__in=["C", "P"])
    assert kpis.count() == 18
    for kpi in kpis:
        assert sorted(kpi.targets.values_list("year", flat=True)) == [2020, 2021, 2022], kpi.code
    dp51 = KpiTarget.objects.filter(kpi__in=kpis, kpi__code="DP5.1").order_by("year")
    assert list(dp51.values_list("value", flat=True)) == [Decimal("5.75"), Decimal("5.75"), Decimal("5.5")]


def test_the_109_revision_table_totals_11_to_10_objectives_21_to_20_kpis_27_to_25_plans(demo):
    total = RevisionCount.objects.get(map__organization__code="taipei", map__year=2020, perspective="total")
    assert (total.objectives_before, total.objectives_after) == (11, 10)
    assert (total.kpis_before, total.kpis_after) == (21, 20)
    assert (total.action_plans_before, total.action_plans_after) == (27, 25)


def test_theme_d_109_has_10_objectives_20_kpis_and_25_action_plans_each_with_an_agency(demo):
    assert theme_d(2020).count() == 10
    assert Kpi.objects.filter(objective__in=theme_d(2020)).count() == 20
    plans = ActionPlan.objects.filter(kpi__objective__in=theme_d(2020))
    assert plans.count() == 25
    assert not plans.filter(agencies=None).exists()


def test_the_109_changes_are_listed_with_their_reasons(demo):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020)
    deleted = smap.revisions.filter(action="delete", level="kpi")
    assert sorted(deleted.values_list("code", flat=True)) == ["DF2.1", "DP3.3"]
    assert all(deleted.values_list("reason", flat=True))


def test_the_bureau_110_map_has_5_themes_taking_over_city_objectives(demo):
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2021)
    assert dict(smap.themes.values_list("code", "takes_over")) == {
        "A": "DP1",
        "B": "DP2",
        "C": "DP3",
        "D": "AC2",
        "E": "BP2",
    }
    assert smap.in_force and "新冠肺炎" in smap.version_label
    assert smap.thrusts.count() == 5
    assert smap.tows_entries.filter(kind="s").count() == 5
    assert smap.tows_entries.filter(kind="so").count() == 6


def test_bureau_kpis_keep_their_city_citation_and_tags(demo):
    kpi = Kpi.objects.get(objective__map__organization__code="taipei-doed", code="AC3.1")
    assert kpi.cites == "DC3.2"
    tagged = Kpi.objects.get(objective__map__organization__code="taipei-doed", code="BC3.1")
    assert list(tagged.tags.values_list("name", flat=True)) == ["非營業基金考核指標"]
    odd = Kpi.objects.get(objective__map__organization__code="taipei-doed", code="DP4.1")
    assert odd.printed_code == "DP4."


def test_theme_group_d_is_led_by_the_department_of_economic_development(demo):
    theme = Theme.objects.get(map__organization__code="taipei", map__year=2020, code="D")
    assert theme.group.lead.code == "taipei-doed"
    assert set(theme.group.members.values_list("code", flat=True)) == {"taipei-dol", "taipei-doit"}


def test_loading_the_demo_twice_does_not_duplicate_anything(demo):
    from stratmap.exchange.loader import DEMO_DATA, load_paths

    once = row_counts()
    load_paths([DEMO_DATA])
    assert row_counts() == once
