"""The review chain configured per organization (issue 16 item 4): its steps and who acts at each, a comment
at each step kept in the audit trail, bulk approval and publication with one confirmation (all or nothing),
and the reviewer's page with the whole submission and what changed since it was last sent back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from stratmap.access import Access
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.kpis.models import DEFAULT_CHAIN, Kpi, KpiResult, ReviewStep, review_chains
from stratmap.kpis.selectors import review_queue, reviewers_of
from stratmap.kpis.services import (
    BulkRefused,
    allowed_actions,
    kpi_result_record,
    kpi_result_transition,
    kpi_results_bulk_transition,
)
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import answer

pytestmark = pytest.mark.django_db

S = KpiResult.Status
OFFICE, COORDINATOR = ReviewStep.Actor.OFFICE, ReviewStep.Actor.COORDINATOR
REVIEW = "/taipei/109/review/"
BULK = "/due/bulk/"
#: 勞動局's KPIs of theme D on the city's 109 map (AD 2020), none with a result in the demo.
DOL_KPIS = ["DC1.1", "DC1.2", "DP5.1"]


def taipei_chain():
    """The issue's example, and a third step: 初核 by the theme coordinator, 複核 and 核定 by the evaluation office."""
    city = Organization.objects.get(code="taipei")
    for order, name, role in [(1, "初核", COORDINATOR), (2, "複核", OFFICE), (3, "核定", OFFICE)]:
        ReviewStep.objects.create(
            organization=city, order=order, name=name, role=role, i18n={"name_en": f"step {order}"}
        )


def submitted(code: str, *, actual: str = "1", step: int = 1) -> KpiResult:
    """A submitted 109 result of a city KPI (the editor's self-assessment done), waiting at ``step``."""
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code=code)
    return KpiResult.objects.create(
        kpi=kpi,
        year=2020,
        actual=Decimal(actual),
        situation_analysis="分析",
        countermeasures="對策",
        status=S.SUBMITTED,
        review_step=step,
    )


def move(person, result: KpiResult, action: str, text: str = "") -> KpiResult:
    result.refresh_from_db()
    return kpi_result_transition(access=Access(person), result=result, action=action, version=result.version, text=text)


def fresh(result: KpiResult) -> KpiResult:
    result.refresh_from_db()
    return result


# --- the chain as data ---------------------------------------------------------------------------------------


def test_taipeis_default_is_one_review_by_the_theme_coordinator_as_before(people):
    taipei = Organization.objects.get(code="taipei")
    assert review_chains([taipei.pk]) == {taipei.pk: DEFAULT_CHAIN}
    result = submitted("DP5.1")
    assert "approve" not in allowed_actions(access=Access(people["dol"]), result=result)
    assert {"return", "approve"} <= set(allowed_actions(access=Access(people["coord"]), result=result))
    approved = move(people["coord"], result, "approve")
    assert approved.status == S.APPROVED and approved.review_step == 1
    published = move(people["admin"], approved, "publish")
    assert published.status == S.PUBLISHED
    # The trail reads as before chains: the status alone, no step named.
    assert not AuditEvent.objects.filter(object_id=result.pk, field="review_step").exists()
    statuses = AuditEvent.objects.filter(object_id=result.pk, field="status").order_by("pk")
    assert list(statuses.values_list("new", flat=True)) == ["approved", "published"]


def test_a_three_step_chain_takes_a_result_through_each_step_and_only_its_people_act_there(people):
    taipei_chain()
    result = submitted("DP5.1")
    # Step 1, 初核: the theme's coordinator; not the editor.
    with pytest.raises(PermissionDenied):
        move(people["dol"], result, "approve")
    result = move(people["coord"], result, "approve", "初核通過")
    assert (result.status, result.review_step) == (S.SUBMITTED, 2)
    # Step 2, 複核: the evaluation office (the city's administrators), no longer the coordinator.
    assert allowed_actions(access=Access(people["coord"]), result=fresh(result)) == []
    with pytest.raises(PermissionDenied):
        move(people["coord"], result, "approve")
    result = move(people["admin"], result, "approve")
    assert (result.status, result.review_step) == (S.SUBMITTED, 3)
    # Step 3, the last: its approval approves the result; then it is published.
    result = move(people["admin"], result, "approve", "核定")
    assert (result.status, result.review_step) == (S.APPROVED, 1)
    assert move(people["admin"], result, "publish").status == S.PUBLISHED
    # The trail says which step acted at each move, with its comment.
    events = AuditEvent.objects.filter(object_id=result.pk, field="review_step").order_by("pk")
    steps = list(events.values_list("old", "new", "reason"))
    assert steps == [("初核", "複核", "初核通過"), ("複核", "核定", ""), ("核定", "", "核定")]


def test_a_return_at_a_later_step_sends_the_result_back_to_its_editor_and_it_starts_again(people):
    taipei_chain()
    result = submitted("DP5.1")
    result = move(people["coord"], result, "approve")
    returned = move(people["admin"], result, "return", "請補充資料來源")
    assert (returned.status, returned.review_step, returned.review_comment) == (S.RETURNED, 1, "請補充資料來源")
    event = AuditEvent.objects.get(object_id=result.pk, field="review_step", new="")
    assert (event.old, event.reason) == ("複核", "請補充資料來源")
    # The editor resubmits: the first step again, the coordinator's.
    resubmitted = move(people["dol"], returned, "submit")
    assert (resubmitted.status, resubmitted.review_step) == (S.SUBMITTED, 1)
    assert "approve" in allowed_actions(access=Access(people["coord"]), result=resubmitted)


def test_a_bureaus_maps_follow_the_citys_chain_unless_the_bureau_has_its_own(people):
    taipei_chain()
    city, doed = (Organization.objects.get(code=code) for code in ("taipei", "taipei-doed"))
    chains = review_chains([city.pk, doed.pk])
    assert [s.name for s in chains[doed.pk]] == ["初核", "複核", "核定"]
    ReviewStep.objects.create(organization=doed, order=1, name="局內審查", role=OFFICE)
    assert [s.name for s in review_chains([doed.pk])[doed.pk]] == ["局內審查"]


def test_the_council_reviews_with_its_own_chain_while_taipei_keeps_its_default(council_people):
    council = Organization.objects.get(code="ashcombe")
    ReviewStep.objects.create(organization=council, order=1, name="Service review", role=OFFICE)
    ReviewStep.objects.create(organization=council, order=2, name="Cabinet sign-off", role=OFFICE)
    result = KpiResult.objects.get(kpi__objective__map__organization=council, kpi__code="H1.1", period="Q1")
    KpiResult.objects.filter(pk=result.pk).update(status=S.SUBMITTED)
    admin = council_people["council-admin"]
    # The directorate's editor does not review; Taipei's administrator is an outsider here.
    assert allowed_actions(access=Access(council_people["council-place"]), result=fresh(result)) == []
    assert allowed_actions(access=Access(council_people["admin"]), result=fresh(result)) == []
    assert move(admin, result, "approve").review_step == 2
    assert move(admin, result, "approve").status == S.APPROVED
    taipei = Organization.objects.get(code="taipei")
    assert review_chains([taipei.pk])[taipei.pk] == DEFAULT_CHAIN
    city_result = submitted("DP5.1")
    assert move(council_people["coord"], city_result, "approve").status == S.APPROVED


# --- bulk moves: all or nothing ------------------------------------------------------------------------------


def test_a_bulk_approval_moves_every_result_one_step(people):
    taipei_chain()
    results = [submitted(code) for code in DOL_KPIS]
    moved = kpi_results_bulk_transition(
        access=Access(people["coord"]), items=[(r, r.version) for r in results], action="approve", text="一併初核"
    )
    assert [(r.status, r.review_step) for r in moved] == [(S.SUBMITTED, 2)] * 3
    assert AuditEvent.objects.filter(field="review_step", old="初核", new="複核", reason="一併初核").count() == 3


def test_a_bulk_approval_with_one_stale_result_writes_nothing_and_names_it(people):
    results = [submitted(code) for code in DOL_KPIS]
    KpiResult.objects.filter(pk=results[1].pk).update(version=5)  # someone changed DC1.2 meanwhile
    items = [(fresh(r), r.version) for r in results]
    items[1] = (items[1][0], 1)
    before = row_counts()
    with pytest.raises(BulkRefused) as refused:
        kpi_results_bulk_transition(access=Access(people["coord"]), items=items, action="approve")
    assert refused.value.stale
    assert [p.result.kpi.code for p in refused.value.problems] == ["DC1.2"]
    assert "DC1.2" in str(refused.value)
    assert row_counts() == before
    assert {fresh(r).status for r in results} == {S.SUBMITTED}


def test_a_bulk_approval_including_a_result_at_a_step_the_person_does_not_act_on_writes_nothing(people):
    taipei_chain()
    first, second = submitted("DC1.1"), submitted("DC1.2", step=2)  # DC1.2 waits for the evaluation office
    before = row_counts()
    with pytest.raises(BulkRefused) as refused:
        kpi_results_bulk_transition(
            access=Access(people["coord"]), items=[(first, first.version), (second, second.version)], action="approve"
        )
    assert not refused.value.stale
    [problem] = refused.value.problems
    assert problem.result.kpi.code == "DC1.2" and "複核" in problem.why
    assert row_counts() == before


# --- the pages -----------------------------------------------------------------------------------------------


#: Who gets the city's 109 review page: its reviewers (theme D's coordinator, the evaluation office) alone.
REVIEWERS = [("anonymous", "login"), ("outsider", "404"), ("viewer", "404"), ("dol", "404"), ("doed", "404")]
REVIEWERS += [("coord", "200"), ("admin", "200")]


@pytest.mark.parametrize(("who", "expected"), REVIEWERS)
def test_the_review_page_is_the_maps_reviewers_alone(people, client, who, expected):
    submitted("DP5.1")
    if who != "anonymous":
        client.force_login(people[who])
    assert answer(client.get(REVIEW)) == expected
    # The bulk form takes POST only; the public is sent to log in first.
    assert answer(client.get(BULK)) == ("login" if who == "anonymous" else "405")


def test_the_councils_review_page_is_its_administrators(council_people, client):
    for who, expected in [("council-admin", "200"), ("council-place", "404"), ("council-viewer", "404")]:
        client.force_login(council_people[who])
        assert answer(client.get("/ashcombe/2024/review/")) == expected
    client.force_login(council_people["admin"])  # Taipei's administrator: an outsider to the council
    assert answer(client.get("/ashcombe/2024/review/")) == "404"


def test_the_review_page_lists_what_waits_at_the_persons_step_with_the_submission_and_what_changed(people, client):
    taipei_chain()
    editor, coordinator = Access(people["dol"]), people["coord"]
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code="DC1.1")
    entry = {"actual": Decimal("41"), "situation_analysis": "原分析", "countermeasures": "原對策"}
    result = kpi_result_record(access=editor, kpi=kpi, year=2020, data=entry, version=0)
    result = move(people["dol"], result, "submit")
    first = client.force_login(coordinator) or client.get(REVIEW).content.decode()
    assert "DC1.1" in first and "原對策" in first and 'name="item"' in first
    move(coordinator, result, "return", "請補充")
    kpi_result_record(
        access=editor, kpi=kpi, year=2020, data={**entry, "countermeasures": "新對策"}, version=fresh(result).version
    )
    move(people["dol"], result, "submit")
    submitted("DC1.2", step=2)  # at the evaluation office's step: not the coordinator's to review
    page = client.get(REVIEW).content.decode()
    assert "DC1.1" in page and "DC1.2" not in page
    assert "原對策" in page and "新對策" in page  # the countermeasures, as returned and as now
    queue = review_queue(smap=result.kpi.objective.map, access=Access(coordinator))
    [item] = queue.items
    assert [(c.field, c.old, c.new) for c in item.changes] == [("countermeasures", "原對策", "新對策")]
    office = review_queue(smap=result.kpi.objective.map, access=Access(people["admin"]))
    assert {i.result.kpi.code for i in office.items} == {"DC1.1", "DC1.2"}  # the office acts at every step


def test_the_review_page_reads_in_as_many_queries_for_many_results_as_for_one(people):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020)
    submitted("DP5.1")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            review_queue(smap=smap, access=Access(people["coord"]))
        return len(queries)

    one = count()
    for code in ["DC1.1", "DC1.2"]:
        submitted(code)
    assert count() == one


def test_approving_selected_results_on_due_asks_once_then_approves_them_all(people, client):
    results = [submitted(code) for code in DOL_KPIS]
    client.force_login(people["coord"])
    due = client.get("/due/").content.decode()
    assert all(f'value="{r.pk}:{r.version}"' in due for r in results)
    items = [f"{r.pk}:{r.version}" for r in results]
    confirm = client.post(BULK, {"do": "approve", "item": items, "next": "/due/"})
    assert confirm.status_code == 200
    assert all(code in confirm.content.decode() for code in DOL_KPIS)
    assert {fresh(r).status for r in results} == {S.SUBMITTED}  # nothing yet: it asks first
    done = client.post(BULK, {"do": "approve", "item": items, "next": "/due/", "confirm": "1"})
    assert answer(done) == "302 /due/"
    assert {fresh(r).status for r in results} == {S.APPROVED}
    client.force_login(people["admin"])
    published = client.post(
        BULK, {"do": "publish", "item": [f"{r.pk}:{fresh(r).version}" for r in results], "confirm": "1"}
    )
    assert answer(published) == "302 /due/" and {fresh(r).status for r in results} == {S.PUBLISHED}


def test_a_stale_bulk_approval_is_refused_with_409_naming_it_and_nothing_is_approved(people, client):
    results = [submitted(code) for code in DOL_KPIS]
    items = [f"{r.pk}:{r.version}" for r in results]
    move(people["coord"], results[2], "return", "先退回")  # DP5.1 moved on after the list was read
    client.force_login(people["coord"])
    before = row_counts()
    response = client.post(BULK, {"do": "approve", "item": items, "confirm": "1"})
    assert response.status_code == 409
    assert "DP5.1" in response.content.decode()
    assert row_counts() == before
    assert [fresh(r).status for r in results] == [S.SUBMITTED, S.SUBMITTED, S.RETURNED]


def test_bulk_moves_refuse_what_the_person_may_not_see_or_move(people, client):
    result = submitted("DP5.1")
    client.force_login(people["outsider"])
    assert client.post(BULK, {"do": "approve", "item": [f"{result.pk}:1"], "confirm": "1"}).status_code == 404
    client.force_login(people["dol"])  # its editor sees it, but does not review it
    response = client.post(BULK, {"do": "approve", "item": [f"{result.pk}:1"], "confirm": "1"})
    assert response.status_code == 400 and "DP5.1" in response.content.decode()
    assert client.post(BULK, {"do": "delete", "item": [f"{result.pk}:1"]}).status_code == 404
    assert client.post(BULK, {"do": "approve", "item": ["x"]}).status_code == 404
    assert fresh(result).status == S.SUBMITTED


def test_due_lists_to_review_only_what_waits_at_the_persons_step(people, client):
    taipei_chain()
    submitted("DC1.1")
    submitted("DC1.2", step=2)
    client.force_login(people["coord"])
    with translation.override("en"):
        page = client.get("/en/due/").content.decode()
    assert "DC1.1" in page and "DC1.2" not in page and "step 1" in page
    client.force_login(people["admin"])
    page = client.get("/due/").content.decode()
    assert "DC1.1" in page and "DC1.2" in page


# --- who acts now, for the notices -----------------------------------------------------------------------------


def test_reviewers_of_names_the_people_who_act_on_each_result_now(people):
    taipei_chain()
    at_coordinator, at_office, draft = submitted("DC1.1"), submitted("DC1.2", step=2), submitted("DP5.1")
    KpiResult.objects.filter(pk=draft.pk).update(status=S.RETURNED)
    found = reviewers_of(results=[at_coordinator, at_office, fresh(draft)])
    names = {pk: [u.username for u in users] for pk, users in found.items()}
    assert names == {at_coordinator.pk: ["coord"], at_office.pk: ["admin"], draft.pk: ["dol"]}


def test_reviewers_of_costs_the_same_queries_for_one_result_as_for_many(people):
    taipei_chain()
    results = [submitted(code) for code in DOL_KPIS]
    with CaptureQueriesContext(connection) as one:
        reviewers_of(results=results[:1])
    with CaptureQueriesContext(connection) as three:
        reviewers_of(results=results)
    assert len(one) == len(three) <= 6


# --- configuration ---------------------------------------------------------------------------------------------


def test_the_chain_is_changed_in_the_administration_by_the_organizations_administrators_with_a_reason(people, client):
    city = Organization.objects.get(code="taipei")
    staff = get_user_model().objects.create_user("office", password="pw-for-tests-only", is_staff=True)
    Membership.objects.create(user=staff, organization=city, role=Membership.Role.ADMINISTRATOR)
    client.force_login(staff)
    with translation.override("zh-hant"):
        add = reverse("admin:kpis_reviewstep_add")
    form = {"organization": city.pk, "order": 1, "name": "初核", "role": COORDINATOR}
    refused = client.post(add, form)
    assert refused.status_code == 200 and not ReviewStep.objects.exists()  # no reason given: nothing saved
    assert answer(client.post(add, {**form, "change_reason": "依本府考核要點"})).startswith("302")
    step = ReviewStep.objects.get()
    assert AuditEvent.objects.filter(object_type="kpis.reviewstep", object_id=step.pk, reason="依本府考核要點").exists()
    # A bureau's administrator does not change the city's chain.
    bureau = get_user_model().objects.create_user("bureau", password="pw-for-tests-only", is_staff=True)
    Membership.objects.create(
        user=bureau, organization=Organization.objects.get(code="taipei-doed"), role=Membership.Role.ADMINISTRATOR
    )
    client.force_login(bureau)
    with translation.override("zh-hant"):
        change = reverse("admin:kpis_reviewstep_change", args=[step.pk])
    assert client.get(change).status_code == 404


def test_approving_on_the_review_page_at_a_first_step_comes_back_to_it_saying_where_the_result_went(people, client):
    taipei_chain()
    result = submitted("DP5.1")
    client.force_login(people["coord"])
    response = client.post(
        "/taipei/109/kpis/DP5.1/result/approve/", {"version": result.version, "text": "初核通過", "next": REVIEW}
    )
    assert answer(response) == f"302 {REVIEW}"
    shown = client.get(REVIEW).content.decode()
    message = shown.split('<ul class="messages">')[1].split("</ul>")[0]
    assert "DP5.1" in message and "複核" in message  # approved at 初核, on to 複核
    assert (fresh(result).status, fresh(result).review_step) == (S.SUBMITTED, 2)
    # Another site is never where a form sends anyone back to.
    client.force_login(people["admin"])
    away = client.post(
        "/taipei/109/kpis/DP5.1/result/approve/", {"version": fresh(result).version, "next": "https://example.org/"}
    )
    assert answer(away) == "302 /taipei/109/kpis/DP5.1/result/"
    page = client.get("/taipei/109/kpis/DP5.1/result/").content.decode()
    assert "核定" in page and 'class="review-step"' in page  # waiting at the third step, named
