"""The leadership-camp deck: native slides, tables and charts built from the 108 theme-D data."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from pptx import Presentation
from pptx.enum.lang import MSO_LANGUAGE_ID

from stratmap.access import SYSTEM
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.reports.content import TITLE_MAX
from stratmap.reports.deck import DeckError, build_deck
from stratmap.strategy.models import StrategyMap, Theme
from stratmap.text import display_width
from tests.helpers import NS, kpis_shown, named, part_xml, reopened, runs, saved, showing, slide_text

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def result_108(code: str) -> KpiResult:
    return KpiResult.objects.get(kpi__code=code, kpi__objective__map__organization__code="taipei", year=2019)


@pytest.fixture
def deck_file(demo, rendered_once) -> bytes:
    """Theme D's 108 deck of the untouched demo, as the bytes of its .pptx file."""
    return rendered_once("deck D", lambda: saved(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant")))


@pytest.fixture
def deck(deck_file):
    """Theme D's 108 deck of the untouched demo, read back from its file."""
    return Presentation(io.BytesIO(deck_file))


def test_the_deck_is_16_by_9_with_cover_summary_scorecard_and_closing(deck):
    assert (round(deck.slide_width / 914400, 3), round(deck.slide_height / 914400, 3)) == (13.333, 7.5)
    names = [slide.name for slide in deck.slides]
    assert names[:5] == ["cover", "divider", "map", "linkage:D", "summary"]
    assert names[-1] == "closing"
    assert "簡報結束，敬請指教！" in slide_text(deck.slides[-1])
    cover = slide_text(deck.slides[0])
    for text in ("臺北市政府首長領航共識營", "108年度施政成果", "優化產業勞動（D）組", "民國108年"):
        assert text in cover


def test_there_is_one_slide_per_kpi_of_theme_d_with_results_and_one_table_of_those_without(deck):
    kpis = Kpi.objects.filter(
        objective__map__organization__code="taipei",
        objective__map__year=2019,
        objective__map__in_force=True,
        objective__theme__code="D",
    )
    assert kpis.count() == 21
    without = {"DL1.1", "DF1.1", "DF2.1"}  # no target, no actual, nothing said in 108
    assert sorted(kpis_shown(deck)) == sorted(k.code for k in kpis if k.code not in without)
    (listing,) = named(deck, "no-results:")
    assert all(code in slide_text(listing) for code in without)


def test_the_slide_of_dp5_1_shows_its_rate_and_light(deck):
    (slide,) = named(deck, "kpi:DP5.1")
    text = slide_text(slide)
    assert "85.1%" in text
    assert "●良" in text
    assert "DP5.1 職業災害死亡百萬人率" in text


def test_the_missed_kpi_has_a_slide_with_its_situation_analysis_and_countermeasures_verbatim(deck):
    result = result_108("DP5.1")
    assert result.situation_analysis and result.countermeasures
    (slide,) = named(deck, "missed:")
    assert slide.name == "missed:DP5.1"
    text = slide_text(slide)
    assert "狀況分析" in text and "對策說明" in text
    assert result.situation_analysis in text
    assert result.countermeasures in text


def test_the_summary_slide_counts_kpis_and_says_the_reports_sentence(deck):
    (slide,) = named(deck, "summary")
    text = slide_text(slide)
    assert "108年D組KPI除DP5.1外，其餘KPI已達成年度目標值" in text
    assert "顧客（C）" in text and "內部流程（P）" in text
    assert "本數據由兩年一次生技產業調查分析提供，108年無相關數據" in text  # DP3.3's reason


def test_chinese_strings_from_the_data_appear_verbatim(deck):
    everything = "\n".join(slide_text(slide) for slide in deck.slides)
    result = result_108("DC1.1")
    for text in ("臺北市政府", "優化產業勞動", "職業災害死亡百萬人率", "協助本市企業創新家數"):
        assert text in everything
    for note in (result.innovation_note, result.challenge_note, result.contribution_note):
        assert note and note in everything


def test_every_run_with_chinese_text_is_tagged_zh_tw_with_an_east_asian_typeface(deck, deck_file):
    chinese = [run for slide in deck.slides for run in runs(slide.shapes) if CJK.search(run.text)]
    assert len(chinese) > 100
    for run in chinese:
        assert run.font.language_id == MSO_LANGUAGE_ID.TRADITIONAL_CHINESE, run.text
        assert run.font.name == "Microsoft JhengHei", run.text  # 微軟正黑體, on every Windows PC
    # python-pptx has no API for a run's East Asian typeface or alternative language: read from the file
    in_file = [
        run
        for slide in deck.slides
        for run in part_xml(deck_file, slide.part.partname).iterfind(".//a:r", NS)
        if CJK.search(run.findtext("a:t", "", NS))
    ]
    assert len(in_file) == len(chinese)  # the same runs, every one of them
    for run in in_file:
        text = run.findtext("a:t", "", NS)
        assert run.xpath("a:rPr/@altLang", namespaces=NS) == ["en-US"], text
        assert run.xpath("a:rPr/a:ea/@typeface", namespaces=NS) == ["Microsoft JhengHei"], text


def test_the_tables_are_native_tables(deck):
    for name in ("summary", "scorecard:1", "kpi:DP5.1"):
        (slide,) = named(deck, name)
        assert any(shape.has_table for shape in slide.shapes), name
    (scorecard,) = named(deck, "scorecard:1")
    (table,) = [shape.table for shape in scorecard.shapes if shape.has_table]
    headers = [cell.text_frame.text for cell in table.rows[0].cells]
    assert headers == ["編號", "KPI名稱", "目標值", "達成值", "達成度", "創新度", "挑戰度", "貢獻度", "總分", "燈號"]
    assert len(table.rows) == 11  # ten KPIs a slide, the rest on the next slides
    assert len(named(deck, "scorecard:")) == 3


def test_the_history_chart_is_a_native_chart_in_chinese(deck, deck_file):
    (slide,) = named(deck, "kpi:DP1.2")
    (frame,) = [shape for shape in slide.shapes if shape.has_chart]
    chart = frame.chart
    assert [series.name for series in chart.plots[0].series] == ["目標值", "達成值"]
    assert len(list(chart.plots[0].categories)) > 1
    assert chart.font.language_id == MSO_LANGUAGE_ID.TRADITIONAL_CHINESE
    assert chart.font.name == "Microsoft JhengHei"
    # python-pptx has no API for the chart's East Asian typeface: read from the chart's part in the file
    chart_xml = part_xml(deck_file, frame.chart_part.partname)
    assert chart_xml.xpath("c:txPr//a:defRPr/a:ea/@typeface", namespaces=NS) == ["Microsoft JhengHei"]


def test_a_long_name_a_missing_actual_and_a_missing_result_still_give_a_deck(demo):
    long_name = "提升臺北市各行政區中小企業數位轉型與國際行銷能量之輔導成效暨青年就業媒合與職能培訓之整體滿意度指標" * 2
    Kpi.objects.filter(code="DC1.1", objective__map__year=2019).update(name=long_name)
    result_108("DC1.1").delete()
    KpiResult.objects.filter(pk=result_108("DC1.2").pk).update(actual=None, unknown_reason="資料尚未公布")
    deck = reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    (slide,) = showing(deck, "DC1.1")
    # its name cut with "…" (as its slide's title, or above its figures on a slide of two brief KPIs)
    title = next(s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text.startswith("DC1.1 "))
    assert display_width(title) <= TITLE_MAX and title.endswith("…")  # 40 Chinese characters, 80 letters
    assert "不明" in slide_text(slide)
    assert "資料不明：尚未填報成果" in slide_text(slide)  # "no result entered", in Chinese
    (slide,) = showing(deck, "DC1.2")
    assert "資料尚未公布" in slide_text(slide)
    assert "？不明" in slide_text(slide)


def test_a_theme_without_kpis_gives_a_short_deck(demo):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019, in_force=True)
    Theme.objects.create(map=smap, code="Z", name="測試空白主題", order=99)
    deck = reopened(build_deck("taipei", 2019, "Z", access=SYSTEM, language="zh-hant"))
    assert "測試空白主題（Z）組" in slide_text(deck.slides[0])
    assert not named(deck, "kpi:")
    assert "本組無KPI" in slide_text(named(deck, "summary")[0])


def test_the_whole_map_gives_a_deck_too(demo):
    deck = reopened(build_deck("taipei", 2019, None, access=SYSTEM, language="zh-hant"))
    assert "優化產業勞動" not in slide_text(deck.slides[0])
    assert "108年KPI除DP5.1外" in slide_text(named(deck, "summary")[0])
    assert len(kpis_shown(deck)) == 18  # 21, of which 3 without results are lines of a table


@pytest.mark.parametrize(
    ("org", "year", "theme", "message"),
    [
        ("nowhere", 2019, None, "no organization"),
        ("taipei", 2001, None, "no map in force"),
        ("taipei", 2019, "Q", "no theme"),
    ],
)
def test_unknown_organizations_years_and_themes_are_refused_clearly(demo, org, year, theme, message):
    with pytest.raises(DeckError, match=message):
        build_deck(org, year, theme, access=SYSTEM, language="zh-hant")


def test_the_report_command_writes_the_deck_for_an_roc_year(demo, tmp_path):
    out = tmp_path / "deck.pptx"
    call_command("report", "deck", "--org", "taipei", "--year", "108", "--theme", "D", "-o", str(out))
    deck = Presentation(str(out))
    assert len(kpis_shown(deck)) == 18  # 21, of which 3 without results are lines of a table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "taipei", "--year", "108", "-o", "deck.txt"], "must end in .pptx or .pdf"),
        (["--org", "nowhere", "--year", "108", "-o", "deck.pptx"], "no organization"),
        (["--org", "taipei", "--year", "abc", "-o", "deck.pptx"], "--year"),
        (["--org", "taipei", "--year", "90", "-o", "deck.pptx"], "no map in force"),
        (["--org", "taipei", "--year", "108", "--theme", "Q", "-o", "deck.pptx"], "no theme"),
    ],
)
def test_the_report_command_refuses_bad_input_clearly(demo, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("report", "deck", *args)


def test_a_long_english_kpi_name_is_cut_after_a_whole_word(demo):
    kpi = Kpi.objects.get(code="DC1.1", objective__map__year=2019, objective__map__organization__code="taipei")
    name = (
        "Share of residents registered with the city's employment services who found a job within three months, "
        "by district"
    )
    kpi.i18n = {**(kpi.i18n or {}), "name_en": name}
    kpi.save(update_fields=["i18n"])
    deck = reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="en"))
    (slide,) = showing(deck, "DC1.1")
    shown = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s != slide.shapes.title]
    title = next(text for text in shown if text.startswith("DC1.1 "))  # its slide's title, or its name on a pair's
    kept = title.removesuffix("…")
    assert kept != title and len(kept) > 40  # cut, but not at the forty characters of a Chinese title
    assert f"DC1.1 {name}".startswith(kept) and f"DC1.1 {name}"[len(kept)] == " "  # after a whole word
