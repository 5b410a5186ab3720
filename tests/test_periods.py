"""Reporting periods (issue 12, item 4): targets and actuals per period, the year made of them, the
year to date, in the dataset format, the scorecard, the KPI page and the score command."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from stratmap.access import SYSTEM
from stratmap.exchange.dumper import dump_map
from stratmap.exchange.loader import load_paths
from stratmap.kpis import scoring
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.kpis.scoring import NO_AGGREGATION, NO_YTD_TARGET, Aggregation, aggregate, year_to_date
from stratmap.kpis.selectors import scorecard
from tests.conftest import row_counts
from tests.helpers import GOOD, load_errors, write

pytestmark = pytest.mark.django_db

# An invented borough whose year runs April to March (test data, not a real organization).
ORGANIZATIONS = """\
format: stratmap/1
organizations:
  - {code: wyvern, name: Wyvern Borough Council, kind: council, year_start_month: 4, year_label: span}
"""


def council_map(kpis: str, year: int = 2024) -> str:
    return f"""\
format: stratmap/1
organization: wyvern
year: {year}
objectives:
  - code: O1
    name: Safer streets
    kpis:
{kpis}
"""


#: A quarterly count (summed), a monthly rate (averaged), a yearly KPI: the three shapes.
KPIS = """\
      - code: R1
        name: Homes built
        frequency: quarterly
        aggregation: sum
        targets: {2024: 40, 2024-Q1: 10, 2024-Q2: 10, 2024-Q3: 10, 2024-Q4: 10}
        results:
          2024-Q1: {actual: 12}
          2024-Q2: {actual: 8}
          2024-Q3: {actual: 11}
      - code: R2
        name: Calls answered in a minute
        unit: "%"
        frequency: monthly
        aggregation: average
        targets: {2024: 90}
        results:
          2024-04: {actual: 80}
          2024-05: {actual: 90}
          2025-01: {actual: 100}
      - code: R3
        name: Residents satisfied
        targets: {2024: 70}
        results:
          2024: {actual: 72}
"""


@pytest.fixture
def council(tmp_path) -> Path:
    orgs = write(tmp_path, ORGANIZATIONS, "organizations.yaml")
    smap = write(tmp_path, council_map(KPIS), "wyvern-2024.yaml")
    load_paths([orgs, smap])
    return tmp_path


def rows(model, code: str) -> dict[tuple[int, str], Decimal | None]:
    field = "value" if model is KpiTarget else "actual"
    return {(r.year, r.period): getattr(r, field) for r in model.objects.filter(kpi__code=code)}


# --- stored rows ----------------------------------------------------------------------------------


def test_period_targets_and_results_are_stored_beside_the_years(council):
    assert rows(KpiTarget, "R1") == {
        (2024, ""): 40,
        (2024, "Q1"): 10,
        (2024, "Q2"): 10,
        (2024, "Q3"): 10,
        (2024, "Q4"): 10,
    }
    assert rows(KpiResult, "R1") == {(2024, "Q1"): 12, (2024, "Q2"): 8, (2024, "Q3"): 11}
    assert rows(KpiResult, "R3") == {(2024, ""): 72}


def test_a_month_is_stored_in_the_fiscal_year_it_falls_in(council):
    # January 2025 is in the year 2024/25 of a council whose year starts in April.
    assert rows(KpiResult, "R2") == {(2024, "M04"): 80, (2024, "M05"): 90, (2024, "M01"): 100}


def test_a_map_with_periods_dumps_and_loads_back_the_same(council, tmp_path):
    first = dump_map("wyvern", 2024, access=SYSTEM)
    kpis = yaml.safe_load(first)["objectives"][0]["kpis"]
    assert list(kpis[0]["targets"]) == [2024, "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    # In the year's order: April 2024 … January 2025.
    assert list(kpis[1]["results"]) == ["2024-04", "2024-05", "2025-01"]
    assert kpis[0]["aggregation"] == "sum"
    counts = row_counts()
    again = tmp_path / "again"
    again.mkdir()
    (again / "wyvern-2024.yaml").write_text(first, encoding="utf-8")
    load_paths([again / "wyvern-2024.yaml"])
    assert dump_map("wyvern", 2024, access=SYSTEM) == first
    assert row_counts() == counts


def test_taipei_keeps_roc_years_in_period_keys_when_dumped(demo, tmp_path):
    doc = yaml.safe_load(GOOD)
    doc["version"] = {"label": "試算", "in_force": False}
    kpi = doc["themes"][0]["objectives"][0]["kpis"][0]
    kpi.update(
        frequency="quarterly",
        aggregation="average",
        targets={108: 3.8, "108-Q1": 3.9},
        results={"108-Q2": {"actual": 3.7}},
    )
    load_paths([write(tmp_path, yaml.safe_dump(doc, allow_unicode=True))])
    back = yaml.safe_load(dump_map("taipei", 2019, "試算", access=SYSTEM))["themes"][0]["objectives"][0]["kpis"][0]
    assert back["targets"] == {108: 3.8, "108-Q1": 3.9}
    assert list(back["results"]) == ["108-Q2"]


# --- bad input ------------------------------------------------------------------------------------

PERIOD_ERRORS = [
    pytest.param(
        "frequency: quarterly\n        aggregation: sum\n        targets: {2024-Q5: 3}",
        "kpis[0].targets.2024-Q5",
        "'2024-Q5' is not a quarter; expected 2024-Q1 … 2024-Q4",
        id="a fifth quarter",
    ),
    pytest.param(
        "frequency: quarterly\n        aggregation: sum\n        results: {2024-05: {actual: 3}}",
        "kpis[0].results.2024-05",
        "a quarter such as 2024-Q3 (Q1–Q4), or a year: KPI R9 is quarterly",
        id="a month of a quarterly KPI",
    ),
    pytest.param(
        "frequency: monthly\n        aggregation: sum\n        results: {2024-13: {actual: 3}}",
        "kpis[0].results.2024-13",
        "expected a month 01–12",
        id="a thirteenth month",
    ),
    pytest.param(
        "targets: {2024-Q1: 3}",
        "kpis[0].targets.2024-Q1",
        "a year such as 2024: KPI R9 is yearly",
        id="a period of a yearly KPI",
    ),
    pytest.param(
        "frequency: quarterly\n        results: {2024-Q1: {actual: 3}}",
        "kpis[0].aggregation",
        "how its periods make the year: sum, last, average, maximum or minimum",
        id="periods without an aggregation",
    ),
    pytest.param(
        "frequency: quarterly\n        aggregation: sum\n        targets: {2024-Q1: 3, 113-Q1: 3}",
        "kpis[0].targets.113-Q1",
        "each period once; 2024-Q1 is the same period",
        id="a period twice",
    ),
    pytest.param(
        "frequency: quarterly\n        aggregation: often\n        targets: {2024-Q1: 3}",
        "kpis[0].aggregation",
        "'sum', 'last', 'average', 'maximum' or 'minimum'",
        id="an aggregation that is none",
    ),
]


@pytest.mark.parametrize(("keys", "where", "expected"), PERIOD_ERRORS)
def test_a_period_that_does_not_fit_is_refused_naming_file_path_value_and_expected(tmp_path, keys, where, expected):
    orgs = write(tmp_path, ORGANIZATIONS, "organizations.yaml")
    load_paths([orgs])
    before = row_counts()
    kpi = "      - code: R9\n        name: Trial\n        " + keys + "\n"
    file = write(tmp_path, council_map(kpi), "wyvern-2024.yaml")
    errors = load_errors(file)
    assert any(e.startswith(f"{file}: objectives[0].{where}") and expected in e for e in errors), errors
    assert row_counts() == before


# --- the year made of its periods ------------------------------------------------------------------


def card_rows(period=None):
    card = scorecard(organization="wyvern", year=2024, access=SYSTEM, period=period)
    return {row.kpi.code: row for row in card.rows}


def test_the_years_actual_is_made_of_its_periods_when_not_entered_and_marked_derived(council):
    r1, r2, r3 = card_rows().values()
    assert r1.score.kpi.actual == 31  # 12 + 8 + 11
    assert r1.score.kpi.target == 40  # entered for the year: not derived
    assert [p.index for p in r1.actual_from] == [1, 2, 3] and r1.target_from == ()
    assert r2.score.kpi.actual == 90  # (80 + 90 + 100) / 3
    assert r3.score.kpi.actual == 72 and not r3.derived


def test_an_entered_yearly_actual_wins_over_its_periods(council):
    kpi = Kpi.objects.get(code="R1")
    KpiResult.objects.create(kpi=kpi, year=2024, actual=Decimal(50))
    row = card_rows()["R1"]
    assert row.score.kpi.actual == 50 and row.actual_from == ()


def test_the_years_target_is_made_of_the_period_targets_when_not_set(council):
    KpiTarget.objects.filter(kpi__code="R1", period="").delete()
    row = card_rows()["R1"]
    assert row.score.kpi.target == 40 and [p.index for p in row.target_from] == [1, 2, 3, 4]


def test_periods_without_an_aggregation_leave_the_year_unknown_saying_why(council):
    Kpi.objects.filter(code="R1").update(aggregation="")
    row = card_rows()["R1"]
    assert row.score.kpi.actual is None
    assert row.score.unknown_reason == NO_AGGREGATION


# --- the year to date ------------------------------------------------------------------------------


def test_a_scorecard_of_a_quarter_compares_the_year_to_date(council):
    from stratmap.core.years import Period

    rows_q2 = card_rows(Period(2024, "quarter", 2))
    r1 = rows_q2["R1"]
    assert (r1.score.kpi.actual, r1.score.kpi.target) == (20, 20)  # Q1+Q2 against their targets
    assert r1.score.rate.met is True
    r2 = rows_q2["R2"]
    # Months up to the end of Q2 (April–September): April and May are known; the year's target stands.
    assert (r2.score.kpi.actual, r2.score.kpi.target) == (85, 90)
    r3 = rows_q2["R3"]
    assert r3.score.kpi.actual is None  # a yearly KPI has no year to date before the year is over


def test_a_sum_without_period_targets_has_no_year_to_date_target(council):
    KpiTarget.objects.filter(kpi__code="R1").exclude(period="").delete()
    from stratmap.core.years import Period

    row = card_rows(Period(2024, "quarter", 3))["R1"]
    assert row.score.kpi.actual == 31 and row.score.kpi.target is None
    assert row.score.unknown_reason == NO_YTD_TARGET
    with translation.override("zh-hant"):
        from stratmap.kpis.presenters import reason_text

        assert reason_text(row.score.unknown_reason) == "無年初至今目標值"


def test_the_last_quarter_of_the_year_is_the_year(council):
    from stratmap.core.years import Period

    year, q4 = card_rows(), card_rows(Period(2024, "quarter", 4))
    for code in ("R1", "R2", "R3"):
        assert year[code].score.kpi.actual == q4[code].score.kpi.actual
        assert year[code].score.light == q4[code].score.light


# --- the engine's year to date: properties ---------------------------------------------------------

values = st.lists(
    st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)), min_size=1, max_size=12
)


@given(values, st.sampled_from(list(Aggregation)), st.data())
def test_the_year_to_date_is_the_aggregate_of_the_known_periods_up_to_it(actuals, how, data):
    upto = data.draw(st.integers(1, len(actuals)))
    ytd = year_to_date(actuals, [None] * len(actuals), year_target=Decimal(10), how=how, upto=upto)
    assert ytd.actual == aggregate(actuals[:upto], how)
    assert ytd.actual_from == tuple(i + 1 for i, a in enumerate(actuals[:upto]) if a is not None)


@given(values, st.data())
def test_a_summed_year_to_date_never_decreases_as_periods_pass(actuals, data):
    upto = data.draw(st.integers(1, len(actuals)))
    ytds = [year_to_date(actuals, actuals, year_target=None, how="sum", upto=i).actual for i in range(1, upto + 1)]
    known = [v for v in ytds if v is not None]
    assert known == sorted(known)


@given(values, st.sampled_from(sorted(scoring.periods.LEVELS)), st.data())
def test_without_period_targets_a_level_rule_takes_the_years_target_and_a_sum_has_none(actuals, how, data):
    upto = data.draw(st.integers(1, len(actuals)))
    nothing = [None] * len(actuals)
    level = year_to_date(actuals, nothing, year_target=Decimal(7), how=how, upto=upto)
    assert level.target == 7 and level.target_reason == ""
    total = year_to_date(actuals, nothing, year_target=Decimal(7), how="sum", upto=upto)
    assert total.target is None and total.target_reason == NO_YTD_TARGET


@given(values, st.data())
def test_without_a_rule_nothing_is_aggregated(actuals, data):
    upto = data.draw(st.integers(1, len(actuals)))
    ytd = year_to_date(actuals, actuals, year_target=Decimal(1), how="", upto=upto)
    assert ytd.actual is None and ytd.target is None and ytd.actual_reason == NO_AGGREGATION


def test_a_period_outside_the_year_is_an_error_of_the_caller():
    with pytest.raises(ValueError, match="period 5 of 4"):
        year_to_date([None] * 4, [None] * 4, year_target=None, how="sum", upto=5)


# --- stratmap score --period -----------------------------------------------------------------------


def score(*args: str) -> str:
    out = StringIO()
    call_command("score", "--org", "wyvern", "--year", "2024", *args, stdout=out)
    return out.getvalue()


def test_score_for_a_period_gives_the_year_to_date_in_json_with_what_was_derived(council):
    data = json.loads(score("--period", "2024-Q2", "--format", "json"))
    assert data["period"] == "2024-Q2"
    r1 = next(k for k in data["kpis"] if k["code"] == "R1")
    assert (r1["actual"], r1["target"]) == (20.0, 20.0)
    assert r1["actual_from"] == ["2024-Q1", "2024-Q2"] and r1["target_from"] == ["2024-Q1", "2024-Q2"]
    assert r1["actual_derived"] == "derived from Q1, Q2" and r1["aggregation"] == "sum"


def test_score_for_the_year_says_which_periods_the_year_was_made_of(council):
    data = json.loads(score("--format", "json"))
    assert data["period"] is None
    r1 = next(k for k in data["kpis"] if k["code"] == "R1")
    assert r1["actual"] == 31.0 and r1["actual_derived"] == "derived from Q1–Q3" and r1["target_from"] == []
    r3 = next(k for k in data["kpis"] if k["code"] == "R3")
    assert r3["actual_from"] == [] and r3["actual_derived"] == ""


def test_the_summary_of_a_period_speaks_of_the_year_to_date_and_the_years_of_the_year(council):
    """A scorecard of Q2 compares the year to date: its sentence must not say the yearly targets were met."""
    summary = json.loads(score("--period", "2024-Q2", "--format", "json"))["summary"]
    assert summary["zh"].startswith("2024/25年第2季累計KPI") and "年初至今目標值" in summary["zh"]
    assert summary["en"].startswith("2024/25 Q2 to date: ") and "year-to-date target" in summary["en"]
    yearly = json.loads(score("--format", "json"))["summary"]
    assert "年度目標值" in yearly["zh"] and "yearly target" in yearly["en"] and "to date" not in yearly["en"]


def test_score_takes_a_short_period_of_the_year_and_titles_the_table_with_it(council):
    table = score("--period", "Q2", "--language", "en")
    assert table.splitlines()[0] == "Wyvern Borough Council 2024/25 Q2 year to date"


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2024-Q5", "--period: '2024-Q5' is not a quarter; expected 2024-Q1 … 2024-Q4"),
        ("2023-Q1", "--period: '2023-Q1' is not a period of 2024/25; expected e.g. Q3 or 2024-Q3"),
        ("soon", "--period: 'soon' is not a period; expected 2024, 2024-H1, 2024-Q3 or 2024-05"),
    ],
)
def test_score_refuses_a_period_that_is_not_one_of_the_year(council, period, message):
    with pytest.raises(CommandError) as refused:
        score("--period", period)
    assert str(refused.value) == message


# --- pages -----------------------------------------------------------------------------------------


def get(client, name: str, args: list, query: str = "", language: str = "en") -> str:
    with translation.override(language):
        address = reverse(name, args=args)
    response = client.get(address + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return response.content.decode()


def test_the_scorecard_offers_the_periods_and_shows_the_year_to_date(council, client):
    html = get(client, "web:scorecard", ["wyvern", 2024])
    assert '<select name="period">' in html and '<option value="Q3" >2024/25 Q3</option>' in html
    assert "derived from Q1–Q3" in html
    q2 = get(client, "web:scorecard", ["wyvern", 2024], "period=Q2")
    assert "2024/25 Q2 year to date" in q2
    assert '<option value="Q2" selected>' in q2
    assert "derived from Q1, Q2" in q2


def test_the_scorecard_of_a_map_without_periods_offers_none(demo, client):
    html = get(client, "web:scorecard", ["taipei", "108"], language="zh-hant")
    assert 'name="period"' not in html


def test_the_kpi_page_charts_and_tabulates_a_kpi_by_period_in_both_languages(council, client):
    english = get(client, "web:kpi", ["wyvern", 2024, "R1"])
    assert "Targets and actuals by period, 2024/25" in english
    assert '<th scope="row">Q3</th><td class="n">10</td><td class="n">11</td>' in english
    assert "(derived from Q1–Q3)" in english
    chart = json.loads(english.split('id="kpi-chart-data"')[1].split(">", 1)[1].split("</script>")[0])
    assert chart["years"] == ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    assert chart["actual"] == [12.0, 8.0, 11.0, None]
    chinese = get(client, "web:kpi", ["wyvern", 2024, "R1"], language="zh-hant")
    assert "2024/25各期目標值與達成值" in chinese
    assert "由第1季–第3季推算" in chinese
    months = get(client, "web:kpi", ["wyvern", 2024, "R2"])
    assert '<th scope="row">Jan</th>' in months  # the tenth month of a year from April


def count(client, name: str, args: list, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, name, args, query)
    return len(queries)


def test_pages_with_periods_run_the_same_queries_for_ten_times_the_kpis_and_periods(council, client):
    from tests.helpers import multiply

    pages = [
        ("web:scorecard", ["wyvern", 2024], ""),
        ("web:scorecard", ["wyvern", 2024], "period=Q2"),
        ("web:map", ["wyvern", 2024], ""),
        ("web:kpi", ["wyvern", 2024, "R1"], ""),
        ("web:scorecard-csv", ["wyvern", 2024], "period=M05"),
    ]
    before = [count(client, *p) for p in pages]
    periods = KpiResult.objects.exclude(period="").count()
    multiply(10)
    assert KpiResult.objects.exclude(period="").count() == 10 * periods
    assert [count(client, *p) for p in pages] == before
