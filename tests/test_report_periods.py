"""Issue 12, reporting periods and weights in the reports: the Excel scorecard lists each KPI's figures by
period and the weighted points of a weighted map, and is made for a chosen period (year to date); the
deck and the PDF show a KPI's periods on its page and say when its year's value is made of them.

The invented council's 2024/25 (stratmap/data/ashcombe): H1.1 reports by quarter (targets 50 each, actuals
48, 55, 52, 59; the year's 214 is their sum), H2.1 by month from April to March (the year's 113 is
March's, the last month); its objectives and themes carry weights adding up to 100.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import openpyxl
import pytest
from pptx import Presentation
from pptx.util import Emu

from stratmap.access import SYSTEM
from stratmap.core.years import Period, Unit
from stratmap.reports.content import DeckError, figures, period_table, report_content
from stratmap.reports.deck import HEIGHT, WIDTH, build_deck
from stratmap.reports.models import ReportFile
from stratmap.reports.pdf import render_pdf
from stratmap.reports.xlsx import scorecard_workbook
from tests.helpers import named, saved, showing, slide_text

QUARTERS = ["2024/25年第1季", "2024/25年第2季", "2024/25年第3季", "2024/25年第4季"]
MONTHS = [f"2024年{m}月" for m in range(4, 13)] + [f"2025年{m}月" for m in (1, 2, 3)]
XLSX = "/ashcombe/2024/scorecard.xlsx"
needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def opened(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(values_only=True) if any(v is not None for v in row)]


def period_rows(ws, code: str) -> list[tuple]:
    """The KPI's rows of the 分期數值 sheet: (期別, 目標值, 達成值, 說明)."""
    return [(r[4], r[5], r[6], r[7]) for r in rows_of(ws) if r[0] == code]


def weights_table(ws, caption: str) -> dict[str, tuple]:
    """The summary sheet's table under ``caption``: code → (配分, 得分, 加權平均, 燈號)."""
    rows = rows_of(ws)
    start = next(i for i, r in enumerate(rows) if r[0] == caption)
    assert rows[start + 1][:6] == ("代碼", "名稱", "配分", "得分", "加權平均", "燈號")
    table = {}
    for r in rows[start + 2 :]:
        table[r[0]] = r[2:6]
        if r[0] == "合計":
            return table
    raise AssertionError(f"no total under {caption}")


@pytest.fixture
def council_book(demo, rendered_once) -> openpyxl.Workbook:
    return opened(
        rendered_once(
            "book", lambda: workbook_bytes(scorecard_workbook("ashcombe", 2024, access=SYSTEM, language="zh-hant"))
        )
    )


@pytest.fixture
def q3_response(demo, client):
    """The public's workbook of the council's 2024/25 to the end of Q3, downloaded from the scorecard's link."""
    response = client.get(XLSX, {"period": "Q3"})
    assert response.status_code == 200
    return response


@pytest.fixture
def council_deck(demo, rendered_once) -> Presentation:
    data = rendered_once("deck", lambda: saved(build_deck("ashcombe", 2024, access=SYSTEM, language="zh-hant")))
    return Presentation(io.BytesIO(data))


@pytest.fixture
def council_pdf_pages(demo, rendered_once) -> list[str]:
    """The text of each page of the council's PDF, as pdftotext reads it."""
    data = rendered_once("pdf", lambda: render_pdf(report_content("ashcombe", 2024, access=SYSTEM, language="zh-hant")))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "report.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


def one_slide(deck, name: str):
    (slide,) = [s for s in named(deck, name) if s.name == name]
    return slide


# --- the Excel scorecard --------------------------------------------------------------------------


def test_the_workbook_lists_h1_1s_quarters_in_order_and_its_year_as_their_sum(council_book):
    assert council_book.sheetnames[-2:] == ["分期數值", "行動計畫"]
    rows = period_rows(council_book["分期數值"], "H1.1")
    assert [r[0] for r in rows] == [*QUARTERS, "2024/25年度"]
    assert [(r[1], r[2]) for r in rows] == [(50, 48), (50, 55), (50, 52), (50, 59), (200, 214)]
    assert rows[-1][3] == "年度達成值由第1季–第4季推算（各期加總）"


def test_the_workbook_lists_h2_1s_months_from_april_to_march_and_its_year_as_the_last(council_book):
    rows = period_rows(council_book["分期數值"], "H2.1")
    assert [r[0] for r in rows] == [*MONTHS, "2024/25年度"]
    assert [r[2] for r in rows] == [121, 119, 118, 120, 117, 116, 115, 114, 116, 115, 114, 113, 113]
    assert rows[-1][1:] == (110, 113, "年度達成值由4月–3月推算（最近一期數值）")


def test_kpis_of_yearly_figures_only_are_not_on_the_period_sheet(council_book):
    codes = {r[0] for r in rows_of(council_book["分期數值"])[3:]}
    assert codes == {"H1.1", "H2.1"}  # E1.1 is quarterly but has only its year's figures


def test_a_theme_sheet_shows_the_year_made_of_the_periods_and_says_so_in_a_comment(council_book):
    ws = council_book["H 住宅與社區"]
    row = next(r for r in ws.iter_rows(min_row=5) if r[2].value == "H1.1")
    target, actual = row[5], row[6]
    assert (target.value, actual.value) == (200, 214)  # nothing entered for the year: its quarters' sum
    assert actual.comment is not None and "由第1季–第4季推算" in actual.comment.text
    assert target.comment is None  # the year's target was entered
    assert row[7].value == "=G5/F5*100"


def test_the_summary_sheet_shows_each_weighted_objective_and_themes_points(council_book):
    summary = council_book["總表"]
    objectives = weights_table(summary, "依策略目標權重計分")
    assert list(objectives) == ["H1", "H2", "E1", "E2", "S1", "S2", "合計"]
    assert objectives["H1"] == (20, 19, 95, "▲黃")  # 20 points × 95 %
    assert objectives["E2"][:2] == (15, 12.5) and objectives["E2"][3] == "■紅"
    weight, points, average, light = objectives["合計"]
    assert weight == 100 and round(points, 2) == 93.16 and round(average, 2) == 93.16 and light == "■紅"
    themes = weights_table(summary, "依主題權重計分")
    assert list(themes) == ["H", "E", "S", "合計"]
    assert themes["S"][:2] == (35, 32)
    assert summary.cell(summary.max_row, 4).number_format == "0.00"


def test_taipeis_workbook_has_no_period_sheet_and_nothing_under_its_summary(demo):
    book = opened(workbook_bytes(scorecard_workbook("taipei", 2019, access=SYSTEM, language="zh-hant")))
    assert "分期數值" not in book.sheetnames
    summary = rows_of(book["總表"])
    assert summary[-1][0] == "合計"  # the totals are the sheet's last row, as before
    assert not any(r[0] in ("依策略目標權重計分", "依主題權重計分") for r in summary)


def test_the_workbook_of_q3_is_the_year_to_date_at_the_end_of_december(q3_response):
    assert 'filename="ashcombe-2024-Q3-scorecard.xlsx"' in q3_response["Content-Disposition"]
    book = opened(q3_response.content)
    assert "2024/25年第3季（年初至今）" in book["總表"]["A1"].value
    h1_1 = period_rows(book["分期數值"], "H1.1")
    assert [r[0] for r in h1_1] == [*QUARTERS[:3], "年初至2024/25年第3季"]
    assert h1_1[-1][1:3] == (150, 155)  # 3 × 50 targeted, 48 + 55 + 52 delivered
    h2_1 = period_rows(book["分期數值"], "H2.1")
    assert h2_1[-2][0] == "2024年12月" and h2_1[-1][2] == 116  # December's count stands for the year to date
    row = next(r for r in book["H 住宅與社區"].iter_rows(min_row=5, values_only=True) if r[2] == "H1.1")
    assert row[5:7] == (150, 155)


def test_two_periods_never_give_the_same_workbook(q3_response, client):
    q1 = client.get(XLSX, {"period": "Q1"})
    assert q1.status_code == 200 and 'filename="ashcombe-2024-Q1-scorecard.xlsx"' in q1["Content-Disposition"]
    q1_h1_1 = period_rows(opened(q1.content)["分期數值"], "H1.1")
    q3_h1_1 = period_rows(opened(q3_response.content)["分期數值"], "H1.1")
    assert q1_h1_1[-1][1:3] == (50, 48) and q3_h1_1[-1][1:3] == (150, 155)


def test_a_month_of_the_scorecards_selector_gives_the_year_to_that_month(demo, client):
    response = client.get(XLSX, {"period": "M01"})  # January 2025, the tenth month of 2024/25
    assert response.status_code == 200 and "M01" in response["Content-Disposition"]
    h2_1 = period_rows(opened(response.content)["分期數值"], "H2.1")
    assert h2_1[-2][0] == "2025年1月" and h2_1[-1][2] == 115


@pytest.mark.parametrize("period", ["Q5", "M13", "2023-Q1", "Q3'><script>", "soon"])
def test_a_period_that_is_none_of_the_maps_year_is_refused_with_400_naming_it(demo, client, period):
    response = client.get(XLSX, {"period": period})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert period[:40] in text and "2024/25" in text and "Q3" in text


def test_the_whole_year_asked_as_a_period_is_the_years_workbook(demo, client):
    response = client.get(XLSX, {"period": "2024"})
    assert response.status_code == 200
    assert 'filename="ashcombe-2024-scorecard.xlsx"' in response["Content-Disposition"]
    assert "年初至今" not in opened(response.content)["總表"]["A1"].value


def test_the_english_sites_workbook_names_its_periods_in_english(demo, client):
    response = client.get("/en" + XLSX, {"period": "Q3"})
    rows = period_rows(opened(response.content)["Figures by period"], "H1.1")
    assert rows[0][0] == "2024/25 Q1"
    sheet = next(r for r in rows_of(opened(response.content)["Figures by period"]) if r[0] == "H1.1")
    assert sheet[3] == "sum of the periods"


def test_the_scorecard_of_a_period_links_the_workbook_of_that_period(demo, client):
    page = client.get("/en/ashcombe/2024/scorecard/", {"period": "Q3"}).content.decode()
    assert 'href="/en/ashcombe/2024/scorecard.xlsx?period=Q3"' in page
    whole = client.get("/en/ashcombe/2024/scorecard/").content.decode()
    assert 'href="/en/ashcombe/2024/scorecard.xlsx"' in whole


# --- the deck and the PDF ---------------------------------------------------------------------------


def test_h1_1s_slide_shows_its_quarters_and_says_its_year_is_their_sum(council_deck):
    slide = one_slide(council_deck, "kpi:H1.1")
    (periods,) = [s.table for s in slide.shapes if s.has_table and s.table.cell(0, 1).text == "第1季"]
    assert [[c.text for c in row.cells] for row in periods.rows] == [
        ["2024/25年", "第1季", "第2季", "第3季", "第4季"],
        ["目標值", "50", "50", "50", "50"],
        ["達成值", "48", "55", "52", "59"],
    ]
    text = slide_text(slide)
    assert "214（推算）" in text and "年度達成值由第1季–第4季推算（各期加總）" in text


def test_h2_1s_slide_shows_its_months_from_april_to_march(council_deck):
    slide = one_slide(council_deck, "kpi:H2.1")
    (periods,) = [s.table for s in slide.shapes if s.has_table and s.table.cell(0, 1).text == "4月"]
    header = [c.text for c in periods.rows[0].cells]
    assert header == ["2024/25年", *[f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]]
    assert [c.text for c in periods.rows[1].cells][1:] == ["121", "119", "118", "120", "117", "116", "115", "114",
                                                           "116", "115", "114", "113"]  # fmt: skip
    assert len(periods.rows) == 2  # no month has a target of its own: no empty row of targets
    assert "年度達成值由4月–3月推算（最近一期數值）" in slide_text(slide)


def test_a_kpi_missed_by_its_months_has_its_missed_slide(council_deck):
    text = slide_text(one_slide(council_deck, "missed:H2.1"))
    assert "目標值 110　達成值 113（推算）" in text


def test_a_kpi_of_yearly_figures_has_no_period_table_and_no_derived_mark(council_deck):
    slide = one_slide(council_deck, "kpi:H1.2")
    assert sum(shape.has_table for shape in slide.shapes) == 1  # its figures only
    assert "推算" not in slide_text(slide)


@pytest.mark.parametrize("name", ["kpi:H1.1", "kpi:H2.1", "scorecard:1", "missed:H2.1"])
def test_nothing_on_the_slides_with_periods_leaves_the_slide(council_deck, name):
    for shape in one_slide(council_deck, name).shapes:
        assert shape.left + shape.width <= WIDTH + Emu(1), (name, shape.name)
        assert shape.top + shape.height <= HEIGHT, (name, shape.name, (shape.top + shape.height) / 914400)


@needs_pdftotext
def test_the_pdf_prints_h1_1s_quarters_and_its_derived_year(council_pdf_pages):
    (page,) = [p for p in council_pdf_pages if p.lstrip().startswith("H1.1 Affordable homes delivered")]
    assert "第1季" in page and "第4季" in page and "214（推算）" in page
    assert "年度達成值由第1季–第4季推算（各期加總）" in page
    targets = next(line for line in page.splitlines() if line.strip().startswith("目標值") and "50" in line)
    assert targets.split()[1:] == ["50", "50", "50", "50"]


@needs_pdftotext
def test_the_pdf_prints_h2_1s_months_in_the_councils_order_and_its_missed_page(council_pdf_pages):
    pages = [p for p in council_pdf_pages if p.lstrip().startswith("H2.1 Households")]
    assert len(pages) == 2  # its KPI page and its missed page
    kpi, missed = pages
    months = next(line for line in kpi.splitlines() if line.split()[:2] == ["2024/25年", "4月"]).split()
    assert months == ["2024/25年", *[f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]]
    assert "達成值 113（推算）" in missed


def test_no_figure_of_taipeis_year_is_marked_derived_and_no_kpi_has_a_period_table(demo):
    content = report_content("taipei", 2019, access=SYSTEM)
    assert content.card.rows
    for row in content.card.rows:
        assert not any("推算" in text for text in figures(row))
        assert period_table(content, row) == []


# --- a map rated by its achievement alone ---------------------------------------------------------


def test_a_banded_maps_deck_and_pdf_show_no_self_assessment(council_deck, council_pdf_pages):
    """The council rates by bands: its KPI slides and scorecard pages carry target, actual, rate, score and
    light, never Taipei's innovation, challenge and contribution columns or narratives."""
    slide = one_slide(council_deck, "kpi:H1.1")
    (figures,) = [s.table for s in slide.shapes if s.has_table and s.table.cell(0, 0).text == "目標值"]
    assert [c.text for c in figures.rows[0].cells] == ["目標值", "達成值", "達成度", "分數", "燈號"]
    deck_text = "".join(slide_text(s) for s in council_deck.slides)
    pdf_text = "".join(council_pdf_pages)
    for word in ("創新度", "挑戰度", "貢獻度"):
        assert word not in deck_text and word not in pdf_text


def test_a_banded_maps_workbook_hides_the_self_assessment_columns(council_book):
    sheet = next(ws for ws in council_book.worksheets if ws.cell(4, 9).value == "創新度")
    hidden = {ws_col for ws_col, dim in sheet.column_dimensions.items() if dim.hidden}
    assert {"I", "J", "K", "L"} <= hidden and "M" not in hidden


def test_the_report_command_writes_the_scorecard_of_a_period_and_refuses_a_period_of_no_year(demo, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "q3.xlsx"
    call_command("report", "scorecard", "--org", "ashcombe", "--year", "2024", "--period", "Q3", "-o", str(path))
    assert (
        opened(path.read_bytes()).worksheets[0].cell(1, 1).value
        != opened(workbook_bytes(scorecard_workbook("ashcombe", 2024, access=SYSTEM, language="zh-hant")))
        .worksheets[0]
        .cell(1, 1)
        .value
    )
    with pytest.raises(CommandError, match="--period: '2024-Q5' is not a quarter"):
        call_command("report", "scorecard", "--org", "ashcombe", "--year", "2024", "--period", "Q5", "-o", str(path))
    with pytest.raises(CommandError, match="--org: no organization 'nowhere'"):
        call_command("report", "scorecard", "--org", "nowhere", "--year", "2024", "--period", "Q3", "-o", str(path))


def test_a_range_target_reads_as_a_range_in_the_deck_pdf_and_workbook(council_deck, council_pdf_pages, council_book):
    """S2.1's target is a range, −1 to 1 %: never "-1" alone, never "-1–1" read as a dash."""
    (slide,) = showing(council_deck, "S2.1")  # its own slide, or one shared with another brief KPI
    assert "−1～1" in slide_text(slide)
    assert any("−1～1" in page and "S2.1" in page for page in council_pdf_pages)
    cells = [row for ws in council_book.worksheets for row in ws.iter_rows(values_only=True) if "S2.1" in row]
    assert cells and all("−1～1" in row for row in cells[:1])


# --- the deck and the PDF of a period (the year to date at its end) ----------------------------------

Q3 = Period(2024, Unit.QUARTER, 3)
Q3_TITLE = "2024/25年第3季累計績效報告"
PPTX = "/ashcombe/2024/report.pptx"
PDF = "/ashcombe/2024/report.pdf"
QUEUE_ONLY = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def q3_deck(demo, rendered_once) -> Presentation:
    data = rendered_once(
        "q3-deck", lambda: saved(build_deck("ashcombe", 2024, access=SYSTEM, period=Q3, language="zh-hant"))
    )
    return Presentation(io.BytesIO(data))


@pytest.fixture
def q3_pdf_pages(demo, rendered_once) -> list[str]:
    data = rendered_once(
        "q3-pdf", lambda: render_pdf(report_content("ashcombe", 2024, access=SYSTEM, period=Q3, language="zh-hant"))
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "q3.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


def scorecard_row(deck, code: str) -> list[str]:
    """A KPI's row of the deck's scorecard slides: code, name, target, actual, rate, score, light."""
    for slide in named(deck, "scorecard:"):
        for shape in slide.shapes:
            if shape.has_table:
                for row in shape.table.rows:
                    cells = [cell.text for cell in row.cells]
                    if cells[0] == code:
                        return cells
    raise AssertionError(f"{code} is on no scorecard slide")


def deck_of(response) -> Presentation:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return Presentation(io.BytesIO(data))


def test_the_q3_decks_cover_and_headings_name_the_period(q3_deck):
    assert Q3_TITLE in slide_text(one_slide(q3_deck, "cover"))
    assert "2024/25年第3季累計KPI成績（1/2）" in slide_text(one_slide(q3_deck, "scorecard:1"))
    summary = slide_text(one_slide(q3_deck, "summary"))
    assert "2024/25年第3季累計KPI達成情形" in summary and "年初至今目標值" in summary and "年度目標值" not in summary
    assert "2024/25年第3季關聯圖" in slide_text(one_slide(q3_deck, "linkage:H"))


def test_the_q3_decks_scorecard_shows_the_year_to_date_figures(q3_deck):
    # H1.1 to the end of December: 48 + 55 + 52 delivered against 3 × 50 targeted.
    assert scorecard_row(q3_deck, "H1.1")[2:] == ["150（推算）", "155（推算）", "103.3%", "100.00", "●綠"]
    # H2.1 is its latest month's count, December's, against the year's target of at most 110.
    assert scorecard_row(q3_deck, "H2.1")[2:5] == ["110", "116（推算）", "94.8%"]
    # A KPI of yearly figures has none before its year is over.
    assert scorecard_row(q3_deck, "H1.2")[3] == "不明"


def test_the_q3_decks_kpi_slide_shows_the_quarters_ended_by_then_and_says_so(q3_deck):
    slide = one_slide(q3_deck, "kpi:H1.1")
    (periods,) = [s.table for s in slide.shapes if s.has_table and s.table.cell(0, 1).text == "第1季"]
    assert [c.text for c in periods.rows[0].cells] == ["2024/25年", "第1季", "第2季", "第3季"]
    assert [c.text for c in periods.rows[2].cells] == ["達成值", "48", "55", "52"]
    text = slide_text(slide)
    assert "年初至今達成值由第1季–第3季推算（各期加總）" in text and "214" not in text and "59" not in text


def test_the_q3_deck_has_no_part_two_and_nothing_leaves_its_slides(q3_deck):
    names = [slide.name for slide in q3_deck.slides]
    assert names[0] == "cover" and names[-1] == "closing" and "missed:H2.1" in names
    assert not any(name.startswith(("next-map", "plans-table", "revision-counts", "grid:")) for name in names)
    for name in ("cover", "summary", "scorecard:1", "kpi:H1.1", "kpi:H2.1"):
        for shape in one_slide(q3_deck, name).shapes:
            assert shape.left + shape.width <= WIDTH + Emu(1), (name, shape.name)
            assert shape.top + shape.height <= HEIGHT, (name, shape.name)


def test_a_period_of_a_year_with_a_next_map_leaves_part_two_out_and_the_whole_year_keeps_it(demo):
    whole = report_content("taipei", 2019, "D", access=SYSTEM)
    q3 = report_content("taipei", 2019, "D", access=SYSTEM, period=Period(2019, Unit.QUARTER, 3))
    assert whole.title == "108年度施政成果暨109年修正內容" and whole.next is not None
    assert q3.title == "108年第3季累計施政成果" and q3.next is None
    december = report_content("ashcombe", 2024, access=SYSTEM, period=Period(2024, Unit.MONTH, 9), language="zh-hant")
    assert december.title == "2024年12月累計績效報告"  # neutral: the council has no wording of its own
    assert report_content("ashcombe", 2024, access=SYSTEM, period=Period(2024, Unit.MONTH, 9)).title == (
        "Performance report Dec 2024 to date"  # in the council's own language when none is asked
    )


def test_a_period_of_another_year_is_refused_naming_it(demo):
    with pytest.raises(DeckError, match="2023/24 Q3 is not a period of ashcombe's 2024/25"):
        report_content("ashcombe", 2024, access=SYSTEM, period=Period(2023, Unit.QUARTER, 3))


@needs_pdftotext
def test_the_q3_pdf_names_the_period_and_prints_the_year_to_date(q3_pdf_pages):
    assert Q3_TITLE in q3_pdf_pages[0]
    assert any("2024/25年第3季累計KPI成績" in page for page in q3_pdf_pages)
    (page,) = [p for p in q3_pdf_pages if p.lstrip().startswith("H1.1 Affordable homes delivered")]
    assert "150（推算）" in page and "155（推算）" in page and "103.3%" in page
    assert "年初至今達成值由第1季–第3季推算（各期加總）" in page and "第4季" not in page


def test_two_periods_and_the_year_are_three_files_each_named_by_its_period(demo, client):
    for query in ({"period": "Q1"}, {"period": "Q3"}, {}):
        assert client.post(PPTX + ("?" + urlencode(query) if query else "")).status_code == 303
    assert sorted(ReportFile.objects.values_list("period", flat=True)) == ["", "Q1", "Q3"]
    q1, q3 = client.get(PPTX, {"period": "Q1"}), client.get(PPTX, {"period": "Q3"})
    # Asked on the Chinese site, not in the council's own language: the name says which.
    assert q1["Content-Disposition"] == 'attachment; filename="ashcombe-2024-Q1-zh-hant-report.pptx"'
    assert q3["Content-Disposition"] == 'attachment; filename="ashcombe-2024-Q3-zh-hant-report.pptx"'
    assert scorecard_row(deck_of(q1), "H1.1")[3] == "48（推算）"
    assert scorecard_row(deck_of(q3), "H1.1")[3] == "155（推算）"
    assert "2024/25年度績效報告" in slide_text(one_slide(deck_of(client.get(PPTX)), "cover"))


def test_the_same_period_asked_as_a_key_is_the_same_file_and_in_english_another(demo, client, settings):
    settings.TASKS = QUEUE_ONLY  # asking only
    client.post(PDF + "?period=Q3")
    client.post(PDF + "?period=2024-q3")
    client.post("/en" + PDF + "?period=2024-q3")
    files = ReportFile.objects.order_by("language").values_list("period", "language")
    assert list(files) == [("Q3", "en"), ("Q3", "zh-hant")]


@pytest.mark.parametrize("period", ["Q5", "M13", "2023-Q1", "Q3'><script>"])
@pytest.mark.parametrize("url", [PPTX, PDF])
def test_a_deck_of_a_period_of_no_year_is_refused_with_400_naming_it_asked_or_prepared(demo, client, url, period):
    for response in (client.get(url, {"period": period}), client.post(f"{url}?{urlencode({'period': period})}")):
        assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
        assert period in response.content.decode() and "2024/25" in response.content.decode()
    assert not ReportFile.objects.exists()


def test_a_good_period_offers_its_deck_and_queues_a_job_of_that_period(demo, client, settings):
    settings.TASKS = QUEUE_ONLY
    page = client.get("/en" + PDF, {"period": "Q3"})
    assert page.status_code == 200 and 'data-state="none"' in page.content.decode()
    assert "2024/25 Q3 year to date" in page.content.decode()
    response = client.post("/en" + PDF + "?period=Q3")
    assert response.status_code == 303 and response["Location"] == "/en" + PDF + "?period=Q3"
    job = ReportFile.objects.get()
    assert (job.period, job.kind, job.status) == ("Q3", "pdf", ReportFile.Status.QUEUED)


def test_the_scorecard_of_a_period_links_the_decks_of_that_period(demo, client):
    page = client.get("/en/ashcombe/2024/scorecard/", {"period": "Q3"}).content.decode()
    assert 'href="/en/ashcombe/2024/report.pptx?period=Q3"' in page
    assert 'href="/en/ashcombe/2024/report.pdf?period=Q3"' in page
    whole = client.get("/en/ashcombe/2024/scorecard/").content.decode()
    assert 'href="/en/ashcombe/2024/report.pdf"' in whole


def test_the_report_command_writes_the_deck_of_a_period_and_refuses_a_period_of_no_year(demo, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "q3.pptx"
    out = io.StringIO()
    call_command("report", "deck", "--org", "ashcombe", "--year", "2024", "--period", "Q3", "--language", "zh-hant",
                 "-o", str(path), stdout=out)  # fmt: skip
    deck = Presentation(str(path))
    assert Q3_TITLE in slide_text(one_slide(deck, "cover")) and scorecard_row(deck, "H1.1")[3] == "155（推算）"
    with pytest.raises(CommandError, match="--period: '2024-Q5' is not a quarter"):
        call_command("report", "deck", "--org", "ashcombe", "--year", "2024", "--period", "Q5", "-o", str(path))
    with pytest.raises(CommandError, match="--org: no organization 'nowhere'"):
        call_command("report", "deck", "--org", "nowhere", "--year", "2024", "--period", "Q3", "-o", str(path))
