"""Nothing lost, second round (issue 10): a map's revisions and roll-over are version-checked like
results, a plan-progress conflict lists what changed, the audit trail refuses reasons it cannot keep,
and django-axes' admin heading is translated."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stratmap.access import SYSTEM, Access
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.exchange.dumper import dump_map
from stratmap.exchange.loader import load_paths
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.plans.models import ActionPlan, TaskProgress
from stratmap.revisions.services import map_revise
from stratmap.strategy.models import Revision, StrategyMap
from tests.conftest import row_counts
from tests.helpers import field_errors

pytestmark = pytest.mark.django_db

REVISE = "/taipei/109/revise/"
ROLL = "/taipei-doed/110/revise/"
RESULT = "/taipei/109/kpis/DP5.1/result/"
PROGRESS = "/taipei/109/plans/DP5.1.1/progress/"
#: A met entry of DP5.1 for 109: no explanation needed.
ENTRY = {"actual": "5.0", "unknown_kind": "", "innovation": "90", "challenge": "95", "contribution": "95"}


def taipei_109() -> StrategyMap:
    return StrategyMap.objects.get(organization__code="taipei", year=2020)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def second(people, name: str, org: str, role: str):
    """Another person with the same role as one of ``people``: the one who saves first."""
    user = get_user_model().objects.create_user(name, password="pw-for-tests-only")
    Membership.objects.create(user=user, organization=Organization.objects.get(code=org), role=role)
    return user


def opened(client: Client, url: str) -> str:
    """The map or plan version a page's form carries, as the browser posts it back."""
    page = client.get(url).content.decode()
    return re.search(r'<input type="hidden" name="version" value="(\d+)"', page).group(1)


def conflict_of(page: str) -> str:
    """The conflict notice of a 409 page, as text."""
    start = page.index('class="notice error conflict"')
    return re.sub(r"<[^>]+>", "", page[start : page.index("</div>", start)])


@pytest.fixture
def admins(people):
    """Two administrators of the city, each in their own browser."""
    other = second(people, "admin2", "taipei", Membership.Role.ADMINISTRATOR)
    return logged_in(people["admin"]), logged_in(other)


# --- map revisions ----------------------------------------------------------------------------------


def test_a_revise_on_a_map_revised_since_the_page_was_opened_is_refused_with_409_listing_what_changed(admins):
    mine, theirs = admins
    my_version, their_version = opened(mine, REVISE), opened(theirs, REVISE)
    rename = {"do": "revise", "level": "kpi", "action": "rename", "code": "DC1.1", "name": "失業率（年平均）"}
    assert theirs.post(REVISE, {**rename, "reason": "配合主計總處定義", "version": their_version}).status_code == 302
    before, names = row_counts(), dict(Kpi.objects.filter(objective__map=taipei_109()).values_list("code", "name"))

    deleted = {"do": "revise", "level": "kpi", "action": "delete", "code": "DC1.2", "reason": "指標停用"}
    response = mine.post(REVISE, {**deleted, "version": my_version})

    assert response.status_code == 409
    notice = conflict_of(response.content.decode())
    assert "您開啟後已有他人修正此策略地圖，本次未儲存任何資料。" in notice
    assert "admin2" in notice and "DC1.1" in notice and "→ “失業率（年平均）”" in notice
    assert "配合主計總處定義" in notice
    assert row_counts() == before
    assert dict(Kpi.objects.filter(objective__map=taipei_109()).values_list("code", "name")) == names
    assert not Revision.objects.filter(map=taipei_109(), reason="指標停用").exists()


def test_a_revise_form_without_the_maps_version_is_refused_and_writes_nothing(people, client):
    client.force_login(people["admin"])
    before = row_counts()
    data = {"do": "revise", "level": "kpi", "action": "rename", "code": "DC1.1", "name": "新名稱", "reason": "測試"}
    response = client.post(REVISE, data)
    assert response.status_code == 200
    assert "此表單未註明開啟時的策略地圖版本，請重新載入頁面。" in response.content.decode()
    assert row_counts() == before and Kpi.objects.get(objective__map=taipei_109(), code="DC1.1").name != "新名稱"


def test_each_revision_bumps_the_maps_version_and_its_audit_event_records_the_version_reached(people, client):
    access = Access(people["admin"])
    smap = taipei_109()
    start = smap.version
    for n, name in enumerate(["失業率（年平均）", "失業率"], start=1):
        map_revise(
            access=access,
            smap=smap,
            version=start + n - 1,
            level="kpi",
            action="rename",
            code="DC1.1",
            name=name,
            reason=f"第{n}次修正",
        )
        assert taipei_109().version == start + n
    events = AuditEvent.objects.filter(object_type="strategy.strategymap", object_id=smap.pk, action="revise")
    assert list(events.order_by("pk").values_list("object_version", "reason")) == [
        (start + 1, "第1次修正"),
        (start + 2, "第2次修正"),
    ]
    client.force_login(people["admin"])
    assert opened(client, REVISE) == str(start + 2)


def test_a_roll_over_of_a_map_revised_since_the_page_was_opened_is_refused_with_409(admins):
    mine, theirs = admins
    my_version, their_version = opened(mine, ROLL), opened(theirs, ROLL)
    delete = {"do": "revise", "level": "kpi", "action": "delete", "code": "BC1.1", "reason": "指標停用"}
    assert theirs.post(ROLL, {**delete, "version": their_version}).status_code == 302
    before = row_counts()
    response = mine.post(ROLL, {"do": "rollover", "year": "111", "version": my_version})
    assert response.status_code == 409
    notice = conflict_of(response.content.decode())
    assert "BC1.1" in notice and "指標停用" in notice and "admin2" in notice
    assert row_counts() == before
    assert not StrategyMap.objects.filter(organization__code="taipei-doed", year=2022).exists()


def test_a_reload_that_changes_the_map_bumps_its_version_and_a_revise_opened_before_is_stale(people, tmp_path):
    smap = taipei_109()
    path = tmp_path / "taipei-2020.yaml"
    path.write_text(dump_map("taipei", 2020, access=SYSTEM), encoding="utf-8")
    load_paths([path])
    assert taipei_109().version == smap.version, "a file that changes nothing leaves the version alone"

    text = path.read_text(encoding="utf-8")
    name = Kpi.objects.get(objective__map=smap, code="DC1.1").name
    path.write_text(text.replace(f"name: {name}\n", f"name: {name}（修）\n", 1), encoding="utf-8")
    load_paths([path])
    assert Kpi.objects.get(objective__map=smap, code="DC1.1").name == f"{name}（修）"
    assert taipei_109().version == smap.version + 1
    client = logged_in(people["admin"])
    data = {"do": "revise", "level": "kpi", "action": "rename", "code": "DC1.2", "name": "新名稱", "reason": "測試"}
    response = client.post(REVISE, {**data, "version": smap.version})
    assert response.status_code == 409
    assert f"loaded from {path}" in conflict_of(response.content.decode())


# --- plan progress ------------------------------------------------------------------------------------


def cell_of(month: int) -> str:
    """The form fields' suffix of DP5.1.1's first task's ``month`` (progress is per task since issue 16)."""
    plan = ActionPlan.objects.get(code="DP5.1.1", kpi__objective__map__year=2020)
    return f"{plan.tasks.order_by('order').first().pk}-{month}"


def test_a_stale_progress_save_lists_what_changed_meanwhile_month_field_values_who_and_why(people):
    mine = logged_in(people["dol"])
    theirs = logged_in(second(people, "dol2", "taipei-dol", Membership.Role.EDITOR))
    c = cell_of(3)
    saved = theirs.post(
        PROGRESS, {f"version-{c}": 0, f"planned-{c}": "on", f"done-{c}": "done", "reason": "三月查核完成"}
    )
    assert saved.status_code == 302
    before = row_counts()

    # Mine was opened before their save: the month had no progress then.
    response = mine.post(PROGRESS, {f"version-{c}": 0, f"planned-{c}": "on", "reason": "補登三月"})

    assert response.status_code == 409
    notice = conflict_of(response.content.decode())
    assert "您開啟後已有他人儲存此計畫進度，本次未儲存任何資料。" in notice
    assert "dol2" in notice and "三月查核完成" in notice
    assert "3月 完成" in notice and "3月 預定 “” → “是”" in notice
    assert row_counts() == before
    plan = ActionPlan.objects.get(code="DP5.1.1", kpi__objective__map__year=2020)
    row = TaskProgress.objects.get(task__plan=plan, month=3)
    assert row.note == "" and row.version == 1
    assert AuditEvent.objects.filter(object_type="plans.taskprogress", object_id=row.pk, object_version=1).count() == 2


# --- reasons the audit trail keeps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("補\x01充", "理由含有控制字元 U+0001（第 2 個字元），請移除。"),
        ("長" * 4001, "理由長 4001 個字元，最多 4000 個字元。"),
    ],
    ids=["control-character", "too-long"],
)
def test_a_reason_the_audit_trail_cannot_keep_is_refused_under_the_reason_field(people, reason, message):
    editor = logged_in(people["dol"])
    before = row_counts()
    response = editor.post(RESULT, {**ENTRY, "version": 0, "reason": reason})
    assert response.status_code == 200
    assert field_errors(response.content.decode()) == {"reason": [message]}
    assert row_counts() == before
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=2020).exists()


def test_a_progress_reason_with_a_control_character_is_refused_and_nothing_is_saved(people):
    editor = logged_in(people["dol"])
    c = cell_of(5)
    before = row_counts()
    response = editor.post(PROGRESS, {f"version-{c}": 0, f"done-{c}": "done", "reason": "五月\x00完成"})
    assert response.status_code == 400
    assert "理由含有控制字元 U+0000（第 3 個字元），請移除。" in response.content.decode()
    assert row_counts() == before


def test_the_service_refuses_a_reason_with_a_control_character_whoever_calls_it(people):
    from django.core.exceptions import ValidationError

    from stratmap.kpis.services import NEW, kpi_result_record

    kpi = Kpi.objects.get(code="DP5.1", objective__map__year=2020)
    data = {name: Decimal(value) if value else value for name, value in ENTRY.items()}
    with pytest.raises(ValidationError) as refused:
        kpi_result_record(access=Access(people["dol"]), kpi=kpi, year=2020, data=data, version=NEW, reason="a\x1bb")
    assert list(refused.value.message_dict) == ["reason"]
    assert not KpiResult.objects.filter(kpi=kpi, year=2020).exists()


# --- django-axes in the Chinese admin ---------------------------------------------------------------------


def test_the_login_throttles_heading_on_the_admin_index_is_chinese(demo, client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    assert re.search(r'href="/admin/axes/"[^>]*>\s*登入限制\s*</a>', index)
    assert not re.search(r">\s*Axes\s*<", index)
