"""The admin works for every model, in Traditional Chinese (default) and English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse as django_reverse
from django.utils import translation

from stratmap.strategy.models import StrategyMap

pytestmark = pytest.mark.django_db


def reverse(name: str, args=(), language: str = "zh-hant") -> str:
    """The URL in one language: /admin/… for Chinese (the default), /en/admin/… for English."""
    with translation.override(language):
        return django_reverse(name, args=args)


OURS = [m for m in apps.get_models() if m._meta.app_label in {"core", "strategy", "kpis", "plans"}]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_every_model_of_ours_is_in_the_admin():
    assert len(OURS) > 10
    assert [m._meta.label for m in OURS if not admin.site.is_registered(m)] == []


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize("model", OURS, ids=lambda m: m._meta.model_name)
def test_each_list_and_add_page_opens_in_both_languages(demo, staff, language, model):
    opts = model._meta
    views = ["changelist", "add"]
    if model._meta.label == "core.AuditEvent":
        views = ["changelist"]  # the trail is read only: nobody adds to it by hand
    if model._meta.label == "plans.TaskProgress":
        views = ["changelist"]  # read only: progress is recorded on the plan's page, through the service
    if model._meta.label == "kpis.LightLevel":
        views = ["changelist"]  # read only: a level is changed on its light set's page, checked as one set
    for view in views:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", language=language)
        assert staff.get(url).status_code == 200, url


def test_each_map_change_page_opens(demo, staff):
    for smap in StrategyMap.objects.all():
        assert staff.get(reverse("admin:strategy_strategymap_change", args=[smap.pk])).status_code == 200


def test_the_admin_speaks_chinese_by_default_and_english_on_request(demo, staff):
    chinese = staff.get(reverse("admin:index")).content.decode()
    assert "策略地圖" in chinese and "關鍵績效指標" in chinese
    english = staff.get(reverse("admin:index", language="en")).content.decode()
    assert reverse("admin:index", language="en").startswith("/en/")
    assert "Strategy maps" in english


def test_years_show_as_roc_years_in_chinese_and_ad_years_in_english(demo, staff):
    url = "admin:strategy_strategymap_changelist"
    assert "民國108年" in staff.get(reverse(url)).content.decode()
    english = staff.get(reverse(url, language="en")).content.decode()
    assert "民國108年" not in english and "2019" in english


def test_an_outsider_is_sent_to_the_login_page(demo, client):
    response = client.get(reverse("admin:kpis_kpi_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_each_result_shows_its_computed_rate_score_light_and_flag(demo, staff):
    from stratmap.kpis.models import KpiResult

    page = staff.get(reverse("admin:kpis_kpiresult_changelist")).content.decode()
    assert "85.1" in page and "●" in page and "？" in page
    dp51 = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    change = staff.get(reverse("admin:kpis_kpiresult_change", args=[dp51.pk])).content.decode()
    assert "85.1" in change and "91.28" in change and "良" in change


def test_the_result_list_runs_the_same_queries_for_more_results(demo, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stratmap.kpis.models import KpiResult

    url = reverse("admin:kpis_kpiresult_changelist")
    with CaptureQueriesContext(connection) as few:  # a few of the council's, rated by its named policy
        staff.get(url + "?q=H1.1")
    with CaptureQueriesContext(connection) as many:
        staff.get(url)
    assert KpiResult.objects.count() > 10
    assert len(many) == len(few)


def test_a_bad_policy_is_refused_by_the_admin_form(demo, staff):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    data = {
        "map": smap.pk, "achievement_weight": "0.5", "innovation_weight": "0.25", "challenge_weight": "0.30",
        "contribution_weight": "0.20", "achievement_cap": "100", "excellent": "92.5", "good": "84.5",
        "fair": "74.5", "flag_tolerance": "0.5", "change_reason": "新的計分規則",
    }  # fmt: skip
    response = staff.post(reverse("admin:kpis_scoringpolicy_add"), data)
    assert response.status_code == 200
    assert "合計須為1（目前合計1.25）" in response.content.decode()  # the engine's objection, in the reader's language
    from stratmap.kpis.models import ScoringPolicy

    assert not ScoringPolicy.objects.filter(map=smap).exists()


def test_a_result_edited_in_the_admin_is_audited_and_bumps_its_version(demo, staff):
    from stratmap.core.models import AuditEvent
    from stratmap.kpis.models import KpiResult

    result = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    # A published result is locked in the admin too: reopened (here, by hand) it can be changed.
    KpiResult.objects.filter(pk=result.pk).update(status=KpiResult.Status.RETURNED)
    url = reverse("admin:kpis_kpiresult_change", args=[result.pk])
    form = staff.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(actual="7.10", kpi=result.kpi_id, year="2019")
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    result.refresh_from_db()
    assert result.actual == Decimal("7.10") and result.version == 2
    assert AuditEvent.objects.filter(kpi=result.kpi, field="actual", old="7.05", new="7.1").exists()
