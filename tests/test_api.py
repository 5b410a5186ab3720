"""The REST API (issue 17 item 1): reads as the pages show them, tokens, token writes, errors, the contract.

Reads go through the same access checks as the pages: the public reads published maps, published results and
published task progress only (a test with draft data proves the API gives it nothing more); a token acts
with its owner's access, limited to its scopes. Writes go through the pages' services: validated, version
checked (409 with what changed), audited with the token's owner."""

from __future__ import annotations

import datetime
from decimal import Decimal

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from stratmap.access import Access
from stratmap.api.models import ApiToken
from stratmap.api.tokens import token_create
from stratmap.core.models import AuditEvent
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.kpis.services import kpi_result_record
from stratmap.plans.models import ActionPlan, PlanTask, TaskProgress
from stratmap.plans.services import Cell, task_progress_record
from stratmap.strategy.models import StrategyMap
from tests.test_bounded_pages import copy_council

pytestmark = pytest.mark.django_db

API = "/api/v1"
TAIPEI = f"{API}/maps/taipei/109"
COUNCIL = f"{API}/maps/ashcombe/2024"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def token_of(user, *, write: bool = False, days: int = 30) -> str:
    scopes = ["read", "write:results"] if write else ["read"]
    return token_create(owner=user, name="our system", scopes=scopes, days=days).secret


def get(client, url: str, secret: str | None = None, **params):
    # in English: the API answers in the language its client asks for
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en", **(bearer(secret) if secret else {}))
    return response


# --- reads ---------------------------------------------------------------------------------------


def test_the_public_reads_a_published_map_with_its_years_in_ad_and_roc(demo, client):
    for address in (f"{API}/maps/taipei/109", f"{API}/maps/taipei/2020"):
        response = get(client, address)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["organization"] == "taipei"
        assert body["year"] == {"ad": 2020, "roc": 109, "label": "民國109年", "style": "roc", "start_month": 1}
        assert {"D"} <= {t["code"] for t in body["themes"]}
        assert "DP5" in {o["code"] for o in body["objectives"]}
        assert body["links"] == []  # the city's maps draw none


def test_a_maps_links_are_given_by_their_objectives_codes(demo, client):
    smap = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    wanted = sorted(smap.links.values_list("source__code", "target__code"))
    assert wanted
    got = get(client, f"{COUNCIL}/links").json()
    assert sorted((link["source"], link["target"]) for link in got) == wanted
    assert sorted((link["source"], link["target"]) for link in get(client, COUNCIL).json()["links"]) == wanted


def test_the_council_s_years_are_named_as_it_names_them(demo, client):
    body = get(client, COUNCIL).json()
    assert body["year"] == {"ad": 2024, "roc": 113, "label": "2024/25", "style": "span", "start_month": 4}
    assert get(client, f"{API}/maps/ashcombe/113").json()["id"] == body["id"]
    kpis = get(client, f"{COUNCIL}/kpis", kpi="H1.1").json()["items"]
    h11 = next(k for k in kpis if k["code"] == "H1.1")
    assert h11["periods"] == ["Q1", "Q2", "Q3", "Q4"]
    assert h11["agencies"] == ["ashcombe-place"]


def test_lists_are_pages_with_a_count(demo, client):
    everything = get(client, f"{API}/maps").json()
    assert everything["count"] == 6 and len(everything["items"]) == 6
    page = get(client, f"{API}/maps", limit=2, offset=2).json()
    assert page["count"] == 6 and page["items"] == everything["items"][2:4]
    only = get(client, f"{API}/maps", organization="taipei", year="109").json()["items"]
    assert [(m["organization"], m["year"]["ad"]) for m in only] == [("taipei", 2020)]
    assert get(client, f"{API}/maps", limit=0).status_code == 400


def test_an_edition_not_in_force_is_listed_only_to_those_who_revise_the_map(people, client):
    edition = StrategyMap.objects.get(organization__code="taipei", year=2020)
    edition.pk, edition.in_force, edition.published, edition.version_label = None, False, True, "earlier"
    edition.save()
    listed = {
        who: [m["id"] for m in get(client, f"{API}/maps", token_of(people[who]) if who else None).json()["items"]]
        for who in (None, "outsider", "viewer", "admin")
    }
    assert [edition.pk in ids for ids in listed.values()] == [False, False, False, True]


def test_results_are_filtered_by_period_and_kpi(demo, client):
    quarter = get(client, f"{COUNCIL}/results", period="Q1", limit=200).json()["items"]
    assert quarter and {r["period"] for r in quarter} == {"Q1"}
    whole = get(client, f"{COUNCIL}/results", period="year", limit=200).json()["items"]
    assert {r["period"] for r in whole} <= {""}
    one = get(client, f"{COUNCIL}/results", kpi="H1.1", limit=200).json()["items"]
    assert one and {r["kpi"] for r in one} == {"H1.1"}
    assert all(r["year"]["label"] == "2024/25" for r in one)


@pytest.mark.parametrize(
    ("url", "params", "field", "value"),
    [
        (f"{API}/maps/taipei/abc", {}, "path.year", "abc"),
        (f"{COUNCIL}/results", {"period": "Q5"}, "query.period", "Q5"),
        (f"{API}/maps", {"limit": "many"}, "query.limit", "many"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it_and_its_value(demo, client, url, params, field, value):
    response = get(client, url, **params)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert (error["field"], error["value"]) == (field, value)


def test_what_does_not_exist_or_is_not_readable_is_a_404_saying_nothing(demo, client):
    for url in (f"{API}/maps/nowhere/109", f"{API}/maps/taipei/1990", f"{TAIPEI}/kpis/XX9", f"{TAIPEI}/plans/XX"):
        response = get(client, url)
        assert response.status_code == 404 and response.json()["detail"]


# --- what the public reads: exactly what its pages show ------------------------------------------


def drafts(people) -> tuple[KpiResult, TaskProgress]:
    """A draft result of DP5.1 (勞動局's) on the published 109 map, a draft month of plan DC1.2.1's first
    task, and 產業局's 110 map unpublished."""

    kpi = Kpi.objects.get(code="DP5.1", objective__map__organization__code="taipei", objective__map__year=2020)
    entry = {"actual": Decimal("1"), "situation_analysis": "why", "countermeasures": "what"}
    result = kpi_result_record(access=Access(people["dol"]), kpi=kpi, year=2020, data=entry, version=0)
    plan = ActionPlan.objects.get(
        code="DC1.2.1", kpi__objective__map__organization__code="taipei", kpi__objective__map__year=2020
    )
    task = plan.tasks.order_by("order").first()
    progress = task_progress_record(
        access=Access(people["dol"]), task=task, month=3, cell=Cell(planned=True, done="under_way"), version=0
    )
    assert progress is not None
    StrategyMap.objects.filter(organization__code="taipei-doed", year=2021).update(published=False)
    return result, progress


def everything_read(client, secret: str | None = None) -> list:
    """Every answer of every GET of the API, for every map, KPI and plan it lists."""
    answers = []
    for url in (f"{API}/organizations", f"{API}/maps"):
        answers.append(get(client, url, secret, limit=200).json())
    for summary in answers[-1]["items"]:
        if not summary["in_force"]:
            continue
        base = f"{API}/maps/{summary['organization']}/{summary['year']['ad']}"
        answers.append(get(client, base, secret).json())
        for tail in ("perspectives", "themes", "objectives", "links", "revisions", "tows"):
            answers.append(get(client, f"{base}/{tail}", secret).json())
        for tail in ("kpis", "results", "plans"):
            page = get(client, f"{base}/{tail}", secret, limit=200).json()
            answers.append(page)
            for row in page["items"] if tail != "results" else []:
                answers.append(get(client, f"{base}/{tail}/{row['code']}", secret).json())
    return answers


def results_in(answers: list) -> set[tuple[str, int, str, str]]:
    found = set()
    for answer in answers:
        rows = answer.get("items", [answer]) if isinstance(answer, dict) else answer
        for row in rows:
            for result in [row] if "actual" in row else row.get("results", []):
                found.add((result["kpi"], result["year"]["ad"], result["period"], result["status"]))
    return found


def progress_in(answers: list) -> list[dict]:
    return [
        month
        for answer in answers
        if isinstance(answer, dict)
        for plan in answer.get("items", [answer])
        for task in plan.get("tasks", [])
        for month in task["progress"]
    ]


def test_the_publics_api_never_returns_what_its_pages_do_not_show(people, client):
    draft, month = drafts(people)
    public = everything_read(client)
    # What the public's pages show: published results of published maps, published progress, published maps.
    shown = {
        (r.kpi.code, r.year, r.period, r.status)
        for r in KpiResult.objects.filter(status="published", kpi__objective__map__published=True).select_related("kpi")
    }
    assert results_in(public) == shown
    assert ("DP5.1", 2020, "", "draft") not in results_in(public)
    assert progress_in(public) == []
    maps = {(m["organization"], m["year"]["ad"]) for m in public[1]["items"]}
    assert ("taipei-doed", 2021) not in maps and ("taipei", 2020) in maps
    assert "taipei-doed" not in {o["code"] for o in public[0]["items"]}
    assert get(client, f"{API}/maps/taipei-doed/110").status_code == 404
    assert get(client, f"{API}/maps/taipei-doed/110/tows").status_code == 404
    assert get(client, f"{API}/organizations/taipei-doed").status_code == 404
    # and the pages agree: the draft's map page is there, its draft is not on the KPI page
    assert client.get("/taipei-doed/110/tows/").status_code == 404
    # An outsider's token reads as the public does.
    assert results_in(everything_read(client, token_of(people["outsider"]))) == shown
    # The city's administrator reads the draft, the month and the unpublished map, as on its pages.
    admin = everything_read(client, token_of(people["admin"]))
    assert ("DP5.1", 2020, "", "draft") in results_in(admin)
    assert {(m["month"], m["done"], m["status"]) for m in progress_in(admin)} == {(3, "under_way", "draft")}
    assert ("taipei-doed", 2021) in {(m["organization"], m["year"]["ad"]) for m in admin[1]["items"]}
    assert draft.pk and month.pk


@pytest.mark.parametrize(
    ("who", "sees_draft", "reads_doed"),
    [("dol", True, False), ("doed", True, True), ("coord", True, False), ("viewer", True, True)],
)
def test_each_role_reads_through_the_api_what_it_reads_on_the_pages(people, client, who, sees_draft, reads_doed):
    drafts(people)
    secret = token_of(people[who])
    results = get(client, f"{TAIPEI}/results", secret, kpi="DP5.1").json()["items"]
    assert ("draft" in {r["status"] for r in results}) is sees_draft
    assert (get(client, f"{API}/maps/taipei-doed/110", secret).status_code == 200) is reads_doed
    client.force_login(people[who])  # the same as its pages
    assert (client.get("/taipei-doed/110/").status_code == 200) is reads_doed


# --- tokens --------------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_shown_once_and_its_making_and_revoking_audited(people, client):
    client.force_login(people["dol"])
    response = client.post("/en/api-tokens/", {"name": "results feed", "write": "on", "days": "90"})
    assert response.status_code == 200
    secret = response.context["made"].secret
    assert secret.startswith("smt_") and secret in response.content.decode()
    token = ApiToken.objects.get(owner=people["dol"])
    assert token.digest != secret and secret not in str(ApiToken.objects.values().get())
    assert token.scopes == ["read", "write:results"]
    assert secret not in client.get("/en/api-tokens/").content.decode()  # shown once
    assert get(client, TAIPEI, secret).status_code == 200
    assert client.post(f"/en/api-tokens/{token.pk}/revoke/").status_code == 302
    refused = get(client, TAIPEI, secret)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    trail = AuditEvent.objects.filter(object_type="api.apitoken", object_id=token.pk)
    assert set(trail.values_list("action", "username")) == {("create", "dol"), ("revoke", "dol")}


def test_the_token_page_sends_the_public_to_log_in_and_nobody_revokes_anothers_token(people, client):
    assert client.get("/api-tokens/").status_code == 302
    assert "login" in client.get("/api-tokens/")["Location"]
    token = token_create(owner=people["dol"], name="theirs", scopes=["read"], days=30).token
    client.force_login(people["admin"])
    assert client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked is None
    assert "theirs" not in client.get("/api-tokens/").content.decode()


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Bearer smt_nothing", "not known"),
        ("Token abc", "Bearer <token>"),
        ("expired", "expired"),
        ("revoked", "revoked"),
    ],
)
def test_an_unknown_expired_or_revoked_token_is_a_401_saying_which(people, client, header, says):
    if header in ("expired", "revoked"):
        made = token_create(owner=people["admin"], name="old", scopes=["read"], days=1)
        field = "expires" if header == "expired" else "revoked"
        ApiToken.objects.filter(pk=made.token.pk).update(**{field: timezone.now() - datetime.timedelta(minutes=1)})
        header = f"Bearer {made.secret}"
    response = client.get(TAIPEI, HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert says in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_answer_to_a_token_is_private_and_every_answer_varies_with_the_token(people, client):
    public = get(client, TAIPEI)
    assert "Authorization" in public["Vary"] and "private" not in public.get("Cache-Control", "")
    mine = get(client, TAIPEI, token_of(people["admin"]))
    assert {"private", "no-store"} <= {part.strip() for part in mine["Cache-Control"].split(",")}


def test_a_tokens_use_is_noted(people, client):
    made = token_create(owner=people["viewer"], name="feed", scopes=["read"], days=30)
    assert made.token.last_used is None
    get(client, TAIPEI, made.secret)
    assert ApiToken.objects.get(pk=made.token.pk).last_used is not None


# --- writes --------------------------------------------------------------------------------------

ENTRY = {"version": 0, "actual": "12.5", "situation_analysis": "late data", "countermeasures": "earlier data"}


def post(client, url: str, body: dict, secret: str | None = None):
    return client.post(url, body, content_type="application/json", **(bearer(secret) if secret else {}))


def test_a_token_records_a_result_audited_with_its_owner_and_submits_it(people, client):
    secret = token_of(people["dol"], write=True)
    response = post(client, f"{TAIPEI}/kpis/DP5.1/results", {**ENTRY, "reason": "from our system"}, secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["actual"], body["status"], body["version"], body["year"]["roc"]) == ("12.5", "draft", 1, 109)
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2020, period="")
    assert result.actual == Decimal("12.5")
    event = AuditEvent.objects.get(object_type="kpis.kpiresult", object_id=result.pk, field="actual")
    assert (event.username, event.new, event.reason) == ("dol", "12.5", "from our system")
    submitted = post(client, f"{TAIPEI}/kpis/DP5.1/results", {**ENTRY, "version": 1, "submit": True}, secret)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert KpiResult.objects.get(pk=result.pk).status == "submitted"


def test_a_stale_version_is_a_409_listing_what_changed_and_nothing_is_written(people, client):
    secret = token_of(people["dol"], write=True)
    assert post(client, f"{TAIPEI}/kpis/DP5.1/results", ENTRY, secret).status_code == 200
    assert (
        post(client, f"{TAIPEI}/kpis/DP5.1/results", {**ENTRY, "version": 1, "actual": "13"}, secret).status_code == 200
    )
    stale = post(client, f"{TAIPEI}/kpis/DP5.1/results", {**ENTRY, "version": 1, "actual": "99"}, secret)
    assert stale.status_code == 409
    changes = stale.json()["changes"]
    assert {"field": "actual", "old": "12.5", "new": "13", "user": "dol"}.items() <= changes[0].items()
    assert KpiResult.objects.get(kpi__code="DP5.1", year=2020, period="").actual == Decimal("13")


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"version": 0}, "body.actual", None),
        ({"version": 0, "actual": "abc"}, "body.actual", "abc"),
        ({"version": 0, "actual": "1e999999"}, "body.actual", "1e999999"),
        ({**ENTRY, "period": "Q3"}, "body.period", "Q3"),
        ({**ENTRY, "period": "Q9"}, "body.period", "Q9"),
        ({"actual": "1"}, "body.version", None),
    ],
)
def test_a_refused_write_is_a_400_naming_the_field_and_the_value(people, client, body, field, value):
    secret = token_of(people["dol"], write=True)
    response = post(client, f"{TAIPEI}/kpis/DP5.1/results", body, secret)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field) and e["value"] == value for e in errors), errors
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=2020).exists()


def test_writes_need_a_token_with_the_write_scope_of_someone_who_enters_the_kpi(people, client):
    url = f"{TAIPEI}/kpis/DP5.1/results"
    assert post(client, url, ENTRY).status_code == 401
    assert post(client, url, ENTRY, token_of(people["dol"])).status_code == 403  # read only
    refused = post(client, url, ENTRY, token_of(people["viewer"], write=True))
    assert refused.status_code == 403 and "DP5.1" in refused.json()["detail"]
    StrategyMap.objects.filter(organization__code="taipei", year=2020).update(published=False)
    assert post(client, url, ENTRY, token_of(people["outsider"], write=True)).status_code == 404
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=2020).exists()


def test_a_council_editor_records_a_quarter_by_token(council_people, client):
    secret = token_of(council_people["council-place"], write=True)
    current = KpiResult.objects.filter(kpi__code="H1.1", kpi__objective__map__year=2024, period="Q4").first()
    version = current.version if current else 0
    if current is not None:
        current.status = "draft"
        current.save()
    response = post(client, f"{COUNCIL}/kpis/H1.1/results", {**ENTRY, "period": "Q4", "version": version}, secret)
    assert response.status_code == 200, response.content
    assert (response.json()["period"], response.json()["year"]["label"]) == ("Q4", "2024/25")


def test_a_token_records_a_tasks_month_through_the_progress_service(people, client):
    secret = token_of(people["dol"], write=True)
    url = f"{TAIPEI}/plans/DC1.2.1/progress"
    response = post(client, url, {"task": 1, "month": 3, "version": 0, "done": "done", "note": "ok"}, secret)
    assert response.status_code == 200, response.content
    assert (response.json()["done"], response.json()["version"]) == ("done", 1)
    row = TaskProgress.objects.get(task__plan__code="DC1.2.1", month=3)
    assert AuditEvent.objects.filter(object_type="plans.taskprogress", object_id=row.pk, username="dol").exists()
    stale = post(client, url, {"task": 1, "month": 3, "version": 0, "done": "under_way"}, secret)
    assert stale.status_code == 409 and stale.json()["changes"]
    bad = post(client, url, {"task": 9, "month": 3, "version": 0, "done": "done"}, secret)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "body.task"
    assert post(client, url, {"task": 1, "month": 13, "version": 0, "done": "done"}, secret).status_code == 400


# --- the contract: the OpenAPI description validates and every path answers as it says ------------


def test_the_openapi_description_validates_and_every_path_answers_as_documented(people, client):

    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert client.get(f"{API}/docs").status_code == 200

    def conforms(operation: dict, answer) -> None:
        documented = operation["responses"].get(str(answer.status_code))
        assert documented is not None, (answer.status_code, answer.content[:300])
        schema = documented["content"]["application/json"]["schema"]
        jsonschema.validate(answer.json(), {**schema, "components": document["components"]})

    drafts(people)
    secret = token_of(people["admin"], write=True)
    fill = {"{org}": "taipei", "{year}": "109"}
    codes = {"kpis": "DP5.1", "plans": "DC1.2.1"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            url = path
            for key, value in fill.items():
                url = url.replace(key, value)
            for part, code in codes.items():
                url = url.replace(f"/{part}/{{code}}", f"/{part}/{code}")
            if method == "get":
                for who in (None, secret):
                    conforms(operation, get(client, url, who))
                conforms(operation, get(client, url.replace("taipei", "nowhere")))  # 404s too
            else:
                conforms(operation, post(client, url, {}))  # 401 without a token
                conforms(operation, post(client, url, {}, secret))  # 400: the body is incomplete


# --- fixed query counts at ten times the data -----------------------------------------------------


def grow(smap: StrategyMap, times: int) -> None:
    """``times`` - 1 more copies of each KPI of ``smap`` (code ``<code>x<n>``) with its agencies, targets and
    results, and of each of its action plans with its tasks and their months of progress."""

    kpis = list(Kpi.objects.filter(objective__map=smap).prefetch_related("agencies", "targets", "results"))
    plans = list(ActionPlan.objects.filter(kpi__in=kpis).prefetch_related("agencies", "tasks__progress"))
    for n in range(1, times):
        for kpi in kpis:
            copy = Kpi.objects.get(pk=kpi.pk)
            copy.pk, copy.code = None, f"{kpi.code}x{n}"
            copy.save()
            copy.agencies.set(kpi.agencies.all())
            KpiTarget.objects.bulk_create(
                [KpiTarget(kpi=copy, year=t.year, period=t.period, value=t.value) for t in kpi.targets.all()]
            )
            KpiResult.objects.bulk_create(
                [
                    KpiResult(kpi=copy, year=r.year, period=r.period, actual=r.actual, status=r.status)
                    for r in kpi.results.all()
                ]
            )
            for plan in (p for p in plans if p.kpi_id == kpi.pk):
                made = ActionPlan.objects.create(kpi=copy, code=f"{plan.code}x{n}", name=plan.name, order=plan.order)
                made.agencies.set(plan.agencies.all())
                for task in plan.tasks.all():
                    new = PlanTask.objects.create(plan=made, name=task.name, months=task.months, order=task.order)
                    TaskProgress.objects.bulk_create(
                        [
                            TaskProgress(task=new, month=p.month, done=p.done, status=p.status)
                            for p in task.progress.all()
                        ]
                    )


LISTS = [
    f"{API}/organizations",
    f"{API}/maps",
    COUNCIL,
    f"{COUNCIL}/kpis",
    f"{COUNCIL}/kpis/H1.1",
    f"{COUNCIL}/results",
    f"{COUNCIL}/plans",
    f"{COUNCIL}/plans/H1.1.1",
    f"{COUNCIL}/tows",
    f"{COUNCIL}/revisions",
]


def queries(client, url: str, secret: str | None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert get(client, url, secret).status_code == 200, url
    return len(captured)


def test_the_apis_lists_and_details_run_the_same_queries_at_ten_times_the_data(council_people, client):

    plan = ActionPlan.objects.get(code="H1.1.1", kpi__objective__map__year=2024)
    task = plan.tasks.order_by("order").first()
    for month in (4, 5):
        task_progress_record(
            access=Access(council_people["council-admin"]),
            task=task,
            month=month,
            cell=Cell(planned=True, done="under_way"),
            version=0,
        )
    secret = token_of(council_people["council-admin"])
    get(client, f"{API}/maps", secret)  # its first use is noted (last_used): once a minute, not counted here
    before = {(url, who): queries(client, url, who) for url in LISTS for who in (None, secret)}
    smap = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    grow(smap, 10)
    copy_council(27)
    after = {(url, who): queries(client, url, who) for url in LISTS for who in (None, secret)}
    assert after == before
    page = get(client, f"{COUNCIL}/kpis", secret).json()
    assert page["count"] > 100 and len(page["items"]) == 50


def test_the_api_answers_in_the_language_its_client_asks_for(demo, client):
    english = client.get(TAIPEI, HTTP_AUTHORIZATION="Bearer smt_nothing", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(TAIPEI, HTTP_AUTHORIZATION="Bearer smt_nothing", HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert "not known" in english.json()["detail"] and english["Content-Language"] == "en"
    assert "not known" not in chinese.json()["detail"] and chinese["Content-Language"] == "zh-hant"
