"""The administration writes like every other page (issue 10, items 5 and 8): each change of a map or of
what it holds is audited with its reason and bumps the map's version, a form opened on an older version
is refused listing what changed, deletions are audited, and a person sees and changes only what its
administrator's role covers."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from stratmap.access import Access
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.kpis.models import Kpi
from stratmap.revisions.services import map_revise
from stratmap.strategy.models import Objective, Perspective, StrategyMap, Theme
from tests.conftest import row_counts

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


def url(name: str, *args) -> str:
    with translation.override("zh-hant"):
        return reverse(name, args=args)


def staff_user(username: str, organization: str | None = None, role: str | None = None, superuser: bool = False):
    make = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    user = make(username, f"{username}@example.org", PASSWORD) if superuser else make(username, password=PASSWORD)
    user.is_staff = True
    user.save()
    if organization:
        Membership.objects.create(user=user, organization=Organization.objects.get(code=organization), role=role)
    return user


@pytest.fixture
def root(client):
    client.force_login(staff_user("root", superuser=True))
    return client


def posted(response) -> dict:
    """What the browser posts back from an admin change page it was shown, unchanged."""
    data: dict = {}

    def add(form):
        for name, field in form.fields.items():
            if field.disabled:
                continue
            key, value = form.add_prefix(name), form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                data[key] = [str(v) for v in value or []]
            elif value is not None:  # value() is already what the widget shows (a JSON field's text)
                data[key] = value if isinstance(value, str) else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def city_map() -> StrategyMap:
    return StrategyMap.objects.get(organization__code="taipei", year=2019)


def kpi(code: str = "DP5.1", smap: StrategyMap | None = None) -> Kpi:
    return Kpi.objects.get(code=code, objective__map=smap or city_map())


# --- item 5: every admin write audited, versioned, with its reason ------------------------------------


def test_a_kpis_name_changed_in_the_admin_is_audited_with_its_reason_and_bumps_the_maps_version(demo, root):
    dp51, smap = kpi(), city_map()
    old_name, version = dp51.name, smap.version
    page = url("admin:kpis_kpi_change", dp51.pk)
    data = posted(root.get(page))
    assert data["map_version"] == str(version)
    data.update(name="職業災害死亡百萬人率（修正）", change_reason="依勞動部定義更名")
    assert root.post(page, data).status_code == 302
    dp51.refresh_from_db()
    smap.refresh_from_db()
    assert dp51.name == "職業災害死亡百萬人率（修正）"
    assert smap.version == version + 1
    event = AuditEvent.objects.get(object_type="kpis.kpi", object_id=dp51.pk, field="name")
    assert (event.action, event.old, event.new, event.reason, event.username) == (
        "admin-change", old_name, "職業災害死亡百萬人率（修正）", "依勞動部定義更名", "root"
    )  # fmt: skip
    assert event.kpi_id == dp51.pk  # on the KPI's history too
    # Only what changed is recorded: one field, one event of the KPI.
    assert AuditEvent.objects.filter(object_type="kpis.kpi", object_id=dp51.pk).count() == 1
    # The map says what changed on it, at the version the change gave it.
    on_map = AuditEvent.objects.get(object_type="strategy.strategymap", object_id=smap.pk)
    assert on_map.object_version == version + 1 and "DP5.1" in on_map.field and old_name in on_map.old


def test_a_change_without_a_reason_is_refused_and_writes_nothing(demo, root):
    dp51 = kpi()
    page = url("admin:kpis_kpi_change", dp51.pk)
    data = {**posted(root.get(page)), "name": "沒有理由的新名稱"}
    before = row_counts()
    response = root.post(page, data)
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert kpi().name == dp51.name and row_counts() == before
    assert city_map().version == 1


def test_a_stale_admin_form_is_refused_listing_what_changed_and_writes_nothing(demo, root):
    dp51, smap = kpi(), city_map()
    page = url("admin:kpis_kpi_change", dp51.pk)
    data = posted(root.get(page))
    # Meanwhile another administrator renames a KPI of the same map on the revise page.
    other = staff_user("admin2", "taipei", Membership.Role.ADMINISTRATOR)
    map_revise(
        access=Access(other), smap=smap, version=smap.version, level="kpi", action="rename",
        code="DP5.2", name="職業安全新名稱", reason="配合新法",
    )  # fmt: skip
    data.update(name="我的新名稱", change_reason="我的理由")
    before = row_counts()
    response = root.post(page, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "admin2" in text and "“職業安全新名稱”" in text and "配合新法" in text
    assert kpi().name == dp51.name and row_counts() == before
    assert city_map().version == 2  # the revision's bump only


def test_a_theme_changed_in_the_maps_inline_is_audited_and_bumps_the_map_once(demo, root):
    smap = city_map()
    theme = smap.themes.order_by("order").first()
    page = url("admin:strategy_strategymap_change", smap.pk)
    data = posted(root.get(page))
    index = next(i for i in range(50) if data.get(f"themes-{i}-id") == str(theme.pk))
    data[f"themes-{index}-name"] = "新的主題名稱"
    assert root.post(page, data).status_code == 200  # an inline's change needs its reason too
    assert Theme.objects.get(pk=theme.pk).name == theme.name
    data["change_reason"] = "主題更名"
    assert root.post(page, data).status_code == 302
    assert Theme.objects.get(pk=theme.pk).name == "新的主題名稱"
    assert city_map().version == 2
    event = AuditEvent.objects.get(object_type="strategy.theme", object_id=theme.pk)
    assert (event.field, event.old, event.new, event.reason) == ("name", theme.name, "新的主題名稱", "主題更名")


def new_objective(smap: StrategyMap) -> Objective:
    """An objective with nothing locked under it (a published result would refuse the deletion)."""
    perspective = Perspective.objects.filter(map=smap).first()
    objective = Objective.objects.create(map=smap, perspective=perspective, code="DZ9", name="試辦目標", order=99)
    Kpi.objects.create(objective=objective, code="DZ9.1", name="試辦指標", order=1)
    return objective


def test_deleting_an_objective_in_the_admin_is_audited_with_its_reason(demo, root):
    smap = city_map()
    objective = new_objective(smap)
    page = url("admin:strategy_objective_delete", objective.pk)
    confirmation = root.get(page).content.decode()
    assert 'name="change_reason"' in confirmation and 'name="map_version" value="1"' in confirmation
    assert "必填：刪除會連同理由記入稽核紀錄。" in confirmation  # what the reason is kept for
    root.post(page, {"post": "yes", "map_version": "1"})  # without a reason
    assert Objective.objects.filter(pk=objective.pk).exists()
    assert root.post(page, {"post": "yes", "map_version": "1", "change_reason": "併入 DP5"}).status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()
    event = AuditEvent.objects.get(object_type="strategy.objective", object_id=objective.pk, field="name")
    assert (event.action, event.old, event.new, event.reason) == ("admin-delete", "試辦目標", "", "併入 DP5")
    assert AuditEvent.objects.filter(
        object_type="strategy.objective", object_id=objective.pk, field="deleted with it", old__contains="kpis.Kpi"
    ).exists()
    assert city_map().version == 2


def test_a_stale_deletion_is_refused(demo, root):
    smap = city_map()
    objective = new_objective(smap)
    page = url("admin:strategy_objective_delete", objective.pk)
    StrategyMap.objects.filter(pk=smap.pk).update(version=2)  # changed since the page was opened at 1
    response = root.post(page, {"post": "yes", "map_version": "1", "change_reason": "併入 DP5"}, follow=True)
    assert "未儲存" in response.content.decode()  # the administration speaks the default language
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_deleting_selected_objectives_asks_for_a_reason_and_audits_each(demo, root):
    smap = city_map()
    objective = new_objective(smap)
    page = url("admin:strategy_objective_changelist")
    action = {"action": "delete_selected", "_selected_action": [str(objective.pk)], "post": "yes"}
    confirmation = root.post(page, action)
    assert 'name="change_reason"' in confirmation.content.decode()  # asked again: no reason given
    assert Objective.objects.filter(pk=objective.pk).exists()
    root.post(page, {**action, "change_reason": "整批刪除試辦目標"})
    assert not Objective.objects.filter(pk=objective.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="strategy.objective", object_id=objective.pk, action="admin-delete", reason="整批刪除試辦目標"
    ).exists()
    assert city_map().version == 2


# --- item 8: the administration is scoped to the administrator's organization ----------------------


def doed_map() -> StrategyMap:
    return StrategyMap.objects.filter(organization__code="taipei-doed").first()


def as_staff(client, username: str, organization: str, role: str, *, django_permissions: bool = False):
    """A staff user with ``role`` in ``organization``; with Django's permissions on every model of
    ours too if ``django_permissions`` (they neither grant nor are needed: the role decides)."""
    user = staff_user(username, organization, role)
    if django_permissions:
        ours = ["core", "strategy", "kpis", "plans", "auth"]
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=ours))
    client.force_login(user)
    return client


def test_a_bureau_administrator_sees_only_its_organizations_maps_and_kpis(demo, client):
    doed = as_staff(client, "doed-admin", "taipei-doed", Membership.Role.ADMINISTRATOR)
    maps = doed.get(url("admin:strategy_strategymap_changelist"))
    assert maps.status_code == 200
    shown = {m.pk for m in maps.context["cl"].result_list}
    assert shown == set(StrategyMap.objects.filter(organization__code="taipei-doed").values_list("pk", flat=True))
    kpis = doed.get(url("admin:kpis_kpi_changelist") + "?all=")
    assert {k.objective.map.organization.code for k in kpis.context["cl"].queryset} == {"taipei-doed"}
    # Its KPI's form offers only its own objectives: a KPI cannot be moved onto the city's map.
    own = Kpi.objects.filter(objective__map__organization__code="taipei-doed").first()
    form = doed.get(url("admin:kpis_kpi_change", own.pk)).context["adminform"].form
    assert {o.map.organization.code for o in form.fields["objective"].queryset} == {"taipei-doed"}


CITY, BUREAU = "city", "bureau"


@pytest.mark.parametrize(
    ("role", "organization", "whose", "expected"),
    [
        (Membership.Role.ADMINISTRATOR, "taipei", CITY, 200),
        (Membership.Role.ADMINISTRATOR, "taipei", BUREAU, 200),  # the city's administrators: the whole city
        (Membership.Role.ADMINISTRATOR, "taipei-doed", BUREAU, 200),
        (Membership.Role.ADMINISTRATOR, "taipei-doed", CITY, 404),
        (Membership.Role.VIEWER, "taipei", CITY, 404),
        (Membership.Role.EDITOR, "taipei-doed", BUREAU, 404),
    ],
)
@pytest.mark.parametrize("page", ["map", "kpi"])
def test_who_opens_which_change_page_in_the_admin(demo, client, role, organization, whose, expected, page):
    smap = city_map() if whose == CITY else doed_map()
    if page == "map":
        address = url("admin:strategy_strategymap_change", smap.pk)
    else:
        address = url("admin:kpis_kpi_change", Kpi.objects.filter(objective__map=smap).first().pk)
    person = as_staff(client, "someone", organization, role, django_permissions=expected != 200)
    assert person.get(address).status_code == expected


def test_a_bureau_administrator_cannot_change_or_delete_the_citys_kpis(demo, client):
    doed = as_staff(client, "doed-admin", "taipei-doed", Membership.Role.ADMINISTRATOR)
    dp51 = kpi()
    before = row_counts()
    assert doed.post(url("admin:kpis_kpi_change", dp51.pk), {"name": "x", "change_reason": "y"}).status_code == 404
    assert doed.post(url("admin:kpis_kpi_delete", dp51.pk), {"post": "yes", "change_reason": "y"}).status_code == 404
    assert row_counts() == before and kpi().name == dp51.name


def test_a_viewer_with_staff_status_can_change_nothing_in_the_admin(demo, client):
    viewer = as_staff(client, "viewer", "taipei", Membership.Role.VIEWER, django_permissions=True)
    dp51 = kpi()
    assert viewer.get(url("admin:kpis_kpi_changelist")).status_code == 403
    assert viewer.get(url("admin:strategy_strategymap_changelist")).status_code == 403
    before = row_counts()
    response = viewer.post(url("admin:kpis_kpi_change", dp51.pk), {"name": "x", "change_reason": "y"})
    assert response.status_code == 404  # nothing of any map is the viewer's to change: none exists for it
    assert viewer.post(url("admin:kpis_kpi_add"), {"name": "x", "change_reason": "y"}).status_code == 403
    assert row_counts() == before and kpi().name == dp51.name


def test_memberships_and_users_are_for_superusers_only(demo, client):
    city = as_staff(client, "city-admin", "taipei", Membership.Role.ADMINISTRATOR, django_permissions=True)
    assert city.get(url("admin:core_membership_changelist")).status_code == 403
    assert city.get(url("admin:auth_user_changelist")).status_code == 403
    assert city.get(url("admin:core_auditevent_changelist")).status_code == 403
