"""Roles, the review cycle, the audit trail and no lost updates, through the pages people use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from stratmap.access import Access
from stratmap.core.models import AuditEvent
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.services import StaleEdit, kpi_result_record
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import answer

pytestmark = pytest.mark.django_db

RESULT = "/taipei/109/kpis/DP5.1/result/"
KPI_PAGE = "/taipei/109/kpis/DP5.1/"
PUBLIC_VALUE = "6.10"


def as_user(client, user):
    client.force_login(user)
    return client


ENTRY = {
    "actual": PUBLIC_VALUE,
    "unknown_kind": "",
    "innovation": "90",
    "challenge": "95",
    "contribution": "95",
    "innovation_note": "n",
    "challenge_note": "n",
    "contribution_note": "n",
}


def post_entry(client, **changes):
    result = KpiResult.objects.filter(kpi__code="DP5.1", year=2020).first()
    data = {**ENTRY, "version": result.version if result else 0, **changes}
    return client.post(RESULT, data)


def act(client, action, text=""):
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2020)
    return client.post(f"{RESULT}{action}/", {"version": result.version, "text": text})


def status():
    return KpiResult.objects.get(kpi__code="DP5.1", year=2020).status


def test_the_whole_cycle_from_entry_to_publication(people, client):
    # The public does not see an entry before it is published.
    assert PUBLIC_VALUE not in client.get(KPI_PAGE).content.decode()
    editor = as_user(client, people["dol"])
    # 5.75 is the 109 target of a negative KPI: 6.10 misses it, so the explanation is required.
    response = post_entry(editor)
    assert (
        response.status_code == 200 and "required" in response.content.decode().lower()
    ) or "必填" in response.content.decode()
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=2020).exists()
    post_entry(editor, situation_analysis="營造業事故", countermeasures="加強檢查")
    assert status() == "draft"
    act(editor, "submit")
    assert status() == "submitted"
    coordinator = as_user(client, people["coord"])
    act(coordinator, "return", "請補充對策")
    assert status() == "returned"
    assert KpiResult.objects.get(kpi__code="DP5.1", year=2020).review_comment == "請補充對策"
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="營造業事故", countermeasures="加強檢查與工地觀摩", reason="依審查意見補充")
    act(editor, "submit")
    coordinator = as_user(client, people["coord"])
    act(coordinator, "approve")
    assert status() == "approved"
    # Approved is locked: the editor can no longer change it.
    editor = as_user(client, people["dol"])
    before = row_counts()
    assert post_entry(editor, actual="1").status_code == 404
    assert row_counts() == before
    administrator = as_user(client, people["admin"])
    act(administrator, "publish")
    assert status() == "published"
    client.logout()
    assert "6.1" in client.get(KPI_PAGE).content.decode()
    steps = AuditEvent.objects.filter(kpi__code="DP5.1", field="status").order_by("pk").values_list("new", flat=True)
    assert list(steps) == ["submitted", "returned", "submitted", "approved", "published"]


def test_the_second_of_two_simultaneous_edits_is_refused_and_shows_what_changed(people, client):
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="a", countermeasures="b")
    read = KpiResult.objects.get(kpi__code="DP5.1", year=2020)
    # Someone else saves after our editor opened the page.
    first = Access(people["admin"])
    kpi = Kpi.objects.get(code="DP5.1", objective__map__year=2020)
    kpi_result_record(
        access=first, kpi=kpi, year=2020, data={**ENTRY, "actual": Decimal("6.2"), "situation_analysis": "a",
                                                "countermeasures": "b"}, version=read.version, reason="更正"
    )  # fmt: skip
    before = row_counts()
    response = client.post(RESULT, {**ENTRY, "actual": "6.3", "situation_analysis": "a", "countermeasures": "b",
                                     "version": read.version})  # fmt: skip
    assert response.status_code == 409
    page = response.content.decode()
    assert "6.2" in page and "更正" in page
    assert row_counts() == before
    assert KpiResult.objects.get(kpi__code="DP5.1", year=2020).actual == Decimal("6.2")


def test_the_service_refuses_a_stale_version_too(people):
    kpi = Kpi.objects.get(code="DP5.1", objective__map__year=2020)
    access = Access(people["dol"])
    data = {**ENTRY, "actual": Decimal("5"), "innovation": Decimal(90)}
    kpi_result_record(access=access, kpi=kpi, year=2020, data=data, version=0)
    kpi_result_record(access=access, kpi=kpi, year=2020, data={**data, "actual": Decimal("5.1")}, version=1)
    with pytest.raises(StaleEdit) as stale:
        kpi_result_record(access=access, kpi=kpi, year=2020, data={**data, "actual": Decimal("5.2")}, version=1)
    assert [(e.field, e.new) for e in stale.value.meanwhile] == [("actual", "5.1")]


@pytest.mark.parametrize("who", ["outsider", "doed", "viewer", None])
def test_someone_who_may_not_enter_this_result_gets_404_and_learns_nothing(people, client, who):
    if who:
        client.force_login(people[who])
    before = row_counts()
    for response in (client.get(RESULT), post_entry(client, situation_analysis="x", countermeasures="y")):
        assert answer(response) == ("404" if who else "login")
        assert "職業災害" not in response.content.decode()
    assert row_counts() == before


def test_only_the_themes_coordinator_reviews_and_only_an_administrator_publishes(people, client):
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="a", countermeasures="b")
    act(editor, "submit")
    # An editor cannot approve its own result; the other bureau's editor cannot either.
    for name in ("dol", "doed"):
        assert act(as_user(client, people[name]), "approve").status_code == 404
    assert status() == "submitted"
    act(as_user(client, people["coord"]), "approve")
    assert act(as_user(client, people["coord"]), "publish").status_code == 404
    assert status() == "approved"  # the coordinator's publish did nothing


def test_only_an_administrator_reopens_an_approved_result_and_must_say_why(people, client):
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="a", countermeasures="b")
    act(editor, "submit")
    act(as_user(client, people["coord"]), "approve")
    act(as_user(client, people["admin"]), "reopen", "")
    assert status() == "approved"
    act(as_user(client, people["admin"]), "reopen", "數據更正")
    assert status() == "returned"
    assert AuditEvent.objects.filter(kpi__code="DP5.1", field="status", new="returned", reason="數據更正").exists()


def test_the_public_sees_published_maps_only_and_a_viewer_sees_drafts(people, client):
    StrategyMap.objects.filter(organization__code="taipei", year=2021).update(published=False)
    assert client.get("/taipei/110/").status_code == 404
    assert "/taipei/110/" not in client.get("/").content.decode()
    as_user(client, people["viewer"])
    assert client.get("/taipei/110/").status_code == 200


def test_the_live_preview_computes_rate_score_and_light_before_saving(people, client):
    as_user(client, people["dol"])
    response = client.post(RESULT + "preview/", {**ENTRY, "actual": "7.05"})
    page = response.content.decode()
    assert "81.6%" in page  # 5.75 / 7.05
    assert response.context["explanation_required"] is True
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=2020).exists()


def test_whats_due_lists_the_editors_kpis_and_the_coordinators_reviews(people, client):
    due = as_user(client, people["dol"]).get("/due/").context
    entering = {row.kpi.code for row in due["to_enter"]}
    assert "DP5.1" in entering and "DC2.1" not in entering
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="a", countermeasures="b")
    act(editor, "submit")
    page = as_user(client, people["coord"]).get("/due/").content.decode()
    review = page[page.index("Results to review") if "Results to review" in page else page.index("待審") :]
    assert "DP5.1" in review


def test_the_administrator_exports_the_audit_trail_as_csv(people, client):
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="營造業事故", countermeasures="加強檢查")
    staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(staff)
    response = client.get(reverse("admin:core_auditevent_export"))
    body = response.content.decode("utf-8-sig")
    assert "dol" in body and "營造業事故" in body and "actual" in body


@pytest.mark.login_throttle
def test_failed_logins_are_throttled(people, client):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "dol", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "dol", "password": "pw-for-tests-only"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_deploy_check_is_clean_with_the_production_settings(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "STRATMAP_SECRET_KEY": "x" * 60 + "-production-key-for-the-check",
        "STRATMAP_ALLOWED_HOSTS": "stratmap.example.org",
        "STRATMAP_HTTPS": "1",
        "STRATMAP_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
    }
    run = subprocess.run(
        [sys.executable, "-m", "stratmap.cli", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


PROGRESS = "/taipei/109/plans/DP5.1.1/progress/"


def first_cell(month: int) -> str:
    """The form fields' suffix of DP5.1.1's first task's ``month`` (progress is per task since issue 16)."""
    from stratmap.plans.models import ActionPlan

    plan = ActionPlan.objects.get(code="DP5.1.1", kpi__objective__map__year=2020)
    return f"{plan.tasks.order_by('order').first().pk}-{month}"


def test_an_editor_records_monthly_progress_and_everyone_sees_it_on_the_plans_once_published(people, client):
    from stratmap.access import Access
    from stratmap.plans.models import TaskProgress
    from stratmap.plans.services import plan_month_transition

    editor = as_user(client, people["dol"])
    assert editor.get(PROGRESS).status_code == 200
    one, two = first_cell(1), first_cell(2)
    data = {f"version-{one}": 0, f"planned-{one}": "on", f"done-{one}": "done", f"note-{one}": "一月觀摩已辦",
            f"version-{two}": 0, f"planned-{two}": "on"}  # fmt: skip
    assert editor.post(PROGRESS, data).status_code == 302
    assert AuditEvent.objects.filter(action="progress", field="1月 done", new="done").exists()
    client.logout()
    assert "一月觀摩已辦" not in client.get("/taipei/109/plans/").content.decode()  # not reviewed yet
    row = TaskProgress.objects.get(note="一月觀摩已辦")
    for who, action in [("dol", "submit"), ("coord", "approve"), ("admin", "publish")]:
        row.refresh_from_db()
        plan_month_transition(access=Access(people[who]), plan=row.task.plan, month=1, action=action,
                              versions={row.pk: row.version})  # fmt: skip
    plans = client.get("/taipei/109/plans/").content.decode()
    assert "✓" in plans and "一月觀摩已辦" in plans


def test_a_stale_progress_save_is_refused_and_writes_nothing(people, client):
    editor = as_user(client, people["dol"])
    c = first_cell(3)
    editor.post(PROGRESS, {f"version-{c}": 0, f"done-{c}": "done"})
    before = row_counts()
    response = editor.post(PROGRESS, {f"version-{c}": 0, f"done-{c}": "under_way"})  # read before the first save
    assert response.status_code == 409
    assert row_counts() == before


@pytest.mark.parametrize("who", ["outsider", "doed", "coord", None])
def test_only_the_plans_agency_records_its_progress(people, client, who):
    if who:
        client.force_login(people[who])
    before = row_counts()
    refusal = "404" if who else "login"
    c = first_cell(1)
    assert answer(client.post(PROGRESS, {f"version-{c}": 0, f"done-{c}": "done"})) == refusal
    # The theme's coordinator opens the page to review it (issue 16), without entering anything.
    assert answer(client.get(PROGRESS)) == ("200" if who == "coord" else refusal)
    assert row_counts() == before


def test_the_administrator_rolls_the_map_over_and_revises_it_with_reasons(people, client):
    from stratmap.kpis.models import KpiTarget
    from stratmap.strategy.models import Revision

    admin = as_user(client, people["admin"])
    StrategyMap.objects.filter(organization__code="taipei", year=2021).delete()  # a map rolls over to the next year
    opened = StrategyMap.objects.get(organization__code="taipei", year=2020).version  # as the page's forms carry it
    response = admin.post("/taipei/109/revise/", {"do": "rollover", "year": "110", "version": opened})
    assert response.status_code == 302
    new = StrategyMap.objects.get(organization__code="taipei", year=2021)

    def version() -> int:
        return StrategyMap.objects.get(pk=new.pk).version

    assert not new.published and new.revisions_compared_to == 2020
    old = StrategyMap.objects.get(organization__code="taipei", year=2020)
    assert new.objectives.count() == old.objectives.count()
    assert Kpi.objects.filter(objective__map=new).count() == Kpi.objects.filter(objective__map=old).count()
    assert not KpiResult.objects.filter(kpi__objective__map=new).exists()
    # 109's map set targets for 109–111; nothing is earlier than 110 in the copy.
    assert not KpiTarget.objects.filter(kpi__objective__map=new, year__lt=2021).exists()
    # A revision needs a reason; with one, it is recorded and shows on the revisions page.
    data = {"do": "revise", "level": "kpi", "action": "rename", "code": "DC1.1", "name": "失業率（年平均）"}
    assert admin.post("/taipei/110/revise/", {**data, "reason": "", "version": version()}).status_code == 200
    assert not Revision.objects.filter(map=new).exists()
    admin.post("/taipei/110/revise/", {**data, "reason": "配合主計總處定義", "version": version()})
    added = {"level": "kpi", "action": "add", "code": "DC1.3", "name": "長期失業者人數", "parent": "DC1"}
    admin.post("/taipei/110/revise/", {"do": "revise", **added, "reason": "新增觀察指標", "version": version()})
    deleted = {"level": "action_plan", "action": "delete", "code": "DC2.1.2", "reason": "計畫結束"}
    admin.post("/taipei/110/revise/", {"do": "revise", **deleted, "version": version()})
    assert list(Revision.objects.filter(map=new).values_list("action", "code")) == [
        ("rename", "DC1.1"), ("add", "DC1.3"), ("delete", "DC2.1.2"),
    ]  # fmt: skip
    page = admin.get("/taipei/110/revisions/?theme=D").content.decode()
    assert "配合主計總處定義" in page and "長期失業者人數" in page and "計畫結束" in page
    assert AuditEvent.objects.filter(action="revise", reason="新增觀察指標").exists()


@pytest.mark.parametrize("who", ["dol", "coord", "viewer", "outsider"])
def test_only_an_administrator_rolls_over_or_revises(people, client, who):
    client.force_login(people[who])
    before = row_counts()
    assert client.get("/taipei/109/revise/").status_code == 404
    assert client.post("/taipei/109/revise/", {"do": "rollover", "year": "112"}).status_code == 404
    assert row_counts() == before


UNPUBLISHED_PAGES = [
    "/taipei/110/", "/taipei/110/map.svg", "/taipei/110/themes/D/", "/taipei/110/scorecard/",
    "/taipei/110/scorecard.csv", "/taipei/110/plans/", "/taipei/110/cascade/", "/taipei/110/revisions/",
    "/taipei-doed/110/tows/", "/taipei-doed/110/kpis/AC1.1/", "/taipei-doed/110/kpis/AC1.1/result/",
]  # fmt: skip


@pytest.mark.parametrize("path", UNPUBLISHED_PAGES)
def test_the_public_and_outsiders_get_404_for_every_page_of_an_unpublished_map_and_learn_nothing(people, client, path):
    StrategyMap.objects.filter(year=2021).update(published=False)
    for user in (None, people["outsider"]):
        if user:
            client.force_login(user)
        response = client.get(path)
        # Only result entry sends the public to log in; a logged-in outsider is told nothing either way.
        assert answer(response) == ("login" if user is None and path.endswith("/result/") else "404"), path
        body = response.content.decode()
        assert "產業" not in body and "臺北市政府110" not in body


def test_a_kpis_page_shows_its_history_to_insiders_not_to_the_public(people, client):
    editor = as_user(client, people["dol"])
    post_entry(editor, situation_analysis="營造業事故", countermeasures="加強檢查", reason="首次填報")
    viewer_page = as_user(client, people["viewer"]).get(KPI_PAGE).content.decode()
    assert "首次填報" in viewer_page
    client.logout()
    assert "首次填報" not in client.get(KPI_PAGE).content.decode()
