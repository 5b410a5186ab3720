"""The results workbook with reporting periods: a row for each KPI's year and one for each of its periods.

The invented council (stratmap/data/ashcombe, map 2024/25, April–March) reports H1.1 by quarter
(summed) and H2.1 by month (the last month stands for the year); Taipei's KPIs are yearly. Test
workbooks are made as a person makes them: downloaded through the page, edited with openpyxl.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM, Access
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.exchange.workbook import upload as upload_module
from stratmap.exchange.workbook.columns import ABOUT, ABOUT_ROWS, COLUMNS, COLUMNS_1, FORMAT_1, RESULTS, letter
from stratmap.exchange.workbook.download import build_workbook
from stratmap.kpis.models import Kpi, KpiResult, ScoringPolicy
from stratmap.kpis.selectors import map_scorecard
from stratmap.kpis.services import NEW, kpi_result_record, kpi_result_transition
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import MISSED, problems, upload
from tests.helpers import download as taipei_download

pytestmark = pytest.mark.django_db

YEAR = 2024  # 2024/25, April 2024 – March 2025
PAGE = "/ashcombe/2024/workbook/"
PAGE_EN = "/en/ashcombe/2024/workbook/"
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
FISCAL_MONTHS = [f"M{m:02d}" for m in (*range(4, 13), 1, 2, 3)]


@pytest.fixture
def council(council_people):
    """The council's people, with an editor of its People directorate (H2.1's agency) too."""
    users = dict(council_people)
    users["council-people"] = get_user_model().objects.create_user("council-people", password="pw-for-tests-only")
    Membership.objects.create(
        user=users["council-people"],
        organization=Organization.objects.get(code="ashcombe-people"),
        role=Membership.Role.EDITOR,
    )
    return users


@pytest.fixture
def drafts(council):
    """The council's year in progress: H1.1's and H2.1's period results are drafts (the demo's are published)."""
    KpiResult.objects.filter(kpi__in=[kpi("H1.1"), kpi("H2.1")], year=YEAR).update(status=KpiResult.Status.DRAFT)
    return council


@pytest.fixture
def assessed(council):
    """The council's year rated as Taipei's (the composite method, with the self-assessment), not by bands:
    its year rows take scores and its period rows do not."""
    ScoringPolicy.objects.filter(map__organization__code="ashcombe", map__year=YEAR).update(rating_policy=None)
    return council


def kpi(code: str) -> Kpi:
    return Kpi.objects.get(code=code, objective__map__organization__code="ashcombe", objective__map__year=YEAR)


def stored(code: str, period: str) -> KpiResult:
    return KpiResult.objects.get(kpi=kpi(code), year=YEAR, period=period)


def download(client, user, agency: str, *, prefix: str = "") -> openpyxl.Workbook:
    client.force_login(user)
    response = client.get(f"{prefix}/ashcombe/2024/workbook.xlsx", {"agency": agency})
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.content))


def row_of(book: openpyxl.Workbook, code: str, period: str = "") -> int:
    """The row of a KPI's year (``period`` "") or of one of its periods, found by the hidden period code."""
    ws = book[RESULTS]
    rows = [
        r
        for r in range(2, ws.max_row + 1)
        if ws[f"{letter('code')}{r}"].value == code and (ws[f"{letter('period_code')}{r}"].value or "") == period
    ]
    assert len(rows) == 1, (code, period, rows)
    return rows[0]


def cell(book: openpyxl.Workbook, code: str, period: str, key: str):
    return book[RESULTS][f"{letter(key)}{row_of(book, code, period)}"]


def fill(book: openpyxl.Workbook, code: str, at: str = "", **values) -> int:
    """Type values into the row of a KPI's year (``at`` "") or period, by column key; returns the row number."""
    row = row_of(book, code, at)
    for key, value in values.items():
        book[RESULTS][f"{letter(key)}{row}"] = value
    return row


def kpi_rows(book: openpyxl.Workbook, code: str) -> list[tuple[str, str]]:
    """(period code, period shown) of a KPI's rows, in the workbook's order."""
    ws = book[RESULTS]
    return [
        (ws[f"{letter('period_code')}{r}"].value or "", ws[f"{letter('period')}{r}"].value)
        for r in range(2, ws.max_row + 1)
        if ws[f"{letter('code')}{r}"].value == code
    ]


def nothing_written(before: dict, events: int) -> bool:
    return row_counts() == before and AuditEvent.objects.count() == events


# --- download ------------------------------------------------------------------------------------------


def test_a_quarterly_kpi_has_its_years_row_then_a_row_per_quarter_with_its_own_target_and_status(assessed, client):
    council = assessed
    KpiResult.objects.filter(kpi=kpi("H1.1"), year=YEAR, period="Q4").delete()  # not entered yet
    book = download(client, council["council-place"], "ashcombe-place")
    assert [c.value for c in book[RESULTS][1]] == [c.words("zh-hant") for c in COLUMNS]
    assert kpi_rows(book, "H1.1") == [
        ("", "2024/25"),
        ("Q1", "2024/25年第1季"),
        ("Q2", "2024/25年第2季"),
        ("Q3", "2024/25年第3季"),
        ("Q4", "2024/25年第4季"),
    ]
    assert cell(book, "H1.1", "", "target").value == 200 and cell(book, "H1.1", "Q3", "target").value == 50
    assert cell(book, "H1.1", "Q3", "actual").value == 52 and cell(book, "H1.1", "", "actual").value is None
    assert cell(book, "H1.1", "Q3", "status").value == "已公布 (published) · 鎖定"
    assert cell(book, "H1.1", "Q4", "status").value == "未填"
    assert cell(book, "H1.1", "", "status").value == "未填"
    assert cell(book, "H1.1", "Q3", "actual").protection.locked
    assert cell(book, "H1.1", "Q3", "version").value == stored("H1.1", "Q3").version
    assert cell(book, "H1.1", "", "version").value is None
    assert kpi_rows(book, "H1.2") == [("", "2024/25")]  # a yearly KPI: its year's row only
    ws = book[RESULTS]
    assert ws.column_dimensions[letter("period_code")].hidden and not ws.column_dimensions[letter("period")].hidden
    # A period's actual is entered; its self-assessment is the year's, read-only on the period's row.
    assert not cell(book, "H1.1", "Q4", "actual").protection.locked
    assert not cell(book, "H1.1", "Q4", "situation_analysis").protection.locked
    for key in ("innovation", "innovation_note", "challenge", "contribution", "contribution_note"):
        assert cell(book, "H1.1", "Q4", key).protection.locked and cell(book, "H1.1", "Q4", key).fill.fill_type
        assert not cell(book, "H1.1", "", key).protection.locked
    assert cell(book, "H1.1", "Q4", "period").protection.locked


def test_a_monthly_kpi_runs_its_months_in_the_order_of_the_fiscal_year_named_in_the_readers_language(council, client):
    book = download(client, council["council-admin"], "ashcombe-people", prefix="/en")
    rows = kpi_rows(book, "H2.1")
    assert [code for code, _shown in rows] == ["", *FISCAL_MONTHS]
    assert rows[0][1] == "2024/25" and rows[1][1] == "Apr 2024" and rows[7][1] == "Oct 2024"
    assert rows[-1][1] == "Mar 2025"
    assert cell(book, "H2.1", "M10", "actual").value == 115
    assert cell(book, "H2.1", "M10", "target").value is None  # no monthly target: the year's is 110
    chinese = download(client, council["council-admin"], "ashcombe-people")
    assert dict(kpi_rows(chinese, "H2.1"))["M10"] == "2024年10月"


def test_taipeis_yearly_kpis_keep_one_row_each_named_by_the_year(people, client):
    book = taipei_download(client, people["dol"])
    ws = book[RESULTS]
    codes = [ws[f"A{r}"].value for r in range(2, ws.max_row + 1)]
    assert codes and len(codes) == len(set(codes))
    assert {ws[f"{letter('period')}{r}"].value for r in range(2, ws.max_row + 1)} == {"民國109年"}
    assert {ws[f"{letter('period_code')}{r}"].value for r in range(2, ws.max_row + 1)} == {None}


def test_the_download_reads_in_the_same_number_of_queries_with_thirteen_rows_a_kpi_as_with_one(council):
    def queries(agency: str) -> tuple[int, int]:
        # The map as a request reads it, afresh: its rating policy is read once per map row.
        smap = StrategyMap.objects.select_related("organization").get(organization__code="ashcombe", year=YEAR)
        chosen = Organization.objects.get(code=agency)
        with CaptureQueriesContext(connection) as captured:
            content = build_workbook(
                access=Access(council["council-admin"]), smap=smap, agency=chosen, user=None, language="zh-hant"
            )
        return len(captured), openpyxl.load_workbook(io.BytesIO(content))[RESULTS].max_row

    counts = {agency: queries(agency) for agency in ("ashcombe-people", "ashcombe-place", "ashcombe-resources")}
    assert len({rows for _n, rows in counts.values()}) == 3, counts  # each agency has other periods
    # The KPIs, their agencies, what the person reads (1: its organizations), the results and the
    # targets, the map's rating policy and its light set (5): whatever the periods.
    assert {n for n, _rows in counts.values()} == {10}, counts


def test_a_period_rows_narrative_from_the_database_never_becomes_a_formula(drafts, client):
    council = drafts
    result = stored("H1.1", "Q3")
    kpi_result_record(
        access=Access(council["council-place"]),
        kpi=kpi("H1.1"),
        year=YEAR,
        period="Q3",
        data={"actual": Decimal(40), "situation_analysis": '=HYPERLINK("http://x","y")', "countermeasures": "@SUM(1)"},
        version=result.version,
    )
    book = download(client, council["council-place"], "ashcombe-place")
    for key in ("situation_analysis", "countermeasures"):
        written = cell(book, "H1.1", "Q3", key)
        assert written.data_type == "s" and written.quotePrefix


# --- upload ---------------------------------------------------------------------------------------------


def test_council_editors_fill_in_a_quarter_and_a_month_and_each_is_stored_with_its_audit_event(council, client):
    # The year in progress: Q3 and October not entered yet (the demo holds the whole year, published).
    KpiResult.objects.filter(kpi=kpi("H1.1"), year=YEAR, period="Q3").delete()
    KpiResult.objects.filter(kpi=kpi("H2.1"), year=YEAR, period="M10").delete()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    place = download(client, council["council-place"], "ashcombe-place")
    fill(place, "H1.1", "Q3", actual=60)
    response = upload(client, place, name="place.xlsx", page=PAGE)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    outcome = response.context["outcome"]
    assert [(s.code, s.period) for s in outcome.created] == [("H1.1", "Q3")] and outcome.changed == []
    page = response.content.decode()
    assert "H1.1" in page and "2024/25年第3季" in page and "自評分數填於全年列" in page

    people_book = download(client, council["council-people"], "ashcombe-people")
    fill(people_book, "H2.1", "M10", actual=112)
    response = upload(client, people_book, name="people.xlsx", page=PAGE)
    assert response.status_code == 200, [str(p) for p in problems(response)]

    assert stored("H1.1", "Q3").actual == 60 and stored("H1.1", "Q3").status == KpiResult.Status.DRAFT
    assert stored("H2.1", "M10").actual == 112
    assert not KpiResult.objects.filter(kpi__in=[kpi("H1.1"), kpi("H2.1")], year=YEAR, period="").exists()
    events = AuditEvent.objects.filter(pk__gt=last).select_related("kpi").order_by("pk")
    assert [(e.kpi.code, e.username, e.action, e.object_id, e.reason) for e in events if e.field == "actual"] == [
        ("H1.1", "council-place", "create", stored("H1.1", "Q3").pk, "Excel upload place.xlsx"),
        ("H2.1", "council-people", "create", stored("H2.1", "M10").pk, "Excel upload people.xlsx"),
    ]
    assert {e.object_id for e in events} == {stored("H1.1", "Q3").pk, stored("H2.1", "M10").pk}
    card = map_scorecard(smap=StrategyMap.objects.get(organization__code="ashcombe", year=YEAR), access=SYSTEM)
    homes = next(row for row in card.rows if row.kpi.code == "H1.1")
    assert homes.score.kpi.actual == 48 + 55 + 60 + 59 and len(homes.actual_from) == 4


def test_a_new_period_result_and_a_years_result_of_the_same_kpi_are_separate_rows(drafts, assessed, client):
    council = drafts
    KpiResult.objects.filter(kpi=kpi("H1.1"), year=YEAR, period="Q4").delete()
    book = download(client, council["council-place"], "ashcombe-place")
    fill(book, "H1.1", "Q4", actual=61)
    fill(book, "H1.1", "", actual=216, innovation=70)
    response = upload(client, book, page=PAGE)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    assert sorted((s.code, s.period) for s in response.context["outcome"].created) == [("H1.1", ""), ("H1.1", "Q4")]
    assert stored("H1.1", "Q4").actual == 61 and stored("H1.1", "Q4").innovation is None
    assert stored("H1.1", "").actual == 216 and stored("H1.1", "").innovation == 70
    assert stored("H1.1", "Q3").actual == 52 and stored("H1.1", "Q3").version == 1
    again = upload(client, book, page=PAGE)
    assert again.status_code == 200 and again.context["outcome"].created == []


def test_a_period_code_that_is_not_one_of_the_kpis_periods_is_refused_naming_the_cell_and_nothing_is_written(
    council, client
):
    book = download(client, council["council-place"], "ashcombe-place")
    q5 = fill(book, "H1.1", "Q2", period_code="Q5", actual=70)
    month = fill(book, "H1.1", "Q4", period_code="M10", actual=70)
    yearly = fill(book, "H1.2", "", period_code="Q3", actual=55)
    number = fill(book, "H1.1", "Q1", period_code=3, actual=70)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    assert response.status_code == 400
    found = {p.row: p for p in problems(response)}
    assert set(found) == {q5, month, yearly, number}, [str(p) for p in problems(response)]
    for row, value in ((q5, "Q5"), (month, "M10"), (number, "3")):
        problem = found[row]
        assert (problem.sheet, problem.column, problem.header, problem.value) == (
            RESULTS,
            letter("period_code"),
            "period code",
            value,
        )
        assert "a period of H1.1 (reported quarterly): Q1, Q2, Q3, Q4" in problem.expected
    assert found[yearly].value == "Q3" and "H1.2 is reported yearly, for the whole year only" in found[yearly].expected
    chinese = {p.row: p for p in problems(upload(client, book, page=PAGE))}
    assert "H1.1 的期間（每季填報）：Q1, Q2, Q3, Q4" in chinese[q5].expected
    assert nothing_written(before, events)


def test_the_same_period_twice_is_refused_naming_the_first_row(drafts, client):
    council = drafts
    book = download(client, council["council-place"], "ashcombe-place")
    first = fill(book, "H1.1", "Q3", actual=60)
    second = fill(book, "H1.1", "Q4", period_code="Q3", actual=61)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    [twice] = problems(response)
    assert (twice.row, twice.column, twice.value) == (second, letter("period_code"), "Q3")
    assert f"H1.1 2024/25 Q3 is on row {first} too" in twice.expected
    assert nothing_written(before, events)


def test_a_period_entered_by_someone_else_while_the_upload_is_checked_refuses_it_and_writes_nothing(
    drafts, client, monkeypatch
):
    KpiResult.objects.filter(kpi=kpi("H1.1"), year=YEAR, period__in=["Q3", "Q4"]).delete()
    book = download(client, drafts["council-place"], "ashcombe-place")
    fill(book, "H1.1", "Q3", actual=60)
    q4 = fill(book, "H1.1", "Q4", actual=61)
    before, events = row_counts(), AuditEvent.objects.count()
    real = upload_module.kpi_result_record

    def meanwhile(**kwargs):
        if kwargs["period"] == "Q3":  # as the upload saves Q3, the administrator enters Q4
            real(access=Access(drafts["council-admin"]), kpi=kwargs["kpi"], year=YEAR, period="Q4",
                 data={"actual": Decimal(59)}, version=NEW)  # fmt: skip
        return real(**kwargs)

    monkeypatch.setattr(upload_module, "kpi_result_record", meanwhile)
    response = upload(client, book, page=PAGE_EN)
    [stale] = problems(response)
    assert (stale.row, stale.column) == (q4, letter("version")) and "upload again" in stale.expected
    assert nothing_written(before, events)


def test_a_score_typed_on_a_periods_row_is_refused_because_scores_are_for_the_year(drafts, assessed, client):
    council = drafts
    book = download(client, council["council-place"], "ashcombe-place")
    row = fill(book, "H1.1", "Q3", actual=60, innovation=80, challenge_note="hard")
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    assert response.status_code == 400
    found = {p.column: p for p in problems(response)}
    assert set(found) == {letter("innovation"), letter("challenge_note")}
    assert all(p.row == row and "self-assessment is for the whole year" in p.expected for p in found.values())
    assert "the year's row of H1.1" in found[letter("innovation")].expected
    assert nothing_written(before, events)


def test_a_missed_period_target_needs_its_explanations_as_a_years_does(drafts, client):
    council = drafts
    book = download(client, council["council-place"], "ashcombe-place")
    row = fill(book, "H1.1", "Q3", actual=40)  # the quarter's own target is 50
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE)
    assert response.status_code == 400
    assert {(p.row, p.column) for p in problems(response)} == {
        (row, letter("situation_analysis")),
        (row, letter("countermeasures")),
    }
    assert nothing_written(before, events)
    fill(book, "H1.1", "Q3", situation_analysis="Contractor delay", countermeasures="Second contractor")
    assert upload(client, book, page=PAGE).status_code == 200
    assert stored("H1.1", "Q3").situation_analysis == "Contractor delay"


def test_a_period_changed_by_someone_else_since_the_download_is_refused_and_nothing_is_written(drafts, client):
    council = drafts
    book = download(client, council["council-place"], "ashcombe-place")
    result = stored("H1.1", "Q3")
    kpi_result_record(access=Access(council["council-admin"]), kpi=kpi("H1.1"), year=YEAR, period="Q3",
                      data={"actual": Decimal(53)}, version=result.version, reason="corrected")  # fmt: skip
    row = fill(book, "H1.1", "Q3", actual=60)
    fill(book, "H1.1", "Q2", actual=56)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE)
    [stale] = problems(response)
    assert (stale.row, stale.column, stale.value) == (row, letter("version"), "1")
    assert "council-admin" in stale.expected and stale.expected.startswith("2")
    assert nothing_written(before, events) and stored("H1.1", "Q2").actual == 55


def test_a_locked_period_result_cannot_be_changed_by_a_workbook(drafts, client):
    council = drafts
    result = stored("H1.1", "Q3")
    kpi_result_transition(access=Access(council["council-place"]), result=result, action="submit",
                          version=result.version)  # fmt: skip
    book = download(client, council["council-place"], "ashcombe-place")
    assert "鎖定" in cell(book, "H1.1", "Q3", "status").value
    assert cell(book, "H1.1", "Q3", "actual").protection.locked
    assert not cell(book, "H1.1", "Q2", "actual").protection.locked
    row = fill(book, "H1.1", "Q3", actual=60)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE)
    [locked] = problems(response)
    assert (locked.row, locked.column, locked.value) == (row, letter("actual"), "60") and "52" in locked.expected
    assert nothing_written(before, events)


def test_a_workbook_downloaded_in_english_uploads_on_the_chinese_page_and_an_edited_period_is_refused(drafts, client):
    council = drafts
    book = download(client, council["council-place"], "ashcombe-place", prefix="/en")
    assert [c.value for c in book[RESULTS][1]][:3] == ["code", "name", "period"]  # the header is English too
    fill(book, "H1.1", "Q3", actual=60)
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload(client, buffer.getvalue(), page=PAGE).status_code == 200
    assert stored("H1.1", "Q3").actual == 60
    row = fill(book, "H1.1", "Q2", period="2024/25 Q4", actual=57)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    [edited] = problems(response)
    assert (edited.row, edited.column, edited.value) == (row, letter("period"), "2024/25 Q4")
    assert edited.expected.startswith("2024/25 Q2")
    assert nothing_written(before, events)


def test_a_period_code_that_is_a_formula_or_a_long_text_is_refused_and_nothing_is_written(council, client):
    book = download(client, council["council-place"], "ashcombe-place")
    formula = fill(book, "H1.1", "Q2", period_code='=HYPERLINK("http://x","Q5")', actual=70)
    long = fill(book, "H1.1", "Q4", period_code="Q" * 500, actual=70)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    assert response.status_code == 400
    found = {p.row: p for p in problems(response)}
    # openpyxl keeps no computed value for the formula (Excel would, and "Q5" would be refused as above): the
    # row reads as H1.1's year's row, which is in the workbook already.
    assert found[formula].column == letter("kpi_id") and "H1.1 is on row" in found[formula].expected
    assert found[long].column == letter("period_code") and len(found[long].value) <= 80
    assert nothing_written(before, events)


# --- workbooks downloaded before periods had rows ----------------------------------------------------------


def as_format_1(book: openpyxl.Workbook) -> openpyxl.Workbook:
    """The workbook as stratmap-workbook/1 wrote it: no period columns, the year's rows only."""
    ws = book[RESULTS]
    period_rows = [r for r in range(2, ws.max_row + 1) if ws[f"{letter('period_code')}{r}"].value]
    for r in reversed(period_rows):
        ws.delete_rows(r)
    ws.delete_cols(COLUMNS.index(next(c for c in COLUMNS if c.key == "period_code")) + 1)
    ws.delete_cols(COLUMNS.index(next(c for c in COLUMNS if c.key == "period")) + 1)
    # Format 1's header row and about labels were bilingual (「達成值 actual」), as every workbook's were until 2026-11.
    for cell, column in zip(ws[1], COLUMNS_1, strict=True):
        cell.value = column.words.zh if column.key == "kpi_id" else f"{column.words.zh} {column.words.en}"
    about = book[ABOUT]
    for row, (_key, label) in enumerate(ABOUT_ROWS, start=1):
        about.cell(row, 1).value = f"{label.zh} {label.en}"
    about["B1"] = FORMAT_1
    return book


#: Format 1's column letters, as docs/workbook.md gave them before periods had rows.
OLD_LETTERS = {
    "actual": "F", "innovation": "I", "challenge": "K", "contribution": "M", "situation_analysis": "O",
    "countermeasures": "P", "kpi_id": "Q", "version": "R",
}  # fmt: skip


def test_a_format_1_workbook_still_uploads_its_years_rows(people, client):
    book = as_format_1(taipei_download(client, people["dol"]))
    ws = book[RESULTS]
    assert ws["Q1"].value == "KPI id" and ws["R1"].value == "版本 version" and ws.max_column == 18
    row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "DP5.1")
    for key, value in MISSED.items():
        ws[f"{OLD_LETTERS[key]}{row}"] = value
    response = upload(client, book)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    result = KpiResult.objects.get(
        kpi__code="DP5.1", year=2020, period="", kpi__objective__map__organization__code="taipei"
    )
    assert result.actual == Decimal("6.1") and result.countermeasures == MISSED["countermeasures"]


def test_a_format_1_workbooks_problems_are_named_by_its_own_column_letters(people, client):
    book = as_format_1(taipei_download(client, people["dol"]))
    ws = book[RESULTS]
    row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "DC1.1")
    ws[f"{OLD_LETTERS['actual']}{row}"] = 3.5
    ws[f"{OLD_LETTERS['innovation']}{row}"] = "很高"
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book)
    [bad] = problems(response)
    assert (bad.row, bad.column, bad.header, bad.value) == (row, "I", "創新度", "很高")
    assert nothing_written(before, events)


def test_a_councils_format_1_workbook_saves_a_years_result(council, client):
    KpiResult.objects.filter(kpi=kpi("H1.2"), year=YEAR).delete()  # not entered yet
    book = as_format_1(download(client, council["council-place"], "ashcombe-place"))
    ws = book[RESULTS]
    row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "H1.2")
    ws[f"{OLD_LETTERS['actual']}{row}"] = 62  # the target is 60
    response = upload(client, book, page=PAGE)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    assert [(s.code, s.period) for s in response.context["outcome"].created] == [("H1.2", "")]
    assert stored("H1.2", "").actual == 62 and stored("H1.1", "Q3").actual == 52


def test_a_banded_maps_workbook_takes_no_self_assessment_even_on_its_years_rows(drafts, client):
    """The council rates by bands: no row of its workbook takes scores, and a score typed anyway is refused
    saying why, with nothing written."""
    book = download(client, drafts["council-place"], "ashcombe-place")
    for key in ("innovation", "challenge_note"):
        assert cell(book, "H1.1", "", key).protection.locked
    row = fill(book, "H1.1", "", actual=216, innovation=70)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, page=PAGE_EN)
    [refused] = problems(response)
    assert (refused.row, refused.column) == (row, letter("innovation"))
    assert refused.expected == "empty: the map is rated by its achievement alone, without a self-assessment"
    assert nothing_written(before, events)
