"""The pure scoring engine: rates, totals, lights, rollups (no database)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    TAIPEI_LIGHTS,
    KpiInput,
    Policy,
    PolicyError,
    Target,
    achievement_rate,
    rollup,
    score_all,
    score_kpi,
)

LIGHT = TAIPEI_LIGHTS.get


def rate_of(target, actual, *, polarity="positive", target_type="ratio", stages=()):
    return achievement_rate(Target(target, polarity=polarity, type=target_type, stages=stages), actual)


def test_the_engine_imports_no_django():
    code = "import sys, stratmap.kpis.scoring; print('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize(
    ("target", "actual", "polarity", "percent"),
    [
        ("3.8", "3.6", "negative", "105.6"),  # DC1.1 失業率
        ("7.6", "6.3", "negative", "120.6"),  # DC1.2 青年失業率
        ("6.00", "7.05", "negative", "85.1"),  # DP5.1
        ("3.00", "1.66", "negative", "180.7"),  # DP5.2
        ("540", "547", "positive", "101.3"),  # DC2.1
    ],
)
def test_it_reproduces_the_published_rates(target, actual, polarity, percent):
    rate = rate_of(D(target), D(actual), polarity=polarity)
    assert abs(rate.percent - D(percent)) < D("0.05")


def test_a_rate_of_exactly_100_meets_the_target_and_just_below_does_not():
    assert rate_of(D(10), D(10)).met is True
    assert rate_of(D(10), D("9.999")).met is False


def test_a_missing_actual_or_target_is_unknown_not_a_number():
    rate = rate_of(D(5), None)
    assert rate.percent is None and rate.met is None and rate.reason == "no actual"
    # Whatever the polarity and the target type: nothing to compare is unknown, never a rate of 0.
    for polarity in ("positive", "negative"):
        for target_type in ("ratio", "at_most", "at_least", "milestone"):
            rate = rate_of(D(5), None, polarity=polarity, target_type=target_type, stages=(D(5),))
            assert (rate.percent, rate.met, rate.reason) == (None, None, "no actual"), (polarity, target_type)
    assert rate_of(None, D(5)).reason == "no target"


def test_a_zero_target_is_met_by_comparison_without_inventing_a_rate():
    positive = rate_of(D(0), D(3))
    assert positive.percent is None and positive.met is True
    # A negative KPI with target 0 (no fatalities): 0 / actual is a real rate.
    assert rate_of(D(0), D(2), polarity="negative").percent == 0
    assert rate_of(D(0), D(0), polarity="negative").met is True


def test_a_zero_actual_of_a_negative_kpi_meets_any_non_negative_target():
    rate = rate_of(D(6), D(0), polarity="negative")
    assert rate.percent is None and rate.met is True


def test_negative_values_are_compared_not_divided():
    # A growth rate target of -2 % reached with -1 %: better, met, but -1/-2 = 50 % would say otherwise.
    rate = rate_of(D(-2), D(-1))
    assert rate.percent is None and rate.met is True
    assert rate_of(D(-2), D(-3)).met is False


def test_a_maintain_at_most_target_is_100_percent_when_kept_and_shows_how_far_off_when_not():
    kept = rate_of(D("3.8"), D("3.6"), target_type="at_most")
    assert (kept.percent, kept.met) == (100, True)
    missed = rate_of(D("3.8"), D("4.0"), target_type="at_most")
    assert missed.met is False and missed.percent == D(95)
    assert rate_of(D(90), D(80), target_type="at_least").percent == pytest.approx(D("88.89"), abs=D("0.01"))


def test_a_milestone_kpi_scores_the_stage_reached_against_the_stage_targeted():
    stages = (D(25), D(50), D(75), D(100))  # tendering, contract, construction done, in service
    rate = rate_of(D(75), D(50), target_type="milestone", stages=stages)
    assert rate.percent == pytest.approx(D("66.667"), abs=D("0.001")) and rate.met is False
    assert rate_of(D(50), D(75), target_type="milestone", stages=stages).met is True
    between = rate_of(D(50), D(60), target_type="milestone", stages=stages)
    assert (between.percent, between.met) == (D(120), True)  # a value between stages is allowed
    off = rate_of(D(60), D(50), target_type="milestone", stages=stages)
    assert off.percent is None and "stages" in off.reason  # a target must be a stage


def test_the_default_policy_reproduces_a_published_total():
    # DP1.1: rate 100 %, scores 85 / 90 / 92, published 91.65.
    kpi = KpiInput("DP1.1", target=D(10), actual=D(10), innovation=D(85), challenge=D(90), contribution=D(92))
    assert score_kpi(kpi).score_computed == D("91.65")


def test_the_reported_total_decides_the_light_and_a_difference_is_flagged():
    # DP3.2 and DP4.2 have the same scores but published 88.88 and 87.5.
    kpi = KpiInput(
        "DP3.2", target=D("21.4"), actual=D("25.5"), innovation=D(80), challenge=D(85), contribution=D(85),
        score_reported=D("88.88"),
    )  # fmt: skip
    scored = score_kpi(kpi)
    assert scored.score == D("88.88") and scored.score_computed == D("87.5")
    assert scored.flag is True and scored.light is LIGHT("good")
    close = score_kpi(dataclasses.replace(kpi, score_reported=D("87.9")))
    assert close.flag is False


def test_an_unknown_actual_gives_an_unknown_light_with_its_reason_whatever_was_published():
    kpi = KpiInput("DP4.1", target=D("8.2"), unknown_reason="由勞保局於每年3月提供", score_reported=D(90))
    scored = score_kpi(kpi)
    assert scored.light is LIGHT("unknown") and scored.unknown_reason == "由勞保局於每年3月提供"
    assert scored.score_computed is None


def test_each_light_has_a_symbol_a_label_and_a_colour():
    for light in TAIPEI_LIGHTS.levels:
        assert light.symbol and light.label("zh") and light.label("en") and light.colour.startswith("#")
    assert [light.text("zh") for light in TAIPEI_LIGHTS.levels] == ["★優", "●良", "▲可", "╳差", "？不明"]


@pytest.mark.parametrize(
    ("score", "light"),
    [("92.5", LIGHT("excellent")), ("92.49", LIGHT("good")), ("84.5", LIGHT("good")), ("84.49", LIGHT("fair")),
     ("74.5", LIGHT("fair")), ("74.49", LIGHT("poor")), ("0", LIGHT("poor"))],
)  # fmt: skip
def test_thresholds_are_inclusive_exactly_as_the_legend_says(score, light):
    assert DEFAULT_POLICY.light(D(score)) is light


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (Policy(achievement_weight=D("0.5")), "weights"),
        (Policy(thresholds=(("excellent", D(80)), ("good", D("84.5")), ("fair", D("74.5")))), "thresholds"),
        (Policy(achievement_cap=D(-1)), "achievement_cap"),
        (Policy(innovation_weight=D("-0.25"), achievement_weight=D("0.75")), "innovation_weight"),
    ],
)
def test_a_bad_policy_is_refused_saying_which_field_and_why(policy, field):
    assert field in dict(policy.problems())
    with pytest.raises(PolicyError, match=field):
        policy.validated()


def test_rollups_count_met_and_not_met_and_lights_and_average_scores():
    kpis = [
        KpiInput("A1", target=D(10), actual=D(12), score_reported=D(95), theme="D", weight=D(3)),
        KpiInput("A2", target=D(6), actual=D("7.05"), polarity="negative", score_reported=D(91), theme="D",
                 weight=D(1)),
        KpiInput("A3", target=D(7), unknown_reason="兩年一次", theme="D"),
    ]  # fmt: skip
    (d,) = rollup(score_all(kpis), lambda s: s.kpi.theme).values()
    assert (d.count, d.met, d.not_met, d.unknown) == (3, 1, ["A2"], ["A3"])
    assert d.light_counts == {"excellent": 1, "good": 1, "fair": 0, "poor": 0, "unknown": 1}
    assert d.average == D(93)
    assert d.weighted_average == D(94)
    assert d.summary("zh", "108年D組") == "108年D組KPI除A2外，其餘KPI已達成年度目標值（A3資料不明）"
    assert d.summary("en", "2019 theme D") == "2019 theme D: all KPIs except A2 met their yearly targets (A3 unknown)."


@pytest.mark.parametrize(
    ("language", "subject", "codes", "sentence"),
    [
        ("zh", "108年", ([], []), "108年KPI均已達成年度目標值"),
        ("zh-hant", "", (["A1", "A2"], []), "KPI除A1、A2外，其餘KPI已達成年度目標值"),
        ("zh", "", ([], ["A3", "A4"]), "KPI均已達成年度目標值（A3、A4資料不明）"),
        ("en", "2019", ([], []), "2019: all KPIs met their yearly targets."),
        ("en-us", "", (["A1", "A2"], []), "all KPIs except A1, A2 met their yearly targets."),
        ("fr", "", ([], ["A3", "A4"]), "all KPIs met their yearly targets (A3, A4 unknown)."),
    ],
)
def test_the_summary_sentence_reads_the_same_in_each_case_and_language(language, subject, codes, sentence):
    not_met, unknown = codes
    kpis = [KpiInput(code, target=D(10), actual=D(1), score_reported=D(80), theme="D") for code in not_met]
    kpis += [KpiInput(code, target=D(10), unknown_reason="兩年一次", theme="D") for code in unknown]
    kpis.append(KpiInput("A0", target=D(10), actual=D(10), score_reported=D(95), theme="D"))
    (d,) = rollup(score_all(kpis), lambda s: s.kpi.theme).values()
    assert d.summary(language, subject) == sentence


def test_a_kpi_can_roll_up_into_each_of_its_agencies():
    kpis = [KpiInput("X", target=D(1), actual=D(1), agencies=("dol", "doed")), KpiInput("Y", agencies=("dol",))]
    groups = rollup(score_all(kpis), lambda s: s.kpi.agencies, many=True)
    assert groups["dol"].count == 2 and groups["doed"].count == 1


values = st.decimals(min_value=D("0.01"), max_value=D(100000), allow_nan=False, allow_infinity=False, places=2)
scores = st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False, places=2)


@given(target=values, low=values, high=values)
def test_the_rate_rises_with_the_actual_for_a_positive_kpi_and_falls_for_a_negative_one(target, low, high):
    low, high = sorted((low, high))
    assert rate_of(target, low).percent <= rate_of(target, high).percent
    negative = [rate_of(target, a, polarity="negative").percent for a in (low, high)]
    assert negative[0] >= negative[1]


@given(target=values, actual=values, i=scores, c=scores, k=scores, cap=st.integers(0, 150))
def test_the_capped_component_never_exceeds_the_cap_and_the_total_stays_in_range(target, actual, i, c, k, cap):
    policy = Policy(achievement_cap=D(cap))
    kpi = KpiInput("K", target=target, actual=actual, innovation=i, challenge=c, contribution=k)
    total = score_kpi(kpi, policy).score_computed
    without_achievement = D("0.25") * i + D("0.30") * c + D("0.20") * k
    assert total - without_achievement <= D("0.25") * cap
    assert 0 <= total <= max(D(100), D("0.25") * cap + 75)


@given(
    target=st.none() | values,
    actual=st.none() | values,
    i=st.none() | scores,
    c=st.none() | scores,
    k=st.none() | scores,
)
def test_a_missing_input_gives_unknown_never_a_number(target, actual, i, c, k):
    scored = score_kpi(KpiInput("K", target=target, actual=actual, innovation=i, challenge=c, contribution=k))
    if None in (target, actual, i, c, k):
        assert scored.score_computed is None
    if actual is None or target is None:
        assert scored.rate.percent is None and scored.light is LIGHT("unknown") and scored.unknown_reason


@given(score=scores)
def test_the_light_never_goes_down_as_the_score_goes_up(score):
    order = [LIGHT("poor"), LIGHT("fair"), LIGHT("good"), LIGHT("excellent")]
    assert order.index(DEFAULT_POLICY.light(score)) <= order.index(DEFAULT_POLICY.light(score + D("0.01")))
