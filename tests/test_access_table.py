"""Roles are scoped to their organization (issue 10, item 8), tested as a table.

A role held on an organization applies to it and to its descendants: the city's administrators
administer every bureau, a bureau's administrator only its bureau. Each row is one person; each
column a page or action on the city (taipei) or on a bureau (taipei-doed), through the web as that
person; each cell what happened: ``ok`` (allowed and done), ``404`` (refused, saying nothing),
``hidden`` (the page answers but without the draft), ``login`` (the anonymous are sent to log in).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from stratmap.access import SYSTEM, Access
from stratmap.core.models import Membership, Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.revisions.services import map_roll_over
from stratmap.strategy.models import StrategyMap

ACTIONS = ["read unpublished map", "read draft result", "enter", "approve", "publish", "revise", "roll over"]

#: Per organization: the published map (ROC year) the results are on, the KPI of each action on it,
#: and the unpublished map (rolled over from the 110 map) that is read, revised and rolled over.
SUBJECTS = {
    # The city's 109 map: theme D is group D's (led by 產業局); these KPIs are 勞動局's.
    "taipei": {"year": 109, "draft": "DP5.1", "enter": "DP4.3", "approve": "DP4.1", "publish": "DP4.2"},
    # 產業局's 110 map: its own KPIs, no theme groups.
    "taipei-doed": {"year": 110, "draft": "DP5.1", "enter": "DP4.1", "approve": "DC1.1", "publish": "DC2.1"},
}
UNPUBLISHED = 111
DRAFT = Decimal("777.77")

ALL = "ok ok ok ok ok ok ok"
NOTHING = "404 hidden 404 404 404 404 404"
READS = "ok ok 404 404 404 404 404"
#: role → organization → the cells of ACTIONS, in order.
TABLE = {
    "administrator of taipei": {"taipei": ALL, "taipei-doed": ALL},
    # Administers its bureau only; as the lead of group D it reviews theme D of the city map, and it
    # reads the city maps on which its bureau has KPIs; it neither publishes nor revises the city's.
    "administrator of taipei-doed": {"taipei": "ok ok 404 ok 404 404 404", "taipei-doed": ALL},
    # Enters 勞動局's KPIs of the city map, so reads that map; nothing of 產業局's.
    "editor of taipei-dol": {"taipei": "ok ok ok 404 404 404 404", "taipei-doed": NOTHING},
    "coordinator of taipei-group-d": {"taipei": "ok ok 404 ok 404 404 404", "taipei-doed": NOTHING},
    "viewer of taipei": {"taipei": READS, "taipei-doed": READS},
    "viewer of taipei-doed": {"taipei": NOTHING, "taipei-doed": READS},
    "outsider": {"taipei": NOTHING, "taipei-doed": NOTHING},
    "anonymous": {
        "taipei": "404 hidden login login login login login",
        "taipei-doed": "404 hidden login login login login login",
    },
    "superuser": {"taipei": ALL, "taipei-doed": ALL},
}


def make_person(label: str):
    """The user of a row of the table (None for the anonymous)."""
    if label == "anonymous":
        return None
    make = get_user_model().objects.create_user
    if label == "superuser":
        return get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    user = make(label.replace(" ", "-"), password="pw-for-tests-only")
    if " of " in label:
        role, org = label.split(" of ")
        Membership.objects.create(user=user, organization=Organization.objects.get(code=org), role=role)
    return user


def kpi(org: str, year: int, code: str) -> Kpi:
    return Kpi.objects.get(objective__map__organization__code=org, objective__map__year=year + 1911, code=code)


def set_up_world() -> None:
    """Unpublished maps for 111, and on the published maps a draft, a submitted and an approved result."""
    for org in SUBJECTS:
        smap = StrategyMap.objects.get(organization__code=org, year=2021, in_force=True)
        rolled = map_roll_over(access=SYSTEM, smap=smap, version=smap.version)
        assert rolled.published is False
        if org == "taipei":  # the city's 110 map has no KPIs: give its 111 one of 勞動局's in theme D
            objective = rolled.objectives.filter(theme__code="D", theme__group__code="taipei-group-d").first()
            Kpi.objects.create(objective=objective, code="DP9.9", name="新指標", order=99).agencies.add(
                Organization.objects.get(code="taipei-dol")
            )
        s = SUBJECTS[org]
        year = s["year"] + 1911
        for key, status in (("draft", "draft"), ("approve", "submitted"), ("publish", "approved")):
            KpiResult.objects.create(kpi=kpi(org, s["year"], s[key]), year=year, actual=DRAFT, status=status)


def hidden_inputs(html: str, form_id: str) -> dict[str, str]:
    """The hidden fields of a form of the page (none when the page has no such form)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    found = {}
    for tag in re.findall(r"<input[^>]*>", form.group(0) if form else ""):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            found[name.group(1)] = value.group(1) if value else ""
    return found


def refused(response) -> str:
    """How a refusal looks: 404, or the login page for the anonymous; anything else is a failure."""
    if response.status_code == 404:
        return "404"
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return "login"
    return f"answered {response.status_code}"


def attempt(client, org: str, action: str) -> str:
    s = SUBJECTS[org]
    base = f"/{org}/{s['year']}"
    if action == "read unpublished map":
        response = client.get(f"/{org}/{UNPUBLISHED}/")
        return "ok" if response.status_code == 200 else refused(response)
    if action == "read draft result":
        response = client.get(f"{base}/kpis/{s['draft']}/")
        assert response.status_code == 200
        return "ok" if "777.77" in response.content.decode() else "hidden"
    if action == "enter":
        url = f"{base}/kpis/{s['enter']}/result/"
        page = client.get(url)
        if page.status_code != 200:
            return refused(page)
        data = {
            **hidden_inputs(page.content.decode(), "result-form"),
            "actual": "123.45",
            "situation_analysis": "分析",
            "countermeasures": "對策",
            "reason": "測試",
        }
        response = client.post(url, data)
        if response.status_code != 302:
            return refused(response)
        assert KpiResult.objects.get(kpi=kpi(org, s["year"], s["enter"])).actual == Decimal("123.45")
        return "ok"
    if action in ("approve", "publish"):
        result = KpiResult.objects.get(kpi=kpi(org, s["year"], s[action]))
        response = client.post(f"{base}/kpis/{s[action]}/result/{action}/", {"version": result.version})
        if response.status_code != 302 or "/accounts/login/" in response["Location"]:
            return refused(response)
        result.refresh_from_db()
        assert result.status == {"approve": "approved", "publish": "published"}[action]
        return "ok"
    url = f"/{org}/{UNPUBLISHED}/revise/"
    smap = StrategyMap.objects.get(organization__code=org, year=UNPUBLISHED + 1911)
    if action == "revise":
        code = smap.objectives.order_by("order").values_list("code", flat=True).first()
        data = {"level": "objective", "action": "rename", "code": code, "name": "改過的名稱", "reason": "測試"}
        data["version"] = smap.version
        response = client.post(url, data)
        if response.status_code != 302 or "/accounts/login/" in response["Location"]:
            return refused(response)
        assert smap.objectives.get(code=code).name == "改過的名稱"
        return "ok"
    assert action == "roll over"
    response = client.post(url, {"do": "rollover", "year": str(UNPUBLISHED + 1), "version": smap.version})
    if response.status_code != 302 or "/accounts/login/" in response["Location"]:
        return refused(response)
    assert StrategyMap.objects.filter(organization__code=org, year=UNPUBLISHED + 1 + 1911).exists()
    return "ok"


@pytest.mark.parametrize("person", list(TABLE))
def test_each_role_acts_only_on_its_own_organization_and_its_descendants(demo, client, person):
    set_up_world()
    user = make_person(person)
    if user is not None:
        client.force_login(user)
    found = {org: " ".join(attempt(client, org, action) for action in ACTIONS) for org in SUBJECTS}
    assert found == TABLE[person], f"{person}: {ACTIONS}"


def test_a_question_about_rights_asked_without_its_organization_is_an_error_not_a_yes(people):
    """``if access.publishes:`` would be true for any organization; it raises instead."""
    access = Access(people["doed"])
    with pytest.raises(TypeError, match="publishes"):
        bool(access.publishes)
    with pytest.raises(TypeError, match="is_administrator"):
        assert not access.is_administrator
    assert access.publishes("taipei") is False
