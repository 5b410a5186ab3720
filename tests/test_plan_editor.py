"""The action plan editor (issue 15 item 3): a KPI's plans with their tasks, each task's months ticked on the
grid of the organization's year or typed as ranges, responsible agencies and expected outcomes; exercised on
an objective and a KPI made here, on Taipei's map and on the council's (whose year runs April to March)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM, Access
from stratmap.core.models import AuditEvent, Organization
from stratmap.core.years import YearStyle
from stratmap.exchange.dumper import map_document
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan, TaskProgress
from stratmap.plans.services import plan_save
from stratmap.strategy.models import Objective, StrategyMap
from stratmap.web.plan_editor_forms import parse_months
from tests.conftest import row_counts
from tests.helpers import answer, url

TAIPEI, COUNCIL = ("taipei", 2021), ("ashcombe", 2024)


def the_map(org: str, year: int) -> StrategyMap:
    return StrategyMap.objects.select_related("organization").get(organization__code=org, year=year, in_force=True)


def new_kpi(smap: StrategyMap, code: str) -> Kpi:
    """An objective and a KPI of our own on ``smap`` (the KPI editor is built beside this one)."""
    objective = Objective.objects.create(map=smap, code=f"{code}-O", name=f"objective {code}", order=900)
    return Kpi.objects.create(objective=objective, code=code, name=f"KPI {code}", order=1)


@pytest.fixture
def taipei_kpi(demo) -> Kpi:
    return new_kpi(the_map(*TAIPEI), "NEW1.1")


@pytest.fixture
def council_kpi(demo) -> Kpi:
    return new_kpi(the_map(*COUNCIL), "NEW2.1")


def form(
    smap: StrategyMap,
    *,
    kpi: str,
    code: str,
    name: str,
    tasks=(),
    outcomes=(),
    initial: tuple[int, int] = (0, 0),
    **fields,
) -> dict:
    """The editor's POST: ``tasks`` as (name, ticked months, ranges), ``outcomes`` as (text, quantity, unit);
    ``initial``: how many tasks and outcomes the page showed (the management forms say so)."""
    smap.refresh_from_db()
    # the maps revise last year's: a change of a plan is a revision, with its reason
    data = {
        "do": "save",
        "version": smap.version,
        "kpi": kpi,
        "code": code,
        "name": name,
        "reason": "年度修正",
        **fields,
    }
    data |= {"tasks-TOTAL_FORMS": len(tasks), "tasks-INITIAL_FORMS": initial[0]}
    data |= {"outcomes-TOTAL_FORMS": len(outcomes), "outcomes-INITIAL_FORMS": initial[1]}
    for i, (task, ticked, ranges) in enumerate(tasks):
        data |= {f"tasks-{i}-name": task, f"tasks-{i}-months": [str(m) for m in ticked], f"tasks-{i}-ranges": ranges}
    for i, (text, quantity, unit) in enumerate(outcomes):
        data |= {f"outcomes-{i}-text": text, f"outcomes-{i}-quantity": quantity, f"outcomes-{i}-unit": unit}
    return data


def new_url(where, kpi_code: str, language: str = "zh-hant") -> str:
    return url("web:edit-plan-new", where, language, query=f"kpi={kpi_code}")


def plans_of(document) -> dict[str, dict]:
    """Every action plan of a dumped map, by code."""
    found: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, dict):
            for plan in node.get("action_plans", []):
                found[plan["code"]] = plan
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def month_headers(page: str) -> list[str]:
    grid = re.search(r'<table class="months month-grid".*?</thead>', page, re.S).group(0)
    return re.findall(r'<th scope="col" class="month">(.*?)</th>', grid)


# --- who may edit ---------------------------------------------------------------------------------------

ROLES = ["public", "outsider", "viewer", "dol", "coord", "admin"]


@pytest.mark.parametrize(
    "route, expected",
    [
        ("edit-plan-new", "login 404 404 404 404 200"),
        ("edit-plan", "login 404 404 404 404 200"),
    ],
)
def test_only_the_maps_administrators_open_the_plan_editor_and_the_others_get_a_404(
    client, people, taipei_kpi, route, expected
):
    ActionPlan.objects.create(kpi=taipei_kpi, code="NEW1.1.1", name="a plan", order=1)
    address = new_url(TAIPEI, "NEW1.1") if route == "edit-plan-new" else url("web:edit-plan", [*TAIPEI, "NEW1.1.1"])
    got = []
    for role in ROLES:
        client.logout()
        if role != "public":
            client.force_login(people[role])
        got.append(answer(client.get(address)))
    assert " ".join(got) == expected


def test_someone_elses_administrator_may_not_post_to_the_editor_and_nothing_is_written(
    client, council_people, taipei_kpi
):
    smap = the_map(*TAIPEI)
    before = row_counts()
    for role in ["council-admin", "viewer", "dol", "coord"]:
        client.force_login(council_people[role])
        response = client.post(new_url(TAIPEI, "NEW1.1"), form(smap, kpi="NEW1.1", code="X1", name="x"))
        assert response.status_code == 404, role
    client.logout()
    response = client.post(new_url(TAIPEI, "NEW1.1"), form(smap, kpi="NEW1.1", code="X1", name="x"))
    assert answer(response) == "login"
    assert row_counts() == before


def test_the_council_administrator_edits_the_councils_plans_but_not_taipeis(client, council_people, council_kpi):
    client.force_login(council_people["council-admin"])
    assert client.get(new_url(COUNCIL, "NEW2.1", "en")).status_code == 200
    assert client.get(url("web:edit-plan", [*COUNCIL, "H1.1.1"], "en")).status_code == 200
    assert client.get(url("web:edit-plan", [*TAIPEI, "NOPE"], "en")).status_code == 404
    client.force_login(council_people["admin"])  # Taipei's
    assert client.get(new_url(COUNCIL, "NEW2.1", "en")).status_code == 404


def test_a_plan_the_map_does_not_have_is_a_404(client, people, taipei_kpi):
    client.force_login(people["admin"])
    assert client.get(url("web:edit-plan", [*TAIPEI, "NO.SUCH"])).status_code == 404


# --- making plans ----------------------------------------------------------------------------------------


def test_two_plans_with_monthly_schedules_are_made_for_a_new_kpi_on_taipeis_map(client, people, taipei_kpi):
    smap = the_map(*TAIPEI)
    client.force_login(people["admin"])
    first = form(
        smap,
        kpi="NEW1.1",
        code="NEW1.1.1",
        name="職訓計畫",
        name_en="Job training",
        agencies=["taipei-dol"],
        note="試辦",
        reason="新增行動方案",
        tasks=[("開班", [1, 2, 3], ""), ("結訓", [], "10-12"), ("", [], "")],
        outcomes=[("結訓人數", "120", "人"), ("", "", "")],
    )
    response = client.post(new_url(TAIPEI, "NEW1.1"), first)
    assert response.status_code == 303
    assert response["Location"] == url("web:edit-plan", [*TAIPEI, "NEW1.1.1"])
    second = form(
        smap, kpi="NEW1.1", code="NEW1.1.2", name="就業媒合", tasks=[("媒合", [3, 9], "6")], agencies=["taipei-doed"]
    )
    assert client.post(new_url(TAIPEI, "NEW1.1"), second).status_code == 303

    plans = list(ActionPlan.objects.filter(kpi=taipei_kpi).order_by("order"))
    assert [p.code for p in plans] == ["NEW1.1.1", "NEW1.1.2"]
    one, two = plans
    assert [(t.name, t.months, t.order) for t in one.tasks.order_by("order")] == [
        ("開班", [1, 2, 3], 0),
        ("結訓", [10, 11, 12], 1),
    ]
    assert [t.months for t in two.tasks.all()] == [[3, 6, 9]]
    assert [a.code for a in one.agencies.all()] == ["taipei-dol"]
    assert one.i18n == {"name_en": "Job training"} and one.note == "試辦"
    assert [(o.text, o.quantity, o.unit, o.objective_id) for o in one.outcomes.all()] == [
        ("結訓人數", Decimal(120), "人", taipei_kpi.objective_id)
    ]
    # the map's version went up once a save, and the audit trail has each change with its reason
    assert the_map(*TAIPEI).version == smap.version + 1
    events = {e.field: e for e in AuditEvent.objects.filter(object_type="strategy.strategymap", object_id=smap.pk)}
    assert events["plan NEW1.1.1 task 2"].new == "結訓 [10,11,12]"
    assert events["plan NEW1.1.1 name_en"].new == "Job training"
    assert events["plan NEW1.1.1"].reason == "新增行動方案" and events["plan NEW1.1.1"].username == "admin"

    # the plans page shows them with their months, and a dump of the map holds them
    page = client.get(url("web:plans", TAIPEI)).content.decode()
    article = re.search(r'<article class="plan" id="plan-NEW1.1.1">.*?</article>', page, re.S).group(0)
    row = re.search(r"<tr><th scope=\"row\">結訓</th>(.*?)</tr>", article, re.S).group(1)
    assert [cell.startswith('<td class="month on"') for cell in re.findall(r'<td class="month[^>]*>', row)] == [
        m in (10, 11, 12) for m in range(1, 13)
    ]
    dumped = plans_of(map_document(the_map(*TAIPEI), access=SYSTEM))
    assert dumped["NEW1.1.1"]["tasks"] == [
        {"name": "開班", "months": [1, 2, 3]},
        {"name": "結訓", "months": [10, 11, 12]},
    ]
    assert dumped["NEW1.1.1"]["name_en"] == "Job training"
    assert dumped["NEW1.1.2"]["agencies"] == ["taipei-doed"]


def test_the_councils_grid_runs_april_to_march_and_calendar_months_are_stored(client, council_people, council_kpi):
    smap = the_map(*COUNCIL)
    client.force_login(council_people["council-admin"])
    page = client.get(new_url(COUNCIL, "NEW2.1", "en")).content.decode()
    headers = month_headers(page)
    assert headers[0].startswith("Apr") and headers[-1].startswith("Mar") and len(headers) == 12
    assert headers.index("Jan 2025") == 9
    # each month's checkbox is labelled with its month and task, in the order the year runs
    first_row = re.search(r"<tbody>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'name="tasks-0-months" value="(\d+)"', first_row) == [str(m) for m in [*range(4, 13), 1, 2, 3]]
    assert re.search(r'<label class="visually-hidden" for="id_tasks-0-months_0">Apr 2024, task 1</label>', first_row)

    data = form(
        smap,
        kpi="NEW2.1",
        code="NEW2.1.1",
        name="Winter shelter",
        **{"name_zh-hant": "冬季庇護所"},
        agencies=["ashcombe-people"],
        tasks=[("Open the shelter", [12], "11-2"), ("Review", [], "Mar, 4")],
        outcomes=[("Beds", "40", "beds")],
    )
    assert client.post(new_url(COUNCIL, "NEW2.1", "en"), data).status_code == 303
    made = ActionPlan.objects.get(code="NEW2.1.1")
    assert [t.months for t in made.tasks.order_by("order")] == [[1, 2, 11, 12], [3, 4]]
    assert made.i18n == {"name_zh_hant": "冬季庇護所"}
    second = form(smap, kpi="NEW2.1", code="NEW2.1.2", name="Outreach", tasks=[("Street counts", [4, 7, 10, 1], "")])
    assert client.post(new_url(COUNCIL, "NEW2.1", "en"), second).status_code == 303

    plans_page = client.get(url("web:plans", COUNCIL, "en")).content.decode()
    article = re.search(r'<article class="plan" id="plan-NEW2.1.1">.*?</article>', plans_page, re.S).group(0)
    row = re.search(r'<tr><th scope="row">Open the shelter</th>(.*?)</tr>', article, re.S).group(1)
    cells = re.findall(r"<td[^>]*>", row)  # April first: Nov, Dec, Jan, Feb are the 8th to 11th
    assert [i for i, c in enumerate(cells) if "month on" in c] == [7, 8, 9, 10]
    assert plans_of(map_document(the_map(*COUNCIL), access=SYSTEM))["NEW2.1.2"]["tasks"] == [
        {"name": "Street counts", "months": [1, 4, 7, 10]}
    ]


def test_a_plan_is_changed_and_each_change_is_audited_with_old_new_and_reason(client, people, taipei_kpi):
    smap = the_map(*TAIPEI)
    client.force_login(people["admin"])
    made = form(
        smap,
        kpi="NEW1.1",
        code="NEW1.1.1",
        name="職訓",
        tasks=[("開班", [1, 2], ""), ("結訓", [12], "")],
        outcomes=[("人數", "10", "人")],
    )
    client.post(new_url(TAIPEI, "NEW1.1"), made)
    page = client.get(url("web:edit-plan", [*TAIPEI, "NEW1.1.1"])).content.decode()
    assert 'value="1" id="id_tasks-0-months_0" checked' in page
    changed = form(
        smap,
        kpi="NEW1.1",
        code="NEW1.1.1",
        name="職業訓練",
        tasks=[("開班", [1, 2, 3], ""), ("結訓", [12], "")],
        outcomes=[("人數", "12", "人")],
        initial=(2, 1),
        reason="目標上修",
    )
    changed["tasks-1-DELETE"] = "on"  # the second task goes
    response = client.post(url("web:edit-plan", [*TAIPEI, "NEW1.1.1"]), changed)
    assert response.status_code == 303
    plan = ActionPlan.objects.get(code="NEW1.1.1")
    assert plan.name == "職業訓練"
    assert [(t.name, t.months) for t in plan.tasks.all()] == [("開班", [1, 2, 3])]
    assert [o.quantity for o in plan.outcomes.all()] == [Decimal(12)]
    last = AuditEvent.objects.filter(object_id=smap.pk, object_type="strategy.strategymap", reason="目標上修")
    assert {e.field: (e.old, e.new) for e in last} == {
        "plan NEW1.1.1 name": ("職訓", "職業訓練"),
        "plan NEW1.1.1 task 1": ("開班 [1,2]", "開班 [1,2,3]"),
        "plan NEW1.1.1 task 2": ("結訓 [12]", "—"),
        "plan NEW1.1.1 outcome 1": ("人數 (10 人)", "人數 (12 人)"),
    }


def test_a_task_whose_schedule_was_not_known_stays_so_when_the_plan_is_saved(client, people, taipei_kpi):
    plan = ActionPlan.objects.create(kpi=taipei_kpi, code="NEW1.1.1", name="載入的", order=1)
    plan.agencies.set([Organization.objects.get(code="taipei-dol")])
    plan.tasks.create(name="已排程", months=[5, 6], order=0)
    plan.tasks.create(name="未排程", months=None, order=1)  # as a dataset may load it
    client.force_login(people["admin"])
    page = client.get(url("web:edit-plan", [*TAIPEI, plan.code])).content.decode()
    unknown = [int(i) for i in re.findall(r'name="tasks-(\d+)-unknown" value="1"', page)]
    assert unknown
    total = int(re.search(r'name="tasks-INITIAL_FORMS" value="(\d+)"', page).group(1))
    data = {
        key: value
        for key, value in re.findall(r'<input type="(?:text|hidden)" name="([^"]+)" value="([^"]*)"', page)
        if key != "csrfmiddlewaretoken"
    }
    data |= {
        f"tasks-{i}-months": [m for m in re.findall(rf'name="tasks-{i}-months" value="(\d+)"[^>]*checked', page)]
        for i in range(total)
    }
    data |= {"kpi": plan.kpi.code, "name": plan.name + "（修）", "do": "save", "reason": "更名"}  # a revision of 109's
    data["agencies"] = [a.code for a in plan.agencies.all()]
    before = {t.order: t.months for t in plan.tasks.all()}
    assert client.post(url("web:edit-plan", [*TAIPEI, plan.code]), data).status_code == 303
    assert {t.order: t.months for t in plan.tasks.all()} == before


# --- refused ---------------------------------------------------------------------------------------------


def test_a_second_administrator_gets_409_with_what_changed_and_nothing_is_written(client, people, taipei_kpi):
    smap = the_map(*TAIPEI)
    other = type(people["admin"]).objects.create_user("admin2", password="pw-for-tests-only")
    other.memberships.create(organization=Organization.objects.get(code="taipei"), role="administrator")
    client.force_login(people["admin"])
    opened = form(smap, kpi="NEW1.1", code="NEW1.1.1", name="甲", tasks=[("開班", [1], "")])  # the page both opened
    second = dict(opened, code="NEW1.1.9", name="乙")
    assert client.post(new_url(TAIPEI, "NEW1.1"), dict(opened, reason="先存")).status_code == 303
    before = row_counts()
    client.force_login(other)
    response = client.post(new_url(TAIPEI, "NEW1.1"), second)
    assert response.status_code == 409
    page = response.content.decode()
    assert "plan NEW1.1.1" in page and "先存" in page  # what changed meanwhile, by whom and why
    assert 'value="NEW1.1.9"' in page and 'value="乙"' in page  # what they typed is kept
    assert row_counts() == before
    assert not ActionPlan.objects.filter(code="NEW1.1.9").exists()


@pytest.mark.parametrize(
    "where, change, field, says",
    [
        (TAIPEI, {"tasks-0-months": ["1", "13"]}, ("tasks", 0, "months"), "13"),
        (TAIPEI, {"tasks-0-ranges": "0, 4"}, ("tasks", 0, "ranges"), "0 is not a month"),
        (TAIPEI, {"tasks-0-ranges": "13"}, ("tasks", 0, "ranges"), "13 is not a month"),
        (TAIPEI, {"tasks-0-ranges": "1-x"}, ("tasks", 0, "ranges"), "1-x"),
        (TAIPEI, {"tasks-0-ranges": "11-2"}, ("tasks", 0, "ranges"), "11-2 runs backwards"),
        (COUNCIL, {"tasks-0-ranges": "3-5"}, ("tasks", 0, "ranges"), "3-5 runs backwards"),
        (TAIPEI, {"code": "NEW/1"}, ("form", None, "code"), "NEW/1 is not a valid code"),
        (TAIPEI, {"code": "DP1.1.1"}, ("form", None, "code"), "DP1.1.1 is already used"),
        (TAIPEI, {"outcomes-0-quantity": "12abc"}, ("outcomes", 0, "quantity"), ""),
        (TAIPEI, {"kpi": "NOPE"}, ("form", None, "kpi"), "NOPE"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_written(
    client, council_people, taipei_kpi, council_kpi, where, change, field, says
):
    smap = the_map(*where)
    kpi = "NEW1.1" if where == TAIPEI else "NEW2.1"
    if "DP1.1.1" in change.values():
        ActionPlan.objects.create(kpi=taipei_kpi, code="DP1.1.1", name="已有", order=99)
    client.force_login(council_people["admin" if where == TAIPEI else "council-admin"])
    data = form(smap, kpi=kpi, code="NEW.P1", name="計畫", tasks=[("工作", [1], "")], outcomes=[("成果", "1", "件")])
    data |= change
    before = row_counts()
    response = client.post(new_url(where, kpi, "en"), data)
    assert response.status_code == 400
    assert row_counts() == before
    which, index, name = field
    errors = response.context["form"].errors if which == "form" else response.context[which].forms[index].errors
    assert name in errors, errors
    assert says in " ".join(errors[name])
    assert "Nothing was saved" in response.content.decode()


def test_the_service_refuses_a_month_outside_1_to_12_at_the_tasks_months(people, taipei_kpi):
    smap = the_map(*TAIPEI)
    for month in (0, 13):
        with pytest.raises(ValidationError) as refused:
            plan_save(
                access=Access(people["admin"]),
                smap=smap,
                version=smap.version,
                kpi="NEW1.1",
                code="NEW.P2",
                name="計畫",
                tasks=[("甲", [1]), ("乙", [month])],
            )
        assert refused.value.message_dict == {"tasks-1-months": [f"{month} 不是月份：請用 1–12。"]}
    assert not ActionPlan.objects.filter(code="NEW.P2").exists()


def test_a_plan_with_recorded_progress_is_not_deleted_and_one_without_is(client, people, taipei_kpi):
    smap = the_map(*TAIPEI)
    kept = ActionPlan.objects.create(kpi=taipei_kpi, code="NEW1.1.1", name="有進度", order=1)
    task = kept.tasks.create(name="工作", months=[3, 4], order=0)
    TaskProgress.objects.create(task=task, month=3, planned=True, done="done")
    TaskProgress.objects.create(task=task, month=4, note="延後")
    gone = ActionPlan.objects.create(kpi=taipei_kpi, code="NEW1.1.2", name="無進度", order=2)
    gone.tasks.create(name="工作", months=[1], order=0)
    client.force_login(people["admin"])
    page = client.get(url("web:edit-plan", [*TAIPEI, "NEW1.1.1"], "en")).content.decode()
    assert "monthly progress recorded for 2 months: it cannot be deleted" in page
    before = row_counts()
    refused = client.post(url("web:edit-plan", [*TAIPEI, "NEW1.1.1"], "en"), {"do": "delete", "version": smap.version})
    assert refused.status_code == 400 and row_counts() == before
    assert "NEW1.1.1 has monthly progress recorded for 2 months" in refused.content.decode()
    smap.refresh_from_db()
    deleted = client.post(
        url("web:edit-plan", [*TAIPEI, "NEW1.1.2"]), {"do": "delete", "version": smap.version, "reason": "併入"}
    )
    assert deleted.status_code == 303 and deleted["Location"] == url("web:plans", TAIPEI)
    assert not ActionPlan.objects.filter(code="NEW1.1.2").exists()
    event = AuditEvent.objects.get(object_id=smap.pk, object_type="strategy.strategymap", field="plan NEW1.1.2")
    assert (event.old, event.new, event.reason) == ("無進度", "—", "併入")


# --- the page -------------------------------------------------------------------------------------------


def test_the_editor_page_links_back_to_the_map_and_the_kpi(client, people, taipei_kpi):
    client.force_login(people["admin"])
    page = client.get(new_url(TAIPEI, "NEW1.1")).content.decode()
    assert f'href="{url("web:map", TAIPEI)}"' in page
    assert f'href="{url("web:kpi", [*TAIPEI, "NEW1.1"])}"' in page
    assert '<option value="NEW1.1" selected>' in page
    assert month_headers(page) == [f"{m}月" for m in range(1, 13)]


def test_the_kpi_page_links_its_administrators_to_edit_and_add_plans_and_nobody_else(client, people, taipei_kpi):
    ActionPlan.objects.create(kpi=taipei_kpi, code="NEW1.1.1", name="甲", order=1)
    edit, add = url("web:edit-kpi", [*TAIPEI, "NEW1.1"]), new_url(TAIPEI, "NEW1.1")  # the KPI editor lists its plans
    client.force_login(people["admin"])
    page = client.get(url("web:kpi", [*TAIPEI, "NEW1.1"])).content.decode()
    assert f'href="{edit}"' in page and f'href="{add}"' in page
    client.force_login(people["viewer"])
    page = client.get(url("web:kpi", [*TAIPEI, "NEW1.1"])).content.decode()
    assert "/edit/plans/" not in page


def test_the_editor_page_reads_in_a_fixed_number_of_queries(client, people, taipei_kpi):
    smap = the_map(*TAIPEI)
    small = ActionPlan.objects.create(kpi=taipei_kpi, code="NEW.S", name="小", order=1)
    small.tasks.create(name="工作", months=[1], order=0)
    big = ActionPlan.objects.create(kpi=taipei_kpi, code="NEW.B", name="大", order=2)
    for i in range(40):
        task = big.tasks.create(name=f"工作{i}", months=[1 + i % 12], order=i)
        big.outcomes.create(objective=taipei_kpi.objective, text=f"成果{i}", quantity=i, order=i)
        TaskProgress.objects.create(task=task, month=1 + i % 12, planned=True) if i < 12 else None
    big.agencies.set(Organization.objects.filter(parent__code="taipei")[:5])
    for i in range(20):
        new_kpi(smap, f"NEW.K{i}")
    client.force_login(people["admin"])
    counts = []
    for code in ("NEW.S", "NEW.B"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("web:edit-plan", [*TAIPEI, code])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- reading ranges -------------------------------------------------------------------------------------


def test_ranges_read_as_calendar_months_in_the_organizations_year_order():
    taipei, council = YearStyle(), YearStyle(start_month=4)
    assert parse_months("1-3, 7, 10-12", taipei) == [1, 2, 3, 7, 10, 11, 12]
    assert parse_months("4月-6月、9月", taipei) == [4, 5, 6, 9]
    assert parse_months("Apr - Jun; Dec", council) == [4, 5, 6, 12]
    assert parse_months("11-2", council) == [1, 2, 11, 12]
    assert parse_months("  ", council) == []
    with pytest.raises(ValidationError, match="11-2 的順序顛倒"):  # in the site's language: it runs backwards
        parse_months("11-2", taipei)
    with pytest.raises(ValidationError, match="1--3"):
        parse_months("1--3", taipei)
