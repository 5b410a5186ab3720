"""Reports in the reader's language (issue 14, items 2 and 6): the deck (PowerPoint and PDF), the Excel
scorecard and the results workbook take a language, on the command line and from the page's; the
organization's own wording (Taipei's cover title and closing) is its report settings, not code.

Each file is made once per module (``rendered_once``): a PDF costs seconds.
"""

from __future__ import annotations

import io
import re
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from lxml import etree
from pptx import Presentation
from pypdf import PdfReader

from stratmap.access import SYSTEM
from stratmap.core.models import AuditEvent, Organization
from stratmap.exchange.workbook.download import build_workbook
from stratmap.kpis.models import Kpi
from stratmap.reports.content import DeckError, report_content
from stratmap.reports.deck import build_deck
from stratmap.reports.models import ReportSettings
from stratmap.reports.pdf import render_pdf
from stratmap.reports.xlsx import ScorecardError, scorecard_workbook
from stratmap.strategy.models import StrategyMap
from tests.helpers import saved

#: A CJK ideograph, or CJK or full-width punctuation (「」、。，：！ and the ideographic space).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
#: The text of every part of a saved deck that a person can read: slides (shapes, tables) and charts.
DRAWN_TEXT = {
    "{http://schemas.openxmlformats.org/drawingml/2006/main}t",
    "{http://schemas.openxmlformats.org/drawingml/2006/chart}v",
}


def deck_texts(data: bytes) -> list[str]:
    """Every text run of every shape and table cell of every slide, and every title, series name and
    category of every chart, of a saved deck."""
    prs = Presentation(io.BytesIO(data))
    texts = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts += [run.text for p in shape.text_frame.paragraphs for run in p.runs]
            if shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        texts += [run.text for p in cell.text_frame.paragraphs for run in p.runs]
            if shape.has_chart:
                xml = etree.fromstring(shape.chart.part.blob)
                texts += [node.text or "" for node in xml.iter() if node.tag in DRAWN_TEXT]
    return texts


def chinese_in(texts) -> list[str]:
    return [text for text in texts if text and CHINESE.search(str(text))]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def cells(book: openpyxl.Workbook, skip=lambda ws, cell: False) -> list[str]:
    """Every cell value and every sheet title of ``book`` (but those ``skip`` names)."""
    found = [ws.title for ws in book.worksheets]
    for ws in book.worksheets:
        for row in ws.iter_rows():
            found += [str(cell.value) for cell in row if cell.value is not None and not skip(ws, cell)]
    return found


def opened(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def book_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def council_deck_en(demo, rendered_once) -> bytes:
    return rendered_once("council deck en", lambda: saved(build_deck("ashcombe", 2024, access=SYSTEM, language="en")))


@pytest.fixture
def taipei_deck_en(demo, rendered_once) -> bytes:
    return rendered_once("taipei deck en", lambda: saved(build_deck("taipei", 2019, "D", access=SYSTEM, language="en")))


@pytest.fixture
def taipei_deck_zh(demo, rendered_once) -> bytes:
    make = lambda: saved(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))  # noqa: E731
    return rendered_once("taipei deck zh", make)


# --- an English-speaking organization: not one Chinese character ------------------------------------------


def test_the_councils_english_deck_has_no_chinese_character_in_any_shape_table_or_chart(council_deck_en):
    texts = deck_texts(council_deck_en)
    assert len(texts) > 200  # the whole deck was read
    assert chinese_in(texts) == []


def test_the_councils_english_pdf_has_no_chinese_character(demo, rendered_once):
    data = rendered_once(
        "council pdf en", lambda: render_pdf(report_content("ashcombe", 2024, access=SYSTEM, language="en"))
    )
    text = pdf_text(data)
    assert "Performance report 2024/25" in text
    assert CHINESE.findall(text) == []


def test_the_councils_english_scorecard_workbook_has_no_chinese_character_in_any_cell(demo, rendered_once):
    book = opened(
        rendered_once(
            "council xlsx en", lambda: book_bytes(scorecard_workbook("ashcombe", 2024, access=SYSTEM, language="en"))
        )
    )
    found = cells(book)
    assert "Summary" in book.sheetnames and "Action plans" in book.sheetnames
    assert chinese_in(found) == []


def test_the_councils_english_results_workbook_has_no_chinese_character_in_any_cell(demo):
    smap = StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)
    agency = Kpi.objects.filter(objective__map=smap).first().agencies.first()
    book = opened(build_workbook(access=SYSTEM, smap=smap, agency=agency, user=None, language="en"))
    found = cells(book)
    assert "actual" in found and "allowed unknown kinds" in found  # the header row and the about sheet's labels
    assert any("not entered" in text or "(draft)" in text for text in found)
    assert chinese_in(found) == []


# --- Taipei, in either language ---------------------------------------------------------------------------


def test_taipeis_english_deck_has_english_labels_ad_years_and_no_chinese_closing(taipei_deck_en):
    text = "\n".join(deck_texts(taipei_deck_en))
    prs = Presentation(io.BytesIO(taipei_deck_en))
    cover = "\n".join(shape.text_frame.text for shape in prs.slides[0].shapes if shape.has_text_frame)
    # The city's cover title in the project's English, its year as an AD year.
    assert "2019 results and 2020 revisions" in cover and "\n2019" in cover and "民國" not in cover
    assert "Thank you for your attention." in text and "簡報結束" not in text
    for label in ("Target", "Actual", "Achievement", "Innovation", "Situation analysis", "KPIs met"):
        assert label in text, label
    # The labels are English; what is Chinese is the city's data that has no English yet (its narratives).
    for label in ("燈號", "狀況分析", "第一部份", "KPI成績", "108年度"):
        assert label not in text, label
    scorecard = next(slide for slide in prs.slides if slide.name.startswith("scorecard"))
    (table,) = [shape.table for shape in scorecard.shapes if shape.has_table]
    assert [cell.text for cell in table.rows[0].cells][:5] == ["No.", "KPI name", "Target", "Actual", "Achievement"]


def test_taipeis_chinese_deck_keeps_its_wording_roc_years_and_the_documents_terms(taipei_deck_zh):
    text = "\n".join(deck_texts(taipei_deck_zh))
    assert "簡報結束，敬請指教！" in text
    assert "108年度施政成果暨109年修正內容" in text
    assert "民國108年" in text
    for term in ("目標值", "達成值", "達成度", "創新度", "挑戰度", "貢獻度"):
        assert term in text, term
    assert "Thank you" not in text and "Target" not in text


def test_an_organization_without_report_settings_gets_a_neutral_cover_and_a_thank_you(demo):
    ReportSettings.objects.filter(organization__code="taipei").delete()
    english = report_content("taipei", 2019, "D", access=SYSTEM, language="en")
    chinese = report_content("taipei", 2019, "D", access=SYSTEM, language="zh-hant")
    assert (english.title, english.closing_line) == ("Performance report 2019 and revisions for 2020", "Thank you")
    assert (chinese.title, chinese.closing_line) == ("108年度績效報告暨109年修正", "謝謝")


def test_the_report_settings_come_from_the_organizations_file_and_the_council_has_none(demo):
    taipei = ReportSettings.objects.get(organization__code="taipei")
    assert (taipei.cover_title, taipei.cover_revisions) == ("{year}施政成果", "暨{next_year}修正內容")
    assert taipei.closing == "簡報結束，敬請指教！"
    assert taipei.closing_en == "Thank you for your attention."
    assert not ReportSettings.objects.filter(organization__code="ashcombe").exists()


def test_a_report_is_in_the_organizations_own_language_when_none_is_asked(demo):
    assert (
        report_content("ashcombe", 2024, access=SYSTEM).language == Organization.objects.get(code="ashcombe").language
    )
    assert report_content("taipei", 2019, "D", access=SYSTEM).title == "108年度施政成果暨109年修正內容"


# --- the command line -------------------------------------------------------------------------------------


def test_stratmap_report_language_en_writes_the_english_deck_and_scorecard(demo, tmp_path):
    deck, book = tmp_path / "deck.pptx", tmp_path / "scorecard.xlsx"
    call_command(
        "report",
        "deck",
        org="taipei",
        year="108",
        theme="D",
        language="en",
        output=str(deck),
        stderr=StringIO(),
        stdout=StringIO(),
    )
    call_command("report", "scorecard", org="taipei", year="108", language="en", output=str(book), stdout=StringIO())
    text = "\n".join(deck_texts(deck.read_bytes()))
    assert "Thank you for your attention." in text and "簡報結束" not in text
    assert "Summary" in openpyxl.load_workbook(book).sheetnames


def test_a_bad_language_is_a_clear_error_on_the_command_line_and_in_the_code(demo, tmp_path):
    with pytest.raises(CommandError, match=r"--language: no report language 'fr'; expected one of zh-hant, en"):
        call_command("report", "deck", org="taipei", year="108", language="fr", output=str(tmp_path / "d.pptx"))
    with pytest.raises(DeckError, match="'klingon'"):
        report_content("taipei", 2019, access=SYSTEM, language="klingon")
    with pytest.raises(ScorecardError, match="'fr'"):
        scorecard_workbook("taipei", 2019, access=SYSTEM, language="fr")


# --- the web ----------------------------------------------------------------------------------------------


def test_the_deck_downloaded_in_english_is_the_english_file_and_kept_apart_from_the_chinese(demo, client):
    english, chinese = "/en/taipei/2019/report.pptx?theme=D", "/taipei/108/report.pptx?theme=D"
    for url in (english, chinese):
        assert client.post(url).status_code == 303
    got = client.get(english)
    assert got["Content-Disposition"] == 'attachment; filename="taipei-2019-D-en-report.pptx"'
    text = "\n".join(deck_texts(b"".join(got.streaming_content)))
    assert "Thank you for your attention." in text and "簡報結束" not in text
    assert "簡報結束，敬請指教！" in "\n".join(deck_texts(b"".join(client.get(chinese).streaming_content)))


def test_the_scorecard_workbook_downloaded_in_english_is_english(demo, client):
    book = opened(client.get("/en/ashcombe/2024/scorecard.xlsx").content)
    assert book.sheetnames[0] == "Summary"
    assert chinese_in(cells(book)) == []


def test_editing_the_report_settings_in_the_administration_is_audited(demo, admin_client):
    row = ReportSettings.objects.get(organization__code="taipei")
    url = f"/admin/reports/reportsettings/{row.pk}/change/"
    assert admin_client.get(url).status_code == 200
    data = {
        "organization": row.organization_id,
        "cover_title": row.cover_title,
        "cover_title_en": "{year} results",
        "cover_title_zh_hant": "",
        "closing": "謝謝聆聽",
        "closing_en": "Thank you",
        "closing_zh_hant": "",
        "change_reason": "shorter closing",
    }
    assert admin_client.post(url, data).status_code == 302
    row.refresh_from_db()
    assert row.closing == "謝謝聆聽"
    assert AuditEvent.objects.filter(reason="shorter closing").exists()


def test_the_english_decks_runs_are_marked_english_for_spelling_and_screen_readers(council_deck_en):
    from pptx.enum.lang import MSO_LANGUAGE_ID

    prs = Presentation(io.BytesIO(council_deck_en))
    runs = [run for slide in prs.slides for shape in slide.shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs for run in p.runs]  # fmt: skip
    assert runs and {run.font.language_id for run in runs} == {MSO_LANGUAGE_ID.ENGLISH_US}
