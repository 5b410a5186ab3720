"""A deck a mayor would present (issue 14 item 5): no empty shell slides, a real title on every slide, no text
under 12 pt outside the whole-city map, charts counting from zero; each deck rendered once per module."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER

from stratmap.access import SYSTEM
from stratmap.reports.deck import build_deck
from tests.helpers import NS, kpis_shown, named, part_xml, reopened, runs, saved, slide_text

#: Slides whose map of the whole organization is exempt from the 12 pt floor (issue 14: "except inside the
#: whole-city map").
WHOLE_MAPS = ("map", "next-map")
DECKS = {
    "taipei D zh-hant": ("taipei", 2019, "D", "zh-hant"),
    "taipei D en": ("taipei", 2019, "D", "en"),
    "council en": ("ashcombe", 2024, None, "en"),
}


@pytest.fixture
def decks(demo, rendered_once):
    """Taipei 108 theme D's deck in Chinese and English and the council's in English, read back from their files."""
    return {
        key: Presentation(
            io.BytesIO(
                rendered_once(key, lambda o=o, y=y, th=th, lang=lang: saved(build_deck(o, y, th, access=SYSTEM,
                                                                                        language=lang)))
            )
        )
        for key, (o, y, th, lang) in DECKS.items()
    }  # fmt: skip


def table_cells(slide) -> list[str]:
    return [
        cell.text_frame.text.strip()
        for shape in slide.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
        for cell in row.cells
    ]


#: What a KPI slide shows whatever the KPI's data: its labels, the marks of an unknown value, its notes.
FRAME = {"", "—", "不明", "unknown", "？不明", "? unknown", "創新度", "挑戰度", "貢獻度", "Innovation", "Challenge",
         "Contribution", "狀況分析", "對策說明", "Situation analysis", "Countermeasures"}  # fmt: skip
NOTES = ("資料不明", "Unknown:", "（負向指標）", "(lower is better)")


def test_no_kpi_slide_has_a_body_of_dashes_only(decks):
    for key, deck in decks.items():
        for slide in named(deck, "kpi:"):
            codes = tuple(f"{code} " for code in slide.name.removeprefix("kpi:").split("+"))
            texts = [
                shape.text_frame.text.strip()
                for shape in slide.shapes
                if shape.has_text_frame and shape != slide.shapes.title
            ] + table_cells(slide)
            shown = [text for text in texts if text not in FRAME and not text.startswith(NOTES + codes)]
            assert shown, (key, slide.name)  # a figure or something said, not dashes under a title


def test_kpis_without_target_actual_or_narratives_are_lines_of_one_table(decks):
    deck = decks["taipei D zh-hant"]
    names = [slide.name for slide in deck.slides]
    for code in ("DL1.1", "DF1.1", "DF2.1"):  # nothing to show in 108: no target, no actual, nothing said
        assert f"kpi:{code}" not in names
    (listing,) = named(deck, "no-results:")
    text = slide_text(listing)
    assert "108年度D組無成果資料之KPI" in text
    for code in ("DL1.1", "DF1.1", "DF2.1"):
        assert code in text
    assert "DP5.1" in kpis_shown(deck) and "DC1.1" in kpis_shown(deck)  # KPIs with results keep their slides
    english = slide_text(named(decks["taipei D en"], "no-results:")[0])
    assert "DF2.1" in english and "KPIs without results" in english


def test_the_next_years_objectives_with_nothing_to_show_have_no_page_of_dashes(decks):
    deck = decks["taipei D zh-hant"]
    for slide in named(deck, "objective:"):
        assert any(text for text in table_cells(slide)[1:] if text and text not in {"本組各機關"}) or any(
            shape.text_frame.text.strip() not in {"", "—"}
            for shape in slide.shapes
            if shape.has_text_frame and shape != slide.shapes.title
        ), slide.name
    names = [slide.name for slide in deck.slides]
    assert "objective:DL1" not in names and "objective:DF1" not in names  # no targets, goal, works or outcomes
    # Their action plans still have their months: DL1's and DF1's, a plan each, on one slide rather than two.
    (shared,) = named(deck, "grid:DL1+DF1")
    assert "grid:DL1:1" not in names and "grid:DF1:1" not in names
    assert shared.shapes.title.text_frame.text.startswith("DL1培育優秀人力、DF1覈實編列年度預算")
    cells = table_cells(shared)
    assert any(text.startswith("DL1.1.1 ") for text in cells) and any(text.startswith("DF1.1.1 ") for text in cells)


def test_every_slide_has_a_title_placeholder_with_text(decks):
    for key, deck in decks.items():
        for slide in deck.slides:
            title = slide.shapes.title
            assert title is not None, (key, slide.name)
            assert title.is_placeholder and title.placeholder_format.type in (
                PP_PLACEHOLDER.TITLE,
                PP_PLACEHOLDER.CENTER_TITLE,
            ), (key, slide.name)
            assert title.text_frame.text.strip(), (key, slide.name)


def test_no_text_is_under_12_pt_outside_the_whole_city_map(decks):
    for key, deck in decks.items():
        for slide in deck.slides:
            if slide.name in WHOLE_MAPS:
                continue
            for run in runs(slide.shapes):
                if run.text.strip():
                    assert run.font.size is not None and run.font.size.pt >= 12, (key, slide.name, run.text)
            for shape in slide.shapes:
                if shape.has_chart:
                    assert shape.chart.font.size.pt >= 12, (key, slide.name)


def test_every_chart_counts_from_zero(decks):
    charts = [
        (key, slide.name, shape.chart)
        for key, deck in decks.items()
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_chart
    ]
    assert len(charts) > 10
    for key, name, chart in charts:
        values = [v for plot in chart.plots for series in plot.series for v in series.values if v is not None]
        if values and min(values) >= 0:
            assert chart.value_axis.minimum_scale == 0, (key, name)


def test_two_kpis_of_little_text_share_a_slide_and_a_long_one_keeps_its_own(decks):
    deck = decks["taipei D zh-hant"]
    names = [slide.name for slide in deck.slides]
    # DP5.1 and DP5.2 say three lines or so each: one slide, each under its code and name, with its own chart
    (pair,) = named(deck, "kpi:DP5.1+DP5.2")
    text = slide_text(pair)
    assert "DP5.1 職業災害死亡百萬人率" in text and "DP5.2" in text and "85.1%" in text
    assert len([shape for shape in pair.shapes if shape.has_chart]) == 2
    assert "kpi:DP1.2" in names  # ten lines and more a narrative: a slide of its own
    # DP2.2's narratives are too long beside its chart at 12 pt: they follow on a slide of their own
    assert names.index("narratives:DP2.2") == names.index("kpi:DP2.2") + 1
    assert sorted(kpis_shown(deck)) == sorted(set(kpis_shown(deck)))  # each KPI shown once


def test_the_whole_city_map_is_followed_by_its_parts_readable_when_projected(demo):
    deck = reopened(build_deck("taipei", 2019, None, access=SYSTEM, language="en"))
    names = [slide.name for slide in deck.slides]
    parts = named(deck, "map:")
    assert names[names.index("map") + 1] == "map:1" and len(parts) > 3
    city = {code for code in slide_text(named(deck, "map")[0]).split() if re.fullmatch(r"[A-HT][CPLF]\d+", code)}
    shown = {code for slide in parts for code in slide_text(slide).split() if re.fullmatch(r"[A-HT][CPLF]\d+", code)}
    assert len(city) > 100 and shown == city  # every objective of the overview, readable on one of its parts
    for slide in parts + named(deck, "next-map:"):
        sizes = [run.font.size.pt for run in runs(slide.shapes) if run.text.strip()]
        assert min(sizes) >= 12, slide.name
    small = [run.font.size.pt for run in runs(named(deck, "map")[0].shapes) if run.text.strip()]
    assert min(small) < 12  # the overview stays whole, small, as a picture of the map
    # a theme's deck shows its theme readable on its linkage map instead
    assert not named(reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="en")), "map:")


def test_the_map_boxes_follow_the_layouts_lines_and_sizes(decks):
    (slide,) = named(decks["council en"], "map")
    boxes = {s.text_frame.text.split()[0]: s for s in slide.shapes if s.has_text_frame and s.text_frame.text[:2]
             in {"H1", "H2", "E1", "E2", "S1", "S2"}}  # fmt: skip
    assert boxes["H1"].text_frame.text == "H1 ▲ Amber\nIncrease the supply\nof affordable homes"
    # every box's name at one size: the layout's (H1, E1 and H2 were smaller than the others)
    names = {run.font.size.pt for s in boxes.values() for p in s.text_frame.paragraphs[1:] for run in p.runs}
    assert len(names) == 1


def test_the_deck_is_set_in_microsoft_jhenghei_with_its_east_asian_face(decks):
    deck = decks["taipei D zh-hant"]
    faces = {run.font.name for slide in deck.slides for run in runs(slide.shapes) if run.text.strip()}
    assert faces == {"Microsoft JhengHei"}
    (slide,) = named(deck, "summary")
    for run in part_xml(saved(deck), slide.part.partname).iterfind(".//a:r", NS):
        assert run.xpath("a:rPr/a:ea/@typeface", namespaces=NS) == ["Microsoft JhengHei"]


FONTS_CONF = Path(__file__).resolve().parent.parent / "stratmap" / "reports" / "fonts.conf"


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdffonts") and shutil.which("pdftoppm")),
                    reason="LibreOffice and poppler-utils are needed")  # fmt: skip
def test_libreoffice_draws_the_deck_with_noto_sans_cjk_through_the_fontconfig_alias(decks, tmp_path):
    path = tmp_path / "deck.pptx"
    decks["taipei D zh-hant"].save(str(path))
    env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180, env=env)  # fmt: skip
    fonts = subprocess.run(["pdffonts", str(tmp_path / "deck.pdf")], check=True, capture_output=True, text=True)
    faces = {line.split()[0].split("+")[-1] for line in fonts.stdout.splitlines()[2:]}
    assert faces and all(face.startswith("NotoSansCJK") for face in faces), faces  # no DejaVu Sans, no fallback
    subprocess.run(["pdftoppm", "-r", "30", "-f", "1", "-l", "4", "-png", str(tmp_path / "deck.pdf"),
                    str(tmp_path / "slide")], check=True)  # fmt: skip
    from PIL import Image

    for shot in sorted(tmp_path.glob("slide-*.png")):
        low, high = Image.open(shot).convert("L").getextrema()
        assert high - low > 100, shot


def test_english_titles_are_cut_by_their_width_not_at_forty_characters(decks):
    titles = [slide.shapes.title.text_frame.text for slide in decks["taipei D en"].slides]
    # Longer than the forty characters a Chinese title bar holds, and whole: the bar holds it at 20 pt or more.
    assert "DP3.1 Growth rate of the number of firms in technology parks" in titles
    assert "DC3 Improve startup services and the investment environment (Customer perspective)" in titles


def test_no_word_of_an_english_table_header_is_wider_than_its_column(decks):
    from stratmap.text import text_width

    for key in ("taipei D en", "council en"):
        for slide in decks[key].slides:
            for shape in slide.shapes:
                if not shape.has_table or slide.name in WHOLE_MAPS:
                    continue
                table = shape.table
                for i, cell in enumerate(table.rows[0].cells):
                    if cell._tc.get("hMerge") or not cell.text_frame.text.strip():
                        continue
                    span = int(cell._tc.get("gridSpan", 1))
                    inner = sum(table.columns[j].width for j in range(i, i + span)) / 12700 - 2 * 3.6  # pt, the margins
                    size = max((run.font.size.pt for p in cell.text_frame.paragraphs for run in p.runs), default=12)
                    for word in cell.text_frame.text.split():
                        assert text_width(word, size, bold=True) <= inner, (key, slide.name, word, inner)
