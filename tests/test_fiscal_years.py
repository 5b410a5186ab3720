"""Fiscal years and year labels per organization (issue 12, items 5 and 7): the year engine
(stratmap.core.years), the organization's year and kind in the dataset format, and every surface that
names a year — pages, the deck, the PDF, the workbooks, the score command, the administration — for an
organization whose year runs from April and reads "2019/20". Taipei's own output is proved unchanged by
the tests of each surface (test_web_pages, test_reports_*, test_workbook, test_scoring_108 …)."""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import sys
import typing
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from stratmap.access import SYSTEM
from stratmap.core.models import Organization
from stratmap.core.years import (
    AD_MAX,
    AD_MIN,
    TAIPEI_YEARS,
    Period,
    Unit,
    YearError,
    YearLabel,
    YearStyle,
    format_year,
)
from stratmap.exchange.dumper import dump_organizations, map_document, to_yaml
from stratmap.exchange.loader import load_paths
from stratmap.exchange.schema import OrgKind, YearLabelIn
from stratmap.exchange.workbook.columns import ABOUT
from stratmap.kpis.models import Kpi, KpiTarget
from stratmap.plans.models import ActionPlan
from stratmap.reports.content import report_content
from stratmap.reports.deck import build_deck
from stratmap.reports.pdf import report_html
from stratmap.reports.xlsx import HEADER_ROW, scorecard_workbook
from stratmap.revisions.services import rolled_title
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import ENTRY, MISSED, fill, load_errors, named, problems, reopened, slide_text, upload, write

APRIL_SPAN = YearStyle(4, YearLabel.SPAN)
STYLES = st.builds(YearStyle, st.integers(1, 12), st.sampled_from(list(YearLabel)))
#: Years whose neighbours are years too (a fiscal year may end in the next).
YEARS = st.integers(AD_MIN + 1, AD_MAX - 1)
LANGUAGES = st.sampled_from(["zh-hant", "en"])
ROC_LABEL = re.compile(r"民國\d+年")


# --- the engine: labels -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "language", "label"),
    [
        (TAIPEI_YEARS, "zh-hant", "民國108年"),
        (TAIPEI_YEARS, "en", "2019"),
        (YearStyle(4, YearLabel.CALENDAR), "en", "2019"),
        (YearStyle(4, YearLabel.SPAN), "en", "2019/20"),
        (YearStyle(4, YearLabel.SPAN), "zh-hant", "2019/20"),
        (YearStyle(4, YearLabel.FY_END), "en", "FY2020"),
        (YearStyle(7, YearLabel.SPAN), "en", "2019/20"),
        (YearStyle(1, YearLabel.SPAN), "en", "2019"),
        (YearStyle(1, YearLabel.FY_END), "en", "FY2019"),
        (YearStyle(4, YearLabel.ROC), "en", "2019/20"),
        (YearStyle(4, YearLabel.ROC), "zh-hant", "民國108年"),
    ],
)
def test_a_fiscal_year_stored_as_the_year_it_starts_in_reads_as_its_style_names_it(style, language, label):
    assert style.label(2019, language) == label
    assert format_year(2019, language, style) == label


def test_a_year_shown_without_a_style_reads_as_taipeis_as_it_always_has():
    assert format_year(2019, "zh-hant") == "民國108年" and format_year(2019, "en") == "2019"
    assert TAIPEI_YEARS == YearStyle(1, YearLabel.ROC)


@pytest.mark.parametrize(
    ("style", "period", "language", "label"),
    [
        (TAIPEI_YEARS, Period(2024, Unit.QUARTER, 3), "en", "2024 Q3"),
        (TAIPEI_YEARS, Period(2024, Unit.QUARTER, 3), "zh-hant", "113年第3季"),
        (YearStyle(4, YearLabel.FY_END), Period(2024, Unit.QUARTER, 3), "en", "FY2025 Q3"),
        (YearStyle(4, YearLabel.SPAN), Period(2024, Unit.QUARTER, 3), "en", "2024/25 Q3"),
        (YearStyle(4, YearLabel.SPAN), Period(2024, Unit.QUARTER, 3), "zh-hant", "2024/25年第3季"),
        (TAIPEI_YEARS, Period(2024, Unit.HALF, 1), "zh-hant", "113年上半年"),
        (YearStyle(4, YearLabel.SPAN), Period(2024, Unit.HALF, 2), "en", "2024/25 H2"),
        (TAIPEI_YEARS, Period(2024, Unit.MONTH, 5), "zh-hant", "113年5月"),
        # The first month of an April year is April; a month reads by its calendar name.
        (YearStyle(4, YearLabel.SPAN), Period(2024, Unit.MONTH, 1), "en", "Apr 2024"),
        (YearStyle(4, YearLabel.SPAN), Period(2024, Unit.MONTH, 10), "en", "Jan 2025"),
        (YearStyle(4, YearLabel.FY_END), Period(2024, Unit.YEAR), "en", "FY2025"),
    ],
)
def test_periods_read_as_their_organization_names_its_year(style, period, language, label):
    assert style.period_label(period, language) == label


def test_the_first_quarter_of_an_april_year_is_april_to_june_and_january_is_in_its_fourth():
    assert APRIL_SPAN.months_of(Period(2024, Unit.QUARTER, 1)) == [(2024, 4), (2024, 5), (2024, 6)]
    assert APRIL_SPAN.quarter_of(2025, 1) == (2024, 4)
    assert APRIL_SPAN.half_of(2024, 9) == (2024, 1) and APRIL_SPAN.half_of(2024, 10) == (2024, 2)
    assert APRIL_SPAN.months(2024)[0] == (2024, 4) and APRIL_SPAN.months(2024)[-1] == (2025, 3)
    assert TAIPEI_YEARS.quarter_of(2024, 7) == (2024, 3)


def test_period_keys_name_fiscal_quarters_and_halves_and_calendar_months():
    assert [APRIL_SPAN.period_key(p) for p in APRIL_SPAN.periods(2024, Unit.QUARTER)] == [
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
    ]
    months = [APRIL_SPAN.period_key(p) for p in APRIL_SPAN.periods(2024, "month")]
    assert months[0] == "2024-04" and months[-1] == "2025-03"
    assert APRIL_SPAN.parse_period("2025-01", Unit.MONTH) == Period(2024, Unit.MONTH, 10)
    assert TAIPEI_YEARS.parse_period("113-Q3") == Period(2024, Unit.QUARTER, 3)  # years as everywhere: ROC too


@pytest.mark.parametrize(
    ("key", "unit", "expected"),
    [
        ("2024-Q5", Unit.QUARTER, "'2024-Q5' is not a quarter; expected 2024-Q1 … 2024-Q4"),
        ("2024-H3", None, "'2024-H3' is not a half; expected 2024-H1 … 2024-H2"),
        ("2024-05", Unit.QUARTER, "'2024-05' is a month, not a quarter; expected a quarter such as 2024-Q3"),
        ("2024-Q2", Unit.MONTH, "'2024-Q2' is a quarter, not a month; expected a month such as 2024-05"),
        ("2024-13", Unit.MONTH, "'2024-13' is not a month; expected a month 01–12"),
        ("Q3", None, "'Q3' is not a period; expected 2024, 2024-H1, 2024-Q3 or 2024-05"),
        ("9999-Q1", None, "'9999' is out of range; expected an ROC year"),
    ],
)
def test_a_period_key_that_does_not_fit_is_refused_naming_the_key_and_what_was_expected(key, unit, expected):
    with pytest.raises(YearError) as refused:
        APRIL_SPAN.parse_period(key, unit)
    assert str(refused.value).startswith(expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0,), "0 is not a month; expected the month a year starts in, 1–12"),
        ((13,), "13 is not a month; expected the month a year starts in, 1–12"),
        ((4, "academic"), "'academic' is not a way to name years; expected one of roc, calendar, span, fy_end"),
    ],
)
def test_a_year_style_outside_its_choices_is_refused_with_what_was_expected(args, expected):
    with pytest.raises(YearError, match=re.escape(expected)):
        YearStyle(*args)


@pytest.mark.parametrize(
    ("style", "typed", "year"),
    [
        (APRIL_SPAN, "2019/20", 2019),
        (APRIL_SPAN, "2019/2020", 2019),
        (YearStyle(4, YearLabel.FY_END), "FY2020", 2019),
        (YearStyle(1, YearLabel.FY_END), "FY2020", 2020),
        (APRIL_SPAN, "108", 2019),
        (APRIL_SPAN, "2019", 2019),
        (TAIPEI_YEARS, "民國108年", 2019),
    ],
)
def test_a_year_typed_as_a_number_or_as_its_label_reads_as_the_year_it_starts_in(style, typed, year):
    assert style.parse(typed) == year


@pytest.mark.parametrize(("style", "typed"), [(APRIL_SPAN, "2019/21"), (TAIPEI_YEARS, "2019/20"), (APRIL_SPAN, "x")])
def test_a_label_of_no_year_of_the_style_is_refused(style, typed):
    with pytest.raises(YearError, match="expected"):
        style.parse(typed)


# --- the engine: properties -----------------------------------------------------------------------


@given(style=STYLES, year=YEARS)
def test_every_month_of_a_fiscal_year_falls_in_exactly_one_quarter_and_one_half_of_it(style, year):
    months = style.months(year)
    assert len(set(months)) == 12
    assert months[0] == (year, style.start_month)
    for (y, m), (next_y, next_m) in itertools.pairwise(months):  # consecutive calendar months
        assert (next_y, next_m) == ((y, m + 1) if m < 12 else (y + 1, 1))
    for unit in (Unit.QUARTER, Unit.HALF, Unit.MONTH):
        periods = style.periods(year, unit)
        covered = [month for period in periods for month in style.months_of(period)]
        assert covered == months  # the periods cut the year into its months, each month once, in order
        for y, m in months:
            (holding,) = [p for p in periods if (y, m) in style.months_of(p)]
            assert style.period_of(y, m, unit) == holding and style.year_of(y, m) == year
    for i, (y, m) in enumerate(months):
        assert style.quarter_of(y, m) == (year, i // 3 + 1)
        assert style.half_of(y, m) == (year, i // 6 + 1)


@given(style=STYLES, year=YEARS, language=LANGUAGES)
def test_every_label_of_a_year_reads_back_as_that_year(style, year, language):
    assert style.parse(style.label(year, language)) == year
    assert style.parse(style.typed(year)) == year


@given(style=STYLES, year=YEARS, unit=st.sampled_from(list(Unit)))
def test_every_period_key_reads_back_as_that_period(style, year, unit):
    for period in style.periods(year, unit):
        assert style.parse_period(style.period_key(period), unit) == period


def test_the_year_engine_stays_pure_and_needs_django_only_for_the_active_language():
    code = (
        "import sys; from stratmap.core import years as y; "
        "s = y.YearStyle(4, 'span'); s.label(2019, 'en'); s.period_label(y.Period(2019, 'quarter', 3), 'zh-hant'); "
        "print('django' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


# --- the organization, its kinds and the dataset format ---------------------------------------------


def test_the_dataset_format_takes_exactly_the_organization_kinds_and_year_labels_of_the_model():
    assert typing.get_args(OrgKind) == tuple(Organization.Kind.values)
    assert typing.get_args(YearLabelIn) == tuple(Organization.YearLabels.values) == tuple(YearLabel)


COUNCIL = """\
format: stratmap/1
organizations:
  # An invented council, for these tests only.
  - code: shire
    name: Shire District Council
    kind: council
    year_start_month: 4
    year_label: span
  - code: shire-housing
    name: Housing Department
    kind: department
    parent: shire
    year_start_month: 4
    year_label: fy_end
"""


def test_an_organization_of_any_kind_with_an_april_year_loads_and_dumps_back(db, tmp_path):
    load_paths([write(tmp_path, COUNCIL, "organizations.yaml")])
    shire = Organization.objects.get(code="shire")
    assert (shire.kind, shire.year_start_month, shire.year_label) == ("council", 4, "span")
    assert shire.year_style == APRIL_SPAN
    assert Organization.objects.get(code="shire-housing").parent == shire
    dumped = dump_organizations(["shire", "shire-housing"])
    assert "year_start_month: 4" in dumped and "year_label: span" in dumped and "year_label: fy_end" in dumped
    before = row_counts()
    load_paths([write(tmp_path, dumped, "again.yaml")])
    assert row_counts() == before


def test_taipeis_organizations_dump_without_year_keys_as_before(demo):
    dumped = dump_organizations(["taipei"])
    assert "year_" not in dumped
    assert Organization.objects.get(code="taipei").year_style == TAIPEI_YEARS


def organization(**keys: object) -> str:
    lines = "".join(f"    {key}: {value}\n" for key, value in keys.items())
    return f"format: stratmap/1\norganizations:\n  - code: shire\n    name: Shire District Council\n{lines}"


@pytest.mark.parametrize(
    ("keys", "path", "value", "expected"),
    [
        (
            {"kind": "council", "year_start_month": 13},
            "organizations[0].year_start_month",
            "13",
            "a month 1–12: the month the organization's year starts in",
        ),
        ({"kind": "council", "year_start_month": 0}, "organizations[0].year_start_month", "0", "a month 1–12"),
        ({"kind": "council", "year_start_month": "'4'"}, "organizations[0].year_start_month", "'4'", "valid integer"),
        (
            {"kind": "council", "year_label": "academic"},
            "organizations[0].year_label",
            "'academic'",
            "'roc', 'calendar', 'span' or 'fy_end'",
        ),
        ({"kind": "university"}, "organizations[0].kind", "'university'", "'council', 'ministry', 'department'"),
    ],
)
def test_a_bad_year_or_kind_of_an_organization_is_refused_naming_file_path_value_and_expected(
    db, tmp_path, keys, path, value, expected
):
    before = row_counts()
    file = write(tmp_path, organization(**keys), "organizations.yaml")
    (error,) = load_errors(file)
    assert error.startswith(f"{file}: {path}: got {value}; ") and expected in error
    assert row_counts() == before and not Organization.objects.filter(code="shire").exists()


# --- a Taipei whose year runs from April and reads 2019/20: every surface ------------------------------


@pytest.fixture
def april_years(demo):
    """Every organization of the demo keeps its years from April, named 2019/20."""
    Organization.objects.update(year_start_month=4, year_label=YearLabel.SPAN)


def test_a_map_of_an_organization_whose_years_are_not_roc_years_dumps_ad_years_and_loads_back(april_years, tmp_path):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020, in_force=True)
    data = map_document(smap, access=SYSTEM)
    assert data["year"] == 2020 and data["revisions"]["compared_to"] == 2019
    kpi = next(k for o in data["themes"][3]["objectives"] for k in o.get("kpis", []) if k["code"] == "DP5.1")
    assert set(kpi["targets"]) >= {2020} and all(year > 1911 for year in kpi["targets"])
    before = row_counts()
    load_paths([write(tmp_path, to_yaml(data))])
    assert row_counts() == before


#: The pages of a map, for an administrator, with the year each must name (the TOWS are 產業局's 110 map);
#: its addresses write the AD year in both languages, as the organization now types its years.
PAGES = [
    ("/taipei/2020/", "2020/21"),
    ("/taipei/2020/themes/D/", "2020/21"),
    ("/taipei/2020/scorecard/", "2020/21"),
    ("/taipei/2020/kpis/DP5.1/", "2019/20"),  # its history, as well as its year
    ("/taipei/2020/plans/", "2020/21"),
    ("/taipei-doed/2021/tows/", "2021/22"),
    ("/taipei/2020/cascade/", "2020/21"),
    ("/taipei/2020/revisions/", "2019/20 → 2020/21"),
    ("/taipei/2020/kpis/DP5.1/result/", "2020/21"),
    ("/taipei/2020/plans/DC1.2.1/progress/", "2020/21"),
    ("/taipei/2020/revise/", "2020/21"),
    ("/taipei/2020/workbook/", "2020/21"),
    ("/taipei/2020/report.pdf", "2020/21"),
    ("/", "2020/21"),
]


@pytest.mark.parametrize("language", ["", "/en"])
@pytest.mark.parametrize(("path", "label"), PAGES)
def test_every_page_of_a_map_names_the_year_as_its_organization_does(
    april_years, people, client, path, label, language
):
    client.force_login(people["admin"])
    response = client.get(language + path)
    assert response.status_code == 200, path
    page = response.content.decode()
    assert label in page
    assert not ROC_LABEL.search(page), ROC_LABEL.search(page)


def test_the_kpi_pages_chart_names_each_year_of_its_history_as_the_organization_does(april_years, client):
    chart = client.get("/en/taipei/2020/kpis/DP5.1/").context["chart"]
    assert chart["years"][:2] == ["2019/20", "2020/21"]


def test_the_result_saved_message_names_the_year_as_the_organization_does(april_years, people, client):
    client.force_login(people["dol"])
    page = client.get("/en/taipei/2020/kpis/DP5.1/result/").content.decode()
    version = re.search(r'<input type="hidden" name="version"(?: value="([^"]*)")?', page).group(1) or ""
    response = client.post("/en/taipei/2020/kpis/DP5.1/result/", {**ENTRY, "version": version}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Result 2020/21 of DP5.1 職業災害死亡百萬人率 saved."]


def test_the_roll_over_hint_names_the_next_year_as_stored_and_as_labelled(april_years, people, client):
    client.force_login(people["admin"])
    page = client.get("/en/taipei-doed/2021/revise/").content.decode()
    assert "The AD year it starts in: 2022 for 2022/23" in page and 'value="2022"' in page


def test_a_rolled_over_map_keeps_its_later_targets_and_rewrites_the_label_in_its_title(april_years, people, client):
    StrategyMap.objects.filter(organization__code="taipei-doed", year=2021).update(title="Corporate plan 2021/22")
    smap = StrategyMap.objects.get(organization__code="taipei-doed", year=2021, in_force=True)
    kpi = Kpi.objects.filter(objective__map=smap).order_by("code").first()
    KpiTarget.objects.bulk_create([KpiTarget(kpi=kpi, year=2021, value=1), KpiTarget(kpi=kpi, year=2022, value=2)])
    client.force_login(people["admin"])
    response = client.post("/taipei-doed/110/revise/", {"do": "rollover", "year": "2022", "version": smap.version})
    assert response.status_code == 302
    new = StrategyMap.objects.get(organization__code="taipei-doed", year=2022)
    assert new.title == "Corporate plan 2022/23"
    # The dump of a council's map writes AD years: only the targets from the new year on are carried over.
    assert list(KpiTarget.objects.filter(kpi__objective__map=new).values_list("kpi__code", "year")) == [
        (kpi.code, 2022)
    ]


@pytest.mark.parametrize(
    ("title", "year", "style", "rolled"),
    [
        ("Corporate plan FY2020", 2019, YearStyle(4, YearLabel.FY_END), "Corporate plan FY2021"),
        ("Plan 2019/20 (2019)", 2019, APRIL_SPAN, "Plan 2020/21 (2020)"),
        ("108 actions, 2019", 2019, APRIL_SPAN, "108 actions, 2020"),  # an ROC number is no year of a council's
        ("臺北市政府108年度策略地圖", 2019, TAIPEI_YEARS, "臺北市政府109年度策略地圖"),
    ],
)
def test_a_title_rolls_over_to_the_next_year_as_its_organization_names_years(title, year, style, rolled):
    assert rolled_title(title=title, year=year, style=style) == rolled


def test_the_deck_names_the_year_as_the_organization_does_and_lays_months_out_from_april(april_years):
    deck = reopened(build_deck("taipei", 2019, "D", access=SYSTEM, language="zh-hant"))
    cover = slide_text(deck.slides[0])
    assert "2019/20年度施政成果暨2020/21年修正內容" in cover and "2019/20" in cover
    everything = "\n".join(slide_text(slide) for slide in deck.slides)
    assert "民國" not in everything and "108年度施政成果" not in everything  # the map's title (data) says 108年
    charts = [shape.chart for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    assert charts and list(charts[0].plots[0].categories)[:2] == ["2019/20年", "2020/21年"]
    grid = named(deck, "grid:")[0]
    header = next(shape.table for shape in grid.shapes if shape.has_table).rows[0]
    assert [cell.text for cell in header.cells][1:] == [f"{m}月" for m in (*range(4, 13), 1, 2, 3)]


def test_the_pdf_names_the_year_as_the_organization_does(april_years):
    html = report_html(report_content("taipei", 2019, "D", access=SYSTEM))
    assert '<div class="date">2019/20</div>' in html and "2019/20年度施政成果" in html
    assert "<span>2019/20年</span><span>2020/21年</span>" in html  # a history chart's years
    assert "民國" not in html and "108年度施政成果" not in html
    assert "<th>4月</th>" in html and html.index("<th>4月</th>") < html.index("<th>1月</th>")


def test_the_scorecard_workbook_names_the_year_as_the_organization_does_and_runs_its_months_from_april(
    april_years,
):
    task = ActionPlan.objects.get(code="DC1.2.1", kpi__objective__map__year=2020).tasks.order_by("order").first()
    task.months = [3, 4]
    task.save()
    buffer = io.BytesIO()
    scorecard_workbook("taipei", 2020, access=SYSTEM, language="zh-hant").save(buffer)
    book = openpyxl.load_workbook(buffer)
    titles = [ws["A1"].value for ws in book.worksheets]
    assert all("2020/21" in title and "民國" not in title for title in titles), titles
    plans = book["行動計畫"]
    months = [c.value for c in plans[HEADER_ROW]][4:]
    assert months == [f"{m}月" for m in (*range(4, 13), 1, 2, 3)]
    start = next(r for r in range(HEADER_ROW + 1, plans.max_row + 1) if plans.cell(r, 1).value == "DC1.2.1")
    marks = [plans.cell(start, 5 + i).value for i in range(12)]
    assert marks[0] == "■" and marks[11] == "■" and marks.count("■") == 2  # April first, March last


def test_the_results_workbook_names_the_year_as_typed_and_as_labelled_and_reads_back(april_years, people, client):
    client.force_login(people["dol"])
    response = client.get("/taipei/2020/workbook.xlsx", {"agency": "taipei-dol"})
    assert "taipei-2020-taipei-dol-results.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [(row[1].value, row[2].value) for row in book[ABOUT].iter_rows(max_col=3)]
    assert (2020, "2020/21 (2020)") in rows
    fill(book, "DP5.1", **MISSED)
    done = upload(client, book)
    assert done.status_code == 200, [str(p) for p in problems(done)]
    assert [k.code for k in done.context["outcome"].created] == ["DP5.1"]
    other_year = upload(client, book, page="/taipei/2019/workbook/")
    assert other_year.status_code == 400
    assert any("2019" in p.expected and "108" not in p.expected for p in problems(other_year))


def test_the_score_command_names_the_year_as_the_organization_does(april_years):
    out = StringIO()
    call_command("score", org="taipei", year="2019", theme="D", language="en", stdout=out)
    assert out.getvalue().splitlines()[0].endswith("2019/20 D")
    out = StringIO()
    call_command("score", org="taipei", year="108", theme="D", format="json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["year"], data["year_label"], data["year_start_month"]) == (2019, "2019/20", 4)
    assert data["summary"]["zh"].startswith("2019/20年D組") and "2019/20" in data["summary"]["en"]


def test_taipeis_score_json_names_its_roc_year(demo):
    out = StringIO()
    call_command("score", org="taipei", year="108", theme="D", format="json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["year"], data["year_label"], data["year_start_month"]) == (2019, "2019", 1)
    assert data["summary"]["zh"].startswith("108年D組")


def test_the_administrations_year_columns_name_the_year_as_the_organization_does(april_years, client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    for model in ("strategy/strategymap", "kpis/kpi", "kpis/kpiresult", "kpis/kpitarget"):
        path = f"/admin/{model}/"
        page = client.get(path).content.decode()
        # The year columns (the year filter beside them names each year as the organizations of its rows do).
        cells = re.findall(r'<t[dh] class="field-(?:year_display|map_year)[^"]*">(.*?)</t[dh]>', page, re.S)
        assert cells and "2019/20" in cells and not any(ROC_LABEL.search(cell) for cell in cells), (path, cells)


def test_an_organizations_year_is_edited_in_the_administration(demo, client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    taipei = Organization.objects.get(code="taipei")
    page = client.get(f"/admin/core/organization/{taipei.pk}/change/").content.decode()
    assert 'name="year_start_month"' in page and 'name="year_label"' in page
