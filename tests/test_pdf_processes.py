"""A long PDF report laid out by several processes at once (issue 13, item 4): its batches shared out, each
process painting its own into a PDF of its own, merged into one file that reads, looks and is tagged as the one
a single process makes; a process that fails or dies stops the report with what happened."""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import override_settings
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from stratmap.access import SYSTEM
from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi
from stratmap.reports import pdf
from stratmap.reports.content import pages, report_content
from tests.helpers import pdf_outline

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="processes cannot be forked here"
)
POPPLER = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")


@pytest.fixture
def made(demo, rendered_once):
    """Taipei's 2019 report of theme D (48 pages, three batches: the second process lays out the second) made by
    one process and by two."""
    content = report_content("taipei", 2019, "D", access=SYSTEM, language="zh-hant")
    assert len(pages(content)) > 2 * pdf.BATCH_PAGES
    return {n: rendered_once(f"{n}", lambda n=n: pdf.render_pdf(content, processes=n)) for n in (1, 2)}


def pngs(data: bytes, folder: Path) -> list[bytes]:
    """Each page drawn by poppler, small."""
    folder.mkdir()
    (folder / "report.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "24", "-png", str(folder / "report.pdf"), str(folder / "p")], check=True)
    return [path.read_bytes() for path in sorted(folder.glob("p-*.png"))]


def texts(data: bytes, folder: Path) -> list[str]:
    """Each page's text as poppler reads it out, but for "•", read as "·": Noto Sans CJK draws the two with one
    glyph, and a font subset maps a glyph to the first character it was drawn for (WeasyPrint's ToUnicode), in
    the order its process met them."""
    folder.mkdir(exist_ok=True)
    (folder / "report.pdf").write_bytes(data)
    read = subprocess.run(["pdftotext", "-layout", str(folder / "report.pdf"), "-"], check=True, capture_output=True)
    return read.stdout.decode().replace("•", "·").split("\f")


@POPPLER
def test_a_report_laid_out_by_two_processes_looks_and_reads_page_for_page_as_one_laid_out_by_one(made, tmp_path):
    one, two = pngs(made[1], tmp_path / "one"), pngs(made[2], tmp_path / "two")
    assert len(one) == 48
    assert [n for n, (a, b) in enumerate(zip(one, two, strict=True)) if a != b] == []
    assert texts(made[2], tmp_path / "two") == texts(made[1], tmp_path / "one")


def marked_contents(reader: PdfReader) -> tuple[dict[str, int], list[tuple[int, int]], list[tuple[int, int]]]:
    """The structure tree read from its root: how many elements of each type; each marked content (page, its
    number) as the elements hold it, in the tree's order; and those the parent tree names another element for."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = root["/ParentTree"]["/Nums"]
    parent_tree = {nums[i]: nums[i + 1] for i in range(0, len(nums), 2)}
    page_numbers = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    counts: dict[str, int] = {}
    held, wrong = [], []
    stack = list(reversed(root["/K"]))
    while stack:
        reference = stack.pop()
        element = reference.get_object()
        counts[element["/S"]] = counts.get(element["/S"], 0) + 1
        kids = element.get("/K", [])
        kids = kids if isinstance(kids, list) else [kids]
        for kid in kids:
            if isinstance(kid, int):
                page = page_numbers[element.get("/Pg").idnum]  # .get: the reference, not the page
                held.append((page, kid))
                if parent_tree[reader.pages[page]["/StructParents"]][kid].idnum != reference.idnum:
                    wrong.append((page, kid))
        stack.extend(reversed([kid for kid in kids if isinstance(kid, IndirectObject)]))
    return counts, held, wrong


def test_a_report_laid_out_by_two_processes_has_the_outline_and_the_structure_tree_of_one_laid_out_by_one(made):
    one, two = PdfReader(io.BytesIO(made[1])), PdfReader(io.BytesIO(made[2]))
    assert pdf_outline(two) == pdf_outline(one) and len(pdf_outline(one)) > 40
    assert [page["/StructParents"] for page in two.pages] == list(range(48))
    counts, held, wrong = marked_contents(two)
    assert (counts, held) == marked_contents(one)[:2]
    assert counts["/Table"] > 10 and len(held) > 1000
    # Every marked content of every page is the element's that holds it, for a screen reader going either way.
    assert wrong == []


def font_names(reader: PdfReader) -> list[str]:
    """The base font of each font the pages use, once each."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font.indirect_reference.idnum] = str(font["/BaseFont"])
    return sorted(fonts.values())


def test_the_fonts_of_a_report_laid_out_by_two_processes_are_embedded_once_with_the_glyphs_of_both(made):
    one, two = PdfReader(io.BytesIO(made[1])), PdfReader(io.BytesIO(made[2]))
    assert font_names(two) == font_names(one) and len(font_names(one)) == 2  # the regular and the bold
    assert len(made[2]) < 1.02 * len(made[1])  # not a second subset of each (a third more for Taipei's texts)


@POPPLER
def test_a_process_whose_pages_draw_a_character_its_fonts_lack_embeds_subsets_of_its_own_each_under_its_own_tag(
    demo, tmp_path
):
    # WeasyPrint numbers such a glyph anew in each process (after the font's own glyphs): two processes' numbers
    # would clash in one subset, so the second process's pages keep subsets of their own. U+0378 is unassigned.
    Kpi.objects.filter(objective__map__organization__code="taipei", objective__map__year=2019, code="DP5.2").update(
        name=Concat("name", Value("\u0378"))
    )
    content = report_content("taipei", 2019, "D", access=SYSTEM, language="zh-hant")
    assert pages(content)[20].name == "kpi:DP5.1+DP5.2"  # in the second batch, the second process's
    one, two = pdf.render_pdf(content, processes=1), pdf.render_pdf(content, processes=2)
    names = font_names(PdfReader(io.BytesIO(two)))
    assert len(font_names(PdfReader(io.BytesIO(one)))) == 2 and len(names) == 4
    # A subset's six letters before "+" name that subset: a reader may take two subsets of one tag for one font.
    assert len({name.split("+")[0] for name in names}) == 4
    read = texts(two, tmp_path / "two")
    assert read == texts(one, tmp_path / "one") and "DP5.2 職業災害重大傷害百萬人率\u0378" in read[20]


def test_an_untagged_report_laid_out_by_two_processes_has_every_page_and_its_words(demo):
    content = report_content("taipei", 2019, "D", access=SYSTEM, language="zh-hant")
    reader = PdfReader(io.BytesIO(pdf.render_pdf(content, tagged=False, processes=2)))
    assert len(reader.pages) == len(pages(content)) and "/StructTreeRoot" not in reader.trailer["/Root"]
    assert "DP5.2 職業災害重大傷害百萬人率" in reader.pages[20].extract_text()  # the second process's


def test_the_progress_of_a_report_laid_out_by_two_processes_counts_the_pages_of_both(demo):
    content = report_content("taipei", 2019, "D", access=SYSTEM)
    told: list[tuple[int, int]] = []
    pdf.render_pdf(content, processes=2, progress=lambda done, total: told.append((done, total)))
    total = len(pages(content))
    assert told[0] == (0, total) and told[-1] == (total, total)
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    assert len(told) == 1 + -(-total // pdf.BATCH_PAGES)  # once at the start and once a batch, whoever laid it out


def failing(monkeypatch, failure) -> None:
    """The second process's share fails with ``failure`` before painting anything."""
    render = pdf._Share.render

    def render_or_fail(self, *args, **kwargs):
        if self.segment == 1:
            failure()
        return render(self, *args, **kwargs)

    monkeypatch.setattr(pdf._Share, "render", render_or_fail)


def test_a_failure_in_another_process_stops_the_report_with_its_reason(demo, monkeypatch):
    content = report_content("taipei", 2019, "D", access=SYSTEM)

    def fail() -> None:
        raise ValueError("a page that cannot be laid out")

    failing(monkeypatch, fail)
    with pytest.raises(RuntimeError, match="a process printing part of the report failed") as raised:
        pdf.render_pdf(content, processes=2)
    assert "ValueError: a page that cannot be laid out" in str(raised.value)


def test_a_process_that_dies_stops_the_report_and_says_how(demo, monkeypatch):
    content = report_content("taipei", 2019, "D", access=SYSTEM)
    failing(monkeypatch, lambda: os._exit(3))
    with pytest.raises(RuntimeError, match=r"a process printing part of the report stopped \(exit code 3\)"):
        pdf.render_pdf(content, processes=2)


def test_another_process_painting_pages_may_not_read_the_database(demo, monkeypatch):
    # Its connection is this process's (in a test, inside the test's transaction): a report's content is read
    # before its pages are printed, and a page that read more would read it behind the report's back.
    content = report_content("taipei", 2019, "D", access=SYSTEM)
    failing(monkeypatch, lambda: Organization.objects.count())
    with pytest.raises(RuntimeError, match="read the database while printed"):
        pdf.render_pdf(content, processes=2)
    assert Organization.objects.filter(code="taipei").exists()  # this process's connection still works


def test_reports_are_laid_out_by_as_many_processes_as_set_or_the_cores_at_most_two(monkeypatch):
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as in a worker (a test's may have live servers')
    cores = len(os.sched_getaffinity(0))
    with override_settings(STRATMAP_REPORT_PROCESSES=0):
        assert pdf.report_processes() == min(2, cores)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
        assert pdf.report_processes() == 2
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert pdf.report_processes() == 1
    with override_settings(STRATMAP_REPORT_PROCESSES=3):
        assert pdf.report_processes() == 3


def test_a_report_is_laid_out_by_one_process_while_another_thread_runs(monkeypatch):
    # A forked process has the forking thread only: a lock the other held at that moment would stay held.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with override_settings(STRATMAP_REPORT_PROCESSES=3):
            assert pdf.report_processes() == 1
    finally:
        stop.set()
        other.join()


def test_a_report_of_two_batches_is_laid_out_by_one_process(demo):
    # The first batch is laid out before another process is forked: with one batch left, it would only wait.
    content = report_content("ashcombe", 2024, None, access=SYSTEM, language="en")
    assert pdf.BATCH_PAGES < len(pages(content)) <= 2 * pdf.BATCH_PAGES
    assert len(font_names(PdfReader(io.BytesIO(pdf.render_pdf(content, processes=2))))) <= 2
