"""Rollups: a group of scored KPIs (an objective, theme, perspective, agency or organization)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeVar, cast, overload

from stratmap.kpis.scoring.lights import TAIPEI_LIGHTS, Level, LightSet
from stratmap.kpis.scoring.policy import DEFAULT_POLICY, Method, ObjectiveRule, Policy, Tolerance
from stratmap.kpis.scoring.rates import HUNDRED, ZERO
from stratmap.kpis.scoring.score import KpiScore


@dataclass(frozen=True)
class Sentence:
    """How the summary sentence of a rollup reads in one language: templates of ``str.format``."""

    subject: str  # around the subject, when there is one
    none: str  # no rated KPI has a result
    no_one_met: str
    all_met: str
    all_but: str  # all met but the KPIs ``codes``
    unknown: str  # added when some KPIs' data are unknown
    join: str  # between KPI codes
    end: str
    #: The targets met, in ``{target}``/``{targets}``: the year's, or the year to date's on a scorecard of a period.
    year_target: tuple[str, str]
    to_date_target: tuple[str, str]


# In each language stratmap writes the report's sentence in; another language reads the English.
SENTENCES = {
    "zh": Sentence(
        subject="{}",
        none="{subject}KPI尚無可評估的成果",
        no_one_met="{subject}KPI均未達成{target}",
        all_met="{subject}KPI均已達成{target}",
        all_but="{subject}KPI除{codes}外，其餘KPI已達成{target}",
        unknown="（{codes}資料不明）",
        join="、",
        end="",
        year_target=("年度目標值", "年度目標值"),
        to_date_target=("年初至今目標值", "年初至今目標值"),
    ),
    "en": Sentence(
        subject="{}: ",
        none="{subject}no KPI has a result to rate yet",
        no_one_met="{subject}no KPI met its {target}",
        all_met="{subject}all KPIs met their {targets}",
        all_but="{subject}all KPIs except {codes} met their {targets}",
        unknown=" ({codes} unknown)",
        join=", ",
        end=".",
        year_target=("yearly target", "yearly targets"),
        to_date_target=("year-to-date target", "year-to-date targets"),
    ),
}


@dataclass
class Rollup:
    """The scores of a group of KPIs.

    ``average`` is the plain average of the known 0–100 scores; ``weighted_average`` weighs them by
    the KPIs' weights; ``points`` is Σ weight × score / 100 (25 points of 25 for a group whose KPIs
    are all at 100), against ``possible``, the weights of its rated KPIs (an unknown one earns none).
    """

    key: Hashable
    light_set: LightSet = TAIPEI_LIGHTS
    count: int = 0
    met: int = 0
    not_met: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    data_only: list[str] = field(default_factory=list)
    lights: Counter[Level] = field(default_factory=Counter)
    average: Decimal | None = None
    weighted_average: Decimal | None = None
    points: Decimal | None = None
    possible: Decimal | None = None
    light: Level = TAIPEI_LIGHTS.unknown

    @property
    def light_counts(self) -> dict[str, int]:
        """The count of each level of the set, and of data only when a KPI is (a set may not have it)."""
        return {
            level.key: self.lights[level]
            for level in self.light_set
            if level in self.light_set.levels or self.lights[level]
        }

    @property
    def rated(self) -> int:
        return self.count - len(self.data_only)

    def summary(self, language: str = "zh", subject: str = "", *, to_date: bool = False) -> str:
        """The report's sentence, e.g. 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」; ``to_date``: of a
        scorecard of a period, whose targets are the year to date's (「…已達成年初至今目標值」).

        It never says every KPI met its target when none has a result, or when none met.
        """
        words = SENTENCES["zh" if language.startswith("zh") else "en"]
        subject = words.subject.format(subject) if subject else ""
        if not self.met:
            template = words.no_one_met if self.not_met else words.none
        else:
            template = words.all_but if self.not_met else words.all_met
        target, targets = words.to_date_target if to_date else words.year_target
        sentence = template.format(subject=subject, codes=words.join.join(self.not_met), target=target, targets=targets)
        if self.unknown:
            sentence += words.unknown.format(codes=words.join.join(self.unknown))
        return sentence + words.end


K = TypeVar("K", bound=Hashable)


@overload
def rollup(
    scores: Iterable[KpiScore], key: Callable[[KpiScore], K], *, many: Literal[False] = False, policy: Policy = ...
) -> dict[K, Rollup]: ...
@overload
def rollup(
    scores: Iterable[KpiScore], key: Callable[[KpiScore], Iterable[K]], *, many: Literal[True], policy: Policy = ...
) -> dict[K, Rollup]: ...
def rollup(
    scores: Iterable[KpiScore],
    key: Callable[[KpiScore], K | Iterable[K]],
    *,
    many: bool = False,
    policy: Policy = DEFAULT_POLICY,
) -> dict[K, Rollup]:
    """Group ``scores`` by ``key`` (``many``: a KPI may fall in several groups, e.g. its agencies)."""
    groups: dict[K, list[KpiScore]] = defaultdict(list)
    # Cast once, not per score: the loops run once per KPI per rollup.
    if many:
        several = cast("Callable[[KpiScore], Iterable[K]]", key)
        for score in scores:
            for k in several(score):
                groups[k].append(score)
    else:
        one = cast("Callable[[KpiScore], K]", key)
        for score in scores:
            groups[one(score)].append(score)
    return {k: summarize(k, members, policy=policy) for k, members in groups.items()}


def summarize(key: Hashable, scores: list[KpiScore], *, policy: Policy = DEFAULT_POLICY) -> Rollup:
    lights = policy.lights
    result = Rollup(key=key, light_set=lights, count=len(scores))
    counts: Counter[Level] = Counter()
    # Lights are tallied by identity, then merged by equality into ``counts``: a Level's hash is
    # worked out from all its fields, which cost more than the rest of the loop.
    tally: dict[int, int] = {}
    levels: dict[int, Level] = {}
    known: list[Decimal] = []
    weighted = weights = possible = ZERO
    any_weight = False
    # A hot loop (the benchmark rolls up 100,000 results five ways): plain locals, no properties.
    for s in scores:
        light, met, kpi = s.light, s.rate.met, s.kpi
        ident = id(light)
        if ident in tally:
            tally[ident] += 1
        else:
            tally[ident] = 1
            levels[ident] = light
        if s.method == Method.DATA_ONLY:
            result.data_only.append(kpi.code)
            continue
        if kpi.weight is not None:
            any_weight = True
            possible += kpi.weight
        if met:
            result.met += 1
        elif met is False:
            result.not_met.append(kpi.code)
        if light is lights.unknown:
            result.unknown.append(kpi.code)
            continue
        score = s.score
        if score is not None:
            known.append(score)
            if kpi.weight is not None:
                weighted += kpi.weight * score
                weights += kpi.weight
    for ident, n in tally.items():  # in order of first appearance, as counting one by one gives
        counts[levels[ident]] += n
    result.lights = counts
    if known:
        result.average = sum(known, ZERO) / len(known)
    if weights > 0:
        result.weighted_average = weighted / weights
    if any_weight:
        result.points = weighted / HUNDRED
        result.possible = possible
    result.light = _group_light(result, policy)
    return result


def _group_light(result: Rollup, policy: Policy) -> Level:
    lights = policy.lights
    if result.count and result.rated == 0:
        return lights.data_only
    # The worst of the distinct lights counted, in order of appearance: the same level as the worst of all.
    if policy.objective_rule == ObjectiveRule.WORST or policy.method == Method.DATA_ONLY:
        return lights.worst(result.lights)
    score = result.weighted_average if result.weighted_average is not None else result.average
    if score is None:
        return lights.unknown
    if policy.method == Method.COMPOSITE:
        return policy.light(score)
    if policy.tolerance == Tolerance.ABSOLUTE:
        # A tolerance in each KPI's own unit has no meaning for a group: its worst KPI decides.
        return lights.worst(result.lights)
    for band in policy.bands:
        if band.within is None or score >= HUNDRED - band.within:
            return lights.get(band.level)
    return lights.rated[-1]


def combine(
    key: Hashable, groups: Iterable[tuple[Rollup, Decimal | None]], *, policy: Policy = DEFAULT_POLICY
) -> Rollup:
    """Roll groups up by the groups' own weights: an organization from its objectives (or themes)
    worth 25, 30 … points each, whatever the weights of their KPIs.

    A group's score is its weighted average (its plain average when none of its KPIs has a weight).
    ``weighted_average`` is Σ wᵢ·sᵢ / Σ wᵢ over the groups with a weight and a score; ``points``
    Σ wᵢ·sᵢ / 100 against ``possible`` Σ wᵢ over the groups with a weight that are rated (one whose
    KPIs are all unknown, or that has none, earns nothing of its weight; one of data-only measures
    is not rated). ``average`` is the plain average of the groups' scores, each group counting once.
    The counts add up the groups'; the light follows the policy's ``objective_rule``: the worst of
    the groups' lights, or the weighted average read as a KPI group's is.
    """
    lights = policy.lights
    result = Rollup(key=key, light_set=lights)
    counts: Counter[Level] = Counter()
    known: list[Decimal] = []
    group_lights: list[Level] = []
    weighted = weights = possible = ZERO
    any_weight = False
    for group, weight in groups:
        result.count += group.count
        result.met += group.met
        result.not_met += group.not_met
        result.unknown += group.unknown
        result.data_only += group.data_only
        counts.update(group.lights)
        group_lights.append(group.light)
        if group.count and group.rated == 0:
            continue  # data only: neither scored nor worth points
        score = group.weighted_average if group.weighted_average is not None else group.average
        if score is not None:
            known.append(score)
        if weight is None:
            continue
        any_weight = True
        possible += weight
        if score is not None:
            weighted += weight * score
            weights += weight
    result.lights = counts
    if known:
        result.average = sum(known, ZERO) / len(known)
    if weights > 0:
        result.weighted_average = weighted / weights
    if any_weight:
        result.points = weighted / HUNDRED
        result.possible = possible
    result.light = _combined_light(result, group_lights, policy)
    return result


def _combined_light(result: Rollup, group_lights: list[Level], policy: Policy) -> Level:
    lights = policy.lights
    if result.count and result.rated == 0:
        return lights.data_only
    rule_is_worst = policy.objective_rule == ObjectiveRule.WORST or policy.method == Method.DATA_ONLY
    if rule_is_worst or (policy.method == Method.BANDS and policy.tolerance == Tolerance.ABSOLUTE):
        return lights.worst(group_lights)
    score = result.weighted_average if result.weighted_average is not None else result.average
    if score is None:
        return lights.unknown
    if policy.method == Method.COMPOSITE:
        return policy.light(score)
    for band in policy.bands:
        if band.within is None or score >= HUNDRED - band.within:
            return lights.get(band.level)
    return lights.rated[-1]
