"""Scoring one KPI: its rate, its total or band, its light, and why any of it is unknown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from stratmap.kpis.scoring.lights import Level
from stratmap.kpis.scoring.policy import DEFAULT_POLICY, Method, Policy, Tolerance
from stratmap.kpis.scoring.rates import (
    HUNDRED,
    NO_ACTUAL,
    NO_SCORE,
    NO_TARGET,
    ZERO,
    Polarity,
    Rate,
    Target,
    TargetType,
    achievement_rate,
    meets,
)


@dataclass(frozen=True, slots=True)
class KpiInput:
    """What scoring one KPI for one year (or period) needs, plus the keys rollups group by."""

    code: str
    name: str = ""
    polarity: str = Polarity.POSITIVE
    target_type: str = TargetType.RATIO
    stages: tuple[Decimal, ...] = ()
    baseline: Decimal | None = None
    target: Decimal | None = None
    target_upper: Decimal | None = None
    #: Why ``target`` is unknown when the caller knows better than "no target" (no year-to-date target).
    target_reason: str = ""
    actual: Decimal | None = None
    unknown_reason: str = ""
    innovation: Decimal | None = None
    challenge: Decimal | None = None
    contribution: Decimal | None = None
    score_reported: Decimal | None = None
    weight: Decimal | None = None
    #: The KPI's own method ("data_only" for a measure that is monitored, not rated); "" is the map's.
    method: str = ""
    objective: str = ""
    theme: str = ""
    perspective: str = ""
    agencies: tuple[str, ...] = ()

    @property
    def target_spec(self) -> Target:
        return Target(
            self.target,
            polarity=self.polarity,
            type=self.target_type,
            stages=self.stages,
            baseline=self.baseline,
            upper=self.target_upper,
        )


@dataclass(frozen=True, slots=True)
class KpiScore:
    """The scored KPI: the rate, the computed and reported totals, the light that counts.

    ``score_computed`` is the composite total, or, under the bands method, the achievement
    component (the rate, capped, never below 0): the 0–100 figure the rollups average.
    """

    kpi: KpiInput
    rate: Rate
    score_computed: Decimal | None
    light: Level
    unknown_reason: str
    flag: bool
    method: str = Method.COMPOSITE

    @property
    def score_reported(self) -> Decimal | None:
        return self.kpi.score_reported

    @property
    def score(self) -> Decimal | None:
        """The total that decides the light: the reported one when present (composite)."""
        if self.method == Method.COMPOSITE and self.kpi.score_reported is not None:
            return self.kpi.score_reported
        return self.score_computed

    @property
    def met(self) -> bool | None:
        return self.rate.met

    @property
    def rated(self) -> bool:
        """Whether the KPI is rated at all (a data-only measure is not)."""
        return self.method != Method.DATA_ONLY


def achievement_component(rate: Rate, policy: Policy) -> Decimal | None:
    """The rate as a 0–cap score: the cap when met without a meaningful rate, 0 when missed so."""
    if rate.met is None:
        return None
    if rate.percent is None:
        return policy.achievement_cap if rate.met else ZERO
    return max(ZERO, min(rate.percent, policy.achievement_cap))


def total_score(rate: Rate, kpi: KpiInput, policy: Policy = DEFAULT_POLICY) -> Decimal | None:
    """The composite's weighted total, or None when a part it needs is missing.

    A part whose weight is 0 is not needed: an agency that rates by achievement alone leaves the
    self-assessment scores out.
    """
    achievement = achievement_component(rate, policy)
    total = ZERO
    for weight, part in (
        (policy.achievement_weight, achievement),
        (policy.innovation_weight, kpi.innovation),
        (policy.challenge_weight, kpi.challenge),
        (policy.contribution_weight, kpi.contribution),
    ):
        if weight == 0:
            continue
        if part is None:
            return None
        total += weight * part
    return total


def band_level(target: Target, actual: Decimal, policy: Policy) -> Level:
    """The first band the actual falls in (the last takes whatever is left)."""
    percent = policy.tolerance == Tolerance.PERCENT
    for band in policy.bands:
        if band.within is None or meets(target, actual, slack=band.within, percent=percent):
            return policy.lights.get(band.level)
    # Bands that all have a width leave the furthest misses to the set's worst rated level.
    return policy.lights.rated[-1]


def score_kpi(kpi: KpiInput, policy: Policy = DEFAULT_POLICY) -> KpiScore:
    method = kpi.method or policy.method
    target = kpi.target_spec
    rate = achievement_rate(target, kpi.actual)
    if kpi.target_reason and rate.reason == NO_TARGET:
        rate = replace(rate, reason=kpi.target_reason)
    if method == Method.DATA_ONLY:
        return KpiScore(kpi, rate, None, policy.lights.data_only, "", False, Method.DATA_ONLY)
    if kpi.actual is None:
        # Unknown is a state of the data, whatever a published total says.
        reason = kpi.unknown_reason or rate.reason or NO_ACTUAL
        return KpiScore(kpi, rate, None, policy.lights.unknown, reason, False, method)
    if method == Method.BANDS:
        if rate.met is None:
            return KpiScore(kpi, rate, None, policy.lights.unknown, rate.reason, False, method)
        level = band_level(target, kpi.actual, policy)
        return KpiScore(kpi, rate, achievement_component(rate, policy), level, "", False, method)
    computed = total_score(rate, kpi, policy)
    reported = kpi.score_reported
    # A published total decides the light even where the engine cannot compute one: it is the record.
    score = reported if reported is not None else computed
    flag = reported is not None and computed is not None and abs(reported - computed) > policy.flag_tolerance
    reason = "" if score is not None else (rate.reason if rate.met is None else NO_SCORE)
    return KpiScore(kpi, rate, computed, policy.light(score), reason, flag, method)


def score_all(kpis: Iterable[KpiInput], policy: Policy = DEFAULT_POLICY) -> list[KpiScore]:
    return [score_kpi(kpi, policy) for kpi in kpis]


__all__ = ["HUNDRED", "KpiInput", "KpiScore", "achievement_component", "score_all", "score_kpi", "total_score"]
