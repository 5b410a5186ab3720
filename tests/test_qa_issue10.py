"""Issue 10 tried again after its fixes (a QA pass): what still failed, each with its regression test."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from stratmap.core.models import AuditEvent, Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.services import NEW
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress
from stratmap.strategy.models import StrategyMap, Theme
from tests.conftest import row_counts
from tests.helpers import (
    GOOD,
    admin_url,
    download,
    enter,
    fill,
    form_data,
    letter,
    problems,
    refused,
    settings_in_a_new_process,
    upload,
)


def test_the_public_kpi_page_of_a_kpi_without_lineage_shows_no_draft_actual_in_its_history(client, demo):
    # 產業局's 110 KPIs have no lineage: each is its own history, which must hold visible results only.
    kpi = Kpi.objects.get(objective__map__organization__code="taipei-doed", objective__map__year=2021, code="EP1.1")
    assert kpi.lineage_id is None
    KpiResult.objects.create(kpi=kpi, year=2021, actual=Decimal("777.77"), status=KpiResult.Status.DRAFT)

    page = client.get("/taipei-doed/110/kpis/EP1.1/")

    assert page.status_code == 200
    assert "777.77" not in page.content.decode()


def test_a_workbook_text_the_columns_refuse_is_listed_under_its_own_cell_with_the_others(people, client):
    # U+0085 is well-formed XML, so it reaches the check; 4,001 characters is over the narratives' limit.
    book = download(client, people["dol"])
    first = fill(book, "DC1.1", actual=3.5, situation_analysis="原因\x85說明")
    second = fill(book, "DC1.2", actual=7.0, countermeasures="長" * 4001)
    before = row_counts()

    response = upload(client, book)

    assert response.status_code == 400
    found = {(p.row, p.column) for p in problems(response)}
    assert found == {(first, letter("situation_analysis")), (second, letter("countermeasures"))}
    assert row_counts() == before


def test_a_monthly_note_too_long_is_refused_naming_its_month_not_cut_short(people, client):
    plan = ActionPlan.objects.get(
        kpi__objective__map__organization__code="taipei", kpi__objective__map__year=2020, code="DC1.2.1"
    )
    client.force_login(people["dol"])
    task = plan.tasks.order_by("order").first()  # progress is per task since issue 16
    cell = f"{task.pk}-5"

    page = client.post(
        f"/taipei/109/plans/{plan.code}/progress/",
        {f"version-{cell}": 0, f"planned-{cell}": "on", f"note-{cell}": "長" * 501, "reason": "補登"},
    )

    assert page.status_code == 400
    assert "5月 備註：" in page.content.decode()
    assert not TaskProgress.objects.filter(task__plan=plan).exists()


def test_a_name_with_a_character_xml_cannot_hold_is_refused_in_a_dataset_and_in_the_admin(demo, client, tmp_path):
    # U+FFFF is no control character but no XML may hold it: stored, it made the public scorecard.xlsx
    # and the agencies' workbook.xlsx answer 500.
    _, errors = refused(tmp_path, GOOD.replace("name: 失業率", 'name: "失業\\uFFFF率"', 1))
    assert any("kpis[0].name" in e and "U+FFFF" in e for e in errors), errors

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    response = client.post(
        "/admin/core/organization/add/", {"code": "bad-org", "name": "壞\ufffe名", "kind": "bureau"}, follow=True
    )
    assert "U+FFFE" in response.content.decode()
    assert not Organization.objects.filter(code="bad-org").exists()


def test_serve_lets_gunicorn_cmd_args_change_the_timeout_as_docs_deploy_says(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
        "STRATMAP_VAR_DIR": str(tmp_path),
        "STRATMAP_WORKERS": "1",
        # gunicorn prints its configuration and stops
        "GUNICORN_CMD_ARGS": "--timeout 123 --max-requests 1000 --print-config",
    }
    done = subprocess.run(
        [sys.executable, "-m", "stratmap.cli", "serve"], env=env, capture_output=True, text=True, timeout=120
    )

    settings = dict(map(str.strip, line.split(" = ", 1)) for line in done.stdout.splitlines() if " = " in line)
    assert settings["timeout"] == "123"
    assert settings["max_requests"] == "1000"
    assert settings["workers"] == "1"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"STRATMAP_TRUSTED_PROXY_COUNT": "one"}, "STRATMAP_TRUSTED_PROXY_COUNT"),
        ({"STRATMAP_EMAIL_HOST": "smtp.example.org", "STRATMAP_EMAIL_PORT": "one"}, "STRATMAP_EMAIL_PORT"),
        (
            {"STRATMAP_HTTPS": "1", "STRATMAP_SECRET_KEY": "k" * 50, "STRATMAP_HSTS_SECONDS": "one"},
            "STRATMAP_HSTS_SECONDS",
        ),
    ],
)
def test_a_setting_that_must_be_a_number_and_is_not_is_refused_naming_the_variable(tmp_path, env, name):
    done = settings_in_a_new_process(tmp_path, **env)

    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured") and name in last and "'one'" in last


def test_a_roll_over_year_that_is_no_year_is_refused_in_chinese_on_the_chinese_page(people, client):
    client.force_login(people["admin"])
    smap = StrategyMap.objects.get(organization__code="taipei", year=2021)

    page = client.post("/taipei/110/revise/", {"do": "rollover", "year": "一一一", "version": smap.version})

    text = page.content.decode()
    assert "請輸入年度，例如 108（民國）或 2019（西元）。" in text
    assert "is not a year" not in text


def test_a_stale_admin_result_form_names_what_changed_in_chinese_at_taipei_time(people, client):
    client.force_login(people["admin"])
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save()
    result = enter(people["dol"], NEW, actual="5.0")
    url = admin_url("admin:kpis_kpiresult_change", result.pk)
    data = form_data(client.get(url))
    enter(people["dol"], result.version, actual="5.4")  # meanwhile, on the result page
    changed = AuditEvent.objects.filter(object_id=result.pk, object_type="kpis.kpiresult").latest("pk")
    data["actual"] = "5.6"

    text = client.post(url, data).content.decode()

    assert f"{timezone.localtime(changed.at):%Y-%m-%d %H:%M} dol 達成值 “5” → “5.4”" in text


def test_an_outcomes_quantity_shows_as_entered_in_the_administration(people, client):
    client.force_login(people["admin"])
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save()
    outcome = Outcome.objects.filter(quantity=Decimal("10500000")).first()
    assert outcome is not None

    form = client.get(admin_url("admin:plans_outcome_change", outcome.pk)).content.decode()
    listing = client.get(admin_url("admin:plans_outcome_changelist"), {"q": outcome.text}).content.decode()
    plan = client.get(admin_url("admin:plans_actionplan_change", outcome.plan_id)).content.decode()

    assert 'value="10500000"' in form and "10500000.0000" not in form
    assert "10500000" in listing and "10500000.0000" not in listing
    assert 'value="10500000"' in plan and "10500000.0000" not in plan


def test_dump_to_a_file_name_too_long_for_the_system_is_a_clear_error(demo, tmp_path):
    too_long = tmp_path / ("a" * 300 + ".yaml")

    with pytest.raises(CommandError, match=r"-o/--output: cannot write .*aaaa\.yaml: File name too long"):
        call_command("dump", org="taipei", year="109", output=str(too_long))


def test_an_order_too_large_for_a_small_integer_column_is_refused_on_sqlite_as_on_postgresql(people, client):
    # SQLite stores any 64-bit integer in a smallint column: the admin took 10¹², which PostgreSQL
    # refuses, and `stratmap dump` then refused the map.
    client.force_login(people["admin"])
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save()
    theme = Theme.objects.get(map__organization__code="taipei", map__year=2020, code="D")
    url = admin_url("admin:strategy_theme_change", theme.pk)
    data = {**form_data(client.get(url)), "order": "1000000000000", "change_reason": "排序"}

    page = client.post(url, data)

    assert page.status_code == 200
    assert "32767" in page.content.decode()
    assert Theme.objects.get(pk=theme.pk).order == theme.order


def test_reloading_the_dataset_keeps_the_lineages_a_roll_over_linked(people, client):
    client.force_login(people["admin"])
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2021, in_force=True)
    client.post("/taipei-doed/110/revise/", {"do": "rollover", "year": "111", "version": smap.version})
    old = Kpi.objects.get(objective__map=smap, code="AC1.1")
    assert old.lineage_id is not None

    call_command("load", "--demo", stdout=open(os.devnull, "w"))

    old.refresh_from_db()
    new = Kpi.objects.get(objective__map__organization__code="taipei-doed", objective__map__year=2022, code="AC1.1")
    assert old.lineage_id is not None and old.lineage_id == new.lineage_id
    assert 'href="/taipei-doed/110/kpis/AC1.1/"' in client.get("/taipei-doed/111/kpis/AC1.1/").content.decode()


def test_a_code_change_with_a_typed_name_renames_the_kpi_too_and_records_both(people, client):
    client.force_login(people["admin"])
    last = StrategyMap.objects.get(organization__code="taipei-doed", year=2021, in_force=True)
    client.post("/taipei-doed/110/revise/", {"do": "rollover", "year": "111", "version": last.version})
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2022)
    old_name = Kpi.objects.get(objective__map=smap, code="AC3.1").name

    page = client.post(
        "/taipei-doed/111/revise/",
        {
            "do": "revise",
            "level": "kpi",
            "action": "change",
            "code": "AC3.1",
            "new_code": "AC3.2",
            "name": "改名又改碼",
            "reason": "測試",
            "version": smap.version,
        },
        follow=True,
    )

    assert page.status_code == 200
    kpi = Kpi.objects.get(objective__map=smap, code="AC3.2")
    assert kpi.name == "改名又改碼"
    revision = smap.revisions.get()
    assert (revision.code, revision.old_name, revision.new_name) == ("AC3.1 → AC3.2", old_name, "改名又改碼")
    assert f"“{old_name}” → “改名又改碼”" in page.content.decode()
    assert AuditEvent.objects.filter(action="revise", old=old_name, new="改名又改碼").exists()


def test_the_job_queue_admin_is_in_chinese_in_the_chinese_admin(people, client):
    from django_tasks_db.models import DBTaskResult, get_date_max

    DBTaskResult.objects.create(
        task_path="stratmap.reports.jobs.render_report",
        args_kwargs={"args": [1], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),  # as enqueued without a time, which every backend supports
    )
    people["admin"].is_staff = people["admin"].is_superuser = True
    people["admin"].save()
    client.force_login(people["admin"])

    index = client.get(admin_url("admin:index")).content.decode()
    results = client.get(admin_url("admin:django_tasks_database_dbtaskresult_changelist")).content.decode()

    assert "工作佇列" in index and "工作結果" in results
    for english in ["Tasks Database Backend", "Task Result", "Started at", "Finished at", "Enqueued at"]:
        assert english not in index and english not in results


def test_serve_with_workers_that_are_no_number_is_refused_naming_the_variable_without_a_traceback(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
        "STRATMAP_VAR_DIR": str(tmp_path),
        "STRATMAP_WORKERS": "abc",
    }
    done = subprocess.run(
        [sys.executable, "-m", "stratmap.cli", "serve"], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "STRATMAP_WORKERS='abc' is not a whole number" in done.stderr


@pytest.mark.browser
def test_the_admins_action_plan_form_fits_a_1280_px_screen_with_its_tasks_months(live_server, transactional_db, page):
    from stratmap.exchange.loader import DEMO_DATA, load_paths
    from tests.helpers import SHOTS

    load_paths([DEMO_DATA])
    SHOTS.mkdir(parents=True, exist_ok=True)
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    plan = ActionPlan.objects.filter(tasks__isnull=False).order_by("pk").first()
    task = plan.tasks.order_by("order").first()
    PlanTask.objects.filter(pk=task.pk).update(months=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.goto(live_server.url + f"/admin/plans/actionplan/{plan.pk}/change/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "admin-plan-form-1280.png"), full_page=True)

    assert page.locator("[name=tasks-0-months]").input_value() == "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
