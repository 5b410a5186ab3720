"""What a new user meets on the pages and in the admin (issue 10, items 26, 27, 28, 30 and 32)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from pptx.chart.chart import Chart

from stratmap.access import SYSTEM
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.selectors import YearPoint
from stratmap.reports.deck import build_deck
from stratmap.reports.pdf import history_svg
from stratmap.strategy.models import Objective, ObjectiveLink, StrategyMap

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(user)
    return client


def dd_after(page: str, label: str) -> str:
    """The text of the <dd> that follows the <dt> ``label`` on a KPI page."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", page, re.S)
    assert match, label
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


# --- item 26: a met KPI's narratives and its total -------------------------------------------------


@pytest.fixture
def met_dp51_109(demo):
    """DP5.1 in 109: 5.2 against a target of at most 5.75 (110.6 %), with narratives, published."""
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code="DP5.1")
    return KpiResult.objects.create(
        kpi=kpi,
        year=2020,
        actual=Decimal("5.2"),
        innovation=90,
        challenge=95,
        contribution=95,
        situation_analysis="本年職災死亡率下降。",
        countermeasures="持續加強勞動檢查。",
        status=KpiResult.Status.PUBLISHED,
    )


def test_a_met_kpi_shows_its_narratives_under_their_own_headings_not_as_a_missed_target(met_dp51_109, staff):
    page = staff.get("/taipei/109/kpis/DP5.1/").content.decode()
    assert "110.6%" in page and "達標" in page
    assert "未達目標值之補充說明" not in page
    assert re.search(r"<h3>狀況分析</h3><p>本年職災死亡率下降。</p>", page)
    assert re.search(r"<h3>對策說明</h3><p>持續加強勞動檢查。</p>", page)


def test_a_missed_kpi_still_explains_why_under_its_heading(demo, client):
    page = client.get("/taipei/108/kpis/DP5.1/").content.decode()
    assert "未達目標值之補充說明" in page and "臺北市勞動檢查處降災策略" in page


def test_a_computed_total_without_a_published_one_reads_cleanly(met_dp51_109, staff):
    total = dd_after(staff.get("/taipei/109/kpis/DP5.1/").content.decode(), "KPI總得分")
    assert re.fullmatch(r"\d+\.\d\d \(計算值\)", total), total


def test_a_published_and_a_computed_total_are_joined_by_one_separator(demo, client):
    total = dd_after(client.get("/taipei/108/kpis/DP5.1/").content.decode(), "KPI總得分")
    assert re.fullmatch(r"91 \(公布值\) · 91\.28 \(計算值\)", total), total


# --- item 27: charts measure from zero ---------------------------------------------------------


def test_the_pdf_history_chart_starts_its_axis_at_zero():
    svg = history_svg(
        [YearPoint(2019, "DC3.2", Decimal(95), Decimal(95)), YearPoint(2020, "DC3.2", Decimal(95), Decimal(94))]
    )
    ticks = [float(t) for t in re.findall(r'text-anchor="end">([-0-9.]+)</text>', svg)]
    assert min(ticks) == 0 and max(ticks) >= 95


def test_the_decks_line_charts_start_their_axis_at_zero(demo):
    deck = build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant")
    charts: list[tuple[str, Chart]] = [
        (slide.name, shape.chart) for slide in deck.slides for shape in slide.shapes if shape.has_chart
    ]
    assert any("DC3.2" in name for name, _chart in charts)
    for name, chart in charts:
        values = [v for plot in chart.plots for series in plot.series for v in series.values if v is not None]
        if min(values) >= 0:
            assert chart.value_axis.minimum_scale == 0, name


# --- item 28: the theme view draws the links between its objectives ------------------------------


def link(smap: StrategyMap, source: str, target: str) -> ObjectiveLink:
    objectives = {o.code: o for o in smap.objectives.all()}
    return ObjectiveLink.objects.create(map=smap, source=objectives[source], target=objectives[target])


def test_the_theme_view_draws_the_cause_and_effect_links_between_its_objectives(demo, client):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    link(smap, "DL1", "DP5")
    link(smap, "DP5", "DC3")
    link(smap, "DP1", "AC1")  # to another theme's objective: not on theme D's page
    page = client.get("/taipei/108/themes/D/").content.decode()
    drawn = set(re.findall(r'<path class="link" data-from="(\w+)" data-to="(\w+)"', page))
    assert drawn == {("DL1", "DP5"), ("DP5", "DC3")}
    assert "策略目標因果關係圖" in page
    # The same links on the city map, drawn by the same engine.
    assert ("DL1", "DP5") in set(
        re.findall(r'data-from="(\w+)" data-to="(\w+)"', client.get("/taipei/108/").content.decode())
    )


def test_a_theme_without_links_shows_no_empty_diagram(demo, client):
    page = client.get("/taipei/108/themes/D/").content.decode()
    assert 'class="link"' not in page and "策略目標因果關係圖" not in page


# --- item 30: English where it exists ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/en/taipei/2019/", "/en/taipei/2019/scorecard/", "/en/taipei/2019/kpis/DP5.1/", "/en/taipei/2019/themes/D/"],
)
def test_english_pages_name_the_organization_in_english(demo, client, path):
    page = client.get(path).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', page, re.S).group(1)
    assert "Taipei City Government 2019" in title and "Taipei City Government 2019" in crumbs
    assert "臺北市政府" not in title and "臺北市政府" not in crumbs


def test_the_english_scorecard_names_perspectives_in_english_as_the_map_does(demo, client):
    page = client.get("/en/taipei/2019/scorecard/?theme=D").content.decode()
    assert "<td>Customer</td>" in page and "<td>顧客</td>" not in page
    assert ">Customer<" in client.get("/en/taipei/2019/").content.decode()
    chinese = client.get("/taipei/108/scorecard/?theme=D").content.decode()
    assert "<td>顧客</td>" in chinese and "臺北市政府 民國108年" in chinese


def test_an_english_kpi_page_names_its_agency_in_english(demo, client):
    assert "Department of Labor" in dd_after(
        client.get("/en/taipei/2019/kpis/DP5.1/").content.decode(), "responsible agencies"
    )


# --- item 32: the admin -------------------------------------------------------------------------


def test_the_maps_publish_box_says_published_not_published_value(demo, staff):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    page = staff.get(f"/admin/strategy/strategymap/{smap.pk}/change/").content.decode()
    label = re.search(r'<label[^>]*for="id_published"[^>]*>(.*?)</label>', page, re.S).group(1)
    assert "已公布" in label and "公布值" not in label
    changelist = staff.get("/admin/strategy/strategymap/").content.decode()
    assert "已公布" in changelist and "公布值" not in changelist


def map_form(staff_user, smap: StrategyMap, **changes):
    """The admin's form of ``smap``, filled in as the change page shows it, with ``changes``."""
    model_admin = admin.site.get_model_admin(StrategyMap)
    request = RequestFactory().get("/")
    request.user = staff_user
    form_class = model_admin.get_form(request, smap, change=True)
    shown = form_class(instance=smap)
    data = {name: shown[name].value() for name in shown.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data.update(changes)
    return form_class(data=data, instance=smap), shown


def test_the_maps_core_values_and_steps_are_edited_one_per_line(demo):
    user = get_user_model().objects.create_superuser("root2", "r@example.org", "pw-for-tests-only")
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2021)
    form, shown = map_form(user, smap, values="  正直誠信\n團隊合作\n\n創新卓越 ", change_reason="整理核心價值")
    assert shown["values"].value() == "\n".join(smap.values) and "[" not in shown["values"].value()
    steps_text = shown["construction_steps"].value()
    assert steps_text.splitlines()[:3] == [
        "1 研訂產業局產業政策主軸",
        "    1. 臺北城市產業發展策略規劃",
        "    2. 環境分析",
    ]
    assert form.is_valid(), form.errors
    form.save()
    smap.refresh_from_db()
    assert smap.values == ["正直誠信", "團隊合作", "創新卓越"]
    # The steps come back as they were: the lines are the same list.
    assert smap.construction_steps[0]["items"][:2] == ["1. 臺北城市產業發展策略規劃", "2. 環境分析"]
    assert [s["step"] for s in smap.construction_steps] == [1, 2, 3, 4, 5]


def test_a_construction_step_line_without_its_number_is_refused_with_the_line(demo):
    user = get_user_model().objects.create_superuser("root2", "r@example.org", "pw-for-tests-only")
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2021)
    form, _shown = map_form(user, smap, construction_steps="1 環境分析\n    機會\n導入TOWS分析")
    assert not form.is_valid()
    assert "第 3 行" in form.errors["construction_steps"][0]


def test_the_objective_picker_names_the_organization_and_year(demo, staff):
    response = staff.get(
        "/admin/autocomplete/", {"app_label": "kpis", "model_name": "kpi", "field_name": "objective", "term": "DL1"}
    )
    texts = [r["text"] for r in response.json()["results"]]
    assert len(texts) == Objective.objects.filter(code="DL1").count() > 1
    assert len(set(texts)) == len(texts)
    assert "臺北市政府 民國108年 DL1 培育優秀人力" in texts


def test_favicon_ico_leads_to_the_icon(demo, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200
    assert 'rel="icon"' in client.get("/").content.decode()
