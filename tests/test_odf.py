"""Issue 17 item 3, ODF: the scorecard and the results workbook as .ods, the deck as .odp, and the results
workbook uploaded back as .ods (Taiwan's rule: editable files a government site offers are ODF).

The upload tests write their .ods with odfpy from the workbook downloaded through the page (as a person
saves it from LibreOffice), so they run without LibreOffice; the download tests need it (the files are
LibreOffice's conversions) and are skipped where ``soffice`` is missing. Each conversion costs seconds, so
there are few of them.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.db import transaction
from odf.draw import Page
from odf.opendocument import OpenDocumentSpreadsheet
from odf.opendocument import load as odf_load
from odf.table import Table, TableCell, TableRow
from odf.text import P
from pptx import Presentation

from stratmap.core.models import AuditEvent
from stratmap.exchange.workbook import ods
from stratmap.exchange.workbook.columns import RESULTS, letter
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.reports import jobs
from stratmap.reports.models import ReportFile
from stratmap.reports.odf import convert, soffice
from tests.conftest import row_counts
from tests.helpers import MISSED, download, fill, problems, upload

pytestmark = pytest.mark.django_db
needs_libreoffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed here")

YEAR = 2020  # ROC 109
PAGE_EN = "/en/taipei/2020/workbook/"
MET = {"actual": 3.5, "innovation": 90, "challenge": 90, "contribution": 95}  # DC1.1, negative, target 3.8


def as_ods(book: openpyxl.Workbook) -> bytes:
    """The workbook saved as OpenDocument, cell by cell: numbers as numbers (percent-formatted ones as
    percentages, as LibreOffice keeps them), text as paragraphs, empty cells empty."""
    document = OpenDocumentSpreadsheet()
    for ws in book.worksheets:
        table = Table(name=ws.title)
        for row in ws.iter_rows():
            line = TableRow()
            for cell in row:
                value = cell.value
                if isinstance(value, bool):
                    element = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
                elif isinstance(value, int | float):
                    kind = "percentage" if "%" in (cell.number_format or "") else "float"
                    element = TableCell(valuetype=kind, value=repr(value))
                    element.addElement(P(text=str(value)))
                elif value is None:
                    element = TableCell()
                else:
                    element = TableCell(valuetype="string")
                    for paragraph in str(value).split("\n"):
                        element.addElement(P(text=paragraph))
                line.addElement(element)
            table.addElement(line)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def audit_of(client, content: bytes, name: str) -> list[tuple]:
    """Upload ``content`` as ``name``; the audit rows it wrote, the file's name left out of the reason."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = upload(client, content, name=name)
    assert response.status_code == 200, [str(p) for p in problems(response)]
    events = AuditEvent.objects.filter(pk__gt=last).select_related("kpi").order_by("pk")
    return [
        (e.kpi.code, e.action, e.field, e.old, e.new, e.username, e.object_version, e.reason.replace(name, "<file>"))
        for e in events
    ]


class Undo(Exception):
    pass


# --- upload -------------------------------------------------------------------------------------------------


def test_an_ods_results_workbook_records_the_same_results_and_audit_rows_as_the_xlsx_one(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.1", **{**MISSED, "situation_analysis": "營造業重大職災增加\n第二行"})
    fill(book, "DC1.1", **MET)
    xlsx = io.BytesIO()
    book.save(xlsx)
    with pytest.raises(Undo), transaction.atomic():
        by_excel = audit_of(client, xlsx.getvalue(), "勞動局109.xlsx")
        raise Undo  # the same upload again, as .ods, on the data as they were
    assert not KpiResult.objects.filter(kpi__code="DP5.1", year=YEAR).exists()
    by_odf = audit_of(client, as_ods(book), "勞動局109.ods")
    assert by_odf == by_excel and {row[0] for row in by_odf} == {"DP5.1", "DC1.1"}
    assert {row[-1] for row in by_odf} == {"Excel upload <file>"} and {row[5] for row in by_odf} == {"dol"}
    missed = KpiResult.objects.get(kpi__code="DP5.1", kpi__objective__map__year=YEAR, year=YEAR)
    assert str(missed.actual) == "6.1000" or float(missed.actual) == 6.1
    assert missed.situation_analysis == "營造業重大職災增加\n第二行" and missed.version == 1
    # The same .ods again changes nothing.
    again = upload(client, as_ods(book), name="again.ods")
    assert again.status_code == 200 and again.context["outcome"].unchanged == 2


def test_a_bad_ods_names_the_sheet_row_column_and_value_of_each_problem_and_saves_nothing(people, client):
    book = download(client, people["dol"])
    text_row = fill(book, "DC1.1", **{**MET, "innovation": "very high"})
    high_row = fill(book, "DC1.2", actual=7.0, innovation=120, challenge=90, contribution=90)
    percent_row = fill(book, "DP5.1", **MISSED)
    book[RESULTS][f"{letter('actual')}{percent_row}"].number_format = "0%"
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, as_ods(book), name="bad.ods", page=PAGE_EN)
    assert response.status_code == 400
    found = {(p.sheet, p.row, p.column): p for p in problems(response)}
    assert found[(RESULTS, text_row, letter("innovation"))].value == "very high"
    assert "0 to 100" in found[(RESULTS, text_row, letter("innovation"))].expected
    assert found[(RESULTS, high_row, letter("innovation"))].value == "120"
    assert "percentage" in found[(RESULTS, percent_row, letter("actual"))].expected
    assert len(found) == 3, [str(p) for p in problems(response)]
    page = response.content.decode()
    assert "very high" in page and f"{letter('innovation')}</span>" in page
    assert row_counts() == before and AuditEvent.objects.count() == events


def rewritten(content: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


BOMB = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
ROW = '<table:table-row table:number-rows-repeated="{n}"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'  # noqa: E501
HOSTILE = {
    "entity-bomb": (lambda xml: xml.replace("?>", "?>" + BOMB, 1).replace("<text:p>", "<text:p>&lol9;", 1),
                    "document type declaration"),
    "zip-bomb": (lambda xml: xml + " " * (ods.MAX_CONTENT + 1), "unpacked"),
    "huge-sheet": (lambda xml: xml.replace("</table:table>", ROW.format(n=2_000_000) + "</table:table>", 1),
                   f"at most {ods.MAX_SHEET_ROWS} rows"),
    "not-a-spreadsheet": (lambda xml: '<?xml version="1.0"?><x/>', "OpenDocument spreadsheet (.ods)"),
}  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_ods_is_refused_with_400_saying_why_and_nothing_is_written(people, client, case):
    change, expected = HOSTILE[case]
    book = download(client, people["dol"])
    fill(book, "DP5.1", **MISSED)
    content = rewritten(as_ods(book), "content.xml", change)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, content, name="hostile.ods", page=PAGE_EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved: 1 problem in the workbook." in page and expected in page, [
        str(p) for p in problems(response)
    ]
    assert row_counts() == before and AuditEvent.objects.count() == events


def test_the_upload_form_takes_ods_files_and_the_workbook_page_offers_them(people, client):
    client.force_login(people["dol"])
    page = client.get(PAGE_EN).content.decode()
    assert 'accept=".xlsx,' in page and ".ods,application/vnd.oasis.opendocument.spreadsheet" in page
    assert "/en/taipei/2020/workbook.ods?agency=taipei-dol" in page


# --- download -----------------------------------------------------------------------------------------------


def test_the_map_and_scorecard_pages_offer_the_odf_files_beside_the_others(demo, client):
    scorecard = client.get("/en/ashcombe/2024/scorecard/").content.decode()
    assert "/en/ashcombe/2024/scorecard.ods" in scorecard and "/en/ashcombe/2024/report.odp" in scorecard
    themed = client.get("/taipei/109/themes/D/").content.decode()
    assert "/taipei/109/report.odp?theme=D" in themed
    mapped = client.get("/taipei/109/").content.decode()
    assert "/taipei/109/scorecard.ods" in mapped and "/taipei/109/report.odp" in mapped


def test_asking_for_an_odf_file_converts_nothing_in_the_request(demo, client, monkeypatch):
    monkeypatch.setattr(jobs, "_render", lambda job, access: pytest.fail("converted in the request"))
    for url in ("/taipei/109/scorecard.ods", "/taipei/109/report.odp?theme=D"):
        response = client.get(url)
        assert response.status_code == 200 and 'data-state="none"' in response.content.decode()
    assert client.get("/taipei/109/scorecard.ods?period=Q9").status_code == 400


@needs_libreoffice
def test_the_scorecard_ods_made_by_the_worker_has_the_xlsx_cells_and_formulas(demo, client):
    url = "/en/taipei/2020/scorecard.ods"
    assert client.post(url).status_code == 303
    response = client.get(url)
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert response["Content-Disposition"] == 'attachment; filename="taipei-2020-en-scorecard.ods"'
    made = body(response)
    original = openpyxl.load_workbook(io.BytesIO(client.get("/en/taipei/2020/scorecard.xlsx").content))
    back = convert(made, "ods", "xlsx")  # LibreOffice's own reading of its file, as Excel would get it
    formulas = openpyxl.load_workbook(io.BytesIO(back))
    computed = openpyxl.load_workbook(io.BytesIO(back), data_only=True)
    assert formulas.sheetnames == original.sheetnames
    checked = 0
    for ws in original.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                again = formulas[ws.title][cell.coordinate].value
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert str(again).replace(" ", "") == cell.value.replace(" ", ""), cell.coordinate
                    value = computed[ws.title][cell.coordinate].value
                    assert isinstance(value, int | float), (ws.title, cell.coordinate, value)  # computed, no #NAME?
                    checked += 1
                elif isinstance(cell.value, int | float):
                    assert again == pytest.approx(cell.value), (ws.title, cell.coordinate)
                else:
                    assert str(again) == str(cell.value), (ws.title, cell.coordinate)
    assert checked >= 5  # the achievement rates and the sums
    assert ReportFile.objects.get(kind="scorecard.ods").status == ReportFile.Status.READY


@needs_libreoffice
def test_the_councils_workbook_ods_made_by_the_worker_uploads_back_unchanged(council_people, client):
    KpiResult.objects.filter(kpi__code="H1.1", year=2024).update(status=KpiResult.Status.DRAFT)
    client.force_login(council_people["council-place"])
    url = "/en/ashcombe/2024/workbook.ods?agency=ashcombe-place"
    assert client.post(url).status_code == 303
    response = client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="ashcombe-2024-ashcombe-place-results.ods"'
    assert "no-store" in response["Cache-Control"]
    made = body(response)
    rows = sum(1 for _row in ods.load(made)[RESULTS].iter_rows(min_row=2, max_col=3, values_only=True))
    kpis = Kpi.objects.filter(objective__map__organization__code="ashcombe", agencies__code="ashcombe-place")
    assert rows > kpis.count() > 0  # the quarters' rows with the years'
    before, events = row_counts(), AuditEvent.objects.count()
    uploaded = client.post("/en/ashcombe/2024/workbook/", {"file": _named(made, "ashcombe-place.ods")})
    assert uploaded.status_code == 200, [str(p) for p in problems(uploaded)]
    outcome = uploaded.context["outcome"]
    assert outcome.created == outcome.changed == [] and outcome.unchanged + outcome.empty == rows
    assert row_counts() == before and AuditEvent.objects.count() == events
    # Someone else's agency's workbook is no file for this person: the job is never asked for.
    assert client.get("/en/ashcombe/2024/workbook.ods?agency=ashcombe-resources").status_code == 404


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=ods.CONTENT_TYPE)


@needs_libreoffice
def test_the_odp_deck_made_by_the_worker_has_the_pptx_decks_slides_and_texts(demo, client):
    odp_url, pptx_url = "/taipei/108/report.odp?theme=D", "/taipei/108/report.pptx?theme=D"
    for url in (odp_url, pptx_url):
        assert client.post(url).status_code == 303
    response = client.get(odp_url)
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.presentation"
    assert response["Content-Disposition"] == 'attachment; filename="taipei-2019-D-report.odp"'
    deck = Presentation(io.BytesIO(body(client.get(pptx_url))))
    pages = odf_load(io.BytesIO(body(response))).presentation.getElementsByType(Page)
    assert len(pages) == len(deck.slides) > 3
    for number, (slide, page) in enumerate(zip(deck.slides, pages, strict=True), start=1):
        shown = "".join(_texts(page))
        for shape in slide.shapes:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    text = "".join(run.text for run in paragraph.runs).strip()
                    assert text.replace(" ", "") in shown.replace(" ", ""), (number, text)
    assert "職業災害死亡百萬人率" in "".join(_texts(pages[2])) or any("職業災害" in "".join(_texts(p)) for p in pages)


def _texts(element) -> list[str]:
    found: list[str] = []
    for node in element.childNodes:
        if node.nodeType == node.TEXT_NODE:
            found.append(node.data)
        elif node.nodeType == node.ELEMENT_NODE:
            if node.qname[1] == "s":
                found.append(" ")
            found += _texts(node)
    return found
