"""Entering and reviewing one result: the version check from the very first entry, numbers the
columns can hold, the administration's writes, and what the pages tell the people who use them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse

from stratmap.access import Access
from stratmap.core.models import AuditEvent
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.services import NEW, StaleEdit, kpi_result_transition
from stratmap.plans.models import ActionPlan, TaskProgress
from tests.conftest import row_counts
from tests.helpers import ENTRY, admin_url, enter, form_data

pytestmark = pytest.mark.django_db

RESULT = "/taipei/109/kpis/DP5.1/result/"
PREVIEW = RESULT + "preview/"
NAME = "職業災害死亡百萬人率"


def as_user(client, user):
    client.force_login(user)
    return client


def stored() -> KpiResult | None:
    return KpiResult.objects.filter(kpi__code="DP5.1", year=2020).first()


# --- item 1: the first entry is version-checked like any other ---------------------------------


def opened_version(client) -> str:
    """The version the entry form carries, as the browser would post it back."""
    found = re.search(r'<input type="hidden" name="version"(?: value="([^"]*)")?', client.get(RESULT).content.decode())
    return found.group(1) or ""


def test_a_second_first_entry_is_refused_with_409_listing_the_first(people, client):
    # Two editors open the form of a KPI that has no result yet, in two browsers.
    first, second = as_user(client, people["dol"]), as_user(Client(), people["admin"])
    first_version, second_version = opened_version(first), opened_version(second)
    assert first.post(RESULT, {**ENTRY, "actual": "5.0", "version": first_version}).status_code == 302
    before = row_counts()
    response = second.post(RESULT, {**ENTRY, "actual": "5.1", "version": second_version})
    assert response.status_code == 409
    page = response.content.decode()
    assert "“” → “5”" in page and "dol" in page  # what the first editor entered, and who
    assert row_counts() == before
    assert stored().actual == Decimal("5.0") and stored().version == 1
    assert AuditEvent.objects.filter(kpi__code="DP5.1", action="create", field="actual").count() == 1


def test_the_form_a_new_result_opens_with_carries_version_zero(people, client):
    page = as_user(client, people["dol"]).get(RESULT).content.decode()
    assert 'name="version" value="0"' in page


@pytest.mark.parametrize("exists", [False, True])
def test_an_entry_without_a_version_is_refused_and_saves_nothing(people, client, exists):
    if exists:
        enter(people["dol"], NEW)
    editor = as_user(client, people["dol"])
    before = row_counts()
    response = editor.post(RESULT, {**ENTRY, "actual": "5.3"})
    assert response.status_code == 200
    assert "重新載入" in response.content.decode()  # "reload the page"
    assert row_counts() == before
    assert (stored().actual if exists else stored()) == (Decimal("5.0") if exists else None)


def test_the_service_refuses_a_first_entry_when_a_result_was_created_meanwhile(people):
    enter(people["dol"], NEW, actual="5.0")
    with pytest.raises(StaleEdit) as stale:
        enter(people["admin"], NEW, actual="5.1")
    assert ("actual", "5") in [(e.field, e.new) for e in stale.value.meanwhile]
    assert stored().actual == Decimal("5.0")


def test_the_service_has_no_version_that_skips_the_check(people):
    enter(people["dol"], NEW)
    with pytest.raises(StaleEdit):
        enter(people["dol"], None, actual="5.2")  # type: ignore[arg-type]
    with pytest.raises(StaleEdit):
        kpi_result_transition(access=Access(people["dol"]), result=stored(), action="submit", version=None)
    assert stored().actual == Decimal("5.0") and stored().status == "draft"


def test_a_review_step_without_a_version_does_nothing(people, client):
    enter(people["dol"], NEW)
    editor = as_user(client, people["dol"])
    response = editor.post(RESULT + "submit/", {"text": ""}, follow=True)
    assert stored().status == "draft" and stored().version == 1
    assert "重新載入" in response.content.decode()


# --- item 17: the page of a KPI without a result -------------------------------------------------


@pytest.mark.parametrize("who", ["coord", "admin"])
def test_the_result_page_of_every_demo_kpi_without_a_result_opens(people, client, who):
    as_user(client, people[who])
    has_result = KpiResult.objects.filter(kpi=OuterRef("pk"), year=OuterRef("objective__map__year"))
    kpis = Kpi.objects.filter(~Exists(has_result)).select_related("objective__map__organization")
    opened = []
    for kpi in kpis:
        smap = kpi.objective.map
        response = client.get(reverse("web:result", args=[smap.organization.code, smap.url_year, kpi.code]))
        # Group D's coordinator reviews the city's theme-D KPIs, not those of 產業局's own map.
        refused = who == "coord" and smap.organization.code == "taipei-doed"
        assert response.status_code == (404 if refused else 200), kpi
        if response.status_code == 200:
            opened.append(f"{smap.organization.code}/{kpi.code}")
    assert "taipei/DL1.1" in opened  # /taipei/109/kpis/DL1.1/result/, a theme-D KPI without a 109 result
    assert len(opened) >= 4


def test_the_num_filter_shows_nothing_for_a_missing_number():
    from django.template import Context, Template

    template = Template("{% load stratmap %}[{{ missing.actual|num }}][{{ none|num:2 }}][{{ value|num }}]")
    assert template.render(Context({"none": None, "value": Decimal("88.000")})) == "[][][88]"


# --- item 18: numbers no column can hold -------------------------------------------------------

BAD_NUMBERS = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "1e-999999", "1e999999", "9" * 5000, "1e12"]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: v[:12])
def test_the_preview_answers_a_number_no_column_holds_with_a_field_error(people, client, value):
    response = as_user(client, people["dol"]).post(PREVIEW, {"actual": value, "innovation": value})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and "達成值" in page and "創新度" in page


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: v[:12])
def test_an_entry_with_a_number_no_column_holds_is_refused_by_field(people, client, value):
    editor = as_user(client, people["dol"])
    before = row_counts()
    response = editor.post(RESULT, {**ENTRY, "actual": value, "version": NEW})
    assert response.status_code == 200
    assert 'class="field has-error"' in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "1e-999999", "1e999999", "9" * 5000])
def test_the_service_refuses_a_number_no_column_holds(people, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        enter(people["dol"], NEW, actual=value)
    assert "actual" in refused.value.message_dict
    assert stored() is None


# --- item 31: numbers as entered --------------------------------------------------------------


def test_the_entry_form_shows_stored_numbers_as_entered(people, client):
    enter(people["dol"], NEW, actual="5.2", innovation="88")
    assert stored().actual == Decimal("5.2000")  # the column pads it
    page = as_user(client, people["dol"]).get(RESULT).content.decode()
    assert 'value="5.2"' in page and 'value="88"' in page
    assert "5.2000" not in page and "88.000" not in page


# --- item 33: what the reviewer sees --------------------------------------------------------------

SUBMISSION = {
    "actual": "6.10",  # misses 5.75: the explanation is required
    "innovation_note": "首創工地巡檢",
    "challenge_note": "營造業占比高",
    "contribution_note": "降低死亡率",
    "situation_analysis": "營造業墜落事故增加",
    "countermeasures": "加強高風險工地檢查",
}


def test_the_reviewer_sees_the_whole_submission_and_what_changed_since_their_last_step(people, client):
    editor = Access(people["dol"])
    result = enter(people["dol"], NEW, **SUBMISSION)
    result = kpi_result_transition(access=editor, result=result, action="submit", version=result.version)
    coordinator = as_user(client, people["coord"])
    page = coordinator.get(RESULT).content.decode()
    for text in SUBMISSION.values():
        assert text in page.replace("6.1 ", "6.10 ")
    assert "狀況分析" in page and "對策說明" in page
    assert "您先前未曾處理此成果" in page  # never acted on it: the whole submission is new to them
    coordinator.post(RESULT + "return/", {"version": result.version, "text": "請說明檢查場次"})
    result = stored()
    result = enter(people["dol"], result.version, **{**SUBMISSION, "countermeasures": "每月檢查 200 場"})
    kpi_result_transition(access=editor, result=result, action="submit", version=result.version)
    page = coordinator.get(RESULT).content.decode()
    since = page[page.index('class="card since"') :]
    since = since[: since.index("</section>")]
    assert "加強高風險工地檢查" in since and "每月檢查 200 場" in since  # old → new
    assert "營造業墜落事故增加" not in since  # unchanged fields are not listed
    assert "已送審" in since  # the status went from returned to submitted


# --- item 35: what happened to what ----------------------------------------------------------


def test_each_review_step_says_what_happened_to_which_result(people, client):
    enter(people["dol"], NEW)
    steps = [
        ("dol", "submit", "", "DP5.1 職業災害死亡百萬人率 109年成果已送審"),
        ("coord", "return", "請補充", "DP5.1 職業災害死亡百萬人率 109年成果已附意見退回"),
        ("dol", "submit", "", "DP5.1 職業災害死亡百萬人率 109年成果已送審"),
        ("coord", "approve", "", "DP5.1 職業災害死亡百萬人率 109年成果已核定"),
        ("admin", "publish", "", "DP5.1 職業災害死亡百萬人率 109年成果已公布"),
        ("admin", "reopen", "更正", "DP5.1 職業災害死亡百萬人率 109年成果已重新開啟"),
    ]
    for who, action, text, message in steps:
        response = as_user(client, people[who]).post(
            f"{RESULT}{action}/", {"version": stored().version, "text": text}, follow=True
        )
        assert message in response.content.decode(), action
    assert stored().status == "returned"


def test_the_review_step_messages_are_in_english_on_english_pages(people, client):
    enter(people["dol"], NEW)
    response = as_user(client, people["dol"]).post(
        f"/en{RESULT}submit/", {"version": stored().version, "text": ""}, follow=True
    )
    assert f"Result 2020 of DP5.1 {NAME} submitted for review." in response.content.decode()


# --- item 5: the administration writes through the services ---------------------------------


@pytest.fixture
def staff(client, people):
    client.force_login(people["admin"])
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save()
    return client


def test_an_approved_result_cannot_be_changed_through_the_kpis_admin_page(demo, staff):
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    assert result.status == "published"
    url = admin_url("admin:kpis_kpi_change", result.kpi_id)
    data = form_data(staff.get(url))
    index = next(i for i in range(20) if data.get(f"results-{i}-id") == str(result.pk))
    data[f"results-{index}-actual"] = "1.00"  # what the inline form took before
    before, events = row_counts(), AuditEvent.objects.count()
    assert staff.post(url, data).status_code == 302  # the KPI's own form was accepted
    result.refresh_from_db()
    assert result.actual == Decimal("7.05") and result.version == 1
    assert row_counts() == {**before, "core.AuditEvent": events}


def test_an_approved_result_opens_read_only_in_the_admin_and_a_post_changes_nothing(demo, staff):
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    url = admin_url("admin:kpis_kpiresult_change", result.pk)
    page = staff.get(url)
    assert page.status_code == 200 and 'name="actual"' not in page.content.decode()
    response = staff.post(url, {"kpi": result.kpi_id, "year": "2019", "actual": "1", "seen_version": "1"})
    assert response.status_code == 403
    result.refresh_from_db()
    assert result.actual == Decimal("7.05") and result.version == 1


def test_a_stale_admin_form_is_refused_with_what_changed(people, staff):
    result = enter(people["dol"], NEW, actual="5.0")
    url = admin_url("admin:kpis_kpiresult_change", result.pk)
    data = form_data(staff.get(url))
    enter(people["dol"], result.version, actual="5.4")  # meanwhile, on the result page
    data["actual"] = "5.6"
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "“5” → “5.4”" in response.content.decode()
    assert stored().actual == Decimal("5.4") and stored().version == 2


def test_an_admin_edit_goes_through_the_service_audited_and_versioned(people, staff):
    result = enter(people["dol"], NEW, actual="5.0")
    url = admin_url("admin:kpis_kpiresult_change", result.pk)
    page = staff.get(url)
    assert 'value="5"' in page.content.decode() and "5.0000" not in page.content.decode()  # as entered
    data = form_data(page)
    data.update(actual="5.5", score_reported="90")
    assert staff.post(url, data).status_code == 302
    assert stored().actual == Decimal("5.5") and stored().version == 2
    events = AuditEvent.objects.filter(object_id=result.pk, object_type="kpis.kpiresult", object_version=2)
    assert {(e.field, e.old, e.new) for e in events} == {("actual", "5", "5.5"), ("score_reported", "", "90")}


def test_plan_progress_cannot_be_written_in_the_admin(demo, staff):
    plan = ActionPlan.objects.get(code="DP5.1.1", kpi__objective__map__year=2020)
    url = admin_url("admin:plans_actionplan_change", plan.pk)
    data = form_data(staff.get(url))
    assert staff.post(url, data).status_code == 302  # the plan's own form was accepted
    task = plan.tasks.order_by("order").first()
    add = admin_url("admin:plans_taskprogress_add")
    assert staff.post(add, {"task": task.pk, "month": 4, "done": "done"}).status_code == 403
    assert not TaskProgress.objects.filter(task__plan=plan).exists()
