"""Issue 13, item 1: home and "what's due" do work bounded by a page, not by the database.

Home lists each organization's latest year in force with its counts, its other years as links, 25
organizations a page; /due/ lists the current cycle of the person's own organizations, each list paged.
Neither passes one SQL parameter per KPI (SQLite refuses more than its limit of variables), and the
plans page finds a map's own expected outcomes from the map's objectives.

Extra organizations are copies of the invented council (its 2023 and 2024 maps, 13 KPIs each) made
through the ORM: ten times the organizations of the demo in a second.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM, Access
from stratmap.core.models import Membership, Organization
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget, ScoringPolicy
from stratmap.kpis.selectors import (
    FEW_KPIS,
    ORGANIZATIONS_PER_PAGE,
    due_work,
    kpis_for_scoring,
    policy_of,
    score_kpis,
)
from stratmap.kpis.services import kpi_result_transition
from stratmap.plans.models import Outcome
from stratmap.strategy.models import Objective, Perspective, StrategyMap, Theme
from stratmap.web.entry import DUE_PER_PAGE

pytestmark = pytest.mark.django_db

#: Organizations with a map in force in the demo: Taipei, its economic development bureau, the council.
DEMO_ORGANIZATIONS = 3


def copy_council(count: int, *, parent: Organization | None = None, results: bool = True) -> list[Organization]:
    """``count`` copies of the council (``extra-000``, …) with its 2023 and 2024 maps, their rating policy,
    objectives, KPIs (each the copy's own) and targets, and its results when ``results``."""
    council = Organization.objects.get(code="ashcombe")
    maps = list(StrategyMap.objects.filter(organization=council, in_force=True).select_related("scoring_policy"))
    made = []
    for n in range(count):
        org = Organization.objects.create(
            code=f"extra-{n:03d}",
            name=f"Extra council {n:03d}",
            language=council.language,  # an English name: the council's language, or the page marks it Chinese
            kind=council.kind,
            parent=parent,
            year_start_month=council.year_start_month,
            year_label=council.year_label,
        )
        for source in maps:
            copy_map(source, org, results=results)
        made.append(org)
    return made


def copy_map(source: StrategyMap, org: Organization, *, results: bool) -> None:
    smap = StrategyMap.objects.get(pk=source.pk)
    smap.pk = None
    smap.organization = org
    smap.save()
    policy = ScoringPolicy.objects.get(map=source)
    policy.pk, policy.map = None, smap
    policy.save()
    new: dict[type, dict[int, int]] = {}
    for model in (Perspective, Theme):
        rows = list(model.objects.filter(map=source))
        old = [row.pk for row in rows]
        for row in rows:
            row.pk, row.map = None, smap
            if model is Theme:
                row.group = None
        new[model] = dict(zip(old, [row.pk for row in model.objects.bulk_create(rows)], strict=True))
    objectives = list(Objective.objects.filter(map=source))
    old = [o.pk for o in objectives]
    for o in objectives:
        o.pk, o.map = None, smap
        o.theme_id = new[Theme].get(o.theme_id) if o.theme_id else None
        o.perspective_id = new[Perspective].get(o.perspective_id) if o.perspective_id else None
    objective_of = dict(zip(old, [o.pk for o in Objective.objects.bulk_create(objectives)], strict=True))
    kpis = list(Kpi.objects.filter(objective__map=source).prefetch_related("targets", "results"))
    copies = Kpi.objects.bulk_create(
        [
            Kpi(
                **{
                    **{f.attname: getattr(k, f.attname) for f in Kpi._meta.concrete_fields},
                    **{"id": None, "objective_id": objective_of[k.objective_id], "lineage_id": None},
                }
            )
            for k in kpis
        ]
    )
    Kpi.agencies.through.objects.bulk_create(
        [Kpi.agencies.through(kpi_id=c.pk, organization_id=org.pk) for c in copies]
    )
    KpiTarget.objects.bulk_create(
        [
            KpiTarget(kpi=c, year=t.year, period=t.period, value=t.value, upper=t.upper)
            for k, c in zip(kpis, copies, strict=True)
            for t in k.targets.all()
        ]
    )
    if results:
        KpiResult.objects.bulk_create(
            [
                KpiResult(kpi=c, year=r.year, period=r.period, actual=r.actual, status=r.status)
                for k, c in zip(kpis, copies, strict=True)
                for r in k.results.all()
            ]
        )


@contextmanager
def sql_parameters() -> Iterator[list[int]]:
    """The number of parameters of each query run inside."""
    counts: list[int] = []

    def count(execute, sql, params, many, context):
        counts.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counts


@contextmanager
def sqlite_variables_at_most(limit: int) -> Iterator[None]:
    """SQLite refusing more than ``limit`` variables in a statement ("too many SQL variables"), as builds
    with a low limit do: a query passing one parameter per KPI fails."""
    connection.ensure_connection()
    if connection.vendor != "sqlite":  # PostgreSQL's limit (65,535) is far above any page's parameters
        yield
        return
    raw = connection.connection
    before = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    try:
        yield
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def get(client, path: str) -> tuple[str, int]:
    """The page's text and the number of queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode(), len(queries)


def sections(html: str) -> list[str]:
    """The organizations listed on the home page, each its section's HTML."""
    return re.findall(r'<section class="org">(.*?)</section>', html, re.S)


def headings(html: str) -> list[str]:
    return [re.search(r"<h2>(.*?)</h2>", s).group(1) for s in sections(html)]


def section_of(html: str, name: str) -> str:
    (found,) = [s for s in sections(html) if f"<h2>{name}</h2>" in s]
    return found


def due_rows(html: str, heading: str) -> list[str]:
    """The KPI codes of one list of the "what's due" page (from its heading to the next section)."""
    start = html.index(heading)
    end = html.find("</section>", start)
    return re.findall(r'<td class="code"><a href="[^"]+">([^<]+)</a>', html[start:end])


# --- home ---------------------------------------------------------------------------------------------


def test_home_shows_each_organizations_latest_year_with_its_counts_and_links_its_other_years(demo, client):
    html, _ = get(client, "/en/")
    council = section_of(html, "Ashcombe District Council")
    # One row of counts, the latest year's: 13 KPIs, 4 met (the demo's 2024/25 lights).
    assert council.count("<tr>") == 2  # the header and the latest year
    assert 'href="/en/ashcombe/2024/">2024/25</a></th>' in council
    assert '<td class="n" data-label="KPIs">13</td>' in council and '<td class="n" data-label="met">4</td>' in council
    # The year before is a link, without counts.
    assert re.search(r'Other years: <a class="chip" href="/en/ashcombe/2023/">2023/24</a>', council)
    taipei = section_of(html, "Taipei City Government")
    assert 'href="/en/taipei/2021/">2021</a></th>' in taipei
    assert 'href="/en/taipei/2020/">2020</a>' in taipei and 'href="/en/taipei/2019/">2019</a>' in taipei
    assert taipei.count("<tr>") == 2
    chinese = section_of(get(client, "/")[0], "臺北市政府")
    assert "其他年度：" in chinese and ">民國108年</a>" in chinese


def test_the_publics_home_counts_only_published_results(council_people, client):
    KpiResult.objects.filter(kpi__objective__map__organization__code="ashcombe", kpi__code="S2.2", year=2024).update(
        status=KpiResult.Status.APPROVED
    )
    met = '<td class="n" data-label="met">{}</td>'
    public = section_of(get(client, "/en/")[0], "Ashcombe District Council")
    assert met.format(3) in public  # S2.2, green, is not published
    client.force_login(council_people["council-admin"])
    administrator = section_of(get(client, "/en/")[0], "Ashcombe District Council")
    assert met.format(4) in administrator


def test_home_runs_the_same_queries_and_lists_one_page_of_organizations_at_ten_times_the_organizations(demo, client):
    html, before = get(client, "/en/")
    assert len(sections(html)) == DEMO_ORGANIZATIONS
    copy_council(9 * DEMO_ORGANIZATIONS)
    with sql_parameters() as parameters:
        html, after = get(client, "/en/")
    assert after == before
    assert len(sections(html)) == ORGANIZATIONS_PER_PAGE
    # The scoring reads the page's maps, named by their ids: never one parameter per KPI.
    scored = ORGANIZATIONS_PER_PAGE * 13
    assert max(parameters) <= 2 * ORGANIZATIONS_PER_PAGE < scored


def test_page_two_of_home_lists_the_next_organizations_top_level_ones_first(demo, client):
    copy_council(9 * DEMO_ORGANIZATIONS)  # 27 more top-level organizations: 30 in all
    first, _ = get(client, "/en/")
    assert 'href="?page=2"' in first and 'rel="next"' in first
    second, _ = get(client, "/en/?page=2")
    assert len(sections(second)) == 30 - ORGANIZATIONS_PER_PAGE
    assert not set(headings(first)) & set(headings(second))
    # Top-level organizations by code, then the others: the bureau comes last.
    assert headings(first)[:2] == ["Ashcombe District Council", "Extra council 000"]
    assert headings(second)[-2:] == ["Taipei City Government", "Department of Economic Development"]
    assert 'href="?page=1"' in second and 'rel="prev"' in second


@pytest.mark.parametrize("number", ["999", "0", "-1", "two", "", "1.5", "9" * 30])
def test_a_bad_page_number_of_home_is_the_first_or_the_last_page_never_an_error(demo, client, number):
    copy_council(ORGANIZATIONS_PER_PAGE)
    response = client.get("/en/", {"page": number})
    assert response.status_code == 200
    listed = headings(response.content.decode())
    assert listed and len(listed) <= ORGANIZATIONS_PER_PAGE


def test_home_answers_when_sqlite_allows_fewer_variables_than_there_are_kpis(demo, client):
    copy_council(9 * DEMO_ORGANIZATIONS)
    kpis = Kpi.objects.count()
    with sqlite_variables_at_most(120):
        assert kpis > 120
        assert client.get("/en/").status_code == 200
        assert client.get("/en/?page=2").status_code == 200


# --- what's due ---------------------------------------------------------------------------------------


def codes(rows) -> set[tuple[str, int, str]]:
    return {(r.kpi.objective.map.organization.code, r.kpi.objective.map.year, r.kpi.code) for r in rows}


def test_whats_due_lists_the_current_cycle_not_older_years(people):
    admin = Access(people["admin"])
    # Mid-2021: the city's 2021 map (without KPIs) is current, its 2020 map has no result published yet;
    # 2019 is over, though three of its KPIs never had a result.
    entering = codes(due_work(access=admin, today=datetime.date(2021, 6, 1)).to_enter)
    assert {year for _, year, _ in entering} == {2020, 2021}
    assert ("taipei", 2020, "DP5.1") in entering and ("taipei-doed", 2021, "DC1.1") in entering
    assert not {row for row in entering if row[1] == 2019}


def unenter(year: int, code: str = "H1.2") -> None:
    """Take the council's yearly result of ``code`` out (the demo publishes every one of them)."""
    KpiResult.objects.filter(kpi__objective__map__organization__code="ashcombe", kpi__code=code, year=year).delete()


def test_whats_due_keeps_the_year_before_until_its_results_are_all_published(council_people):
    admin = Access(council_people["council-admin"])
    today = datetime.date(2025, 6, 1)
    unenter(2024)
    # Every 2023/24 result is published: that year is done.
    assert {year for _, year, _ in codes(due_work(access=admin, today=today).to_enter)} == {2024}
    KpiResult.objects.filter(kpi__objective__map__year=2023, kpi__code="H1.2", year=2023).update(
        status=KpiResult.Status.RETURNED
    )
    assert ("ashcombe", 2023, "H1.2") in codes(due_work(access=admin, today=today).to_enter)


def test_whats_due_starts_a_year_when_the_organizations_year_starts(council_people):
    admin = Access(council_people["council-admin"])
    unenter(2024)
    KpiResult.objects.filter(kpi__objective__map__year=2023, kpi__code="H1.2", year=2023).update(
        status=KpiResult.Status.DRAFT
    )
    # The council's 2024/25 starts in April 2024: in March its current year is still 2023/24.
    march = {year for _, year, _ in codes(due_work(access=admin, today=datetime.date(2024, 3, 31)).to_enter)}
    assert march == {2023}
    april = {year for _, year, _ in codes(due_work(access=admin, today=datetime.date(2024, 4, 1)).to_enter)}
    assert april == {2023, 2024}


def test_whats_due_lists_only_the_persons_own_organizations_superusers_included(council_people, client):
    today = datetime.date(2025, 6, 1)
    unenter(2024)
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    # A superuser without a membership has no organization of its own: nothing, and the page says why.
    assert codes(due_work(access=Access(root), today=today).to_enter) == set()
    client.force_login(root)
    page = client.get("/en/due/").content.decode()
    assert "As a superuser without a membership you have none" in page
    # A member of the council lists the council's work only, though it may act everywhere.
    Membership.objects.create(user=root, organization=Organization.objects.get(code="ashcombe"), role="administrator")
    organizations = {org for org, _, _ in codes(due_work(access=Access(root), today=today).to_enter)}
    assert organizations == {"ashcombe"}
    # An editor of a Taipei bureau lists the city map's KPIs it enters, not the council's.
    dol = {org for org, _, _ in codes(due_work(access=Access(council_people["dol"]), today=today).to_enter)}
    assert dol == {"taipei"}


def test_whats_due_runs_the_same_queries_and_shows_a_page_of_rows_at_ten_times_the_organizations(
    council_people, client
):
    unenter(2024)
    client.force_login(council_people["council-admin"])
    html, before = get(client, "/en/due/")
    entering = due_rows(html, "Results to enter")
    assert 0 < len(entering) <= DUE_PER_PAGE
    council = Organization.objects.get(code="ashcombe")
    copy_council(9 * DEMO_ORGANIZATIONS, parent=council, results=False)  # the administrator's, to enter
    html, after = get(client, "/en/due/")
    assert after == before
    assert len(due_rows(html, "Results to enter")) == DUE_PER_PAGE
    assert 'href="?enter=2"' in html
    second, _ = get(client, "/en/due/?enter=2")
    assert len(due_rows(second, "Results to enter")) == DUE_PER_PAGE
    for bad in ("999", "0", "x"):
        assert client.get("/en/due/", {"enter": bad, "review": bad}).status_code == 200


# --- no parameter per KPI -----------------------------------------------------------------------------


def test_scoring_passes_the_maps_not_one_parameter_per_kpi_and_works_beyond_sqlites_variable_limit(demo):
    copy_council(9 * DEMO_ORGANIZATIONS)
    kpis = list(kpis_for_scoring().filter(objective__map__organization__code__startswith="extra-"))
    assert len(kpis) > FEW_KPIS
    policies = {k.objective.map_id: policy_of(smap=k.objective.map) for k in kpis}
    with sql_parameters() as parameters, sqlite_variables_at_most(100):
        rows = score_kpis(kpis=kpis, policy_for=lambda k: policies[k.objective.map_id], access=SYSTEM)
    assert len(rows) == len(kpis) and max(parameters) < len(kpis)
    assert max(parameters) <= StrategyMap.objects.filter(organization__code__startswith="extra-").count()
    # Scored as the council's own scorecard scores them.
    lights = {(r.kpi.objective.map.year, r.kpi.code, r.score.light.key) for r in rows}
    assert {(2024, "H1.1", "green"), (2024, "H1.2", "red")} <= lights


# --- the plans page's own outcomes --------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan is checked: PostgreSQL's planner chooses by its statistics"
)
def test_the_plans_pages_outcomes_are_found_from_the_maps_objectives_through_an_index(demo, client):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020)
    own = Outcome.objects.filter(objective__map=smap, plan=None)
    assert own.exists()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/taipei/109/plans/").status_code == 200
    (sql,) = [q["sql"] for q in queries if 'FROM "plans_outcome"' in q["sql"] and "IS NULL" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    # Not every objective-level outcome of the database through the index on plan alone.
    assert "USING INDEX outcome_objective_plan (objective_id=? AND plan_id=?)" in plan, plan
    assert "plans_outcome_plan_id" not in plan, plan


def test_home_keeps_the_publics_counts_of_a_map_until_its_data_changes(demo, council_people, client):
    client.get("/en/")  # counted, and kept
    with CaptureQueriesContext(connection) as again:
        kept = client.get("/en/").content
    assert not any('"kpis_kpiresult"."actual"' in q["sql"] for q in again.captured_queries)  # no result read
    # A result of the map home shows for the council (its latest year) reopened: the public no longer sees it.
    latest = StrategyMap.objects.filter(organization__code="ashcombe", in_force=True).latest("year")
    result = KpiResult.objects.filter(
        kpi__objective__map=latest, period="", status=KpiResult.Status.PUBLISHED, actual__isnull=False
    ).first()
    assert result is not None
    kpi_result_transition(
        access=Access(council_people["council-admin"]),
        result=result,
        action="reopen",
        version=result.version,
        text="a correction",
    )
    changed = client.get("/en/").content
    assert changed != kept
    caches["summaries"].clear()
    assert client.get("/en/").content == changed  # what a count made afresh shows


def council_row(client) -> str:
    """The row of the council's latest year on the English home page, as its reader sees it."""
    html = client.get("/en/").content.decode()
    return re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/en/ashcombe/2024/\">.*?</tr>", html, re.S).group(0)


def test_home_counts_what_an_insider_sees_for_them_and_never_keeps_it_for_the_public(demo, council_people, client):
    latest = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    result = KpiResult.objects.filter(
        kpi__objective__map=latest, period="", status=KpiResult.Status.PUBLISHED, actual__isnull=False
    ).first()
    admin = Access(council_people["council-admin"])
    kpi_result_transition(access=admin, result=result, action="reopen", version=result.version, text="a correction")
    public = council_row(client)  # counted and kept for the public: the reopened result is not theirs
    client.force_login(council_people["council-admin"])
    insider = council_row(client)  # the council's own: the result it reopened still counts
    client.logout()
    assert insider != public
    assert council_row(client) == public
    client.force_login(council_people["council-admin"])
    assert council_row(client) == insider
