"""The Excel scorecard: a sheet per theme with rate and total formulas, a summary and the action plans."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from pptx import Presentation

from stratmap.access import SYSTEM
from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi
from stratmap.kpis.selectors import scorecard
from stratmap.reports.xlsx import ScorecardError, scorecard_workbook, theme_lines
from stratmap.strategy.models import StrategyMap, Theme
from tests.helpers import slide_text

HEADERS = [
    "構面",
    "策略目標",
    "代碼",
    "名稱",
    "單位",
    "目標值",
    "達成值",
    "達成度",
    "創新度",
    "挑戰度",
    "貢獻度",
    "總分(公布)",
    "總分(計算)",
    "燈號",
    "達標",
]
HEADER_ROW = 4


def reopened(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    """The workbook saved to bytes and read back with its formulas, as Excel would open it."""
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer, data_only=False)


def theme_sheet(wb: openpyxl.Workbook, code: str):
    (title,) = [t for t in wb.sheetnames if t.split()[0] == code]
    return wb[title]


def rows_by_code(ws) -> dict[str, dict[str, object]]:
    headers = [c.value for c in ws[HEADER_ROW]]
    out = {}
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        values = {h: c for h, c in zip(headers, row, strict=True)}
        if values["代碼"].value:
            out[values["代碼"].value] = values
    return out


@pytest.fixture
def book_108(demo):
    return reopened(scorecard_workbook("taipei", 2019, access=SYSTEM, language="zh-hant"))


def test_the_108_city_workbook_has_a_summary_a_sheet_per_theme_and_the_action_plans(book_108):
    themes = list(StrategyMap.objects.get(organization__code="taipei", year=2019).themes.order_by("order"))
    assert len(themes) == 8
    names = book_108.sheetnames
    assert names[0] == "總表" and names[-1] == "行動計畫"
    assert names[1:-1] == [f"{t.code} {t.name}" for t in themes]
    for title in names:
        assert len(title) <= 31 and not re.search(r"[\[\]:*?/\\]", title)


def test_theme_d_has_a_row_per_kpi_with_headers_frozen_filtered_and_in_the_cjk_font(book_108):
    ws = theme_sheet(book_108, "D")
    assert [c.value for c in ws[HEADER_ROW]] == HEADERS
    count = Kpi.objects.filter(objective__map__organization__code="taipei", objective__map__year=2019).count()
    assert count == 21
    assert len(rows_by_code(ws)) == 21
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert ws["D5"].font.name == "Noto Sans CJK TC"
    assert ws[f"A{HEADER_ROW}"].fill.fill_type == "solid"  # the header row stands out from the rows under it
    assert ws[f"A{HEADER_ROW + 1}"].fill.fill_type is None
    assert ws.column_dimensions["D"].width >= 30


def test_dp5_1_holds_its_values_light_and_the_negative_rate_and_policy_formulas(book_108):
    row = rows_by_code(theme_sheet(book_108, "D"))["DP5.1"]
    r = row["代碼"].row
    assert row["目標值"].value == 6 and row["達成值"].value == 7.05
    assert row["目標值"].number_format == "0.00"
    assert row["達成度"].value == f"=F{r}/G{r}*100"  # negative KPI: target / actual
    assert row["達成度"].number_format == "0.0"
    assert row["總分(計算)"].value == f"=0.25*MIN(H{r},100)+0.25*I{r}+0.30*J{r}+0.20*K{r}"
    assert row["總分(公布)"].value == 91
    assert row["燈號"].value == "●良"
    assert row["燈號"].font.color.rgb.endswith("0969DA")
    assert row["達標"].value == "否"


def test_a_positive_kpi_has_the_actual_over_target_formula(book_108):
    card = scorecard(organization="taipei", year=2019, theme="D", access=SYSTEM)
    positive = next(
        r.kpi.code
        for r in card.rows
        if r.kpi.polarity == "positive" and r.score.rate.percent is not None and r.kpi.target_type == "ratio"
    )
    row = rows_by_code(theme_sheet(book_108, "D"))[positive]
    r = row["代碼"].row
    assert row["達成度"].value == f"=G{r}/F{r}*100"


def test_the_computed_values_behind_the_formulas_are_in_the_python_lines(demo):
    lines = {line.code: line for line in theme_lines(scorecard(organization="taipei", year=2019, access=SYSTEM))["D"]}
    line = lines["DP5.1"]
    assert round(line.rate, 1) == Decimal("85.1")
    assert (line.target, line.actual) == (Decimal(6), Decimal("7.05"))
    expected = Decimal("0.25") * line.rate + Decimal("0.25") * 90 + Decimal("0.30") * 95 + Decimal("0.20") * 95
    assert line.total_computed == expected
    assert line.met == "否"
    unknown = [x for x in lines.values() if x.actual is None]
    assert unknown and all(x.met == "不明" and x.rate is None for x in unknown)


def test_an_unknown_kpi_has_an_empty_rate_and_an_unknown_light(book_108):
    lines = {line.code: line for line in theme_lines(scorecard(organization="taipei", year=2019, access=SYSTEM))["D"]}
    code = next(c for c, line in lines.items() if line.actual is None)
    row = rows_by_code(theme_sheet(book_108, "D"))[code]
    assert row["達成度"].value is None
    assert row["燈號"].value == "？不明"
    assert row["達標"].value == "不明"


def test_the_summary_counts_each_theme(book_108):
    ws = book_108["總表"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    d = rows["D"]
    assert d[1] == "優化產業勞動" and d[2] == 21
    assert d[5] == "DP5.1"
    assert rows["A"][2] == 0
    assert rows["合計"][2].startswith("=SUM(")


def test_the_109_action_plan_sheet_lists_bravo_with_its_tasks_and_unstated_months(demo):
    ws = reopened(scorecard_workbook("taipei", 2020, access=SYSTEM, language="zh-hant"))["行動計畫"]
    assert [c.value for c in ws[HEADER_ROW]][:5] == ["計畫代碼", "行動計畫", "主(協)辦機關", "工作項目", "1月"]
    assert [c.value for c in ws[HEADER_ROW]][-1] == "12月"
    start = next(r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 1).value == "DC1.2.1")
    assert ws.cell(start, 2).value == "Bravo職涯4年計畫"
    tasks = []
    r = start
    while r == start or (r <= ws.max_row and ws.cell(r, 1).value is None and ws.cell(r, 4).value):
        tasks.append(ws.cell(r, 4).value)
        r += 1
    assert "強化就業諮詢-推動終身職涯" in tasks and len(tasks) >= 3
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert f"E{start}:P{start}" in merged
    assert ws.cell(start, 5).value == "原始文件未載明月份進度"
    assert f"A{start}:A{r - 1}" in merged


def test_months_and_progress_become_marks(demo):
    from stratmap.plans.models import ActionPlan, TaskProgress

    plan = ActionPlan.objects.get(code="DC1.2.1", kpi__objective__map__year=2020)
    task = plan.tasks.order_by("order").first()
    task.months = [3, 4]
    task.save()
    ws = reopened(scorecard_workbook("taipei", 2020, access=SYSTEM, language="zh-hant"))["行動計畫"]
    start = next(r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 1).value == "DC1.2.1")
    assert [ws.cell(start, 4 + m).value for m in range(1, 13)] == [None, None, "■", "■", *([None] * 8)]
    # Progress is per task (issue 16): its marks go in the task's own row.
    TaskProgress.objects.create(task=task, month=3, planned=True, done="done")
    TaskProgress.objects.create(task=task, month=4, planned=True)
    ws = reopened(scorecard_workbook("taipei", 2020, access=SYSTEM, language="zh-hant"))["行動計畫"]
    assert (ws.cell(start, 7).value, ws.cell(start, 8).value) == ("✓", "○")


def test_a_map_without_kpis_still_gives_a_workbook(demo):
    organization = Organization.objects.get(code="taipei")
    smap = StrategyMap.objects.create(organization=organization, year=2030, in_force=True)
    Theme.objects.create(map=smap, code="Z", name="測試空白主題", order=1)
    wb = reopened(scorecard_workbook("taipei", 2030, access=SYSTEM, language="zh-hant"))
    assert wb.sheetnames == ["總表", "Z 測試空白主題", "行動計畫"]
    assert [c.value for c in wb["Z 測試空白主題"][HEADER_ROW]] == HEADERS


@pytest.mark.parametrize(("org", "year", "message"), [("nowhere", 2019, "no organization"), ("taipei", 2001, "no map")])
def test_unknown_organizations_and_years_are_refused_clearly(demo, org, year, message):
    with pytest.raises(ScorecardError, match=message):
        scorecard_workbook(org, year, access=SYSTEM, language="zh-hant")


def test_the_report_command_writes_the_scorecard_for_an_roc_or_ad_year(demo, tmp_path):
    for year in ("108", "2019"):
        out = tmp_path / f"scorecard-{year}.xlsx"
        call_command("report", "scorecard", "--org", "taipei", "--year", year, "-o", str(out), stdout=io.StringIO())
        wb = openpyxl.load_workbook(out)
        assert len(rows_by_code(theme_sheet(wb, "D"))) == 21


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "scorecard.pdf"], "must end in .xlsx for the scorecard report"),
        (["-o", "scorecard.pptx"], "must end in .xlsx"),
        (["--theme", "D", "-o", "scorecard.xlsx"], "--theme"),
    ],
)
def test_the_report_command_refuses_pdf_and_other_files(demo, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("report", "scorecard", "--org", "taipei", "--year", "108", *args)
    assert not list(tmp_path.iterdir())


def test_the_deck_kind_still_works(demo, tmp_path):
    out = tmp_path / "deck.pptx"
    call_command(
        "report", "deck", "--org", "taipei", "--year", "108", "--theme", "D", "-o", str(out), stdout=io.StringIO()
    )
    deck = Presentation(str(out))  # a deck PowerPoint opens, of theme D's 108 results
    assert any("優化產業勞動" in slide_text(slide) for slide in deck.slides)
