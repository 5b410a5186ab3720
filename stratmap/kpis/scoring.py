"""Scoring: achievement rates, KPI total scores, rating lights and rollups.

A pure engine: no Django, no database. Callers hand it plain values and get
plain values back, so scoring a whole city is one read plus arithmetic.

What the 108 report shows and this module reproduces (see docs/scoring.md):

- the achievement rate is ``actual / target`` for a positive KPI and
  ``target / actual`` for a negative one (DP5.1: 6.00 / 7.05 = 85.1 %);
- a KPI meets its target when the rate is at least 100 %;
- the light follows the KPI total score with inclusive thresholds
  (★優 ≥ 92.5, ●良 ≥ 84.5, ▲可 ≥ 74.5, ╳差 below), and ？不明 when data is missing.

The published totals cannot all be reproduced by one formula, so the *reported*
total (as published or entered) decides the light when present; the total
computed with the year's policy is shown beside it and a difference over the
policy's tolerance is flagged.

Rates where a ratio means nothing — a zero denominator, a negative value — are
not invented: the rate is ``None`` and whether the target is met is decided by
comparing actual and target directly; the achievement component is then the
cap when met and 0 when not.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeVar, cast, overload

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Why the engine cannot score a KPI. English message ids: the pages and reports translate
# them (stratmap.web.presenters.reason_text); reasons typed in the data are shown as written.
NO_TARGET = "no target"
NO_ACTUAL = "no actual"
NOT_A_STAGE = "the value is not one of the KPI's stages"
NO_SCORE = "a self-assessment score is missing"


# The lights, target types and polarities are defined here and only here: the models' choices,
# the dataset schema, the forms, the pages, the reports and the workbooks all derive from them.


class Light(enum.StrEnum):
    """A rating light: its key (what is stored and written in datasets), symbol, Chinese label and colour.

    Never colour alone: each has a symbol and a label as well. The English label is the key.
    """

    symbol: str
    label_zh: str
    colour: str

    def __new__(cls, key: str, symbol: str, label_zh: str, colour: str) -> Light:
        light = str.__new__(cls, key)
        light._value_ = key
        light.symbol, light.label_zh, light.colour = symbol, label_zh, colour
        return light

    EXCELLENT = ("excellent", "★", "優", "#1a7f37")
    GOOD = ("good", "●", "良", "#0969da")
    FAIR = ("fair", "▲", "可", "#9a6700")
    POOR = ("poor", "╳", "差", "#cf222e")
    UNKNOWN = ("unknown", "？", "不明", "#6e7781")

    @property
    def key(self) -> str:
        return self.value

    @property
    def label_en(self) -> str:
        return self.value

    def label(self, language: str | None) -> str:
        """The label in ``language`` (a language code): 優 for Chinese, excellent otherwise."""
        return self.label_zh if (language or "").startswith("zh") else self.label_en

    def text(self, language: str | None) -> str:
        """Symbol and label as one piece of text: 「★優」 in Chinese, "★ excellent" otherwise."""
        zh = (language or "").startswith("zh")
        return f"{self.symbol}{self.label_zh}" if zh else f"{self.symbol} {self.label_en}"

    @classmethod
    def from_key(cls, key: str) -> Light:
        # A member is found by its key alone; __new__'s other fields only define the members.
        return cls(key)  # type: ignore[call-arg]


class TargetType(enum.StrEnum):
    """How a target is read."""

    RATIO = "ratio"  # the rate is actual/target (or target/actual for a negative KPI)
    AT_MOST = "at_most"  # "maintain ≤ x": met when actual ≤ x
    AT_LEAST = "at_least"  # "maintain ≥ x": met when actual ≥ x
    MILESTONE = "milestone"  # actual and target are stages of a list (25 %, 50 % …)


class Polarity(enum.StrEnum):
    """Which way a KPI improves."""

    POSITIVE = "positive"  # higher is better: the rate is actual/target
    NEGATIVE = "negative"  # lower is better: the rate is target/actual


class PolicyError(ValueError):
    """A scoring policy that cannot be applied; the message says which field and why."""


@dataclass(frozen=True)
class Policy:
    """How a KPI total score is computed and turned into a light.

    The default is a least-squares fit to the 108 report (docs/scoring.md), which reproduces 8 of the
    15 published 108 totals: a documented, configurable default, not the city's rule.
    """

    achievement_weight: Decimal = Decimal("0.25")
    innovation_weight: Decimal = Decimal("0.25")
    challenge_weight: Decimal = Decimal("0.30")
    contribution_weight: Decimal = Decimal("0.20")
    achievement_cap: Decimal = HUNDRED
    excellent: Decimal = Decimal("92.5")
    good: Decimal = Decimal("84.5")
    fair: Decimal = Decimal("74.5")
    flag_tolerance: Decimal = Decimal("0.5")

    WEIGHTS = ("achievement_weight", "innovation_weight", "challenge_weight", "contribution_weight")

    def problems(self) -> list[tuple[str, str]]:
        """(field, what is wrong) for every rule the policy breaks; empty when usable."""
        out = []
        for name in self.WEIGHTS:
            if getattr(self, name) < 0:
                out.append((name, f"must not be negative (got {getattr(self, name)})"))
        total = sum(getattr(self, name) for name in self.WEIGHTS)
        if total != 1:
            out.append(("weights", f"must add up to 1 (they add up to {total})"))
        if self.achievement_cap < 0:
            out.append(("achievement_cap", f"must not be below 0 (got {self.achievement_cap})"))
        if not self.excellent > self.good > self.fair:
            out.append(
                (
                    "thresholds",
                    f"must be in order excellent > good > fair (got {self.excellent}, {self.good}, {self.fair})",
                )
            )
        if self.flag_tolerance < 0:
            out.append(("flag_tolerance", f"must not be negative (got {self.flag_tolerance})"))
        return out

    def validated(self) -> Policy:
        problems = self.problems()
        if problems:
            raise PolicyError("; ".join(f"{name} {why}" for name, why in problems))
        return self

    def light(self, score: Decimal | None) -> Light:
        """The light of a total score; thresholds are inclusive (92.5 is ★)."""
        if score is None:
            return Light.UNKNOWN
        if score >= self.excellent:
            return Light.EXCELLENT
        if score >= self.good:
            return Light.GOOD
        if score >= self.fair:
            return Light.FAIR
        return Light.POOR


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class Rate:
    """An achievement rate in percent, whether the target is met, and why either is unknown."""

    percent: Decimal | None
    met: bool | None
    reason: str = ""


def achievement_rate(
    target: Decimal | None,
    actual: Decimal | None,
    *,
    polarity: str = Polarity.POSITIVE,
    target_type: str = TargetType.RATIO,
    stages: tuple[Decimal, ...] = (),
) -> Rate:
    """The achievement rate of ``actual`` against ``target``.

    - missing target or actual: unknown (``percent`` and ``met`` are None);
    - ratio: positive ``actual/target``, negative ``target/actual``; when the
      denominator is 0 or either value is negative the ratio means nothing, so
      ``percent`` is None and ``met`` compares the values;
    - at_most / at_least ("maintain ≤ x" / "≥ x"): 100 % when maintained, else
      how far off (``target/actual`` or ``actual/target``);
    - milestone: both values must be stages of ``stages`` (in order); the rate
      is the position of the stage reached over the position of the stage targeted.
    """
    if target is None or actual is None:
        return Rate(None, None, NO_TARGET if target is None else NO_ACTUAL)
    negative = polarity == Polarity.NEGATIVE
    kind = TargetType(target_type)
    if kind is TargetType.MILESTONE:
        if actual not in stages or target not in stages:
            return Rate(None, None, NOT_A_STAGE)
        reached, wanted = stages.index(actual) + 1, stages.index(target) + 1
        return Rate(HUNDRED * reached / wanted, reached >= wanted)
    if kind is TargetType.AT_MOST:
        met = actual <= target
        return Rate(HUNDRED if met else _ratio(target, actual), met)
    if kind is TargetType.AT_LEAST:
        met = actual >= target
        return Rate(HUNDRED if met else _ratio(actual, target), met)
    met = actual <= target if negative else actual >= target
    numerator, denominator = (target, actual) if negative else (actual, target)
    percent = _ratio(numerator, denominator)
    if percent is None:
        return Rate(None, met, "a ratio of these values means nothing; met is decided by comparing them")
    return Rate(percent, percent >= HUNDRED)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator <= 0 or numerator < 0:
        return None
    return HUNDRED * numerator / denominator


@dataclass(frozen=True, slots=True)
class KpiInput:
    """What scoring one KPI for one year needs, plus the keys rollups group by."""

    code: str
    name: str = ""
    polarity: str = Polarity.POSITIVE
    target_type: str = TargetType.RATIO
    stages: tuple[Decimal, ...] = ()
    target: Decimal | None = None
    actual: Decimal | None = None
    unknown_reason: str = ""
    innovation: Decimal | None = None
    challenge: Decimal | None = None
    contribution: Decimal | None = None
    score_reported: Decimal | None = None
    weight: Decimal | None = None
    objective: str = ""
    theme: str = ""
    perspective: str = ""
    agencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KpiScore:
    """The scored KPI: the rate, the computed and reported totals, the light that counts."""

    kpi: KpiInput
    rate: Rate
    score_computed: Decimal | None
    light: Light
    unknown_reason: str
    flag: bool

    @property
    def score_reported(self) -> Decimal | None:
        return self.kpi.score_reported

    @property
    def score(self) -> Decimal | None:
        """The total that decides the light: the reported one when present."""
        return self.kpi.score_reported if self.kpi.score_reported is not None else self.score_computed

    @property
    def met(self) -> bool | None:
        return self.rate.met


def total_score(rate: Rate, kpi: KpiInput, policy: Policy = DEFAULT_POLICY) -> Decimal | None:
    """The policy's weighted total, or None when any input is missing."""
    innovation, challenge, contribution = kpi.innovation, kpi.challenge, kpi.contribution
    if rate.met is None or innovation is None or challenge is None or contribution is None:
        return None
    if rate.percent is None:
        achievement = policy.achievement_cap if rate.met else ZERO
    else:
        achievement = min(rate.percent, policy.achievement_cap)
    return (
        policy.achievement_weight * achievement
        + policy.innovation_weight * innovation
        + policy.challenge_weight * challenge
        + policy.contribution_weight * contribution
    )


def score_kpi(kpi: KpiInput, policy: Policy = DEFAULT_POLICY) -> KpiScore:
    rate = achievement_rate(
        kpi.target, kpi.actual, polarity=kpi.polarity, target_type=kpi.target_type, stages=kpi.stages
    )
    computed = total_score(rate, kpi, policy)
    if kpi.actual is None:
        # Unknown is a state of the data, whatever a published total says.
        return KpiScore(kpi, rate, computed, Light.UNKNOWN, kpi.unknown_reason or rate.reason, False)
    reported = kpi.score_reported
    score = reported if reported is not None else computed
    flag = reported is not None and computed is not None and abs(reported - computed) > policy.flag_tolerance
    reason = "" if score is not None else (rate.reason or NO_SCORE)
    return KpiScore(kpi, rate, computed, policy.light(score), reason, flag)


def score_all(kpis: Iterable[KpiInput], policy: Policy = DEFAULT_POLICY) -> list[KpiScore]:
    return [score_kpi(kpi, policy) for kpi in kpis]


@dataclass(frozen=True)
class Sentence:
    """How the summary sentence of a rollup reads in one language: templates of ``str.format``."""

    subject: str  # around the subject, when there is one
    all_met: str
    all_but: str  # all met but the KPIs ``codes``
    unknown: str  # added when some KPIs' data are unknown
    join: str  # between KPI codes
    end: str


SENTENCES = {
    "zh": Sentence(
        subject="{}",
        all_met="{subject}KPI均已達成年度目標值",
        all_but="{subject}KPI除{codes}外，其餘KPI已達成年度目標值",
        unknown="（{codes}資料不明）",
        join="、",
        end="",
    ),
    "en": Sentence(
        subject="{}: ",
        all_met="{subject}all KPIs met their yearly targets",
        all_but="{subject}all KPIs except {codes} met their yearly targets",
        unknown=" ({codes} unknown)",
        join=", ",
        end=".",
    ),
}


@dataclass
class Rollup:
    """The scores of a group of KPIs (an objective, theme, perspective, agency or organization)."""

    key: Hashable
    count: int = 0
    met: int = 0
    not_met: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    lights: Counter[Light] = field(default_factory=Counter)
    average: Decimal | None = None
    weighted_average: Decimal | None = None

    @property
    def light_counts(self) -> dict[str, int]:
        return {light.key: self.lights[light] for light in Light}

    def summary(self, language: str = "zh", subject: str = "") -> str:
        """The report's sentence, e.g. 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」 (Chinese for a
        ``zh`` language, else English)."""
        words = SENTENCES["zh" if language.startswith("zh") else "en"]
        subject = words.subject.format(subject) if subject else ""
        codes = words.join.join(self.not_met)
        sentence = (words.all_but if self.not_met else words.all_met).format(subject=subject, codes=codes)
        if self.unknown:
            sentence += words.unknown.format(codes=words.join.join(self.unknown))
        return sentence + words.end


K = TypeVar("K", bound=Hashable)


@overload
def rollup(
    scores: Iterable[KpiScore], key: Callable[[KpiScore], K], *, many: Literal[False] = False
) -> dict[K, Rollup]: ...
@overload
def rollup(
    scores: Iterable[KpiScore], key: Callable[[KpiScore], Iterable[K]], *, many: Literal[True]
) -> dict[K, Rollup]: ...
def rollup(
    scores: Iterable[KpiScore], key: Callable[[KpiScore], K | Iterable[K]], *, many: bool = False
) -> dict[K, Rollup]:
    """Group ``scores`` by ``key`` (``many``: a KPI may fall in several groups, e.g. its agencies)."""
    groups: dict[K, list[KpiScore]] = defaultdict(list)
    for score in scores:
        found = key(score)
        keys = cast("Iterable[K]", found) if many else (cast(K, found),)
        for k in keys:
            groups[k].append(score)
    return {k: summarize(k, members) for k, members in groups.items()}


def summarize(key: Hashable, scores: list[KpiScore]) -> Rollup:
    result = Rollup(key=key, count=len(scores))
    lights: dict[Light, int] = dict.fromkeys(Light, 0)
    known: list[Decimal] = []
    weighted, weights = ZERO, ZERO
    unknown = Light.UNKNOWN
    # A hot loop (the benchmark rolls up 100,000 results five ways): plain locals, no properties.
    for s in scores:
        light, met, kpi = s.light, s.rate.met, s.kpi
        lights[light] += 1
        if met:
            result.met += 1
        elif met is False:
            result.not_met.append(kpi.code)
        if light is unknown:
            result.unknown.append(kpi.code)
            continue
        score = kpi.score_reported if kpi.score_reported is not None else s.score_computed
        if score is not None:
            known.append(score)
            if kpi.weight is not None:
                weighted += kpi.weight * score
                weights += kpi.weight
    result.lights = Counter(lights)
    if known:
        result.average = sum(known, ZERO) / len(known)
    if weights > 0:
        result.weighted_average = weighted / weights
    return result
