"""Loading a dataset into a database where people have worked: nothing they entered is lost silently.

A load merges by identity (organization, year and version; codes; lineage): what the file has is
updated in place, results and plan progress it does not mention are kept, and what it would remove
or overwrite is refused with a list, unless ``--replace`` (then every removal is audited).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from stratmap.access import SYSTEM, access_for
from stratmap.core.models import AuditEvent
from stratmap.exchange.dumper import dump_map, dump_organizations, to_yaml
from stratmap.exchange.loader import LoadWouldLose, load_paths
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.services import NEW, kpi_result_record
from stratmap.plans.models import ActionPlan, TaskProgress
from stratmap.plans.services import NEW as NO_PROGRESS
from stratmap.plans.services import Cell, task_progress_save
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts

YEAR = 2020  # 109: the demo's maps carry no results for it, so they are entered in the app


def kpi(code: str) -> Kpi:
    return Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=YEAR, code=code)


def enter(user, code: str, actual: str) -> KpiResult:
    """An editor saves a result through the service the entry page uses."""
    target = kpi(code)
    version = KpiResult.objects.filter(kpi=target, year=YEAR).values_list("version", flat=True).first()
    return kpi_result_record(
        access=access_for(user),
        kpi=target,
        year=YEAR,
        data={"actual": Decimal(actual), "situation_analysis": "說明", "countermeasures": "對策"},
        version=NEW if version is None else version,
        reason="entered in the app",
    )


def progress(user, code: str) -> ActionPlan:
    plan = ActionPlan.objects.filter(kpi=kpi(code)).first()
    task = plan.tasks.order_by("order").first()
    task_progress_save(
        access=access_for(user),
        plan=plan,
        cells={(task.pk, 1): Cell(True, "done", "已完成"), (task.pk, 2): Cell(True, "under_way")},
        versions={(task.pk, 1): NO_PROGRESS, (task.pk, 2): NO_PROGRESS},
    )
    return plan


@pytest.fixture
def web_work(people):
    """勞動局's editor has entered DP5.1's 109 result twice and its plan's progress for two months."""
    enter(people["dol"], "DP5.1", "5.0")
    enter(people["dol"], "DP5.1", "5.2")
    progress(people["dol"], "DP5.1")
    return people


def dump_to(folder: Path, year: int | None = None) -> list[Path]:
    """The organizations and every map (or the maps of ``year``) written as dataset files."""
    paths = [folder / "organizations.yaml"]
    paths[0].write_text(dump_organizations(), encoding="utf-8")
    for smap in StrategyMap.objects.select_related("organization"):
        if year is None or smap.year == year:
            path = folder / f"{smap.organization.code}-{smap.year}.yaml"
            path.write_text(dump_map(smap.organization.code, smap.year, access=SYSTEM), encoding="utf-8")
            paths.append(path)
    return paths


def state() -> dict:
    """What people's work rests on: every audit event's link, result versions, plan progress, row ids."""
    return {
        "events": list(AuditEvent.objects.order_by("pk").values_list("pk", "kpi_id", "object_id")),
        "results": list(KpiResult.objects.order_by("pk").values_list("pk", "kpi_id", "year", "version", "actual")),
        "progress": list(
            TaskProgress.objects.order_by("pk").values_list("pk", "task_id", "month", "done", "note", "version")
        ),
        "plans": list(ActionPlan.objects.order_by("pk").values_list("pk", "code")),
        "kpis": list(Kpi.objects.order_by("pk").values_list("pk", "code")),
        "rows": row_counts(),
    }


def test_a_dump_loaded_straight_back_changes_nothing_people_entered(web_work, tmp_path):
    before = state()
    assert AuditEvent.objects.filter(kpi__code="DP5.1").count() >= 3
    load_paths(dump_to(tmp_path))
    after = state()
    assert AuditEvent.objects.filter(kpi__isnull=True).count() == 0, "an audit event lost its KPI"
    assert after == before


def test_loading_a_dataset_without_results_keeps_the_results_entered_in_the_app(web_work, tmp_path):
    from stratmap.exchange.loader import DEMO_DATA

    before = state()
    report = load_paths([DEMO_DATA])  # the 109 map of the demo has no results
    assert report.kept_results == 1
    assert state() == before
    result = KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR)
    assert (result.actual, result.version) == (Decimal("5.2"), 2)
    history = AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id=result.pk)
    assert set(history.values_list("action", "kpi_id")) == {("create", result.kpi_id), ("update", result.kpi_id)}


def test_a_file_without_a_kpi_is_refused_naming_it_and_what_would_go_with_it(web_work, tmp_path):
    (path,) = [p for p in dump_to(tmp_path, YEAR) if p.name == "taipei-2020.yaml"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for theme in data["themes"]:
        for objective in theme.get("objectives", []):
            objective["kpis"] = [k for k in objective.get("kpis", []) if k["code"] != "DP5.1"]
    path.write_text(to_yaml(data), encoding="utf-8")
    before = state()
    with pytest.raises(LoadWouldLose) as refused:
        load_paths([path])
    lines = [str(e) for e in refused.value.errors]
    (line,) = [e for e in lines if "KPI DP5.1" in e]
    assert line.startswith(f"{path}: taipei 2020 109年度: KPI DP5.1 ")
    assert "(with 1 action plan(s), 1 result(s) and 2 month(s) of plan progress)" in line and "--replace" in line
    assert not any(": action plan " in e for e in lines), "the KPI's plan goes with it: listed under the KPI"
    assert state() == before

    report = load_paths([path], replace=True)
    assert not Kpi.objects.filter(objective__map__year=YEAR, code="DP5.1").exists()
    assert any("removed KPI DP5.1" in line for line in report.removed)
    removed = AuditEvent.objects.filter(action="delete", reason=f"replaced by loading {path}")
    assert {"kpis.kpi", "kpis.kpiresult", "plans.actionplan", "plans.taskprogress"} <= set(
        removed.values_list("object_type", flat=True)
    )
    assert removed.filter(object_type="kpis.kpiresult", field="actual", old="5.2").exists()


def test_a_result_changed_in_the_app_is_not_overwritten_by_a_load_without_replace(web_work, tmp_path):
    (path,) = [p for p in dump_to(tmp_path, YEAR) if p.name == "taipei-2020.yaml"]
    text = path.read_text(encoding="utf-8")
    assert "actual: 5.2" in text
    path.write_text(text.replace("actual: 5.2", "actual: 9.9"), encoding="utf-8")
    before = state()
    with pytest.raises(LoadWouldLose) as refused:
        load_paths([path])
    (line,) = [str(e) for e in refused.value.errors]
    assert ".kpis[0].results.109: the result in the database was changed in the app" in line
    assert "by dol" in line and "actual 5.2 → 9.9" in line and "--replace" in line
    assert state() == before

    load_paths([path], replace=True)
    result = KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR)
    assert (result.actual, result.version) == (Decimal("9.9"), 3)
    event = AuditEvent.objects.get(object_type="kpis.kpiresult", object_id=result.pk, object_version=3)
    assert (event.field, event.old, event.new, event.kpi) == ("actual", "5.2", "9.9", result.kpi)
    assert event.reason == f"replaced by loading {path}" and event.user is None


def test_a_result_only_ever_loaded_is_updated_in_place_with_a_new_version_and_audited(demo, tmp_path):
    result = KpiResult.objects.get(kpi__objective__map__year=2019, kpi__code="DP5.1", year=2019)
    (path,) = [p for p in dump_to(tmp_path, 2019) if p.name == "taipei-2019.yaml"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    old = format(result.actual.normalize(), "f")
    path.write_text(path.read_text(encoding="utf-8").replace(f"actual: {old}\n", "actual: 1.5\n", 1), encoding="utf-8")
    assert data  # the dump parses
    load_paths([path])
    changed = KpiResult.objects.get(pk=result.pk)
    assert (changed.actual, changed.version) == (Decimal("1.5"), 2)
    assert AuditEvent.objects.filter(
        object_id=result.pk, object_type="kpis.kpiresult", action="load", old=old, new="1.5", kpi=result.kpi
    ).exists()


def test_the_load_command_says_what_would_be_lost_and_how_to_go_ahead(web_work, tmp_path, capsys):
    (path,) = [p for p in dump_to(tmp_path, YEAR) if p.name == "taipei-2020.yaml"]
    path.write_text(path.read_text(encoding="utf-8").replace("actual: 5.2", "actual: 9.9"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"would be lost; nothing was written.*--replace"):
        call_command("load", str(path))
    assert "changed in the app" in capsys.readouterr().err
    call_command("load", str(path), replace=True)
    out = capsys.readouterr().out
    assert "overwrote actual 5.2 → 9.9" in out and "merged into taipei 2020 109年度" in out
