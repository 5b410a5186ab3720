"""The invented council shipped beside Taipei (stratmap/data/ashcombe): its own lights, years and points
on every surface.

Ashcombe District Council is made up (its files say so): an April–March year read "2024/25", a
Red/Amber/Green key of its own (● Green ▲ Amber ■ Red ? N/A ◇ Data only) rated by achievement bands
(met; missed by at most 5 %; missed by more), objectives lit by their weighted score, weighted
priorities and objectives (weights declared to add up to 100), one perspective in 2024/25 and none in
2023/24, lower-is-better, milestone, baseline-relative and range KPIs, and data-only measures.
"""

from __future__ import annotations

import io
import json
import re
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from pptx import Presentation
from pypdf import PdfReader

from stratmap.access import SYSTEM
from stratmap.reports.content import report_content
from stratmap.reports.deck import build_deck
from stratmap.reports.pdf import build_pdf, report_html
from stratmap.reports.xlsx import scorecard_workbook
from tests.helpers import saved, slide_text

MAP = "/en/ashcombe/2024"
#: Each of the council's lights as a page draws it: colour, symbol and name.
GREEN = '<span class="light light-green" style="color: #00703c"><span aria-hidden="true">●</span> Green</span>'
AMBER = '<span class="light light-amber" style="color: #8a5300"><span aria-hidden="true">▲</span> Amber</span>'
RED = '<span class="light light-red" style="color: #c4261d"><span aria-hidden="true">■</span> Red</span>'
#: The 2024/25 lights of its KPIs: met, within 5 % of the target, further.
LIGHTS_2024 = {
    "H1.1": "green",  # 214 homes of 200
    "H1.2": "red",  # 51 of 60: 15 % short
    "H2.1": "amber",  # 113 households, at most 110 wanted: lower is better, 2.7 % over
    "H2.2": "data_only",
    "E1.1": "amber",  # 470 kg, 465 wanted
    "E1.2": "green",
    "E2.1": "red",  # stage 50 of the 60 targeted: 83.3 %
    "S1.1": "red",  # from 20 days towards 10, reached 12: 80 %
    "S1.2": "amber",
    "S2.1": "green",  # within the range −1 to 1
    "S2.2": "green",
    "S2.3": "not_available",  # the survey was postponed
    "S2.4": "data_only",
}


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_councils_scorecard_shows_its_own_lights_with_symbol_name_and_colour(demo, client):
    text = page(client, f"{MAP}/scorecard/")
    for light in (GREEN, AMBER, RED):
        assert light in text
    assert '<span aria-hidden="true">◇</span> Data only' in text
    assert '<span aria-hidden="true">?</span> N/A' in text
    assert "★" not in text and "優" not in text  # none of Taipei's lights
    chinese = page(client, "/ashcombe/2024/scorecard/")
    assert '<span aria-hidden="true">●</span> 綠' in chinese and "#00703c" in chinese


def test_the_councils_pages_name_its_year_2024_25_in_both_languages(demo, client):
    for url in (f"{MAP}/", f"{MAP}/scorecard/", f"{MAP}/kpis/E2.1/", "/ashcombe/2024/", "/ashcombe/2024/kpis/S1.1/"):
        assert "2024/25" in page(client, url), url
    assert "民國113年" not in page(client, "/ashcombe/2024/")


def test_the_councils_scorecard_shows_its_weighted_points_of_objectives_and_priorities(demo, client):
    text = page(client, f"{MAP}/scorecard/")
    # H1: H1.1 at 100 weighs 2, H1.2 at 85 weighs 1: 95.00, 19 of its 20 points, 5 % short: amber.
    assert '<td class="n">20</td><td class="n">95.00</td><td class="n">19 of 20</td><td>' + AMBER in text
    # E2: the Local Plan at stage 50 of 60: 83.33, 12.5 of 15: red.
    assert '<td class="n">15</td><td class="n">83.33</td><td class="n">12.5 of 15</td><td>' + RED in text
    # Priority H weighs its KPIs (H1.1 twice): (2 × 100 + 85 + 97.35) / 4 = 95.59, of its 35 points.
    assert '<td class="n">35</td><td class="n">95.59</td><td class="n">33.46 of 35</td>' in text


def test_the_councils_kpi_pages_show_milestone_baseline_range_and_data_only_measures(demo, client):
    assert "83.3" in page(client, f"{MAP}/kpis/E2.1/")
    assert "80.0" in page(client, f"{MAP}/kpis/S1.1/")
    assert GREEN in page(client, f"{MAP}/kpis/S2.1/")
    assert AMBER in page(client, f"{MAP}/kpis/H2.1/")
    assert "Data only" in page(client, f"{MAP}/kpis/H2.2/")


def test_the_councils_first_year_without_perspectives_reads_2023_24(demo, client):
    text = page(client, "/en/ashcombe/2023/scorecard/")
    assert "2023/24" in text and GREEN in text and RED in text


def test_the_score_command_gives_the_councils_method_and_lights(demo):
    out = StringIO()
    call_command("score", org="ashcombe", year="2024", format="json", stdout=out)
    data = json.loads(out.getvalue())
    text = json.dumps(data, ensure_ascii=False)
    assert "bands" in text and "ashcombe-rag" in text
    table = StringIO()
    call_command("score", org="ashcombe", year="2024", language="en", stdout=table)
    lines = {line.split()[0]: line for line in table.getvalue().splitlines() if line[:1] and line[0] in "HES"}
    names = {
        "green": "● Green",
        "amber": "▲ Amber",
        "red": "■ Red",
        "data_only": "◇ Data only",
        "not_available": "? N/A",
    }
    for code, light in LIGHTS_2024.items():
        assert names[light] in lines[code], (code, lines[code])
    assert "2024/25" in table.getvalue()


@pytest.fixture
def deck(demo, rendered_once):
    return Presentation(
        io.BytesIO(
            rendered_once(
                "council deck", lambda: saved(build_deck("ashcombe", 2024, access=SYSTEM, language="zh-hant"))
            )
        )
    )


def test_the_councils_deck_shows_its_lights_and_year(deck):
    text = "\n".join(slide_text(slide) for slide in deck.slides)
    assert "2024/25" in text
    for code, light in (("H1.1", "●綠"), ("H1.2", "■紅"), ("H2.1", "▲黃"), ("H2.2", "◇僅供監測")):
        assert any(code in line and light in line for line in text.splitlines()), code
    assert "★" not in text


def test_the_councils_pdf_prints_its_lights_and_year(demo, rendered_once):
    html = report_html(report_content("ashcombe", 2024, "H", access=SYSTEM))
    assert "#00703c" in html and "#c4261d" in html and "2024/25" in html
    pdf = PdfReader(
        io.BytesIO(rendered_once("council pdf", lambda: build_pdf("ashcombe", 2024, "H", access=SYSTEM, language="en")))
    )
    assert len(pdf.pages) > 3
    assert "2024/25" in pdf.pages[0].extract_text()


def test_the_councils_workbook_counts_its_own_lights(demo):
    book = io.BytesIO()
    scorecard_workbook("ashcombe", 2024, access=SYSTEM, language="zh-hant").save(book)
    sheet = openpyxl.load_workbook(io.BytesIO(book.getvalue())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "2024/25" in rows[0][0]
    header = next(row for row in rows if row[0] == "主題")
    assert {"●綠", "▲黃", "■紅", "?無資料", "◇僅供監測"} <= set(header)
    theme_h = next(row for row in rows if row[0] == "H")
    counts = dict(zip(header, theme_h, strict=True))
    assert (counts["●綠"], counts["▲黃"], counts["■紅"], counts["◇僅供監測"]) == (1, 1, 1, 1)


def test_the_councils_deck_cover_names_the_council_without_taipeis_occasion(deck):
    cover = slide_text(deck.slides[0])
    assert cover.splitlines()[0] == "艾施康區議會"  # its name alone: its map gives no occasion
    assert "首長領航共識營" not in cover


def test_a_year_made_of_its_quarters_reads_as_their_sum_in_the_kpis_history(demo, client):
    page = client.get("/en/ashcombe/2024/kpis/H1.1/").content.decode()
    history = page[page.index('<th scope="col">year</th>') :]
    row = re.search(r"<tr><th[^>]*>2024/25</th>(.*?)</tr>", history, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    assert [c.strip() for c in cells] == ["H1.1", "200", "214"]  # 48 + 55 + 52 + 59: no yearly row, its quarters
