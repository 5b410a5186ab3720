"""Early warning's engine (issue 16 item 5): the projection of a KPI's year and its risk of missing the target.

Properties over generated years (hypothesis), then the worked examples of docs/early-warning.md, figure for figure.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stratmap.kpis.scoring import aggregate
from stratmap.kpis.scoring.forecast import (
    ForecastInput,
    ForecastMethod,
    Risk,
    RiskLimits,
    forecast,
)

D = Decimal
RULES = ["sum", "average", "last", "maximum", "minimum"]
N = None

amounts = st.integers(min_value=0, max_value=10_000).map(D)
positive = st.integers(min_value=1, max_value=10_000).map(D)


@st.composite
def limits(draw) -> RiskLimits:
    """Any usable risk limits: 0 ≤ high ≤ medium ≤ 100."""
    medium = draw(st.integers(min_value=0, max_value=100))
    high = draw(st.integers(min_value=0, max_value=medium))
    return RiskLimits(D(high), D(medium))


@st.composite
def years(draw, n=None):
    """(number of periods, which periods are in: at least one)."""
    n = n or draw(st.sampled_from([2, 4, 12]))
    mask = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    return n, mask


def hide(values, mask):
    return tuple(v if known else None for v, known in zip(values, mask, strict=True))


# --- properties -----------------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.data(), years(), st.sampled_from(RULES), st.sampled_from(["positive", "negative"]), limits())
def test_a_kpi_meeting_every_period_target_so_far_is_never_high_risk(data, year, how, polarity, chosen):
    n, mask = year
    targets = data.draw(st.lists(positive, min_size=n, max_size=n))
    extra = data.draw(st.lists(amounts, min_size=n, max_size=n))
    # Each period in meets its own target: above it, or (lower is better) below it, never below 0.
    met = [t + e if polarity == "positive" else max(D(0), t - e) for t, e in zip(targets, extra, strict=True)]
    year_target = data.draw(st.sampled_from([aggregate(targets, how), None]))
    last_year = data.draw(st.sampled_from([(), tuple(data.draw(st.lists(amounts, min_size=n, max_size=n)))]))
    result = forecast(
        ForecastInput(
            hide(met, mask),
            how,
            year_target=year_target,
            period_targets=tuple(targets),
            last_year=last_year,
            polarity=polarity,
        ),
        chosen,
    )
    assert result.risk != Risk.HIGH, result.reason
    assert result.risk == Risk.LOW, result.reason  # in fact on track: projected to meet the target


@settings(max_examples=300)
@given(st.data(), years(), st.sampled_from(["sum", "average", "minimum", "maximum"]), limits())
def test_a_kpi_on_pace_for_its_year_target_is_never_high_risk(data, year, how, chosen):
    """Without period targets or last year's periods, on pace is the year to date against the share of the
    year it covers: a sum at least the target times the share of periods in, a level at least the target."""
    n, mask = year
    values = hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask)
    so_far = aggregate(values, how)
    k = sum(mask)
    pace = so_far * n / k if how == "sum" else so_far
    share = data.draw(st.integers(min_value=1, max_value=100))
    # Rounded down: rounded to the nearest, 99 % of a pace of 16.8 is a target of 17, beyond the pace.
    target = (pace * share / 100).quantize(D(1), rounding="ROUND_FLOOR")
    assume(target > 0)
    result = forecast(ForecastInput(values, how, year_target=target), chosen)
    assert result.method in (ForecastMethod.LINEAR, ForecastMethod.COMPLETE)
    assert result.risk != Risk.HIGH, result.reason


@settings(max_examples=200)
@given(st.data(), years(), limits())
def test_a_sum_on_pace_along_last_years_profile_is_never_high_risk(data, year, chosen):
    """With last year's every period, on pace means as far along as last year was by the same periods."""
    n, mask = year
    last_year = tuple(data.draw(st.lists(positive, min_size=n, max_size=n)))
    values = hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask)
    done = sum((v for v in values if v is not None), D(0))
    before = sum((ly for ly, known in zip(last_year, mask, strict=True) if known), D(0))
    share = data.draw(st.integers(min_value=1, max_value=100))
    target = (done * sum(last_year) / before * share / 100).quantize(D(1), rounding="ROUND_FLOOR")
    assume(target > 0)
    result = forecast(ForecastInput(values, "sum", year_target=target, last_year=last_year), chosen)
    assert result.risk != Risk.HIGH, result.reason


@settings(max_examples=300)
@given(st.data(), years(), limits())
def test_a_sum_whose_year_to_date_meets_its_target_is_never_at_risk(data, year, chosen):
    n, mask = year
    values = hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask)
    done = sum((v for v in values if v is not None), D(0))
    target = data.draw(st.integers(min_value=0, max_value=int(done)).map(D))
    profiles = st.sampled_from([(), tuple(data.draw(st.lists(amounts, min_size=n, max_size=n)))])
    result = forecast(
        ForecastInput(
            values, "sum", year_target=target, period_targets=data.draw(profiles), last_year=data.draw(profiles)
        ),
        chosen,
    )
    assert not result.at_risk, result.reason
    assert result.risk == Risk.LOW


@settings(max_examples=200)
@given(st.data(), years(), limits(), st.sampled_from([("minimum", "negative"), ("maximum", "positive")]))
def test_an_extreme_already_past_its_target_is_never_at_risk(data, year, chosen, case):
    """The negative-polarity analogue: a lowest value that must be at most the target and already is (and a
    highest value that must reach it and already has)."""
    how, polarity = case
    n, mask = year
    values = hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask)
    so_far = aggregate(values, how)
    if polarity == "negative":
        target = so_far + data.draw(amounts)
    else:
        target = max(D(0), so_far - data.draw(amounts))
    result = forecast(ForecastInput(values, how, year_target=target, polarity=polarity), chosen)
    assert not result.at_risk, result.reason


@settings(max_examples=300)
@given(st.data(), years(), st.sampled_from(["sum", "average", "maximum", "minimum"]))
def test_the_projection_never_falls_when_a_value_rises(data, year, how):
    n, mask = year
    values = list(hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask))
    profiles = st.sampled_from([(), tuple(data.draw(st.lists(amounts, min_size=n, max_size=n)))])
    targets, last_year = data.draw(profiles), data.draw(profiles)
    place = data.draw(st.sampled_from([i for i, known in enumerate(mask) if known]))
    raised = list(values)
    raised[place] = values[place] + data.draw(positive)
    before = forecast(ForecastInput(tuple(values), how, D(1), targets, last_year))
    after = forecast(ForecastInput(tuple(raised), how, D(1), targets, last_year))
    assert before.projected is not None and after.projected is not None
    assert after.projected >= before.projected


@settings(max_examples=300)
@given(st.data(), years(), st.sampled_from(RULES), positive)
def test_the_projection_never_falls_when_every_value_rises(data, year, how, rise):
    """Every rule, a last value's trend included (which a higher early value with the same latest one turns
    down: it reads as a fall)."""
    n, mask = year
    values = hide(data.draw(st.lists(amounts, min_size=n, max_size=n)), mask)
    profiles = st.sampled_from([(), tuple(data.draw(st.lists(amounts, min_size=n, max_size=n)))])
    targets, last_year = data.draw(profiles), data.draw(profiles)
    raised = tuple(v + rise if v is not None else None for v in values)
    before = forecast(ForecastInput(values, how, D(1), targets, last_year))
    after = forecast(ForecastInput(raised, how, D(1), targets, last_year))
    assert before.projected is not None and after.projected is not None
    assert after.projected >= before.projected


@settings(max_examples=200)
@given(st.data(), years(), st.sampled_from(RULES))
def test_a_year_with_every_period_in_projects_to_its_own_value(data, year, how):
    n, _ = year
    values = tuple(data.draw(st.lists(amounts, min_size=n, max_size=n)))
    result = forecast(ForecastInput(values, how, D(1)))
    assert result.method == ForecastMethod.COMPLETE
    assert result.projected == aggregate(values, how)


# --- the worked examples of docs/early-warning.md -------------------------------------------------------------


def test_a_monthly_sum_three_months_in_projects_four_times_its_quarter_and_is_high_risk():
    result = forecast(ForecastInput((D(80), D(90), D(70), *[N] * 9), "sum", year_target=D(1200)))
    assert (result.projected, result.method, result.risk) == (D(960), ForecastMethod.LINEAR, Risk.HIGH)
    assert result.rate is not None and result.rate.percent == D(80)
    assert str(result.reason) == "projected at 960, 80 % of the target of 1200: below the high-risk limit of 90 %"


def test_a_quarterly_average_is_projected_at_its_mean_so_far_and_is_medium_risk():
    result = forecast(ForecastInput((D(51), D(49), N, N), "average", year_target=D(52)))
    assert (result.projected, result.method, result.risk) == (D(50), ForecastMethod.LINEAR, Risk.MEDIUM)
    assert "96.2 % of the target of 52" in str(result.reason)


def test_a_seasonal_sum_follows_last_years_profile_where_a_straight_line_would_alarm():
    last_year = (D(20), D(40), D(60), D(80))
    seasonal = forecast(ForecastInput((D(24), D(44), N, N), "sum", year_target=D(220), last_year=last_year))
    assert seasonal.method == ForecastMethod.SEASONAL
    assert seasonal.projected is not None and seasonal.projected.quantize(D("0.01")) == D("226.67")
    assert seasonal.risk == Risk.LOW
    linear = forecast(ForecastInput((D(24), D(44), N, N), "sum", year_target=D(220)))
    assert (linear.projected, linear.risk) == (D(136), Risk.HIGH)


def test_last_year_missing_a_period_gives_no_seasonal_projection():
    result = forecast(ForecastInput((D(24), N, N, N), "sum", year_target=D(220), last_year=(D(20), D(40), N, D(80))))
    assert result.method == ForecastMethod.LINEAR


def test_a_falling_month_end_count_of_a_negative_kpi_is_projected_on_its_trend():
    months = (D(121), D(119), D(118), *[N] * 9)
    result = forecast(ForecastInput(months, "last", year_target=D(110), polarity="negative"))
    assert result.method == ForecastMethod.LINEAR
    assert result.projected is not None and result.projected.quantize(D("0.01")) == D("104.33")
    assert result.risk == Risk.LOW
    one = forecast(ForecastInput((D(121), *[N] * 11), "last", year_target=D(110), polarity="negative"))
    assert (one.projected, one.risk) == (D(121), Risk.MEDIUM)
    assert "90.9 % of the target of 110" in str(one.reason)


def test_a_negative_sum_already_over_its_target_is_high_risk_whatever_the_limits():
    result = forecast(
        ForecastInput((D(30), D(40), N, N), "sum", year_target=D(60), polarity="negative"), RiskLimits(D(0), D(0))
    )
    assert result.risk == Risk.HIGH
    assert str(result.reason).startswith("the year to date, 70, already misses the year's target of 60")


def test_the_councils_quarterly_kpi_is_projected_on_its_quarterly_targets():
    plan = (D(50),) * 4
    after_q1 = forecast(ForecastInput((D(48), N, N, N), "sum", year_target=D(200), period_targets=plan))
    assert (after_q1.projected, after_q1.method, after_q1.risk) == (D(192), ForecastMethod.PLAN, Risk.MEDIUM)
    after_q2 = forecast(ForecastInput((D(48), D(55), N, N), "sum", year_target=D(200), period_targets=plan))
    assert (after_q2.projected, after_q2.risk) == (D(206), Risk.LOW)
    assert str(after_q2.reason) == "projected at 206, meeting the target of 200"


def test_an_organizations_limits_move_the_bands():
    values = (D(48), N, N, N)  # projected 192 of 200: 96 %
    strict = forecast(ForecastInput(values, "sum", year_target=D(200)), RiskLimits(D(97), D(100)))
    lenient = forecast(ForecastInput(values, "sum", year_target=D(200)), RiskLimits(D(90), D(95)))
    assert (strict.risk, lenient.risk) == (Risk.HIGH, Risk.LOW)


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (ForecastInput((D(5),), "sum", D(10)), "a KPI of whole years has no periods to project from"),
        (ForecastInput((N, N, N, N), "sum", D(10)), "no period of the year is in yet"),
        (ForecastInput((D(5), N), "", D(10)), "no aggregation rule for the KPI's periods"),
        (
            ForecastInput((D(5), N), "last", D(10), target_type="milestone"),
            "not projected for a target of type milestone",
        ),
        (ForecastInput((D(5), N), "last", D(10), target_type="range"), "not projected for a target of type range"),
    ],
)
def test_no_projection_is_made_where_there_is_nothing_to_project_from(given, why):
    result = forecast(given)
    assert (result.projected, result.risk) == (None, "")
    assert str(result.reason).startswith(why)


def test_a_kpi_without_target_or_rated_as_data_only_is_projected_without_a_risk():
    no_target = forecast(ForecastInput((D(5), N), "sum"))
    data_only = forecast(ForecastInput((D(5), N), "sum", D(20), rated=False))
    assert (no_target.projected, no_target.risk) == (D(10), "")
    assert (data_only.projected, data_only.risk) == (D(10), "")


def test_risk_limits_out_of_range_or_order_are_refused():
    assert RiskLimits().problems() == []
    assert [name for name, _ in RiskLimits(D(95), D(90)).problems()] == ["high_below"]
    assert [name for name, _ in RiskLimits(D(-1), D(101)).problems()] == ["high_below", "medium_below"]
