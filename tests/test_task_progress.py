"""Action-plan progress per task and month, reviewed before the public sees it (issue 16 item 6)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from stratmap.access import Access
from stratmap.core.models import AuditEvent
from stratmap.plans.models import ActionPlan, PlanTask, TaskProgress
from stratmap.plans.selectors import plan_progress_due
from stratmap.plans.services import (
    NEW,
    Cell,
    StaleProgress,
    plan_month_transition,
    task_progress_record,
    task_progress_save,
    task_progress_transition,
)
from stratmap.strategy.models import StrategyMap
from tests.helpers import answer

S = TaskProgress.Status
DONE = TaskProgress.Done
TAIPEI = "/taipei/109/plans/DP5.1.1/progress/"  # DP5.1: 勞動局's KPI of theme D (group D's coordinator reviews)
COUNCIL = "/ashcombe/2024/plans/H1.1.1/progress/"  # tasks in April–June, September, January–March


def plan(code: str, year: int) -> ActionPlan:
    return ActionPlan.objects.get(code=code, kpi__objective__map__year=year, kpi__objective__map__in_force=True)


def first_task(code: str, year: int) -> PlanTask:
    return plan(code, year).tasks.order_by("order").first()


def record(user, task: PlanTask, month: int, *, done=DONE.DONE, note="", version=NEW) -> TaskProgress:
    found = task_progress_record(
        access=Access(user), task=task, month=month, cell=Cell(planned=True, done=done, note=note), version=version
    )
    assert found is not None
    return found


def step(user, row: TaskProgress, action: str, text: str = "") -> TaskProgress:
    return task_progress_transition(access=Access(user), progress=row, action=action, version=row.version, text=text)


# --- who may open and act on the page -------------------------------------------------------------------------


def test_the_progress_page_answers_each_role_as_its_review_part_allows(people, client):
    answers = []
    for who in ["anonymous", "outsider", "admin", "dol", "doed", "coord", "viewer"]:
        client.logout()
        if who != "anonymous":
            client.force_login(people[who])
        answers.append(answer(client.get(TAIPEI)))
    # 勞動局's editor enters, group D's coordinator reviews, the city's administrator publishes; nobody else.
    assert answers == ["login", "404", "200", "200", "404", "200", "404"]


def test_a_review_step_is_refused_to_the_public_an_outsider_a_viewer_and_another_agency(people, client):
    row = record(people["dol"], first_task("DP5.1.1", 2020), 3)
    row = step(people["dol"], row, "submit")
    data = {"month": 3, "action": "approve", f"row-{row.pk}": row.version}
    assert answer(client.post(TAIPEI + "step/", data)) == "login"
    for who in ["outsider", "viewer", "doed"]:
        client.force_login(people[who])
        assert client.post(TAIPEI + "step/", data).status_code == 404
    # An editor may not approve its own month.
    client.force_login(people["dol"])
    assert client.post(TAIPEI + "step/", data).status_code == 404
    assert TaskProgress.objects.get(pk=row.pk).status == S.SUBMITTED


def test_the_council_plan_page_shows_its_april_to_march_year_to_its_editor(council_people, client):
    client.force_login(council_people["council-place"])
    page = client.get("/en" + COUNCIL)
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Apr 2024") < text.index("Jan 2025")
    for who in ["council-resources", "council-viewer", "dol"]:
        client.force_login(council_people[who])
        assert client.get(COUNCIL).status_code == 404


# --- entering, the review cycle, stale writes -----------------------------------------------------------------


def test_an_editor_enters_a_grid_of_months_and_each_written_month_is_audited_with_the_kpi(council_people, client):
    the_plan = plan("H1.1.1", 2024)
    sites, bid = list(the_plan.tasks.order_by("order"))[:2]
    client.force_login(council_people["council-place"])
    response = client.post(
        COUNCIL,
        {
            f"version-{sites.pk}-5": NEW, f"planned-{sites.pk}-5": "on", f"done-{sites.pk}-5": "under_way",
            f"note-{sites.pk}-5": "two sites agreed",
            f"version-{bid.pk}-9": NEW, f"planned-{bid.pk}-9": "on", f"done-{bid.pk}-9": "done",
            f"version-{bid.pk}-10": NEW, f"done-{bid.pk}-10": "not_started",  # as it was: nothing written
            "reason": "May report",
        },
    )  # fmt: skip
    assert response.status_code == 302
    rows = {(r.task_id, r.month): r for r in TaskProgress.objects.filter(task__plan=the_plan)}
    assert set(rows) == {(sites.pk, 5), (bid.pk, 9)}
    assert rows[(sites.pk, 5)].done == DONE.UNDER_WAY and rows[(sites.pk, 5)].note == "two sites agreed"
    assert rows[(sites.pk, 5)].status == S.DRAFT and rows[(sites.pk, 5)].version == 1
    events = AuditEvent.objects.filter(kpi=the_plan.kpi, action="progress", object_type="plans.taskprogress")
    assert {(e.field, e.new) for e in events} >= {("5月 done", "under_way"), ("9月 done", "done")}
    assert {e.reason for e in events} == {"May report"}


def test_a_month_goes_from_draft_to_published_through_submit_approve_and_publish(people):
    row = record(people["dol"], first_task("DP5.1.1", 2020), 4, note="seminar held")
    row = step(people["dol"], row, "submit")
    with pytest.raises(PermissionDenied):
        step(people["dol"], row, "approve")
    row = step(people["coord"], row, "approve")
    with pytest.raises(PermissionDenied):  # a coordinator does not publish
        step(people["coord"], row, "publish")
    row = step(people["admin"], row, "publish")
    assert row.status == S.PUBLISHED
    statuses = AuditEvent.objects.filter(object_type="plans.taskprogress", object_id=row.pk, action="status")
    assert [e.new for e in statuses.order_by("pk")] == ["submitted", "approved", "published"]


def test_a_returned_month_carries_the_comment_and_its_editor_changes_and_submits_it_again(people):
    task = first_task("DP5.1.1", 2020)
    row = step(people["dol"], record(people["dol"], task, 4), "submit")
    with pytest.raises(ValidationError):
        step(people["coord"], row, "return")  # a return says why
    row = step(people["coord"], row, "return", "the seminar was in May")
    assert row.status == S.RETURNED and row.review_comment == "the seminar was in May"
    row = record(people["dol"], task, 4, done=DONE.NOT_STARTED, note="moved to May", version=row.version)
    assert step(people["dol"], row, "submit").status == S.SUBMITTED


def test_a_submitted_month_can_no_longer_be_changed_by_its_editor(people):
    task = first_task("DP5.1.1", 2020)
    row = step(people["dol"], record(people["dol"], task, 4), "submit")
    with pytest.raises(ValidationError) as refused:
        record(people["dol"], task, 4, note="late change", version=row.version)
    assert f"cell-{task.pk}-4" in refused.value.message_dict


def test_a_stale_save_is_refused_with_what_changed_and_writes_nothing(people, client):
    task = first_task("DP5.1.1", 2020)
    other = list(plan("DP5.1.1", 2020).tasks.order_by("order"))[1]
    record(people["dol"], task, 6, note="first")
    # A second person's form was opened before that save (no row then): refused, and its other month not written.
    with pytest.raises(StaleProgress) as stale:
        task_progress_save(
            access=Access(people["admin"]),
            plan=task.plan,
            cells={(task.pk, 6): Cell(True, DONE.DONE, "second"), (other.pk, 6): Cell(True, DONE.DONE, "")},
            versions={(task.pk, 6): NEW, (other.pk, 6): NEW},
        )
    assert [e.new for e in stale.value.meanwhile if e.field == "6月 note"] == ["first"]
    assert not TaskProgress.objects.filter(task=other).exists()
    assert TaskProgress.objects.get(task=task, month=6).note == "first"
    # The page answers 409 with the change.
    client.force_login(people["admin"])
    response = client.post(
        TAIPEI, {f"version-{task.pk}-6": NEW, f"planned-{task.pk}-6": "on", f"done-{task.pk}-6": "done"}
    )
    assert response.status_code == 409
    assert "first" in response.content.decode()


def test_a_note_too_long_is_refused_naming_its_task_and_month(people, client):
    task = first_task("DP5.1.1", 2020)
    client.force_login(people["dol"])
    response = client.post(
        TAIPEI,
        {f"version-{task.pk}-5": NEW, f"planned-{task.pk}-5": "on", f"note-{task.pk}-5": "長" * 501},
    )
    assert response.status_code == 400
    assert task.name[:10] in response.content.decode()
    assert not TaskProgress.objects.filter(task=task).exists()


def test_a_whole_month_of_a_plan_is_approved_at_once_or_not_at_all(people, client):
    tasks = list(plan("DP5.1.1", 2020).tasks.order_by("order"))[:3]
    rows = [step(people["dol"], record(people["dol"], t, 7), "submit") for t in tasks]
    versions = {r.pk: r.version for r in rows}
    # One of them changed since the reviewer's page was shown: nothing is approved.
    task_progress_transition(access=Access(people["coord"]), progress=rows[0], action="return", version=rows[0].version,
                             text="check")  # fmt: skip
    with pytest.raises(StaleProgress):
        plan_month_transition(access=Access(people["coord"]), plan=tasks[0].plan, month=7, action="approve",
                              versions=versions)  # fmt: skip
    assert [TaskProgress.objects.get(pk=r.pk).status for r in rows[1:]] == [S.SUBMITTED, S.SUBMITTED]
    # Through the page, the month's rows as shown: all approved.
    client.force_login(people["coord"])
    shown = {f"row-{r.pk}": r.version for r in TaskProgress.objects.filter(pk__in=[r.pk for r in rows[1:]])}
    response = client.post(TAIPEI + "step/", {"month": 7, "action": "approve", **shown})
    assert response.status_code == 302
    assert [TaskProgress.objects.get(pk=r.pk).status for r in rows[1:]] == [S.APPROVED, S.APPROVED]


# --- what the public and insiders see -------------------------------------------------------------------------


def test_the_public_sees_only_published_progress_on_the_plans_and_kpi_pages(people, client):
    task = first_task("DP5.1.1", 2020)
    row = record(people["dol"], task, 3, note="unreviewed-note-xyz")
    pages = ["/taipei/109/plans/", "/taipei/109/kpis/DP5.1/"]
    for page in pages:
        client.logout()
        assert "unreviewed-note-xyz" not in client.get(page).content.decode()
        client.force_login(people["viewer"])  # an insider of the city reads its drafts
        assert "unreviewed-note-xyz" in client.get(page).content.decode()
    row = step(people["admin"], step(people["coord"], step(people["dol"], row, "submit"), "approve"), "publish")
    client.logout()
    for page in pages:
        assert "unreviewed-note-xyz" in client.get(page).content.decode()


def test_the_plans_page_shows_each_task_done_of_planned_to_date(council_people, client):
    the_plan = plan("H1.1.1", 2024)
    sites = the_plan.tasks.order_by("order").first()
    place, admin = council_people["council-place"], council_people["council-admin"]
    for month in (4, 5):
        row = step(place, record(place, sites, month), "submit")
        step(admin, step(admin, row, "approve"), "publish")
    page = client.get("/ashcombe/2024/plans/").content.decode()  # the whole year has passed: 3 months planned
    assert '<td class="to-date">2/3</td>' in page


def test_the_plans_page_costs_the_same_queries_whatever_the_progress(people, client):
    client.force_login(people["dol"])
    tasks = list(plan("DP5.1.1", 2020).tasks.order_by("order"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/taipei/109/plans/").status_code == 200
        return len(queries)

    record(people["dol"], tasks[0], 1)
    small = count()
    for t in tasks:
        for month in range(2, 13):
            record(people["dol"], t, month)
    assert count() == small


def test_the_progress_page_costs_the_same_queries_whatever_the_plan_size(people, client):
    client.force_login(people["dol"])
    the_plan = plan("DP5.1.1", 2020)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TAIPEI).status_code == 200
        return len(queries)

    small = count()
    for i in range(10):
        PlanTask.objects.create(plan=the_plan, name=f"extra {i}", months=[1, 2, 3], order=100 + i)
    for t in the_plan.tasks.all():
        record(people["dol"], t, 2)
    assert count() == small


# --- what's due ------------------------------------------------------------------------------------------------


def test_due_lists_this_months_scheduled_tasks_to_enter_then_the_month_to_review(council_people, client):
    may = datetime.date(2024, 5, 10)
    place, admin = council_people["council-place"], council_people["council-admin"]
    due = plan_progress_due(access=Access(place), today=may)
    assert ("H1.1.1", 5, 1) in [(d.plan.code, d.month, d.count) for d in due.to_enter]
    assert all(d.month == 5 for d in due.to_enter)  # this month's only
    others = plan_progress_due(access=Access(council_people["council-resources"]), today=may).to_enter
    assert "H1.1.1" not in [d.plan.code for d in others]
    row = step(place, record(place, first_task("H1.1.1", 2024), 5), "submit")
    assert "H1.1.1" not in [d.plan.code for d in plan_progress_due(access=Access(place), today=may).to_enter]
    review = plan_progress_due(access=Access(admin), today=may).to_review
    assert [(d.plan.code, d.month, d.count) for d in review] == [("H1.1.1", 5, 1)]
    step(admin, row, "approve")
    assert [d.plan.code for d in plan_progress_due(access=Access(admin), today=may).to_publish] == ["H1.1.1"]


def test_due_reads_plan_progress_in_a_fixed_number_of_queries(council_people, django_assert_max_num_queries):
    may = datetime.date(2024, 5, 10)
    place = council_people["council-place"]
    for t in plan("H1.1.1", 2024).tasks.all():
        for month in (4, 5, 6):
            record(place, t, month)
    with django_assert_max_num_queries(7):
        plan_progress_due(access=Access(place), today=may)


def test_the_due_page_links_the_plan_progress_to_enter(council_people, client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2024, 5, 10))
    client.force_login(council_people["council-place"])
    page = client.get("/due/").content.decode()
    assert COUNCIL in page


# --- the migration of the plan-level progress -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_each_plan_month_on_its_scheduled_tasks_published_where_the_map_is(demo):
    executor = MigrationExecutor(connection)
    before, after = [("plans", "0004_translations")], [("plans", "0005_task_progress")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Plan, Progress = old.get_model("plans", "ActionPlan"), old.get_model("plans", "PlanProgress")
    council = Plan.objects.get(code="H1.1.1", kpi__objective__map__year=2024)
    city = Plan.objects.get(code="DC1.2.1", kpi__objective__map__year=2020)
    Progress.objects.create(plan=council, month=5, planned=True, done=True, note="sites agreed")  # one task then
    Progress.objects.create(plan=council, month=7, planned=False, note="nothing scheduled")  # none: the first task
    Progress.objects.create(plan=city, month=3, planned=True)  # no schedule known: the first task
    Progress.objects.create(plan=city, month=4)  # nothing recorded: not moved
    unpublished = old.get_model("strategy", "StrategyMap").objects.filter(pk=council.kpi.objective.map_id)
    unpublished.update(published=False)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    moved = {
        (r.task.plan.code, r.task.order, r.month): (r.planned, r.done, r.note, r.status)
        for r in TaskProgress.objects.select_related("task__plan")
    }
    sites = PlanTask.objects.filter(plan__code="H1.1.1", plan__kpi__objective__map__year=2024).order_by("order")[0]
    counselling = PlanTask.objects.filter(plan__code="DC1.2.1").order_by("order")[0]
    assert moved == {
        ("H1.1.1", sites.order, 5): (True, "done", "sites agreed", "submitted"),
        ("H1.1.1", sites.order, 7): (False, "not_started", "nothing scheduled", "submitted"),
        ("DC1.2.1", counselling.order, 3): (True, "not_started", "", "published"),
    }
    StrategyMap.objects.filter(pk=unpublished.get().pk).update(published=True)


def test_publishing_an_edition_moves_each_tasks_months_to_the_same_task_of_the_new_edition(council_people):
    from stratmap.revisions.services import edition_publish, edition_start

    admin, place = council_people["council-admin"], council_people["council-place"]
    bid = list(plan("H1.1.1", 2024).tasks.order_by("order"))[1]
    row = record(place, bid, 9, note="bid sent")
    smap = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    draft = edition_start(access=Access(admin), smap=smap, version=smap.version, label="revised")
    edition_publish(access=Access(admin), smap=draft, version=StrategyMap.objects.get(pk=draft.pk).version)
    moved = TaskProgress.objects.select_related("task__plan__kpi__objective").get(pk=row.pk)
    assert moved.task.plan.kpi.objective.map_id == draft.pk
    assert (moved.task.name, moved.task.plan.code, moved.note) == (bid.name, "H1.1.1", "bid sent")


def test_a_file_without_a_task_is_refused_naming_the_months_of_progress_that_would_go(council_people, tmp_path):
    import yaml

    from stratmap.access import SYSTEM
    from stratmap.exchange.dumper import dump_map
    from stratmap.exchange.loader import LoadWouldLose, load_paths

    place = council_people["council-place"]
    last = plan("H1.1.1", 2024).tasks.order_by("order").last()
    record(place, last, 1, note="on site")
    data = yaml.safe_load(dump_map("ashcombe", 2024, access=SYSTEM))
    for theme in data["themes"]:
        for objective in theme.get("objectives", []):
            for kpi in objective.get("kpis", []):
                for p in kpi.get("action_plans", []):
                    if p["code"] == "H1.1.1":
                        p["tasks"] = p["tasks"][:-1]
    path = tmp_path / "ashcombe-2024.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LoadWouldLose) as refused:
        load_paths([path])
    assert any("1 month(s) of plan progress" in str(e) for e in refused.value.errors)
    assert TaskProgress.objects.filter(task=last).exists()
