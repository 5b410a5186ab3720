"""The report PDF for a screen reader (issue 17, item 4): tagged (its structure tree, as WeasyPrint's
``pdf_tags`` writes it, built page by page in the batched painter), with its language and title, its bookmarks
as before; untagged on request, WeasyPrint's own file byte for byte."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from pypdf import PdfReader

from stratmap.access import SYSTEM
from stratmap.reports import pdf
from stratmap.reports.content import pages, report_content

pytestmark = pytest.mark.django_db


def structure(reader: PdfReader) -> Counter[str]:
    """How many structure elements of each type (``/P``, ``/Table``, ``/TH`` …) the file's tree holds."""
    found: Counter[str] = Counter()
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]["/K"]]
    while stack:
        item = stack.pop()
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and item.get("/Type") == "/StructElem":
            found[item["/S"]] += 1
            stack.append(item.get("/K", []))
    return found


@pytest.mark.parametrize(
    ("org", "year", "theme", "language", "lang"),
    [("taipei", 2019, "D", "zh-hant", "zh-Hant-TW"), ("ashcombe", 2024, None, "en", "en")],
)
def test_the_report_pdf_is_tagged_with_its_language_title_and_bookmarks(demo, org, year, theme, language, lang):
    content = report_content(org, year, theme, access=SYSTEM, language=language)
    reader = PdfReader(io.BytesIO(pdf.render_pdf(content)))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])  # a PDF boolean, true
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == lang
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    title = reader.metadata.title
    assert title and content.title in title
    assert all(page["/StructParents"] == n for n, page in enumerate(reader.pages))
    assert len(reader.pages) == len(pages(content))
    assert reader.outline, "the bookmarks, as before"
    tree = structure(reader)
    assert tree["/Document"] == 1 and tree["/P"] > 10 and tree["/Table"] >= 1 and tree["/Figure"] >= 1


@pytest.mark.parametrize("processes", [1, 2])
def test_the_batched_painter_tags_the_report_as_weasyprint_s_own_tagged_writer_does(demo, processes):
    # The tree is built page by page as each batch is painted: it holds the same elements as the one WeasyPrint
    # builds of the whole document at the end (here over four batches of 20 pages, in one process or shared out
    # between two, whose trees are merged).
    content = report_content("taipei", 2019, None, access=SYSTEM, language="zh-hant")
    assert len(pages(content)) > 3 * pdf.BATCH_PAGES
    ours = PdfReader(io.BytesIO(pdf.render_pdf(content, processes=processes)))
    document = pdf.pdf_document(content)
    document.metadata.lang = "zh-Hant-TW"
    theirs = PdfReader(io.BytesIO(document.write_pdf(pdf_tags=True)))
    assert structure(ours) == structure(theirs)
    assert [p.extract_text() for p in ours.pages[:3]] == [p.extract_text() for p in theirs.pages[:3]]


def test_untagged_the_batched_painter_still_writes_weasyprint_s_own_file(demo, monkeypatch):
    content = report_content("ashcombe", 2024, None, access=SYSTEM, language="en")
    ours = pdf.render_pdf(content, tagged=False, processes=1)
    monkeypatch.setattr(pdf, "DEFLATE_LEVEL", 9)  # pydyf's: byte for byte WeasyPrint's own file
    theirs = pdf.pdf_document(content).write_pdf()
    assert pdf.render_pdf(content, tagged=False, processes=1) == theirs
    # deflated less hard, the same file read back: the same pages and words
    assert [page.extract_text() for page in PdfReader(io.BytesIO(ours)).pages] == [
        page.extract_text() for page in PdfReader(io.BytesIO(theirs)).pages
    ]
