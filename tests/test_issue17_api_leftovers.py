"""Issue 17's API and open-data leftovers: the API tokens in the administration (revoked through the token
service, audited), the links to the tokens page and the API's documentation, ``?edition=`` on the map's read
endpoints, the open data's KPI reads as selectors, its settings from the environment, and no pydantic
deprecation warning from django-ninja."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from stratmap.access import Access
from stratmap.api.models import ApiToken
from stratmap.core.models import AuditEvent
from stratmap.kpis.models import KpiResult
from stratmap.kpis.selectors import first_kpi_codes, kpi_lineage, map_frequencies
from stratmap.revisions.services import edition_start
from stratmap.strategy.models import Objective, StrategyMap
from tests.test_api import API, get, grow, token_of
from tests.test_bounded_pages import copy_council

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CHANGELIST = "/en/admin/api/apitoken/"


def in_language(name: str, language: str, args: tuple = ()) -> str:
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def root(client):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")


# --- 1. the tokens in the administration ------------------------------------------------------------------


def test_a_superuser_lists_every_persons_tokens_without_their_hash_and_finds_them_by_owner_scope_and_state(
    people, client, root
):
    write = token_of(people["dol"], write=True)
    token_of(people["viewer"])
    client.force_login(root)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "dol" in body and "viewer" in body and "our system" in body
    # the prefix (smt_ and four characters) tells a token apart, as on its owner's page; never more of it
    assert not any(t.digest in body for t in ApiToken.objects.all()) and write[:12] not in body
    found = client.get(CHANGELIST, {"q": "dol"}).context["cl"].result_list
    assert [t.owner.username for t in found] == ["dol"]
    writers = client.get(CHANGELIST, {"scope": "write:results"}).context["cl"].result_list
    assert [t.owner.username for t in writers] == ["dol"]
    assert len(client.get(CHANGELIST, {"revoked": "yes"}).context["cl"].result_list) == 0
    detail = client.get(in_language("admin:api_apitoken_change", "en", (writers[0].pk,)))
    assert detail.status_code == 200 and writers[0].digest not in detail.content.decode()


def test_a_superuser_revokes_a_token_by_the_action_which_asks_why_and_the_audit_trail_keeps_it(people, client, root):
    secret = token_of(people["dol"], write=True)
    token = ApiToken.objects.get(owner=people["dol"])
    client.force_login(root)
    chosen = {"action": "revoke_selected", "_selected_action": [token.pk], "index": 0}
    asked = client.post(CHANGELIST, chosen)
    assert asked.status_code == 200 and "reason for the change" in asked.content.decode()
    # the admin's one reason field (as a deletion's), saying what this reason is kept for
    assert (
        "the revocation is kept in the audit trail" in asked.content.decode()
        and "deletion" not in asked.content.decode()
    )
    assert ApiToken.objects.get(pk=token.pk).revoked is None
    confirmed = {"action": "revoke_selected", "_selected_action": [token.pk], "confirm": "yes"}
    unexplained = client.post(CHANGELIST, {**confirmed, "change_reason": " "})
    assert unexplained.status_code == 400 and ApiToken.objects.get(pk=token.pk).revoked is None
    done = client.post(CHANGELIST, {**confirmed, "change_reason": "laptop stolen"})
    assert done.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked is not None
    event = AuditEvent.objects.get(object_type="api.apitoken", object_id=token.pk, action="revoke")
    assert (event.username, event.field, event.reason) == ("root", "revoked", "laptop stolen")
    refused = get(client, f"{API}/maps", secret)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    client.post(CHANGELIST, {**confirmed, "change_reason": "again"})  # a revoked token is left as it is
    assert AuditEvent.objects.filter(object_type="api.apitoken", action="revoke").count() == 1


def test_an_organizations_administrator_or_a_staff_member_cannot_reach_the_tokens_or_revoke_one(people, client):
    token_of(people["dol"])
    token = ApiToken.objects.get()
    staff = get_user_model().objects.create_user("staff", password="pw-for-tests-only", is_staff=True)
    for user in (people["admin"], staff):
        client.force_login(user)
        assert client.get(CHANGELIST).status_code in (302, 403)
        confirmed = {"action": "revoke_selected", "_selected_action": [token.pk], "confirm": "yes"}
        client.post(CHANGELIST, {**confirmed, "change_reason": "not mine to do"})
        assert ApiToken.objects.get(pk=token.pk).revoked is None
    assert not AuditEvent.objects.filter(object_type="api.apitoken", action="revoke").exists()


# --- 2. the links -------------------------------------------------------------------------------------------


def test_a_logged_in_person_finds_the_api_tokens_page_in_the_header_and_the_public_does_not(people, client):
    tokens = f'href="{reverse("web:api-tokens")}"'
    assert tokens not in client.get(reverse("web:home")).content.decode()
    client.force_login(people["viewer"])
    for language in ("zh-hant", "en"):
        page = client.get(in_language("web:home", language)).content.decode()
        header = page.split('<header class="site">', 1)[1].split("</header>", 1)[0]
        assert f'href="{in_language("web:api-tokens", language)}"' in header


def test_the_open_data_page_links_the_apis_documentation_for_everyone(demo, client):
    docs = f'href="{reverse("api:openapi-view")}"'
    for address in ("/taipei/109/open-data/", "/en/ashcombe/2024/open-data/"):
        page = client.get(address)
        assert page.status_code == 200 and docs in page.content.decode()
    assert client.get(reverse("api:openapi-view")).status_code == 200


# --- 3. ?edition= ---------------------------------------------------------------------------------------------


def _draft(people, *, org: str = "taipei", year: int = 2020, admin: str = "admin") -> StrategyMap:
    """A draft edition of the year's map, as its administrator starts one in the editor, one objective renamed."""
    smap = StrategyMap.objects.get(organization__code=org, year=year, in_force=True)
    draft = edition_start(access=Access(people[admin]), smap=smap, version=smap.version, label="October revision")
    first = Objective.objects.filter(map=draft).order_by("order", "pk").first()
    assert first is not None
    Objective.objects.filter(pk=first.pk).update(name="Renamed in the draft")
    return draft


def test_an_administrator_reads_a_draft_edition_by_its_id_and_without_it_the_edition_in_force(people, client):
    draft = _draft(people)
    secret = token_of(people["admin"])
    listed = get(client, f"{API}/maps", secret, organization="taipei", year="109").json()["items"]
    assert draft.pk in [m["id"] for m in listed]
    asked = get(client, f"{API}/maps/taipei/109", secret, edition=draft.pk).json()
    assert asked["id"] == draft.pk and asked["in_force"] is False
    assert "Renamed in the draft" in [o["name"] for o in asked["objectives"]]
    in_force = get(client, f"{API}/maps/taipei/109", secret).json()
    assert in_force["id"] != draft.pk and "Renamed in the draft" not in [o["name"] for o in in_force["objectives"]]
    names = [o["name"] for o in get(client, f"{API}/maps/taipei/109/objectives", secret, edition=draft.pk).json()]
    assert "Renamed in the draft" in names
    kpis = get(client, f"{API}/maps/taipei/109/kpis", secret, edition=draft.pk, limit=200).json()["items"]
    assert kpis and {k["code"] for k in kpis} == {
        k["code"] for k in get(client, f"{API}/maps/taipei/109/kpis", secret, limit=200).json()["items"]
    }


def test_the_public_and_a_viewer_asking_for_a_hidden_edition_get_a_404_naming_the_parameter(people, client):
    draft = _draft(people)
    replaced = StrategyMap.objects.get(pk=draft.pk)
    replaced.pk, replaced.version_label, replaced.published = None, "replaced", True  # published, not in force
    replaced.save()
    for edition in (draft.pk, replaced.pk):
        for who in (None, token_of(people["viewer"])):
            answer = get(client, f"{API}/maps/taipei/109/kpis", who, edition=edition)
            assert answer.status_code == 404, answer.content
            error = answer.json()["errors"][0]
            assert (error["field"], error["value"]) == ("query.edition", str(edition))
            assert "Renamed in the draft" not in answer.content.decode()


def test_the_edition_in_force_asked_by_id_is_what_the_pages_show_to_the_public(demo, client):
    smap = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    plain = get(client, f"{API}/maps/ashcombe/2024/results", limit=200)
    asked = get(client, f"{API}/maps/ashcombe/2024/results", edition=smap.pk, limit=200)
    assert asked.status_code == 200 and asked.json() == plain.json()


@pytest.mark.parametrize(
    ("edition", "status"),
    [("abc", 400), ("0", 400), ("999999", 404), ("other-year", 404), ("other-organization", 404)],
)
def test_an_unknown_edition_or_one_of_another_map_is_refused_naming_the_parameter_and_its_value(
    people, client, edition, status
):
    others = {
        "other-year": StrategyMap.objects.get(organization__code="taipei", year=2019, in_force=True).pk,
        "other-organization": StrategyMap.objects.get(organization__code="ashcombe", year=2024).pk,
    }
    value = str(others.get(edition, edition))
    for who in (None, token_of(people["admin"])):
        answer = get(client, f"{API}/maps/taipei/109/results", who, edition=value)
        assert answer.status_code == status, answer.content
        error = answer.json()["errors"][0]
        assert (error["field"], error["value"]) == ("query.edition", value)


def test_a_council_administrator_reads_the_councils_draft_edition(council_people, client):
    draft = _draft(council_people, org="ashcombe", year=2024, admin="council-admin")
    secret = token_of(council_people["council-admin"])
    answer = get(client, f"{API}/maps/ashcombe/2024/kpis", secret, edition=draft.pk)
    assert answer.status_code == 200 and answer.json()["count"] > 0
    assert get(client, f"{API}/maps/ashcombe/2024/kpis", edition=draft.pk).status_code == 404


def test_every_map_read_documents_the_edition_parameter(demo, client):
    document = client.get(f"{API}/openapi.json").json()
    reads = [
        operations["get"]
        for path, operations in document["paths"].items()
        if path.startswith(f"{API}/maps/{{org}}/{{year}}") and "get" in operations
    ]
    assert len(reads) == 12
    assert all("edition" in [p["name"] for p in op["parameters"]] for op in reads)


# --- 4. the open data's KPI reads are selectors, in fixed queries -------------------------------------------------


def _lineage_queries(access: Access) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as captured:
        found = kpi_lineage(access=access, organization="taipei", code="DP5.1")
        for member in found.members:
            list(member.targets.all()), list(member.results.all())
    return len(captured), len(found.members), sum(len(m.results.all()) for m in found.members)


def test_the_kpi_lineage_selector_reads_in_the_same_queries_at_ten_times_the_data(people, client):
    who = {"public": lambda: Access(AnonymousUser()), "admin": lambda: Access(people["admin"])}
    before = {name: _lineage_queries(access()) for name, access in who.items()}
    dashboard_before = _queries(client, "/taipei/kpis/DP5.1/dashboard.json")
    for smap in StrategyMap.objects.filter(organization__code="taipei", in_force=True):
        grow(smap, 10)  # a copy of a KPI keeps its lineage: ten times the members and their results
    copy_council(5)
    after = {name: _lineage_queries(access()) for name, access in who.items()}
    assert {n: q for n, (q, _m, _r) in after.items()} == {n: q for n, (q, _m, _r) in before.items()}
    assert all(after[n][1] >= 10 * before[n][1] and after[n][2] > before[n][2] for n in who)
    assert _queries(client, "/taipei/kpis/DP5.1/dashboard.json") == dashboard_before


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lineage_selector_gives_the_public_only_published_results(people):
    found = kpi_lineage(access=Access(people["admin"]), organization="taipei", code="DP5.1")
    result = next(r for m in found.members for r in m.results.all())
    KpiResult.objects.filter(pk=result.pk).update(status=KpiResult.Status.DRAFT)
    public = kpi_lineage(access=Access(AnonymousUser()), organization="taipei", code="DP5.1")
    assert result.pk not in {r.pk for m in public.members for r in m.results.all()}
    insider = kpi_lineage(access=Access(people["admin"]), organization="taipei", code="DP5.1")
    assert result.pk in {r.pk for m in insider.members for r in m.results.all()}


def test_the_map_selectors_of_the_open_data_page_read_in_one_query_each(demo, django_assert_num_queries):
    public = Access(AnonymousUser())
    for code, year in (("taipei", 2020), ("ashcombe", 2024)):
        smap = StrategyMap.objects.select_related("organization").get(organization__code=code, year=year)
        with django_assert_num_queries(1):
            frequencies = map_frequencies(access=public, smap=smap)
        with django_assert_num_queries(1):
            codes = first_kpi_codes(access=public, smap=smap, count=3)
        assert frequencies and len(codes) == 3
    assert "quarterly" in map_frequencies(access=public, smap=smap)


# --- 5. the open data's settings from the environment ------------------------------------------------------


def _settings_in(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    """``expression`` evaluated on the settings module imported with ``env`` added to the environment."""
    code = f"import stratmap.settings as s; print(repr({expression}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_the_open_data_licence_and_time_zones_come_from_the_environment_with_todays_defaults():
    default = _settings_in({}, "(s.STRATMAP_OPEN_DATA_LICENCE['url'], s.STRATMAP_TIME_ZONES)")
    assert default.stdout.strip() == "('https://data.gov.tw/license', {})", default.stderr
    licence = '{"name": "Open Government Licence v3.0", "url": "https://example.org/ogl"}'
    given = _settings_in(
        {"STRATMAP_OPEN_DATA_LICENCE": licence, "STRATMAP_TIME_ZONES": "ashcombe=Europe/London, x=Asia/Tokyo"},
        "(s.STRATMAP_OPEN_DATA_LICENCE, s.STRATMAP_TIME_ZONES)",
    )
    assert given.stdout.strip() == (
        "({'name_en': '', 'name': 'Open Government Licence v3.0', 'url': 'https://example.org/ogl'}, "
        "{'ashcombe': 'Europe/London', 'x': 'Asia/Tokyo'})"
    ), given.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STRATMAP_TIME_ZONES", "ashcombe"),
        ("STRATMAP_OPEN_DATA_LICENCE", "OGL v3"),
        ("STRATMAP_OPEN_DATA_LICENCE", '{"name": "OGL"}'),
    ],
)
def test_a_malformed_open_data_setting_stops_the_start_naming_the_variable_and_its_value(variable, value):
    started = _settings_in({variable: value}, "'started'")  # printed only if the import went through
    assert started.returncode != 0 and "started" not in started.stdout
    last = started.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last and variable in last and repr(value) in last


def test_a_time_zone_this_machine_does_not_know_fails_the_system_check_naming_it(settings):
    settings.STRATMAP_TIME_ZONES = {"ashcombe": "Europe/Lundun"}
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert "STRATMAP_TIME_ZONES" in str(refused.value) and "'Europe/Lundun'" in str(refused.value)
    settings.STRATMAP_TIME_ZONES = {"ashcombe": "Europe/London"}
    settings.STRATMAP_OPEN_DATA_LICENCE = {"name": "OGL"}
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert "STRATMAP_OPEN_DATA_LICENCE" in str(refused.value) and "Europe" not in str(refused.value)


# --- 6. no pydantic deprecation warning from django-ninja ---------------------------------------------------


def test_the_api_imports_without_a_pydantic_deprecation_warning():
    code = "import django; django.setup(); import stratmap.api.urls; print('imported')"
    ran = subprocess.run(
        [sys.executable, "-W", "error::pydantic.warnings.PydanticDeprecatedSince20", "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "stratmap.settings"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "imported", ran.stderr[-2000:]
