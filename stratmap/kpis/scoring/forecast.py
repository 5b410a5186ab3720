"""Early warning: a KPI's year-end value projected from its periods so far, and the risk of missing the target.

Pure, like the rest of the package: the caller hands it a KPI's period values of the year (None for a period
not yet in), its period targets, its year's target, its aggregation rule and polarity, and last year's period
values when it has them; it gets back a :class:`Forecast`. docs/early-warning.md gives every rule with worked
examples; in short:

- the year is *completed*: each period not yet in gets a value, and the completed year is aggregated by the
  KPI's own rule (:func:`~stratmap.kpis.scoring.periods.aggregate`), so a projected year is read exactly as
  an entered one;
- **plan**, where the year has a target for every period: a missing period gets its target scaled by how the
  periods in did against theirs (a sum's, an average's, a maximum's or a minimum's ratio of the sums; a last
  value's, of the latest period in);
- **seasonal**, else, where last year has a value for every period: the same with last year's values (a sum
  projects to this year's year to date over last year's same periods, times last year's total);
- **linear**, else: a missing period gets the mean of the periods in (a sum is extrapolated by the share of
  periods in, an average is its mean so far, a maximum or a minimum the extreme so far); a last value
  follows its least-squares trend to the year's last period;
- **complete**: every period is in (or a last value's final period is): the projection is the year's value.

The risk compares the projection with the target through the package's own achievement rate: *low* when it
meets the target (or the year to date already secures it), else *high* below the policy's ``high_below``
percentage, *medium* below ``medium_below``, *low* above (a tolerated shortfall); *high* too when the year
to date already rules the target out. No projection for a KPI of whole years, a milestone or range target, a
KPI without an aggregation rule or before any period is in; no risk without a target, or for a data-only KPI.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from stratmap.kpis.scoring.lights import Problem
from stratmap.kpis.scoring.periods import Aggregation, aggregate
from stratmap.kpis.scoring.rates import HUNDRED, ZERO, Polarity, Rate, Target, TargetType, achievement_rate


class ForecastMethod(enum.StrEnum):
    """How the year-end value was projected."""

    COMPLETE = "complete"  # every period is in: the year's value itself
    PLAN = "plan"  # on this year's period targets' profile
    SEASONAL = "seasonal"  # on last year's profile
    LINEAR = "linear"  # on the periods so far alone


class Risk(enum.StrEnum):
    """The risk of missing the year's target, worst first."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


#: The target types a projection is compared with: a milestone is a stage reached and a range a window
#: around a level, neither a trend a year to date extends.
PROJECTED_TYPES = frozenset({TargetType.RATIO, TargetType.AT_MOST, TargetType.AT_LEAST, TargetType.BASELINE})

# Why there is no projection, or no risk (the templates of a Problem; values already written).
WHOLE_YEARS = "a KPI of whole years has no periods to project from"
NOT_PROJECTED = "not projected for a target of type {type}: it is a stage reached or a window, not a trend"
NO_RULE = "no aggregation rule for the KPI's periods"
NOTHING_IN = "no period of the year is in yet"
NO_TARGET_TO_MEET = "projected at {projected}; there is no target to measure it against"
NOT_RATED = "projected at {projected}; a data-only KPI is not rated"
# Why the risk is what it is.
SECURED = "the year to date, {actual}, already meets the year's target of {target}"
RULED_OUT = (
    "the year to date, {actual}, already misses the year's target of {target}: the periods to come cannot undo it"
)
ON_TRACK = "projected at {projected}, meeting the target of {target}"
WITHIN_MARGIN = (
    "projected at {projected}, {percent} % of the target of {target}: short, but not below the {limit} % tolerated"
)
SHORT = "projected at {projected}, {percent} % of the target of {target}: short, above the high-risk limit of {limit} %"
FAR_SHORT = "projected at {projected}, {percent} % of the target of {target}: below the high-risk limit of {limit} %"
MISSING = "projected at {projected}, missing the target of {target}"
FORECAST_REASONS = (
    WHOLE_YEARS,
    NOT_PROJECTED,
    NO_RULE,
    NOTHING_IN,
    NO_TARGET_TO_MEET,
    NOT_RATED,
    SECURED,
    RULED_OUT,
    ON_TRACK,
    WITHIN_MARGIN,
    SHORT,
    FAR_SHORT,
    MISSING,
)

# The objections to a policy's risk limits.
LIMIT_RANGE = "must be between 0 and 100 (got {value})"
LIMITS_ORDER = "the high-risk limit must not be above the medium-risk limit (got {high} and {medium})"
RISK_LIMIT_PROBLEMS = (LIMIT_RANGE, LIMITS_ORDER)


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The bands of risk, in percent of the target the projection reaches: *high* below ``high_below``,
    *medium* below ``medium_below``, *low* from it (and whenever the projection meets the target).

    The default (Taipei's, and any organization's that sets none): high below 90 %, medium below 100 %, so a
    projection short of the target by anything is at least medium and by more than a tenth high.
    """

    high_below: Decimal = Decimal(90)
    medium_below: Decimal = HUNDRED

    def problems(self) -> list[tuple[str, Problem]]:
        """(field, what is wrong) for each limit outside 0–100 or out of order; empty when usable."""
        out = [
            (name, Problem(LIMIT_RANGE, value=_written(value)))
            for name, value in (("high_below", self.high_below), ("medium_below", self.medium_below))
            if not ZERO <= value <= HUNDRED
        ]
        if self.high_below > self.medium_below:
            out.append(
                (
                    "high_below",
                    Problem(LIMITS_ORDER, high=_written(self.high_below), medium=_written(self.medium_below)),
                )
            )
        return out


DEFAULT_RISK_LIMITS = RiskLimits()


@dataclass(frozen=True, slots=True)
class ForecastInput:
    """A KPI's year so far, in its periods' order (a council's quarters from April).

    ``values``: each period's actual, None while it is not in; ``period_targets`` and ``last_year`` are
    empty or as long as ``values``, None where a period has none. ``how`` is the KPI's aggregation
    (:class:`~stratmap.kpis.scoring.periods.Aggregation`), empty when it has none.
    """

    values: tuple[Decimal | None, ...]
    how: str | None
    year_target: Decimal | None = None
    period_targets: tuple[Decimal | None, ...] = ()
    last_year: tuple[Decimal | None, ...] = ()
    polarity: str = Polarity.POSITIVE
    target_type: str = TargetType.RATIO
    baseline: Decimal | None = None
    #: False for a data-only KPI: projected, never rated.
    rated: bool = True


@dataclass(frozen=True, slots=True)
class Forecast:
    """The projection of a KPI's year and its risk of missing the target.

    ``projected`` is None when nothing can be projected (``reason`` says why); ``risk`` is "" when there is
    no risk to tell (no projection, no target, a data-only KPI). ``rate`` is the projection's achievement
    against ``target`` (the package's :func:`~stratmap.kpis.scoring.rates.achievement_rate`).
    """

    projected: Decimal | None
    method: str
    risk: str
    reason: Problem
    target: Decimal | None = None
    rate: Rate | None = None
    year_to_date: Decimal | None = None
    periods_in: int = 0
    periods: int = 0
    limits: RiskLimits = field(default=DEFAULT_RISK_LIMITS)

    @property
    def at_risk(self) -> bool:
        """High or medium risk."""
        return self.risk in (Risk.HIGH, Risk.MEDIUM)


def _written(value: Decimal, places: int = 2) -> str:
    """A number as a reason writes it: at most ``places`` decimals, no trailing zeros (103.5, 200, −4)."""
    rounded = value.quantize(Decimal(1).scaleb(-places)).normalize()
    text = format(rounded if rounded != rounded.to_integral() else rounded.quantize(Decimal(1)), "f")
    return text.replace("-", "−")


def _none(reason: Problem, periods: int = 0, periods_in: int = 0) -> Forecast:
    return Forecast(None, "", "", reason, periods=periods, periods_in=periods_in)


def _profile_ratio(
    values: Sequence[Decimal | None], profile: Sequence[Decimal | None], how: Aggregation
) -> Decimal | None:
    """This year's level against the profile's on the periods in, or None when the profile cannot scale:
    a period without a profile value, a negative one (scaling would turn the rule around), or nothing to
    divide by."""
    if len(profile) != len(values) or any(p is None or p < 0 for p in profile):
        return None
    known = [(v, p) for v, p in zip(values, profile, strict=True) if v is not None and p is not None]
    if how is Aggregation.LAST:
        latest, base = known[-1]
        return latest / base if base > 0 else None
    base = sum((p for _, p in known), ZERO)
    return sum((v for v, _ in known), ZERO) / base if base > 0 else None


def _trend(values: Sequence[Decimal | None]) -> Decimal:
    """The least-squares line through the periods in (place, value), at the year's last period."""
    points = [(Decimal(i), v) for i, v in enumerate(values, start=1) if v is not None]
    if len(points) == 1:
        return points[0][1]
    mean_x = sum((x for x, _ in points), ZERO) / len(points)
    mean_y = sum((y for _, y in points), ZERO) / len(points)
    spread = sum(((x - mean_x) ** 2 for x, _ in points), ZERO)
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in points), ZERO) / spread
    return mean_y + slope * (Decimal(len(values)) - mean_x)


def project(
    values: Sequence[Decimal | None],
    how: str,
    *,
    period_targets: Sequence[Decimal | None] = (),
    last_year: Sequence[Decimal | None] = (),
) -> tuple[Decimal, str]:
    """The year-end value of ``values`` (None: not in; at least one in) under the rule ``how``, and the method
    (:class:`ForecastMethod`): the year completed by the first profile that applies (plan, seasonal),
    else linearly, then aggregated."""
    rule = Aggregation(how)
    n = len(values)
    if all(v is not None for v in values) or (rule is Aggregation.LAST and values[-1] is not None):
        made = aggregate(values, rule)
        assert made is not None
        return made, ForecastMethod.COMPLETE
    for profile, method in ((period_targets, ForecastMethod.PLAN), (last_year, ForecastMethod.SEASONAL)):
        ratio = _profile_ratio(values, profile, rule)
        if ratio is not None:
            # _profile_ratio is None unless every period has a profile value
            completed = [v if v is not None else (p or ZERO) * ratio for v, p in zip(values, profile, strict=True)]
            made = aggregate(completed, rule)
            assert made is not None
            return made, method
    known = [v for v in values if v is not None]
    if rule is Aggregation.LAST:
        return _trend(values), ForecastMethod.LINEAR
    mean = sum(known, ZERO) / len(known)
    made = aggregate([v if v is not None else mean for v in values], rule) if n else None
    assert made is not None
    return made, ForecastMethod.LINEAR


def _settled(given: ForecastInput, rule: Aggregation, target: Target, so_far: Decimal) -> bool | None:
    """Whether the periods in already decide the year against ``target`` whatever comes: True (met), False
    (missed), None (not decided). A sum of values that cannot be negative only grows, a maximum only rises,
    a minimum only falls."""
    value = target.value
    assert value is not None
    lower_is_better = target.lower_is_better
    grows = (rule is Aggregation.SUM and all(v is None or v >= 0 for v in given.values)) or rule is Aggregation.MAXIMUM
    falls = rule is Aggregation.MINIMUM
    if grows:
        if not lower_is_better and so_far >= value:
            return True
        if lower_is_better and so_far > value:
            return False
    if falls:
        if lower_is_better and so_far <= value:
            return True
        if not lower_is_better and so_far < value:
            return False
    return None


def forecast(given: ForecastInput, limits: RiskLimits = DEFAULT_RISK_LIMITS) -> Forecast:
    """The projection of ``given``'s year and the risk of missing its target, under ``limits``."""
    n = len(given.values)
    if n <= 1:
        return _none(Problem(WHOLE_YEARS), n)
    if given.target_type not in PROJECTED_TYPES:
        return _none(Problem(NOT_PROJECTED, type=given.target_type), n)
    if not given.how:
        return _none(Problem(NO_RULE), n)
    k = sum(v is not None for v in given.values)
    if k == 0:
        return _none(Problem(NOTHING_IN), n, 0)
    rule = Aggregation(given.how)
    projected, method = project(given.values, rule, period_targets=given.period_targets, last_year=given.last_year)
    so_far = aggregate(given.values, rule)
    assert so_far is not None
    year_target = given.year_target
    if year_target is None and any(t is not None for t in given.period_targets):
        year_target = aggregate(given.period_targets, rule)  # as the scorecard makes the year's
    made = Forecast(projected, method, "", Problem(""), year_target, None, so_far, k, n, limits)
    written = _written(projected)
    if year_target is None:
        return replace(made, risk="", reason=Problem(NO_TARGET_TO_MEET, projected=written))
    if not given.rated:
        return replace(made, risk="", reason=Problem(NOT_RATED, projected=written))
    target = Target(year_target, polarity=given.polarity, type=given.target_type, baseline=given.baseline)
    rate = achievement_rate(target, projected)
    made = replace(made, risk="", reason=Problem(""), rate=rate)
    if rate.met is None:  # the target cannot be read (a baseline equal to it …): no risk to tell
        return replace(made, risk="", reason=Problem(NO_TARGET_TO_MEET, projected=written))
    aimed = _written(year_target)
    settled = _settled(given, rule, target, so_far)
    if settled is True:
        return replace(made, risk=Risk.LOW, reason=Problem(SECURED, actual=_written(so_far), target=aimed))
    if settled is False:
        return replace(made, risk=Risk.HIGH, reason=Problem(RULED_OUT, actual=_written(so_far), target=aimed))
    if rate.met:
        return replace(made, risk=Risk.LOW, reason=Problem(ON_TRACK, projected=written, target=aimed))
    if rate.percent is None:
        return replace(made, risk=Risk.HIGH, reason=Problem(MISSING, projected=written, target=aimed))
    percent = _written(rate.percent, 1)
    if rate.percent < limits.high_below:
        why = Problem(FAR_SHORT, projected=written, percent=percent, target=aimed, limit=_written(limits.high_below))
        return replace(made, risk=Risk.HIGH, reason=why)
    if rate.percent < limits.medium_below:
        why = Problem(SHORT, projected=written, percent=percent, target=aimed, limit=_written(limits.high_below))
        return replace(made, risk=Risk.MEDIUM, reason=why)
    why = Problem(WITHIN_MARGIN, projected=written, percent=percent, target=aimed, limit=_written(limits.medium_below))
    return replace(made, risk=Risk.LOW, reason=why)


__all__ = [
    "DEFAULT_RISK_LIMITS",
    "FORECAST_REASONS",
    "PROJECTED_TYPES",
    "RISK_LIMIT_PROBLEMS",
    "Forecast",
    "ForecastInput",
    "ForecastMethod",
    "Risk",
    "RiskLimits",
    "forecast",
    "project",
]
