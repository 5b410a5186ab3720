"""Items 4 and 5 of issue 13: the PDF deck styled by classes and laid out in batches of pages, and the
progress of long work, on a terminal and on the page that follows a deck being made."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from stratmap.access import SYSTEM
from stratmap.reports import pdf
from stratmap.reports.content import pages, report_content
from tests.helpers import pdf_outline

PDF = reverse("web:report-pdf", args=["taipei", "108"]) + "?theme=D"


class Terminal(io.StringIO):
    """What a command writes to, taken for a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_pdfs_html_styles_its_cells_by_classes_and_carries_no_style_attribute(demo):
    for org, year in (("taipei", 2019), ("ashcombe", 2024)):
        html = pdf.report_html(report_content(org, year, None, access=SYSTEM))
        body = html.split("</style>", 1)[1]
        assert " style=" not in body, re.findall(r"<[^>]* style=[^>]*>", body)[:3]
        assert "<col" not in body  # the widths are classes of the header cells
        sheet = html.split("</style>", 1)[0]
        lights = dict(re.findall(r"\.(lv[\w-]+) \{ color: (#[0-9a-f]{6}); \}", sheet))
        cells = re.findall(r'<td class="light (lv[\w-]+)">([^<]+)</td>', body)  # a scorecard's and a KPI's light
        assert cells and {name for name, _ in cells} <= set(lights)
    taipei = pdf.report_html(report_content("taipei", 2019, None, access=SYSTEM))
    assert ".lv-excellent { color: #1a7f37; }" in taipei and '<td class="light lv-excellent">★優</td>' in taipei
    assert re.search(r"th\.w-grid-0 \{ width: 38\.58%; \}", taipei) and "<th>4月</th>" in taipei


def page_texts(data: bytes, folder: Path, name: str) -> list[str]:
    """The text of each page as pdftotext lays it out."""
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return text.stdout.split("\f")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
def test_a_pdf_laid_out_in_batches_has_the_pages_and_the_text_of_one_laid_out_whole(demo, tmp_path):
    content = report_content("taipei", 2019, None, access=SYSTEM)
    told: list[tuple[int, int]] = []
    batched = pdf.pdf_document(content, batch_pages=7, progress=lambda done, total: told.append((done, total)))
    whole = pdf.pdf_document(content, batch_pages=1000)
    assert len(batched.pages) == len(whole.pages) == 72
    assert told == [(0, 72), *((done, 72) for done in range(7, 72, 7)), (72, 72)]
    texts = page_texts(batched.write_pdf(), tmp_path, "batched")
    assert texts == page_texts(whole.write_pdf(), tmp_path, "whole")
    linkage = [page.name for page in pages(content)].index("linkage:A")  # after the map and its readable parts
    assert "DP5.1" in "".join(texts) and "關聯圖" in texts[linkage]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
def test_the_pdf_reads_the_same_with_the_reports_trimmed_user_agent_sheet_as_with_weasyprints_own(
    demo, tmp_path, monkeypatch
):
    import pypdf
    import weasyprint

    content = report_content("taipei", 2019, None, access=SYSTEM)  # its lists, tables, charts and the map
    trimmed = pdf.render_pdf(content)
    monkeypatch.setattr(pdf, "_report_html_class", lambda: weasyprint.HTML)
    own = pdf.render_pdf(content)
    assert page_texts(trimmed, tmp_path, "trimmed") == page_texts(own, tmp_path, "own")

    def outline(data: bytes) -> list[tuple[int, str, int]]:
        return pdf_outline(pypdf.PdfReader(io.BytesIO(data)))

    assert outline(trimmed) == outline(own) and len(outline(own)) > 60


def test_the_pdf_painted_as_its_batches_are_laid_out_is_byte_for_byte_the_pdf_weasyprint_writes_of_them(
    demo, monkeypatch
):
    # render_pdf follows WeasyPrint's own PDF writer to paint each batch as soon as it is laid out: were that
    # writer to change under it, the files would differ. At pydyf's level of deflating (ours is lower), in one
    # process (shared out between several, each embeds its own subsets of the fonts).
    monkeypatch.setattr(pdf, "DEFLATE_LEVEL", 9)
    for org, year in (("taipei", 2019), ("ashcombe", 2024)):
        content = report_content(org, year, None, access=SYSTEM)
        assert pdf.render_pdf(content, tagged=False, processes=1) == pdf.pdf_document(content).write_pdf(), (org, year)


def test_the_memory_a_pdf_takes_grows_with_its_batches_of_pages_not_with_all_its_pages(demo, monkeypatch):
    import tracemalloc

    content = report_content("taipei", 2019, None, access=SYSTEM)  # 65 pages
    pdf.render_pdf(content, processes=1)  # what is loaded once (modules, caches) is not counted below

    def peak(batch_pages: int) -> int:
        monkeypatch.setattr(pdf, "BATCH_PAGES", batch_pages)
        tracemalloc.start()
        try:
            pdf.render_pdf(content, processes=1)  # this process's memory only
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # Each batch is painted and freed before the next is laid out (48 MB against 71 MB; when every laid-out
    # page was kept until the file was written, 64 MB either way).
    assert peak(5) < 0.8 * peak(65)


def run(command: str, *args: str, terminal: bool) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), Terminal() if terminal else io.StringIO()
    call_command(command, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_long_commands_show_their_progress_on_a_terminal_and_nothing_elsewhere(demo, tmp_path):
    backup = str(tmp_path / "backup.json")
    commands = [
        (("report", "deck", "--org", "taipei", "--year", "108", "--theme", "D", "-o", str(tmp_path / "d.pdf")),
         ["laying out pages", "48/48", "writing the PDF", "left"]),
        (("report", "deck", "--org", "taipei", "--year", "108", "--theme", "D", "-o", str(tmp_path / "d.pptx")),
         ["drawing slides", "48/48"]),
        (("backup", backup), ["reading the tables", "writing the backup"]),
        (("restore", backup, "--replace"), ["checking the rows", "restoring the rows"]),
        (("benchmark-score", "--count", "20", "--runs", "1"), ["timing the phases", "7/7"]),
        (("benchmark-load", "--repeat", "1"), ["loading the demo", "1/1"]),
    ]  # fmt: skip
    for args, shown in commands:
        quiet_out, quiet_err = run(*args, terminal=False)
        assert quiet_err == "", args
        shown_out, shown_err = run(*args, terminal=True)
        assert all(words in shown_err for words in shown), (args, shown_err[-400:])
        # What the command writes to its standard output is the same, figures apart.
        assert re.sub(r"[\d.]+", "#", shown_out) == re.sub(r"[\d.]+", "#", quiet_out), args
    assert "wrote" in run("report", "deck", "--org", "taipei", "--year", "108", "-o", str(tmp_path / "e.pdf"),
                          terminal=True)[0]  # fmt: skip


def test_the_page_following_a_deck_being_made_says_how_many_of_its_pages_are_made(demo, monkeypatch):
    rendered = pdf.render_pdf
    english_pdf = "/en" + PDF.replace("/108/", "/2019/")
    polled: dict[str, list[str]] = {"zh-hant": [], "en": []}

    def watched(content, *, progress=None):
        """The worker's rendering, with a visitor polling the page of the file's language at each word of
        its progress (a file is made in one language: the Chinese page follows the Chinese file)."""
        assert progress is not None
        address = english_pdf if content.language == "en" else PDF

        def told(done: int, total: int) -> None:
            progress(done, total)
            status = Client().get(address, HTTP_HX_REQUEST="true").content.decode()
            polled[content.language].append(" ".join(status.split()))

        return rendered(content, progress=told, processes=1)  # one batch after another

    monkeypatch.setattr(pdf, "render_pdf", watched)
    assert Client().post(PDF).status_code == 303  # made at once in tests, while the page is polled
    assert Client().post(english_pdf).status_code == 303
    english, chinese = polled["en"], polled["zh-hant"]
    # Once the data are read, after each batch of 20 pages: the English file has 53 pages, the Chinese 48
    # (English's longer texts cut the linkage map and part 2's tables into more pages at 12 pt).
    assert len(english) == len(chinese) == 4
    assert "page 0 of 53 made." in english[0] and '<progress max="53" value="0">' in english[0]
    assert "page 40 of 53 made." in english[2] and '<progress max="53" value="40">' in english[2]
    assert "all 53 pages made; the file is being written." in english[3]
    assert "已完成第20頁，共48頁" in chinese[1] and "48頁已全部完成，正在寫入檔案" in chinese[3]
    assert b"".join(Client().get(PDF).streaming_content)[:5] == b"%PDF-"
