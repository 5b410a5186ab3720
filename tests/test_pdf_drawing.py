"""What the PDF report draws, as a reader sees it: the month grid's marks in their months, a chart's years
where its points are and never run into each other, its points as dots (issue 13's cheaper drawing)."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from decimal import Decimal
from html import unescape

import pytest

from stratmap.access import SYSTEM
from stratmap.kpis.selectors import YearPoint
from stratmap.plans.models import PlanTask
from stratmap.reports import pdf
from stratmap.text import text_width

needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")


def words(data: bytes, tmp_path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (x min, y min, x max, y max, in points), as pdftotext finds them."""
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        found = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        )
        pages.append([(unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in found])
    return pages


@needs_pdftotext
def test_every_mark_of_the_month_grid_sits_in_the_middle_of_its_month(demo, tmp_path):
    tasks = PlanTask.objects.filter(plan__code="DC1.2.1", plan__kpi__objective__map__year=2020).order_by("order")
    first, second = tasks[0], tasks[1]
    first.months, second.months = [3, 4, 5, 9], [12]
    first.save()
    second.save()
    pages = words(pdf.build_pdf("taipei", 2019, "D", access=SYSTEM, language="zh-hant"), tmp_path)
    (grid,) = [page for page in pages if any(w[0] == first.name for w in page) and any(w[0] == "12月" for w in page)]
    months = {int(w[0][:-1]): (w[1] + w[3]) / 2 for w in grid if re.fullmatch(r"\d{1,2}月", w[0])}
    assert sorted(months) == list(range(1, 13))
    pitch = months[2] - months[1]
    for task, expected in ((first, [3, 4, 5, 9]), (second, [12])):
        (row,) = [w for w in grid if w[0] == task.name]
        marks = [(w[1] + w[3]) / 2 for w in grid if "■" in w[0] and abs(w[2] - row[2]) < 3]
        assert len(marks) == len(expected), task.name
        for centre, month in zip(sorted(marks), expected, strict=True):
            # in the middle of its month's column, to a tenth of a month
            assert abs(centre - months[month]) < pitch / 10, (task.name, month, centre, months[month])


def history(years: int) -> list[YearPoint]:
    return [YearPoint(2013 + i, "X1.1", Decimal(100 + i), Decimal(99 + i)) for i in range(years)]


def test_a_dozen_years_in_half_a_page_are_named_every_third_with_the_reports_own_year_always():
    chart = pdf.history_chart(history(12), pair=True)
    named = [i for i, year in enumerate(chart.years) if year]
    assert named == [2, 5, 8, 11]
    assert chart.years[11] == "113年"


@pytest.mark.parametrize("pair", [True, False])
@pytest.mark.parametrize("alone", [True, False])
@pytest.mark.parametrize("years", [2, 5, 8, 12, 20])
def test_the_years_named_under_a_chart_never_run_into_each_other(pair, alone, years):
    chart = pdf.history_chart(history(years), pair=pair, alone=alone)
    width, size = pdf.CHART_PLACES[pair, alone]
    part = width * (pdf.PLOT[1] - pdf.PLOT[0]) / pdf.CHART_W / years  # mm of the plot's width a year
    named = [i for i, year in enumerate(chart.years) if year]
    assert named[-1] == years - 1
    for a, b in itertools.pairwise(named):
        room = (b - a) * part
        widest = max(text_width(chart.years[a], size), text_width(chart.years[b], size)) * pdf.MM_PER_PT
        assert room >= widest, (years, a, b)


@needs_pdftotext
@pytest.mark.parametrize(("kind", "years"), [("kpi-pair", 12), ("kpi-pair", 3), ("kpi", 12), ("kpi", 7)])
def test_each_year_named_under_a_chart_is_centred_on_its_point(demo, tmp_path, kind, years):
    from stratmap.reports.content import narratives, pages, report_content

    content = report_content("taipei", 2019, None, access=SYSTEM)
    page = next(page for page in pages(content) if page.kind == kind and not getattr(page, "said_apart", False))
    halves = getattr(page, "kpis", [page])
    for half in halves:  # the years up to the report's, 108年
        content.histories[half.row.kpi.pk] = [
            YearPoint(2019 - years + 1 + i, "X1.1", Decimal(100 + i), Decimal(99 + i)) for i in range(years)
        ]
    data = pdf._report_html_class()(string=pdf.report_html(content, [page])).write_pdf()
    (found,) = words(data, tmp_path)
    titles = [w for w in found if w[0] == pdf.c.t("Targets and actuals over the years")]
    assert len(titles) == len(halves)
    for title, half in zip(titles, halves, strict=True):
        width = pdf.CHART_PLACES[kind == "kpi-pair", not narratives(half.row, content.assessed)][0] / pdf.MM_PER_PT
        left = (title[1] + title[3]) / 2 - width / 2  # the title is centred over the chart (in points)
        named = [w for w in found if re.fullmatch(r"\d+年", w[0]) and 0 < w[2] - title[4] < width]  # under it
        assert named and named[-1][0] == "108年"
        for word in named:
            i = int(word[0][:-1]) - (108 - years + 1)
            point = left + width * (pdf.PLOT[0] + (pdf.PLOT[1] - pdf.PLOT[0]) * (i + 0.5) / years) / pdf.CHART_W
            assert abs((word[1] + word[3]) / 2 - point) < 0.5, (word, point)


def test_the_pdfs_outline_names_its_pages_and_kpis_not_each_columns_label(demo):
    import io
    from xml.etree import ElementTree

    from pypdf import PdfReader

    from stratmap.reports.content import report_content

    content = report_content("taipei", 2019, "D", access=SYSTEM)
    root = ElementTree.fromstring(pdf.report_html(content))
    headings = {"".join(h.itertext()) for h in root.iter("h1")}
    kpis = {"".join(h.itertext()) for h in root.iter("h2") if h.get("class") == "kpi-name"}
    columns = [div for div in root.iter("div") if div.get("class") == "columns"]
    labels = {"".join(h.itertext()) for div in columns for h in div.iter("h2")}
    assert labels and kpis and not labels & (headings | kpis)

    def titles(items: list) -> list[str]:
        return [t for item in items for t in (titles(item) if isinstance(item, list) else [item.title])]

    outline = titles(PdfReader(io.BytesIO(pdf.render_pdf(content))).outline)
    assert headings <= set(outline) and kpis <= set(outline)
    assert not labels & set(outline)  # 創新度, 挑戰度 … were each an entry, a thousand and more for a city


def test_a_few_years_are_all_named():
    assert all(pdf.history_chart(history(4), pair=True).years)
    assert all(pdf.history_chart(history(6)).years)


def test_each_years_value_is_a_point_of_the_chart():
    points = [*history(5)[:-1], YearPoint(2017, "X1.1", Decimal(105), None)]  # the last year has no actual yet
    svg = pdf.history_svg(points)
    dots = {
        colour: len(re.findall(r"M[\d.]+,[\d.]+h0", path))
        for path, colour in re.findall(r'<path d="([^"]*)" stroke="([^"]+)" stroke-width="7"', svg)
    }
    assert dots == {pdf.TARGET_COLOUR: 5, pdf.ACTUAL_COLOUR: 4}


@pytest.mark.parametrize(("org", "year", "language"), [("taipei", 2019, "zh-hant"), ("ashcombe", 2024, "en")])
def test_the_reports_html_is_well_formed_so_that_it_is_read_in_a_quarter_of_the_time(demo, org, year, language):
    from xml.etree import ElementTree

    from stratmap.reports.content import report_content

    content = report_content(org, year, None, access=SYSTEM, language=language)
    root = ElementTree.fromstring(pdf.report_html(content))  # as pdf.ReportHTML reads it, else the slow parser
    assert root.tag == "html" and len(root.findall(".//section")) > 10
