"""Rating methods, light sets, target types and rollups of any agency's scorecard (the pure engine)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    NOT_A_STAGE,
    RAG_LIGHTS,
    STAGES_NOT_INCREASING,
    TAIPEI_LIGHTS,
    TAIWAN_LIGHTS,
    Aggregation,
    Band,
    KpiInput,
    Level,
    LightSet,
    LightSetError,
    Method,
    ObjectiveRule,
    Policy,
    PolicyError,
    Role,
    Target,
    Tolerance,
    achievement_rate,
    aggregate,
    names,
    rollup,
    score_all,
    score_kpi,
    summarize,
)

RAG = Policy(
    method=Method.BANDS,
    lights=RAG_LIGHTS,
    bands=(Band("green", D(0)), Band("amber", D(10)), Band("red", None)),
)
STAGES = tuple(D(s) for s in ("10", "30", "50", "60", "100"))


def light(policy: Policy, **kpi: object) -> str:
    return score_kpi(KpiInput("K", **kpi), policy).light.key  # type: ignore[arg-type]


# Target types


def test_a_baseline_relative_target_measures_the_way_from_the_baseline_to_the_target():
    # Reduce a processing time from 20 days to 10, reach 12: (20 − 12)/(20 − 10) = 80 %.
    rate = achievement_rate(Target(D(10), type="baseline", baseline=D(20)), D(12))
    assert (rate.percent, rate.met) == (D(80), False)
    assert achievement_rate(Target(D(10), type="baseline", baseline=D(20)), D(9)).met is True


def test_a_milestone_rate_is_the_value_reached_over_the_value_targeted_not_the_stage_count():
    rate = achievement_rate(Target(D(60), type="milestone", stages=STAGES), D(50))
    assert round(rate.percent, 1) == D("83.3")  # not 3rd stage of 4th = 75 %
    between = achievement_rate(Target(D(60), type="milestone", stages=STAGES), D(55))
    assert round(between.percent, 1) == D("91.7")
    assert achievement_rate(Target(D(60), type="milestone", stages=STAGES), D(60)).met is True


def test_milestones_that_do_not_increase_or_a_target_off_the_stages_are_unknown_with_the_reason():
    assert achievement_rate(Target(D(60), type="milestone", stages=(D(10), D(60), D(50))), D(50)).reason == (
        STAGES_NOT_INCREASING
    )
    assert achievement_rate(Target(D(55), type="milestone", stages=STAGES), D(50)).reason == NOT_A_STAGE


def test_a_range_target_is_met_inside_and_says_how_far_off_outside():
    target = Target(D(95), type="range", upper=D(105))
    assert achievement_rate(target, D(95)).met is True
    assert achievement_rate(target, D(105)).met is True
    below = achievement_rate(target, D(76))
    assert (below.percent, below.met) == (D(80), False)
    above = achievement_rate(target, D(210))
    assert (above.percent, above.met) == (D(50), False)


# Light sets


def test_every_built_in_light_set_gives_each_level_a_symbol_a_name_and_a_colour():
    for lights in (TAIPEI_LIGHTS, RAG_LIGHTS, TAIWAN_LIGHTS):
        assert lights.problems() == []
        for level in lights:
            assert level.symbol and level.label("en") and level.label("zh") and level.colour.startswith("#")


def test_a_level_is_written_with_its_name_in_the_readers_language():
    excellent = TAIPEI_LIGHTS.get("excellent")
    assert (excellent.text("zh-hant"), excellent.text("en")) == ("★優", "★ excellent")
    french_only = Level("vert", "●", names({"fr": "vert"}), "#1a7f37")
    assert french_only.text("en") == "● vert"


def test_a_light_set_that_cannot_be_used_is_refused_naming_the_level_and_the_fault():
    broken = LightSet(
        "broken",
        (
            Level("green", "", names({"en": "Green"}), "#1a7f37"),
            Level("green", "●", names({"en": "Also green"}), "green"),
        ),
    )
    problems = dict(broken.problems())
    assert problems["levels[0].symbol"].startswith("must not be empty")
    assert problems["levels[1].key"] == "'green' is used by an earlier level"
    assert "must be a colour like #1a7f37 (got 'green')" in problems["levels[1].colour"]
    assert problems["levels"] == "must have a level of role unknown"
    with pytest.raises(LightSetError, match=r"levels\[0\]\.symbol"):
        broken.validated()


def test_asking_a_light_set_for_a_level_it_lacks_names_the_levels_it_has():
    with pytest.raises(LightSetError, match=r"'amber' is not a level of the light set 'taipei'.*excellent, good"):
        TAIPEI_LIGHTS.get("amber")


# The composite method (Taipei's)


def test_the_composite_reads_its_thresholds_on_any_light_set():
    policy = Policy(lights=TAIWAN_LIGHTS, thresholds=(("green", D(90)), ("yellow", D(70))))
    assert policy.problems() == []
    assert [policy.light(D(s)).key for s in ("90", "89.9", "70", "69.9")] == ["green", "yellow", "yellow", "red"]


def test_composite_thresholds_for_the_wrong_levels_or_out_of_order_are_refused():
    wrong = dict(Policy(lights=TAIWAN_LIGHTS).problems())
    assert (
        wrong["thresholds"]
        == "must give a minimum for each of green, yellow, in that order (got ['excellent', 'good', 'fair'])"
    )
    backwards = dict(Policy(thresholds=(("excellent", D(80)), ("good", D(90)), ("fair", D(70)))).problems())
    assert backwards["thresholds"] == "must be in order excellent > good > fair (got 80, 90, 70)"


def test_a_part_whose_weight_is_0_is_not_required():
    achievement_only = Policy(
        achievement_weight=D(1), innovation_weight=D(0), challenge_weight=D(0), contribution_weight=D(0)
    )
    scored = score_kpi(KpiInput("K", target=D(100), actual=D(95)), achievement_only)
    assert (scored.score, scored.light.key, scored.unknown_reason) == (D(95), "excellent", "")
    missing = score_kpi(KpiInput("K", target=D(100), actual=D(95)), DEFAULT_POLICY)
    assert (missing.light.key, missing.unknown_reason) == ("unknown", "a self-assessment score is missing")


# The bands method (RAG)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [("20", "green"), ("21", "amber"), ("22", "amber"), ("22.01", "red"), ("40", "red")],
)
def test_a_lower_is_better_tolerance_lies_above_the_target(actual, expected):
    # A 10 % tolerance on a target of 20 ends at 22 (not at 20/0.9 = 22.2).
    assert light(RAG, polarity="negative", target=D(20), actual=D(actual)) == expected


@pytest.mark.parametrize(("actual", "expected"), [("100", "green"), ("90", "amber"), ("89.99", "red")])
def test_a_higher_is_better_tolerance_lies_below_the_target(actual, expected):
    assert light(RAG, target=D(100), actual=D(actual)) == expected


def test_an_absolute_tolerance_is_read_in_the_kpis_unit():
    policy = Policy(
        method=Method.BANDS,
        lights=RAG_LIGHTS,
        tolerance=Tolerance.ABSOLUTE,
        bands=(Band("green", D(0)), Band("amber", D(3)), Band("red", None)),
    )
    assert [light(policy, target=D(100), actual=D(a)) for a in ("97", "96.9")] == ["amber", "red"]


def test_bands_that_overlap_or_go_backwards_or_are_negative_are_refused():
    cases = {
        (Band("green", D(10)), Band("amber", D(5)), Band("red", None)): "bands",
        (Band("amber", D(0)), Band("green", D(10)), Band("red", None)): "bands",
        (Band("green", D(-1)), Band("red", None)): "bands[0].within",
        (Band("green", None), Band("red", D(5))): "bands[0].within",
        (Band("purple", D(0)), Band("red", None)): "bands[0].level",
    }
    for bands, where in cases.items():
        problems = dict(Policy(method=Method.BANDS, lights=RAG_LIGHTS, bands=bands).problems())
        assert where in problems, (bands, problems)
    with pytest.raises(PolicyError, match="bands method needs at least one band"):
        Policy(method=Method.BANDS, lights=RAG_LIGHTS).validated()


def test_a_rag_kpi_without_an_actual_is_unknown_in_the_sets_own_words():
    scored = score_kpi(KpiInput("K", target=D(5)), RAG)
    assert (scored.light.text("en"), scored.unknown_reason) == ("? N/A", "no actual")


# Data only


def test_a_data_only_measure_is_shown_never_rated_and_never_unknown():
    for kpi in (KpiInput("K", actual=D(7), method="data_only"), KpiInput("K", method="data_only")):
        scored = score_kpi(kpi, RAG)
        assert (scored.light.key, scored.rated, scored.unknown_reason) == ("data_only", False, "")
    monitoring = Policy(method=Method.DATA_ONLY)
    assert score_kpi(KpiInput("K", actual=D(7)), monitoring).light.text("zh") == "◇僅監測"


def test_rollups_count_data_only_apart_from_unknown():
    scores = score_all(
        [
            KpiInput("A", target=D(10), actual=D(11)),
            KpiInput("B", target=D(10)),
            KpiInput("C", actual=D(3), method="data_only"),
        ],
        RAG,
    )
    group = summarize("all", scores, policy=RAG)
    assert (group.met, group.unknown, group.data_only, group.rated) == (1, ["B"], ["C"], 2)
    assert group.light_counts == {"green": 1, "amber": 0, "red": 0, "not_available": 1, "data_only": 1}


# Rollups: weights, points and the group's light


def test_a_rollup_reports_both_the_weighted_average_and_the_weighted_points():
    policy = Policy(achievement_weight=D(1), innovation_weight=D(0), challenge_weight=D(0), contribution_weight=D(0))
    scores = score_all(
        [
            KpiInput("A", target=D(100), actual=D(100), weight=D(15)),
            KpiInput("B", target=D(100), actual=D(60), weight=D(10)),
            KpiInput("C", target=D(100), weight=D(5)),  # unknown: earns no points
        ],
        policy,
    )
    group = summarize("objective", scores, policy=policy)
    assert group.weighted_average == D(84)  # (15·100 + 10·60) / 25
    assert (group.points, group.possible) == (D(21), D(30))  # 15 + 6 of 30


def test_the_groups_light_comes_from_its_worst_kpi_or_from_its_weighted_score():
    kpis = [
        KpiInput("A", target=D(100), actual=D(100), weight=D(9)),
        KpiInput("B", target=D(100), actual=D(95), weight=D(1)),
    ]
    worst = summarize("o", score_all(kpis, RAG), policy=RAG)
    assert worst.light.key == "amber"
    weighted_policy = Policy(
        method=Method.BANDS, lights=RAG_LIGHTS, bands=RAG.bands, objective_rule=ObjectiveRule.WEIGHTED
    )
    weighted = summarize("o", score_all(kpis, weighted_policy), policy=weighted_policy)
    assert weighted.weighted_average == D("99.5")
    assert weighted.light.key == "amber"  # 99.5 < 100: short of met, within 10 %
    all_met = summarize("o", score_all(kpis[:1], weighted_policy), policy=weighted_policy)
    assert all_met.light.key == "green"


def test_a_group_of_data_only_measures_is_data_only_not_unknown():
    group = summarize("o", score_all([KpiInput("C", actual=D(3), method="data_only")], RAG), policy=RAG)
    assert group.light.key == "data_only"


# The sentence tells the truth


@pytest.mark.parametrize(
    ("kpis", "zh", "en"),
    [
        (
            [KpiInput("A"), KpiInput("B")],
            "D組KPI尚無可評估的成果（A、B資料不明）",
            "D: no KPI has a result to rate yet (A, B unknown).",
        ),
        (
            [KpiInput("A", target=D(10), actual=D(5))],
            "D組KPI均未達成年度目標值",
            "D: no KPI met its yearly target.",
        ),
        (
            [KpiInput("A", target=D(10), actual=D(11)), KpiInput("B", target=D(10), actual=D(5))],
            "D組KPI除B外，其餘KPI已達成年度目標值",
            "D: all KPIs except B met their yearly targets.",
        ),
        (
            [KpiInput("A", target=D(10), actual=D(11)), KpiInput("B", target=D(10))],
            "D組KPI均已達成年度目標值（B資料不明）",
            "D: all KPIs met their yearly targets (B unknown).",
        ),
    ],
)
def test_the_summary_never_says_all_met_when_none_has_a_result_or_none_met(kpis, zh, en):
    group = summarize("D", score_all(kpis, RAG), policy=RAG)
    assert (group.summary("zh", "D組"), group.summary("en", "D")) == (zh, en)


# Periods


@pytest.mark.parametrize(
    ("how", "expected"),
    [("sum", D(60)), ("last", D(30)), ("average", D(20)), ("maximum", D(30)), ("minimum", D(10))],
)
def test_a_years_value_comes_from_its_periods_by_the_kpis_rule_leaving_missing_periods_out(how, expected):
    assert aggregate([D(10), None, D(20), D(30)], how) == expected
    assert aggregate([None, None], Aggregation(how)) is None


# Properties


numbers = st.decimals(min_value=D("0.01"), max_value=D(10_000), places=2)
widths = st.decimals(min_value=D("0.5"), max_value=D(50), places=1)


@given(target=numbers, low=numbers, high=numbers, kind=st.sampled_from(["ratio", "at_least", "milestone", "baseline"]))
def test_the_rate_never_falls_as_a_higher_is_better_actual_rises(target, low, high, kind):
    low, high = sorted((low, high))
    spec = Target(target, type=kind, stages=(target,), baseline=target / 2 if kind == "baseline" else None)
    a, b = achievement_rate(spec, low), achievement_rate(spec, high)
    assert a.percent <= b.percent and (not a.met or b.met)


@given(target=numbers, low=numbers, high=numbers, kind=st.sampled_from(["ratio", "at_most", "baseline"]))
def test_the_rate_never_rises_as_a_lower_is_better_actual_rises(target, low, high, kind):
    low, high = sorted((low, high))
    spec = Target(target, polarity="negative", type=kind, baseline=target * 2 if kind == "baseline" else None)
    a, b = achievement_rate(spec, low), achievement_rate(spec, high)
    assert a.percent >= b.percent and (a.met or not b.met)


@given(target=numbers, actual=numbers, width=widths, negative=st.booleans(), percent=st.booleans())
def test_the_bands_are_inclusive_and_the_light_never_improves_as_the_miss_grows(
    target, actual, width, negative, percent
):
    policy = Policy(
        method=Method.BANDS,
        lights=RAG_LIGHTS,
        tolerance=Tolerance.PERCENT if percent else Tolerance.ABSOLUTE,
        bands=(Band("green", D(0)), Band("amber", width), Band("red", None)),
    )
    polarity = "negative" if negative else "positive"

    def level(value: D) -> str:
        return score_kpi(KpiInput("K", polarity=polarity, target=target, actual=value), policy).light.key

    # On the edge of each band the band holds: the target itself is green, the tolerance's end amber.
    slack = target * width / 100 if percent else width
    edge = target + slack if negative else target - slack
    assert level(target) == "green"
    if edge > 0:
        assert level(edge) == "amber"
    worse = actual + slack + 1 if negative else actual - slack - 1
    if worse > 0:
        assert RAG_LIGHTS.rank(RAG_LIGHTS.get(level(worse))) >= RAG_LIGHTS.rank(RAG_LIGHTS.get(level(actual)))


@given(
    target=st.none() | numbers,
    method=st.sampled_from(list(Method)),
    reported=st.none() | st.decimals(min_value=0, max_value=100, places=2),
)
def test_unknown_and_data_only_are_never_rated(target, method, reported):
    for policy in (Policy(method=method), Policy(method=method, lights=RAG_LIGHTS, bands=RAG.bands)):
        missing = score_kpi(KpiInput("K", target=target, score_reported=reported), policy)
        assert not missing.light.rated
        data_only = score_kpi(KpiInput("K", target=target, actual=D(1), method="data_only"), policy)
        assert data_only.light.role is Role.DATA_ONLY and data_only.score is None


def test_rollups_group_a_kpi_into_each_of_its_agencies_under_any_policy():
    scores = score_all([KpiInput("A", target=D(1), actual=D(1), agencies=("x", "y"))], RAG)
    groups = rollup(scores, lambda s: s.kpi.agencies, many=True, policy=RAG)
    assert {key: group.light.key for key, group in groups.items()} == {"x": "green", "y": "green"}
