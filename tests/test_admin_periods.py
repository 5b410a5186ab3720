"""Periods and years in the administration (issue 12, items 4 and 5): a KPI's targets and results of a
quarter or a month are listed, offered, checked and audited there as on the pages, and every year input
shows and reads the year as its organization names it (the council's 2024/25, Taipei's 民國108年)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from stratmap.core.models import AuditEvent, Organization
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import form_data

pytestmark = pytest.mark.django_db


def url(name: str, *args, language: str = "zh-hant") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def council_kpi(code: str, year: int = 2024) -> Kpi:
    return Kpi.objects.get(code=code, objective__map__organization__code="ashcombe", objective__map__year=year)


def taipei_kpi(code: str = "DP5.1", year: int = 2019) -> Kpi:
    return Kpi.objects.get(code=code, objective__map__organization__code="taipei", objective__map__year=year)


def staff(client, user):
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def council_admin(client, council_people):
    """The council's administrator (Ashcombe's, no more), at the administration."""
    return staff(client, council_people["council-admin"])


@pytest.fixture
def city_admin(people):
    """Taipei's administrator, at the administration (a client of its own)."""
    return staff(Client(), people["admin"])


def options(page: str, name: str) -> list[tuple[str, str]]:
    """The (value, text) of each option of the select ``name``, as the page renders them."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, f"no select {name}"
    found = re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select[1])
    return [(value, html.unescape(text).strip()) for value, text in found]


def input_value(page: str, name: str) -> str:
    found = re.search(rf'<input type="text" name="{re.escape(name)}" value="([^"]*)"', page)
    assert found is not None, f"no text input {name}"
    return html.unescape(found[1])


def column(page: str, name: str) -> list[str]:
    """The cells of a change list's column, top to bottom."""
    cells = re.findall(rf'<td class="field-{name}[^"]*">(.*?)</td>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def errors(response, field: str | None = None) -> list[str]:
    form = response.context["adminform"].form
    return form.non_field_errors() if field is None else form.errors.get(field, [])


def target_add(client, kpi: Kpi, year: str, period: str, value: str = "50", language: str = "en"):
    data = {"kpi": kpi.pk, "year": year, "period": period, "value": value, "upper": "", "printed": "", "note": ""}
    return client.post(url("admin:kpis_kpitarget_add", language=language), {**data, "change_reason": "quarterly plan"})


def unlocked(kpi: Kpi) -> None:
    """The KPI's results reopened (the demo's are published, which locks them in the administration too)."""
    KpiResult.objects.filter(kpi=kpi).update(status=KpiResult.Status.RETURNED)


# --- item 4: periods in the lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "quarter", "month", "year"),
    [("en", "2024/25 Q2", "Apr 2024", "the whole year"), ("zh-hant", "2024/25年第2季", "2024年4月", "全年")],
)
def test_the_result_list_names_each_period_as_the_council_reads_it(council_admin, language, quarter, month, year):
    page = council_admin.get(url("admin:kpis_kpiresult_changelist", language=language), {"q": "H"}).content.decode()
    periods = column(page, "period_shown")
    assert quarter in periods and month in periods and year in periods
    assert "Q2" not in periods and "M04" not in periods  # not the stored codes


def test_the_target_list_names_each_period_and_filters_by_kind(council_admin):
    changelist = url("admin:kpis_kpitarget_changelist", language="en")
    page = council_admin.get(changelist, {"q": "H1.1"}).content.decode()
    # The 2024 map's H1.1 (the year's target, then its quarters), then the 2023 map's.
    assert column(page, "period_shown") == ["the whole year", *(f"2024/25 Q{n}" for n in range(1, 5)), "the whole year"]
    assert "quarters" in page and "months" in page  # the filter's choices
    quarters = council_admin.get(changelist, {"period_kind": "quarter"})
    assert {row.period[:1] for row in quarters.context["cl"].result_list} == {"Q"}
    years = council_admin.get(changelist, {"period_kind": "year"})
    assert {row.period for row in years.context["cl"].result_list} == {""}


def test_the_kpi_page_lists_its_results_with_their_periods(council_admin):
    page = council_admin.get(url("admin:kpis_kpi_change", council_kpi("H2.1").pk, language="en")).content.decode()
    shown = column(page, "period_shown")
    # The council's months in its year's order, April 2024 to March 2025.
    assert shown[:2] == ["Apr 2024", "May 2024"] and shown[-1] == "Mar 2025" and len(shown) == 12


# --- item 4: the forms offer the KPI's own periods --------------------------------------------------------


def test_a_quarterly_kpis_target_form_offers_the_year_and_its_quarters_only(council_admin):
    target = KpiTarget.objects.get(kpi=council_kpi("H1.1"), year=2024, period="Q2")
    page = council_admin.get(url("admin:kpis_kpitarget_change", target.pk, language="en")).content.decode()
    assert options(page, "period") == [("", "the whole year"), ("Q1", "Q1"), ("Q2", "Q2"), ("Q3", "Q3"), ("Q4", "Q4")]
    assert 'value="Q2" selected' in page
    chinese = council_admin.get(url("admin:kpis_kpitarget_change", target.pk)).content.decode()
    assert [text for _value, text in options(chinese, "period")] == ["全年", "第1季", "第2季", "第3季", "第4季"]


def test_a_monthly_kpis_rows_on_its_page_offer_its_months_in_the_councils_year(council_admin):
    page = council_admin.get(url("admin:kpis_kpi_change", council_kpi("H2.1").pk, language="en")).content.decode()
    offered = options(page, "targets-0-period")
    assert offered[0] == ("", "the whole year")
    assert offered[1:] == [(f"M{m:02d}", name) for m, name in [
        (4, "Apr"), (5, "May"), (6, "Jun"), (7, "Jul"), (8, "Aug"), (9, "Sep"), (10, "Oct"), (11, "Nov"), (12, "Dec"),
        (1, "Jan"), (2, "Feb"), (3, "Mar")]]  # fmt: skip


def test_a_yearly_kpi_offers_the_whole_year_only(council_admin):
    page = council_admin.get(url("admin:kpis_kpi_change", council_kpi("H1.2").pk, language="en")).content.decode()
    assert options(page, "targets-0-period") == [("", "the whole year")]


# --- item 4: what the forms write -------------------------------------------------------------------------


def test_a_quarters_target_added_on_the_kpis_page_is_stored_and_audited_with_its_period(council_admin):
    h11 = council_kpi("H1.1")
    smap = h11.objective.map
    page = url("admin:kpis_kpi_change", h11.pk, language="en")
    data = form_data(council_admin.get(page))
    row = int(data["targets-TOTAL_FORMS"])
    data.update({
        "targets-TOTAL_FORMS": str(row + 1), f"targets-{row}-year": "2025/26", f"targets-{row}-period": "Q1",
        f"targets-{row}-value": "55", "change_reason": "next year's first quarter",
    })  # fmt: skip
    response = council_admin.post(page, data)
    assert response.status_code == 302, response.context and response.context["inline_admin_formsets"][0].formset.errors
    target = KpiTarget.objects.get(kpi=h11, year=2025, period="Q1")
    assert target.value == Decimal(55)
    event = AuditEvent.objects.get(object_type="kpis.kpitarget", object_id=target.pk, field="period")
    assert (event.action, event.new, event.kpi_id) == ("admin-create", "Q1", h11.pk)
    assert event.reason == "next year's first quarter"
    smap.refresh_from_db()
    assert smap.version == 2


def test_a_result_added_in_the_administration_keeps_its_period_and_is_audited_with_it(council_admin):
    h11 = council_kpi("H1.1")
    KpiResult.objects.filter(kpi=h11, year=2024, period="Q3").delete()
    data = {"kpi": h11.pk, "year": "2024/25", "period": "Q3", "actual": "52", "unknown_kind": "", "seen_version": "0"}
    response = council_admin.post(url("admin:kpis_kpiresult_add", language="en"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    result = KpiResult.objects.get(kpi=h11, year=2024, period="Q3")
    assert result.actual == Decimal(52)
    assert not KpiResult.objects.filter(kpi=h11, year=2024, period="").exists()  # not the year's
    events = AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id=result.pk, action="create")
    assert {(e.field, e.new) for e in events} >= {("period", "Q3"), ("actual", "52")}
    assert all(e.kpi_id == h11.pk for e in events)


def test_a_periods_result_changed_in_the_administration_changes_that_period_only(council_admin):
    h11 = council_kpi("H1.1")
    unlocked(h11)
    q2 = KpiResult.objects.get(kpi=h11, year=2024, period="Q2")
    page = url("admin:kpis_kpiresult_change", q2.pk, language="en")
    shown = council_admin.get(page)
    assert "2024/25 Q2" in shown.content.decode()  # the period, read only, as people read it
    form = shown.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["actual"] = "56"
    assert council_admin.post(page, data).status_code == 302
    assert [(r.period, r.actual) for r in KpiResult.objects.filter(kpi=h11, year=2024, actual=56)] == [("Q2", 56)]
    assert KpiResult.objects.filter(kpi=h11, year=2024).count() == 4
    assert AuditEvent.objects.filter(object_id=q2.pk, object_type="kpis.kpiresult", field="actual", new="56").exists()


def test_a_periods_result_deleted_in_the_administration_is_that_period_only(council_admin):
    h11 = council_kpi("H1.1")
    unlocked(h11)
    q4 = KpiResult.objects.get(kpi=h11, year=2024, period="Q4")
    response = council_admin.post(url("admin:kpis_kpiresult_delete", q4.pk), {"post": "yes"})
    assert response.status_code == 302
    assert sorted(KpiResult.objects.filter(kpi=h11, year=2024).values_list("period", flat=True)) == ["Q1", "Q2", "Q3"]
    deleted = AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id=q4.pk, action="delete")
    assert {(e.field, e.old) for e in deleted} >= {("actual", "59")}
    assert {e.object_repr for e in deleted} == {"H1.1 2024/25 Q4"}  # the council's year (not 民國113年), in Chinese too


# --- item 4: refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "period", "message"),
    [
        ("H1.2", "Q2", "Q2 is not a period of H1.2; expected the whole year only (the KPI is reported yearly)"),
        ("H1.1", "M05", "M05 is not a period of H1.1; expected Q1, Q2, Q3, Q4"),
        (
            "H2.1",
            "Q1",
            "Q1 is not a period of H2.1; expected M04, M05, M06, M07, M08, M09, M10, M11, M12, M01, M02, M03",
        ),
    ],
)
def test_a_period_the_kpi_does_not_have_is_refused_on_its_field(council_admin, code, period, message):
    before = row_counts()
    response = target_add(council_admin, council_kpi(code), "2024/25", period)
    assert response.status_code == 200
    assert message in errors(response, "period")
    assert row_counts() == before


def test_a_period_the_kpi_does_not_have_is_refused_in_chinese_too(council_admin):
    response = target_add(council_admin, council_kpi("H1.1"), "2024/25", "M05", language="zh-hant")
    assert errors(response, "period") == ["M05不是H1.1的填報期間；應為Q1, Q2, Q3, Q4"]


def test_a_second_target_of_the_same_period_is_refused_as_one_that_exists(council_admin):
    before = row_counts()
    response = target_add(council_admin, council_kpi("H1.1"), "2024/25", "Q2")
    assert response.status_code == 200
    assert errors(response, "period") == ["H1.1 already has a KPI target for 2024/25 Q2; change that one instead."]
    assert row_counts() == before


def test_a_second_target_of_the_same_period_on_the_kpis_page_is_refused_as_one_that_exists(council_admin):
    h11 = council_kpi("H1.1")
    page = url("admin:kpis_kpi_change", h11.pk)
    data = form_data(council_admin.get(page))
    row = int(data["targets-TOTAL_FORMS"])
    data.update({
        "targets-TOTAL_FORMS": str(row + 1), f"targets-{row}-year": "2024", f"targets-{row}-period": "Q3",
        f"targets-{row}-value": "70", "change_reason": "又一個第3季",
    })  # fmt: skip
    before = row_counts()
    response = council_admin.post(page, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[row].errors["period"] == ["H1.1已有2024/25年第3季的KPI 目標值，請改為修改該筆資料。"]
    assert row_counts() == before


def test_a_second_result_of_the_same_period_is_refused_as_one_that_exists(council_admin):
    h11 = council_kpi("H1.1")
    data = {"kpi": h11.pk, "year": "2024", "period": "Q1", "actual": "50", "unknown_kind": "", "seen_version": "0"}
    before = row_counts()
    response = council_admin.post(url("admin:kpis_kpiresult_add", language="en"), data)
    assert response.status_code == 200
    assert errors(response, "period") == ["H1.1 already has a KPI result for 2024/25 Q1; change that one instead."]
    assert errors(response) == []  # not taken for someone else's change
    assert row_counts() == before


def test_a_result_of_a_period_the_kpi_does_not_have_is_refused(council_admin):
    h12 = council_kpi("H1.2")
    data = {"kpi": h12.pk, "year": "2024", "period": "Q1", "actual": "12", "unknown_kind": "", "seen_version": "0"}
    before = row_counts()
    response = council_admin.post(url("admin:kpis_kpiresult_add", language="en"), data)
    assert response.status_code == 200
    assert errors(response, "period")[0].startswith("Q1 is not a period of H1.2")
    assert row_counts() == before


def test_a_kpi_made_yearly_while_it_has_quarterly_targets_is_refused(council_admin):
    h11 = council_kpi("H1.1")
    page = url("admin:kpis_kpi_change", h11.pk, language="en")
    data = {**form_data(council_admin.get(page)), "frequency": "yearly", "change_reason": "yearly from now on"}
    response = council_admin.post(page, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    refused = [e for form in formset.forms for e in form.errors.get("period", [])]
    assert refused and refused[0].startswith("Q1 is not a period of H1.1; expected the whole year only")
    h11.refresh_from_db()
    assert h11.frequency == "quarterly"


# --- item 5: years in the organization's format -----------------------------------------------------------


def test_the_councils_years_show_as_it_names_them(council_admin):
    council_map = StrategyMap.objects.get(organization__code="ashcombe", year=2024)
    page = council_admin.get(url("admin:strategy_strategymap_change", council_map.pk)).content.decode()
    assert input_value(page, "year") == "2024/25"
    target = KpiTarget.objects.get(kpi=council_kpi("H1.1"), year=2024, period="Q2")
    page = council_admin.get(url("admin:kpis_kpitarget_change", target.pk, language="en")).content.decode()
    assert input_value(page, "year") == "2024/25"
    assert "A year as the organization names it (2024/25) or the AD year it starts in (2024)." in page
    page = council_admin.get(url("admin:kpis_kpi_change", council_kpi("H1.1").pk)).content.decode()
    assert input_value(page, "targets-0-year") == "2024/25"


def test_taipeis_years_stay_roc_years(city_admin):
    city = StrategyMap.objects.get(organization__code="taipei", year=2019)
    page = city_admin.get(url("admin:strategy_strategymap_change", city.pk)).content.decode()
    assert input_value(page, "year") == "民國108年"
    assert "可輸入民國年（108）或西元年（2019）。" in page
    english = city_admin.get(url("admin:strategy_strategymap_change", city.pk, language="en")).content.decode()
    assert input_value(english, "year") == "2019"
    page = city_admin.get(url("admin:kpis_kpi_change", taipei_kpi().pk)).content.decode()
    assert input_value(page, "targets-0-year") == "民國108年"


@pytest.mark.parametrize("typed", ["2025/26", "2025/2026", "2025", "114", "FY2026"])
def test_a_councils_year_is_read_as_the_council_names_it(council_admin, typed):
    response = target_add(council_admin, council_kpi("H1.1"), typed, "Q1")
    assert response.status_code == 302, errors(response, "year")
    assert KpiTarget.objects.filter(kpi=council_kpi("H1.1"), year=2025, period="Q1").exists()


def test_a_councils_year_changed_on_its_target_is_read_as_the_council_names_it(council_admin):
    target = KpiTarget.objects.get(kpi=council_kpi("H1.1"), year=2024, period="Q2")
    page = url("admin:kpis_kpitarget_change", target.pk, language="en")
    data = {**form_data(council_admin.get(page)), "year": "2026/27", "change_reason": "moved to 2026/27"}
    assert council_admin.post(page, data).status_code == 302
    target.refresh_from_db()
    assert (target.year, target.period) == (2026, "Q2")
    event = AuditEvent.objects.get(object_type="kpis.kpitarget", object_id=target.pk, field="year")
    assert (event.old, event.new) == ("2024", "2026")


def test_a_year_of_another_organizations_form_is_refused_saying_what_taipei_expects(city_admin):
    before = row_counts()
    response = target_add(city_admin, taipei_kpi(), "2019/20", "", language="zh-hant")
    assert response.status_code == 200
    assert errors(response, "year") == ["請輸入年度，例如 108（民國）或 2019（西元）。"]
    assert row_counts() == before


def test_a_councils_year_that_is_none_of_its_years_is_refused_with_its_own_example(council_admin):
    response = target_add(council_admin, council_kpi("H1.1"), "2025/27", "Q1")
    assert errors(response, "year") == ["Enter a year as the organization names it, e.g. 2024/25 or 2024."]


def test_an_add_form_says_it_reads_the_year_in_the_organization_chosen(council_admin):
    page = council_admin.get(url("admin:kpis_kpitarget_add", language="en")).content.decode()
    assert "read in the organization chosen" in page
    assert options(page, "period")[:3] == [("", "the whole year"), ("H1", "H1"), ("H2", "H2")]
    response = target_add(council_admin, council_kpi("H1.1"), "next year", "Q1")
    assert errors(response, "year") == ["Enter a year as the organization names it, e.g. 2024/25 or 2024."]
    data = {"kpi": "", "year": "next year", "period": "", "value": "1", "change_reason": "no KPI chosen"}
    response = council_admin.post(url("admin:kpis_kpitarget_add", language="en"), data)
    assert errors(response, "year") == ["Enter a year, e.g. 108 (ROC), 2019 (AD), 2019/20 or FY2020."]
    assert errors(response, "kpi") == ["This field is required."]


def test_a_new_map_takes_its_year_as_its_organization_names_it(council_admin, city_admin):
    cases = [(council_admin, "ashcombe", "2025/26", 2025), (city_admin, "taipei", "115", 2026)]
    for admin_client, code, typed, stored in cases:
        data = {
            "organization": Organization.objects.get(code=code).pk, "year": typed, "in_force": "on",
            "values": "", "construction_steps": "", "weights_declared": "", "change_reason": "next year's map",
            **{f"{prefix}-{key}": value for prefix in ("scoring_policy", "perspectives", "themes")
               for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()},
        }  # fmt: skip
        response = admin_client.post(url("admin:strategy_strategymap_add"), data)
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        assert StrategyMap.objects.filter(organization__code=code, year=stored).exists()


def test_the_year_filters_name_each_year_as_its_organization_does(demo, client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    response = client.get(url("admin:strategy_strategymap_changelist"))
    filters = {str(spec.title): [str(choice["display"]) for choice in spec.choices(response.context["cl"])]
               for spec in response.context["cl"].filter_specs}  # fmt: skip
    years = filters["策略地圖年度"]
    assert "2024/25" in years and "2023/24" in years and "民國108年" in years
    assert "民國113年" not in years  # no map of Taipei's is of 2024


def test_a_new_kpis_quarterly_targets_are_read_in_its_maps_years(council_admin):
    objective = council_kpi("H1.1").objective
    page = url("admin:kpis_kpi_add", language="en")
    data = {
        **form_data(council_admin.get(page)), "objective": objective.pk, "order": "9", "code": "H1.9",
        "name": "Homes started", "frequency": "quarterly", "aggregation": "sum", "target_type": "ratio",
        "polarity": "positive", "change_reason": "a new quarterly KPI",
        "targets-TOTAL_FORMS": "2", "targets-0-year": "2024/25", "targets-0-period": "Q1", "targets-0-value": "10",
        "targets-1-year": "2024/25", "targets-1-period": "M04", "targets-1-value": "3",
    }  # fmt: skip
    response = council_admin.post(page, data)
    assert response.status_code == 200  # the month refused: a quarterly KPI
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[1].errors["period"][0].startswith("M04 is not a period of H1.9; expected Q1, Q2, Q3, Q4")
    assert not Kpi.objects.filter(code="H1.9").exists()
    data.update({"targets-TOTAL_FORMS": "1"})
    response = council_admin.post(page, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
    ]
    assert list(KpiTarget.objects.filter(kpi__code="H1.9").values_list("year", "period", "value")) == [(2024, "Q1", 10)]
