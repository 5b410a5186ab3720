"""The completion board (issue 16 item 3): per theme and per agency of a map, how many results are owed, entered,
submitted (at which step), returned, approved, published, not entered and late; down to the KPIs; exported as
CSV and Excel. For those who read the map's unpublished data; the public and outsiders are told nothing."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM, Access
from stratmap.core.calendars import load_demo_calendars
from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi, KpiResult, ReviewStep
from stratmap.kpis.selectors import completion_board, reporting_dates
from stratmap.kpis.services import NEW, kpi_result_record, kpi_result_transition
from stratmap.strategy.models import StrategyMap
from stratmap.web import board as board_views
from tests.helpers import answer, multiply

pytestmark = pytest.mark.django_db

S = KpiResult.Status
BOARD = "/taipei/109/completion/"
COUNCIL_BOARD = "/ashcombe/2024/completion/"
#: The Taipei 109 year's results are due 30 calendar days after the year, moved to a working day (a Monday).
DUE = datetime.date(2021, 2, 1)


@pytest.fixture
def calendars(demo):
    return load_demo_calendars(access=SYSTEM)


def a_map(org: str, year: int) -> StrategyMap:
    return StrategyMap.objects.select_related("organization").get(organization__code=org, year=year, in_force=True)


def kpi(code: str, org: str = "taipei", year: int = 2020) -> Kpi:
    return Kpi.objects.get(objective__map__organization__code=org, objective__map__year=year, code=code)


def entered(person, code: str) -> KpiResult:
    """勞動局's editor's 109 result of ``code``, a draft with everything a submission needs."""
    data = {
        "actual": Decimal("1"),
        "unknown_kind": "",
        "innovation": Decimal("90"),
        "challenge": Decimal("90"),
        "contribution": Decimal("90"),
        "situation_analysis": "分析",
        "countermeasures": "對策",
    }
    return kpi_result_record(access=Access(person), kpi=kpi(code), year=2020, data=data, version=NEW)


def move(person, result: KpiResult, action: str, text: str = "") -> KpiResult:
    result.refresh_from_db()
    return kpi_result_transition(access=Access(person), result=result, action=action, version=result.version, text=text)


@pytest.fixture
def cycle(calendars, people):
    """Theme D of Taipei's 109 map as its people left it: of 勞動局's seven KPIs, DP5.1 entered, DP5.2 submitted,
    DC1.1 returned, DC1.2 approved, DP4.1 published, DP4.2 and DP4.3 not entered; every other KPI not entered."""
    dol, coord, admin = people["dol"], people["coord"], people["admin"]
    entered(dol, "DP5.1")
    move(dol, entered(dol, "DP5.2"), "submit")
    move(coord, move(dol, entered(dol, "DC1.1"), "submit"), "return", "請補充說明")
    move(coord, move(dol, entered(dol, "DC1.2"), "submit"), "approve")
    move(admin, move(coord, move(dol, entered(dol, "DP4.1"), "submit"), "approve"), "publish")
    return people


def counts(group) -> dict[str, int]:
    c = group.counts
    return {
        "owed": c.expected,
        "not entered": c.statuses[""],
        **{str(status): c.statuses[status] for status in S.values},
        "late": c.late,
    }


def group(groups, key):
    return next(g for g in groups if g.key == key)


# --- who sees it ----------------------------------------------------------------------------------------------

WHO = ["anonymous", "outsider", "admin", "dol", "doed", "coord", "viewer"]


def answers(client, people, urls, who) -> list[str]:
    found = []
    for person in who:
        client.logout()
        if person != "anonymous":
            client.force_login(people[person])
        found.append(" ".join(answer(client.get(url)) for url in urls))
    return found


BOARD_URLS = [BOARD, "/taipei/109/completion.csv", "/taipei/109/completion.xlsx"]


def test_the_board_and_its_exports_are_for_the_maps_insiders_the_public_logs_in_and_outsiders_get_404(people, client):
    # Everyone who reads the map's unpublished data: the city's administrator and viewer, group D's coordinator,
    # and the editors of the bureaus whose KPIs are on it.
    assert answers(client, people, BOARD_URLS, WHO) == [
        "login login login",
        "404 404 404",
        "200 200 200",
        "200 200 200",
        "200 200 200",
        "200 200 200",
        "200 200 200",
    ]


def test_the_board_of_an_unpublished_map_is_answered_the_same_and_the_public_learns_nothing(people, client):
    StrategyMap.objects.filter(organization__code="taipei", year=2020).update(published=False)
    assert answers(client, people, [BOARD], WHO) == ["login", "404", "200", "200", "200", "200", "200"]


def test_the_councils_board_is_its_insiders_and_taipeis_administrator_is_an_outsider_there(council_people, client):
    who = ["anonymous", "outsider", "admin", "council-admin", "council-place", "council-resources", "council-viewer"]
    urls = [COUNCIL_BOARD, "/ashcombe/2024/completion.csv", "/ashcombe/2024/completion.xlsx"]
    assert answers(client, council_people, urls, who) == [
        "login login login",
        "404 404 404",
        "404 404 404",
        "200 200 200",
        "200 200 200",
        "200 200 200",
        "200 200 200",
    ]


def test_the_board_is_linked_from_the_map_navigation_and_from_due_for_those_who_may_see_it(people, client):
    link = 'href="/taipei/109/completion/"'
    assert link not in client.get("/taipei/109/").content.decode()
    client.force_login(people["outsider"])
    assert link not in client.get("/taipei/109/").content.decode()
    client.force_login(people["viewer"])
    assert link in client.get("/taipei/109/").content.decode()
    client.force_login(people["admin"])
    assert link in client.get("/taipei/109/scorecard/").content.decode()
    assert "/completion/" in client.get("/due/").content.decode()


# --- the counts -----------------------------------------------------------------------------------------------


def test_the_counts_per_theme_and_agency_follow_what_people_did_and_late_is_past_the_calendars_due_date(cycle):
    smap = a_map("taipei", 2020)
    assert reporting_dates(maps=[smap]).due(smap, "") == DUE
    on_the_day = completion_board(smap=smap, access=Access(cycle["admin"]), today=DUE)
    after = completion_board(smap=smap, access=Access(cycle["admin"]), today=DUE + datetime.timedelta(days=1))
    dol = {"owed": 7, "not entered": 2, "draft": 1, "submitted": 1, "returned": 1, "approved": 1, "published": 1}
    assert counts(group(on_the_day.agencies, "taipei-dol")) == {**dol, "late": 0}
    # Late: past the due date and not handed in (not entered, a draft, a return); submitted and beyond are not.
    assert counts(group(after.agencies, "taipei-dol")) == {**dol, "late": 4}
    theme_d = {"owed": 20, "not entered": 15, "draft": 1, "submitted": 1, "returned": 1, "approved": 1, "published": 1}
    assert counts(group(after.themes, "D")) == {**theme_d, "late": 17}
    assert counts(group(after.themes, "A"))["owed"] == 0  # a theme without KPIs on this map owes nothing
    assert after.total.expected == 20 and after.total.late == 17 and after.total.percent == 15  # 3 of 20 handed in
    assert {g.key: g.counts.expected for g in after.agencies} == {
        "taipei-doed": 10,
        "taipei-doit": 1,
        "taipei-dol": 7,
        "taipei-group-d": 2,
    }
    rows = {r.kpi.code: r for r in after.rows}
    assert (rows["DC1.1"].status, rows["DC1.1"].late, rows["DC1.1"].due) == (S.RETURNED, True, DUE)
    assert (rows["DP5.2"].status, rows["DP5.2"].late) == (S.SUBMITTED, False)
    assert [r.kpi.code for r in after.matching(agency="taipei-dol", status="late")] == [
        "DC1.1",
        "DP4.2",
        "DP4.3",
        "DP5.1",
    ]


def test_the_board_counts_only_the_results_the_reader_may_see(cycle):
    smap = a_map("taipei", 2020)
    outsider = completion_board(smap=smap, access=Access(cycle["outsider"]), today=DUE)
    # The public sees the published result only: the others count as not entered.
    assert counts(group(outsider.agencies, "taipei-dol"))["published"] == 1
    assert counts(group(outsider.agencies, "taipei-dol"))["not entered"] == 6
    viewer = completion_board(smap=smap, access=Access(cycle["viewer"]), today=DUE)
    assert counts(group(viewer.agencies, "taipei-dol"))["not entered"] == 2


def test_submitted_results_are_counted_at_the_step_of_the_chain_they_wait_at(cycle, client):
    city = Organization.objects.get(code="taipei")
    for order, name, role in [(1, "初核", ReviewStep.Actor.COORDINATOR), (2, "複核", ReviewStep.Actor.OFFICE)]:
        ReviewStep.objects.create(
            organization=city, order=order, name=name, role=role, i18n={"name_en": f"check {order}"}
        )
    dol, coord = cycle["dol"], cycle["coord"]
    move(coord, move(dol, entered(dol, "DP4.2"), "submit"), "approve")  # on to the second step
    found = completion_board(smap=a_map("taipei", 2020), access=Access(cycle["admin"]), today=DUE)
    submitted = group(found.agencies, "taipei-dol").counts
    assert submitted.statuses[S.SUBMITTED] == 2 and submitted.steps == {1: 1, 2: 1}
    client.force_login(cycle["admin"])
    page = client.get("/en" + BOARD.replace("/109/", "/2020/")).content.decode()
    assert "check 1 1" in page and "check 2 1" in page


def test_the_councils_quarters_are_owed_once_ended_and_a_reopened_one_is_late_after_its_due_date(council_people):
    admin = council_people["council-admin"]
    smap = a_map("ashcombe", 2024)
    q2 = KpiResult.objects.get(kpi=kpi("H1.1", "ashcombe", 2024), year=2024, period="Q2")
    move(admin, q2, "reopen", "a figure was wrong")
    due = reporting_dates(maps=[smap]).due(smap, "Q2")
    assert due == datetime.date(2024, 10, 15)
    before = completion_board(smap=smap, access=Access(admin), today=due, period="Q2")
    after = completion_board(smap=smap, access=Access(admin), today=due + datetime.timedelta(days=1), period="Q2")
    assert [(r.kpi.code, r.period, r.status, r.late) for r in before.rows] == [("H1.1", "Q2", S.RETURNED, False)]
    assert [(r.kpi.code, r.period, r.status, r.late) for r in after.rows] == [("H1.1", "Q2", S.RETURNED, True)]
    assert counts(group(after.agencies, "ashcombe-place"))["late"] == 1
    # Every result owed so far in late October: the quarters ended (Q1, Q2), the months ended (April to
    # September), and whatever is entered already (the demo's later quarters and the year's results).
    everything = completion_board(smap=smap, access=Access(admin), today=datetime.date(2024, 10, 20))
    assert {"Q1", "Q2", "M04", "M09"} <= set(everything.periods)
    # A year reopened is no longer closed: its quarters ended by then are owed (not entered), the others not.
    year = KpiResult.objects.get(kpi=kpi("E1.1", "ashcombe", 2024), year=2024, period="")
    move(admin, year, "reopen", "quarterly figures wanted")
    reopened = completion_board(smap=smap, access=Access(admin), today=datetime.date(2024, 10, 20))
    assert [(r.period, r.status) for r in reopened.rows if r.kpi.code == "E1.1"] == [
        ("", S.RETURNED),
        ("Q1", ""),
        ("Q2", ""),
    ]


def test_the_board_reads_as_many_queries_for_a_larger_map_as_for_a_small_one(cycle, client):
    smap = a_map("taipei", 2020)

    def measured():
        with CaptureQueriesContext(connection) as selector:
            completion_board(smap=smap, access=Access(cycle["coord"]), today=DUE)
        client.force_login(cycle["coord"])
        with CaptureQueriesContext(connection) as page:
            assert client.get(BOARD + "?status=late").status_code == 200
        return len(selector), len(page)

    small = measured()
    multiply(4)
    large = measured()
    assert completion_board(smap=smap, access=SYSTEM, today=DUE).total.expected == 80
    assert small == large


# --- the page -------------------------------------------------------------------------------------------------


def test_each_count_links_to_the_kpis_behind_it_on_the_same_page(cycle, client, monkeypatch):
    monkeypatch.setattr(board_views, "today", lambda: DUE + datetime.timedelta(days=1))
    client.force_login(cycle["admin"])
    page = client.get("/en/taipei/2020/completion/").content.decode()
    assert 'href="?agency=taipei-dol&amp;status=returned#kpis">1</a>' in page
    assert 'href="?theme=D&amp;status=late#kpis">17</a>' in page
    assert "15% (3 of 20)" in page
    listed = client.get("/en/taipei/2020/completion/?agency=taipei-dol&status=late").content.decode()
    kpis = listed.split('id="kpis"')[1]
    assert "(4)" in kpis and "DC1.1" in kpis and "DP4.2" in kpis and "DP5.2" not in kpis
    assert "(late)" in kpis  # in words, not in colour alone


def test_a_period_filter_is_offered_for_a_map_with_periods_and_a_bad_one_is_refused_with_what_is_expected(
    council_people, client
):
    client.force_login(council_people["council-admin"])
    page = client.get("/en/ashcombe/2024/completion/").content.decode()
    assert '<select name="period">' in page and 'value="Q2"' in page
    quarter = client.get("/en/ashcombe/2024/completion/?period=Q2").content.decode()
    assert "The results owed (1)" in quarter
    bad = client.get("/en/ashcombe/2024/completion/?period=Q9")
    assert bad.status_code == 400 and "Q9" in bad.content.decode()
    assert client.get("/en/ashcombe/2024/completion/?status=lost").status_code == 400
    client.force_login(council_people["admin"])
    assert '<select name="period">' not in client.get("/en/taipei/2020/completion/").content.decode()


# --- the exports ----------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # so that Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_summary_and_kpi_rows_hold_the_boards_numbers_under_stable_headers(cycle, client, monkeypatch):
    monkeypatch.setattr(board_views, "today", lambda: DUE + datetime.timedelta(days=1))
    client.force_login(cycle["coord"])
    summary = read_csv(client.get("/en/taipei/2020/completion.csv"))
    assert summary[0] == [
        "group", "code", "name", "owed", "not entered", "entered (draft)", "submitted", "returned", "approved",
        "published", "late", "handed in", "handed in (%)",
    ]  # fmt: skip
    by_code = {(row[0], row[1]): row for row in summary[1:]}
    assert by_code[("agency", "taipei-dol")][3:] == ["7", "2", "1", "1", "1", "1", "1", "4", "3", "42"]
    assert by_code[("total", "")][3] == "20"
    kpis = read_csv(client.get("/en/taipei/2020/completion.csv?table=kpis&agency=taipei-dol&status=late"))
    assert kpis[0] == [
        "theme", "code", "name", "responsible agencies", "period", "period code", "status", "review step",
        "results due", "late",
    ]  # fmt: skip
    assert [row[1] for row in kpis[1:]] == ["DC1.1", "DP4.2", "DP4.3", "DP5.1"]
    assert kpis[1][6:] == ["returned", "", "2021-02-01", "yes"]


def test_the_excel_board_has_the_summary_and_every_result_owed(cycle, client, monkeypatch):
    monkeypatch.setattr(board_views, "today", lambda: DUE)
    client.force_login(cycle["admin"])
    response = client.get("/en/taipei/2020/completion.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="taipei-2020-completion.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary, results = book.worksheets
    assert (summary.title, results.title) == ("Summary", "Results owed")
    assert [c.value for c in summary[3]][:4] == ["group", "code", "name", "owed"]
    dol = next(row for row in summary.iter_rows(min_row=4, values_only=True) if row[1] == "taipei-dol")
    assert dol[3:11] == (7, 2, 1, 1, 1, 1, 1, 0)
    codes = [row[1] for row in results.iter_rows(min_row=4, values_only=True)]
    assert len(codes) == 20 and "DP5.1" in codes


def test_a_name_that_looks_like_a_formula_stays_text_in_both_exports(cycle, client):
    Kpi.objects.filter(pk=kpi("DP5.1").pk).update(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(cycle["admin"])
    rows = read_csv(client.get("/taipei/109/completion.csv?table=kpis"))
    names = [row[2] for row in rows if row[1] == "DP5.1"]
    assert names == ['\'=HYPERLINK("http://evil.example","x")']
    book = openpyxl.load_workbook(io.BytesIO(client.get("/taipei/109/completion.xlsx").content))
    cell = next(row[2] for row in book.worksheets[1].iter_rows(min_row=4) if row[1].value == "DP5.1")
    assert cell.data_type == "s" and cell.quotePrefix
