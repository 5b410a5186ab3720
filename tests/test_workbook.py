"""The Excel round trip for bulk result entry, as an agency editor uses it: download, fill in, upload.

Test workbooks are made the way a person makes them: downloaded through the page and
edited (here with openpyxl instead of Excel).
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from stratmap.access import Access
from stratmap.core.models import AuditEvent
from stratmap.exchange.workbook import upload as upload_module
from stratmap.exchange.workbook.columns import ABOUT, COLUMNS, FORMAT, RESULTS, letter
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.services import NEW, kpi_result_record, kpi_result_transition
from stratmap.text import FONT
from tests.conftest import row_counts
from tests.helpers import DOWNLOAD, MISSED, PAGE, download, fill, problems, row_of, upload

pytestmark = pytest.mark.django_db

YEAR = 2020  # ROC 109


def kpi(code: str) -> Kpi:
    return Kpi.objects.get(code=code, objective__map__organization__code="taipei", objective__map__year=YEAR)


def record(user, code: str, reason: str = "", **values) -> KpiResult:
    """Enter a result through the service, as the result page does."""
    values = {k: Decimal(str(v)) if isinstance(v, float | int) else v for k, v in values.items()}
    existing = KpiResult.objects.filter(kpi=kpi(code), year=YEAR).first()
    return kpi_result_record(
        access=Access(user),
        kpi=kpi(code),
        year=YEAR,
        data=values,
        version=existing.version if existing else NEW,
        reason=reason,
    )


def cell(book: openpyxl.Workbook, code: str, key: str):
    return book[RESULTS][f"{letter(key)}{row_of(book, code)}"].value


def dol_kpi_codes() -> set[str]:
    return set(
        Kpi.objects.filter(
            objective__map__organization__code="taipei",
            objective__map__year=YEAR,
            objective__map__in_force=True,
            agencies__code="taipei-dol",
        ).values_list("code", flat=True)
    )


MET = {"actual": 3.5, "innovation": 90, "challenge": 90, "contribution": 95}  # DC1.1, negative, target 3.8


# --- download ------------------------------------------------------------------------------------------


def test_labours_editor_downloads_exactly_its_kpis_of_the_map_with_the_current_values(people, client):
    record(people["dol"], "DC1.1", actual=Decimal("3.9"), innovation=Decimal(70), situation_analysis="景氣",
           countermeasures="就業媒合")  # fmt: skip
    book = download(client, people["dol"])
    assert book.sheetnames == [RESULTS, ABOUT]
    ws = book[RESULTS]
    assert [c.value for c in ws[1]] == [c.words("zh-hant") for c in COLUMNS]
    codes = [ws[f"A{r}"].value for r in range(2, ws.max_row + 1)]
    expected = dol_kpi_codes()
    assert expected and all(code.startswith(("DP", "DC")) for code in expected)
    assert len(codes) == len(set(codes)) and set(codes) == expected
    assert "DC2.1" not in codes  # 產業局's
    assert cell(book, "DC1.1", "actual") == 3.9
    assert cell(book, "DC1.1", "innovation") == 70
    assert cell(book, "DC1.1", "situation_analysis") == "景氣"
    assert cell(book, "DC1.1", "version") == 1
    assert cell(book, "DC1.1", "kpi_id") == kpi("DC1.1").pk
    assert cell(book, "DC1.1", "target") == 3.8
    assert cell(book, "DC1.1", "name") == "失業率"
    assert cell(book, "DP5.1", "actual") is None and cell(book, "DP5.1", "version") is None
    assert cell(book, "DP5.1", "target") == 5.75
    # The id and version columns are hidden; read-only columns are grey and protected, entry columns are not.
    assert ws.column_dimensions[letter("kpi_id")].hidden and ws.column_dimensions[letter("version")].hidden
    assert ws.protection.sheet
    row = row_of(book, "DP5.1")
    code_cell, actual_cell = ws[f"{letter('code')}{row}"], ws[f"{letter('actual')}{row}"]
    # Shaded as read-only (which shade is the style's choice); typing into it is refused by Excel.
    assert code_cell.protection.locked and code_cell.fill.fill_type == "solid"
    assert not actual_cell.protection.locked and actual_cell.fill.fill_type is None
    assert code_cell.font.name == FONT and actual_cell.font.name == FONT
    # Data validation: a list for the unknown kind, decimals 0–100 for the three scores.
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    kind = next(dv for ref, dv in validations.items() if ref.startswith(letter("unknown_kind")))
    assert kind.type == "list" and "not_released" in kind.formula1
    scores = [dv for dv in validations.values() if dv.type == "decimal" and dv.formula2 == "100"]
    assert scores and {letter("innovation"), letter("challenge"), letter("contribution")} <= {
        str(r)[0] for dv in scores for r in dv.sqref.ranges
    }
    about = {r[0]: r[1:] for r in book[ABOUT].iter_rows(values_only=True) if r[0]}
    assert about["格式"][0] == FORMAT
    assert about["機關"][0] == "taipei"
    assert about["填報機關"] == ("taipei-dol", "勞動局")
    assert about["年度"][0] == 109  # Taipei types ROC years
    assert about["產製時間"][0]
    kinds = [r[1] for r in book[ABOUT].iter_rows(values_only=True) if r[1] in {"not_released", "not_surveyed", "other"}]
    assert kinds == ["not_released", "not_surveyed", "other"]


def test_a_locked_result_is_marked_as_locked_in_the_workbook(people, client):
    result = record(people["dol"], "DC1.1", **MET)
    kpi_result_transition(access=Access(people["dol"]), result=result, action="submit", version=result.version)
    book = download(client, people["dol"])
    row = row_of(book, "DC1.1")
    assert "鎖定" in cell(book, "DC1.1", "status")  # in the page's language (issue 14)
    actual = book[RESULTS][f"{letter('actual')}{row}"]
    assert actual.protection.locked and actual.fill.fill_type == "solid"  # shaded; an upload changing it is refused
    open_actual = book[RESULTS][f"{letter('actual')}{row_of(book, 'DP5.1')}"]
    assert not open_actual.protection.locked and open_actual.fill.fill_type is None
    assert "鎖定" not in (cell(book, "DP5.1", "status") or "")


def test_text_from_the_database_never_becomes_a_formula_in_the_workbook(people, client):
    record(people["dol"], "DC1.1", **MET, innovation_note='=HYPERLINK("http://example.org","x")')
    book = download(client, people["dol"])
    row = row_of(book, "DC1.1")
    assert book[RESULTS][f"{letter('innovation_note')}{row}"].data_type == "s"


@pytest.mark.parametrize("who", ["outsider", "viewer", "coord", "doed"])
def test_anyone_but_the_agencys_editor_or_an_administrator_gets_404_that_names_nothing(people, client, who):
    client.force_login(people[who])
    for response in (client.get(DOWNLOAD, {"agency": "taipei-dol"}), client.get(PAGE) if who != "doed" else None):
        if response is None:
            continue
        assert response.status_code == 404
        body = response.content.decode()
        assert "勞動局" not in body and "職業災害" not in body


def test_an_anonymous_visitor_is_sent_to_log_in(people, client):
    for url in (DOWNLOAD + "?agency=taipei-dol", PAGE):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_editor_gets_only_its_own_agency_and_an_administrator_chooses_any(people, client):
    client.force_login(people["dol"])
    assert client.get(DOWNLOAD, {"agency": "taipei-doed"}).status_code == 404
    assert client.get(DOWNLOAD, {"agency": "no-such-agency"}).status_code == 404
    assert client.get(DOWNLOAD).status_code == 200  # one agency: no need to choose
    page = client.get(PAGE)
    assert page.status_code == 200 and [a.code for a in page.context["agencies"]] == ["taipei-dol"]
    assert reverse("web:workbook", args=["taipei", "109"]) in page.content.decode()  # the year as Taipei types it
    book = download(client, people["admin"], agency="taipei-doed")
    codes = {book[RESULTS][f"A{r}"].value for r in range(2, book[RESULTS].max_row + 1)}
    assert "DC2.1" in codes and "DP5.1" not in codes
    admin_page = client.get(PAGE)
    assert {"taipei-dol", "taipei-doed"} <= {a.code for a in admin_page.context["agencies"]}


# --- upload ---------------------------------------------------------------------------------------------


def test_round_trip_creates_the_results_through_the_services_with_the_excel_reason(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.1", **MISSED)
    fill(book, "DC1.1", **MET)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = upload(client, book, name="勞動局109.xlsx")
    assert response.status_code == 200, [str(p) for p in problems(response)]
    outcome = response.context["outcome"]
    assert sorted(k.code for k in outcome.created) == ["DC1.1", "DP5.1"] and outcome.changed == []
    assert outcome.empty == len(dol_kpi_codes()) - 2
    page = response.content.decode()
    assert "新增 2 筆成果" in page  # "2 results created"
    missed = KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR)
    assert missed.actual == Decimal("6.1") and missed.challenge == Decimal("85.5")
    assert missed.countermeasures == "加強營造工地檢查與觀摩" and missed.status == "draft" and missed.version == 1
    assert KpiResult.objects.get(kpi=kpi("DC1.1"), year=YEAR).actual == Decimal("3.5")
    events = AuditEvent.objects.filter(pk__gt=last).select_related("kpi")
    assert {e.kpi.code for e in events} == {"DP5.1", "DC1.1"}
    assert {e.reason for e in events} == {"Excel upload 勞動局109.xlsx"}
    assert all(e.username == "dol" and e.action == "create" for e in events)
    # A second workbook downloaded now changes a result: one update, with its version.
    book = download(client, people["dol"])
    assert cell(book, "DP5.1", "version") == 1 and cell(book, "DP5.1", "actual") == 6.1
    fill(book, "DP5.1", countermeasures="加強檢查")
    response = upload(client, book, name="第二次.xlsx")
    assert [k.code for k in response.context["outcome"].changed] == ["DP5.1"]
    assert response.context["outcome"].unchanged == 1
    changed = AuditEvent.objects.filter(kpi__code="DP5.1", reason="Excel upload 第二次.xlsx")
    assert [(e.field, e.old, e.new) for e in changed] == [("countermeasures", "加強營造工地檢查與觀摩", "加強檢查")]
    assert KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR).version == 2


def test_reuploading_the_same_workbook_writes_nothing_new(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.1", **MISSED)
    fill(book, "DC1.1", **MET)
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload(client, buffer.getvalue()).status_code == 200
    before, events = row_counts(), AuditEvent.objects.count()
    again = upload(client, buffer.getvalue())
    assert again.status_code == 200
    outcome = again.context["outcome"]
    assert outcome.created == [] and outcome.changed == [] and outcome.unchanged == 2
    assert row_counts() == before and AuditEvent.objects.count() == events
    # A freshly downloaded workbook, uploaded untouched, changes nothing either.
    untouched = upload(client, download(client, people["dol"]))
    assert untouched.context["outcome"].unchanged == 2 and row_counts() == before


def test_a_workbook_with_bad_cells_lists_each_error_and_writes_nothing(people, client):
    book = download(client, people["dol"])
    text_row = fill(book, "DC1.1", **{**MET, "innovation": "很高"})
    high_row = fill(book, "DC1.2", actual=7.0, innovation=120, challenge=90, contribution=90)
    missed_row = fill(book, "DP5.1", **{**MISSED, "situation_analysis": None, "countermeasures": ""})
    unknown_row = fill(book, "DP4.1", actual=9, kpi_id=999999)
    fill(book, "DP4.3", actual=90, innovation=80, challenge=80, contribution=80)  # a good row, not saved either
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book)
    assert response.status_code == 400
    found = {(p.sheet, p.row, p.column): p for p in problems(response)}
    text = found[(RESULTS, text_row, letter("innovation"))]
    assert text.value == "很高" and "0 至 100" in text.expected and text.header == "創新度"
    high = found[(RESULTS, high_row, letter("innovation"))]
    assert high.value == "120" and "0 至 100" in high.expected
    for key in ("situation_analysis", "countermeasures"):
        missing = found[(RESULTS, missed_row, letter(key))]
        assert missing.value == "" and "必填" in missing.expected
    unknown = found[(RESULTS, unknown_row, letter("kpi_id"))]
    assert unknown.value == "999999" and "KPI" in unknown.expected
    assert len(found) == 5, [str(p) for p in problems(response)]
    page = response.content.decode()
    assert "很高" in page and f"{letter('innovation')}</span> 創新度" in page and str(high_row) in page
    assert row_counts() == before and AuditEvent.objects.count() == events
    assert not KpiResult.objects.filter(kpi__in=[kpi("DP4.3"), kpi("DC1.1")], year=YEAR).exists()


def test_a_workbook_of_another_agencys_kpis_is_refused_as_a_whole(people, client):
    book = download(client, people["doed"], agency="taipei-doed")
    fill(book, "DC2.1", actual=560, innovation=80, challenge=80, contribution=80)
    rows = book[RESULTS].max_row - 1
    client.force_login(people["dol"])
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book, name="產業局109.xlsx")
    assert response.status_code == 400
    refused = problems(response)
    assert len(refused) == rows and {p.row for p in refused} == set(range(2, rows + 2))
    assert all(p.column == letter("code") and "產業局" in p.expected for p in refused)
    assert row_counts() == before and AuditEvent.objects.count() == events


def test_a_row_changed_by_someone_else_since_the_download_is_refused_and_nothing_is_written(people, client):
    record(people["dol"], "DP5.1", **MISSED)
    book = download(client, people["dol"])
    # Meanwhile the administrator corrects the result.
    record(people["admin"], "DP5.1", reason="更正", **{**MISSED, "actual": 6.2})
    fill(book, "DP5.1", actual=6.3)
    fill(book, "DC1.1", **MET)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book)
    assert response.status_code == 400
    [stale] = problems(response)
    assert (stale.row, stale.column, stale.value) == (row_of(book, "DP5.1"), letter("version"), "1")
    assert "admin" in stale.expected and stale.expected.startswith("2")
    assert row_counts() == before and AuditEvent.objects.count() == events
    assert KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR).actual == Decimal("6.2")


def test_a_locked_result_cannot_be_changed_by_a_workbook(people, client):
    result = record(people["dol"], "DC1.1", **MET)
    book = download(client, people["dol"])
    kpi_result_transition(access=Access(people["dol"]), result=result, action="submit", version=result.version)
    fill(book, "DC1.1", actual=3.6)
    before = row_counts()
    response = upload(client, book)
    [locked] = problems(response)
    assert locked.column == letter("actual") and locked.value == "3.6" and "已鎖定" in locked.expected
    assert row_counts() == before


def test_the_unknown_kind_replaces_the_actual_and_other_needs_a_reason(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.2", unknown_kind="not_released")
    other = fill(book, "DP4.1", unknown_kind="other")
    wrong = fill(book, "DP4.2", unknown_kind="maybe")
    response = upload(client, book)
    assert {(p.row, p.column) for p in problems(response)} == {
        (other, letter("unknown_reason")),
        (wrong, letter("unknown_kind")),
    }
    fill(book, "DP4.1", unknown_reason="調查延後")
    fill(book, "DP4.2", unknown_kind="資料尚未發布")  # the Chinese label is understood too
    response = upload(client, book)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    kinds = dict(KpiResult.objects.filter(year=YEAR).values_list("kpi__code", "unknown_kind"))
    assert kinds == {"DP5.2": "not_released", "DP4.1": "other", "DP4.2": "not_released"}


def test_a_file_that_is_not_our_workbook_or_is_for_another_year_is_refused(people, client):
    client.force_login(people["dol"])
    before = row_counts()
    response = upload(client, b"not a workbook at all")
    assert response.status_code == 400 and "xlsx" in problems(response)[0].expected
    stranger = openpyxl.Workbook()
    stranger.active.title = "Sheet1"
    assert upload(client, stranger).status_code == 400
    book = download(client, people["dol"])
    fill(book, "DC1.1", **MET)
    other_year = upload(client, book, page="/taipei/108/workbook/")
    assert other_year.status_code == 400
    assert {p.sheet for p in problems(other_year)} == {ABOUT}
    assert any("108" in p.expected for p in problems(other_year))
    book[RESULTS].insert_cols(3)
    moved = upload(client, book)
    assert moved.status_code == 400 and all(p.row == 1 for p in problems(moved))
    assert row_counts() == before


def test_a_percentage_formatted_cell_is_refused_and_a_number_typed_as_text_is_a_number(people, client):
    book = download(client, people["dol"])
    row = fill(book, "DC1.1", **{**MET, "actual": "3.5"})  # a number typed as text is still a number
    book[RESULTS][f"{letter('innovation')}{row}"].number_format = "0%"
    response = upload(client, book)
    [percent] = problems(response)
    assert percent.column == letter("innovation") and "百分比" in percent.expected
    book[RESULTS][f"{letter('innovation')}{row}"].number_format = "General"
    assert upload(client, book).status_code == 200
    assert KpiResult.objects.get(kpi=kpi("DC1.1"), year=YEAR).actual == Decimal("3.5")


def test_every_problem_of_a_row_is_listed_in_one_round_a_bad_score_and_a_missing_explanation(people, client):
    book = download(client, people["dol"])
    row = fill(book, "DP5.1", **{**MISSED, "innovation": 150, "challenge": "高", "situation_analysis": None})
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, book)
    assert response.status_code == 400
    found = {(p.row, p.column) for p in problems(response)}
    assert found == {
        (row, letter("innovation")),
        (row, letter("challenge")),
        (row, letter("situation_analysis")),
    }, [str(p) for p in problems(response)]
    assert row_counts() == before and AuditEvent.objects.count() == events


def test_a_result_removed_while_an_upload_is_checked_refuses_it_and_writes_nothing(people, client, monkeypatch):
    record(people["dol"], "DP5.1", **MISSED)
    book = download(client, people["dol"])
    fill(book, "DP5.1", actual=6.3)
    before, events = row_counts(), AuditEvent.objects.count()
    real = upload_module.kpi_result_record

    def removed_meanwhile(**kwargs):
        # Someone removes the result after the upload's check read it and before its save.
        KpiResult.objects.filter(kpi=kwargs["kpi"], year=kwargs["year"]).delete()
        return real(**kwargs)

    monkeypatch.setattr(upload_module, "kpi_result_record", removed_meanwhile)
    response = upload(client, book)
    assert response.status_code == 400
    [stale] = problems(response)
    assert (stale.row, stale.column) == (row_of(book, "DP5.1"), letter("version"))
    assert "重新上傳" in stale.expected
    assert row_counts() == before and AuditEvent.objects.count() == events
    assert KpiResult.objects.get(kpi=kpi("DP5.1"), year=YEAR).actual == Decimal("6.1")
