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


def test_a_few_years_are_all_named():
    assert all(pdf.history_chart(history(4), pair=True).years)
    assert all(pdf.history_chart(history(6)).years)


def test_each_years_value_is_a_point_of_the_chart():
    points = [*history(5)[:-1], YearPoint(2017, "X1.1", Decimal(105), None)]  # the last year has no actual yet
    svg = pdf.history_svg(points)
    dots = {
        colour: len(re.findall(r"M[\d.]+,[\d.]+h0", path))
        for path, colour in re.findall(r'<path d="([^"]*)" stroke="([^"]+)"', svg)
    }
    assert dots == {pdf.TARGET_COLOUR: 5, pdf.ACTUAL_COLOUR: 4}


@pytest.mark.parametrize(("org", "year", "language"), [("taipei", 2019, "zh-hant"), ("ashcombe", 2024, "en")])
def test_the_reports_html_is_well_formed_so_that_it_is_read_in_a_quarter_of_the_time(demo, org, year, language):
    from xml.etree import ElementTree

    from stratmap.reports.content import report_content

    content = report_content(org, year, None, access=SYSTEM, language=language)
    root = ElementTree.fromstring(pdf.report_html(content))  # as pdf.ReportHTML reads it, else the slow parser
    assert root.tag == "html" and len(root.findall(".//section")) > 10
