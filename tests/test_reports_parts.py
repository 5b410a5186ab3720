"""The deck's maps and part 2, the PDF twin, the downloads and the benchmark, from the Taipei demo."""

from __future__ import annotations

import io
import itertools
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from stratmap.access import SYSTEM
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.plans.models import PlanTask
from stratmap.reports.content import TITLE_MAX, KpiPage, KpiPairPage, ReportContent, pages, report_content
from stratmap.reports.deck import build_deck, fitted_size, render_deck
from stratmap.reports.pdf import build_pdf
from stratmap.strategy.models import Objective, StrategyMap, Theme
from stratmap.text import display_width
from tests.helpers import NS, kpis_shown, multiply, named, part_xml, reopened, saved, slide_text
from tests.helpers import page as web_page

SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


@pytest.fixture
def deck(demo, rendered_once):
    """Theme D's 108 deck of the untouched demo, read back from its file."""
    return Presentation(
        io.BytesIO(
            rendered_once("deck D", lambda: saved(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant")))
        )
    )


@pytest.fixture
def pdf(demo, rendered_once):
    """Theme D's 108 PDF of the untouched demo."""
    return PdfReader(
        io.BytesIO(rendered_once("pdf D", lambda: build_pdf("taipei", 2019, "D", access=SYSTEM, language="zh-hant")))
    )


def shape_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


# --- part 1: maps as native shapes ----------------------------------------------------------------


def test_the_city_map_slide_has_a_native_box_for_every_objective_of_the_108_map(deck):
    (slide,) = named(deck, "map")
    texts = shape_texts(slide)
    codes = list(
        Objective.objects.filter(map__organization__code="taipei", map__year=2019, map__in_force=True).values_list(
            "code", flat=True
        )
    )
    assert len(codes) > 100
    for code in codes:
        assert any(text.split()[:1] == [code] for text in texts), code
    assert "D 優化產業勞動" in texts
    assert MSO_SHAPE_TYPE.PICTURE not in {shape.shape_type for shape in slide.shapes}  # shapes, not a picture
    box = next(text for text in texts if text.startswith("DC1 "))
    # as the map's layout has it: code and light on one line (the objective's worst known light), the name below
    assert box == "DC1 ● 良\n促進充分就業"


def test_the_linkage_map_shows_theme_d_objectives_by_perspective_with_their_kpis_and_lights(deck):
    (slide,) = named(deck, "linkage:D")
    text = slide_text(slide)
    assert "優化產業勞動108年關聯圖" in text
    for words in (
        "顧客\nC",
        "內部流程\nP",
        "DC1 促進充分就業",
        "DP5.1 職業災害死亡百萬人率 ●良",
        "DP3.3 生技企業營收成長率 ？不明",
    ):
        assert words in text, words


def test_cause_and_effect_links_are_drawn_as_arrows_on_both_maps(demo):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019, in_force=True)
    dc1, dp1 = (Objective.objects.get(map=smap, code=code) for code in ("DC1", "DP1"))
    smap.links.create(source=dp1, target=dc1)
    pptx = saved(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    deck = Presentation(io.BytesIO(pptx))
    for name, kind in (("map", MSO_SHAPE_TYPE.FREEFORM), ("linkage:D", MSO_SHAPE_TYPE.LINE)):
        (slide,) = named(deck, name)
        (arrow,) = [shape for shape in slide.shapes if shape.shape_type == kind]  # the map's one link
        # python-pptx has no API for a line's ends: the arrowhead is read from the slide as the file has it
        (drawn,) = part_xml(pptx, slide.part.partname).xpath(f".//p:cNvPr[@id='{arrow.shape_id}']/../..", namespaces=NS)
        assert drawn.xpath("p:spPr/a:ln/a:tailEnd/@type", namespaces=NS) == ["triangle"], name
    (slide,) = named(deck, "map")
    (arrow,) = [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.FREEFORM]
    for code in ("DC1", "DP1"):  # on the map, it runs from the one box to the other
        (box,) = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text.split()[:1] == [code]]
        assert arrow.left <= box.left + box.width and box.left <= arrow.left + arrow.width, code
        assert arrow.top <= box.top + box.height and box.top <= arrow.top + arrow.height, code


# --- part 2: the next year's map ------------------------------------------------------------------


def test_part_two_follows_the_document_from_the_109_map(deck):
    names = [slide.name for slide in deck.slides]
    start = names.index("next-map")
    assert names[start - 1] == "divider" and "109年度D組主要任務" in slide_text(deck.slides[start - 1])
    assert names[start + 1 :][:4] == ["plans-table:1", "plans-table:2", "revision-counts", "changes:1"]
    assert "objective:DC1" in names and "grid:DC1:1" in names
    assert names[-1] == "closing"
    assert "109修正內容" in slide_text(deck.slides[0]).replace("年", "")


def test_the_plans_table_lists_objectives_ksfs_kpis_plans_and_agencies(deck):
    text = "\n".join(slide_text(s) for s in named(deck, "plans-table:"))
    for words in ("DC1 促進充分就業", "開發友善企業並提供就業諮詢及轉銜就業管道", "DC1.1 失業率", "勞動局", "產業局",
                  "DP5.1 職業災害死亡百萬人率"):  # fmt: skip
        assert words in text, words


def test_the_revision_count_table_is_shown_as_printed_with_the_changes_and_their_reasons(deck):
    (counts,) = named(deck, "revision-counts")
    tables = [shape.table for shape in counts.shapes if shape.has_table]
    rows = [[cell.text_frame.text for cell in row.cells] for row in tables[0].rows]
    assert rows[1] == ["顧客構面", "3", "3", "5", "5", "8", "7(-1)"]
    assert rows[4] == ["財務構面", "2", "2(-1)", "2", "1(-1)", "2", "1(-1)"]
    assert rows[5] == ["合計", "11", "10", "21", "20", "27", "25"]
    (changes,) = named(deck, "changes:")
    text = slide_text(changes)
    assert "原「DC1.3.1青年就業力覺醒行動4年計畫」，修正為「DC1.3.1青年就業力行動4年計畫」。" in text
    reason = "經評估本項KPI係配合臺北市生技產業調查研究分析，無法每年取得數據"
    assert reason in text and "刪除KPI" in text and "本組各機關" in text


def test_each_objective_shows_its_kpis_targets_for_three_years_and_agencies(deck):
    (slide,) = named(deck, "objective:DC2")
    (grid,) = [shape.table for shape in slide.shapes if shape.has_table]
    rows = [[cell.text_frame.text for cell in row.cells] for row in grid.rows]
    assert rows[0] == ["關鍵績效指標(KPI)", "109年目標值", "110年目標值", "111年目標值", "相關局處"]
    assert rows[1] == ["DC2.1 協助本市企業創新家數", "545", "550", "555", "產業局"]
    assert "以創新驅動臺北市產業發展" in slide_text(slide)  # the vision goal


def test_the_12_month_grid_marks_the_months_and_says_when_the_source_gave_none(demo):
    task = PlanTask.objects.filter(plan__code="DC1.2.1", plan__kpi__objective__map__year=2020).order_by("order")[0]
    task.months = [3, 4, 5]
    task.save()
    deck = reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    (slide,) = named(deck, "grid:DC1:")
    (grid,) = [shape.table for shape in slide.shapes if shape.has_table]
    rows = [[cell.text_frame.text for cell in row.cells] for row in grid.rows]
    assert rows[0][1:] == [f"{m}月" for m in range(1, 13)]
    marked = next(row for row in rows if row[0].strip() == task.name)
    assert [m for m, cell in enumerate(marked[1:], start=1) if cell == "■"] == [3, 4, 5]
    assert any("原始文件未載明月份進度" in row for row in rows)
    assert any(row[0].startswith("DC1.2.1 Bravo職涯4年計畫") for row in rows)


def test_without_a_next_years_map_there_is_no_part_two(demo):
    deck = reopened(build_deck("taipei", 2021, None, access=SYSTEM, language="zh-hant"))  # the demo has no 111 map
    names = [slide.name for slide in deck.slides]
    assert "next-map" not in names and names.count("divider") == 1
    assert "修正內容" not in slide_text(deck.slides[0])


def test_text_sizes_shrink_to_fit_their_box_and_stop_at_the_smallest(demo):
    assert fitted_size("短", 3, 1, 20) == 20
    long = "職業災害死亡百萬人率" * 40
    small = fitted_size(long, 3, 1, 20)
    assert 7 <= small < 20
    assert fitted_size(long * 10, 3, 1, 20) == 7


def test_the_report_reads_the_same_number_of_queries_for_ten_times_the_kpis(demo):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            render_deck(report_content("taipei", 2019, "D", access=SYSTEM))
        return len(captured)

    before = queries()
    multiply(10)
    assert queries() == before


# --- the PDF ---------------------------------------------------------------------------------------


def test_the_pdf_has_a_landscape_a4_page_per_slide(demo, pdf):
    content = report_content("taipei", 2019, "D", access=SYSTEM)
    assert len(pdf.pages) == len(pages(content)) == len(render_deck(content).slides)
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points


def test_the_pdf_shows_dp5_1_with_its_rate_light_and_chinese_text_verbatim(pdf):
    texts = [page.extract_text() for page in pdf.pages]
    text = "\n".join(texts)
    dp51 = next(text for text in texts if text.startswith("DP5.1 職業災害死亡百萬人率"))
    assert "85.1%" in dp51 and "●良" in dp51
    for words in ("臺北市政府首長領航共識營", "108年D組KPI除DP5.1外，其餘KPI已達成年度目標值", "簡報結束，敬請指教！",
                  "原始文件未載明月份進度", "7(-1)"):  # fmt: skip
        assert words in text, words


def test_the_pdf_embeds_only_noto_sans_cjk_so_chinese_has_real_glyphs(pdf):
    fonts = set()
    for page in pdf.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("NotoSansCJK" in name.replace("-", "") for name in fonts), fonts


def test_the_pdf_embeds_the_map_and_the_charts_as_svg_images(demo):
    from stratmap.reports.pdf import report_html

    html = report_html(report_content("taipei", 2019, "D", access=SYSTEM))
    assert html.count('class="map" src="data:image/svg+xml;base64,') == 2  # 108 and 109
    chart = '<div class="chart"><p class="title">歷年目標值與達成值</p><img src="data:image/svg+xml;base64,'
    assert html.count(chart) >= 10


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def charts(content: ReportContent, pdf: PdfReader) -> dict[str, tuple[list[float], list[float]]]:
    """Each history chart of the PDF by its KPI's code: the values it plots, and the labels of its value
    axis as the page's text gives them."""
    found = {}
    for shown, printed in zip(pages(content), pdf.pages, strict=True):
        kpis = list(shown.kpis) if isinstance(shown, KpiPairPage) else [shown] if isinstance(shown, KpiPage) else []
        drawn = [kpi for kpi in kpis if len(content.histories[kpi.row.kpi.pk]) >= 2]  # a single year draws no chart
        # a page of two brief KPIs has two charts, in their order
        for kpi, below in zip(drawn, printed.extract_text().split("歷年目標值與達成值\n")[1:], strict=True):
            history = content.histories[kpi.row.kpi.pk]
            values = [float(v) for point in history for v in (point.target, point.actual) if v is not None]
            # the title, the years and the legend are the page's text; the axis's labels are the image's, after them
            lines = below.splitlines()
            after_legend = lines[next(i for i, line in enumerate(lines) if line.startswith("●")) + 1 :]
            axis = [float(label) for label in itertools.takewhile(is_number, after_legend)]
            found[kpi.row.kpi.code] = (values, axis)
    return found


def is_round(step: float) -> bool:
    """1, 2, 2.5 or 5 times a power of ten."""
    return any(math.isclose(step / 10 ** math.floor(math.log10(step)), m) for m in (1, 2, 2.5, 5))


def test_the_pdf_charts_count_from_zero_in_even_round_steps(demo, pdf):
    found = charts(report_content("taipei", 2019, "D", access=SYSTEM), pdf)
    assert len(found) >= 10
    for code, (values, axis) in found.items():
        steps = {round(b - a, 9) for a, b in itertools.pairwise(axis)}
        assert len(steps) == 1 and is_round(step := steps.pop()), (code, axis)
        assert all(math.isclose(label / step, round(label / step)) for label in axis), (code, axis)
        assert axis[0] <= min(0, *values) < axis[0] + step, (code, values, axis)  # from zero, no empty step
        assert axis[-2] < max(0, *values), (code, values, axis)  # no empty step above the values either
        assert 3 <= len(axis) <= 7, (code, axis)
    assert found["DP5.1"][1] == [0, 2, 4, 6, 8]  # 108: 6.00 and 7.05; 109-111: lower targets


def test_the_pdf_charts_axis_reaches_the_largest_value(demo, pdf):
    found = charts(report_content("taipei", 2019, "D", access=SYSTEM), pdf)
    short = {code: (max(values), axis[-1]) for code, (values, axis) in found.items() if axis[-1] < max(values)}
    assert short == {}


def test_a_long_name_a_missing_actual_and_an_empty_theme_still_give_a_clean_pdf(demo):
    long_name = "提升臺北市各行政區中小企業數位轉型與國際行銷能量之輔導成效暨青年就業媒合與職能培訓之整體滿意度指標" * 3
    Kpi.objects.filter(code="DC1.1", objective__map__year=2019).update(name=long_name)
    KpiResult.objects.filter(kpi__code="DC1.2", year=2019).update(actual=None, unknown_reason="資料尚未公布")
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019, in_force=True)
    Theme.objects.create(map=smap, code="Z", name="測試空白主題", order=99)
    reader = PdfReader(io.BytesIO(build_pdf("taipei", 2019, "D", access=SYSTEM, language="zh-hant")))
    texts = [page.extract_text() for page in reader.pages]
    assert "資料尚未公布" in "".join(texts)
    # its name cut with "…" (as its page's title, or above its figures on a page of two brief KPIs, notes after it)
    title = next(line for text in texts for line in text.splitlines() if line.startswith("DC1.1 ") and "…" in line)
    assert display_width(title) <= TITLE_MAX and title.endswith("…")  # 40 Chinese characters, 80 letters
    empty = PdfReader(io.BytesIO(build_pdf("taipei", 2019, "Z", access=SYSTEM, language="zh-hant")))
    assert "本組無KPI" in "".join(page.extract_text() for page in empty.pages)


needs_pdftoppm = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) not installed")


@needs_pdftoppm
def test_pdf_pages_turn_into_pngs_that_are_not_blank(demo, tmp_path):
    from PIL import Image

    path = tmp_path / "report.pdf"
    path.write_bytes(build_pdf("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SHOTS.glob("report-pdf-*.png"):  # a longer report's pages of an earlier run
        stale.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(SHOTS / "report-pdf")], check=True)
    shots = sorted(SHOTS.glob("report-pdf-*.png"))
    assert len(shots) == len(PdfReader(str(path)).pages)
    for shot in shots:
        image = Image.open(shot).convert("L")
        assert image.size[0] > image.size[1]  # landscape
        low, high = image.getextrema()
        assert high - low > 100, shot  # something drawn, not an empty page


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed on this machine")
def test_libreoffice_opens_the_deck_with_every_slide(demo, tmp_path):
    path = tmp_path / "report.pptx"
    build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant").save(path)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    reader = PdfReader(str(tmp_path / "report.pdf"))
    assert len(reader.pages) == len(Presentation(str(path)).slides)
    assert "職業災害死亡百萬人率" in "".join(page.extract_text() for page in reader.pages)


# --- the command and the downloads ------------------------------------------------------------------


def test_the_report_command_writes_a_pdf_when_asked_for_one(demo, tmp_path):
    out = tmp_path / "deck.pdf"
    call_command("report", "deck", "--org", "taipei", "--year", "108", "--theme", "D", "-o", str(out),
                 stdout=io.StringIO())  # fmt: skip
    assert out.read_bytes().startswith(b"%PDF")
    assert len(PdfReader(str(out)).pages) > 40


def download(client, name: str, query: str = "", year: int = 2019):
    """The file, as a person gets it: a deck is first prepared (a POST; tests make it at once)."""
    url = reverse(f"web:{name}", args=["taipei", str(year - 1911)]) + query  # the page's own address: ROC
    if name != "scorecard-xlsx":
        client.post(url)
    response = client.get(url)
    if response.streaming:  # a made deck is served from its file
        streamed, response = response, HttpResponse(b"".join(response.streaming_content), status=response.status_code)
        for header, value in streamed.items():
            response[header] = value
    return response


def test_the_theme_and_map_pages_offer_the_downloads(demo, client):
    year = "108"  # a map's addresses write its year as its organization types it (StrategyMap.url_year)
    theme = client.get(reverse("web:theme", args=["taipei", year, "D"])).content.decode()
    assert reverse("web:report-pptx", args=["taipei", year]) + "?theme=D" in theme
    assert reverse("web:report-pdf", args=["taipei", year]) + "?theme=D" in theme
    whole = client.get(reverse("web:map", args=["taipei", year])).content.decode()
    for name in ("report-pptx", "report-pdf", "scorecard-xlsx"):
        assert reverse(f"web:{name}", args=["taipei", year]) in whole
    scorecard = client.get(reverse("web:scorecard", args=["taipei", year])).content.decode()
    assert reverse("web:scorecard-xlsx", args=["taipei", year]) in scorecard


def test_the_downloads_are_the_reports(demo, client):
    response = download(client, "report-pptx", "?theme=D")
    assert response["Content-Disposition"] == 'attachment; filename="taipei-2019-D-report.pptx"'
    deck = Presentation(io.BytesIO(response.content))
    assert len(kpis_shown(deck)) == 18  # and 3 KPIs without results on one slide
    response = download(client, "report-pdf", "?theme=D")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    response = download(client, "scorecard-xlsx")
    assert response.content[:2] == b"PK"
    assert download(client, "report-pptx", "?theme=Q").status_code == 404


def test_the_public_download_has_published_results_only(demo, client, people):
    KpiResult.objects.filter(kpi__code="DP5.1", year=2019).update(status=KpiResult.Status.DRAFT)
    public = Presentation(io.BytesIO(download(client, "report-pptx", "?theme=D").content))
    (slide,) = named(public, "kpi:DP5.1")
    assert "85.1%" not in slide_text(slide) and "不明" in slide_text(slide)
    client.force_login(people["viewer"])
    inside = Presentation(io.BytesIO(download(client, "report-pptx", "?theme=D").content))
    (slide,) = named(inside, "kpi:DP5.1")
    assert "85.1%" in slide_text(slide)


def test_an_unpublished_next_years_map_is_left_out_of_the_publics_deck(demo, client, people):
    StrategyMap.objects.filter(organization__code="taipei", year=2020).update(published=False)
    public = Presentation(io.BytesIO(download(client, "report-pptx", "?theme=D").content))
    assert not named(public, "next-map") and "109" not in slide_text(public.slides[0])
    client.force_login(people["viewer"])
    inside = Presentation(io.BytesIO(download(client, "report-pptx", "?theme=D").content))
    assert named(inside, "next-map")


def test_an_unpublished_map_cannot_be_downloaded_by_the_public(demo, client):
    StrategyMap.objects.filter(organization__code="taipei", year=2019).update(published=False)
    for name in ("report-pptx", "report-pdf", "scorecard-xlsx"):
        assert download(client, name).status_code == 404, name


def test_the_benchmarks_full_city_gives_every_theme_a_copy_of_theme_d(demo, tmp_path):
    from importlib import import_module

    from stratmap.exchange.loader import load_paths

    bench = import_module("stratmap.reports.management.commands.benchmark-reports")
    files = bench.full_city_files("taipei", [2019, 2020], "D", tmp_path)
    assert [f.name for f in files] == ["taipei-2019.yaml", "taipei-2020.yaml"]
    load_paths(files, replace=True)  # every theme replaced by a copy of D
    a_kpis = Kpi.objects.filter(objective__map__year=2019, objective__map__in_force=True, objective__theme__code="A")
    assert sorted(a_kpis.values_list("code", flat=True)) == sorted(
        "A" + code[1:]
        for code in Kpi.objects.filter(
            objective__map__year=2019, objective__map__in_force=True, objective__theme__code="D"
        ).values_list("code", flat=True)
    )
    content = report_content("taipei", 2019, access=SYSTEM)
    every = pages(content)
    shown = [kpi for p in every for kpi in (p.kpis if isinstance(p, KpiPairPage) else [p]) if isinstance(kpi, KpiPage)]
    assert len(shown) == 8 * 18  # D has 21 KPIs, 3 without results
    # 40 unknown KPIs do not fit the summary: they get pages of their own, the summary says so
    assert [p.name for p in every if p.kind == "unknown"] == ["unknown:1", "unknown:2", "unknown:3"]
    deck = reopened(render_deck(content))
    (summary,) = named(deck, "summary")
    assert "資料不明之KPI共40項，其原因詳後頁" in slide_text(summary)
    # nothing runs off its slide, whatever the amount of text
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (slide.name, shape.name)
            assert shape.left + shape.width <= deck.slide_width + 12700, (slide.name, shape.name)
            assert shape.top + shape.height <= deck.slide_height, (slide.name, shape.name)


def test_the_engines_reasons_for_an_unknown_kpi_are_shown_in_the_pages_language(demo, client):
    KpiResult.objects.filter(kpi__code="DC1.1", year=2019).update(actual=None, unknown_reason="")
    zh = web_page(client, "web:kpi", ["taipei", 2019, "DC1.1"], language="zh-hant")  # not the last test's
    assert "無達成值" in zh and "no actual" not in zh
    en = web_page(client, "web:kpi", ["taipei", 2019, "DC1.1"], language="en")
    assert "no actual" in en
    deck = reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    (slide,) = named(deck, "kpi:DC1.1")
    assert "資料不明：無達成值" in slide_text(slide)
