"""Scoring the demo data reproduces the 108 report of theme D."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.access import SYSTEM
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.kpis.selectors import scorecard
from stratmap.strategy.models import StrategyMap

pytestmark = pytest.mark.django_db

# The document's own figures: code → (published rate %, met, light shown). None: unknown.
PUBLISHED_108 = {
    "DC1.1": ("105.6", True, "good"),
    "DC1.2": ("120.6", True, "good"),
    "DC2.1": ("101.3", True, "excellent"),
    "DC3.1": ("100.6", True, "good"),
    "DC3.2": ("100", True, "excellent"),
    "DP1.1": ("100", True, "good"),
    "DP1.2": ("122.1", True, "excellent"),
    "DP2.1": ("110.8", True, "excellent"),
    "DP2.2": ("100.07", True, "good"),
    "DP3.1": ("129.4", True, "good"),
    "DP3.2": ("119.1", True, "good"),
    "DP3.3": (None, None, "unknown"),
    "DP3.4": ("100", True, "excellent"),
    "DP4.1": (None, None, "unknown"),
    "DP4.2": ("104.1", True, "good"),
    "DP4.3": ("107.9", True, "good"),
    "DP5.1": ("85.1", False, "good"),
    "DP5.2": ("180.7", True, "excellent"),
}


@pytest.fixture
def card(demo):
    return scorecard(organization="taipei", year=2019, theme="D", access=SYSTEM)


@pytest.mark.parametrize("code", PUBLISHED_108)
def test_every_theme_d_kpi_of_108_scores_as_published(card, code):
    rate, met, light = PUBLISHED_108[code]
    row = next(r for r in card.rows if r.kpi.code == code)
    score = row.score
    if rate is None:
        assert score.rate.percent is None
    else:
        assert abs(score.rate.percent - Decimal(rate)) <= Decimal("0.1")
    assert score.met is met
    assert score.light.key == light
    assert row.result.light_reported == light  # the dataset agrees with the document


def test_the_two_unknowns_show_their_reasons(card):
    reasons = {r.kpi.code: r.score.unknown_reason for r in card.rows if r.kpi.code in ("DP3.3", "DP4.1")}
    assert "兩年一次" in reasons["DP3.3"]
    assert "勞保局" in reasons["DP4.1"]


def test_the_summary_of_the_report_comes_out_of_the_rollup(card):
    (org,) = card.rollups["organization"].values()
    assert org.not_met == ["DP5.1"]
    assert org.summary("zh", "108年D組").startswith("108年D組KPI除DP5.1外，其餘KPI已達成年度目標值")
    assert org.light_counts["excellent"] == 6 and org.light_counts["good"] == 10


def test_rollups_by_perspective_and_agency(card):
    assert card.rollups["perspective"]["C"].count == 5
    assert card.rollups["perspective"]["P"].count == 13
    assert card.rollups["perspective"]["P"].not_met == ["DP5.1"]
    assert card.rollups["agency"]["taipei-dol"].not_met == ["DP5.1"]


def test_scoring_a_year_takes_the_same_queries_whatever_the_number_of_kpis(demo):
    with CaptureQueriesContext(connection) as small:
        scorecard(organization="taipei", year=2019, access=SYSTEM)
    # Ten times the KPIs: copy every theme-D KPI of 108 nine more times, with targets and results.
    kpis = list(Kpi.objects.filter(objective__map__year=2019, objective__map__organization__code="taipei"))
    for n in range(9):
        copies = Kpi.objects.bulk_create(
            [Kpi(objective_id=k.objective_id, code=f"{k.code}-{n}", name=k.name, order=100 + n) for k in kpis]
        )
        KpiTarget.objects.bulk_create([KpiTarget(kpi=c, year=2019, value=Decimal(10)) for c in copies])
        KpiResult.objects.bulk_create([KpiResult(kpi=c, year=2019, actual=Decimal(11)) for c in copies])
    with CaptureQueriesContext(connection) as large:
        card = scorecard(organization="taipei", year=2019, access=SYSTEM)
    assert len(card.rows) == 10 * len(kpis)
    assert len(large) == len(small) <= 6


def test_the_score_command_gives_json_with_the_promised_fields(demo, capsys):
    call_command("score", org="taipei", year="108", theme="D", format="json")
    data = json.loads(capsys.readouterr().out)
    dp51 = next(k for k in data["kpis"] if k["code"] == "DP5.1")
    assert dp51 | {
        "rate": 85.1, "met": False, "light": "good", "score_reported": 91.0, "target": 6.0, "actual": 7.05,
    } == dp51  # fmt: skip
    assert {"code", "name", "target", "actual", "rate", "met", "score_reported", "score_computed", "light",
            "unknown_reason", "flag"} <= set(dp51)  # fmt: skip
    dp33 = next(k for k in data["kpis"] if k["code"] == "DP3.3")
    assert dp33["rate"] is None and dp33["light"] == "unknown" and dp33["unknown_reason"]
    assert {r["level"] for r in data["rollups"]} == {"organization", "theme", "perspective", "objective", "agency"}
    assert data["summary"]["zh"].startswith("108年D組KPI除DP5.1外")


def test_the_score_command_gives_csv(demo, capsys):
    call_command("score", org="taipei", year="2019", format="csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 21
    assert next(r for r in rows if r["code"] == "DC1.1")["rate"] == "105.6"


@pytest.mark.parametrize(
    ("language", "words"), [("zh-hant", ["●良", "★優", "？不明"]), ("en", ["● good", "★ excellent"])]
)
def test_the_score_table_lines_up_in_chinese_and_english(demo, capsys, language, words):
    from stratmap.text import display_width

    call_command("score", org="taipei", year="108", theme="D", language=language)
    out = capsys.readouterr().out
    assert all(w in out for w in words)
    kpi_lines = [line for line in out.splitlines() if line.startswith(("DC", "DP"))]
    assert len(kpi_lines) == 18
    # The light column starts at the same terminal column on every row, Chinese names or not.
    starts = {display_width(line[: min(line.index(sym) for sym in "★●？" if sym in line)]) for line in kpi_lines}
    assert len(starts) == 1


def test_the_score_command_says_what_is_wrong(demo):
    with pytest.raises(CommandError, match="no map in force for 105"):
        call_command("score", org="taipei", year="105")
    with pytest.raises(CommandError, match="no theme 'Z'"):
        call_command("score", org="taipei", year="108", theme="Z")


def test_a_policy_set_for_the_year_changes_the_computed_total(demo, capsys):
    from stratmap.kpis.models import ScoringPolicy

    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    ScoringPolicy.objects.create(
        map=smap, achievement_weight=Decimal("0.4"), innovation_weight=Decimal("0.2"),
        challenge_weight=Decimal("0.2"), contribution_weight=Decimal("0.2"),
    )  # fmt: skip
    row = next(
        r for r in scorecard(organization="taipei", year=2019, theme="D", access=SYSTEM).rows if r.kpi.code == "DP1.1"
    )
    # 0.4·100 + 0.2·85 + 0.2·90 + 0.2·92
    assert row.score.score_computed == Decimal("93.4")
